//! Shared helpers for swarm's end-to-end tests: locating (and if needed building) the real
//! binaries, starting owncloud-sim (or the [`shop_api`] REST server) on 127.0.0.1, and running
//! `swarm` with a time bound.

pub mod hostile;
pub mod otlp_receiver;
pub mod prometheus;
pub mod shop_api;
pub mod stall;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A non-blocking listener on 127.0.0.1:`port` (0 for a free one), its address, and a
/// current-thread runtime for a test server to serve it on from a thread of its own.
pub fn local_listener(
    port: u16,
) -> std::io::Result<(
    std::net::TcpListener,
    std::net::SocketAddr,
    tokio::runtime::Runtime,
)> {
    let listener = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, port))?;
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok((listener, addr, runtime))
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

#[path = "../xtask/src/cargo_env.rs"]
mod cargo_env;

/// A `cargo` command without the test's own package variables (see `cargo_env`).
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    cargo_env::without_package_env(&mut cmd);
    cmd
}

/// Builds the workspace binaries and the examples the tests run once per test process
/// (cheap when `cargo xtask test` already did), so `cargo test` alone works too.
fn ensure_built() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let status = cargo()
            .args([
                "build",
                "--quiet",
                "-p",
                "swarm-cli",
                "-p",
                "owncloud-sim",
                "--bins",
            ])
            .args(["-p", "swarm", "-p", "owncloud-scenario", "--examples"])
            .current_dir(root())
            .status()
            .expect("cannot run cargo build");
        assert!(status.success(), "building the binaries failed");
    });
}

/// Path of a workspace binary (`swarm`, `owncloud-sim`) in the debug profile.
pub fn bin(name: &str) -> PathBuf {
    ensure_built();
    target_dir().join("debug").join(name)
}

/// Path of a workspace example (`shop`, `shop_accounts`, `seed`) in the debug profile.
pub fn example(name: &str) -> PathBuf {
    ensure_built();
    target_dir().join("debug").join("examples").join(name)
}

/// The target directory cargo builds into (shared by the tests' own builds).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// `program` with a clean environment: no `SWARM_*` variable leaks in from the developer's
/// shell.
pub fn clean_command(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("SWARM_") {
            cmd.env_remove(&key);
        }
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// A `swarm` command with a clean environment.
pub fn swarm() -> Command {
    clean_command(&bin("swarm"))
}

/// Runs `cmd` to completion, killing it after `limit` (a hung run is a failed test).
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot spawn");
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().expect("cannot poll child").is_some() {
            return child.wait_with_output().expect("cannot collect output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("cannot collect output");
            panic!(
                "command did not finish within {limit:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The python of a venv under the target dir holding `requirement` (e.g. `locust==2.47.0`),
/// made on first use: `python3 -m venv`, then pip from PyPI, into a scratch directory renamed
/// to `name` only once complete (so an interrupted install is never taken for a venv). Run
/// tools as `python -m MODULE`: pip's scripts name the scratch directory in their `#!` line.
pub fn pip_venv(name: &str, requirement: &str) -> PathBuf {
    let venv = target_dir().join(name);
    let python = venv.join("bin").join("python");
    if python.exists() {
        return python;
    }
    let scratch = target_dir().join(format!("{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let shown = |out: &Output| {
        format!(
            "stdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let made = run_bounded(
        Command::new("python3").args(["-m", "venv"]).arg(&scratch),
        Duration::from_secs(120),
    );
    assert!(
        made.status.success(),
        "python3 -m venv failed (this test needs python3 with venv):\n{}",
        shown(&made)
    );
    let installed = run_bounded(
        Command::new(scratch.join("bin").join("python"))
            .args(["-m", "pip", "install", "--disable-pip-version-check"])
            .args(["--no-input", "--quiet", requirement]),
        Duration::from_secs(600),
    );
    assert!(
        installed.status.success(),
        "pip install {requirement} failed (this test needs PyPI):\n{}",
        shown(&installed)
    );
    // Another test process may have won the race; its venv is as good as ours.
    if std::fs::rename(&scratch, &venv).is_err() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    assert!(python.exists(), "no {}", python.display());
    python
}

/// owncloud-sim running in-process on a free 127.0.0.1 port, on its own runtime thread.
pub struct TestSim {
    runtime: tokio::runtime::Runtime,
    sim: Option<owncloud_sim::Sim>,
}

impl TestSim {
    /// Starts a faithful simulator (admin/admin) with the given tweaks.
    pub fn start_with(configure: impl FnOnce(&mut owncloud_sim::SimConfig)) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("cannot build a runtime");
        let mut config = owncloud_sim::SimConfig::default();
        configure(&mut config);
        let sim = runtime
            .block_on(owncloud_sim::Sim::start(config))
            .expect("cannot start owncloud-sim");
        Self {
            runtime,
            sim: Some(sim),
        }
    }

    /// Starts a faithful simulator (admin/admin).
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    fn sim(&self) -> &owncloud_sim::Sim {
        self.sim.as_ref().expect("simulator stopped")
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.sim().url()
    }

    /// Every account, admin included, sorted.
    pub fn user_ids(&self) -> Vec<String> {
        self.sim().user_ids()
    }

    /// Shares (user shares and links) on the simulator now.
    pub fn shares(&self) -> usize {
        self.sim().shares()
    }

    /// Accounts other than the admin.
    pub fn non_admin_users(&self) -> Vec<String> {
        self.user_ids()
            .into_iter()
            .filter(|u| u != "admin")
            .collect()
    }
}

impl Drop for TestSim {
    fn drop(&mut self) {
        if let Some(sim) = self.sim.take() {
            self.runtime.block_on(sim.shutdown());
        }
    }
}

/// Reads a JSON report.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// A fresh temporary directory for one test's files.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("swarm-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("cannot create a temp dir");
    dir
}

/// Debian's Chromium, for the tests that look at pages as a person would; fails the test with
/// the command that installs it (`cargo xtask test` installs it itself).
pub fn chromium() -> PathBuf {
    find_installed(
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        "Chromium",
        "chromium chromium-driver",
    )
}

/// Debian's chromedriver (package `chromium-driver`), likewise.
pub fn chromedriver() -> PathBuf {
    find_installed(
        &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
        "chromedriver",
        "chromium chromium-driver",
    )
}

/// The first of `candidates` that exists; fails the test with the command that installs
/// `packages` (`cargo xtask test` installs them itself).
fn find_installed(candidates: &[&str], what: &str, packages: &str) -> PathBuf {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{what} is missing: install it with `apt-get install -y {packages}` (`cargo xtask test` does)")
        })
}
