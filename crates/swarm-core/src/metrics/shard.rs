//! One worker thread's private slice of the statistics, merged only when read.

use super::Event;
use super::entry::EntryData;
use hashbrown::{Equivalent, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

/// Identifies one stats row: (kind, name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct EntryKey {
    pub(crate) kind: Box<str>,
    pub(crate) name: Box<str>,
}

/// A borrowed key, so the hot path looks rows up without allocating.
/// Its derived `Hash` hashes the same fields in the same order as [`EntryKey`]'s.
#[derive(Hash)]
struct EntryKeyRef<'a> {
    kind: &'a str,
    name: &'a str,
}

impl Equivalent<EntryKey> for EntryKeyRef<'_> {
    fn equivalent(&self, key: &EntryKey) -> bool {
        *self.kind == *key.kind && *self.name == *key.name
    }
}

/// Identifies one failure group: (kind, name, error text).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FailureKey {
    pub(crate) kind: Box<str>,
    pub(crate) name: Box<str>,
    pub(crate) error: Box<str>,
}

#[derive(Hash)]
struct FailureKeyRef<'a> {
    kind: &'a str,
    name: &'a str,
    error: &'a str,
}

impl Equivalent<FailureKey> for FailureKeyRef<'_> {
    fn equivalent(&self, key: &FailureKey) -> bool {
        *self.kind == *key.kind && *self.name == *key.name && *self.error == *key.error
    }
}

/// What one failure group remembers: its count and when it was first and last seen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FailureData {
    pub(crate) count: u64,
    /// Unix seconds of the first occurrence (as Locust's `StatsError.first_seen`).
    pub(crate) first_seen: f64,
    /// Unix seconds of the latest occurrence.
    pub(crate) last_seen: f64,
}

impl FailureData {
    /// One occurrence at `now` (Unix seconds).
    fn new(now: f64) -> Self {
        Self {
            count: 1,
            first_seen: now,
            last_seen: now,
        }
    }

    /// Adds another shard's group: counts add, the seen times widen (min first, max last).
    pub(crate) fn merge(&mut self, other: &Self) {
        self.count += other.count;
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
    }
}

/// Now in Unix seconds; read once per failure only (failures are rare, successes are not).
fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// What one exception group remembers besides its count.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExceptionData {
    pub(crate) count: u64,
    /// Where it was first seen (e.g. `task download`, `on_start`).
    pub(crate) context: String,
}

/// A thread's private statistics; locked only by its own thread and by readers merging.
#[derive(Debug, Default)]
pub(crate) struct Shard {
    pub(crate) entries: HashMap<EntryKey, EntryData>,
    pub(crate) failures: HashMap<FailureKey, FailureData>,
    pub(crate) exceptions: HashMap<String, ExceptionData>,
    /// Scheduled task iterations by (user type, task name).
    pub(crate) tasks: HashMap<(&'static str, &'static str), super::open::TaskData>,
}

impl Shard {
    /// Records one event: a hash lookup and a histogram increment, no allocation once the
    /// row exists; a failure also reads the wall clock once, for its group's seen times.
    pub(crate) fn record(&mut self, event: &Event<'_>, corrected: Option<std::time::Duration>) {
        let key = EntryKeyRef {
            kind: event.kind,
            name: event.name,
        };
        let entry = match self.entries.get_mut(&key) {
            Some(entry) => entry,
            None => self
                .entries
                .entry(EntryKey {
                    kind: event.kind.into(),
                    name: event.name.into(),
                })
                .or_default(),
        };
        entry.record(event, corrected);
        if let super::Outcome::Failure(error) = event.outcome {
            let key = FailureKeyRef {
                kind: event.kind,
                name: event.name,
                error,
            };
            let now = unix_now();
            match self.failures.get_mut(&key) {
                Some(group) => {
                    group.count += 1;
                    // max, not assignment: the wall clock may step back (NTP).
                    group.last_seen = group.last_seen.max(now);
                }
                None => {
                    self.failures.insert(
                        FailureKey {
                            kind: event.kind.into(),
                            name: event.name.into(),
                            error: error.into(),
                        },
                        FailureData::new(now),
                    );
                }
            }
        }
    }

    pub(crate) fn record_exception(&mut self, message: &str, context: &str) {
        match self.exceptions.get_mut(message) {
            Some(data) => data.count += 1,
            None => {
                self.exceptions.insert(
                    message.to_owned(),
                    ExceptionData {
                        count: 1,
                        context: context.to_owned(),
                    },
                );
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.failures.clear();
        self.exceptions.clear();
        self.tasks.clear();
    }
}
