//! Small, careful XML readers on quick-xml: text with entity references resolved, and a
//! generic element tree as `serde_json::Value` (how OCS's XML maps onto its JSON).

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, Event};
use quick_xml::reader::Reader;
use serde_json::{Map, Value};

/// Why a document could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed XML: {0}")]
pub struct XmlError(pub String);

fn err(e: impl std::fmt::Display) -> XmlError {
    XmlError(e.to_string())
}

/// The text an entity or character reference stands for.
pub(crate) fn resolve_ref(r: &BytesRef<'_>) -> Result<String, XmlError> {
    if let Some(c) = r.resolve_char_ref().map_err(err)? {
        return Ok(c.to_string());
    }
    let name = r.decode().map_err(err)?;
    resolve_predefined_entity(&name)
        .map(str::to_owned)
        .ok_or_else(|| XmlError(format!("unknown entity &{name};")))
}

/// One element being built: its name, children, and text.
struct Node {
    name: String,
    children: Vec<(String, Value)>,
    text: String,
}

impl Node {
    /// OCS's mapping: text-only → string, empty → null, all `<element>` → array, else object.
    fn into_value(self) -> Value {
        if self.children.is_empty() {
            let text = self.text.trim();
            return if text.is_empty() {
                Value::Null
            } else {
                Value::String(text.to_owned())
            };
        }
        if self.children.iter().all(|(n, _)| n == "element") {
            return Value::Array(self.children.into_iter().map(|(_, v)| v).collect());
        }
        let mut map = Map::new();
        for (name, value) in self.children {
            match map.get_mut(&name) {
                Some(Value::Array(items)) => items.push(value),
                Some(existing) => {
                    let first = existing.take();
                    *existing = Value::Array(vec![first, value]);
                }
                None => {
                    map.insert(name, value);
                }
            }
        }
        Value::Object(map)
    }
}

/// Reads a document into `{root_name: value}` following OCS's XML conventions.
pub(crate) fn to_value(xml: &[u8]) -> Result<Value, XmlError> {
    let mut reader = Reader::from_reader(xml);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(err)? {
            Event::Start(e) => stack.push(Node {
                name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                children: Vec::new(),
                text: String::new(),
            }),
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                match stack.last_mut() {
                    Some(parent) => parent.children.push((name, Value::Null)),
                    None => root = Some((name, Value::Null)),
                }
            }
            Event::Text(t) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&t.decode().map_err(err)?);
                }
            }
            Event::CData(t) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&resolve_ref(&r)?);
                }
            }
            Event::End(_) => {
                let node = stack
                    .pop()
                    .ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                let name = node.name.clone();
                let value = node.into_value();
                match stack.last_mut() {
                    Some(parent) => parent.children.push((name, value)),
                    None => root = Some((name, value)),
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(XmlError("document ends inside an element".into()));
    }
    let (name, value) = root.ok_or_else(|| XmlError("no root element".into()))?;
    let mut map = Map::new();
    map.insert(name, value);
    Ok(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ocs_xml_maps_like_its_json() {
        let xml = br#"<?xml version="1.0"?>
<ocs>
 <meta>
  <status>ok</status>
  <statuscode>100</statuscode>
  <message/>
  <totalitems></totalitems>
 </meta>
 <data>
  <users>
   <element>admin</element>
   <element>a&amp;b &#233;</element>
  </users>
 </data>
</ocs>"#;
        assert_eq!(
            to_value(xml).unwrap(),
            json!({"ocs": {"meta": {"status": "ok", "statuscode": "100", "message": null, "totalitems": null},
                           "data": {"users": ["admin", "a&b é"]}}})
        );
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        for bad in [&b"<ocs><meta>"[..], b"", b"<a></b>", b"<a>&bogus;</a>"] {
            assert!(to_value(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
