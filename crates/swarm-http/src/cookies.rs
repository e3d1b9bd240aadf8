//! A session's cookie jar: cookie_store does the RFC 6265 rules (domain, path, expiry,
//! Max-Age, Secure, HttpOnly); this wrapper keeps the no-cookie path free of URL building.

use cookie_store::CookieStore;
use http::HeaderValue;
use url::Url;

/// One cookie in a session's jar, as [`crate::Session::cookies`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    /// The cookie's name.
    pub name: String,
    /// The cookie's value.
    pub value: String,
    /// The domain it is sent to (the host itself for a host-only cookie).
    pub domain: String,
    /// The path prefix it is sent under.
    pub path: String,
    /// Sent only over https.
    pub secure: bool,
    /// Flagged HttpOnly by the server.
    pub http_only: bool,
}

/// The jar plus a count that lets requests skip cookie matching when it is empty.
#[derive(Debug, Default)]
pub(crate) struct Jar {
    store: CookieStore,
    /// Cookies ever stored since the last clear; zero means there is nothing to send.
    stored: usize,
}

impl Jar {
    /// Whether a request must build its URL to match cookies.
    pub(crate) fn is_empty(&self) -> bool {
        self.stored == 0
    }

    /// The `Cookie` header for `url`, if any cookie matches.
    pub(crate) fn header_for(&self, url: &Url) -> Option<HeaderValue> {
        let mut out = String::new();
        for (name, value) in self.store.get_request_values(url) {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(name);
            out.push('=');
            out.push_str(value);
        }
        if out.is_empty() {
            return None;
        }
        HeaderValue::try_from(out).ok()
    }

    /// Stores every `Set-Cookie` value received from `url`; invalid ones are ignored, as a
    /// browser does.
    pub(crate) fn store<'h>(&mut self, values: impl Iterator<Item = &'h HeaderValue>, url: &Url) {
        for value in values {
            let Ok(text) = value.to_str() else { continue };
            if self.store.parse(text, url).is_ok() {
                self.stored += 1;
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.store.clear();
        self.stored = 0;
    }

    pub(crate) fn list(&self) -> Vec<Cookie> {
        self.store
            .iter_unexpired()
            .map(|c| Cookie {
                name: c.name().to_owned(),
                value: c.value().to_owned(),
                domain: String::from(&c.domain),
                path: String::from(&c.path),
                secure: c.secure().unwrap_or(false),
                http_only: c.http_only().unwrap_or(false),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_by_path_and_expires() {
        let mut jar = Jar::default();
        assert!(jar.is_empty());
        let url = Url::parse("http://h.test/app/login").unwrap();
        let set = [
            HeaderValue::from_static("sid=1; Path=/app"),
            HeaderValue::from_static("other=2; Path=/elsewhere"),
            HeaderValue::from_static("gone=3; Max-Age=0"),
        ];
        jar.store(set.iter(), &url);
        assert!(!jar.is_empty());
        let h = jar.header_for(&Url::parse("http://h.test/app/x").unwrap());
        assert_eq!(h.unwrap(), "sid=1");
        assert!(
            jar.header_for(&Url::parse("http://h.test/").unwrap())
                .is_none()
        );
        assert_eq!(jar.list().len(), 2);
        jar.clear();
        assert!(jar.is_empty() && jar.list().is_empty());
    }
}
