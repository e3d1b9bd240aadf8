//! The Locust-style stats table printed to the terminal while running and at the end.

use crate::metrics::{EntryStats, StatsSnapshot};
use std::fmt::Write;

/// Milliseconds from microseconds, with as many decimals as the magnitude deserves (so
/// sub-millisecond latencies are not rounded away, as Locust's whole milliseconds are).
pub fn format_ms(us: f64) -> String {
    let ms = us / 1000.0;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else if ms < 100.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

fn row(out: &mut String, kind: &str, name: &str, e: &EntryStats) {
    let fails = format!("{}({:.2}%)", e.num_failures, e.fail_ratio() * 100.0);
    let _ = writeln!(
        out,
        "{kind:<9}{name:<52} {:>8} {:>13} | {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} | {:>7} | {:>8.2} {:>10.2}",
        e.num_requests,
        fails,
        format_ms(e.median_us() as f64),
        format_ms(e.percentile_us(0.95) as f64),
        format_ms(e.percentile_us(0.99) as f64),
        format_ms(e.avg_us()),
        format_ms(e.min_us() as f64),
        format_ms(e.max_us() as f64),
        format!("{:.0}", e.avg_bytes()),
        e.current_rps,
        e.current_fail_per_sec,
    );
}

fn shorten(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        name.to_owned()
    } else {
        let tail: String = name
            .chars()
            .rev()
            .take(width - 1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    }
}

/// The stats table: one row per (kind, name), then the aggregate. Times in milliseconds.
pub fn render_stats_table(snapshot: &StatsSnapshot) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<9}{:<52} {:>8} {:>13} | {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} | {:>7} | {:>8} {:>10}",
        "Type",
        "Name",
        "# reqs",
        "# fails",
        "Med",
        "95%",
        "99%",
        "Avg",
        "Min",
        "Max",
        "Size",
        "req/s",
        "failures/s"
    );
    let rule = "-".repeat(out.trim_end().chars().count());
    let _ = writeln!(out, "{rule}");
    for e in &snapshot.entries {
        row(&mut out, &e.kind, &shorten(&e.name, 51), e);
    }
    let _ = writeln!(out, "{rule}");
    row(&mut out, "", "Aggregated", &snapshot.total);
    out
}

/// The failures table (Locust's "Error report"), empty when nothing failed.
pub fn render_failures_table(snapshot: &StatsSnapshot) -> String {
    if snapshot.failures.is_empty() {
        return String::new();
    }
    let mut out = String::from("Error report\n");
    let _ = writeln!(out, "{:>8}  {:<9}{:<52} Error", "# occur", "Type", "Name");
    for f in &snapshot.failures {
        let _ = writeln!(
            out,
            "{:>8}  {:<9}{:<52} {}",
            f.occurrences,
            f.kind,
            shorten(&f.name, 51),
            f.error
        );
    }
    out
}

/// The exceptions table, empty when there were none.
pub fn render_exceptions_table(snapshot: &StatsSnapshot) -> String {
    if snapshot.exceptions.is_empty() {
        return String::new();
    }
    let mut out = String::from("Exceptions\n");
    let _ = writeln!(out, "{:>8}  {:<24} Message", "# count", "Where");
    for e in &snapshot.exceptions {
        let _ = writeln!(out, "{:>8}  {:<24} {}", e.count, e.context, e.message);
    }
    out
}

/// The open model's part of the console: corrected times (from each iteration's intended
/// start) per row that has them, and the arrival-rate line (target and achieved rate, pool,
/// dropped and late iterations). Empty in a closed run without paced waits.
pub fn render_open_model(snapshot: &StatsSnapshot) -> String {
    let mut out = String::new();
    let rows: Vec<&EntryStats> = snapshot
        .entries
        .iter()
        .filter(|e| e.has_corrected())
        .collect();
    if !rows.is_empty() {
        out.push_str("Corrected response times (from the intended start, ms)\n");
        let _ = writeln!(
            out,
            "{:<9}{:<52} {:>8} | {:>7} {:>7} {:>7} {:>7}",
            "Type", "Name", "# reqs", "Med", "95%", "99%", "Max"
        );
        let line = |out: &mut String, kind: &str, name: &str, e: &EntryStats| {
            let _ = writeln!(
                out,
                "{kind:<9}{name:<52} {:>8} | {:>7} {:>7} {:>7} {:>7}",
                e.corrected.len(),
                format_ms(e.corrected_percentile_us(0.5) as f64),
                format_ms(e.corrected_percentile_us(0.95) as f64),
                format_ms(e.corrected_percentile_us(0.99) as f64),
                format_ms(e.max_corrected_us as f64),
            );
        };
        for e in rows {
            line(&mut out, &e.kind, &shorten(&e.name, 51), e);
        }
        line(&mut out, "", "Aggregated", &snapshot.total);
    }
    let o = &snapshot.open;
    if o.arrival {
        let _ = writeln!(
            out,
            "Arrivals: target {:.2}/s, achieved {:.2}/s, {} started, {} dropped | pool {} users ({} busy, max {})",
            o.target_rate,
            o.achieved_rate,
            o.iterations_started,
            o.dropped_iterations,
            o.pool_size,
            o.busy_users,
            o.max_users
        );
    }
    if o.late_iterations > 0 {
        let _ = writeln!(
            out,
            "{} iterations started more than one period after their intended start (late)",
            o.late_iterations
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Event, Metrics, Outcome};
    use std::time::Duration;

    #[test]
    fn stats_table_snapshot() {
        let metrics = Metrics::default();
        let rec = metrics.recorder();
        let ev = |kind, name, ms: u64, outcome| Event {
            kind,
            name,
            response_time: Duration::from_micros(ms),
            time_to_first_byte: None,
            bytes: 7,
            outcome,
        };
        for us in [300, 900, 1_500, 12_000] {
            rec.record(&ev(
                "GET",
                "/remote.php/dav/files/[user]/ownCloud Manual.pdf",
                us,
                Outcome::Success,
            ));
        }
        rec.record(&ev(
            "PUT",
            "/remote.php/dav/files/[user]/[file]",
            250_000,
            Outcome::Failure("HTTP 507 Insufficient Storage"),
        ));
        let mut snap = metrics.snapshot();
        // Rates depend on the clock; the table's layout is what is pinned here.
        snap.total.current_rps = 0.0;
        snap.entries.iter_mut().for_each(|e| e.current_rps = 0.0);
        snap.total.current_fail_per_sec = 0.0;
        snap.entries
            .iter_mut()
            .for_each(|e| e.current_fail_per_sec = 0.0);
        let table = render_stats_table(&snap) + &render_failures_table(&snap);
        expect_test::expect![[r#"
            Type     Name                                                   # reqs       # fails |     Med     95%     99%     Avg     Min     Max |    Size |    req/s failures/s
            ----------------------------------------------------------------------------------------------------------------------------------------------------------------------
            PUT      /remote.php/dav/files/[user]/[file]                         1    1(100.00%) |     250     250     250     250     250     250 |       7 |     0.00       0.00
            GET      /remote.php/dav/files/[user]/ownCloud Manual.pdf            4      0(0.00%) |    0.90    12.0    12.0    3.67    0.30    12.0 |       7 |     0.00       0.00
            ----------------------------------------------------------------------------------------------------------------------------------------------------------------------
                     Aggregated                                                  5     1(20.00%) |    1.50     250     250    52.9    0.30     250 |       7 |     0.00       0.00
            Error report
             # occur  Type     Name                                                 Error
                   1  PUT      /remote.php/dav/files/[user]/[file]                  HTTP 507 Insufficient Storage
        "#]]
        .assert_eq(&table);
    }
}
