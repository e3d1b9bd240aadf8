//! Basic auth: exact header bytes, session default vs per request, and no secrets in errors.

use crate::support::{Req, client_with, failures, resp, serve, session};
use swarm_http::{ClientOptions, Session};

async fn echo_auth() -> crate::support::Server {
    serve(|req: Req| async move {
        match req.header("authorization") {
            Some(a) if req.uri.path() == "/admin" && a != "Basic YWRtaW46YWRtaW4=" => {
                resp(401, "no")
            }
            Some(a) => resp(200, a.to_owned()),
            None => resp(200, "none"),
        }
    })
    .await
}

#[tokio::test]
async fn header_bytes_exact() {
    let server = echo_auth().await;
    let (s, _) = session(&server);
    let cases = [
        ("admin", "admin", "Basic YWRtaW46YWRtaW4="),
        (
            "Aladdin",
            "open sesame",
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        ),
        ("jürgen", "pässwörd€", "Basic asO8cmdlbjpww6Rzc3fDtnJk4oKs"),
        ("user:colon", "p", "Basic dXNlcjpjb2xvbjpw"),
    ];
    for (user, password, want) in cases {
        let per_request = s.get("/").basic_auth(user, password).fetch().await.unwrap();
        assert_eq!(per_request.text(), want, "{user}");
        let default = s.clone().with_basic_auth(user, password);
        assert_eq!(
            default.get("/").fetch().await.unwrap().text(),
            want,
            "{user}"
        );
    }
}

#[tokio::test]
async fn default_override_and_none() {
    let server = echo_auth().await;
    let (client, _) = client_with(ClientOptions::default());
    let s = Session::new(&client, &server.url())
        .unwrap()
        .with_basic_auth("admin", "admin");
    assert_eq!(
        s.get("/").fetch().await.unwrap().text(),
        "Basic YWRtaW46YWRtaW4="
    );
    let other = s.get("/").basic_auth("a", "b").fetch().await.unwrap();
    assert_eq!(other.text(), "Basic YTpi");
    assert_eq!(s.get("/").no_auth().fetch().await.unwrap().text(), "none");
    let mut s = s;
    s.clear_basic_auth();
    assert_eq!(s.get("/").fetch().await.unwrap().text(), "none");

    // Userinfo in the base URL is the default auth, and never shows in the base URL.
    let port = server.addr.port();
    let u = Session::new(&client, &format!("http://admin:admin@127.0.0.1:{port}")).unwrap();
    assert_eq!(u.base_url(), format!("http://127.0.0.1:{port}/"));
    assert_eq!(
        u.get("/").fetch().await.unwrap().text(),
        "Basic YWRtaW46YWRtaW4="
    );
}

#[tokio::test]
async fn unauthorised_is_a_failure_without_secrets() {
    let server = echo_auth().await;
    let (s, metrics) = session(&server);
    let s = s.with_basic_auth("admin", "s3cret-pw");
    let err = s.get("/admin").send().await.unwrap_err();
    assert_eq!(err.to_string(), "HTTP 401 Unauthorized");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert!(err.is_recorded());
    let port = server.addr.port();
    let err = s
        .get(format!("http://x:s3cret-pw@127.0.0.1:{port}/admin"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "HTTP 401 Unauthorized");
    let f = failures(&metrics);
    assert_eq!(f.len(), 2);
    for (kind, name, error, n) in &f {
        assert_eq!(
            (kind.as_str(), error.as_str(), *n),
            ("GET", "HTTP 401 Unauthorized", 1)
        );
        assert!(!name.contains("s3cret"), "{name}");
    }
    // Expected statuses are successes.
    s.get("/admin").expect_status([401]).send().await.unwrap();
    assert_eq!(failures(&metrics).len(), 2);
}
