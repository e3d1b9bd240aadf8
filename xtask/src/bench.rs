//! `cargo xtask bench`: numbers that are compared, not asserted.
//!
//! `core` measures swarm-core's recording path with no I/O. `http` measures swarm against a
//! peer in the same run on the same server, each pinned to its own CPU (server on 0,
//! generator on 1), and prints one table: `get` against wrk (13 B at 32 and 1000
//! connections, 64 KiB at 32) and against the hyper floor (hyper's client alone, the
//! `swarm-http` example `hyper_floor`), 10,000 users against Locust and wrk (time until all run,
//! against the schedule; peak RSS), the same GET as a JavaScript script against the Rust
//! scenario (CPU per request at 32 users, peak RSS at 10,000), a GET+PUT task set against
//! Locust, and the ownCloud
//! scenario on owncloud-sim against Locust running the seed's locustfile. Binaries come
//! from `$CARGO_TARGET_DIR` (default `target/`); Locust 2.47 is installed into a venv there.

use crate::{cargo, root};
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn core(extra: &[&str]) -> Result<()> {
    cargo(&[
        "build",
        "--release",
        "-p",
        "swarm-core",
        "--example",
        "core_bench",
    ])?;
    let bin = release_dir().join("examples/core_bench");
    for threads in ["1", "2"] {
        let status = Command::new(&bin)
            .args(["--threads", threads])
            .args(extra)
            .status()
            .context("cannot run core_bench")?;
        if !status.success() {
            bail!("core_bench failed ({status})");
        }
    }
    Ok(())
}

/// Where cargo puts release builds: `$CARGO_TARGET_DIR/release`, else `target/release`.
fn release_dir() -> PathBuf {
    target_dir().join("release")
}

/// `$CARGO_TARGET_DIR` (relative to the workspace root when relative), else `target`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root().join(dir),
        _ => root().join("target"),
    }
}

/// Tools missing from `PATH`; installed with apt-get when running as root, else an error.
fn require(tools: &[&str]) -> Result<()> {
    let missing = missing(tools);
    if missing.is_empty() {
        return Ok(());
    }
    if is_root() {
        eprintln!("installing {}", missing.join(", "));
        let status = Command::new("apt-get")
            .args([
                "install",
                "-y",
                "nginx",
                "wrk",
                "time",
                "util-linux",
                "python3-venv",
                "valgrind",
            ])
            .stdout(Stdio::null())
            .status()
            .context("cannot run apt-get")?;
        if !status.success() {
            bail!("apt-get install failed ({status})");
        }
    }
    let missing = self::missing(tools);
    if !missing.is_empty() {
        bail!(
            "missing {}: install with `apt-get install -y nginx wrk time util-linux python3-venv valgrind`",
            missing.join(", ")
        );
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn missing<'a>(tools: &[&'a str]) -> Vec<&'a str> {
    tools
        .iter()
        .copied()
        .filter(|t| {
            !Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .collect()
}

/// nginx on 127.0.0.1, one worker pinned to CPU 0, stopped when dropped.
struct Nginx {
    child: Child,
    port: u16,
}

const NGINX_CONF: &str = r#"worker_processes 1;
worker_cpu_affinity 01;
worker_rlimit_nofile 20000;
daemon off;
master_process on;
pid @ROOT@/nginx.pid;
error_log @ROOT@/error.log warn;
events { worker_connections 16384; multi_accept on; }
http {
    access_log off; sendfile on; tcp_nopush on; tcp_nodelay on;
    keepalive_timeout 120s; keepalive_requests 100000000;
    default_type application/octet-stream;
    client_body_temp_path @ROOT@/tmp; proxy_temp_path @ROOT@/tmp; fastcgi_temp_path @ROOT@/tmp;
    uwsgi_temp_path @ROOT@/tmp; scgi_temp_path @ROOT@/tmp;
    server {
        listen 127.0.0.1:@PORT@ backlog=4096; root @ROOT@/www;
        # The GET+PUT task set's write; nginx's static module refuses PUT, so answer here.
        location = /put { client_max_body_size 64k; return 200 "ok\n"; }
    }
}
"#;

impl Nginx {
    fn start(dir: &Path) -> Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        std::fs::create_dir_all(dir.join("www"))?;
        std::fs::create_dir_all(dir.join("tmp"))?;
        std::fs::write(dir.join("www/tiny.txt"), "Hello, world\n")?;
        std::fs::write(dir.join("www/64k.bin"), vec![b'x'; 65_536])?;
        let conf = NGINX_CONF
            .replace("@ROOT@", &dir.display().to_string())
            .replace("@PORT@", &port.to_string());
        std::fs::write(dir.join("nginx.conf"), conf)?;
        let child = Command::new("taskset")
            .args(["-c", "0", "nginx", "-p"])
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .spawn()
            .context("cannot start nginx")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("nginx did not listen on 127.0.0.1:{port} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self { child, port })
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// The ownCloud simulator on 127.0.0.1, one worker thread pinned to CPU 0, stopped when dropped.
struct Sim {
    child: Child,
    url: String,
}

impl Sim {
    fn start() -> Result<Self> {
        let mut child = Command::new("taskset")
            .args(["-c", "0"])
            .arg(release_dir().join("owncloud-sim"))
            .args(["--port", "0", "--threads", "1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start owncloud-sim")?;
        let mut first = String::new();
        if let Some(out) = child.stdout.take() {
            BufReader::new(out).read_line(&mut first)?;
        }
        let url = first.trim().to_owned();
        if !url.starts_with("http://127.0.0.1:") {
            let _ = child.kill();
            bail!("owncloud-sim printed `{url}` instead of its URL");
        }
        Ok(Self { child, url })
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One generator run, as measured from outside: CPU seconds (user+sys, whole process), peak
/// RSS, requests completed, and when it said all users run.
#[derive(Debug, Clone, Copy)]
struct Measure {
    cpu_s: f64,
    rss_mib: f64,
    requests: f64,
    /// Seconds from exec until the generator logged that all users run.
    ready_s: Option<f64>,
}

/// A command to measure: argv, extra environment, and the log line that means "all running".
struct Cmd {
    argv: Vec<String>,
    env: Vec<(String, String)>,
    ready_marker: Option<&'static str>,
}

impl Cmd {
    fn new(argv: &[&str]) -> Self {
        Self {
            argv: argv.iter().map(|s| (*s).to_owned()).collect(),
            env: Vec::new(),
            ready_marker: None,
        }
    }
    fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }
    fn ready_at(mut self, marker: &'static str) -> Self {
        self.ready_marker = Some(marker);
        self
    }
}

/// What a run left behind: its output (stdout and stderr, lines interleaved per stream).
struct Output {
    cpu_s: f64,
    rss_mib: f64,
    stdout: String,
    ready_s: Option<f64>,
}

/// Collects one stream's lines; notes when the first line holding `marker` arrived.
fn collect(
    stream: impl std::io::Read + Send + 'static,
    marker: Option<&'static str>,
    started: Instant,
) -> std::thread::JoinHandle<(String, Option<f64>)> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let mut ready = None;
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if ready.is_none() && marker.is_some_and(|m| line.contains(m)) {
                ready = Some(started.elapsed().as_secs_f64());
            }
            text.push_str(&line);
            text.push('\n');
        }
        (text, ready)
    })
}

/// Runs `cmd` pinned to CPU 1 under GNU time, killed after `limit`.
fn timed(cmd: &Cmd, dir: &Path, limit: Duration) -> Result<Output> {
    let time_file = dir.join("time.out");
    let _ = std::fs::remove_file(&time_file);
    let started = Instant::now();
    let mut child = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%U %S %M")
        .arg("-o")
        .arg(&time_file)
        .args(["taskset", "-c", "1"])
        .args(&cmd.argv)
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", cmd.argv.join(" ")))?;
    let out = child
        .stdout
        .take()
        .map(|s| collect(s, cmd.ready_marker, started));
    let err = child
        .stderr
        .take()
        .map(|s| collect(s, cmd.ready_marker, started));
    // Bounded: a generator that hangs is killed (GNU time reports what it used until then).
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if started.elapsed() > limit {
            eprintln!("warning: killing {} after {limit:?}", cmd.argv.join(" "));
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let join = |h: Option<std::thread::JoinHandle<(String, Option<f64>)>>| {
        h.and_then(|h| h.join().ok()).unwrap_or_default()
    };
    let (stdout, ready_out) = join(out);
    let (stderr, ready_err) = join(err);
    std::fs::write(dir.join("last.stderr"), &stderr)?;
    let text = std::fs::read_to_string(&time_file)
        .with_context(|| format!("no GNU time output for {}", cmd.argv.join(" ")))?;
    let nums: Vec<f64> = text
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    if nums.len() != 3 {
        bail!(
            "cannot read GNU time's output `{text}` for {}\n{stderr}",
            cmd.argv.join(" ")
        );
    }
    Ok(Output {
        cpu_s: nums[0] + nums[1],
        rss_mib: nums[2] / 1024.0,
        stdout,
        ready_s: ready_out.or(ready_err),
    })
}

/// Requests wrk made, from its "  123456 requests in 5.00s, 1.2MB read" line.
fn wrk_requests(stdout: &str) -> Result<f64> {
    stdout
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("cannot find the request count in wrk's output:\n{stdout}"))
}

/// Requests the hyper floor made, from its `requests: N` line.
fn floor_requests(stdout: &str) -> Result<f64> {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("requests: "))
        .and_then(|n| n.trim().parse().ok())
        .with_context(|| format!("hyper_floor printed no request count:\n{stdout}"))
}

/// Requests (and failures) in swarm's JSON report at `json`.
fn report_requests(json: &Path) -> Result<(f64, f64)> {
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(json)
            .with_context(|| format!("swarm wrote no report to {}", json.display()))?,
    )?;
    let requests = report["total"]["num_requests"]
        .as_f64()
        .context("swarm's JSON report has no total.num_requests")?;
    Ok((
        requests,
        report["total"]["num_failures"].as_f64().unwrap_or(0.0),
    ))
}

/// argv of a swarm-built binary's run: `args` after the binary (and its subcommand), then the
/// flags every measured run shares (headless, one thread, a JSON report at `json`).
fn swarm_argv(bin: &Path, args: &[&str], secs: u64, json: &Path) -> Vec<String> {
    let mut argv = vec![bin.display().to_string()];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    argv.extend(
        [
            "-t",
            &format!("{secs}s"),
            "--headless",
            "--threads",
            "1",
            "--only-summary",
            "--json",
            &json.display().to_string(),
        ]
        .map(str::to_owned),
    );
    argv
}

fn wrk_argv(url: &str, conns: u32, secs: u64) -> Vec<String> {
    [
        "wrk",
        "-t1",
        &format!("-c{conns}"),
        &format!("-d{secs}s"),
        url,
    ]
    .map(str::to_owned)
    .to_vec()
}

fn floor_argv(bin: &Path, url: &str, conns: u32, secs: u64) -> Vec<String> {
    vec![
        bin.display().to_string(),
        url.to_owned(),
        conns.to_string(),
        secs.to_string(),
    ]
}

fn wrk(url: &str, conns: u32, secs: u64, dir: &Path) -> Result<Measure> {
    peer(&wrk_argv(url, conns, secs), wrk_requests, secs, dir)
}

/// The hyper floor (`crates/swarm-http/examples/hyper_floor.rs`): hyper's client alone, in
/// swarm's runtime shape, with nothing recorded.
fn hyper_floor(bin: &Path, url: &str, conns: u32, secs: u64, dir: &Path) -> Result<Measure> {
    peer(
        &floor_argv(bin, url, conns, secs),
        floor_requests,
        secs,
        dir,
    )
}

/// A peer's run of `secs` seconds, its requests read from its output by `requests`.
fn peer(
    argv: &[String],
    requests: fn(&str) -> Result<f64>,
    secs: u64,
    dir: &Path,
) -> Result<Measure> {
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let out = timed(&Cmd::new(&argv), dir, Duration::from_secs(secs + 30))?;
    Ok(Measure {
        cpu_s: out.cpu_s,
        rss_mib: out.rss_mib,
        requests: requests(&out.stdout)?,
        ready_s: None,
    })
}

/// User-space instructions per request of one generator, from valgrind's callgrind (counted,
/// not timed, so far steadier than CPU seconds on a shared VM): the difference between a
/// `short` and a `long` run, so start-up and shutdown cancel out. Work done per second rather
/// than per request (swarm's stats tick) still counts, spread over the requests of that
/// second, so a slower machine shows a somewhat higher figure.
/// `run(secs)` gives the argv for a run of `secs` seconds and `requests(stdout)` its count.
fn instructions_per_request(
    run: &dyn Fn(u64) -> Vec<String>,
    requests: &dyn Fn(&str) -> Result<f64>,
    dir: &Path,
) -> Result<f64> {
    let (short, long) = (3, 6);
    let mut points = Vec::new();
    for secs in [short, long] {
        let out_file = dir.join("callgrind.out");
        let argv = run(secs);
        let out = Command::new("valgrind")
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", out_file.display()))
            .args(&argv)
            .stderr(Stdio::null())
            .output()
            .with_context(|| format!("cannot run valgrind {}", argv.join(" ")))?;
        let profile = std::fs::read_to_string(&out_file)
            .with_context(|| format!("callgrind wrote no profile for {}", argv.join(" ")))?;
        let total: f64 = profile
            .lines()
            .find_map(|l| {
                l.strip_prefix("totals: ")
                    .or_else(|| l.strip_prefix("summary: "))
            })
            .and_then(|n| n.trim().parse().ok())
            .context("callgrind's profile has no totals line")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        points.push((total, requests(&stdout)?));
    }
    let (i0, r0) = points[0];
    let (i1, r1) = points[1];
    if r1 <= r0 {
        bail!("the {long} s run under callgrind made no more requests than the {short} s one");
    }
    Ok((i1 - i0) / (r1 - r0))
}

/// A swarm-built binary's run with a JSON report; `args` come after the binary (and its
/// subcommand), the common flags are added here.
fn swarm(
    bin: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    secs: u64,
    dir: &Path,
) -> Result<Measure> {
    let json = dir.join("swarm.json");
    let _ = std::fs::remove_file(&json);
    let argv = swarm_argv(bin, args, secs, &json);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let mut cmd = Cmd::new(&argv).ready_at("All users spawned");
    for (k, v) in env {
        cmd = cmd.env(k, v);
    }
    let out = timed(&cmd, dir, Duration::from_secs(secs + 60))?;
    let (requests, failures) = report_requests(&json)?;
    if failures > 0.0 {
        eprintln!(
            "warning: swarm recorded {failures} failures ({})",
            args.join(" ")
        );
    }
    Ok(Measure {
        cpu_s: out.cpu_s,
        rss_mib: out.rss_mib,
        requests,
        ready_s: out.ready_s,
    })
}

/// A Locust run of `file`'s `class` with a JSON report (requests summed over its rows).
#[allow(clippy::too_many_arguments)] // one call site per case; a struct would only rename them
fn locust(
    venv: &Path,
    file: &Path,
    class: &str,
    host: &str,
    users: u32,
    rate: u32,
    secs: u64,
    env: &[(&str, &str)],
    dir: &Path,
) -> Result<Measure> {
    let tag = dir.join("locust");
    let json = dir.join("locust.json");
    let _ = std::fs::remove_file(&json);
    let bin = venv.join("bin/locust").display().to_string();
    let (file, tag) = (file.display().to_string(), tag.display().to_string());
    let (u, r, t) = (users.to_string(), rate.to_string(), format!("{secs}s"));
    let mut cmd = Cmd::new(&[
        &bin,
        "-f",
        &file,
        "--headless",
        "-u",
        &u,
        "-r",
        &r,
        "-t",
        &t,
        "-H",
        host,
        "--json-file",
        &tag,
        "--only-summary",
        "--stop-timeout",
        "10",
        "--exit-code-on-error",
        "0",
        class,
    ])
    .ready_at("All users spawned");
    for (k, v) in env {
        cmd = cmd.env(k, v);
    }
    let out = timed(&cmd, dir, Duration::from_secs(secs + 60))?;
    let rows: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&json).context("Locust wrote no JSON report")?,
    )?;
    let requests: f64 = rows
        .as_array()
        .context("Locust's JSON report is not a list")?
        .iter()
        .filter_map(|r| r["num_requests"].as_f64())
        .sum();
    Ok(Measure {
        cpu_s: out.cpu_s,
        rss_mib: out.rss_mib,
        requests,
        ready_s: out.ready_s,
    })
}

/// The Locust venv under the target dir, made (pip install locust==2.47.0) when missing.
fn locust_venv() -> Result<PathBuf> {
    let venv = target_dir().join("bench/locust-venv");
    let python = venv.join("bin/python");
    let version = Command::new(&python)
        .args(["-c", "import locust; print(locust.__version__)"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if version.as_deref() == Some(LOCUST_VERSION) {
        return Ok(venv);
    }
    eprintln!("installing Locust {LOCUST_VERSION} into {}", venv.display());
    std::fs::create_dir_all(&venv)?;
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .context("cannot run python3 -m venv (apt-get install python3-venv)")?;
    if !status.success() {
        bail!("python3 -m venv failed ({status})");
    }
    let status = Command::new(venv.join("bin/pip"))
        .args(["install", "-q", &format!("locust=={LOCUST_VERSION}")])
        .status()
        .context("cannot run pip")?;
    if !status.success() {
        bail!("pip install locust=={LOCUST_VERSION} failed ({status})");
    }
    Ok(venv)
}

const LOCUST_VERSION: &str = "2.47.0";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Medians of one generator's runs of one case.
#[derive(Debug, Clone, Copy)]
struct Figures {
    us_per_req: f64,
    rss_mib: f64,
    rps: f64,
    ready_s: Option<f64>,
}

impl Figures {
    fn of(runs: &[Measure], secs: u64) -> Self {
        let ready: Vec<f64> = runs.iter().filter_map(|m| m.ready_s).collect();
        Self {
            us_per_req: median(runs.iter().map(|m| m.cpu_s * 1e6 / m.requests).collect()),
            rss_mib: median(runs.iter().map(|m| m.rss_mib).collect()),
            rps: median(runs.iter().map(|m| m.requests / secs as f64).collect()),
            ready_s: (!ready.is_empty()).then(|| median(ready)),
        }
    }
}

/// One line of the table: a case, swarm's figures and one peer's.
struct Row {
    case: &'static str,
    peer: &'static str,
    p: Figures,
    s: Figures,
    /// What the case is judged by, shown last.
    verdict: String,
}

fn fmt_ready(r: Option<f64>) -> String {
    r.map_or("-".to_owned(), |r| format!("{r:.1}"))
}

fn print_row(r: &Row) {
    println!(
        "{:<16} {:<14} {:>9.2} {:>8.1} {:>9.0} {:>7} | {:>9.2} {:>8.1} {:>9.0} {:>7} | {:>6.2} {:>6.2} | {}",
        r.case,
        r.peer,
        r.p.us_per_req,
        r.p.rss_mib,
        r.p.rps,
        fmt_ready(r.p.ready_s),
        r.s.us_per_req,
        r.s.rss_mib,
        r.s.rps,
        fmt_ready(r.s.ready_s),
        r.s.us_per_req / r.p.us_per_req,
        r.s.rss_mib / r.p.rss_mib,
        r.verdict
    );
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn mark(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}

pub(crate) fn http(extra: &[&str]) -> Result<()> {
    require(&["nginx", "wrk", "taskset", "/usr/bin/time", "python3"])?;
    let secs: u64 = env_or("BENCH_SECONDS", 5);
    let reps: usize = env_or("BENCH_REPS", 3);
    let only = extra.first().copied().unwrap_or("");
    cargo(&[
        "build",
        "--release",
        "-p",
        "swarm-cli",
        "--bin",
        "swarm",
        "-p",
        "owncloud-sim",
        "--bin",
        "owncloud-sim",
        "-p",
        "swarm-scenarios",
        "--example",
        "bench_getput",
        "-p",
        "swarm-http",
        "--example",
        "hyper_floor",
    ])?;
    let swarm_bin = release_dir().join("swarm");
    let getput_bin = release_dir().join("examples/bench_getput");
    let floor_bin = release_dir().join("examples/hyper_floor");
    let venv = locust_venv()?;
    let dir: PathBuf =
        std::env::temp_dir().join(format!("swarm-bench-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let locust_file = |name: &str, text: &str| -> Result<PathBuf> {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        Ok(path)
    };
    let lf_get = locust_file("locust_get.py", include_str!("../bench/locust_get.py"))?;
    let lf_getput = locust_file(
        "locust_getput.py",
        include_str!("../bench/locust_getput.py"),
    )?;
    let lf_owncloud = locust_file(
        "locust_owncloud.py",
        include_str!("../bench/locust_owncloud.py"),
    )?;
    let nginx = Nginx::start(&dir)?;
    let base = format!("http://127.0.0.1:{}", nginx.port);
    println!(
        "nginx/owncloud-sim on CPU 0, generators on CPU 1 (one thread), {secs} s per run, \
         {reps} interleaved reps (10,000-user and ownCloud cases: 1), medians.\n\
         µs/req = generator CPU (user+sys, whole process) per request; MiB = peak RSS; \
         ready s = exec until the generator logged all users running.\n"
    );
    println!(
        "{:<16} {:<14} {:>9} {:>8} {:>9} {:>7} | {:>9} {:>8} {:>9} {:>7} | {:>6} {:>6} | target",
        "case",
        "peer",
        "µs/req",
        "MiB",
        "req/s",
        "ready s",
        "swarm µs",
        "MiB",
        "req/s",
        "ready s",
        "CPU ×",
        "RSS ×"
    );
    let runs = |n: usize, mut f: Box<dyn FnMut() -> Result<(Measure, Measure)> + '_>| {
        let (mut p, mut s) = (Vec::new(), Vec::new());
        for _ in 0..n {
            let (a, b) = f()?;
            p.push(a);
            s.push(b);
        }
        anyhow::Ok((p, s))
    };
    // swarm's `get` against wrk: the CPU targets, and the 1,000-user memory target.
    for (case, path, conns, target) in [
        ("tiny-c32", "/tiny.txt", 32u32, 1.2),
        ("tiny-c1000", "/tiny.txt", 1000, 1.2),
        ("64k-c32", "/64k.bin", 32, 1.0),
    ] {
        if !case.contains(only) {
            continue;
        }
        let url = format!("{base}{path}");
        let users = conns.to_string();
        let mut floor = Vec::new();
        let (p, s) = runs(
            reps,
            Box::new(|| {
                floor.push(hyper_floor(&floor_bin, &url, conns, secs, &dir)?);
                Ok((
                    wrk(&url, conns, secs, &dir)?,
                    swarm(
                        &swarm_bin,
                        &[
                            "run",
                            "get",
                            "--host",
                            &url,
                            "-u",
                            &users,
                            "-r",
                            "1000000",
                            "--loglevel",
                            "warn",
                        ],
                        &[],
                        secs,
                        &dir,
                    )?,
                ))
            }),
        )?;
        let (p, s) = (Figures::of(&p, secs), Figures::of(&s, secs));
        let ratio = s.us_per_req / p.us_per_req;
        let mut verdict = format!("CPU × <= {target} {}", mark(ratio <= target));
        if conns == 1000 {
            verdict.push_str(&format!("; MiB <= 32 {}", mark(s.rss_mib <= 32.0)));
        }
        print_row(&Row {
            case,
            peer: "wrk",
            p,
            s,
            verdict,
        });
        let floor = Figures::of(&floor, secs);
        print_row(&Row {
            case,
            peer: "hyper floor",
            p: floor,
            s,
            verdict: format!(
                "hyper alone is {:.2}× wrk; the rest is swarm's",
                floor.us_per_req / p.us_per_req
            ),
        });
    }
    // The same 13 B GET at 32 connections counted in instructions: steadier than CPU seconds
    // on a shared VM (user space only; the kernel's part is not counted).
    if "instr-c32".contains(only) {
        require(&["valgrind"])?;
        let url = format!("{base}/tiny.txt");
        let json = dir.join("instr.json");
        let get = [
            "run",
            "get",
            "--host",
            &url,
            "-u",
            "32",
            "-r",
            "1000000",
            "--loglevel",
            "warn",
        ];
        let swarm_run = |secs: u64| swarm_argv(&swarm_bin, &get, secs, &json);
        let swarm_requests = |_: &str| report_requests(&json).map(|(requests, _)| requests);
        let floor_run = |secs: u64| {
            vec![
                floor_bin.display().to_string(),
                url.clone(),
                "32".to_owned(),
                secs.to_string(),
            ]
        };
        let wrk_run = |secs: u64| {
            ["wrk", "-t1", "-c32", &format!("-d{secs}s"), &url]
                .map(str::to_owned)
                .to_vec()
        };
        let s = instructions_per_request(&swarm_run, &swarm_requests, &dir)?;
        let f = instructions_per_request(&floor_run, &floor_requests, &dir)?;
        let w = instructions_per_request(&wrk_run, &wrk_requests, &dir)?;
        println!(
            "{:<16} user-space instructions per request (callgrind): wrk {w:.0}, hyper floor \
             {f:.0}, swarm {s:.0} (swarm/floor {:.2}, floor/wrk {:.2})",
            "instr-c32",
            s / f,
            f / w
        );
    }
    // 10,000 users: seconds until all run against the schedule (N/R), and peak RSS.
    let big_secs = 12;
    for (case, rate) in [("c10000-r2000", 2000u32), ("c10000-r10000", 10_000)] {
        if !case.contains(only) {
            continue;
        }
        let url = format!("{base}/tiny.txt");
        let r = rate.to_string();
        let s = swarm(
            &swarm_bin,
            &["run", "get", "--host", &url, "-u", "10000", "-r", &r],
            &[],
            big_secs,
            &dir,
        )?;
        let l = locust(
            &venv,
            &lf_get,
            "GetFastHttpUser",
            &base,
            10_000,
            rate,
            big_secs,
            &[("BENCH_PATH", "/tiny.txt")],
            &dir,
        )?;
        let w = wrk(&url, 10_000, 8, &dir)?;
        let schedule = 10_000.0 / f64::from(rate);
        let ready = s.ready_s.unwrap_or(f64::INFINITY);
        let verdict = format!(
            "ready <= {schedule:.0} s + start-up {}; MiB <= 120 {}",
            mark(ready <= schedule + 0.5),
            mark(s.rss_mib <= 120.0)
        );
        let s = Figures::of(&[s], big_secs);
        print_row(&Row {
            case,
            peer: "Locust Fast",
            p: Figures::of(&[l], big_secs),
            s,
            verdict,
        });
        print_row(&Row {
            case,
            peer: "wrk -c10000",
            p: Figures::of(&[w], 8),
            s,
            verdict: "memory only".to_owned(),
        });
        let floor = hyper_floor(&floor_bin, &url, 10_000, big_secs, &dir)?;
        print_row(&Row {
            case,
            peer: "hyper floor",
            p: Figures::of(&[floor], big_secs),
            s,
            verdict: "memory: hyper's 10,000 connections alone".to_owned(),
        });
    }
    // The same GET task as a JavaScript script and as the Rust `get` scenario: CPU per
    // request at 32 users, and peak RSS of 10,000 users (one engine context per thread).
    let js_get = dir.join("js_get.js");
    std::fs::write(&js_get, include_str!("../bench/js_get.js"))?;
    let js_get = js_get.display().to_string();
    for (case, users, rate) in [
        ("js-c32", 32u32, 1_000_000u32),
        ("js-c10000", 10_000, 10_000),
    ] {
        if !case.contains(only) {
            continue;
        }
        let (u, r) = (users.to_string(), rate.to_string());
        let url = format!("{base}/tiny.txt");
        let n = if users == 32 { reps } else { 1 };
        let case_secs = if users == 32 { secs } else { big_secs };
        let (p, s) = runs(
            n,
            Box::new(|| {
                let common = ["-u", &u, "-r", &r, "--loglevel", "warn"];
                let rust = [&["run", "get", "--host", &url][..], &common].concat();
                let script = [&["run", &js_get, "--host", &base][..], &common].concat();
                Ok((
                    swarm(&swarm_bin, &rust, &[], case_secs, &dir)?,
                    swarm(&swarm_bin, &script, &[], case_secs, &dir)?,
                ))
            }),
        )?;
        let (p, s) = (Figures::of(&p, case_secs), Figures::of(&s, case_secs));
        let verdict = if users == 32 {
            format!("CPU × <= 2 {}", mark(s.us_per_req / p.us_per_req <= 2.0))
        } else {
            "memory side by side".to_owned()
        };
        print_row(&Row {
            case,
            peer: "Rust get",
            p,
            s,
            verdict,
        });
    }
    // A GET+PUT task set with 32 users against the same set in Locust (FastHttpUser).
    if "getput-c32".contains(only) {
        let (p, s) = runs(
            reps,
            Box::new(|| {
                Ok((
                    locust(
                        &venv,
                        &lf_getput,
                        "GetPutFastHttpUser",
                        &base,
                        32,
                        32,
                        secs,
                        &[],
                        &dir,
                    )?,
                    swarm(
                        &getput_bin,
                        &[
                            "-H",
                            &base,
                            "-u",
                            "32",
                            "-r",
                            "1000000",
                            "--loglevel",
                            "warn",
                        ],
                        &[],
                        secs,
                        &dir,
                    )?,
                ))
            }),
        )?;
        print_row(&Row {
            case: "getput-c32",
            peer: "Locust Fast",
            p: Figures::of(&p, secs),
            s: Figures::of(&s, secs),
            verdict: "compared".to_owned(),
        });
    }
    drop(nginx);
    // The ownCloud scenario on owncloud-sim against the seed's locustfile on a fresh simulator.
    if "owncloud-u500".contains(only) {
        let oc_secs = 15;
        let p = {
            let sim = Sim::start()?;
            locust(
                &venv,
                &lf_owncloud,
                "User",
                &sim.url,
                500,
                100,
                oc_secs,
                &[],
                &dir,
            )?
        };
        let s = {
            let sim = Sim::start()?;
            swarm(
                &swarm_bin,
                &[
                    "run", "owncloud", "--host", &sim.url, "-u", "500", "-r", "100",
                ],
                &[("SWARM_ADMIN_PASSWORD", "admin")],
                oc_secs,
                &dir,
            )?
        };
        print_row(&Row {
            case: "owncloud-u500",
            peer: "Locust seed",
            p: Figures::of(&[p], oc_secs),
            s: Figures::of(&[s], oc_secs),
            verdict: "compared".to_owned(),
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
