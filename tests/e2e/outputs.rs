//! The outputs against real receivers: a real Prometheus scraping the web UI's `/metrics`
//! and receiving remote-write, an OTLP/HTTP receiver decoding with the official messages,
//! JUnit XML read as CI tools read it, and `/metrics` kept bounded when every request has
//! its own name, an arrival-rate run's iterations in Prometheus, and `swarm report check
//! --junit`. Each compares with the run's own JSON report.

use crate::web::{WebSwarm, answer, eventually};
use quick_xml::events::Event;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;
use std::time::Duration;
use swarm_tests::otlp_receiver::OtlpReceiver;
use swarm_tests::prometheus::{Prometheus, free_port};
use swarm_tests::stall::StallServer;
use swarm_tests::{TestSim, example, read_json, run_bounded, swarm, temp_dir};

/// `(labels, value)` of every line of `family` in a `/metrics` text.
fn samples(text: &str, family: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.strip_suffix('}')?),
                None => (series, ""),
            };
            if name != family {
                return None;
            }
            let mut map = BTreeMap::new();
            // Label values here have no `",` inside (the test's names are plain paths).
            for pair in labels.split("\",").filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once("=\"")?;
                map.insert(k.to_owned(), v.trim_end_matches('"').to_owned());
            }
            Some((map, value.parse().ok()?))
        })
        .collect()
}

fn total(text: &str, family: &str) -> f64 {
    samples(text, family).iter().map(|(_, v)| v).sum()
}

/// `swarm run get --headless` against `url` for `time` with `users` users (100/s), writing
/// the JSON report to `json`, with `extra` flags; bounded to a minute.
fn headless_get(url: &str, users: &str, time: &str, json: &Path, extra: &[&str]) -> Output {
    run_bounded(
        swarm()
            .args([
                "run",
                "get",
                "--headless",
                "-u",
                users,
                "-r",
                "100",
                "-t",
                time,
            ])
            .args(["--only-summary", "--host", url])
            .args(extra)
            .arg("--json")
            .arg(json),
        Duration::from_secs(60),
    )
}

fn u(report: &Value, pointer: &str) -> u64 {
    report
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no {pointer} in the report"))
}

#[test]
fn prometheus_scrapes_the_web_ui_and_agrees_with_the_json_report() {
    let sim = TestSim::start();
    let dir = temp_dir("outputs-scrape");
    let json = dir.join("report.json");
    let port = free_port();
    let prometheus = Prometheus::start("scrape", Some(&format!("127.0.0.1:{port}")), false);
    let mut cmd = swarm();
    cmd.args([
        "run",
        "get",
        "--autostart",
        "-u",
        "3",
        "-r",
        "100",
        "-t",
        "3s",
    ])
    .args(["--web-port", &port.to_string()])
    .arg("--host")
    .arg(format!("{}/status.php", sim.url()))
    .arg("--json")
    .arg(&json);
    let mut web = WebSwarm::spawn(cmd);
    web.wait_stats("the run stops", Duration::from_secs(60), |s| {
        s["state"] == "stopped"
    });
    let (status, text) = web.get("/metrics");
    assert_eq!(status, 200, "{text}");
    let requests = total(&text, "swarm_requests_total");
    assert!(requests > 0.0, "{text}");
    // Stopped: the numbers stand still until Prometheus has scraped them.
    eventually(
        "Prometheus scrapes the final numbers",
        Duration::from_secs(30),
        || (prometheus.value("sum(swarm_requests_total)") == Some(requests)).then_some(()),
    );
    let exit = web.terminate(Duration::from_secs(30));
    assert!(exit.success(), "{}", web.output());
    let report = read_json(&json);
    assert_eq!(requests, u(&report, "/total/num_requests") as f64);
    let per_name = prometheus.value(r#"swarm_requests_total{method="GET",name="/status.php"}"#);
    assert_eq!(per_name, Some(u(&report, "/stats/0/num_requests") as f64));
    assert_eq!(
        prometheus.value("sum(swarm_request_failures_total)"),
        Some(u(&report, "/total/num_failures") as f64)
    );
    assert_eq!(prometheus.value(r#"up{job="swarm"}"#), Some(1.0));
    assert_eq!(
        prometheus.value(r#"swarm_run_state{state="stopped"}"#),
        Some(1.0)
    );
    // The docs' p95 from the buckets answers, within the bucket that holds the true p95.
    let p95 = prometheus
        .value("histogram_quantile(0.95, sum by (le) (swarm_response_time_seconds_bucket))")
        .expect("a p95 from the buckets");
    assert!(p95 > 0.0 && p95 <= 60.0, "{p95}");
    let exact = prometheus
        .value(r#"swarm_response_time_percentile_seconds{name="Aggregated",quantile="0.95"}"#)
        .expect("the exact p95");
    let json_p95 = report["total"]["response_time_percentiles"]["0.95"]
        .as_f64()
        .expect("the report's p95")
        / 1e3;
    assert!((exact - json_p95).abs() < 1e-6, "{exact} vs {json_p95}");
}

#[test]
fn prometheus_receives_remote_write_from_a_headless_run() {
    let sim = TestSim::start();
    let prometheus = Prometheus::start("rw", None, true);
    let dir = temp_dir("outputs-rw");
    let json = dir.join("report.json");
    let url = format!("{}/status.php", sim.url());
    let write = format!("{}/api/v1/write", prometheus.url);
    let extra = ["--push-interval", "500ms", "--prometheus-rw", &write];
    let out = headless_get(&url, "3", "2s", &json, &extra);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("pushes failed"), "{stderr}");
    let report = read_json(&json);
    let run_id = report["run_id"].as_str().expect("a run id");
    let requests = prometheus.value(&format!(
        r#"sum(swarm_requests_total{{run_id="{run_id}"}})"#
    ));
    assert_eq!(
        requests,
        Some(u(&report, "/total/num_requests") as f64),
        "{}",
        prometheus.log()
    );
    let series = prometheus.query(&format!(
        r#"swarm_response_time_seconds_count{{run_id="{run_id}",job="swarm",scenario="get"}}"#
    ));
    assert_eq!(series.len(), 1, "{series:?}");
    assert_eq!(
        prometheus.value(&format!(r#"swarm_users{{run_id="{run_id}"}}"#)),
        Some(0.0),
        "the last push is the end of the run"
    );
    // Periodic pushes came before the last one: the series has several samples.
    let samples = prometheus.query(&format!(
        r#"count_over_time(swarm_requests_total{{run_id="{run_id}"}}[5m])"#
    ));
    let count: f64 = samples[0]["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("a count");
    assert!(count >= 2.0, "{samples:?}");
}

#[test]
fn failed_pushes_are_counted_and_never_hold_the_run() {
    let dir = temp_dir("outputs-rw-down");
    let json = dir.join("report.json");
    let sim = TestSim::start();
    // A port nothing listens on: every push is refused.
    let closed = free_port();
    let url = format!("{}/status.php", sim.url());
    let write = format!("http://user:s3cret@127.0.0.1:{closed}/api/v1/write");
    let out = headless_get(&url, "1", "1s", &json, &["--prometheus-rw", &write]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("1 of 1 pushes failed"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
    let report = read_json(&json);
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("--prometheus-rw http://user:***@127.0.0.1"),
        "{warnings}"
    );
    assert!(u(&report, "/total/num_requests") > 0);
}

#[test]
fn an_otlp_receiver_gets_names_attributes_and_totals() {
    use opentelemetry_proto::tonic::common::v1::any_value;
    use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
    let sim = TestSim::start();
    let receiver = OtlpReceiver::start();
    let dir = temp_dir("outputs-otlp");
    let json = dir.join("report.json");
    let url = format!("{}/status.php", sim.url());
    let otlp = receiver.url();
    let extra = ["--push-interval", "500ms", "--otlp", &otlp];
    let out = headless_get(&url, "2", "2s", &json, &extra);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report = read_json(&json);
    let received = receiver.received();
    assert!(
        received.requests.len() >= 2,
        "periodic pushes and the last one"
    );
    assert!(
        received
            .content_types
            .iter()
            .all(|c| c == "application/x-protobuf")
    );
    let last = received.requests.last().expect("a request");
    let rm = &last.resource_metrics[0];
    let attributes: BTreeMap<&str, String> = rm
        .resource
        .as_ref()
        .expect("a resource")
        .attributes
        .iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                other => panic!("{}: {other:?}", kv.key),
            };
            (kv.key.as_str(), value)
        })
        .collect();
    assert_eq!(attributes["service.name"], "swarm");
    assert_eq!(attributes["swarm.scenario"], "get");
    assert_eq!(
        attributes["swarm.run_id"],
        report["run_id"].as_str().expect("run id")
    );
    assert!(attributes.contains_key("service.instance.id"));
    let metrics = &rm.scope_metrics[0].metrics;
    let names: BTreeSet<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
    for name in [
        "swarm_requests",
        "swarm_request_failures",
        "swarm_response_bytes",
        "swarm_response_time_seconds",
        "swarm_response_time_percentile_seconds",
        "swarm_users",
        "swarm_run_state",
    ] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
    let sum_of = |name: &str| -> f64 {
        let m = metrics.iter().find(|m| m.name == name).expect(name);
        let Some(metric::Data::Sum(sum)) = &m.data else {
            panic!("{name} is not a sum");
        };
        assert!(sum.is_monotonic);
        sum.data_points
            .iter()
            .map(|p| match p.value {
                Some(number_data_point::Value::AsDouble(v)) => v,
                _ => panic!("{name}: not a double"),
            })
            .sum()
    };
    assert_eq!(
        sum_of("swarm_requests"),
        u(&report, "/total/num_requests") as f64
    );
    assert_eq!(
        sum_of("swarm_request_failures"),
        u(&report, "/total/num_failures") as f64
    );
    let histogram = metrics
        .iter()
        .find(|m| m.name == "swarm_response_time_seconds")
        .and_then(|m| match &m.data {
            Some(metric::Data::Histogram(h)) => Some(h),
            _ => None,
        })
        .expect("a histogram");
    let point = &histogram.data_points[0];
    assert_eq!(point.count, u(&report, "/stats/0/num_requests"));
    assert_eq!(point.bucket_counts.iter().sum::<u64>(), point.count);
    let attrs: Vec<&str> = point.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(attrs, ["method", "name"]);
}

/// The JUnit file's shape: the root's counts, and each case with its failure, if any.
struct Junit {
    root: BTreeMap<String, String>,
    suites: usize,
    /// (name, failure message) per test case.
    cases: Vec<(String, Option<String>)>,
}

fn read_junit(xml: &str) -> Junit {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut junit = Junit {
        root: BTreeMap::new(),
        suites: 0,
        cases: Vec::new(),
    };
    let attrs = |e: &quick_xml::events::BytesStart<'_>| -> BTreeMap<String, String> {
        e.attributes()
            .map(|a| {
                let a = a.expect("an attribute");
                (
                    String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                    a.unescape_value().expect("a value").into_owned(),
                )
            })
            .collect()
    };
    let mut depth = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) if depth.is_empty() => {
                assert_eq!(e.name().as_ref(), b"testsuites");
                junit.root = attrs(&e);
                depth.push("testsuites");
            }
            Event::Start(e) => match e.name().as_ref() {
                b"testsuite" => {
                    assert_eq!(depth, ["testsuites"]);
                    junit.suites += 1;
                    depth.push("testsuite");
                }
                b"testcase" => {
                    assert_eq!(depth, ["testsuites", "testsuite"]);
                    junit.cases.push((attrs(&e)["name"].clone(), None));
                    depth.push("testcase");
                }
                b"failure" => {
                    assert_eq!(depth.last(), Some(&"testcase"));
                    let a = attrs(&e);
                    assert!(a.contains_key("type"));
                    junit.cases.last_mut().expect("a case").1 = Some(a["message"].clone());
                    depth.push("failure");
                }
                b"properties" => depth.push("properties"),
                other => panic!("unexpected <{}>", String::from_utf8_lossy(other)),
            },
            Event::Empty(e) => match e.name().as_ref() {
                b"testcase" => {
                    assert_eq!(depth, ["testsuites", "testsuite"]);
                    let a = attrs(&e);
                    assert!(a.contains_key("classname") && a.contains_key("time"));
                    junit.cases.push((a["name"].clone(), None));
                }
                b"property" => assert_eq!(depth.last(), Some(&"properties")),
                other => panic!("unexpected <{}/>", String::from_utf8_lossy(other)),
            },
            Event::End(_) => {
                depth.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    junit
}

#[test]
fn junit_shows_each_threshold_and_failed_requests_as_test_cases() {
    let sim = TestSim::start();
    let dir = temp_dir("outputs-junit");
    let junit = dir.join("junit.xml");
    let json = dir.join("report.json");
    let url = format!("{}/no/such/page", sim.url());
    let junit_path = junit.to_str().expect("a UTF-8 path");
    let extra = [
        "--threshold",
        "p95 < 60s",
        "--threshold",
        "fail_ratio < 1%",
        "--threshold",
        "requests > 0",
        "--junit",
        junit_path,
    ];
    let out = headless_get(&url, "2", "1s", &json, &extra);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed threshold fails the run"
    );
    let report = read_json(&json);
    assert!(u(&report, "/total/num_failures") > 0, "the page is missing");
    let text = std::fs::read_to_string(&junit).expect("the JUnit file");
    let parsed = read_junit(&text);
    assert_eq!(parsed.suites, 1);
    assert_eq!(parsed.root["tests"], "4");
    assert_eq!(parsed.root["failures"], "2");
    let cases: Vec<(&str, bool)> = parsed
        .cases
        .iter()
        .map(|(n, f)| (n.as_str(), f.is_some()))
        .collect();
    assert_eq!(
        cases,
        [
            ("p95 < 60s", false),
            ("fail_ratio < 1%", true),
            ("requests > 0", false),
            ("no request failed", true),
        ]
    );
    assert_eq!(parsed.cases[1].1.as_deref(), Some("fail_ratio = 100.00%"));
    let failures = u(&report, "/total/num_failures");
    let requests = u(&report, "/total/num_requests");
    assert_eq!(
        parsed.cases[3].1.as_deref(),
        Some(format!("{failures} of {requests} requests failed, 0 exceptions").as_str())
    );
    // A path the run cannot write is refused before anything starts.
    let out = run_bounded(
        swarm()
            .args(["run", "get", "--headless", "-t", "1s", "--host", &sim.url()])
            .arg("--junit")
            .arg(dir.join("missing/junit.xml")),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--junit"), "{stderr}");
}

#[test]
fn ten_thousand_names_keep_metrics_bounded() {
    let sim = TestSim::start();
    let dir = temp_dir("outputs-names");
    let json = dir.join("report.json");
    let mut cmd = swarm_tests::clean_command(&example("ungrouped_names"));
    cmd.args(["--autostart", "--web-port", "0", "-u", "8", "-r", "1000"])
        .args(["--host", &sim.url()])
        .arg("--json")
        .arg(&json);
    let mut web = WebSwarm::spawn(cmd);
    // 10,000 rows make every stats merge slow in a debug build: poll gently.
    eventually(
        "the example makes its names",
        Duration::from_secs(300),
        || {
            std::thread::sleep(Duration::from_secs(1));
            (web.stats()["state"] == "stopped").then_some(())
        },
    );
    let mut scraped = Vec::new();
    for _ in 0..2 {
        let (status, text) = web.get("/metrics");
        assert_eq!(status, 200);
        assert!(text.len() < 2_000_000, "{} bytes", text.len());
        let rows = samples(&text, "swarm_requests_total");
        let names: BTreeSet<&str> = rows.iter().map(|(l, _)| l["name"].as_str()).collect();
        assert_eq!(names.len(), 501, "500 names and other");
        let other: f64 = rows
            .iter()
            .filter(|(l, _)| l["name"] == "other")
            .map(|(_, v)| v)
            .sum();
        let total_requests = total(&text, "swarm_requests_total");
        assert_eq!(
            total(&text, "swarm_response_time_seconds_count"),
            total_requests
        );
        scraped.push((total_requests, other));
    }
    // The end prints and writes 10,000 rows.
    let exit = web.terminate(Duration::from_secs(180));
    let output = web.output();
    assert!(exit.success(), "{output}");
    assert_eq!(
        output.matches("More than 500 request names").count(),
        1,
        "warned once:\n{output}"
    );
    let report = read_json(&json);
    // Each id is one request; the stop may cut a few off (interrupted, in no row).
    let requests = u(&report, "/total/num_requests");
    assert!(requests > 9_900, "{requests}");
    assert_eq!(
        report["stats"].as_array().map(Vec::len),
        Some(requests as usize),
        "reports keep all"
    );
    for (total_requests, other) in scraped {
        assert_eq!(total_requests, requests as f64);
        assert_eq!(other, (requests - 500) as f64, "one request per name");
    }
}

#[test]
fn metrics_listen_serves_headless_runs_behind_the_web_guard() {
    let sim = TestSim::start();
    let port = free_port();
    let mut child = swarm()
        .args([
            "run",
            "get",
            "--headless",
            "-u",
            "1",
            "-t",
            "30s",
            "--only-summary",
        ])
        .args(["--web-auth", "me:pw"])
        .arg("--metrics-listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--host")
        .arg(format!("{}/status.php", sim.url()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("swarm starts");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let url = format!("http://127.0.0.1:{port}/metrics");
    let good = "Basic bWU6cHc="; // me:pw
    let text = eventually("/metrics answers", Duration::from_secs(30), || {
        let (status, body) = agent
            .get(&url)
            .header("authorization", good)
            .call()
            .map(|r| answer(Ok(r)))
            .ok()?;
        (status == 200 && body.contains("swarm_requests_total{")).then_some(body)
    });
    assert!(text.contains("# TYPE swarm_response_time_seconds histogram"));
    let cases = [
        (None, None, 401),
        (Some("Basic bWU6d3Jvbmc="), None, 401),
        (Some(good), Some("rebind.example:9646"), 403),
        (Some(good), Some("localhost"), 200),
    ];
    for (auth, host, want) in cases {
        let mut request = agent.get(&url);
        if let Some(a) = auth {
            request = request.header("authorization", a);
        }
        if let Some(h) = host {
            request = request.header("host", h);
        }
        let (status, _) = answer(request.call());
        assert_eq!(status, want, "auth {auth:?} host {host:?}");
    }
    let _ = child.kill();
    let _ = child.wait();
    // The web UI has its own /metrics: the flag is refused there, before anything starts.
    let out = run_bounded(
        swarm()
            .args(["run", "get", "--host", &sim.url(), "--metrics-listen"])
            .args(["--web-port", "0"]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--metrics-listen is for --headless runs")
    );
}

#[test]
fn report_check_writes_the_thresholds_as_junit() {
    let sim = TestSim::start();
    let dir = temp_dir("outputs-check-junit");
    let json = dir.join("report.json");
    let junit = dir.join("check.xml");
    let url = format!("{}/status.php", sim.url());
    let out = headless_get(&url, "2", "1s", &json, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let requests = u(&read_json(&json), "/total/num_requests");
    assert!(requests > 0);
    let out = run_bounded(
        swarm()
            .args(["report", "check"])
            .arg(&json)
            .args([
                "--threshold",
                "fail_ratio < 1%",
                "--threshold",
                "requests < 1",
            ])
            .arg("--junit")
            .arg(&junit),
        Duration::from_secs(30),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  requests < 1"), "{stdout}");
    let parsed = read_junit(&std::fs::read_to_string(&junit).expect("the JUnit file"));
    assert_eq!(parsed.suites, 1);
    assert_eq!(parsed.root["tests"], "2");
    assert_eq!(parsed.root["failures"], "1");
    let requests = format!("requests = {requests}");
    assert_eq!(
        parsed.cases,
        [
            ("fail_ratio < 1%".to_owned(), None),
            ("requests < 1".to_owned(), Some(requests)),
        ],
        "the thresholds' verdicts only: report check does not judge failed requests"
    );
    // A path it cannot write is refused before anything is judged.
    let out = run_bounded(
        swarm()
            .args(["report", "check"])
            .arg(&json)
            .args(["--threshold", "requests > 0", "--junit"])
            .arg(dir.join("missing/check.xml")),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--junit"), "{stderr}");
}

#[test]
fn an_arrival_runs_iterations_reach_prometheus_by_remote_write() {
    // Answers at once but stalls for the last second of every two: a pool of at most two
    // users drops most of the arrivals of a stall.
    let server = StallServer::start(Duration::from_secs(2), Duration::from_secs(1));
    let prometheus = Prometheus::start("rw-open", None, true);
    let dir = temp_dir("outputs-rw-open");
    let json = dir.join("report.json");
    let write = format!("{}/api/v1/write", prometheus.url);
    let out = run_bounded(
        swarm()
            .args(["run", "get", "--headless", "--only-summary", "--host"])
            .arg(format!("{}/x", server.url()))
            .args(["--arrival-rate", "50/s", "--pre-allocated-users", "1"])
            .args(["--max-users", "2", "-t", "3s", "--push-interval", "500ms"])
            .args(["--prometheus-rw", &write, "--json"])
            .arg(&json),
        Duration::from_secs(60),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("pushes failed"), "{stderr}");
    let report = read_json(&json);
    let run_id = report["run_id"].as_str().expect("a run id");
    let started = u(&report, "/open_model/iterations_started");
    let dropped = u(&report, "/open_model/dropped_iterations");
    assert!(started > 0 && dropped > 0, "{}", report["open_model"]);
    let value =
        |family: &str| prometheus.value(&format!(r#"{family}{{run_id="{run_id}",job="swarm"}}"#));
    assert_eq!(
        value("swarm_iterations_started_total"),
        Some(started as f64),
        "{}",
        prometheus.log()
    );
    assert_eq!(
        value("swarm_dropped_iterations_total"),
        Some(dropped as f64)
    );
    assert!(
        value("swarm_arrival_rate_target").is_some(),
        "an arrival run's gauges"
    );
    // The exact corrected p99 is the report's (and holds the stall's wait).
    let p99 = prometheus
        .value(&format!(
            r#"swarm_corrected_response_time_percentile_seconds{{run_id="{run_id}",name="Aggregated",quantile="0.99"}}"#
        ))
        .expect("the corrected p99");
    let json_p99 = report["total"]["corrected_response_time_percentiles"]["0.99"]
        .as_f64()
        .expect("the report's corrected p99")
        / 1e3;
    assert!((p99 - json_p99).abs() < 1e-6, "{p99} vs {json_p99}");
    assert!(p99 > 0.1, "the stall's wait: {p99}");
}
