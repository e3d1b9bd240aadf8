//! A property of the response path: whatever bytes a server answers with (malformed status
//! lines, headers, framing, early closes), a request ends in bounded time with a response or
//! a failure whose text is short and non-empty, and never panics. The replies are generated
//! from a grammar of real-world breakage with a fixed seed, so a failure reproduces.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::Duration;
use swarm_core::metrics::Metrics;
use swarm_http::{Client, ClientOptions, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// How many generated replies one run tries.
const CASES: usize = 300;

fn pick<'a>(rng: &mut SmallRng, options: &[&'a str]) -> &'a str {
    options[rng.random_range(0..options.len())]
}

/// One reply: a status line, headers, a body with some framing, maybe cut short.
fn reply(rng: &mut SmallRng) -> Vec<u8> {
    let mut out = Vec::new();
    let status = pick(
        rng,
        &[
            "HTTP/1.1 200 OK",
            "HTTP/1.1 204 No Content",
            "HTTP/1.1 304 Not Modified",
            "HTTP/1.1 404 Not Found",
            "HTTP/1.1 500 Oops",
            "HTTP/1.1 999 Strange",
            "HTTP/1.1 99 Low",
            "HTTP/1.0 200 OK",
            "HTTP/2 200",
            "HTTP/1.1 2OO OK",
            "HTTP/1.1",
            "",
            "\u{0}\u{1}\u{2}",
            "GARBAGE",
            "HTTP/1.1 302 Found\r\nLocation: ftp://u:pw@x/",
            "HTTP/1.1 301 Moved\r\nLocation: ::::",
        ],
    );
    out.extend_from_slice(status.as_bytes());
    out.extend_from_slice(b"\r\n");
    let body_len = rng.random_range(0..64usize);
    let body: Vec<u8> = (0..body_len).map(|_| rng.random()).collect();
    let framing = rng.random_range(0..6);
    for _ in 0..rng.random_range(0..4) {
        let header = pick(
            rng,
            &[
                "X-A: b",
                "Content-Type: text/plain",
                "Set-Cookie: a=b; Path=/",
                "Set-Cookie: ;;;===",
                "Bad Header Name: x",
                ": no name",
                "X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "Content-Length: -1",
                "Content-Length: 18446744073709551616",
                "Content-Length: 3, 4",
                "Transfer-Encoding: gzip",
                "Connection: close",
            ],
        );
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    match framing {
        0 => out.extend_from_slice(format!("Content-Length: {body_len}\r\n\r\n").as_bytes()),
        1 => out.extend_from_slice(
            format!(
                "Content-Length: {}\r\n\r\n",
                body_len + rng.random_range(1..100)
            )
            .as_bytes(),
        ),
        2 => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            let size = pick(rng, &["5", "zz", "-1", "ffffffffffffffffff", "0", ""]);
            out.extend_from_slice(format!("{size}\r\n").as_bytes());
        }
        3 => out.extend_from_slice(b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
        4 => out.extend_from_slice(b"\r\n"),
        _ => {}
    }
    out.extend_from_slice(&body);
    if rng.random_bool(0.5) {
        let cut = rng.random_range(0..=out.len());
        out.truncate(cut);
    }
    out
}

#[tokio::test]
async fn no_reply_makes_the_response_path_panic_or_hang() {
    let mut rng = SmallRng::seed_from_u64(0x5eed);
    let replies: Arc<Vec<Vec<u8>>> = Arc::new((0..CASES).map(|_| reply(&mut rng)).collect());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::clone(&replies);
    tokio::spawn(async move {
        let mut next = 0usize;
        while let Ok((mut stream, _)) = listener.accept().await {
            let bytes = served[next % served.len()].clone();
            next += 1;
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    let metrics = Metrics::default();
    let options = ClientOptions::default().request_timeout(Duration::from_millis(500));
    let client = Client::new(metrics.recorder(), options);
    for i in 0..CASES {
        // A fresh session per case: every reply gets a connection of its own.
        let session = Session::new(&client, &format!("http://{addr}")).unwrap();
        let result = tokio::time::timeout(Duration::from_secs(5), session.get("/").fetch())
            .await
            .unwrap_or_else(|_| {
                panic!("case {i} hung: {:?}", String::from_utf8_lossy(&replies[i]))
            });
        if let Err(e) = result {
            let text = e.to_string();
            assert!(
                !text.is_empty() && text.len() < 200 && !text.contains("pw"),
                "case {i}: `{text}` for {:?}",
                String::from_utf8_lossy(&replies[i])
            );
        }
    }
    let snap = metrics.snapshot();
    assert_eq!(snap.total.num_requests as usize, CASES);
}
