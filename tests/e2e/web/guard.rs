//! Who may use the UI: `--web-auth` on every route, and no cross-site changes.

use super::{WebSwarm, answer};
use base64::Engine as _;
use swarm_tests::TestSim;

fn basic(credentials: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    )
}

#[test]
fn web_auth_guards_every_route_and_never_shows_the_password() {
    let sim = TestSim::start();
    let web = WebSwarm::start(&sim.url(), &["--web-auth", "tester:s3cr3t-pw"]);
    let good = basic("tester:s3cr3t-pw");
    let bad = basic("tester:wrong");
    for path in [
        "/",
        "/stats/requests",
        "/stats/requests/csv",
        "/assets/app.js",
        "/stats/report",
    ] {
        let (status, _) = web.get(path);
        assert_eq!(status, 401, "{path} without credentials");
        let (status, _) = answer(
            web.request("GET", path)
                .header("Authorization", &bad)
                .call(),
        );
        assert_eq!(status, 401, "{path} with a wrong password");
        let (status, body) = answer(
            web.request("GET", path)
                .header("Authorization", &good)
                .call(),
        );
        assert_eq!(status, 200, "{path}: {body}");
    }
    let response = web.request("GET", "/").call().unwrap();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok());
    assert_eq!(challenge, Some("Basic realm=\"swarm\""));
    let (status, _) = answer(web.post("/stop").send_empty());
    assert_eq!(status, 401, "POST /stop without credentials");
    assert!(!web.output().contains("s3cr3t-pw"), "{}", web.output());
}

/// Method, path, headers, and the status they must get.
type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, u16);

#[test]
fn cross_site_requests_cannot_change_the_test() {
    let sim = TestSim::start();
    let web = WebSwarm::start(&sim.url(), &[]);
    let form = "application/x-www-form-urlencoded";
    let cases: [Case<'_>; 6] = [
        (
            "POST",
            "/swarm",
            vec![("Origin", "http://evil.test"), ("Content-Type", form)],
            403,
        ),
        (
            "POST",
            "/stop",
            vec![("Referer", "http://evil.test/attack.html")],
            403,
        ),
        ("GET", "/stop", vec![("Sec-Fetch-Site", "cross-site")], 403),
        (
            "GET",
            "/stats/reset",
            vec![("Referer", "http://evil.test/")],
            403,
        ),
        ("POST", "/swarm", vec![("Content-Type", "text/plain")], 415),
        (
            "GET",
            "/stats/requests",
            vec![("Origin", "http://evil.test")],
            200,
        ),
    ];
    for (method, path, headers, want) in cases {
        let (status, body) = if method == "GET" {
            let mut req = web.request("GET", path);
            for (k, v) in &headers {
                req = req.header(*k, *v);
            }
            answer(req.call())
        } else {
            let mut req = web.post(path);
            for (k, v) in &headers {
                req = req.header(*k, *v);
            }
            answer(req.send("user_count=1&spawn_rate=1"))
        };
        assert_eq!(status, want, "{method} {path} {headers:?}: {body}");
    }
    assert_eq!(web.stats()["state"], "ready", "nothing started");
    // Same-origin callers (the page itself) and scripts without an Origin pass.
    let origin = web.url.clone();
    let (status, body) = answer(
        web.post("/swarm")
            .header("Origin", &origin)
            .send_form([("user_count", "0"), ("spawn_rate", "1")]),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn print_config_hides_the_web_auth_password() {
    let out = swarm_tests::run_bounded(
        swarm_tests::swarm().args([
            "run",
            "get",
            "--host",
            "http://127.0.0.1:1/",
            "--web-auth",
            "tester:s3cr3t-pw",
            "--print-config",
        ]),
        std::time::Duration::from_secs(30),
    );
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains("web-auth"), "{listing}");
    assert!(!listing.contains("s3cr3t-pw"), "{listing}");
}
