//! Locust-style log lines via tracing:
//! `[2026-11-26 08:55:22,932] host/INFO/swarm.runner: Ramping to 10 users at 2.00 users/s`.
//! Nothing secret is ever passed to a log call; this module only formats.

use anyhow::{Context, Result};
use std::fmt;
use std::path::Path;
use std::sync::Mutex;
use time::OffsetDateTime;
use time::macros::format_description;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Parses Locust's level names (and tracing's).
pub(crate) fn parse_level(s: &str) -> Result<Level, String> {
    match s.to_ascii_uppercase().as_str() {
        "TRACE" => Ok(Level::TRACE),
        "DEBUG" => Ok(Level::DEBUG),
        "INFO" => Ok(Level::INFO),
        "WARN" | "WARNING" => Ok(Level::WARN),
        "ERROR" | "CRITICAL" => Ok(Level::ERROR),
        _ => Err(format!(
            "`{s}` is not a log level: use DEBUG, INFO, WARNING or ERROR"
        )),
    }
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => "INFO",
        Level::WARN => "WARNING",
        Level::ERROR => "ERROR",
    }
}

/// Formats events the way Locust's log lines look.
struct LocustFormat {
    host: String,
}

impl<S, N> FormatEvent<S, N> for LocustFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let now = OffsetDateTime::now_utc();
        let stamp = now
            .format(format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .map_err(|_| fmt::Error)?;
        let meta = event.metadata();
        let target = meta.target().replace("::", ".").replace('_', "-");
        write!(
            writer,
            "[{stamp},{:03}] {}/{}/{}: ",
            now.millisecond(),
            self.host,
            level_name(meta.level()),
            target
        )?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned())
}

/// Installs the global subscriber: stderr, and `logfile` too when given.
pub(crate) fn init(level: Level, logfile: Option<&Path>) -> Result<()> {
    // swarm's crates and the author's log at the chosen level; the HTTP stack only warns.
    let filter = || {
        EnvFilter::new(format!(
            "{level},hyper=warn,rustls=warn,axum=warn,tower=warn"
        ))
    };
    let stderr = tracing_subscriber::fmt::layer()
        .event_format(LocustFormat { host: hostname() })
        .with_writer(|| {
            // A progress bar on the terminal must not share a line with a log line.
            crate::live::before_log();
            std::io::stderr()
        })
        .with_filter(filter());
    let file = match logfile {
        Some(path) => {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| {
                    format!(
                        "cannot open the log file {} (fix --logfile)",
                        path.display()
                    )
                })?;
            Some(
                tracing_subscriber::fmt::layer()
                    .event_format(LocustFormat { host: hostname() })
                    .with_ansi(false)
                    .with_writer(Mutex::new(f))
                    .with_filter(filter()),
            )
        }
        None => None,
    };
    tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init()
        .context("cannot install the logger")?;
    Ok(())
}
