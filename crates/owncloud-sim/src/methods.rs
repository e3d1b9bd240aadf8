//! The WebDAV methods on a [`View`]: a user's home with its received shares, or a public
//! link. Every method resolves its path to a [`Spot`], checks the share permissions, the
//! `If` header and locks, the ETag preconditions, then works on the owner's tree.

use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use percent_encoding::percent_decode_str;

use crate::dav::{
    bad_request, forbidden, multistatus, not_found, not_implemented, sabre, tree_error, written,
};
use crate::locks::{self, Write};
use crate::paths;
use crate::propfind::{self, Ctx, Entry, Extra, PropName, Want};
use crate::props::{self, Op};
use crate::router::{Resp, empty, full};
use crate::shares::{CREATE, DELETE, UPDATE};
use crate::state::State;
use crate::store::{lock, read, write};
use crate::tree::{Node, TreeError};
use crate::view::{Spot, View};

/// Allowed methods on a resource of a class 2 server.
const ALLOW: &str =
    "OPTIONS, GET, HEAD, DELETE, PROPFIND, PUT, PROPPATCH, COPY, MOVE, REPORT, LOCK, UNLOCK";

/// The compliance classes ownCloud's Sabre server advertises with its locks plugin.
pub(crate) const DAV_CLASSES: &str = "1, 3, extended-mkcol, 2";

/// A refusal built before the method's work (boxed: responses are large).
type Refusal = Box<Resp>;

/// What the `If` header allows: the tokens it submitted.
struct Submitted(Vec<String>);

/// Serves one request on `view` at view key `vk`.
pub(crate) fn serve(state: &State, parts: &Parts, body: Bytes, view: &View, vk: &str) -> Resp {
    let m = parts.method.as_str();
    if m == "OPTIONS" {
        return options();
    }
    let Some(spot) = view.resolve(state, vk) else {
        return not_found(vk);
    };
    let submitted = match check_if(state, &parts.headers, view, &spot) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    match m {
        "GET" | "HEAD" => get(state, parts, &spot, vk),
        "PUT" => put(state, parts, body, &spot, vk, &submitted),
        "DELETE" => delete(state, parts, &spot, vk, &submitted),
        "MKCOL" => mkcol(state, parts, &body, &spot, vk, &submitted),
        "MOVE" | "COPY" => transfer(state, parts, view, &spot, vk, m == "MOVE", &submitted),
        "PROPFIND" => propfind(state, parts, &body, view, &spot, vk),
        "PROPPATCH" => proppatch(state, &body, view, &spot, vk, &submitted),
        "LOCK" => lock_method(state, parts, &body, view, &spot, vk, &submitted),
        "UNLOCK" => unlock_method(state, parts, &spot, vk),
        _ => not_implemented(&parts.method),
    }
}

/// OPTIONS: what ownCloud's Sabre answers, class 2 included.
pub(crate) fn options() -> Resp {
    let mut r = empty(StatusCode::OK);
    let h = r.headers_mut();
    h.insert(header::ALLOW, HeaderValue::from_static(ALLOW));
    h.insert("dav", HeaderValue::from_static(DAV_CLASSES));
    h.insert("ms-author-via", HeaderValue::from_static("DAV"));
    r
}

fn denied(msg: &str) -> Resp {
    forbidden(msg)
}

fn locked_resp() -> Resp {
    sabre(
        StatusCode::LOCKED,
        "Sabre\\DAV\\Exception\\Locked",
        "The resource you tried to edit is locked",
    )
}

fn precondition(msg: &str) -> Resp {
    sabre(
        StatusCode::PRECONDITION_FAILED,
        "Sabre\\DAV\\Exception\\PreconditionFailed",
        msg,
    )
}

/// The node at a spot, cloned out of its tree (cheap: bytes are shared).
fn node_at(spot: &Spot) -> Option<Node> {
    read(&spot.owner.tree).get(&spot.key).cloned()
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let all: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!all.is_empty()).then(|| all.join(" "))
}

/// Strips `scheme://authority` from a URL, leaving its path.
fn url_path(url: &str) -> &str {
    match url.find("://") {
        Some(i) => {
            let after = &url[i + 3..];
            after.find('/').map_or("/", |j| &after[j..])
        }
        None => url,
    }
}

/// Evaluates the `If` header: 400 when unreadable, 412 when no list holds.
fn check_if(
    state: &State,
    headers: &HeaderMap,
    view: &View,
    spot: &Spot,
) -> Result<Submitted, Refusal> {
    let Some(text) = header_text(headers, "if") else {
        return Ok(Submitted(Vec::new()));
    };
    let lists =
        locks::parse_if(&text).map_err(|_| bad_request("The If header could not be parsed"))?;
    let holds = lists.iter().any(|list| {
        let target = match &list.resource {
            None => Some(spot.clone()),
            Some(url) => {
                let decoded = percent_decode_str(url_path(url)).decode_utf8_lossy();
                view.key_of_url_path(&decoded)
                    .and_then(Result::ok)
                    .and_then(|vk| view.resolve(state, &vk))
            }
        };
        let Some(target) = target else {
            return false;
        };
        let etag = node_at(&target).and_then(|n| n.etag.to_str().ok().map(str::to_owned));
        list.conds.iter().all(|c| match c {
            locks::Cond::Token(not, t) => {
                *not != state.locks.token_covers(t, &target.owner.id, &target.key)
            }
            locks::Cond::Etag(not, e) => {
                *not != etag.as_deref().is_some_and(|cur| locks::etag_eq(cur, e))
            }
        })
    });
    if !holds {
        return Err(Box::new(precondition("An If-* header condition failed")));
    }
    Ok(Submitted(locks::submitted_tokens(&lists)))
}

/// `If-Match` / `If-None-Match` against the current ETag (Sabre's checkPreconditions).
fn check_etags(parts: &Parts, node: Option<&Node>) -> Result<(), Refusal> {
    let etag = node.and_then(|n| n.etag.to_str().ok());
    let matches = |h: &str| {
        h.split(',')
            .map(str::trim)
            .any(|t| t == "*" && etag.is_some() || etag.is_some_and(|e| locks::etag_eq(e, t)))
    };
    if let Some(h) = header_text(&parts.headers, "if-match") {
        if !matches(&h) {
            return Err(Box::new(precondition(
                "An If-Match header was specified, but none of the specified ETags matched.",
            )));
        }
    }
    if let Some(h) = header_text(&parts.headers, "if-none-match") {
        if matches(&h) {
            if matches!(parts.method, Method::GET | Method::HEAD) {
                let mut r = empty(StatusCode::NOT_MODIFIED);
                if let Some(e) = node.map(|n| n.etag.clone()) {
                    r.headers_mut().insert(header::ETAG, e);
                }
                return Err(Box::new(r));
            }
            return Err(Box::new(precondition(
                "An If-None-Match header was specified, but the ETag matched (or * was specified).",
            )));
        }
    }
    Ok(())
}

fn may(state: &State, spot: &Spot, what: Write, s: &Submitted) -> Result<(), Refusal> {
    if state.locks.may_write(&spot.owner.id, &spot.key, what, &s.0) {
        Ok(())
    } else {
        Err(Box::new(locked_resp()))
    }
}

fn get(state: &State, parts: &Parts, spot: &Spot, vk: &str) -> Resp {
    let node = node_at(spot);
    if let Err(r) = check_etags(parts, node.as_ref()) {
        return *r;
    }
    match node {
        Some(n) => crate::dav::serve_file(state, parts, n),
        None => not_found(vk),
    }
}

/// `X-OC-Mtime`: seconds since the epoch (PHP reads it as a number; fractions drop).
pub(crate) fn oc_mtime(headers: &HeaderMap) -> Option<u64> {
    let v = headers.get("x-oc-mtime")?.to_str().ok()?.trim();
    let int = v.split('.').next().unwrap_or(v);
    int.parse::<u64>().ok()
}

fn put(state: &State, parts: &Parts, body: Bytes, spot: &Spot, vk: &str, s: &Submitted) -> Resp {
    let node = node_at(spot);
    if let Err(r) = check_etags(parts, node.as_ref()) {
        return *r;
    }
    let needed = if node.is_some() { UPDATE } else { CREATE };
    if spot.perms & needed == 0 {
        return denied("Permission denied to write this file");
    }
    let what = if node.is_some() {
        Write::Content
    } else {
        Write::Create
    };
    if let Err(r) = may(state, spot, what, s) {
        return *r;
    }
    let mtime = oc_mtime(&parts.headers);
    let result = write(&spot.owner.tree).put_at(&spot.key, body, mtime);
    match result {
        Ok((created, etag)) => {
            let fileid = read(&spot.owner.tree)
                .get(&spot.key)
                .map_or(0, |n| n.fileid);
            let mut r = written(state, created, etag, fileid);
            if mtime.is_some() {
                r.headers_mut()
                    .insert("x-oc-mtime", HeaderValue::from_static("accepted"));
            }
            r
        }
        Err(e) => tree_error(e, vk),
    }
}

fn delete(state: &State, parts: &Parts, spot: &Spot, vk: &str, s: &Submitted) -> Resp {
    let node = node_at(spot);
    if let Err(r) = check_etags(parts, node.as_ref()) {
        return *r;
    }
    if let (true, Some(share)) = (spot.is_mount_root(), &spot.share) {
        // The recipient deletes the mount point: ownCloud's deleteFromSelf, which for a user
        // share deletes the share itself. The owner's file stays.
        state.shares.remove(share.id);
        return empty(StatusCode::NO_CONTENT);
    }
    if spot.is_link_root() {
        return denied("The share's root cannot be deleted through it");
    }
    if spot.perms & DELETE == 0 {
        return denied("Permission denied to delete this resource");
    }
    if let Err(r) = may(state, spot, Write::Remove, s) {
        return *r;
    }
    let result = write(&spot.owner.tree).delete(&spot.key);
    match result {
        Ok(()) => {
            state.locks.forget(&spot.owner.id, &spot.key);
            empty(StatusCode::NO_CONTENT)
        }
        Err(e) => tree_error(e, vk),
    }
}

fn mkcol(state: &State, parts: &Parts, body: &[u8], spot: &Spot, vk: &str, s: &Submitted) -> Resp {
    if !body.is_empty() {
        // Sabre's httpMkcol: a body must be XML (415 otherwise) and an extended-MKCOL
        // construct; ownCloud 10.14 answers an XML body 400 (measured).
        let xml = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/xml") || c.starts_with("text/xml"));
        if !xml {
            return sabre(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Sabre\\DAV\\Exception\\UnsupportedMediaType",
                "The request body for the MKCOL request must have an xml Content-Type",
            );
        }
        return bad_request(
            "The request body for the MKCOL request must be a {DAV:}mkcol request construct.",
        );
    }
    if spot.perms & CREATE == 0 {
        return denied("Permission denied to create this folder");
    }
    if let Err(r) = may(state, spot, Write::Create, s) {
        return *r;
    }
    let result = write(&spot.owner.tree).mkcol(&spot.key);
    match result {
        Ok(()) => empty(StatusCode::CREATED),
        Err(e) => tree_error(e, vk),
    }
}

/// The `Destination` of a COPY/MOVE as a view key, or Sabre's refusal.
fn destination(headers: &HeaderMap, view: &View) -> Result<String, Refusal> {
    let raw = headers
        .get("destination")
        .ok_or_else(|| Box::new(bad_request("The destination header was not supplied")))?
        .to_str()
        .map_err(|_| Box::new(bad_request("The destination header is not valid")))?;
    let path = url_path(raw);
    // Decoding is left to the path normaliser, which refuses encoded traversal too.
    if let Some(k) = view.key_of_url_path(path) {
        return k.map_err(|e| Box::new(crate::dav::path_error(e)));
    }
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    if decoded.starts_with("/remote.php/dav/files/") || decoded.starts_with(&view.href_base) {
        return Err(Box::new(forbidden("Access to this resource is forbidden")));
    }
    Err(Box::new(forbidden(&format!(
        "Requested uri ({path}) is out of base uri (/remote.php/dav/)"
    ))))
}

fn transfer(
    state: &State,
    parts: &Parts,
    view: &View,
    src: &Spot,
    vk: &str,
    is_move: bool,
    s: &Submitted,
) -> Resp {
    let dst_vk = match destination(&parts.headers, view) {
        Ok(d) => d,
        Err(r) => return *r,
    };
    let overwrite = match crate::dav::overwrite(&parts.headers) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    let Some(dst) = view.resolve(state, &dst_vk) else {
        return sabre(
            StatusCode::CONFLICT,
            "Sabre\\DAV\\Exception\\Conflict",
            "The destination node is not found",
        );
    };
    if node_at(src).is_none() {
        return not_found(vk);
    }
    if let (true, true, Some(share)) = (is_move, src.is_mount_root(), &src.share) {
        return rename_mount(state, view, share.id, &dst_vk);
    }
    if is_move && src.is_link_root() {
        return denied("A share's root cannot be moved through it");
    }
    if is_move && src.perms & DELETE == 0 {
        return denied("Permission denied to move this resource");
    }
    let dst_exists = node_at(&dst).is_some();
    let needed = if dst_exists { UPDATE } else { CREATE };
    if dst.perms & needed == 0 || dst.is_mount_root() || dst.is_link_root() {
        return denied("Permission denied to write the destination");
    }
    if is_move {
        if let Err(r) = may(state, src, Write::Remove, s) {
            return *r;
        }
    }
    let dst_write = if dst_exists {
        Write::Remove
    } else {
        Write::Create
    };
    if let Err(r) = may(state, &dst, dst_write, s) {
        return *r;
    }
    let result = if Arc::ptr_eq(&src.owner, &dst.owner) {
        write(&src.owner.tree).transfer(&src.key, &dst.key, overwrite, is_move)
    } else {
        across(src, &dst, overwrite, is_move)
    };
    match result {
        Ok(existed) => {
            if is_move {
                state.locks.forget(&src.owner.id, &src.key);
            }
            if existed {
                state.locks.forget(&dst.owner.id, &dst.key);
            }
            empty(if existed {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::CREATED
            })
        }
        Err(TreeError::ParentMissing) => sabre(
            StatusCode::CONFLICT,
            "Sabre\\DAV\\Exception\\Conflict",
            "The destination node is not found",
        ),
        Err(e) => tree_error(e, vk),
    }
}

/// MOVE of a mount point: the recipient renames it within their root (the owner's file
/// keeps its name); moving it anywhere else is refused.
fn rename_mount(state: &State, view: &View, id: u64, dst_vk: &str) -> Resp {
    let free = !dst_vk.is_empty()
        && !dst_vk.contains('/')
        && read(&view.home.tree).get(dst_vk).is_none()
        && state.shares.mounted(&view.home.id, dst_vk).is_none();
    if !free {
        return denied("A share's mount point can only be renamed to a free name in the root");
    }
    if state.shares.set_target(id, dst_vk) {
        empty(StatusCode::CREATED)
    } else {
        not_found(dst_vk)
    }
}

/// COPY/MOVE between two trees (a home and a share): copy out, graft in, then delete.
fn across(src: &Spot, dst: &Spot, overwrite: bool, is_move: bool) -> Result<bool, TreeError> {
    let nodes = read(&src.owner.tree).export(&src.key);
    if nodes.is_empty() {
        return Err(TreeError::NotFound);
    }
    let existed = write(&dst.owner.tree).graft(&dst.key, nodes, overwrite)?;
    if is_move {
        write(&src.owner.tree).delete(&src.key)?;
    }
    Ok(existed)
}

/// Per-viewer facts of a node at `tree_key` under `spot`.
fn extra(
    state: &State,
    view: &View,
    spot: &Spot,
    tree_key: &str,
    node: &Node,
    want: &Want,
) -> Extra {
    let owner = &spot.owner;
    let display = lock(&owner.profile).display_name.clone();
    Extra {
        permissions: spot.dav_permissions(tree_key, node.is_dir()),
        owner: (owner.id.clone(), display),
        favorite: view
            .me
            .as_ref()
            .is_some_and(|me| lock(&me.favorites).contains(&node.fileid)),
        share_types: if spot.share.is_none() && propfind::wants_share_types(want) {
            state.shares.types_on(&owner.id, node.fileid)
        } else {
            Vec::new()
        },
        locks: if propfind::wants_locks(want) {
            state.locks.covering(&owner.id, tree_key)
        } else {
            Vec::new()
        },
    }
}

/// One row of a PROPFIND answer, copied out of its tree.
struct Row {
    href: String,
    node: Node,
    size: u64,
    extra: Extra,
}

fn href(view: &View, vk: &str, dir: bool) -> String {
    let mut h = String::with_capacity(view.href_base.len() + vk.len() + 2);
    h.push_str(&view.href_base);
    h.push('/');
    h.push_str(&paths::encode_href(vk));
    if dir && !vk.is_empty() {
        h.push('/');
    }
    h
}

/// Rows for `spot` and its descendants to `depth`.
fn rows_of(state: &State, view: &View, spot: &Spot, depth: Option<u32>, want: &Want) -> Vec<Row> {
    let needs_size = match want {
        Want::AllProp => true,
        Want::Props(p) => p
            .iter()
            .any(|p| p.local == "size" || p.local == "quota-used-bytes"),
    };
    let tree = read(&spot.owner.tree);
    tree.list(&spot.key, depth)
        .into_iter()
        .map(|(k, node)| {
            let size = if node.is_dir() && needs_size {
                tree.size(k)
            } else {
                node.len()
            };
            Row {
                href: href(view, &spot.view_key(k), node.is_dir()),
                node: node.clone(),
                size,
                extra: extra(state, view, spot, k, node, want),
            }
        })
        .collect()
}

fn propfind(state: &State, parts: &Parts, body: &[u8], view: &View, spot: &Spot, vk: &str) -> Resp {
    let want = match propfind::parse(body) {
        Ok(w) => w,
        Err(e) => return bad_request(&e.0),
    };
    let depth = match parts.headers.get("depth").map(HeaderValue::as_bytes) {
        Some(b"0") => Some(0),
        Some(b"1") => Some(1),
        _ => None,
    };
    let mut rows = rows_of(state, view, spot, depth, &want);
    if rows.is_empty() {
        return not_found(vk);
    }
    if vk.is_empty() && depth != Some(0) {
        for mount in view.mounts(state) {
            let below = depth.map(|d| d - 1);
            rows.extend(rows_of(state, view, &mount, below, &want));
        }
    }
    let display = lock(&view.home.profile).display_name.clone();
    let ctx = Ctx {
        instance_id: &state.instance_id,
        owner: (view.home.id.as_str(), display.as_str()),
    };
    let entries: Vec<Entry<'_>> = rows
        .iter_mut()
        .map(|r| Entry {
            href: std::mem::take(&mut r.href),
            node: &r.node,
            size: r.size,
            extra: Some(std::mem::take(&mut r.extra)),
        })
        .collect();
    let mut resp = multistatus(propfind::render(&entries, &want, &ctx));
    resp.headers_mut()
        .insert("dav", HeaderValue::from_static(DAV_CLASSES));
    resp
}

/// What PROPPATCH decided for one property.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Protected,
    Forbidden,
}

fn proppatch(
    state: &State,
    body: &[u8],
    view: &View,
    spot: &Spot,
    vk: &str,
    s: &Submitted,
) -> Resp {
    let ops = match props::parse(body) {
        Ok(o) => o,
        Err(e) => return bad_request(&e.0),
    };
    let Some(node) = node_at(spot) else {
        return not_found(vk);
    };
    let touches_dead = ops.iter().any(|o| {
        let p = match o {
            Op::Set(p, _) | Op::Remove(p) => p,
        };
        !propfind::is_favorite(p)
    });
    if touches_dead {
        if let Err(r) = may(state, spot, Write::Content, s) {
            return *r;
        }
    }
    let verdicts: Vec<(PropName, Verdict)> = ops
        .iter()
        .map(|o| {
            let p = match o {
                Op::Set(p, _) | Op::Remove(p) => p,
            };
            // Favorites belong to the asking user; other properties to the node.
            let allowed = if propfind::is_favorite(p) {
                view.me.is_some()
            } else {
                spot.perms & UPDATE != 0
            };
            let v = if propfind::is_protected(p) {
                Verdict::Protected
            } else if allowed {
                Verdict::Ok
            } else {
                Verdict::Forbidden
            };
            (p.clone(), v)
        })
        .collect();
    let all_ok = verdicts.iter().all(|(_, v)| *v == Verdict::Ok);
    if all_ok {
        apply(view, spot, node.fileid, ops);
    }
    let mut out = String::from(
        "<?xml version=\"1.0\"?>\n<d:multistatus xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\" xmlns:oc=\"http://owncloud.org/ns\">",
    );
    out.push_str("<d:response><d:href>");
    out.push_str(&quick_xml::escape::escape(
        href(view, vk, node.is_dir()).as_str(),
    ));
    out.push_str("</d:href>");
    let mut n = 0;
    for (status, line) in [
        (
            Verdict::Ok,
            if all_ok {
                "200 OK"
            } else {
                "424 Failed Dependency"
            },
        ),
        (Verdict::Protected, "403 Forbidden"),
        (Verdict::Forbidden, "403 Forbidden"),
    ] {
        let mut seen = std::collections::BTreeSet::new();
        let names: Vec<&PropName> = verdicts
            .iter()
            .filter(|(p, v)| *v == status && seen.insert((p.ns.clone(), p.local.clone())))
            .map(|(p, _)| p)
            .collect();
        if names.is_empty() {
            continue;
        }
        out.push_str("<d:propstat><d:prop>");
        for p in names {
            propfind::element(&mut out, p, None, &mut n);
        }
        out.push_str("</d:prop><d:status>HTTP/1.1 ");
        out.push_str(line);
        out.push_str("</d:status></d:propstat>");
    }
    out.push_str("</d:response></d:multistatus>\n");
    multistatus(out)
}

/// Applies checked PROPPATCH operations in document order.
fn apply(view: &View, spot: &Spot, fileid: u64, ops: Vec<Op>) {
    let mut tree = write(&spot.owner.tree);
    for op in ops {
        match op {
            Op::Set(p, v) if propfind::is_favorite(&p) => {
                if let Some(me) = &view.me {
                    let on = !matches!(v.trim(), "" | "0" | "false");
                    let mut favs = lock(&me.favorites);
                    if on {
                        favs.insert(fileid);
                    } else {
                        favs.remove(&fileid);
                    }
                }
            }
            Op::Remove(p) if propfind::is_favorite(&p) => {
                if let Some(me) = &view.me {
                    lock(&me.favorites).remove(&fileid);
                }
            }
            Op::Set(p, v) => {
                if let Some(n) = tree.get_mut(&spot.key) {
                    n.dead.get_or_insert_default().insert((p.ns, p.local), v);
                }
            }
            Op::Remove(p) => {
                if let Some(n) = tree.get_mut(&spot.key) {
                    if let Some(d) = n.dead.as_mut() {
                        d.remove(&(p.ns, p.local));
                        if d.is_empty() {
                            n.dead = None;
                        }
                    }
                }
            }
        }
    }
}

/// What a LOCK body asks for.
struct LockInfo {
    exclusive: bool,
    owner: String,
}

/// Reads `{DAV:}lockinfo`: its scope and its owner content.
fn parse_lockinfo(body: &[u8]) -> Result<LockInfo, Refusal> {
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;
    let mut reader = quick_xml::reader::NsReader::from_reader(body);
    let mut depth = 0usize;
    let mut owner_start: Option<usize> = None;
    let mut owner = String::new();
    let mut seen_root = false;
    let mut in_scope = false;
    let mut exclusive = true;
    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let (ns, ev) = reader.read_resolved_event().map_err(|e| {
            Box::new(bad_request(&format!(
                "The request body is not valid XML: {e}"
            )))
        })?;
        let is_dav = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == b"DAV:");
        match ev {
            Event::Start(e) => {
                if depth == 0 {
                    if !is_dav || e.local_name().as_ref() != b"lockinfo" {
                        return Err(Box::new(bad_request(
                            "The root element of a LOCK body must be {DAV:}lockinfo",
                        )));
                    }
                    seen_root = true;
                }
                if depth == 1 && is_dav && e.local_name().as_ref() == b"owner" {
                    owner_start = Some(usize::try_from(reader.buffer_position()).unwrap_or(pos));
                }
                in_scope = depth == 1 && is_dav && e.local_name().as_ref() == b"lockscope";
                depth += 1;
            }
            Event::Empty(e) if in_scope && depth == 2 => {
                exclusive = e.local_name().as_ref() != b"shared";
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                in_scope = false;
                if depth == 1 && is_dav && e.local_name().as_ref() == b"owner" {
                    if let Some(start) = owner_start.take() {
                        let raw = body.get(start..pos).unwrap_or_default();
                        owner = owner_fragment(raw);
                    }
                }
            }
            Event::Empty(e) if depth == 0 => {
                if !is_dav || e.local_name().as_ref() != b"lockinfo" {
                    return Err(Box::new(bad_request(
                        "The root element of a LOCK body must be {DAV:}lockinfo",
                    )));
                }
                seen_root = true;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root || depth != 0 {
        return Err(Box::new(bad_request(
            "The request body is not valid XML: unexpected end",
        )));
    }
    Ok(LockInfo { exclusive, owner })
}

/// The owner's content made self-contained (re-parsed as a property value).
fn owner_fragment(raw: &[u8]) -> String {
    let mut doc = Vec::with_capacity(raw.len() + 96);
    doc.extend_from_slice(b"<propertyupdate xmlns='DAV:'><set><prop><owner xmlns='DAV:'>");
    doc.extend_from_slice(raw);
    doc.extend_from_slice(b"</owner></prop></set></propertyupdate>");
    match props::parse(&doc) {
        Ok(ops) => match ops.into_iter().next() {
            Some(Op::Set(_, v)) => v,
            _ => String::new(),
        },
        Err(_) => quick_xml::escape::escape(String::from_utf8_lossy(raw).as_ref()).into_owned(),
    }
}

fn timeout(headers: &HeaderMap) -> Option<u64> {
    let h = headers.get("timeout")?.to_str().ok()?;
    let first = h.split(',').next()?.trim();
    if first.eq_ignore_ascii_case("infinite") {
        return None;
    }
    first
        .strip_prefix("Second-")
        .and_then(|n| n.trim().parse::<u64>().ok())
        .map(|n| n.min(7 * 24 * 3600))
}

fn lock_answer(status: StatusCode, l: &locks::Lock, with_token: bool) -> Resp {
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:prop xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\"><d:lockdiscovery>",
    );
    l.write_active(&mut body);
    body.push_str("</d:lockdiscovery></d:prop>\n");
    let mut r = full(status, Bytes::from(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    if with_token {
        if let Ok(v) = HeaderValue::from_str(&format!("<{}>", l.token)) {
            r.headers_mut().insert("lock-token", v);
        }
    }
    r
}

#[allow(clippy::too_many_arguments)]
fn lock_method(
    state: &State,
    parts: &Parts,
    body: &[u8],
    view: &View,
    spot: &Spot,
    vk: &str,
    s: &Submitted,
) -> Resp {
    let tree_id = spot.owner.id.as_str();
    let wanted_timeout = timeout(&parts.headers).or(Some(1800));
    if body.iter().all(u8::is_ascii_whitespace) {
        // A refresh: the If header names the lock (through any resource it covers).
        for t in &s.0 {
            if let Some(l) = state.locks.refresh(t, tree_id, &spot.key, wanted_timeout) {
                return lock_answer(StatusCode::OK, &l, false);
            }
        }
        return precondition("A lock refresh needs the lock's token in an If header");
    }
    if spot.perms & UPDATE == 0 {
        return denied("Permission denied to lock this resource");
    }
    let info = match parse_lockinfo(body) {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let infinite = match parts.headers.get("depth").map(HeaderValue::as_bytes) {
        None | Some(b"infinity" | b"Infinity") => true,
        Some(b"0") => false,
        Some(_) => return bad_request("The Depth header of a LOCK must be 0 or infinity"),
    };
    let exists = node_at(spot).is_some();
    if !exists
        && !state
            .locks
            .may_write(tree_id, &spot.key, Write::Create, &s.0)
    {
        return locked_resp();
    }
    let root_href = href(view, vk, node_at(spot).is_some_and(|n| n.is_dir()));
    let l = match state.locks.acquire(
        tree_id,
        &spot.key,
        infinite,
        info.exclusive,
        info.owner,
        wanted_timeout,
        root_href,
    ) {
        Ok(l) => l,
        Err(_) => return locked_resp(),
    };
    if exists {
        return lock_answer(StatusCode::OK, &l, true);
    }
    // A lock on an unmapped URL creates an empty file (RFC 4918 §7.3).
    if spot.perms & CREATE == 0 {
        state.locks.release(&l.token, tree_id, &spot.key);
        return denied("Permission denied to create this file");
    }
    match write(&spot.owner.tree).put(&spot.key, Bytes::new()) {
        Ok(_) => lock_answer(StatusCode::CREATED, &l, true),
        Err(e) => {
            state.locks.release(&l.token, tree_id, &spot.key);
            tree_error(e, vk)
        }
    }
}

fn unlock_method(state: &State, parts: &Parts, spot: &Spot, vk: &str) -> Resp {
    let Some(raw) = parts
        .headers
        .get("lock-token")
        .and_then(|v| v.to_str().ok())
    else {
        return bad_request("No lock token was supplied");
    };
    let token = raw.trim().trim_start_matches('<').trim_end_matches('>');
    if node_at(spot).is_none() {
        return not_found(vk);
    }
    if state.locks.release(token, &spot.owner.id, &spot.key) {
        empty(StatusCode::NO_CONTENT)
    } else {
        sabre(
            StatusCode::CONFLICT,
            "Sabre\\DAV\\Exception\\LockTokenMatchesRequestUri",
            "The locktoken supplied does not match any locks on this entity",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtimes_and_timeouts_parse() {
        let mut h = HeaderMap::new();
        for (v, want) in [
            ("1500000000", Some(1_500_000_000)),
            ("1500000000.75", Some(1_500_000_000)),
            ("soon", None),
        ] {
            h.insert("x-oc-mtime", HeaderValue::from_static(v));
            assert_eq!(oc_mtime(&h), want, "{v}");
        }
        for (v, want) in [
            ("Second-3600", Some(3600)),
            ("Infinite, Second-4100000000", None),
            ("Second-99999999", Some(604_800)),
        ] {
            h.insert("timeout", HeaderValue::from_static(v));
            assert_eq!(timeout(&h), want, "{v}");
        }
    }

    #[test]
    fn lock_owners_are_kept_self_contained() {
        let body = b"<?xml version=\"1.0\"?><D:lockinfo xmlns:D='DAV:'><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>litmus test suite</D:owner></D:lockinfo>";
        let info = parse_lockinfo(body).ok().map(|i| (i.exclusive, i.owner));
        assert_eq!(info, Some((true, "litmus test suite".to_owned())));
        let body = b"<lockinfo xmlns='DAV:'><lockscope><shared/></lockscope><locktype><write/></locktype><owner><href>mailto:a@b</href></owner></lockinfo>";
        let info = parse_lockinfo(body).ok().map(|i| (i.exclusive, i.owner));
        assert_eq!(
            info,
            Some((false, "<href xmlns=\"DAV:\">mailto:a@b</href>".to_owned()))
        );
        assert!(parse_lockinfo(b"<foo/>").is_err());
    }
}
