//! The `swarm` binary: command line, console, reports, web UI and the built-in scenarios.
//!
//! Exit codes: 0 success, 1 when requests failed, a threshold failed or the run broke,
//! 2 bad usage.

mod cli;
mod config;
mod cpu;
mod duration;
mod error;
mod live;
mod logging;
mod parse;
mod report;
mod report_cmd;
mod run;
mod scenarios;
mod secrets;
mod signals;
mod threshold;
mod web;

use clap::error::ErrorKind;
use error::Usage;
use parse::{Parsed, Stop};
use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match parse::parse(&argv, std::env::var_os("SWARM_CONFIG")) {
        Ok(Parsed::Cli(cli)) => cli,
        Ok(Parsed::PrintConfig(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(Stop::Usage(Usage(message))) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
        Err(Stop::Clap(e))
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
        Err(Stop::Clap(e)) => {
            // clap's first line names the problem; the fix is `--help` or the hint we add.
            let first = config::first_line(&e.render().to_string());
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
        cli::Command::Report(cmd) => report_cmd::main(cmd),
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
