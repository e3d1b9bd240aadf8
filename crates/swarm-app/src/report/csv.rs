//! Locust-compatible CSV files (`PREFIX_stats.csv`, `PREFIX_stats_history.csv`,
//! `PREFIX_failures.csv`, `PREFIX_exceptions.csv`) with Locust 2.47's headers byte for byte and
//! Python's `csv` dialect (minimal quoting, `\r\n` line ends), so Locust tooling reads them.
//! Times are milliseconds, exact (decimals kept) instead of Locust's rounded values.

use super::{ReportInput, percentile_label};
use anyhow::{Context, Result};
use std::path::Path;
use swarm_core::metrics::{EntryStats, HistoryRow, REPORT_PERCENTILES, StatsSnapshot};

/// Locust's `requests_csv_columns` before the percentile columns.
const STATS_HEAD: &[&str] = &[
    "Type",
    "Name",
    "Request Count",
    "Failure Count",
    "Median Response Time",
    "Average Response Time",
    "Min Response Time",
    "Max Response Time",
    "Average Content Size",
    "Requests/s",
    "Failures/s",
];

/// Locust's `stats_history_csv_columns` before the percentile columns.
const HISTORY_HEAD: &[&str] = &[
    "Timestamp",
    "User Count",
    "Type",
    "Name",
    "Requests/s",
    "Failures/s",
];

/// Locust's `stats_history_csv_columns` after the percentile columns.
const HISTORY_TAIL: &[&str] = &[
    "Total Request Count",
    "Total Failure Count",
    "Total Median Response Time",
    "Total Average Response Time",
    "Total Min Response Time",
    "Total Max Response Time",
    "Total Average Content Size",
];

/// Locust's `failures_columns` (2.47: the seen times are UTC timestamps).
const FAILURES_HEAD: &[&str] = &[
    "Method",
    "Name",
    "Error",
    "Occurrences",
    "First Seen",
    "Last Seen",
];

/// Locust's `exceptions_columns`.
const EXCEPTIONS_HEAD: &[&str] = &["Count", "Message", "Traceback", "Nodes"];

/// One field the way Python's `csv.writer` (QUOTE_MINIMAL) writes it.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn push_row<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    let line: Vec<String> = fields.iter().map(|f| field(f.as_ref())).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

fn header(head: &[&str], tail: &[&str]) -> Vec<String> {
    head.iter()
        .map(|s| (*s).to_owned())
        .chain(REPORT_PERCENTILES.iter().map(|&q| percentile_label(q)))
        .chain(tail.iter().map(|s| (*s).to_owned()))
        .collect()
}

/// Milliseconds from microseconds, exact (`0.25`, `12`, `1234.5`).
fn ms(us: f64) -> String {
    format!("{}", us / 1000.0)
}

fn rate(n: u64, secs: f64) -> String {
    if secs > 0.0 {
        format!("{}", n as f64 / secs)
    } else {
        "0".into()
    }
}

fn percentiles(e: &EntryStats) -> Vec<String> {
    REPORT_PERCENTILES
        .iter()
        .map(|&q| {
            if e.num_requests == 0 {
                "N/A".to_owned()
            } else {
                ms(e.percentile_us(q) as f64)
            }
        })
        .collect()
}

/// `PREFIX_stats.csv`: a row per entry, then `Aggregated` (Type empty).
pub(crate) fn stats_csv(s: &StatsSnapshot) -> String {
    let mut out = String::new();
    push_row(&mut out, &header(STATS_HEAD, &[]));
    let secs = s.duration_secs();
    for e in s.entries.iter().chain([&s.total]) {
        let mut row = vec![
            e.kind.clone(),
            e.name.clone(),
            e.num_requests.to_string(),
            e.num_failures.to_string(),
            ms(e.median_us() as f64),
            ms(e.avg_us()),
            ms(e.min_us() as f64),
            ms(e.max_us() as f64),
            format!("{}", e.avg_bytes()),
            rate(e.num_requests, secs),
            rate(e.num_failures, secs),
        ];
        row.extend(percentiles(e));
        push_row(&mut out, &row);
    }
    out
}

/// swarm's own `PREFIX_corrected_stats.csv` (not a Locust file): per row, the times from
/// each request's intended start (arrival-rate runs, paced waits); `None` when no row has
/// any, so a closed run writes exactly Locust's files.
pub(crate) fn corrected_csv(s: &StatsSnapshot) -> Option<String> {
    if !s.total.has_corrected() {
        return None;
    }
    let mut out = String::new();
    push_row(
        &mut out,
        &header(
            &[
                "Type",
                "Name",
                "Corrected Count",
                "Median Corrected Time",
                "Max Corrected Time",
            ],
            &[],
        ),
    );
    for e in s.entries.iter().chain([&s.total]) {
        let mut row = vec![
            e.kind.clone(),
            e.name.clone(),
            e.corrected.len().to_string(),
            ms(e.corrected_percentile_us(0.5) as f64),
            ms(e.max_corrected_us as f64),
        ];
        row.extend(REPORT_PERCENTILES.iter().map(|&q| {
            if e.has_corrected() {
                ms(e.corrected_percentile_us(q) as f64)
            } else {
                "N/A".to_owned()
            }
        }));
        push_row(&mut out, &row);
    }
    Some(out)
}

fn history_row(r: &HistoryRow) -> Vec<String> {
    let mut row = vec![
        r.timestamp.to_string(),
        r.user_count.to_string(),
        r.kind.clone(),
        r.name.clone(),
        format!("{:.6}", r.current_rps),
        format!("{:.6}", r.current_fail_per_sec),
    ];
    row.extend(r.window_percentiles_us.iter().map(|&us| {
        if r.total_requests == 0 {
            "N/A".to_owned()
        } else {
            ms(us as f64)
        }
    }));
    row.extend([
        r.total_requests.to_string(),
        r.total_failures.to_string(),
        ms(r.total_median_us as f64),
        ms(r.total_avg_us),
        ms(r.total_min_us as f64),
        ms(r.total_max_us as f64),
        format!("{}", r.total_avg_bytes),
    ]);
    row
}

/// `PREFIX_stats_history.csv`: the aggregate row of every sample, and with `full` every
/// entry's row too. Percentile columns cover the sliding window (current values).
pub(crate) fn history_csv(s: &StatsSnapshot, full: bool) -> String {
    let mut out = String::new();
    push_row(&mut out, &header(HISTORY_HEAD, HISTORY_TAIL));
    for r in s.history.iter().filter(|r| full || r.kind.is_empty()) {
        push_row(&mut out, &history_row(r));
    }
    out
}

/// Locust's `format_utc_timestamp`: whole seconds (cut, as Python's `int`), UTC,
/// `2026-12-01T23:47:37Z`; empty for an unknown time, as Locust writes `None`.
pub(crate) fn utc_timestamp(unix: Option<f64>) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    unix.filter(|t| t.is_finite())
        // `as` saturates; an out-of-range year is refused below, not wrapped.
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.trunc() as i64).ok())
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// `PREFIX_failures.csv`.
pub(crate) fn failures_csv(s: &StatsSnapshot) -> String {
    let mut out = String::new();
    push_row(&mut out, FAILURES_HEAD);
    for f in &s.failures {
        push_row(
            &mut out,
            &[
                f.kind.clone(),
                f.name.clone(),
                f.error.clone(),
                f.occurrences.to_string(),
                utc_timestamp(f.first_seen),
                utc_timestamp(f.last_seen),
            ],
        );
    }
    out
}

/// `PREFIX_exceptions.csv`; the traceback column holds where the error was first seen.
pub(crate) fn exceptions_csv(s: &StatsSnapshot) -> String {
    let mut out = String::new();
    push_row(&mut out, EXCEPTIONS_HEAD);
    for e in &s.exceptions {
        push_row(
            &mut out,
            &[
                e.count.to_string(),
                e.message.clone(),
                e.context.clone(),
                "local".to_owned(),
            ],
        );
    }
    out
}

/// What `write` appends to the prefix, in the order it writes them.
pub(crate) const SUFFIXES: [&str; 4] = [
    "_stats.csv",
    "_stats_history.csv",
    "_failures.csv",
    "_exceptions.csv",
];

/// Writes the four files next to `prefix`; returns their names.
pub(crate) fn write(input: &ReportInput<'_>, prefix: &Path, full: bool) -> Result<Vec<String>> {
    let s = input.stats;
    let texts = [
        stats_csv(s),
        history_csv(s, full),
        failures_csv(s),
        exceptions_csv(s),
    ];
    let files = SUFFIXES.into_iter().zip(texts);
    let mut written = Vec::new();
    for (suffix, text) in files {
        let mut name = prefix.as_os_str().to_owned();
        name.push(suffix);
        let path = Path::new(&name);
        std::fs::write(path, text)
            .with_context(|| format!("cannot write the CSV report {}", path.display()))?;
        written.push(path.display().to_string());
    }
    if let Some(text) = corrected_csv(s) {
        let mut name = prefix.as_os_str().to_owned();
        name.push("_corrected_stats.csv");
        let path = Path::new(&name);
        std::fs::write(path, text)
            .with_context(|| format!("cannot write the CSV report {}", path.display()))?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use expect_test::expect;

    fn first_line(text: &str) -> &str {
        text.split_inclusive("\r\n").next().unwrap_or_default()
    }

    /// The first `n` fields of a CSV line, as written (quotes kept).
    fn first_fields(line: &str, n: usize) -> String {
        let (mut quoted, mut seen) = (false, 0);
        for (i, c) in line.char_indices() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => {
                    seen += 1;
                    if seen == n {
                        return line[..i].to_owned();
                    }
                }
                _ => {}
            }
        }
        line.to_owned()
    }

    #[test]
    fn fields_quote_like_python() {
        let cases = [
            ("plain", "plain"),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(field(input), want, "{input}");
        }
    }

    /// Each header as locust 2.47.0's `locust/stats.py` writes it: `requests_csv_columns`
    /// (line 1002), `stats_history_csv_columns` (line 1129), `failures_columns` (line 1017),
    /// `exceptions_columns` (line 1026), the percentile labels from `PERCENTILES_TO_REPORT`
    /// (line 118) through `get_readable_percentiles` (line 149). The e2e test
    /// `locust_source::csv_files_are_what_locusts_writer_writes` asks Locust itself.
    #[test]
    fn headers_are_locusts_byte_for_byte() {
        let s = fixture::stats();
        let cases = [
            (
                stats_csv(&s),
                "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r\n",
            ),
            (
                history_csv(&s, false),
                "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size\r\n",
            ),
            (
                failures_csv(&s),
                "Method,Name,Error,Occurrences,First Seen,Last Seen\r\n",
            ),
            (exceptions_csv(&s), "Count,Message,Traceback,Nodes\r\n"),
        ];
        for (text, want) in cases {
            assert_eq!(first_line(&text), want);
        }
    }

    #[test]
    fn rows_quote_like_python() {
        let s = fixture::stats();
        let stats = stats_csv(&s);
        let rows: Vec<String> = stats
            .split("\r\n")
            .skip(1)
            .map(|l| first_fields(l, 9))
            .collect();
        expect![[r#"
            GET,/a,6,0,1,6.45,0.8,12,100
            PUT,"/b, ""quoted""",3,3,250,250,250,250,100
            ,Aggregated,9,3,12.007,87.63333333333333,0.8,250,100
        "#]]
        .assert_eq(&rows.join("\n"));
        let failures = failures_csv(&s);
        let rows: Vec<&str> = failures.split("\r\n").collect();
        let stamp = utc_timestamp(s.failures[0].first_seen);
        assert_eq!(stamp.len(), "2026-12-01T23:47:37Z".len(), "{stamp}");
        assert_eq!(
            rows[1],
            format!(
                "PUT,\"/b, \"\"quoted\"\"\",HTTP 500,3,{stamp},{}",
                utc_timestamp(s.failures[0].last_seen)
            )
        );
        expect![[r#"
            Count,Message,Traceback,Nodes
            1,"boom, <b>bold</b>",task U::t,local
        "#]]
        .assert_eq(&exceptions_csv(&s).replace("\r\n", "\n"));
    }

    /// Locust 2.47's `util/date.py:4` `format_utc_timestamp`:
    /// `datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")`, and `""` for
    /// `None` (`stats.py:1081-1082`).
    #[test]
    fn seen_times_format_like_locusts_utc_timestamps() {
        let cases = [
            (Some(0.0), "1970-01-01T00:00:00Z"),
            (Some(1_764_632_857.999), "2025-12-01T23:47:37Z"),
            (Some(951_782_400.5), "2000-02-29T00:00:00Z"),
            (None, ""),
            (Some(f64::NAN), ""),
            (Some(1e300), ""),
        ];
        for (unix, want) in cases {
            assert_eq!(utc_timestamp(unix), want, "{unix:?}");
        }
    }

    #[test]
    fn history_has_aggregate_rows_unless_full() {
        let s = fixture::stats();
        let count = |text: String| text.split("\r\n").filter(|l| !l.is_empty()).count() - 1;
        assert_eq!(count(history_csv(&s, false)), 3);
        assert_eq!(count(history_csv(&s, true)), 9);
    }
}
