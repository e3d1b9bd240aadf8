//! A hostile HTTP server for fault-injection tests: on 127.0.0.1, each path misbehaves in
//! one way a real server or network can (a reset mid-body, a close after the headers, a
//! truncated or garbage reply, broken chunked framing, huge headers, a reply that never
//! finishes, no reply at all), and `/ok` answers properly. It speaks raw bytes over TCP, so it
//! can send what no HTTP library would.

use std::net::{Ipv4Addr, SocketAddr};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// The hostile server; dropping it stops it and closes every connection.
pub struct Hostile {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Hostile {
    /// Starts it on a free port of 127.0.0.1.
    pub fn start() -> Self {
        Self::start_on(0).expect("cannot bind 127.0.0.1:0")
    }

    /// Starts it on 127.0.0.1:`port` (to bring a killed server back on the same port).
    pub fn start_on(port: u16) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let Ok(listener) = TcpListener::from_std(listener) else {
                    return;
                };
                tokio::select! {
                    () = accept(listener) => {}
                    _ = stopped => {}
                }
            });
            // Dropping the runtime drops every connection task: their sockets close.
        });
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept(listener: TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(serve(stream));
    }
}

/// Reads one request head; returns its path, or `None` when the peer closed.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.ok()? == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split_whitespace().nth(1)?.to_owned();
    // Drain a small body so keep-alive stays in step (the tests send none).
    Some(path)
}

async fn serve(mut stream: TcpStream) {
    while let Some(path) = read_head(&mut stream).await {
        let w = &mut stream;
        let result = match path.as_str() {
            "/ok" => {
                w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    .await
            }
            "/reset-mid-body" => {
                let _ = w
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nsome of it")
                    .await;
                // SO_LINGER 0: the close is a reset, not a FIN (and a zero linger never blocks,
                // which is what the deprecation warns of).
                #[allow(deprecated)]
                let _ = w.set_linger(Some(Duration::ZERO));
                return;
            }
            "/close-after-headers" => {
                let _ = w
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
                    .await;
                return;
            }
            "/truncated" => {
                let _ = w
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly fifty bytes of the hundred promised.........")
                    .await;
                return;
            }
            "/garbage" => {
                let _ = w.write_all(b"SPEAKING NO HTTP AT ALL\r\n\r\n").await;
                return;
            }
            "/bad-chunked" => {
                let _ = w
                    .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n")
                    .await;
                return;
            }
            "/huge-headers" => {
                let big = "x".repeat(1024 * 1024);
                let _ = w
                    .write_all(
                        format!("HTTP/1.1 200 OK\r\nX-Big: {big}\r\nContent-Length: 2\r\n\r\nok")
                            .as_bytes(),
                    )
                    .await;
                return;
            }
            "/never-finishes" => {
                let _ = w
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nstarted")
                    .await;
                // Hold the connection open; the test's server drop ends it.
                std::future::pending::<()>().await;
                return;
            }
            "/no-reply" => {
                std::future::pending::<()>().await;
                return;
            }
            _ => {
                w.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    .await
            }
        };
        if result.is_err() {
            return;
        }
    }
}
