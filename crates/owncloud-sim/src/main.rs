//! The `owncloud-sim` binary: serves the simulator on 127.0.0.1 until SIGINT/SIGTERM.

use std::io::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use owncloud_sim::{Sim, SimConfig, parse_duration};

/// A small, fast, faithful ownCloud 10 look-alike (OCS provisioning, WebDAV, session cookies).
#[derive(Debug, Parser)]
#[command(name = "owncloud-sim", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on; 0 picks a free one. The base URL is printed as the first stdout line.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Admin account name.
    #[arg(long, default_value = "admin")]
    admin_user: String,
    /// Admin password.
    #[arg(
        long,
        env = "OWNCLOUD_SIM_ADMIN_PASSWORD",
        default_value = "admin",
        hide_env_values = true
    )]
    admin_password: String,
    /// Time one password check costs, e.g. 60ms (0 = free); cookie-authenticated requests skip it.
    #[arg(long, default_value = "0", value_parser = duration)]
    auth_cost: Duration,
    /// Always honour the Authorization header (ownCloud lets a warm session's cookies win).
    #[arg(long)]
    no_cookie_wins: bool,
    /// Let parallel first requests of a new user wait instead of failing like ownCloud.
    #[arg(long)]
    no_first_login_race: bool,
    /// How long the first-login skeleton copy takes, e.g. 20ms.
    #[arg(long, default_value = "20ms", value_parser = duration)]
    skeleton_copy_time: Duration,
    /// Keep files under this directory (`<dir>/<user>/files/...`) instead of only in memory.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Bytes of the skeleton's `ownCloud Manual.pdf` (default 4 MiB, as a real release ships
    /// several megabytes; give your server's size to match it).
    #[arg(long, default_value_t = owncloud_sim::DEFAULT_MANUAL_SIZE, value_parser = clap::value_parser!(usize))]
    manual_size: usize,
}

fn duration(s: &str) -> Result<Duration, String> {
    parse_duration(s).map_err(|e| e.to_string())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("building the tokio runtime")?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let config = SimConfig {
        host: args.host,
        port: args.port,
        admin_user: args.admin_user,
        admin_password: args.admin_password,
        auth_cost: args.auth_cost,
        cookie_wins: !args.no_cookie_wins,
        first_login_race: !args.no_first_login_race,
        skeleton_copy_time: args.skeleton_copy_time,
        data_dir: args.data_dir,
        manual_size: args.manual_size,
        ..SimConfig::default()
    };
    let sim = Sim::start(config).await.context("starting owncloud-sim")?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", sim.url())?;
        out.flush()?;
    }
    wait_for_signal().await?;
    sim.shutdown().await;
    Ok(())
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("waiting for SIGINT")?,
        _ = term.recv() => {}
    }
    Ok(())
}
