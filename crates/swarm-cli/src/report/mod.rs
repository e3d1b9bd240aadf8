//! Reports written at the end of a run (and on demand): JSON, CSV, HTML.

pub(crate) mod json;

use swarm_core::metrics::StatsSnapshot;

/// What a report needs besides the stats.
#[derive(Debug, Clone)]
pub(crate) struct RunMeta {
    /// The scenario's name.
    pub(crate) scenario: String,
    /// The target host.
    pub(crate) host: Option<String>,
    /// The run id.
    pub(crate) run_id: String,
    /// Users at the end (or the target).
    pub(crate) user_count: usize,
    /// Warnings the reader must see (e.g. the generator was CPU-bound).
    pub(crate) warnings: Vec<String>,
}

/// Everything a report is drawn from.
pub(crate) struct ReportInput<'a> {
    pub(crate) meta: &'a RunMeta,
    pub(crate) stats: &'a StatsSnapshot,
}
