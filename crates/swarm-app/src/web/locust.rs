//! The JSON bodies of Locust 2.47's web API, key for key (`/stats/requests`, `/exceptions`),
//! plus swarm's chart history. Times are milliseconds (floats). Texts go out as they are, not
//! HTML-escaped: Locust 2.47 sends them raw (its page, like swarm's, inserts them as text).

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

/// Per second over `secs`, 0 for an empty span (as Locust's `total_rps`).
fn per_sec(n: u64, secs: f64) -> f64 {
    if secs > 0.0 { n as f64 / secs } else { 0.0 }
}

/// One row with the keys of Locust 2.47's `StatsEntry.to_dict` (stats.py:696); `total_rps`
/// and `total_fail_per_sec` cover the whole test, `current_*` the recent window.
fn row(e: &EntryStats, secs: f64) -> Value {
    let mut row = json!({
        // The aggregate's is "" (Locust 2.47's `RequestStats.total`; 1.x sent None).
        "method": e.kind,
        "name": e.name,
        "num_requests": e.num_requests,
        "num_failures": e.num_failures,
        "min_response_time": ms(e.min_us()),
        "max_response_time": ms(e.max_us()),
        "current_rps": e.current_rps,
        "current_fail_per_sec": e.current_fail_per_sec,
        "avg_response_time": e.avg_us() / 1000.0,
        "median_response_time": ms(e.median_us()),
        "total_rps": per_sec(e.num_requests, secs),
        "total_fail_per_sec": per_sec(e.num_failures, secs),
        "avg_content_length": e.avg_bytes(),
    });
    if let Value::Object(map) = &mut row {
        for q in ROW_PERCENTILES {
            map.insert(percentile_key(q), ms(e.percentile_us(q)).into());
        }
    }
    row
}

/// `GET /stats/requests`: Locust 2.47's live report (web.py:477-546, a local runner's keys).
pub(crate) fn requests(s: &StatsSnapshot, state: &str, user_count: usize) -> Value {
    let secs = s.duration_secs();
    let mut stats: Vec<Value> = s
        .entries
        .iter()
        .take(MAX_ROWS)
        .map(|e| row(e, secs))
        .collect();
    let total = row(&s.total, secs);
    // Locust copies these four from the aggregate row.
    let top = |key: &str| total.get(key).cloned().unwrap_or(Value::Null);
    let (current_rps, current_fail_per_sec) = (top("current_rps"), top("current_fail_per_sec"));
    let (total_rps, total_fail_per_sec) = (top("total_rps"), top("total_fail_per_sec"));
    stats.push(total);
    // Locust's `StatsError.serialize` (stats.py:784): the seen times are Unix seconds.
    let errors: Vec<Value> = s
        .failures
        .iter()
        .take(MAX_ROWS)
        .map(|f| {
            json!({
                "method": f.kind,
                "name": f.name,
                "error": f.error,
                "occurrences": f.occurrences,
                "first_seen": f.first_seen,
                "last_seen": f.last_seen,
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
        "current_rps": current_rps,
        "current_fail_per_sec": current_fail_per_sec,
        "total_rps": total_rps,
        "total_fail_per_sec": total_fail_per_sec,
        "fail_ratio": s.total.fail_ratio(),
        "current_response_time_percentiles": current,
        "state": state,
        "user_count": user_count,
    })
}

/// `GET /exceptions`: Locust's exceptions list (web.py:548); the traceback holds where it was
/// first seen, and the one node is `local`, as Locust's local runner names itself.
pub(crate) fn exceptions(s: &StatsSnapshot) -> Value {
    let rows: Vec<Value> = s
        .exceptions
        .iter()
        .map(|e| {
            json!({
                "count": e.count,
                "msg": e.message,
                "traceback": e.context,
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
                // swarm's own: from the intended start (0 without corrected times).
                "corrected_response_time_percentile_0.99": ms(r.window_corrected_p99_us),
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

    fn keys(v: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = v
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        keys
    }

    fn sorted(mut want: Vec<&str>) -> Vec<&str> {
        want.sort_unstable();
        want
    }

    /// The keys locust 2.47.0 sends, from its source: the report of `request_stats`
    /// (`locust/web.py:505-544`, a local runner: no `workers`), a row of
    /// `StatsEntry.to_dict` (`locust/stats.py:696-717`, `PERCENTILES_TO_STATISTICS` of
    /// line 120), an error of `StatsError.serialize` (`StatsErrorDict`, stats.py:49-73), and
    /// `current_response_time_percentiles` over `PERCENTILES_TO_CHART` (stats.py:121). The
    /// e2e test `locust_source::web_api_keys_and_routes_are_locusts_own` asks Locust itself.
    #[test]
    fn requests_have_exactly_locusts_keys() {
        let s = fixture::stats();
        let v = requests(&s, "running", 3);
        assert_eq!(
            keys(&v),
            sorted(vec![
                "stats",
                "errors",
                "current_rps",
                "current_fail_per_sec",
                "total_rps",
                "total_fail_per_sec",
                "fail_ratio",
                "current_response_time_percentiles",
                "state",
                "user_count",
            ])
        );
        let rows = v["stats"].as_array().cloned().unwrap_or_default();
        assert_eq!(rows.len(), s.entries.len() + 1);
        for row in &rows {
            assert_eq!(
                keys(row),
                sorted(vec![
                    "method",
                    "name",
                    "num_requests",
                    "num_failures",
                    "min_response_time",
                    "max_response_time",
                    "current_rps",
                    "current_fail_per_sec",
                    "avg_response_time",
                    "median_response_time",
                    "total_rps",
                    "total_fail_per_sec",
                    "response_time_percentile_0.95",
                    "response_time_percentile_0.99",
                    "avg_content_length",
                ])
            );
        }
        assert_eq!(
            keys(&v["errors"][0]),
            sorted(vec![
                "name",
                "method",
                "error",
                "occurrences",
                "first_seen",
                "last_seen"
            ])
        );
        assert_eq!(
            keys(&v["current_response_time_percentiles"]),
            [
                "response_time_percentile_0.5",
                "response_time_percentile_0.95"
            ]
        );
    }

    #[test]
    fn requests_carry_the_numbers() {
        let s = fixture::stats();
        let v = requests(&s, "running", 3);
        let rows = v["stats"].as_array().cloned().unwrap_or_default();
        let last = &rows[rows.len() - 1];
        assert_eq!(last["name"], "Aggregated");
        assert_eq!(last["method"], "");
        assert_eq!(rows[0]["method"], "GET");
        assert_eq!(rows[0]["num_requests"], 6);
        assert_eq!(last["num_requests"], 9);
        // 12 ms recorded as 12 000 µs comes back in milliseconds.
        assert_eq!(rows[0]["max_response_time"], 12.0);
        assert_eq!(v["state"], "running");
        assert_eq!(v["user_count"], 3);
        // As Locust: the top-level rates are the aggregate row's; total_* over the whole test.
        for key in [
            "current_rps",
            "current_fail_per_sec",
            "total_rps",
            "total_fail_per_sec",
        ] {
            assert_eq!(v[key], last[key], "{key}");
        }
        let whole_run = 9.0 / s.duration_secs();
        assert!((v["total_rps"].as_f64().unwrap_or(0.0) - whole_run).abs() < 1e-9);
        let current = &v["current_response_time_percentiles"];
        assert!(
            current["response_time_percentile_0.95"].is_number(),
            "{current}"
        );
        // Texts go out raw, as Locust 2.47 sends them; seen times are Unix seconds.
        let error = &v["errors"][0];
        assert_eq!(error["error"], "HTTP 500");
        assert_eq!(error["name"], "/b, \"quoted\"");
        assert_eq!(error["occurrences"], 3);
        assert_eq!(error["first_seen"].as_f64(), s.failures[0].first_seen);
        assert_eq!(error["last_seen"].as_f64(), s.failures[0].last_seen);
        assert!(error["first_seen"].as_f64() > Some(1.0e9), "{error}");
    }

    /// Locust 2.47's `/exceptions` rows (`locust/web.py:548-563`).
    #[test]
    fn exceptions_have_locusts_keys_and_raw_texts() {
        let v = exceptions(&fixture::stats());
        assert_eq!(keys(&v), ["exceptions"]);
        let row = &v["exceptions"][0];
        assert_eq!(keys(row), ["count", "msg", "nodes", "traceback"]);
        assert_eq!(row["msg"], "boom, <b>bold</b>");
        assert_eq!(row["traceback"], "task U::t");
        assert_eq!(row["count"], 1);
        assert_eq!(row["nodes"], "local");
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
