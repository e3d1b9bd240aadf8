//! `cargo xtask bench core`: how fast swarm-core records, with no I/O in the way.
//!
//! Runs `--users` users whose only task records one synthetic request, on `--threads` worker
//! threads for `--seconds`, then prints events per second, per core, and CPU nanoseconds per
//! event (process user+sys CPU divided by events).

use std::time::{Duration, Instant};
use swarm_core::metrics::{Event, Outcome};
use swarm_core::{Ctx, Runner, RunnerConfig, Scenario, TaskResult, TestPlan, User, tasks};

struct Recorder;

const NAMES: [&str; 4] = [
    "/a",
    "/b",
    "/remote.php/dav/files/[user]/[file]",
    "/ocs/v2.php/cloud/users",
];

impl User for Recorder {
    async fn on_start(_: &mut Ctx) -> Result<Self, swarm_core::TaskError> {
        Ok(Self)
    }
    fn tasks(&self) -> swarm_core::Tasks<Self> {
        tasks![1 => Self::record]
    }
}

impl Recorder {
    async fn record(&mut self, ctx: &mut Ctx) -> TaskResult {
        let i = (ctx.user_index() % 4) as usize;
        ctx.recorder().record(&Event {
            kind: "GET",
            name: NAMES[i],
            response_time: Duration::from_micros(200 + ctx.user_index() % 1000),
            time_to_first_byte: Some(Duration::from_micros(150)),
            bytes: 13,
            outcome: Outcome::Success,
        });
        Ok(())
    }
}

fn cpu_time() -> Duration {
    swarm_core::metrics::process_cpu_time().unwrap_or_default()
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let threads = arg("--threads", 1) as usize;
    let users = arg("--users", 64) as usize;
    let seconds = arg("--seconds", 5);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot build the runtime: {e}"));
    let (events, wall, cpu) = rt.block_on(async {
        let runner = Runner::new(Scenario::new().user::<Recorder>(), RunnerConfig::default());
        let cpu0 = cpu_time();
        let t0 = Instant::now();
        runner
            .start(TestPlan {
                users,
                spawn_rate: 1e9,
                run_time: Some(Duration::from_secs(seconds)),
                host: None,
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        runner.wait_stopped().await;
        let wall = t0.elapsed();
        let cpu = cpu_time() - cpu0;
        (runner.snapshot().total.num_requests, wall, cpu)
    });
    let per_sec = events as f64 / wall.as_secs_f64();
    println!(
        "threads={threads} users={users} events={events} wall={:.2}s cpu={:.2}s events/s={per_sec:.0} events/s/core={:.0} ns/event={:.1}",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        per_sec / threads as f64,
        cpu.as_nanos() as f64 / events as f64,
    );
}
