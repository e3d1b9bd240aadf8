//! Where a request goes: the origin (scheme, host, port, precomputed `Host` header) and the
//! origin-form path, resolved from a session's base URL plus a path or an absolute URL.

use crate::Error;
use crate::auth;
use http::HeaderValue;
use std::borrow::Cow;
use std::sync::Arc;
use url::Url;

/// One scheme + host + port: the key connections are pooled by.
#[derive(Debug)]
pub(crate) struct Origin {
    pub(crate) tls: bool,
    /// Host as written in URLs (IPv6 in brackets), lowercase.
    pub(crate) host: Box<str>,
    pub(crate) port: u16,
    /// `host[:port]`, precomputed so the hot path only clones a refcount.
    pub(crate) host_header: HeaderValue,
    /// `scheme://host:port`, for cookie URLs, redirects and error texts.
    pub(crate) prefix: Box<str>,
}

impl Origin {
    fn from_url(url: &Url) -> Result<Self, Error> {
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            other => return Err(Error::InvalidUrl(format!("{}: scheme {other}", strip(url)))),
        };
        let host = url
            .host_str()
            .ok_or_else(|| Error::InvalidUrl(format!("{}: no host", strip(url))))?
            .to_ascii_lowercase();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| Error::InvalidUrl(format!("{}: no port", strip(url))))?;
        let default_port = if tls { 443 } else { 80 };
        let authority = if port == default_port {
            host.clone()
        } else {
            format!("{host}:{port}")
        };
        let host_header = HeaderValue::from_str(&authority)
            .map_err(|_| Error::InvalidUrl(format!("{}: host", strip(url))))?;
        let scheme = if tls { "https" } else { "http" };
        Ok(Self {
            tls,
            prefix: format!("{scheme}://{host}:{port}").into(),
            host: host.into(),
            port,
            host_header,
        })
    }

    /// The host to resolve and to name in TLS (IPv6 without brackets).
    pub(crate) fn connect_host(&self) -> &str {
        self.host.trim_start_matches('[').trim_end_matches(']')
    }

    /// Whether `self` and `other` can share a connection.
    pub(crate) fn same(self: &Arc<Self>, other: &Arc<Self>) -> bool {
        Arc::ptr_eq(self, other)
            || (self.tls == other.tls && self.port == other.port && self.host == other.host)
    }

    /// The full URL of `path_and_query` on this origin (for cookies and redirects).
    pub(crate) fn url(&self, path_and_query: &str) -> Result<Url, Error> {
        Url::parse(&format!("{}{path_and_query}", self.prefix))
            .map_err(|_| Error::InvalidUrl(format!("{}{path_and_query}", self.prefix)))
    }
}

/// A session's base URL, parsed once.
#[derive(Debug)]
pub(crate) struct Base {
    pub(crate) origin: Arc<Origin>,
    /// The base path without its trailing slash (`""` for a bare host).
    pub(crate) path: Box<str>,
    /// Basic auth from the base URL's userinfo, if any.
    pub(crate) auth: Option<HeaderValue>,
    /// The base URL as given, userinfo stripped.
    pub(crate) display: Box<str>,
}

impl Base {
    pub(crate) fn parse(base_url: &str) -> Result<Self, Error> {
        let url = Url::parse(base_url)
            .map_err(|e| Error::InvalidUrl(format!("{}: {e}", redact(base_url))))?;
        let origin = Arc::new(Origin::from_url(&url)?);
        Ok(Self {
            auth: userinfo_auth(&url),
            path: url.path().trim_end_matches('/').into(),
            display: without_userinfo(&url).into(),
            origin,
        })
    }
}

/// A request's resolved destination.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) origin: Arc<Origin>,
    /// Origin-form: `/path?query`, percent-encoded where the caller left raw characters.
    pub(crate) path_and_query: String,
    /// Basic auth from an absolute URL's userinfo.
    pub(crate) auth: Option<HeaderValue>,
}

/// Whether a request target is an absolute URL rather than a path.
pub(crate) fn is_absolute(target: &str) -> bool {
    let t = target.as_bytes();
    let starts = |p: &[u8]| t.len() >= p.len() && t[..p.len()].eq_ignore_ascii_case(p);
    starts(b"http://") || starts(b"https://")
}

/// Resolves `target` (a path joined to the base path, or an absolute URL) plus an encoded
/// extra query.
pub(crate) fn resolve(base: &Base, target: &str, query: Option<&str>) -> Result<Target, Error> {
    let (origin, mut pq, auth) = if is_absolute(target) {
        let url = Url::parse(target)
            .map_err(|e| Error::InvalidUrl(format!("{}: {e}", redact(target))))?;
        let origin = Arc::new(Origin::from_url(&url)?);
        let origin = if origin.same(&base.origin) {
            Arc::clone(&base.origin)
        } else {
            origin
        };
        let mut pq = url.path().to_owned();
        if let Some(q) = url.query() {
            pq.push('?');
            pq.push_str(q);
        }
        (origin, pq, userinfo_auth(&url))
    } else {
        let mut pq = String::with_capacity(base.path.len() + target.len() + 1);
        pq.push_str(&base.path);
        if !target.starts_with('/') {
            pq.push('/');
        }
        pq.push_str(&requote(target));
        (Arc::clone(&base.origin), pq, None)
    };
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        pq.push(if pq.contains('?') { '&' } else { '?' });
        pq.push_str(q);
    }
    Ok(Target {
        origin,
        path_and_query: pq,
        auth,
    })
}

/// Percent-encodes the bytes a URI may not carry raw (spaces, quotes, non-ASCII...), leaving
/// reserved characters and existing escapes alone, as `requests` does.
pub(crate) fn requote(s: &str) -> Cow<'_, str> {
    fn allowed(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
    }
    if s.bytes().all(allowed) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for b in s.bytes() {
        if allowed(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Cow::Owned(out)
}

/// `url` without credentials, for a base URL other sessions may be built from (not a
/// redaction: nothing of the userinfo is left to show).
fn without_userinfo(url: &Url) -> String {
    let mut clean = url.clone();
    // Only URLs that cannot carry userinfo refuse these, and those have none to strip.
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    clean.to_string()
}

/// `url` as text with its credentials hidden (see [`redact_url`]).
pub(crate) fn strip(url: &Url) -> String {
    redact_url(url.as_str())
}

/// The one redaction of URLs in everything swarm prints or writes (swarm-core's
/// `redact_userinfo`): `http://admin:pw@host/x` is shown as `http://admin:***@host/x`, a lone
/// user name (a token) as `***`; it works on text that does not parse as a URL too.
pub fn redact_url(text: &str) -> String {
    swarm_core::redact_userinfo(text).into_owned()
}

/// Text that may hold a URL, for an error message.
pub(crate) fn redact(raw: &str) -> String {
    redact_url(raw)
}

fn userinfo_auth(url: &Url) -> Option<HeaderValue> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |s: &str| percent_decode(s).unwrap_or_else(|| s.to_owned());
    Some(auth::basic(
        &decode(url.username()),
        &decode(url.password().unwrap_or("")),
    ))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_paths_and_urls() {
        let base = Base::parse("http://Example.test:8080/oc/").unwrap();
        assert_eq!(base.origin.host_header, "example.test:8080");
        let cases = [
            ("/a/b", None, "/oc/a/b"),
            ("a b", None, "/oc/a%20b"),
            ("/x?y=1", Some("z=2"), "/oc/x?y=1&z=2"),
            ("/x", Some("z=%C3%A9"), "/oc/x?z=%C3%A9"),
            ("http://example.test:8080/p?q", None, "/p?q"),
        ];
        for (target, query, want) in cases {
            let t = resolve(&base, target, query).unwrap();
            assert_eq!(t.path_and_query, want, "{target}");
            assert!(Arc::ptr_eq(&t.origin, &base.origin), "{target}");
        }
        let other = resolve(&base, "https://other.test/x", None).unwrap();
        assert!(other.origin.tls);
        assert_eq!(other.origin.host_header, "other.test");
    }

    #[test]
    fn userinfo_never_leaks() {
        let base = Base::parse("http://admin:s%C3%A9cret@host.test/").unwrap();
        assert!(!base.display.contains("cret"));
        assert!(base.auth.is_some());
        assert_eq!(redact("http://u:pw@host/x y"), "http://u:***@host/x y");
        let err = Base::parse("ftp://u:pw@host/").unwrap_err().to_string();
        assert!(!err.contains("pw"), "{err}");
    }
}
