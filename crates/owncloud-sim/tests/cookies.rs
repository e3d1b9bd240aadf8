//! The session-cookie rule behind the seed's surprise 401, and its switches.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

mod common;

use std::time::{Duration, Instant};

use common::{Conn, Jar, Req, ocs_meta, send};
use owncloud_sim::{Sim, SimConfig};

const FILE: &str = "/remote.php/dav/files/locust0/ownCloud%20Manual.pdf";
const DELETE: &str = "/ocs/v2.php/cloud/users/locust0";

async fn with_locust0(cfg: SimConfig) -> Sim {
    let sim = Sim::start(cfg).await.unwrap();
    let r = send(
        sim.addr(),
        &Req::new("POST", "/ocs/v2.php/cloud/users")
            .basic("admin", "admin")
            .form(&[("userid", "locust0"), ("password", "locust0")]),
    )
    .await;
    assert_eq!(r.status, 200);
    sim
}

/// The user's GETs through one keep-alive connection and one jar, as Locust's client does.
async fn user_gets(sim: &Sim, conn: &mut Conn, jar: &mut Jar, n: usize) {
    for _ in 0..n {
        let r = conn
            .send(&Req::new("GET", FILE).basic("locust0", "locust0").jar(jar))
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        jar.absorb(&r);
    }
    assert!(jar.0.contains_key(sim.instance_id()), "{jar:?}");
}

#[tokio::test]
async fn seed_sequence_admin_delete_through_user_jar_is_401_997() {
    let sim = with_locust0(SimConfig::default()).await;
    let mut conn = Conn::open(sim.addr()).await;
    let mut jar = Jar::default();
    user_gets(&sim, &mut conn, &mut jar, 2).await;
    let r = conn
        .send(&Req::new("DELETE", DELETE).basic("admin", "admin").jar(&jar))
        .await
        .unwrap();
    assert_eq!(r.status, 401, "{}", r.text());
    let (status, code, message) = ocs_meta(&r);
    assert_eq!((status.as_str(), code), ("failure", 997));
    assert_eq!(message.as_deref(), Some("Unauthorised"));
    assert!(sim.user_ids().contains(&"locust0".to_owned()));

    // The fix: a separate session (no cookies) for the admin call.
    let r = send(
        sim.addr(),
        &Req::new("DELETE", DELETE).basic("admin", "admin"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(ocs_meta(&r).1, 200);
    assert_eq!(sim.user_ids(), ["admin"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn one_request_is_not_enough_for_the_cookie_to_win() {
    let sim = with_locust0(SimConfig::default()).await;
    let mut conn = Conn::open(sim.addr()).await;
    let mut jar = Jar::default();
    user_gets(&sim, &mut conn, &mut jar, 1).await;
    let r = conn
        .send(&Req::new("DELETE", DELETE).basic("admin", "admin").jar(&jar))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    sim.shutdown().await;
}

#[tokio::test]
async fn cookie_wins_can_be_switched_off() {
    let sim = with_locust0(SimConfig {
        cookie_wins: false,
        ..SimConfig::default()
    })
    .await;
    let mut conn = Conn::open(sim.addr()).await;
    let mut jar = Jar::default();
    user_gets(&sim, &mut conn, &mut jar, 3).await;
    let r = conn
        .send(&Req::new("DELETE", DELETE).basic("admin", "admin").jar(&jar))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    sim.shutdown().await;
}

#[tokio::test]
async fn cookie_wins_only_until_the_recheck_interval() {
    let sim = with_locust0(SimConfig {
        session_recheck: Duration::from_millis(200),
        ..SimConfig::default()
    })
    .await;
    let mut conn = Conn::open(sim.addr()).await;
    let mut jar = Jar::default();
    user_gets(&sim, &mut conn, &mut jar, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = conn
        .send(&Req::new("DELETE", DELETE).basic("admin", "admin").jar(&jar))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    sim.shutdown().await;
}

#[tokio::test]
async fn cookies_alone_authenticate_and_skip_the_password_check() {
    let sim = with_locust0(SimConfig {
        auth_cost: Duration::from_millis(60),
        ..SimConfig::default()
    })
    .await;
    let mut conn = Conn::open(sim.addr()).await;
    let mut jar = Jar::default();
    let start = Instant::now();
    user_gets(&sim, &mut conn, &mut jar, 1).await;
    assert!(
        start.elapsed() >= Duration::from_millis(60),
        "auth cost paid"
    );
    let checks = sim.password_checks();
    for _ in 0..5 {
        let r = conn.send(&Req::new("GET", FILE).jar(&jar)).await.unwrap();
        assert_eq!(r.status, 200);
        assert!(
            r.header("set-cookie").is_none(),
            "cookie requests set nothing"
        );
    }
    assert_eq!(
        sim.password_checks(),
        checks,
        "no password check with cookies"
    );
    // A forged passphrase is no session.
    let mut bad = jar.clone();
    bad.0.insert("oc_sessionPassphrase".into(), "forged".into());
    let r = conn.send(&Req::new("GET", FILE).jar(&bad)).await.unwrap();
    assert_eq!(r.status, 401);
    sim.shutdown().await;
}

#[tokio::test]
async fn set_cookie_shapes() {
    let sim = with_locust0(SimConfig::default()).await;
    let r = send(
        sim.addr(),
        &Req::new("GET", FILE).basic("locust0", "locust0"),
    )
    .await;
    let cookies = r.all("set-cookie");
    assert_eq!(cookies.len(), 3, "{cookies:?}");
    let id = sim.instance_id();
    assert!(
        id.starts_with("oc") && (12..=14).contains(&id.len()),
        "{id}"
    );
    assert!(
        id[2..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    let session = cookies
        .iter()
        .find(|c| c.starts_with(&format!("{id}=")))
        .unwrap();
    assert!(
        session.contains("path=/") && session.contains("HttpOnly"),
        "{session}"
    );
    let pass = cookies
        .iter()
        .find(|c| c.starts_with("oc_sessionPassphrase="))
        .unwrap();
    assert!(pass.contains("HttpOnly"), "{pass}");
    assert!(cookies.iter().any(|c| c.starts_with("cookie_test=test")));
    // A wrong password sets no cookie.
    let r = send(sim.addr(), &Req::new("GET", FILE).basic("locust0", "nope")).await;
    assert_eq!(r.status, 401);
    assert!(r.header("set-cookie").is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn deleted_users_sessions_stop_working() {
    let sim = with_locust0(SimConfig::default()).await;
    let mut conn = Conn::open(sim.addr()).await;
    let mut jar = Jar::default();
    user_gets(&sim, &mut conn, &mut jar, 2).await;
    let r = send(
        sim.addr(),
        &Req::new("DELETE", DELETE).basic("admin", "admin"),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = conn.send(&Req::new("GET", FILE).jar(&jar)).await.unwrap();
    assert_eq!(r.status, 401);
    sim.shutdown().await;
}
