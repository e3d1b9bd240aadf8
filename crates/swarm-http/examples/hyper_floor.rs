//! The floor under swarm-http: the leanest loop hyper's HTTP/1.1 client allows, for
//! `cargo xtask bench` to measure next to swarm (same runtime shape, same hyper API, nothing
//! recorded). What swarm costs above it is swarm's; what it costs above wrk is hyper's.
//!
//! `hyper_floor URL CONNECTIONS SECONDS`: every connection sends GET URL in a loop for
//! SECONDS, then the program prints `requests: N` and exits. Only loopback URLs are taken.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::Duration;
use tokio::net::TcpStream;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    const USAGE: &str = "usage: hyper_floor URL CONNECTIONS SECONDS (a loopback http:// URL)";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, conns, secs] = args.as_slice() else {
        return Err(USAGE.to_owned());
    };
    let uri: hyper::Uri = url.parse().map_err(|_| USAGE.to_owned())?;
    let conns: usize = conns.parse().map_err(|_| USAGE.to_owned())?;
    let secs: u64 = secs.parse().map_err(|_| USAGE.to_owned())?;
    let host = uri.host().unwrap_or_default().trim_matches(['[', ']']);
    let ip: std::net::IpAddr = host
        .parse()
        .map_err(|_| format!("{host} is not an IP address; {USAGE}"))?;
    if !ip.is_loopback() || uri.scheme_str() != Some("http") {
        return Err(USAGE.to_owned());
    }
    let addr = std::net::SocketAddr::new(ip, uri.port_u16().unwrap_or(80));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let count = Arc::new(AtomicU64::new(0));
    rt.block_on(async {
        let stop = tokio::time::Instant::now() + Duration::from_secs(secs);
        for _ in 0..conns {
            tokio::spawn(connection(addr, uri.clone(), Arc::clone(&count), stop));
        }
        tokio::time::sleep_until(stop).await;
    });
    rt.shutdown_timeout(Duration::from_millis(100));
    println!("requests: {}", count.load(Ordering::Relaxed));
    Ok(())
}

/// One keep-alive connection's loop; hyper's connection is polled in the same task, as
/// swarm-http does.
async fn connection(
    addr: std::net::SocketAddr,
    uri: hyper::Uri,
    count: Arc<AtomicU64>,
    stop: tokio::time::Instant,
) {
    let Ok(tcp) = TcpStream::connect(addr).await else {
        return;
    };
    let _ = tcp.set_nodelay(true);
    let Ok((mut sender, conn)) = http1::handshake(TokioIo::new(tcp)).await else {
        return;
    };
    let mut conn = pin!(conn);
    let host = hyper::header::HeaderValue::from_str(&addr.to_string()).ok();
    while tokio::time::Instant::now() < stop {
        let mut req = hyper::Request::new(Empty::<Bytes>::new());
        *req.uri_mut() = hyper::Uri::from(
            uri.path_and_query()
                .cloned()
                .unwrap_or_else(|| hyper::http::uri::PathAndQuery::from_static("/")),
        );
        if let Some(h) = &host {
            req.headers_mut().insert(hyper::header::HOST, h.clone());
        }
        let exchange = async {
            let resp = sender.send_request(req).await.ok()?;
            resp.into_body().collect().await.ok()
        };
        let mut exchange = pin!(exchange);
        let done = std::future::poll_fn(|cx| {
            if conn.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            exchange.as_mut().poll(cx)
        })
        .await;
        if done.is_none() {
            return;
        }
        count.fetch_add(1, Ordering::Relaxed);
    }
}
