//! The errors the App tells apart at exit: bad usage (exit code 2) versus everything else.

/// A usage error: bad flags, files or values. One line naming the problem and the fix; the
/// App exits with code 2 when a command or a setup step fails with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Any error from an author's setup step or command; a [`UsageError`] inside means exit 2.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The exit code for a failed command: 2 for a usage error anywhere in the chain, else 1.
pub(crate) fn exit_code_of(e: &anyhow::Error) -> u8 {
    if e.chain().any(|c| c.downcast_ref::<UsageError>().is_some()) {
        2
    } else {
        1
    }
}
