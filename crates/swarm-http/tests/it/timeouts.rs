//! Timeouts and transport failures: recorded within the limit, with grouping texts.

use crate::support::{client_with, failures, serve, totals};
use bytes::Bytes;
use http_body_util::BodyExt;
use std::time::{Duration, Instant};
use swarm_http::{ClientOptions, Error, Session};
use tokio::net::TcpListener;

/// A server that accepts connections and never answers.
async fn silent_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    addr
}

#[tokio::test]
async fn never_answering_server_is_a_recorded_timeout() {
    let addr = silent_server().await;
    let (client, metrics) =
        client_with(ClientOptions::default().request_timeout(Duration::from_millis(300)));
    let s = Session::new(&client, &format!("http://{addr}")).unwrap();
    let started = Instant::now();
    let err = s.get("/slow").send().await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_eq!(err.to_string(), "timeout after 300 ms");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "{took:?}"
    );
    // A per-request timeout overrides the client's.
    let err = s
        .get("/slow")
        .timeout(Duration::from_secs(1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "timeout after 1 s");
    let f = failures(&metrics);
    assert!(f.contains(&(
        "GET".into(),
        "/slow".into(),
        "timeout after 300 ms".into(),
        1
    )));
    assert_eq!(totals(&metrics), (2, 2));
}

#[tokio::test]
async fn a_stalled_body_times_out_too() {
    let server = serve(|_| async {
        let stream = futures_util::stream::unfold(0, |n| async move {
            if n > 0 {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Some((
                Ok::<_, std::io::Error>(hyper::body::Frame::data(Bytes::from_static(b"part"))),
                n + 1,
            ))
        });
        hyper::Response::new(http_body_util::StreamBody::new(stream).boxed())
    })
    .await;
    let (client, metrics) =
        client_with(ClientOptions::default().request_timeout(Duration::from_millis(300)));
    let s = Session::new(&client, &server.url()).unwrap();
    let err = s.get("/").send().await.unwrap_err();
    assert_eq!(err.to_string(), "timeout after 300 ms");
    let snap = metrics.snapshot();
    assert_eq!(
        snap.total.total_bytes, 4,
        "bytes before the stall are counted"
    );
}

#[tokio::test]
async fn refused_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let (client, metrics) = client_with(ClientOptions::default());
    let s = Session::new(&client, &format!("http://{addr}")).unwrap();
    let err = s.get("/").name("home").send().await.unwrap_err();
    assert_eq!(err.to_string(), "connection refused");
    assert_eq!(
        failures(&metrics),
        [("GET".into(), "home".into(), "connection refused".into(), 1)]
    );
    let task: swarm_core::TaskError = err.into();
    assert_eq!(
        task,
        swarm_core::TaskError::Failed("connection refused".into())
    );
}

#[tokio::test]
async fn unresolvable_host() {
    let (client, _) = client_with(ClientOptions::default());
    let s = Session::new(&client, "http://no-such-host.invalid").unwrap();
    let err = s.get("/").send().await.unwrap_err();
    assert_eq!(err.to_string(), "dns: cannot resolve no-such-host.invalid");
}

#[tokio::test]
async fn connect_timeout_when_the_server_never_accepts() {
    // A listener with a full accept queue drops new SYNs, so connecting hangs.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        let attempt = tokio::net::TcpStream::connect(addr);
        if let Ok(Ok(s)) = tokio::time::timeout(Duration::from_millis(100), attempt).await {
            fillers.push(s);
        }
    }
    let (client, metrics) =
        client_with(ClientOptions::default().connect_timeout(Duration::from_millis(200)));
    let s = Session::new(&client, &format!("http://{addr}")).unwrap();
    let started = Instant::now();
    let err = s.get("/").send().await.unwrap_err();
    assert_eq!(err.to_string(), "connect timeout after 200 ms");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(totals(&metrics), (1, 1));
    drop(listener);
}
