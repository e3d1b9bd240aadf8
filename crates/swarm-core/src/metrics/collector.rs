//! Turns merged totals, sampled every interval, into current rates, window percentiles and
//! the history rows that charts and `*_stats_history.csv` are drawn from.

use super::Merged;
use super::entry::{EntryData, EntryStats, REPORT_PERCENTILES};
use super::shard::EntryKey;
use super::snapshot::{ExceptionStats, FailureStats, HistoryRow, StatsSnapshot};
use super::{OpenStats, TaskStats};
use hdrhistogram::Histogram;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Totals at one sampling moment.
struct Sample {
    at: Instant,
    entries: BTreeMap<EntryKey, EntryData>,
    total: EntryData,
    /// Arrival-rate iterations started by then.
    started: u64,
}

pub(crate) struct Collector {
    window: Duration,
    started_at: SystemTime,
    started: Instant,
    ring: VecDeque<Sample>,
    /// Shared with snapshots, so taking one costs a refcount, not a copy of hours of rows.
    history: Arc<Vec<HistoryRow>>,
    /// Keep per-entry rows too (they grow with entries × seconds), not only the aggregate.
    entry_history: bool,
}

fn unix_secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// What changed between a base sample and now: rates and the window's histogram.
fn window_delta(
    now: &EntryData,
    base: Option<&EntryData>,
    secs: f64,
) -> (f64, f64, Histogram<u64>) {
    let Some(base) = base else {
        let rate = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        return (
            rate(now.num_requests),
            rate(now.num_failures),
            now.response_times.clone(),
        );
    };
    let rate = |a: u64, b: u64| {
        if secs > 0.0 {
            a.saturating_sub(b) as f64 / secs
        } else {
            0.0
        }
    };
    let mut hist = now.response_times.clone();
    if hist.subtract(&base.response_times).is_err() {
        // Only after a reset raced a tick; the cumulative histogram is the honest fallback.
        hist = now.response_times.clone();
    }
    (
        rate(now.num_requests, base.num_requests),
        rate(now.num_failures, base.num_failures),
        hist,
    )
}

/// The corrected times' p99 (µs) between `base` and `now`.
fn window_corrected_p99(now: &EntryData, base: Option<&EntryData>) -> u64 {
    let mut hist = now.corrected.clone();
    if let Some(base) = base {
        if hist.subtract(&base.corrected).is_err() {
            hist = now.corrected.clone();
        }
    }
    super::quantile_us(&hist, 0.99)
}

fn window_percentiles(hist: &Histogram<u64>) -> Vec<u64> {
    REPORT_PERCENTILES
        .iter()
        .map(|&q| {
            if hist.is_empty() {
                0
            } else {
                hist.value_at_quantile(q)
            }
        })
        .collect()
}

impl Collector {
    pub(crate) fn new(window: Duration, entry_history: bool) -> Self {
        Self {
            window,
            started_at: SystemTime::now(),
            started: Instant::now(),
            ring: VecDeque::new(),
            history: Arc::new(Vec::new()),
            entry_history,
        }
    }

    pub(crate) fn reset(&mut self) {
        *self = Self::new(self.window, self.entry_history);
    }

    /// The oldest sample still inside the window, and the seconds from it to `now`.
    fn base(&self, now: Instant) -> (Option<&Sample>, f64) {
        match self.ring.front() {
            Some(s) => (Some(s), now.duration_since(s.at).as_secs_f64()),
            None => (None, now.duration_since(self.started).as_secs_f64()),
        }
    }

    pub(crate) fn tick(&mut self, merged: Merged, user_count: usize, wall: SystemTime) {
        let now = Instant::now();
        let timestamp = wall
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let (base, secs) = self.base(now);
        let mut rows = Vec::with_capacity(merged.entries.len() + 1);
        let mut row = |kind: &str, name: &str, data: &EntryData, base: Option<&EntryData>| {
            let (rps, fps, hist) = window_delta(data, base, secs);
            let stats = EntryStats::from_data(kind, name, data);
            rows.push(HistoryRow {
                timestamp,
                user_count,
                kind: kind.to_owned(),
                name: name.to_owned(),
                current_rps: rps,
                current_fail_per_sec: fps,
                window_percentiles_us: window_percentiles(&hist),
                window_corrected_p99_us: window_corrected_p99(data, base),
                total_requests: stats.num_requests,
                total_failures: stats.num_failures,
                total_median_us: stats.median_us(),
                total_avg_us: stats.avg_us(),
                total_min_us: stats.min_us(),
                total_max_us: stats.max_us(),
                total_avg_bytes: stats.avg_bytes(),
            });
        };
        // Locust 2.47's order (stats.py:1207-1211): the entries by name then kind, then the
        // aggregate.
        if self.entry_history {
            let mut keys: Vec<&EntryKey> = merged.entries.keys().collect();
            keys.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.kind.cmp(&b.kind)));
            for key in keys {
                if let Some(data) = merged.entries.get(key) {
                    row(
                        &key.kind,
                        &key.name,
                        data,
                        base.and_then(|b| b.entries.get(key)),
                    );
                }
            }
        }
        row("", "Aggregated", &merged.total, base.map(|b| &b.total));
        // Copies only if a snapshot taken since the last tick is still alive.
        Arc::make_mut(&mut self.history).extend(rows);
        self.ring.push_back(Sample {
            at: now,
            entries: merged.entries,
            total: merged.total,
            started: merged.started,
        });
        // Keep exactly one sample at or beyond the window's start as the base.
        while self.ring.len() > 1
            && self
                .ring
                .get(1)
                .is_some_and(|s| now.duration_since(s.at) >= self.window)
        {
            self.ring.pop_front();
        }
    }

    pub(crate) fn snapshot(&self, merged: &Merged) -> StatsSnapshot {
        let now = Instant::now();
        let (base, secs) = self.base(now);
        let stats = |kind: &str, name: &str, data: &EntryData, base: Option<&EntryData>| {
            let (rps, fps, hist) = window_delta(data, base, secs);
            let mut stats = EntryStats::from_data(kind, name, data);
            stats.current_rps = rps;
            stats.current_fail_per_sec = fps;
            (stats, hist)
        };
        let (total, window_hist) = stats("", "Aggregated", &merged.total, base.map(|b| &b.total));
        let mut entries: Vec<EntryStats> = merged
            .entries
            .iter()
            .map(|(key, data)| {
                stats(
                    &key.kind,
                    &key.name,
                    data,
                    base.and_then(|b| b.entries.get(key)),
                )
                .0
            })
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.kind.cmp(&b.kind)));
        let mut failures: Vec<FailureStats> = merged
            .failures
            .iter()
            .map(|(key, group)| FailureStats {
                kind: key.kind.to_string(),
                name: key.name.to_string(),
                error: key.error.to_string(),
                occurrences: group.count,
                first_seen: Some(group.first_seen),
                last_seen: Some(group.last_seen),
            })
            .collect();
        failures.sort_by_key(|f| std::cmp::Reverse(f.occurrences));
        let mut exceptions: Vec<ExceptionStats> = merged
            .exceptions
            .iter()
            .map(|(message, data)| ExceptionStats {
                message: message.clone(),
                context: data.context.clone(),
                count: data.count,
            })
            .collect();
        exceptions.sort_by_key(|e| std::cmp::Reverse(e.count));
        StatsSnapshot {
            start_time: unix_secs(self.started_at),
            taken_at: unix_secs(self.started_at) + now.duration_since(self.started).as_secs_f64(),
            entries,
            total,
            failures,
            exceptions,
            history: Arc::clone(&self.history),
            window_percentiles_us: window_percentiles(&window_hist),
            interrupted: 0,
            tasks: merged
                .tasks
                .iter()
                .map(|(&(user_type, name), t)| TaskStats {
                    user_type: user_type.to_owned(),
                    name: name.to_owned(),
                    iterations: t.iterations,
                    late: t.late,
                    durations: t.durations.clone(),
                    corrected: t.corrected.clone(),
                })
                .collect(),
            open: OpenStats {
                achieved_rate: if secs > 0.0 {
                    merged.started.saturating_sub(base.map_or(0, |b| b.started)) as f64 / secs
                } else {
                    0.0
                },
                ..OpenStats::default()
            },
        }
    }
}
