//! owncloud-sim is a small, fast, faithful imitation of an ownCloud 10 server for exactly the
//! endpoints swarm uses (OCS provisioning, WebDAV files, session cookies): the default target
//! of `cargo xtask run owncloud` and the server every test talks to.
//!
//! It is not ownCloud: no apps, no sharing, no web UI. It depends on no swarm crate, because it
//! is the other side of the wire.
