//! `run SCENARIO`: the one run driver. It prepares the scenario (options, setup steps, the
//! HTTP client), builds the runner, hands it to the headless console or the web UI, and
//! finishes every run the same way: final tables, thresholds, reports, exit code.

use crate::app::App;
use crate::cli::RunArgs;
use crate::error::UsageError;
use crate::live::Live;
use crate::parse::RunRequest;
use crate::report::{ReportInput, RunMeta, Targets};
use crate::scenario::{Scenario, Setup};
use crate::signals::StopSignals;
use crate::threshold;
use anyhow::{Context, Result};
use std::time::Duration;
use swarm_core::metrics::{Metrics, StatsSnapshot};
use swarm_core::{Extensions, RunState, Runner, RunnerConfig, RunnerError, TestPlan};
use swarm_http::{Client, ClientOptions};

/// How often the ramp-up progress is refreshed.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// What every part of a run (console, web UI, reports) needs to know about it.
pub(crate) struct Run {
    /// The runner, with the scenario's users and shared values.
    pub(crate) runner: Runner,
    /// The scenario's name, for logs and reports.
    pub(crate) scenario: String,
    /// What the scenario may leave behind, asked at the end.
    pub(crate) leftovers: Vec<crate::scenario::LeftoversFn>,
    /// The App's flags.
    pub(crate) args: RunArgs,
    /// Prometheus, remote-write, OTLP and JUnit outputs.
    pub(crate) outputs: crate::outputs::Outputs,
    /// What the load follows: users, arrivals, stages or the scenario's shape.
    pub(crate) load: crate::open::Load,
}

/// Entry point of `run SCENARIO`: returns the process exit code.
pub(crate) fn main(app: &App, req: RunRequest) -> Result<i32> {
    let RunRequest {
        scenario,
        mut args,
        matches,
    } = req;
    let scenario = &app.scenarios[scenario];
    if args.threads == Some(0) {
        return Err(UsageError(
            "--threads 0 cannot run anything: give 1 or more, or leave it out for every core"
                .into(),
        )
        .into());
    }
    if args.print_interval.is_zero() {
        return Err(UsageError(
            "--print-interval 0 would print without pause: give e.g. 2s".into(),
        )
        .into());
    }
    if args.users == 0 {
        return Err(UsageError(
            "-u 0 would run no user and measure nothing: give 1 or more".into(),
        )
        .into());
    }
    if args.run_time == Some(Duration::ZERO) {
        return Err(UsageError(
            "-t 0 would stop before anything ran: give e.g. 30s, or leave it out to run until Ctrl-C"
                .into(),
        )
        .into());
    }
    // From here on `segment` is this process's resolved segment, however it was given.
    args.distributed.segment = args.distributed.resolve_segment()?;
    // The load flags contradict each other before anything starts, not after on_test_start.
    let load = args
        .open
        .load_with(scenario.shape.as_ref())
        .map_err(UsageError)?;
    crate::distributed::check(
        &args.distributed,
        args.headless,
        &scenario.users,
        args.users,
        &load,
    )?;
    // Before any user starts: a typo in a report path must not cost a whole run.
    Targets::from_args(&args).check().map_err(UsageError)?;
    let credentials = args
        .web_auth
        .as_deref()
        .map(crate::web::Credentials::parse)
        .transpose()
        .map_err(|e| UsageError(e.to_string()))?;
    let runner = build_runner(scenario, &args, &matches)?;
    let outputs = crate::outputs::Outputs::new(
        &args.outputs,
        args.headless,
        &runner,
        &scenario.name,
        args.distributed.segment,
        credentials.clone(),
    )?;
    let run = Run {
        runner,
        scenario: scenario.name.clone(),
        leftovers: scenario.leftovers.clone(),
        args,
        outputs,
        load,
    };
    on_runtime(&run.args.clone(), async move {
        run.outputs.start()?;
        if run.args.headless {
            headless(run).await
        } else {
            crate::web::serve(run, credentials).await
        }
    })
}

/// Installs the logger, then runs `work` on a multi-threaded runtime of `--threads` workers
/// (the UI, the console and every user share it) and returns its exit code.
fn on_runtime(args: &RunArgs, work: impl std::future::Future<Output = Result<i32>>) -> Result<i32> {
    crate::logging::init(args.loglevel, args.logfile.as_deref())
        .map_err(|e| UsageError(format!("{e:#}")))?;
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

/// The shared values a run's users read: the HTTP client, the scenario's parsed options,
/// its shared data, and whatever its setup steps add.
fn prepare(
    scenario: &Scenario,
    args: &RunArgs,
    matches: &clap::ArgMatches,
    metrics: &Metrics,
) -> Result<Extensions> {
    // The web UI's start form may give the host later; headless runs need it now.
    if args.headless && args.host.is_none() && scenario.host_required {
        return Err(UsageError(format!(
            "the {} scenario needs a target: add --host URL, e.g. --host http://127.0.0.1:8080",
            scenario.name
        ))
        .into());
    }
    let mut shared = scenario.shared.clone();
    let http = ClientOptions::default()
        .connect_timeout(args.connect_timeout)
        .request_timeout(args.request_timeout);
    shared.insert(Client::new(metrics.recorder(), http));
    for set in &scenario.options {
        (set.extract)(matches, &mut shared)
            .map_err(|e| UsageError(crate::config::first_line(&e.render().to_string())))?;
    }
    let mut setup = Setup {
        shared: &mut shared,
        host: args.host.as_deref(),
        headless: args.headless,
    };
    for step in &scenario.setups {
        step(&mut setup).map_err(|e| UsageError(e.to_string()))?;
    }
    Ok(shared)
}

/// The runner for `scenario` with `args`, recording into fresh metrics.
fn build_runner(scenario: &Scenario, args: &RunArgs, matches: &clap::ArgMatches) -> Result<Runner> {
    let metrics = Metrics::with_history(Duration::from_secs(10), args.csv_full_history);
    let extensions = prepare(scenario, args, matches, &metrics)?;
    let config = RunnerConfig {
        stop_timeout: args.stop_timeout,
        seed: args.seed,
        reset_stats_after_ramp: args.reset_stats,
        run_id: args.distributed.run_id.clone(),
        segment: args.distributed.segment,
        extensions,
        ..RunnerConfig::default()
    };
    Ok(Runner::with_metrics(
        scenario.users.clone(),
        config,
        metrics,
    ))
}

/// The end of every run, headless or web: thresholds judged, reports written, exit code
/// chosen. `ran` is false when the web UI never started a test (nothing to judge).
pub(crate) fn finish(
    run: &Run,
    stats: &StatsSnapshot,
    meta: RunMeta,
    ran: bool,
    forced: bool,
) -> Result<i32> {
    let args = &run.args;
    let mut warnings = meta.warnings.clone();
    warnings.extend(run.outputs.finish(stats));
    for leftover in run
        .leftovers
        .iter()
        .filter_map(|f| f(run.runner.extensions()))
    {
        tracing::warn!(target: "swarm.main", "{leftover}");
        warnings.push(leftover);
    }
    let outcomes = threshold::evaluate(&args.thresholds, stats);
    if ran {
        print!("{}", threshold::render(&outcomes));
    }
    let meta = RunMeta {
        thresholds: outcomes.clone(),
        warnings,
        ..meta
    };
    Targets::from_args(args).write(&ReportInput { meta: &meta, stats })?;
    if ran && stats.total.num_requests == 0 {
        eprintln!(
            "error: nothing was measured: no request completed{} (check the host, or give the users more time with -t)",
            match stats.interrupted {
                0 => String::new(),
                n => format!("; {n} were still in flight when the test stopped"),
            }
        );
        return Ok(1);
    }
    if forced || (ran && outcomes.iter().any(|o| !o.passed)) {
        return Ok(1);
    }
    Ok(if something_failed(stats) {
        args.exit_code_on_error
    } else {
        0
    })
}

/// Whether a request failed or a hook or task raised: what `--exit-code-on-error` is for.
pub(crate) fn something_failed(stats: &StatsSnapshot) -> bool {
    stats.total.num_failures > 0 || !stats.exceptions.is_empty()
}

/// The users this process runs: all of `-u`, or its segment's share.
fn planned_users(run: &Run) -> usize {
    let args = &run.args;
    crate::distributed::planned_users(args.distributed.segment, run.runner.scenario(), args.users)
}

/// What the reports of a headless run say about it, before any threshold verdict.
fn run_meta(run: &Run, warnings: &crate::cpu::Warnings) -> RunMeta {
    RunMeta {
        scenario: run.scenario.clone(),
        host: run.args.host.as_deref().map(swarm_http::redact_url),
        run_id: run.runner.run_id().to_owned(),
        // An arrival-rate run's users are its pool, at most `--max-users`.
        user_count: match &run.load {
            crate::open::Load::Arrival(a) => run
                .args
                .distributed
                .segment
                .map_or(a.max_users, |s| s.split(a.max_users)),
            _ => planned_users(run),
        },
        segment: run.args.distributed.segment,
        warnings: crate::cpu::snapshot(warnings),
        thresholds: Vec::new(),
    }
}

async fn headless(run: Run) -> Result<i32> {
    let args = &run.args;
    let mut signals = StopSignals::new().context("cannot install signal handlers")?;
    tracing::info!(target: "swarm.main", "Starting swarm {} (run id {})", env!("CARGO_PKG_VERSION"), run.runner.run_id());
    let plan = TestPlan {
        users: args.users,
        spawn_rate: args.spawn_rate,
        run_time: args.run_time,
        host: args.host.clone(),
    };
    if let Some(name) =
        crate::distributed::wait_for_start(args.distributed.start_at, &mut signals).await
    {
        // Nothing ran, but the reports still say what happened.
        eprintln!("error: got {name} while waiting for --start-at: nothing ran");
        let stats = run.runner.snapshot();
        let warnings = crate::cpu::Warnings::default();
        finish(&run, &stats, run_meta(&run, &warnings), false, false)?;
        return Ok(1);
    }
    let (warnings, watcher) = crate::cpu::spawn_watch(args);
    let load = run.load.clone();
    let initial_users = load.initial_users(args.users);
    // In its own task, so a signal can interrupt a hanging on_test_start.
    let start = {
        let runner = run.runner.clone();
        tokio::spawn(async move { crate::open::start(&runner, plan, load).await })
    };
    tokio::pin!(start);
    let started = tokio::select! {
        r = &mut start => r,
        name = signals.recv() => {
            tracing::info!(target: "swarm.main", "Got {name} while on_test_start ran: stopping");
            run.runner.stop().await;
            start.await
        }
    };
    let start_error = match started.context("the start's task failed")? {
        Ok(()) => None,
        Err(RunnerError::TestStartFailed(message)) => Some(message),
        Err(RunnerError::StartInterrupted) => {
            Some("stopped before any user started: nothing was measured".to_owned())
        }
        Err(e) => return Err(UsageError(e.to_string()).into()),
    };
    if let Some(message) = start_error {
        // No user ran, but the reports still say what happened.
        watcher.abort();
        eprintln!("error: {message}");
        let stats = run.runner.snapshot();
        finish(&run, &stats, run_meta(&run, &warnings), false, false)?;
        return Ok(1);
    }
    let mut live = Live::new(
        match &run.load {
            crate::open::Load::Users => planned_users(&run),
            _ => initial_users,
        },
        args.only_summary,
    );
    let mut ticker = tokio::time::interval_at(
        tokio::time::Instant::now() + args.print_interval,
        args.print_interval,
    );
    let mut progress = tokio::time::interval(PROGRESS_EVERY);
    let mut interrupted = false;
    let mut forced = false;
    let stopped = run.runner.wait_stopped();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => break,
            name = signals.recv() => {
                if interrupted {
                    tracing::warn!(target: "swarm.main", "Second {name}: exiting now; users still stopping may leave data behind");
                    forced = true;
                    break;
                }
                interrupted = true;
                tracing::info!(target: "swarm.main", "Got {name}: stopping every user (again to exit at once)");
                let r = run.runner.clone();
                tokio::spawn(async move { r.stop().await });
            }
            _ = progress.tick() => live.progress(run.runner.state(), run.runner.user_count()),
            _ = ticker.tick() => {
                // Once stopping, the final summary is the table; a periodic one would repeat it.
                if matches!(run.runner.state(), RunState::Spawning | RunState::Running) {
                    live.table(&run.runner.snapshot(), run.runner.user_count());
                }
            }
        }
    }
    if !forced {
        run.runner.quit().await;
    }
    watcher.abort();
    let stats = run.runner.snapshot();
    live.summary(&stats, run.runner.user_count());
    finish(&run, &stats, run_meta(&run, &warnings), true, forced)
}
