//! Responses and reading their bodies: drained and counted by default, kept only when asked,
//! or streamed to a writer or a callback, so big downloads never grow memory.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode, Version};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Cap on the up-front allocation for a kept body, whatever `Content-Length` the server claims.
const MAX_PREALLOC: u64 = 8 * 1024 * 1024;

/// An HTTP response whose body was fully read (kept or only counted).
#[derive(Debug, Clone)]
pub struct Response {
    pub(crate) status: StatusCode,
    pub(crate) version: Version,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) bytes_received: u64,
    pub(crate) response_time: Duration,
    pub(crate) time_to_first_byte: Duration,
    pub(crate) redirects: usize,
}

impl Response {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The HTTP version the server answered with.
    pub fn version(&self) -> Version {
        self.version
    }

    /// All response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of header `name` as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The kept body; empty unless the request asked for it (`keep_body`, `check`).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Takes the kept body.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// The kept body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The kept body parsed as JSON into `T` (a struct, or `serde_json::Value`), e.g. to take
    /// a login token for later requests. The request must have kept its body (`fetch`).
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, crate::Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            crate::Error::Decode(if self.body.is_empty() {
                "empty body: was it kept? (use .fetch() or .keep_body())".to_owned()
            } else {
                format!("not the JSON expected: {e}")
            })
        })
    }

    /// The string at a JSON pointer (`/token`, `/data/0/id`) of the kept body, if there is
    /// one; numbers and booleans are given as text.
    pub fn json_field(&self, pointer: &str) -> Option<String> {
        let value: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        match value.pointer(pointer)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_)) => {
                Some(other.to_string())
            }
            _ => None,
        }
    }

    /// Payload bytes received (counted even when the body was not kept).
    pub fn bytes_received(&self) -> u64 {
        self.bytes_received
    }

    /// From send start to the last body byte, redirects included.
    pub fn response_time(&self) -> Duration {
        self.response_time
    }

    /// From send start to the final response's headers.
    pub fn time_to_first_byte(&self) -> Duration {
        self.time_to_first_byte
    }

    /// How many redirects were followed to get here.
    pub fn redirects(&self) -> usize {
        self.redirects
    }
}

/// Where a response body goes.
pub(crate) enum Sink<'s> {
    /// Counted, then dropped frame by frame.
    Discard,
    /// Kept in memory for `Response::body`.
    Keep,
    /// Written out as it arrives.
    Writer(&'s mut (dyn AsyncWrite + Unpin + Send)),
    /// Handed to a callback as it arrives.
    Chunks(&'s mut (dyn FnMut(&[u8]) + Send)),
}

/// Reads `body` to its end into `sink`, adding the payload size to `*bytes` as it goes (so a
/// timeout still knows how much arrived).
pub(crate) async fn read_body(
    body: &mut Incoming,
    sink: &mut Sink<'_>,
    size_hint: Option<u64>,
    bytes: &mut u64,
) -> Result<Bytes, crate::Error> {
    let mut first: Option<Bytes> = None;
    let mut rest: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| crate::error::from_hyper(&e))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        *bytes += data.len() as u64;
        match sink {
            Sink::Discard => {}
            Sink::Keep => match (&mut first, &mut rest) {
                (None, _) => first = Some(data),
                (Some(head), None) => {
                    let cap = size_hint.unwrap_or(0).min(MAX_PREALLOC) as usize;
                    let mut buf = BytesMut::with_capacity(cap.max(head.len() + data.len()));
                    buf.extend_from_slice(head);
                    buf.extend_from_slice(&data);
                    rest = Some(buf);
                }
                (Some(_), Some(buf)) => buf.extend_from_slice(&data),
            },
            Sink::Writer(w) => w
                .write_all(&data)
                .await
                .map_err(|e| crate::Error::Transport(format!("download write: {}", e.kind())))?,
            Sink::Chunks(f) => f(&data),
        }
    }
    if let Sink::Writer(w) = sink {
        w.flush()
            .await
            .map_err(|e| crate::Error::Transport(format!("download write: {}", e.kind())))?;
    }
    // A single frame is kept without a copy; only multi-frame bodies are concatenated.
    Ok(match (first, rest) {
        (_, Some(buf)) => buf.freeze(),
        (Some(b), None) => b,
        (None, None) => Bytes::new(),
    })
}
