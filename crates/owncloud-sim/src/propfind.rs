//! PROPFIND: reading the request body and writing the 207 multistatus, the way Sabre does.

use std::fmt::Write as _;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::locks::Lock;
use crate::tree::Node;

const DAV: &str = "DAV:";
const OC: &str = "http://owncloud.org/ns";

/// A property name: namespace URI and local name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PropName {
    /// Namespace URI (empty when none).
    pub(crate) ns: String,
    /// Local name.
    pub(crate) local: String,
}

/// What the client asked for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Want {
    /// Every live property (empty body, `<d:allprop/>`, `<d:propname/>`).
    AllProp,
    /// Exactly these.
    Props(Vec<PropName>),
}

/// The body is not a PROPFIND request Sabre would accept.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadBody(pub(crate) String);

/// Parses a PROPFIND body; an empty body means allprop.
pub(crate) fn parse(body: &[u8]) -> Result<Want, BadBody> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Want::AllProp);
    }
    let mut reader = NsReader::from_reader(body);
    reader.config_mut().trim_text(true);
    let mut depth = 0usize;
    let mut seen_root = false;
    let mut in_prop = false;
    let mut allprop = false;
    let mut props = Vec::new();
    loop {
        let (ns, ev) = reader
            .read_resolved_event()
            .map_err(|e| BadBody(format!("The request body is not valid XML: {e}")))?;
        let ns = match ns {
            ResolveResult::Bound(n) => String::from_utf8_lossy(n.as_ref()).into_owned(),
            ResolveResult::Unbound => String::new(),
            ResolveResult::Unknown(p) => {
                return Err(BadBody(format!(
                    "Undeclared namespace prefix {:?}",
                    String::from_utf8_lossy(&p)
                )));
            }
        };
        let (start, empty) = match &ev {
            Event::Start(_) => (true, false),
            Event::Empty(_) => (true, true),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    in_prop = false;
                }
                continue;
            }
            Event::Eof => break,
            Event::Text(_) | Event::CData(_) if depth == 0 => {
                return Err(BadBody("Text outside the root element".to_owned()));
            }
            _ => continue,
        };
        if !start {
            continue;
        }
        let local = match &ev {
            Event::Start(e) | Event::Empty(e) => {
                String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
            }
            _ => String::new(),
        };
        match depth {
            0 => {
                if seen_root {
                    return Err(BadBody("More than one root element".to_owned()));
                }
                seen_root = true;
                if ns != DAV || local != "propfind" {
                    return Err(BadBody(
                        "The root element of a PROPFIND body must be {DAV:}propfind".to_owned(),
                    ));
                }
            }
            1 if ns == DAV && local == "prop" => in_prop = !empty,
            1 if ns == DAV && (local == "allprop" || local == "propname") => allprop = true,
            2 if in_prop => props.push(PropName { ns, local }),
            _ => {}
        }
        if !empty {
            depth += 1;
        }
    }
    if depth != 0 || !seen_root {
        return Err(BadBody(
            "The request body is not valid XML: unexpected end".to_owned(),
        ));
    }
    if allprop || props.is_empty() {
        Ok(Want::AllProp)
    } else {
        Ok(Want::Props(props))
    }
}

/// One resource in the answer.
pub(crate) struct Entry<'a> {
    /// Encoded href (folders end in `/`).
    pub(crate) href: String,
    /// The node.
    pub(crate) node: &'a Node,
    /// Bytes at or below it (for folders' `oc:size` and quota).
    pub(crate) size: u64,
    /// Per-viewer facts; `None` is an own file with nothing shared, favorited or locked.
    pub(crate) extra: Option<Extra>,
}

/// What a resource looks like to the user asking, beyond the node itself.
#[derive(Debug, Default)]
pub(crate) struct Extra {
    /// `oc:permissions`.
    pub(crate) permissions: String,
    /// Owner id and display name.
    pub(crate) owner: (String, String),
    /// In the asking user's favorites.
    pub(crate) favorite: bool,
    /// `oc:share-types` (the owner's shares of it).
    pub(crate) share_types: Vec<u8>,
    /// Locks covering it.
    pub(crate) locks: Vec<Lock>,
}

/// `{DAV:}supportedlock`: write locks, exclusive or shared.
const SUPPORTED_LOCK: &str = "<d:supportedlock><d:lockentry><d:lockscope><d:exclusive/></d:lockscope><d:locktype><d:write/></d:locktype></d:lockentry><d:lockentry><d:lockscope><d:shared/></d:lockscope><d:locktype><d:write/></d:locktype></d:lockentry></d:supportedlock>";

/// Properties a client may not set (live ones), by namespace and name.
pub(crate) fn is_protected(p: &PropName) -> bool {
    match p.ns.as_str() {
        DAV => matches!(
            p.local.as_str(),
            "getetag"
                | "getcontentlength"
                | "getcontenttype"
                | "getlastmodified"
                | "resourcetype"
                | "lockdiscovery"
                | "supportedlock"
                | "quota-used-bytes"
                | "quota-available-bytes"
                | "creationdate"
        ),
        OC => matches!(
            p.local.as_str(),
            "id" | "fileid"
                | "permissions"
                | "size"
                | "share-types"
                | "owner-id"
                | "owner-display-name"
                | "downloadURL"
                | "dDC"
                | "checksums"
        ),
        _ => false,
    }
}

/// True for `{http://owncloud.org/ns}favorite`.
pub(crate) fn is_favorite(p: &PropName) -> bool {
    p.ns == OC && p.local == "favorite"
}

/// True for `{DAV:}lockdiscovery`.
pub(crate) fn wants_locks(want: &Want) -> bool {
    match want {
        Want::AllProp => false,
        Want::Props(p) => p.iter().any(|p| p.ns == DAV && p.local == "lockdiscovery"),
    }
}

/// True when `oc:share-types` was asked for.
pub(crate) fn wants_share_types(want: &Want) -> bool {
    match want {
        Want::AllProp => false,
        Want::Props(p) => p.iter().any(|p| p.ns == OC && p.local == "share-types"),
    }
}

/// Facts the properties need beyond the node.
pub(crate) struct Ctx<'a> {
    /// ownCloud instance id (for `oc:id`).
    pub(crate) instance_id: &'a str,
    /// Owner id and display name.
    pub(crate) owner: (&'a str, &'a str),
}

fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// Writes the value of a known property, or returns false when the node has no such property.
fn value(out: &mut String, p: &PropName, e: &Entry<'_>, ctx: &Ctx<'_>) -> bool {
    let dir = e.node.is_dir();
    let (tag, text): (&str, String) = match (p.ns.as_str(), p.local.as_str()) {
        (DAV, "getlastmodified") => (
            "d:getlastmodified",
            httpdate::fmt_http_date(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(e.node.mtime),
            ),
        ),
        (DAV, "getetag") => (
            "d:getetag",
            escape(e.node.etag.to_str().unwrap_or("\"\"")).into_owned(),
        ),
        (DAV, "getcontentlength") if !dir => ("d:getcontentlength", e.node.len().to_string()),
        (DAV, "getcontenttype") if !dir => ("d:getcontenttype", e.node.mime.to_owned()),
        (DAV, "resourcetype") => {
            out.push_str(if dir {
                "<d:resourcetype><d:collection/></d:resourcetype>"
            } else {
                "<d:resourcetype/>"
            });
            return true;
        }
        (DAV, "quota-used-bytes") if dir => ("d:quota-used-bytes", e.size.to_string()),
        (DAV, "quota-available-bytes") if dir => ("d:quota-available-bytes", "-3".to_owned()),
        (DAV, "supportedlock") => {
            out.push_str(SUPPORTED_LOCK);
            return true;
        }
        (DAV, "lockdiscovery") => {
            let locks = e.extra.as_ref().map(|x| x.locks.as_slice()).unwrap_or(&[]);
            if locks.is_empty() {
                out.push_str("<d:lockdiscovery/>");
            } else {
                out.push_str("<d:lockdiscovery>");
                for l in locks {
                    l.write_active(out);
                }
                out.push_str("</d:lockdiscovery>");
            }
            return true;
        }
        (OC, "id") => ("oc:id", format!("{:08}{}", e.node.fileid, ctx.instance_id)),
        (OC, "fileid") => ("oc:fileid", e.node.fileid.to_string()),
        (OC, "permissions") => (
            "oc:permissions",
            match &e.extra {
                Some(x) => x.permissions.clone(),
                None => if dir { "RDNVCK" } else { "RDNVW" }.to_owned(),
            },
        ),
        (OC, "size") => ("oc:size", e.size.to_string()),
        (OC, "favorite") => (
            "oc:favorite",
            if e.extra.as_ref().is_some_and(|x| x.favorite) {
                "1"
            } else {
                "0"
            }
            .to_owned(),
        ),
        (OC, "share-types") => {
            let types = e
                .extra
                .as_ref()
                .map(|x| x.share_types.as_slice())
                .unwrap_or(&[]);
            if types.is_empty() {
                out.push_str("<oc:share-types/>");
            } else {
                out.push_str("<oc:share-types>");
                for t in types {
                    let _ = write!(out, "<oc:share-type>{t}</oc:share-type>");
                }
                out.push_str("</oc:share-types>");
            }
            return true;
        }
        (OC, "owner-id") => (
            "oc:owner-id",
            escape(e.extra.as_ref().map_or(ctx.owner.0, |x| x.owner.0.as_str())).into_owned(),
        ),
        (OC, "owner-display-name") => (
            "oc:owner-display-name",
            escape(e.extra.as_ref().map_or(ctx.owner.1, |x| x.owner.1.as_str())).into_owned(),
        ),
        _ => {
            let dead = e
                .node
                .dead
                .as_ref()
                .and_then(|d| d.get(&(p.ns.clone(), p.local.clone())));
            let Some(v) = dead else {
                return false;
            };
            element(out, p, Some(v), &mut 0);
            return true;
        }
    };
    let _ = write!(out, "<{tag}>{text}</{tag}>");
    true
}

/// Writes `<name/>` or `<name>value</name>` with the property's namespace declared.
pub(crate) fn element(out: &mut String, p: &PropName, value: Option<&str>, n: &mut usize) {
    let local = escape(&p.local);
    let (open, close) = match p.ns.as_str() {
        DAV => (format!("d:{local}"), format!("d:{local}")),
        OC => (format!("oc:{local}"), format!("oc:{local}")),
        "" => (format!("{local} xmlns=\"\""), local.to_string()),
        ns => {
            *n += 1;
            (
                format!("x{n}:{local} xmlns:x{n}=\"{}\"", escape(ns)),
                format!("x{n}:{local}"),
            )
        }
    };
    match value {
        Some(v) if !v.is_empty() => {
            let _ = write!(out, "<{open}>{v}</{close}>");
        }
        _ => {
            let _ = write!(out, "<{open}/>");
        }
    }
}

fn allprops(dir: bool) -> Vec<PropName> {
    let names: &[&str] = if dir {
        &[
            "getlastmodified",
            "resourcetype",
            "quota-used-bytes",
            "quota-available-bytes",
            "getetag",
        ]
    } else {
        &[
            "getlastmodified",
            "getcontentlength",
            "resourcetype",
            "getetag",
            "getcontenttype",
        ]
    };
    names
        .iter()
        .map(|l| PropName {
            ns: DAV.to_owned(),
            local: (*l).to_owned(),
        })
        .collect()
}

/// Writes the multistatus document for `entries`.
pub(crate) fn render(entries: &[Entry<'_>], want: &Want, ctx: &Ctx<'_>) -> String {
    let mut out = String::with_capacity(256 + entries.len() * 512);
    out.push_str("<?xml version=\"1.0\"?>\n<d:multistatus xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\" xmlns:oc=\"http://owncloud.org/ns\">");
    let mut ns_counter = 0usize;
    for e in entries {
        let _ = write!(out, "<d:response><d:href>{}</d:href>", escape(&e.href));
        let (props, all) = match want {
            Want::AllProp => {
                let mut p = allprops(e.node.is_dir());
                if let Some(dead) = &e.node.dead {
                    p.extend(dead.keys().map(|(ns, local)| PropName {
                        ns: ns.clone(),
                        local: local.clone(),
                    }));
                }
                (p, true)
            }
            Want::Props(p) => (p.clone(), false),
        };
        let mut found = String::new();
        let mut missing = Vec::new();
        for p in &props {
            if !value(&mut found, p, e, ctx) {
                missing.push(p);
            }
        }
        if !found.is_empty() {
            let _ = write!(
                out,
                "<d:propstat><d:prop>{found}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
            );
        }
        if !missing.is_empty() && !all {
            out.push_str("<d:propstat><d:prop>");
            for p in missing {
                element(&mut out, p, None, &mut ns_counter);
            }
            out.push_str("</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>");
        }
        out.push_str("</d:response>");
    }
    out.push_str("</d:multistatus>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bodies() {
        assert_eq!(parse(b""), Ok(Want::AllProp));
        assert_eq!(
            parse(b"<?xml version=\"1.0\"?><d:propfind xmlns:d=\"DAV:\"><d:allprop/></d:propfind>"),
            Ok(Want::AllProp)
        );
        let Want::Props(p) = parse(
            b"<d:propfind xmlns:d=\"DAV:\" xmlns:oc=\"http://owncloud.org/ns\"><d:prop><d:getetag/><oc:fileid/><x:y xmlns:x=\"urn:q\"/></d:prop></d:propfind>",
        )
        .unwrap() else {
            panic!("props")
        };
        assert_eq!(p.len(), 3);
        assert_eq!(p[1].ns, OC);
        assert!(parse(b"<d:propfind xmlns:d=\"DAV:\"><d:prop>").is_err());
        assert!(parse(b"<d:propfind xmlns:d=\"DAV:\"></d:prop>").is_err());
        assert!(parse(b"not xml at all").is_err());
        assert!(parse(b"<q:propfind><q:prop/></q:propfind>").is_err());
        assert!(parse(b"<propfind xmlns=\"urn:other\"/>").is_err());
    }
}
