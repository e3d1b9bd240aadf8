//! What readers (console, reports, web UI) get: a merged, self-consistent view of the stats.

use super::EntryStats;
use serde::Serialize;

/// One failure group: the same (kind, name, error) counted together, as Locust does.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FailureStats {
    /// Operation kind, e.g. `GET`.
    pub kind: String,
    /// Display name.
    pub name: String,
    /// Error text.
    pub error: String,
    /// How often it happened.
    pub occurrences: u64,
    /// Unix seconds of the first occurrence, merged over every thread (the earliest);
    /// `None` only in a report written before swarm recorded it.
    pub first_seen: Option<f64>,
    /// Unix seconds of the latest occurrence (the latest over every thread).
    pub last_seen: Option<f64>,
}

/// One exception group: errors and panics of hooks and tasks, by message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExceptionStats {
    /// The error or panic message.
    pub message: String,
    /// Where it was first seen (e.g. `task OwnCloudUser::upload`).
    pub context: String,
    /// How often it happened.
    pub count: u64,
}

/// One row of the per-interval history (for charts and `*_stats_history.csv`).
#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    /// Unix time of the sample, in seconds.
    pub timestamp: u64,
    /// Users running at that moment.
    pub user_count: usize,
    /// Operation kind; empty for the aggregate row.
    pub kind: String,
    /// Display name, or `Aggregated`.
    pub name: String,
    /// Requests per second over the recent window.
    pub current_rps: f64,
    /// Failures per second over the recent window.
    pub current_fail_per_sec: f64,
    /// Response-time percentiles (µs) over the recent window, at [`super::REPORT_PERCENTILES`].
    pub window_percentiles_us: Vec<u64>,
    /// The corrected times' 99th percentile (µs) over the recent window; 0 without any.
    pub window_corrected_p99_us: u64,
    /// Requests since the start.
    pub total_requests: u64,
    /// Failures since the start.
    pub total_failures: u64,
    /// Median since the start (µs).
    pub total_median_us: u64,
    /// Mean since the start (µs).
    pub total_avg_us: f64,
    /// Fastest since the start (µs).
    pub total_min_us: u64,
    /// Slowest since the start (µs).
    pub total_max_us: u64,
    /// Mean payload size since the start (bytes).
    pub total_avg_bytes: f64,
}

/// Every stat at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct StatsSnapshot {
    /// Unix time (seconds) when these stats started (test start or last reset).
    pub start_time: f64,
    /// Unix time (seconds) of this snapshot.
    pub taken_at: f64,
    /// One row per (kind, name), sorted by name then kind.
    pub entries: Vec<EntryStats>,
    /// The aggregate of all rows.
    pub total: EntryStats,
    /// Failure groups, most frequent first.
    pub failures: Vec<FailureStats>,
    /// Exception groups, most frequent first.
    pub exceptions: Vec<ExceptionStats>,
    /// Per-interval history in time order: aggregate rows, and per-entry rows when the
    /// metrics keep them. Shared: cloning a snapshot does not copy it.
    pub history: std::sync::Arc<Vec<HistoryRow>>,
    /// Aggregate response-time percentiles (µs) over the recent window.
    pub window_percentiles_us: Vec<u64>,
    /// Requests still in flight when their user was stopped: cut off, so in no row above.
    pub interrupted: u64,
    /// Scheduled task iterations (paced waits or arrival-rate runs), by user type and name.
    pub tasks: Vec<super::TaskStats>,
    /// Arrival-rate numbers (target and achieved rate, pool, dropped) and late iterations.
    pub open: super::OpenStats,
}

impl StatsSnapshot {
    /// Seconds these stats cover.
    pub fn duration_secs(&self) -> f64 {
        (self.taken_at - self.start_time).max(0.0)
    }

    /// Mean requests per second over the whole run.
    pub fn total_rps(&self) -> f64 {
        let d = self.duration_secs();
        if d > 0.0 {
            self.total.num_requests as f64 / d
        } else {
            0.0
        }
    }

    /// The aggregate history rows only.
    pub fn aggregate_history(&self) -> impl Iterator<Item = &HistoryRow> {
        self.history.iter().filter(|r| r.kind.is_empty())
    }
}
