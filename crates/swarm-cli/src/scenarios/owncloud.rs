//! The `owncloud` scenario: the seed, made robust (being built).

use super::{Prepared, ScenarioDef};
use crate::cli::{CleanupArgs, RunArgs};
use anyhow::{Result, bail};
use swarm_core::metrics::Metrics;

/// The registry entry.
pub(crate) const DEF: ScenarioDef = ScenarioDef {
    name: "owncloud",
    about: "ownCloud users: create an account each, download/upload over WebDAV, delete on stop",
    options: &[],
    prepare,
};

fn prepare(_: &RunArgs, _: &Metrics) -> Result<Prepared> {
    bail!("the owncloud scenario is not built yet")
}

/// `swarm owncloud cleanup`.
pub(crate) fn cleanup_main(_: CleanupArgs) -> Result<i32> {
    bail!("swarm owncloud cleanup is not built yet")
}
