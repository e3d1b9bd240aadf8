//! PROPPATCH: reading a `propertyupdate` body into ordered set/remove operations, with
//! property values kept as self-contained XML fragments (every element re-declares its
//! namespace), so a value written back inside any multistatus stays well-formed.

use std::fmt::Write as _;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::propfind::{BadBody, PropName};

const DAV: &str = "DAV:";

/// One change in document order (RFC 4918 §9.2: later operations win).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    /// Set a property to an XML fragment (text is escaped; elements carry `xmlns`).
    Set(PropName, String),
    /// Remove a property.
    Remove(PropName),
}

fn namespace(r: ResolveResult<'_>) -> Result<String, BadBody> {
    match r {
        ResolveResult::Bound(n) => Ok(String::from_utf8_lossy(n.as_ref()).into_owned()),
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(p) => Err(BadBody(format!(
            "Undeclared namespace prefix {:?}",
            String::from_utf8_lossy(&p)
        ))),
    }
}

fn local(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

fn bad(e: impl std::fmt::Display) -> BadBody {
    BadBody(format!("The request body is not valid XML: {e}"))
}

/// Writes an element's opening tag with its namespace declared on itself.
fn open_tag(out: &mut String, ns: &str, e: &BytesStart<'_>, empty: bool) {
    let name = local(e);
    let _ = write!(out, "<{name} xmlns=\"{}\"", quick_xml::escape::escape(ns));
    for a in e.attributes().flatten() {
        let key = a.key.as_ref();
        // Prefixed attributes would need their prefixes declared too; plain ones travel.
        if key.starts_with(b"xmlns") || key.contains(&b':') {
            continue;
        }
        if let Ok(v) = a.unescape_value() {
            let _ = write!(
                out,
                " {}=\"{}\"",
                String::from_utf8_lossy(key),
                quick_xml::escape::escape(v.as_ref())
            );
        }
    }
    out.push_str(if empty { "/>" } else { ">" });
}

/// Where an element sits: what its start means to the parse.
fn on_start(
    stack: &[(String, String)],
    ns: &str,
    name: &str,
    seen_root: &mut bool,
    mode_set: &mut bool,
) -> Result<bool, BadBody> {
    match stack.len() {
        0 => {
            if *seen_root || ns != DAV || name != "propertyupdate" {
                return Err(BadBody(
                    "The root element of a PROPPATCH body must be {DAV:}propertyupdate".to_owned(),
                ));
            }
            *seen_root = true;
        }
        1 if ns == DAV && name == "set" => *mode_set = true,
        1 if ns == DAV && name == "remove" => *mode_set = false,
        3 => return Ok(stack[2].0 == DAV && stack[2].1 == "prop"),
        _ => {}
    }
    Ok(false)
}

/// Parses a PROPPATCH body; anything but a `{DAV:}propertyupdate` is a bad request.
pub(crate) fn parse(body: &[u8]) -> Result<Vec<Op>, BadBody> {
    let mut reader = NsReader::from_reader(body);
    let mut ops = Vec::new();
    // Path of (namespace, local) from the root down to the current element.
    let mut stack: Vec<(String, String)> = Vec::new();
    let mut mode_set = true;
    // The property being captured: its name, its value so far, and its stack depth.
    let mut capture: Option<(PropName, String, usize)> = None;
    let mut seen_root = false;
    let op = |mode_set: bool, prop: PropName, value: String| {
        if mode_set {
            Op::Set(prop, value)
        } else {
            Op::Remove(prop)
        }
    };
    loop {
        let (r, ev) = reader.read_resolved_event().map_err(bad)?;
        match ev {
            Event::Start(e) => {
                let ns = namespace(r)?;
                let name = local(&e);
                if let Some((_, value, _)) = capture.as_mut() {
                    open_tag(value, &ns, &e, false);
                } else if on_start(&stack, &ns, &name, &mut seen_root, &mut mode_set)? {
                    let prop = PropName {
                        ns: ns.clone(),
                        local: name.clone(),
                    };
                    capture = Some((prop, String::new(), stack.len()));
                }
                stack.push((ns, name));
            }
            Event::Empty(e) => {
                let ns = namespace(r)?;
                let name = local(&e);
                if let Some((_, value, _)) = capture.as_mut() {
                    open_tag(value, &ns, &e, true);
                } else if on_start(&stack, &ns, &name, &mut seen_root, &mut mode_set)? {
                    ops.push(op(mode_set, PropName { ns, local: name }, String::new()));
                }
            }
            Event::Text(t) => {
                if let Some((_, value, _)) = capture.as_mut() {
                    let text = t.decode().map_err(bad)?;
                    value.push_str(&quick_xml::escape::escape(text.as_ref()));
                } else if stack.is_empty() && !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(BadBody("Text outside the root element".to_owned()));
                }
            }
            Event::CData(t) => {
                if let Some((_, value, _)) = capture.as_mut() {
                    let text = String::from_utf8_lossy(&t).into_owned();
                    value.push_str(&quick_xml::escape::escape(&text));
                }
            }
            Event::GeneralRef(g) => {
                if let Some((_, value, _)) = capture.as_mut() {
                    let text = match g.resolve_char_ref().map_err(bad)? {
                        Some(c) => c.to_string(),
                        None => {
                            let name = g.decode().map_err(bad)?;
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .map(str::to_owned)
                                .ok_or_else(|| BadBody(format!("unknown entity &{name};")))?
                        }
                    };
                    value.push_str(&quick_xml::escape::escape(&text));
                }
            }
            Event::End(_) => {
                let Some((_, name)) = stack.pop() else {
                    return Err(bad("unbalanced end tag"));
                };
                match capture.take() {
                    Some((prop, value, d)) if stack.len() == d => {
                        ops.push(op(mode_set, prop, value));
                    }
                    Some((prop, mut value, d)) => {
                        let _ = write!(value, "</{name}>");
                        capture = Some((prop, value, d));
                    }
                    None => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() || !seen_root {
        return Err(bad("unexpected end"));
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(ns: &str, local: &str) -> PropName {
        PropName {
            ns: ns.to_owned(),
            local: local.to_owned(),
        }
    }

    #[test]
    fn bodies_become_ordered_operations() {
        let ns = "http://example.com/ns/";
        let cases: &[(&str, Vec<Op>)] = &[
            (
                "<d:propertyupdate xmlns:d='DAV:' xmlns:oc='http://owncloud.org/ns'><d:set><d:prop><oc:favorite>1</oc:favorite></d:prop></d:set></d:propertyupdate>",
                vec![Op::Set(
                    name("http://owncloud.org/ns", "favorite"),
                    "1".into(),
                )],
            ),
            (
                "<propertyupdate xmlns='DAV:'><remove><prop><x xmlns='http://example.com/ns/'/></prop></remove><set><prop><x xmlns='http://example.com/ns/'>y</x></prop></set></propertyupdate>",
                vec![
                    Op::Remove(name(ns, "x")),
                    Op::Set(name(ns, "x"), "y".into()),
                ],
            ),
            (
                "<propertyupdate xmlns='DAV:'><set><prop><t:v xmlns:t='http://example.com/ns/'><foo xmlns='bar'/>a&amp;b&#65536;</t:v></prop></set></propertyupdate>",
                vec![Op::Set(
                    name(ns, "v"),
                    "<foo xmlns=\"bar\"/>a&amp;b\u{10000}".into(),
                )],
            ),
            (
                "<propertyupdate xmlns='DAV:'><set><prop><n xmlns=''>v</n><e xmlns='urn:e'><i>t</i></e></prop></set></propertyupdate>",
                vec![
                    Op::Set(name("", "n"), "v".into()),
                    Op::Set(name("urn:e", "e"), "<i xmlns=\"urn:e\">t</i>".into()),
                ],
            ),
        ];
        for (body, want) in cases {
            assert_eq!(&parse(body.as_bytes()).unwrap(), want, "{body}");
        }
    }

    #[test]
    fn bad_bodies_are_refused() {
        for body in [
            "",
            "<foo>",
            "<propfind xmlns='DAV:'/>",
            "<propertyupdate xmlns='DAV:'><set><prop><q:x/></prop></set></propertyupdate>",
        ] {
            assert!(parse(body.as_bytes()).is_err(), "{body}");
        }
    }
}
