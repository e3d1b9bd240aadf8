//! From argv to what to do: a single-scenario program runs its scenario without naming it,
//! config-file values become the scenario's defaults, clap applies flags and the environment
//! on top, and `--print-config` shows the result.

use crate::app::App;
use crate::cli::{ReportCommand, RunArgs};
use crate::config::{self, ConfigFile};
use crate::error::UsageError;
use clap::{ArgMatches, FromArgMatches};
use std::ffi::OsString;

/// A parsed `run SCENARIO`.
#[derive(Debug)]
pub(crate) struct RunRequest {
    /// Which of the App's scenarios.
    pub(crate) scenario: usize,
    /// The App's own flags.
    pub(crate) args: RunArgs,
    /// Everything parsed, for the scenario's own options.
    pub(crate) matches: ArgMatches,
}

/// What the command line asks for.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// Run a scenario.
    Run(Box<RunRequest>),
    /// Print this (`--print-config`) and exit 0.
    PrintConfig(String),
    /// `list`.
    List,
    /// `report ...`.
    Report(ReportCommand),
    /// One of the authors' commands.
    Extra {
        /// Which of the App's commands.
        index: usize,
        /// Its parsed arguments.
        matches: ArgMatches,
    },
}

/// Why parsing stopped.
#[derive(Debug)]
pub(crate) enum Stop {
    /// clap's own answer: help, version, or a usage error.
    Clap(clap::Error),
    /// A problem clap does not see: a config file, a missing or unknown scenario (exit 2).
    Usage(UsageError),
}

/// The App's top-level command names, `help` included.
fn is_command(app: &App, word: &std::ffi::OsStr) -> bool {
    ["run", "list", "report", "help", "--version", "-V"]
        .iter()
        .any(|c| word == *c)
        || app.commands.iter().any(|c| word == c.name.as_str())
}

/// With a single scenario, `prog FLAGS` and `prog run FLAGS` mean `prog run NAME FLAGS`.
fn normalize(app: &App, mut argv: Vec<OsString>) -> Vec<OsString> {
    let [only] = app.scenarios.as_slice() else {
        return argv;
    };
    let name = OsString::from(&only.name);
    match argv.get(1) {
        Some(first) if first == "run" => {
            if argv.get(2) != Some(&name) {
                argv.insert(2, name);
            }
        }
        Some(first) if is_command(app, first) => {}
        _ => {
            let at = argv.len().min(1);
            argv.splice(at..at, [OsString::from("run"), name]);
        }
    }
    argv
}

fn known_scenarios(app: &App) -> String {
    app.scenarios
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `app` with the script that `run FILE` names loaded as a scenario called `FILE`, when a
/// registered loader takes the file's extension and no scenario has that name.
pub(crate) fn load_script(mut app: App, argv: &[OsString]) -> Result<App, UsageError> {
    let Some(word) = argv
        .iter()
        .position(|a| a == "run")
        .filter(|&i| i == 1)
        .and_then(|i| argv.get(i + 1))
        .and_then(|a| a.to_str())
    else {
        return Ok(app);
    };
    if app.scenarios.iter().any(|s| s.name == word) {
        return Ok(app);
    }
    let path = std::path::Path::new(word);
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let Some((_, load)) = app.script_loaders.iter().find(|(e, _)| e == ext) else {
        return Ok(app);
    };
    let mut scenario = load(path).map_err(|e| match e.downcast::<UsageError>() {
        Ok(usage) => *usage,
        Err(other) => UsageError(other.to_string()),
    })?;
    scenario.name = word.to_owned();
    app.scenarios.push(scenario);
    Ok(app)
}

/// Parses `argv` (program name first), reading the config file for `run`.
pub(crate) fn parse(
    app: &App,
    argv: Vec<OsString>,
    config_env: Option<OsString>,
) -> Result<Parsed, Stop> {
    let argv = normalize(app, argv);
    let mut cmd = crate::command::build(app);
    let mut file: Option<ConfigFile> = None;
    let mut scenario = None;
    if argv.get(1).is_some_and(|a| a == "run") {
        match argv.get(2).and_then(|a| a.to_str()) {
            None => {
                return Err(Stop::Usage(UsageError(format!(
                    "name a scenario: `{} run NAME [OPTIONS]` with NAME one of {} (see `{0} list`)",
                    app.name,
                    known_scenarios(app)
                ))));
            }
            Some(word) if word.starts_with('-') => {}
            Some(word) => {
                let index = app
                    .scenarios
                    .iter()
                    .position(|s| s.name == word)
                    .ok_or_else(|| {
                        Stop::Usage(UsageError(format!(
                            "unknown scenario `{word}`: choose one of {} (see `{} list`)",
                            known_scenarios(app),
                            app.name
                        )))
                    })?;
                scenario = Some(index);
                if let Some((path, _explicit)) = config::locate(&argv, config_env) {
                    let run = crate::command::scenario_command(app, index);
                    let loaded = config::load(&path, &run)
                        .map_err(|e| Stop::Usage(UsageError(e.to_string())))?;
                    cmd = cmd.mut_subcommand("run", |r| {
                        r.mut_subcommand(word, |s| config::apply(s, &loaded))
                    });
                    file = Some(loaded);
                }
            }
        }
    }
    let matches = cmd.try_get_matches_from(&argv).map_err(Stop::Clap)?;
    match matches.subcommand() {
        Some(("run", run)) => {
            let (Some(index), Some((_, sm))) = (scenario, run.subcommand()) else {
                return Err(Stop::Usage(UsageError(format!(
                    "name a scenario first: `{} run NAME [OPTIONS]` (see `{0} list`)",
                    app.name
                ))));
            };
            if sm.get_flag("print_config") {
                let shown = crate::command::scenario_command(app, index);
                return Ok(Parsed::PrintConfig(config::render(
                    &shown,
                    sm,
                    file.as_ref(),
                )));
            }
            let args = RunArgs::from_arg_matches(sm).map_err(Stop::Clap)?;
            Ok(Parsed::Run(Box::new(RunRequest {
                scenario: index,
                args,
                matches: sm.clone(),
            })))
        }
        Some(("list", _)) => Ok(Parsed::List),
        Some(("report", rm)) => ReportCommand::from_arg_matches(rm)
            .map(Parsed::Report)
            .map_err(Stop::Clap),
        Some((name, m)) => app
            .commands
            .iter()
            .position(|c| c.name == name)
            .map(|index| Parsed::Extra {
                index,
                matches: m.clone(),
            })
            .ok_or_else(|| Stop::Usage(UsageError(format!("unknown command `{name}`")))),
        None => Err(Stop::Usage(UsageError(format!(
            "say what to do: `{} run NAME`, `{0} list` or `{0} report` (see `{0} --help`)",
            app.name
        )))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use swarm_core::{Ctx, Secret, TaskError, TaskResult, Tasks, User, tasks};

    struct Idle;
    impl User for Idle {
        async fn on_start(_: &mut Ctx) -> Result<Self, TaskError> {
            Ok(Self)
        }
        fn tasks(&self) -> Tasks<Self> {
            tasks![1 => Self::nothing]
        }
    }
    impl Idle {
        async fn nothing(&mut self) -> TaskResult {
            Ok(())
        }
    }

    /// A scenario's own options, one of them secret.
    #[derive(Debug, clap::Args)]
    struct Vault {
        /// A secret.
        #[arg(long, env = "VAULT_TOKEN", hide_env_values = true)]
        token: Option<Secret>,
        /// Not a secret.
        #[arg(long, default_value_t = 3)]
        depth: u32,
    }

    fn app() -> App {
        App::new("swarm")
            .register(Scenario::new("get").user::<Idle>())
            .register(Scenario::new("vault").options::<Vault>().user::<Idle>())
    }

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

    fn run_of(app: &App, args: &[&str]) -> RunRequest {
        match parse(app, argv(args), None) {
            Ok(Parsed::Run(run)) => *run,
            other => panic!("{args:?} did not parse as a run: {other:?}"),
        }
    }

    /// A loader standing in for a script engine: its scenario sets its own defaults.
    fn load_fake(path: &std::path::Path) -> Result<Scenario, crate::BoxError> {
        if path.ends_with("broken.fake") {
            return Err(UsageError("broken.fake:3:7: SyntaxError: nope".to_owned()).into());
        }
        Ok(Scenario::new("ignored")
            .user::<Idle>()
            .default_value("users", vec!["9".to_owned()]))
    }

    /// `run FILE.ext` loads the file as a scenario named by the path; its defaults sit below
    /// the file and the flags; a loader's error is the usage error; other words are untouched.
    #[test]
    fn a_script_path_becomes_a_scenario_with_its_own_defaults() {
        let config = dir_with("script", "users = 4\n");
        let config = config.to_string_lossy().into_owned();
        let cases: [(&[&str], usize); 3] = [
            (&["run", "t.fake"], 9),
            (&["run", "t.fake", "--config", &config], 4),
            (&["run", "t.fake", "--config", &config, "-u", "2"], 2),
        ];
        for (args, users) in cases {
            let app = load_script(app().script_loader("fake", load_fake), &argv(args))
                .expect("the fake loader loads");
            let run = run_of(&app, args);
            assert_eq!(app.scenarios[run.scenario].name, "t.fake", "{args:?}");
            assert_eq!(run.args.users, users, "{args:?}");
        }
        let err = load_script(
            app().script_loader("fake", load_fake),
            &argv(&["run", "broken.fake"]),
        )
        .expect_err("a loader's error is a usage error");
        assert_eq!(err.0, "broken.fake:3:7: SyntaxError: nope");
        let untouched = load_script(
            app().script_loader("fake", load_fake),
            &argv(&["run", "get"]),
        )
        .expect("a scenario name is not a script");
        assert_eq!(untouched.scenarios.len(), 2);
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
            let run = run_of(&app(), args);
            assert_eq!(
                (run.args.users, run.args.spawn_rate, run.args.headless),
                (users, rate, headless),
                "{args:?}"
            );
        }
    }

    #[test]
    fn scenario_options_come_from_flag_file_and_default() {
        use clap::FromArgMatches;
        let path = dir_with("opts", "depth = 9\n");
        let path = path.to_string_lossy().into_owned();
        let cases: [(&[&str], u32); 3] = [
            (&["run", "vault"], 3),
            (&["run", "vault", "--config", &path], 9),
            (&["run", "vault", "--config", &path, "--depth", "4"], 4),
        ];
        for (args, depth) in cases {
            let run = run_of(&app(), args);
            let vault = Vault::from_arg_matches(&run.matches).expect("vault options");
            assert_eq!(vault.depth, depth, "{args:?}");
        }
    }

    #[test]
    fn another_scenarios_flag_is_refused() {
        let err = parse(&app(), argv(&["run", "get", "--depth", "2"]), None)
            .expect_err("get has no --depth");
        assert!(matches!(err, Stop::Clap(_)), "{err:?}");
    }

    #[test]
    fn print_config_names_each_source_and_hides_secrets() {
        let path = dir_with("print", "users = 7\nrun_time = \"1m\"\n");
        let path = path.to_string_lossy().into_owned();
        let args = argv(&[
            "run",
            "vault",
            "--config",
            &path,
            "-r",
            "2",
            "--token",
            "hunter2",
            "--print-config",
        ]);
        let Ok(Parsed::PrintConfig(text)) = parse(&app(), args, None) else {
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
        assert_eq!(line("token"), "token *** flag");
        assert_eq!(line("depth"), "depth 3 default");
        assert!(!text.contains("hunter2"));
    }

    #[test]
    fn a_bad_file_is_a_usage_error() {
        let path = dir_with("bad", "userz = 1\n");
        let path = path.to_string_lossy().into_owned();
        let Err(Stop::Usage(UsageError(msg))) =
            parse(&app(), argv(&["run", "get", "--config", &path]), None)
        else {
            panic!("accepted a bad file");
        };
        assert!(msg.contains("unknown key `userz`"), "{msg}");
    }

    #[test]
    fn scenario_names_are_checked_with_the_known_ones() {
        let cases: [(&[&str], &str); 2] = [
            (
                &["run", "nope"],
                "unknown scenario `nope`: choose one of get, vault (see `swarm list`)",
            ),
            (
                &["run"],
                "name a scenario: `swarm run NAME [OPTIONS]` with NAME one of get, vault (see `swarm list`)",
            ),
        ];
        for (args, want) in cases {
            match parse(&app(), argv(args), None) {
                Err(Stop::Usage(UsageError(msg))) => assert_eq!(msg, want, "{args:?}"),
                other => panic!("{args:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_single_scenario_runs_without_its_name() {
        let one = App::new("shop-test").scenario::<Idle>();
        for args in [
            &["-u", "3"][..],
            &["run", "-u", "3"],
            &["run", "shop-test", "-u", "3"],
        ] {
            let run = run_of(&one, args);
            assert_eq!((run.scenario, run.args.users), (0, 3), "{args:?}");
        }
        assert!(matches!(
            parse(&one, argv(&["list"]), None),
            Ok(Parsed::List)
        ));
    }
}
