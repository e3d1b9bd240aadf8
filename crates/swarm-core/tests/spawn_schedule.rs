//! The spawner keeps its schedule on tokio's paused clock: users that hog the runtime make
//! its wake-ups late, and a late wake-up must make every change due by then (ramp-up and
//! ramp-down), while an idle run followed by a new plan starts the new ramp at once without a
//! burst.

#![allow(clippy::unwrap_used)] // test helpers: a poisoned lock is a failed test anyway

use std::sync::{Arc, Mutex};
use std::time::Duration;
use swarm_core::{
    Ctx, Extensions, RunState, Runner, RunnerConfig, Scenario, TaskResult, TestPlan, User, Wait,
    tasks,
};
use tokio::time::{Instant, advance, sleep};

/// Users with an index below this hog the runtime while the hog window is open.
const HOGS: u64 = 4;

/// CPU time one hog takes per poll: four hogs make each scheduler round 40 ms long, four
/// times the 10 ms spawn interval of the tests below.
const HOG_SLICE: Duration = Duration::from_millis(10);

/// Until when the hogs hog; shared through the run's extensions so a test can open it late.
#[derive(Clone)]
struct HogUntil(Arc<Mutex<Instant>>);

impl HogUntil {
    fn get(&self) -> Instant {
        *self.0.lock().unwrap()
    }
    fn set(&self, until: Instant) {
        *self.0.lock().unwrap() = until;
    }
}

/// A user that burns `HOG_SLICE` of (virtual) CPU per poll while the window is open, as
/// closed-loop users on a saturated generator do, and is idle otherwise.
struct Hog {
    until: HogUntil,
}

impl User for Hog {
    const WAIT: Wait = Wait::None;
    async fn on_start(ctx: &mut Ctx) -> Result<Self, swarm_core::TaskError> {
        Ok(Self {
            until: ctx.get::<HogUntil>().unwrap().clone(),
        })
    }
    fn tasks(&self) -> swarm_core::Tasks<Self> {
        tasks![1 => Self::work]
    }
}

impl Hog {
    async fn work(&mut self, ctx: &mut Ctx) -> TaskResult {
        if ctx.user_index() < HOGS && Instant::now() < self.until.get() {
            // Moves the clock as a busy thread would, then lets the others run.
            advance(HOG_SLICE).await;
        } else {
            sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }
}

fn runner(hog_until: Instant) -> (Runner, HogUntil) {
    let until = HogUntil(Arc::new(Mutex::new(hog_until)));
    let mut extensions = Extensions::new();
    extensions.insert(until.clone());
    let config = RunnerConfig {
        stop_timeout: Duration::from_secs(5),
        seed: Some(1),
        extensions,
        ..RunnerConfig::default()
    };
    (Runner::new(Scenario::new().user::<Hog>(), config), until)
}

fn plan(users: usize, rate: f64) -> TestPlan {
    TestPlan {
        users,
        spawn_rate: rate,
        run_time: None,
        host: None,
    }
}

/// Polls every millisecond (bounded by `limit`) until the user count is `users`; returns how
/// long after `from` that was.
async fn time_until_count(
    runner: &Runner,
    users: usize,
    from: Instant,
    limit: Duration,
) -> Duration {
    while runner.user_count() != users && from.elapsed() < limit {
        sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(runner.user_count(), users, "not reached within {limit:?}");
    from.elapsed()
}

#[tokio::test(start_paused = true)]
async fn hogged_runtime_still_reaches_the_target_on_schedule() {
    // 100 users at 100/s: the last is due at 0.99 s. The hogs make every wake-up up to 40 ms
    // late until 0.9 s; a spawner that restarted its schedule on each late wake-up would add
    // one user per 40 ms round and have about 25 users then.
    let t0 = Instant::now();
    let (runner, _) = runner(t0 + Duration::from_millis(900));
    runner.start(plan(100, 100.0)).await.unwrap();
    sleep(Duration::from_millis(500)).await;
    let at_half = runner.user_count();
    // Due by now: 51 (one at 0 s, then one per 10 ms); a wake-up is at most a round late.
    assert!(at_half >= 46, "{at_half} users after 0.5 s");
    let reached = time_until_count(&runner, 100, t0, Duration::from_secs(5)).await;
    assert!(
        reached <= Duration::from_millis(1010),
        "100 users at 100/s took {reached:?}"
    );
    assert_eq!(runner.state(), RunState::Running);
    runner.stop().await;
}

#[tokio::test(start_paused = true)]
async fn hogged_runtime_still_ramps_down_on_schedule() {
    let t0 = Instant::now();
    let (runner, hogs) = runner(t0);
    runner.start(plan(100, 1000.0)).await.unwrap();
    time_until_count(&runner, 100, t0, Duration::from_secs(1)).await;
    sleep(Duration::from_millis(100)).await;
    // 96 stops at 100/s, the last due 0.95 s after the reshape; the hogs (the oldest users,
    // kept) make wake-ups late until 0.85 s.
    let down = Instant::now();
    hogs.set(down + Duration::from_millis(850));
    runner.reshape(HOGS as usize, 100.0).unwrap();
    sleep(Duration::from_millis(500)).await;
    let at_half = runner.user_count();
    assert!(
        at_half <= 100 - 46,
        "{at_half} users 0.5 s into the ramp-down"
    );
    let reached = time_until_count(&runner, HOGS as usize, down, Duration::from_secs(5)).await;
    assert!(
        reached <= Duration::from_millis(970),
        "ramp-down of 96 users at 100/s took {reached:?}"
    );
    runner.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_new_plan_after_an_idle_period_ramps_from_now_without_a_burst() {
    let t0 = Instant::now();
    let (runner, _) = runner(t0);
    runner.start(plan(10, 10.0)).await.unwrap();
    time_until_count(&runner, 10, t0, Duration::from_secs(2)).await;
    sleep(Duration::from_secs(10)).await;
    assert_eq!(runner.state(), RunState::Running);
    let reshaped = Instant::now();
    runner.reshape(20, 10.0).unwrap();
    sleep(Duration::from_millis(50)).await;
    assert_eq!(runner.user_count(), 11, "the first new user starts at once");
    assert_eq!(runner.state(), RunState::Spawning);
    sleep_until_after(reshaped, 450).await;
    assert_eq!(
        runner.user_count(),
        15,
        "one user per 100 ms, no catch-up burst"
    );
    sleep_until_after(reshaped, 950).await;
    assert_eq!(runner.user_count(), 20);
    assert_eq!(runner.state(), RunState::Running);
    runner.stop().await;
}

async fn sleep_until_after(from: Instant, ms: u64) {
    tokio::time::sleep_until(from + Duration::from_millis(ms)).await;
}

#[tokio::test(start_paused = true)]
async fn thousands_due_at_once_start_in_batches_without_waiting_for_timers() {
    let t0 = Instant::now();
    let (runner, _) = runner(t0);
    runner.start(plan(3000, 1e6)).await.unwrap();
    let reached = time_until_count(&runner, 3000, t0, Duration::from_secs(1)).await;
    assert!(reached <= Duration::from_millis(5), "{reached:?}");
    runner.reshape(0, 1e6).unwrap();
    let down = Instant::now();
    time_until_count(&runner, 0, down, Duration::from_secs(1)).await;
    runner.stop().await;
}
