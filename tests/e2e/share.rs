//! The `owncloud-share` scenario end to end: the real `swarm` binary against owncloud-sim on
//! 127.0.0.1, shares and accounts counted on the simulator itself.

use crate::owncloud::{kill, row, scenario_run, wait_exit, wait_for};
use std::process::{Command, Stdio};
use std::time::Duration;
use swarm_tests::{TestSim, read_json, run_bounded, temp_dir};

/// `swarm run owncloud-share` against `sim` with the admin password in the environment.
fn share_run(sim: &TestSim, extra: &[&str]) -> Command {
    scenario_run("owncloud-share", sim, extra)
}

const SHARES: &str = "/ocs/v2.php/apps/files_sharing/api/v1/shares";

#[test]
fn share_users_share_download_and_remove_everything() {
    let sim = TestSim::start();
    let dir = temp_dir("share-run");
    let json = dir.join("r.json");
    let users = 4u64;
    let out = run_bounded(
        &mut share_run(
            &sim,
            &[
                "-u",
                "4",
                "-r",
                "20",
                "-t",
                "6s",
                "--wait",
                "50ms",
                "--json",
                json.to_str().unwrap(),
            ],
        ),
        Duration::from_secs(90),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = read_json(&json);
    assert_eq!(r["total"]["num_failures"], 0, "{}", r["failures"]);
    // Every user: an account, a file, a link and a user share, all removed on stop.
    for (method, name, want) in [
        ("POST", "/ocs/v2.php/cloud/users", users),
        ("DELETE", "/ocs/v2.php/cloud/users/[userid]", users),
        ("PUT", "/remote.php/dav/files/[user]/[file]", users),
        ("DELETE", "/remote.php/dav/files/[user]/[file]", users),
        ("POST", SHARES, 2 * users),
        (
            "DELETE",
            "/ocs/v2.php/apps/files_sharing/api/v1/shares/[id]",
            2 * users,
        ),
    ] {
        assert_eq!(row(&r, method, name), (want, 0), "{method} {name}");
    }
    // And the others used them: received lists, downloads through shares and links.
    for (method, name) in [
        (
            "GET",
            "/ocs/v2.php/apps/files_sharing/api/v1/shares?shared_with_me=true",
        ),
        ("GET", "/remote.php/dav/files/[user]/[shared file]"),
        ("GET", "/public.php/webdav/[link]"),
    ] {
        assert!(row(&r, method, name).0 > 0, "{method} {name} never ran");
    }
    assert!(
        sim.non_admin_users().is_empty(),
        "left: {:?}",
        sim.non_admin_users()
    );
    assert_eq!(sim.shares(), 0, "shares left behind");
}

#[test]
fn sigint_mid_run_still_removes_every_share_and_account() {
    let sim = TestSim::start();
    let dir = temp_dir("share-sigint");
    let json = dir.join("r.json");
    let mut child = share_run(
        &sim,
        &[
            "-u",
            "3",
            "-r",
            "20",
            "-t",
            "60s",
            "--wait",
            "50ms",
            "--json",
            json.to_str().unwrap(),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Three links and three user shares: everyone is up and has shared.
    wait_for("6 shares", Duration::from_secs(30), || sim.shares() == 6);
    kill(child.id(), "-INT");
    let status = wait_exit(
        &mut child,
        Duration::from_secs(30),
        "swarm to stop after SIGINT",
    );
    assert!(status.success(), "{status:?}");
    assert!(
        sim.non_admin_users().is_empty(),
        "left: {:?}",
        sim.non_admin_users()
    );
    assert_eq!(sim.shares(), 0, "shares left behind");
    let r = read_json(&json);
    assert_eq!(r["total"]["num_failures"], 0, "{}", r["failures"]);
    assert_eq!(
        row(&r, "DELETE", "/ocs/v2.php/cloud/users/[userid]"),
        (3, 0)
    );
}
