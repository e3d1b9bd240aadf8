//! The errors `swarm` tells apart at exit: bad usage (exit code 2) versus everything else.

/// A usage error: bad flags, files or values. One line naming the problem and the fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Usage(pub(crate) String);
