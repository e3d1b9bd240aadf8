//! What an OCS call can answer, as types: every documented outcome of BRIEF section 5.

use swarm_core::TaskError;

/// Why an OCS call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum OcsError {
    /// Creating a user whose id is taken (v1 102; v2 400 "User already exists").
    #[error("user already exists")]
    UserExists,
    /// Creating a group whose id is taken.
    #[error("group already exists")]
    GroupExists,
    /// The user or group is not there (v1 101/998; v2 400 with a null message, or 404).
    #[error("not found")]
    NotFound,
    /// 997: wrong admin credentials, a non-admin caller, or a non-admin user's session
    /// cookies overriding the admin's basic auth (the seed's pitfall).
    #[error(
        "unauthorised (OCS 997): wrong admin credentials, or a non-admin session's cookies were sent (use a fresh session for admin calls)"
    )]
    Unauthorised,
    /// The server refused the input (short user id, empty password...), with its message.
    #[error("invalid: {0}")]
    Invalid(String),
    /// Any other OCS failure code.
    #[error("OCS {statuscode}: {message}")]
    Failed {
        /// The meta statuscode.
        statuscode: u32,
        /// The meta message, or empty.
        message: String,
    },
    /// The server did not answer with an OCS envelope: probably not an ownCloud.
    #[error("the server did not answer like ownCloud (HTTP {status}, {reason}): check --host")]
    NotOcs {
        /// HTTP status it sent.
        status: u16,
        /// What was wrong with the body.
        reason: String,
    },
    /// The request itself failed (connection, timeout, 5xx...).
    #[error(transparent)]
    Http(#[from] swarm_http::Error),
}

impl From<OcsError> for TaskError {
    fn from(e: OcsError) -> Self {
        match e {
            OcsError::Http(e) => e.into(),
            // Every typed outcome was recorded by the call's response check.
            other => TaskError::Failed(other.to_string()),
        }
    }
}

/// Turns "already gone" into success, for teardown: `ocs.delete_user(id).await.or_gone()`.
pub trait OrGone {
    /// `Err(NotFound)` becomes `Ok(())`.
    fn or_gone(self) -> Result<(), OcsError>;
}

impl OrGone for Result<(), OcsError> {
    fn or_gone(self) -> Result<(), OcsError> {
        match self {
            Err(OcsError::NotFound) => Ok(()),
            other => other,
        }
    }
}
