//! A quick hot-path gauge: `cargo run --release -p swarm-http --example load -- [URL] [USERS]
//! [REQUESTS_PER_USER]` runs USERS sessions of sequential GETs and prints requests/s and the
//! process's CPU time per request (client only when URL points at an external server; with no
//! URL an in-process server shares the process and the numbers).

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::time::Instant;
use swarm_core::metrics::Metrics;
use swarm_http::{Client, ClientOptions, Session};

/// User plus system CPU time of this process, in microseconds.
fn cpu_us() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<u64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    // Clock ticks are 100 Hz on every Linux this runs on.
    fields.iter().sum::<u64>() * 10_000
}

async fn local_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(|_req| async {
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = match args.first() {
        Some(u) if u.starts_with("http") => u.clone(),
        _ => local_server().await,
    };
    let users: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(32);
    let per_user: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10_000);

    let metrics = Metrics::default();
    let client = Client::new(metrics.recorder(), ClientOptions::default().insecure(true));
    let (cpu0, t0) = (cpu_us(), Instant::now());
    let mut tasks = Vec::new();
    for _ in 0..users {
        let session = Session::new(&client, &url).expect("base URL");
        tasks.push(tokio::spawn(async move {
            for _ in 0..per_user {
                let _ = session.get("/").send().await;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let (cpu, wall) = (cpu_us() - cpu0, t0.elapsed());
    let snap = metrics.snapshot();
    let n = snap.total.num_requests.max(1);
    println!(
        "{n} requests ({} failed) in {wall:?}: {:.0} req/s, {:.1} us CPU/request, p50 {} us",
        snap.total.num_failures,
        n as f64 / wall.as_secs_f64(),
        cpu as f64 / n as f64,
        snap.total.median_us(),
    );
}
