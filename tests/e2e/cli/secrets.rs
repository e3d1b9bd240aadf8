//! A run with a known password: it appears in no log line, at any level, and in no report.

use super::{arg, get_cmd, text};
use std::time::Duration;
use swarm_tests::{TestSim, run_bounded, temp_dir};

const PASSWORD: &str = "Zebra-Quartz-7781";

#[test]
fn a_known_password_appears_nowhere() {
    let sim = TestSim::start();
    let dir = temp_dir("secrets");
    let (json, html, prefix, log) = (
        dir.join("r.json"),
        dir.join("r.html"),
        dir.join("r"),
        dir.join("swarm.log"),
    );
    // The password arrives in the environment and inside the host URL (a scenario's own
    // secret options are covered by `library::a_scenario_secret_appears_nowhere`).
    let host = sim
        .url()
        .replace("http://", &format!("http://admin:{PASSWORD}@"));
    let out = run_bounded(
        get_cmd(&format!("{host}/status.php"))
            .env("SWARM_ADMIN_PASSWORD", PASSWORD)
            .args(["-t", "2s"])
            .args(["--loglevel", "debug", "--print-interval", "500ms"])
            .args([
                "--logfile",
                arg(&log),
                "--json",
                arg(&json),
                "--html",
                arg(&html),
            ])
            .args(["--csv", arg(&prefix)])
            .args(["--threshold", "p95 < 10s"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    let everything = [
        text(&out),
        read(&log),
        read(&json),
        read(&html),
        read(&dir.join("r_stats.csv")),
        read(&dir.join("r_stats_history.csv")),
        read(&dir.join("r_failures.csv")),
        read(&dir.join("r_exceptions.csv")),
    ];
    assert!(read(&log).contains("/DEBUG/") || read(&log).contains("/INFO/"));
    for (i, text) in everything.iter().enumerate() {
        assert!(
            !text.contains(PASSWORD),
            "output {i} holds the password:\n{text}"
        );
    }
    assert!(
        read(&json).contains("admin:***@"),
        "the host is shown redacted"
    );
}
