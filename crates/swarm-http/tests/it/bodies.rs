//! Bodies both ways: content-length and chunked responses, kept or counted, uploads from
//! bytes, files, readers and streams, WebDAV methods, checks and queries.

use crate::support::{Req, failures, full, resp, serve, session, totals};
use bytes::Bytes;
use http_body_util::BodyExt;
use swarm_http::Error;

/// Describes the request it got: method, path+query, framing and body length.
async fn describe_server() -> crate::support::Server {
    serve(|req: Req| async move {
        let framing = if req.header("transfer-encoding") == Some("chunked") {
            "chunked".to_owned()
        } else {
            format!("length={}", req.header("content-length").unwrap_or("-"))
        };
        resp(
            200,
            format!(
                "{} {} {} {} {}",
                req.method,
                req.uri,
                framing,
                req.body.len(),
                req.header("content-type").unwrap_or("-")
            ),
        )
    })
    .await
}

#[tokio::test]
async fn content_length_and_chunked_responses() {
    let server = serve(|req: Req| async move {
        match req.uri.path() {
            "/chunked" => {
                let chunks = (0..10).map(|i| {
                    Ok::<_, std::io::Error>(hyper::body::Frame::data(Bytes::from(vec![
                        b'a' + i;
                        1000
                    ])))
                });
                hyper::Response::new(
                    http_body_util::StreamBody::new(futures_util::stream::iter(chunks)).boxed(),
                )
            }
            _ => resp(200, vec![b'x'; 12_345]),
        }
    })
    .await;
    let (s, metrics) = session(&server);
    let r = s.get("/chunked").send().await.unwrap();
    assert_eq!(
        (r.bytes_received(), r.body().len()),
        (10_000, 0),
        "drained, not kept"
    );
    let r = s.get("/chunked").keep_body().send().await.unwrap();
    assert_eq!(r.body().len(), 10_000);
    assert_eq!(&r.body()[..3], b"aaa");
    assert_eq!(&r.body()[9_997..], b"jjj");
    let r = s.get("/fixed").fetch().await.unwrap();
    assert_eq!((r.bytes_received(), r.body().len()), (12_345, 12_345));
    let r = s.head("/fixed").send().await.unwrap();
    assert_eq!(r.bytes_received(), 0);
    let mut seen = 0;
    s.get("/fixed")
        .for_each_chunk(|c| seen += c.len())
        .await
        .unwrap();
    assert_eq!(seen, 12_345);
    let mut out = Vec::new();
    s.get("/chunked").write_to(&mut out).await.unwrap();
    assert_eq!(out.len(), 10_000);
    let snap = metrics.snapshot();
    assert_eq!(snap.total.total_bytes, 10_000 * 3 + 12_345 * 2);
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn uploads() {
    let server = describe_server().await;
    let (s, _) = session(&server);
    let path = std::env::temp_dir().join(format!("swarm-http-upload-{}", std::process::id()));
    std::fs::write(&path, vec![7u8; 200_000]).unwrap();
    let cases = [
        (s.put("/bytes").body("hello"), "PUT /bytes length=5 5 -"),
        (s.post("/empty"), "POST /empty length=0 0 -"),
        (
            s.put("/file").body_file(&path),
            "PUT /file length=200000 200000 -",
        ),
        (
            s.put("/reader").body_reader(&b"streamed"[..], None),
            "PUT /reader chunked 8 -",
        ),
        (
            s.put("/reader-len").body_reader(&b"streamed"[..], Some(8)),
            "PUT /reader-len length=8 8 -",
        ),
        (
            s.put("/stream").body_stream(
                futures_util::stream::iter([Ok(Bytes::from("ab")), Ok(Bytes::from("cd"))]),
                None,
            ),
            "PUT /stream chunked 4 -",
        ),
        (
            s.post("/form")
                .form([("userid", "bob smith"), ("password", "p&w")]),
            "POST /form length=31 31 application/x-www-form-urlencoded",
        ),
    ];
    for (request, want) in cases {
        assert_eq!(request.fetch().await.unwrap().text(), want);
    }
    let missing = s
        .put("/file")
        .body_file("/no/such/file")
        .send()
        .await
        .unwrap_err();
    assert!(!missing.is_recorded());
    assert!(matches!(missing, Error::Body(_)));
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn any_method_query_and_names() {
    let server = describe_server().await;
    let (s, metrics) = session(&server);
    for method in ["PROPFIND", "MKCOL", "MOVE", "COPY", "OPTIONS"] {
        let r = s
            .request(method, "/remote.php/dav/files/u/a b.txt")
            .header("Depth", "1")
            .fetch()
            .await
            .unwrap();
        assert_eq!(
            r.text(),
            format!("{method} /remote.php/dav/files/u/a%20b.txt length=- 0 -")
        );
    }
    let r = s
        .get("/search?x=1")
        .query([("q", "a b&c"), ("é", "1")])
        .name("search")
        .fetch()
        .await
        .unwrap();
    assert_eq!(r.text(), "GET /search?x=1&q=a+b%26c&%C3%A9=1 length=- 0 -");
    let err = s.request("BAD METHOD", "/").send().await.unwrap_err();
    assert!(matches!(err, Error::InvalidMethod));
    let err = s
        .get("/")
        .header("x-a", "bad\nvalue")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "invalid header value of x-a");
    let names: Vec<(String, String)> = metrics
        .snapshot()
        .entries
        .into_iter()
        .map(|e| (e.kind, e.name))
        .collect();
    assert!(names.contains(&("GET".into(), "search".into())));
    assert!(names.contains(&("PROPFIND".into(), "/remote.php/dav/files/u/a b.txt".into())));
}

/// A session remembers the URI of the last relative path; alternating paths, the same path
/// with an extra query, and an absolute URL must each still go where they say.
#[tokio::test]
async fn repeated_and_alternating_targets_go_where_they_say() {
    let server = describe_server().await;
    let (s, _) = session(&server);
    let absolute = format!("{}/abs?z=1", server.url());
    // (target, extra query pair, what the server sees)
    type Case<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a str);
    let cases: [Case<'_>; 7] = [
        ("/a b", None, "/a%20b"),
        ("/a b", None, "/a%20b"),
        ("/a b", Some(("q", "1")), "/a%20b?q=1"),
        ("/a b", None, "/a%20b"),
        ("/c", None, "/c"),
        (&absolute, None, "/abs?z=1"),
        ("/c", None, "/c"),
    ];
    for (target, query, sent) in cases {
        let mut b = s.get(target);
        if let Some(q) = query {
            b = b.query([q]);
        }
        let r = b.fetch().await.unwrap();
        assert_eq!(
            r.text(),
            format!("GET {sent} length=- 0 -"),
            "{target} {query:?}"
        );
    }
}

#[tokio::test]
async fn checks_and_expected_statuses() {
    let server = serve(|req: Req| async move {
        match req.uri.path() {
            "/missing" => resp(404, "gone"),
            "/ocs" => resp(200, r#"{"ocs":{"meta":{"statuscode":997}}}"#),
            _ => resp(500, "boom"),
        }
    })
    .await;
    let (s, metrics) = session(&server);
    let err = s
        .get("/ocs")
        .check(|r| {
            if r.text().contains("997") {
                Err("statuscode 997")
            } else {
                Ok(())
            }
        })
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "check failed: statuscode 997");
    assert_eq!(err.response().unwrap().status().as_u16(), 200);
    s.delete("/missing")
        .expect_status([404])
        .send()
        .await
        .unwrap();
    let err = s.delete("/missing").send().await.unwrap_err();
    assert_eq!(err.to_string(), "HTTP 404 Not Found");
    let err = s.get("/x").send().await.unwrap_err();
    assert_eq!(err.to_string(), "HTTP 500 Internal Server Error");
    assert_eq!(totals(&metrics), (4, 3));
    let mut errors: Vec<String> = failures(&metrics).into_iter().map(|f| f.2).collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            "HTTP 404 Not Found",
            "HTTP 500 Internal Server Error",
            "check failed: statuscode 997"
        ]
    );
    let _ = full("unused helper keeps its type in use");
}
