//! The one error type of swarm-http: its `Display` is the short, secret-free text failures
//! are grouped by, and it knows whether the failure was already recorded.

use crate::Response;
use std::time::Duration;
use swarm_core::TaskError;

/// Why a request (or building a session) failed.
///
/// Every variant's text is short, stable enough to group by, and never holds credentials;
/// URLs in it have their userinfo stripped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The status was >= 400 and the request did not expect it (recorded).
    #[error("{}", status_text(.0.status()))]
    Status(Box<Response>),
    /// The request's check rejected the response (recorded).
    #[error("check failed: {reason}")]
    Check {
        /// What the check said.
        reason: String,
        /// The response the check rejected.
        response: Box<Response>,
    },
    /// The whole request took longer than its timeout (recorded).
    #[error("timeout after {}", fmt_duration(*.0))]
    Timeout(Duration),
    /// Opening the connection (TCP and TLS) took longer than the connect timeout (recorded).
    #[error("connect timeout after {}", fmt_duration(*.0))]
    ConnectTimeout(Duration),
    /// Nothing listens on the target port (recorded).
    #[error("connection refused")]
    ConnectionRefused,
    /// The peer reset the connection (recorded).
    #[error("connection reset")]
    ConnectionReset,
    /// The server closed the connection before answering (recorded).
    #[error("connection closed")]
    ConnectionClosed,
    /// The host name did not resolve (recorded).
    #[error("dns: cannot resolve {0}")]
    Dns(String),
    /// The TLS handshake failed (recorded).
    #[error("tls: {0}")]
    Tls(String),
    /// Any other transport or protocol error (recorded).
    #[error("{0}")]
    Transport(String),
    /// More redirects than the limit (recorded).
    #[error("too many redirects ({0})")]
    TooManyRedirects(usize),
    /// A redirect had no usable `Location`, or would replay a one-shot body (recorded).
    #[error("bad redirect: {0}")]
    Redirect(String),
    /// The URL (base or request) could not be used; not recorded (a scenario bug).
    #[error("invalid URL {0}")]
    InvalidUrl(String),
    /// The method name is not a valid HTTP token; not recorded (a scenario bug).
    #[error("invalid method")]
    InvalidMethod,
    /// A header name or value could not be used; not recorded (a scenario bug).
    #[error("invalid header {0}")]
    InvalidHeader(String),
    /// The request body could not be opened (e.g. a missing upload file); not recorded.
    #[error("request body: {0}")]
    Body(String),
    /// A kept response body was not what the scenario expected (bad JSON); not recorded,
    /// so it shows as an exception.
    #[error("response body: {0}")]
    Decode(String),
    /// `ctx.session()` found no `swarm_http::Client` in the run's extensions; not recorded.
    #[error(
        "no swarm_http::Client in the run's extensions: insert one into RunnerConfig.extensions"
    )]
    MissingClient,
    /// `ctx.session()` found no host for the run; not recorded.
    #[error("no host given for this run: pass --host (or use Session::new with a base URL)")]
    MissingHost,
}

impl Error {
    /// Whether this failure was already recorded into the stats (request failures are;
    /// usage errors such as an invalid URL are not).
    pub fn is_recorded(&self) -> bool {
        !matches!(
            self,
            Self::InvalidUrl(_)
                | Self::InvalidMethod
                | Self::InvalidHeader(_)
                | Self::Body(_)
                | Self::Decode(_)
                | Self::MissingClient
                | Self::MissingHost
        )
    }

    /// The response that failed, for a status or check failure.
    pub fn response(&self) -> Option<&Response> {
        match self {
            Self::Status(r) | Self::Check { response: r, .. } => Some(r),
            _ => None,
        }
    }

    /// The HTTP status of the response that failed, if one arrived.
    pub fn status(&self) -> Option<http::StatusCode> {
        self.response().map(Response::status)
    }

    /// Whether this is a timeout (connect or whole request).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::ConnectTimeout(_))
    }
}

impl From<Error> for TaskError {
    fn from(e: Error) -> Self {
        if e.is_recorded() {
            TaskError::Failed(e.to_string())
        } else {
            TaskError::Exception(e.to_string())
        }
    }
}

/// `HTTP 404 Not Found`, or `HTTP 599` for a status without a canonical reason.
pub(crate) fn status_text(status: http::StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("HTTP {} {reason}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    }
}

/// `30 s` for whole seconds, else `1500 ms`: what a user configured, read back plainly.
pub(crate) fn fmt_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Maps an I/O error of the transport to its grouping text.
pub(crate) fn from_io(e: &std::io::Error) -> Error {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => Error::ConnectionRefused,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => Error::ConnectionReset,
        K::UnexpectedEof => Error::ConnectionClosed,
        // hyper reports broken framing (a bad chunk size line, a missing CRLF) this way; its
        // texts are fixed, short and name the problem.
        K::InvalidInput | K::InvalidData if e.get_ref().is_some() => Error::Transport(format!(
            "invalid response body: {}",
            e.get_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
                .to_lowercase()
        )),
        _ => {
            if let Some(tls) = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                return Error::Tls(tls.to_string());
            }
            Error::Transport(format!("io: {}", e.kind()))
        }
    }
}

/// Maps a hyper error (sending or reading a body) to its grouping text.
pub(crate) fn from_hyper(e: &hyper::Error) -> Error {
    if let Some(io) = find_io(e) {
        return from_io(io);
    }
    if e.is_incomplete_message() || e.is_canceled() || e.is_closed() {
        return Error::ConnectionClosed;
    }
    if e.is_parse() {
        return Error::Transport("invalid response".to_owned());
    }
    if e.is_body_write_aborted() || e.is_user() {
        // A user body (file or stream) failed while being sent.
        return Error::Transport(format!("request body: {e}"));
    }
    Error::Transport(format!("http: {e}"))
}

fn find_io<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        cur = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_short_and_stable() {
        let cases: &[(Error, &str)] = &[
            (
                Error::Timeout(Duration::from_secs(30)),
                "timeout after 30 s",
            ),
            (
                Error::Timeout(Duration::from_millis(1500)),
                "timeout after 1500 ms",
            ),
            (
                Error::ConnectTimeout(Duration::from_secs(10)),
                "connect timeout after 10 s",
            ),
            (Error::ConnectionRefused, "connection refused"),
            (Error::ConnectionReset, "connection reset"),
            (Error::TooManyRedirects(10), "too many redirects (10)"),
            (Error::Tls("unknown issuer".into()), "tls: unknown issuer"),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), *text);
        }
        assert_eq!(
            status_text(http::StatusCode::UNAUTHORIZED),
            "HTTP 401 Unauthorized"
        );
        assert_eq!(
            status_text(http::StatusCode::from_u16(599).unwrap()),
            "HTTP 599"
        );
    }

    #[test]
    fn usage_errors_become_exceptions() {
        assert!(matches!(
            TaskError::from(Error::MissingHost),
            TaskError::Exception(_)
        ));
        assert_eq!(
            TaskError::from(Error::ConnectionRefused),
            TaskError::Failed("connection refused".into())
        );
    }
}
