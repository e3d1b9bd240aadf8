//! Cookie semantics: path and domain matching, expiry, isolation between sessions, clearing.

use crate::support::{Req, client_with, resp, serve, session};
use swarm_http::{ClientOptions, Session};

/// `/set?<Set-Cookie>` sets the cookie given in the query; anything else echoes `Cookie`.
async fn cookie_server() -> crate::support::Server {
    serve(|req: Req| async move {
        if req.uri.path() == "/set" {
            let raw = req.uri.query().unwrap_or_default();
            let value = url::form_urlencoded::parse(raw.as_bytes())
                .map(|(k, _)| k.into_owned())
                .next()
                .unwrap_or_default();
            let mut r = resp(200, "set");
            r.headers_mut().append("set-cookie", value.parse().unwrap());
            return r;
        }
        resp(200, req.header("cookie").unwrap_or("").to_owned())
    })
    .await
}

async fn set(s: &Session, cookie: &str) {
    s.get("/set").query([(cookie, "")]).send().await.unwrap();
}

/// The cookie names sent to `path`, sorted (the jar's order is unspecified).
async fn sent(s: &Session, path: &str) -> Vec<String> {
    let body = s.get(path).fetch().await.unwrap().text();
    let mut names: Vec<String> = body
        .split("; ")
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn path_rules() {
    let server = cookie_server().await;
    let (s, metrics) = session(&server);
    set(&s, "app=1; Path=/app").await;
    set(&s, "root=2; Path=/").await;
    set(&s, "deep=3; Path=/app/deep").await;
    let cases: &[(&str, &[&str])] = &[
        ("/", &["root=2"]),
        ("/app", &["app=1", "root=2"]),
        ("/app/x", &["app=1", "root=2"]),
        ("/app/deep/x", &["app=1", "deep=3", "root=2"]),
        ("/application", &["root=2"]),
    ];
    for (path, want) in cases {
        assert_eq!(sent(&s, path).await, *want, "{path}");
    }
    let (requests, failures) = crate::support::totals(&metrics);
    assert_eq!((requests, failures), (3 + cases.len() as u64, 0));
}

#[tokio::test]
async fn domain_rules() {
    let server = cookie_server().await;
    let options = ClientOptions::default()
        .resolve("a.example.test", server.addr)
        .resolve("b.example.test", server.addr)
        .resolve("other.test", server.addr);
    let (client, _) = client_with(options);
    let port = server.addr.port();
    let s = Session::new(&client, &format!("http://a.example.test:{port}")).unwrap();
    set(&s, "dom=1; Domain=example.test").await;
    set(&s, "host=2").await;
    // Never sent over plain http to a real host name (loopback counts as secure, as in
    // browsers, hence the resolved names here).
    set(&s, "sec=4; Secure").await;
    // A server may not set cookies for a domain it is not in.
    set(&s, "evil=3; Domain=other.test").await;
    let cases: &[(&str, &[&str])] = &[
        ("a.example.test", &["dom=1", "host=2"]),
        ("b.example.test", &["dom=1"]),
        ("other.test", &[]),
    ];
    for (host, want) in cases {
        assert_eq!(
            sent(&s, &format!("http://{host}:{port}/echo")).await,
            *want,
            "{host}"
        );
    }
    let mut listed: Vec<(String, String, String)> = s
        .cookies()
        .into_iter()
        .filter(|c| c.name != "sec")
        .map(|c| (c.name, c.domain, c.path))
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("dom".into(), "example.test".into(), "/".into()),
            ("host".into(), "a.example.test".into(), "/".into()),
        ]
    );
}

#[tokio::test]
async fn expiry_and_deletion() {
    let server = cookie_server().await;
    let (s, _) = session(&server);
    set(&s, "a=1").await;
    set(&s, "b=2").await;
    set(&s, "c=3").await;
    set(&s, "short=4; Max-Age=1").await;
    assert_eq!(sent(&s, "/").await, ["a=1", "b=2", "c=3", "short=4"]);
    set(&s, "a=; Max-Age=0").await;
    set(&s, "b=; Expires=Thu, 01 Jan 1970 00:00:00 GMT").await;
    assert_eq!(sent(&s, "/").await, ["c=3", "short=4"]);
    assert_eq!(s.cookie("c").as_deref(), Some("3"));
    assert_eq!(s.cookie("a"), None);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(sent(&s, "/").await, ["c=3"]);
}

#[tokio::test]
async fn sessions_never_share_a_jar() {
    let server = cookie_server().await;
    let (client, _) = client_with(ClientOptions::default());
    let alice = Session::new(&client, &server.url()).unwrap();
    let bob = Session::new(&client, &server.url()).unwrap();
    set(&alice, "sid=alice").await;
    set(&bob, "sid=bob").await;
    assert_eq!(sent(&alice, "/").await, ["sid=alice"]);
    assert_eq!(sent(&bob, "/").await, ["sid=bob"]);

    // A fresh session for a privileged call sends nothing; clones share the jar.
    let admin = alice.fresh();
    assert!(sent(&admin, "/").await.is_empty());
    assert!(admin.cookies().is_empty());
    let alias = alice.clone();
    assert_eq!(sent(&alias, "/").await, ["sid=alice"]);

    alice.clear_cookies();
    assert!(sent(&alice, "/").await.is_empty());
    assert!(alias.cookies().is_empty());
    assert_eq!(sent(&bob, "/").await, ["sid=bob"]);

    alice.add_cookie("manual=1").unwrap();
    assert_eq!(sent(&alice, "/").await, ["manual=1"]);
}
