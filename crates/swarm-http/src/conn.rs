//! A session's own keep-alive connections: opened with hyper's low-level HTTP/1.1 handshake
//! on our own `TcpStream` (TCP_NODELAY, optional rustls), driven inside the user's own task
//! while one of its requests awaits the connection, and kept in a small per-session idle list
//! keyed by origin.
//!
//! Why not a spawned task per connection, as hyper's examples do: every request would then
//! hop between two tasks (the user's and the connection's) several times, each hop a wake-up
//! and a scheduler round, and each connection would cost a task of its own. Polled in place,
//! a request is one task's work. An idle connection is not polled; a server's close while
//! idle is seen by the first poll of the next request, before the request is handed over.

use crate::body::ReqBody;
use crate::client::Shared;
use crate::deadline::Timer;
use crate::error::from_io;
use crate::target::Origin;
use crate::{Error, tls};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::rt::{Read, Write};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use tokio::net::TcpStream;

/// One open HTTP/1.1 connection.
pub(crate) struct Conn {
    pub(crate) origin: Arc<Origin>,
    pub(crate) sender: SendRequest<ReqBody>,
    /// hyper's connection state machine (reads, writes, parses), polled by [`Driver::drive`].
    pub(crate) driver: Driver,
    /// Bounds the requests on this connection by their deadline (see `deadline`).
    pub(crate) timer: Timer,
}

/// hyper's connection future, boxed once per connection (plain and TLS streams are one type
/// here); `None` once it finished, i.e. the connection is closed.
pub(crate) struct Driver(Option<Pin<Box<dyn Future<Output = ()> + Send>>>);

impl Driver {
    /// `fut` (a request on this connection), with the connection polled first on every poll
    /// so that it makes progress in the awaiting task.
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
        if let Some(conn) = &mut this.driver.0 {
            // Ready means closed: its error, if any, reaches the request through hyper.
            if conn.as_mut().poll(cx).is_ready() {
                this.driver.0 = None;
            }
        }
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
        handshake(TokioIo::new(stream)).await?
    } else {
        handshake(TokioIo::new(tcp)).await?
    };
    Ok(Conn {
        origin: Arc::clone(origin),
        sender,
        driver,
        timer: Timer::default(),
    })
}

async fn handshake<T>(io: T) -> Result<(SendRequest<ReqBody>, Driver), Error>
where
    T: Read + Write + Unpin + Send + 'static,
{
    let (sender, connection) = http1::handshake(io)
        .await
        .map_err(|e| crate::error::from_hyper(&e))?;
    // The driver ends when the connection closes; its error already reached the request.
    let driver = Driver(Some(Box::pin(async move {
        let _ = connection.await;
    })));
    Ok((sender, driver))
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

    /// An idle connection to `origin` that the server has not closed, if any.
    pub(crate) fn take(&self, origin: &Arc<Origin>) -> Option<Conn> {
        let mut idle = self.lock();
        idle.retain(|c| !c.sender.is_closed());
        let pos = idle.iter().rposition(|c| c.origin.same(origin))?;
        Some(idle.swap_remove(pos))
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
