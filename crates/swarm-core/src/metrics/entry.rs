//! The counters and histograms behind one stats row.

use super::{Event, Outcome};
use hdrhistogram::Histogram;
use serde::Serialize;

/// HdrHistogram precision: 3 significant digits, as the brief requires.
pub(crate) const SIGFIG: u8 = 3;

/// A new auto-resizing microsecond histogram (it starts small and grows to the largest value).
pub fn new_histogram() -> Histogram<u64> {
    // `new` only fails for sigfig > 5.
    Histogram::new(SIGFIG).unwrap_or_else(|_| unreachable!("3 significant digits is valid"))
}

/// Counters and histograms of one (kind, name) row, or of the aggregate.
#[derive(Debug, Clone)]
pub(crate) struct EntryData {
    /// Response times in microseconds.
    pub(crate) response_times: Histogram<u64>,
    /// Times to first byte in microseconds, for events that reported one.
    pub(crate) ttfb: Histogram<u64>,
    /// Corrected times in microseconds: from the intended start of the event's task
    /// iteration to its end, for events recorded inside a scheduled iteration.
    pub(crate) corrected: Histogram<u64>,
    /// The exact largest corrected time.
    pub(crate) corrected_max_us: u64,
    pub(crate) num_requests: u64,
    pub(crate) num_failures: u64,
    pub(crate) total_bytes: u64,
    pub(crate) total_response_time_us: u64,
    /// Exact extremes (the histogram only knows them to 3 significant digits).
    pub(crate) min_us: u64,
    pub(crate) max_us: u64,
}

impl Default for EntryData {
    fn default() -> Self {
        Self {
            response_times: new_histogram(),
            ttfb: new_histogram(),
            corrected: new_histogram(),
            corrected_max_us: 0,
            num_requests: 0,
            num_failures: 0,
            total_bytes: 0,
            total_response_time_us: 0,
            min_us: u64::MAX,
            max_us: 0,
        }
    }
}

/// Records into an auto-resizing histogram (it grows to fit); only a value beyond what any
/// histogram can hold is clamped.
fn record(h: &mut Histogram<u64>, value: u64) {
    if h.record(value).is_err() {
        h.saturating_record(value);
    }
}

fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl EntryData {
    /// Records `event`; `corrected` is its time from the intended start of its iteration.
    pub(crate) fn record(&mut self, event: &Event<'_>, corrected: Option<std::time::Duration>) {
        let rt = micros(event.response_time);
        record(&mut self.response_times, rt);
        if let Some(corrected) = corrected {
            // Never below the plain time: the two come from different clocks.
            let c = micros(corrected).max(rt);
            record(&mut self.corrected, c);
            self.corrected_max_us = self.corrected_max_us.max(c);
        }
        if let Some(ttfb) = event.time_to_first_byte {
            record(&mut self.ttfb, micros(ttfb));
        }
        self.num_requests += 1;
        if matches!(event.outcome, Outcome::Failure(_)) {
            self.num_failures += 1;
        }
        self.total_bytes += event.bytes;
        self.total_response_time_us = self.total_response_time_us.saturating_add(rt);
        self.min_us = self.min_us.min(rt);
        self.max_us = self.max_us.max(rt);
    }

    /// Adds another row's data into this one (exact: histograms add bucket by bucket).
    pub(crate) fn merge(&mut self, other: &EntryData) {
        // Both are auto-resizing, so `add` only fails on count overflow; saturate instead.
        if self.response_times.add(&other.response_times).is_err() {
            tracing::warn!("response-time histogram overflowed while merging");
        }
        if self.ttfb.add(&other.ttfb).is_err() {
            tracing::warn!("ttfb histogram overflowed while merging");
        }
        if self.corrected.add(&other.corrected).is_err() {
            tracing::warn!("corrected histogram overflowed while merging");
        }
        self.corrected_max_us = self.corrected_max_us.max(other.corrected_max_us);
        self.num_requests += other.num_requests;
        self.num_failures += other.num_failures;
        self.total_bytes += other.total_bytes;
        self.total_response_time_us = self
            .total_response_time_us
            .saturating_add(other.total_response_time_us);
        self.min_us = self.min_us.min(other.min_us);
        self.max_us = self.max_us.max(other.max_us);
    }
}

/// The percentiles every report shows, as fractions.
pub const REPORT_PERCENTILES: [f64; 11] = [
    0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0,
];

/// One stats row as readers see it: counters, exact percentiles, and the histogram itself.
#[derive(Debug, Clone, Serialize)]
pub struct EntryStats {
    /// Operation kind, e.g. `GET`; empty for the aggregate row.
    pub kind: String,
    /// Display name, or `Aggregated` for the aggregate row.
    pub name: String,
    /// Requests recorded.
    pub num_requests: u64,
    /// Of which failed.
    pub num_failures: u64,
    /// Sum of response times in microseconds (for the average).
    pub total_response_time_us: u64,
    /// Sum of bytes received.
    pub total_bytes: u64,
    /// Exact fastest response in µs (0 when empty).
    pub min_response_time_us: u64,
    /// Exact slowest response in µs.
    pub max_response_time_us: u64,
    /// Requests per second over the recent window.
    pub current_rps: f64,
    /// Failures per second over the recent window.
    pub current_fail_per_sec: f64,
    /// Response-time histogram (microseconds).
    #[serde(skip)]
    pub response_times: Histogram<u64>,
    /// Time-to-first-byte histogram (microseconds).
    #[serde(skip)]
    pub ttfb: Histogram<u64>,
    /// Corrected-time histogram (microseconds): from the intended start of each request's
    /// task iteration to the request's end (empty in unscheduled closed runs).
    #[serde(skip)]
    pub corrected: Histogram<u64>,
    /// Exact largest corrected time in µs.
    pub max_corrected_us: u64,
}

impl EntryStats {
    pub(crate) fn from_data(kind: &str, name: &str, data: &EntryData) -> Self {
        Self {
            kind: kind.to_owned(),
            name: name.to_owned(),
            num_requests: data.num_requests,
            num_failures: data.num_failures,
            total_response_time_us: data.total_response_time_us,
            total_bytes: data.total_bytes,
            min_response_time_us: if data.num_requests == 0 {
                0
            } else {
                data.min_us
            },
            max_response_time_us: data.max_us,
            current_rps: 0.0,
            current_fail_per_sec: 0.0,
            response_times: data.response_times.clone(),
            ttfb: data.ttfb.clone(),
            corrected: data.corrected.clone(),
            max_corrected_us: data.corrected_max_us,
        }
    }

    /// Adds `from` (another row's or another run's stats) into this row: counts and sums
    /// add, min and max stay exact, and every histogram adds bucket by bucket, so
    /// percentiles of the sum are exact too (never an average of percentiles). The one
    /// row addition: report merges and the outputs' folded names both use it.
    pub fn add(&mut self, from: &EntryStats) {
        for (into, h) in [
            (&mut self.response_times, &from.response_times),
            (&mut self.ttfb, &from.ttfb),
            (&mut self.corrected, &from.corrected),
        ] {
            into.auto(true);
            // Auto-resizing, so `add` only fails when a count would overflow u64.
            if into.add(h).is_err() {
                tracing::warn!(target: "swarm.metrics", "a histogram overflowed while adding rows");
            }
        }
        if from.num_requests > 0 {
            self.min_response_time_us = if self.num_requests == 0 {
                from.min_response_time_us
            } else {
                self.min_response_time_us.min(from.min_response_time_us)
            };
        }
        self.max_response_time_us = self.max_response_time_us.max(from.max_response_time_us);
        self.max_corrected_us = self.max_corrected_us.max(from.max_corrected_us);
        self.num_requests += from.num_requests;
        self.num_failures += from.num_failures;
        self.total_response_time_us = self
            .total_response_time_us
            .saturating_add(from.total_response_time_us);
        self.total_bytes += from.total_bytes;
        self.current_rps += from.current_rps;
        self.current_fail_per_sec += from.current_fail_per_sec;
    }

    /// The corrected time (µs) at quantile `q`, 0 when none was recorded; never above the
    /// exact corrected maximum.
    pub fn corrected_percentile_us(&self, q: f64) -> u64 {
        if self.corrected.is_empty() {
            return 0;
        }
        self.corrected
            .value_at_quantile(q.clamp(0.0, 1.0))
            .min(self.max_corrected_us)
    }

    /// Whether any corrected time was recorded in this row.
    pub fn has_corrected(&self) -> bool {
        !self.corrected.is_empty()
    }

    /// The response time (µs) at quantile `q` in `0.0..=1.0`, 0 when empty. HdrHistogram's
    /// answer is exact to 3 significant digits, and never above the exact maximum.
    pub fn percentile_us(&self, q: f64) -> u64 {
        if self.response_times.is_empty() {
            return 0;
        }
        self.response_times
            .value_at_quantile(q.clamp(0.0, 1.0))
            .min(self.max_response_time_us)
    }

    /// The median response time in µs.
    pub fn median_us(&self) -> u64 {
        self.percentile_us(0.5)
    }

    /// The exact smallest response time in µs (0 when empty).
    pub fn min_us(&self) -> u64 {
        self.min_response_time_us
    }

    /// The exact largest response time in µs.
    pub fn max_us(&self) -> u64 {
        self.max_response_time_us
    }

    /// The mean response time in µs, from the exact sum (not the histogram).
    pub fn avg_us(&self) -> f64 {
        if self.num_requests == 0 {
            0.0
        } else {
            self.total_response_time_us as f64 / self.num_requests as f64
        }
    }

    /// The mean payload size in bytes.
    pub fn avg_bytes(&self) -> f64 {
        if self.num_requests == 0 {
            0.0
        } else {
            self.total_bytes as f64 / self.num_requests as f64
        }
    }

    /// Failures as a fraction of requests.
    pub fn fail_ratio(&self) -> f64 {
        if self.num_requests == 0 {
            0.0
        } else {
            self.num_failures as f64 / self.num_requests as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Event, Outcome};
    use std::time::Duration;

    fn row(us: u64, corrected_us: Option<u64>) -> EntryStats {
        let mut data = EntryData::default();
        data.record(
            &Event {
                kind: "GET",
                name: "/a",
                response_time: Duration::from_micros(us),
                time_to_first_byte: None,
                bytes: 10,
                outcome: Outcome::Success,
            },
            corrected_us.map(Duration::from_micros),
        );
        EntryStats::from_data("GET", "/a", &data)
    }

    /// Regression: the report merge's own row addition forgot the corrected maximum.
    #[test]
    fn adding_rows_keeps_every_exact_figure() {
        let mut sum = row(500, Some(900));
        sum.add(&row(40_000_000, Some(45_000_000)));
        sum.add(&row(200, None));
        assert_eq!(sum.num_requests, 3);
        assert_eq!((sum.min_us(), sum.max_us()), (200, 40_000_000));
        assert_eq!(sum.max_corrected_us, 45_000_000);
        assert_eq!(sum.response_times.len(), 3);
        assert_eq!(sum.corrected.len(), 2);
        assert_eq!(sum.total_bytes, 30);
        assert_eq!(sum.percentile_us(1.0), 40_000_000);
    }
}
