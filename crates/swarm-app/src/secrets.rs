//! Keeps secrets out of everything swarm prints or writes: a password inside a URL
//! (`http://user:pw@host`) is shown as `***` wherever the URL appears.

/// `text` with the password of a URL's user info replaced by `***`; other text unchanged.
pub(crate) fn redact_url(text: &str) -> String {
    let Ok(mut url) = url::Url::parse(text) else {
        return text.to_owned();
    };
    if url.password().is_none() {
        return text.to_owned();
    }
    if url.set_password(Some("***")).is_err() {
        return "***".to_owned();
    }
    let shown = url.to_string();
    // Url adds a trailing slash to bare origins; keep the text as given otherwise.
    if !text.ends_with('/') {
        shown.trim_end_matches('/').to_owned()
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_hidden() {
        let cases = [
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://admin:s3cret@host:1/x", "http://admin:***@host:1/x"),
            ("https://u:p@h/", "https://u:***@h/"),
            ("not a url", "not a url"),
            ("http://user@host", "http://user@host"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_url(input), want, "{input}");
        }
    }
}
