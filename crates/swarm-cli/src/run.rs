//! `swarm run`: prepare the scenario, start the runner, show the console, handle signals,
//! write the reports, judge the thresholds, and choose the exit code.

use crate::cli::RunArgs;
use crate::error::Usage;
use crate::live::Live;
use crate::report::{ReportInput, RunMeta, Targets};
use crate::scenarios::{self, ScenarioDef};
use crate::signals::StopSignals;
use crate::threshold;
use anyhow::{Context, Result};
use std::sync::PoisonError;
use std::time::Duration;
use swarm_core::metrics::Metrics;
use swarm_core::{Runner, RunnerConfig, RunnerError, TestPlan};

/// How often the ramp-up progress is refreshed.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

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
    if args.print_interval.is_zero() {
        return Err(
            Usage("--print-interval 0 would print without pause: give e.g. 2s".into()).into(),
        );
    }
    if !args.headless {
        return crate::web::main(def, args);
    }
    on_runtime(&args.clone(), headless(def, args))
}

/// Installs the logger, then runs `work` on a multi-threaded runtime of `--threads` workers
/// (the UI, the console and every user share it) and returns its exit code.
pub(crate) fn on_runtime(
    args: &RunArgs,
    work: impl std::future::Future<Output = Result<i32>>,
) -> Result<i32> {
    crate::logging::init(args.loglevel, args.logfile.as_deref())?;
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        rt.worker_threads(n);
    }
    let rt = rt
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let code = rt.block_on(work);
    // Users that ignored cancellation must not keep the process alive.
    rt.shutdown_timeout(Duration::from_millis(100));
    code
}

/// The runner for `args`, recording into fresh metrics.
pub(crate) fn build_runner(def: &ScenarioDef, args: &RunArgs) -> Result<Runner> {
    let metrics = Metrics::with_history(Duration::from_secs(10), args.csv_full_history);
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

/// State shared by the headless loop and `finish`.
struct Session<'a> {
    runner: Runner,
    def: &'a ScenarioDef,
    args: &'a RunArgs,
    live: Live,
    warnings: crate::cpu::Warnings,
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
    let (warnings, watcher) = crate::cpu::spawn_watch(&args);
    match runner.start(plan).await {
        Ok(()) => {}
        Err(RunnerError::TestStartFailed(message)) => anyhow::bail!("{message}"),
        Err(e) => return Err(Usage(e.to_string()).into()),
    }
    let mut session = Session {
        runner,
        def,
        args: &args,
        live: Live::new(args.users, args.only_summary),
        warnings,
    };
    let mut ticker = tokio::time::interval_at(
        tokio::time::Instant::now() + args.print_interval,
        args.print_interval,
    );
    let mut progress = tokio::time::interval(PROGRESS_EVERY);
    let mut interrupted = false;
    let r = session.runner.clone();
    let stopped = r.wait_stopped();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => break,
            name = signals.recv() => {
                if interrupted {
                    tracing::warn!(target: "swarm.main", "Second {name}: exiting now; users still stopping may leave data behind");
                    watcher.abort();
                    session.finish(true)?;
                    return Ok(1);
                }
                interrupted = true;
                tracing::info!(target: "swarm.main", "Got {name}: stopping every user (again to exit at once)");
                let r = session.runner.clone();
                tokio::spawn(async move { r.stop().await });
            }
            _ = progress.tick() => {
                session.live.progress(session.runner.state(), session.runner.user_count());
            }
            _ = ticker.tick() => {
                session.live.table(&session.runner.snapshot(), session.runner.user_count());
            }
        }
    }
    session.runner.quit().await;
    watcher.abort();
    session.finish(false)
}

impl Session<'_> {
    /// Prints the final tables and thresholds, writes the reports, and picks the exit code.
    fn finish(&mut self, forced: bool) -> Result<i32> {
        let stats = self.runner.snapshot();
        self.live.summary(&stats, self.runner.user_count());
        let outcomes = threshold::evaluate(&self.args.thresholds, &stats);
        print!("{}", threshold::render(&outcomes));
        let meta = RunMeta {
            scenario: self.def.name.to_owned(),
            host: self.args.host.as_deref().map(crate::secrets::redact_url),
            run_id: self.runner.run_id().to_owned(),
            user_count: self.args.users,
            warnings: self
                .warnings
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            thresholds: outcomes.clone(),
        };
        Targets {
            json: self.args.json.as_deref(),
            csv: self.args.csv.as_deref(),
            csv_full_history: self.args.csv_full_history,
            html: self.args.html.as_deref(),
        }
        .write(&ReportInput {
            meta: &meta,
            stats: &stats,
        })?;
        if forced || outcomes.iter().any(|o| !o.passed) {
            return Ok(1);
        }
        let failed = stats.total.num_failures > 0 || !stats.exceptions.is_empty();
        Ok(if failed {
            self.args.exit_code_on_error
        } else {
            0
        })
    }
}
