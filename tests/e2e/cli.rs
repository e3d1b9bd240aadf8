//! Command-line behaviour: flags, config, bad input, reports, thresholds.

mod browser;
mod config;
mod html;
mod reports;
mod secrets;
mod thresholds;
mod usage;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;
use swarm_tests::{TestSim, run_bounded, swarm};

/// `swarm run get` headless against `url` with 2 users at 100/s: the base every CLI test
/// adds its own flags to.
pub(crate) fn get_cmd(url: &str) -> Command {
    let mut cmd = swarm();
    cmd.args([
        "run",
        "get",
        "--headless",
        "-u",
        "2",
        "-r",
        "100",
        "--host",
        url,
    ]);
    cmd
}

/// Runs `swarm run get` against `url` with `extra` flags, headless, bounded in time.
pub(crate) fn run_get(url: &str, secs: u32, extra: &[&str]) -> Output {
    run_bounded(
        get_cmd(url)
            .arg("--only-summary")
            .args(["-t", &format!("{secs}s")])
            .args(extra),
        Duration::from_secs(u64::from(secs) + 60),
    )
}

/// A path as a flag value.
pub(crate) fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

/// The simulator's URL for `path`.
pub(crate) fn url(sim: &TestSim, path: &str) -> String {
    format!("{}{path}", sim.url())
}

/// stdout and stderr of a finished command, for failure messages.
pub(crate) fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
