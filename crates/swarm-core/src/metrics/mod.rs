//! Metrics: the recording interface, per-thread shards, and merged snapshots.
//!
//! The hot path ([`Recorder::record`]) touches only the calling thread's own shard (an
//! uncontended mutex and a hash lookup); readers lock each shard in turn and merge. There is
//! no global lock and no channel message per event.

mod collector;
mod cpu;
mod entry;
mod event;
mod open;
mod shard;
mod snapshot;

pub use cpu::process_cpu_time;
pub use entry::{EntryStats, REPORT_PERCENTILES, new_histogram};
pub use event::{Event, Outcome};
pub(crate) use open::{OpenCounters, scheduled};
pub use open::{OpenStats, TaskStats, quantile_us};
pub use snapshot::{ExceptionStats, FailureStats, HistoryRow, StatsSnapshot};

use crate::lock;
use collector::Collector;
use entry::EntryData;
use shard::{EntryKey, FailureData, FailureKey, Shard};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use thread_local::ThreadLocal;

/// The statistics of one runner: cheap to clone, shared by every user and reader.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

/// The handle protocols record through; a clone of the runner's [`Metrics`] view.
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<Inner>,
}

struct Inner {
    shards: ThreadLocal<Mutex<Shard>>,
    collector: Mutex<Collector>,
    /// Requests cut off by a stop; only stops add to it, so one shared counter is cheap.
    interrupted: AtomicU64,
    /// The arrival-rate executor's counters.
    open: OpenCounters,
}

impl Inner {
    fn shard(&self) -> &Mutex<Shard> {
        self.shards.get_or(|| Mutex::new(Shard::default()))
    }
}

impl Recorder {
    /// Records one timed operation into this thread's shard.
    #[inline]
    pub fn record(&self, event: &Event<'_>) {
        let corrected = open::corrected_now();
        lock(self.inner.shard()).record(event, corrected);
    }

    /// Records one scheduled task iteration (paced or arrival-rate) that started at `started`,
    /// was intended to start at `intended`, and ended now; it is late when it started more
    /// than `period` after its intended start.
    pub(crate) fn record_task(
        &self,
        key: (&'static str, &'static str),
        intended: tokio::time::Instant,
        started: tokio::time::Instant,
        period: Duration,
    ) {
        let now = tokio::time::Instant::now();
        let late = started.saturating_duration_since(intended) > period;
        lock(self.inner.shard())
            .tasks
            .entry(key)
            .or_default()
            .record(
                now.saturating_duration_since(started),
                now.saturating_duration_since(intended),
                late,
            );
    }

    /// Counts a request that was still in flight when its user was stopped (it has no
    /// response time, so it is in no row; reports show the count beside the table).
    pub fn record_interrupted(&self) {
        self.inner.interrupted.fetch_add(1, Ordering::Relaxed);
    }

    /// Records an exception (an error or panic in a hook or task), grouped by message; any
    /// credentials in a URL in it are hidden first, so no report or page can show them.
    pub fn record_exception(&self, message: &str, context: &str) {
        let (message, context) = (
            crate::redact_userinfo(message),
            crate::redact_userinfo(context),
        );
        lock(self.inner.shard()).record_exception(&message, &context);
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recorder")
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    /// A 10 s window and the full (per-entry) history.
    fn default() -> Self {
        Self::with_history(Duration::from_secs(10), true)
    }
}

/// Every shard merged: the exact totals at one moment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Merged {
    pub(crate) entries: BTreeMap<EntryKey, EntryData>,
    pub(crate) total: EntryData,
    pub(crate) failures: BTreeMap<FailureKey, FailureData>,
    pub(crate) exceptions: BTreeMap<String, shard::ExceptionData>,
    pub(crate) tasks: BTreeMap<(&'static str, &'static str), open::TaskData>,
    /// Arrival-rate iterations started, for the achieved rate.
    pub(crate) started: u64,
}

impl Metrics {
    /// New, empty statistics; `window` is the span current RPS and current percentiles cover.
    /// The history keeps aggregate rows only.
    pub fn new(window: Duration) -> Self {
        Self::with_history(window, false)
    }

    /// Like [`Metrics::new`], and with `entry_history` the history keeps a row per entry per
    /// interval too (for `--csv-full-history`; memory grows with entries × run time).
    pub fn with_history(window: Duration, entry_history: bool) -> Self {
        Self {
            inner: Arc::new(Inner {
                shards: ThreadLocal::new(),
                collector: Mutex::new(Collector::new(window, entry_history)),
                interrupted: AtomicU64::new(0),
                open: OpenCounters::default(),
            }),
        }
    }

    /// The arrival-rate counters (for the runner and the executor in this crate).
    pub(crate) fn open(&self) -> &OpenCounters {
        &self.inner.open
    }

    /// A handle to record through.
    pub fn recorder(&self) -> Recorder {
        Recorder {
            inner: Arc::clone(&self.inner),
        }
    }

    fn merge(&self) -> Merged {
        let mut merged = Merged::default();
        for shard in self.inner.shards.iter() {
            let shard = lock(shard);
            for (key, data) in &shard.entries {
                merged.entries.entry(key.clone()).or_default().merge(data);
                merged.total.merge(data);
            }
            for (key, group) in &shard.failures {
                merged
                    .failures
                    .entry(key.clone())
                    .and_modify(|g| g.merge(group))
                    .or_insert(*group);
            }
            for (message, data) in &shard.exceptions {
                let slot = merged.exceptions.entry(message.clone()).or_default();
                if slot.context.is_empty() {
                    slot.context.clone_from(&data.context);
                }
                slot.count += data.count;
            }
            open::merge_tasks(&mut merged.tasks, shard.tasks.iter());
        }
        merged.started = self.inner.open.started.load(Ordering::Relaxed);
        merged
    }

    /// Forgets every recorded event, failure, exception and history row (a fresh start).
    pub fn reset(&self) {
        // Clear the collector first so a concurrent tick cannot subtract new totals from old.
        let mut collector = lock(&self.inner.collector);
        for shard in self.inner.shards.iter() {
            lock(shard).clear();
        }
        collector.reset();
        self.inner.interrupted.store(0, Ordering::Relaxed);
        self.inner.open.reset();
    }

    /// Takes one history sample (the runner calls this every stats interval).
    pub fn tick(&self, user_count: usize) {
        let merged = self.merge();
        lock(&self.inner.collector).tick(merged, user_count, SystemTime::now());
    }

    /// Merges every shard into a consistent snapshot with current rates and the history.
    pub fn snapshot(&self) -> StatsSnapshot {
        let merged = self.merge();
        let mut snapshot = lock(&self.inner.collector).snapshot(&merged);
        snapshot.interrupted = self.inner.interrupted.load(Ordering::Relaxed);
        let achieved = snapshot.open.achieved_rate;
        snapshot.open = OpenStats {
            achieved_rate: achieved,
            late_iterations: snapshot.tasks.iter().map(|t| t.late).sum(),
            ..self.inner.open.read()
        };
        snapshot
    }
}

#[cfg(test)]
mod tests;
