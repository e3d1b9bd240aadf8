//! JavaScript user scripts end to end: the shipped `examples/owncloud.js` against owncloud-sim
//! (accounts counted on the simulator), the lifecycle rules for script users, and the errors
//! a broken script gives before any user starts.

use crate::owncloud::{
    assert_gets_to_puts_3_to_1, row, scenario_run, sigint_mid_run_deletes_every_account, wait_for,
};
use crate::web::WebSwarm;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use swarm_tests::{TestSim, read_json, root, run_bounded, swarm, temp_dir};

fn script() -> String {
    root().join("examples/owncloud.js").display().to_string()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_owncloud_script_creates_and_deletes_every_account_at_3_gets_per_put() {
    let sim = TestSim::start();
    let json = temp_dir("js-oc").join("r.json");
    let out = run_bounded(
        scenario_run(
            &script(),
            &sim,
            &[
                "-u",
                "5",
                "-r",
                "20",
                "-t",
                "6s",
                "--json",
                json.to_str().unwrap(),
            ],
        )
        .env("WAIT_SECONDS", "0.05"),
        Duration::from_secs(90),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r = read_json(&json);
    assert_eq!(row(&r, "POST", "/ocs/v2.php/cloud/users"), (5, 0));
    assert_eq!(
        row(&r, "DELETE", "/ocs/v2.php/cloud/users/[userid]"),
        (5, 0)
    );
    assert_eq!(row(&r, "PROPFIND", "/remote.php/dav/files/[user]/"), (5, 0));
    assert!(
        sim.non_admin_users().is_empty(),
        "left: {:?}",
        sim.non_admin_users()
    );
    assert_eq!(r["total"]["num_failures"], 0);
    assert_eq!(
        r["exceptions"].as_array().map(Vec::len),
        Some(0),
        "{}",
        r["exceptions"]
    );
    assert_gets_to_puts_3_to_1(&r);
}

#[test]
fn sigint_mid_run_still_deletes_every_script_account() {
    sigint_mid_run_deletes_every_account(&script(), &[("WAIT_SECONDS", "0.05")]);
}

#[test]
fn a_web_ui_stop_and_restart_runs_the_script_again_and_leaves_no_account() {
    let sim = TestSim::start();
    let mut cmd = swarm();
    cmd.args(["run", &script(), "--host", &sim.url(), "--web-port", "0"])
        .args(["--stop-timeout", "10s"])
        .env("WAIT_SECONDS", "0.1")
        .env("SWARM_ADMIN_PASSWORD", "admin");
    let mut web = WebSwarm::spawn(cmd);
    for users in [3usize, 2] {
        let (status, body) = web.post_form(
            "/swarm",
            &[("user_count", &users.to_string()), ("spawn_rate", "20")],
        );
        assert_eq!(status, 200, "{body}");
        wait_for("accounts", Duration::from_secs(30), || {
            sim.non_admin_users().len() == users
        });
        web.wait_stats("tasks run", Duration::from_secs(30), |s| {
            s["stats"].as_array().is_some_and(|rows| {
                rows.iter()
                    .any(|r| r["method"] == "GET" && r["num_requests"].as_u64().unwrap_or(0) > 5)
            })
        });
        let (status, body) = web.post_form("/stop", &[]);
        assert_eq!(status, 200, "{body}");
        wait_for("accounts removed", Duration::from_secs(30), || {
            sim.non_admin_users().is_empty()
        });
    }
    let stats = web.stats();
    assert_eq!(stats["fail_ratio"], 0.0, "{}", web.output());
    assert!(
        web.terminate(Duration::from_secs(30)).success(),
        "{}",
        web.output()
    );
}

/// `swarm run SCRIPT --headless --only-summary`.
fn headless(script: &std::path::Path) -> std::process::Command {
    let mut cmd = swarm();
    cmd.arg("run")
        .arg(script)
        .args(["--headless", "--only-summary"]);
    cmd
}

/// Writes a script into a fresh directory and returns its path.
fn write_script(name: &str, source: &str) -> PathBuf {
    let path = temp_dir(name).join("t.js");
    std::fs::write(&path, source).unwrap();
    path
}

const LIFECYCLE: &str = r#"
import { constant, env } from "swarm";
const mode = env("MODE");
export class Worker {
  static wait = constant(0.02);
  static tasks = { work: 1 };
  async onStart(ctx) {
    this.n = 0;
    if (mode === "start-throws") throw new Error("no account");
  }
  async work(ctx) {
    this.n += 1;
    await ctx.session().get("/status.php", { name: "work" });
    if (mode === "task-throws") throw new TypeError("bad task");
    if (mode === "stop-user" && this.n === 3) ctx.stopUser();
    if (mode === "stop-test" && this.n === 3) ctx.stopTest();
  }
  async onStop(ctx) {
    await ctx.session().get("/status.php", { name: "stop" });
    if (mode === "stop-hangs") await ctx.sleep(120);
  }
}
"#;

/// Every lifecycle rule of docs/ARCHITECTURE.md, for script users: (mode, run time, what the
/// report must show, the longest the run may take).
#[test]
fn script_users_follow_the_lifecycle_rules() {
    struct Case {
        mode: &'static str,
        run_time: &'static str,
        /// (exception text, at least this many) or nothing.
        exception: Option<(&'static str, u64)>,
        /// `work` requests: at least this many (and at most, when `Some` in `most`).
        work_least: u64,
        work_most: Option<u64>,
        stops: u64,
        limit: Duration,
    }
    let cases = [
        Case {
            mode: "start-throws",
            run_time: "2s",
            exception: Some(("on_start failed: Error: no account", 3)),
            work_least: 0,
            work_most: Some(0),
            stops: 0,
            limit: Duration::from_secs(30),
        },
        Case {
            mode: "task-throws",
            run_time: "2s",
            exception: Some(("TypeError: bad task", 10)),
            work_least: 10,
            work_most: None,
            stops: 3,
            limit: Duration::from_secs(30),
        },
        Case {
            mode: "stop-hangs",
            run_time: "2s",
            exception: Some(("on_stop did not finish within the stop timeout", 3)),
            work_least: 10,
            work_most: None,
            stops: 3,
            limit: Duration::from_secs(20),
        },
        Case {
            mode: "stop-user",
            run_time: "3s",
            exception: None,
            work_least: 9,
            work_most: Some(9),
            stops: 3,
            limit: Duration::from_secs(30),
        },
        Case {
            mode: "stop-test",
            run_time: "60s",
            exception: None,
            work_least: 3,
            work_most: Some(9),
            stops: 3,
            limit: Duration::from_secs(20),
        },
    ];
    let sim = TestSim::start();
    let path = write_script("js-life", LIFECYCLE);
    for case in cases {
        let json = temp_dir(&format!("js-life-{}", case.mode)).join("r.json");
        let started = Instant::now();
        let out = run_bounded(
            headless(&path)
                .args([
                    "--host",
                    &sim.url(),
                    "-u",
                    "3",
                    "-r",
                    "50",
                    "-t",
                    case.run_time,
                ])
                .args(["--stop-timeout", "1s", "--json", json.to_str().unwrap()])
                .env("MODE", case.mode),
            Duration::from_secs(90),
        );
        let mode = case.mode;
        assert!(
            started.elapsed() < case.limit,
            "{mode}: took {:?}",
            started.elapsed()
        );
        assert!(out.status.code().is_some(), "{mode}: {}", stderr(&out));
        let r = read_json(&json);
        let (work, _) = row(&r, "GET", "work");
        assert!(work >= case.work_least, "{mode}: work {work}");
        if let Some(most) = case.work_most {
            assert!(work <= most, "{mode}: work {work}");
        }
        assert_eq!(row(&r, "GET", "stop").0, case.stops, "{mode}: onStop count");
        let exceptions = r["exceptions"].as_array().unwrap();
        match case.exception {
            Some((text, least)) => {
                let e = exceptions
                    .iter()
                    .find(|e| e["msg"].as_str().unwrap().contains(text))
                    .unwrap_or_else(|| panic!("{mode}: no `{text}` in {exceptions:?}"));
                assert!(e["count"].as_u64().unwrap() >= least, "{mode}: {e}");
                if !text.starts_with("on_stop") {
                    assert!(e["msg"].as_str().unwrap().contains("t.js:"), "{mode}: {e}");
                }
            }
            None => assert!(exceptions.is_empty(), "{mode}: {exceptions:?}"),
        }
    }
}

/// A broken script is one line naming file:line:column, exit code 2, and no user starts.
#[test]
fn a_broken_script_is_one_line_with_its_position_and_exit_2() {
    let cases = [
        (
            "export class A {\n  static tasks = { a: 1 };\n  a() { return 1 +; }\n}\n",
            "t.js:3:",
        ),
        (
            "export function helper() {}\n",
            "t.js:1:1: exports no user class",
        ),
        (
            "export class A { static tasks = { buy: 1 }; }\n",
            "task `buy` is not a method",
        ),
    ];
    for (i, (source, want)) in cases.into_iter().enumerate() {
        let path = write_script(&format!("js-bad-{i}"), source);
        let out = run_bounded(
            swarm().args([
                "run",
                path.to_str().unwrap(),
                "--headless",
                "-H",
                "http://127.0.0.1:9",
            ]),
            Duration::from_secs(30),
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{err}");
        assert!(!err.contains("Starting"), "{err}");
    }
}

/// `swarm new NAME --js` writes a script that runs at once against the shop API: every user
/// logs in with a token, browses and buys, and logs out; the server's counters agree.
#[test]
fn the_starter_script_logs_in_shops_and_logs_out() {
    let shop = swarm_tests::shop_api::ShopApi::start();
    let dir = temp_dir("js-new");
    let out = run_bounded(
        swarm().args(["new", "shop-test", "--js", "--into", dir.to_str().unwrap()]),
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let path = dir.join("shop-test.js");
    let json = dir.join("r.json");
    // Picks are random (buy has weight 1 of 4): unseeded, ~16 tasks in 4 s held no buy about
    // once in 100 runs (CI saw `carts: 0`). Seed 2 makes three of the four users' first picks a
    // buy, so the assertion below cannot fail by chance.
    let out = run_bounded(
        headless(&path)
            .args([
                "-H",
                &shop.url(),
                "-u",
                "4",
                "-r",
                "50",
                "-t",
                "4s",
                "--seed",
                "2",
            ])
            .args(["--json", json.to_str().unwrap()]),
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let stats = shop.stats();
    assert_eq!(
        (stats.logins, stats.logouts, stats.live_sessions),
        (4, 4, 0)
    );
    assert_eq!(stats.unauthorized, 0);
    assert!(
        stats.carts > 0 && stats.authorized > stats.carts,
        "{stats:?}"
    );
    let r = read_json(&json);
    assert_eq!(r["total"]["num_failures"], 0);
    assert_eq!(row(&r, "POST", "/cart").0, stats.carts);
    let again = run_bounded(
        swarm().args(["new", "shop-test", "--js", "--into", dir.to_str().unwrap()]),
        Duration::from_secs(30),
    );
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing file is not overwritten"
    );
}
