//! Keep-alive reuse, transparent reconnection when the server closes, concurrency in one
//! session, and cheap session construction.

use crate::support::{resp, serve, session, totals};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use swarm_core::metrics::Metrics;
use swarm_http::{Client, ClientOptions, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::test]
async fn one_connection_for_a_thousand_requests() {
    let server = serve(|_| async { resp(200, "ok") }).await;
    let (s, metrics) = session(&server);
    for _ in 0..1000 {
        let r = s.get("/x").send().await.unwrap();
        assert_eq!(r.bytes_received(), 2);
    }
    assert_eq!(server.connections(), 1);
    assert_eq!(totals(&metrics), (1000, 0));
    assert_eq!(s.idle_connections(), 1);
}

#[tokio::test]
async fn connection_close_every_other_request() {
    let counter = Arc::new(AtomicUsize::new(0));
    let c = counter.clone();
    let server = serve(move |_| {
        let n = c.fetch_add(1, Ordering::SeqCst);
        async move {
            let mut r = resp(200, "ok");
            if n % 2 == 1 {
                r.headers_mut()
                    .insert("connection", "close".parse().unwrap());
            }
            r
        }
    })
    .await;
    let (s, metrics) = session(&server);
    for i in 0..100 {
        // Non-idempotent requests too: a closed connection must never be reused for them.
        if i % 3 == 0 {
            s.post("/p").body("x").send().await.unwrap();
        } else {
            s.get("/g").send().await.unwrap();
        }
    }
    assert_eq!(totals(&metrics), (100, 0));
    assert_eq!(server.connections(), 50);
}

#[tokio::test]
async fn apache_style_close_after_400() {
    let server = serve(|req| async move {
        if req.uri.path() == "/bad" {
            let mut r = resp(400, "User already exists");
            r.headers_mut()
                .insert("connection", "close".parse().unwrap());
            r
        } else {
            resp(200, "ok")
        }
    })
    .await;
    let (s, metrics) = session(&server);
    for _ in 0..10 {
        let r = s.post("/bad").expect_status([400]).fetch().await.unwrap();
        assert_eq!(r.text(), "User already exists");
        s.delete("/ok").send().await.unwrap();
    }
    assert_eq!(totals(&metrics), (20, 0));
}

/// A raw server that answers each request with keep-alive headers but closes the socket
/// right after: the keep-alive race a client must absorb for idempotent requests.
async fn closing_server(delay: Duration) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let a = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            a.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
                tokio::time::sleep(delay).await;
            });
        }
    });
    (addr, accepted)
}

#[tokio::test]
async fn server_closing_idle_connections_is_transparent() {
    for delay in [Duration::ZERO, Duration::from_millis(20)] {
        let (addr, accepted) = closing_server(delay).await;
        let metrics = Metrics::default();
        let client = Client::new(metrics.recorder(), ClientOptions::default());
        let s = Session::new(&client, &format!("http://{addr}")).unwrap();
        for i in 0..50 {
            if delay > Duration::ZERO && i % 10 == 0 {
                tokio::time::sleep(delay * 2).await;
            }
            s.get("/").send().await.unwrap();
        }
        assert_eq!(totals(&metrics), (50, 0), "delay {delay:?}");
        assert!(accepted.load(Ordering::SeqCst) >= 50);
    }
}

#[tokio::test]
async fn a_post_after_the_server_closed_the_idle_connection_goes_out_on_a_new_one() {
    // Idle connections are not polled (they are driven by the request that uses them): the
    // close must still be seen before a non-idempotent request is handed to the dead one.
    let (addr, accepted) = closing_server(Duration::ZERO).await;
    let metrics = Metrics::default();
    let client = Client::new(metrics.recorder(), ClientOptions::default());
    let s = Session::new(&client, &format!("http://{addr}")).unwrap();
    for _ in 0..5 {
        s.get("/").send().await.unwrap();
        // Long enough for the server's FIN to arrive while the connection sits idle.
        tokio::time::sleep(Duration::from_millis(30)).await;
        s.post("/").body("x").send().await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert_eq!(totals(&metrics), (10, 0));
    assert_eq!(accepted.load(Ordering::SeqCst), 10);
}

#[tokio::test]
async fn concurrent_requests_of_one_session_open_more_connections() {
    let server = serve(|_| async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        resp(200, "ok")
    })
    .await;
    let (s, metrics) = session(&server);
    let (a, b, c, d) = tokio::join!(
        s.get("/1").send(),
        s.get("/2").send(),
        s.get("/3").send(),
        s.get("/4").send()
    );
    for r in [a, b, c, d] {
        r.unwrap();
    }
    assert_eq!(server.connections(), 4);
    assert_eq!(s.idle_connections(), 4);
    for _ in 0..10 {
        s.get("/5").send().await.unwrap();
    }
    assert_eq!(server.connections(), 4);
    assert_eq!(totals(&metrics), (14, 0));
}

#[tokio::test]
async fn ten_thousand_sessions_are_cheap() {
    let client = Client::new(Metrics::default().recorder(), ClientOptions::default());
    let started = Instant::now();
    let sessions: Vec<Session> = (0..10_000)
        .map(|_| Session::new(&client, "https://cloud.example.test/owncloud").unwrap())
        .collect();
    // No timing assertion (CI boxes vary); the number is printed for the curious.
    println!("10,000 sessions in {:?}", started.elapsed());
    assert_eq!(sessions.len(), 10_000);
    assert!(sessions.iter().all(|s| s.idle_connections() == 0));
}
