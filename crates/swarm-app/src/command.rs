//! The App's command tree: `run SCENARIO` (the App's flags, then the scenario's own under
//! their own heading), `list`, `report`, and the authors' own commands.

use crate::app::App;
use crate::cli::{ReportCommand, RunArgs};
use clap::{Args, Command, Subcommand};

/// The heading a scenario's own options appear under in `--help`.
pub(crate) fn options_heading(scenario: &str) -> String {
    format!("Options of the {scenario} scenario")
}

/// `APP run NAME`, as shown in messages about that scenario's options.
pub(crate) fn run_usage(app: &str, scenario: &str) -> String {
    format!("{app} run {scenario}")
}

/// The `run NAME` command of scenario `index`: the App's flags, then the scenario's own.
pub(crate) fn scenario_command(app: &App, index: usize) -> Command {
    let s = &app.scenarios[index];
    let mut cmd =
        RunArgs::augment_args(Command::new(s.name.clone()).bin_name(run_usage(&app.name, &s.name)))
            .next_help_heading(options_heading(&s.name));
    for set in &s.options {
        cmd = (set.augment)(cmd);
    }
    cmd = crate::config::apply_defaults(cmd, &s.defaults);
    // Last: `augment_args` sets the about text from each options type's doc comment.
    cmd.about(s.about.clone()).long_about(None)
}

/// The whole tree.
pub(crate) fn build(app: &App) -> Command {
    let mut run = Command::new("run").about("Run a scenario (see `list`)");
    for i in 0..app.scenarios.len() {
        run = run.subcommand(scenario_command(app, i));
    }
    let mut top = Command::new(app.name.clone())
        .bin_name(app.name.clone())
        .version(app.version.clone())
        .about(app.about.clone())
        .args_override_self(true)
        .subcommand_required(true)
        .subcommand(run)
        .subcommand(Command::new("list").about("List the scenarios and their options"))
        .subcommand(ReportCommand::augment_subcommands(
            Command::new("report")
                .about("Work with saved reports: compare two runs, or redraw one as CSV/HTML")
                .subcommand_required(true),
        ));
    for extra in &app.commands {
        top = top.subcommand((extra.command)());
    }
    top
}

/// `list`: every scenario, its description, and its own options.
pub(crate) fn list(app: &App) -> String {
    let mut out = format!("Scenarios (run with `{} run NAME`):\n", app.name);
    for (i, s) in app.scenarios.iter().enumerate() {
        out.push_str(&format!("\n  {:<10} {}\n", s.name, s.about));
        let heading = options_heading(&s.name);
        let mut cmd = scenario_command(app, i);
        cmd.build();
        for arg in cmd
            .get_arguments()
            .filter(|a| a.get_help_heading() == Some(heading.as_str()))
        {
            let Some(long) = arg.get_long() else { continue };
            let takes_value = matches!(
                arg.get_action(),
                clap::ArgAction::Set | clap::ArgAction::Append
            );
            let value = arg
                .get_value_names()
                .and_then(|v| v.first())
                .filter(|_| takes_value)
                .map(|v| format!(" {v}"))
                .unwrap_or_default();
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            let help = help.lines().next().unwrap_or_default();
            out.push_str(&format!(
                "             {:<34} {help}\n",
                format!("--{long}{value}")
            ));
        }
    }
    out
}

/// Refuses a scenario whose own options reuse a name the App (or another of its option
/// types) already has; clap would otherwise panic or silently shadow one of them.
pub(crate) fn check_options(app: &App, index: usize) -> Result<(), String> {
    let s = &app.scenarios[index];
    let names = |cmd: &Command| -> Vec<String> {
        cmd.get_arguments()
            .flat_map(|a| {
                let mut n = vec![format!("id `{}`", a.get_id())];
                n.extend(a.get_long().map(|l| format!("--{l}")));
                n.extend(a.get_short().map(|c| format!("-{c}")));
                n
            })
            .collect()
    };
    let mut taken = names(&RunArgs::augment_args(Command::new("run")));
    taken.extend(["--help".to_owned(), "-h".to_owned()]);
    for set in &s.options {
        let own = names(&(set.augment)(Command::new("options")));
        if let Some(clash) = own.iter().find(|n| taken.contains(n)) {
            return Err(format!(
                "scenario `{}` declares option {clash}, which another option already has: rename it (e.g. with #[arg(long = \"{}-...\")])",
                s.name, s.name
            ));
        }
        taken.extend(own);
    }
    if let Some((long, _)) = s
        .defaults
        .iter()
        .find(|(l, _)| !taken.contains(&format!("--{l}")))
    {
        return Err(format!(
            "scenario `{}` sets a default for --{long}, which `run` does not have",
            s.name
        ));
    }
    Ok(())
}
