//! From argv to a [`Cli`]: config-file values become defaults, clap applies flags and the
//! environment on top, and `--print-config` shows the result.

use crate::cli::Cli;
use crate::config::{self, ConfigFile};
use crate::error::Usage;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use std::ffi::OsString;

/// What the command line asks for.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// Run this command.
    Cli(Cli),
    /// Print this (`--print-config`) and exit 0.
    PrintConfig(String),
}

/// Why parsing stopped.
#[derive(Debug)]
pub(crate) enum Stop {
    /// clap's own answer: help, version, or a usage error.
    Clap(clap::Error),
    /// A config-file problem (exit 2).
    Usage(Usage),
}

fn run_matches(m: &ArgMatches) -> Option<&ArgMatches> {
    m.subcommand_matches("run")
}

/// Parses `argv` (program name first), reading the config file for `swarm run`.
pub(crate) fn parse(argv: &[OsString], config_env: Option<OsString>) -> Result<Parsed, Stop> {
    let mut cmd = Cli::command();
    let mut file: Option<ConfigFile> = None;
    if argv.get(1).is_some_and(|a| a == "run") {
        if let Some((path, _explicit)) = config::locate(argv, config_env) {
            let run = cmd
                .find_subcommand("run")
                .cloned()
                .unwrap_or_else(|| clap::Command::new("run"));
            let loaded =
                config::load(&path, &run).map_err(|e| Stop::Usage(Usage(e.to_string())))?;
            cmd = cmd.mut_subcommand("run", |r| config::apply(r, &loaded));
            file = Some(loaded);
        }
    }
    let matches = cmd.clone().try_get_matches_from(argv).map_err(Stop::Clap)?;
    if let Some(rm) = run_matches(&matches) {
        if rm.get_flag("print_config") {
            let run = cmd.find_subcommand("run").cloned().unwrap_or_default();
            return Ok(Parsed::PrintConfig(config::render(&run, rm, file.as_ref())));
        }
    }
    Cli::from_arg_matches(&matches)
        .map(Parsed::Cli)
        .map_err(Stop::Clap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Command;

    fn argv(args: &[&str]) -> Vec<OsString> {
        std::iter::once("swarm")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect()
    }

    fn dir_with(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("swarm-parse-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("swarm.toml");
        std::fs::write(&path, text).expect("write config");
        path
    }

    #[test]
    fn flag_beats_file_beats_default() {
        let path = dir_with("prec", "users = 7\nspawn-rate = 3\nheadless = true\n");
        let path = path.to_string_lossy().into_owned();
        let cases: [(&[&str], usize, f64, bool); 3] = [
            (&["run", "get", "--config", &path], 7, 3.0, true),
            (&["run", "get", "--config", &path, "-u", "2"], 2, 3.0, true),
            (&["run", "get", "-u", "4", "-u", "5"], 5, 1.0, false),
        ];
        for (args, users, rate, headless) in cases {
            let Ok(Parsed::Cli(cli)) = parse(&argv(args), None) else {
                panic!("{args:?} did not parse");
            };
            let Command::Run(run) = cli.command else {
                panic!("not run");
            };
            assert_eq!(
                (run.users, run.spawn_rate, run.headless),
                (users, rate, headless),
                "{args:?}"
            );
        }
    }

    #[test]
    fn print_config_names_each_source_and_hides_the_password() {
        let path = dir_with("print", "users = 7\nrun_time = \"1m\"\n");
        let path = path.to_string_lossy().into_owned();
        let args = argv(&[
            "run",
            "get",
            "--config",
            &path,
            "-r",
            "2",
            "--admin-password",
            "hunter2",
            "--print-config",
        ]);
        let Ok(Parsed::PrintConfig(text)) = parse(&args, None) else {
            panic!("no print-config");
        };
        let line = |name: &str| {
            text.lines()
                .find(|l| l.split_whitespace().next() == Some(name))
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_default()
        };
        assert_eq!(line("users"), format!("users 7 file {path}"));
        assert_eq!(line("run-time"), format!("run-time 1m file {path}"));
        assert_eq!(line("spawn-rate"), "spawn-rate 2 flag");
        assert_eq!(line("stop-timeout"), "stop-timeout 30s default");
        assert_eq!(line("admin-password"), "admin-password *** flag");
        assert!(!text.contains("hunter2"));
    }

    #[test]
    fn a_bad_file_is_a_usage_error() {
        let path = dir_with("bad", "userz = 1\n");
        let path = path.to_string_lossy().into_owned();
        let Err(Stop::Usage(Usage(msg))) = parse(&argv(&["run", "get", "--config", &path]), None)
        else {
            panic!("accepted a bad file");
        };
        assert!(msg.contains("unknown key `userz`"), "{msg}");
    }
}
