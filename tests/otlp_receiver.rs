//! An OTLP/HTTP metrics receiver for the outputs tests: serves `POST /v1/metrics` on a free
//! 127.0.0.1 port, decodes each body with the official generated messages
//! (`opentelemetry-proto`) and keeps every request, so a test can check the names,
//! attributes and totals swarm sent. Anything else is 404; a body that does not decode is
//! 400. Runs on its own runtime thread until dropped.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
pub use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use prost::Message as _;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The largest body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// What arrived: each decoded request, and the content types sent.
#[derive(Debug, Default, Clone)]
pub struct Received {
    /// Every decoded export, in arrival order.
    pub requests: Vec<ExportMetricsServiceRequest>,
    /// The `Content-Type` of each request.
    pub content_types: Vec<String>,
}

/// A running receiver.
pub struct OtlpReceiver {
    addr: SocketAddr,
    received: Arc<Mutex<Received>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl OtlpReceiver {
    /// Starts it on a free port of 127.0.0.1.
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("cannot bind");
        let addr = listener.local_addr().expect("no local address");
        listener.set_nonblocking(true).expect("non-blocking");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("cannot build a runtime");
        let received = Arc::new(Mutex::new(Received::default()));
        let (stop, mut stopped) = oneshot::channel::<()>();
        let store = Arc::clone(&received);
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("listener");
                loop {
                    let accepted = tokio::select! {
                        a = listener.accept() => a,
                        _ = &mut stopped => break,
                    };
                    let Ok((stream, _)) = accepted else { continue };
                    let store = Arc::clone(&store);
                    tokio::spawn(async move {
                        let svc = service_fn(move |req| {
                            let store = Arc::clone(&store);
                            async move { Ok::<_, Infallible>(handle(&store, req).await) }
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
            });
        });
        Self {
            addr,
            received,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` (swarm adds `/v1/metrics` to a URL without a path).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Everything received so far.
    pub fn received(&self) -> Received {
        self.received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn handle(store: &Mutex<Received>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let reply = |status: StatusCode, body: Vec<u8>| {
        Response::builder()
            .status(status)
            .header("content-type", "application/x-protobuf")
            .body(Full::new(Bytes::from(body)))
            .unwrap_or_default()
    };
    if req.method() != Method::POST || req.uri().path() != "/v1/metrics" {
        return reply(StatusCode::NOT_FOUND, Vec::new());
    }
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let Ok(body) = Limited::new(req.into_body(), MAX_BODY).collect().await else {
        return reply(StatusCode::BAD_REQUEST, Vec::new());
    };
    match ExportMetricsServiceRequest::decode(body.to_bytes()) {
        Ok(request) => {
            let mut received = store.lock().unwrap_or_else(|e| e.into_inner());
            received.requests.push(request);
            received.content_types.push(content_type);
            reply(
                StatusCode::OK,
                ExportMetricsServiceResponse::default().encode_to_vec(),
            )
        }
        Err(_) => reply(StatusCode::BAD_REQUEST, Vec::new()),
    }
}
