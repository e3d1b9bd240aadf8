//! Percent-encoding of WebDAV paths: each segment encoded, `/` kept, so names with spaces,
//! unicode, `#` or `?` reach the server as the same file.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Characters escaped inside one path segment (RFC 3986 `pchar` minus what servers mangle).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'/');

/// Encodes one segment (a user id or a file name).
pub fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// Encodes a relative path segment by segment, dropping empty segments.
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// Decodes a percent-encoded href back to text.
pub fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_what_servers_would_misread() {
        let cases = [
            ("ownCloud Manual.pdf", "ownCloud%20Manual.pdf"),
            ("a#b?c.txt", "a%23b%3Fc.txt"),
            (
                "Документы/ü.txt",
                "%D0%94%D0%BE%D0%BA%D1%83%D0%BC%D0%B5%D0%BD%D1%82%D1%8B/%C3%BC.txt",
            ),
            ("/lead//trail/", "lead/trail"),
            ("100%.txt", "100%25.txt"),
        ];
        for (raw, want) in cases {
            assert_eq!(encode_path(raw), want, "{raw}");
            assert_eq!(
                decode(want),
                raw.trim_matches('/').replace("//", "/"),
                "{raw}"
            );
        }
    }
}
