//! `swarm report merge`: adds up the JSON reports of a distributed run's segments into one
//! report of the whole run. Counts, sums, extremes and histograms add exactly (HdrHistograms
//! bucket by bucket, so a merged percentile is that of all samples, never an average of
//! percentiles); failures and exceptions add by group; history rows add per sample.
//!
//! What cannot be exact is said: a history row keeps only percentiles, not its window's
//! histogram, so a merged history row's window percentiles and running median are the
//! slowest segment's (an upper bound). Every other history column is exact.

use super::RunMeta;
use super::load::Loaded;
use clap::Args;
use hdrhistogram::Histogram;
use std::collections::BTreeSet;
use std::path::PathBuf;
use swarm_core::Segment;
use swarm_core::metrics::{
    EntryStats, ExceptionStats, FailureStats, HistoryRow, OpenStats, StatsSnapshot, TaskStats,
};

/// `swarm report merge` options.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The segments' JSON reports (`swarm run --segment I/N --json FILE`), all of one run.
    #[arg(value_name = "REPORT")]
    pub(crate) reports: Vec<PathBuf>,
    /// Write the merged JSON report here.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
    /// Write Locust-compatible CSV files of the merged run with this prefix.
    #[arg(long)]
    pub(crate) csv: Option<PathBuf>,
    /// Also write every entry's history to the history CSV.
    #[arg(long)]
    pub(crate) csv_full_history: bool,
    /// Write the merged HTML report here.
    #[arg(long)]
    pub(crate) html: Option<PathBuf>,
}

/// Why reports cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MergeError {
    /// Nothing given.
    #[error(
        "nothing to merge: give the segments' JSON reports, e.g. swarm report merge segment-*.json --json merged.json"
    )]
    NoReports,
    /// Reports of different runs.
    #[error(
        "{a} is of run `{run_a}` but {b} is of run `{run_b}`: merge only the segments of one run (give them the same --run-id)"
    )]
    DifferentRuns {
        /// The first report.
        a: String,
        /// Its run id.
        run_a: String,
        /// The report that differs.
        b: String,
        /// Its run id.
        run_b: String,
    },
    /// Reports of different scenarios.
    #[error("{a} ran scenario `{sa}` but {b} ran `{sb}`: merge only the segments of one run")]
    DifferentScenarios {
        /// The first report.
        a: String,
        /// Its scenario.
        sa: String,
        /// The report that differs.
        b: String,
        /// Its scenario.
        sb: String,
    },
    /// A report of a whole run among several.
    #[error(
        "{0} is not a segment's report (it ran without --segment): only segments of one run add up to it"
    )]
    NotASegment(String),
    /// Segments of different splits.
    #[error("{a} is segment {sa} but {b} is segment {sb}: the run was split differently")]
    DifferentSplits {
        /// The first report.
        a: String,
        /// Its segment.
        sa: Segment,
        /// The report that differs.
        b: String,
        /// Its segment.
        sb: Segment,
    },
    /// The same segment twice: it would count twice.
    #[error("{a} and {b} are both segment {segment}: each segment may be merged once")]
    SameSegment {
        /// The first report.
        a: String,
        /// The second.
        b: String,
        /// The segment both cover.
        segment: Segment,
    },
}

/// Adds one histogram into another. Every histogram-bearing field merges through here.
fn add_histogram(into: &mut Histogram<u64>, from: &Histogram<u64>) {
    // Both auto-resize, so `add` only fails when a count would overflow u64.
    if into.add(from).is_err() {
        tracing::warn!(target: "swarm.report", "a histogram overflowed while merging");
    }
}

/// Adds one stats row into another (the same kind and name, or two aggregates).
fn add_entry(into: &mut EntryStats, from: &EntryStats) {
    for (a, b) in [
        (&mut into.response_times, &from.response_times),
        (&mut into.ttfb, &from.ttfb),
        (&mut into.corrected, &from.corrected),
    ] {
        add_histogram(a, b);
    }
    if from.num_requests > 0 {
        into.min_response_time_us = if into.num_requests == 0 {
            from.min_response_time_us
        } else {
            into.min_response_time_us.min(from.min_response_time_us)
        };
    }
    into.max_response_time_us = into.max_response_time_us.max(from.max_response_time_us);
    into.num_requests += from.num_requests;
    into.num_failures += from.num_failures;
    into.total_response_time_us = into
        .total_response_time_us
        .saturating_add(from.total_response_time_us);
    into.total_bytes += from.total_bytes;
    into.current_rps += from.current_rps;
    into.current_fail_per_sec += from.current_fail_per_sec;
}

/// The items of every report grouped by `key` in first-seen order, each group added up by
/// `add` (a hash lookup per item: thousands of failure groups over hundreds of pods stay fast).
fn group<'a, T: Clone + 'a, K: std::hash::Hash + Eq>(
    items: impl Iterator<Item = &'a T>,
    key: impl Fn(&T) -> K,
    add: impl Fn(&mut T, &T),
) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    let mut index: std::collections::HashMap<K, usize> = std::collections::HashMap::new();
    for item in items {
        match index.entry(key(item)) {
            std::collections::hash_map::Entry::Occupied(at) => add(&mut out[*at.get()], item),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(out.len());
                out.push(item.clone());
            }
        }
    }
    out
}

fn merge_entries(all: &[&StatsSnapshot]) -> Vec<EntryStats> {
    let mut out = group(
        all.iter().flat_map(|s| &s.entries),
        |e| (e.kind.clone(), e.name.clone()),
        add_entry,
    );
    // The snapshot's order: by name, then kind.
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.kind.cmp(&b.kind)));
    out
}

/// Scheduled task iterations by (user type, task): counts and both histograms added.
fn merge_tasks(all: &[&StatsSnapshot]) -> Vec<TaskStats> {
    let mut out = group(
        all.iter().flat_map(|s| &s.tasks),
        |t| (t.user_type.clone(), t.name.clone()),
        |o, t| {
            o.iterations += t.iterations;
            o.late += t.late;
            add_histogram(&mut o.durations, &t.durations);
            add_histogram(&mut o.corrected, &t.corrected);
        },
    );
    out.sort_by(|a, b| (&a.user_type, &a.name).cmp(&(&b.user_type, &b.name)));
    out
}

/// The arrival numbers of the whole run: counts, rates and pools of the segments added.
fn merge_open(all: &[&StatsSnapshot]) -> OpenStats {
    all.iter().fold(OpenStats::default(), |o, s| OpenStats {
        arrival: o.arrival || s.open.arrival,
        target_rate: o.target_rate + s.open.target_rate,
        achieved_rate: o.achieved_rate + s.open.achieved_rate,
        iterations_started: o.iterations_started + s.open.iterations_started,
        dropped_iterations: o.dropped_iterations + s.open.dropped_iterations,
        late_iterations: o.late_iterations + s.open.late_iterations,
        pool_size: o.pool_size + s.open.pool_size,
        busy_users: o.busy_users + s.open.busy_users,
        max_users: o.max_users + s.open.max_users,
    })
}

fn merge_failures(all: &[&StatsSnapshot]) -> Vec<FailureStats> {
    let mut out = group(
        all.iter().flat_map(|s| &s.failures),
        |f| (f.kind.clone(), f.name.clone(), f.error.clone()),
        |o, f| {
            o.occurrences += f.occurrences;
            o.first_seen = [o.first_seen, f.first_seen]
                .into_iter()
                .flatten()
                .reduce(f64::min);
            o.last_seen = [o.last_seen, f.last_seen]
                .into_iter()
                .flatten()
                .reduce(f64::max);
        },
    );
    // Stable: groups as frequent keep the first report's order.
    out.sort_by_key(|f| std::cmp::Reverse(f.occurrences));
    out
}

fn merge_exceptions(all: &[&StatsSnapshot]) -> Vec<ExceptionStats> {
    let mut out = group(
        all.iter().flat_map(|s| &s.exceptions),
        |e| e.message.clone(),
        |o, e| o.count += e.count,
    );
    out.sort_by_key(|e| std::cmp::Reverse(e.count));
    out
}

/// One sample of one report's history: its rows (entries by name then kind, the aggregate
/// last), keyed by its second and how many samples of that report came earlier in it.
struct Tick<'a> {
    key: (u64, usize),
    rows: &'a [HistoryRow],
}

fn ticks(history: &[HistoryRow]) -> Vec<Tick<'_>> {
    let mut out: Vec<Tick<'_>> = Vec::new();
    let mut start = 0;
    for (i, row) in history.iter().enumerate() {
        let last = i + 1 == history.len();
        if row.kind.is_empty() || last {
            let nth = out
                .iter()
                .rev()
                .take_while(|t| t.key.0 == row.timestamp)
                .count();
            out.push(Tick {
                key: (row.timestamp, nth),
                rows: &history[start..=i],
            });
            start = i + 1;
        }
    }
    out
}

/// Adds up the rows of one (kind, name) at one sample; `live` rows are of segments still
/// running then (the others only carry their totals forward).
fn merge_rows(timestamp: u64, rows: &[(&HistoryRow, bool)]) -> HistoryRow {
    if let [(row, true)] = rows {
        return HistoryRow {
            timestamp,
            ..(*row).clone()
        };
    }
    let live = || rows.iter().filter(|(_, l)| *l).map(|(r, _)| *r);
    let all = || rows.iter().map(|(r, _)| *r);
    let requests: u64 = all().map(|r| r.total_requests).sum();
    let weighted = |f: fn(&HistoryRow) -> f64| {
        if requests == 0 {
            0.0
        } else {
            all().map(|r| f(r) * r.total_requests as f64).sum::<f64>() / requests as f64
        }
    };
    let mut window = Vec::new();
    for r in live() {
        if window.len() < r.window_percentiles_us.len() {
            window.resize(r.window_percentiles_us.len(), 0);
        }
        for (w, v) in window.iter_mut().zip(&r.window_percentiles_us) {
            *w = (*w).max(*v);
        }
    }
    let first = rows.first().map(|(r, _)| *r);
    HistoryRow {
        timestamp,
        user_count: live().map(|r| r.user_count).sum(),
        kind: first.map(|r| r.kind.clone()).unwrap_or_default(),
        name: first.map(|r| r.name.clone()).unwrap_or_default(),
        current_rps: live().map(|r| r.current_rps).sum(),
        current_fail_per_sec: live().map(|r| r.current_fail_per_sec).sum(),
        window_percentiles_us: window,
        // Like the window percentiles: the slowest segment's, an upper bound.
        window_corrected_p99_us: live().map(|r| r.window_corrected_p99_us).max().unwrap_or(0),
        total_requests: requests,
        total_failures: all().map(|r| r.total_failures).sum(),
        total_median_us: all().map(|r| r.total_median_us).max().unwrap_or(0),
        total_avg_us: weighted(|r| r.total_avg_us),
        total_min_us: all()
            .filter(|r| r.total_requests > 0)
            .map(|r| r.total_min_us)
            .min()
            .unwrap_or(0),
        total_max_us: all().map(|r| r.total_max_us).max().unwrap_or(0),
        total_avg_bytes: weighted(|r| r.total_avg_bytes),
    }
}

/// The history of the merged run: at every sample any segment took (by second), each
/// segment's latest sample then, added up.
fn merge_history(all: &[&StatsSnapshot]) -> Vec<HistoryRow> {
    let per_report: Vec<Vec<Tick<'_>>> = all.iter().map(|s| ticks(&s.history)).collect();
    let keys: BTreeSet<(u64, usize)> = per_report.iter().flatten().map(|t| t.key).collect();
    // Per report: how many of its samples are at or before the current key (keys ascend).
    let mut reached = vec![0usize; per_report.len()];
    let mut out = Vec::new();
    for key in keys {
        // Each report's latest sample at or before `key`, and whether it still ran then.
        let mut current: Vec<(&Tick<'_>, bool)> = Vec::with_capacity(per_report.len());
        for (ticks, n) in per_report.iter().zip(&mut reached) {
            while ticks.get(*n).is_some_and(|t| t.key <= key) {
                *n += 1;
            }
            if let Some(latest) = n.checked_sub(1).and_then(|i| ticks.get(i)) {
                let live = ticks.last().is_some_and(|last| key <= last.key);
                current.push((latest, live));
            }
        }
        let mut names: Vec<(&str, &str)> = current
            .iter()
            .flat_map(|(t, _)| t.rows.iter().map(|r| (r.name.as_str(), r.kind.as_str())))
            .collect();
        // Entries by name then kind, the aggregate (no kind) last, as the collector writes.
        names.sort_by(|a, b| a.1.is_empty().cmp(&b.1.is_empty()).then_with(|| a.cmp(b)));
        names.dedup();
        for (name, kind) in names {
            let rows: Vec<(&HistoryRow, bool)> = current
                .iter()
                .filter_map(|(t, live)| {
                    t.rows
                        .iter()
                        .find(|r| r.name == name && r.kind == kind)
                        .map(|r| (r, *live))
                })
                .collect();
            out.push(merge_rows(key.0, &rows));
        }
    }
    out
}

/// Checks that `reports` are the distinct segments of one run (or one report alone).
fn check(reports: &[(String, Loaded)]) -> Result<(), MergeError> {
    let Some((first_path, first)) = reports.first() else {
        return Ok(());
    };
    for (path, r) in &reports[1..] {
        if r.meta.run_id != first.meta.run_id {
            return Err(MergeError::DifferentRuns {
                a: first_path.clone(),
                run_a: first.meta.run_id.clone(),
                b: path.clone(),
                run_b: r.meta.run_id.clone(),
            });
        }
        if r.meta.scenario != first.meta.scenario {
            return Err(MergeError::DifferentScenarios {
                a: first_path.clone(),
                sa: first.meta.scenario.clone(),
                b: path.clone(),
                sb: r.meta.scenario.clone(),
            });
        }
    }
    if reports.len() == 1 {
        return Ok(());
    }
    let mut seen: Vec<(&str, Segment)> = Vec::new();
    for (path, r) in reports {
        let Some(segment) = r.meta.segment else {
            return Err(MergeError::NotASegment(path.clone()));
        };
        if let Some((a, sa)) = seen.first() {
            if sa.count() != segment.count() {
                return Err(MergeError::DifferentSplits {
                    a: (*a).to_owned(),
                    sa: *sa,
                    b: path.clone(),
                    sb: segment,
                });
            }
        }
        if let Some((a, _)) = seen.iter().find(|(_, s)| *s == segment) {
            return Err(MergeError::SameSegment {
                a: (*a).to_owned(),
                b: path.clone(),
                segment,
            });
        }
        seen.push((path, segment));
    }
    Ok(())
}

fn merge_meta(reports: &[(String, Loaded)]) -> RunMeta {
    if let [(_, only)] = reports {
        return only.meta.clone();
    }
    let metas: Vec<&RunMeta> = reports.iter().map(|(_, r)| &r.meta).collect();
    let mut warnings = Vec::new();
    let hosts: BTreeSet<Option<&str>> = metas.iter().map(|m| m.host.as_deref()).collect();
    let host = match hosts.len() {
        1 => metas[0].host.clone(),
        _ => {
            let list: Vec<&str> = hosts.iter().map(|h| h.unwrap_or("(none)")).collect();
            warnings.push(format!(
                "the segments targeted different hosts: {}",
                list.join(", ")
            ));
            None
        }
    };
    let count = metas
        .iter()
        .find_map(|m| m.segment)
        .map_or(0, Segment::count);
    let present: BTreeSet<u32> = metas
        .iter()
        .filter_map(|m| m.segment)
        .map(Segment::index)
        .collect();
    let missing: Vec<String> = (0..count)
        .filter(|i| !present.contains(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        warnings.push(format!(
            "this report covers {} of {count} segments: {} missing, so it is not the whole run",
            present.len(),
            missing.join(", ")
        ));
    }
    for m in &metas {
        for w in &m.warnings {
            let segment = m.segment.map(|s| s.to_string()).unwrap_or_default();
            warnings.push(format!("segment {segment}: {w}"));
        }
    }
    RunMeta {
        scenario: metas[0].scenario.clone(),
        host,
        run_id: metas[0].run_id.clone(),
        user_count: metas.iter().map(|m| m.user_count).sum(),
        warnings,
        // Each segment judged only its share; `swarm report check` judges the whole.
        thresholds: Vec::new(),
        segment: None,
    }
}

/// Merges the reports (path, report) of one run's segments; one report merges to itself.
pub(crate) fn merge(reports: &[(String, Loaded)]) -> Result<Loaded, MergeError> {
    check(reports)?;
    let all: Vec<&StatsSnapshot> = reports.iter().map(|(_, r)| &r.stats).collect();
    let Some((first, rest)) = all.split_first() else {
        return Err(MergeError::NoReports);
    };
    let mut total = first.total.clone();
    for s in rest {
        add_entry(&mut total, &s.total);
    }
    let stats = StatsSnapshot {
        start_time: all
            .iter()
            .map(|s| s.start_time)
            .reduce(f64::min)
            .unwrap_or(0.0),
        taken_at: all
            .iter()
            .map(|s| s.taken_at)
            .reduce(f64::max)
            .unwrap_or(0.0),
        entries: merge_entries(&all),
        total,
        failures: merge_failures(&all),
        exceptions: merge_exceptions(&all),
        history: std::sync::Arc::new(merge_history(&all)),
        window_percentiles_us: Vec::new(),
        interrupted: all.iter().map(|s| s.interrupted).sum(),
        tasks: merge_tasks(&all),
        open: merge_open(&all),
    };
    Ok(Loaded {
        meta: merge_meta(reports),
        stats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ReportInput, fixture, json, load};
    use std::time::Duration;
    use swarm_core::metrics::{Event, Metrics, Outcome, REPORT_PERCENTILES};

    const ROWS: [(&str, &str); 3] = [("GET", "/a"), ("PUT", "/b"), ("GET", "/c")];

    /// Sample `k`: its row, its response time (spread over 100 µs to 2 s) and whether it failed.
    fn sample(k: u64) -> (usize, u64, bool) {
        ((k % 3) as usize, 100 + (k * 7919) % 2_000_000, k % 17 == 0)
    }

    fn record(metrics: &Metrics, samples: impl Iterator<Item = u64>) {
        let rec = metrics.recorder();
        for k in samples {
            let (row, us, failed) = sample(k);
            rec.record(&Event {
                kind: ROWS[row].0,
                name: ROWS[row].1,
                response_time: Duration::from_micros(us),
                time_to_first_byte: Some(Duration::from_micros(us / 3)),
                bytes: k % 1000,
                outcome: if failed {
                    Outcome::Failure("HTTP 500")
                } else {
                    Outcome::Success
                },
            });
        }
        metrics.tick(1);
        rec.record_exception("boom", "task U::t");
    }

    /// A report as `swarm report merge` reads it: rendered to JSON and loaded back.
    fn report(meta: RunMeta, metrics: &Metrics) -> Loaded {
        let stats = metrics.snapshot();
        let value = json::render(&ReportInput {
            meta: &meta,
            stats: &stats,
        })
        .expect("rendered");
        load::from_value(&value).expect("loaded")
    }

    fn meta(run_id: &str, segment: Option<(u32, u32)>) -> RunMeta {
        RunMeta {
            run_id: run_id.into(),
            segment: segment.map(|(i, n)| Segment::new(i, n).expect("valid")),
            user_count: 4,
            ..fixture::meta()
        }
    }

    fn segments(n: u32, samples: u64) -> Vec<(String, Loaded)> {
        (0..n)
            .map(|i| {
                let metrics = Metrics::default();
                record(
                    &metrics,
                    (0..samples).filter(|k| k % u64::from(n) == u64::from(i)),
                );
                (
                    format!("seg{i}.json"),
                    report(meta("run1", Some((i, n))), &metrics),
                )
            })
            .collect()
    }

    /// Regression: a decoded histogram did not widen, so a segment with slower samples than
    /// the first one was dropped from the merge with only a log line.
    #[test]
    fn a_slower_segment_widens_the_merged_histogram() {
        let fast = Metrics::default();
        let slow = Metrics::default();
        for (metrics, us) in [(&fast, 200), (&slow, 30_000_000)] {
            metrics.recorder().record(&Event {
                kind: "GET",
                name: "/a",
                response_time: Duration::from_micros(us),
                time_to_first_byte: None,
                bytes: 1,
                outcome: Outcome::Success,
            });
        }
        let reports = vec![
            ("a.json".to_owned(), report(meta("run1", Some((0, 2))), &fast)),
            ("b.json".to_owned(), report(meta("run1", Some((1, 2))), &slow)),
        ];
        let merged = merge(&reports).expect("merged");
        assert_eq!(merged.stats.total.response_times.len(), 2);
        assert!(merged.stats.total.response_times.max() >= 29_000_000);
    }

    fn assert_same_row(merged: &EntryStats, whole: &EntryStats) {
        let what = format!("{} {}", merged.kind, merged.name);
        assert_eq!((&merged.kind, &merged.name), (&whole.kind, &whole.name));
        assert_eq!(merged.num_requests, whole.num_requests, "{what}");
        assert_eq!(merged.num_failures, whole.num_failures, "{what}");
        assert_eq!(
            merged.total_response_time_us, whole.total_response_time_us,
            "{what}"
        );
        assert_eq!(merged.total_bytes, whole.total_bytes, "{what}");
        assert_eq!(merged.min_us(), whole.min_us(), "{what}");
        assert_eq!(merged.max_us(), whole.max_us(), "{what}");
        assert!(
            merged.response_times == whole.response_times,
            "{what}: histograms differ"
        );
        assert!(merged.ttfb == whole.ttfb, "{what}: ttfb histograms differ");
        for q in REPORT_PERCENTILES {
            assert_eq!(
                merged.percentile_us(q),
                whole.percentile_us(q),
                "{what} at {q}"
            );
        }
    }

    /// N segments' samples merged equal one report holding every sample: counts, sums,
    /// extremes, histograms and so every percentile, failures and exceptions.
    #[test]
    fn merged_segments_equal_one_report_of_every_sample() {
        for n in [2, 3, 5] {
            let merged = merge(&segments(n, 3000)).expect("merged");
            let whole_metrics = Metrics::default();
            record(&whole_metrics, 0..3000);
            let whole = whole_metrics.snapshot();
            assert_eq!(merged.stats.entries.len(), whole.entries.len());
            for (m, w) in merged.stats.entries.iter().zip(&whole.entries) {
                assert_same_row(m, w);
            }
            assert_same_row(&merged.stats.total, &whole.total);
            assert_eq!(merged.stats.failures.len(), whole.failures.len());
            for f in &whole.failures {
                let m = merged
                    .stats
                    .failures
                    .iter()
                    .find(|m| (&m.kind, &m.name, &m.error) == (&f.kind, &f.name, &f.error));
                assert_eq!(m.map(|m| m.occurrences), Some(f.occurrences), "{f:?}");
            }
            assert_eq!(merged.stats.exceptions[0].count, u64::from(n));
            assert_eq!(merged.meta.user_count, 4 * n as usize);
            assert_eq!(merged.meta.segment, None);
            assert!(
                merged
                    .meta
                    .warnings
                    .iter()
                    .all(|w| w.starts_with("segment ")),
                "{:?}",
                merged.meta.warnings
            );
            // One sample per segment, in the same second or not: the history adds up.
            let last = merged.stats.aggregate_history().last().expect("history");
            assert_eq!(last.total_requests, 3000);
            assert_eq!(last.total_failures, whole.total.num_failures);
        }
    }

    #[test]
    fn one_report_merges_to_itself() {
        let metrics = Metrics::default();
        record(&metrics, 0..500);
        record(&metrics, 500..700);
        let render = |l: &Loaded| {
            json::render(&ReportInput {
                meta: &l.meta,
                stats: &l.stats,
            })
            .expect("rendered")
        };
        for segment in [None, Some((1, 3))] {
            let written = render(&report(meta("run1", segment), &metrics));
            let one = load::from_value(&written).expect("loaded");
            let merged = merge(&[("a.json".into(), one)]).expect("merged");
            assert_eq!(render(&merged), written);
        }
    }

    #[test]
    fn reports_that_do_not_add_up_are_refused_by_name() {
        let metrics = Metrics::default();
        record(&metrics, 0..10);
        let r = |run: &str, seg: Option<(u32, u32)>| report(meta(run, seg), &metrics);
        let mut other_scenario = r("run1", Some((1, 3)));
        other_scenario.meta.scenario = "shop".into();
        let table: Vec<(Vec<Loaded>, &str)> = vec![
            (
                vec![r("run1", Some((0, 3))), r("run2", Some((1, 3)))],
                "r0.json is of run `run1` but r1.json is of run `run2`: merge only the segments of one run",
            ),
            (
                vec![r("run1", Some((0, 3))), other_scenario],
                "r0.json ran scenario `get` but r1.json ran `shop`",
            ),
            (
                vec![r("run1", Some((0, 3))), r("run1", Some((0, 3)))],
                "r0.json and r1.json are both segment 0/3: each segment may be merged once",
            ),
            (
                vec![r("run1", Some((0, 3))), r("run1", Some((1, 2)))],
                "r0.json is segment 0/3 but r1.json is segment 1/2",
            ),
            (
                vec![r("run1", Some((0, 3))), r("run1", None)],
                "r1.json is not a segment's report",
            ),
        ];
        for (reports, want) in table {
            let named: Vec<(String, Loaded)> = reports
                .into_iter()
                .enumerate()
                .map(|(i, l)| (format!("r{i}.json"), l))
                .collect();
            match merge(&named) {
                Err(e) => assert!(e.to_string().contains(want), "{e}\nwant: {want}"),
                Ok(_) => panic!("merged, want: {want}"),
            }
        }
        assert_eq!(merge(&[]).err(), Some(MergeError::NoReports));
    }

    fn row(t: u64, users: usize, rps: f64, total: u64, p50: u64) -> HistoryRow {
        HistoryRow {
            timestamp: t,
            user_count: users,
            kind: String::new(),
            name: "Aggregated".into(),
            current_rps: rps,
            current_fail_per_sec: 0.0,
            window_percentiles_us: vec![p50],
            window_corrected_p99_us: 0,
            total_requests: total,
            total_failures: 0,
            total_median_us: p50,
            total_avg_us: p50 as f64,
            total_min_us: 10,
            total_max_us: p50 * 2,
            total_avg_bytes: 0.0,
        }
    }

    /// Per second: users and rates of the segments still running, totals of all of them
    /// (an ended segment's carried forward), a second sample in one second kept apart.
    #[test]
    fn histories_add_up_per_second() {
        let with_history = |seg: u32, rows: Vec<HistoryRow>| {
            let mut stats = fixture::stats();
            stats.history = std::sync::Arc::new(rows);
            (
                format!("seg{seg}.json"),
                Loaded {
                    meta: meta("run1", Some((seg, 2))),
                    stats,
                },
            )
        };
        let a = with_history(
            0,
            vec![
                row(100, 2, 10.0, 10, 1000),
                row(101, 2, 20.0, 30, 3000),
                row(102, 2, 5.0, 35, 2000),
            ],
        );
        let b = with_history(
            1,
            vec![
                row(100, 3, 1.0, 1, 500),
                row(101, 0, 2.0, 3, 4000),
                row(101, 0, 0.0, 3, 4000),
            ],
        );
        let merged = merge(&[a, b]).expect("merged");
        let got: Vec<(u64, usize, f64, u64, Vec<u64>)> = merged
            .stats
            .history
            .iter()
            .map(|r| {
                (
                    r.timestamp,
                    r.user_count,
                    r.current_rps,
                    r.total_requests,
                    r.window_percentiles_us.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (100, 5, 11.0, 11, vec![1000]),
                (101, 2, 22.0, 33, vec![4000]),
                // B's second sample in second 101: A's latest is still its 101 one; the
                // window percentiles are the slowest running segment's.
                (101, 2, 20.0, 33, vec![4000]),
                // B has ended: only its totals count.
                (102, 2, 5.0, 38, vec![2000]),
            ]
        );
        let last = merged.stats.history.last().expect("rows");
        assert!((last.total_avg_us - (2000.0 * 35.0 + 4000.0 * 3.0) / 38.0).abs() < 1e-9);
        assert_eq!((last.total_min_us, last.total_max_us), (10, 8000));
    }

    #[test]
    fn a_partial_merge_says_which_segments_are_missing() {
        let mut reports = segments(3, 30);
        reports.remove(1);
        let merged = merge(&reports).expect("merged");
        assert!(
            merged.meta.warnings[0].contains("covers 2 of 3 segments: 1/3 missing"),
            "{:?}",
            merged.meta.warnings
        );
    }
}
