//! The ownCloud scenario end to end: the real `swarm` binary against owncloud-sim on
//! 127.0.0.1. Accounts are counted on the simulator itself.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use swarm_tests::{TestSim, read_json, run_bounded, swarm, temp_dir};

/// `swarm run owncloud` against `sim` with the admin password in the environment.
fn owncloud(sim: &TestSim, extra: &[&str]) -> Command {
    scenario_run("owncloud", sim, extra)
}

/// `swarm run SCENARIO` headless against `sim` with the admin password in the environment.
pub(crate) fn scenario_run(scenario: &str, sim: &TestSim, extra: &[&str]) -> Command {
    let mut cmd = swarm();
    cmd.args([
        "run",
        scenario,
        "--headless",
        "--only-summary",
        "--host",
        &sim.url(),
    ])
    .args(extra)
    .env("SWARM_ADMIN_PASSWORD", "admin");
    cmd
}

/// The stats row `(method, name)` of a JSON report: (requests, failures).
pub(crate) fn row(report: &serde_json::Value, method: &str, name: &str) -> (u64, u64) {
    report["stats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["method"] == method && r["name"] == name)
        .map_or((0, 0), |r| {
            (
                r["num_requests"].as_u64().unwrap(),
                r["num_failures"].as_u64().unwrap(),
            )
        })
}

/// The seed's tasks were picked 3:1: PUT's share of the tasks is binomial(n, 1/4); 5 sd is a
/// bound a correct picker never misses and a broken one (1:1, or only GETs) always does.
pub(crate) fn assert_gets_to_puts_3_to_1(report: &serde_json::Value) {
    let (gets, _) = row(
        report,
        "GET",
        "/remote.php/dav/files/[user]/ownCloud%20Manual.pdf",
    );
    let (puts, _) = row(report, "PUT", "/remote.php/dav/files/[user]/[file]");
    let n = (gets + puts) as f64;
    assert!(n > 100.0, "too few tasks ran: {n}");
    let sd = (n * 0.25 * 0.75).sqrt();
    assert!(
        ((puts as f64) - n * 0.25).abs() <= 5.0 * sd,
        "PUT {puts} vs GET {gets}"
    );
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn every_user_creates_its_account_and_deletes_it_on_stop() {
    let sim = TestSim::start();
    let dir = temp_dir("oc-run");
    let json = dir.join("r.json");
    let users = 5u64;
    let out = run_bounded(
        &mut owncloud(
            &sim,
            &[
                "-u",
                "5",
                "-r",
                "20",
                "-t",
                "6s",
                "--wait",
                "50ms",
                "--seed",
                "7",
                "--json",
                json.to_str().unwrap(),
            ],
        ),
        Duration::from_secs(90),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r = read_json(&json);
    assert_eq!(
        row(&r, "POST", "/ocs/v2.php/cloud/users"),
        (users, 0),
        "one account per user"
    );
    assert_eq!(
        row(&r, "DELETE", "/ocs/v2.php/cloud/users/[userid]"),
        (users, 0),
        "every account deleted"
    );
    assert_eq!(
        row(&r, "PROPFIND", "/remote.php/dav/files/[user]/"),
        (users, 0),
        "every user warmed up once"
    );
    assert!(
        sim.non_admin_users().is_empty(),
        "left behind: {:?}",
        sim.non_admin_users()
    );
    assert_eq!(r["total"]["num_failures"], 0);
    assert_gets_to_puts_3_to_1(&r);
    // Rows group all users: no row names an individual account.
    for stat in r["stats"].as_array().unwrap() {
        let name = stat["name"].as_str().unwrap();
        assert!(!name.contains("swarm-"), "per-user row {name}");
    }
}

#[test]
fn the_seeds_pitfall_admin_delete_through_the_users_jar_gets_401_and_cleanup_mends_it() {
    let sim = TestSim::start();
    let dir = temp_dir("oc-pitfall");
    let json = dir.join("r.json");
    let out = run_bounded(
        &mut owncloud(
            &sim,
            &[
                "-u",
                "3",
                "-r",
                "20",
                "-t",
                "3s",
                "--wait",
                "100ms",
                "--user-prefix",
                "pitfall",
                "--admin-on-user-session",
                "--json",
                json.to_str().unwrap(),
            ],
        ),
        Duration::from_secs(90),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "failures must fail the run: {}",
        stderr(&out)
    );
    let r = read_json(&json);
    assert_eq!(
        row(&r, "DELETE", "/ocs/v2.php/cloud/users/[userid]"),
        (3, 3)
    );
    let failure = r["failures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["method"] == "DELETE")
        .unwrap();
    assert!(
        failure["error"].as_str().unwrap().contains("997"),
        "{failure}"
    );
    let left = sim.non_admin_users();
    assert_eq!(
        left.len(),
        3,
        "the seed's bug leaves the accounts: {left:?}"
    );
    // The fix for a run that left accounts: cleanup by prefix, listing what it deletes.
    let out = run_bounded(
        swarm()
            .args([
                "owncloud",
                "cleanup",
                "--prefix",
                "pitfall-",
                "--host",
                &sim.url(),
            ])
            .env("SWARM_ADMIN_PASSWORD", "admin"),
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = String::from_utf8_lossy(&out.stdout);
    for user in &left {
        assert!(listed.contains(&format!("deleted {user}")), "{listed}");
    }
    assert!(sim.non_admin_users().is_empty());
}

/// Sends `signal` (e.g. `-INT`) to `pid`.
pub(crate) fn kill(pid: u32, signal: &str) {
    let ok = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {signal} {pid}");
}

/// Waits for `child` to exit within `limit`, or fails with `why`.
pub(crate) fn wait_exit(
    child: &mut std::process::Child,
    limit: Duration,
    why: &str,
) -> std::process::ExitStatus {
    let mut status = None;
    wait_for(why, limit, || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    status.unwrap()
}

/// Polls `done` until it holds; fails after `limit` naming `what`.
pub(crate) fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigint_mid_run_still_deletes_every_account_and_writes_the_report() {
    sigint_mid_run_deletes_every_account("owncloud", &[]);
}

/// Runs `scenario` with 4 users against a fresh simulator, sends SIGINT once all 4 accounts
/// exist, and checks that swarm exits 0 having deleted every account, without a failure.
pub(crate) fn sigint_mid_run_deletes_every_account(scenario: &str, env: &[(&str, &str)]) {
    let sim = TestSim::start();
    // Its own directory per scenario: both callers may run at once.
    let dir = temp_dir(&format!("sigint-{}", scenario.replace(['/', '.'], "-")));
    let json = dir.join("r.json");
    let mut cmd = scenario_run(
        scenario,
        &sim,
        &[
            "-u",
            "4",
            "-r",
            "20",
            "-t",
            "60s",
            "--json",
            json.to_str().unwrap(),
        ],
    );
    cmd.envs(env.iter().copied());
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("4 accounts", Duration::from_secs(30), || {
        sim.non_admin_users().len() == 4
    });
    std::thread::sleep(Duration::from_millis(500));
    kill(child.id(), "-INT");
    let status = wait_exit(
        &mut child,
        Duration::from_secs(30),
        "swarm did not stop after SIGINT",
    );
    assert!(status.success(), "{scenario}: {status:?}");
    assert!(
        sim.non_admin_users().is_empty(),
        "{scenario}: left {:?}",
        sim.non_admin_users()
    );
    let r = read_json(&json);
    assert_eq!(
        row(&r, "DELETE", "/ocs/v2.php/cloud/users/[userid]"),
        (4, 0)
    );
    assert_eq!(r["total"]["num_failures"], 0, "{scenario}");
}

#[test]
fn a_second_sigint_exits_at_once_and_still_writes_the_stats() {
    // Every password check costs 3 s, so the on_stop deletes are still running when the
    // second SIGINT arrives.
    let sim = TestSim::start_with(|c| c.auth_cost = Duration::from_secs(3));
    let dir = temp_dir("oc-sigint2");
    let json = dir.join("r.json");
    let mut child = owncloud(
        &sim,
        &[
            "-u",
            "2",
            "-r",
            "20",
            "-t",
            "120s",
            "--json",
            json.to_str().unwrap(),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    wait_for("2 accounts", Duration::from_secs(60), || {
        sim.non_admin_users().len() == 2
    });
    kill(child.id(), "-INT");
    std::thread::sleep(Duration::from_millis(300));
    let second = Instant::now();
    kill(child.id(), "-INT");
    let status = wait_exit(
        &mut child,
        Duration::from_secs(2),
        "the second SIGINT did not exit at once",
    );
    assert!(second.elapsed() < Duration::from_secs(2));
    assert_eq!(status.code(), Some(1));
    let r = read_json(&json);
    assert_eq!(
        row(&r, "POST", "/ocs/v2.php/cloud/users").0,
        2,
        "stats gathered so far are written"
    );
    // What may be left is said, with the command that removes it, in the report too.
    let prefix = format!("swarm-{}-", r["run_id"].as_str().unwrap());
    let command = format!(
        "`swarm owncloud cleanup --host {} --prefix {prefix}`",
        sim.url()
    );
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains("2 ownCloud account(s) may be left on") && warnings.contains(&command),
        "{warnings}"
    );
}

/// Ctrl-C while users are still being spawned: the ramp stops, every account made so far is
/// deleted.
#[test]
fn sigint_while_spawning_stops_the_ramp_and_deletes_every_account() {
    let sim = TestSim::start();
    let dir = temp_dir("oc-sigint-ramp");
    let json = dir.join("r.json");
    let mut child = owncloud(&sim, &["-u", "50", "-r", "2", "-t", "60s"])
        .args(["--json", json.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("3 accounts", Duration::from_secs(30), || {
        sim.non_admin_users().len() >= 3
    });
    kill(child.id(), "-INT");
    let status = wait_exit(&mut child, Duration::from_secs(30), "SIGINT while spawning");
    assert!(status.success(), "{status:?}");
    assert!(
        sim.non_admin_users().is_empty(),
        "{:?}",
        sim.non_admin_users()
    );
    let r = read_json(&json);
    let (created, _) = row(&r, "POST", "/ocs/v2.php/cloud/users");
    assert!(
        (3..50).contains(&created),
        "the ramp stopped: {created} created"
    );
    assert_eq!(
        row(&r, "DELETE", "/ocs/v2.php/cloud/users/[userid]"),
        (created, 0)
    );
}

/// Regression: Ctrl-C was ignored while `on_test_start` waited on a server that never
/// answers, until the 60 s request timeout; headless and with the web UI alike.
#[test]
fn sigint_while_on_test_start_hangs_stops_at_once() {
    // Connections land in the listen backlog; nothing ever answers them.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("http://{}", silent.local_addr().unwrap());
    let dir = temp_dir("oc-hung-start");
    let modes: [(&str, &[&str]); 2] = [
        ("headless", &["--headless"]),
        ("web", &["--web-port", "0", "--autostart"]),
    ];
    for (mode, flags) in modes {
        let json = dir.join(format!("{mode}.json"));
        let mut child = swarm()
            .args(["run", "owncloud", "--host", &host, "-u", "2", "-t", "60s"])
            .args(flags)
            .args(["--json", json.to_str().unwrap()])
            .env("SWARM_ADMIN_PASSWORD", "admin")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        let sent = Instant::now();
        kill(child.id(), "-INT");
        let status = wait_exit(
            &mut child,
            Duration::from_secs(5),
            &format!("{mode}: SIGINT during on_test_start"),
        );
        assert!(sent.elapsed() < Duration::from_secs(5), "{mode}");
        assert_eq!(status.code(), Some(1), "{mode}: nothing was measured");
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert!(!err.contains("panicked"), "{mode}: {err}");
        assert!(json.is_file(), "{mode}: the report is written: {err}");
    }
    drop(silent);
}

#[test]
fn bad_input_gives_one_clear_line_and_leaves_nothing() {
    let sim = TestSim::start();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        format!("http://127.0.0.1:{port}")
    };
    // A host whose OCS answers are not OCS: the simulator under a path prefix it does not serve.
    let html_404 = format!("{}/not-owncloud", sim.url());
    let cases: [(&str, String, &str, &str); 3] = [
        ("unreachable host", closed, "admin", "connection refused"),
        (
            "wrong admin password",
            sim.url(),
            "Zq9-not-the-password",
            "refused the admin credentials",
        ),
        (
            "not ownCloud",
            html_404,
            "admin",
            "did not answer like ownCloud",
        ),
    ];
    for (case, host, password, expected) in cases {
        let out = run_bounded(
            swarm()
                .args([
                    "run",
                    "owncloud",
                    "--headless",
                    "-u",
                    "3",
                    "-r",
                    "10",
                    "-t",
                    "5s",
                    "--host",
                    &host,
                ])
                .env("SWARM_ADMIN_PASSWORD", password),
            Duration::from_secs(60),
        );
        let err = stderr(&out);
        let error_lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(out.status.code(), Some(1), "{case}: {err}");
        assert_eq!(error_lines.len(), 1, "{case}: {err}");
        assert!(
            error_lines[0].contains(expected),
            "{case}: {}",
            error_lines[0]
        );
        assert!(!err.contains("panicked"), "{case}: {err}");
        assert!(
            password == "admin" || !err.contains(password),
            "{case}: password in output"
        );
    }
    assert!(sim.non_admin_users().is_empty());
}

#[test]
fn extra_tasks_and_a_bigger_upload_run_cleanly() {
    let sim = TestSim::start();
    let dir = temp_dir("oc-extra");
    let json = dir.join("r.json");
    let out = run_bounded(
        &mut owncloud(
            &sim,
            &[
                "-u",
                "3",
                "-r",
                "20",
                "-t",
                "4s",
                "--wait",
                "20ms",
                "--upload-size",
                "1500000",
                "--weight-propfind",
                "1",
                "--weight-folders",
                "1",
                "--json",
                json.to_str().unwrap(),
            ],
        ),
        Duration::from_secs(90),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r = read_json(&json);
    assert_eq!(r["total"]["num_failures"], 0);
    for (method, name) in [
        ("PROPFIND", "/remote.php/dav/files/[user]/"),
        ("MKCOL", "/remote.php/dav/files/[user]/[dir]"),
        ("MOVE", "/remote.php/dav/files/[user]/[dir]"),
        ("DELETE", "/remote.php/dav/files/[user]/[dir]"),
        ("PUT", "/remote.php/dav/files/[user]/[file]"),
    ] {
        assert!(row(&r, method, name).0 > 0, "{method} {name} never ran");
    }
    assert!(sim.non_admin_users().is_empty());
}

/// Regression: a password in `--host` reached the scenario's start error, and through the web
/// UI the 500 reply, `/exceptions` and the reports.
#[test]
fn a_password_in_the_host_is_never_shown_by_a_failed_start() {
    const PASSWORD: &str = "Kestrel-Hinge-5530";
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        port
    };
    let host = format!("http://admin:{PASSWORD}@127.0.0.1:{closed}");
    let dir = temp_dir("oc-host-secret");
    let json = dir.join("r.json");
    let out = run_bounded(
        swarm()
            .args(["run", "owncloud", "--headless", "--host", &host, "-t", "5s"])
            .args(["--json", json.to_str().unwrap()])
            .env("SWARM_ADMIN_PASSWORD", "admin"),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let printed = format!("{}{}", stderr(&out), String::from_utf8_lossy(&out.stdout));
    assert!(printed.contains("admin:***@127.0.0.1"), "{printed}");
    assert!(!printed.contains(PASSWORD), "{printed}");
    let report = std::fs::read_to_string(&json).unwrap();
    assert!(!report.contains(PASSWORD), "{report}");

    // The web UI: the start's 500 reply and the exceptions tab.
    let sim = TestSim::start();
    let web = crate::web::WebSwarm::start(&sim.url(), &[]);
    let (status, body) = web.post_form("/swarm", &[("user_count", "1"), ("host", &host)]);
    assert!(status >= 400, "{status} {body}");
    assert!(!body.to_string().contains(PASSWORD), "{body}");
    let (_, exceptions) = web.get("/exceptions");
    assert!(!exceptions.contains(PASSWORD), "{exceptions}");
    let (_, stats) = web.get("/stats/requests");
    assert!(!stats.contains(PASSWORD), "{stats}");
}

/// Regression: in a non-TTY run a periodic table printed while users stopped repeated the
/// final one. The DELETEs happen only while stopping, so only the final table has them.
#[test]
fn the_final_table_is_printed_once() {
    let sim = TestSim::start_with(|c| c.auth_cost = Duration::from_millis(400));
    let out = run_bounded(
        swarm()
            .args(["run", "owncloud", "--headless", "--host", &sim.url()])
            .args([
                "-u",
                "3",
                "-r",
                "30",
                "-t",
                "2s",
                "--print-interval",
                "200ms",
            ])
            .env("SWARM_ADMIN_PASSWORD", "admin"),
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tables_with_deletes = stdout
        .split("Type     Name")
        .filter(|t| t.contains("DELETE   /ocs/v2.php/cloud/users/[userid]"))
        .count();
    assert_eq!(tables_with_deletes, 1, "{stdout}");
}
