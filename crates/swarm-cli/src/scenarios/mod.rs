//! The built-in scenarios `swarm run` knows, and how each is prepared from the flags.

pub(crate) mod get;
pub(crate) mod owncloud;

use crate::cli::RunArgs;
use crate::error::Usage;
use anyhow::Result;
use swarm_core::metrics::Metrics;
use swarm_core::{Extensions, Scenario};

/// A scenario ready to hand to a runner.
pub(crate) struct Prepared {
    /// Its user types and hooks.
    pub(crate) scenario: Scenario,
    /// The shared things its users read (an HTTP client, options).
    pub(crate) extensions: Extensions,
}

/// One built-in scenario.
pub(crate) struct ScenarioDef {
    /// The name given to `swarm run`.
    pub(crate) name: &'static str,
    /// One line for `swarm list`.
    pub(crate) about: &'static str,
    /// The flags it reads, for `swarm list`.
    pub(crate) options: &'static [&'static str],
    /// Builds it from the flags; the metrics are the run's, for clients that record.
    pub(crate) prepare: fn(&RunArgs, &Metrics) -> Result<Prepared>,
}

/// Every built-in scenario.
pub(crate) const ALL: &[&ScenarioDef] = &[&get::DEF, &owncloud::DEF];

/// The scenario called `name`, or a usage error listing the known ones.
pub(crate) fn find(name: &str) -> Result<&'static ScenarioDef, Usage> {
    ALL.iter().copied().find(|d| d.name == name).ok_or_else(|| {
        let known: Vec<&str> = ALL.iter().map(|d| d.name).collect();
        Usage(format!(
            "unknown scenario `{name}`: choose one of {} (see `swarm list`)",
            known.join(", ")
        ))
    })
}

/// `swarm list`.
pub(crate) fn list() -> String {
    let mut out = String::from("Built-in scenarios (run with `swarm run NAME`):\n");
    for d in ALL {
        out.push_str(&format!("\n  {:<10} {}\n", d.name, d.about));
        for o in d.options {
            out.push_str(&format!("             {o}\n"));
        }
    }
    out
}
