//! What a WebDAV call can answer, as types.

use swarm_core::TaskError;

/// Why a WebDAV call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum DavError {
    /// 404: no such file or folder (or another user's file).
    #[error("not found")]
    NotFound,
    /// 405 on MKCOL: the folder exists.
    #[error("already exists")]
    AlreadyExists,
    /// 409: the parent folder is missing (or, for UNLOCK, the token locks nothing here).
    #[error("conflict: the parent folder is missing, or the lock token does not match")]
    Conflict,
    /// 412: the target exists and `Overwrite: F` was asked, or an `If`/`If-Match`/
    /// `If-None-Match` condition does not hold.
    #[error("precondition failed")]
    PreconditionFailed,
    /// 403: not allowed here (e.g. another user's home).
    #[error("forbidden")]
    Forbidden,
    /// 401: wrong password.
    #[error("unauthorised")]
    Unauthorised,
    /// 423, or 503 "is locked": a concurrent operation (e.g. the first-login skeleton copy)
    /// holds the file.
    #[error("locked")]
    Locked,
    /// 400: the server could not use the request (e.g. MKCOL with an XML body).
    #[error("bad request")]
    BadRequest,
    /// 415: a body of a type the method does not take (e.g. MKCOL with a non-XML body).
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A PROPPATCH the server refused (all-or-nothing), with the statuses it gave.
    #[error("properties refused: {0}")]
    Refused(String),
    /// A 207 that could not be read.
    #[error("malformed multistatus: {0}")]
    Malformed(String),
    /// Anything else: transport, timeout, other statuses.
    #[error(transparent)]
    Http(swarm_http::Error),
}

impl From<swarm_http::Error> for DavError {
    fn from(e: swarm_http::Error) -> Self {
        let Some(status) = e.status() else {
            return Self::Http(e);
        };
        match status.as_u16() {
            404 => Self::NotFound,
            405 => Self::AlreadyExists,
            409 => Self::Conflict,
            412 => Self::PreconditionFailed,
            403 => Self::Forbidden,
            401 => Self::Unauthorised,
            423 => Self::Locked,
            400 => Self::BadRequest,
            415 => Self::UnsupportedMediaType,
            503 if e.response().is_some_and(|r| r.text().contains("is locked")) => Self::Locked,
            _ => Self::Http(e),
        }
    }
}

impl From<DavError> for TaskError {
    fn from(e: DavError) -> Self {
        match e {
            DavError::Http(e) => e.into(),
            // Status failures and unreadable 207s were recorded by the request itself.
            other => TaskError::Failed(other.to_string()),
        }
    }
}
