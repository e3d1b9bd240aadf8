//! Distributed runs without a cluster: a local Indexed Job (three `swarm` processes with
//! `JOB_COMPLETION_INDEX=0..2`, one run id and one start time) against one owncloud-sim, then
//! `swarm report merge` and `swarm report check`, compared with one process running the whole
//! plan; Ctrl-C while waiting for `--start-at` (the flags' refusals are in cli/usage.rs).

use crate::owncloud::{row, scenario_run};
use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};
use swarm_tests::{TestSim, read_json, run_bounded, swarm, temp_dir};

const USERS: u64 = 10;
const SEGMENTS: u64 = 3;

fn plan(json: &Path, run_id: &str) -> Vec<String> {
    [
        "-u", "10", "-r", "20", "-t", "4s", "--wait", "50ms", "--run-id", run_id, "--json",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([json.display().to_string()])
    .collect()
}

fn owncloud(sim: &TestSim, args: &[String]) -> Command {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    scenario_run("owncloud", sim, &args)
}

fn wait_bounded(child: Child, limit: Duration) -> Output {
    let pid = child.id();
    let deadline = Instant::now() + limit;
    let mut child = child;
    loop {
        if child.try_wait().expect("poll").is_some() {
            return child.wait_with_output().expect("output");
        }
        assert!(
            Instant::now() < deadline,
            "swarm {pid} did not finish within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn histogram(v: &serde_json::Value) -> Histogram<u64> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(v.as_str().expect("a histogram"))
        .expect("base64");
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .expect("an HdrHistogram")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn an_indexed_job_of_three_merges_to_exactly_one_whole_run() {
    let sim = TestSim::start();
    let dir = temp_dir("distributed");

    // The whole plan in one process, for comparison.
    let whole_json = dir.join("whole.json");
    let out = run_bounded(
        &mut owncloud(&sim, &plan(&whole_json, "whole")),
        Duration::from_secs(90),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(sim.non_admin_users().is_empty());
    let whole = read_json(&whole_json);

    // Three pods of an Indexed Job: same flags, same run id, same start, their own index.
    let start = SystemTime::now() + Duration::from_secs(3);
    let start_at = humantime::format_rfc3339_seconds(start).to_string();
    let children: Vec<Child> = (0..SEGMENTS)
        .map(|i| {
            let json = dir.join(format!("seg{i}.json"));
            let mut args = plan(&json, "job1");
            args.extend(["--segments".into(), SEGMENTS.to_string()]);
            args.extend(["--start-at".into(), start_at.clone()]);
            owncloud(&sim, &args)
                .env("JOB_COMPLETION_INDEX", i.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn swarm")
        })
        .collect();
    // Every account that exists while they run; names are PREFIX-RUNID-INDEX.
    let mut seen = BTreeSet::new();
    let watch_until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < watch_until && seen.len() < USERS as usize {
        seen.extend(sim.non_admin_users());
        std::thread::sleep(Duration::from_millis(20));
    }
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| wait_bounded(c, Duration::from_secs(90)))
        .collect();
    for out in &outs {
        assert!(out.status.success(), "{}", text(out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("(--start-at)"),
            "{}",
            text(out)
        );
    }
    assert!(
        sim.non_admin_users().is_empty(),
        "left: {:?}",
        sim.non_admin_users()
    );
    let indices: BTreeSet<u64> = seen
        .iter()
        .filter_map(|name| name.strip_prefix("swarm-job1-")?.parse().ok())
        .collect();
    assert_eq!(
        indices,
        (0..USERS).collect::<BTreeSet<u64>>(),
        "every global user index once across the pods: {seen:?}"
    );

    let segs: Vec<serde_json::Value> = (0..SEGMENTS)
        .map(|i| read_json(&dir.join(format!("seg{i}.json"))))
        .collect();
    let per_segment: Vec<u64> = segs
        .iter()
        .map(|s| s["user_count"].as_u64().unwrap())
        .collect();
    assert_eq!(per_segment, [4, 3, 3], "users dealt one by one");
    for (i, s) in segs.iter().enumerate() {
        assert_eq!(s["segment"], format!("{i}/{SEGMENTS}"));
        assert_eq!(s["run_id"], "job1");
    }

    // Merge.
    let merged_json = dir.join("merged.json");
    let mut merge = swarm();
    merge.args(["report", "merge"]);
    for i in 0..SEGMENTS {
        merge.arg(dir.join(format!("seg{i}.json")));
    }
    merge
        .arg("--json")
        .arg(&merged_json)
        .arg("--csv")
        .arg(dir.join("merged"))
        .arg("--html")
        .arg(dir.join("merged.html"));
    let out = run_bounded(&mut merge, Duration::from_secs(30));
    assert!(out.status.success(), "{}", text(&out));
    assert!(dir.join("merged_stats.csv").is_file());
    assert!(dir.join("merged.html").is_file());
    let merged = read_json(&merged_json);
    assert_eq!(merged["user_count"], USERS);
    assert_eq!(merged["segment"], serde_json::Value::Null);
    for (method, name) in [
        ("POST", "/ocs/v2.php/cloud/users"),
        ("DELETE", "/ocs/v2.php/cloud/users/[userid]"),
        ("PROPFIND", "/remote.php/dav/files/[user]/"),
    ] {
        assert_eq!(row(&merged, method, name), (USERS, 0), "{method} {name}");
        assert_eq!(
            row(&merged, method, name),
            row(&whole, method, name),
            "{method} {name}"
        );
    }
    // Counts add exactly; percentiles are those of every sample's histogram.
    let sum = |key: &str| -> u64 { segs.iter().map(|s| s["total"][key].as_u64().unwrap()).sum() };
    assert_eq!(
        merged["total"]["num_requests"].as_u64(),
        Some(sum("num_requests"))
    );
    assert_eq!(merged["total"]["num_failures"].as_u64(), Some(0));
    let mut all = histogram(&segs[0]["total"]["histogram_us"]);
    // A decoded histogram covers only its own range; the others' may reach further.
    all.auto(true);
    for s in &segs[1..] {
        all.add(histogram(&s["total"]["histogram_us"])).unwrap();
    }
    assert_eq!(all.len(), sum("num_requests"));
    assert!(histogram(&merged["total"]["histogram_us"]) == all);
    let max_us = segs
        .iter()
        .map(|s| (s["total"]["max_response_time"].as_f64().unwrap() * 1000.0).round() as u64)
        .max()
        .unwrap();
    let percentiles = merged["total"]["response_time_percentiles"]
        .as_object()
        .unwrap();
    assert_eq!(percentiles.len(), 11);
    for (q, ms) in percentiles {
        let q: f64 = q.parse().unwrap();
        let want = all.value_at_quantile(q).min(max_us) as f64 / 1000.0;
        assert_eq!(ms.as_f64(), Some(want), "p{q}");
    }
    // The history adds the pods up per second: all ten users at once.
    let peak = merged["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "")
        .filter_map(|r| r["user_count"].as_u64())
        .max();
    assert_eq!(peak, Some(USERS));

    // Thresholds on the merged report, exit codes as for a run.
    let check = |threshold: &str| {
        let mut cmd = swarm();
        cmd.args(["report", "check"])
            .arg(&merged_json)
            .args(["--threshold", threshold]);
        run_bounded(&mut cmd, Duration::from_secs(30))
    };
    let pass = check(&format!("requests >= {}", sum("num_requests")));
    assert_eq!(pass.status.code(), Some(0), "{}", text(&pass));
    let fail = check("p50 < 1us");
    assert_eq!(fail.status.code(), Some(1), "{}", text(&fail));
    assert!(
        String::from_utf8_lossy(&fail.stdout).contains("FAIL"),
        "{}",
        text(&fail)
    );

    // A report of another run is refused by name.
    let mut wrong = swarm();
    wrong
        .args(["report", "merge"])
        .arg(dir.join("seg0.json"))
        .arg(&whole_json)
        .arg("--json")
        .arg(dir.join("wrong.json"));
    let out = run_bounded(&mut wrong, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is of run `job1` but"),
        "{}",
        text(&out)
    );
}

#[test]
fn ctrl_c_while_waiting_for_the_start_exits_at_once() {
    let dir = temp_dir("start-at");
    let json = dir.join("r.json");
    let mut child = swarm()
        .args([
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "--start-at",
            "+10m",
            "--json",
        ])
        .arg(&json)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn swarm");
    // Give it time to install its handlers and start waiting (bounded; the wait is 10 minutes).
    std::thread::sleep(Duration::from_secs(2));
    let pid = child.id().to_string();
    let status = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let t0 = Instant::now();
    let out = loop {
        if child.try_wait().expect("poll").is_some() {
            break child.wait_with_output().expect("output");
        }
        if t0.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("swarm kept waiting after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("(--start-at)"), "{}", text(&out));
    assert!(
        stderr.contains("got SIGINT while waiting for --start-at: nothing ran"),
        "{}",
        text(&out)
    );
    // The report still says what happened: nothing.
    assert_eq!(read_json(&json)["total"]["num_requests"], 0);
}

/// The arrival schedule of the open-model Indexed Job: 30 arrivals a second for 4 s, arrival
/// `k` at `k/30` s, so exactly 120 (k = 0..119). A stage (not `-t`) ends it: `-t` counts
/// from the start, before the pool's `on_start`, so the arrivals it lets through depend on
/// how long the accounts took to create; the stage's end is where the schedule says.
const ARRIVALS: u64 = 120;

#[test]
fn an_indexed_job_of_three_runs_exactly_the_whole_arrival_schedule() {
    let sim = TestSim::start();
    let dir = temp_dir("distributed-open");
    let start = SystemTime::now() + Duration::from_secs(3);
    let start_at = humantime::format_rfc3339_seconds(start).to_string();
    let mut children: Vec<Option<Child>> = (0..SEGMENTS)
        .map(|i| {
            let json = dir.join(format!("seg{i}.json"));
            let mut args: Vec<String> = [
                "--arrival-stages",
                "4s:30/s",
                "--pre-allocated-users",
                "6",
                "--max-users",
                "9",
                "-t",
                "60s",
                "--run-id",
                "job2",
                "--segments",
                "3",
                "--start-at",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
            args.extend([
                start_at.clone(),
                "--json".into(),
                json.display().to_string(),
            ]);
            let child = owncloud(&sim, &args)
                .env("JOB_COMPLETION_INDEX", i.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn swarm");
            Some(child)
        })
        .collect();
    // Every pool account that exists while they run (each lives from its user's on_start
    // to the end of its segment, seconds at least).
    let mut seen = BTreeSet::new();
    let mut outs: Vec<Option<Output>> = (0..SEGMENTS).map(|_| None).collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    while outs.iter().any(Option::is_none) {
        assert!(
            Instant::now() < deadline,
            "the segments did not finish in 90 s"
        );
        seen.extend(sim.non_admin_users());
        for (slot, out) in children.iter_mut().zip(outs.iter_mut()) {
            if let Some(child) = slot {
                if child.try_wait().expect("poll").is_some() {
                    let child = slot.take().expect("a child");
                    *out = Some(child.wait_with_output().expect("output"));
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let outs: Vec<Output> = outs.into_iter().flatten().collect();
    for out in &outs {
        assert!(out.status.success(), "{}", text(out));
    }
    assert!(
        sim.non_admin_users().is_empty(),
        "left: {:?}",
        sim.non_admin_users()
    );

    let segs: Vec<serde_json::Value> = (0..SEGMENTS)
        .map(|i| read_json(&dir.join(format!("seg{i}.json"))))
        .collect();
    let indices: BTreeSet<u64> = seen
        .iter()
        .filter_map(|name| name.strip_prefix("swarm-job2-")?.parse().ok())
        .collect();
    let mut created_total = 0;
    for (i, s) in segs.iter().enumerate() {
        let i = i as u64;
        assert_eq!(s["segment"], format!("{i}/{SEGMENTS}"));
        let open = &s["open_model"];
        // The pool of 9 split 3 ways; the arrivals dealt one by one: 40 each.
        assert_eq!(open["max_users"], 3, "{open}");
        assert_eq!(s["user_count"], 3);
        let arrivals = open["iterations_started"].as_u64().unwrap()
            + open["dropped_iterations"].as_u64().unwrap();
        assert_eq!(arrivals, ARRIVALS / SEGMENTS, "segment {i}: {open}");
        // Its pool's accounts: created and deleted, with the indices i, i+3, i+6, ...
        let (created, failed) = row(s, "POST", "/ocs/v2.php/cloud/users");
        assert_eq!(failed, 0);
        assert!(
            (2..=3).contains(&created),
            "segment {i}: {created} accounts"
        );
        assert_eq!(
            row(s, "DELETE", "/ocs/v2.php/cloud/users/[userid]"),
            (created, 0),
            "segment {i}: every account deleted"
        );
        let mine: Vec<u64> = indices
            .iter()
            .copied()
            .filter(|u| u % SEGMENTS == i)
            .collect();
        let want: Vec<u64> = (0..created).map(|k| i + SEGMENTS * k).collect();
        assert_eq!(mine, want, "segment {i}'s pool indices: {seen:?}");
        created_total += created;
    }
    assert_eq!(indices.len() as u64, created_total, "{seen:?}");

    let merged_json = dir.join("merged.json");
    let mut merge = swarm();
    merge.args(["report", "merge"]);
    for i in 0..SEGMENTS {
        merge.arg(dir.join(format!("seg{i}.json")));
    }
    merge.arg("--json").arg(&merged_json);
    let out = run_bounded(&mut merge, Duration::from_secs(30));
    assert!(out.status.success(), "{}", text(&out));
    let merged = read_json(&merged_json);
    let open = &merged["open_model"];
    assert_eq!(
        open["iterations_started"].as_u64().unwrap() + open["dropped_iterations"].as_u64().unwrap(),
        ARRIVALS,
        "{open}"
    );
    assert_eq!(open["max_users"], 9, "{open}");
    assert_eq!(
        row(&merged, "POST", "/ocs/v2.php/cloud/users"),
        (created_total, 0)
    );
    assert_eq!(
        row(&merged, "DELETE", "/ocs/v2.php/cloud/users/[userid]"),
        (created_total, 0)
    );
    assert_eq!(merged["total"]["num_failures"], 0);
}
