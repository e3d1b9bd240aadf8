//! The one model every output encodes: metric families built from a [`StatsSnapshot`] by two
//! tables (per request row, per run), with request names kept bounded. The Prometheus text,
//! remote-write and OTLP encoders only translate these families; a new series is one entry
//! in [`ROW_FAMILIES`] or [`RUN_FAMILIES`].

use std::borrow::Cow;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashSet};
use swarm_core::RunState;
use swarm_core::lock;
use swarm_core::metrics::{EntryStats, StatsSnapshot};

/// Upper bounds (seconds) of the response-time histogram's buckets, `+Inf` implied.
pub(crate) const BUCKETS_SECONDS: [f64; 15] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The quantiles of the exact-percentile gauge family.
pub(crate) const QUANTILES: [f64; 7] = [0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0];

/// How many distinct (method, name) rows get their own series; the rest fold into
/// `name="other"` per method, so a scenario that forgets to group ids stays bounded.
pub(crate) const NAME_CAP: usize = 500;

/// The name folded rows are shown under.
pub(crate) const OTHER: &str = "other";

/// How a family's values behave (Prometheus' `# TYPE`, OTLP's data kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Only grows (until the stats are reset).
    Counter,
    /// Any value at the moment.
    Gauge,
    /// Cumulative buckets at [`BUCKETS_SECONDS`], with count and sum.
    Histogram,
}

/// A histogram's value: cumulative counts per bound of [`BUCKETS_SECONDS`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Buckets {
    /// `cumulative[i]` = observations ≤ `BUCKETS_SECONDS[i]`.
    pub(crate) cumulative: [u64; BUCKETS_SECONDS.len()],
    /// Every observation (the `+Inf` bucket).
    pub(crate) count: u64,
    /// Sum of the observations, in seconds.
    pub(crate) sum: f64,
}

/// One sample's value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A counter's or gauge's number.
    Number(f64),
    /// A histogram's buckets.
    Histogram(Buckets),
}

/// One series of a family: its labels (besides the family's name) and value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    /// Label names and values, in a fixed order.
    pub(crate) labels: Labels,
    /// The value.
    pub(crate) value: Value,
}

/// A metric family with every sample it has now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Family {
    /// Prometheus name (base units, `_total` on counters).
    pub(crate) name: &'static str,
    /// One line for `# HELP` and OTLP's description.
    pub(crate) help: &'static str,
    /// UCUM unit for OTLP (`s`, `By`, `1`).
    pub(crate) unit: &'static str,
    /// Counter, gauge or histogram.
    pub(crate) kind: Kind,
    /// Its series.
    pub(crate) samples: Vec<Sample>,
}

/// What the run-level families read besides the stats.
pub(crate) struct RunView<'a> {
    /// The stats now.
    pub(crate) stats: &'a StatsSnapshot,
    /// Users running now.
    pub(crate) users: usize,
    /// The runner's state now.
    pub(crate) state: RunState,
}

/// Label names and values, in a fixed order.
type Labels = Vec<(&'static str, String)>;

/// A family with one or more samples per request row.
struct RowFamily {
    name: &'static str,
    help: &'static str,
    unit: &'static str,
    kind: Kind,
    /// Whether the aggregate row (`name="Aggregated"`) gets series too: only where the
    /// per-row series cannot be summed into it (percentiles).
    aggregate: bool,
    /// The row's values, each with its extra labels.
    read: fn(&EntryStats) -> Vec<(Labels, Value)>,
}

/// A family of the run as a whole.
struct RunFamily {
    name: &'static str,
    help: &'static str,
    unit: &'static str,
    kind: Kind,
    read: fn(&RunView<'_>) -> Vec<Sample>,
}

fn one(value: f64) -> Vec<(Labels, Value)> {
    vec![(Vec::new(), Value::Number(value))]
}

fn plain(value: f64) -> Vec<Sample> {
    vec![Sample {
        labels: Vec::new(),
        value: Value::Number(value),
    }]
}

/// Per (method, name) row. Times are seconds, sizes bytes.
const ROW_FAMILIES: &[RowFamily] = &[
    RowFamily {
        name: "swarm_requests_total",
        help: "Requests completed (failed ones included), per method and name.",
        unit: "1",
        kind: Kind::Counter,
        aggregate: false,
        read: |e| one(e.num_requests as f64),
    },
    RowFamily {
        name: "swarm_request_failures_total",
        help: "Requests that failed, per method and name.",
        unit: "1",
        kind: Kind::Counter,
        aggregate: false,
        read: |e| one(e.num_failures as f64),
    },
    RowFamily {
        name: "swarm_response_bytes_total",
        help: "Response body bytes received, per method and name.",
        unit: "By",
        kind: Kind::Counter,
        aggregate: false,
        read: |e| one(e.total_bytes as f64),
    },
    RowFamily {
        name: "swarm_response_time_seconds",
        help: "Response times since the start, in fixed buckets (HdrHistogram precision).",
        unit: "s",
        kind: Kind::Histogram,
        aggregate: false,
        read: |e| vec![(Vec::new(), Value::Histogram(buckets(e)))],
    },
    RowFamily {
        name: "swarm_response_time_percentile_seconds",
        help: "Exact response-time percentiles since the start (HdrHistogram), by quantile.",
        unit: "s",
        kind: Kind::Gauge,
        aggregate: true,
        read: percentiles,
    },
];

/// The run as a whole.
const RUN_FAMILIES: &[RunFamily] = &[
    RunFamily {
        name: "swarm_users",
        help: "Virtual users running now.",
        unit: "1",
        kind: Kind::Gauge,
        read: |v| plain(v.users as f64),
    },
    RunFamily {
        name: "swarm_run_state",
        help: "1 for the runner's current state, 0 for the others.",
        unit: "1",
        kind: Kind::Gauge,
        read: run_state,
    },
    RunFamily {
        name: "swarm_exceptions_total",
        help: "Errors and panics of hooks and tasks.",
        unit: "1",
        kind: Kind::Counter,
        read: |v| plain(v.stats.exceptions.iter().map(|e| e.count).sum::<u64>() as f64),
    },
    RunFamily {
        name: "swarm_requests_interrupted_total",
        help: "Requests cut off in flight by a stop (in no other series).",
        unit: "1",
        kind: Kind::Counter,
        read: |v| plain(v.stats.interrupted as f64),
    },
    RunFamily {
        name: "swarm_stats_start_time_seconds",
        help: "Unix time the stats started (the test's start or the last reset).",
        unit: "s",
        kind: Kind::Gauge,
        read: |v| plain(v.stats.start_time),
    },
];

const STATES: [RunState; 5] = [
    RunState::Ready,
    RunState::Spawning,
    RunState::Running,
    RunState::Stopping,
    RunState::Stopped,
];

fn run_state(v: &RunView<'_>) -> Vec<Sample> {
    STATES
        .iter()
        .map(|&s| Sample {
            labels: vec![("state", s.as_str().to_owned())],
            value: Value::Number(f64::from(u8::from(s == v.state))),
        })
        .collect()
}

fn percentiles(e: &EntryStats) -> Vec<(Labels, Value)> {
    if e.num_requests == 0 {
        return Vec::new();
    }
    QUANTILES
        .iter()
        .map(|&q| {
            (
                vec![("quantile", q.to_string())],
                Value::Number(e.percentile_us(q) as f64 / 1e6),
            )
        })
        .collect()
}

/// The fixed buckets of a row, from its HdrHistogram (µs) and exact sum.
fn buckets(e: &EntryStats) -> Buckets {
    let mut per = [0u64; BUCKETS_SECONDS.len()];
    for v in e.response_times.iter_recorded() {
        // A value belongs to the first bound at or above its HdrHistogram bucket's floor.
        let secs = e.response_times.lowest_equivalent(v.value_iterated_to()) as f64 / 1e6;
        if let Some(i) = BUCKETS_SECONDS.iter().position(|&b| secs <= b) {
            per[i] += v.count_at_value();
        }
    }
    let mut cumulative = [0u64; BUCKETS_SECONDS.len()];
    let mut running = 0;
    for (c, p) in cumulative.iter_mut().zip(per) {
        running += p;
        *c = running;
    }
    Buckets {
        cumulative,
        count: e.num_requests,
        sum: e.total_response_time_us as f64 / 1e6,
    }
}

/// The (method, name) rows that have their own series; the first [`NAME_CAP`] seen keep
/// theirs for the whole run, so a series never moves into `other` and back.
#[derive(Debug, Default)]
struct Admitted {
    rows: HashSet<(String, String)>,
    warned: bool,
}

/// Builds the families for every output of one run, remembering which names are admitted.
#[derive(Debug)]
pub(crate) struct Exporter {
    cap: usize,
    admitted: std::sync::Mutex<Admitted>,
}

impl Default for Exporter {
    fn default() -> Self {
        Self::with_cap(NAME_CAP)
    }
}

impl Exporter {
    /// An exporter that gives at most `cap` rows their own series.
    pub(crate) fn with_cap(cap: usize) -> Self {
        Self {
            cap,
            admitted: std::sync::Mutex::new(Admitted::default()),
        }
    }

    /// The rows to export: admitted ones as they are, the others summed per method into
    /// `name="other"`.
    fn rows<'a>(&self, stats: &'a StatsSnapshot) -> Vec<Cow<'a, EntryStats>> {
        let mut admitted = lock(&self.admitted);
        let mut out = Vec::with_capacity(stats.entries.len().min(self.cap));
        let mut other: BTreeMap<&str, EntryStats> = BTreeMap::new();
        for e in &stats.entries {
            let key = (e.kind.clone(), e.name.clone());
            let known = admitted.rows.contains(&key);
            if known || admitted.rows.len() < self.cap {
                if !known {
                    admitted.rows.insert(key);
                }
                out.push(Cow::Borrowed(e));
                continue;
            }
            if !admitted.warned {
                admitted.warned = true;
                tracing::warn!(target: "swarm.outputs", "More than {} request names: the metrics show the rest as name=\"{OTHER}\" (group ids in names, e.g. .name(\"/items/[id]\"))", self.cap);
            }
            match other.entry(e.kind.as_str()) {
                Entry::Occupied(mut folded) => merge(folded.get_mut(), e),
                Entry::Vacant(slot) => {
                    let mut first = e.clone();
                    OTHER.clone_into(&mut first.name);
                    slot.insert(first);
                }
            }
        }
        out.extend(other.into_values().map(Cow::Owned));
        out
    }

    /// Every family for the run as `view` shows it.
    pub(crate) fn families(&self, view: &RunView<'_>) -> Vec<Family> {
        let rows = self.rows(view.stats);
        let mut out = Vec::with_capacity(ROW_FAMILIES.len() + RUN_FAMILIES.len());
        for f in ROW_FAMILIES {
            let aggregate = f.aggregate.then_some(&view.stats.total);
            let mut samples = Vec::new();
            for row in rows.iter().map(|r| &**r).chain(aggregate) {
                for (extra, value) in (f.read)(row) {
                    // The aggregate row has no method; an empty label is no label.
                    let mut labels = Vec::with_capacity(3);
                    if !row.kind.is_empty() {
                        labels.push(("method", row.kind.clone()));
                    }
                    labels.push(("name", row.name.clone()));
                    labels.extend(extra);
                    samples.push(Sample { labels, value });
                }
            }
            out.push(Family {
                name: f.name,
                help: f.help,
                unit: f.unit,
                kind: f.kind,
                samples,
            });
        }
        for f in RUN_FAMILIES {
            out.push(Family {
                name: f.name,
                help: f.help,
                unit: f.unit,
                kind: f.kind,
                samples: (f.read)(view),
            });
        }
        out
    }
}

/// Adds `e` into a folded row; histograms add bucket by bucket, so percentiles stay exact.
fn merge(into: &mut EntryStats, e: &EntryStats) {
    if e.num_requests > 0 {
        into.min_response_time_us = match into.num_requests {
            0 => e.min_response_time_us,
            _ => into.min_response_time_us.min(e.min_response_time_us),
        };
    }
    into.num_requests += e.num_requests;
    into.num_failures += e.num_failures;
    into.total_response_time_us = into
        .total_response_time_us
        .saturating_add(e.total_response_time_us);
    into.total_bytes += e.total_bytes;
    into.max_response_time_us = into.max_response_time_us.max(e.max_response_time_us);
    if into.response_times.add(&e.response_times).is_err() {
        tracing::warn!(target: "swarm.outputs", "a folded response-time histogram overflowed");
    }
}

/// The report fixture's stats and their families, with 3 users in `state` (for the
/// encoders' tests).
#[cfg(test)]
pub(crate) fn fixture(state: RunState) -> (StatsSnapshot, Vec<Family>) {
    let stats = crate::report::fixture::stats();
    let families = Exporter::default().families(&RunView {
        stats: &stats,
        users: 3,
        state,
    });
    (stats, families)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use swarm_core::metrics::{Event, Metrics, Outcome};

    fn stats_with(names: usize) -> StatsSnapshot {
        let metrics = Metrics::default();
        let rec = metrics.recorder();
        for i in 0..names {
            let name = format!("/item/{i}");
            rec.record(&Event {
                kind: "GET",
                name: &name,
                response_time: Duration::from_micros(1_000 + i as u64),
                time_to_first_byte: None,
                bytes: 10,
                outcome: if i % 10 == 0 {
                    Outcome::Failure("HTTP 500")
                } else {
                    Outcome::Success
                },
            });
        }
        metrics.snapshot()
    }

    fn view(stats: &StatsSnapshot) -> RunView<'_> {
        RunView {
            stats,
            users: 3,
            state: RunState::Running,
        }
    }

    fn family<'a>(families: &'a [Family], name: &str) -> &'a Family {
        families
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no family {name}"))
    }

    fn number(v: &Value) -> f64 {
        match v {
            Value::Number(n) => *n,
            Value::Histogram(h) => h.count as f64,
        }
    }

    #[test]
    fn names_beyond_the_cap_fold_into_other_and_totals_stay_exact() {
        // (names recorded, cap, series expected, names folded)
        let cases = [
            (5, 10, 5, 0),
            (10, 10, 10, 0),
            (100, 10, 11, 90),
            (10_000, 500, 501, 9_500),
        ];
        for (names, cap, series, folded) in cases {
            let stats = stats_with(names);
            let families = Exporter::with_cap(cap).families(&view(&stats));
            let requests = family(&families, "swarm_requests_total");
            assert_eq!(requests.samples.len(), series, "{names} names, cap {cap}");
            let total: f64 = requests.samples.iter().map(|s| number(&s.value)).sum();
            assert_eq!(total, names as f64);
            let other = requests
                .samples
                .iter()
                .find(|s| s.labels.contains(&("name", OTHER.to_owned())));
            assert_eq!(other.map_or(0.0, |s| number(&s.value)), folded as f64);
            let failures: f64 = family(&families, "swarm_request_failures_total")
                .samples
                .iter()
                .map(|s| number(&s.value))
                .sum();
            assert_eq!(failures, stats.total.num_failures as f64);
            let histogram_count: f64 = family(&families, "swarm_response_time_seconds")
                .samples
                .iter()
                .map(|s| number(&s.value))
                .sum();
            assert_eq!(histogram_count, names as f64);
        }
    }

    #[test]
    fn an_admitted_name_keeps_its_series_when_new_names_sort_before_it() {
        let exporter = Exporter::with_cap(2);
        let metrics = Metrics::default();
        let rec = metrics.recorder();
        let hit = |name: &str| {
            rec.record(&Event {
                kind: "GET",
                name,
                response_time: Duration::from_millis(1),
                time_to_first_byte: None,
                bytes: 0,
                outcome: Outcome::Success,
            });
        };
        hit("/m");
        hit("/n");
        let names = |stats: &StatsSnapshot| -> Vec<String> {
            family(&exporter.families(&view(stats)), "swarm_requests_total")
                .samples
                .iter()
                .map(|s| s.labels[1].1.clone())
                .collect()
        };
        assert_eq!(names(&metrics.snapshot()), ["/m", "/n"]);
        hit("/a");
        assert_eq!(names(&metrics.snapshot()), ["/m", "/n", "other"]);
    }

    #[test]
    fn buckets_are_cumulative_in_seconds() {
        let metrics = Metrics::default();
        let rec = metrics.recorder();
        for ms in [1, 1, 3, 40, 700, 90_000] {
            rec.record(&Event {
                kind: "GET",
                name: "/x",
                response_time: Duration::from_millis(ms),
                time_to_first_byte: None,
                bytes: 0,
                outcome: Outcome::Success,
            });
        }
        let b = buckets(&metrics.snapshot().entries[0]);
        assert_eq!(
            b.cumulative,
            [2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5],
            "≤1ms, ≤2.5ms, ≤5ms, ..., ≤60s"
        );
        assert_eq!(b.count, 6);
        assert!((b.sum - 90.745).abs() < 1e-9, "{}", b.sum);
    }

    #[test]
    fn percentiles_include_the_aggregate_and_states_are_one_hot() {
        let stats = stats_with(3);
        let families = Exporter::default().families(&view(&stats));
        let p = family(&families, "swarm_response_time_percentile_seconds");
        assert_eq!(p.samples.len(), 4 * QUANTILES.len());
        assert!(
            p.samples
                .iter()
                .any(|s| s.labels[0] == ("name", "Aggregated".to_owned())
                    && s.labels[1] == ("quantile", "1".to_owned())
                    && number(&s.value) == 0.001002)
        );
        let states = family(&families, "swarm_run_state");
        let on: Vec<&str> = states
            .samples
            .iter()
            .filter(|s| number(&s.value) == 1.0)
            .map(|s| s.labels[0].1.as_str())
            .collect();
        assert_eq!(on, ["running"]);
    }
}
