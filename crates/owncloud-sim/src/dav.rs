//! WebDAV file methods under a user's home, with Sabre's status codes and error bodies.

use std::ops::Deref;
use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use percent_encoding::percent_decode_str;

use crate::paths::{self, PathError};
use crate::propfind::{self, Ctx, Entry, Want};
use crate::router::{Resp, empty, full};
use crate::state::State;
use crate::store::UserEntry;
use crate::tree::{Content, Node, Tree, TreeError};
use crate::view::View;

/// Which URL space the request came through (it decides hrefs and Destination parsing).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Base<'a> {
    /// `/remote.php/dav/files/{owner}/...` (owner still percent-encoded).
    Files(&'a str),
    /// `/remote.php/webdav/...`: the authenticated user's home.
    Legacy,
    /// `/remote.php/dav/uploads/{owner}/...`: chunked uploads (owner still percent-encoded).
    Uploads(&'a str),
    /// Anything else under `/remote.php/dav/` (not served).
    Other,
}

/// Builds Sabre's XML error response.
pub(crate) fn sabre(status: StatusCode, exception: &str, message: &str) -> Resp {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:error xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\">\n  <s:exception>{}</s:exception>\n  <s:message>{}</s:message>\n</d:error>\n",
        quick_xml::escape::escape(exception),
        quick_xml::escape::escape(message)
    );
    let mut r = full(status, Bytes::from(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    r
}

/// 401 for WebDAV, with the challenge ownCloud sends.
pub(crate) fn unauthorized() -> Resp {
    let mut r = sabre(
        StatusCode::UNAUTHORIZED,
        "Sabre\\DAV\\Exception\\NotAuthenticated",
        "Username or password was incorrect",
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"ownCloud\", charset=\"UTF-8\""),
    );
    r
}

/// 503 for a request that lost the first-login race.
pub(crate) fn locked(user: &str) -> Resp {
    sabre(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sabre\\DAV\\Exception\\ServiceUnavailable",
        &format!("\"{user}/files\" is locked"),
    )
}

/// The `Overwrite` header of a MOVE or COPY (absent means `T`), or Sabre's 400.
pub(crate) fn overwrite(headers: &HeaderMap) -> Result<bool, Box<Resp>> {
    match headers.get("overwrite").map(HeaderValue::as_bytes) {
        None | Some(b"T" | b"t") => Ok(true),
        Some(b"F" | b"f") => Ok(false),
        Some(_) => Err(Box::new(bad_request(
            "The HTTP Overwrite header should be either T or F",
        ))),
    }
}

pub(crate) fn bad_request(msg: &str) -> Resp {
    sabre(
        StatusCode::BAD_REQUEST,
        "Sabre\\DAV\\Exception\\BadRequest",
        msg,
    )
}

pub(crate) fn forbidden(msg: &str) -> Resp {
    sabre(
        StatusCode::FORBIDDEN,
        "Sabre\\DAV\\Exception\\Forbidden",
        msg,
    )
}

pub(crate) fn not_found(key: &str) -> Resp {
    sabre(
        StatusCode::NOT_FOUND,
        "Sabre\\DAV\\Exception\\NotFound",
        &format!("File with name {key} could not be located"),
    )
}

pub(crate) fn not_implemented(method: &Method) -> Resp {
    sabre(
        StatusCode::NOT_IMPLEMENTED,
        "Sabre\\DAV\\Exception\\NotImplemented",
        &format!("There was no handler found for this \"{method}\" method"),
    )
}

pub(crate) fn path_error(e: PathError) -> Resp {
    match e {
        PathError::Traversal => bad_request("Path contains . or .. segments"),
        PathError::Malformed => bad_request("Path is not valid UTF-8"),
    }
}

pub(crate) fn tree_error(e: TreeError, key: &str) -> Resp {
    match e {
        TreeError::NotFound => not_found(key),
        TreeError::ParentMissing => sabre(
            StatusCode::CONFLICT,
            "Sabre\\DAV\\Exception\\Conflict",
            "Files cannot be created in non-existent collections",
        ),
        TreeError::Exists => sabre(
            StatusCode::METHOD_NOT_ALLOWED,
            "Sabre\\DAV\\Exception\\MethodNotAllowed",
            "The resource you tried to create already exists",
        ),
        TreeError::IsDir => sabre(
            StatusCode::CONFLICT,
            "Sabre\\DAV\\Exception\\Conflict",
            "PUT is not allowed on non-files.",
        ),
        TreeError::Precondition => sabre(
            StatusCode::PRECONDITION_FAILED,
            "Sabre\\DAV\\Exception\\PreconditionFailed",
            "The destination node already exists, and the overwrite header is set to false",
        ),
        TreeError::Forbidden => forbidden("Source and destination uri are identical."),
        TreeError::IntoItself => sabre(
            StatusCode::CONFLICT,
            "Sabre\\DAV\\Exception\\Conflict",
            "Cannot move or copy a collection into itself",
        ),
        TreeError::Io(e) => {
            tracing::warn!("storage error on {key}: {e}");
            sabre(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sabre\\DAV\\Exception",
                "Storage error",
            )
        }
    }
}

pub(crate) fn file_id(state: &State, fileid: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("{fileid:08}{}", state.instance_id))
        .unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// Serves one WebDAV request of `me` (authenticated, home ready).
pub(crate) fn handle(
    state: &State,
    parts: &Parts,
    body: Bytes,
    base: Base<'_>,
    rest: &str,
    me: &Arc<UserEntry>,
) -> Resp {
    let mine = format!("/remote.php/dav/files/{}", paths::encode_href(&me.id));
    let (owner, href_base) = match base {
        Base::Files(raw) => {
            let owner = percent_decode_str(raw).decode_utf8_lossy();
            let href = format!("/remote.php/dav/files/{}", paths::encode_href(&owner));
            (Some(owner), href)
        }
        Base::Legacy => (None, "/remote.php/webdav".to_owned()),
        Base::Uploads(raw) => return crate::uploads::handle(state, parts, body, raw, rest, me),
        Base::Other => return not_found(rest.trim_matches('/')),
    };
    let key = match paths::normalize(rest) {
        Ok(k) => k,
        Err(e) => return path_error(e),
    };
    if owner.as_deref().is_some_and(|o| o != me.id) {
        return foreign(state, parts, &body, &key, &href_base);
    }
    // A Destination or If URL may name the home through either URL space.
    let mut aliases = vec![
        format!("/remote.php/dav/files/{}", me.id),
        "/remote.php/webdav".to_owned(),
        mine,
    ];
    aliases.retain(|a| *a != href_base);
    let view = View::user(me.clone(), href_base, aliases);
    crate::methods::serve(state, parts, body, &view, &key)
}

/// Serves `/public.php/webdav/...` of a link (the token was checked).
pub(crate) fn handle_public(
    state: &State,
    parts: &Parts,
    body: Bytes,
    view: &View,
    rest: &str,
) -> Resp {
    let key = match paths::normalize(rest) {
        Ok(k) => k,
        Err(e) => return path_error(e),
    };
    crate::methods::serve(state, parts, body, view, &key)
}

pub(crate) fn options() -> Resp {
    crate::methods::options()
}

/// Another user's home: only the bare root is visible, nothing can be written.
fn foreign(state: &State, parts: &Parts, body: &[u8], key: &str, href_base: &str) -> Resp {
    match parts.method.as_str() {
        "PROPFIND" if key.is_empty() => {
            let bare = || Box::new(Tree::bare());
            propfind(state, parts, body, key, href_base, ("", ""), bare)
        }
        "GET" | "HEAD" | "PROPFIND" | "DELETE" => not_found(key),
        "OPTIONS" => options(),
        "PUT" | "MKCOL" | "MOVE" | "COPY" | "PROPPATCH" => {
            forbidden("Access to this resource is forbidden")
        }
        _ => not_implemented(&parts.method),
    }
}

pub(crate) fn multistatus(xml: String) -> Resp {
    let mut r = full(StatusCode::MULTI_STATUS, Bytes::from(xml));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Brief,Prefer"));
    h.insert("dav", HeaderValue::from_static(crate::methods::DAV_CLASSES));
    r
}

/// A parsed `Range` header against a length.
#[derive(Debug, PartialEq, Eq)]
enum Range {
    Full,
    Part(u64, u64),
    Unsatisfiable,
}

fn parse_range(h: &str, len: u64) -> Range {
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Range::Full;
    };
    if spec.contains(',') {
        return Range::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Range::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    let parsed = |s: &str| s.parse::<u64>().ok();
    match (a.is_empty(), b.is_empty()) {
        (true, false) => match parsed(b) {
            Some(0) | None => Range::Unsatisfiable,
            Some(_) if len == 0 => Range::Unsatisfiable,
            Some(n) => Range::Part(len.saturating_sub(n), len - 1),
        },
        (false, _) => {
            let Some(start) = parsed(a) else {
                return Range::Full;
            };
            let end = if b.is_empty() {
                Some(len.saturating_sub(1))
            } else {
                parsed(b)
            };
            match end {
                None => Range::Full,
                Some(e) if e < start => Range::Full,
                _ if start >= len => Range::Unsatisfiable,
                Some(e) => Range::Part(start, e.min(len - 1)),
            }
        }
        (true, true) => Range::Full,
    }
}

/// GET/HEAD of a node: the file (ranges honoured) or Sabre's 501 for a folder.
pub(crate) fn serve_file(state: &State, parts: &Parts, node: Node) -> Resp {
    let Node {
        content,
        etag,
        mtime,
        mime,
        fileid,
        ..
    } = node;
    let Content::File(data) = content else {
        return sabre(
            StatusCode::NOT_IMPLEMENTED,
            "Sabre\\DAV\\Exception\\NotImplemented",
            "There was no plugin in the system that was willing to handle this GET method. Enable the Browser plugin to get a better result here.",
        );
    };
    let len = data.len() as u64;
    let range = parts
        .headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Range::Full, |h| parse_range(h, len));
    let head = parts.method == Method::HEAD;
    let (status, body, content_range) = match range {
        Range::Full => (StatusCode::OK, data, None),
        Range::Part(a, b) => (
            StatusCode::PARTIAL_CONTENT,
            data.slice(a as usize..=b as usize),
            Some(format!("bytes {a}-{b}/{len}")),
        ),
        Range::Unsatisfiable => {
            let mut r = sabre(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "Sabre\\DAV\\Exception\\RequestedRangeNotSatisfiable",
                "The start offset should be smaller than the total size",
            );
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
    };
    let body_len = body.len();
    let mut r = full(status, if head { Bytes::new() } else { body });
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if head {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(body_len));
    }
    h.insert("oc-etag", etag.clone());
    h.insert(header::ETAG, etag);
    h.insert("oc-fileid", file_id(state, fileid));
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime),
    )) {
        h.insert(header::LAST_MODIFIED, v);
    }
    if let Some(cr) = content_range.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.insert(header::CONTENT_RANGE, cr);
    }
    r
}

/// 201/204 with the headers ownCloud sends after writing a file (PUT, or a chunked upload's
/// final MOVE).
pub(crate) fn written(state: &State, created: bool, etag: HeaderValue, fileid: u64) -> Resp {
    let mut r = empty(if created {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    });
    let h = r.headers_mut();
    h.insert("oc-etag", etag.clone());
    h.insert(header::ETAG, etag);
    h.insert("oc-fileid", file_id(state, fileid));
    r
}

/// Reads `Destination` into a key of `me`'s home, or the error response Sabre gives.
pub(crate) fn destination(headers: &HeaderMap, me: &UserEntry) -> Result<String, Box<Resp>> {
    let Some(raw) = headers.get("destination") else {
        return Err(Box::new(bad_request(
            "The destination header was not supplied",
        )));
    };
    let Ok(raw) = raw.to_str() else {
        return Err(Box::new(bad_request("The destination header is not valid")));
    };
    let path = match raw.find("://") {
        Some(i) => {
            let after = &raw[i + 3..];
            after.find('/').map_or("/", |j| &after[j..])
        }
        None => raw,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let rest = if let Some(r) = path.strip_prefix("/remote.php/dav/files/") {
        let (owner, rest) = r.split_once('/').unwrap_or((r, ""));
        if percent_decode_str(owner).decode_utf8_lossy() != me.id {
            return Err(Box::new(forbidden("Access to this resource is forbidden")));
        }
        rest
    } else if let Some(r) = path.strip_prefix("/remote.php/webdav") {
        if !(r.is_empty() || r.starts_with('/')) {
            return Err(Box::new(out_of_base(path)));
        }
        r
    } else {
        return Err(Box::new(out_of_base(path)));
    };
    paths::normalize(rest)
        .map(std::borrow::Cow::into_owned)
        .map_err(|e| Box::new(path_error(e)))
}

fn out_of_base(path: &str) -> Resp {
    forbidden(&format!(
        "Requested uri ({path}) is out of base uri (/remote.php/dav/)"
    ))
}

/// PROPFIND of `key` in the tree `open` hands out (called once the request parsed), hrefs
/// under `href_base`, `owner` (id, display name) for the owner properties: 400 for a bad
/// body, 404 for a missing key, else the multistatus.
fn propfind<T: Deref<Target = Tree>>(
    state: &State,
    parts: &Parts,
    body: &[u8],
    key: &str,
    href_base: &str,
    owner: (&str, &str),
    open: impl FnOnce() -> T,
) -> Resp {
    let want = match propfind::parse(body) {
        Ok(w) => w,
        Err(e) => return bad_request(&e.0),
    };
    let depth = match parts.headers.get("depth").map(HeaderValue::as_bytes) {
        Some(b"0") => Some(0),
        Some(b"1") => Some(1),
        _ => None,
    };
    let ctx = Ctx {
        instance_id: &state.instance_id,
        owner,
    };
    let needs_size = match &want {
        Want::AllProp => true,
        Want::Props(p) => p
            .iter()
            .any(|p| p.local == "size" || p.local == "quota-used-bytes"),
    };
    let xml = {
        let tree = open();
        let nodes = tree.list(key, depth);
        if nodes.is_empty() {
            return not_found(key);
        }
        let entries: Vec<Entry<'_>> = nodes
            .into_iter()
            .map(|(k, node)| {
                let mut href = String::with_capacity(href_base.len() + k.len() + 2);
                href.push_str(href_base);
                href.push('/');
                href.push_str(&paths::encode_href(k));
                if node.is_dir() && !k.is_empty() {
                    href.push('/');
                }
                let size = if node.is_dir() && needs_size {
                    tree.size(k)
                } else {
                    node.len()
                };
                Entry {
                    href,
                    node,
                    size,
                    extra: None,
                }
            })
            .collect();
        propfind::render(&entries, &want, &ctx)
    };
    multistatus(xml)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-3", 10), Range::Part(0, 3));
        assert_eq!(parse_range("bytes=5-", 10), Range::Part(5, 9));
        assert_eq!(parse_range("bytes=-3", 10), Range::Part(7, 9));
        assert_eq!(parse_range("bytes=2-100", 10), Range::Part(2, 9));
        assert_eq!(parse_range("bytes=10-12", 10), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 10), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=5-2", 10), Range::Full);
        assert_eq!(parse_range("bytes=0-1,3-4", 10), Range::Full);
        assert_eq!(parse_range("items=0-1", 10), Range::Full);
    }
}
