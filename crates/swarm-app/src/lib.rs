//! swarm-app is swarm's product as a library: the [`App`] that takes an author's
//! [`Scenario`]s and gives them the whole command line (Locust's flags, `SWARM_*` variables,
//! `swarm.toml`, `--print-config`), the live console, the web UI with Locust's HTTP API,
//! CSV/JSON/HTML reports, thresholds, signals and exit codes, with one run driver for
//! headless and web runs.
//!
//! It is not an engine (that is swarm-core) and knows no scenario and no target system:
//! the `swarm` binary's built-in scenarios register through the same public API as any
//! author's. Test authors depend on the `swarm` facade rather than on this crate.

mod app;
mod cli;
mod command;
mod config;
mod cpu;
mod distributed;
mod error;
mod live;
mod logging;
mod outputs;
mod open;
mod parse;
mod report;
mod report_cmd;
mod run;
mod scenario;
mod signals;
mod threshold;
mod values;
mod web;

pub use app::{App, ScriptLoader};
pub use cli::parse_host;
pub use error::{BoxError, UsageError};
pub use scenario::{Scenario, Setup};
pub use values::{parse_duration, parse_rate, parse_users};
