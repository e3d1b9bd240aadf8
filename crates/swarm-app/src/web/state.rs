//! What the web UI's routes share: the runner, the flags' defaults for the start form, the
//! last start's settings (for reports), and a short-lived stats snapshot cache.

use crate::cli::RunArgs;
use crate::report::RunMeta;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use swarm_core::lock;
use swarm_core::metrics::StatsSnapshot;
use swarm_core::{RunState, Runner, RunnerError, TestPlan};

/// Polls closer together than this share one merged snapshot (merging costs the readers, not
/// the users, but several open tabs need not pay it several times).
const SNAPSHOT_TTL: Duration = Duration::from_millis(500);

/// A start (or, while running, a reshape) as the `/swarm` form asks for it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StartRequest {
    /// Target users.
    pub(crate) users: usize,
    /// Users started (or stopped) per second.
    pub(crate) spawn_rate: f64,
    /// The target host; `None` keeps the `--host` flag's.
    pub(crate) host: Option<String>,
    /// Stop by itself after this long; only used when starting.
    pub(crate) run_time: Option<Duration>,
    /// What the start's load follows; only used when starting.
    pub(crate) load: FormLoad,
}

/// The load the start form asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FormLoad {
    /// The flags' load (users, arrivals, stages or the scenario's shape): what a form
    /// without a `load` field (Locust's clients) gets.
    Flags,
    /// `user_count` users at `spawn_rate`.
    Users,
    /// An arrival-rate run at this many iterations per second, with the flags' pool.
    Arrival(f64),
}

impl StartRequest {
    /// The start `--autostart` makes: `-u`, `-r`, `-t` and `--host`.
    pub(crate) fn from_args(args: &RunArgs) -> Self {
        Self {
            users: args.users,
            spawn_rate: args.spawn_rate,
            host: args.host.clone(),
            run_time: args.run_time,
            load: FormLoad::Flags,
        }
    }
}

/// What `/swarm` did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StartOutcome {
    /// A new test started.
    Started {
        /// Its host.
        host: Option<String>,
    },
    /// The running test got a new target.
    Reshaped {
        /// Its host.
        host: Option<String>,
    },
}

/// Why a control request was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ControlError {
    /// The previous test is still running its `on_stop`s.
    #[error("the test is still stopping: wait until it has stopped, then start again")]
    Stopping,
    /// The runner refused (bad rate, already running, ...).
    #[error(transparent)]
    Runner(#[from] RunnerError),
    /// The task that ran the request died (a panic in a hook).
    #[error("the runner's task failed: {0}")]
    Crashed(String),
}

/// The settings of the latest start, for the page and the reports.
#[derive(Debug, Clone, Default)]
struct LastStart {
    host: Option<String>,
    users: usize,
}

/// Shared by every route.
pub(crate) struct AppState {
    /// The runner all routes drive.
    pub(crate) runner: Runner,
    /// The scenario's name.
    pub(crate) scenario: String,
    /// The flags' start settings, pre-filled in the form.
    pub(crate) defaults: StartRequest,
    /// Warnings for the reports (the CPU watcher adds to them).
    warnings: crate::cpu::Warnings,
    /// `--threshold` checks, judged in the downloaded reports.
    thresholds: Vec<crate::threshold::Threshold>,
    last: Mutex<LastStart>,
    ran: AtomicBool,
    /// Serialises start, reshape and stop requests from concurrent clients.
    control: tokio::sync::Mutex<()>,
    cache: Mutex<Option<(Instant, Arc<StatsSnapshot>)>>,
    /// What the flags' load follows (users, arrivals or stages).
    load: crate::open::Load,
}

impl AppState {
    /// State for `runner`, with the form's defaults taken from the flags.
    pub(crate) fn new(
        runner: Runner,
        scenario: String,
        args: &RunArgs,
        warnings: crate::cpu::Warnings,
        load: crate::open::Load,
    ) -> Self {
        let defaults = StartRequest::from_args(args);
        Self {
            runner,
            scenario,
            last: Mutex::new(LastStart {
                host: defaults.host.clone(),
                users: defaults.users,
            }),
            defaults,
            warnings,
            thresholds: args.thresholds.clone(),
            ran: AtomicBool::new(false),
            control: tokio::sync::Mutex::new(()),
            cache: Mutex::new(None),
            load,
        }
    }

    /// The flags' load for the start form: `arrival` with its constant rate, or `users`.
    pub(crate) fn form_load(&self) -> (&'static str, Option<f64>) {
        match &self.load {
            crate::open::Load::Arrival(a) => ("arrival", Some(a.schedule.rate_at(Duration::ZERO))),
            _ => ("users", None),
        }
    }

    /// Whether any test has started since the program did.
    pub(crate) fn has_run(&self) -> bool {
        self.ran.load(Ordering::Acquire)
    }

    /// The host the current or last test ran against (or `--host`).
    pub(crate) fn host(&self) -> Option<String> {
        lock(&self.last).host.clone()
    }

    /// Starts a test, or reshapes the running one (Locust's `/swarm`).
    pub(crate) async fn swarm(&self, req: StartRequest) -> Result<StartOutcome, ControlError> {
        let _control = self.control.lock().await;
        self.invalidate();
        match self.runner.state() {
            RunState::Spawning | RunState::Running => {
                self.runner.reshape(req.users, req.spawn_rate)?;
                lock(&self.last).users = req.users;
                Ok(StartOutcome::Reshaped { host: self.host() })
            }
            RunState::Stopping => Err(ControlError::Stopping),
            RunState::Ready | RunState::Stopped => {
                let host = req.host.clone().or_else(|| self.defaults.host.clone());
                let plan = TestPlan {
                    users: req.users,
                    spawn_rate: req.spawn_rate,
                    run_time: req.run_time,
                    host: host.clone(),
                };
                *lock(&self.last) = LastStart {
                    host: host.clone(),
                    users: req.users,
                };
                self.ran.store(true, Ordering::Release);
                // In its own task: a client that hangs up must not cancel a start halfway.
                let runner = self.runner.clone();
                let load = match req.load {
                    FormLoad::Flags => self.load.clone(),
                    FormLoad::Users => crate::open::Load::Users,
                    FormLoad::Arrival(rate) => self.load.at_rate(rate),
                };
                tokio::spawn(async move { crate::open::start(&runner, plan, load).await })
                    .await
                    .map_err(|e| ControlError::Crashed(e.to_string()))??;
                Ok(StartOutcome::Started { host })
            }
        }
    }

    /// Stops the running test and waits until every `on_stop` and `on_test_stop` ran; a no-op
    /// when none runs.
    pub(crate) async fn stop(&self) -> Result<(), ControlError> {
        let _control = self.control.lock().await;
        // In its own task: a client that hangs up must not leave the test half stopped.
        let runner = self.runner.clone();
        let stopped = tokio::spawn(async move { runner.stop().await }).await;
        self.invalidate();
        stopped.map_err(|e| ControlError::Crashed(e.to_string()))
    }

    /// Clears the statistics (Locust's `/stats/reset`).
    pub(crate) fn reset_stats(&self) {
        self.runner.metrics().reset();
        self.invalidate();
    }

    fn invalidate(&self) {
        *lock(&self.cache) = None;
    }

    /// Merged stats, at most [`SNAPSHOT_TTL`] old.
    pub(crate) async fn snapshot(&self) -> anyhow::Result<Arc<StatsSnapshot>> {
        if let Some((at, snap)) = lock(&self.cache).as_ref() {
            if at.elapsed() < SNAPSHOT_TTL {
                return Ok(Arc::clone(snap));
            }
        }
        let snap = self.snapshot_now().await?;
        *lock(&self.cache) = Some((Instant::now(), Arc::clone(&snap)));
        Ok(snap)
    }

    /// Merged stats now, merged off the runtime's worker threads so users never wait on it.
    pub(crate) async fn snapshot_now(&self) -> anyhow::Result<Arc<StatsSnapshot>> {
        let runner = self.runner.clone();
        Ok(Arc::new(
            tokio::task::spawn_blocking(move || runner.snapshot()).await?,
        ))
    }

    /// What the reports say about the current or last run, before any threshold verdict.
    pub(crate) fn run_meta(&self) -> RunMeta {
        let last = lock(&self.last).clone();
        RunMeta {
            scenario: self.scenario.clone(),
            host: last.host.as_deref().map(swarm_http::redact_url),
            run_id: self.runner.run_id().to_owned(),
            user_count: last.users,
            warnings: crate::cpu::snapshot(&self.warnings),
            thresholds: Vec::new(),
            segment: None,
        }
    }

    /// [`Self::run_meta`] with the `--threshold` verdicts on `stats`.
    pub(crate) fn report_meta(&self, stats: &StatsSnapshot) -> RunMeta {
        RunMeta {
            thresholds: crate::threshold::evaluate(&self.thresholds, stats),
            ..self.run_meta()
        }
    }
}
