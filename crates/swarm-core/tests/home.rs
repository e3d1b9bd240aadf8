//! `User::home_runtime`: a user type that names a runtime of its own lives there (start,
//! tasks, stop all on that thread) under the same stop rules; a stop reaches its task.

#![allow(clippy::unwrap_used)] // test helpers: a poisoned log is a failed test anyway

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use swarm_core::{Ctx, Runner, RunnerConfig, Scenario, TaskResult, TestPlan, User, Wait, tasks};

/// (user index, event, name of the thread it ran on).
type Log = Arc<Mutex<Vec<(u64, &'static str, String)>>>;

fn log() -> &'static Log {
    static LOG: OnceLock<Log> = OnceLock::new();
    LOG.get_or_init(Log::default)
}

fn note(ctx: &Ctx, what: &'static str) {
    let thread = std::thread::current().name().unwrap_or("").to_owned();
    log().lock().unwrap().push((ctx.user_index(), what, thread));
}

/// The home: a current-thread runtime driven by a thread of its own, kept for the process.
fn home() -> tokio::runtime::Handle {
    static HOME: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    HOME.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let handle = rt.handle().clone();
        std::thread::Builder::new()
            .name("home".to_owned())
            .spawn(move || rt.block_on(std::future::pending::<()>()))
            .unwrap();
        handle
    })
    .clone()
}

struct Homed;

impl User for Homed {
    const WAIT: Wait = Wait::None;
    fn home_runtime(_: &Ctx) -> Option<tokio::runtime::Handle> {
        Some(home())
    }
    async fn on_start(ctx: &mut Ctx) -> Result<Self, swarm_core::TaskError> {
        note(ctx, "start");
        Ok(Self)
    }
    fn tasks(&self) -> swarm_core::Tasks<Self> {
        tasks![1 => Self::work]
    }
    async fn on_stop(&mut self, ctx: &mut Ctx) -> TaskResult {
        note(ctx, "stop");
        Ok(())
    }
}

impl Homed {
    /// Never ends by itself: only a stop that reaches the home ends it.
    async fn work(&mut self, ctx: &mut Ctx) -> TaskResult {
        note(ctx, "task");
        tokio::time::sleep(Duration::from_secs(3600)).await;
        note(ctx, "task done");
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_homed_user_lives_on_its_home_and_stops_there() {
    let config = RunnerConfig {
        stop_timeout: Duration::from_secs(5),
        seed: Some(1),
        ..RunnerConfig::default()
    };
    let runner = Runner::new(Scenario::new().user::<Homed>(), config);
    let plan = TestPlan {
        users: 3,
        spawn_rate: 1000.0,
        run_time: None,
        host: None,
    };
    runner.start(plan).await.unwrap();
    // Bounded wait for the three tasks to be in flight.
    for _ in 0..500 {
        if log()
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.1 == "task")
            .count()
            == 3
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    runner.stop().await;
    let log = log().lock().unwrap().clone();
    for what in ["start", "task", "stop"] {
        let users: Vec<u64> = log.iter().filter(|e| e.1 == what).map(|e| e.0).collect();
        assert_eq!(users.len(), 3, "{what}: {log:?}");
    }
    assert!(
        log.iter().all(|e| e.2 == "home"),
        "not all on the home: {log:?}"
    );
    assert!(
        !log.iter().any(|e| e.1 == "task done"),
        "the stop did not cancel the task: {log:?}"
    );
}
