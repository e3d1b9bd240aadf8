//! The config file (`swarm.toml`, or `--config FILE`): its keys are long flag names, and each
//! value becomes that flag's default, so clap itself yields flag > env > file > default.

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command};
use std::error::Error as _;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The file read when neither `--config` nor `SWARM_CONFIG` names one.
pub(crate) const DEFAULT_FILE: &str = "swarm.toml";

/// Options a config file may not set: they steer the parse itself.
const NOT_FROM_FILE: &[&str] = &["config", "print-config", "help", "version"];

/// Why a config file was refused; always names the file (and the key).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum ConfigError {
    /// The named file cannot be read.
    #[error("cannot read the config file {path}: {reason} (fix the path given to --config)")]
    Unreadable {
        /// The file.
        path: String,
        /// The OS's reason.
        reason: String,
    },
    /// Not TOML.
    #[error("{path}:{line}: {reason} (fix the TOML syntax)")]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line of the problem.
        line: usize,
        /// The parser's message.
        reason: String,
    },
    /// A key that is no option of the scenario's command.
    #[error(
        "{path}: unknown key `{key}`: keys are `{command}` long option names, e.g. users, spawn-rate, run-time (see `{command} --help`)"
    )]
    UnknownKey {
        /// The file.
        path: String,
        /// The command the file is for, e.g. `swarm run get`.
        command: String,
        /// The key as written.
        key: String,
    },
    /// A value of the wrong TOML type or one the option rejects.
    #[error("{path}: `{key}`: {reason}")]
    BadValue {
        /// The file.
        path: String,
        /// The key as written.
        key: String,
        /// What is wrong and how to write it.
        reason: String,
    },
}

/// A parsed config file: per option id, the values it sets.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConfigFile {
    /// Where it was read from, as shown in messages.
    pub(crate) path: String,
    /// (arg id, values) in file order.
    pub(crate) values: Vec<(String, Vec<String>)>,
}

impl ConfigFile {
    /// Whether the file set the option with this id.
    pub(crate) fn sets(&self, id: &str) -> bool {
        self.values.iter().any(|(k, _)| k == id)
    }
}

/// The config file the command line asks for: the last `--config`, else `SWARM_CONFIG`,
/// else `./swarm.toml` when it exists. `Ok(None)` when there is none.
pub(crate) fn locate(args: &[OsString], env: Option<OsString>) -> Option<(PathBuf, bool)> {
    let mut chosen = None;
    let mut iter = args.iter().skip(1);
    while let Some(a) = iter.next() {
        if a == "--" {
            break;
        }
        if a == "--config" {
            chosen = iter.next().map(PathBuf::from);
        } else if let Some(rest) = a.to_str().and_then(|s| s.strip_prefix("--config=")) {
            chosen = Some(PathBuf::from(rest));
        }
    }
    if let Some(path) = chosen.or_else(|| env.filter(|e| !e.is_empty()).map(PathBuf::from)) {
        return Some((path, true));
    }
    let default = PathBuf::from(DEFAULT_FILE);
    default.is_file().then_some((default, false))
}

/// Reads and checks `path` against the options of `run` (one scenario's `run` command).
pub(crate) fn load(path: &Path, run: &Command) -> Result<ConfigFile, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    parse(&shown, &text, run)
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1)
}

fn scalar(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "true/false",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "a list",
        toml::Value::Table(_) => "a table",
    }
}

/// Parses config text; `path` is only for messages.
pub(crate) fn parse(path: &str, text: &str, run: &Command) -> Result<ConfigFile, ConfigError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        path: path.to_owned(),
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        reason: e.message().trim().replace('\n', " "),
    })?;
    let mut out = ConfigFile {
        path: path.to_owned(),
        values: Vec::new(),
    };
    for (key, value) in &table {
        let long = key.replace('_', "-");
        let arg = run
            .get_arguments()
            .find(|a| a.get_long() == Some(long.as_str()))
            .filter(|_| !NOT_FROM_FILE.contains(&long.as_str()))
            .ok_or_else(|| ConfigError::UnknownKey {
                path: path.to_owned(),
                command: run
                    .get_bin_name()
                    .unwrap_or_else(|| run.get_name())
                    .to_owned(),
                key: key.clone(),
            })?;
        let bad = |reason: String| ConfigError::BadValue {
            path: path.to_owned(),
            key: key.clone(),
            reason,
        };
        let values = match arg.get_action() {
            ArgAction::SetTrue | ArgAction::SetFalse => match value {
                toml::Value::Boolean(b) => vec![b.to_string()],
                other => {
                    return Err(bad(format!(
                        "expected true or false, found {} (write `{key} = true`)",
                        type_name(other)
                    )));
                }
            },
            ArgAction::Append => match value {
                toml::Value::Array(items) => items
                    .iter()
                    .map(|v| {
                        scalar(v).ok_or_else(|| {
                            bad(format!(
                                "expected a list of strings, found {} in it",
                                type_name(v)
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                other => vec![scalar(other).ok_or_else(|| {
                    bad(format!(
                        "expected a string or a list of strings, found {}",
                        type_name(other)
                    ))
                })?],
            },
            _ => vec![scalar(value).ok_or_else(|| {
                bad(format!(
                    "expected one value (a string or a number), found {}",
                    type_name(value)
                ))
            })?],
        };
        for v in &values {
            if let Err(e) = check_value(arg, &long, v) {
                let reason = e
                    .source()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| first_line(&e.render().to_string()));
                return Err(bad(format!("`{v}` is invalid: {reason}")));
            }
        }
        out.values.push((arg.get_id().to_string(), values));
    }
    Ok(out)
}

/// Runs `arg`'s own value parser on `value`, in a one-option command without its env var.
fn check_value(arg: &clap::Arg, long: &str, value: &str) -> Result<(), clap::Error> {
    if matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse) {
        return Ok(());
    }
    let probe = arg
        .clone()
        .env(clap::builder::Resettable::Reset)
        .required(false);
    Command::new("check")
        .no_binary_name(true)
        .arg(probe)
        .try_get_matches_from([format!("--{long}={value}")])
        .map(|_| ())
}

/// clap's first message line without its `error: ` tag.
pub(crate) fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or("invalid usage")
        .trim_start_matches("error: ")
        .to_owned()
}

/// `cmd` (one scenario's `run` command) with the file's values as defaults.
pub(crate) fn apply(mut cmd: Command, file: &ConfigFile) -> Command {
    for (id, values) in &file.values {
        let values = values.clone();
        cmd = cmd.mut_arg(id.as_str(), move |a| match a.get_action() {
            ArgAction::Append => a.default_values(values),
            _ => match values.into_iter().next_back() {
                Some(v) => a.default_value(v),
                None => a,
            },
        });
    }
    cmd
}

/// `cmd` with a scenario's own defaults (by long name) applied like a file's values; a long
/// name the command does not have is left alone (`check_options` refuses it earlier).
pub(crate) fn apply_defaults(cmd: Command, defaults: &[(String, Vec<String>)]) -> Command {
    let values = defaults
        .iter()
        .filter_map(|(long, v)| {
            let arg = cmd.get_arguments().find(|a| a.get_long() == Some(long))?;
            Some((arg.get_id().as_str().to_owned(), v.clone()))
        })
        .collect();
    apply(
        cmd,
        &ConfigFile {
            path: String::new(),
            values,
        },
    )
}

/// The `--print-config` listing: every option's value and where it came from.
pub(crate) fn render(run: &Command, matches: &ArgMatches, file: Option<&ConfigFile>) -> String {
    let mut out = String::from("Effective options (precedence: flag > env > file > default):\n");
    for arg in run.get_arguments() {
        let id = arg.get_id().as_str();
        let Some(name) = arg
            .get_long()
            .map(str::to_owned)
            .or_else(|| arg.is_positional().then(|| id.to_owned()))
        else {
            continue;
        };
        if NOT_FROM_FILE.contains(&name.as_str()) {
            continue;
        }
        let raw: Vec<String> = matches
            .get_raw(id)
            .map(|vals| vals.map(|v| v.to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        let value = if raw.is_empty() {
            "(unset)".to_owned()
        } else if arg.is_hide_env_values_set() {
            // A secret: an option that hides its environment value in `--help`.
            "***".to_owned()
        } else {
            raw.iter()
                .map(|v| swarm_http::redact_url(v))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let source = match matches.value_source(id) {
            Some(ValueSource::CommandLine) => "flag".to_owned(),
            Some(ValueSource::EnvVariable) => arg
                .get_env()
                .map_or("env".to_owned(), |e| format!("env {}", e.to_string_lossy())),
            Some(ValueSource::DefaultValue) => match file {
                Some(f) if f.sets(id) => format!("file {}", f.path),
                _ => "default".to_owned(),
            },
            _ => "-".to_owned(),
        };
        let _ = writeln!(out, "  {name:<22} {value:<32} {source}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Args;
    use expect_test::{Expect, expect};

    fn run_cmd() -> Command {
        crate::cli::RunArgs::augment_args(Command::new("get").bin_name("swarm run get"))
    }

    #[test]
    fn good_files_set_defaults() {
        let file = parse(
            "swarm.toml",
            "users = 5\nspawn_rate = 2.5\nrun-time = \"1m\"\nheadless = true\nthreshold = [\"p95 < 1s\", \"rps > 1\"]\n",
            &run_cmd(),
        )
        .expect("valid");
        assert_eq!(
            file.values,
            vec![
                ("headless".to_owned(), vec!["true".to_owned()]),
                ("run_time".to_owned(), vec!["1m".to_owned()]),
                ("spawn_rate".to_owned(), vec!["2.5".to_owned()]),
                (
                    "thresholds".to_owned(),
                    vec!["p95 < 1s".to_owned(), "rps > 1".to_owned()]
                ),
                ("users".to_owned(), vec!["5".to_owned()]),
            ]
        );
    }

    fn check(text: &str, want: Expect) {
        let err = parse("swarm.toml", text, &run_cmd()).expect_err(text);
        want.assert_eq(&err.to_string());
    }

    #[test]
    fn bad_files_name_the_key_and_the_fix() {
        check(
            "userz = 5",
            expect![
                "swarm.toml: unknown key `userz`: keys are `swarm run get` long option names, e.g. users, spawn-rate, run-time (see `swarm run get --help`)"
            ],
        );
        check(
            "users = \"many\"",
            expect![
                "swarm.toml: `users`: `many` is invalid: `many` is not a user count: give a whole number, 0 or more"
            ],
        );
        check(
            "headless = \"yes\"",
            expect![
                "swarm.toml: `headless`: expected true or false, found a string (write `headless = true`)"
            ],
        );
        check(
            "run-time = \"10parsecs\"",
            expect![
                "swarm.toml: `run-time`: `10parsecs` is invalid: `10parsecs` is not a duration: write e.g. 30s, 5m, 1h30m or 250ms"
            ],
        );
        check(
            "users = [1]",
            expect!["swarm.toml: `users`: expected one value (a string or a number), found a list"],
        );
        check(
            "users = 5\nhost = ",
            expect![
                "swarm.toml:2: string values must be quoted, expected literal string (fix the TOML syntax)"
            ],
        );
        check(
            "config = \"other.toml\"",
            expect![
                "swarm.toml: unknown key `config`: keys are `swarm run get` long option names, e.g. users, spawn-rate, run-time (see `swarm run get --help`)"
            ],
        );
    }

    #[test]
    fn locate_prefers_the_last_flag_then_env() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        let cases: [(&[&str], Option<&str>, Option<&str>); 4] = [
            (
                &["swarm", "run", "x", "--config", "a.toml"],
                None,
                Some("a.toml"),
            ),
            (
                &["swarm", "run", "--config=a.toml", "--config", "b.toml"],
                Some("e.toml"),
                Some("b.toml"),
            ),
            (&["swarm", "run", "x"], Some("e.toml"), Some("e.toml")),
            (&["swarm", "run", "x", "--", "--config", "a"], None, None),
        ];
        for (argv, env, want) in cases {
            let got = locate(&args(argv), env.map(OsString::from));
            assert_eq!(
                got.map(|(p, _)| p),
                want.map(PathBuf::from),
                "{argv:?} {env:?}"
            );
        }
    }
}
