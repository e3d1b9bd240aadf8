//! swarm against Locust 2.47.0's own code, not a memory of it: a venv with `locust==2.47.0`
//! (made once under the target dir from PyPI, bounded in time) runs `locust_shapes.py`, which
//! asks Locust for its CSV headers, the failures and exceptions CSV its writer makes of the
//! failures swarm recorded, its web API's JSON and its routes; swarm's files and answers must
//! match them byte for byte (CSV) and key for key (JSON).

use crate::cli::{arg, run_get, text, url};
use crate::web::WebSwarm;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use swarm_tests::{TestSim, pip_venv, read_json, run_bounded, swarm, temp_dir};

/// The Locust release swarm is compatible with.
const LOCUST: &str = "2.47.0";

/// The Python side: prints Locust's answers as one JSON object.
const SCRIPT: &str = include_str!("locust_source/locust_shapes.py");

/// Locust's routes swarm does not serve: its React app's files (swarm's page has its own),
/// its login page, log viewer, task ratios and user-class editor.
const NOT_SERVED: &[&str] = &[
    "/assets/<path:path>",
    "/static/<path:filename>",
    "/login",
    "/logs",
    "/tasks",
    "/user",
];

/// The venv's python, creating the venv under the target dir on first use.
fn locust_python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            pip_venv(
                &format!("locust-{LOCUST}-venv"),
                &format!("locust=={LOCUST}"),
            )
        })
        .clone()
}

/// Locust's answers for swarm's `failures` and `exceptions` (as the JSON report has them).
fn ask_locust(dir: &Path, failures: &Value, exceptions: &Value) -> Value {
    let (script, input) = (dir.join("locust_shapes.py"), dir.join("input.json"));
    std::fs::write(&script, SCRIPT).unwrap();
    let given = json!({"tmp": dir, "failures": failures, "exceptions": exceptions});
    std::fs::write(&input, given.to_string()).unwrap();
    let out = run_bounded(
        Command::new(locust_python()).arg(&script).arg(&input),
        Duration::from_secs(120),
    );
    assert!(out.status.success(), "{}", text(&out));
    let answer: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("locust_shapes.py printed no JSON ({e}):\n{}", text(&out)));
    assert_eq!(answer["version"], LOCUST, "the venv holds another Locust");
    answer
}

/// A CSV text's header line and its other lines, sorted (Locust orders failures by a hash).
fn header_and_rows(text: &str) -> (String, BTreeSet<String>) {
    let mut lines = text.split_inclusive("\r\n").map(str::to_owned);
    let header = lines.next().unwrap_or_default();
    (header, lines.collect())
}

fn sorted_keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    keys.sort_unstable();
    keys
}

/// Every CSV header is Locust's, and Locust's own writer, given the failures swarm recorded
/// (first and last seen included), writes exactly swarm's failures file.
#[test]
fn csv_files_are_what_locusts_writer_writes() {
    let sim = TestSim::start();
    let dir = temp_dir("locust-csv");
    let (json, prefix) = (dir.join("run.json"), dir.join("run"));
    let out = run_get(
        &url(&sim, "/no/such/thing"),
        2,
        &[
            "--json",
            arg(&json),
            "--csv",
            arg(&prefix),
            "--csv-full-history",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "failures: {}", text(&out));
    let report = read_json(&json);
    assert!(report["failures"][0]["first_seen"].is_number(), "{report}");
    let locust = ask_locust(&dir, &report["failures"], &report["exceptions"]);
    let read = |suffix: &str| std::fs::read_to_string(dir.join(format!("run{suffix}"))).unwrap();
    for (suffix, key) in [
        ("_stats.csv", "stats"),
        ("_stats_history.csv", "stats_history"),
        ("_failures.csv", "failures"),
        ("_exceptions.csv", "exceptions"),
    ] {
        let (header, _) = header_and_rows(&read(suffix));
        assert_eq!(header, locust["headers"][key].as_str().unwrap(), "{suffix}");
    }
    let failures = read("_failures.csv");
    assert_eq!(failures.lines().count(), 2, "one failure group: {failures}");
    assert_eq!(
        header_and_rows(&failures),
        header_and_rows(locust["failures_csv"].as_str().unwrap()),
        "Locust writes swarm's failures differently"
    );
    assert_eq!(
        header_and_rows(&read("_exceptions.csv")),
        header_and_rows(locust["exceptions_csv"].as_str().unwrap())
    );

    // The JSON report: entries carry every field of a Locust `--json` entry but the raw
    // dicts the histograms replace; failures exactly a Locust error's.
    let replaced = ["response_times", "num_reqs_per_sec", "num_fail_per_sec"];
    for entry in [&report["stats"][0], &report["total"]] {
        for key in locust["entry_keys"].as_array().unwrap() {
            let key = key.as_str().unwrap();
            assert!(
                replaced.contains(&key) || entry.get(key).is_some(),
                "JSON entry lacks Locust's {key}: {entry}"
            );
        }
    }
    let mut error_keys: Vec<String> = locust["error_keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    error_keys.sort_unstable();
    assert_eq!(sorted_keys(&report["failures"][0]), error_keys);
}

/// `/stats/requests`, its rows and errors, and `/exceptions` carry exactly Locust's keys; every
/// Locust route swarm serves answers the same methods (POST-only ones refuse GET with 405).
#[test]
fn web_api_keys_and_routes_are_locusts_own() {
    let sim = TestSim::start();
    let dir = temp_dir("locust-web");
    let mut cmd = swarm();
    cmd.args(["run", "get", "--host", &url(&sim, "/no/such/thing")])
        .args(["--web-port", "0", "--autostart", "-u", "1", "-r", "10"]);
    let web = WebSwarm::spawn(cmd);
    let mine = web.wait_stats("a failure recorded", Duration::from_secs(30), |s| {
        s["errors"].as_array().is_some_and(|e| !e.is_empty())
    });
    let locust = ask_locust(&dir, &json!([]), &json!([]));
    let theirs = &locust["requests"];

    assert_eq!(sorted_keys(&mine), sorted_keys(theirs), "/stats/requests");
    let rows = |v: &Value| v["stats"].as_array().cloned().unwrap_or_default();
    let their_row = sorted_keys(&rows(theirs)[0]);
    for row in rows(&mine) {
        assert_eq!(sorted_keys(&row), their_row, "a row: {row}");
    }
    let (my_total, their_total) = (rows(&mine), rows(theirs));
    let (my_total, their_total) = (my_total.last().unwrap(), their_total.last().unwrap());
    assert_eq!(my_total["name"], their_total["name"]);
    assert_eq!(
        my_total["method"], their_total["method"],
        "aggregate method"
    );
    assert_eq!(
        sorted_keys(&mine["errors"][0]),
        sorted_keys(&theirs["errors"][0]),
        "an error"
    );
    for key in ["first_seen", "last_seen"] {
        assert!(mine["errors"][0][key].is_f64(), "{key}: {mine}");
        assert!(theirs["errors"][0][key].is_f64(), "{key}: {theirs}");
    }
    assert_eq!(
        sorted_keys(&mine["current_response_time_percentiles"]),
        sorted_keys(&theirs["current_response_time_percentiles"])
    );

    let (status, body) = web.get("/exceptions");
    assert_eq!(status, 200, "{body}");
    let exceptions: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(sorted_keys(&exceptions), sorted_keys(&locust["exceptions"]));
    // A get run raises none; swarm's rows are pinned to these keys in locust.rs's unit test.
    assert_eq!(
        sorted_keys(&locust["exceptions"]["exceptions"][0]),
        ["count", "msg", "nodes", "traceback"]
    );

    let (status, body) = web.get("/worker-count");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        locust["worker_count"]
    );

    let routes = locust["routes"].as_array().unwrap();
    for route in routes {
        let (path, methods) = (route[0].as_str().unwrap(), &route[1]);
        if NOT_SERVED.contains(&path) {
            continue;
        }
        let (status, body) = web.get(path);
        if methods == &json!(["GET"]) {
            assert_eq!(status, 200, "GET {path}: {body}");
        } else {
            assert_eq!(methods, &json!(["POST"]), "{path}");
            assert_eq!(status, 405, "GET {path} (Locust serves POST only): {body}");
            if let Some(theirs) = locust["get_status"].get(path) {
                assert_eq!(theirs, 405, "Locust's GET {path}");
            }
        }
    }
    let listed: BTreeSet<&str> = routes.iter().filter_map(|r| r[0].as_str()).collect();
    for path in NOT_SERVED {
        assert!(listed.contains(path), "Locust no longer has {path}");
    }
}
