//! The JSON bodies of Locust 2.x's web API, field for field (`/stats/requests`,
//! `/exceptions`), plus swarm's chart history. Times are milliseconds (floats).

use crate::report::html::escape_html;
use serde_json::{Value, json};
use swarm_core::metrics::{EntryStats, REPORT_PERCENTILES, StatsSnapshot};

/// Locust shows at most this many rows (plus the aggregate), so a run with thousands of
/// names keeps the page fast.
const MAX_ROWS: usize = 500;

/// Locust's per-row extra percentiles (`PERCENTILES_TO_STATISTICS`).
const ROW_PERCENTILES: [f64; 2] = [0.95, 0.99];

/// Locust's `current_response_time_percentiles` (`PERCENTILES_TO_CHART`).
const CURRENT_PERCENTILES: [f64; 2] = [0.5, 0.95];

/// The percentiles the page charts.
const CHART_PERCENTILES: [f64; 3] = [0.5, 0.95, 0.99];

/// Microseconds to Locust's milliseconds.
fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Locust's name for quantile `q`: `response_time_percentile_0.95`.
fn percentile_key(q: f64) -> String {
    format!("response_time_percentile_{q}")
}

/// The value at quantile `q` of a list sampled at [`REPORT_PERCENTILES`].
fn at_report_percentile(values: &[u64], q: f64) -> u64 {
    REPORT_PERCENTILES
        .iter()
        .position(|p| (p - q).abs() < 1e-9)
        .and_then(|i| values.get(i))
        .copied()
        .unwrap_or(0)
}

fn row(e: &EntryStats, aggregate: bool) -> Value {
    let mut row = json!({
        // Locust's aggregate row has no method (None).
        "method": if aggregate { Value::Null } else { Value::from(e.kind.as_str()) },
        "name": e.name,
        "safe_name": escape_html(&e.name, false),
        "num_requests": e.num_requests,
        "num_failures": e.num_failures,
        "avg_response_time": e.avg_us() / 1000.0,
        "min_response_time": ms(e.min_us()),
        "max_response_time": ms(e.max_us()),
        "current_rps": e.current_rps,
        "current_fail_per_sec": e.current_fail_per_sec,
        "median_response_time": ms(e.median_us()),
        "ninetieth_response_time": ms(e.percentile_us(0.9)),
        "ninety_ninth_response_time": ms(e.percentile_us(0.99)),
        "avg_content_length": e.avg_bytes(),
    });
    if let Value::Object(map) = &mut row {
        for q in ROW_PERCENTILES {
            map.insert(percentile_key(q), ms(e.percentile_us(q)).into());
        }
    }
    row
}

/// `GET /stats/requests`: Locust's live report.
pub(crate) fn requests(s: &StatsSnapshot, state: &str, user_count: usize) -> Value {
    let mut stats: Vec<Value> = s
        .entries
        .iter()
        .take(MAX_ROWS)
        .map(|e| row(e, false))
        .collect();
    stats.push(row(&s.total, true));
    let errors: Vec<Value> = s
        .failures
        .iter()
        .take(MAX_ROWS)
        .map(|f| {
            json!({
                "method": f.kind,
                "name": escape_html(&f.name, true),
                "error": escape_html(&f.error, true),
                "occurrences": f.occurrences,
            })
        })
        .collect();
    let current: serde_json::Map<String, Value> = CURRENT_PERCENTILES
        .iter()
        .map(|&q| {
            (
                percentile_key(q),
                ms(at_report_percentile(&s.window_percentiles_us, q)).into(),
            )
        })
        .collect();
    json!({
        "stats": stats,
        "errors": errors,
        "total_rps": s.total.current_rps,
        "total_fail_per_sec": s.total.current_fail_per_sec,
        "fail_ratio": s.total.fail_ratio(),
        "current_response_time_percentiles": current,
        "user_count": user_count,
        "state": state,
    })
}

/// `GET /exceptions`: Locust's exceptions list; the traceback holds where it was first seen.
pub(crate) fn exceptions(s: &StatsSnapshot) -> Value {
    let rows: Vec<Value> = s
        .exceptions
        .iter()
        .map(|e| {
            json!({
                "count": e.count,
                "msg": escape_html(&e.message, true),
                "traceback": escape_html(&e.context, true),
                "nodes": "local",
            })
        })
        .collect();
    json!({ "exceptions": rows })
}

/// `GET /stats/history?since=T` (swarm's own): the aggregate samples after unix time `since`,
/// for the charts.
pub(crate) fn history(s: &StatsSnapshot, since: u64) -> Value {
    let rows: Vec<Value> = s
        .aggregate_history()
        .filter(|r| r.timestamp > since)
        .map(|r| {
            let mut row = json!({
                "time": r.timestamp,
                "user_count": r.user_count,
                "current_rps": r.current_rps,
                "current_fail_per_sec": r.current_fail_per_sec,
            });
            if let Value::Object(map) = &mut row {
                for q in CHART_PERCENTILES {
                    map.insert(
                        percentile_key(q),
                        ms(at_report_percentile(&r.window_percentiles_us, q)).into(),
                    );
                }
            }
            row
        })
        .collect();
    json!({ "start_time": s.start_time, "history": rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn requests_have_locusts_fields() {
        let s = fixture::stats();
        let v = requests(&s, "running", 3);
        let keys: Vec<&str> = v
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for key in [
            "stats",
            "errors",
            "total_rps",
            "total_fail_per_sec",
            "fail_ratio",
            "current_response_time_percentiles",
            "user_count",
            "state",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        let rows = v["stats"].as_array().cloned().unwrap_or_default();
        assert_eq!(rows.len(), s.entries.len() + 1);
        let last = &rows[rows.len() - 1];
        assert_eq!(last["name"], "Aggregated");
        assert!(last["method"].is_null());
        for field in [
            "method",
            "name",
            "safe_name",
            "num_requests",
            "num_failures",
            "avg_response_time",
            "min_response_time",
            "max_response_time",
            "current_rps",
            "current_fail_per_sec",
            "median_response_time",
            "ninetieth_response_time",
            "ninety_ninth_response_time",
            "avg_content_length",
            "response_time_percentile_0.95",
            "response_time_percentile_0.99",
        ] {
            assert!(
                rows[0].get(field).is_some(),
                "row lacks {field}: {}",
                rows[0]
            );
        }
        assert_eq!(rows[0]["method"], "GET");
        assert_eq!(rows[0]["num_requests"], 6);
        assert_eq!(last["num_requests"], 9);
        // 12 ms recorded as 12 000 µs comes back in milliseconds.
        assert_eq!(rows[0]["max_response_time"], 12.0);
        assert_eq!(v["state"], "running");
        assert_eq!(v["user_count"], 3);
        let current = &v["current_response_time_percentiles"];
        assert!(
            current["response_time_percentile_0.5"].is_number(),
            "{current}"
        );
        assert!(
            current["response_time_percentile_0.95"].is_number(),
            "{current}"
        );
        let error = &v["errors"][0];
        assert_eq!(error["error"], "HTTP 500");
        assert_eq!(error["name"], "/b, &quot;quoted&quot;");
        assert_eq!(error["occurrences"], 3);
    }

    #[test]
    fn exceptions_are_escaped() {
        let v = exceptions(&fixture::stats());
        assert_eq!(v["exceptions"][0]["msg"], "boom, &lt;b&gt;bold&lt;/b&gt;");
        assert_eq!(v["exceptions"][0]["count"], 1);
        assert_eq!(v["exceptions"][0]["nodes"], "local");
    }

    #[test]
    fn history_rows_after_since() {
        let s = fixture::stats();
        let all = history(&s, 0)["history"].as_array().map_or(0, Vec::len);
        assert_eq!(all, s.aggregate_history().count());
        assert!(all > 0);
        let row = &history(&s, 0)["history"][0];
        for field in [
            "time",
            "user_count",
            "current_rps",
            "response_time_percentile_0.99",
        ] {
            assert!(row.get(field).is_some(), "{field}: {row}");
        }
        assert_eq!(
            history(&s, u64::MAX)["history"]
                .as_array()
                .map_or(1, Vec::len),
            0
        );
    }
}
