//! Running one request: connection checkout with transparent retry on a connection the
//! server closed, cookies in and out, redirects, the body read, timing and recording.

use crate::body::{Payload, ReqBody};
use crate::conn::{self, Conn};
use crate::deadline::Timer;
use crate::error::from_hyper;
use crate::request::{Auth, RequestBuilder};
use crate::response::{Sink, read_body};
use crate::target::{self, Origin};
use crate::{Error, Response, Session};
use http::header::{
    AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HOST, LOCATION, SET_COOKIE,
    TRANSFER_ENCODING, USER_AGENT,
};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri, Version};
use hyper::body::{Body as _, Incoming};
use std::borrow::Cow;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use swarm_core::metrics::{Event, Outcome};
use url::Url;

/// What is known of a request in flight, kept outside the timed future so a timeout still
/// reports time to first byte and bytes received.
#[derive(Default)]
struct Progress {
    ttfb: Option<Duration>,
    bytes: u64,
}

/// One request's mutable state across retries and redirects.
struct Exchange<'x> {
    session: &'x Session,
    method: Method,
    origin: Arc<Origin>,
    uri: Uri,
    headers: HeaderMap,
    auth: Option<HeaderValue>,
    payload: Payload,
    follow: bool,
    max_redirects: usize,
    /// When the whole request times out, and the limit for the error text.
    deadline: tokio::time::Instant,
    limit: Duration,
}

/// Runs `b`, reading the body into `sink`, and records the outcome.
pub(crate) async fn execute(b: RequestBuilder<'_>, mut sink: Sink<'_>) -> Result<Response, Error> {
    let RequestBuilder {
        session,
        method,
        target,
        query,
        headers,
        name,
        auth,
        body,
        expect,
        check,
        follow_redirects,
        max_redirects,
        timeout,
        keep_body: _,
        error,
    } = b;
    if let Some(e) = error {
        return Err(e);
    }
    let options = &session.client.shared.options;
    let (origin, uri, url_auth) = route(session, &target, query.as_deref())?;
    let name: Cow<'_, str> = match name {
        Some(n) => n,
        // An absolute URL may carry userinfo; the stats must never show it.
        None if target.contains('@') => Cow::Owned(target::redact(&target)),
        None => target,
    };
    let auth = match auth {
        Auth::Session => url_auth.or_else(|| session.auth.clone()),
        Auth::None => None,
        Auth::Own(h) => Some(h),
    };
    let payload = body.open().await?;
    // The stats keep the method the scenario asked for, even after a 303 turned it into GET.
    let kind = method.clone();
    let limit = timeout.unwrap_or(options.get_request_timeout());
    // Every await below is bounded by this one deadline (see `deadline`), not by a timer
    // registered per request.
    let now = tokio::time::Instant::now();
    let deadline = now
        .checked_add(limit)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400));
    let mut x = Exchange {
        session,
        method,
        origin,
        uri,
        headers,
        auth,
        payload,
        follow: follow_redirects,
        max_redirects: max_redirects.unwrap_or(options.get_max_redirects()),
        deadline,
        limit,
    };
    let mut progress = Progress::default();

    let start = Instant::now();
    let mut in_flight = InFlight(session.client.recorder.as_ref());
    let result = run(&mut x, &mut progress, &mut sink, start).await;
    in_flight.0 = None;
    let elapsed = start.elapsed();

    let result = match result {
        Err(e) => Err(e),
        Ok(mut resp) => {
            resp.response_time = elapsed;
            let status = resp.status.as_u16();
            if status >= 400 && !expect.contains(&status) {
                Err(Error::Status(Box::new(resp)))
            } else if let Some(check) = check {
                match check(&resp) {
                    Ok(()) => Ok(resp),
                    Err(reason) => Err(Error::Check {
                        reason,
                        response: Box::new(resp),
                    }),
                }
            } else {
                Ok(resp)
            }
        }
    };

    if let Some(recorder) = &session.client.recorder {
        let text;
        let outcome = match &result {
            Ok(_) => Outcome::Success,
            Err(e) => {
                text = e.to_string();
                Outcome::Failure(&text)
            }
        };
        recorder.record(&Event {
            kind: kind.as_str(),
            name: &name,
            response_time: elapsed,
            time_to_first_byte: progress.ttfb,
            bytes: progress.bytes,
            outcome,
        });
    }
    result
}

/// Where `target` goes: its origin, URI and URL credentials. A relative path asked for again
/// (as a load loop does) reuses the URI the session resolved it to last time.
fn route(
    session: &Session,
    target: &str,
    query: Option<&str>,
) -> Result<(Arc<Origin>, Uri, Option<HeaderValue>), Error> {
    let cacheable = query.is_none() && !target::is_absolute(target);
    if cacheable {
        if let Some(uri) = session.state.known_route(target) {
            return Ok((Arc::clone(&session.base.origin), uri, None));
        }
    }
    let resolved = target::resolve(&session.base, target, query)?;
    let uri = Uri::try_from(resolved.path_and_query)
        .map_err(|_| Error::InvalidUrl(target::redact(target)))?;
    if cacheable {
        session.state.remember_route(target, &uri);
    }
    Ok((resolved.origin, uri, resolved.auth))
}

/// Counts the request as cut off by a stop if its future is dropped before it finished
/// (the user was cancelled mid-request), so no request vanishes without a trace.
struct InFlight<'a>(Option<&'a swarm_core::metrics::Recorder>);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(recorder) = self.0 {
            recorder.record_interrupted();
        }
    }
}

async fn run(
    x: &mut Exchange<'_>,
    progress: &mut Progress,
    sink: &mut Sink<'_>,
    start: Instant,
) -> Result<Response, Error> {
    let mut redirects = 0;
    loop {
        let mut url: Option<Url> = None;
        let cookie = {
            let jar = x.session.state.jar();
            if jar.is_empty() {
                None
            } else {
                let u = x.origin.url(pq(&x.uri))?;
                let header = jar.header_for(&u);
                url = Some(u);
                header
            }
        };
        let (resp, mut conn) = dispatch(x, cookie).await?;
        let ttfb = start.elapsed();
        progress.ttfb = Some(ttfb);
        let (parts, mut body) = resp.into_parts();
        if parts.headers.contains_key(SET_COOKIE) {
            let u = match url.take() {
                Some(u) => u,
                None => x.origin.url(pq(&x.uri))?,
            };
            x.session
                .state
                .jar()
                .store(parts.headers.get_all(SET_COOKIE).iter(), &u);
            url = Some(u);
        }
        let reusable = keep_alive(parts.version, &parts.headers);

        if x.follow && is_redirect(parts.status) {
            if let Some(location) = parts.headers.get(LOCATION) {
                // Drained so the connection stays usable for the next hop.
                let mut ignored = 0;
                let mut discard = Sink::Discard;
                {
                    let drain = pin!(read_body(&mut body, &mut discard, None, &mut ignored));
                    let drain = conn.driver.drive(drain);
                    timed((x.deadline, x.limit), &mut conn.timer, drain).await??;
                }
                release(x.session, conn, reusable);
                if redirects == x.max_redirects {
                    return Err(Error::TooManyRedirects(x.max_redirects));
                }
                redirects += 1;
                let from = match url {
                    Some(u) => u,
                    None => x.origin.url(pq(&x.uri))?,
                };
                follow(x, parts.status, location, &from)?;
                continue;
            }
        }

        // hyper knows the framing: an exact hint for Content-Length bodies, 0 for HEAD.
        let hint = body.size_hint().exact();
        let kept = {
            let read = pin!(read_body(&mut body, sink, hint, &mut progress.bytes));
            let read = conn.driver.drive(read);
            timed((x.deadline, x.limit), &mut conn.timer, read).await??
        };
        release(x.session, conn, reusable);
        return Ok(Response {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            body: kept,
            bytes_received: progress.bytes,
            response_time: Duration::ZERO,
            time_to_first_byte: ttfb,
            redirects,
        });
    }
}

fn pq(uri: &Uri) -> &str {
    uri.path_and_query().map_or("/", |p| p.as_str())
}

/// Sends the request on an idle connection or a new one. A reused connection that the
/// server closed meanwhile is replaced transparently: always when hyper hands the request
/// back unsent, once when it was sent but the request is idempotent and its body replayable.
async fn dispatch(
    x: &mut Exchange<'_>,
    cookie: Option<HeaderValue>,
) -> Result<(hyper::Response<Incoming>, Conn), Error> {
    let shared = &x.session.client.shared;
    let pool = &x.session.state.pool;
    let mut body = x
        .payload
        .take()
        .ok_or_else(|| Error::Redirect("cannot resend a streamed body".to_owned()))?;
    let mut resent = false;
    loop {
        let (mut conn, reused) = match pool.take(&x.origin) {
            Some(c) => (c, true),
            // Boxed: connecting (DNS, TLS) is rare but its future is large, and inline it
            // would make every request's future (moved on each call) several KB bigger.
            None => {
                // Connecting is rare: a plain timer registration is fine here.
                let connect = Box::pin(conn::connect(shared, &x.origin));
                match tokio::time::timeout_at(x.deadline, connect).await {
                    Ok(c) => (c?, false),
                    Err(_) => return Err(Error::Timeout(x.limit)),
                }
            }
        };
        // A kept connection that finished its last exchange already wants the next request,
        // so this is ready at its first poll, before hyper's connection is polled (see
        // `Driven`). Should the server have closed it meanwhile, hyper sees that before
        // writing and hands the request back.
        let ready = {
            let ready = pin!(conn.sender.ready());
            let ready = conn.driver.drive(ready);
            timed((x.deadline, x.limit), &mut conn.timer, ready).await?
        };
        if let Err(e) = ready {
            if reused {
                continue;
            }
            return Err(from_hyper(&e));
        }
        let req = build(x, cookie.clone(), body);
        conn.count_sent();
        let sent = {
            let sent = pin!(conn.sender.try_send_request(req));
            let sent = conn.driver.drive(sent);
            timed((x.deadline, x.limit), &mut conn.timer, sent).await?
        };
        match sent {
            Ok(resp) => return Ok((resp, conn)),
            Err(mut e) => {
                let unsent = e.take_message();
                let err = e.into_error();
                if reused {
                    if let Some(req) = unsent {
                        body = req.into_body();
                        continue;
                    }
                    if !resent && is_idempotent(&x.method) && x.payload.replayable() {
                        let mapped = from_hyper(&err);
                        if matches!(mapped, Error::ConnectionClosed | Error::ConnectionReset) {
                            if let Some(b) = x.payload.take() {
                                resent = true;
                                body = b;
                                continue;
                            }
                        }
                        return Err(mapped);
                    }
                }
                return Err(from_hyper(&err));
            }
        }
    }
}

/// Awaits `fut` within the request's deadline, on the connection's reusable timer.
async fn timed<F: Future + Unpin>(
    (deadline, limit): (tokio::time::Instant, Duration),
    timer: &mut Timer,
    fut: F,
) -> Result<F::Output, Error> {
    timer
        .until(deadline, fut)
        .await
        .map_err(|_| Error::Timeout(limit))
}

fn build(x: &Exchange<'_>, cookie: Option<HeaderValue>, body: ReqBody) -> Request<ReqBody> {
    let mut req = Request::new(body);
    *req.method_mut() = x.method.clone();
    *req.uri_mut() = x.uri.clone();
    let shared = &x.session.client.shared;
    let headers = req.headers_mut();
    // Most requests set no header of their own: then nothing needs looking up before the
    // defaults go in.
    let own = !x.headers.is_empty();
    if own {
        headers.clone_from(&x.headers);
    } else {
        headers.reserve(5);
    }
    if !own || !headers.contains_key(HOST) {
        headers.insert(HOST, x.origin.host_header.clone());
    }
    if !own || !headers.contains_key(USER_AGENT) {
        headers.insert(USER_AGENT, shared.user_agent.clone());
    }
    if let Some(auth) = &x.auth {
        if !own || !headers.contains_key(AUTHORIZATION) {
            headers.insert(AUTHORIZATION, auth.clone());
        }
    }
    if let Some(cookie) = cookie {
        headers.append(COOKIE, cookie);
    }
    // As requests and browsers do: servers may answer 411 to a body-less POST without it.
    if matches!(req.body(), ReqBody::Empty)
        && matches!(x.method, Method::POST | Method::PUT | Method::PATCH)
    {
        req.headers_mut()
            .entry(CONTENT_LENGTH)
            .or_insert(HeaderValue::from_static("0"));
    }
    req
}

/// Returns a connection to the session's idle list unless the server said it closes it.
fn release(session: &Session, conn: Conn, reusable: bool) {
    if reusable {
        session.state.pool.put(
            conn,
            session.client.shared.options.get_max_idle_per_session(),
        );
    }
}

/// Whether the server keeps the connection open after this response.
fn keep_alive(version: Version, headers: &HeaderMap) -> bool {
    let has = |token: &str| {
        headers.get_all(CONNECTION).iter().any(|v| {
            v.as_bytes()
                .split(|b| *b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
        })
    };
    if version == Version::HTTP_10 {
        has("keep-alive")
    } else {
        !has("close")
    }
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        method.as_str(),
        "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE" | "PROPFIND"
    )
}

/// Points the exchange at the redirect target, as `requests` does: 303 (and 301/302 after a
/// POST) become a body-less GET; 307/308 resend method and body; auth is dropped when the
/// origin changes.
fn follow(
    x: &mut Exchange<'_>,
    status: StatusCode,
    location: &HeaderValue,
    from: &Url,
) -> Result<(), Error> {
    let location = location
        .to_str()
        .map_err(|_| Error::Redirect("Location is not text".to_owned()))?;
    let next = from
        .join(location)
        .map_err(|_| Error::Redirect(format!("invalid Location {}", target::redact(location))))?;
    if !matches!(next.scheme(), "http" | "https") {
        // Anything else would be read as a path on this server, credentials and all.
        return Err(Error::Redirect(format!(
            "refused a redirect to a {} URL: only http and https are followed",
            next.scheme()
        )));
    }
    let next_target = target::resolve(&x.session.base, next.as_str(), None)
        .map_err(|e| Error::Redirect(e.to_string()))?;
    if !next_target.origin.same(&x.origin) {
        // Credentials are for the origin they were given for, never for where it points, and
        // a Location's own userinfo is never sent anywhere.
        x.auth = None;
        x.headers.remove(AUTHORIZATION);
    }
    x.origin = next_target.origin;
    x.uri = Uri::try_from(next_target.path_and_query)
        .map_err(|_| Error::Redirect("invalid Location".to_owned()))?;
    let to_get = match status.as_u16() {
        303 => x.method != Method::HEAD,
        301 | 302 => x.method == Method::POST,
        _ => false,
    };
    if to_get {
        x.method = Method::GET;
        x.payload = Payload::Empty;
        for h in [CONTENT_TYPE, CONTENT_LENGTH, TRANSFER_ENCODING] {
            x.headers.remove(h);
        }
    } else if !x.payload.replayable() {
        return Err(Error::Redirect("cannot resend a streamed body".to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_alive_rules() {
        use Version as V;
        let cases: [(V, &[&'static str], bool); 9] = [
            (V::HTTP_11, &[], true),
            (V::HTTP_10, &[], false),
            (V::HTTP_10, &["Keep-Alive"], true),
            (V::HTTP_10, &["upgrade,  keep-alive "], true),
            (V::HTTP_11, &["keep-alive"], true),
            (V::HTTP_11, &["Close"], false),
            (V::HTTP_11, &["upgrade, close"], false),
            (V::HTTP_11, &["upgrade", " close"], false),
            (V::HTTP_11, &["closed"], true),
        ];
        for (version, values, kept) in cases {
            let mut h = HeaderMap::new();
            for v in values {
                h.append(CONNECTION, HeaderValue::from_static(v));
            }
            assert_eq!(keep_alive(version, &h), kept, "{version:?} {values:?}");
        }
    }
}
