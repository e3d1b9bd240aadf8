//! [`App`]: the whole product around an author's scenarios — flags, environment and
//! `swarm.toml`, console, web UI, reports, thresholds, signals and exit codes.

use crate::error::{BoxError, UsageError, exit_code_of};
use crate::parse::{self, Parsed, Stop};
use crate::scenario::Scenario;
use clap::error::ErrorKind;
use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;
use swarm_core::User;

/// Runs an author's own command: its parsed arguments in, an exit code out.
type CommandFn = Arc<dyn Fn(&clap::ArgMatches) -> Result<u8, BoxError> + Send + Sync>;

/// Turns a script file into a scenario (see [`App::script_loader`]).
pub type ScriptLoader = fn(&std::path::Path) -> Result<Scenario, BoxError>;

/// An author's own top-level command (e.g. a clean-up command of their scenario).
#[derive(Clone)]
pub(crate) struct ExtraCommand {
    pub(crate) name: String,
    pub(crate) command: Arc<dyn Fn() -> clap::Command + Send + Sync>,
    pub(crate) run: CommandFn,
}

/// A load-test program: register scenarios, then [`App::run`] parses the command line and
/// does what it asks (`run SCENARIO`, `list`, `report`, and any command added).
///
/// ```no_run
/// use swarm::prelude::*;
///
/// struct Visitor { http: Session }
///
/// impl User for Visitor {
///     async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
///         Ok(Self { http: ctx.session()? })
///     }
///     fn tasks(&self) -> Tasks<Self> { tasks![1 => Self::home] }
/// }
///
/// impl Visitor {
///     async fn home(&mut self) -> TaskResult {
///         self.http.get("/").send().await?;
///         Ok(())
///     }
/// }
///
/// fn main() -> std::process::ExitCode {
///     swarm::App::new("site-test").scenario::<Visitor>().run()
/// }
/// ```
///
/// With one scenario the program runs it without naming it: `site-test -H URL -u 10 -t 30s
/// --headless` is `site-test run site-test -H URL ...`.
#[derive(Clone)]
pub struct App {
    pub(crate) name: String,
    pub(crate) about: String,
    pub(crate) version: String,
    pub(crate) scenarios: Vec<Scenario>,
    pub(crate) commands: Vec<ExtraCommand>,
    pub(crate) script_loaders: Vec<(String, ScriptLoader)>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("name", &self.name)
            .field("scenarios", &self.scenarios)
            .finish_non_exhaustive()
    }
}

impl App {
    /// A program called `name` (as in its `--help` and messages).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            about: "Load testing with virtual users written as code.".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            scenarios: Vec::new(),
            commands: Vec::new(),
            script_loaders: Vec::new(),
        }
    }

    /// The description `--help` shows.
    pub fn about(mut self, text: impl Into<String>) -> Self {
        self.about = text.into();
        self
    }

    /// The version `--version` shows (default: swarm's).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Registers a scenario of one user type, named after the program.
    pub fn scenario<U: User>(self) -> Self {
        let name = self.name.clone();
        self.register(Scenario::new(name).user::<U>())
    }

    /// Registers a scenario built with [`Scenario`] (several user types, options, hooks).
    pub fn register(mut self, scenario: Scenario) -> Self {
        self.scenarios.push(scenario);
        self
    }

    /// Adds a top-level command with arguments `A` (a clap `Args` type, which may hold
    /// subcommands); `run` gets them parsed and returns the exit code. A [`UsageError`]
    /// exits with code 2, any other error with 1.
    pub fn command<A, F>(mut self, name: &str, about: &str, run: F) -> Self
    where
        A: clap::Args + clap::FromArgMatches + 'static,
        F: Fn(A) -> Result<u8, BoxError> + Send + Sync + 'static,
    {
        let (cmd_name, cmd_about) = (name.to_owned(), about.to_owned());
        self.commands.push(ExtraCommand {
            name: name.to_owned(),
            command: Arc::new(move || {
                A::augment_args(clap::Command::new(cmd_name.clone()).about(cmd_about.clone()))
            }),
            run: Arc::new(move |m| {
                let args = A::from_arg_matches(m)
                    .map_err(|e| UsageError(crate::config::first_line(&e.render().to_string())))?;
                run(args)
            }),
        });
        self
    }

    /// Lets `run FILE` take a script: when `run`'s argument is a path ending in
    /// `.{extension}` that names no scenario, `load` turns the file into a scenario (named by
    /// the path as given) before the command line is parsed, so every flag, `swarm.toml` and
    /// the web UI apply to it. An error is a usage error (one line, exit code 2), told before
    /// any user starts.
    pub fn script_loader(mut self, extension: &str, load: ScriptLoader) -> Self {
        self.script_loaders.push((extension.to_owned(), load));
        self
    }

    /// Parses the process's command line and runs what it asks; returns the exit code (0
    /// success, 1 a request or threshold failed, 2 bad usage).
    pub fn run(self) -> ExitCode {
        self.run_from(std::env::args_os())
    }

    /// [`App::run`] with the given arguments (program name first).
    pub fn run_from<I, T>(self, argv: I) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
        let this = match parse::load_script(self, &argv) {
            Ok(app) => app,
            Err(UsageError(message)) => {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
        };
        this.run_parsed(argv)
    }

    fn run_parsed(self, argv: Vec<OsString>) -> ExitCode {
        if let Err(problem) = self.check() {
            eprintln!("error: {problem}");
            return ExitCode::from(2);
        }
        let parsed = match parse::parse(&self, argv.clone(), std::env::var_os("SWARM_CONFIG")) {
            Ok(parsed) => parsed,
            Err(stop) => return self.stopped(stop, &argv),
        };
        let result = match parsed {
            Parsed::PrintConfig(text) => {
                print!("{text}");
                Ok(0)
            }
            Parsed::Run(run) => crate::run::main(&self, *run),
            Parsed::List => {
                print!("{}", crate::command::list(&self));
                Ok(0)
            }
            Parsed::Report(cmd) => crate::report_cmd::main(cmd),
            Parsed::Extra { index, matches } => (self.commands[index].run)(&matches)
                .map(i32::from)
                .map_err(|e| match e.downcast::<UsageError>() {
                    Ok(usage) => anyhow::Error::new(*usage),
                    Err(other) => anyhow::anyhow!("{other}"),
                }),
        };
        match result {
            Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            Err(e) => {
                // One line: the chain joined, innermost cause last.
                eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
                ExitCode::from(exit_code_of(&e))
            }
        }
    }

    /// Mistakes in the registration itself, told before any parsing.
    fn check(&self) -> Result<(), String> {
        if self.scenarios.is_empty() {
            return Err(format!(
                "{} has no scenario: register one with App::scenario::<MyUser>() or App::register(..)",
                self.name
            ));
        }
        for (i, s) in self.scenarios.iter().enumerate() {
            if self.scenarios[..i].iter().any(|t| t.name == s.name) {
                return Err(format!(
                    "two scenarios are called `{}`: give each its own name",
                    s.name
                ));
            }
            if s.users.classes().is_empty() {
                return Err(format!(
                    "scenario `{}` has no user type: add one with .user::<MyUser>()",
                    s.name
                ));
            }
            crate::command::check_options(self, i)?;
        }
        Ok(())
    }

    /// Names the environment variable when a bad value came from one rather than a flag:
    /// clap says `for '--users <USERS>'` either way.
    fn value_source(&self, e: &clap::Error, argv: &[OsString], line: String) -> String {
        use clap::error::{ContextKind, ContextValue};
        let (Some(ContextValue::String(arg)), Some(ContextValue::String(value))) = (
            e.get(ContextKind::InvalidArg),
            e.get(ContextKind::InvalidValue),
        ) else {
            return line;
        };
        let long = arg.split_whitespace().next().unwrap_or_default();
        let on_command_line = argv.iter().any(|a| {
            a.to_str()
                .is_some_and(|a| a == long || a.starts_with(&format!("{long}=")))
        });
        let env = crate::command::build(self)
            .get_subcommands()
            .flat_map(|c| c.get_subcommands().chain(std::iter::once(c)))
            .flat_map(|c| c.get_arguments())
            .find(|a| a.get_long().map(|l| format!("--{l}")).as_deref() == Some(long))
            .and_then(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()));
        match env {
            Some(env) if !on_command_line && std::env::var(&env).is_ok_and(|v| v == *value) => {
                line.replace(&format!("for '{arg}'"), &format!("for {env}"))
            }
            _ => line,
        }
    }

    /// Prints what stopped the parse (help, version, or a usage error) and picks the code.
    fn stopped(&self, stop: Stop, argv: &[OsString]) -> ExitCode {
        match stop {
            Stop::Usage(UsageError(message)) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
            Stop::Clap(e)
                if matches!(
                    e.kind(),
                    ErrorKind::DisplayHelp
                        | ErrorKind::DisplayVersion
                        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                ) =>
            {
                let _ = e.print();
                ExitCode::from(
                    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                        2
                    } else {
                        0
                    },
                )
            }
            Stop::Clap(e) => {
                // clap's first line names the problem; the fix is `--help`.
                let first = crate::config::first_line(&e.render().to_string());
                let first = self.value_source(&e, argv, first);
                eprintln!("error: {first} (see `{} --help`)", self.name);
                ExitCode::from(2)
            }
        }
    }
}
