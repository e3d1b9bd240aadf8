//! `swarm report ...`: compare two saved runs, redraw one as HTML/CSV on demand, merge a
//! distributed run's segments into one report, or judge thresholds on a saved report.

use crate::cli::{CompareArgs, RenderArgs, ReportCommand};
use crate::error::UsageError;
use crate::report::merge::MergeArgs;
use crate::report::{ReportInput, Targets, compare, load, merge};
use crate::threshold::{self, Threshold};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// `swarm report check` options.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// A JSON report (of a run, or merged by `swarm report merge`).
    pub(crate) report: PathBuf,
    /// A check, repeatable, as `swarm run --threshold`: 'p95 < 500ms', 'fail_ratio < 1%'.
    #[arg(long = "threshold", value_name = "CHECK", value_delimiter = ';', value_parser = threshold::parse_threshold)]
    pub(crate) thresholds: Vec<Threshold>,
    /// Also write the verdicts as JUnit XML test cases here (as `swarm run --junit`).
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
}

/// Entry point of `swarm report`: returns the exit code.
pub(crate) fn main(cmd: ReportCommand) -> Result<i32> {
    match cmd {
        ReportCommand::Compare(args) => compare_main(&args),
        ReportCommand::Render(args) => render_main(&args),
        ReportCommand::Merge(args) => merge_main(&args),
        ReportCommand::Check(args) => check_main(&args),
    }
}

fn read(path: &std::path::Path) -> Result<load::Loaded> {
    load::read(path).map_err(|e| UsageError(e.to_string()).into())
}

fn compare_main(args: &CompareArgs) -> Result<i32> {
    let a = read(&args.baseline)?;
    let b = read(&args.candidate)?;
    print!(
        "{}",
        compare::render(
            &a,
            &b,
            &args.baseline.display().to_string(),
            &args.candidate.display().to_string()
        )
    );
    Ok(0)
}

fn render_main(args: &RenderArgs) -> Result<i32> {
    if args.html.is_none() && args.csv.is_none() {
        return Err(
            UsageError("nothing to render: add --html FILE and/or --csv PREFIX".into()).into(),
        );
    }
    let loaded = read(&args.report)?;
    Targets {
        json: None,
        csv: args.csv.as_deref(),
        csv_full_history: args.csv_full_history,
        html: args.html.as_deref(),
        junit: None,
    }
    .write(&ReportInput {
        meta: &loaded.meta,
        stats: &loaded.stats,
    })?;
    Ok(0)
}

fn merge_main(args: &MergeArgs) -> Result<i32> {
    let targets = Targets {
        json: args.json.as_deref(),
        csv: args.csv.as_deref(),
        csv_full_history: args.csv_full_history,
        html: args.html.as_deref(),
        junit: None,
    };
    if args.reports.is_empty() {
        return Err(UsageError(merge::MergeError::NoReports.to_string()).into());
    }
    if args.json.is_none() && args.csv.is_none() && args.html.is_none() {
        return Err(UsageError(
            "nothing to write: add --json FILE, --csv PREFIX and/or --html FILE".into(),
        )
        .into());
    }
    targets.check().map_err(UsageError)?;
    let reports = args
        .reports
        .iter()
        .map(|path| Ok((path.display().to_string(), read(path)?)))
        .collect::<Result<Vec<_>>>()?;
    let merged = merge::merge(&reports).map_err(|e| UsageError(e.to_string()))?;
    // Report commands log nothing (no logger): what the reader must see goes to the terminal.
    for w in &merged.meta.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "Merged {} reports: {} users, {} requests, {} failures",
        reports.len(),
        merged.meta.user_count,
        merged.stats.total.num_requests,
        merged.stats.total.num_failures
    );
    targets.write(&ReportInput {
        meta: &merged.meta,
        stats: &merged.stats,
    })?;
    Ok(0)
}

fn check_main(args: &CheckArgs) -> Result<i32> {
    if args.thresholds.is_empty() {
        return Err(UsageError(
            "nothing to check: add --threshold CHECK, e.g. --threshold 'p95 < 500ms'".into(),
        )
        .into());
    }
    // The verdict is the thresholds' alone, so the JUnit file has no "no request failed".
    let targets = Targets {
        json: None,
        csv: None,
        csv_full_history: false,
        html: None,
        junit: args.junit.as_deref().map(|p| (p, 0)),
    };
    targets.check().map_err(UsageError)?;
    let mut loaded = read(&args.report)?;
    let outcomes = threshold::evaluate(&args.thresholds, &loaded.stats);
    print!("{}", threshold::render(&outcomes));
    let passed = outcomes.iter().all(|o| o.passed);
    loaded.meta.thresholds = outcomes;
    targets.write(&ReportInput {
        meta: &loaded.meta,
        stats: &loaded.stats,
    })?;
    Ok(if passed { 0 } else { 1 })
}
