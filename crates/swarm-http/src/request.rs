//! The request builder: method, target, query, headers, auth, body, stats name, expected
//! statuses and a response check; `send` (or a streaming variant) runs it.

use crate::body::BodySource;
use crate::response::Sink;
use crate::{Error, Response, Session, auth};
use bytes::Bytes;
use futures_util::Stream;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

pub(crate) type CheckFn<'a> = Box<dyn FnOnce(&Response) -> Result<(), String> + Send + 'a>;

/// Which `Authorization` a request sends.
pub(crate) enum Auth {
    /// The session's default (or an absolute URL's userinfo).
    Session,
    /// None at all.
    None,
    /// This request's own (basic or bearer).
    Own(HeaderValue),
}

/// A request being built; nothing is sent until [`RequestBuilder::send`] (or a streaming
/// variant) is awaited. Errors in the builder (a bad header) surface from `send`.
#[must_use = "a request does nothing until `.send().await`"]
pub struct RequestBuilder<'a> {
    pub(crate) session: &'a Session,
    pub(crate) method: Method,
    pub(crate) target: Cow<'a, str>,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) name: Option<Cow<'a, str>>,
    pub(crate) auth: Auth,
    pub(crate) body: BodySource,
    pub(crate) expect: Vec<u16>,
    pub(crate) check: Option<CheckFn<'a>>,
    pub(crate) follow_redirects: bool,
    pub(crate) max_redirects: Option<usize>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) keep_body: bool,
    pub(crate) error: Option<Error>,
}

impl<'a> RequestBuilder<'a> {
    pub(crate) fn new(session: &'a Session, method: Method, target: Cow<'a, str>) -> Self {
        Self {
            session,
            method,
            target,
            query: None,
            headers: HeaderMap::new(),
            name: None,
            auth: Auth::Session,
            body: BodySource::Empty,
            expect: Vec::new(),
            check: None,
            follow_redirects: true,
            max_redirects: None,
            timeout: None,
            keep_body: false,
            error: None,
        }
    }

    /// Keeps the first builder error; `send` reports it without sending.
    pub(crate) fn fail(mut self, error: Error) -> Self {
        self.error.get_or_insert(error);
        self
    }

    /// The name the stats group this request under (default: the path as given), e.g.
    /// `/files/[id]` for URLs that carry ids.
    pub fn name(mut self, name: impl Into<Cow<'a, str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds a header (repeatable; a default such as `User-Agent` is replaced).
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
    {
        let Ok(name) = name.try_into() else {
            return self.fail(Error::InvalidHeader("name".to_owned()));
        };
        match value.try_into() {
            Ok(value) => {
                self.headers.append(name, value);
                self
            }
            // The value may be a secret: only the header's name goes into the error.
            Err(_) => self.fail(Error::InvalidHeader(format!("value of {name}"))),
        }
    }

    /// Adds every header of `headers`.
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        for (name, value) in &headers {
            self.headers.append(name.clone(), value.clone());
        }
        self
    }

    /// Appends URL-encoded query parameters (after any query already in the target).
    pub fn query<I, K, V>(mut self, pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut query =
            url::form_urlencoded::Serializer::new(self.query.take().unwrap_or_default());
        query.extend_pairs(pairs);
        self.query = Some(query.finish());
        self
    }

    /// Basic auth for this request only (`user:password`, UTF-8), overriding the session's.
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.auth = Auth::Own(auth::basic(user, password));
        self
    }

    /// `Authorization: Bearer <token>` for this request only, overriding the session's.
    pub fn bearer_auth(mut self, token: &str) -> Self {
        match auth::bearer(token) {
            Some(h) => {
                self.auth = Auth::Own(h);
                self
            }
            None => self.fail(Error::InvalidHeader("value of authorization".to_owned())),
        }
    }

    /// Sends no `Authorization` at all, whatever the session's default.
    pub fn no_auth(mut self) -> Self {
        self.auth = Auth::None;
        self
    }

    /// A JSON body (`Content-Type: application/json`) serialized from `value`.
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(bytes) => self
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(bytes),
            Err(e) => self.fail(Error::Body(format!("cannot encode JSON: {e}"))),
        }
    }

    /// The body, from bytes (a `&'static str`, `String`, `Vec<u8>`, `Bytes`...).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = BodySource::Bytes(body.into());
        self
    }

    /// A URL-encoded form body, with its `Content-Type` unless one was set.
    pub fn form<I, K, V>(mut self, pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.body = BodySource::Bytes(encoded.into());
        if !self.headers.contains_key(CONTENT_TYPE) {
            self.headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
        }
        self
    }

    /// The body streamed from a file (fixed-size buffer, `Content-Length` from its metadata);
    /// the file is opened when the request is sent.
    pub fn body_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.body = BodySource::File(path.into());
        self
    }

    /// The body streamed from a reader; with `len` it is sent with `Content-Length`,
    /// without it chunked.
    pub fn body_reader(
        mut self,
        reader: impl AsyncRead + Send + 'static,
        len: Option<u64>,
    ) -> Self {
        self.body = BodySource::reader(reader, len);
        self
    }

    /// The body streamed from a stream of chunks; with `len` it is sent with
    /// `Content-Length`, without it chunked.
    pub fn body_stream(
        mut self,
        stream: impl Stream<Item = std::io::Result<Bytes>> + Send + 'static,
        len: Option<u64>,
    ) -> Self {
        self.body = BodySource::stream(stream, len);
        self
    }

    /// Statuses that count as success even though they are >= 400 (e.g. `[404]` for a
    /// delete that may find nothing); statuses below 400 always succeed.
    pub fn expect_status(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.expect.extend(statuses);
        self
    }

    /// A check on the response, run after its body was read (`send` then keeps the body for
    /// it): an `Err(reason)` records the request as failed with `check failed: <reason>`.
    pub fn check<F, E>(mut self, check: F) -> Self
    where
        F: FnOnce(&Response) -> Result<(), E> + Send + 'a,
        E: std::fmt::Display,
    {
        self.check = Some(Box::new(move |r| check(r).map_err(|e| e.to_string())));
        self
    }

    /// Whether redirects are followed (default yes, up to the client's limit).
    pub fn follow_redirects(mut self, follow: bool) -> Self {
        self.follow_redirects = follow;
        self
    }

    /// The redirect limit for this request.
    pub fn max_redirects(mut self, limit: usize) -> Self {
        self.max_redirects = Some(limit);
        self
    }

    /// The whole-request timeout for this request.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Keeps the response body in memory (by default it is read, counted and dropped).
    pub fn keep_body(mut self) -> Self {
        self.keep_body = true;
        self
    }

    /// Sends the request, reads the whole response, records it, and returns it; a failure
    /// (transport, timeout, unexpected status, failed check) is an `Err`, already recorded.
    ///
    /// A plain function returning the request's future rather than an `async fn` wrapping it,
    /// so the (large) future is not copied into one more layer on every request.
    pub fn send(self) -> impl Future<Output = Result<Response, Error>> + Send + 'a {
        let sink = if self.keep_body || self.check.is_some() {
            Sink::Keep
        } else {
            Sink::Discard
        };
        crate::send::execute(self, sink)
    }

    /// Sends the request and keeps the body (shorthand for `.keep_body().send()`).
    pub fn fetch(self) -> impl Future<Output = Result<Response, Error>> + Send + 'a {
        self.keep_body().send()
    }

    /// Sends the request and writes the response body to `writer` as it arrives.
    pub async fn write_to<W>(self, writer: &mut W) -> Result<Response, Error>
    where
        W: AsyncWrite + Unpin + Send,
    {
        crate::send::execute(self, Sink::Writer(writer)).await
    }

    /// Sends the request and hands each chunk of the response body to `on_chunk`.
    pub async fn for_each_chunk<F>(self, mut on_chunk: F) -> Result<Response, Error>
    where
        F: FnMut(&[u8]) + Send,
    {
        crate::send::execute(self, Sink::Chunks(&mut on_chunk)).await
    }
}

impl std::fmt::Debug for RequestBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("target", &crate::target::redact(&self.target))
            .finish_non_exhaustive()
    }
}
