//! The Prometheus text exposition format (version 0.0.4) of the families, as `/metrics`
//! serves it.

use super::series::{BUCKETS_SECONDS, Family, Kind, Value};
use std::fmt::Write as _;

/// The `Content-Type` of [`render`]'s output.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A label value with `\`, `"` and newlines escaped, as the format requires.
fn escape(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// `{a="x",b="y"}`, or nothing without labels.
fn labels(pairs: &[(&str, &str)], out: &mut String) {
    if pairs.is_empty() {
        return;
    }
    out.push('{');
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(k);
        out.push_str("=\"");
        escape(v, out);
        out.push('"');
    }
    out.push('}');
}

/// A sample value; Rust's shortest round-trip form never uses an exponent Prometheus
/// could not read.
fn number(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        v.to_string()
    }
}

fn line(name: &str, suffix: &str, pairs: &[(&str, &str)], value: &str, out: &mut String) {
    out.push_str(name);
    out.push_str(suffix);
    labels(pairs, out);
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

/// Every family in the text format.
pub(crate) fn render(families: &[Family]) -> String {
    let mut out = String::new();
    let les: Vec<String> = BUCKETS_SECONDS.iter().map(|b| b.to_string()).collect();
    for f in families {
        let kind = match f.kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        };
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {} {kind}", f.name);
        for s in &f.samples {
            let mut pairs: Vec<(&str, &str)> =
                s.labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
            match &s.value {
                Value::Number(v) => line(f.name, "", &pairs, &number(*v), &mut out),
                Value::Histogram(h) => {
                    for (le, count) in les.iter().zip(h.cumulative) {
                        pairs.push(("le", le.as_str()));
                        line(f.name, "_bucket", &pairs, &count.to_string(), &mut out);
                        pairs.pop();
                    }
                    pairs.push(("le", "+Inf"));
                    line(f.name, "_bucket", &pairs, &h.count.to_string(), &mut out);
                    pairs.pop();
                    line(f.name, "_sum", &pairs, &number(h.sum), &mut out);
                    line(f.name, "_count", &pairs, &h.count.to_string(), &mut out);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;
    use swarm_core::RunState;

    #[test]
    fn the_fixture_renders_as_prometheus_reads_it() {
        let (_, families) = super::super::series::fixture(RunState::Running);
        let text = render(&families);
        // The start time changes with every run; everything else is fixed.
        let text: String = text
            .lines()
            .filter(|l| !l.starts_with("swarm_stats_start_time_seconds "))
            .map(|l| format!("{l}\n"))
            .collect();
        expect![[r##"
            # HELP swarm_requests_total Requests completed (failed ones included), per method and name.
            # TYPE swarm_requests_total counter
            swarm_requests_total{method="GET",name="/a"} 6
            swarm_requests_total{method="PUT",name="/b, \"quoted\""} 3
            # HELP swarm_request_failures_total Requests that failed, per method and name.
            # TYPE swarm_request_failures_total counter
            swarm_request_failures_total{method="GET",name="/a"} 0
            swarm_request_failures_total{method="PUT",name="/b, \"quoted\""} 3
            # HELP swarm_response_bytes_total Response body bytes received, per method and name.
            # TYPE swarm_response_bytes_total counter
            swarm_response_bytes_total{method="GET",name="/a"} 600
            swarm_response_bytes_total{method="PUT",name="/b, \"quoted\""} 300
            # HELP swarm_response_time_seconds Response times since the start, in fixed buckets (HdrHistogram precision).
            # TYPE swarm_response_time_seconds histogram
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="0.001"} 3
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="0.0025"} 3
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="0.005"} 3
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="0.01"} 3
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="0.025"} 6
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="0.05"} 6
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="0.1"} 6
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="0.25"} 6
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="0.5"} 6
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="1"} 6
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="2.5"} 6
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="5"} 6
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="10"} 6
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="30"} 6
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="60"} 6
            swarm_response_time_seconds_bucket{method="GET",name="/a",le="+Inf"} 6
            swarm_response_time_seconds_sum{method="GET",name="/a"} 0.0387
            swarm_response_time_seconds_count{method="GET",name="/a"} 6
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="0.001"} 0
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="0.0025"} 0
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="0.005"} 0
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="0.01"} 0
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="0.025"} 0
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="0.05"} 0
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="0.1"} 0
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="0.25"} 3
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="0.5"} 3
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="1"} 3
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="2.5"} 3
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="5"} 3
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="10"} 3
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="30"} 3
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="60"} 3
            swarm_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="+Inf"} 3
            swarm_response_time_seconds_sum{method="PUT",name="/b, \"quoted\""} 0.75
            swarm_response_time_seconds_count{method="PUT",name="/b, \"quoted\""} 3
            # HELP swarm_response_time_percentile_seconds Exact response-time percentiles since the start (HdrHistogram), by quantile.
            # TYPE swarm_response_time_percentile_seconds gauge
            swarm_response_time_percentile_seconds{method="GET",name="/a",quantile="0.5"} 0.001
            swarm_response_time_percentile_seconds{method="GET",name="/a",quantile="0.75"} 0.012
            swarm_response_time_percentile_seconds{method="GET",name="/a",quantile="0.9"} 0.012
            swarm_response_time_percentile_seconds{method="GET",name="/a",quantile="0.95"} 0.012
            swarm_response_time_percentile_seconds{method="GET",name="/a",quantile="0.99"} 0.012
            swarm_response_time_percentile_seconds{method="GET",name="/a",quantile="0.999"} 0.012
            swarm_response_time_percentile_seconds{method="GET",name="/a",quantile="1"} 0.012
            swarm_response_time_percentile_seconds{method="PUT",name="/b, \"quoted\"",quantile="0.5"} 0.25
            swarm_response_time_percentile_seconds{method="PUT",name="/b, \"quoted\"",quantile="0.75"} 0.25
            swarm_response_time_percentile_seconds{method="PUT",name="/b, \"quoted\"",quantile="0.9"} 0.25
            swarm_response_time_percentile_seconds{method="PUT",name="/b, \"quoted\"",quantile="0.95"} 0.25
            swarm_response_time_percentile_seconds{method="PUT",name="/b, \"quoted\"",quantile="0.99"} 0.25
            swarm_response_time_percentile_seconds{method="PUT",name="/b, \"quoted\"",quantile="0.999"} 0.25
            swarm_response_time_percentile_seconds{method="PUT",name="/b, \"quoted\"",quantile="1"} 0.25
            swarm_response_time_percentile_seconds{name="Aggregated",quantile="0.5"} 0.012007
            swarm_response_time_percentile_seconds{name="Aggregated",quantile="0.75"} 0.25
            swarm_response_time_percentile_seconds{name="Aggregated",quantile="0.9"} 0.25
            swarm_response_time_percentile_seconds{name="Aggregated",quantile="0.95"} 0.25
            swarm_response_time_percentile_seconds{name="Aggregated",quantile="0.99"} 0.25
            swarm_response_time_percentile_seconds{name="Aggregated",quantile="0.999"} 0.25
            swarm_response_time_percentile_seconds{name="Aggregated",quantile="1"} 0.25
            # HELP swarm_users Virtual users running now.
            # TYPE swarm_users gauge
            swarm_users 3
            # HELP swarm_run_state 1 for the runner's current state, 0 for the others.
            # TYPE swarm_run_state gauge
            swarm_run_state{state="ready"} 0
            swarm_run_state{state="spawning"} 0
            swarm_run_state{state="running"} 1
            swarm_run_state{state="stopping"} 0
            swarm_run_state{state="stopped"} 0
            # HELP swarm_exceptions_total Errors and panics of hooks and tasks.
            # TYPE swarm_exceptions_total counter
            swarm_exceptions_total 1
            # HELP swarm_requests_interrupted_total Requests cut off in flight by a stop (in no other series).
            # TYPE swarm_requests_interrupted_total counter
            swarm_requests_interrupted_total 0
            # HELP swarm_stats_start_time_seconds Unix time the stats started (the test's start or the last reset).
            # TYPE swarm_stats_start_time_seconds gauge
        "##]]
        .assert_eq(&text);
    }

    #[test]
    fn an_arrival_run_adds_the_open_models_families() {
        let (_, families) = super::super::series::open_fixture();
        let text = render(&families);
        // Only the open model's lines (the rest is as in a closed run, above), and of the
        // corrected histogram only its +Inf, sum and count.
        let open = [
            "swarm_corrected_",
            "swarm_iterations_",
            "swarm_dropped_",
            "swarm_late_",
            "swarm_arrival_",
            "swarm_pool_",
        ];
        let text: String = text
            .lines()
            .filter(|l| {
                open.iter().any(|p| {
                    l.trim_start_matches("# HELP ")
                        .trim_start_matches("# TYPE ")
                        .starts_with(p)
                })
            })
            .filter(|l| !l.contains("_bucket") || l.contains("+Inf"))
            .map(|l| format!("{l}\n"))
            .collect();
        expect![[r##"
            # HELP swarm_corrected_response_time_seconds Response times from the intended start of their iteration (coordinated omission corrected), in fixed buckets.
            # TYPE swarm_corrected_response_time_seconds histogram
            swarm_corrected_response_time_seconds_bucket{method="GET",name="/a",le="+Inf"} 7
            swarm_corrected_response_time_seconds_sum{method="GET",name="/a"} 2.039096
            swarm_corrected_response_time_seconds_count{method="GET",name="/a"} 7
            swarm_corrected_response_time_seconds_bucket{method="PUT",name="/b, \"quoted\"",le="+Inf"} 4
            swarm_corrected_response_time_seconds_sum{method="PUT",name="/b, \"quoted\""} 2.750528
            swarm_corrected_response_time_seconds_count{method="PUT",name="/b, \"quoted\""} 4
            # HELP swarm_corrected_response_time_percentile_seconds Exact corrected response-time percentiles since the start (HdrHistogram), by quantile.
            # TYPE swarm_corrected_response_time_percentile_seconds gauge
            swarm_corrected_response_time_percentile_seconds{method="GET",name="/a",quantile="0.5"} 0.012007
            swarm_corrected_response_time_percentile_seconds{method="GET",name="/a",quantile="0.75"} 0.012007
            swarm_corrected_response_time_percentile_seconds{method="GET",name="/a",quantile="0.9"} 2
            swarm_corrected_response_time_percentile_seconds{method="GET",name="/a",quantile="0.95"} 2
            swarm_corrected_response_time_percentile_seconds{method="GET",name="/a",quantile="0.99"} 2
            swarm_corrected_response_time_percentile_seconds{method="GET",name="/a",quantile="0.999"} 2
            swarm_corrected_response_time_percentile_seconds{method="GET",name="/a",quantile="1"} 2
            swarm_corrected_response_time_percentile_seconds{method="PUT",name="/b, \"quoted\"",quantile="0.5"} 0.250111
            swarm_corrected_response_time_percentile_seconds{method="PUT",name="/b, \"quoted\"",quantile="0.75"} 0.250111
            swarm_corrected_response_time_percentile_seconds{method="PUT",name="/b, \"quoted\"",quantile="0.9"} 2
            swarm_corrected_response_time_percentile_seconds{method="PUT",name="/b, \"quoted\"",quantile="0.95"} 2
            swarm_corrected_response_time_percentile_seconds{method="PUT",name="/b, \"quoted\"",quantile="0.99"} 2
            swarm_corrected_response_time_percentile_seconds{method="PUT",name="/b, \"quoted\"",quantile="0.999"} 2
            swarm_corrected_response_time_percentile_seconds{method="PUT",name="/b, \"quoted\"",quantile="1"} 2
            swarm_corrected_response_time_percentile_seconds{name="Aggregated",quantile="0.5"} 0.012007
            swarm_corrected_response_time_percentile_seconds{name="Aggregated",quantile="0.75"} 0.250111
            swarm_corrected_response_time_percentile_seconds{name="Aggregated",quantile="0.9"} 0.250111
            swarm_corrected_response_time_percentile_seconds{name="Aggregated",quantile="0.95"} 2
            swarm_corrected_response_time_percentile_seconds{name="Aggregated",quantile="0.99"} 2
            swarm_corrected_response_time_percentile_seconds{name="Aggregated",quantile="0.999"} 2
            swarm_corrected_response_time_percentile_seconds{name="Aggregated",quantile="1"} 2
            # HELP swarm_iterations_started_total Arrivals handed to a pool user since the start (arrival-rate runs).
            # TYPE swarm_iterations_started_total counter
            swarm_iterations_started_total 140
            # HELP swarm_dropped_iterations_total Arrivals that found no free user even at --max-users: never run (arrival-rate runs).
            # TYPE swarm_dropped_iterations_total counter
            swarm_dropped_iterations_total 7
            # HELP swarm_late_iterations_total Scheduled iterations that started more than one period after their intended start.
            # TYPE swarm_late_iterations_total counter
            swarm_late_iterations_total 3
            # HELP swarm_arrival_rate_target Arrivals per second asked for now (arrival-rate runs).
            # TYPE swarm_arrival_rate_target gauge
            swarm_arrival_rate_target 50
            # HELP swarm_arrival_rate_achieved Iterations started per second over the recent window (arrival-rate runs).
            # TYPE swarm_arrival_rate_achieved gauge
            swarm_arrival_rate_achieved 48.5
            # HELP swarm_pool_users Users in the arrival-rate pool now (starting, busy or free).
            # TYPE swarm_pool_users gauge
            swarm_pool_users 4
            # HELP swarm_pool_busy_users Pool users running an iteration now (arrival-rate runs).
            # TYPE swarm_pool_busy_users gauge
            swarm_pool_busy_users 2
        "##]].assert_eq(&text);
    }
}
