//! Chunked uploads, ownCloud's "new" DAV chunking (v2) under `/remote.php/dav/uploads/{user}/`.
//!
//! A client MKCOLs an upload folder `{transfer-id}`, PUTs chunks into it, then MOVEs the
//! folder's virtual `.file` onto a path under `/remote.php/dav/files/{user}/`, which joins the
//! chunks in `strnatcmp` order of their names (ownCloud's `AssemblyStream`) into that file.
//! Uploads in progress live in memory only, one map per user; the assembled file goes through
//! the user's [`Tree`](crate::tree::Tree) like any PUT (so it is mirrored to the data dir).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Mutex;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Method, StatusCode, header};
use percent_encoding::percent_decode_str;

use crate::dav::{
    bad_request, destination, file_id, forbidden, multistatus, not_found, not_implemented, options,
    path_error, sabre, tree_error, written,
};
use crate::paths;
use crate::propfind::{self, Ctx, Entry};
use crate::router::{Resp, empty, full};
use crate::state::State;
use crate::store::{UserEntry, lock, read, write};
use crate::tree::{Content, Node, TreeError, mime_for, new_etag, new_fileid, now_secs};

/// The name of the virtual file that stands for the assembled upload.
const FUTURE_FILE: &str = ".file";

/// One upload folder: its own metadata and its chunks by name.
#[derive(Debug)]
struct Folder {
    node: Node,
    chunks: BTreeMap<String, Node>,
}

impl Folder {
    fn new(now: u64) -> Self {
        Self {
            node: Node::dir(now, new_fileid()),
            chunks: BTreeMap::new(),
        }
    }

    /// Bytes stored in all chunks.
    fn size(&self) -> u64 {
        self.chunks.values().map(Node::len).sum()
    }

    /// The chunks joined in ownCloud's order (`strnatcmp` of the names).
    fn assemble(&self) -> Bytes {
        let mut parts: Vec<(&String, &Node)> = self.chunks.iter().collect();
        parts.sort_by(|a, b| strnatcmp(a.0, b.0).then_with(|| a.0.cmp(b.0)));
        let total = usize::try_from(self.size()).unwrap_or(0);
        let mut out = Vec::with_capacity(total);
        for (_, n) in parts {
            if let Content::File(b) = &n.content {
                out.extend_from_slice(b);
            }
        }
        Bytes::from(out)
    }

    /// The virtual `.file`: the folder's etag and mtime, the assembled bytes.
    fn future_file(&self) -> Node {
        Node {
            content: Content::File(self.assemble()),
            mtime: self.node.mtime,
            etag: self.node.etag.clone(),
            fileid: self.node.fileid,
            mime: "application/octet-stream",
            dead: None,
        }
    }

    fn touch(&mut self, now: u64) {
        self.node.etag = new_etag();
        self.node.mtime = now;
    }
}

#[derive(Debug)]
struct Inner {
    /// `/remote.php/dav/uploads/{user}/` itself.
    home: Node,
    folders: BTreeMap<String, Folder>,
}

impl Inner {
    fn touch(&mut self, now: u64) {
        self.home.etag = new_etag();
        self.home.mtime = now;
    }
}

/// One user's uploads in progress.
#[derive(Debug)]
pub(crate) struct Uploads {
    inner: Mutex<Inner>,
}

impl Uploads {
    /// No uploads yet.
    pub(crate) fn new() -> Self {
        Self {
            inner: Mutex::new(Inner {
                home: Node::dir(now_secs(), new_fileid()),
                folders: BTreeMap::new(),
            }),
        }
    }
}

/// What a decoded key below the uploads home names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target<'a> {
    /// The uploads home.
    Home,
    /// An upload folder.
    Folder(&'a str),
    /// Something inside an upload folder (may hold further `/` for nested paths).
    Chunk(&'a str, &'a str),
}

fn target(key: &str) -> Target<'_> {
    match key.split_once('/') {
        _ if key.is_empty() => Target::Home,
        None => Target::Folder(key),
        Some((id, name)) => Target::Chunk(id, name),
    }
}

/// PHP's `strnatcmp` (ext/standard/strnatcmp.c): digit runs compare as numbers, leading
/// zeros of the whole string are skipped, digit runs starting with `0` compare left-aligned.
fn strnatcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.is_empty() || b.is_empty() {
        return a.len().cmp(&b.len());
    }
    let digit = |s: &[u8], i: usize| s.get(i).is_some_and(u8::is_ascii_digit);
    let (mut i, mut j) = (0usize, 0usize);
    let mut leading = true;
    loop {
        if leading {
            while a.get(i) == Some(&b'0') && digit(a, i + 1) {
                i += 1;
            }
            while b.get(j) == Some(&b'0') && digit(b, j + 1) {
                j += 1;
            }
            leading = false;
        }
        while a.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        while b.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        if digit(a, i) && digit(b, j) {
            let fractional = a.get(i) == Some(&b'0') || b.get(j) == Some(&b'0');
            let r = if fractional {
                compare_left(a, &mut i, b, &mut j)
            } else {
                compare_right(a, &mut i, b, &mut j)
            };
            if r != Ordering::Equal {
                return r;
            }
            match (i >= a.len(), j >= b.len()) {
                (true, true) => return Ordering::Equal,
                (true, false) => return Ordering::Less,
                (false, true) => return Ordering::Greater,
                (false, false) => {}
            }
        }
        let (ca, cb) = (
            a.get(i).copied().unwrap_or(0),
            b.get(j).copied().unwrap_or(0),
        );
        match ca.cmp(&cb) {
            Ordering::Equal => {}
            o => return o,
        }
        i += 1;
        j += 1;
        match (i >= a.len(), j >= b.len()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
    }
}

/// Right-aligned digit runs: the longer run wins, else the first differing digit.
fn compare_right(a: &[u8], i: &mut usize, b: &[u8], j: &mut usize) -> Ordering {
    let mut bias = Ordering::Equal;
    loop {
        let (da, db) = (
            a.get(*i).filter(|c| c.is_ascii_digit()),
            b.get(*j).filter(|c| c.is_ascii_digit()),
        );
        match (da, db) {
            (None, None) => return bias,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                if bias == Ordering::Equal {
                    bias = x.cmp(y);
                }
            }
        }
        *i += 1;
        *j += 1;
    }
}

/// Left-aligned (fractional) digit runs: the first differing digit wins.
fn compare_left(a: &[u8], i: &mut usize, b: &[u8], j: &mut usize) -> Ordering {
    loop {
        let (da, db) = (
            a.get(*i).filter(|c| c.is_ascii_digit()),
            b.get(*j).filter(|c| c.is_ascii_digit()),
        );
        match (da, db) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x != y => return x.cmp(y),
            _ => {}
        }
        *i += 1;
        *j += 1;
    }
}

/// PHP's `(int)` of a header value: leading whitespace, optional sign, leading digits, else 0.
fn php_int(raw: &str) -> i128 {
    let t = raw.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let v = t[..end]
        .parse::<i128>()
        .unwrap_or(if end == 0 { 0 } else { i128::MAX });
    if neg { -v } else { v }
}

fn conflict(msg: &str) -> Resp {
    sabre(StatusCode::CONFLICT, "Sabre\\DAV\\Exception\\Conflict", msg)
}

fn denied() -> Resp {
    forbidden("Access to this resource is forbidden")
}

/// Serves one request below `/remote.php/dav/uploads/{owner_raw}` for `me`.
pub(crate) fn handle(
    state: &State,
    parts: &Parts,
    body: Bytes,
    owner_raw: &str,
    rest: &str,
    me: &UserEntry,
) -> Resp {
    let owner = percent_decode_str(owner_raw).decode_utf8_lossy();
    let key = match paths::normalize(rest) {
        Ok(k) => k,
        Err(e) => return path_error(e),
    };
    let m = &parts.method;
    if owner.as_ref() != me.id {
        return if m == Method::OPTIONS {
            options()
        } else {
            denied()
        };
    }
    let href_base = format!("/remote.php/dav/uploads/{}", paths::encode_href(&owner));
    let t = target(&key);
    let up = &me.uploads;
    match m.as_str() {
        "MKCOL" => mkcol(up, t),
        "PUT" => put(state, up, t, body),
        "GET" | "HEAD" => get(state, parts, up, t, &key),
        "DELETE" => delete(up, t, &key),
        "PROPFIND" => propfind(state, parts, &body, up, t, &key, &href_base, me),
        "MOVE" => assemble(state, parts, t, &key, me),
        "OPTIONS" => options(),
        "COPY" | "PROPPATCH" => denied(),
        _ => not_implemented(m),
    }
}

fn mkcol(up: &Uploads, t: Target<'_>) -> Resp {
    let mut inner = lock(&up.inner);
    let exists = || tree_error(TreeError::Exists, "");
    match t {
        Target::Home => exists(),
        Target::Folder(id) => {
            if inner.folders.contains_key(id) {
                return exists();
            }
            let now = now_secs();
            inner.folders.insert(id.to_owned(), Folder::new(now));
            inner.touch(now);
            empty(StatusCode::CREATED)
        }
        Target::Chunk(id, name) => match inner.folders.get(id) {
            None => conflict("Parent node does not exist"),
            Some(_) if name.contains('/') => conflict("Parent node does not exist"),
            Some(f) if name == FUTURE_FILE || f.chunks.contains_key(name) => exists(),
            // ownCloud's UploadFolder::createDirectory.
            Some(_) => forbidden(&format!(
                "Permission denied to create file (filename {name})"
            )),
        },
    }
}

fn put(state: &State, up: &Uploads, t: Target<'_>, body: Bytes) -> Resp {
    let Target::Chunk(id, name) = t else {
        return tree_error(TreeError::IsDir, "");
    };
    let (created, etag, fileid) = {
        let mut inner = lock(&up.inner);
        let Some(f) = inner.folders.get_mut(id) else {
            return tree_error(TreeError::ParentMissing, "");
        };
        if name.contains('/') {
            return tree_error(TreeError::ParentMissing, "");
        }
        if name == FUTURE_FILE {
            return forbidden("Permission denied to put into this file");
        }
        let now = now_secs();
        let existing = f.chunks.get(name);
        let created = existing.is_none();
        let fileid = existing.map_or_else(new_fileid, |n| n.fileid);
        let etag = new_etag();
        f.chunks.insert(
            name.to_owned(),
            Node {
                content: Content::File(body),
                mtime: now,
                etag: etag.clone(),
                fileid,
                mime: mime_for(name),
                dead: None,
            },
        );
        f.touch(now);
        (created, etag, fileid)
    };
    written(state, created, etag, fileid)
}

fn get(state: &State, parts: &Parts, up: &Uploads, t: Target<'_>, key: &str) -> Resp {
    let node = {
        let inner = lock(&up.inner);
        match t {
            Target::Home | Target::Folder(_) => None,
            Target::Chunk(id, name) => match inner.folders.get(id) {
                Some(f) if name == FUTURE_FILE => Some(f.future_file()),
                Some(f) => match f.chunks.get(name) {
                    Some(n) => Some(n.clone()),
                    None => return not_found(key),
                },
                None => return not_found(key),
            },
        }
    };
    let Some(Node {
        content: Content::File(data),
        etag,
        mime,
        fileid,
        ..
    }) = node
    else {
        if matches!(t, Target::Folder(id) if !lock(&up.inner).folders.contains_key(id)) {
            return not_found(key);
        }
        return sabre(
            StatusCode::NOT_IMPLEMENTED,
            "Sabre\\DAV\\Exception\\NotImplemented",
            "There was no plugin in the system that was willing to handle this GET method. Enable the Browser plugin to get a better result here.",
        );
    };
    let head = parts.method == Method::HEAD;
    let len = data.len();
    let mut r = full(StatusCode::OK, if head { Bytes::new() } else { data });
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if head {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    h.insert("oc-etag", etag.clone());
    h.insert(header::ETAG, etag);
    h.insert("oc-fileid", file_id(state, fileid));
    r
}

fn delete(up: &Uploads, t: Target<'_>, key: &str) -> Resp {
    let mut inner = lock(&up.inner);
    let now = now_secs();
    match t {
        Target::Home => denied(),
        // Deleting `.file` deletes the whole upload (ownCloud's FutureFile::delete).
        Target::Folder(id) | Target::Chunk(id, FUTURE_FILE) => {
            if inner.folders.remove(id).is_none() {
                return not_found(key);
            }
            inner.touch(now);
            empty(StatusCode::NO_CONTENT)
        }
        Target::Chunk(id, name) => {
            let Some(f) = inner.folders.get_mut(id) else {
                return not_found(key);
            };
            if f.chunks.remove(name).is_none() {
                return not_found(key);
            }
            f.touch(now);
            empty(StatusCode::NO_CONTENT)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn propfind(
    state: &State,
    parts: &Parts,
    body: &[u8],
    up: &Uploads,
    t: Target<'_>,
    key: &str,
    href_base: &str,
    me: &UserEntry,
) -> Resp {
    let want = match propfind::parse(body) {
        Ok(w) => w,
        Err(e) => return bad_request(&e.0),
    };
    let depth = match parts.headers.get("depth").map(HeaderValue::as_bytes) {
        Some(b"0") => 0u8,
        Some(b"1") => 1,
        _ => u8::MAX,
    };
    // (href, node, size) copied out of the lock; nodes are cheap to clone.
    let mut rows: Vec<(String, Node, u64)> = Vec::new();
    {
        let inner = lock(&up.inner);
        let folder_href = |id: &str| format!("{href_base}/{}/", paths::encode_href(id));
        let chunk_href = |id: &str, name: &str| {
            format!(
                "{href_base}/{}/{}",
                paths::encode_href(id),
                paths::encode_href(name)
            )
        };
        let folder_rows =
            |rows: &mut Vec<(String, Node, u64)>, id: &str, f: &Folder, deep: bool| {
                rows.push((folder_href(id), f.node.clone(), f.size()));
                if deep {
                    for (name, n) in &f.chunks {
                        rows.push((chunk_href(id, name), n.clone(), n.len()));
                    }
                    let ff = f.future_file();
                    let size = ff.len();
                    rows.push((chunk_href(id, FUTURE_FILE), ff, size));
                }
            };
        match t {
            Target::Home => {
                let total = inner.folders.values().map(Folder::size).sum();
                rows.push((format!("{href_base}/"), inner.home.clone(), total));
                if depth >= 1 {
                    for (id, f) in &inner.folders {
                        folder_rows(&mut rows, id, f, depth > 1);
                    }
                }
            }
            Target::Folder(id) => match inner.folders.get(id) {
                Some(f) => folder_rows(&mut rows, id, f, depth >= 1),
                None => return not_found(key),
            },
            Target::Chunk(id, name) => {
                let node = match inner.folders.get(id) {
                    Some(f) if name == FUTURE_FILE => f.future_file(),
                    Some(f) => match f.chunks.get(name) {
                        Some(n) => n.clone(),
                        None => return not_found(key),
                    },
                    None => return not_found(key),
                };
                let size = node.len();
                rows.push((chunk_href(id, name), node, size));
            }
        }
    }
    let display = lock(&me.profile).display_name.clone();
    let ctx = Ctx {
        instance_id: &state.instance_id,
        owner: (&me.id, &display),
    };
    let entries: Vec<Entry<'_>> = rows
        .iter()
        .map(|(href, node, size)| Entry {
            href: href.clone(),
            node,
            size: *size,
            extra: None,
        })
        .collect();
    multistatus(propfind::render(&entries, &want, &ctx))
}

/// MOVE of `{id}/.file` onto a file under the user's home: joins the chunks into it.
fn assemble(state: &State, parts: &Parts, t: Target<'_>, key: &str, me: &UserEntry) -> Resp {
    let Target::Chunk(id, FUTURE_FILE) = t else {
        return denied();
    };
    // Sabre checks the destination (getCopyAndMoveInfo) before any plugin sees the source.
    let dst = match destination(&parts.headers, me) {
        Ok(d) => d,
        Err(r) => return *r,
    };
    let overwrite = match crate::dav::overwrite(&parts.headers) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    {
        let tree = read(&me.tree);
        let parent_ok = paths::parent(&dst)
            .and_then(|p| tree.get(p))
            .is_some_and(Node::is_dir);
        if !parent_ok {
            return conflict("The destination node is not found");
        }
        if !overwrite && tree.get(&dst).is_some() {
            return tree_error(TreeError::Precondition, &dst);
        }
    }
    // Claim the upload: a concurrent MOVE of the same `.file` now sees 404.
    let Some(folder) = lock(&me.uploads.inner).folders.remove(id) else {
        return not_found(key);
    };
    let give_back = |folder: Folder| {
        lock(&me.uploads.inner)
            .folders
            .entry(id.to_owned())
            .or_insert(folder);
    };
    let actual = folder.size();
    if let Some(raw) = parts.headers.get("oc-total-length") {
        let text = String::from_utf8_lossy(raw.as_bytes());
        if php_int(&text) != i128::from(actual) {
            give_back(folder);
            return bad_request(&format!(
                "Chunks on server do not sum up to {text} but to {actual}"
            ));
        }
    }
    let data = folder.assemble();
    let mtime = crate::methods::oc_mtime(&parts.headers);
    let result = write(&me.tree).put_at(&dst, data, mtime);
    match result {
        Ok((created, etag)) => {
            lock(&me.uploads.inner).touch(now_secs());
            let fileid = read(&me.tree).get(&dst).map_or(0, |n| n.fileid);
            let mut r = written(state, created, etag, fileid);
            if mtime.is_some() {
                r.headers_mut()
                    .insert("x-oc-mtime", HeaderValue::from_static("accepted"));
            }
            r
        }
        Err(e) => {
            give_back(folder);
            match e {
                TreeError::ParentMissing => conflict("The destination node is not found"),
                e => tree_error(e, &dst),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_like_php() {
        let cases = [
            ("1", "2", Ordering::Less),
            ("2", "10", Ordering::Less),
            ("0000", "0001", Ordering::Less),
            ("00010", "00009", Ordering::Greater),
            ("0", "1048576", Ordering::Less),
            ("1048576", "2097152", Ordering::Less),
            ("chunk-2", "chunk-10", Ordering::Less),
            ("chunk-010", "chunk-9", Ordering::Less),
            ("abc", "abd", Ordering::Less),
            ("a", "a", Ordering::Equal),
            ("", "a", Ordering::Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(strnatcmp(a, b), want, "{a} vs {b}");
            assert_eq!(strnatcmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn php_int_casts() {
        assert_eq!(php_int("12"), 12);
        assert_eq!(php_int(" 12abc"), 12);
        assert_eq!(php_int("abc"), 0);
        assert_eq!(php_int("-3"), -3);
        assert_eq!(php_int(""), 0);
    }

    #[test]
    fn assembles_in_natural_order() {
        let mut f = Folder::new(0);
        for (name, data) in [("10", "c"), ("2", "b"), ("1", "a")] {
            f.chunks.insert(
                name.to_owned(),
                Node {
                    content: Content::File(Bytes::from(data)),
                    mtime: 0,
                    etag: new_etag(),
                    fileid: 1,
                    mime: "application/octet-stream",
                    dead: None,
                },
            );
        }
        assert_eq!(f.assemble(), Bytes::from_static(b"abc"));
        assert_eq!(f.size(), 3);
    }

    #[test]
    fn targets() {
        assert_eq!(target(""), Target::Home);
        assert_eq!(target("t1"), Target::Folder("t1"));
        assert_eq!(target("t1/00"), Target::Chunk("t1", "00"));
        assert_eq!(target("t1/a/b"), Target::Chunk("t1", "a/b"));
    }
}
