//! A session's own keep-alive connections: opened with hyper's low-level HTTP/1.1 handshake
//! on our own `TcpStream` (TCP_NODELAY, optional rustls), driven inside the user's own task
//! while one of its requests awaits the connection, and kept in a small per-session idle list
//! keyed by origin.
//!
//! Why not a spawned task per connection, as hyper's examples do: every request would then
//! hop between two tasks (the user's and the connection's) several times, each hop a wake-up
//! and a scheduler round, and each connection would cost a task of its own. Polled in place,
//! a request is one task's work. An idle connection is not polled; a server's close while
//! idle is seen by hyper's first poll for the next request, before it writes the request,
//! which it then hands back unsent.
//!
//! hyper's per-connection state is renewed on the same socket every [`RENEW_AFTER`]
//! requests: its request channel is a tokio list of 32-slot blocks (~9 KB each), and the
//! 33rd message on it grows a second block that then lives as long as the connection
//! (hyperium/hyper#4057). Renewing keeps one block per connection, a fifth of a connection's
//! memory, for one handshake (no I/O) per 31 requests.

use crate::body::ReqBody;
use crate::client::Shared;
use crate::deadline::Timer;
use crate::error::from_io;
use crate::target::Origin;
use crate::{Error, tls};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_util::either::Either;

/// Requests sent on one hyper connection state before [`Conn::renew`]: 31 messages and the
/// close of the old sender fill exactly one 32-slot block of hyper's request channel.
const RENEW_AFTER: u8 = 31;

/// Most a connection's read buffer grows to. hyper's own default (about 400 KiB) is reached
/// by every connection that downloads a large file and kept for the connection's life: 500
/// users fetching ownCloud's 4 MiB manual held 288 MiB. 64 KiB reads keep syscalls rare, and
/// bound a response head to 64 KiB.
const READ_BUF_MAX: usize = 64 * 1024;

/// The bytes under a connection: TCP, or TLS over it (boxed: rustls' state is large, and
/// most connections are plain).
type Stream = Either<TcpStream, Box<TlsStream<TcpStream>>>;

/// hyper's HTTP/1.1 client state machine on a [`Stream`].
type HyperConn = http1::Connection<TokioIo<Stream>, ReqBody>;

/// One open HTTP/1.1 connection.
pub(crate) struct Conn {
    pub(crate) origin: Arc<Origin>,
    pub(crate) sender: SendRequest<ReqBody>,
    /// hyper's connection state machine (reads, writes, parses), polled by [`Driver::drive`].
    pub(crate) driver: Driver,
    /// Bounds the requests on this connection by their deadline (see `deadline`).
    pub(crate) timer: Timer,
    /// Requests handed to hyper since the last handshake.
    sent: u8,
}

impl Conn {
    /// Counts a request handed to `sender`.
    pub(crate) fn count_sent(&mut self) {
        self.sent = self.sent.saturating_add(1);
    }

    /// Whether hyper's state should be renewed before the next request.
    fn worn(&self) -> bool {
        self.sent >= RENEW_AFTER
    }

    /// The same socket with fresh hyper state (see the module doc); `None` when it cannot
    /// be kept: hyper saw it close, the server sent bytes no request asked for, or hyper did
    /// not let go of it at once. Nothing here waits: with every sender gone, hyper's
    /// dispatcher finishes in one poll without touching the socket, and a handshake does no
    /// I/O, so a request never waits on a renewal (nor past its deadline).
    fn renew(self) -> Option<Conn> {
        use futures_util::FutureExt;
        let Conn {
            origin,
            sender,
            driver,
            timer,
            sent: _,
        } = self;
        drop(sender);
        let mut hyper = driver.0?;
        std::future::poll_fn(|cx| hyper.poll_without_shutdown(cx))
            .now_or_never()?
            .ok()?;
        let parts = hyper.into_parts();
        if !parts.read_buf.is_empty() {
            return None;
        }
        let (sender, driver) = handshake(parts.io).now_or_never()?.ok()?;
        Some(Conn {
            origin,
            sender,
            driver,
            timer,
            sent: 0,
        })
    }
}

/// hyper's connection, boxed once per connection so a [`Conn`] moves cheaply between the
/// request and the idle list; `None` once it finished, i.e. the connection is closed.
pub(crate) struct Driver(Option<Box<HyperConn>>);

impl Driver {
    /// `fut` (a request on this connection), with the connection polled in the awaiting task
    /// whenever `fut` is not ready, so that it makes progress.
    pub(crate) fn drive<F: Future + Unpin>(&mut self, fut: F) -> Driven<'_, F> {
        Driven { driver: self, fut }
    }
}

/// The future of [`Driver::drive`].
pub(crate) struct Driven<'d, F> {
    driver: &'d mut Driver,
    fut: F,
}

impl<F: Future + Unpin> Future for Driven<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        // `fut` first: a response body that arrived with its head is already whole, and a
        // poll of hyper's state machine (a few hundred instructions) would find nothing to do.
        if let Poll::Ready(out) = Pin::new(&mut this.fut).poll(cx) {
            return Poll::Ready(out);
        }
        if let Some(conn) = &mut this.driver.0 {
            // Ready means closed: its error, if any, reaches the request through hyper.
            if Pin::new(&mut **conn).poll(cx).is_ready() {
                this.driver.0 = None;
            }
        }
        // Again, now that hyper may have moved it on (rather than a wake-up round later).
        Pin::new(&mut this.fut).poll(cx)
    }
}

/// Opens a connection to `origin` within the client's connect timeout.
pub(crate) async fn connect(shared: &Shared, origin: &Arc<Origin>) -> Result<Conn, Error> {
    let limit = shared.options.get_connect_timeout();
    match tokio::time::timeout(limit, open(shared, origin)).await {
        Ok(result) => result,
        Err(_) => Err(Error::ConnectTimeout(limit)),
    }
}

async fn open(shared: &Shared, origin: &Arc<Origin>) -> Result<Conn, Error> {
    let addrs = shared.resolve(origin.connect_host(), origin.port).await?;
    let mut last = Error::ConnectionRefused;
    let mut tcp = None;
    for addr in addrs.iter() {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                tcp = Some(stream);
                break;
            }
            Err(e) => last = from_io(&e),
        }
    }
    let tcp = tcp.ok_or(last)?;
    // Requests are written in one go; Nagle would only add latency to them.
    tcp.set_nodelay(true).map_err(|e| from_io(&e))?;
    let (sender, driver) = if origin.tls {
        let config = shared.tls_config()?;
        let name = tls::server_name(origin.connect_host())?;
        let stream = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| tls_error(&e))?;
        handshake(TokioIo::new(Either::Right(Box::new(stream)))).await?
    } else {
        handshake(TokioIo::new(Either::Left(tcp))).await?
    };
    Ok(Conn {
        origin: Arc::clone(origin),
        sender,
        driver,
        timer: Timer::default(),
        sent: 0,
    })
}

async fn handshake(io: TokioIo<Stream>) -> Result<(SendRequest<ReqBody>, Driver), Error> {
    let (sender, connection) = http1::Builder::new()
        .max_buf_size(READ_BUF_MAX)
        .handshake(io)
        .await
        .map_err(|e| crate::error::from_hyper(&e))?;
    Ok((sender, Driver(Some(Box::new(connection)))))
}

fn tls_error(e: &std::io::Error) -> Error {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(cert)) => {
            Error::Tls(format!("invalid certificate: {}", short_cert_error(cert)))
        }
        Some(other) => Error::Tls(other.to_string()),
        None => match from_io(e) {
            Error::Transport(_) => Error::Tls(format!("handshake failed: {}", e.kind())),
            mapped => mapped,
        },
    }
}

fn short_cert_error(e: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match e {
        C::UnknownIssuer => "unknown issuer".to_owned(),
        C::Expired | C::ExpiredContext { .. } => "expired".to_owned(),
        C::NotValidYet | C::NotValidYetContext { .. } => "not valid yet".to_owned(),
        C::NotValidForName | C::NotValidForNameContext { .. } => "wrong host name".to_owned(),
        C::BadSignature => "bad signature".to_owned(),
        C::Revoked => "revoked".to_owned(),
        other => format!("{other:?}"),
    }
}

/// A session's idle connections; a session normally uses one at a time, concurrent requests
/// of one session open more.
#[derive(Default)]
pub(crate) struct Pool {
    idle: Mutex<Vec<Conn>>,
}

impl Pool {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Conn>> {
        // Only plain pushes and pops happen under the lock; a poisoned list is still valid.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection to `origin` that the server has not closed, if any, with its hyper
    /// state renewed when it is due (see the module doc).
    pub(crate) fn take(&self, origin: &Arc<Origin>) -> Option<Conn> {
        loop {
            let conn = {
                let mut idle = self.lock();
                idle.retain(|c| !c.sender.is_closed());
                let pos = idle.iter().rposition(|c| c.origin.same(origin))?;
                idle.swap_remove(pos)
            };
            if !conn.worn() {
                return Some(conn);
            }
            if let Some(renewed) = conn.renew() {
                return Some(renewed);
            }
        }
    }

    /// Keeps `conn` for reuse, unless `max` idle connections are already kept.
    pub(crate) fn put(&self, conn: Conn, max: usize) {
        if conn.sender.is_closed() {
            return;
        }
        let mut idle = self.lock();
        if idle.len() < max {
            idle.push(conn);
        }
    }

    /// Closes every idle connection.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// Idle connections kept now.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}
#[cfg(test)]
mod tests {
    use super::RENEW_AFTER;
    use crate::{Client, ClientOptions, Session};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A keep-alive server on 127.0.0.1 writing `reply` for every request head it reads;
    /// returns its URL and the number of connections it accepted.
    async fn server(reply: &'static [u8]) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 4096];
                    loop {
                        while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                            seen.drain(..end + 4);
                            if stream.write_all(reply).await.is_err() {
                                return;
                            }
                        }
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buf[..n]),
                        }
                    }
                });
            }
        });
        (url, accepted)
    }

    fn sent_on_idle(s: &Session) -> u8 {
        s.state.pool.lock().first().map(|c| c.sent).unwrap()
    }

    #[tokio::test]
    async fn hyper_state_is_renewed_on_the_same_socket() {
        let (url, accepted) = server(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
        let s = Session::new(&Client::unbound(ClientOptions::default()), &url).unwrap();
        for _ in 0..RENEW_AFTER {
            s.get("/").send().await.unwrap();
        }
        assert_eq!(sent_on_idle(&s), RENEW_AFTER);
        // The next request goes out on a fresh hyper state, over the same TCP connection.
        for n in 1..=3 * u16::from(RENEW_AFTER) {
            let r = s.get("/").send().await.unwrap();
            assert_eq!((r.status().as_u16(), r.bytes_received()), (200, 2));
            let expected = (n - 1) % u16::from(RENEW_AFTER) + 1;
            assert_eq!(u16::from(sent_on_idle(&s)), expected);
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }
}
