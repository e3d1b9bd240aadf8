//! WebDAV files under `/remote.php/dav/files/{user}/`: typed calls that record under names
//! grouping all users (`GET /remote.php/dav/files/[user]/ownCloud%20Manual.pdf`), with big
//! uploads through ownCloud's chunked upload.

mod chunked;
mod error;
mod more;
pub mod multistatus;

pub use error::DavError;
pub use more::{LockRequest, LockScope, LockToken, OC_NS, PropUpdate, PutOptions};
pub use multistatus::DavEntry;

use crate::path::encode_path;
use bytes::Bytes;
use http::Method;
use std::path::Path;
use swarm_http::{RequestBuilder, Session};

/// How deep a PROPFIND looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// The resource itself.
    Zero,
    /// The resource and its direct children.
    One,
}

/// Whether a write made something new or replaced something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// 201.
    Created,
    /// 204.
    Overwritten,
}

/// What a download brought.
#[derive(Debug, Clone)]
pub struct Download {
    /// HTTP status (200, or 206 for a range).
    pub status: u16,
    /// Body bytes received (counted even when not kept).
    pub bytes: u64,
}

/// When uploads go through ownCloud's chunked upload, and in what pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunking {
    /// Uploads larger than this many bytes are chunked.
    pub threshold: u64,
    /// Bytes per chunk.
    pub chunk_size: u64,
}

impl Default for Chunking {
    fn default() -> Self {
        // ownCloud's own clients use 10 MiB chunks.
        Self {
            threshold: 10 * 1024 * 1024,
            chunk_size: 10 * 1024 * 1024,
        }
    }
}

/// Typed WebDAV calls for one ownCloud user, through that user's own session.
#[derive(Debug)]
pub struct Dav {
    session: Session,
    user: String,
    /// `/remote.php/dav/files/{encoded user}`, or `/public.php/webdav` for a link.
    root: String,
    /// The prefix of recorded names (`/remote.php/dav/files/[user]`).
    name_root: &'static str,
    chunking: Chunking,
}

const NAME_ROOT: &str = "/remote.php/dav/files/[user]";

fn written(status: u16) -> Written {
    if status == 201 {
        Written::Created
    } else {
        Written::Overwritten
    }
}

impl Dav {
    /// Calls for `user`'s files through `session` (which carries the user's credentials).
    pub fn new(session: Session, user: &str) -> Self {
        Self {
            root: format!(
                "/remote.php/dav/files/{}",
                crate::path::encode_segment(user)
            ),
            session,
            user: user.to_owned(),
            name_root: NAME_ROOT,
            chunking: Chunking::default(),
        }
    }

    /// Calls on a public link's files (`/public.php/webdav/`): `session` should be a fresh
    /// one for the host; the token becomes its basic-auth user with an empty password, as
    /// ownCloud wants. A file link's file is the path `""`. Uploads are never chunked.
    pub fn public_link(session: Session, token: &str) -> Self {
        Self {
            session: session.with_basic_auth(token, ""),
            user: token.to_owned(),
            root: "/public.php/webdav".to_owned(),
            name_root: "/public.php/webdav",
            chunking: Chunking {
                threshold: u64::MAX,
                chunk_size: u64::MAX,
            },
        }
    }

    /// Chunk uploads above `chunking.threshold`.
    pub fn with_chunking(mut self, chunking: Chunking) -> Self {
        self.chunking = chunking;
        self
    }

    /// The session the calls go through.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The ownCloud user (a public link's token for [`Dav::public_link`]).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The same calls, recorded under `/remote.php/dav/files/[user]/{label}` (to group paths
    /// that differ per user, such as uuid file names).
    pub fn named<'a>(&'a self, label: &'a str) -> Named<'a> {
        Named {
            dav: self,
            label: Some(label),
        }
    }

    fn plain(&self) -> Named<'_> {
        Named {
            dav: self,
            label: None,
        }
    }

    /// Downloads a file, counting its bytes without keeping them.
    pub async fn get(&self, path: &str) -> Result<Download, DavError> {
        self.plain().get(path).await
    }

    /// Downloads a file into memory.
    pub async fn get_bytes(&self, path: &str) -> Result<Bytes, DavError> {
        self.plain().get_bytes(path).await
    }

    /// Uploads bytes (chunked above the threshold).
    pub async fn put(&self, path: &str, body: impl Into<Bytes>) -> Result<Written, DavError> {
        self.plain().put(path, body).await
    }

    /// Uploads a local file, streamed (chunked above the threshold).
    pub async fn put_file(&self, path: &str, local: &Path) -> Result<Written, DavError> {
        self.plain().put_file(path, local).await
    }

    /// Lists a resource (depth 0) or a folder and its children (depth 1).
    pub async fn propfind(&self, path: &str, depth: Depth) -> Result<Vec<DavEntry>, DavError> {
        self.plain().propfind(path, depth).await
    }

    /// Creates a folder.
    pub async fn mkcol(&self, path: &str) -> Result<(), DavError> {
        self.plain().mkcol(path).await
    }

    /// Moves (renames) a file or folder.
    pub async fn mv(&self, from: &str, to: &str, overwrite: bool) -> Result<Written, DavError> {
        self.plain().mv(from, to, overwrite).await
    }

    /// Copies a file or folder.
    pub async fn copy(&self, from: &str, to: &str, overwrite: bool) -> Result<Written, DavError> {
        self.plain().copy(from, to, overwrite).await
    }

    /// Deletes a file or folder.
    pub async fn delete(&self, path: &str) -> Result<(), DavError> {
        self.plain().delete(path).await
    }

    /// The absolute URL of a path in this user's files (for `Destination`).
    fn absolute(&self, path: &str) -> String {
        format!(
            "{}{}/{}",
            self.session.base_url().trim_end_matches('/'),
            self.root,
            encode_path(path)
        )
    }
}

/// A [`Dav`] whose next calls record under a chosen label.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    dav: &'a Dav,
    label: Option<&'a str>,
}

impl<'a> Named<'a> {
    fn request<M: TryInto<Method>>(&self, method: M, path: &str) -> RequestBuilder<'a> {
        let encoded = encode_path(path);
        let name = format!("{}/{}", self.dav.name_root, self.label.unwrap_or(&encoded));
        self.dav
            .session
            .request(method, format!("{}/{encoded}", self.dav.root))
            .name(name)
    }

    /// Downloads a file, counting its bytes without keeping them.
    pub async fn get(&self, path: &str) -> Result<Download, DavError> {
        let resp = self.request(Method::GET, path).send().await?;
        Ok(Download {
            status: resp.status().as_u16(),
            bytes: resp.bytes_received(),
        })
    }

    /// Downloads a file into memory.
    pub async fn get_bytes(&self, path: &str) -> Result<Bytes, DavError> {
        Ok(self.request(Method::GET, path).fetch().await?.into_body())
    }

    /// Uploads bytes (chunked above the threshold).
    pub async fn put(&self, path: &str, body: impl Into<Bytes>) -> Result<Written, DavError> {
        let body: Bytes = body.into();
        if body.len() as u64 > self.dav.chunking.threshold {
            return chunked::upload(self.dav, path, chunked::Source::Bytes(body)).await;
        }
        let resp = self.request(Method::PUT, path).body(body).send().await?;
        Ok(written(resp.status().as_u16()))
    }

    /// Uploads a local file, streamed (chunked above the threshold).
    pub async fn put_file(&self, path: &str, local: &Path) -> Result<Written, DavError> {
        let len = tokio::fs::metadata(local)
            .await
            .map_err(|e| {
                DavError::Http(swarm_http::Error::Body(format!("{}: {e}", local.display())))
            })?
            .len();
        if len > self.dav.chunking.threshold {
            return chunked::upload(
                self.dav,
                path,
                chunked::Source::File(local.to_path_buf(), len),
            )
            .await;
        }
        let resp = self
            .request(Method::PUT, path)
            .body_file(local)
            .send()
            .await?;
        Ok(written(resp.status().as_u16()))
    }

    /// Lists a resource (depth 0) or a folder and its children (depth 1).
    pub async fn propfind(&self, path: &str, depth: Depth) -> Result<Vec<DavEntry>, DavError> {
        let mut entries = None;
        let depth = match depth {
            Depth::Zero => "0",
            Depth::One => "1",
        };
        self.request(
            Method::from_bytes(b"PROPFIND").map_err(|_| DavError::Malformed("method".into()))?,
            path,
        )
        .header("Depth", depth)
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(PROPFIND_BODY)
        .check(|resp| {
            if resp.status().as_u16() != 207 {
                return Err(format!(
                    "expected 207 Multi-Status, got HTTP {}",
                    resp.status().as_u16()
                ));
            }
            let parsed = multistatus::parse(resp.body()).map_err(|e| e.to_string())?;
            entries = Some(parsed);
            Ok(())
        })
        .send()
        .await?;
        entries.ok_or_else(|| DavError::Malformed("no multistatus".into()))
    }

    /// Creates a folder.
    pub async fn mkcol(&self, path: &str) -> Result<(), DavError> {
        self.request(
            Method::from_bytes(b"MKCOL").map_err(|_| DavError::Malformed("method".into()))?,
            path,
        )
        .send()
        .await?;
        Ok(())
    }

    /// Moves (renames) a file or folder.
    pub async fn mv(&self, from: &str, to: &str, overwrite: bool) -> Result<Written, DavError> {
        self.transfer(Method::from_bytes(b"MOVE"), from, to, overwrite)
            .await
    }

    /// Copies a file or folder.
    pub async fn copy(&self, from: &str, to: &str, overwrite: bool) -> Result<Written, DavError> {
        self.transfer(Method::from_bytes(b"COPY"), from, to, overwrite)
            .await
    }

    async fn transfer(
        &self,
        method: Result<Method, http::method::InvalidMethod>,
        from: &str,
        to: &str,
        overwrite: bool,
    ) -> Result<Written, DavError> {
        let method = method.map_err(|_| DavError::Malformed("method".into()))?;
        let resp = self
            .request(method, from)
            .header("Destination", self.dav.absolute(to))
            .header("Overwrite", if overwrite { "T" } else { "F" })
            .send()
            .await?;
        Ok(written(resp.status().as_u16()))
    }

    /// Deletes a file or folder.
    pub async fn delete(&self, path: &str) -> Result<(), DavError> {
        self.request(Method::DELETE, path).send().await?;
        Ok(())
    }
}

/// The properties swarm reads, asked for explicitly as ownCloud's clients do.
const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:getlastmodified/><d:getetag/><d:getcontentlength/><d:getcontenttype/><d:resourcetype/></d:prop></d:propfind>"#;
