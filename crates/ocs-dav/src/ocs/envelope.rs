//! The OCS envelope, `{"ocs":{"meta":{status, statuscode, message},"data":…}}`, read from JSON
//! or from its XML twin into one shape.

use crate::xml;
use serde_json::Value;

/// The `meta` block of every OCS answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// `ok` or `failure`.
    pub status: String,
    /// 100/200 ok, 101/102/400/404/997 and friends.
    pub statuscode: u32,
    /// The server's message; `None` when it sent null or nothing.
    pub message: Option<String>,
}

/// A whole OCS answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// Status block.
    pub meta: Meta,
    /// The payload (`null` when empty); XML text values arrive as strings.
    pub data: Value,
}

/// Why an answer could not be read as OCS.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    /// Not JSON / XML at all.
    #[error("not an OCS answer ({0})")]
    Syntax(String),
    /// Readable, but without the `ocs.meta.statuscode` every OCS answer has.
    #[error("not an OCS answer (no ocs.meta.statuscode)")]
    Shape,
}

fn statuscode(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Parses a body that is either OCS JSON or OCS XML (decided by its first byte).
pub fn parse(body: &[u8]) -> Result<Envelope, EnvelopeError> {
    let trimmed = body.trim_ascii_start();
    let value: Value = if trimmed.starts_with(b"{") {
        serde_json::from_slice(trimmed).map_err(|e| EnvelopeError::Syntax(e.to_string()))?
    } else if trimmed.starts_with(b"<") {
        xml::to_value(trimmed).map_err(|e| EnvelopeError::Syntax(e.to_string()))?
    } else if trimmed.is_empty() {
        return Err(EnvelopeError::Syntax("empty body".into()));
    } else {
        return Err(EnvelopeError::Syntax("neither JSON nor XML".into()));
    };
    let ocs = value.get("ocs").ok_or(EnvelopeError::Shape)?;
    let meta = ocs.get("meta").ok_or(EnvelopeError::Shape)?;
    let code = meta
        .get("statuscode")
        .and_then(statuscode)
        .ok_or(EnvelopeError::Shape)?;
    let text = |key: &str| {
        meta.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(Envelope {
        meta: Meta {
            status: text("status").unwrap_or_default(),
            statuscode: code,
            message: text("message"),
        },
        data: ocs.get("data").cloned().unwrap_or(Value::Null),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_and_xml_read_the_same() {
        let json = br#"{"ocs":{"meta":{"status":"failure","statuscode":400,"message":"User already exists","totalitems":"","itemsperpage":""},"data":[]}}"#;
        let xml = br#"<?xml version="1.0"?>
<ocs><meta><status>failure</status><statuscode>400</statuscode><message>User already exists</message></meta><data/></ocs>"#;
        for body in [&json[..], &xml[..]] {
            let env = parse(body).unwrap();
            assert_eq!(
                env.meta,
                Meta {
                    status: "failure".into(),
                    statuscode: 400,
                    message: Some("User already exists".into())
                }
            );
        }
        let null_message = br#"{"ocs":{"meta":{"status":"failure","statuscode":400,"message":null},"data":{"users":["a"]}}}"#;
        let env = parse(null_message).unwrap();
        assert_eq!(env.meta.message, None);
        assert_eq!(env.data, json!({"users": ["a"]}));
    }

    #[test]
    fn what_is_not_ocs_is_named() {
        let cases: [(&[u8], EnvelopeError); 4] = [
            (b"", EnvelopeError::Syntax("empty body".into())),
            (b"<html><body>Not Found</body></html>", EnvelopeError::Shape),
            (b"{\"error\":1}", EnvelopeError::Shape),
            (
                b"Not Found",
                EnvelopeError::Syntax("neither JSON nor XML".into()),
            ),
        ];
        for (body, want) in cases {
            assert_eq!(
                parse(body).unwrap_err(),
                want,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
