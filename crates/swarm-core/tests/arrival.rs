//! The arrival-rate executor, the load shapes and the corrected times on tokio's paused
//! clock: arrivals start on their schedule, a pool too small grows to its maximum and then
//! counts every arrival it cannot run as dropped, ramps follow their integral, a shape ends
//! its run, and paced closed users count the time a held-back task waited.

#![allow(clippy::unwrap_used)] // test helpers: a poisoned lock is a failed test anyway

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use swarm_core::metrics::{Event, Outcome, StatsSnapshot};
use swarm_core::{
    ArrivalPlan, Ctx, Extensions, RateSchedule, RateStage, Runner, RunnerConfig, Scenario, Shape,
    ShapeTick, TaskResult, TestPlan, User, UserStage, UserStages, Wait, tasks,
};
use tokio::time::{Instant, sleep};

/// What the test users share: when each task started, how long a task takes, and how many
/// users started and stopped.
#[derive(Default)]
struct Log {
    starts: Mutex<Vec<Instant>>,
    /// Task length by iteration number (the last entry for every later one).
    lengths: Mutex<Vec<Duration>>,
    started: AtomicUsize,
    stopped: AtomicUsize,
}

impl Log {
    fn length(&self, n: usize) -> Duration {
        let lengths = self.lengths.lock().unwrap();
        lengths
            .get(n)
            .or(lengths.last())
            .copied()
            .unwrap_or_default()
    }
}

/// Records each task's start, waits its length, and records it as one timed operation.
struct Worker {
    log: Arc<Log>,
}

impl User for Worker {
    // Ignored by arrival-rate runs: only the arrivals decide when tasks start.
    const WAIT: Wait = Wait::Constant(Duration::from_secs(3600));

    async fn on_start(ctx: &mut Ctx) -> Result<Self, swarm_core::TaskError> {
        let log = Arc::clone(ctx.get::<Arc<Log>>().unwrap());
        log.started.fetch_add(1, Ordering::SeqCst);
        Ok(Self { log })
    }

    fn tasks(&self) -> swarm_core::Tasks<Self> {
        tasks![1 => Self::work]
    }

    async fn on_stop(&mut self, _: &mut Ctx) -> TaskResult {
        self.log.stopped.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

impl Worker {
    async fn work(&mut self, ctx: &mut Ctx) -> TaskResult {
        let start = Instant::now();
        let n = {
            let mut starts = self.log.starts.lock().unwrap();
            starts.push(start);
            starts.len() - 1
        };
        sleep(self.log.length(n)).await;
        ctx.recorder().record(&Event {
            kind: "OP",
            name: "work",
            response_time: start.elapsed(),
            time_to_first_byte: None,
            bytes: 0,
            outcome: Outcome::Success,
        });
        Ok(())
    }
}

/// A paced closed-run user: one task per 100 ms.
struct Paced {
    inner: Worker,
}

impl User for Paced {
    const WAIT: Wait = Wait::ConstantPacing(Duration::from_millis(100));

    async fn on_start(ctx: &mut Ctx) -> Result<Self, swarm_core::TaskError> {
        Ok(Self {
            inner: Worker::on_start(ctx).await?,
        })
    }

    fn tasks(&self) -> swarm_core::Tasks<Self> {
        tasks![1 => Self::work]
    }
}

impl Paced {
    async fn work(&mut self, ctx: &mut Ctx) -> TaskResult {
        self.inner.work(ctx).await
    }
}

fn runner_of(scenario: Scenario, lengths: &[u64]) -> (Runner, Arc<Log>) {
    let log = Arc::new(Log::default());
    *log.lengths.lock().unwrap() = lengths
        .iter()
        .map(|&ms| Duration::from_millis(ms))
        .collect();
    let mut extensions = Extensions::new();
    extensions.insert(Arc::clone(&log));
    let config = RunnerConfig {
        stop_timeout: Duration::from_secs(5),
        seed: Some(7),
        extensions,
        ..RunnerConfig::default()
    };
    (Runner::new(scenario, config), log)
}

fn runner(lengths: &[u64]) -> (Runner, Arc<Log>) {
    runner_of(Scenario::new().user::<Worker>(), lengths)
}

fn plan() -> TestPlan {
    TestPlan {
        users: 1,
        spawn_rate: 1.0,
        run_time: None,
        host: None,
    }
}

fn hold(secs: u64, rate: f64) -> RateStage {
    RateStage {
        duration: Duration::from_secs(secs),
        from: rate,
        to: rate,
    }
}

/// How many values of `h` (µs) lie in `lo..hi`.
fn recorded_in(h: &hdrhistogram::Histogram<u64>, lo: u64, hi: u64) -> u64 {
    h.iter_recorded()
        .filter(|v| (lo..hi).contains(&v.value_iterated_to()))
        .map(|v| v.count_at_value())
        .sum()
}

/// Starts `arrival`, waits until the schedule has ended the run, returns the final stats.
async fn run_arrival(runner: &Runner, arrival: ArrivalPlan) -> StatsSnapshot {
    runner.start_arrival(plan(), arrival).await.unwrap();
    tokio::time::timeout(Duration::from_secs(3600), runner.wait_stopped())
        .await
        .expect("the run ends with its schedule");
    runner.snapshot()
}

#[tokio::test(start_paused = true)]
async fn a_hundred_per_second_for_ten_seconds_is_a_thousand_starts_ten_ms_apart() {
    let (runner, log) = runner(&[5]);
    let stats = run_arrival(
        &runner,
        ArrivalPlan {
            schedule: RateSchedule::stages(vec![hold(10, 100.0)]),
            pre_allocated_users: 2,
            max_users: 2,
            max_lateness: Duration::ZERO,
        },
    )
    .await;
    let starts = log.starts.lock().unwrap().clone();
    assert_eq!(starts.len(), 1000);
    for (k, pair) in starts.windows(2).enumerate() {
        let gap = pair[1] - pair[0];
        // tokio's timers tick in whole milliseconds.
        assert!(
            gap >= Duration::from_millis(9) && gap <= Duration::from_millis(11),
            "start {k} to {}: {gap:?}",
            k + 1
        );
    }
    let span = starts[999] - starts[0];
    assert!(
        (span.as_secs_f64() - 9.99).abs() < 0.002,
        "first to last start: {span:?}"
    );
    assert_eq!(stats.open.iterations_started, 1000);
    assert_eq!(stats.open.dropped_iterations, 0);
    assert!(stats.open.arrival);
    assert_eq!(stats.tasks.len(), 1);
    assert_eq!(stats.tasks[0].iterations, 1000);
    assert_eq!(stats.tasks[0].late, 0);
    // Two users, on_start and on_stop each, and the waits never played a part.
    assert_eq!(log.started.load(Ordering::SeqCst), 2);
    assert_eq!(log.stopped.load(Ordering::SeqCst), 2);
    assert_eq!(stats.total.corrected.len(), 1000);
}

#[tokio::test(start_paused = true)]
async fn a_pool_too_small_grows_to_its_maximum_then_counts_every_drop() {
    // 10 arrivals 100 ms apart, each iteration 1 s long: the pre-allocated user takes the
    // first, the pool grows by one for the second and third, and the seven after find every
    // one of the three users busy.
    let (runner, log) = runner(&[1000]);
    let stats = run_arrival(
        &runner,
        ArrivalPlan {
            schedule: RateSchedule::stages(vec![hold(1, 10.0)]),
            pre_allocated_users: 1,
            max_users: 3,
            max_lateness: Duration::ZERO,
        },
    )
    .await;
    assert_eq!(stats.open.iterations_started, 3);
    assert_eq!(stats.open.dropped_iterations, 7);
    assert_eq!(stats.open.max_users, 3);
    assert_eq!(log.starts.lock().unwrap().len(), 3);
    assert_eq!(log.started.load(Ordering::SeqCst), 3);
    assert_eq!(log.stopped.load(Ordering::SeqCst), 3);
    assert_eq!(stats.open.pool_size, 0, "every pool user left at the stop");
}

#[tokio::test(start_paused = true)]
async fn stages_of_rate_follow_their_ramps() {
    let schedule = RateSchedule::stages(vec![
        RateStage {
            duration: Duration::from_secs(2),
            from: 0.0,
            to: 100.0,
        },
        hold(1, 100.0),
        RateStage {
            duration: Duration::from_secs(2),
            from: 100.0,
            to: 0.0,
        },
    ]);
    let (runner, log) = runner(&[1]);
    let stats = run_arrival(
        &runner,
        ArrivalPlan {
            schedule: schedule.clone(),
            pre_allocated_users: 4,
            max_users: 4,
            max_lateness: Duration::ZERO,
        },
    )
    .await;
    let starts = log.starts.lock().unwrap().clone();
    // 100 on the way up, 100 at the top, 100 on the way down.
    assert_eq!(starts.len(), 300);
    for (k, at) in starts.iter().enumerate() {
        let want = schedule.arrival(k as u64).unwrap();
        let got = *at - starts[0];
        let off = got.abs_diff(want);
        assert!(
            off <= Duration::from_millis(1),
            "arrival {k}: {got:?}, scheduled {want:?}"
        );
    }
    assert_eq!(stats.open.dropped_iterations, 0);
}

#[tokio::test(start_paused = true)]
async fn a_late_arrival_is_counted_and_corrected_from_its_arrival() {
    // One user, 10 arrivals per second, the first iteration 250 ms long: the arrivals at
    // 100 and 200 ms grow nothing (the pool is capped at 1) and are dropped; then the user
    // keeps up. The corrected maximum is the plain one: nothing waited for a user.
    let (runner, _log) = runner(&[250, 10]);
    let stats = run_arrival(
        &runner,
        ArrivalPlan {
            schedule: RateSchedule::stages(vec![hold(1, 10.0)]),
            pre_allocated_users: 1,
            max_users: 1,
            max_lateness: Duration::ZERO,
        },
    )
    .await;
    assert_eq!(stats.open.dropped_iterations, 2);
    assert_eq!(stats.open.iterations_started, 8);
    assert_eq!(stats.tasks[0].iterations, 8);
}

#[tokio::test(start_paused = true)]
async fn a_paced_task_held_back_by_an_overrun_counts_its_wait_and_is_late() {
    // Pacing 100 ms; the first task takes 350 ms, the rest 10 ms. The second task was due
    // 100 ms after the first started but starts at 350 ms: late, and its corrected time
    // includes the 250 ms it was held back.
    let (runner, log) = runner_of(Scenario::new().user::<Paced>(), &[350, 10]);
    runner
        .start(TestPlan {
            run_time: Some(Duration::from_secs(2)),
            ..plan()
        })
        .await
        .unwrap();
    runner.wait_stopped().await;
    let stats = runner.snapshot();
    assert!(log.starts.lock().unwrap().len() > 10);
    let e = &stats.entries[0];
    assert_eq!(stats.open.late_iterations, 1);
    assert!(!stats.open.arrival);
    let plain_max = e.max_us();
    assert!(
        (350_000..351_000).contains(&plain_max),
        "plain max {plain_max} µs"
    );
    // The held-back task: 250 ms waiting plus its own 10 ms.
    let second = e.corrected_percentile_us(0.9999);
    assert!(
        e.max_corrected_us >= 350_000 && e.corrected.len() == e.num_requests,
        "corrected {second} µs, max {}",
        e.max_corrected_us
    );
    let held_back = recorded_in(&e.corrected, 255_000, 265_000);
    assert_eq!(held_back, 1, "one request corrected by its 250 ms wait");
}

/// Ends the run at 3 s, with 2 users until then.
struct TwoThenEnd;

impl Shape for TwoThenEnd {
    fn tick(&mut self, elapsed: Duration, _: &StatsSnapshot) -> Option<ShapeTick> {
        (elapsed < Duration::from_secs(3)).then_some(ShapeTick {
            users: 2,
            spawn_rate: 10.0,
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_shape_ends_the_run() {
    let (runner, log) = runner(&[50]);
    let started = Instant::now();
    runner
        .start_shape(plan(), Box::new(TwoThenEnd))
        .await
        .unwrap();
    sleep(Duration::from_secs(2)).await;
    assert_eq!(runner.user_count(), 2);
    runner.wait_stopped().await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(5),
        "stopped after {took:?}"
    );
    assert_eq!(log.stopped.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn user_stages_ramp_hold_and_end() {
    let stages = UserStages(vec![
        UserStage {
            duration: Duration::from_secs(4),
            users: 8,
            rate: None,
        },
        UserStage {
            duration: Duration::from_secs(4),
            users: 8,
            rate: None,
        },
        UserStage {
            duration: Duration::from_secs(4),
            users: 0,
            rate: None,
        },
    ]);
    let (runner, log) = runner(&[100]);
    runner.start_shape(plan(), Box::new(stages)).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..11 {
        sleep(Duration::from_secs(1)).await;
        seen.push(runner.user_count());
    }
    runner.wait_stopped().await;
    // 2 users/s up to 8 by 4 s, 8 held, 2 users/s down to 0 by 12 s; the shape is asked
    // once a second, so each count is within one step of the ideal.
    let ideal = [2, 4, 6, 8, 8, 8, 8, 8, 6, 4, 2];
    for (i, (&got, &want)) in seen.iter().zip(&ideal).enumerate() {
        assert!(
            got.abs_diff(want) <= 2,
            "at {} s: {got} users, ideal {want}",
            i + 1
        );
    }
    assert_eq!(log.started.load(Ordering::SeqCst), 8);
    assert_eq!(log.stopped.load(Ordering::SeqCst), 8);
}

#[tokio::test(start_paused = true)]
async fn arrivals_allowed_to_wait_run_late_and_count_the_wait() {
    // As above, but arrivals may wait 1 s for the one user: the arrivals at 100 and 200 ms
    // wait for the first iteration to end at 250 ms and then run, one after the other.
    let (runner, log) = runner(&[250, 10]);
    let stats = run_arrival(
        &runner,
        ArrivalPlan {
            schedule: RateSchedule::stages(vec![hold(1, 10.0)]),
            pre_allocated_users: 1,
            max_users: 1,
            max_lateness: Duration::from_secs(1),
        },
    )
    .await;
    assert_eq!(stats.open.dropped_iterations, 0);
    assert_eq!(stats.open.iterations_started, 10);
    assert_eq!(log.starts.lock().unwrap().len(), 10);
    // Started 150 ms after its arrival: more than one 100 ms period late.
    assert_eq!(stats.open.late_iterations, 1);
    let e = &stats.entries[0];
    // The arrival at 100 ms ended at 260 ms, the one at 200 ms at 270 ms; their own
    // requests took 10 ms each.
    assert_eq!(recorded_in(&e.corrected, 159_000, 162_000), 1);
    assert_eq!(recorded_in(&e.corrected, 69_000, 72_000), 1);
    assert!(e.percentile_us(0.8) < 20_000);
}

#[tokio::test(start_paused = true)]
async fn an_arrival_waiting_too_long_is_dropped() {
    // The first iteration takes 2.5 s; arrivals may wait 1.05 s: those at 100 ms .. 1.4 s
    // are too old by the time the user is free (2.5 s), the ones from 1.5 s on wait and run.
    let (runner, _log) = runner(&[2500, 1]);
    let stats = run_arrival(
        &runner,
        ArrivalPlan {
            schedule: RateSchedule::stages(vec![hold(2, 10.0)]),
            pre_allocated_users: 1,
            max_users: 1,
            max_lateness: Duration::from_millis(1050),
        },
    )
    .await;
    let o = &stats.open;
    assert_eq!(o.iterations_started + o.dropped_iterations, 20, "{o:?}");
    assert_eq!(o.dropped_iterations, 14, "{o:?}");
}

#[tokio::test(start_paused = true)]
async fn regression_an_arrival_due_as_the_run_time_ends_is_not_dropped() {
    // At 100/s the arrival at 1 s is due at the instant the run time stops the test: it
    // reaches a free user that is told to stop before it runs. No user was missing, so it
    // is not a drop, and the iterations counted started are the ones that ran.
    let (runner, log) = runner(&[5]);
    let plan = TestPlan {
        run_time: Some(Duration::from_secs(1)),
        ..plan()
    };
    let arrival = ArrivalPlan {
        schedule: RateSchedule::stages(vec![hold(10, 100.0)]),
        pre_allocated_users: 2,
        max_users: 2,
        max_lateness: Duration::from_secs(3),
    };
    runner.start_arrival(plan, arrival).await.unwrap();
    tokio::time::timeout(Duration::from_secs(3600), runner.wait_stopped())
        .await
        .expect("the run time ends the run");
    let o = runner.snapshot().open;
    assert_eq!(o.dropped_iterations, 0, "{o:?}");
    assert_eq!(
        o.iterations_started,
        log.starts.lock().unwrap().len() as u64,
        "{o:?}"
    );
    assert_eq!(o.busy_users, 0, "{o:?}");
}
