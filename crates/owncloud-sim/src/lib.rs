//! owncloud-sim is a small, fast, faithful imitation of an ownCloud 10 server for exactly the
//! endpoints swarm uses (OCS provisioning, WebDAV files, session cookies): the default target
//! of `cargo xtask run owncloud` and the server every test talks to.
//!
//! It is not ownCloud: no apps besides sharing, no web UI. It depends on no swarm crate, because it
//! is the other side of the wire.
//!
//! ```no_run
//! # async fn demo() -> Result<(), owncloud_sim::SimError> {
//! let sim = owncloud_sim::Sim::start(owncloud_sim::SimConfig::default()).await?;
//! println!("{}", sim.url());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Behaviour worth knowing (measured on ownCloud 10.14, see the design brief, section 5):
//! - OCS v1 answers HTTP 200 with ownCloud's code in the meta (100, 101, 102, ...) except 997
//!   (401); v2 answers HTTP = statuscode. XML unless `?format=json`.
//! - The cookie rule: once a session made two authenticated requests, its cookies win over any
//!   `Authorization` header for five minutes after its last password check.
//! - First login copies a skeleton; parallel first requests of one user fail (503 / empty 200).
//! - A 400 answer closes the keep-alive connection, as Apache does.
//! - Chunked uploads (ownCloud's "chunking v2"): MKCOL `/remote.php/dav/uploads/{user}/{id}`,
//!   PUT the chunks into it, MOVE its `.file` onto `/remote.php/dav/files/{user}/...`; chunks
//!   are joined in natural (`strnatcmp`) order of their names, as ownCloud's AssemblyStream does.

mod config;
mod dav;
mod envelope;
mod error;
mod locks;
mod methods;
mod ocs;
mod paths;
mod propfind;
mod props;
mod router;
mod server;
mod session;
mod shares;
mod skeleton;
mod state;
mod store;
mod tree;
mod uploads;
mod view;

pub use config::{DEFAULT_MANUAL_SIZE, SimConfig, parse_duration};
pub use error::SimError;
pub use server::Sim;
