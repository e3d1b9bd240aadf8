//! A server that stalls: it answers `200 ok` at once, except that for `stall` out of every
//! `every` (from its start) it answers nothing; what arrives during a stall, and what was in
//! flight, is answered when the stall ends. A closed-loop user waits the stall out and sends
//! nothing meanwhile, so its plain response times hide the stall (coordinated omission); an
//! arrival-rate run's corrected times must show it. 127.0.0.1 only, on its own runtime
//! thread, until dropped.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// The running server.
pub struct StallServer {
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// When the answer to a request that arrives at `since` (from the start) may go out.
fn release(since: Duration, every: Duration, stall: Duration) -> Duration {
    let period = every.as_nanos().max(1);
    let into = since.as_nanos() % period;
    let stall_start = period - stall.as_nanos().min(period);
    if into >= stall_start {
        // Held until the end of this period's stall.
        since + Duration::from_nanos((period - into) as u64)
    } else {
        since
    }
}

impl StallServer {
    /// Serves on a free port of 127.0.0.1, stalling for the last `stall` of every `every`.
    pub fn start(every: Duration, stall: Duration) -> StallServer {
        let (listener, addr, runtime) =
            crate::local_listener(0).expect("cannot serve on 127.0.0.1:0");
        let requests = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&requests);
        let (stop, mut stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("stall-server".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener =
                        TcpListener::from_std(listener).expect("cannot register the listener");
                    let origin = Instant::now();
                    loop {
                        let accepted = tokio::select! {
                            a = listener.accept() => a,
                            _ = &mut stopped => break,
                        };
                        let Ok((stream, _)) = accepted else {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        };
                        let _ = stream.set_nodelay(true);
                        let counted = Arc::clone(&counted);
                        tokio::spawn(async move {
                            let svc = service_fn(move |_req: Request<hyper::body::Incoming>| {
                                let counted = Arc::clone(&counted);
                                async move {
                                    counted.fetch_add(1, Ordering::Relaxed);
                                    let at = release(origin.elapsed(), every, stall);
                                    tokio::time::sleep_until(origin + at).await;
                                    Ok::<_, Infallible>(Response::new(Full::new(
                                        Bytes::from_static(b"ok"),
                                    )))
                                }
                            });
                            let _ = http1::Builder::new()
                                .keep_alive(true)
                                .serve_connection(TokioIo::new(stream), svc)
                                .await;
                        });
                    }
                });
            })
            .expect("cannot spawn the server thread");
        StallServer {
            addr,
            requests,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests received so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for StallServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_in_a_stall_wait_for_its_end() {
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        let cases = [
            (ms(0), ms(0)),
            (ms(3999), ms(3999)),
            (ms(4000), s(5)),
            (ms(4500), s(5)),
            (ms(5000), ms(5000)),
            (ms(9200), s(10)),
        ];
        for (at, want) in cases {
            assert_eq!(release(at, s(5), s(1)), want, "{at:?}");
        }
    }
}
