//! The simulator's typed errors (start-up and test helpers; requests answer with HTTP codes).

use std::path::PathBuf;

/// What can go wrong starting or driving the simulator from code.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listening socket could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address that was asked for.
        addr: std::net::SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The data directory could not be prepared or written.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A user id ownCloud would refuse (characters, length).
    #[error("invalid user id {0:?}")]
    InvalidUserId(String),
    /// The user already exists.
    #[error("user {0:?} already exists")]
    UserExists(String),
    /// A duration flag could not be read.
    #[error("invalid duration {0:?} (try 60ms, 1s, 250us)")]
    BadDuration(String),
}
