//! swarm as a library: test programs written on the public API (the workspace's examples, and
//! a crate `swarm new` writes and cargo builds offline) get the whole product, checked
//! server-side against the shop API.

use crate::cli::text;
use crate::web::WebSwarm;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use swarm_tests::shop_api::ShopApi;
use swarm_tests::{
    clean_command, example, read_json, root, run_bounded, swarm, target_dir, temp_dir,
};

fn arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A headless run of `program` against `url`, bounded.
fn headless(program: &Path, url: &str, users: &str, extra: &[&str]) -> Command {
    let mut cmd = clean_command(program);
    cmd.args([
        "--headless",
        "-H",
        url,
        "-u",
        users,
        "-r",
        "100",
        "-t",
        "2s",
    ])
    .args(["--stop-timeout", "10s", "--only-summary"])
    .args(extra);
    cmd
}

/// The aggregate row of a JSON report.
fn total(report: &Value) -> &Value {
    &report["total"]
}

#[test]
fn the_shop_example_logs_in_and_sends_its_token() {
    let shop = ShopApi::start();
    let dir = temp_dir("lib-shop");
    let json = dir.join("run.json");
    let out = run_bounded(
        &mut headless(&example("shop"), &shop.url(), "5", &["--json", arg(&json)]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stats = shop.stats();
    assert_eq!((stats.logins, stats.logouts), (5, 5), "{stats:?}");
    assert_eq!(
        stats.unauthorized, 0,
        "a request went without the token: {stats:?}"
    );
    assert!(stats.authorized >= 5, "{stats:?}");
    assert_eq!(stats.live_sessions, 0, "every user logged out: {stats:?}");
    let report = read_json(&json);
    assert_eq!(total(&report)["num_failures"], 0, "{report}");
    assert!(
        total(&report)["num_requests"].as_u64() >= Some(10),
        "{report}"
    );
}

#[test]
fn a_scenario_option_reads_flag_env_and_file_and_hides_its_secret() {
    const SECRET: &str = "Quokka-Lantern-4471";
    let dir = temp_dir("lib-options");
    std::fs::write(dir.join("swarm.toml"), "item = 3\nusers = 2\n").unwrap();
    let print = |extra: &[&str]| {
        let out = run_bounded(
            clean_command(&example("shop"))
                .current_dir(&dir)
                .env("SHOP_PASSWORD", SECRET)
                .args(extra)
                .arg("--print-config"),
            Duration::from_secs(30),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let line = |listing: &str, name: &str| {
        listing
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    let listing = print(&[]);
    assert_eq!(
        line(&listing, "item"),
        "item 3 file swarm.toml",
        "{listing}"
    );
    assert_eq!(
        line(&listing, "users"),
        "users 2 file swarm.toml",
        "{listing}"
    );
    assert_eq!(
        line(&listing, "password"),
        "password *** env SHOP_PASSWORD",
        "{listing}"
    );
    assert!(!listing.contains(SECRET), "{listing}");
    let listing = print(&["--item", "4", "--password", SECRET]);
    assert_eq!(line(&listing, "item"), "item 4 flag", "{listing}");
    assert_eq!(line(&listing, "password"), "password *** flag", "{listing}");
    assert!(!listing.contains(SECRET), "{listing}");

    // --help shows the option under the scenario's own heading; `swarm list` likewise.
    let out = run_bounded(
        clean_command(&example("shop")).arg("--help"),
        Duration::from_secs(30),
    );
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("Options of the my-load-test scenario:"),
        "{help}"
    );
    assert!(
        help.contains("--item <ITEM>") && help.contains("[env: SHOP_ITEM=]"),
        "{help}"
    );
    assert!(help.contains("--users"), "{help}");
    let out = run_bounded(swarm().arg("list"), Duration::from_secs(30));
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        list.contains("--admin-user") && list.contains("--weight-upload"),
        "{list}"
    );

    // A run with the secret in the environment and debug logs: it is in no output.
    let shop = ShopApi::start();
    let (json, html, csv, log) = (
        dir.join("r.json"),
        dir.join("r.html"),
        dir.join("r"),
        dir.join("r.log"),
    );
    let out = run_bounded(
        headless(&example("shop"), &shop.url(), "2", &["--loglevel", "debug"])
            .current_dir(&dir)
            .env("SHOP_PASSWORD", SECRET)
            .args([
                "--json",
                arg(&json),
                "--html",
                arg(&html),
                "--csv",
                arg(&csv),
            ])
            .args(["--logfile", arg(&log)]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(shop.stats().logins, 2);
    for file in [&json, &html, &log, &dir.join("r_stats.csv")] {
        let body = std::fs::read_to_string(file).unwrap();
        assert!(
            !body.contains(SECRET),
            "{} holds the secret",
            file.display()
        );
    }
    assert!(!text(&out).contains(SECRET), "{}", text(&out));
}

/// `n` accounts `user-0..n` as a CSV file.
fn accounts_csv(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("accounts.csv");
    let mut csv = String::from("username,password\n");
    for i in 0..n {
        csv.push_str(&format!("user-{i},pw-{i}\n"));
    }
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn unique_feeder_rows_go_to_distinct_users_and_running_out_is_reported() {
    let dir = temp_dir("lib-feeder");
    let csv = accounts_csv(&dir, 50);
    let shop = ShopApi::start();
    let json = dir.join("ok.json");
    let out = run_bounded(
        &mut headless(
            &example("shop_accounts"),
            &shop.url(),
            "50",
            &["--accounts", arg(&csv), "--json", arg(&json)],
        ),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut users = shop.stats().login_users;
    users.sort();
    let mut want: Vec<String> = (0..50).map(|i| format!("user-{i}")).collect();
    want.sort();
    assert_eq!(users, want, "each row went to exactly one user");
    let report = read_json(&json);
    let names: Vec<&str> = report["stats"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(names.contains(&"/items/[id]"), "ids are grouped: {names:?}");
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("/items/") && n != &"/items/[id]"),
        "{names:?}"
    );

    // One user more than rows: the 51st is refused with the documented message.
    let shop = ShopApi::start();
    let json = dir.join("short.json");
    let out = run_bounded(
        &mut headless(
            &example("shop_accounts"),
            &shop.url(),
            "51",
            &["--accounts", arg(&csv), "--json", arg(&json)],
        ),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(shop.stats().logins, 50);
    let report = read_json(&json);
    let exceptions = report["exceptions"].to_string();
    assert!(
        exceptions.contains(&format!(
            "all 50 rows of {} are taken: add rows, run fewer users, or use Pick::Sequential",
            csv.display()
        )),
        "{exceptions}"
    );

    // A missing file stops the run before it starts: one line, exit code 2.
    let out = run_bounded(
        &mut headless(
            &example("shop_accounts"),
            &shop.url(),
            "1",
            &["--accounts", "nope.csv"],
        ),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: cannot read test data nope.csv:"),
        "{err}"
    );
}

#[test]
fn swarm_new_writes_a_crate_that_builds_offline_and_runs_headless_and_in_the_web_ui() {
    let dir = temp_dir("lib-new");
    let out = run_bounded(
        swarm().args(["new", "shop-test", "--into", arg(&dir)]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let krate = dir.join("shop-test");
    let manifest = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("swarm = { path = "), "{manifest}");
    // The workspace's lock and target directory: the same versions, no download, and the
    // dependencies already built are reused.
    std::fs::copy(root().join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    let build = run_bounded(
        swarm_tests::cargo()
            .args(["build", "--offline", "--quiet"])
            .env("CARGO_TARGET_DIR", target_dir())
            .current_dir(&krate),
        Duration::from_secs(900),
    );
    assert_eq!(build.status.code(), Some(0), "{}", text(&build));
    let program = target_dir().join("debug").join("shop-test");

    let shop = ShopApi::start();
    let json = dir.join("run.json");
    let out = run_bounded(
        &mut headless(&program, &shop.url(), "3", &["--json", arg(&json)]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(read_json(&json)["total"]["num_failures"], 0);
    let stats = shop.stats();
    assert_eq!(
        (stats.logins, stats.logouts, stats.unauthorized),
        (3, 3, 0),
        "{stats:?}"
    );

    // The same program's web UI: start 4, reshape to 2, stop; the server sees each step.
    let shop = ShopApi::start();
    let mut cmd = clean_command(&program);
    cmd.args([
        "-H",
        &shop.url(),
        "--web-port",
        "0",
        "--stop-timeout",
        "10s",
    ]);
    let mut web = WebSwarm::spawn(cmd);
    let users_are = |n: u64| move |s: &Value| s["user_count"] == n && s["state"] == "running";
    let limit = Duration::from_secs(20);
    let (status, body) = web.post_form("/swarm", &[("user_count", "4"), ("spawn_rate", "50")]);
    assert_eq!(status, 200, "{body}");
    web.wait_stats("4 users", limit, users_are(4));
    crate::web::eventually("4 logins", limit, || {
        (shop.stats().logins == 4).then_some(())
    });
    let (status, body) = web.post_form("/swarm", &[("user_count", "2"), ("spawn_rate", "50")]);
    assert_eq!(status, 200, "{body}");
    web.wait_stats("2 users", limit, users_are(2));
    crate::web::eventually("2 logouts", limit, || {
        (shop.stats().logouts == 2).then_some(())
    });
    let (status, body) = web.post_form("/stop", &[]);
    assert_eq!(status, 200, "{body}");
    crate::web::eventually("every user logged out", limit, || {
        (shop.stats().live_sessions == 0).then_some(())
    });
    assert_eq!(shop.stats().unauthorized, 0);
    let exit = web.terminate(Duration::from_secs(20));
    assert_eq!(exit.code(), Some(0), "{}", web.output());
}
