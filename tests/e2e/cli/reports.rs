//! The CSV, JSON and HTML reports of real runs, and `swarm report compare|render`.

use super::{arg, run_get, text, url};
use std::time::Duration;
use swarm_tests::{TestSim, read_json, run_bounded, swarm, temp_dir};

const STATS_HEADER: &str = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r\n";
const HISTORY_HEADER: &str = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size\r\n";
const FAILURES_HEADER: &str = "Method,Name,Error,Occurrences,First Seen,Last Seen\r\n";
const EXCEPTIONS_HEADER: &str = "Count,Message,Traceback,Nodes\r\n";

/// Splits a CSV line without quoted commas (swarm's names here have none).
fn cells(line: &str) -> Vec<&str> {
    line.split(',').collect()
}

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn csv_matches_locust_and_agrees_with_json() {
    let sim = TestSim::start();
    let dir = temp_dir("csv");
    let (json, prefix) = (dir.join("run.json"), dir.join("run"));
    let out = run_get(
        &url(&sim, "/status.php"),
        3,
        &[
            "--json",
            arg(&json),
            "--csv",
            arg(&prefix),
            "--csv-full-history",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let read = |suffix: &str| std::fs::read_to_string(dir.join(format!("run{suffix}"))).unwrap();
    let (stats, history) = (read("_stats.csv"), read("_stats_history.csv"));
    assert!(stats.starts_with(STATS_HEADER), "{stats}");
    assert!(history.starts_with(HISTORY_HEADER), "{history}");
    assert_eq!(read("_failures.csv"), FAILURES_HEADER);
    assert_eq!(read("_exceptions.csv"), EXCEPTIONS_HEADER);

    let report = read_json(&json);
    let rows: Vec<&str> = stats
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(rows.len(), 2, "{stats}");
    for (row, entry) in rows.iter().zip([&report["stats"][0], &report["total"]]) {
        let c = cells(row);
        assert_eq!(c[0], entry["method"].as_str().unwrap_or(""));
        assert_eq!(c[1], entry["name"].as_str().unwrap());
        assert_eq!(c[2], entry["num_requests"].to_string());
        assert_eq!(c[3], entry["num_failures"].to_string());
        let close = |csv: &str, json: f64| {
            let v: f64 = csv.parse().unwrap();
            assert!((v - json).abs() < 1e-6, "csv {v} json {json}");
        };
        close(c[5], num(&entry["avg_response_time"]));
        close(c[6], num(&entry["min_response_time"]));
        close(c[7], num(&entry["max_response_time"]));
        close(c[4], num(&entry["response_time_percentiles"]["0.5"]));
        close(c[16], num(&entry["response_time_percentiles"]["0.95"]));
        close(c[18], num(&entry["response_time_percentiles"]["0.99"]));
    }
    assert_eq!(cells(rows[1])[0], "");
    assert_eq!(cells(rows[1])[1], "Aggregated");

    // Full history: each sample has the aggregate row and the entry's row, as in the JSON.
    let hist_rows = history
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .count();
    assert_eq!(hist_rows, report["history"].as_array().unwrap().len());
    assert!(hist_rows >= 4, "{history}");
}

#[test]
fn failures_reach_the_csv_and_the_exit_code() {
    let sim = TestSim::start();
    let dir = temp_dir("csv-failures");
    let (json, prefix) = (dir.join("run.json"), dir.join("run"));
    let out = run_get(
        &url(&sim, "/no/such/thing"),
        1,
        &["--json", arg(&json), "--csv", arg(&prefix)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let failures = std::fs::read_to_string(dir.join("run_failures.csv")).unwrap();
    let report = read_json(&json);
    let row = failures.split("\r\n").nth(1).unwrap();
    let c = cells(row);
    assert_eq!(c[0], "GET");
    assert_eq!(c[1], "/no/such/thing");
    assert_eq!(c[3], report["failures"][0]["occurrences"].to_string());
    assert_eq!(c[3], report["total"]["num_failures"].to_string());
    // First and last seen: UTC timestamps, as Locust 2.47 writes them; the JSON has the same
    // moments in Unix seconds, inside the run.
    assert_eq!(
        failures.split("\r\n").next(),
        FAILURES_HEADER.strip_suffix("\r\n")
    );
    for stamp in [c[4], c[5]] {
        assert_eq!(stamp.len(), "2026-12-01T23:47:37Z".len(), "{row}");
        assert!(
            stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
            "{row}"
        );
    }
    assert!(c[4] <= c[5], "{row}");
    let f = &report["failures"][0];
    let (first, last) = (num(&f["first_seen"]), num(&f["last_seen"]));
    let (start, end) = (num(&report["start_time"]), num(&report["end_time"]));
    assert!(start <= first && first <= last && last <= end, "{f}");

    let out = run_get(
        &url(&sim, "/no/such/thing"),
        1,
        &["--exit-code-on-error", "3"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}

#[test]
fn compare_and_render_read_saved_reports() {
    let sim = TestSim::start();
    let dir = temp_dir("compare");
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    for path in [&a, &b] {
        let out = run_get(&url(&sim, "/status.php"), 1, &["--json", arg(path)]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let out = run_bounded(
        swarm().args(["report", "compare", arg(&a), arg(&b)]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    for needle in ["GET /status.php", "Aggregated", "p95", "requests", "delta"] {
        assert!(shown.contains(needle), "{needle} missing:\n{shown}");
    }

    let (html, prefix) = (dir.join("again.html"), dir.join("again"));
    let out = run_bounded(
        swarm().args([
            "report",
            "render",
            arg(&a),
            "--html",
            arg(&html),
            "--csv",
            arg(&prefix),
        ]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .contains("/status.php")
    );
    assert!(
        std::fs::read_to_string(dir.join("again_stats.csv"))
            .unwrap()
            .starts_with("Type,Name")
    );

    std::fs::write(dir.join("not.json"), "{\"schema\":\"other/9\"}").unwrap();
    let out = run_bounded(
        swarm().args(["report", "compare", arg(&a), arg(&dir.join("not.json"))]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn a_saturated_generator_warns_and_the_report_says_so() {
    let sim = TestSim::start();
    let dir = temp_dir("cpu-warn");
    let json = dir.join("run.json");
    // A limit of 0% makes any busy sample count as saturated.
    let out = run_get(
        &url(&sim, "/status.php"),
        2,
        &[
            "--json",
            arg(&json),
            "--cpu-warn-percent",
            "0",
            "--cpu-sample-interval",
            "200ms",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("the numbers now measure swarm").count(),
        1,
        "{stderr}"
    );
    let warnings = read_json(&json)["warnings"].clone();
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("measure swarm, not the target"),
        "{warnings}"
    );
}
