//! What the open model adds to the stats: corrected times (from an iteration's intended
//! start, wrk2's answer to coordinated omission), scheduled task iterations with their late
//! count, and the arrival-rate counters (target rate, iterations started, dropped, pool).
//!
//! The intended start reaches the recorder through a task-local set around each scheduled
//! task iteration by the user loop, so a protocol plug-in records as before and every event
//! inside the iteration gets its corrected time without any API change.

use super::entry::new_histogram;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::Instant;

tokio::task_local! {
    /// The intended start of the task iteration being polled, when it has one.
    static INTENDED_START: Instant;
}

/// Scheduled iterations in flight in this process: while there are none (a closed run
/// without paced waits), recording skips the task-local lookup for one relaxed load.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Leaves [`IN_FLIGHT`] however the iteration ends (a stop drops it mid-way).
struct InFlight;

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs `fut` as one scheduled iteration intended to start at `intended`: every event it
/// records also gets its corrected time (now minus `intended`).
pub(crate) async fn scheduled<F: std::future::Future>(intended: Instant, fut: F) -> F::Output {
    IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
    let _in_flight = InFlight;
    INTENDED_START.scope(intended, fut).await
}

/// The corrected time of an event ending now, inside a scheduled iteration.
#[inline]
pub(crate) fn corrected_now() -> Option<Duration> {
    if IN_FLIGHT.load(Ordering::Relaxed) == 0 {
        return None;
    }
    INTENDED_START
        .try_with(|start| Instant::now().saturating_duration_since(*start))
        .ok()
}

/// One scheduled task's iterations in one shard.
#[derive(Debug, Clone)]
pub(crate) struct TaskData {
    pub(crate) iterations: u64,
    /// Iterations that started more than one period after their intended start.
    pub(crate) late: u64,
    /// From the actual start to the end, µs.
    pub(crate) durations: Histogram<u64>,
    /// From the intended start to the end, µs.
    pub(crate) corrected: Histogram<u64>,
}

impl Default for TaskData {
    fn default() -> Self {
        Self {
            iterations: 0,
            late: 0,
            durations: new_histogram(),
            corrected: new_histogram(),
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl TaskData {
    pub(crate) fn record(&mut self, duration: Duration, corrected: Duration, late: bool) {
        self.iterations += 1;
        self.late += u64::from(late);
        let _ = self.durations.record(micros(duration));
        let _ = self.corrected.record(micros(corrected.max(duration)));
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        self.iterations += other.iterations;
        self.late += other.late;
        let _ = self.durations.add(&other.durations);
        let _ = self.corrected.add(&other.corrected);
    }
}

/// One scheduled task as readers see it (paced waits or arrival-rate runs only).
#[derive(Debug, Clone, Serialize)]
pub struct TaskStats {
    /// The user type.
    pub user_type: String,
    /// The task's name.
    pub name: String,
    /// Iterations that ended.
    pub iterations: u64,
    /// Of which started more than one period after their intended start.
    pub late: u64,
    /// Iteration times from the actual start, µs.
    #[serde(skip)]
    pub durations: Histogram<u64>,
    /// Iteration times from the intended start, µs.
    #[serde(skip)]
    pub corrected: Histogram<u64>,
}

/// Quantile `q` of `h` in µs, 0 when empty.
pub fn quantile_us(h: &Histogram<u64>, q: f64) -> u64 {
    if h.is_empty() {
        0
    } else {
        h.value_at_quantile(q.clamp(0.0, 1.0))
    }
}

/// The arrival-rate counters, shared by the executor and readers (atomics: one add per
/// arrival, no lock).
#[derive(Debug, Default)]
pub(crate) struct OpenCounters {
    pub(crate) arrival: AtomicBool,
    /// `f64` bits of the target arrivals per second now.
    pub(crate) target_rate: AtomicU64,
    pub(crate) started: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) pool: AtomicUsize,
    pub(crate) busy: AtomicUsize,
    pub(crate) max_users: AtomicUsize,
}

impl OpenCounters {
    pub(crate) fn reset(&self) {
        self.started.store(0, Ordering::Relaxed);
        self.dropped.store(0, Ordering::Relaxed);
    }

    pub(crate) fn read(&self) -> OpenStats {
        let arrival = self.arrival.load(Ordering::Relaxed);
        OpenStats {
            arrival,
            target_rate: f64::from_bits(self.target_rate.load(Ordering::Relaxed)),
            achieved_rate: 0.0,
            iterations_started: self.started.load(Ordering::Relaxed),
            dropped_iterations: self.dropped.load(Ordering::Relaxed),
            late_iterations: 0,
            pool_size: self.pool.load(Ordering::Relaxed),
            busy_users: self.busy.load(Ordering::Relaxed),
            max_users: self.max_users.load(Ordering::Relaxed),
        }
    }
}

/// The open model's numbers at one moment.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct OpenStats {
    /// Whether this is an arrival-rate run (the rest of the arrival fields are 0 otherwise).
    pub arrival: bool,
    /// Arrivals per second asked for now.
    pub target_rate: f64,
    /// Iterations started per second over the recent window.
    pub achieved_rate: f64,
    /// Arrivals handed to a user since the start.
    pub iterations_started: u64,
    /// Arrivals that found no free user even at `max_users`: never run, counted here.
    pub dropped_iterations: u64,
    /// Scheduled iterations (paced or arrival) that started more than one period late.
    pub late_iterations: u64,
    /// Users in the pool now (starting, busy or free).
    pub pool_size: usize,
    /// Pool users running an iteration now.
    pub busy_users: usize,
    /// The most users the pool may grow to.
    pub max_users: usize,
}

/// Adds every task of `tasks` into `into`.
pub(crate) fn merge_tasks<'a>(
    into: &mut std::collections::BTreeMap<(&'static str, &'static str), TaskData>,
    tasks: impl Iterator<Item = (&'a (&'static str, &'static str), &'a TaskData)>,
) {
    for (key, data) in tasks {
        into.entry(*key).or_default().merge(data);
    }
}
