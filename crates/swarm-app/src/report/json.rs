//! The JSON report: a versioned schema with every stat, the history and each histogram in
//! HdrHistogram's serialized form (V2, base64), so runs can be merged and compared later.
//! Per-entry rows under `stats` use Locust's `--json` field names (times in milliseconds).

use super::ReportInput;
use anyhow::{Context, Result};
use base64::Engine;
use hdrhistogram::serialization::{Serializer, V2Serializer};
use serde_json::{Value, json};
use swarm_core::metrics::{EntryStats, REPORT_PERCENTILES, TaskStats, quantile_us};

/// The schema identifier; bump on incompatible changes. Version 2 added the corrected times
/// (every row), `open_model` and `tasks`.
pub(crate) const SCHEMA: &str = "swarm-report/2";
/// Older schemas this swarm still reads (their missing fields read as empty).
pub(crate) const READS: [&str; 2] = [SCHEMA, "swarm-report/1"];

fn histogram_base64(h: &hdrhistogram::Histogram<u64>) -> Result<String> {
    let mut buf = Vec::new();
    V2Serializer::new()
        .serialize(h, &mut buf)
        .context("cannot serialize a histogram")?;
    Ok(base64::engine::general_purpose::STANDARD.encode(buf))
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Percentiles in ms keyed as Locust keys them (`"0.5"`, `"0.99"`...).
fn percentiles(at: impl Fn(f64) -> u64) -> serde_json::Map<String, Value> {
    REPORT_PERCENTILES
        .iter()
        .map(|&q| (format!("{q}"), json!(ms(at(q)))))
        .collect()
}

/// One scheduled task's iterations: counts, both kinds of percentiles, both histograms.
fn task_json(t: &TaskStats) -> Result<Value> {
    Ok(json!({
        "user_type": t.user_type,
        "name": t.name,
        "iterations": t.iterations,
        "late": t.late,
        "duration_percentiles": percentiles(|q| quantile_us(&t.durations, q)),
        "corrected_percentiles": percentiles(|q| quantile_us(&t.corrected, q)),
        "histogram_us": histogram_base64(&t.durations)?,
        "corrected_histogram_us": histogram_base64(&t.corrected)?,
    }))
}

/// One stats row with Locust's field names plus swarm's exact percentiles and histogram.
pub(crate) fn entry_json(e: &EntryStats, start_time: f64, end_time: f64) -> Result<Value> {
    Ok(json!({
        "name": e.name,
        "method": e.kind,
        "last_request_timestamp": end_time,
        "start_time": start_time,
        "num_requests": e.num_requests,
        "num_none_requests": 0,
        "num_failures": e.num_failures,
        "total_response_time": e.total_response_time_us as f64 / 1000.0,
        "max_response_time": ms(e.max_us()),
        "min_response_time": ms(e.min_us()),
        "total_content_length": e.total_bytes,
        "avg_response_time": e.avg_us() / 1000.0,
        "avg_content_length": e.avg_bytes(),
        "current_rps": e.current_rps,
        "current_fail_per_sec": e.current_fail_per_sec,
        "response_time_percentiles": percentiles(|q| e.percentile_us(q)),
        // From the intended start of each request's iteration (arrival-rate runs and paced
        // waits); empty histogram and zeros otherwise.
        "num_corrected": e.corrected.len(),
        "max_corrected_response_time": ms(e.max_corrected_us),
        "corrected_response_time_percentiles": percentiles(|q| e.corrected_percentile_us(q)),
        "histogram_us": histogram_base64(&e.response_times)?,
        "ttfb_histogram_us": histogram_base64(&e.ttfb)?,
        "corrected_histogram_us": histogram_base64(&e.corrected)?,
    }))
}

/// The whole report as a JSON value.
pub(crate) fn render(input: &ReportInput<'_>) -> Result<Value> {
    let s = input.stats;
    let stats = s
        .entries
        .iter()
        .map(|e| entry_json(e, s.start_time, s.taken_at))
        .collect::<Result<Vec<_>>>()?;
    Ok(json!({
        "schema": SCHEMA,
        "swarm_version": env!("CARGO_PKG_VERSION"),
        "scenario": input.meta.scenario,
        "host": input.meta.host,
        "run_id": input.meta.run_id,
        "segment": input.meta.segment.map(|s| s.to_string()),
        "start_time": s.start_time,
        "end_time": s.taken_at,
        "duration": s.duration_secs(),
        "user_count": input.meta.user_count,
        "warnings": input.meta.warnings,
        "thresholds": input.meta.thresholds,
        "total_rps": s.total_rps(),
        "fail_ratio": s.total.fail_ratio(),
        "interrupted": s.interrupted,
        "stats": stats,
        "total": entry_json(&s.total, s.start_time, s.taken_at)?,
        // Locust's `StatsError.to_dict` fields; the seen times are Unix seconds, as Locust's.
        "failures": s.failures.iter().map(|f| json!({
            "method": f.kind, "name": f.name, "error": f.error, "occurrences": f.occurrences,
            "first_seen": f.first_seen, "last_seen": f.last_seen,
        })).collect::<Vec<_>>(),
        "exceptions": s.exceptions.iter().map(|e| json!({
            "count": e.count, "msg": e.message, "context": e.context,
        })).collect::<Vec<_>>(),
        "history": s.history,
        "open_model": s.open,
        "tasks": s.tasks.iter().map(task_json).collect::<Result<Vec<_>>>()?,
    }))
}

/// Writes the report to `path`.
pub(crate) fn write(input: &ReportInput<'_>, path: &std::path::Path) -> Result<()> {
    let value = render(input)?;
    let text = serde_json::to_string_pretty(&value)?;
    std::fs::write(path, text)
        .with_context(|| format!("cannot write the JSON report to {}", path.display()))
}
