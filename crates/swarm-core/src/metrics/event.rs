//! The one small recording interface every protocol plug-in uses.

use std::time::Duration;

/// Whether a timed operation succeeded, and if not, the short text failures are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// The operation succeeded.
    Success,
    /// The operation failed; the text must be short, stable enough to group, and secret-free.
    Failure(&'a str),
}

/// One timed operation (an HTTP request, a query, a message...), as a protocol reports it.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    /// What kind of operation: `GET`, `PUT`, `PROPFIND`, `query`...
    pub kind: &'a str,
    /// The display name the stats group by (defaults to the path for HTTP).
    pub name: &'a str,
    /// From the start of sending to the last byte of the answer.
    pub response_time: Duration,
    /// From the start of sending to the first byte of the answer, when known.
    pub time_to_first_byte: Option<Duration>,
    /// Bytes of payload received.
    pub bytes: u64,
    /// Success or failure with its grouping text.
    pub outcome: Outcome<'a>,
}
