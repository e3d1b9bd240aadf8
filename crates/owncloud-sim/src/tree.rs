//! One user's file tree: a sorted map of path keys to nodes, optionally mirrored to disk.
//!
//! Keys are decoded paths without leading or trailing slash (`""` is the home itself), so a
//! folder's subtree is one contiguous range of the map. Memory is the truth; the disk mirror
//! (when a data dir is set) is written first so a failed write leaves both unchanged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::HeaderValue;

use crate::paths;

/// What a node holds.
#[derive(Debug, Clone)]
pub(crate) enum Content {
    /// A folder; its children are the keys below it.
    Dir,
    /// A file's bytes (cheap to clone out of the lock).
    File(Bytes),
}

/// One file or folder with the metadata WebDAV reports.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Folder or file bytes.
    pub(crate) content: Content,
    /// Last modification, seconds since the epoch.
    pub(crate) mtime: u64,
    /// The quoted ETag, ready for a header.
    pub(crate) etag: HeaderValue,
    /// ownCloud's numeric file id (stable across moves).
    pub(crate) fileid: u64,
    /// MIME type derived from the name (folders: `httpd/unix-directory`).
    pub(crate) mime: &'static str,
    /// Dead properties set by PROPPATCH (`None` until the first one: most nodes have none).
    pub(crate) dead: Option<Box<DeadProps>>,
}

/// Dead properties by (namespace, local name); values are well-formed XML fragments.
pub(crate) type DeadProps = BTreeMap<(String, String), String>;

impl Node {
    /// A folder modified at `mtime`, with a fresh ETag and file id `fileid`.
    pub(crate) fn dir(mtime: u64, fileid: u64) -> Self {
        Self {
            content: Content::Dir,
            mtime,
            etag: new_etag(),
            fileid,
            mime: DIR_MIME,
            dead: None,
        }
    }

    /// True for folders.
    pub(crate) fn is_dir(&self) -> bool {
        matches!(self.content, Content::Dir)
    }

    /// File size in bytes (0 for folders; see [`Tree::size`]).
    pub(crate) fn len(&self) -> u64 {
        match &self.content {
            Content::Dir => 0,
            Content::File(b) => b.len() as u64,
        }
    }
}

/// Why a tree operation was refused; `dav` maps each to Sabre's exception and code.
#[derive(Debug)]
pub(crate) enum TreeError {
    /// The source does not exist.
    NotFound,
    /// The parent of the target is missing or a file.
    ParentMissing,
    /// The target exists and may not be replaced (MKCOL).
    Exists,
    /// PUT onto a folder.
    IsDir,
    /// `Overwrite: F` onto an existing target.
    Precondition,
    /// Source and destination are the same, or the home itself would go.
    Forbidden,
    /// A folder copied or moved into its own subtree.
    IntoItself,
    /// The disk mirror failed.
    Io(std::io::Error),
}

impl From<std::io::Error> for TreeError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// Seconds since the epoch, for mtimes.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A fresh, unique, quoted ETag (ownCloud's look: 13 hex digits).
pub(crate) fn new_etag() -> HeaderValue {
    static NEXT: OnceLock<AtomicU64> = OnceLock::new();
    let next = NEXT.get_or_init(|| AtomicU64::new(crate::session::random_u64() >> 16));
    let n = next.fetch_add(1, Ordering::Relaxed) & 0x000f_ffff_ffff_ffff;
    let text = format!("\"{n:013x}\"");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// A fresh file id, unique within the process.
pub(crate) fn new_fileid() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The MIME type ownCloud would report for a file name.
pub(crate) fn mime_for(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "txt" => "text/plain",
        "md" => "text/markdown",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "csv" => "text/csv",
        "json" => "application/json",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "odt" => "application/vnd.oasis.opendocument.text",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// Folder MIME type as ownCloud reports it.
pub(crate) const DIR_MIME: &str = "httpd/unix-directory";

/// A user's files.
#[derive(Debug)]
pub(crate) struct Tree {
    nodes: BTreeMap<String, Node>,
    disk: Option<PathBuf>,
}

impl Tree {
    /// An empty home; with `disk`, files are mirrored under that folder (created here).
    pub(crate) fn new(disk: Option<PathBuf>) -> Result<Self, std::io::Error> {
        if let Some(d) = &disk {
            std::fs::create_dir_all(d)?;
        }
        let mut nodes = BTreeMap::new();
        nodes.insert(String::new(), Node::dir(now_secs(), new_fileid()));
        Ok(Self { nodes, disk })
    }

    /// Another user's home as a stranger sees it: the bare root (file id 0, modified now,
    /// a fresh ETag) and nothing below, in memory only.
    pub(crate) fn bare() -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert(String::new(), Node::dir(now_secs(), 0));
        Self { nodes, disk: None }
    }

    /// The node at `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.nodes.get(key)
    }

    /// The node at `key` and its descendants down to `depth` levels (`None` = all), in order.
    pub(crate) fn list(&self, key: &str, depth: Option<u32>) -> Vec<(&str, &Node)> {
        let Some(node) = self.nodes.get_key_value(key) else {
            return Vec::new();
        };
        let mut out = vec![(node.0.as_str(), node.1)];
        if depth == Some(0) || !node.1.is_dir() {
            return out;
        }
        let base_depth = if key.is_empty() {
            0
        } else {
            key.matches('/').count() + 1
        };
        for (k, n) in self.descendants(key) {
            let level = k.matches('/').count() + 1 - base_depth;
            if depth.is_none_or(|d| level as u32 <= d) {
                out.push((k.as_str(), n));
            }
        }
        out
    }

    /// Mutable access to the node at `key` (dead properties; nothing else changes here).
    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.nodes.get_mut(key)
    }

    /// The key of the node with file id `fileid` (shares follow a node across moves).
    pub(crate) fn key_of(&self, fileid: u64) -> Option<&str> {
        self.nodes
            .iter()
            .find(|(_, n)| n.fileid == fileid)
            .map(|(k, _)| k.as_str())
    }

    /// Bytes stored at or below `key`.
    pub(crate) fn size(&self, key: &str) -> u64 {
        match self.nodes.get(key) {
            Some(n) if n.is_dir() => self.descendants(key).map(|(_, n)| n.len()).sum(),
            Some(n) => n.len(),
            None => 0,
        }
    }

    fn descendants<'a>(&'a self, key: &str) -> impl Iterator<Item = (&'a String, &'a Node)> {
        let prefix = if key.is_empty() {
            String::new()
        } else {
            format!("{key}/")
        };
        self.nodes
            .range::<str, _>((
                std::ops::Bound::Excluded(prefix.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(k, _)| k.starts_with(prefix.as_str()))
    }

    fn parent_is_dir(&self, key: &str) -> bool {
        paths::parent(key)
            .and_then(|p| self.nodes.get(p))
            .is_some_and(Node::is_dir)
    }

    /// New etag and mtime on every folder above `key`, as ownCloud propagates changes.
    fn propagate(&mut self, key: &str, now: u64) {
        let mut cur = paths::parent(key);
        while let Some(p) = cur {
            if let Some(n) = self.nodes.get_mut(p) {
                n.etag = new_etag();
                n.mtime = now;
            }
            cur = paths::parent(p);
        }
    }

    fn disk_path(&self, key: &str) -> Option<PathBuf> {
        self.disk.as_ref().map(|d| {
            if key.is_empty() {
                d.clone()
            } else {
                d.join(key)
            }
        })
    }

    /// Writes (creates or replaces) a file; returns whether it was new, and its new ETag.
    pub(crate) fn put(&mut self, key: &str, data: Bytes) -> Result<(bool, HeaderValue), TreeError> {
        self.put_at(key, data, None)
    }

    /// [`Tree::put`] with the modification time a client asked for (`X-OC-Mtime`).
    pub(crate) fn put_at(
        &mut self,
        key: &str,
        data: Bytes,
        mtime: Option<u64>,
    ) -> Result<(bool, HeaderValue), TreeError> {
        if key.is_empty() {
            return Err(TreeError::IsDir);
        }
        if !self.parent_is_dir(key) {
            return Err(TreeError::ParentMissing);
        }
        let existing = self.nodes.get(key);
        if existing.is_some_and(Node::is_dir) {
            return Err(TreeError::IsDir);
        }
        let fileid = existing.map_or_else(new_fileid, |n| n.fileid);
        let dead = existing.and_then(|n| n.dead.clone());
        let created = existing.is_none();
        if let Some(p) = self.disk_path(key) {
            write_atomic(&p, &data)?;
        }
        let now = now_secs();
        let etag = new_etag();
        self.nodes.insert(
            key.to_owned(),
            Node {
                content: Content::File(data),
                mtime: mtime.unwrap_or(now),
                etag: etag.clone(),
                fileid,
                mime: mime_for(paths::basename(key)),
                dead,
            },
        );
        self.propagate(key, now);
        Ok((created, etag))
    }

    /// Creates a folder (MKCOL).
    pub(crate) fn mkcol(&mut self, key: &str) -> Result<(), TreeError> {
        if self.nodes.contains_key(key) {
            return Err(TreeError::Exists);
        }
        if !self.parent_is_dir(key) {
            return Err(TreeError::ParentMissing);
        }
        if let Some(p) = self.disk_path(key) {
            std::fs::create_dir(&p)?;
        }
        let now = now_secs();
        let dir = Node::dir(now, new_fileid());
        self.nodes.insert(key.to_owned(), dir);
        self.propagate(key, now);
        Ok(())
    }

    /// Deletes a file or a folder with everything below it.
    pub(crate) fn delete(&mut self, key: &str) -> Result<(), TreeError> {
        if key.is_empty() {
            return Err(TreeError::Forbidden);
        }
        let Some(node) = self.nodes.get(key) else {
            return Err(TreeError::NotFound);
        };
        if let Some(p) = self.disk_path(key) {
            let r = if node.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
            match r {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        self.remove_subtree(key);
        self.propagate(key, now_secs());
        Ok(())
    }

    fn remove_subtree(&mut self, key: &str) -> Vec<(String, Node)> {
        let keys: Vec<String> = std::iter::once(key.to_owned())
            .chain(self.descendants(key).map(|(k, _)| k.clone()))
            .collect();
        keys.into_iter()
            .filter_map(|k| self.nodes.remove(&k).map(|n| (k, n)))
            .collect()
    }

    /// COPY or MOVE `src` to `dst`; returns whether `dst` existed (204) or not (201).
    pub(crate) fn transfer(
        &mut self,
        src: &str,
        dst: &str,
        overwrite: bool,
        is_move: bool,
    ) -> Result<bool, TreeError> {
        if !self.nodes.contains_key(src) {
            return Err(TreeError::NotFound);
        }
        if src == dst || src.is_empty() || dst.is_empty() {
            return Err(TreeError::Forbidden);
        }
        if paths::is_within(dst, src) || paths::is_within(src, dst) {
            return Err(TreeError::IntoItself);
        }
        let existed = self.clear_destination(dst, overwrite)?;
        let moved: Vec<(String, Node)> = if is_move {
            if let (Some(from), Some(to)) = (self.disk_path(src), self.disk_path(dst)) {
                std::fs::rename(from, to)?;
            }
            self.remove_subtree(src)
        } else {
            let copies: Vec<(String, Node)> = std::iter::once((src, self.nodes.get(src)))
                .filter_map(|(k, n)| n.map(|n| (k.to_owned(), n.clone())))
                .chain(self.descendants(src).map(|(k, n)| (k.clone(), n.clone())))
                .map(|(k, mut n)| {
                    n.fileid = new_fileid();
                    n.etag = new_etag();
                    // ownCloud's nodes keep dead properties in a table Sabre's COPY does
                    // not carry over.
                    n.dead = None;
                    (k, n)
                })
                .collect();
            if self.disk.is_some() {
                for (k, n) in &copies {
                    let rel = &k[src.len()..];
                    if let Some(p) = self.disk_path(&format!("{dst}{rel}")) {
                        match &n.content {
                            Content::Dir => std::fs::create_dir_all(&p)?,
                            Content::File(b) => write_atomic(&p, b)?,
                        }
                    }
                }
            }
            copies
        };
        let now = now_secs();
        for (k, mut n) in moved {
            let new_key = format!("{dst}{}", &k[src.len()..]);
            if new_key == dst {
                n.mime = if n.is_dir() {
                    DIR_MIME
                } else {
                    mime_for(paths::basename(dst))
                };
            }
            self.nodes.insert(new_key, n);
        }
        if is_move {
            self.propagate(src, now);
        }
        self.propagate(dst, now);
        Ok(existed)
    }
}

impl Tree {
    /// Copies of the node at `key` and everything below it, keyed relative to `key`
    /// (`""` is the node itself), for a copy into another tree.
    pub(crate) fn export(&self, key: &str) -> Vec<(String, Node)> {
        let Some(root) = self.nodes.get(key) else {
            return Vec::new();
        };
        std::iter::once((String::new(), root.clone()))
            .chain(
                self.descendants(key)
                    .map(|(k, n)| (k[key.len()..].to_owned(), n.clone())),
            )
            .collect()
    }

    /// Makes room at `dst` for a MOVE, COPY or graft: its parent must be a folder, and
    /// whatever is there goes only when `overwrite`; returns whether something was there.
    fn clear_destination(&mut self, dst: &str, overwrite: bool) -> Result<bool, TreeError> {
        if !self.parent_is_dir(dst) {
            return Err(TreeError::ParentMissing);
        }
        let existed = self.nodes.contains_key(dst);
        if existed && !overwrite {
            return Err(TreeError::Precondition);
        }
        if existed {
            self.delete(dst)?;
        }
        Ok(existed)
    }

    /// Writes exported nodes at `dst` as new files (fresh ids and ETags, no dead
    /// properties); returns whether `dst` existed.
    pub(crate) fn graft(
        &mut self,
        dst: &str,
        nodes: Vec<(String, Node)>,
        overwrite: bool,
    ) -> Result<bool, TreeError> {
        if dst.is_empty() {
            return Err(TreeError::Forbidden);
        }
        let existed = self.clear_destination(dst, overwrite)?;
        let now = now_secs();
        for (rel, mut n) in nodes {
            let key = format!("{dst}{rel}");
            if let Some(p) = self.disk_path(&key) {
                match &n.content {
                    Content::Dir => std::fs::create_dir_all(&p)?,
                    Content::File(b) => write_atomic(&p, b)?,
                }
            }
            n.fileid = new_fileid();
            n.etag = new_etag();
            n.dead = None;
            if rel.is_empty() && !n.is_dir() {
                n.mime = mime_for(paths::basename(dst));
            }
            self.nodes.insert(key, n);
        }
        self.propagate(dst, now);
        Ok(existed)
    }
}

/// Writes through a temp file and a rename, so readers never see a torn file.
fn write_atomic(path: &Path, data: &[u8]) -> Result<(), std::io::Error> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".ocsim-part-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&tmp, data)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Tree {
        let mut t = Tree::new(None).unwrap();
        t.mkcol("a").unwrap();
        t.put("a/x.txt", Bytes::from_static(b"x")).unwrap();
        t.mkcol("a/b").unwrap();
        t.put("a/b/y", Bytes::from_static(b"yy")).unwrap();
        t.put("a-z", Bytes::from_static(b"z")).unwrap();
        t
    }

    #[test]
    fn list_depths() {
        let t = tree();
        let keys = |d| t.list("a", d).iter().map(|(k, _)| *k).collect::<Vec<_>>();
        assert_eq!(keys(Some(0)), ["a"]);
        assert_eq!(keys(Some(1)), ["a", "a/b", "a/x.txt"]);
        assert_eq!(keys(None), ["a", "a/b", "a/b/y", "a/x.txt"]);
        assert_eq!(t.list("", Some(1)).len(), 3);
        assert_eq!(t.size("a"), 3);
    }

    #[test]
    fn bare_home_is_a_lone_root_with_file_id_0() {
        let t = Tree::bare();
        let all = t.list("", None);
        assert_eq!(all.len(), 1);
        let (key, root) = all[0];
        assert_eq!((key, root.fileid, root.mime), ("", 0, DIR_MIME));
        assert!(root.is_dir());
        assert_eq!(t.size(""), 0);
        assert_ne!(
            root.etag,
            Tree::bare().list("", None)[0].1.etag,
            "fresh ETags"
        );
    }

    #[test]
    fn put_codes_and_etags() {
        let mut t = tree();
        let root_etag = t.get("").unwrap().etag.clone();
        let (created, e1) = t.put("a/x.txt", Bytes::from_static(b"new")).unwrap();
        assert!(!created);
        assert_ne!(t.get("").unwrap().etag, root_etag);
        let (_, e2) = t.put("a/x.txt", Bytes::from_static(b"newer")).unwrap();
        assert_ne!(e1, e2);
        assert!(matches!(
            t.put("nope/x", Bytes::new()),
            Err(TreeError::ParentMissing)
        ));
        assert!(matches!(t.put("a", Bytes::new()), Err(TreeError::IsDir)));
        assert!(matches!(t.mkcol("a"), Err(TreeError::Exists)));
        assert!(matches!(t.mkcol("q/r"), Err(TreeError::ParentMissing)));
    }

    #[test]
    fn move_and_copy() {
        let mut t = tree();
        assert!(!t.transfer("a", "c", true, false).unwrap());
        assert!(t.get("c/b/y").is_some() && t.get("a/b/y").is_some());
        assert!(matches!(
            t.transfer("a", "c", false, true),
            Err(TreeError::Precondition)
        ));
        assert!(t.transfer("a", "c", true, true).unwrap());
        assert!(t.get("a").is_none() && t.get("a/b/y").is_none());
        assert!(t.get("c/x.txt").is_some() && t.get("a-z").is_some());
        assert!(matches!(
            t.transfer("c", "c/b/d", true, true),
            Err(TreeError::IntoItself)
        ));
        t.delete("c").unwrap();
        assert_eq!(t.list("", None).len(), 2);
        assert!(matches!(t.delete("c"), Err(TreeError::NotFound)));
    }
}
