//! Where options come from: flag > environment > config file > default, as
//! `--print-config` shows.

use super::{arg, text};
use std::time::Duration;
use swarm_tests::{run_bounded, swarm, temp_dir};

/// The `--print-config` line of `name`, spaces collapsed: `users 7 file swarm.toml`.
fn line(listing: &str, name: &str) -> String {
    listing
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| panic!("no {name} in\n{listing}"))
}

#[test]
fn flag_beats_env_beats_file_beats_default() {
    let dir = temp_dir("precedence");
    std::fs::write(
        dir.join("swarm.toml"),
        "users = 7\nspawn-rate = 3\nrun_time = \"1m\"\nstop-timeout = \"5s\"\nthreshold = [\"p95 < 1s\"]\n",
    )
    .unwrap();
    let out = run_bounded(
        swarm()
            .current_dir(&dir)
            .env("SWARM_SPAWN_RATE", "4")
            .env("SWARM_RUN_TIME", "2m")
            .args(["run", "get", "--run-time", "3m", "--print-config"]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listing = String::from_utf8_lossy(&out.stdout);
    let cases = [
        ("users", "users 7 file swarm.toml"),
        ("spawn-rate", "spawn-rate 4 env SWARM_SPAWN_RATE"),
        ("run-time", "run-time 3m flag"),
        ("stop-timeout", "stop-timeout 5s file swarm.toml"),
        ("threshold", "threshold p95 < 1s file swarm.toml"),
        ("loglevel", "loglevel INFO default"),
    ];
    for (name, want) in cases {
        assert_eq!(line(&listing, name), want);
    }
}

#[test]
fn an_explicit_config_file_replaces_the_local_one() {
    let dir = temp_dir("explicit-config");
    std::fs::write(dir.join("swarm.toml"), "users = 7\n").unwrap();
    let other = dir.join("ci.toml");
    std::fs::write(&other, "users = 9\nheadless = true\n").unwrap();
    for via_env in [false, true] {
        let mut cmd = swarm();
        cmd.current_dir(&dir).args(["run", "get", "--print-config"]);
        if via_env {
            cmd.env("SWARM_CONFIG", &other);
        } else {
            cmd.args(["--config", arg(&other)]);
        }
        let out = run_bounded(&mut cmd, Duration::from_secs(30));
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let listing = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            line(&listing, "users"),
            format!("users 9 file {}", other.display())
        );
        assert_eq!(
            line(&listing, "headless"),
            format!("headless true file {}", other.display())
        );
    }
}

#[test]
fn print_config_hides_the_admin_password() {
    let dir = temp_dir("print-config-secret");
    let out = run_bounded(
        swarm()
            .current_dir(&dir)
            .env("SWARM_ADMIN_PASSWORD", "correct-horse-battery")
            .args(["run", "owncloud", "--print-config"]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listing = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        line(&listing, "admin-password"),
        "admin-password *** env SWARM_ADMIN_PASSWORD"
    );
    assert!(!text(&out).contains("correct-horse-battery"));
}
