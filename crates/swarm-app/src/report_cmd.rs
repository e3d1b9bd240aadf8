//! `swarm report ...`: compare two saved runs, or redraw one as HTML/CSV on demand.

use crate::cli::{CompareArgs, RenderArgs, ReportCommand};
use crate::error::UsageError;
use crate::report::{ReportInput, Targets, compare, load};
use anyhow::Result;

/// Entry point of `swarm report`: returns the exit code.
pub(crate) fn main(cmd: ReportCommand) -> Result<i32> {
    match cmd {
        ReportCommand::Compare(args) => compare_main(&args),
        ReportCommand::Render(args) => render_main(&args),
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
