//! Pass/fail checks for CI: `--threshold 'p95 < 500ms'`, `'GET /x: p99 < 1s'`,
//! `'fail_ratio < 1%'`, `'rps > 100'`, judged against the final stats.

use serde::Serialize;
use std::fmt::Write as _;
use swarm_core::console::format_ms;
use swarm_core::metrics::{EntryStats, StatsSnapshot};

/// What a threshold measures.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Metric {
    Avg,
    Min,
    Max,
    /// A quantile in `0.0..=1.0`.
    Percentile(f64),
    Rps,
    FailRatio,
    Requests,
    Failures,
    /// A quantile of the corrected times (from the intended start).
    CorrectedPercentile(f64),
    CorrectedMax,
    /// Arrivals that found no free user (the whole run's, whatever the row).
    DroppedIterations,
    /// Scheduled iterations that started more than one period late.
    LateIterations,
}

impl Metric {
    fn is_time(self) -> bool {
        matches!(
            self,
            Self::Avg
                | Self::Min
                | Self::Max
                | Self::Percentile(_)
                | Self::CorrectedPercentile(_)
                | Self::CorrectedMax
        )
    }

    fn is_corrected(self) -> bool {
        matches!(self, Self::CorrectedPercentile(_) | Self::CorrectedMax)
    }
}

/// How the measured value must compare to the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn holds(self, actual: f64, limit: f64) -> bool {
        match self {
            Self::Lt => actual < limit,
            Self::Le => actual <= limit,
            Self::Gt => actual > limit,
            Self::Ge => actual >= limit,
        }
    }
}

/// Which stats row a threshold reads: `KIND NAME`, or a name alone.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RowSel {
    kind: Option<String>,
    name: String,
}

/// One parsed `--threshold`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Threshold {
    text: String,
    row: Option<RowSel>,
    metric_name: String,
    metric: Metric,
    op: Op,
    /// The limit in the metric's base unit: µs for times, a fraction for `fail_ratio`.
    limit: f64,
}

/// A threshold judged against a run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Verdict {
    /// The threshold as written.
    pub(crate) threshold: String,
    /// Whether it held.
    pub(crate) passed: bool,
    /// The measured value, formatted with its unit (or why there is none).
    pub(crate) actual: String,
}

const HELP: &str = "write e.g. 'p95 < 500ms', 'GET /x: p99 < 1s', 'fail_ratio < 1%' or 'rps > 100'";

fn parse_metric(name: &str) -> Result<Metric, String> {
    let corrected = name
        .strip_prefix("corrected")
        .map(|rest| rest.trim_start_matches([' ', '_']));
    if let Some(rest) = corrected {
        return match parse_metric(rest) {
            Ok(Metric::Percentile(q)) => Ok(Metric::CorrectedPercentile(q)),
            Ok(Metric::Max) => Ok(Metric::CorrectedMax),
            _ => Err(format!(
                "`{name}` is not a corrected time: use corrected p50 ... corrected p99.9, corrected median or corrected max"
            )),
        };
    }
    let metric = match name {
        "dropped_iterations" => Metric::DroppedIterations,
        "late_iterations" => Metric::LateIterations,
        "avg" | "mean" => Metric::Avg,
        "min" => Metric::Min,
        "max" => Metric::Max,
        "median" => Metric::Percentile(0.5),
        "rps" => Metric::Rps,
        "fail_ratio" => Metric::FailRatio,
        "requests" => Metric::Requests,
        "failures" => Metric::Failures,
        p if p.starts_with('p') => match p[1..].parse::<f64>() {
            Ok(q) if q > 0.0 && q <= 100.0 => Metric::Percentile(q / 100.0),
            _ => return Err(format!("`{name}` is not a percentile: use p50 ... p99.9")),
        },
        _ => {
            return Err(format!(
                "unknown metric `{name}`: use avg, min, max, p50..p99.9, corrected p50..p99.9, corrected max, rps, fail_ratio, requests, failures, dropped_iterations or late_iterations"
            ));
        }
    };
    Ok(metric)
}

fn parse_number(text: &str, whole: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("`{whole}` is not a number"))
}

fn parse_limit(metric: Metric, text: &str) -> Result<f64, String> {
    let t = text.trim();
    if metric.is_time() {
        let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
            (n, 1_000.0)
        } else if let Some(n) = t.strip_suffix("us").or_else(|| t.strip_suffix("µs")) {
            (n, 1.0)
        } else if let Some(n) = t.strip_suffix('s') {
            (n, 1_000_000.0)
        } else {
            return Err(format!(
                "`{t}` needs a time unit: write e.g. {t}ms, {t}s or {t}us"
            ));
        };
        return Ok(parse_number(num, t)? * scale);
    }
    match metric {
        Metric::FailRatio => {
            if let Some(pct) = t.strip_suffix('%') {
                return Ok(parse_number(pct, t)? / 100.0);
            }
            let v = parse_number(t, t)?;
            if v > 1.0 {
                return Err(format!(
                    "fail_ratio `{t}` is above 1: write a percentage such as {t}% or a fraction such as 0.01"
                ));
            }
            Ok(v)
        }
        Metric::Rps => parse_number(t.strip_suffix("/s").unwrap_or(t), t),
        _ => parse_number(t, t),
    }
}

/// Parses `[KIND NAME:] METRIC OP VALUE` (clap value parser; the error is one line).
pub(crate) fn parse_threshold(text: &str) -> Result<Threshold, String> {
    let bad = |why: String| format!("bad threshold `{text}`: {why}; {HELP}");
    let ops = [("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)];
    let (at, len, op) = ops
        .iter()
        .filter_map(|(sym, op)| text.find(sym).map(|i| (i, sym.len(), *op)))
        .min_by_key(|(i, len, _)| (*i, std::cmp::Reverse(*len)))
        .ok_or_else(|| bad("no comparison (<, <=, >, >=)".into()))?;
    let (left, right) = (&text[..at], &text[at + len..]);
    let (row, metric_name) = match left.rfind(':') {
        Some(colon) => {
            let sel = left[..colon].trim();
            if sel.is_empty() {
                return Err(bad("the row before `:` is empty".into()));
            }
            let row = match sel.split_once(char::is_whitespace) {
                Some((kind, name)) => RowSel {
                    kind: Some(kind.to_owned()),
                    name: name.trim().to_owned(),
                },
                None => RowSel {
                    kind: None,
                    name: sel.to_owned(),
                },
            };
            (Some(row), left[colon + 1..].trim())
        }
        None => (None, left.trim()),
    };
    let metric = parse_metric(&metric_name.to_ascii_lowercase()).map_err(bad)?;
    let limit = parse_limit(metric, right).map_err(bad)?;
    Ok(Threshold {
        text: text.trim().to_owned(),
        row,
        metric_name: metric_name.to_owned(),
        metric,
        op,
        limit,
    })
}

fn find_row<'a>(sel: &RowSel, stats: &'a StatsSnapshot) -> Result<&'a EntryStats, String> {
    if sel.kind.is_none() && sel.name == "Aggregated" {
        return Ok(&stats.total);
    }
    let found: Vec<&EntryStats> = stats
        .entries
        .iter()
        .filter(|e| {
            e.name == sel.name
                && sel
                    .kind
                    .as_ref()
                    .is_none_or(|k| k.eq_ignore_ascii_case(&e.kind))
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err("no such row in this run".into()),
        _ => Err("several rows have that name: add the kind, e.g. `GET NAME:`".into()),
    }
}

fn measure(metric: Metric, e: &EntryStats, stats: &StatsSnapshot) -> (f64, String) {
    let time = |us: f64| (us, format!("{}ms", format_ms(us)));
    match metric {
        Metric::Avg => time(e.avg_us()),
        Metric::Min => time(e.min_us() as f64),
        Metric::Max => time(e.max_us() as f64),
        Metric::Percentile(q) => time(e.percentile_us(q) as f64),
        Metric::Rps => {
            let d = stats.duration_secs();
            let rps = if d > 0.0 {
                e.num_requests as f64 / d
            } else {
                0.0
            };
            (rps, format!("{rps:.2}"))
        }
        Metric::FailRatio => (e.fail_ratio(), format!("{:.2}%", e.fail_ratio() * 100.0)),
        Metric::Requests => (e.num_requests as f64, e.num_requests.to_string()),
        Metric::Failures => (e.num_failures as f64, e.num_failures.to_string()),
        Metric::CorrectedPercentile(q) => time(e.corrected_percentile_us(q) as f64),
        Metric::CorrectedMax => time(e.max_corrected_us as f64),
        Metric::DroppedIterations => {
            let n = stats.open.dropped_iterations;
            (n as f64, n.to_string())
        }
        Metric::LateIterations => {
            let n = stats.open.late_iterations;
            (n as f64, n.to_string())
        }
    }
}

/// Judges every threshold against the final stats; a missing row fails its threshold.
pub(crate) fn evaluate(thresholds: &[Threshold], stats: &StatsSnapshot) -> Vec<Verdict> {
    thresholds
        .iter()
        .map(|t| {
            let row = match &t.row {
                None => Ok(&stats.total),
                Some(sel) => find_row(sel, stats),
            };
            match row {
                Ok(e) => {
                    let (value, shown) = measure(t.metric, e, stats);
                    // A time threshold on a row without requests has nothing to vouch for.
                    let measured = if t.metric.is_corrected() {
                        e.has_corrected()
                    } else {
                        e.num_requests > 0 || !t.metric.is_time()
                    };
                    let passed = measured && t.op.holds(value, t.limit);
                    Verdict {
                        threshold: t.text.clone(),
                        passed,
                        actual: format!("{} = {shown}", t.metric_name),
                    }
                }
                Err(why) => Verdict {
                    threshold: t.text.clone(),
                    passed: false,
                    actual: why,
                },
            }
        })
        .collect()
}

/// The pass/fail list printed at the end; empty without thresholds.
pub(crate) fn render(outcomes: &[Verdict]) -> String {
    if outcomes.is_empty() {
        return String::new();
    }
    let mut out = String::from("Thresholds\n");
    for o in outcomes {
        let verdict = if o.passed { "PASS" } else { "FAIL" };
        let _ = writeln!(out, "  {verdict}  {}  ({})", o.threshold, o.actual);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;
    use std::time::Duration;
    use swarm_core::metrics::{Event, Metrics, Outcome as Ev};

    #[test]
    fn parses_every_documented_form() {
        let cases = [
            (
                "p95 < 500ms",
                None,
                Metric::Percentile(0.95),
                Op::Lt,
                500_000.0,
            ),
            (
                "GET /x: p99 < 1s",
                Some(("GET", "/x")),
                Metric::Percentile(0.99),
                Op::Lt,
                1_000_000.0,
            ),
            ("fail_ratio < 1%", None, Metric::FailRatio, Op::Lt, 0.01),
            ("fail_ratio<=0.05", None, Metric::FailRatio, Op::Le, 0.05),
            ("rps > 100", None, Metric::Rps, Op::Gt, 100.0),
            ("avg >= 250us", None, Metric::Avg, Op::Ge, 250.0),
            ("p99.9 < 2s", None, Metric::Percentile(0.999), Op::Lt, 2e6),
            (
                "POST /a:b: max < 3ms",
                Some(("POST", "/a:b")),
                Metric::Max,
                Op::Lt,
                3000.0,
            ),
        ];
        for (text, row, metric, op, limit) in cases {
            let t = parse_threshold(text).expect(text);
            assert_eq!(
                t.row
                    .as_ref()
                    .map(|r| (r.kind.as_deref().unwrap_or(""), r.name.as_str())),
                row,
                "{text}"
            );
            assert_eq!(t.op, op, "{text}");
            match (t.metric, metric) {
                (Metric::Percentile(a), Metric::Percentile(b)) => {
                    assert!((a - b).abs() < 1e-9, "{text}");
                }
                (got, want) => assert_eq!(got, want, "{text}"),
            }
            assert!((t.limit - limit).abs() < 1e-9, "{text}: {}", t.limit);
        }
    }

    #[test]
    fn malformed_thresholds_say_how_to_fix_them() {
        let errors: Vec<String> = [
            "p95 500ms",
            "p95 < 500",
            "p95 < fast",
            "p101 < 1s",
            "latency < 1s",
            "fail_ratio < 5",
            ": p95 < 1s",
        ]
        .iter()
        .map(|t| parse_threshold(t).expect_err(t))
        .collect();
        expect![[r#"
            bad threshold `p95 500ms`: no comparison (<, <=, >, >=); write e.g. 'p95 < 500ms', 'GET /x: p99 < 1s', 'fail_ratio < 1%' or 'rps > 100'
            bad threshold `p95 < 500`: `500` needs a time unit: write e.g. 500ms, 500s or 500us; write e.g. 'p95 < 500ms', 'GET /x: p99 < 1s', 'fail_ratio < 1%' or 'rps > 100'
            bad threshold `p95 < fast`: `fast` needs a time unit: write e.g. fastms, fasts or fastus; write e.g. 'p95 < 500ms', 'GET /x: p99 < 1s', 'fail_ratio < 1%' or 'rps > 100'
            bad threshold `p101 < 1s`: `p101` is not a percentile: use p50 ... p99.9; write e.g. 'p95 < 500ms', 'GET /x: p99 < 1s', 'fail_ratio < 1%' or 'rps > 100'
            bad threshold `latency < 1s`: unknown metric `latency`: use avg, min, max, p50..p99.9, corrected p50..p99.9, corrected max, rps, fail_ratio, requests, failures, dropped_iterations or late_iterations; write e.g. 'p95 < 500ms', 'GET /x: p99 < 1s', 'fail_ratio < 1%' or 'rps > 100'
            bad threshold `fail_ratio < 5`: fail_ratio `5` is above 1: write a percentage such as 5% or a fraction such as 0.01; write e.g. 'p95 < 500ms', 'GET /x: p99 < 1s', 'fail_ratio < 1%' or 'rps > 100'
            bad threshold `: p95 < 1s`: the row before `:` is empty; write e.g. 'p95 < 500ms', 'GET /x: p99 < 1s', 'fail_ratio < 1%' or 'rps > 100'"#]]
        .assert_eq(&errors.join("\n"));
    }

    fn stats() -> StatsSnapshot {
        let metrics = Metrics::default();
        let rec = metrics.recorder();
        for (name, ms, ok) in [("/a", 10, true), ("/a", 30, true), ("/b", 200, false)] {
            rec.record(&Event {
                kind: "GET",
                name,
                response_time: Duration::from_millis(ms),
                time_to_first_byte: None,
                bytes: 10,
                outcome: if ok { Ev::Success } else { Ev::Failure("500") },
            });
        }
        metrics.snapshot()
    }

    #[test]
    fn judges_against_the_right_row() {
        let thresholds: Vec<Threshold> = [
            "max < 1s",
            "max < 100ms",
            "GET /a: max < 100ms",
            "/a: p50 <= 10ms",
            "fail_ratio < 50%",
            "GET /nope: p95 < 1s",
            "failures >= 1",
        ]
        .iter()
        .map(|t| parse_threshold(t).expect(t))
        .collect();
        let outcomes = evaluate(&thresholds, &stats());
        expect![[r#"
            Thresholds
              PASS  max < 1s  (max = 200ms)
              FAIL  max < 100ms  (max = 200ms)
              PASS  GET /a: max < 100ms  (max = 30.0ms)
              FAIL  /a: p50 <= 10ms  (p50 = 10.0ms)
              PASS  fail_ratio < 50%  (fail_ratio = 33.33%)
              FAIL  GET /nope: p95 < 1s  (no such row in this run)
              PASS  failures >= 1  (failures = 1)
        "#]]
        .assert_eq(&render(&outcomes));
    }
}
