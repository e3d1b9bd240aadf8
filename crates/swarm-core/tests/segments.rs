//! Segmented runners on tokio's paused clock: N runners, each running segment i/N of one
//! plan, together start exactly the users of one runner running the whole plan, with the
//! same indices, the same types and at the same times.

#![allow(clippy::unwrap_used)] // test helpers: a poisoned lock is a failed test anyway

use std::sync::{Arc, Mutex};
use std::time::Duration;
use swarm_core::{
    Ctx, Extensions, Runner, RunnerConfig, RunnerError, Scenario, Segment, TaskResult, TestPlan,
    User, Wait, tasks,
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
