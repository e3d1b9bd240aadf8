//! Segmented runners on tokio's paused clock: N runners, each running segment i/N of one
//! plan, together start exactly the users of one runner running the whole plan, with the
//! same indices, the same types and at the same times; the same for arrival-rate runs
//! (the same arrivals at the same instants, from pool users of disjoint indices) and for
//! user-count stages (the same users running at every moment, type by type).

#![allow(clippy::unwrap_used)] // test helpers: a poisoned lock is a failed test anyway

use std::sync::{Arc, Mutex};
use std::time::Duration;
use swarm_core::{
    ArrivalPlan, Ctx, Extensions, RateSchedule, RateStage, Runner, RunnerConfig, RunnerError,
    Scenario, Segment, TaskResult, TestPlan, User, UserStage, UserStages, Wait, tasks,
};
use tokio::time::{Instant, sleep};

/// One start: user index, user type, milliseconds after the test started.
type Start = (u64, &'static str, u128);

/// Every start.
#[derive(Clone, Default)]
struct Starts(Arc<Mutex<Vec<Start>>>);

#[derive(Clone)]
struct T0(Instant);

macro_rules! user_type {
    ($name:ident, $weight:expr, $fixed:expr) => {
        struct $name;
        impl User for $name {
            const WAIT: Wait = Wait::Constant(Duration::from_secs(1));
            const WEIGHT: u32 = $weight;
            const FIXED_COUNT: Option<usize> = $fixed;
            async fn on_start(ctx: &mut Ctx) -> Result<Self, swarm_core::TaskError> {
                let t0 = ctx.get::<T0>().unwrap().0;
                ctx.get::<Starts>().unwrap().0.lock().unwrap().push((
                    ctx.user_index(),
                    ctx.user_type(),
                    t0.elapsed().as_millis(),
                ));
                Ok(Self)
            }
            fn tasks(&self) -> swarm_core::Tasks<Self> {
                tasks![1 => Self::idle]
            }
        }
        impl $name {
            async fn idle(&mut self) -> TaskResult {
                Ok(())
            }
        }
    };
}

user_type!(Admin, 1, Some(2));
user_type!(Reader, 3, None);
user_type!(Writer, 1, None);

fn scenario() -> Scenario {
    Scenario::new()
        .user::<Admin>()
        .user::<Reader>()
        .user::<Writer>()
}

fn runner(segment: Option<Segment>, starts: &Starts, t0: Instant) -> Runner {
    let mut extensions = Extensions::new();
    extensions.insert(starts.clone()).insert(T0(t0));
    let config = RunnerConfig {
        stop_timeout: Duration::from_secs(5),
        seed: Some(1),
        segment,
        extensions,
        ..RunnerConfig::default()
    };
    Runner::new(scenario(), config)
}

fn plan() -> TestPlan {
    TestPlan {
        users: 23,
        spawn_rate: 10.0,
        run_time: None,
        host: None,
    }
}

async fn run(runners: &[Runner]) {
    for r in runners {
        r.start(plan()).await.unwrap();
    }
    sleep(Duration::from_secs(5)).await;
    for r in runners {
        r.stop().await;
    }
}

#[tokio::test(start_paused = true)]
async fn three_segments_start_what_one_whole_run_starts() {
    let t0 = Instant::now();
    let whole = Starts::default();
    run(&[runner(None, &whole, t0)]).await;

    let t0 = Instant::now();
    let split = Starts::default();
    let runners: Vec<Runner> = (0..3)
        .map(|i| runner(Some(Segment::new(i, 3).unwrap()), &split, t0))
        .collect();
    run(&runners).await;

    let sorted = |s: &Starts| {
        let mut v = s.0.lock().unwrap().clone();
        v.sort();
        v
    };
    let (whole, split) = (sorted(&whole), sorted(&split));
    assert_eq!(whole.len(), 23);
    let indices: Vec<u64> = split.iter().map(|s| s.0).collect();
    assert_eq!(indices, (0..23).collect::<Vec<u64>>(), "every index once");
    // Same index, same type, same time (k/rate on the paused clock).
    assert_eq!(split, whole);
    assert_eq!(whole[22].2, 2200);
}

#[tokio::test(start_paused = true)]
async fn a_segment_refuses_a_reshape() {
    let segment = Segment::new(1, 3).unwrap();
    let r = runner(Some(segment), &Starts::default(), Instant::now());
    r.start(plan()).await.unwrap();
    assert_eq!(r.reshape(50, 5.0), Err(RunnerError::Segmented(segment)));
    r.stop().await;
}

/// Every iteration of an arrival-rate run (the pool user's index and microseconds after the
/// test started), and every pool user's index.
#[derive(Clone, Default)]
struct Iterations(Arc<Mutex<Vec<(u64, u128)>>>, Arc<Mutex<Vec<u64>>>);

/// A pool user that notes each iteration's start and returns at once.
struct Pooled;

impl User for Pooled {
    const WAIT: Wait = Wait::Constant(Duration::from_secs(3600));
    async fn on_start(ctx: &mut Ctx) -> Result<Self, swarm_core::TaskError> {
        let index = ctx.user_index();
        ctx.get::<Iterations>()
            .unwrap()
            .1
            .lock()
            .unwrap()
            .push(index);
        Ok(Self)
    }
    fn tasks(&self) -> swarm_core::Tasks<Self> {
        tasks![1 => Self::arrive]
    }
}

impl Pooled {
    async fn arrive(&mut self, ctx: &mut Ctx) -> TaskResult {
        let t0 = ctx.get::<T0>().unwrap().0;
        let at = t0.elapsed().as_micros();
        let index = ctx.user_index();
        ctx.get::<Iterations>()
            .unwrap()
            .0
            .lock()
            .unwrap()
            .push((index, at));
        Ok(())
    }
}

fn arrival_runner(segment: Option<Segment>, log: &Iterations, t0: Instant) -> Runner {
    let mut extensions = Extensions::new();
    extensions.insert(log.clone()).insert(T0(t0));
    let config = RunnerConfig {
        stop_timeout: Duration::from_secs(5),
        segment,
        extensions,
        ..RunnerConfig::default()
    };
    Runner::new(Scenario::new().user::<Pooled>(), config)
}

/// 100 arrivals a second for 10 s, from a pool of 4 (up to 10).
fn hundred_a_second() -> ArrivalPlan {
    ArrivalPlan {
        schedule: RateSchedule::stages(vec![RateStage {
            duration: Duration::from_secs(10),
            from: 100.0,
            to: 100.0,
        }]),
        pre_allocated_users: 4,
        max_users: 10,
        max_lateness: Duration::ZERO,
    }
}

/// Runs every runner's arrival plan at once until the schedule has ended them all; returns
/// (started, dropped) summed.
async fn run_arrivals(runners: &[Runner]) -> (u64, u64) {
    for r in runners {
        r.start_arrival(plan(), hundred_a_second()).await.unwrap();
    }
    for r in runners {
        r.wait_stopped().await;
    }
    runners.iter().fold((0, 0), |(s, d), r| {
        let open = r.snapshot().open;
        (s + open.iterations_started, d + open.dropped_iterations)
    })
}

#[tokio::test(start_paused = true)]
async fn three_segments_run_the_arrivals_of_one_whole_run() {
    let t0 = Instant::now();
    let whole = Iterations::default();
    let counts = run_arrivals(&[arrival_runner(None, &whole, t0)]).await;
    assert_eq!(counts, (1000, 0));

    let t0 = Instant::now();
    let logs: Vec<Iterations> = (0..3).map(|_| Iterations::default()).collect();
    let runners: Vec<Runner> = (0..3)
        .map(|i| arrival_runner(Some(Segment::new(i, 3).unwrap()), &logs[i as usize], t0))
        .collect();
    assert_eq!(run_arrivals(&runners).await, (1000, 0));

    // The same instants: the whole run's arrivals, each started by exactly one segment.
    let times = |log: &Iterations| -> Vec<u128> {
        let mut v: Vec<u128> = log.0.lock().unwrap().iter().map(|i| i.1).collect();
        v.sort_unstable();
        v
    };
    let mut union: Vec<u128> = logs.iter().flat_map(times).collect();
    union.sort_unstable();
    let whole_times = times(&whole);
    assert_eq!(whole_times.len(), 1000);
    assert_eq!(whole_times[999], 9_990_000);
    assert_eq!(union, whole_times);
    // Segment i took arrivals i, i+3, ...: 334, 333, 333, at 10 ms * (i + 3k).
    for (i, log) in logs.iter().enumerate() {
        let t = times(log);
        let want: Vec<u128> = (i..1000).step_by(3).map(|k| k as u128 * 10_000).collect();
        assert_eq!(t, want, "segment {i}");
    }
    // Pool users 4 = 2 + 1 + 1, their indices I + 3k: disjoint between the segments.
    let mut users: Vec<(usize, u64)> = Vec::new();
    for (i, log) in logs.iter().enumerate() {
        let mut mine: Vec<u64> = log.1.lock().unwrap().clone();
        mine.sort_unstable();
        assert!(
            mine.iter().all(|&u| u % 3 == i as u64),
            "segment {i}: {mine:?}"
        );
        users.extend(mine.into_iter().map(|u| (i, u)));
    }
    let mut indices: Vec<u64> = users.iter().map(|u| u.1).collect();
    indices.sort_unstable();
    assert_eq!(indices, [0, 1, 2, 3], "{users:?}");
    for (i, r) in runners.iter().enumerate() {
        assert_eq!(r.snapshot().open.max_users, [4, 3, 3][i]);
    }
}

#[tokio::test(start_paused = true)]
async fn a_pool_smaller_than_the_segments_is_refused() {
    let r = arrival_runner(
        Some(Segment::new(0, 3).unwrap()),
        &Iterations::default(),
        Instant::now(),
    );
    let plan_of_two = ArrivalPlan {
        pre_allocated_users: 1,
        max_users: 2,
        ..hundred_a_second()
    };
    let e = r.start_arrival(plan(), plan_of_two).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("a pool of at most 2 users split 3 ways"),
        "{e}"
    );
}

/// Up to 9 users in 2 s, hold, down to 3 in 2 s, hold, then the end.
fn stages() -> UserStages {
    let stage = |secs, users| UserStage {
        duration: Duration::from_secs(secs),
        users,
        rate: None,
    };
    UserStages(vec![stage(2, 9), stage(2, 9), stage(2, 3), stage(2, 3)])
}

/// Users running per type every 100 ms (off the ramps' grid), summed over `runners`.
async fn sample_stages(runners: &[Runner]) -> Vec<Vec<usize>> {
    for r in runners {
        r.start_shape(plan(), Box::new(stages())).await.unwrap();
    }
    sleep(Duration::from_millis(50)).await;
    let mut samples = Vec::new();
    for _ in 0..90 {
        let mut per_type = vec![0usize; 3];
        for r in runners {
            for (t, (_, n)) in r.user_counts_by_type().into_iter().enumerate() {
                per_type[t] += n;
            }
        }
        samples.push(per_type);
        sleep(Duration::from_millis(100)).await;
    }
    for r in runners {
        r.wait_stopped().await;
    }
    samples
}

#[tokio::test(start_paused = true)]
async fn three_segments_follow_user_stages_as_one_whole_run() {
    let whole = sample_stages(&[runner(None, &Starts::default(), Instant::now())]).await;
    let starts = Starts::default();
    let t0 = Instant::now();
    let runners: Vec<Runner> = (0..3)
        .map(|i| runner(Some(Segment::new(i, 3).unwrap()), &starts, t0))
        .collect();
    let split = sample_stages(&runners).await;
    let totals: Vec<usize> = whole.iter().map(|t| t.iter().sum()).collect();
    // The whole run went up to 9 (2 admins), held, came down to 3 and ended.
    assert_eq!(totals.iter().max(), Some(&9));
    assert!(totals[57..79].iter().all(|&n| n == 3), "{totals:?}");
    assert_eq!(totals.last(), Some(&0));
    assert_eq!(split, whole);
    // Every user a segment started has its own index, below the peak.
    let mut indices: Vec<u64> = starts.0.lock().unwrap().iter().map(|s| s.0).collect();
    indices.sort_unstable();
    indices.dedup();
    assert_eq!(indices, (0..9).collect::<Vec<u64>>());
}

#[tokio::test(start_paused = true)]
async fn a_segment_refuses_a_shape_that_does_not_know_its_peak() {
    struct Forever;
    impl swarm_core::Shape for Forever {
        fn tick(
            &mut self,
            _: Duration,
            _: &swarm_core::metrics::StatsSnapshot,
        ) -> Option<swarm_core::ShapeTick> {
            Some(swarm_core::ShapeTick {
                users: 3,
                spawn_rate: 1.0,
            })
        }
    }
    let segment = Segment::new(0, 2).unwrap();
    let r = runner(Some(segment), &Starts::default(), Instant::now());
    let e = r.start_shape(plan(), Box::new(Forever)).await.unwrap_err();
    assert_eq!(e, RunnerError::SegmentedShape(segment));
}
