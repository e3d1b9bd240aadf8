//! HTTP basic auth: the header value is computed once and then only cloned (a refcount).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderValue;

/// `Basic base64(user:password)` over the UTF-8 bytes, marked sensitive so it never shows in
/// `Debug` output.
pub(crate) fn basic(user: &str, password: &str) -> HeaderValue {
    let mut raw = String::with_capacity(user.len() + password.len() + 1);
    raw.push_str(user);
    raw.push(':');
    raw.push_str(password);
    let mut value = String::with_capacity(6 + raw.len().div_ceil(3) * 4);
    value.push_str("Basic ");
    STANDARD.encode_string(raw.as_bytes(), &mut value);
    // Base64 output and "Basic " are plain visible ASCII, always a valid header value.
    let mut header = HeaderValue::try_from(value).unwrap_or_else(|_| HeaderValue::from_static(""));
    header.set_sensitive(true);
    header
}

/// `Bearer <token>`, marked sensitive; `None` when the token cannot be a header value.
pub(crate) fn bearer(token: &str) -> Option<HeaderValue> {
    let mut header = HeaderValue::try_from(format!("Bearer {token}")).ok()?;
    header.set_sensitive(true);
    Some(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_bytes() {
        let cases = [
            ("admin", "admin", "Basic YWRtaW46YWRtaW4="),
            (
                "Aladdin",
                "open sesame",
                "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
            ),
            ("jürgen", "pässwörd€", "Basic asO8cmdlbjpww6Rzc3fDtnJk4oKs"),
            ("", "", "Basic Og=="),
        ];
        for (u, p, want) in cases {
            let h = basic(u, p);
            assert_eq!(h.as_bytes(), want.as_bytes(), "{u}");
            assert!(h.is_sensitive());
            assert!(!format!("{h:?}").contains("Basic"));
        }
    }
}
