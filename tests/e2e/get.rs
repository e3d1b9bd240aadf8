//! The built-in `get` scenario against a real server.

use std::time::Duration;
use swarm_tests::{TestSim, read_json, run_bounded, swarm, temp_dir};

#[test]
fn get_hammers_one_url_and_reports_it() {
    let sim = TestSim::start();
    let dir = temp_dir("get");
    let json = dir.join("report.json");
    let out = run_bounded(
        swarm()
            .args([
                "run",
                "get",
                "--headless",
                "-u",
                "4",
                "-r",
                "100",
                "-t",
                "2s",
                "--only-summary",
            ])
            .arg("--host")
            .arg(format!("{}/status.php", sim.url()))
            .arg("--json")
            .arg(&json),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = read_json(&json);
    assert_eq!(report["schema"], "swarm-report/2");
    assert_eq!(report["stats"][0]["name"], "/status.php");
    assert_eq!(report["stats"][0]["method"], "GET");
    assert!(report["total"]["num_requests"].as_u64().unwrap() > 100);
    assert_eq!(report["total"]["num_failures"], 0);
}
