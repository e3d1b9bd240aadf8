//! ocs-dav holds typed ownCloud calls for swarm scenarios: OCS user and group provisioning
//! (v1 and v2, XML and JSON), sharing (user shares and public links), and WebDAV file
//! operations (properties, favorites, locks, public-link files), each turning the server's documented
//! outcomes into typed results and recording under stable, grouped names.
//!
//! It is not a server and not a general WebDAV client; it sits on `swarm-http` and never
//! reaches up into the CLI.

pub mod dav;
pub mod ocs;
pub mod path;
mod xml;

pub use xml::XmlError;
