//! Lifecycle semantics of BRIEF section 3, on tokio's paused clock: the order of hooks per
//! user for every kind of stop, spawn rates and wait kinds.

#![allow(clippy::unwrap_used)] // test helpers: a poisoned log is a failed test anyway

use std::sync::{Arc, Mutex};
use std::time::Duration;
use swarm_core::{
    Ctx, Extensions, RunState, Runner, RunnerConfig, Scenario, TaskResult, TestPlan, User, Wait,
    tasks,
};
use tokio::time::{Instant, sleep};

/// What the test users write down, in order: (user index or None for test hooks, event, time).
type Entry = (Option<u64>, String, Duration);
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<Entry>>>);

/// Knobs of the test user, shared through the run's extensions.
#[derive(Clone)]
struct Behaviour {
    task_len: Duration,
    hang_on_stop: bool,
    panic_in_task: bool,
    panic_on_start_for: Option<u64>,
    t0: Instant,
}

impl Log {
    fn push(&self, ctx_index: Option<u64>, what: &str, t0: Instant) {
        self.0
            .lock()
            .unwrap()
            .push((ctx_index, what.to_owned(), t0.elapsed()));
    }
    fn events_of(&self, index: u64) -> Vec<String> {
        let log = self.0.lock().unwrap();
        let mut out: Vec<String> = log
            .iter()
            .filter(|(i, _, _)| *i == Some(index))
            .map(|(_, w, _)| w.clone())
            .collect();
        // Collapse runs of tasks so orders read start, task*, stop.
        out.dedup_by(|a, b| a.starts_with("task") && b.starts_with("task"));
        out
    }
    fn count(&self, what: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, w, _)| w == what)
            .count()
    }
    fn times_of(&self, what: &str) -> Vec<Duration> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, w, _)| w == what)
            .map(|e| e.2)
            .collect()
    }
    fn users(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.0.lock().unwrap().iter().filter_map(|e| e.0).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

fn knobs(ctx: &Ctx) -> (Log, Behaviour) {
    (
        ctx.get::<Log>().unwrap().clone(),
        ctx.get::<Behaviour>().unwrap().clone(),
    )
}

macro_rules! test_user {
    ($name:ident, $wait:expr) => {
        struct $name {
            log: Log,
            b: Behaviour,
        }
        impl User for $name {
            const WAIT: Wait = $wait;
            async fn on_start(ctx: &mut Ctx) -> Result<Self, swarm_core::TaskError> {
                let (log, b) = knobs(ctx);
                log.push(Some(ctx.user_index()), "start", b.t0);
                if b.panic_on_start_for == Some(ctx.user_index()) {
                    panic!("on_start exploded");
                }
                Ok(Self { log, b })
            }
            fn tasks(&self) -> swarm_core::Tasks<Self> {
                tasks![1 => Self::work]
            }
            async fn on_stop(&mut self, ctx: &mut Ctx) -> TaskResult {
                self.log.push(Some(ctx.user_index()), "stop", self.b.t0);
                if self.b.hang_on_stop {
                    std::future::pending::<()>().await;
                }
                Ok(())
            }
        }
        impl $name {
            async fn work(&mut self, ctx: &mut Ctx) -> TaskResult {
                self.log.push(Some(ctx.user_index()), "task", self.b.t0);
                if self.b.panic_in_task {
                    panic!("task exploded");
                }
                sleep(self.b.task_len).await;
                self.log.push(Some(ctx.user_index()), "task done", self.b.t0);
                Ok(())
            }
        }
    };
}

test_user!(Steady, Wait::constant(Duration::from_secs(1)));
test_user!(Paced, Wait::constant_pacing(Duration::from_secs(1)));
test_user!(Quad, Wait::constant_throughput(4.0));

fn behaviour() -> Behaviour {
    Behaviour {
        task_len: Duration::from_millis(100),
        hang_on_stop: false,
        panic_in_task: false,
        panic_on_start_for: None,
        t0: Instant::now(),
    }
}

fn runner_with(scenario: Scenario, b: Behaviour, stop_timeout: Duration) -> (Runner, Log) {
    let log = Log::default();
    let test_log = log.clone();
    let t0 = b.t0;
    let stop_log = log.clone();
    let scenario = scenario
        .on_test_start(move |_| {
            let log = test_log.clone();
            async move {
                log.push(None, "on_test_start", t0);
                Ok(())
            }
        })
        .on_test_stop(move |_| {
            let log = stop_log.clone();
            async move {
                log.push(None, "on_test_stop", t0);
                Ok(())
            }
        });
    let mut extensions = Extensions::new();
    extensions.insert(log.clone()).insert(b);
    let config = RunnerConfig {
        stop_timeout,
        seed: Some(1),
        extensions,
        ..RunnerConfig::default()
    };
    (Runner::new(scenario, config), log)
}

fn plan(users: usize, rate: f64, run_time: Option<u64>) -> TestPlan {
    TestPlan {
        users,
        spawn_rate: rate,
        run_time: run_time.map(Duration::from_secs),
        host: None,
    }
}

/// Every user that started ran: start, (tasks), stop — exactly once each, in that order —
/// all after on_test_start and before on_test_stop.
fn assert_clean_lifecycle(log: &Log) {
    for user in log.users() {
        let events = log.events_of(user);
        let events: Vec<&str> = events
            .iter()
            .map(|s| s.as_str())
            .filter(|s| *s != "task done")
            .collect();
        assert!(
            events == ["start", "task", "stop"] || events == ["start", "stop"],
            "user {user}: {events:?}"
        );
    }
    let all = log.0.lock().unwrap();
    assert_eq!(all.first().unwrap().1, "on_test_start");
    assert_eq!(all.last().unwrap().1, "on_test_stop");
}

#[tokio::test(start_paused = true)]
async fn run_time_end_stops_every_user_once() {
    let (runner, log) = runner_with(
        Scenario::new().user::<Steady>(),
        behaviour(),
        Duration::from_secs(5),
    );
    runner.start(plan(3, 10.0, Some(5))).await.unwrap();
    runner.wait_stopped().await;
    assert_eq!(runner.state(), RunState::Stopped);
    assert_eq!(log.count("start"), 3);
    assert_eq!(log.count("stop"), 3);
    assert_eq!(log.count("on_test_stop"), 1);
    assert_clean_lifecycle(&log);
    // Run time ends at t=5 s: tasks ran about once a second per user.
    let tasks = log.count("task");
    assert!((12..=18).contains(&tasks), "{tasks} tasks");
}

#[tokio::test(start_paused = true)]
async fn ramp_down_stops_the_newest_users() {
    let (runner, log) = runner_with(
        Scenario::new().user::<Steady>(),
        behaviour(),
        Duration::from_secs(5),
    );
    runner.start(plan(5, 100.0, None)).await.unwrap();
    sleep(Duration::from_secs(2)).await;
    assert_eq!(runner.user_count(), 5);
    runner.reshape(2, 100.0).unwrap();
    sleep(Duration::from_secs(2)).await;
    assert_eq!(runner.user_count(), 2);
    for stopped in [2, 3, 4] {
        assert_eq!(
            log.events_of(stopped).last().unwrap(),
            "stop",
            "user {stopped}"
        );
    }
    for kept in [0, 1] {
        assert!(
            !log.events_of(kept).contains(&"stop".to_owned()),
            "user {kept}"
        );
    }
    // Raising again spawns new users with fresh indices.
    runner.reshape(4, 100.0).unwrap();
    sleep(Duration::from_secs(1)).await;
    assert_eq!(runner.user_count(), 4);
    assert!(log.users().contains(&6));
    runner.stop().await;
    assert_eq!(log.count("start"), 7);
    assert_eq!(log.count("stop"), 7);
    assert_clean_lifecycle(&log);
}

#[tokio::test(start_paused = true)]
async fn stop_mid_task_cancels_the_task_then_runs_on_stop() {
    let b = Behaviour {
        task_len: Duration::from_secs(60),
        ..behaviour()
    };
    let (runner, log) = runner_with(Scenario::new().user::<Steady>(), b, Duration::from_secs(5));
    runner.start(plan(2, 100.0, None)).await.unwrap();
    sleep(Duration::from_millis(500)).await;
    let before = Instant::now();
    runner.stop().await;
    assert!(
        before.elapsed() < Duration::from_secs(1),
        "stop waited for the task"
    );
    assert_eq!(log.count("task"), 2);
    assert_eq!(
        log.count("task done"),
        0,
        "the task in flight was cancelled"
    );
    assert_eq!(log.count("stop"), 2);
    assert_clean_lifecycle(&log);
}

#[tokio::test(start_paused = true)]
async fn interrupt_while_spawning_stops_exactly_the_started_users() {
    // What Ctrl-C does: the CLI calls stop() while users are still being spawned.
    let (runner, log) = runner_with(
        Scenario::new().user::<Steady>(),
        behaviour(),
        Duration::from_secs(5),
    );
    runner.start(plan(10, 1.0, None)).await.unwrap();
    sleep(Duration::from_millis(3500)).await;
    assert_eq!(runner.state(), RunState::Spawning);
    runner.stop().await;
    assert_eq!(log.count("start"), 4);
    assert_eq!(log.count("stop"), 4);
    assert_clean_lifecycle(&log);
    // A new start runs the start hooks again with fresh stats.
    runner.start(plan(1, 10.0, Some(2))).await.unwrap();
    runner.wait_stopped().await;
    assert_eq!(log.count("on_test_start"), 2);
    assert_eq!(log.count("on_test_stop"), 2);
    assert_eq!(log.count("start"), 5);
}

#[tokio::test(start_paused = true)]
async fn panics_become_exceptions_and_never_skip_on_stop() {
    let b = Behaviour {
        panic_in_task: true,
        panic_on_start_for: Some(1),
        ..behaviour()
    };
    let (runner, log) = runner_with(Scenario::new().user::<Steady>(), b, Duration::from_secs(5));
    runner.start(plan(3, 100.0, Some(3))).await.unwrap();
    runner.wait_stopped().await;
    // User 1's on_start panicked: it never ran, so it has no on_stop; the others did.
    assert_eq!(log.events_of(1), ["start"]);
    for user in [0, 2] {
        assert_eq!(log.events_of(user), ["start", "task", "stop"]);
    }
    let snap = runner.snapshot();
    let messages: Vec<(&str, u64)> = snap
        .exceptions
        .iter()
        .map(|e| (e.message.as_str(), e.count))
        .collect();
    assert!(
        messages
            .iter()
            .any(|(m, n)| *m == "panic: task exploded" && *n >= 4),
        "{messages:?}"
    );
    assert!(
        messages.contains(&("on_start failed: panic: on_start exploded", 1)),
        "{messages:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn on_stop_hanging_past_stop_timeout_is_cut_off() {
    let b = Behaviour {
        hang_on_stop: true,
        ..behaviour()
    };
    let (runner, log) = runner_with(Scenario::new().user::<Steady>(), b, Duration::from_secs(3));
    runner.start(plan(2, 100.0, None)).await.unwrap();
    sleep(Duration::from_secs(1)).await;
    let before = Instant::now();
    runner.stop().await;
    let took = before.elapsed();
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(5),
        "stop took {took:?}"
    );
    assert_eq!(log.count("on_test_stop"), 1, "on_test_stop still runs");
    let snap = runner.snapshot();
    assert!(
        snap.exceptions
            .iter()
            .any(|e| e.message.starts_with("on_stop did not finish") && e.count == 2),
        "{:?}",
        snap.exceptions
    );
}

#[tokio::test(start_paused = true)]
async fn ten_users_at_two_per_second_are_all_running_at_five_seconds() {
    let (runner, log) = runner_with(
        Scenario::new().user::<Steady>(),
        behaviour(),
        Duration::from_secs(5),
    );
    runner.start(plan(10, 2.0, None)).await.unwrap();
    sleep(Duration::from_millis(4400)).await;
    assert_eq!(runner.user_count(), 9, "one user every 0.5 s");
    assert_eq!(runner.state(), RunState::Spawning);
    sleep(Duration::from_millis(600)).await;
    assert_eq!(runner.user_count(), 10);
    assert_eq!(runner.state(), RunState::Running);
    assert_eq!(log.count("start"), 10);
    runner.stop().await;
}

/// Task start times of one user, after its random initial phase.
fn start_intervals(log: &Log) -> Vec<Duration> {
    let starts = log.times_of("task");
    starts.windows(2).map(|w| w[1] - w[0]).collect()
}

#[tokio::test(start_paused = true)]
async fn constant_pacing_starts_one_task_per_second_whatever_its_length() {
    for task_ms in [10, 300, 900] {
        let b = Behaviour {
            task_len: Duration::from_millis(task_ms),
            ..behaviour()
        };
        let (runner, log) = runner_with(Scenario::new().user::<Paced>(), b, Duration::from_secs(5));
        runner.start(plan(1, 10.0, Some(10))).await.unwrap();
        runner.wait_stopped().await;
        let intervals = start_intervals(&log);
        assert!(intervals.len() >= 8, "{task_ms} ms tasks: {intervals:?}");
        assert!(
            intervals.iter().all(|d| *d == Duration::from_secs(1)),
            "{task_ms} ms: {intervals:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn constant_throughput_four_gives_four_task_starts_per_second() {
    let (runner, log) = runner_with(
        Scenario::new().user::<Quad>(),
        behaviour(),
        Duration::from_secs(5),
    );
    runner.start(plan(1, 10.0, Some(10))).await.unwrap();
    runner.wait_stopped().await;
    let intervals = start_intervals(&log);
    assert!(intervals.len() >= 36, "{intervals:?}");
    assert!(
        intervals.iter().all(|d| *d == Duration::from_millis(250)),
        "{intervals:?}"
    );
}

/// A user that stops itself after its third task, or stops the whole test from user 1's
/// second task, or marks a failure; picked by the `Mode` extension.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    StopUserAfter3,
    StopTestFromUser1,
    FailEveryTask,
}

struct Quitter {
    log: Log,
    b: Behaviour,
    mode: Mode,
    runs: u32,
}

impl User for Quitter {
    const WAIT: Wait = Wait::constant(Duration::from_millis(100));
    async fn on_start(ctx: &mut Ctx) -> Result<Self, swarm_core::TaskError> {
        let (log, b) = knobs(ctx);
        log.push(Some(ctx.user_index()), "start", b.t0);
        let mode = *ctx.get::<Mode>().unwrap();
        Ok(Self {
            log,
            b,
            mode,
            runs: 0,
        })
    }
    fn tasks(&self) -> swarm_core::Tasks<Self> {
        tasks![1 => Self::work]
    }
    async fn on_stop(&mut self, ctx: &mut Ctx) -> TaskResult {
        self.log.push(Some(ctx.user_index()), "stop", self.b.t0);
        Ok(())
    }
}

impl Quitter {
    async fn work(&mut self, ctx: &mut Ctx) -> TaskResult {
        self.runs += 1;
        self.log.push(Some(ctx.user_index()), "task", self.b.t0);
        match self.mode {
            Mode::StopUserAfter3 if self.runs == 3 => Err(swarm_core::TaskError::StopUser),
            Mode::StopTestFromUser1 if self.runs == 2 && ctx.user_index() == 1 => {
                Err(swarm_core::TaskError::StopTest)
            }
            Mode::FailEveryTask => Err(swarm_core::TaskError::failed("expected failure")),
            _ => Ok(()),
        }
    }
}

fn quitter_runner(mode: Mode) -> (Runner, Log) {
    let log = Log::default();
    let mut extensions = Extensions::new();
    extensions
        .insert(log.clone())
        .insert(behaviour())
        .insert(mode);
    let config = RunnerConfig {
        stop_timeout: Duration::from_secs(5),
        seed: Some(1),
        extensions,
        ..RunnerConfig::default()
    };
    (Runner::new(Scenario::new().user::<Quitter>(), config), log)
}

#[tokio::test(start_paused = true)]
async fn a_task_can_stop_its_own_user_and_the_others_go_on() {
    let (runner, log) = quitter_runner(Mode::StopUserAfter3);
    runner.start(plan(2, 100.0, None)).await.unwrap();
    sleep(Duration::from_secs(2)).await;
    // Both stopped themselves after three tasks, each running its on_stop once.
    for user in [0, 1] {
        assert_eq!(
            log.events_of(user),
            ["start", "task", "stop"],
            "user {user}"
        );
    }
    assert_eq!(log.count("task"), 6);
    assert_eq!(runner.user_count(), 0);
    assert_eq!(
        runner.state(),
        RunState::Running,
        "stopping users is not stopping the test"
    );
    runner.stop().await;
    assert_eq!(log.count("stop"), 2, "no second on_stop");
}

#[tokio::test(start_paused = true)]
async fn a_task_can_stop_the_whole_test() {
    let (runner, log) = quitter_runner(Mode::StopTestFromUser1);
    runner.start(plan(3, 100.0, None)).await.unwrap();
    runner.wait_stopped().await;
    assert_eq!(runner.state(), RunState::Stopped);
    assert_eq!(log.count("start"), 3);
    assert_eq!(log.count("stop"), 3, "every user's on_stop ran once");
}

#[tokio::test(start_paused = true)]
async fn a_failed_task_is_not_an_exception_and_the_user_goes_on() {
    let (runner, log) = quitter_runner(Mode::FailEveryTask);
    runner.start(plan(1, 100.0, Some(1))).await.unwrap();
    runner.wait_stopped().await;
    assert!(log.count("task") >= 5, "the user kept running tasks");
    assert!(
        runner.snapshot().exceptions.is_empty(),
        "{:?}",
        runner.snapshot().exceptions
    );
}

/// A second user type, three times as common as `Steady`, and a fixed-count one.
struct Heavy;
struct Admin;

impl User for Heavy {
    const WEIGHT: u32 = 3;
    async fn on_start(_: &mut Ctx) -> Result<Self, swarm_core::TaskError> {
        Ok(Self)
    }
    fn tasks(&self) -> swarm_core::Tasks<Self> {
        tasks![1 => Self::idle]
    }
}

impl User for Admin {
    const FIXED_COUNT: Option<usize> = Some(1);
    async fn on_start(_: &mut Ctx) -> Result<Self, swarm_core::TaskError> {
        Ok(Self)
    }
    fn tasks(&self) -> swarm_core::Tasks<Self> {
        tasks![1 => Self::idle]
    }
}

impl Heavy {
    async fn idle(&mut self, _: &mut Ctx) -> TaskResult {
        sleep(Duration::from_secs(1)).await;
        Ok(())
    }
}

impl Admin {
    async fn idle(&mut self, _: &mut Ctx) -> TaskResult {
        sleep(Duration::from_secs(1)).await;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn user_types_share_the_users_by_weight_after_fixed_counts() {
    let scenario = Scenario::new()
        .user::<Steady>()
        .user::<Heavy>()
        .user::<Admin>();
    let (runner, _log) = runner_with(scenario, behaviour(), Duration::from_secs(5));
    runner.start(plan(9, 100.0, None)).await.unwrap();
    sleep(Duration::from_secs(1)).await;
    assert_eq!(
        runner.user_counts_by_type(),
        [("Steady", 2), ("Heavy", 6), ("Admin", 1)]
    );
    runner.reshape(5, 100.0).unwrap();
    sleep(Duration::from_secs(1)).await;
    assert_eq!(
        runner.user_counts_by_type(),
        [("Steady", 1), ("Heavy", 3), ("Admin", 1)]
    );
    runner.stop().await;
}
