//! The Locust-compatible API against owncloud-sim: start, reshape, stop, start again, and the
//! downloads; the simulator's accounts prove which hooks ran.

use super::{WebSwarm, answer, eventually};
use std::time::Duration;
use swarm_tests::{TestSim, read_json, temp_dir};

const RAMP: Duration = Duration::from_secs(20);

/// Waits until the simulator holds exactly `n` swarm accounts.
fn accounts(sim: &TestSim, n: usize, why: &str) {
    eventually(why, RAMP, || {
        (sim.non_admin_users().len() == n).then_some(())
    });
}

fn users_are(n: u64) -> impl Fn(&serde_json::Value) -> bool {
    move |s| s["user_count"] == n && s["state"] == "running"
}

#[test]
fn start_reshape_stop_and_start_again_through_the_api() {
    let sim = TestSim::start();
    let dir = temp_dir("web-api");
    let report = dir.join("last.json");
    let mut web = WebSwarm::start(&sim.url(), &["--json", report.to_str().unwrap()]);

    let idle = web.stats();
    assert_eq!(idle["state"], "ready");
    assert_eq!(idle["user_count"], 0);
    assert_eq!(
        idle["stats"].as_array().map(Vec::len),
        Some(1),
        "only the aggregate row: {idle}"
    );

    // Start: one account per user on the simulator.
    let (status, body) = web.post_form(
        "/swarm",
        &[
            ("user_count", "4"),
            ("spawn_rate", "20"),
            ("host", &sim.url()),
            ("run_time", "1h"),
        ],
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "Swarming started");
    assert_eq!(body["host"], sim.url());
    // Whole seconds, an integer, as Locust's `parse_timespan` answers.
    assert_eq!(body["run_time"], serde_json::json!(3600), "{body}");
    web.wait_stats("4 users running", RAMP, users_are(4));
    accounts(&sim, 4, "4 accounts after the start");
    let running = web.wait_stats("requests counted", RAMP, |s| {
        s["stats"].as_array().is_some_and(|rows| rows.len() > 2)
            && s["stats"][0]["num_requests"].as_u64() > Some(0)
    });
    let last = running["stats"]
        .as_array()
        .and_then(|r| r.last())
        .cloned()
        .unwrap();
    assert_eq!(last["name"], "Aggregated");
    for field in [
        "total_rps",
        "total_fail_per_sec",
        "fail_ratio",
        "current_response_time_percentiles",
        "errors",
    ] {
        assert!(running.get(field).is_some(), "{field} missing: {running}");
    }

    // Reshape while running: ramp-down runs the removed users' on_stop.
    let (status, body) = web.post_form("/swarm", &[("user_count", "2"), ("spawn_rate", "20")]);
    assert_eq!(
        (status, &body["success"]),
        (200, &serde_json::json!(true)),
        "{body}"
    );
    web.wait_stats("2 users running", RAMP, users_are(2));
    accounts(&sim, 2, "2 accounts after the reshape");

    // Stop: answers once every on_stop ran, and the program stays up.
    let (status, body) = web.post_form("/stop", &[]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "Test stopped");
    let stopped = web.stats();
    assert_eq!(stopped["state"], "stopped");
    assert_eq!(stopped["user_count"], 0);
    assert!(
        sim.non_admin_users().is_empty(),
        "stop left accounts: {:?}",
        sim.non_admin_users()
    );
    let deletes = |s: &serde_json::Value| {
        s["stats"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["method"] == "DELETE")
            .count()
    };
    assert_eq!(
        deletes(&stopped),
        1,
        "the last run's stats stay readable: {stopped}"
    );

    // Start again: the start hooks run again (accounts come back) with fresh stats.
    let (status, body) = web.post_form("/swarm", &[("user_count", "3"), ("spawn_rate", "20")]);
    assert_eq!(
        (status, &body["message"]),
        (200, &serde_json::json!("Swarming started")),
        "{body}"
    );
    web.wait_stats("3 users running", RAMP, users_are(3));
    accounts(&sim, 3, "3 accounts after starting again");
    assert_eq!(
        deletes(&web.stats()),
        0,
        "a new start begins with fresh stats"
    );

    // Reset from the API: POST only, as Locust 2.47 (a GET is a 405 there too).
    let (status, body) = answer(web.post("/stats/reset").send_empty());
    assert_eq!((status, body.as_str()), (200, "ok"));
    for path in ["/stats/reset", "/stop"] {
        assert_eq!(web.get(path).0, 405, "GET {path}");
    }

    // SIGTERM: stop every user, write the report, exit.
    let status = web.terminate(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{}", web.output());
    assert!(
        sim.non_admin_users().is_empty(),
        "SIGTERM left accounts: {:?}",
        sim.non_admin_users()
    );
    let json = read_json(&report);
    assert_eq!(json["scenario"], "owncloud");
    assert!(
        json["total"]["num_requests"].as_u64() > Some(0),
        "{}",
        json["total"]
    );
    assert!(web.output().contains("Got SIGTERM"), "{}", web.output());
}

#[test]
fn downloads_serve_the_last_run() {
    let sim = TestSim::start();
    let web = WebSwarm::start(&sim.url(), &["--autostart", "-u", "2", "-r", "20"]);
    web.wait_stats("autostart ran 2 users", RAMP, users_are(2));
    web.wait_stats("requests counted", RAMP, |s| {
        s["stats"]
            .as_array()
            .and_then(|r| r.last())
            .and_then(|r| r["num_requests"].as_u64())
            > Some(5)
    });
    let (status, _) = web.post_form("/stop", &[]);
    assert_eq!(status, 200);
    let cases = [
        ("/stats/requests/csv", "text/csv", "Type,Name,Request Count"),
        (
            "/stats/requests_full_history/csv",
            "text/csv",
            "Timestamp,User Count",
        ),
        (
            "/stats/failures/csv",
            "text/csv",
            "Method,Name,Error,Occurrences,First Seen,Last Seen\r\n",
        ),
        (
            "/exceptions/csv",
            "text/csv",
            "Count,Message,Traceback,Nodes",
        ),
        ("/stats/report", "text/html", "<!DOCTYPE html>"),
        ("/stats/report.json", "application/json", "{"),
        ("/exceptions", "application/json", "{\"exceptions\":[]}"),
        ("/stats/history?since=0", "application/json", "{"),
        ("/", "text/html", "<!DOCTYPE html>"),
        ("/assets/app.js", "text/javascript", "// swarm web UI"),
        ("/assets/style.css", "text/css", "/* swarm web UI"),
    ];
    for (path, content_type, head) in cases {
        let mut response = web.request("GET", path).call().expect("no answer");
        let status = response.status().as_u16();
        let ct = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response
            .body_mut()
            .read_to_string()
            .expect("unreadable body");
        assert_eq!(status, 200, "{path}: {body}");
        assert!(ct.starts_with(content_type), "{path}: content-type {ct}");
        assert!(
            body.starts_with(head),
            "{path}: {}",
            &body[..body.len().min(120)]
        );
    }
    let (_, csv) = web.get("/stats/requests/csv");
    assert!(csv.contains("\n,Aggregated,"), "{csv}");
    let (_, report) = web.get("/stats/report.json");
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["scenario"], "owncloud");
    assert!(report["total"]["num_requests"].as_u64() > Some(5));
    let mut attachment = web
        .request("GET", "/stats/report?download=1")
        .call()
        .unwrap();
    let disposition = attachment
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        disposition.starts_with("attachment;filename=report_"),
        "{disposition}"
    );
    let _ = attachment.body_mut().read_to_string();
}

#[test]
fn bad_form_values_get_400_with_a_message() {
    let sim = TestSim::start();
    let web = WebSwarm::start(&sim.url(), &[]);
    let cases: [(&[(&str, &str)], &str); 7] = [
        (&[], "user_count is missing"),
        (
            &[("user_count", "lots")],
            "user_count `lots` is not a user count",
        ),
        (
            &[("user_count", "-3")],
            "user_count `-3` is not a user count",
        ),
        (
            &[("user_count", "2"), ("spawn_rate", "0")],
            "spawn_rate `0` is not a rate",
        ),
        (
            &[("user_count", "2"), ("spawn_rate", "fast")],
            "spawn_rate `fast` is not a rate",
        ),
        (
            &[("user_count", "2"), ("host", "ftp://x")],
            "host: `ftp://x` is not an http(s) URL",
        ),
        (
            &[("user_count", "2"), ("run_time", "soon")],
            "run_time: `soon` is not a duration",
        ),
    ];
    for (fields, message) in cases {
        let (status, body) = web.post_form("/swarm", fields);
        assert_eq!(status, 400, "{fields:?}: {body}");
        assert_eq!(body["success"], false, "{fields:?}");
        let got = body["message"].as_str().unwrap_or_default();
        assert!(got.starts_with(message), "{fields:?}: {got}");
    }
    let (status, body) = web.post_form("/swarm", &[("user_count", "1")]);
    assert_eq!(status, 200, "{body}");
    assert!(sim.non_admin_users().len() <= 1);
    web.wait_stats("1 user running", RAMP, users_are(1));
}
