//! Request bodies: empty, bytes, or streamed (a file or any reader/stream) through a
//! fixed-size buffer so uploads never load a whole file into memory.

use bytes::Bytes;
use futures_util::Stream;
use hyper::body::{Body, Frame, SizeHint};
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

/// Upload chunk size: large enough for few syscalls, small enough to stay flat per user.
const CHUNK: usize = 64 * 1024;

type BoxReader = Pin<Box<dyn AsyncRead + Send>>;
type BoxStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// The body hyper sends; one concrete type so a connection's `SendRequest` has one type.
pub(crate) enum ReqBody {
    Empty,
    Full(Option<Bytes>),
    Reader {
        reader: BoxReader,
        buf: Box<[u8]>,
        len: Option<u64>,
    },
    Stream {
        stream: BoxStream,
        len: Option<u64>,
    },
}

impl Body for ReqBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            Self::Empty => Poll::Ready(None),
            Self::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Self::Reader { reader, buf, .. } => {
                let mut read = ReadBuf::new(buf);
                match reader.as_mut().poll_read(cx, &mut read) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
                    Poll::Ready(Ok(())) if read.filled().is_empty() => Poll::Ready(None),
                    // One copy per 64 KiB chunk keeps this free of unsafe uninitialised reads.
                    Poll::Ready(Ok(())) => {
                        Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(read.filled())))))
                    }
                }
            }
            Self::Stream { stream, .. } => stream
                .as_mut()
                .poll_next(cx)
                .map(|item| item.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Empty | Self::Full(None) => true,
            Self::Full(Some(b)) => b.is_empty(),
            _ => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Empty | Self::Full(None) => SizeHint::with_exact(0),
            Self::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Self::Reader { len, .. } | Self::Stream { len, .. } => {
                len.map_or_else(SizeHint::default, SizeHint::with_exact)
            }
        }
    }
}

impl std::fmt::Debug for ReqBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("Empty"),
            Self::Full(b) => write!(f, "Full({:?} bytes)", b.as_ref().map(Bytes::len)),
            Self::Reader { len, .. } => write!(f, "Reader({len:?})"),
            Self::Stream { len, .. } => write!(f, "Stream({len:?})"),
        }
    }
}

/// What the builder was given as the body.
pub(crate) enum BodySource {
    Empty,
    Bytes(Bytes),
    File(PathBuf),
    Reader(BoxReader, Option<u64>),
    Stream(BoxStream, Option<u64>),
}

impl BodySource {
    pub(crate) fn reader(reader: impl AsyncRead + Send + 'static, len: Option<u64>) -> Self {
        Self::Reader(Box::pin(reader), len)
    }

    pub(crate) fn stream(
        stream: impl Stream<Item = io::Result<Bytes>> + Send + 'static,
        len: Option<u64>,
    ) -> Self {
        Self::Stream(Box::pin(stream), len)
    }

    /// Opens the body for sending (a file is opened here, its length read from metadata).
    pub(crate) async fn open(self) -> Result<Payload, crate::Error> {
        Ok(match self {
            Self::Empty => Payload::Empty,
            Self::Bytes(b) => Payload::Bytes(b),
            // Boxed so the rare file case does not grow every request's future.
            Self::File(path) => Box::pin(open_file(path)).await?,
            Self::Reader(r, len) => Payload::OneShot(Some(reader_body(r, len))),
            Self::Stream(stream, len) => Payload::OneShot(Some(ReqBody::Stream { stream, len })),
        })
    }
}

async fn open_file(path: PathBuf) -> Result<Payload, crate::Error> {
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| crate::Error::Body(format!("cannot open {}: {}", path.display(), e.kind())))?;
    let len = file
        .metadata()
        .await
        .map_err(|e| crate::Error::Body(format!("cannot stat {}: {}", path.display(), e.kind())))?
        .len();
    Ok(Payload::OneShot(Some(reader_body(
        Box::pin(file),
        Some(len),
    ))))
}

fn reader_body(reader: BoxReader, len: Option<u64>) -> ReqBody {
    ReqBody::Reader {
        reader,
        buf: vec![0; CHUNK].into_boxed_slice(),
        len,
    }
}

/// An opened body: bytes can be sent again (retries, 307/308), a stream only once.
pub(crate) enum Payload {
    Empty,
    Bytes(Bytes),
    OneShot(Option<ReqBody>),
}

impl Payload {
    /// The body for the next send; `None` once a one-shot body was used.
    pub(crate) fn take(&mut self) -> Option<ReqBody> {
        match self {
            Self::Empty => Some(ReqBody::Empty),
            Self::Bytes(b) => Some(ReqBody::Full(Some(b.clone()))),
            Self::OneShot(body) => body.take(),
        }
    }

    /// Whether the body can be sent again after it was (maybe partly) written.
    pub(crate) fn replayable(&self) -> bool {
        !matches!(self, Self::OneShot(_))
    }
}
