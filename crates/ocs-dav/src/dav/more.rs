//! The rest of the WebDAV ownCloud speaks: ownCloud's own properties in PROPFIND,
//! PROPPATCH (dead properties and favorites), locks, `X-OC-Mtime`, and ETag preconditions.

use bytes::Bytes;
use http::Method;

use super::{Dav, DavEntry, DavError, Depth, Download, Named, Written, multistatus, written};

/// ownCloud's XML namespace.
pub const OC_NS: &str = "http://owncloud.org/ns";

/// One PROPPATCH operation; values are plain text (escaped on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropUpdate<'a> {
    /// Set `{ns}name` to a text value.
    Set {
        /// Namespace URI.
        ns: &'a str,
        /// Local name.
        name: &'a str,
        /// The text.
        value: &'a str,
    },
    /// Remove `{ns}name`.
    Remove {
        /// Namespace URI.
        ns: &'a str,
        /// Local name.
        name: &'a str,
    },
}

/// Lock scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockScope {
    /// Nobody else may lock.
    Exclusive,
    /// Others may take shared locks too.
    Shared,
}

/// A lock to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockRequest<'a> {
    /// Exclusive or shared.
    pub scope: LockScope,
    /// A folder and everything below it (`Depth: infinity`), or the resource alone.
    pub infinite: bool,
    /// Who holds it (`<d:owner>`).
    pub owner: &'a str,
    /// Seconds it lives without a refresh.
    pub timeout_secs: u64,
}

/// A lock held: its token (`opaquelocktoken:...`) and whether the LOCK created the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockToken {
    /// The token, without angle brackets.
    pub token: String,
    /// The LOCK made an empty file on an unmapped URL (201).
    pub created: bool,
}

/// Preconditions and extras of an upload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PutOptions<'a> {
    /// `X-OC-Mtime`: the modification time to keep (seconds since the epoch).
    pub mtime: Option<u64>,
    /// `If-Match`: only replace this version (an ETag, quotes included).
    pub if_match: Option<&'a str>,
    /// `If-None-Match: *`: only create, never replace.
    pub create_only: bool,
    /// A lock token to submit (`If: (<token>)`).
    pub lock_token: Option<&'a str>,
}

/// What PROPFIND asks for in [`Dav::propfind_details`]: the usual properties plus
/// ownCloud's.
const DETAILS_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><d:getlastmodified/><d:getetag/><d:getcontentlength/><d:getcontenttype/><d:resourcetype/><oc:fileid/><oc:permissions/><oc:share-types/><oc:favorite/><oc:size/><oc:owner-id/></d:prop></d:propfind>"#;

fn method(name: &[u8]) -> Result<Method, DavError> {
    Method::from_bytes(name).map_err(|_| DavError::Malformed("method".into()))
}

fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

fn proppatch_body(ops: &[PropUpdate<'_>]) -> String {
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:propertyupdate xmlns:d=\"DAV:\">",
    );
    for op in ops {
        match op {
            PropUpdate::Set { ns, name, value } => body.push_str(&format!(
                "<d:set><d:prop><x:{n} xmlns:x=\"{ns}\">{v}</x:{n}></d:prop></d:set>",
                n = escape(name),
                ns = escape(ns),
                v = escape(value)
            )),
            PropUpdate::Remove { ns, name } => body.push_str(&format!(
                "<d:remove><d:prop><x:{n} xmlns:x=\"{ns}\"/></d:prop></d:remove>",
                n = escape(name),
                ns = escape(ns)
            )),
        }
    }
    body.push_str("</d:propertyupdate>");
    body
}

/// `(status code, property)` pairs that were not 200 in a PROPPATCH answer.
fn refused(xml: &[u8]) -> Result<Vec<String>, String> {
    let text = String::from_utf8_lossy(xml);
    if !text.contains("multistatus") {
        return Err("not a DAV multistatus document".into());
    }
    // Each propstat ends with its status; anything but 200 lists its properties.
    let mut out = Vec::new();
    for chunk in text.split("propstat>").filter(|c| c.contains("status>")) {
        let ok = chunk.contains(" 200 ");
        if !ok {
            if let Some(code) = chunk
                .split("HTTP/1.1 ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
            {
                out.push(code.to_owned());
            }
        }
    }
    Ok(out)
}

impl Dav {
    /// PROPFIND with ownCloud's properties (`oc:fileid`, `oc:permissions`, `oc:share-types`,
    /// `oc:favorite`, `oc:size`, `oc:owner-id`) besides the usual ones.
    pub async fn propfind_details(
        &self,
        path: &str,
        depth: Depth,
    ) -> Result<Vec<DavEntry>, DavError> {
        self.plain().propfind_body(path, depth, DETAILS_BODY).await
    }

    /// PROPPATCH; `Err(Refused)` when the server refused any property (all-or-nothing).
    pub async fn proppatch(&self, path: &str, ops: &[PropUpdate<'_>]) -> Result<(), DavError> {
        self.plain().proppatch(path, ops).await
    }

    /// Marks a file or folder as a favorite of this user, or not.
    pub async fn set_favorite(&self, path: &str, favorite: bool) -> Result<(), DavError> {
        self.plain().set_favorite(path, favorite).await
    }

    /// Takes a lock.
    pub async fn lock(&self, path: &str, lock: &LockRequest<'_>) -> Result<LockToken, DavError> {
        self.plain().lock(path, lock).await
    }

    /// Refreshes a lock through `path` (any resource it covers).
    pub async fn refresh_lock(&self, path: &str, token: &str) -> Result<(), DavError> {
        self.plain().refresh_lock(path, token).await
    }

    /// Releases a lock.
    pub async fn unlock(&self, path: &str, token: &str) -> Result<(), DavError> {
        self.plain().unlock(path, token).await
    }

    /// Uploads with a kept modification time, ETag preconditions or a lock token.
    pub async fn put_with(
        &self,
        path: &str,
        body: impl Into<Bytes>,
        options: &PutOptions<'_>,
    ) -> Result<Written, DavError> {
        self.plain().put_with(path, body, options).await
    }

    /// Downloads unless the file still has ETag `etag` (then `status` is 304).
    pub async fn get_if_changed(&self, path: &str, etag: &str) -> Result<Download, DavError> {
        self.plain().get_if_changed(path, etag).await
    }

    /// Deletes, submitting a lock token.
    pub async fn delete_locked(&self, path: &str, token: &str) -> Result<(), DavError> {
        self.plain().delete_locked(path, token).await
    }
}

impl Named<'_> {
    pub(super) async fn propfind_body(
        &self,
        path: &str,
        depth: Depth,
        body: &'static str,
    ) -> Result<Vec<DavEntry>, DavError> {
        let mut entries = None;
        let depth = match depth {
            Depth::Zero => "0",
            Depth::One => "1",
        };
        self.request(method(b"PROPFIND")?, path)
            .header("Depth", depth)
            .header("Content-Type", "application/xml; charset=utf-8")
            .body(body)
            .check(|resp| {
                if resp.status().as_u16() != 207 {
                    return Err(format!(
                        "expected 207 Multi-Status, got HTTP {}",
                        resp.status().as_u16()
                    ));
                }
                entries = Some(multistatus::parse(resp.body()).map_err(|e| e.to_string())?);
                Ok(())
            })
            .send()
            .await?;
        entries.ok_or_else(|| DavError::Malformed("no multistatus".into()))
    }

    /// PROPPATCH (see [`Dav::proppatch`]).
    pub async fn proppatch(&self, path: &str, ops: &[PropUpdate<'_>]) -> Result<(), DavError> {
        let mut bad: Option<Vec<String>> = None;
        self.request(method(b"PROPPATCH")?, path)
            .header("Content-Type", "application/xml; charset=utf-8")
            .body(proppatch_body(ops))
            .check(|resp| {
                if resp.status().as_u16() != 207 {
                    return Err(format!(
                        "expected 207 Multi-Status, got HTTP {}",
                        resp.status().as_u16()
                    ));
                }
                let codes = refused(resp.body())?;
                if codes.is_empty() {
                    return Ok(());
                }
                let text = format!("properties refused: {}", codes.join(", "));
                bad = Some(codes);
                Err(text)
            })
            .send()
            .await
            .map_err(|e| match bad.take() {
                Some(codes) => DavError::Refused(codes.join(", ")),
                None => DavError::from(e),
            })?;
        Ok(())
    }

    /// Favorite or not (see [`Dav::set_favorite`]).
    pub async fn set_favorite(&self, path: &str, favorite: bool) -> Result<(), DavError> {
        let value = if favorite { "1" } else { "0" };
        self.proppatch(
            path,
            &[PropUpdate::Set {
                ns: OC_NS,
                name: "favorite",
                value,
            }],
        )
        .await
    }

    /// LOCK (see [`Dav::lock`]).
    pub async fn lock(&self, path: &str, lock: &LockRequest<'_>) -> Result<LockToken, DavError> {
        let scope = match lock.scope {
            LockScope::Exclusive => "<d:exclusive/>",
            LockScope::Shared => "<d:shared/>",
        };
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:lockinfo xmlns:d=\"DAV:\"><d:lockscope>{scope}</d:lockscope><d:locktype><d:write/></d:locktype><d:owner>{}</d:owner></d:lockinfo>",
            escape(lock.owner)
        );
        let resp = self
            .request(method(b"LOCK")?, path)
            .header("Content-Type", "application/xml; charset=utf-8")
            .header("Depth", if lock.infinite { "infinity" } else { "0" })
            .header("Timeout", format!("Second-{}", lock.timeout_secs))
            .body(body)
            .send()
            .await?;
        let token = resp
            .header("lock-token")
            .map(|t| {
                t.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
            .ok_or_else(|| DavError::Malformed("LOCK answer without Lock-Token".into()))?;
        Ok(LockToken {
            token,
            created: resp.status().as_u16() == 201,
        })
    }

    /// Refresh (see [`Dav::refresh_lock`]).
    pub async fn refresh_lock(&self, path: &str, token: &str) -> Result<(), DavError> {
        self.request(method(b"LOCK")?, path)
            .header("If", format!("(<{token}>)"))
            .send()
            .await?;
        Ok(())
    }

    /// UNLOCK (see [`Dav::unlock`]).
    pub async fn unlock(&self, path: &str, token: &str) -> Result<(), DavError> {
        self.request(method(b"UNLOCK")?, path)
            .header("Lock-Token", format!("<{token}>"))
            .send()
            .await?;
        Ok(())
    }

    /// PUT with options (see [`Dav::put_with`]); never chunked.
    pub async fn put_with(
        &self,
        path: &str,
        body: impl Into<Bytes>,
        options: &PutOptions<'_>,
    ) -> Result<Written, DavError> {
        let mut req = self.request(Method::PUT, path).body(body.into());
        if let Some(t) = options.mtime {
            req = req.header("X-OC-Mtime", t.to_string());
        }
        if let Some(e) = options.if_match {
            req = req.header("If-Match", e);
        }
        if options.create_only {
            req = req.header("If-None-Match", "*");
        }
        if let Some(t) = options.lock_token {
            req = req.header("If", format!("(<{t}>)"));
        }
        let resp = req.send().await?;
        Ok(written(resp.status().as_u16()))
    }

    /// Conditional GET (see [`Dav::get_if_changed`]).
    pub async fn get_if_changed(&self, path: &str, etag: &str) -> Result<Download, DavError> {
        let resp = self
            .request(Method::GET, path)
            .header("If-None-Match", etag)
            .send()
            .await?;
        Ok(Download {
            status: resp.status().as_u16(),
            bytes: resp.bytes_received(),
        })
    }

    /// DELETE with a lock token (see [`Dav::delete_locked`]).
    pub async fn delete_locked(&self, path: &str, token: &str) -> Result<(), DavError> {
        self.request(Method::DELETE, path)
            .header("If", format!("(<{token}>)"))
            .send()
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proppatch_bodies_escape_and_keep_order() {
        let body = proppatch_body(&[
            PropUpdate::Remove {
                ns: "urn:a",
                name: "x",
            },
            PropUpdate::Set {
                ns: OC_NS,
                name: "favorite",
                value: "1 & <2>",
            },
        ]);
        let remove = body.find("<d:remove>").unwrap_or(usize::MAX);
        let set = body.find("<d:set>").unwrap_or(0);
        assert!(remove < set, "{body}");
        assert!(body.contains("1 &amp; &lt;2&gt;"), "{body}");
    }

    #[test]
    fn refused_properties_are_found() {
        let ok = br#"<d:multistatus xmlns:d="DAV:"><d:response><d:propstat><d:prop><x/></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"#;
        let bad = br#"<d:multistatus xmlns:d="DAV:"><d:response><d:propstat><d:prop><a/></d:prop><d:status>HTTP/1.1 403 Forbidden</d:status></d:propstat><d:propstat><d:prop><b/></d:prop><d:status>HTTP/1.1 424 Failed Dependency</d:status></d:propstat></d:response></d:multistatus>"#;
        assert_eq!(refused(ok), Ok(vec![]));
        assert_eq!(refused(bad), Ok(vec!["403".to_owned(), "424".to_owned()]));
        assert!(refused(b"<html/>").is_err());
    }
}
