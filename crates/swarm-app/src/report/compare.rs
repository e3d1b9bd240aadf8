//! `swarm report compare A.json B.json`: each row's key numbers side by side with deltas,
//! A being the baseline.

use super::load::Loaded;
use std::fmt::Write as _;
use swarm_core::console::format_ms;
use swarm_core::metrics::{EntryStats, StatsSnapshot};

/// How a metric's change is shown.
#[derive(Clone, Copy)]
enum Kind {
    Count,
    Rate,
    Time,
    Ratio,
}

fn rps(e: &EntryStats, s: &StatsSnapshot) -> f64 {
    let d = s.duration_secs();
    if d > 0.0 {
        e.num_requests as f64 / d
    } else {
        0.0
    }
}

fn metrics(e: &EntryStats, s: &StatsSnapshot) -> [(&'static str, Kind, f64); 10] {
    [
        ("requests", Kind::Count, e.num_requests as f64),
        ("failures", Kind::Count, e.num_failures as f64),
        ("fail ratio", Kind::Ratio, e.fail_ratio()),
        ("rps", Kind::Rate, rps(e, s)),
        ("avg", Kind::Time, e.avg_us()),
        ("min", Kind::Time, e.min_us() as f64),
        ("p50", Kind::Time, e.median_us() as f64),
        ("p95", Kind::Time, e.percentile_us(0.95) as f64),
        ("p99", Kind::Time, e.percentile_us(0.99) as f64),
        ("max", Kind::Time, e.max_us() as f64),
    ]
}

fn show(kind: Kind, v: f64) -> String {
    match kind {
        Kind::Count => format!("{v:.0}"),
        Kind::Rate => format!("{v:.2}"),
        Kind::Time => format!("{}ms", format_ms(v)),
        Kind::Ratio => format!("{:.2}%", v * 100.0),
    }
}

fn delta(kind: Kind, a: f64, b: f64) -> String {
    if let Kind::Ratio = kind {
        return format!("{:+.2}pp", (b - a) * 100.0);
    }
    if a == 0.0 {
        return if b == 0.0 { "=".into() } else { "new".into() };
    }
    format!("{:+.1}%", (b - a) / a * 100.0)
}

fn block(
    out: &mut String,
    title: &str,
    a: Option<(&EntryStats, &StatsSnapshot)>,
    b: Option<(&EntryStats, &StatsSnapshot)>,
) {
    let _ = writeln!(out, "{title}");
    let (ma, mb) = (a.map(|(e, s)| metrics(e, s)), b.map(|(e, s)| metrics(e, s)));
    let rows = ma.or(mb).map(|m| m.map(|(name, kind, _)| (name, kind)));
    for (i, (name, kind)) in rows.into_iter().flatten().enumerate() {
        let va = ma.map(|m| m[i].2);
        let vb = mb.map(|m| m[i].2);
        let cell = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| show(kind, v));
        let d = match (va, vb) {
            (Some(x), Some(y)) => delta(kind, x, y),
            (None, Some(_)) => "only in B".into(),
            (Some(_), None) => "only in A".into(),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "  {name:<11} {:>14} {:>14} {:>11}",
            cell(va),
            cell(vb),
            d
        );
    }
}

fn find<'a>(
    l: &'a Loaded,
    (name, kind): (&str, &str),
) -> Option<(&'a EntryStats, &'a StatsSnapshot)> {
    l.stats
        .entries
        .iter()
        .find(|e| e.name == name && e.kind == kind)
        .map(|e| (e, &l.stats))
}

/// The comparison text: every row of either run, then the aggregate.
pub(crate) fn render(a: &Loaded, b: &Loaded, a_name: &str, b_name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "A (baseline):  {a_name}  [{} run {}]",
        a.meta.scenario, a.meta.run_id
    );
    let _ = writeln!(
        out,
        "B (candidate): {b_name}  [{} run {}]",
        b.meta.scenario, b.meta.run_id
    );
    let _ = writeln!(
        out,
        "Times in ms; delta is B against A.\n\n  {:<11} {:>14} {:>14} {:>11}",
        "", "A", "B", "delta"
    );
    let mut keys: Vec<(&str, &str)> = a
        .stats
        .entries
        .iter()
        .chain(&b.stats.entries)
        .map(|e| (e.name.as_str(), e.kind.as_str()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        block(
            &mut out,
            &format!("{} {}", key.1, key.0),
            find(a, key),
            find(b, key),
        );
    }
    block(
        &mut out,
        "Aggregated",
        Some((&a.stats.total, &a.stats)),
        Some((&b.stats.total, &b.stats)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use expect_test::expect;

    fn loaded() -> Loaded {
        let mut stats = fixture::stats();
        // A fixed duration keeps the rates stable.
        stats.taken_at = stats.start_time + 10.0;
        Loaded {
            meta: fixture::meta(),
            stats,
        }
    }

    #[test]
    fn shows_each_row_side_by_side() {
        let a = loaded();
        let mut b = loaded();
        b.stats.entries.retain(|e| e.name == "/a");
        b.stats.taken_at = b.stats.start_time + 5.0;
        expect![[r#"
            A (baseline):  a.json  [get run abc123]
            B (candidate): b.json  [get run abc123]
            Times in ms; delta is B against A.

                                       A              B       delta
            GET /a
              requests                 6              6       +0.0%
              failures                 0              0           =
              fail ratio           0.00%          0.00%     +0.00pp
              rps                   0.60           1.20     +100.0%
              avg                 6.45ms         6.45ms       +0.0%
              min                 0.80ms         0.80ms       +0.0%
              p50                 1.00ms         1.00ms       +0.0%
              p95                 12.0ms         12.0ms       +0.0%
              p99                 12.0ms         12.0ms       +0.0%
              max                 12.0ms         12.0ms       +0.0%
            PUT /b, "quoted"
              requests                 3              -   only in A
              failures                 3              -   only in A
              fail ratio         100.00%              -   only in A
              rps                   0.30              -   only in A
              avg                  250ms              -   only in A
              min                  250ms              -   only in A
              p50                  250ms              -   only in A
              p95                  250ms              -   only in A
              p99                  250ms              -   only in A
              max                  250ms              -   only in A
            Aggregated
              requests                 9              9       +0.0%
              failures                 3              3       +0.0%
              fail ratio          33.33%         33.33%     +0.00pp
              rps                   0.90           1.80     +100.0%
              avg                 87.6ms         87.6ms       +0.0%
              min                 0.80ms         0.80ms       +0.0%
              p50                 12.0ms         12.0ms       +0.0%
              p95                  250ms          250ms       +0.0%
              p99                  250ms          250ms       +0.0%
              max                  250ms          250ms       +0.0%
        "#]]
        .assert_eq(&render(&a, &b, "a.json", "b.json"));
    }
}
