//! The one model every output encodes: metric families built from a [`StatsSnapshot`] by two
//! tables (per request row, per run), with request names kept bounded. The Prometheus text,
//! remote-write and OTLP encoders only translate these families; a new series is one entry
//! in [`ROW_FAMILIES`] or [`RUN_FAMILIES`]. The open model's families (corrected times,
//! iterations, arrival rates, pool) have a `when` that keeps them out of runs without it, so
//! a closed run's series are the same as before the open model.

use hdrhistogram::Histogram;
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
    /// Whether the run has this family at all.
    when: fn(&StatsSnapshot) -> bool,
    /// The row's values, each with its extra labels.
    read: fn(&EntryStats) -> Vec<(Labels, Value)>,
}

/// A family of the run as a whole.
struct RunFamily {
    name: &'static str,
    help: &'static str,
    unit: &'static str,
    kind: Kind,
    /// Whether the run has this family at all.
    when: fn(&StatsSnapshot) -> bool,
    read: fn(&RunView<'_>) -> Vec<Sample>,
}

/// Every run has the family.
fn always(_: &StatsSnapshot) -> bool {
    true
}

/// An arrival-rate run (`--arrival-rate`, `--arrival-stages`).
fn arrival(s: &StatsSnapshot) -> bool {
    s.open.arrival
}

/// A run with scheduled iterations: an arrival-rate run, or paced waits.
fn scheduled(s: &StatsSnapshot) -> bool {
    s.open.arrival || !s.tasks.is_empty()
}

/// A run with corrected times (from the intended start of scheduled iterations).
fn corrected(s: &StatsSnapshot) -> bool {
    s.total.has_corrected()
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
        when: always,
        read: |e| one(e.num_requests as f64),
    },
    RowFamily {
        name: "swarm_request_failures_total",
        help: "Requests that failed, per method and name.",
        unit: "1",
        kind: Kind::Counter,
        aggregate: false,
        when: always,
        read: |e| one(e.num_failures as f64),
    },
    RowFamily {
        name: "swarm_response_bytes_total",
        help: "Response body bytes received, per method and name.",
        unit: "By",
        kind: Kind::Counter,
        aggregate: false,
        when: always,
        read: |e| one(e.total_bytes as f64),
    },
    RowFamily {
        name: "swarm_response_time_seconds",
        help: "Response times since the start, in fixed buckets (HdrHistogram precision).",
        unit: "s",
        kind: Kind::Histogram,
        aggregate: false,
        when: always,
        read: |e| {
            let sum = e.total_response_time_us as f64 / 1e6;
            let b = buckets(&e.response_times, e.num_requests, sum);
            vec![(Vec::new(), Value::Histogram(b))]
        },
    },
    RowFamily {
        name: "swarm_response_time_percentile_seconds",
        help: "Exact response-time percentiles since the start (HdrHistogram), by quantile.",
        unit: "s",
        kind: Kind::Gauge,
        aggregate: true,
        when: always,
        read: percentiles,
    },
    RowFamily {
        name: "swarm_corrected_response_time_seconds",
        help: "Response times from the intended start of their iteration (coordinated omission corrected), in fixed buckets.",
        unit: "s",
        kind: Kind::Histogram,
        aggregate: false,
        when: corrected,
        read: |e| {
            if !e.has_corrected() {
                return Vec::new();
            }
            let h = &e.corrected;
            // No exact sum of corrected times is kept: the HdrHistogram's mean stands in.
            let sum = h.mean() * h.len() as f64 / 1e6;
            vec![(Vec::new(), Value::Histogram(buckets(h, h.len(), sum)))]
        },
    },
    RowFamily {
        name: "swarm_corrected_response_time_percentile_seconds",
        help: "Exact corrected response-time percentiles since the start (HdrHistogram), by quantile.",
        unit: "s",
        kind: Kind::Gauge,
        aggregate: true,
        when: corrected,
        read: corrected_percentiles,
    },
];

/// The run as a whole.
const RUN_FAMILIES: &[RunFamily] = &[
    RunFamily {
        name: "swarm_users",
        help: "Virtual users running now.",
        unit: "1",
        kind: Kind::Gauge,
        when: always,
        read: |v| plain(v.users as f64),
    },
    RunFamily {
        name: "swarm_run_state",
        help: "1 for the runner's current state, 0 for the others.",
        unit: "1",
        kind: Kind::Gauge,
        when: always,
        read: run_state,
    },
    RunFamily {
        name: "swarm_exceptions_total",
        help: "Errors and panics of hooks and tasks.",
        unit: "1",
        kind: Kind::Counter,
        when: always,
        read: |v| plain(v.stats.exceptions.iter().map(|e| e.count).sum::<u64>() as f64),
    },
    RunFamily {
        name: "swarm_requests_interrupted_total",
        help: "Requests cut off in flight by a stop (in no other series).",
        unit: "1",
        kind: Kind::Counter,
        when: always,
        read: |v| plain(v.stats.interrupted as f64),
    },
    RunFamily {
        name: "swarm_stats_start_time_seconds",
        help: "Unix time the stats started (the test's start or the last reset).",
        unit: "s",
        kind: Kind::Gauge,
        when: always,
        read: |v| plain(v.stats.start_time),
    },
    RunFamily {
        name: "swarm_iterations_started_total",
        help: "Arrivals handed to a pool user since the start (arrival-rate runs).",
        unit: "1",
        kind: Kind::Counter,
        when: arrival,
        read: |v| plain(v.stats.open.iterations_started as f64),
    },
    RunFamily {
        name: "swarm_dropped_iterations_total",
        help: "Arrivals that found no free user even at --max-users: never run (arrival-rate runs).",
        unit: "1",
        kind: Kind::Counter,
        when: arrival,
        read: |v| plain(v.stats.open.dropped_iterations as f64),
    },
    RunFamily {
        name: "swarm_late_iterations_total",
        help: "Scheduled iterations that started more than one period after their intended start.",
        unit: "1",
        kind: Kind::Counter,
        when: scheduled,
        read: |v| plain(v.stats.open.late_iterations as f64),
    },
    RunFamily {
        name: "swarm_arrival_rate_target",
        help: "Arrivals per second asked for now (arrival-rate runs).",
        unit: "1/s",
        kind: Kind::Gauge,
        when: arrival,
        read: |v| plain(v.stats.open.target_rate),
    },
    RunFamily {
        name: "swarm_arrival_rate_achieved",
        help: "Iterations started per second over the recent window (arrival-rate runs).",
        unit: "1/s",
        kind: Kind::Gauge,
        when: arrival,
        read: |v| plain(v.stats.open.achieved_rate),
    },
    RunFamily {
        name: "swarm_pool_users",
        help: "Users in the arrival-rate pool now (starting, busy or free).",
        unit: "1",
        kind: Kind::Gauge,
        when: arrival,
        read: |v| plain(v.stats.open.pool_size as f64),
    },
    RunFamily {
        name: "swarm_pool_busy_users",
        help: "Pool users running an iteration now (arrival-rate runs).",
        unit: "1",
        kind: Kind::Gauge,
        when: arrival,
        read: |v| plain(v.stats.open.busy_users as f64),
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
    quantiles(e.num_requests > 0, |q| e.percentile_us(q))
}

fn corrected_percentiles(e: &EntryStats) -> Vec<(Labels, Value)> {
    quantiles(e.has_corrected(), |q| e.corrected_percentile_us(q))
}

/// One gauge per quantile of [`QUANTILES`], from `at` (µs); none for a row without times.
fn quantiles(any: bool, at: impl Fn(f64) -> u64) -> Vec<(Labels, Value)> {
    if !any {
        return Vec::new();
    }
    QUANTILES
        .iter()
        .map(|&q| {
            (
                vec![("quantile", q.to_string())],
                Value::Number(at(q) as f64 / 1e6),
            )
        })
        .collect()
}

/// The fixed buckets of an HdrHistogram (µs) of `count` observations summing to `sum`
/// seconds.
fn buckets(h: &Histogram<u64>, count: u64, sum: f64) -> Buckets {
    let mut per = [0u64; BUCKETS_SECONDS.len()];
    for v in h.iter_recorded() {
        // A value belongs to the first bound at or above its HdrHistogram bucket's floor.
        let secs = h.lowest_equivalent(v.value_iterated_to()) as f64 / 1e6;
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
        count,
        sum,
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
                Entry::Occupied(mut folded) => folded.get_mut().add(e),
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
        for f in ROW_FAMILIES.iter().filter(|f| (f.when)(view.stats)) {
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
        for f in RUN_FAMILIES.iter().filter(|f| (f.when)(view.stats)) {
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

/// The report fixture as an arrival-rate run: every row's corrected times are its plain
/// times plus one of 2 s (a stall the plain times hide), with the open model's counters set.
#[cfg(test)]
pub(crate) fn open_fixture() -> (StatsSnapshot, Vec<Family>) {
    let mut stats = crate::report::fixture::stats();
    for e in stats
        .entries
        .iter_mut()
        .chain(std::iter::once(&mut stats.total))
    {
        e.corrected = e.response_times.clone();
        e.corrected.record(2_000_000).expect("in range");
        e.max_corrected_us = 2_000_000;
    }
    stats.open = swarm_core::metrics::OpenStats {
        arrival: true,
        target_rate: 50.0,
        achieved_rate: 48.5,
        iterations_started: 140,
        dropped_iterations: 7,
        late_iterations: 3,
        pool_size: 4,
        busy_users: 2,
        max_users: 10,
    };
    let families = Exporter::default().families(&RunView {
        stats: &stats,
        users: 4,
        state: RunState::Running,
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
        let e = &metrics.snapshot().entries[0];
        let b = buckets(
            &e.response_times,
            e.num_requests,
            e.total_response_time_us as f64 / 1e6,
        );
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

    #[test]
    fn the_open_models_families_appear_only_in_runs_that_have_them() {
        const OPEN: [&str; 9] = [
            "swarm_corrected_response_time_seconds",
            "swarm_corrected_response_time_percentile_seconds",
            "swarm_iterations_started_total",
            "swarm_dropped_iterations_total",
            "swarm_late_iterations_total",
            "swarm_arrival_rate_target",
            "swarm_arrival_rate_achieved",
            "swarm_pool_users",
            "swarm_pool_busy_users",
        ];
        let (_, closed) = fixture(RunState::Running);
        let (open, arrival) = open_fixture();
        // Paced waits: corrected times and late iterations, but no arrivals.
        let mut paced = open.clone();
        paced.open.arrival = false;
        paced.tasks = vec![swarm_core::metrics::TaskStats {
            user_type: "U".into(),
            name: "t".into(),
            iterations: 3,
            late: 1,
            durations: open.total.corrected.clone(),
            corrected: open.total.corrected.clone(),
        }];
        let paced = Exporter::default().families(&view(&paced));
        // (families, the open ones expected)
        let cases: [(&[Family], &[&str]); 3] = [
            (&closed, &[]),
            (&arrival, &OPEN),
            (&paced, &[OPEN[0], OPEN[1], OPEN[4]]),
        ];
        for (families, want) in cases {
            let got: Vec<&str> = families
                .iter()
                .map(|f| f.name)
                .filter(|n| OPEN.contains(n))
                .collect();
            assert_eq!(got, want);
        }
        let value = |name: &str| number(&family(&arrival, name).samples[0].value);
        assert_eq!(value("swarm_iterations_started_total"), 140.0);
        assert_eq!(value("swarm_dropped_iterations_total"), 7.0);
        assert_eq!(value("swarm_late_iterations_total"), 3.0);
        assert_eq!(value("swarm_arrival_rate_target"), 50.0);
        assert_eq!(value("swarm_arrival_rate_achieved"), 48.5);
        assert_eq!(value("swarm_pool_users"), 4.0);
        assert_eq!(value("swarm_pool_busy_users"), 2.0);
        // The corrected histogram counts the corrected times, and the exact p100 is the
        // 2 s each row's iterations waited; the aggregate row has percentiles too.
        let histogram = family(&arrival, "swarm_corrected_response_time_seconds");
        let count: f64 = histogram.samples.iter().map(|s| number(&s.value)).sum();
        let rows: u64 = open.entries.iter().map(|e| e.corrected.len()).sum();
        assert_eq!(count, rows as f64);
        let p = family(&arrival, "swarm_corrected_response_time_percentile_seconds");
        assert_eq!(p.samples.len(), (open.entries.len() + 1) * QUANTILES.len());
        assert!(
            p.samples
                .iter()
                .any(|s| s.labels[0] == ("name", "Aggregated".to_owned())
                    && s.labels[1] == ("quantile", "1".to_owned())
                    && number(&s.value) == 2.0)
        );
    }

    #[test]
    fn folded_rows_keep_their_corrected_times() {
        let (open, _) = open_fixture();
        let families = Exporter::with_cap(0).families(&view(&open));
        let histogram = family(&families, "swarm_corrected_response_time_seconds");
        let names: Vec<&str> = histogram
            .samples
            .iter()
            .map(|s| s.labels[1].1.as_str())
            .collect();
        assert_eq!(names, [OTHER, OTHER], "one per method");
        let count: f64 = histogram.samples.iter().map(|s| number(&s.value)).sum();
        let rows: u64 = open.entries.iter().map(|e| e.corrected.len()).sum();
        assert_eq!(count, rows as f64);
    }
}
