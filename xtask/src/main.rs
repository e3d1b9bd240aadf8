//! `cargo xtask`: developer automation for swarm (run, test, bench, tidy), as rust-analyzer
//! does it: plain Rust instead of shell scripts, wired through `.cargo/config.toml`.

mod bench;
// Shared with the e2e harness (tests/lib.rs) by path: one rule for a clean nested cargo.
#[path = "cargo_env.rs"]
mod cargo_env;
mod run;
mod setup;
#[cfg(test)]
mod tidy;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  run owncloud [SWARM ARGS...]   run the ownCloud scenario (against owncloud-sim unless --host is given)
  run owncloud --script [ARGS]  the same with examples/owncloud.js, the scenario as a script
  test                           build the binaries and run every test (what CI runs)
  bench core                     recorded events per second per core, 1 and 2 worker threads
  bench http [CASE]              swarm vs wrk/Locust in one table: CPU µs/request, peak RSS, 10,000 users, GET+PUT, ownCloud
  tidy                           the repository's own rules (also run by `cargo xtask test`)";

fn main() {
    if let Err(e) = real_main() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["run", "owncloud", rest @ ..] => run::owncloud(rest),
        ["run", other, ..] => {
            bail!("unknown scenario `{other}` for xtask run: try `cargo xtask run owncloud`")
        }
        ["test", rest @ ..] => test(rest),
        ["bench", "core", rest @ ..] => bench::core(rest),
        ["bench", "http", rest @ ..] => bench::http(rest),
        ["bench", ..] => {
            bail!("say which benchmark: `cargo xtask bench core` or `cargo xtask bench http`")
        }
        ["tidy"] => cargo(&["test", "-p", "xtask", "--", "tidy"]),
        ["help" | "--help" | "-h"] | [] => {
            println!("{USAGE}");
            Ok(())
        }
        [other, ..] => bail!("unknown xtask command `{other}`\n\n{USAGE}"),
    }
}

/// The workspace root (xtask lives one level below it).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs cargo (the same one that runs xtask) in the workspace root.
pub(crate) fn cargo(args: &[&str]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(&cargo);
    cargo_env::without_package_env(&mut cmd);
    let status = cmd
        .args(args)
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot run {cargo}"))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Installs the test tools when missing, builds every binary and example first (end-to-end
/// tests drive the real `swarm`, `owncloud-sim` and the examples), then runs every test of
/// the workspace, tidy included.
fn test(extra: &[&str]) -> Result<()> {
    setup::ensure_test_tools()?;
    cargo(&["build", "--workspace", "--bins", "--examples"])?;
    let mut args = vec!["test", "--workspace"];
    args.extend_from_slice(extra);
    cargo(&args)
}
