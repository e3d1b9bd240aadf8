//! Reads a saved JSON report back into stats, so reports can be redrawn and runs compared.

use super::RunMeta;
use super::json::{READS, SCHEMA};
use crate::threshold::Verdict;
use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use serde_json::Value;
use std::path::Path;
use swarm_core::metrics::{
    EntryStats, ExceptionStats, FailureStats, HistoryRow, OpenStats, StatsSnapshot, TaskStats,
    new_histogram,
};

/// Why a report could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    /// The file cannot be read.
    #[error("cannot read the report {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// The OS's reason.
        reason: String,
    },
    /// Not a swarm JSON report of a known schema.
    #[error(
        "{path} is not a swarm JSON report ({reason}): give a file written by `swarm run --json`"
    )]
    NotAReport {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A report as read back.
pub(crate) struct Loaded {
    /// About the run.
    pub(crate) meta: RunMeta,
    /// Its stats, histograms included.
    pub(crate) stats: StatsSnapshot,
}

fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(0.0)
}

fn u(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

fn us(v: &Value, key: &str) -> u64 {
    (f(v, key) * 1000.0).round() as u64
}

fn histogram(v: &Value, key: &str) -> Result<Histogram<u64>, String> {
    let text = v[key]
        .as_str()
        .ok_or_else(|| format!("`{key}` is missing"))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("`{key}` is not base64: {e}"))?;
    let mut h: Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("`{key}` is not an HdrHistogram: {e:?}"))?;
    // A decoded histogram covers only the range it was written with; merging another
    // report's slower samples into it must widen it, not fail.
    h.auto(true);
    Ok(h)
}

fn entry(v: &Value) -> Result<EntryStats, String> {
    Ok(EntryStats {
        kind: s(v, "method"),
        name: s(v, "name"),
        num_requests: u(v, "num_requests"),
        num_failures: u(v, "num_failures"),
        total_response_time_us: us(v, "total_response_time"),
        total_bytes: u(v, "total_content_length"),
        min_response_time_us: us(v, "min_response_time"),
        max_response_time_us: us(v, "max_response_time"),
        current_rps: f(v, "current_rps"),
        current_fail_per_sec: f(v, "current_fail_per_sec"),
        response_times: histogram(v, "histogram_us")?,
        ttfb: histogram(v, "ttfb_histogram_us")?,
        corrected: optional_histogram(v, "corrected_histogram_us")?,
        max_corrected_us: us(v, "max_corrected_response_time"),
    })
}

/// A histogram a `swarm-report/1` file does not have: empty then.
fn optional_histogram(v: &Value, key: &str) -> Result<Histogram<u64>, String> {
    if v[key].is_null() {
        Ok(new_histogram())
    } else {
        histogram(v, key)
    }
}

fn task(v: &Value) -> Result<TaskStats, String> {
    Ok(TaskStats {
        user_type: s(v, "user_type"),
        name: s(v, "name"),
        iterations: u(v, "iterations"),
        late: u(v, "late"),
        durations: histogram(v, "histogram_us")?,
        corrected: histogram(v, "corrected_histogram_us")?,
    })
}

fn open_model(v: &Value) -> OpenStats {
    OpenStats {
        arrival: v["arrival"].as_bool().unwrap_or(false),
        target_rate: f(v, "target_rate"),
        achieved_rate: f(v, "achieved_rate"),
        iterations_started: u(v, "iterations_started"),
        dropped_iterations: u(v, "dropped_iterations"),
        late_iterations: u(v, "late_iterations"),
        pool_size: u(v, "pool_size") as usize,
        busy_users: u(v, "busy_users") as usize,
        max_users: u(v, "max_users") as usize,
    }
}

fn history_row(v: &Value) -> HistoryRow {
    HistoryRow {
        timestamp: u(v, "timestamp"),
        user_count: u(v, "user_count") as usize,
        kind: s(v, "kind"),
        name: s(v, "name"),
        current_rps: f(v, "current_rps"),
        current_fail_per_sec: f(v, "current_fail_per_sec"),
        window_percentiles_us: v["window_percentiles_us"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default(),
        window_corrected_p99_us: u(v, "window_corrected_p99_us"),
        total_requests: u(v, "total_requests"),
        total_failures: u(v, "total_failures"),
        total_median_us: u(v, "total_median_us"),
        total_avg_us: f(v, "total_avg_us"),
        total_min_us: u(v, "total_min_us"),
        total_max_us: u(v, "total_max_us"),
        total_avg_bytes: f(v, "total_avg_bytes"),
    }
}

fn list<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v[key].as_array().into_iter().flatten()
}

/// Rebuilds a report from its JSON value.
pub(crate) fn from_value(v: &Value) -> Result<Loaded, String> {
    match v["schema"].as_str() {
        Some(known) if READS.contains(&known) => {}
        Some(other) => return Err(format!("schema `{other}`, this swarm reads `{SCHEMA}`")),
        None => return Err("no `schema` field".into()),
    }
    let entries = list(v, "stats").map(entry).collect::<Result<Vec<_>, _>>()?;
    let stats = StatsSnapshot {
        start_time: f(v, "start_time"),
        taken_at: f(v, "end_time"),
        entries,
        total: entry(&v["total"])?,
        failures: list(v, "failures")
            .map(|x| FailureStats {
                kind: s(x, "method"),
                name: s(x, "name"),
                error: s(x, "error"),
                occurrences: u(x, "occurrences"),
                // Absent (null) in reports written before swarm recorded them.
                first_seen: x["first_seen"].as_f64(),
                last_seen: x["last_seen"].as_f64(),
            })
            .collect(),
        exceptions: list(v, "exceptions")
            .map(|x| ExceptionStats {
                message: s(x, "msg"),
                context: s(x, "context"),
                count: u(x, "count"),
            })
            .collect(),
        history: std::sync::Arc::new(list(v, "history").map(history_row).collect()),
        window_percentiles_us: Vec::new(),
        interrupted: u(v, "interrupted"),
        tasks: list(v, "tasks").map(task).collect::<Result<Vec<_>, _>>()?,
        open: open_model(&v["open_model"]),
    };
    let meta = RunMeta {
        scenario: s(v, "scenario"),
        host: v["host"].as_str().map(str::to_owned),
        run_id: s(v, "run_id"),
        // Absent in reports written before distributed runs; null for a whole run.
        segment: match v["segment"].as_str() {
            Some(text) => Some(text.parse().map_err(|e| format!("`segment`: {e}"))?),
            None => None,
        },
        user_count: u(v, "user_count") as usize,
        warnings: list(v, "warnings")
            .filter_map(|w| w.as_str().map(str::to_owned))
            .collect(),
        thresholds: list(v, "thresholds")
            .map(|t| Verdict {
                threshold: s(t, "threshold"),
                passed: t["passed"].as_bool().unwrap_or(false),
                actual: s(t, "actual"),
            })
            .collect(),
    };
    Ok(Loaded { meta, stats })
}

/// Reads the JSON value of a report file, checking its schema.
pub(crate) fn read_value(path: &Path) -> Result<Value, LoadError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LoadError::Unreadable {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|e| LoadError::NotAReport {
        path: shown.clone(),
        reason: format!("not JSON: {e}"),
    })?;
    if !value["schema"].as_str().is_some_and(|s| READS.contains(&s)) {
        return Err(LoadError::NotAReport {
            path: shown,
            reason: format!("its `schema` is not `{SCHEMA}`"),
        });
    }
    Ok(value)
}

/// Reads a report file back into stats.
pub(crate) fn read(path: &Path) -> Result<Loaded, LoadError> {
    let value = read_value(path)?;
    from_value(&value).map_err(|reason| LoadError::NotAReport {
        path: path.display().to_string(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ReportInput, fixture, json};

    #[test]
    fn a_report_reads_back_to_the_same_numbers() {
        let (meta, stats) = (fixture::meta(), fixture::stats());
        let value = json::render(&ReportInput {
            meta: &meta,
            stats: &stats,
        })
        .expect("rendered");
        let loaded = from_value(&value).expect("loaded");
        let again = json::render(&ReportInput {
            meta: &loaded.meta,
            stats: &loaded.stats,
        })
        .expect("rendered again");
        assert_eq!(value, again);
        let failure = &value["failures"][0];
        assert!(failure["first_seen"].as_f64() > Some(1.0e9), "{failure}");
        assert!(failure["last_seen"].as_f64() >= failure["first_seen"].as_f64());
        assert_eq!(loaded.stats.failures, stats.failures);
    }

    #[test]
    fn a_report_without_seen_times_reads_back_with_none() {
        let (meta, stats) = (fixture::meta(), fixture::stats());
        let mut value = json::render(&ReportInput {
            meta: &meta,
            stats: &stats,
        })
        .expect("rendered");
        if let Some(failure) = value["failures"][0].as_object_mut() {
            failure.remove("first_seen");
            failure.remove("last_seen");
        }
        let loaded = from_value(&value).expect("loaded");
        assert_eq!(loaded.stats.failures[0].occurrences, 3);
        assert_eq!(loaded.stats.failures[0].first_seen, None);
        assert_eq!(loaded.stats.failures[0].last_seen, None);
    }
}
