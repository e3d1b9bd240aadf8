//! [`Secret`]: a string that cannot be printed. Passwords and tokens live in it from the
//! moment they are read, so no `Debug`, `Display` or log line can show them by accident.
//! [`redact_userinfo`] is the one redaction of credentials inside URLs, applied to every text
//! the metrics keep (exceptions) and to every URL swarm prints.

use std::borrow::Cow;
use std::convert::Infallible;
use std::str::FromStr;

/// A secret value: shown as `***` by `Debug` and `Display`; read it with [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send it (e.g. basic auth).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// So clap options can be typed `Secret` directly.
impl FromStr for Secret {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

/// So test data (a feeder's `password` column) can be read straight into a `Secret`. There
/// is deliberately no `Serialize`: a secret cannot end up in a report.
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

/// Ends a URL's authority (`scheme://AUTHORITY/...`) inside free text.
fn ends_authority(c: char) -> bool {
    matches!(
        c,
        '/' | '?' | '#' | '"' | '\'' | '`' | '<' | '>' | ',' | ';'
    ) || c.is_whitespace()
}

/// `text` with the credentials of every URL in it hidden: `http://admin:pw@host` becomes
/// `http://admin:***@host`, and a lone user name (often a token) `http://***@host`. Works on
/// any text (an error message, a URL that does not parse), so nothing has to be a URL first.
pub fn redact_userinfo(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail.find(ends_authority).unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                match authority[..at].split_once(':') {
                    Some((user, _password)) => {
                        out.push_str(user);
                        out.push_str(":***");
                    }
                    None => out.push_str("***"),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_hidden_in_any_text() {
        let cases = [
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://admin:s3cret@host:1/x", "http://admin:***@host:1/x"),
            ("https://u:p@h/", "https://u:***@h/"),
            ("not a url", "not a url"),
            ("mail me@host", "mail me@host"),
            ("http://token@host/x", "http://***@host/x"),
            ("http://u:pw@[bad/x y", "http://u:***@[bad/x y"),
            ("http://u:p:w@h", "http://u:***@h"),
            ("http://u:p@w@h/", "http://u:***@h/"),
            (
                "cannot reach http://a:b@h1/x (via https://c:d@h2)",
                "cannot reach http://a:***@h1/x (via https://c:***@h2)",
            ),
            ("ftp://u:pw@host", "ftp://u:***@host"),
            (
                "http://h/?next=http://u:pw@x",
                "http://h/?next=http://u:***@x",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact_userinfo(input), want, "{input}");
        }
    }

    #[test]
    fn never_shown() {
        let s: Secret = "hunter2".parse().unwrap_or_default();
        assert_eq!(format!("{s} {s:?} {:?}", Some(&s)), "*** *** Some(***)");
        assert_eq!(s.expose(), "hunter2");
    }
}
