//! Parsing a WebDAV 207 multistatus into typed entries (only properties whose propstat says
//! 200 count).

use crate::path;
use crate::xml::{XmlError, resolve_ref};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// One resource in a PROPFIND answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DavEntry {
    /// The decoded href path, e.g. `/remote.php/dav/files/alice/Documents/`.
    pub href: String,
    /// A folder (`<d:resourcetype><d:collection/></d:resourcetype>`).
    pub is_collection: bool,
    /// Size in bytes, for files.
    pub content_length: Option<u64>,
    /// The ETag, quotes included as the server sent it.
    pub etag: Option<String>,
    /// Last modification, as the server wrote it (an HTTP date).
    pub last_modified: Option<String>,
    /// MIME type, for files.
    pub content_type: Option<String>,
    /// `oc:fileid`, when asked for.
    pub file_id: Option<u64>,
    /// `oc:permissions` (`RDNVW`, `SRDNVCK`, ...), when asked for.
    pub permissions: Option<String>,
    /// `oc:favorite`, when asked for.
    pub favorite: Option<bool>,
    /// `oc:share-types` (0 user, 3 link, ...), when asked for.
    pub share_types: Vec<u8>,
    /// `oc:size` (a folder's is everything below it), when asked for.
    pub size: Option<u64>,
    /// `oc:owner-id`, when asked for.
    pub owner_id: Option<String>,
    /// Other properties found, by local name, as their text.
    pub other: std::collections::BTreeMap<String, String>,
}

impl DavEntry {
    /// The last path segment (the file or folder name), decoded.
    pub fn name(&self) -> &str {
        self.href
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
    }
}

#[derive(Default)]
struct Props {
    is_collection: bool,
    content_length: Option<u64>,
    etag: Option<String>,
    last_modified: Option<String>,
    content_type: Option<String>,
    file_id: Option<u64>,
    permissions: Option<String>,
    favorite: Option<bool>,
    share_types: Vec<u8>,
    size: Option<u64>,
    owner_id: Option<String>,
    other: std::collections::BTreeMap<String, String>,
}

fn local(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// Parses a multistatus body.
pub(crate) fn parse(xml: &[u8]) -> Result<Vec<DavEntry>, XmlError> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut entries = Vec::new();
    let mut entry: Option<DavEntry> = None;
    let mut props = Props::default();
    let mut status = String::new();
    let mut text = String::new();
    let mut saw_multistatus = false;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| XmlError(e.to_string()))?;
        match event {
            Event::Start(e) => {
                let name = local(e.local_name().as_ref());
                match name.as_str() {
                    "multistatus" => saw_multistatus = true,
                    "response" => entry = Some(DavEntry::default()),
                    "propstat" => {
                        props = Props::default();
                        status.clear();
                    }
                    _ => {}
                }
                stack.push(name);
                text.clear();
            }
            Event::Empty(e)
                if e.local_name().as_ref() == b"collection"
                    && stack.iter().any(|s| s == "resourcetype") =>
            {
                props.is_collection = true;
            }
            Event::Text(t) => text.push_str(&t.decode().map_err(|e| XmlError(e.to_string()))?),
            Event::GeneralRef(r) => text.push_str(&resolve_ref(&r)?),
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                let value = text.trim().to_owned();
                let in_prop = stack.iter().any(|s| s == "prop");
                match name.as_str() {
                    "href" if stack.last().is_some_and(|p| p == "response") => {
                        if let Some(entry) = entry.as_mut() {
                            entry.href = path::decode(&value);
                        }
                    }
                    "status" if stack.last().is_some_and(|p| p == "propstat") => status = value,
                    "getcontentlength" if in_prop => props.content_length = value.parse().ok(),
                    "getetag" if in_prop => props.etag = Some(value),
                    "getlastmodified" if in_prop => props.last_modified = Some(value),
                    "getcontenttype" if in_prop => props.content_type = Some(value),
                    "collection" if in_prop => props.is_collection = true,
                    "fileid" if in_prop => props.file_id = value.parse().ok(),
                    "permissions" if in_prop => props.permissions = Some(value),
                    "favorite" if in_prop => props.favorite = Some(value == "1"),
                    "share-type" if in_prop => {
                        props.share_types.extend(value.parse::<u8>().ok());
                    }
                    "size" if in_prop => props.size = value.parse().ok(),
                    "owner-id" if in_prop => props.owner_id = Some(value),
                    other
                        if stack.last().is_some_and(|p| p == "prop")
                            && !matches!(other, "resourcetype" | "share-types") =>
                    {
                        props.other.insert(other.to_owned(), value);
                    }
                    // Only properties the server found (200) describe the resource.
                    "propstat" if status.split_whitespace().nth(1) == Some("200") => {
                        if let Some(entry) = entry.as_mut() {
                            let p = std::mem::take(&mut props);
                            entry.is_collection |= p.is_collection;
                            entry.content_length = entry.content_length.or(p.content_length);
                            entry.etag = entry.etag.take().or(p.etag);
                            entry.last_modified = entry.last_modified.take().or(p.last_modified);
                            entry.content_type = entry.content_type.take().or(p.content_type);
                            entry.file_id = entry.file_id.or(p.file_id);
                            entry.permissions = entry.permissions.take().or(p.permissions);
                            entry.favorite = entry.favorite.or(p.favorite);
                            entry.share_types.extend(p.share_types);
                            entry.size = entry.size.or(p.size);
                            entry.owner_id = entry.owner_id.take().or(p.owner_id);
                            entry.other.extend(p.other);
                        }
                    }
                    "response" => {
                        if let Some(entry) = entry.take() {
                            entries.push(entry);
                        }
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_multistatus {
        return Err(XmlError("not a DAV multistatus document".into()));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sabre_style_multistatus() {
        let xml = br#"<?xml version="1.0"?>
<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:oc="http://owncloud.org/ns">
 <d:response>
  <d:href>/remote.php/dav/files/alice/</d:href>
  <d:propstat><d:prop>
    <d:getlastmodified>Thu, 26 Nov 2026 08:55:22 GMT</d:getlastmodified>
    <d:resourcetype><d:collection/></d:resourcetype>
    <d:getetag>&quot;5f1a&quot;</d:getetag>
  </d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
  <d:propstat><d:prop><d:getcontentlength/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>
 </d:response>
 <d:response>
  <d:href>/remote.php/dav/files/alice/ownCloud%20Manual.pdf</d:href>
  <d:propstat><d:prop>
    <d:getcontentlength>4711</d:getcontentlength>
    <d:resourcetype/>
    <d:getcontenttype>application/pdf</d:getcontenttype>
    <d:getetag>"e2"</d:getetag>
  </d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
 </d:response>
</d:multistatus>"#;
        let entries = parse(xml).unwrap();
        assert_eq!(entries.len(), 2);
        assert!(entries[0].is_collection);
        assert_eq!(entries[0].etag.as_deref(), Some("\"5f1a\""));
        assert_eq!(entries[0].content_length, None);
        assert_eq!(entries[1].name(), "ownCloud Manual.pdf");
        assert_eq!(entries[1].content_length, Some(4711));
        assert!(!entries[1].is_collection);
        assert_eq!(entries[1].content_type.as_deref(), Some("application/pdf"));
    }

    #[test]
    fn rejects_what_is_not_a_multistatus() {
        for bad in [
            &b"<html><body>404</body></html>"[..],
            b"<d:multistatus",
            b"",
        ] {
            assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
