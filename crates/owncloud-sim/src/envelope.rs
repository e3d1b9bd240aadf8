//! OCS envelopes exactly as ownCloud writes them: XML (PHP's XMLWriter, one-space indent) or JSON.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::Value;

use crate::router::{Resp, full};

/// OCS API version: it decides how codes map to HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// `/ocs/v1.php`: HTTP 200 for all but 997, ownCloud's codes in the meta.
    V1,
    /// `/ocs/v2.php`: HTTP status = statuscode.
    V2,
}

/// Body format, chosen by `?format=json` (default XML).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `text/xml`.
    Xml,
    /// `application/json`.
    Json,
}

/// Internal OCS results (v1 codes): what a provisioning call decided.
#[derive(Debug)]
pub(crate) struct OcsResult {
    /// ownCloud's code: 100 ok, 101.. failures, 997 unauthorised, 998 not found.
    pub(crate) code: u16,
    /// `meta.message`; `None` is written as null.
    pub(crate) message: Option<String>,
    /// `data` (an empty array when there is nothing, as PHP's `[]`).
    pub(crate) data: Value,
}

impl OcsResult {
    /// Success with data; the message is null, as ownCloud 10.14 sends it on v1 and v2
    /// (JSON `"message":null`, XML `<message/>`).
    pub(crate) fn ok(data: Value) -> Self {
        Self {
            code: 100,
            message: None,
            data,
        }
    }

    /// Success with no data.
    pub(crate) fn ok_empty() -> Self {
        Self::ok(Value::Array(Vec::new()))
    }

    /// A failure code with an optional message.
    pub(crate) fn fail(code: u16, message: Option<&str>) -> Self {
        Self {
            code,
            message: message.map(str::to_owned),
            data: Value::Array(Vec::new()),
        }
    }

    /// 997: not logged in, or not allowed.
    pub(crate) fn unauthorised() -> Self {
        Self::fail(997, Some("Unauthorised"))
    }
}

/// The meta statuscode and HTTP status for a code under a version (ownCloud's `mapStatusCodes`).
pub(crate) fn codes(version: Version, code: u16) -> (u16, StatusCode) {
    if code == 997 {
        return (997, StatusCode::UNAUTHORIZED);
    }
    match version {
        Version::V1 => (code, StatusCode::OK),
        Version::V2 => {
            let sc = match code {
                100 => 200,
                998 => 404,
                996 | 999 => 500,
                200..=599 => code,
                _ => 400,
            };
            (
                sc,
                StatusCode::from_u16(sc).unwrap_or(StatusCode::BAD_REQUEST),
            )
        }
    }
}

#[derive(Serialize)]
struct Meta<'a> {
    status: &'a str,
    statuscode: u16,
    message: Option<&'a str>,
    totalitems: &'a str,
    itemsperpage: &'a str,
}

#[derive(Serialize)]
struct Inner<'a> {
    meta: Meta<'a>,
    data: &'a Value,
}

#[derive(Serialize)]
struct Outer<'a> {
    ocs: Inner<'a>,
}

/// Renders a result as an HTTP response.
pub(crate) fn render(version: Version, format: Format, r: &OcsResult) -> Resp {
    let (statuscode, http) = codes(version, r.code);
    let status = if r.code == 100 { "ok" } else { "failure" };
    let meta = Meta {
        status,
        statuscode,
        message: r.message.as_deref(),
        totalitems: "",
        itemsperpage: "",
    };
    let (body, ctype) = match format {
        Format::Json => (
            serde_json::to_vec(&Outer {
                ocs: Inner {
                    meta,
                    data: &r.data,
                },
            })
            .unwrap_or_default(),
            "application/json; charset=utf-8",
        ),
        Format::Xml => (xml(&meta, &r.data).into_bytes(), "text/xml; charset=UTF-8"),
    };
    let mut resp = full(http, Bytes::from(body));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if r.code == 997 {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Authorisation Required\""),
        );
    }
    resp
}

fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

fn element(out: &mut String, indent: usize, name: &str, value: &Value) {
    for _ in 0..indent {
        out.push(' ');
    }
    let text = match value {
        Value::Null => {
            out.push_str(&format!("<{name}/>\n"));
            return;
        }
        Value::Array(items) if items.is_empty() => {
            out.push_str(&format!("<{name}/>\n"));
            return;
        }
        Value::Object(map) if map.is_empty() => {
            out.push_str(&format!("<{name}/>\n"));
            return;
        }
        Value::Array(items) => {
            out.push_str(&format!("<{name}>\n"));
            for v in items {
                element(out, indent + 1, "element", v);
            }
            close(out, indent, name);
            return;
        }
        Value::Object(map) => {
            out.push_str(&format!("<{name}>\n"));
            for (k, v) in map {
                element(out, indent + 1, k, v);
            }
            close(out, indent, name);
            return;
        }
        Value::Bool(true) => "1".to_owned(),
        Value::Bool(false) => String::new(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => escape(s).into_owned(),
    };
    out.push_str(&format!("<{name}>{text}</{name}>\n"));
}

fn close(out: &mut String, indent: usize, name: &str) {
    for _ in 0..indent {
        out.push(' ');
    }
    out.push_str(&format!("</{name}>\n"));
}

fn xml(meta: &Meta<'_>, data: &Value) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("<?xml version=\"1.0\"?>\n<ocs>\n <meta>\n");
    out.push_str(&format!("  <status>{}</status>\n", meta.status));
    out.push_str(&format!("  <statuscode>{}</statuscode>\n", meta.statuscode));
    match meta.message {
        Some(m) => out.push_str(&format!("  <message>{}</message>\n", escape(m))),
        None => out.push_str("  <message/>\n"),
    }
    out.push_str("  <totalitems></totalitems>\n  <itemsperpage></itemsperpage>\n </meta>\n");
    element(&mut out, 1, "data", data);
    out.push_str("</ocs>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_matches_owncloud() {
        let meta = Meta {
            status: "ok",
            statuscode: 100,
            message: Some("OK"),
            totalitems: "",
            itemsperpage: "",
        };
        assert_eq!(
            xml(&meta, &Value::Array(vec![])),
            "<?xml version=\"1.0\"?>\n<ocs>\n <meta>\n  <status>ok</status>\n  <statuscode>100</statuscode>\n  <message>OK</message>\n  <totalitems></totalitems>\n  <itemsperpage></itemsperpage>\n </meta>\n <data/>\n</ocs>\n"
        );
        let null = Meta {
            message: None,
            ..meta
        };
        assert!(
            xml(&null, &Value::Array(vec![])).contains("\n  <message/>\n"),
            "a null message is an empty element"
        );
        let users = serde_json::json!({"users": ["admin", "a&b"]});
        let x = xml(&meta, &users);
        assert!(x.contains(" <data>\n  <users>\n   <element>admin</element>\n   <element>a&amp;b</element>\n  </users>\n </data>\n"), "{x}");
    }

    #[test]
    fn code_mapping() {
        assert_eq!(codes(Version::V1, 102), (102, StatusCode::OK));
        assert_eq!(codes(Version::V1, 997), (997, StatusCode::UNAUTHORIZED));
        assert_eq!(codes(Version::V2, 100), (200, StatusCode::OK));
        assert_eq!(codes(Version::V2, 102), (400, StatusCode::BAD_REQUEST));
        assert_eq!(codes(Version::V2, 998), (404, StatusCode::NOT_FOUND));
        assert_eq!(codes(Version::V2, 997), (997, StatusCode::UNAUTHORIZED));
    }
}
