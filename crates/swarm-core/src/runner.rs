//! The runner: starts a test (hooks, spawner, stats sampler, run-time timer), reshapes it
//! while running, and stops it so that every started user's `on_stop` runs.

use crate::ctx::RunInfo;
use crate::lock;
use crate::metrics::{Metrics, StatsSnapshot};
use crate::scenario::{Scenario, TestHook, next_class};
use crate::segment::{Segment, share_of};
use crate::spawn::{SpawnPlan, Spawner, UserSet};
use crate::{Extensions, TaskError, TestCtx};
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout_at};
use tokio_util::sync::CancellationToken;

/// Where a test is in its life (Locust's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Nothing started yet.
    Ready,
    /// Users are being added or removed towards the target.
    Spawning,
    /// The target user count is running.
    Running,
    /// Users are running their `on_stop`.
    Stopping,
    /// The last test has ended; a new one may start.
    Stopped,
}

impl RunState {
    /// The lowercase name (`ready`, `spawning`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Spawning => "spawning",
            Self::Running => "running",
            Self::Stopping => "stopping",
            Self::Stopped => "stopped",
        }
    }
}

/// How a runner behaves across tests.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Bound on the whole shutdown: every `on_stop` (and pending `on_start`) gets this long.
    pub stop_timeout: Duration,
    /// Makes task picks and waits reproducible (each user's generator is seeded from it and
    /// the user index).
    pub seed: Option<u64>,
    /// How often a history row is sampled.
    pub stats_interval: Duration,
    /// The span of current RPS and current percentiles.
    pub stats_window: Duration,
    /// Keep a history row per entry per interval, not only the aggregate's.
    pub entry_history: bool,
    /// Reset the stats once the first ramp-up completes (Locust's `--reset-stats`).
    pub reset_stats_after_ramp: bool,
    /// The run id; a random short id when `None`.
    pub run_id: Option<String>,
    /// Added to every user index.
    pub user_index_offset: u64,
    /// Run only this segment's share of every plan (a distributed run's part): its users of
    /// the whole plan, with their global indices and types, on the whole plan's schedule.
    pub segment: Option<Segment>,
    /// Shared values every user can read through [`crate::Ctx::get`].
    pub extensions: Extensions,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            stop_timeout: Duration::from_secs(30),
            seed: None,
            stats_interval: Duration::from_secs(1),
            stats_window: Duration::from_secs(10),
            entry_history: false,
            reset_stats_after_ramp: false,
            run_id: None,
            user_index_offset: 0,
            segment: None,
            extensions: Extensions::new(),
        }
    }
}

/// What to run: how many users, how fast to get there, for how long, against what.
#[derive(Debug, Clone, PartialEq)]
pub struct TestPlan {
    /// Target number of users.
    pub users: usize,
    /// Users started (or stopped) per second on the way to the target.
    pub spawn_rate: f64,
    /// Stop by itself after this long (from the start of the ramp).
    pub run_time: Option<Duration>,
    /// The target host, handed to users as [`crate::Ctx::host`].
    pub host: Option<String>,
}

/// Why the runner refused a request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RunnerError {
    /// The spawn rate is not a positive number.
    #[error("invalid spawn rate {0}: give a number of users per second above 0")]
    InvalidSpawnRate(String),
    /// A test is already running.
    #[error("a test is already running: stop it first, or reshape it")]
    AlreadyRunning,
    /// No test is running.
    #[error("no test is running: start one first")]
    NotRunning,
    /// The scenario has no user type that can be spawned.
    #[error("the scenario has no user types")]
    NoUserTypes,
    /// `on_test_start` failed, so no user was started.
    #[error("on_test_start failed: {0}")]
    TestStartFailed(String),
    /// A stop came while `on_test_start` ran; no user was started.
    #[error("stopped while on_test_start ran: no user was started")]
    StartInterrupted,
    /// A segment runs its share of the plan it started with; a new plan would break the sum.
    #[error(
        "segment {0} of a distributed run cannot be reshaped: its share of the whole plan is fixed at the start"
    )]
    Segmented(Segment),
    /// The arrival-rate plan cannot run.
    #[error("{0}")]
    InvalidArrivalPlan(String),
    /// An arrival-rate run's pool follows its arrivals: it has no user count to reshape.
    #[error("this is an arrival-rate run: its load follows the arrival rate, not a user count")]
    ArrivalRun,
    /// A segment follows only shapes that know their peak (user-count stages): an arbitrary
    /// shape's answers cannot be split ahead of time.
    #[error(
        "segment {0} of a distributed run cannot follow a load shape: a shape is code whose answers cannot be split ahead of time; use --stages, -u/-r or an arrival rate"
    )]
    SegmentedShape(Segment),
    /// The load shape asked for the end at its first tick.
    #[error("the load shape ended before it began: give it at least one stage")]
    EmptyShape,
}

/// The parts of a running test the runner must reach to reshape or stop it.
struct ActiveTest {
    token: CancellationToken,
    plan: watch::Sender<SpawnPlan>,
    spawner: JoinHandle<()>,
    sampler: JoinHandle<()>,
    timer: Option<JoinHandle<()>>,
    users: Arc<Mutex<UserSet>>,
    run: Arc<RunInfo>,
    arrival: bool,
}

pub(crate) struct Inner {
    scenario: Scenario,
    config: RunnerConfig,
    metrics: Metrics,
    run_id: String,
    state: watch::Sender<RunState>,
    /// Serialises start and stop.
    control: tokio::sync::Mutex<()>,
    /// Cancelled by `stop` while `on_test_start` runs, so a stop never waits on it.
    starting: Mutex<Option<CancellationToken>>,
    active: Mutex<Option<ActiveTest>>,
    live: Arc<AtomicUsize>,
    next_index: Arc<std::sync::atomic::AtomicU64>,
}

/// Runs tests of one scenario: start, reshape, stop, start again, quit.
#[derive(Clone)]
pub struct Runner {
    inner: Arc<Inner>,
}

/// Marks a start as interruptible for as long as it lives, however the start ends.
struct Starting<'a>(&'a Mutex<Option<CancellationToken>>);

impl<'a> Starting<'a> {
    fn set(slot: &'a Mutex<Option<CancellationToken>>, token: CancellationToken) -> Self {
        *lock(slot) = Some(token);
        Self(slot)
    }
}

impl Drop for Starting<'_> {
    fn drop(&mut self) {
        *lock(self.0) = None;
    }
}

/// A short random run id: 6 lowercase letters and digits.
fn new_run_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut n = uuid::Uuid::new_v4().as_u128();
    (0..6)
        .map(|_| {
            let c = ALPHABET[(n % 36) as usize] as char;
            n /= 36;
            c
        })
        .collect()
}

async fn run_hook(
    hook: &Option<TestHook>,
    ctx: TestCtx,
    deadline: Option<Instant>,
) -> Result<(), String> {
    let Some(hook) = hook else { return Ok(()) };
    let fut = hook(ctx);
    let result = match deadline {
        Some(d) => match timeout_at(d, fut).await {
            Ok(r) => r,
            Err(_) => return Err("did not finish within the stop timeout".to_owned()),
        },
        None => fut.await,
    };
    result.map_err(|e| match e {
        TaskError::Failed(m) | TaskError::Exception(m) => m,
        other => other.to_string(),
    })
}

impl Runner {
    /// A runner for `scenario`, in state [`RunState::Ready`].
    pub fn new(scenario: Scenario, config: RunnerConfig) -> Self {
        let metrics = Metrics::with_history(config.stats_window, config.entry_history);
        Self::with_metrics(scenario, config, metrics)
    }

    /// A runner recording into `metrics`, created beforehand so that things built before the
    /// runner (an HTTP client in the extensions) can hold its recorder.
    pub fn with_metrics(scenario: Scenario, config: RunnerConfig, metrics: Metrics) -> Self {
        let run_id = config.run_id.clone().unwrap_or_else(new_run_id);
        Self {
            inner: Arc::new(Inner {
                metrics,
                scenario,
                run_id,
                state: watch::Sender::new(RunState::Ready),
                control: tokio::sync::Mutex::new(()),
                starting: Mutex::new(None),
                active: Mutex::new(None),
                live: Arc::new(AtomicUsize::new(0)),
                next_index: Arc::new(std::sync::atomic::AtomicU64::new(config.user_index_offset)),
                config,
            }),
        }
    }

    /// The run id users derive names from.
    pub fn run_id(&self) -> &str {
        &self.inner.run_id
    }

    /// The segment of a distributed run this runner runs, if any.
    pub fn segment(&self) -> Option<Segment> {
        self.inner.config.segment
    }

    /// The shared values every user of this runner reads.
    pub fn extensions(&self) -> &Extensions {
        &self.inner.config.extensions
    }

    /// The scenario this runner runs.
    pub fn scenario(&self) -> &Scenario {
        &self.inner.scenario
    }

    /// The current state.
    pub fn state(&self) -> RunState {
        *self.inner.state.borrow()
    }

    /// A receiver that sees every state change.
    pub fn watch_state(&self) -> watch::Receiver<RunState> {
        self.inner.state.subscribe()
    }

    /// Users running now (started and not yet stopping).
    pub fn user_count(&self) -> usize {
        self.inner.live.load(Ordering::Acquire)
    }

    /// Users running now, per user type, in scenario order.
    pub fn user_counts_by_type(&self) -> Vec<(&'static str, usize)> {
        let active = lock(&self.inner.active);
        let counts = active.as_ref().map(|a| lock(&a.users).running_per_class());
        self.inner
            .scenario
            .classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name, counts.as_ref().map_or(0, |v| v[i])))
            .collect()
    }

    /// The statistics (shared with every user's recorder).
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Merged statistics now.
    pub fn snapshot(&self) -> StatsSnapshot {
        self.inner.metrics.snapshot()
    }

    /// Starts a test: resets the stats, runs `on_test_start`, then ramps towards `plan.users`.
    pub async fn start(&self, plan: TestPlan) -> Result<(), RunnerError> {
        let peak = plan.users;
        self.start_with(plan, None, peak).await
    }

    /// Starts an arrival-rate test: resets the stats, runs `on_test_start`, starts the pool's
    /// pre-allocated users, then hands an iteration to a pool user at every arrival of
    /// `arrival`'s schedule (users' waits are ignored). `plan.users` and `plan.spawn_rate`
    /// play no part. Ends when the schedule ends, at `plan.run_time`, or when stopped.
    pub async fn start_arrival(
        &self,
        plan: TestPlan,
        arrival: crate::ArrivalPlan,
    ) -> Result<(), RunnerError> {
        if arrival.max_users == 0 {
            return Err(RunnerError::InvalidArrivalPlan(
                "an arrival-rate run needs a pool of at least 1 user".into(),
            ));
        }
        if arrival.pre_allocated_users > arrival.max_users {
            return Err(RunnerError::InvalidArrivalPlan(format!(
                "{} pre-allocated users are more than the pool's maximum of {}",
                arrival.pre_allocated_users, arrival.max_users
            )));
        }
        // A segment's pool is its share of the whole run's (its arrivals are dealt out by the
        // executor, see `crate::segment`).
        let arrival = match self.inner.config.segment {
            Some(segment) => {
                let (pre, max) = crate::segment::split_pool(
                    arrival.pre_allocated_users,
                    arrival.max_users,
                    segment,
                )
                .map_err(|e| RunnerError::InvalidArrivalPlan(e.to_string()))?;
                crate::ArrivalPlan {
                    pre_allocated_users: pre,
                    max_users: max,
                    ..arrival
                }
            }
            None => arrival,
        };
        self.start_with(plan, Some(arrival), 0).await
    }

    /// Starts a closed test (`arrival` is `None`) or an arrival-rate one; a segment of a
    /// closed test lays the whole plan out for `peak` users, the most it will ever ask for.
    pub(crate) async fn start_with(
        &self,
        plan: TestPlan,
        arrival: Option<crate::ArrivalPlan>,
        peak: usize,
    ) -> Result<(), RunnerError> {
        if arrival.is_none() {
            validate_rate(plan.spawn_rate)?;
        }
        if self.inner.scenario.classes.is_empty() {
            return Err(RunnerError::NoUserTypes);
        }
        let _control = self.inner.control.lock().await;
        if lock(&self.inner.active).is_some() {
            return Err(RunnerError::AlreadyRunning);
        }
        self.inner.metrics.reset();
        let open = self.inner.metrics.open();
        open.arrival.store(arrival.is_some(), Ordering::Relaxed);
        open.target_rate.store(0f64.to_bits(), Ordering::Relaxed);
        open.max_users.store(0, Ordering::Relaxed);
        let run = Arc::new(RunInfo {
            run_id: self.inner.run_id.clone(),
            host: plan.host.clone(),
            extensions: self.inner.config.extensions.clone(),
            recorder: self.inner.metrics.recorder(),
        });
        tracing::info!(target: "swarm.runner", "Running on_test_start");
        let interrupt = CancellationToken::new();
        let _starting = Starting::set(&self.inner.starting, interrupt.clone());
        let started = tokio::select! {
            r = run_hook(
                &self.inner.scenario.on_test_start,
                TestCtx {
                    run: Arc::clone(&run),
                },
                None,
            ) => Some(r),
            () = interrupt.cancelled() => None,
        };
        match started {
            None => {
                self.inner.state.send_replace(RunState::Stopped);
                return Err(RunnerError::StartInterrupted);
            }
            Some(Err(message)) => {
                let message = crate::redact_userinfo(&message).into_owned();
                run.recorder
                    .record_exception(&format!("on_test_start failed: {message}"), "on_test_start");
                self.inner.state.send_replace(RunState::Stopped);
                return Err(RunnerError::TestStartFailed(message));
            }
            Some(Ok(())) => {}
        }
        // A segment's share of a closed plan, laid out for its peak; an arrival-rate run's
        // pool is its own (its arrivals are what a segment divides, see `crate::segment`).
        let share = self
            .inner
            .config
            .segment
            .filter(|_| arrival.is_none())
            .map(|segment| {
                let share = share_of(&self.inner.scenario.classes, peak, segment);
                tracing::info!(
                    target: "swarm.runner",
                    "Segment {segment}: {} of the plan's {} users, at the plan's times (about {:.2} users/s)",
                    share.running_at(plan.users as u64), plan.users,
                    share.rate(peak, plan.spawn_rate)
                );
                Arc::new(share)
            });
        if let (Some(segment), Some(_)) = (self.inner.config.segment, &arrival) {
            tracing::info!(
                target: "swarm.runner",
                "Segment {segment}: every {}th arrival of the schedule from arrival {}",
                segment.count(), segment.index()
            );
        }
        // A segment's spawner is told the whole plan's count and runs its users among them.
        let target = plan.users;
        if arrival.is_none() {
            tracing::info!(
                target: "swarm.runner",
                "Ramping to {target} users at {:.2} users/s", plan.spawn_rate
            );
        }
        self.inner.state.send_replace(RunState::Spawning);
        let token = CancellationToken::new();
        let users = Arc::new(Mutex::new(UserSet::new(self.inner.scenario.classes.len())));
        let (plan_tx, plan_rx) = watch::channel(SpawnPlan {
            users: target,
            rate: plan.spawn_rate,
        });
        let spawner = Spawner {
            classes: self.inner.scenario.classes.clone(),
            pick_class: next_class,
            users: Arc::clone(&users),
            run: Arc::clone(&run),
            token: token.clone(),
            state: self.inner.state.clone(),
            live: Arc::clone(&self.inner.live),
            next_index: Arc::clone(&self.inner.next_index),
            share,
            segment: self.inner.config.segment,
            seed: self.inner.config.seed,
            stop_timeout: self.inner.config.stop_timeout,
            stop_test: {
                let weak = Arc::downgrade(&self.inner);
                Arc::new(move || {
                    if let Some(inner) = weak.upgrade() {
                        tokio::spawn(async move { Runner { inner }.stop().await });
                    }
                })
            },
            reset_stats_after_ramp: self
                .inner
                .config
                .reset_stats_after_ramp
                .then(|| self.inner.metrics.clone()),
        };
        let is_arrival = arrival.is_some();
        let spawner = match arrival {
            None => tokio::spawn(spawner.run(plan_rx)),
            Some(plan) => tokio::spawn(
                crate::arrival::Executor {
                    spawner,
                    plan,
                    segment: self.inner.config.segment,
                    metrics: self.inner.metrics.clone(),
                }
                .run(),
            ),
        };
        let sampler = {
            let metrics = self.inner.metrics.clone();
            let live = Arc::clone(&self.inner.live);
            let interval = self.inner.config.stats_interval;
            tokio::spawn(async move {
                let mut ticker = tokio::time::interval_at(Instant::now() + interval, interval);
                loop {
                    ticker.tick().await;
                    metrics.tick(live.load(Ordering::Acquire));
                }
            })
        };
        let timer = plan.run_time.map(|run_time| {
            let weak = Arc::downgrade(&self.inner);
            tokio::spawn(async move {
                tokio::time::sleep(run_time).await;
                if let Some(inner) = weak.upgrade() {
                    tracing::info!(target: "swarm.runner", "Run time limit reached, stopping");
                    // Stop in its own task: stopping aborts this timer.
                    tokio::spawn(async move { Runner { inner }.stop().await });
                }
            })
        });
        *lock(&self.inner.active) = Some(ActiveTest {
            token,
            plan: plan_tx,
            spawner,
            sampler,
            timer,
            users,
            run,
            arrival: is_arrival,
        });
        Ok(())
    }

    /// The running test's cancellation token (cancelled when it stops).
    pub(crate) fn active_token(&self) -> Option<CancellationToken> {
        lock(&self.inner.active).as_ref().map(|a| a.token.clone())
    }

    /// Changes the target user count and spawn rate of the running test.
    pub fn reshape(&self, users: usize, spawn_rate: f64) -> Result<(), RunnerError> {
        validate_rate(spawn_rate)?;
        if let Some(segment) = self.inner.config.segment {
            return Err(RunnerError::Segmented(segment));
        }
        self.retarget(users, spawn_rate)
    }

    /// Sends the running closed test a new target; a segment's is the whole plan's count
    /// (only its user-count stages do this, on the whole plan's times).
    pub(crate) fn retarget(&self, users: usize, spawn_rate: f64) -> Result<(), RunnerError> {
        validate_rate(spawn_rate)?;
        let active = lock(&self.inner.active);
        let Some(active) = active.as_ref() else {
            return Err(RunnerError::NotRunning);
        };
        if active.arrival {
            return Err(RunnerError::ArrivalRun);
        }
        tracing::info!(target: "swarm.runner", "Ramping to {users} users at {spawn_rate:.2} users/s");
        active.plan.send_replace(SpawnPlan {
            users,
            rate: spawn_rate,
        });
        Ok(())
    }

    /// Stops the running test: cancels every user (a task in flight at its next await), runs
    /// every started user's `on_stop` within the stop timeout, then `on_test_stop`. Returns
    /// when the test is stopped; a no-op when none is running.
    pub async fn stop(&self) {
        // A start still in `on_test_start` holds the control lock: interrupt it first.
        if let Some(starting) = lock(&self.inner.starting).as_ref() {
            starting.cancel();
        }
        let _control = self.inner.control.lock().await;
        let Some(active) = lock(&self.inner.active).take() else {
            return;
        };
        self.inner.state.send_replace(RunState::Stopping);
        tracing::info!(target: "swarm.runner", "Stopping {} users", self.user_count());
        let stop_timeout = self.inner.config.stop_timeout;
        let deadline = Instant::now() + stop_timeout;
        active.token.cancel();
        if let Some(timer) = &active.timer {
            timer.abort();
        }
        // The spawner ends at its next await once cancelled.
        let _ = active.spawner.await;
        let handles = lock(&active.users).take_all();
        // Users bound their own on_stop by the deadline; the grace covers a task that blocks a
        // thread without awaiting, which no cancellation can interrupt.
        let hard_deadline = deadline + Duration::from_secs(1);
        let mut stuck = 0usize;
        for mut handle in handles {
            if timeout_at(hard_deadline, &mut handle).await.is_err() {
                handle.abort();
                stuck += 1;
            }
        }
        if stuck > 0 {
            active.run.recorder.record_exception(
                &format!("{stuck} users did not stop within the stop timeout ({stop_timeout:?}) and were aborted"),
                "stop",
            );
        }
        if let Err(message) = run_hook(
            &self.inner.scenario.on_test_stop,
            TestCtx {
                run: Arc::clone(&active.run),
            },
            Some(Instant::now() + stop_timeout),
        )
        .await
        {
            active
                .run
                .recorder
                .record_exception(&format!("on_test_stop failed: {message}"), "on_test_stop");
        }
        active.sampler.abort();
        self.inner.metrics.tick(self.user_count());
        self.inner.state.send_replace(RunState::Stopped);
        tracing::info!(target: "swarm.runner", "Test stopped");
    }

    /// Waits until the current test (if any) has stopped, whoever stopped it.
    pub async fn wait_stopped(&self) {
        let mut rx = self.inner.state.subscribe();
        let _ = rx
            .wait_for(|s| matches!(s, RunState::Stopped | RunState::Ready))
            .await;
    }

    /// Stops any running test, then runs `on_quit` once (call at process exit).
    pub async fn quit(&self) {
        self.stop().await;
        let run = Arc::new(RunInfo {
            run_id: self.inner.run_id.clone(),
            host: None,
            extensions: self.inner.config.extensions.clone(),
            recorder: self.inner.metrics.recorder(),
        });
        if let Err(message) = run_hook(
            &self.inner.scenario.on_quit,
            TestCtx { run },
            Some(Instant::now() + self.inner.config.stop_timeout),
        )
        .await
        {
            tracing::warn!(target: "swarm.runner", "on_quit failed: {message}");
        }
    }
}

fn validate_rate(rate: f64) -> Result<(), RunnerError> {
    if rate.is_finite() && rate > 0.0 {
        Ok(())
    } else {
        Err(RunnerError::InvalidSpawnRate(rate.to_string()))
    }
}
