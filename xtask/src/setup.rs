//! What `cargo xtask test` needs besides Rust, installed before anything is built: the
//! tests drive a real headless Chromium (HTML report, web UI), run litmus (WebDAV
//! conformance) against owncloud-sim, start a real Prometheus (scrape and remote-write of
//! the outputs), and the Locust-source tests make a Python venv (`python3 -m venv`) to
//! install Locust into. As root with apt the missing
//! Debian packages are installed; otherwise it stops with the one command to run.

use anyhow::{Result, bail};
use std::process::Command;

/// (program on PATH, Debian package that brings it).
const NEEDED: &[(&str, &str)] = &[
    ("chromium", "chromium"),
    ("chromedriver", "chromium-driver"),
    ("litmus", "litmus"),
    ("prometheus", "prometheus"),
];

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Whether `python3 -m venv` can work: Debian ships `venv`'s pip bootstrap (`ensurepip`)
/// apart, in python3-venv, so python3 on PATH is not enough.
fn has_python_venv() -> bool {
    Command::new("python3")
        .args(["-c", "import ensurepip, venv"])
        .output()
        .is_ok_and(|out| out.status.success())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    #[allow(unsafe_code)]
    unsafe {
        libc::geteuid() == 0
    }
}

fn apt_get(args: &[&str]) -> Result<()> {
    let status = Command::new("apt-get")
        .args(["-o", "DPkg::Lock::Timeout=600"])
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()?;
    if !status.success() {
        bail!("`apt-get {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Installs what is missing, or says exactly what to run.
pub(crate) fn ensure_test_tools() -> Result<()> {
    let mut missing: Vec<&str> = NEEDED
        .iter()
        .filter(|(program, _)| !on_path(program))
        .map(|(_, package)| *package)
        .collect();
    if !has_python_venv() {
        missing.push("python3-venv");
    }
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !is_root() || !on_path("apt-get") {
        bail!(
            "the tests need {list}: run `sudo apt-get install -y {list}`, then `cargo xtask test` again"
        );
    }
    eprintln!("xtask: installing {list} (Debian packages the tests use)");
    apt_get(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(missing.iter().copied());
    apt_get(&install)
}
