//! Big bodies stream with flat memory: a 100 MB download is counted without being kept, a
//! 64 MB file upload is sent through a fixed buffer, and many connections downloading at
//! once each keep a bounded read buffer. Its own test binary with one test, so nothing else
//! moves the process's peak RSS or its heap count.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Frame;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::alloc::{GlobalAlloc, Layout, System};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use swarm_core::metrics::Metrics;
use swarm_http::{Client, ClientOptions, Session};
use tokio::net::TcpListener;

const DOWNLOAD: u64 = 100 * 1024 * 1024;
const UPLOAD: u64 = 64 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
/// Connections downloading `MID` bytes at once in the read-buffer check.
const PARALLEL: usize = 32;
const MID: u64 = 4 * 1024 * 1024;

/// The system allocator, counting the bytes live now and their peak since the last reset.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only counters are added.
#[allow(unsafe_code)] // a global allocator cannot be written without it (test-only)
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

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
                    let count = match req.uri().path() {
                        "/big" => DOWNLOAD as usize / CHUNK,
                        "/mid" => MID as usize / CHUNK,
                        _ => 1,
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

    // Regression: hyper lets a connection's read buffer grow to about 400 KiB on a large
    // download and keeps it; 500 ownCloud users fetching a 4 MiB file held 288 MiB.
    let sessions: Vec<Session> = (0..PARALLEL).map(|_| s.fresh()).collect();
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let downloads = sessions
        .iter()
        .map(|s| async move { s.get("/mid").send().await.unwrap().bytes_received() });
    let got = futures_util::future::join_all(downloads).await;
    assert!(got.iter().all(|&n| n == MID), "{got:?}");
    // Both ends count (the server here holds a 64 KiB chunk per response): 226 KiB per
    // connection with swarm's 64 KiB read cap, 586 KiB with hyper's default.
    let per_connection_kib = (PEAK.load(Ordering::Relaxed) - base) / PARALLEL / 1024;
    println!("heap per downloading connection: {per_connection_kib} KiB");
    assert!(
        per_connection_kib < 400,
        "each downloading connection held {per_connection_kib} KiB"
    );
}
