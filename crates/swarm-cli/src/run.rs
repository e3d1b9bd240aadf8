//! `swarm run`: prepare the scenario, start the runner, show the console, handle signals,
//! write the reports, and choose the exit code.

use crate::cli::RunArgs;
use crate::error::Usage;
use crate::report::{ReportInput, RunMeta};
use crate::scenarios::{self, ScenarioDef};
use crate::signals::StopSignals;
use anyhow::{Context, Result};
use std::time::Duration;
use swarm_core::console::{render_exceptions_table, render_failures_table, render_stats_table};
use swarm_core::metrics::{Metrics, StatsSnapshot};
use swarm_core::{Runner, RunnerConfig, RunnerError, TestPlan};

/// Entry point of `swarm run`: returns the process exit code.
pub(crate) fn main(args: RunArgs) -> Result<i32> {
    let def = scenarios::find(&args.scenario)?;
    if args.threads == Some(0) {
        return Err(Usage(
            "--threads 0 cannot run anything: give 1 or more, or leave it out for every core"
                .into(),
        )
        .into());
    }
    if !args.headless {
        return Err(Usage("the web UI is not available yet: add --headless".into()).into());
    }
    crate::logging::init(args.loglevel, args.logfile.as_deref())?;
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        rt.worker_threads(n);
    }
    let rt = rt
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let code = rt.block_on(headless(def, args));
    // Users that ignored cancellation must not keep the process alive.
    rt.shutdown_timeout(Duration::from_millis(100));
    code
}

/// The runner for `args`, recording into fresh metrics.
pub(crate) fn build_runner(def: &ScenarioDef, args: &RunArgs) -> Result<Runner> {
    let metrics = Metrics::new(Duration::from_secs(10));
    let prepared = (def.prepare)(args, &metrics)?;
    let config = RunnerConfig {
        stop_timeout: args.stop_timeout,
        seed: args.seed,
        reset_stats_after_ramp: args.reset_stats,
        extensions: prepared.extensions,
        ..RunnerConfig::default()
    };
    Ok(Runner::with_metrics(prepared.scenario, config, metrics))
}

fn print_tables(stats: &StatsSnapshot, users: usize) {
    println!("{}", render_stats_table(stats));
    let failures = render_failures_table(stats);
    if !failures.is_empty() {
        println!("{failures}");
    }
    let exceptions = render_exceptions_table(stats);
    if !exceptions.is_empty() {
        println!("{exceptions}");
    }
    println!("Users: {users}");
}

async fn headless(def: &ScenarioDef, args: RunArgs) -> Result<i32> {
    let runner = build_runner(def, &args)?;
    let mut signals = StopSignals::new().context("cannot install signal handlers")?;
    tracing::info!(target: "swarm.main", "Starting swarm {} (run id {})", env!("CARGO_PKG_VERSION"), runner.run_id());
    let plan = TestPlan {
        users: args.users,
        spawn_rate: args.spawn_rate,
        run_time: args.run_time,
        host: args.host.clone(),
    };
    match runner.start(plan).await {
        Ok(()) => {}
        Err(RunnerError::TestStartFailed(message)) => anyhow::bail!("{message}"),
        Err(e) => return Err(Usage(e.to_string()).into()),
    }
    let mut ticker = tokio::time::interval_at(
        tokio::time::Instant::now() + args.print_interval,
        args.print_interval,
    );
    let mut interrupted = false;
    loop {
        tokio::select! {
            () = runner.wait_stopped() => break,
            name = signals.recv() => {
                if interrupted {
                    tracing::warn!(target: "swarm.main", "Second {name}: exiting now; users still stopping may leave data behind");
                    finish(&runner, def, &args, true)?;
                    return Ok(1);
                }
                interrupted = true;
                tracing::info!(target: "swarm.main", "Got {name}: stopping every user (again to exit at once)");
                let r = runner.clone();
                tokio::spawn(async move { r.stop().await });
            }
            _ = ticker.tick() => if !args.only_summary {
                print_tables(&runner.snapshot(), runner.user_count());
            }
        }
    }
    runner.quit().await;
    finish(&runner, def, &args, false)
}

/// Prints the final tables, writes the reports, and picks the exit code.
fn finish(runner: &Runner, def: &ScenarioDef, args: &RunArgs, forced: bool) -> Result<i32> {
    let stats = runner.snapshot();
    print_tables(&stats, runner.user_count());
    let meta = RunMeta {
        scenario: def.name.to_owned(),
        host: args.host.clone(),
        run_id: runner.run_id().to_owned(),
        user_count: args.users,
        warnings: Vec::new(),
    };
    let input = ReportInput {
        meta: &meta,
        stats: &stats,
    };
    if let Some(path) = &args.json {
        crate::report::json::write(&input, path)?;
        tracing::info!(target: "swarm.main", "Wrote the JSON report to {}", path.display());
    }
    let failed = stats.total.num_failures > 0 || !stats.exceptions.is_empty();
    if forced {
        return Ok(1);
    }
    Ok(if failed { args.exit_code_on_error } else { 0 })
}
