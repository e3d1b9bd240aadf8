//! Path decoding and encoding: the one place that decides a request path stays inside a home.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Bytes Sabre leaves alone in hrefs (its `encodePath`); everything else is `%XX`.
const HREF: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'-')
    .remove(b'.')
    .remove(b'~')
    .remove(b'(')
    .remove(b')')
    .remove(b'/')
    .remove(b':')
    .remove(b'@');

/// Why a path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathError {
    /// Not valid UTF-8 once decoded, or holds a NUL.
    Malformed,
    /// A `.` or `..` segment: would leave (or play games with) the home.
    Traversal,
}

/// Decodes a raw (percent-encoded) path below a home into the tree key `a/b/c`.
///
/// Empty segments collapse; `.`/`..` (also as `%2e%2e`) are refused rather than resolved, so
/// no key can name anything outside the home. Borrows when nothing needs changing (hot path).
pub(crate) fn normalize(raw: &str) -> Result<Cow<'_, str>, PathError> {
    let decoded: Cow<'_, str> = if raw.contains('%') {
        percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| PathError::Malformed)?
    } else {
        Cow::Borrowed(raw)
    };
    let mut clean = true;
    for seg in decoded.split('/') {
        match seg {
            "." | ".." => return Err(PathError::Traversal),
            "" => clean = false,
            s if s.contains('\0') => return Err(PathError::Malformed),
            _ => {}
        }
    }
    if clean {
        return Ok(decoded);
    }
    if decoded.split('/').all(str::is_empty) {
        return Ok(Cow::Borrowed(""));
    }
    let joined: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
    Ok(Cow::Owned(joined.join("/")))
}

/// Percent-encodes a decoded path for a `d:href`, the way Sabre does.
pub(crate) fn encode_href(path: &str) -> String {
    utf8_percent_encode(path, HREF).to_string()
}

/// The parent key of a tree key (`a/b` -> `a`, `a` -> ``); `None` for the root.
pub(crate) fn parent(key: &str) -> Option<&str> {
    if key.is_empty() {
        return None;
    }
    Some(key.rfind('/').map_or("", |i| &key[..i]))
}

/// The last segment of a tree key.
pub(crate) fn basename(key: &str) -> &str {
    key.rfind('/').map_or(key, |i| &key[i + 1..])
}

/// True when `key` is `dir` itself or lies below it.
pub(crate) fn is_within(key: &str, dir: &str) -> bool {
    dir.is_empty()
        || key == dir
        || (key.len() > dir.len() && key.starts_with(dir) && key.as_bytes()[dir.len()] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_keeps_inside() {
        assert_eq!(normalize("a/b").unwrap(), "a/b");
        assert_eq!(normalize("/a//b/").unwrap(), "a/b");
        assert_eq!(normalize("").unwrap(), "");
        assert_eq!(normalize("/").unwrap(), "");
        assert_eq!(
            normalize("ownCloud%20Manual.pdf").unwrap(),
            "ownCloud Manual.pdf"
        );
        assert_eq!(normalize("a/../b"), Err(PathError::Traversal));
        assert_eq!(normalize("%2e%2e/etc"), Err(PathError::Traversal));
        assert_eq!(normalize("a/%2E%2E"), Err(PathError::Traversal));
        assert_eq!(normalize("a%2F..%2Fb"), Err(PathError::Traversal));
        assert_eq!(normalize("./a"), Err(PathError::Traversal));
        assert_eq!(normalize("%ff"), Err(PathError::Malformed));
        assert_eq!(normalize("a%00b"), Err(PathError::Malformed));
    }

    #[test]
    fn hrefs_encode_like_sabre() {
        assert_eq!(
            encode_href("/remote.php/dav/files/a@b/ownCloud Manual.pdf"),
            "/remote.php/dav/files/a@b/ownCloud%20Manual.pdf"
        );
        assert_eq!(encode_href("ä&#"), "%C3%A4%26%23");
    }

    #[test]
    fn key_helpers() {
        assert_eq!(parent("a/b"), Some("a"));
        assert_eq!(parent("a"), Some(""));
        assert_eq!(parent(""), None);
        assert_eq!(basename("a/b"), "b");
        assert!(is_within("a/b", "a"));
        assert!(!is_within("ab", "a"));
        assert!(is_within("x", ""));
    }
}
