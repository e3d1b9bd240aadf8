//! A real headless Chromium (Debian's `chromium` and `chromium-driver`) drives the page as a
//! person would: start 5 users, watch the table grow, change to 2, stop; no console errors.
//! With `SWARM_UPDATE_SCREENSHOTS=1` the running page is saved to `docs/images/web-ui.png`.

use super::WebSwarm;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use swarm_tests::{TestSim, root, temp_dir};

const WAIT: Duration = Duration::from_secs(20);

/// chromedriver on a free port; killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Self {
        let binary = swarm_tests::chromedriver();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start chromedriver");
        let driver = Self { child, port };
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// chromedriver's console log (`POST /session/{id}/se/log`), which W3C WebDriver lacks.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

async fn connect(driver: &Driver, profile: &std::path::Path) -> Client {
    let chromium = swarm_tests::chromium();
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,820",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("Chromium did not start through chromedriver")
}

/// The text of element `#id` as the DOM holds it (not as CSS shows it).
async fn text(c: &Client, id: &str) -> String {
    let v = c
        .execute(
            "const e = document.getElementById(arguments[0]); return e ? e.textContent : null;",
            vec![json!(id)],
        )
        .await
        .expect("script failed");
    v.as_str().unwrap_or_default().to_owned()
}

/// The Aggregated row's request count, 0 before the table has one.
async fn total_requests(c: &Client) -> u64 {
    let v = c
        .execute("const r = document.querySelector('#stats-body tr.total td:nth-child(3)'); return r ? r.textContent : '0';", vec![])
        .await
        .expect("script failed");
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Polls until `#id` holds `want`.
async fn wait_text(c: &Client, id: &str, want: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = text(c, id).await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "#{id} shows {got:?}, not {want:?}, after {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_accounts(sim: &TestSim, n: usize) {
    let deadline = Instant::now() + WAIT;
    while sim.non_admin_users().len() != n {
        assert!(
            Instant::now() < deadline,
            "want {n} accounts, have {:?}",
            sim.non_admin_users()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn fill(c: &Client, id: &str, value: &str) {
    let input = c.find(Locator::Id(id)).await.expect("input missing");
    input.clear().await.expect("cannot clear");
    input.send_keys(value).await.expect("cannot type");
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .expect("button missing")
        .click()
        .await
        .expect("cannot click");
}

async fn save_screenshot(c: &Client, name: &str, dir: &std::path::Path) {
    let png = c.screenshot().await.expect("no screenshot");
    let target = if std::env::var_os("SWARM_UPDATE_SCREENSHOTS").is_some() {
        root().join("docs/images").join(name)
    } else {
        dir.join(name)
    };
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(&target, png).unwrap();
}

async fn drive(c: &Client, web: &WebSwarm, sim: &TestSim, dir: &std::path::Path) {
    c.goto(&format!("{}/", web.url))
        .await
        .expect("cannot open the page");
    wait_text(c, "state", "ready").await;

    // Start 5 users from the form.
    fill(c, "user_count", "5").await;
    fill(c, "spawn_rate", "10").await;
    click(c, "#start-button").await;
    wait_text(c, "user-count", "5").await;
    wait_text(c, "state", "running").await;
    wait_accounts(sim, 5).await;

    // Rows appear and their counts grow between refreshes.
    let first = total_requests(c).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let second = total_requests(c).await;
    assert!(
        second > first && first > 0,
        "requests did not grow: {first} then {second}"
    );
    let rows = c
        .execute(
            "return document.querySelectorAll('#stats-body tr').length;",
            vec![],
        )
        .await
        .unwrap();
    assert!(rows.as_u64() > Some(2), "stats rows: {rows}");
    save_screenshot(c, "web-ui.png", dir).await;

    // Change to 2 users while running.
    click(c, "#edit-button").await;
    fill(c, "edit_user_count", "2").await;
    click(c, "#edit-submit").await;
    wait_text(c, "user-count", "2").await;
    wait_accounts(sim, 2).await;

    // The charts have samples.
    click(c, "button[data-tab=charts]").await;
    let lines = c
        .execute("return document.querySelectorAll('#chart-rps polyline, #chart-times polyline, #chart-users polyline').length;", vec![])
        .await
        .unwrap();
    assert_eq!(lines.as_u64(), Some(6), "chart lines: {lines}");
    save_screenshot(c, "web-ui-charts.png", dir).await;

    // Stop: every on_stop ran, the page shows the stopped state.
    click(c, "#stop-button").await;
    wait_text(c, "state", "stopped").await;
    wait_text(c, "user-count", "0").await;
    assert!(
        sim.non_admin_users().is_empty(),
        "stop left {:?}",
        sim.non_admin_users()
    );

    let log: Value = c.issue_cmd(BrowserLog).await.expect("no console log");
    let errors: Vec<&Value> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["level"] == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

#[test]
fn chromium_starts_reshapes_and_stops_a_test() {
    let sim = Arc::new(TestSim::start());
    let web = Arc::new(WebSwarm::start(&sim.url(), &[]));
    let dir = temp_dir("web-browser");
    let driver = Driver::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = connect(&driver, &dir.join("profile")).await;
        // In a task, so a failed check still closes the browser below.
        let steps = tokio::spawn({
            let (c, web, sim, dir) = (
                client.clone(),
                Arc::clone(&web),
                Arc::clone(&sim),
                dir.clone(),
            );
            async move { drive(&c, &web, &sim, &dir).await }
        });
        let outcome = tokio::time::timeout(Duration::from_secs(90), steps).await;
        let _ = client.close().await;
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(failed)) => std::panic::resume_unwind(failed.into_panic()),
            Err(_) => panic!("the browser test did not finish in time:\n{}", web.output()),
        }
    });
}
