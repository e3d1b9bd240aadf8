//! Every bad input gives exit code 2 and one line naming the problem and the fix.

use super::text;
use std::time::Duration;
use swarm_tests::{run_bounded, swarm, temp_dir};

/// (arguments, environment, config file text, the one line expected on stderr).
type Case = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    Option<&'static str>,
    &'static str,
);

const CASES: &[Case] = &[
    (
        &["run", "nope", "--headless"],
        &[],
        None,
        "error: unknown scenario `nope`: choose one of get, owncloud, owncloud-share (see `swarm list`)",
    ),
    (
        &["run", "get", "-u", "-5"],
        &[],
        None,
        "error: invalid value '-5' for '--users <USERS>': `-5` is not a user count: give a whole number, 0 or more (see `swarm --help`)",
    ),
    (
        &["run", "get", "-t", "10parsecs"],
        &[],
        None,
        "error: invalid value '10parsecs' for '--run-time <RUN_TIME>': `10parsecs` is not a duration: write e.g. 30s, 5m, 1h30m or 250ms (see `swarm --help`)",
    ),
    (
        &["run", "get", "--host", "notaurl"],
        &[],
        None,
        "error: invalid value 'notaurl' for '--host <HOST>': `notaurl` is not a URL (relative URL without a base): give e.g. http://127.0.0.1:8080 (see `swarm --help`)",
    ),
    (
        &["run", "get", "--host", "http://"],
        &[],
        None,
        "error: invalid value 'http://' for '--host <HOST>': `http://` is not a URL (empty host): give e.g. http://127.0.0.1:8080 (see `swarm --help`)",
    ),
    (
        &["run", "get", "-r", "0"],
        &[],
        None,
        "error: invalid value '0' for '--spawn-rate <SPAWN_RATE>': `0` is not a rate: give users per second above 0, e.g. 2 or 0.5 (see `swarm --help`)",
    ),
    (
        &["run", "get"],
        &[("SWARM_USERS", "lots")],
        None,
        "error: invalid value 'lots' for SWARM_USERS: `lots` is not a user count: give a whole number, 0 or more (see `swarm --help`)",
    ),
    (
        &["run", "get", "--threshold", "p95 < 500"],
        &[],
        None,
        "error: invalid value 'p95 < 500' for '--threshold <CHECK>': bad threshold `p95 < 500`: `500` needs a time unit: write e.g. 500ms, 500s or 500us; write e.g. 'p95 < 500ms', 'GET /x: p99 < 1s', 'fail_ratio < 1%' or 'rps > 100' (see `swarm --help`)",
    ),
    (
        &["run", "get", "--threshold", "latency < 1s"],
        &[],
        None,
        "error: invalid value 'latency < 1s' for '--threshold <CHECK>': bad threshold `latency < 1s`: unknown metric `latency`: use avg, min, max, p50..p99.9, corrected p50..p99.9, corrected max, rps, fail_ratio, requests, failures, dropped_iterations or late_iterations; write e.g. 'p95 < 500ms', 'GET /x: p99 < 1s', 'fail_ratio < 1%' or 'rps > 100' (see `swarm --help`)",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "--host",
            "http://127.0.0.1:9",
            "--threads",
            "0",
        ],
        &[],
        None,
        "error: --threads 0 cannot run anything: give 1 or more, or leave it out for every core",
    ),
    (
        &["run", "get", "--admin-password", "x"],
        &[],
        None,
        "error: unexpected argument '--admin-password' found (see `swarm --help`)",
    ),
    (
        &["run"],
        &[],
        None,
        "error: name a scenario: `swarm run NAME [OPTIONS]` with NAME one of get, owncloud, owncloud-share (see `swarm list`)",
    ),
    // Out of range, from a flag, the environment or the file: one line naming the limit.
    (
        &["run", "get", "-t", "1e30"],
        &[],
        None,
        "error: invalid value '1e30' for '--run-time <RUN_TIME>': `1e30` is too long: give at most 366d (see `swarm --help`)",
    ),
    (
        &["run", "get", "-t", "-5s"],
        &[],
        None,
        "error: invalid value '-5s' for '--run-time <RUN_TIME>': `-5s` is negative: give a duration of 0 or more, e.g. 30s (see `swarm --help`)",
    ),
    (
        &["run", "get", "--stop-timeout", "1e19"],
        &[],
        None,
        "error: invalid value '1e19' for '--stop-timeout <STOP_TIMEOUT>': `1e19` is too long: give at most 366d (see `swarm --help`)",
    ),
    (
        &["run", "get"],
        &[("SWARM_RUN_TIME", "1e30")],
        None,
        "error: invalid value '1e30' for SWARM_RUN_TIME: `1e30` is too long: give at most 366d (see `swarm --help`)",
    ),
    (
        &["run", "get"],
        &[],
        Some("wait = \"1s\"\n"),
        "error: swarm.toml: unknown key `wait`: keys are `swarm run get` long option names, e.g. users, spawn-rate, run-time (see `swarm run get --help`)",
    ),
    (
        &["run", "get"],
        &[],
        Some("run-time = \"1e30\"\n"),
        "error: swarm.toml: `run-time`: `1e30` is invalid: `1e30` is too long: give at most 366d",
    ),
    (
        &["run", "get", "-r", "1e-300"],
        &[],
        None,
        "error: invalid value '1e-300' for '--spawn-rate <SPAWN_RATE>': `1e-300` is too slow: give at least 0.001 users per second (see `swarm --help`)",
    ),
    (
        &["run", "owncloud", "--wait", "1e30"],
        &[],
        None,
        "error: invalid value '1e30' for '--wait <WAIT>': `1e30` is too long: give at most 366d (see `swarm --help`)",
    ),
    (
        &["run", "get", "--exit-code-on-error", "256"],
        &[],
        None,
        "error: invalid value '256' for '--exit-code-on-error <EXIT_CODE_ON_ERROR>': 256 is not in 0..=255 (see `swarm --help`)",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "-u",
            "0",
        ],
        &[],
        None,
        "error: -u 0 would run no user and measure nothing: give 1 or more",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "-t",
            "0",
        ],
        &[],
        None,
        "error: -t 0 would stop before anything ran: give e.g. 30s, or leave it out to run until Ctrl-C",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "--json",
            "no/such/dir/r.json",
        ],
        &[],
        None,
        "error: --json no/such/dir/r.json: the folder no/such/dir does not exist: create it or choose another path",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "--csv",
            "no/such/dir/r",
        ],
        &[],
        None,
        "error: --csv no/such/dir/r_stats.csv: the folder no/such/dir does not exist: create it or choose another path",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "--logfile",
            "no/such/dir/x.log",
        ],
        &[],
        None,
        "error: cannot open the log file no/such/dir/x.log (fix --logfile): No such file or directory (os error 2)",
    ),
    (
        &["run", "get", "--bogus"],
        &[],
        None,
        "error: unexpected argument '--bogus' found (see `swarm --help`)",
    ),
    (
        &["run", "get"],
        &[],
        Some("userz = 3\n"),
        "error: swarm.toml: unknown key `userz`: keys are `swarm run get` long option names, e.g. users, spawn-rate, run-time (see `swarm run get --help`)",
    ),
    (
        &["run", "get"],
        &[],
        Some("users = \"ten\"\n"),
        "error: swarm.toml: `users`: `ten` is invalid: `ten` is not a user count: give a whole number, 0 or more",
    ),
    (
        &["run", "get"],
        &[],
        Some("headless = 1\n"),
        "error: swarm.toml: `headless`: expected true or false, found an integer (write `headless = true`)",
    ),
    (
        &["run", "get"],
        &[],
        Some("users = 3\nrun-time = 5m\n"),
        "error: swarm.toml:2: string values must be quoted, expected literal string (fix the TOML syntax)",
    ),
    (
        &["run", "get", "--config", "missing.toml"],
        &[],
        None,
        "error: cannot read the config file missing.toml: No such file or directory (os error 2) (fix the path given to --config)",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "--segments",
            "3",
        ],
        &[],
        None,
        "error: --segments 3 reads this process's index from JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job), which is not set: set it, or give --segment I/3",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "--segments",
            "3",
        ],
        &[("JOB_COMPLETION_INDEX", "3")],
        None,
        "error: JOB_COMPLETION_INDEX=3 with --segments 3: segment 3/3 does not exist: indices go from 0 to 2",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "--segments",
            "3",
        ],
        &[("JOB_COMPLETION_INDEX", "x")],
        None,
        "error: JOB_COMPLETION_INDEX=`x` is not a segment index: it must be a whole number from 0 to 2",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "--segment",
            "1/3",
            "--segments",
            "4",
        ],
        &[],
        None,
        "error: --segment 1/3 and --segments 4 disagree on the number of segments: give one of them",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "--segment",
            "3",
        ],
        &[],
        None,
        "error: invalid value '3' for '--segment <I/N>': `3` is not a segment: write INDEX/COUNT from 0, e.g. 0/3 for the first of three (see `swarm --help`)",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "--segment",
            "2/3",
            "-u",
            "2",
        ],
        &[],
        None,
        "error: -u 2 split 3 ways leaves segment 2/3 without a user: give -u 3 or more, or fewer segments",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "--segment",
            "0/3",
            "--arrival-rate",
            "10/s",
            "--max-users",
            "2",
        ],
        &[],
        None,
        "error: --max-users 2 split 3 ways leaves a segment without a pool user: give --max-users 3 or more, or fewer segments",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "--segment",
            "2/3",
            "--stages",
            "1s:2,1s:0",
        ],
        &[],
        None,
        "error: --stages peaking at 2 users split 3 ways leaves segment 2/3 without a user: give a peak of 3 or more, or fewer segments",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "--run-id",
            "Not_OK",
        ],
        &[],
        None,
        "error: invalid value 'Not_OK' for '--run-id <RUN_ID>': `Not_OK` is not a run id: give 1 to 32 lowercase letters, digits or `-`, e.g. nightly-42 (see `swarm --help`)",
    ),
    (
        &[
            "run",
            "get",
            "--headless",
            "-H",
            "http://127.0.0.1:9",
            "--start-at",
            "noon",
        ],
        &[],
        None,
        "error: invalid value 'noon' for '--start-at <TIME>': `noon` is not a start time: give a UTC time such as 2026-12-01T10:00:00Z, or a delay such as +30s (see `swarm --help`)",
    ),
    (
        &["run", "get", "-H", "http://127.0.0.1:9", "--segment", "0/2"],
        &[],
        None,
        "error: --segment 0/2 runs headless (the web UI would reshape its fixed share): add --headless",
    ),
    (
        &[
            "run",
            "get",
            "-H",
            "http://127.0.0.1:9",
            "--start-at",
            "+1s",
        ],
        &[],
        None,
        "error: --start-at runs headless (the web UI starts from its form): add --headless",
    ),
    (
        &["report", "merge"],
        &[],
        None,
        "error: nothing to merge: give the segments' JSON reports, e.g. swarm report merge segment-*.json --json merged.json",
    ),
    (
        &["report", "merge", "a.json"],
        &[],
        None,
        "error: nothing to write: add --json FILE, --csv PREFIX and/or --html FILE",
    ),
    (
        &["report", "check", "a.json"],
        &[],
        None,
        "error: nothing to check: add --threshold CHECK, e.g. --threshold 'p95 < 500ms'",
    ),
    (
        &["report", "compare", "missing-a.json", "missing-b.json"],
        &[],
        None,
        "error: cannot read the report missing-a.json: No such file or directory (os error 2)",
    ),
];

#[test]
fn bad_input_is_one_line_and_exit_code_2() {
    let dir = temp_dir("usage");
    let mut failures = Vec::new();
    for (i, (args, env, file, want)) in CASES.iter().enumerate() {
        let case_dir = dir.join(i.to_string());
        std::fs::create_dir_all(&case_dir).unwrap();
        if let Some(text) = file {
            std::fs::write(case_dir.join("swarm.toml"), text).unwrap();
        }
        let mut cmd = swarm();
        cmd.args(*args).current_dir(&case_dir);
        for (k, v) in *env {
            cmd.env(k, v);
        }
        let out = run_bounded(&mut cmd, Duration::from_secs(30));
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2) || stderr.trim_end() != *want || stderr.lines().count() != 1
        {
            failures.push(format!(
                "{args:?} {env:?} {file:?}\n  want: {want}\n  {}",
                text(&out)
            ));
        }
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "{stderr}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn help_and_version_read_well() {
    let out = run_bounded(swarm().arg("--version"), Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("swarm "));
    let out = run_bounded(
        swarm().args(["run", "get", "--help"]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--users",
        "--spawn-rate",
        "--run-time",
        "--host",
        "--headless",
        "--web-host",
        "--web-port",
        "--stop-timeout",
        "--reset-stats",
        "--csv",
        "--csv-full-history",
        "--html",
        "--json",
        "--loglevel",
        "--logfile",
        "--seed",
        "--exit-code-on-error",
        "--threshold",
        "--config",
        "--print-config",
        "[env: SWARM_USERS=]",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
    let out = run_bounded(swarm().arg("list"), Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("get"));
}
