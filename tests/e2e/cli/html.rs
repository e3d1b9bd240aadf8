//! The HTML report opens in headless Chromium offline: no console error, no network request,
//! and its charts have drawn series. It is written on Ctrl-C too.

use super::browser::Browser;
use super::{arg, get_cmd, run_get, text, url};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use swarm_tests::{TestSim, temp_dir};

/// Per chart: how many points its longest line has (legend samples have 2).
const CHART_POINTS: &str = r#"
    return Array.from(document.querySelectorAll('.chart svg')).map(svg =>
        Math.max(0, ...Array.from(svg.querySelectorAll('polyline, path')).map(el => {
            const pts = el.getAttribute('points') || el.getAttribute('d') || '';
            return pts.trim().split(/\s+|L/).filter(Boolean).length;
        })));
"#;

fn check_report(browser: &Browser, html: &std::path::Path) {
    browser.open(html);
    let loaded = browser.eval("return document.readyState + '|' + document.title;");
    assert!(
        loaded
            .as_str()
            .unwrap()
            .starts_with("complete|swarm report"),
        "{loaded}"
    );
    let errors: Vec<_> = browser
        .console()
        .into_iter()
        .filter(|(level, _)| level == "SEVERE" || level == "WARNING")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    let fetched = browser.eval("return performance.getEntriesByType('resource').map(e => e.name);");
    assert_eq!(
        fetched,
        serde_json::json!([]),
        "the report fetched something"
    );
    // Local files do not show up as resources: nothing may reference any, either.
    let references = browser.eval(
        "return document.querySelectorAll('script, link, img, iframe, object, embed, [src]').length;",
    );
    assert_eq!(
        references,
        serde_json::json!(0),
        "the report references other files"
    );
    let points = browser.eval(CHART_POINTS);
    let points: Vec<u64> = points
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(points.len(), 3, "three charts expected: {points:?}");
    assert!(
        points.iter().all(|&n| n >= 3),
        "a chart has no drawn series: {points:?}"
    );
    let tables = browser.eval("return document.querySelectorAll('table#stats tr').length;");
    assert!(tables.as_u64().unwrap() >= 3, "stats table rows: {tables}");
}

#[test]
fn html_report_opens_offline_with_drawn_charts() {
    let sim = TestSim::start();
    let dir = temp_dir("html");
    let html = dir.join("report.html");
    let out = run_get(&url(&sim, "/status.php"), 4, &["--html", arg(&html)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let browser = Browser::start("html");
    check_report(&browser, &html);
}

#[test]
fn html_report_is_written_after_ctrl_c() {
    let sim = TestSim::start();
    let dir = temp_dir("html-sigint");
    let html = dir.join("report.html");
    let mut child = get_cmd(&url(&sim, "/status.php"))
        .args(["--only-summary", "--html", arg(&html)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(40);
    let code = loop {
        if let Some(code) = child.try_wait().unwrap() {
            break code;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("swarm did not stop after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code.code(), Some(0));
    let browser = Browser::start("html-sigint");
    check_report(&browser, &html);
}

#[test]
fn the_browser_check_sees_errors_and_requests() {
    // The check above is only worth something if it can fail: a page with a console error
    // and a fetch must be caught by the same probes.
    let dir = temp_dir("html-probe");
    let page = dir.join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><title>swarm report: bad</title></head><body>\
         <img src=\"http://127.0.0.1:1/x.png\"><script>console.error('broken')</script></body></html>",
    )
    .unwrap();
    let browser = Browser::start("html-probe");
    browser.open(&page);
    let console = browser.console();
    assert!(
        console
            .iter()
            .any(|(l, m)| l == "SEVERE" && m.contains("broken")),
        "{console:?}"
    );
    let fetched = browser.eval("return performance.getEntriesByType('resource').length;");
    assert_eq!(fetched, serde_json::json!(1));
}
