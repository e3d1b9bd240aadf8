//! Real local servers for the tests: a hyper server with a closure handler that counts
//! accepted connections, and helpers to read the recorded stats.

use bytes::Bytes;
use http::{HeaderMap, Method, Uri};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use swarm_core::metrics::Metrics;
use swarm_http::{Client, ClientOptions, Session};
use tokio::net::TcpListener;

/// A response body the test servers send.
pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

/// One request as the server saw it (body collected).
#[derive(Debug)]
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Req {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A running test server.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) connections: Arc<AtomicUsize>,
}

impl Server {
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Starts a hyper HTTP/1.1 server on 127.0.0.1:0 answering with `handler`.
pub(crate) async fn serve<F, Fut>(handler: F) -> Server
where
    F: Fn(Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = hyper::Response<Body>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let handler = Arc::new(handler);
    let c = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            c.fetch_add(1, Ordering::SeqCst);
            let handler = handler.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let handler = handler.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let req = Req {
                            method: parts.method,
                            uri: parts.uri,
                            headers: parts.headers,
                            body,
                        };
                        Ok::<_, Infallible>(handler(req).await)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Server { addr, connections }
}

/// A body from bytes.
pub(crate) fn full(body: impl Into<Bytes>) -> Body {
    Full::new(body.into())
        .map_err(|never| match never {})
        .boxed()
}

/// A response with `status` and `body`.
pub(crate) fn resp(status: u16, body: impl Into<Bytes>) -> hyper::Response<Body> {
    hyper::Response::builder()
        .status(status)
        .body(full(body))
        .unwrap()
}

/// A client recording into fresh metrics.
pub(crate) fn client_with(options: ClientOptions) -> (Client, Metrics) {
    let metrics = Metrics::default();
    (Client::new(metrics.recorder(), options), metrics)
}

/// A session on `server` with default options, and its metrics.
pub(crate) fn session(server: &Server) -> (Session, Metrics) {
    let (client, metrics) = client_with(ClientOptions::default());
    (Session::new(&client, &server.url()).unwrap(), metrics)
}

/// (requests, failures) over all entries.
pub(crate) fn totals(metrics: &Metrics) -> (u64, u64) {
    let s = metrics.snapshot();
    (s.total.num_requests, s.total.num_failures)
}

/// Every failure group as (kind, name, error, occurrences).
pub(crate) fn failures(metrics: &Metrics) -> Vec<(String, String, String, u64)> {
    metrics
        .snapshot()
        .failures
        .into_iter()
        .map(|f| (f.kind, f.name, f.error, f.occurrences))
        .collect()
}
