//! The App's own flags, named after Locust's where Locust has one; every flag also reads
//! `SWARM_<NAME>` from the environment. The command tree itself (`run SCENARIO`, `list`,
//! `report`, authors' commands) is assembled in `command.rs`.

use crate::values::{parse_duration, parse_rate, parse_users};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// `swarm report ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ReportCommand {
    /// Side-by-side deltas of two runs' JSON reports (A is the baseline).
    Compare(CompareArgs),
    /// Redraw a JSON report as HTML and/or CSV files.
    Render(RenderArgs),
    /// Add up the JSON reports of a distributed run's segments into one exact report.
    Merge(crate::report::merge::MergeArgs),
    /// Judge --threshold checks against a saved JSON report (exit 0 if all hold, else 1).
    Check(crate::report_cmd::CheckArgs),
}

/// `swarm report compare` options.
#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// The baseline run's JSON report.
    pub(crate) baseline: PathBuf,
    /// The run to compare against it.
    pub(crate) candidate: PathBuf,
}

/// `swarm report render` options.
#[derive(Debug, Args)]
pub(crate) struct RenderArgs {
    /// A JSON report written by `swarm run --json`.
    pub(crate) report: PathBuf,
    /// Write the HTML report here.
    #[arg(long)]
    pub(crate) html: Option<PathBuf>,
    /// Write Locust-compatible CSV files with this prefix.
    #[arg(long)]
    pub(crate) csv: Option<PathBuf>,
    /// Also write every entry's history to the history CSV.
    #[arg(long)]
    pub(crate) csv_full_history: bool,
}

/// The options of every `run SCENARIO`, whatever the scenario (its own come after them).
#[derive(Debug, Clone, Args)]
pub(crate) struct RunArgs {
    /// Peak number of concurrent users.
    #[arg(short = 'u', long, env = "SWARM_USERS", default_value_t = 1, allow_negative_numbers = true, value_parser = parse_users)]
    pub(crate) users: usize,
    /// Users started per second.
    #[arg(short = 'r', long, env = "SWARM_SPAWN_RATE", default_value_t = 1.0, allow_negative_numbers = true, value_parser = parse_rate)]
    pub(crate) spawn_rate: f64,
    /// Stop after this long, e.g. 30s, 5m, 1h30m.
    #[arg(short = 't', long, env = "SWARM_RUN_TIME", allow_hyphen_values = true, value_parser = parse_duration)]
    pub(crate) run_time: Option<Duration>,
    /// The target, e.g. http://127.0.0.1:8080.
    #[arg(short = 'H', long, env = "SWARM_HOST", value_parser = parse_host)]
    pub(crate) host: Option<String>,
    /// Run without the web UI, starting at once.
    #[arg(long, env = "SWARM_HEADLESS")]
    pub(crate) headless: bool,
    /// With the web UI: start at once with -u/-r.
    #[arg(long, env = "SWARM_AUTOSTART")]
    pub(crate) autostart: bool,
    /// Web UI address.
    #[arg(long, env = "SWARM_WEB_HOST", default_value = "127.0.0.1")]
    pub(crate) web_host: String,
    /// Web UI port.
    #[arg(long, env = "SWARM_WEB_PORT", default_value_t = 8089)]
    pub(crate) web_port: u16,
    /// Basic auth for the web UI and its API, as user:password.
    #[arg(
        long,
        env = "SWARM_WEB_AUTH",
        hide_env_values = true,
        value_name = "USER:PASSWORD"
    )]
    pub(crate) web_auth: Option<String>,
    /// How long every user's on_stop may take when the test stops.
    #[arg(long, env = "SWARM_STOP_TIMEOUT", default_value = "30s", allow_hyphen_values = true, value_parser = parse_duration)]
    pub(crate) stop_timeout: Duration,
    /// Reset the stats once ramping up finished.
    #[arg(long, env = "SWARM_RESET_STATS")]
    pub(crate) reset_stats: bool,
    /// Write Locust-compatible CSV files with this prefix.
    #[arg(long, env = "SWARM_CSV")]
    pub(crate) csv: Option<PathBuf>,
    /// Also write every entry's history to the history CSV.
    #[arg(long, env = "SWARM_CSV_FULL_HISTORY")]
    pub(crate) csv_full_history: bool,
    /// Write the HTML report here.
    #[arg(long, env = "SWARM_HTML")]
    pub(crate) html: Option<PathBuf>,
    /// Write the JSON report here.
    #[arg(long, env = "SWARM_JSON")]
    pub(crate) json: Option<PathBuf>,
    /// DEBUG, INFO, WARNING, ERROR.
    #[arg(long, env = "SWARM_LOGLEVEL", default_value = "INFO", value_parser = crate::logging::parse_level)]
    pub(crate) loglevel: tracing::Level,
    /// Also write the log to this file.
    #[arg(long, env = "SWARM_LOGFILE")]
    pub(crate) logfile: Option<PathBuf>,
    /// Seed task picks and waits, for a reproducible run.
    #[arg(long, env = "SWARM_SEED")]
    pub(crate) seed: Option<u64>,
    /// Exit code when any request failed (0 to 255).
    #[arg(long, env = "SWARM_EXIT_CODE_ON_ERROR", default_value_t = 1, value_parser = clap::value_parser!(i32).range(0..=255))]
    pub(crate) exit_code_on_error: i32,
    /// Worker threads (default: every core).
    #[arg(long, env = "SWARM_THREADS", value_parser = parse_threads)]
    pub(crate) threads: Option<usize>,
    /// Longest time one request may take, connecting and redirects included.
    #[arg(long, env = "SWARM_REQUEST_TIMEOUT", default_value = "60s", allow_hyphen_values = true, value_parser = parse_positive_duration)]
    pub(crate) request_timeout: Duration,
    /// Longest time opening a connection (TCP and TLS) may take.
    #[arg(long, env = "SWARM_CONNECT_TIMEOUT", default_value = "10s", allow_hyphen_values = true, value_parser = parse_positive_duration)]
    pub(crate) connect_timeout: Duration,
    /// Print only the final summary, not the periodic tables.
    #[arg(long, env = "SWARM_ONLY_SUMMARY")]
    pub(crate) only_summary: bool,
    /// Time between console tables.
    #[arg(long, env = "SWARM_PRINT_INTERVAL", default_value = "2s", allow_hyphen_values = true, value_parser = parse_duration)]
    pub(crate) print_interval: Duration,
    /// Pass/fail check for CI, repeatable: 'p95 < 500ms', 'GET /x: p99 < 1s',
    /// 'fail_ratio < 1%', 'rps > 100', 'corrected p99 < 1s' (from the intended start),
    /// 'dropped_iterations < 1'. Any failing check makes the exit code 1.
    #[arg(long = "threshold", env = "SWARM_THRESHOLD", value_name = "CHECK", value_delimiter = ';', value_parser = crate::threshold::parse_threshold)]
    pub(crate) thresholds: Vec<crate::threshold::Threshold>,
    /// Read defaults from this TOML file (default: ./swarm.toml when present).
    #[arg(long, env = "SWARM_CONFIG", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Print every option's effective value and where it came from, then exit.
    #[arg(long)]
    pub(crate) print_config: bool,
    /// Warn when swarm's own CPU use stays above this share of its threads (percent).
    #[arg(
        long,
        env = "SWARM_CPU_WARN_PERCENT",
        default_value_t = 90.0,
        hide = true
    )]
    pub(crate) cpu_warn_percent: f64,
    /// How often swarm samples its own CPU use.
    #[arg(long, env = "SWARM_CPU_SAMPLE_INTERVAL", default_value = "2s", value_parser = parse_duration, hide = true)]
    pub(crate) cpu_sample_interval: Duration,
    #[command(flatten)]
    pub(crate) outputs: crate::outputs::OutputArgs,
    #[command(flatten)]
    pub(crate) distributed: crate::distributed::DistributedArgs,
    #[command(flatten)]
    pub(crate) open: crate::open::OpenArgs,
}

/// A thread count: 0 is refused later with its own message; more than 1024 here.
fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n > 1024 => Err(format!("`{s}` threads is too many: give at most 1024")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "`{s}` is not a thread count: give a whole number, e.g. 2"
        )),
    }
}

/// A timeout: a duration above 0.
fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        Duration::ZERO => Err(format!("`{s}` would time out at once: give e.g. 10s")),
        d => Ok(d),
    }
}

/// Accepts http(s) URLs with a host, kept as given; the path, if any, becomes the base of
/// every request. Public so scenarios' own commands check hosts the same way.
pub fn parse_host(s: &str) -> Result<String, String> {
    let url = url::Url::parse(s)
        .map_err(|e| format!("`{s}` is not a URL ({e}): give e.g. http://127.0.0.1:8080"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "`{s}` is not an http(s) URL: give e.g. http://127.0.0.1:8080"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!(
            "`{s}` has no host: give e.g. http://127.0.0.1:8080"
        ));
    }
    Ok(s.trim().to_owned())
}
