//! litmus (Debian's `litmus`, 0.13), the WebDAV conformance suite, against a fresh user's
//! home on the simulator: the same suites and at least the same scores as ownCloud 10.14.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use owncloud_sim::{Sim, SimConfig};

/// (suite, tests it runs, tests that must pass): ownCloud 10.14 fails one locks test
/// (`fail_complex_cond_put`), so that one may fail here too.
const SUITES: &[(&str, u32, u32)] = &[
    ("basic", 16, 16),
    ("copymove", 13, 13),
    ("props", 30, 30),
    ("locks", 41, 40),
    ("http", 4, 4),
];

/// How long one suite may take before it counts as hung.
const SUITE_LIMIT: Duration = Duration::from_secs(120);

/// Reads "<- summary for `basic': of 16 tests run: 15 passed, 1 failed. 93.8%".
fn summary(out: &str, suite: &str) -> Option<(u32, u32)> {
    let line = out
        .lines()
        .find(|l| l.contains(&format!("summary for `{suite}'")))?;
    let run = line
        .split("of ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let passed = line
        .split("run: ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some((run, passed))
}

fn litmus() -> &'static Path {
    let p = Path::new("/usr/bin/litmus");
    assert!(
        p.is_file(),
        "litmus is missing: install it with `apt-get install -y litmus` (`cargo xtask test` does)"
    );
    p
}

fn run_suite(url: &str, suite: &str, dir: &Path) -> String {
    let mut child = Command::new(litmus())
        .args([url, "litmus-user", "litmus-pw"])
        .env("TESTS", suite)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start litmus");
    let deadline = Instant::now() + SUITE_LIMIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("litmus {suite} did not finish within {SUITE_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn litmus_suites_score_like_owncloud() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime.block_on(Sim::start(SimConfig::default())).unwrap();
    sim.create_user("litmus-user", "litmus-pw").unwrap();
    let url = format!("{}/remote.php/dav/files/litmus-user/", sim.url());
    let dir = std::env::temp_dir().join(format!("owncloud-sim-litmus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut report = Vec::new();
    for &(suite, tests, needed) in SUITES {
        let out = run_suite(&url, suite, &dir);
        let (run, passed) =
            summary(&out, suite).unwrap_or_else(|| panic!("no summary for {suite}:\n{out}"));
        report.push(format!("{suite} {passed}/{run}"));
        assert!(
            run == tests && passed >= needed,
            "litmus {suite}: {passed}/{run} passed, want at least {needed}/{tests}\n{out}"
        );
    }
    eprintln!("litmus: {}", report.join(", "));
    let _ = std::fs::remove_dir_all(&dir);
    runtime.block_on(sim.shutdown());
}

#[test]
fn summaries_parse() {
    let cases = [
        (
            "<- summary for `basic': of 16 tests run: 15 passed, 1 failed. 93.8%",
            "basic",
            Some((16, 15)),
        ),
        (
            "-> running `locks':\n<- summary for `locks': of 41 tests run: 41 passed, 0 failed. 100.0%",
            "locks",
            Some((41, 41)),
        ),
        ("nothing here", "http", None),
    ];
    for (text, suite, want) in cases {
        assert_eq!(summary(text, suite), want, "{text}");
    }
}
