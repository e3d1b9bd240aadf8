//! Hostile and broken input: the right 4xx, never a panic, never a file outside the home,
//! and Apache's close-after-400.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

mod common;

use common::{Conn, Req, send};
use owncloud_sim::{Sim, SimConfig};

/// Method, path below the home, extra headers, acceptable statuses.
type Row = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [u16],
);

#[tokio::test]
async fn traversal_and_malformed_paths_never_escape() {
    let dir = std::env::temp_dir().join(format!("ocsim-malformed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sim = Sim::start(SimConfig {
        data_dir: Some(dir.clone()),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.create_user("alice", "pw").unwrap();
    sim.create_user("bob", "pw").unwrap();
    let warm = send(
        sim.addr(),
        &Req::new("PROPFIND", "/remote.php/dav/files/bob/").basic("bob", "pw"),
    )
    .await;
    assert_eq!(warm.status, 207);
    let base = "/remote.php/dav/files/alice";
    #[rustfmt::skip]
    let rows: &[Row] = &[
        ("GET", "/../bob/welcome.txt", &[], &[400]),
        ("GET", "/%2e%2e/bob/welcome.txt", &[], &[400]),
        ("GET", "/%2E%2E/%2E%2E/%2E%2E/etc/passwd", &[], &[400]),
        ("GET", "/a/..%2F..%2F..%2Fetc%2Fpasswd", &[], &[400]),
        ("PUT", "/..%2F..%2Fescaped.txt", &[], &[400]),
        ("PUT", "/%2e%2e/%2e%2e/escaped.txt", &[], &[400]),
        ("PUT", "/./x.txt", &[], &[400]),
        ("MKCOL", "/%2e%2e", &[], &[400]),
        ("DELETE", "/%2e%2e/bob", &[], &[400]),
        ("GET", "/bad%ffutf8", &[], &[400]),
        ("PUT", "/nul%00byte", &[], &[400]),
        ("MOVE", "/welcome.txt", &[("Destination", "/remote.php/dav/files/alice/../bob/stolen.txt")], &[400]),
        ("COPY", "/welcome.txt", &[("Destination", "/remote.php/dav/files/alice/%2e%2e/%2e%2e/escaped.txt")], &[400]),
        ("COPY", "/welcome.txt", &[("Destination", "http://evil.example/etc/passwd")], &[403]),
        ("COPY", "/welcome.txt", &[("Overwrite", "maybe"), ("Destination", "/remote.php/dav/files/alice/w2.txt")], &[400]),
        ("DELETE", "/", &[], &[403]),
        ("MOVE", "/", &[("Destination", "/remote.php/dav/files/alice/x")], &[403]),
        ("COPY", "/Documents", &[("Destination", "/remote.php/dav/files/alice/Documents/inner")], &[409]),
        ("PROPFIND", "/", &[("Content-Type", "application/xml")], &[207]),
    ];
    for (method, p, headers, want) in rows {
        let mut req = Req::new(method, &format!("{base}{p}")).basic("alice", "pw");
        for (k, v) in *headers {
            req = req.header(k, v);
        }
        if *method == "PUT" {
            req = req.body("owned");
        }
        let r = send(sim.addr(), &req).await;
        assert!(
            want.contains(&r.status),
            "{method} {p}: {} {}",
            r.status,
            r.text()
        );
        assert_ne!(r.status, 500, "{method} {p}");
    }
    // Nothing escaped the homes on disk, and bob's files are intact.
    for stray in [
        "escaped.txt",
        "alice/escaped.txt",
        "stolen.txt",
        "alice/stolen.txt",
    ] {
        assert!(!dir.join(stray).exists(), "{stray} escaped");
    }
    assert!(!dir.join("bob/files/stolen.txt").exists());
    assert!(dir.join("bob/files/welcome.txt").exists());
    assert!(std::env::temp_dir().join("escaped.txt").metadata().is_err());
    sim.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn bad_requests_get_4xx_and_the_server_survives() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    sim.create_user("alice", "pw").unwrap();
    let dav = "/remote.php/dav/files/alice/";
    // Malformed PROPFIND bodies.
    for body in [
        "<d:propfind xmlns:d=\"DAV:\"><d:prop>",
        "<<<>>>",
        "<d:propfind><d:prop/></d:propfind>",
        "<x:other xmlns:x=\"urn:x\"/>",
        "<d:propfind xmlns:d=\"DAV:\"></d:propfind></d:propfind>",
    ] {
        let r = send(
            sim.addr(),
            &Req::new("PROPFIND", dav).basic("alice", "pw").body(body),
        )
        .await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert!(r.text().contains("BadRequest"), "{body}");
    }
    // Garbage credentials.
    for auth in [
        "Basic !!!notbase64",
        "Basic",
        "Bearer abc",
        "Basic YWxpY2U=",
    ] {
        let r = send(
            sim.addr(),
            &Req::new("GET", &format!("{dav}welcome.txt")).header("Authorization", auth),
        )
        .await;
        assert_eq!(r.status, 401, "{auth}");
    }
    // Unknown methods: Sabre's 501 on WebDAV, OCS's 998 elsewhere.
    let r = send(sim.addr(), &Req::new("BREW", dav).basic("alice", "pw")).await;
    assert_eq!(r.status, 501);
    let r = send(
        sim.addr(),
        &Req::new("PATCH", "/ocs/v2.php/cloud/users").basic("admin", "admin"),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = send(sim.addr(), &Req::new("GET", "/index.php/apps/files")).await;
    assert_eq!(r.status, 404);
    // Huge headers: hyper's limit answers 431.
    let mut c = Conn::open(sim.addr()).await;
    let big = "x".repeat(100 * 1024);
    c.raw(format!("GET /status.php HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n").as_bytes())
        .await;
    let r = c.read(false).await.unwrap();
    assert_eq!(r.status, 431);
    // A broken request line.
    let mut c = Conn::open(sim.addr()).await;
    c.raw(b"THIS IS NOT HTTP\r\n\r\n").await;
    let r = c.read(false).await.unwrap();
    assert_eq!(r.status, 400);
    // Still alive.
    let r = send(sim.addr(), &Req::new("GET", "/status.php")).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("\"productname\":\"ownCloud\""));
    sim.shutdown().await;
}

#[tokio::test]
async fn keep_alive_survives_errors_but_closes_after_400() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    sim.create_user("alice", "pw").unwrap();
    let mut c = Conn::open(sim.addr()).await;
    let get = Req::new("GET", "/remote.php/dav/files/alice/welcome.txt").basic("alice", "pw");
    for _ in 0..3 {
        assert_eq!(c.send(&get).await.unwrap().status, 200);
    }
    let missing = Req::new("GET", "/remote.php/dav/files/alice/nope").basic("alice", "pw");
    assert_eq!(c.send(&missing).await.unwrap().status, 404);
    let wrong = Req::new("GET", "/remote.php/dav/files/alice/welcome.txt").basic("alice", "no");
    assert_eq!(c.send(&wrong).await.unwrap().status, 401);
    assert_eq!(
        c.send(&get).await.unwrap().status,
        200,
        "still the same connection"
    );
    assert_eq!(sim.connections_accepted(), 1);
    // OCS 400 (v2 "User already exists") closes, like Apache.
    let exists = Req::new("POST", "/ocs/v2.php/cloud/users")
        .basic("admin", "admin")
        .form(&[("userid", "alice"), ("password", "x")]);
    let r = c.send(&exists).await.unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.is_closed().await, "server closed after 400");
    sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_is_prompt_with_idle_keep_alive_connections() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut c = Conn::open(sim.addr()).await;
    assert_eq!(
        c.send(&Req::new("GET", "/status.php"))
            .await
            .unwrap()
            .status,
        200
    );
    let start = std::time::Instant::now();
    sim.shutdown().await;
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    assert!(c.is_closed().await);
}
