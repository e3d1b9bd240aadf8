//! Who may use the web UI: optional basic auth (`--web-auth user:password`) on every route,
//! and for requests that change state, no cross-site callers and no DNS rebinding.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use std::sync::Arc;

/// `--web-auth` credentials. Debug never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    user: String,
    password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

/// Why `--web-auth` was refused; never quotes the value, which holds a password.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum CredentialsError {
    /// Not `user:password` with both parts present.
    #[error("--web-auth must be user:password, both non-empty")]
    Malformed,
}

impl Credentials {
    /// Parses `user:password` (the password may contain `:`).
    pub(crate) fn parse(text: &str) -> Result<Self, CredentialsError> {
        match text.split_once(':') {
            Some((user, password)) if !user.is_empty() && !password.is_empty() => Ok(Self {
                user: user.to_owned(),
                password: password.to_owned(),
            }),
            _ => Err(CredentialsError::Malformed),
        }
    }

    /// Whether an `Authorization` header value carries these credentials.
    fn accepts(&self, authorization: Option<&str>) -> bool {
        let Some(encoded) = authorization.and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
        }) else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
            return false;
        };
        let expected = format!("{}:{}", self.user, self.password);
        constant_time_eq(&decoded, expected.as_bytes())
    }
}

/// Compares without an early exit, so timing does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= x ^ y;
    }
    diff == 0
}

/// The checks every request passes.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    /// `--web-auth`, if given.
    pub(crate) credentials: Option<Credentials>,
    /// Bound to a loopback address: then only loopback host names are served, so a web page
    /// whose domain is re-pointed at 127.0.0.1 (DNS rebinding) cannot reach the API.
    pub(crate) loopback_only: bool,
}

/// Why a request was turned away.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No or wrong credentials.
    #[error("authentication required")]
    Unauthorized,
    /// The Host header names no loopback address while the UI is bound to one.
    #[error("the Host header must name this machine (127.0.0.1 or localhost)")]
    ForeignHost,
    /// A browser sent it from another site.
    #[error("cross-site requests may not change the test")]
    CrossSite,
    /// A body that no cross-site form would carry is required.
    #[error(
        "send a form (application/x-www-form-urlencoded) or JSON body, or an X-Requested-With header"
    )]
    ContentType,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::ForeignHost | Self::CrossSite => StatusCode::FORBIDDEN,
            Self::ContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        };
        let mut response = (status, self.to_string()).into_response();
        if self == Self::Unauthorized {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"swarm\""),
            );
        }
        response
    }
}

/// Routes that change the test, and that Locust 1.x served to GET: swarm (as Locust 2.47)
/// serves them to POST only, and still refuses a cross-site GET before it reaches the 405.
const CHANGING_GETS: &[&str] = &["/stop", "/stats/reset"];

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `host[:port]` of a URL (Origin or Referer), lowercased.
fn authority_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    Some(match parsed.port() {
        Some(port) => format!("{host}:{port}").to_ascii_lowercase(),
        None => host.to_ascii_lowercase(),
    })
}

/// Whether a Host header value names this machine.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        // `[::1]:8089` or `127.0.0.1:8089`; a bare IPv6 address has no port to strip.
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Guard {
    /// The verdict on a request, from its method, path and headers.
    pub(crate) fn check(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Result<(), Refusal> {
        if let Some(credentials) = &self.credentials {
            if !credentials.accepts(header_str(headers, header::AUTHORIZATION)) {
                return Err(Refusal::Unauthorized);
            }
        }
        let host = header_str(headers, header::HOST).unwrap_or_default();
        if self.loopback_only && !is_loopback_host(host) {
            return Err(Refusal::ForeignHost);
        }
        let changing = *method == Method::POST || CHANGING_GETS.contains(&path);
        if !changing {
            return Ok(());
        }
        // Browsers say where a request comes from; scripts (curl, requests) say nothing.
        if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
            if !matches!(site, "same-origin" | "none") {
                return Err(Refusal::CrossSite);
            }
        }
        let source =
            header_str(headers, header::ORIGIN).or_else(|| header_str(headers, header::REFERER));
        if let Some(source) = source {
            if authority_of(source).is_none_or(|a| !a.eq_ignore_ascii_case(host)) {
                return Err(Refusal::CrossSite);
            }
        }
        if *method == Method::POST && !has_safe_body(headers) {
            return Err(Refusal::ContentType);
        }
        Ok(())
    }
}

/// A POST with no body, a form or JSON body, or the custom header no simple cross-site
/// request can carry.
fn has_safe_body(headers: &HeaderMap) -> bool {
    if headers.contains_key("x-requested-with") {
        return true;
    }
    let Some(content_type) = header_str(headers, header::CONTENT_TYPE) else {
        return true;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "application/x-www-form-urlencoded" | "application/json"
    )
}

/// The middleware: runs [`Guard::check`] before every route.
pub(crate) async fn middleware(
    State(guard): State<Arc<Guard>>,
    req: Request,
    next: Next,
) -> Response {
    match guard.check(req.method(), req.uri().path(), req.headers()) {
        Ok(()) => next.run(req).await,
        Err(refusal) => refusal.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header value"));
        }
        h
    }

    const HOST: (&str, &str) = ("host", "127.0.0.1:8089");

    /// Guard, method, path, headers, and the verdict they must get.
    type Case<'a> = (
        &'a Guard,
        Method,
        &'a str,
        Vec<(&'static str, &'a str)>,
        Result<(), Refusal>,
    );

    #[test]
    fn credentials_parse_without_echoing_the_password() {
        assert!(Credentials::parse("me:pa:ss").is_ok());
        for bad in ["nopassword", ":pw", "user:", ""] {
            let err = Credentials::parse(bad)
                .map(|_| ())
                .map_err(|e| e.to_string());
            assert_eq!(
                err,
                Err("--web-auth must be user:password, both non-empty".into())
            );
        }
        let shown = format!("{:?}", Credentials::parse("me:s3cret"));
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn verdicts() {
        let open = Guard {
            credentials: None,
            loopback_only: true,
        };
        let locked = Guard {
            credentials: Credentials::parse("me:pw").ok(),
            loopback_only: false,
        };
        let good = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("me:pw")
        );
        let bad = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("me:px")
        );
        let form = ("content-type", "application/x-www-form-urlencoded");
        let cases: Vec<Case<'_>> = vec![
            (&open, Method::GET, "/", vec![HOST], Ok(())),
            (
                &open,
                Method::GET,
                "/stats/requests",
                vec![HOST, ("origin", "http://evil.test")],
                Ok(()),
            ),
            (&open, Method::POST, "/swarm", vec![HOST, form], Ok(())),
            (&open, Method::POST, "/stop", vec![HOST], Ok(())),
            (
                &open,
                Method::POST,
                "/swarm",
                vec![HOST, form, ("origin", "http://127.0.0.1:8089")],
                Ok(()),
            ),
            (
                &open,
                Method::POST,
                "/swarm",
                vec![HOST, form, ("referer", "http://127.0.0.1:8089/")],
                Ok(()),
            ),
            (
                &open,
                Method::POST,
                "/swarm",
                vec![HOST, form, ("sec-fetch-site", "same-origin")],
                Ok(()),
            ),
            (
                &open,
                Method::POST,
                "/swarm",
                vec![HOST, ("content-type", "application/json; charset=utf-8")],
                Ok(()),
            ),
            (
                &open,
                Method::POST,
                "/swarm",
                vec![
                    HOST,
                    ("content-type", "text/plain"),
                    ("x-requested-with", "x"),
                ],
                Ok(()),
            ),
            (
                &open,
                Method::GET,
                "/",
                vec![("host", "localhost:8089")],
                Ok(()),
            ),
            (
                &open,
                Method::GET,
                "/",
                vec![("host", "[::1]:8089")],
                Ok(()),
            ),
            (
                &open,
                Method::GET,
                "/",
                vec![("host", "evil.test:8089")],
                Err(Refusal::ForeignHost),
            ),
            (&open, Method::GET, "/", vec![], Err(Refusal::ForeignHost)),
            (
                &open,
                Method::POST,
                "/swarm",
                vec![HOST, form, ("origin", "http://evil.test")],
                Err(Refusal::CrossSite),
            ),
            (
                &open,
                Method::POST,
                "/swarm",
                vec![HOST, form, ("origin", "http://127.0.0.1:9999")],
                Err(Refusal::CrossSite),
            ),
            (
                &open,
                Method::POST,
                "/swarm",
                vec![HOST, form, ("origin", "null")],
                Err(Refusal::CrossSite),
            ),
            (
                &open,
                Method::POST,
                "/stop",
                vec![HOST, ("referer", "http://evil.test/page")],
                Err(Refusal::CrossSite),
            ),
            (
                &open,
                Method::GET,
                "/stop",
                vec![HOST, ("sec-fetch-site", "cross-site")],
                Err(Refusal::CrossSite),
            ),
            (
                &open,
                Method::GET,
                "/stats/reset",
                vec![HOST, ("referer", "http://evil.test/")],
                Err(Refusal::CrossSite),
            ),
            (
                &open,
                Method::POST,
                "/swarm",
                vec![HOST, form, ("sec-fetch-site", "same-site")],
                Err(Refusal::CrossSite),
            ),
            (
                &open,
                Method::POST,
                "/swarm",
                vec![HOST, ("content-type", "text/plain")],
                Err(Refusal::ContentType),
            ),
            (
                &open,
                Method::POST,
                "/swarm",
                vec![HOST, ("content-type", "multipart/form-data; boundary=x")],
                Err(Refusal::ContentType),
            ),
            (
                &locked,
                Method::GET,
                "/",
                vec![HOST],
                Err(Refusal::Unauthorized),
            ),
            (
                &locked,
                Method::GET,
                "/",
                vec![HOST, ("authorization", bad.as_str())],
                Err(Refusal::Unauthorized),
            ),
            (
                &locked,
                Method::GET,
                "/",
                vec![HOST, ("authorization", "Bearer x")],
                Err(Refusal::Unauthorized),
            ),
            (
                &locked,
                Method::GET,
                "/",
                vec![HOST, ("authorization", good.as_str())],
                Ok(()),
            ),
            (
                &locked,
                Method::GET,
                "/",
                vec![
                    ("host", "loadgen.example:8089"),
                    ("authorization", good.as_str()),
                ],
                Ok(()),
            ),
        ];
        for (guard, method, path, pairs, want) in cases {
            let got = guard.check(&method, path, &headers(&pairs));
            assert_eq!(got, want, "{method} {path} {pairs:?}");
        }
    }

    #[test]
    fn equal_bytes_only() {
        assert!(constant_time_eq(b"abc", b"abc"));
        for (a, b) in [(&b"abc"[..], &b"abd"[..]), (b"abc", b"ab"), (b"", b"a")] {
            assert!(!constant_time_eq(a, b));
        }
    }
}
