//! ownCloud's chunked upload (DAV "chunking v2"): MKCOL an upload folder under
//! `/remote.php/dav/uploads/{user}/`, PUT the chunks, MOVE its `.file` onto the destination.
//! Memory stays at one chunk, whatever the file's size.

use super::{Dav, DavError, Written, written};
use crate::path::{encode_path, encode_segment};
use bytes::{Bytes, BytesMut};
use http::Method;
use std::path::PathBuf;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// Where the bytes come from.
pub(crate) enum Source {
    /// Already in memory (chunks are zero-copy slices).
    Bytes(Bytes),
    /// A local file and its length, read one chunk at a time.
    File(PathBuf, u64),
}

fn method(name: &[u8]) -> Result<Method, DavError> {
    Method::from_bytes(name).map_err(|_| DavError::Malformed("method".into()))
}

async fn read_chunk(path: &PathBuf, offset: u64, len: usize) -> Result<Bytes, DavError> {
    let io = |e: std::io::Error| {
        DavError::Http(swarm_http::Error::Body(format!("{}: {e}", path.display())))
    };
    let mut file = tokio::fs::File::open(path).await.map_err(io)?;
    file.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(io)?;
    let mut buf = BytesMut::zeroed(len);
    file.read_exact(&mut buf).await.map_err(io)?;
    Ok(buf.freeze())
}

pub(crate) async fn upload(dav: &Dav, path: &str, source: Source) -> Result<Written, DavError> {
    let total = match &source {
        Source::Bytes(b) => b.len() as u64,
        Source::File(_, len) => *len,
    };
    let transfer = format!("swarm-{}", uuid::Uuid::new_v4().simple());
    let folder = format!(
        "/remote.php/dav/uploads/{}/{transfer}",
        encode_segment(&dav.user)
    );
    let s = &dav.session;
    s.request(method(b"MKCOL")?, folder.as_str())
        .name("/remote.php/dav/uploads/[user]/[transfer]")
        .send()
        .await?;
    let result = async {
        let chunk_size = dav.chunking.chunk_size.max(1);
        let mut offset = 0u64;
        let mut index = 0u32;
        while offset < total {
            let len = chunk_size.min(total - offset);
            let chunk = match &source {
                Source::Bytes(b) => b.slice(offset as usize..(offset + len) as usize),
                Source::File(p, _) => read_chunk(p, offset, len as usize).await?,
            };
            s.request(Method::PUT, format!("{folder}/{index:05}"))
                .name("/remote.php/dav/uploads/[user]/[transfer]/[chunk]")
                .body(chunk)
                .send()
                .await?;
            offset += len;
            index += 1;
        }
        let destination = format!(
            "{}{}/{}",
            s.base_url().trim_end_matches('/'),
            dav.root,
            encode_path(path)
        );
        let resp = s
            .request(method(b"MOVE")?, format!("{folder}/.file"))
            .name("/remote.php/dav/uploads/[user]/[transfer]/.file")
            .header("Destination", destination)
            .header("OC-Total-Length", total.to_string())
            .send()
            .await?;
        Ok::<_, DavError>(written(resp.status().as_u16()))
    }
    .await;
    if result.is_err() {
        // Best effort: leave no half upload behind.
        let _ = s
            .request(Method::DELETE, folder.as_str())
            .name("/remote.php/dav/uploads/[user]/[transfer]")
            .send()
            .await;
    }
    result
}
