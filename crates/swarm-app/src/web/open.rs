//! `GET /stats/open`, swarm's own (Locust has no open model): the arrival-rate numbers and
//! the corrected times of every row that has them, in milliseconds.

use serde_json::{Value, json};
use swarm_core::metrics::{EntryStats, StatsSnapshot};

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

fn corrected(e: &EntryStats) -> Value {
    json!({
        "method": e.kind,
        "name": e.name,
        "num_corrected": e.corrected.len(),
        "median": ms(e.corrected_percentile_us(0.5)),
        "p95": ms(e.corrected_percentile_us(0.95)),
        "p99": ms(e.corrected_percentile_us(0.99)),
        "max": ms(e.max_corrected_us),
    })
}

/// The body of `/stats/open`: `open_model` as in the JSON report, and `corrected` rows
/// (the aggregate last, named `Aggregated`; empty when no request has a corrected time).
pub(crate) fn open_model(s: &StatsSnapshot) -> Value {
    let rows: Vec<Value> = if s.total.has_corrected() {
        s.entries
            .iter()
            .filter(|e| e.has_corrected())
            .chain([&s.total])
            .map(corrected)
            .collect()
    } else {
        Vec::new()
    };
    json!({ "open_model": s.open, "corrected": rows })
}
