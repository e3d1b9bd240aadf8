//! Fault injection: `swarm run get` against a hostile server on 127.0.0.1. Whatever the
//! server does, the run ends in bounded time, writes its report, groups the failures under a
//! text that names what went wrong, and exits 1; a run that measured nothing says so.

use crate::cli::{get_cmd, text};
use std::path::Path;
use std::time::{Duration, Instant};
use swarm_tests::hostile::Hostile;
use swarm_tests::{read_json, run_bounded, temp_dir};

/// A short headless run of `get` on `url`; its output and its JSON report.
fn run_get(url: &str, json: &Path, seconds: &str) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let out = run_bounded(
        get_cmd(url)
            .args([
                "-t",
                seconds,
                "--request-timeout",
                "1s",
                "--connect-timeout",
                "1s",
            ])
            .args(["--stop-timeout", "3s", "--only-summary"])
            .args(["--json", json.to_str().unwrap()]),
        Duration::from_secs(60),
    );
    (out, started.elapsed())
}

/// The error texts of a report's failure groups.
fn errors(report: &serde_json::Value) -> Vec<String> {
    report["failures"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(|x| x["error"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_server_fault_is_a_grouped_failure_in_bounded_time() {
    let server = Hostile::start();
    let dir = temp_dir("faults");
    // (path, a word every failure text of it must hold)
    let cases = [
        ("/reset-mid-body", "connection"),
        ("/close-after-headers", ""),
        ("/truncated", ""),
        ("/garbage", ""),
        ("/bad-chunked", "chunk"),
        ("/huge-headers", ""),
        ("/never-finishes", "timeout after 1 s"),
        ("/no-reply", "timeout after 1 s"),
    ];
    let mut problems = Vec::new();
    for (i, (path, word)) in cases.iter().enumerate() {
        let json = dir.join(format!("{i}.json"));
        let (out, took) = run_get(&format!("{}{path}", server.url()), &json, "2s");
        if out.status.code() != Some(1) {
            problems.push(format!(
                "{path}: exit {:?}\n{}",
                out.status.code(),
                text(&out)
            ));
            continue;
        }
        if took > Duration::from_secs(30) {
            problems.push(format!("{path}: took {took:?}"));
        }
        if !json.is_file() {
            problems.push(format!("{path}: no report\n{}", text(&out)));
            continue;
        }
        let report = read_json(&json);
        let errors = errors(&report);
        if errors.is_empty() {
            problems.push(format!("{path}: no failure group: {report}"));
        }
        for e in &errors {
            if !e.contains(word) || e.contains("invalid input parameter") || e.is_empty() {
                problems.push(format!("{path}: failure text `{e}` does not say `{word}`"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn a_server_that_never_accepts_measures_nothing_and_says_so() {
    // Connections land in the listen backlog and nobody ever answers them.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/x", listener.local_addr().unwrap());
    let dir = temp_dir("faults-backlog");
    let json = dir.join("r.json");
    let (out, took) = run_get(&url, &json, "2s");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(took < Duration::from_secs(30), "took {took:?}");
    let report = read_json(&json);
    assert!(
        errors(&report).iter().all(|e| e.contains("timeout")),
        "{report}"
    );
    drop(listener);
}

#[test]
fn a_run_with_every_request_in_flight_at_the_stop_exits_1_and_counts_them() {
    let server = Hostile::start();
    let dir = temp_dir("faults-inflight");
    let json = dir.join("r.json");
    // Requests take 1 s to time out; the run stops after 0.5 s, with every one in flight.
    let out = run_bounded(
        get_cmd(&format!("{}/no-reply", server.url()))
            .args([
                "-u",
                "3",
                "-t",
                "500ms",
                "--request-timeout",
                "5s",
                "--only-summary",
            ])
            .args(["--json", json.to_str().unwrap()]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: nothing was measured: no request completed; 3 were still in flight when the test stopped"),
        "{}",
        text(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 requests were still in flight"));
    assert_eq!(read_json(&json)["interrupted"], 3);
}

#[test]
fn a_server_killed_and_restarted_mid_run_is_survived() {
    let server = Hostile::start();
    let port = server.port();
    let url = format!("{}/ok", server.url());
    let dir = temp_dir("faults-restart");
    let json = dir.join("r.json");
    let mut child = get_cmd(&url)
        .args(["-t", "5s", "--request-timeout", "1s", "--only-summary"])
        .args(["--json", json.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    drop(server);
    std::thread::sleep(Duration::from_millis(1000));
    let again = Hostile::start_on(port).expect("the port is free again");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "swarm did not finish");
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(again);
    assert_eq!(status.code(), Some(1));
    let report = read_json(&json);
    let row = &report["stats"][0];
    let (requests, failures) = (
        row["num_requests"].as_u64().unwrap(),
        row["num_failures"].as_u64().unwrap(),
    );
    assert!(
        failures > 0 && requests > failures,
        "{requests} requests, {failures} failed"
    );
    // After the restart the failures stop growing while requests go on succeeding.
    let history = report["history"].as_array().unwrap();
    let settled = history
        .iter()
        .find(|r| r["total_failures"].as_u64() == Some(failures))
        .and_then(|r| r["total_requests"].as_u64())
        .unwrap();
    assert!(
        requests > settled,
        "no request succeeded after the restart: {settled} of {requests} by the last failure"
    );
    assert!(
        errors(&report).iter().any(|e| e == "connection refused"),
        "{:?}",
        errors(&report)
    );
}
