//! `cargo xtask run owncloud [--script]`: the ownCloud scenario (or, with `--script`, the same
//! test as `examples/owncloud.js`), against owncloud-sim on a free loopback port unless
//! `--host` is given.

use crate::{cargo, root};
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

/// Defaults a first run wants; arguments given after them win (the CLI lets the last one win).
const DEFAULTS: &[&str] = &[
    "--headless",
    "-u",
    "10",
    "-r",
    "2",
    "-t",
    "30s",
    "--html",
    "swarm-report.html",
    "--json",
    "swarm-report.json",
];

/// The simulator, stopped when dropped.
struct Sim {
    child: Child,
    url: String,
}

impl Sim {
    fn start() -> Result<Self> {
        let bin = root().join("target/release/owncloud-sim");
        let mut child = Command::new(&bin)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            // Its own process group: the terminal's Ctrl-C must reach swarm (which then deletes
            // its accounts through the simulator), not kill the simulator under it.
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let stdout = child.stdout.take().context("owncloud-sim has no stdout")?;
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .context("cannot read owncloud-sim's address")?;
        let url = first.trim().to_owned();
        if !url.starts_with("http://127.") {
            let _ = child.kill();
            bail!("owncloud-sim printed `{url}` instead of its http://127.0.0.1:PORT address");
        }
        Ok(Self { child, url })
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        // SIGTERM first so it shuts down gracefully; it exits within a second.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn ignore_sigint() {
    // SAFETY: installing SIG_IGN for SIGINT has no preconditions; xtask must outlive swarm's
    // graceful shutdown to stop the simulator afterwards.
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
    }
}

pub(crate) fn owncloud(extra: &[&str]) -> Result<()> {
    cargo(&[
        "build",
        "--release",
        "-p",
        "swarm-cli",
        "-p",
        "owncloud-sim",
        "--bins",
    ])?;
    let has_host = extra
        .iter()
        .any(|a| *a == "-H" || *a == "--host" || a.starts_with("--host="));
    let sim = if has_host { None } else { Some(Sim::start()?) };
    // `--script` is xtask's own: run the shipped script instead of the Rust scenario.
    let script = extra.contains(&"--script");
    let extra: Vec<&str> = extra.iter().copied().filter(|a| *a != "--script").collect();
    let scenario = if script {
        root().join("examples/owncloud.js").display().to_string()
    } else {
        "owncloud".to_owned()
    };
    let mut cmd = Command::new(root().join("target/release/swarm"));
    cmd.args(["run", &scenario]).args(DEFAULTS);
    if let Some(sim) = &sim {
        println!("owncloud-sim is serving {}", sim.url);
        cmd.args(["--host", &sim.url]);
        // The simulator's admin password, unless the caller chose one.
        if std::env::var_os("SWARM_ADMIN_PASSWORD").is_none() {
            cmd.env("SWARM_ADMIN_PASSWORD", "admin");
        }
    }
    cmd.args(&extra);
    let mut swarm = cmd.spawn().context("cannot run swarm")?;
    // Only now: an ignored signal would be inherited by swarm.
    ignore_sigint();
    let status = swarm.wait().context("cannot wait for swarm")?;
    drop(sim);
    match status.code() {
        Some(0) => Ok(()),
        Some(code) => std::process::exit(code),
        None => bail!("swarm was killed ({status})"),
    }
}
