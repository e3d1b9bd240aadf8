//! Big bodies stream with flat memory: a 100 MB download is counted without being kept and
//! a 64 MB file upload is sent through a fixed buffer. Its own test binary, so no other test
//! moves the process's peak RSS.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Frame;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use swarm_core::metrics::Metrics;
use swarm_http::{Client, ClientOptions, Session};
use tokio::net::TcpListener;

const DOWNLOAD: u64 = 100 * 1024 * 1024;
const UPLOAD: u64 = 64 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// Peak resident set size of this process so far, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// GET streams `DOWNLOAD` bytes of one shared chunk; PUT counts what it receives.
async fn server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let svc = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    if req.method() == hyper::Method::PUT {
                        let mut body = req.into_body();
                        let mut n = 0u64;
                        while let Some(frame) = body.frame().await {
                            if let Ok(data) = frame.unwrap().into_data() {
                                n += data.len() as u64;
                            }
                        }
                        let body = http_body_util::Full::new(Bytes::from(n.to_string()))
                            .map_err(|never| match never {})
                            .boxed();
                        return Ok::<_, Infallible>(hyper::Response::new(body));
                    }
                    let count = if req.uri().path() == "/big" {
                        DOWNLOAD as usize / CHUNK
                    } else {
                        1
                    };
                    let chunk = Bytes::from(vec![b'z'; CHUNK]);
                    let frames = futures_util::stream::iter(
                        (0..count)
                            .map(move |_| Ok::<_, std::io::Error>(Frame::data(chunk.clone()))),
                    );
                    let body = http_body_util::StreamBody::new(frames).boxed();
                    Ok(hyper::Response::new(body))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_bodies_stream_with_flat_memory() {
    let addr = server().await;
    let metrics = Metrics::default();
    let client = Client::new(metrics.recorder(), ClientOptions::default());
    let s = Session::new(&client, &format!("http://{addr}")).unwrap();
    // Warm up (connection, buffers) before taking the baseline.
    s.get("/small").send().await.unwrap();

    let path = std::env::temp_dir().join(format!("swarm-http-big-{}", std::process::id()));
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![b'u'; 1024 * 1024];
        for _ in 0..UPLOAD / (1024 * 1024) {
            f.write_all(&block).unwrap();
        }
    }
    let before = peak_rss_kib();

    let r = s.get("/big").send().await.unwrap();
    assert_eq!(r.bytes_received(), DOWNLOAD);
    assert!(r.body().is_empty());
    let put = s.put("/upload").body_file(&path).fetch().await.unwrap();
    assert_eq!(put.text(), UPLOAD.to_string());

    let growth_mib = (peak_rss_kib() - before) / 1024;
    std::fs::remove_file(&path).unwrap();
    println!("peak RSS growth: {growth_mib} MiB");
    assert!(growth_mib < 30, "peak RSS grew by {growth_mib} MiB");
    let snap = metrics.snapshot();
    assert_eq!(snap.total.num_failures, 0);
    assert_eq!(
        snap.total.total_bytes,
        CHUNK as u64 + DOWNLOAD + UPLOAD.to_string().len() as u64
    );
}
