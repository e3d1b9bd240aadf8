//! Redirects: chains, the limit, opting out, method rewriting, and auth across origins.

use crate::support::{Req, client_with, failures, resp, serve, session, totals};
use swarm_http::{ClientOptions, Session};

fn redirect(status: u16, to: &str) -> hyper::Response<crate::support::Body> {
    let mut r = resp(status, "moved");
    r.headers_mut().insert("location", to.parse().unwrap());
    r
}

async fn redirect_server() -> crate::support::Server {
    serve(|req: Req| async move {
        let path = req.uri.path().to_owned();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match parts.as_slice() {
            ["chain", n] => match n.parse::<u32>().unwrap() {
                0 => resp(200, "end"),
                n => redirect(302, &format!("/chain/{}", n - 1)),
            },
            ["loop"] => redirect(302, "/loop"),
            ["status", code, rest @ ..] => {
                redirect(code.parse().unwrap(), &format!("/{}", rest.join("/")))
            }
            ["absolute", host] => {
                let port = req
                    .header("host")
                    .unwrap()
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .to_owned();
                redirect(302, &format!("http://{host}:{port}/echo"))
            }
            ["ftp"] => redirect(302, "ftp://user:pw@127.0.0.1/echo"),
            ["creds", host] => {
                let port = req
                    .header("host")
                    .unwrap()
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .to_owned();
                redirect(302, &format!("http://mallory:stolen@{host}:{port}/echo"))
            }
            ["login"] => {
                let mut r = redirect(302, "/echo");
                r.headers_mut()
                    .insert("set-cookie", "sid=1".parse().unwrap());
                r
            }
            _ => resp(
                200,
                format!(
                    "{} {} auth={} cookie={}",
                    req.method,
                    String::from_utf8_lossy(&req.body),
                    req.header("authorization").unwrap_or("-"),
                    req.header("cookie").unwrap_or("-"),
                ),
            ),
        }
    })
    .await
}

#[tokio::test]
async fn follows_a_chain_and_records_once() {
    let server = redirect_server().await;
    let (s, metrics) = session(&server);
    let r = s.get("/chain/3").fetch().await.unwrap();
    assert_eq!(
        (r.status().as_u16(), r.redirects(), r.text().as_str()),
        (200, 3, "end")
    );
    let snap = metrics.snapshot();
    assert_eq!(snap.entries.len(), 1);
    assert_eq!(snap.entries[0].name, "/chain/3");
    assert_eq!(snap.entries[0].total_bytes, 3);
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn limit_and_opt_out() {
    let server = redirect_server().await;
    let (s, metrics) = session(&server);
    let err = s.get("/loop").send().await.unwrap_err();
    assert_eq!(err.to_string(), "too many redirects (10)");
    let err = s.get("/chain/3").max_redirects(2).send().await.unwrap_err();
    assert_eq!(err.to_string(), "too many redirects (2)");
    s.get("/chain/2").max_redirects(2).send().await.unwrap();
    let r = s
        .get("/chain/3")
        .follow_redirects(false)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(r.header("location"), Some("/chain/2"));
    assert_eq!(totals(&metrics), (4, 2));
    let f = failures(&metrics);
    assert!(
        f.iter()
            .any(|(_, n, e, _)| n == "/loop" && e == "too many redirects (10)")
    );

    let (client, _) = client_with(ClientOptions::default().max_redirects(1));
    let s = Session::new(&client, &server.url()).unwrap();
    assert!(s.get("/chain/2").send().await.is_err());
}

#[tokio::test]
async fn method_rewriting_like_requests() {
    let server = redirect_server().await;
    let (s, metrics) = session(&server);
    let cases = [
        ("POST", 301, "GET  auth=- cookie=-"),
        ("POST", 302, "GET  auth=- cookie=-"),
        ("POST", 303, "GET  auth=- cookie=-"),
        ("PUT", 303, "GET  auth=- cookie=-"),
        ("PUT", 302, "PUT data auth=- cookie=-"),
        ("POST", 307, "POST data auth=- cookie=-"),
        ("PUT", 308, "PUT data auth=- cookie=-"),
    ];
    for (method, status, want) in cases {
        let r = s
            .request(method, format!("/status/{status}/echo"))
            .body("data")
            .fetch()
            .await
            .unwrap();
        assert_eq!(r.text(), want, "{method} {status}");
    }
    // The stats keep the method the scenario sent.
    let snap = metrics.snapshot();
    assert!(
        snap.entries
            .iter()
            .all(|e| e.kind == "POST" || e.kind == "PUT")
    );
}

#[tokio::test]
async fn auth_dropped_across_origins_cookies_kept() {
    let server = redirect_server().await;
    let options = ClientOptions::default().resolve("other.test", server.addr);
    let (client, _) = client_with(options);
    let s = Session::new(&client, &server.url())
        .unwrap()
        .with_basic_auth("a", "b");
    let same = s.get("/absolute/127.0.0.1").fetch().await.unwrap();
    assert_eq!(same.text(), "GET  auth=Basic YTpi cookie=-");
    let other = s.get("/absolute/other.test").fetch().await.unwrap();
    assert_eq!(other.text(), "GET  auth=- cookie=-");
    let login = s.get("/login").fetch().await.unwrap();
    assert_eq!(login.text(), "GET  auth=Basic YTpi cookie=sid=1");
}

/// Regression: a Location with another scheme was followed as a path on the same server,
/// and a Location's userinfo was sent to the origin it named.
#[tokio::test]
async fn other_schemes_and_location_credentials_are_refused() {
    let server = redirect_server().await;
    let options = ClientOptions::default().resolve("other.test", server.addr);
    let (client, metrics) = client_with(options);
    let s = Session::new(&client, &server.url()).unwrap();
    let err = s.get("/ftp").send().await.unwrap_err().to_string();
    assert_eq!(
        err,
        "bad redirect: refused a redirect to a ftp URL: only http and https are followed"
    );
    assert!(!err.contains("pw"));
    let other = s.get("/creds/other.test").fetch().await.unwrap();
    assert_eq!(other.text(), "GET  auth=- cookie=-");
    let text = format!("{:?}", metrics.snapshot().failures);
    assert!(!text.contains("pw") && !text.contains("stolen"), "{text}");
}
