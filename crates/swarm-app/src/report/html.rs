//! The HTML report: one self-contained file (inline CSS and SVG, no script, no network) with
//! the summary, the stats, failures and exceptions tables, thresholds, and charts over time.

use super::charts;
use super::{ReportInput, RunMeta};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use swarm_core::console::format_ms;
use swarm_core::metrics::{EntryStats, StatsSnapshot};
use time::OffsetDateTime;
use time::macros::format_description;

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{padding:.35em .6em;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th{background:#f5f5f5}td.l,th.l{text-align:left;white-space:normal;word-break:break-all}
tr.total td{font-weight:bold;border-top:2px solid #ccc}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:.2em 1.5em}
dl.summary dt{color:#666}dl.summary dd{margin:0}
.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:.6em 1em;margin:.5em 0}
.pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}
.chart svg{max-width:100%;height:auto}
";

/// HTML-escapes as Python's `html.escape` does (`quote` adds `"` and `'`): the one escaper
/// of the report and the web API (Locust sends names and errors escaped this way, and
/// scripts written for it expect that).
pub(crate) fn escape_html(text: &str, quote: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quote => out.push_str("&quot;"),
            '\'' if quote => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` safe inside HTML text and attribute values.
fn escape(text: &str) -> String {
    escape_html(text, true)
}

fn when(unix: f64) -> String {
    OffsetDateTime::from_unix_timestamp(unix as i64)
        .ok()
        .and_then(|t| {
            t.format(format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| format!("{unix:.0}"))
}

fn summary(out: &mut String, meta: &RunMeta, s: &StatsSnapshot) {
    let items = [
        ("Scenario", meta.scenario.clone()),
        ("Host", meta.host.clone().unwrap_or_else(|| "-".into())),
        ("Run id", meta.run_id.clone()),
        (
            "Period",
            format!("{} – {}", when(s.start_time), when(s.taken_at)),
        ),
        ("Duration", format!("{:.1} s", s.duration_secs())),
        ("Users", meta.user_count.to_string()),
        ("Requests", s.total.num_requests.to_string()),
        (
            "Failures",
            format!(
                "{} ({:.2}%)",
                s.total.num_failures,
                s.total.fail_ratio() * 100.0
            ),
        ),
        ("Requests/s", format!("{:.2}", s.total_rps())),
        (
            "Median / p95 / p99",
            format!(
                "{} / {} / {} ms",
                format_ms(s.total.median_us() as f64),
                format_ms(s.total.percentile_us(0.95) as f64),
                format_ms(s.total.percentile_us(0.99) as f64)
            ),
        ),
    ];
    out.push_str("<dl class=\"summary\">\n");
    for (k, v) in items {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(&v));
    }
    out.push_str("</dl>\n");
    for w in &meta.warnings {
        let _ = writeln!(out, "<p class=\"warn\">Warning: {}</p>", escape(w));
    }
}

fn thresholds(out: &mut String, meta: &RunMeta) {
    if meta.thresholds.is_empty() {
        return;
    }
    out.push_str("<h2>Thresholds</h2>\n<table id=\"thresholds\">\n<tr><th class=\"l\">Result</th><th class=\"l\">Threshold</th><th class=\"l\">Measured</th></tr>\n");
    for t in &meta.thresholds {
        let (class, word) = if t.passed {
            ("pass", "PASS")
        } else {
            ("fail", "FAIL")
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"l {class}\">{word}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
            escape(&t.threshold),
            escape(&t.actual)
        );
    }
    out.push_str("</table>\n");
}

fn stats_row(out: &mut String, e: &EntryStats, secs: f64, class: &str) {
    let rate = |n: u64| {
        if secs > 0.0 { n as f64 / secs } else { 0.0 }
    };
    let _ = writeln!(
        out,
        "<tr class=\"{class}\"><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0}</td><td>{:.2}</td><td>{:.2}</td></tr>",
        escape(&e.kind),
        escape(&e.name),
        e.num_requests,
        e.num_failures,
        format_ms(e.median_us() as f64),
        format_ms(e.percentile_us(0.95) as f64),
        format_ms(e.percentile_us(0.99) as f64),
        format_ms(e.avg_us()),
        format_ms(e.min_us() as f64),
        format_ms(e.max_us() as f64),
        e.avg_bytes(),
        rate(e.num_requests),
        rate(e.num_failures),
    );
}

fn stats_table(out: &mut String, s: &StatsSnapshot) {
    out.push_str("<h2>Request statistics</h2>\n<p>Times in milliseconds; percentiles are exact to 3 significant digits (HdrHistogram).</p>\n<table id=\"stats\">\n");
    out.push_str("<tr><th class=\"l\">Type</th><th class=\"l\">Name</th><th># reqs</th><th># fails</th><th>Median</th><th>95%</th><th>99%</th><th>Average</th><th>Min</th><th>Max</th><th>Avg size (bytes)</th><th>RPS</th><th>Failures/s</th></tr>\n");
    let secs = s.duration_secs();
    for e in &s.entries {
        stats_row(out, e, secs, "");
    }
    stats_row(out, &s.total, secs, "total");
    out.push_str("</table>\n");
}

/// The open model's section: the arrival numbers and the corrected times (from each
/// iteration's intended start); absent from a closed run without paced waits.
fn open_model_section(out: &mut String, s: &StatsSnapshot) {
    let o = &s.open;
    if !o.arrival && !s.total.has_corrected() && o.late_iterations == 0 {
        return;
    }
    out.push_str("<h2>Open model</h2>\n");
    if o.arrival {
        let _ = writeln!(
            out,
            "<p id=\"arrivals\">Arrival rate: target {:.2}/s at the end, achieved {:.2}/s over the last 10 s; {} iterations started, <b>{} dropped</b> (no free user); pool {} users at the end (max {}).</p>",
            o.target_rate,
            o.achieved_rate,
            o.iterations_started,
            o.dropped_iterations,
            o.pool_size,
            o.max_users
        );
    }
    let _ = writeln!(
        out,
        "<p>{} scheduled iterations started more than one period after their intended start (late).</p>",
        o.late_iterations
    );
    if !s.total.has_corrected() {
        return;
    }
    out.push_str("<p>Corrected response times count from each request's intended start (its iteration's arrival, or its paced slot), so they include the time it waited to be sent; milliseconds.</p>\n<table id=\"corrected\">\n<tr><th class=\"l\">Type</th><th class=\"l\">Name</th><th># corrected</th><th>Median</th><th>95%</th><th>99%</th><th>Max</th></tr>\n");
    let rows = s.entries.iter().filter(|e| e.has_corrected());
    for (e, class) in rows.map(|e| (e, "")).chain([(&s.total, "total")]) {
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&e.kind),
            escape(&e.name),
            e.corrected.len(),
            format_ms(e.corrected_percentile_us(0.5) as f64),
            format_ms(e.corrected_percentile_us(0.95) as f64),
            format_ms(e.corrected_percentile_us(0.99) as f64),
            format_ms(e.max_corrected_us as f64),
        );
    }
    out.push_str("</table>\n");
}

fn failures_table(out: &mut String, s: &StatsSnapshot) {
    out.push_str("<h2>Failures</h2>\n");
    if s.failures.is_empty() {
        out.push_str("<p>No failures.</p>\n");
        return;
    }
    // First/Last Seen as Locust 2.47's report shows them, in the UTC times of this report.
    out.push_str("<table id=\"failures\">\n<tr><th># occurrences</th><th class=\"l\">Type</th><th class=\"l\">Name</th><th class=\"l\">Error</th><th class=\"l\">First Seen</th><th class=\"l\">Last Seen</th></tr>\n");
    for f in &s.failures {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
            f.occurrences,
            escape(&f.kind),
            escape(&f.name),
            escape(&f.error),
            f.first_seen.map(when).unwrap_or_default(),
            f.last_seen.map(when).unwrap_or_default()
        );
    }
    out.push_str("</table>\n");
}

fn exceptions_table(out: &mut String, s: &StatsSnapshot) {
    if s.exceptions.is_empty() {
        return;
    }
    out.push_str("<h2>Exceptions</h2>\n<table id=\"exceptions\">\n<tr><th>Count</th><th class=\"l\">Where</th><th class=\"l\">Message</th></tr>\n");
    for e in &s.exceptions {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
            e.count,
            escape(&e.context),
            escape(&e.message)
        );
    }
    out.push_str("</table>\n");
}

fn charts_section(out: &mut String, s: &StatsSnapshot) -> Result<()> {
    out.push_str("<h2>Charts</h2>\n");
    if s.aggregate_history().next().is_none() {
        out.push_str("<p>The run was too short for any history sample.</p>\n");
        return Ok(());
    }
    for chart in charts::from_history(s) {
        let svg = charts::render_svg(&chart)?;
        let _ = writeln!(out, "<div class=\"chart\">{svg}</div>");
    }
    Ok(())
}

/// The whole report as one HTML document.
pub(crate) fn render(input: &ReportInput<'_>) -> Result<String> {
    let (meta, s) = (input.meta, input.stats);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>swarm report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>swarm report: {}</h1>\n",
        escape(&meta.scenario),
        escape(&meta.scenario)
    );
    summary(&mut out, meta, s);
    thresholds(&mut out, meta);
    stats_table(&mut out, s);
    open_model_section(&mut out, s);
    failures_table(&mut out, s);
    exceptions_table(&mut out, s);
    charts_section(&mut out, s)?;
    let _ = write!(
        out,
        "<p><small>Generated by swarm {}.</small></p>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    Ok(out)
}

/// Writes the report to `path`.
pub(crate) fn write(input: &ReportInput<'_>, path: &std::path::Path) -> Result<()> {
    let html = render(input)?;
    std::fs::write(path, html)
        .with_context(|| format!("cannot write the HTML report to {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use crate::threshold::Verdict;

    #[test]
    fn escapes_like_python() {
        let cases = [
            ("a<b>&\"'", false, "a&lt;b&gt;&amp;\"'"),
            ("a<b>&\"'", true, "a&lt;b&gt;&amp;&quot;&#x27;"),
            ("/plain", true, "/plain"),
            (
                "<a href=\"x\">'&'</a>",
                true,
                "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;",
            ),
        ];
        for (text, quote, want) in cases {
            assert_eq!(escape_html(text, quote), want, "{text}");
        }
    }

    #[test]
    fn report_has_every_section_and_no_external_reference() {
        let mut meta = fixture::meta();
        meta.thresholds = vec![Verdict {
            threshold: "p95 < 1ms".into(),
            passed: false,
            actual: "p95 = 250ms".into(),
        }];
        let stats = fixture::stats();
        let html = render(&ReportInput {
            meta: &meta,
            stats: &stats,
        })
        .expect("rendered");
        for needle in [
            "<table id=\"stats\">",
            "<table id=\"failures\">",
            "<table id=\"exceptions\">",
            "<table id=\"thresholds\">",
            "Requests per second",
            "Response time percentiles",
            "Users",
            "swarm was CPU-bound",
            "boom, &lt;b&gt;bold&lt;/b&gt;",
            "<th class=\"l\">First Seen</th><th class=\"l\">Last Seen</th>",
        ] {
            assert!(html.contains(needle), "missing {needle}");
        }
        assert_eq!(html.matches("<svg").count(), 3);
        // Nothing may be fetched: no scripts, links or remote sources at all.
        for banned in ["<script", "<link", "src=", "@import", "url("] {
            assert!(!html.contains(banned), "found {banned}");
        }
        assert!(!html.contains("<b>bold"), "unescaped markup");
        let seen = stats.failures[0].first_seen.map(when).unwrap_or_default();
        assert!(
            html.contains(&format!("<td class=\"l\">{seen}</td>")),
            "{seen}"
        );
    }
}
