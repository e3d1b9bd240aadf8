//! Outputs for the tools a team already runs: Prometheus `/metrics` (on the web UI's server,
//! or `--metrics-listen` in headless runs), Prometheus remote-write (`--prometheus-rw`),
//! OTLP/HTTP metrics (`--otlp`) and JUnit XML verdicts (`--junit`). Every output encodes the
//! same families (`series.rs`), read from the run's stats snapshots. See docs/OUTPUTS.md.

pub(crate) mod junit;
mod otlp;
mod push;
mod remote_write;
mod scrape;
mod series;
mod text;

use crate::error::UsageError;
use crate::web::Credentials;
use crate::web::guard::Guard;
use bytes::Bytes;
use clap::Args;
use push::Pusher;
use series::{Exporter, Family, RunView};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use swarm_core::metrics::StatsSnapshot;
use swarm_core::{Runner, Segment, lock};

/// The default `--metrics-listen` address (a bare `--metrics-listen` means it).
const DEFAULT_LISTEN: &str = "127.0.0.1:9646";

/// Longest the pushes at the end may delay the exit.
const FINAL_PUSH_LIMIT: Duration = Duration::from_secs(20);

/// The flags of the outputs.
#[derive(Debug, Clone, Args)]
pub(crate) struct OutputArgs {
    /// Headless runs: serve Prometheus metrics at http://ADDR/metrics (without a value:
    /// 127.0.0.1:9646). The web UI serves /metrics on its own port.
    #[arg(long, env = "SWARM_METRICS_LISTEN", value_name = "ADDR", num_args = 0..=1, default_missing_value = DEFAULT_LISTEN, value_parser = parse_listen)]
    pub(crate) metrics_listen: Option<SocketAddr>,
    /// Push the metrics by Prometheus remote-write, e.g. http://127.0.0.1:9090/api/v1/write.
    #[arg(long, env = "SWARM_PROMETHEUS_RW", value_name = "URL", hide_env_values = true, value_parser = crate::cli::parse_host)]
    pub(crate) prometheus_rw: Option<String>,
    /// Push the metrics by OTLP/HTTP (protobuf), e.g. http://127.0.0.1:4318 (/v1/metrics is
    /// added to a URL without a path).
    #[arg(long, env = "SWARM_OTLP", value_name = "URL", hide_env_values = true, value_parser = parse_otlp)]
    pub(crate) otlp: Option<String>,
    /// How often --prometheus-rw and --otlp push (and once more at the end).
    #[arg(long, env = "SWARM_PUSH_INTERVAL", default_value = "5s", allow_hyphen_values = true, value_parser = parse_push_interval)]
    pub(crate) push_interval: Duration,
    /// Write the thresholds' verdicts (and "no request failed") as JUnit XML test cases here.
    #[arg(long, env = "SWARM_JUNIT", value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
}

/// `PORT`, `HOST:PORT` or `localhost:PORT`.
fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    let t = s.trim();
    let help = || {
        format!(
            "`{s}` is not a listen address: give e.g. {DEFAULT_LISTEN} (or 0.0.0.0:9646 with --web-auth)"
        )
    };
    if let Ok(port) = t.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    if let Some(port) = t.strip_prefix("localhost:") {
        return port
            .parse::<u16>()
            .map(|p| SocketAddr::from(([127, 0, 0, 1], p)))
            .map_err(|_| help());
    }
    t.parse::<SocketAddr>().map_err(|_| help())
}

/// An http(s) URL; without a path, OTLP's `/v1/metrics` (as the OTLP exporters do with a
/// base endpoint).
fn parse_otlp(s: &str) -> Result<String, String> {
    let url = crate::cli::parse_host(s)?;
    let parsed = url::Url::parse(&url).map_err(|e| e.to_string())?;
    Ok(if parsed.path() == "/" && parsed.query().is_none() {
        format!("{}/v1/metrics", url.trim_end_matches('/'))
    } else {
        url
    })
}

/// A push interval: at least 100 ms, so a typo cannot flood a receiver.
fn parse_push_interval(s: &str) -> Result<Duration, String> {
    match crate::values::parse_duration(s)? {
        d if d < Duration::from_millis(100) => Err(format!(
            "`{s}` would push without pause: give e.g. 5s (100ms at least)"
        )),
        d => Ok(d),
    }
}

/// Which encoding a pusher sends.
#[derive(Debug, Clone, Copy)]
enum Protocol {
    RemoteWrite,
    Otlp,
}

/// The machine's name: tells pods apart in pushed series (`instance`, `service.instance.id`).
fn instance() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Who sends a push: on every series, so several pods' (or segments') runs aggregate and
/// still tell apart.
#[derive(Debug, Clone)]
struct Identity {
    run_id: String,
    scenario: String,
    instance: String,
    /// `--segment I/N` of a distributed run's part.
    segment: Option<Segment>,
}

impl Identity {
    /// The remote-write labels or OTLP resource attributes; `segment` only when segmented.
    fn pairs(&self, protocol: Protocol) -> Vec<(String, String)> {
        let keys = match protocol {
            Protocol::RemoteWrite => ["job", "instance", "run_id", "scenario", "segment"],
            Protocol::Otlp => [
                "service.name",
                "service.instance.id",
                "swarm.run_id",
                "swarm.scenario",
                "swarm.segment",
            ],
        };
        let segment = self.segment.map(|s| s.to_string());
        let values = [
            Some("swarm"),
            Some(self.instance.as_str()),
            Some(self.run_id.as_str()),
            Some(self.scenario.as_str()),
            segment.as_deref(),
        ];
        keys.into_iter()
            .zip(values)
            .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
            .collect()
    }
}

/// What every output reads: the runner (stats, users, state) and the run's identity.
pub(crate) struct Source {
    runner: Runner,
    exporter: Exporter,
    identity: Identity,
}

impl Source {
    fn families(&self, stats: &StatsSnapshot) -> Vec<Family> {
        self.exporter.families(&RunView {
            stats,
            users: self.runner.user_count(),
            state: self.runner.state(),
        })
    }

    /// `/metrics` now (merges the stats: call off the runtime's workers).
    fn text(&self) -> String {
        text::render(&self.families(&self.runner.snapshot()))
    }

    /// The body a pusher sends for `stats`.
    fn body(&self, protocol: Protocol, stats: &StatsSnapshot) -> Result<Bytes, String> {
        let families = self.families(stats);
        let identity = self.identity.pairs(protocol);
        match protocol {
            Protocol::RemoteWrite => {
                let request =
                    remote_write::request(&families, &identity, (stats.taken_at * 1e3) as i64);
                remote_write::encode(&request)
                    .map(Bytes::from)
                    .map_err(|e| e.to_string())
            }
            Protocol::Otlp => {
                let request = otlp::request(&families, &identity, stats.start_time, stats.taken_at);
                Ok(Bytes::from(otlp::encode(&request)))
            }
        }
    }
}

/// A run's outputs: made before the run (flags checked, port bound), started on its
/// runtime, finished by the run driver's `finish` with the final stats.
pub(crate) struct Outputs {
    source: Arc<Source>,
    /// `--metrics-listen`, bound before any user starts; taken by `start`.
    listener: Mutex<Option<(std::net::TcpListener, Guard)>>,
    pushers: Vec<(Arc<Pusher>, Protocol)>,
    interval: Duration,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Outputs {
    /// Checks the flags and binds `--metrics-listen`; nothing runs yet.
    pub(crate) fn new(
        args: &OutputArgs,
        headless: bool,
        runner: &Runner,
        scenario: &str,
        segment: Option<Segment>,
        credentials: Option<Credentials>,
    ) -> Result<Self, UsageError> {
        let listener = match args.metrics_listen {
            None => None,
            Some(_) if !headless => {
                return Err(UsageError(
                    "--metrics-listen is for --headless runs: the web UI serves /metrics on its own port (drop --metrics-listen)".into(),
                ));
            }
            Some(addr) => {
                let listener = std::net::TcpListener::bind(addr)
                    .and_then(|l| l.set_nonblocking(true).map(|()| l))
                    .map_err(|e| {
                        UsageError(format!(
                            "--metrics-listen {addr}: cannot listen there ({e}): choose another address"
                        ))
                    })?;
                if !addr.ip().is_loopback() && credentials.is_none() {
                    tracing::warn!(target: "swarm.outputs", "/metrics listens on {addr}, reachable from other machines, without --web-auth");
                }
                let guard = Guard {
                    credentials,
                    loopback_only: addr.ip().is_loopback(),
                };
                Some((listener, guard))
            }
        };
        let mut pushers = Vec::new();
        if let Some(url) = &args.prometheus_rw {
            let p =
                Pusher::new("--prometheus-rw", url, &remote_write::HEADERS).map_err(UsageError)?;
            pushers.push((Arc::new(p), Protocol::RemoteWrite));
        }
        if let Some(url) = &args.otlp {
            let p = Pusher::new("--otlp", url, &otlp::HEADERS).map_err(UsageError)?;
            pushers.push((Arc::new(p), Protocol::Otlp));
        }
        Ok(Self {
            source: Arc::new(Source {
                runner: runner.clone(),
                exporter: Exporter::default(),
                identity: Identity {
                    run_id: runner.run_id().to_owned(),
                    scenario: scenario.to_owned(),
                    instance: instance(),
                    segment,
                },
            }),
            listener: Mutex::new(listener),
            pushers,
            interval: args.push_interval,
            tasks: Mutex::new(Vec::new()),
        })
    }

    /// The `/metrics` route for the web UI's server, behind its guard.
    pub(crate) fn router(&self, guard: Guard) -> axum::Router {
        scrape::router(Arc::clone(&self.source), guard)
    }

    /// Starts the `--metrics-listen` server and the periodic pushes on the current runtime.
    pub(crate) fn start(&self) -> anyhow::Result<()> {
        let mut tasks = lock(&self.tasks);
        if let Some((listener, guard)) = lock(&self.listener).take() {
            let addr = listener.local_addr()?;
            let listener = tokio::net::TcpListener::from_std(listener)?;
            let router = scrape::router(Arc::clone(&self.source), guard);
            tracing::info!(target: "swarm.outputs", "Serving Prometheus metrics at http://{addr}/metrics");
            tasks.push(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::warn!(target: "swarm.outputs", "the /metrics server stopped: {e}");
                }
            }));
        }
        for (pusher, protocol) in &self.pushers {
            let (pusher, protocol) = (Arc::clone(pusher), *protocol);
            let source = Arc::clone(&self.source);
            let every = self.interval;
            tasks.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    let s = Arc::clone(&source);
                    let Ok((stats, body)) = tokio::task::spawn_blocking(move || {
                        let stats = s.runner.snapshot();
                        let body = s.body(protocol, &stats);
                        (stats, body)
                    })
                    .await
                    else {
                        continue;
                    };
                    drop(stats);
                    match body {
                        Ok(body) => pusher.push(body).await,
                        Err(e) => tracing::warn!(target: "swarm.outputs", "{}: cannot encode the metrics: {e}", pusher.flag),
                    }
                }
            }));
        }
        Ok(())
    }

    /// The end of the run: the periodic pushes stop, every receiver gets `stats` (the same
    /// snapshot the reports are written from) once more; returns a warning per receiver
    /// that missed pushes, for the reports.
    pub(crate) fn finish(&self, stats: &StatsSnapshot) -> Vec<String> {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
        if self.pushers.is_empty() {
            return Vec::new();
        }
        let last = async {
            let mut warnings = Vec::new();
            for (pusher, protocol) in &self.pushers {
                match self.source.body(*protocol, stats) {
                    Ok(body) => pusher.push(body).await,
                    Err(e) => {
                        warnings.push(format!("{}: cannot encode the metrics: {e}", pusher.flag))
                    }
                }
            }
            warnings
        };
        // `finish` is the one synchronous end of every run; it runs inside the runtime's
        // `block_on` (multi-threaded), where blocking on a future is allowed.
        let mut warnings = match tokio::runtime::Handle::try_current() {
            Ok(handle) => tokio::task::block_in_place(|| {
                handle.block_on(tokio::time::timeout(FINAL_PUSH_LIMIT, last))
            })
            .unwrap_or_else(|_| {
                vec![format!(
                    "the final pushes took more than {}s and were cut off",
                    FINAL_PUSH_LIMIT.as_secs()
                )]
            }),
            Err(_) => Vec::new(),
        };
        for (pusher, _) in &self.pushers {
            let (failed, pushes) = pusher.counts();
            tracing::info!(target: "swarm.outputs", "{}: {} of {pushes} pushes arrived", pusher.flag, pushes - failed);
            warnings.extend(pusher.summary());
        }
        for w in &warnings {
            tracing::warn!(target: "swarm.outputs", "{w}");
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_values() {
        let listen = [
            ("9646", Ok("127.0.0.1:9646")),
            ("localhost:1234", Ok("127.0.0.1:1234")),
            ("0.0.0.0:9646", Ok("0.0.0.0:9646")),
            ("[::1]:9646", Ok("[::1]:9646")),
            (
                "nowhere",
                Err(
                    "`nowhere` is not a listen address: give e.g. 127.0.0.1:9646 (or 0.0.0.0:9646 with --web-auth)",
                ),
            ),
        ];
        for (text, want) in listen {
            assert_eq!(
                parse_listen(text).map(|a| a.to_string()),
                want.map(str::to_owned).map_err(str::to_owned),
                "{text}"
            );
        }
        let otlp = [
            ("http://127.0.0.1:4318", "http://127.0.0.1:4318/v1/metrics"),
            ("http://127.0.0.1:4318/", "http://127.0.0.1:4318/v1/metrics"),
            ("http://h/otlp/v1/metrics", "http://h/otlp/v1/metrics"),
        ];
        for (text, want) in otlp {
            assert_eq!(parse_otlp(text).as_deref(), Ok(want), "{text}");
        }
        assert!(parse_otlp("ftp://h").is_err());
        assert!(parse_push_interval("10ms").is_err());
        assert_eq!(parse_push_interval("2s"), Ok(Duration::from_secs(2)));
    }

    #[test]
    fn a_segmented_run_names_its_segment_in_every_push() {
        let identity = |segment| Identity {
            run_id: "r1".into(),
            scenario: "get".into(),
            instance: "pod-0".into(),
            segment,
        };
        let two_of_three = Segment::new(1, 3).ok();
        // (segment, protocol, the pairs every series or resource carries)
        let cases = [
            (
                None,
                Protocol::RemoteWrite,
                vec!["job=swarm", "instance=pod-0", "run_id=r1", "scenario=get"],
            ),
            (
                two_of_three,
                Protocol::RemoteWrite,
                vec![
                    "job=swarm",
                    "instance=pod-0",
                    "run_id=r1",
                    "scenario=get",
                    "segment=1/3",
                ],
            ),
            (
                None,
                Protocol::Otlp,
                vec![
                    "service.name=swarm",
                    "service.instance.id=pod-0",
                    "swarm.run_id=r1",
                    "swarm.scenario=get",
                ],
            ),
            (
                two_of_three,
                Protocol::Otlp,
                vec![
                    "service.name=swarm",
                    "service.instance.id=pod-0",
                    "swarm.run_id=r1",
                    "swarm.scenario=get",
                    "swarm.segment=1/3",
                ],
            ),
        ];
        for (segment, protocol, want) in cases {
            let got: Vec<String> = identity(segment)
                .pairs(protocol)
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            assert_eq!(got, want, "{segment:?} {protocol:?}");
        }
    }
}
