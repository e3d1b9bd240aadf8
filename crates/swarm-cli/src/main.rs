//! The `swarm` binary: command line, console, reports, web UI and the built-in scenarios.
//!
//! Exit codes: 0 success, 1 when requests failed, a threshold failed or the run broke,
//! 2 bad usage.

mod cli;
mod duration;
mod error;
mod logging;
mod report;
mod run;
mod scenarios;
mod signals;

use clap::Parser;
use clap::error::ErrorKind;
use error::Usage;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            let _ = e.print();
            return ExitCode::from(
                if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    2
                } else {
                    0
                },
            );
        }
        Err(e) => {
            // clap's first line names the problem; the fix is `--help` or the hint we add.
            let text = e.render().to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("invalid usage")
                .trim_start_matches("error: ");
            eprintln!("error: {first} (see `swarm --help`)");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        cli::Command::Run(args) => run::main(*args),
        cli::Command::List => {
            print!("{}", scenarios::list());
            Ok(0)
        }
        cli::Command::Owncloud(cli::OwncloudCommand::Cleanup(args)) => {
            scenarios::owncloud::cleanup_main(args)
        }
    };
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            let code = if e.downcast_ref::<Usage>().is_some() {
                2
            } else {
                1
            };
            // One line: the chain joined, innermost cause last.
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(code)
        }
    }
}
