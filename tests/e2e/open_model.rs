//! Arrival-rate runs end to end: the real `swarm` binary against a server that stalls
//! completely for 1 s of every 5 (`swarm_tests::stall`) and against owncloud-sim. The
//! corrected times show the stalls a closed loop hides, a capped pool counts its dropped
//! iterations (and a threshold on them fails the run), and the ownCloud scenario's pool
//! creates and deletes every account it uses.

use crate::owncloud::{row, scenario_run};
use std::time::Duration;
use swarm_tests::stall::StallServer;
use swarm_tests::{TestSim, read_json, run_bounded, swarm, temp_dir};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `swarm run get` headless against `server`, with `extra` flags.
fn get(server: &StallServer, extra: &[&str]) -> std::process::Output {
    run_bounded(
        swarm()
            .args(["run", "get", "--headless", "--only-summary", "--host"])
            .arg(format!("{}/x", server.url()))
            .args(extra),
        Duration::from_secs(60),
    )
}

fn ms(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or(-1.0)
}

#[test]
fn corrected_times_include_the_stalls_that_plain_times_hide() {
    let server = StallServer::start(Duration::from_secs(5), Duration::from_secs(1));
    let dir = temp_dir("open-stall");
    let json = dir.join("r.json");
    let csv = dir.join("r");
    // Two users at 100/s: during a stall both wait on the server and the arrivals queue up
    // for them (up to 3 s), to run right after it. Their requests are fast, but they were
    // meant to start up to 1 s earlier.
    let out = get(
        &server,
        &[
            "--arrival-rate",
            "100/s",
            "--pre-allocated-users",
            "2",
            "--max-users",
            "2",
            "--max-lateness",
            "3s",
            "-t",
            "11s",
            "--json",
            json.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
            "--html",
            dir.join("r.html").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r = read_json(&json);
    assert_eq!(r["schema"], "swarm-report/2");
    let total = &r["total"];
    let plain_p99 = ms(&total["response_time_percentiles"]["0.99"]);
    let corrected_p99 = ms(&total["corrected_response_time_percentiles"]["0.99"]);
    // The numbers, for a reader of the test log (`--nocapture`).
    println!(
        "plain p99 {plain_p99} ms, corrected p99 {corrected_p99} ms, open model {}",
        r["open_model"]
    );
    assert!(
        plain_p99 < 300.0,
        "plain p99 {plain_p99} ms should hide the stalls"
    );
    assert!(
        (800.0..1500.0).contains(&corrected_p99),
        "corrected p99 {corrected_p99} ms should show the 1 s stalls"
    );
    let open = &r["open_model"];
    assert_eq!(open["arrival"], true);
    assert_eq!(open["dropped_iterations"], 0, "{open}");
    let started = open["iterations_started"].as_u64().unwrap();
    assert!(
        (1000..=1110).contains(&started),
        "{started} iterations in 11 s at 100/s"
    );
    assert!(open["late_iterations"].as_u64().unwrap() > 50, "{open}");
    assert_eq!(total["num_corrected"], total["num_requests"]);
    // The windowed corrected p99 of the history (the charts' line) sees the stalls too.
    let worst = r["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|row| row["window_corrected_p99_us"].as_u64())
        .max();
    assert!(worst > Some(500_000), "history's corrected p99: {worst:?}");
    // The Locust files stay Locust's; the corrected times get their own.
    let corrected = std::fs::read_to_string(dir.join("r_corrected_stats.csv")).unwrap();
    assert!(
        corrected.starts_with("Type,Name,Corrected Count,"),
        "{corrected}"
    );
    let html = std::fs::read_to_string(dir.join("r.html")).unwrap();
    assert!(
        html.contains("<table id=\"corrected\">"),
        "the HTML report's corrected table"
    );
    assert!(html.contains("<b>0 dropped</b>"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Corrected response times"), "{stdout}");
    assert!(stdout.contains("Arrivals: target 100.00/s"), "{stdout}");
}

#[test]
fn a_capped_pool_drops_iterations_and_a_threshold_on_them_fails_the_run() {
    let server = StallServer::start(Duration::from_secs(5), Duration::from_secs(1));
    let dir = temp_dir("open-drops");
    let json = dir.join("r.json");
    let out = get(
        &server,
        &[
            "--arrival-rate",
            "50/s",
            "--pre-allocated-users",
            "1",
            "--max-users",
            "3",
            "-t",
            "6s",
            "--threshold",
            "dropped_iterations < 1",
            "--threshold",
            "corrected p99 < 10s",
            "--json",
            json.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", stderr(&out));
    let r = read_json(&json);
    let open = &r["open_model"];
    // The stall holds all three users for up to a second: most of its ~50 arrivals find
    // none free.
    let dropped = open["dropped_iterations"].as_u64().unwrap();
    assert!(dropped >= 30, "{open}");
    assert_eq!(open["max_users"], 3);
    assert!(stdout.contains("FAIL  dropped_iterations < 1"), "{stdout}");
    assert!(stdout.contains("PASS  corrected p99 < 10s"), "{stdout}");
    assert!(stdout.contains(&format!("{dropped} dropped")), "{stdout}");
}

#[test]
fn the_owncloud_pool_creates_and_deletes_every_account() {
    let sim = TestSim::start();
    let dir = temp_dir("open-oc");
    let json = dir.join("r.json");
    let out = run_bounded(
        &mut scenario_run(
            "owncloud",
            &sim,
            &[
                "--arrival-rate",
                "10/s",
                "--pre-allocated-users",
                "3",
                "--max-users",
                "6",
                "-t",
                "5s",
                "--json",
                json.to_str().unwrap(),
            ],
        ),
        Duration::from_secs(90),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r = read_json(&json);
    let open = &r["open_model"];
    let (created, failed) = row(&r, "POST", "/ocs/v2.php/cloud/users");
    assert_eq!(failed, 0);
    assert!(
        (3..=6).contains(&created),
        "{created} accounts for a pool of 3 to 6"
    );
    assert_eq!(
        row(&r, "DELETE", "/ocs/v2.php/cloud/users/[userid]"),
        (created, 0),
        "every pool account deleted"
    );
    assert!(
        sim.non_admin_users().is_empty(),
        "left behind: {:?}",
        sim.non_admin_users()
    );
    let started = open["iterations_started"].as_u64().unwrap();
    assert!(started >= 35, "{open}");
    assert_eq!(r["total"]["num_failures"], 0);
}

#[test]
fn stages_from_swarm_toml_ramp_hold_and_end_the_run() {
    let sim = TestSim::start();
    let dir = temp_dir("open-stages");
    std::fs::write(dir.join("swarm.toml"), "stages = \"2s:4,2s:4,1s:0\"\n").unwrap();
    let json = dir.join("r.json");
    let mut cmd = swarm();
    cmd.current_dir(&dir)
        .args(["run", "get", "--headless", "--only-summary", "--host"])
        .arg(format!("{}/status.php", sim.url()))
        .arg("--json")
        .arg(&json);
    // After `swarm()`, which builds the binaries if they are stale.
    let started = std::time::Instant::now();
    let out = run_bounded(&mut cmd, Duration::from_secs(60));
    assert!(out.status.success(), "{}", stderr(&out));
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(30),
        "the stages end the run: {took:?}"
    );
    let r = read_json(&json);
    let most = r["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|row| row["user_count"].as_u64())
        .max();
    assert_eq!(most, Some(4), "the stages' peak");
    assert!(
        stderr(&out).contains("The load shape ended, stopping"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn contradicting_or_malformed_load_flags_are_usage_errors() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["--arrival-rate", "100"],
            "`100` has no unit: write e.g. 200/s or 90/m",
        ),
        (
            &["--arrival-rate", "10/s", "--stages", "1m:5"],
            "--stages shapes a user count, which an arrival-rate run does not have",
        ),
        (
            &["--max-users", "3"],
            "--pre-allocated-users, --max-users and --max-lateness shape an arrival-rate run's pool",
        ),
        (&["--arrival-stages", "30s:0-100"], "`0-100` has no unit"),
        (
            &[
                "--arrival-rate",
                "5/s",
                "--pre-allocated-users",
                "9",
                "--max-users",
                "2",
            ],
            "--pre-allocated-users 9 is more than --max-users 2",
        ),
    ];
    for (flags, want) in cases {
        let out = run_bounded(
            swarm()
                .args(["run", "get", "--headless", "--host", "http://127.0.0.1:9/"])
                .args(flags),
            Duration::from_secs(30),
        );
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(want), "{flags:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", stderr(&out));
    }
    let help = run_bounded(
        swarm().args(["run", "get", "--help"]),
        Duration::from_secs(30),
    );
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("Users' waits are"), "{help}");
    assert!(help.contains("--arrival-stages <STAGES>"), "{help}");
}

#[test]
fn the_web_form_starts_an_arrival_rate_run_and_shows_its_numbers() {
    let sim = TestSim::start();
    let web = crate::web::WebSwarm::start(
        &sim.url(),
        &[
            "--max-users",
            "4",
            "--pre-allocated-users",
            "2",
            "--arrival-rate",
            "5/s",
        ],
    );
    let (status, config) = web.get("/ui/config");
    assert_eq!(status, 200);
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(config["load"], "arrival", "{config}");
    assert_eq!(config["arrival_rate"], 5.0, "{config}");
    let (status, body) = web.post_form("/swarm", &[("load", "arrival"), ("arrival_rate", "20")]);
    assert_eq!(status, 200, "{body}");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let open = loop {
        let (_, text) = web.get("/stats/open");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        if v["open_model"]["iterations_started"].as_u64() > Some(20) {
            break v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no arrivals: {v}\n{}",
            web.output()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let m = &open["open_model"];
    assert_eq!(m["arrival"], true, "{open}");
    assert_eq!(m["target_rate"], 20.0, "{open}");
    assert_eq!(m["max_users"], 4, "{open}");
    let rows = open["corrected"].as_array().unwrap();
    assert_eq!(
        rows.last().map(|r| r["name"].clone()),
        Some("Aggregated".into()),
        "{open}"
    );
    // An arrival-rate run has no user count to reshape.
    let (status, body) = web.post_form("/swarm", &[("user_count", "3")]);
    assert_eq!(status, 409, "{body}");
    let (status, body) = web.post_form("/stop", &[]);
    assert_eq!(status, 200, "{body}");
    assert!(
        sim.non_admin_users().is_empty(),
        "left behind: {:?}",
        sim.non_admin_users()
    );
}
