//! `--threshold` decides the exit code: 0 when every check holds, 1 when one fails.

use super::{arg, run_get, text, url};
use swarm_tests::{TestSim, read_json, temp_dir};

#[test]
fn passing_and_failing_thresholds_give_exit_codes_0_and_1() {
    let sim = TestSim::start();
    let dir = temp_dir("thresholds");
    let target = url(&sim, "/status.php");
    let cases: [(&[&str], i32, &[&str]); 3] = [
        (
            &[
                "--threshold",
                "p95 < 10s",
                "--threshold",
                "GET /status.php: p99 < 10s",
                "--threshold",
                "fail_ratio < 1%",
                "--threshold",
                "rps > 1",
            ],
            0,
            &[
                "PASS  p95 < 10s",
                "PASS  GET /status.php: p99 < 10s",
                "PASS  fail_ratio < 1%",
                "PASS  rps > 1",
            ],
        ),
        (
            &["--threshold", "p95 < 10s", "--threshold", "max < 1us"],
            1,
            &["PASS  p95 < 10s", "FAIL  max < 1us"],
        ),
        (
            &["--threshold", "GET /elsewhere: p95 < 10s"],
            1,
            &["FAIL  GET /elsewhere: p95 < 10s  (no such row in this run)"],
        ),
    ];
    for (i, (flags, code, lines)) in cases.iter().enumerate() {
        let json = dir.join(format!("{i}.json"));
        let mut all: Vec<&str> = flags.to_vec();
        all.extend(["--json", arg(&json)]);
        let out = run_get(&target, 2, &all);
        assert_eq!(out.status.code(), Some(*code), "{flags:?}\n{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        for line in *lines {
            assert!(stdout.contains(line), "{line} missing\n{stdout}");
        }
        let report = read_json(&json);
        assert_eq!(report["thresholds"].as_array().unwrap().len(), lines.len());
    }
}
