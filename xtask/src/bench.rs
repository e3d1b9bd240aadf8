//! `cargo xtask bench`: numbers that are compared, not asserted.
//!
//! `core` measures swarm-core's recording path with no I/O; `http` measures swarm's `get`
//! scenario against wrk in the same run, on the same nginx, each pinned to its own CPU.

use crate::{cargo, root};
use anyhow::{Context, Result, bail};
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
    let bin = root().join("target/release/examples/core_bench");
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

fn require(tools: &[&str]) -> Result<()> {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| {
            !Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .collect();
    if !missing.is_empty() {
        bail!(
            "missing {}: install with `apt-get install -y nginx wrk time util-linux`",
            missing.join(", ")
        );
    }
    Ok(())
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
    server { listen 127.0.0.1:@PORT@ backlog=4096; root @ROOT@/www; }
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

/// One generator run: CPU seconds (user+sys), peak RSS, requests completed.
#[derive(Debug, Clone, Copy)]
struct Measure {
    cpu_s: f64,
    rss_mib: f64,
    requests: f64,
}

/// Runs `cmd` pinned to CPU 1 under GNU time; returns (cpu seconds, peak RSS MiB, stdout).
fn timed(cmd: &[String], dir: &Path) -> Result<(f64, f64, String)> {
    let time_file = dir.join("time.out");
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%U %S %M")
        .arg("-o")
        .arg(&time_file)
        .args(["taskset", "-c", "1"])
        .args(cmd)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", cmd.join(" ")))?;
    let text = std::fs::read_to_string(&time_file)?;
    let nums: Vec<f64> = text
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    if nums.len() != 3 {
        bail!(
            "cannot read GNU time's output `{text}` for {}",
            cmd.join(" ")
        );
    }
    Ok((
        nums[0] + nums[1],
        nums[2] / 1024.0,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

fn wrk(url: &str, conns: u32, secs: u64, dir: &Path) -> Result<Measure> {
    let cmd: Vec<String> = [
        "wrk",
        "-t1",
        &format!("-c{conns}"),
        &format!("-d{secs}s"),
        url,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (cpu_s, rss_mib, out) = timed(&cmd, dir)?;
    // "  123456 requests in 5.00s, 1.2MB read"
    let requests = out
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("cannot find the request count in wrk's output:\n{out}"))?;
    Ok(Measure {
        cpu_s,
        rss_mib,
        requests,
    })
}

fn swarm(url: &str, users: u32, secs: u64, dir: &Path) -> Result<Measure> {
    let json = dir.join("swarm.json");
    let bin = root().join("target/release/swarm");
    let cmd: Vec<String> = vec![
        bin.display().to_string(),
        "run".into(),
        "get".into(),
        "--host".into(),
        url.into(),
        "-u".into(),
        users.to_string(),
        "-r".into(),
        "1000000".into(),
        "-t".into(),
        format!("{secs}s"),
        "--headless".into(),
        "--threads".into(),
        "1".into(),
        "--loglevel".into(),
        "warn".into(),
        "--only-summary".into(),
        "--json".into(),
        json.display().to_string(),
    ];
    let (cpu_s, rss_mib, _) = timed(&cmd, dir)?;
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json)?)?;
    let requests = report["total"]["num_requests"]
        .as_f64()
        .context("swarm's JSON report has no total.num_requests")?;
    let failures = report["total"]["num_failures"].as_f64().unwrap_or(0.0);
    if failures > 0.0 {
        eprintln!("warning: swarm recorded {failures} failures against {url}");
    }
    Ok(Measure {
        cpu_s,
        rss_mib,
        requests,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

pub(crate) fn http(extra: &[&str]) -> Result<()> {
    require(&["nginx", "wrk", "taskset", "/usr/bin/time"])?;
    let secs: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let reps: usize = std::env::var("BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let only = extra.first().copied().unwrap_or("");
    cargo(&["build", "--release", "-p", "swarm-cli", "--bin", "swarm"])?;
    let dir: PathBuf =
        std::env::temp_dir().join(format!("swarm-bench-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let nginx = Nginx::start(&dir)?;
    let base = format!("http://127.0.0.1:{}", nginx.port);
    let cases = [
        ("tiny-c32", "/tiny.txt", 32u32),
        ("tiny-c1000", "/tiny.txt", 1000),
        ("64k-c32", "/64k.bin", 32),
    ];
    println!(
        "nginx on {base} (CPU 0), generators on CPU 1, {secs} s per run, {reps} interleaved reps, medians\n"
    );
    println!(
        "{:<11} {:>9} {:>11} {:>9} {:>11} {:>9} {:>11} {:>11} {:>8}",
        "case",
        "wrk µs/r",
        "wrk req/s",
        "wrk MiB",
        "swarm µs/r",
        "swarm MiB",
        "swarm req/s",
        "swarm/wrk",
        "target"
    );
    for (case, path, conns) in cases {
        if !case.contains(only) {
            continue;
        }
        let url = format!("{base}{path}");
        let (mut w, mut s) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            w.push(wrk(&url, conns, secs, &dir)?);
            s.push(swarm(&url, conns, secs, &dir)?);
        }
        let us = |m: &Vec<Measure>| median(m.iter().map(|m| m.cpu_s * 1e6 / m.requests).collect());
        let rps = |m: &Vec<Measure>| median(m.iter().map(|m| m.requests / secs as f64).collect());
        let rss = |m: &Vec<Measure>| median(m.iter().map(|m| m.rss_mib).collect());
        let target = if case.starts_with("64k") { 1.2 } else { 1.5 };
        println!(
            "{case:<11} {:>9.2} {:>11.0} {:>9.1} {:>11.2} {:>9.1} {:>11.0} {:>11.2} {:>8}",
            us(&w),
            rps(&w),
            rss(&w),
            us(&s),
            rss(&s),
            rps(&s),
            us(&s) / us(&w),
            format!("<= {target}")
        );
    }
    drop(nginx);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
