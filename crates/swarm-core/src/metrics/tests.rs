//! Unit tests of recording, merging and percentiles.

use super::*;
use std::time::Duration;

fn event(us: u64, outcome: Outcome<'_>) -> Event<'_> {
    Event {
        kind: "GET",
        name: "/x",
        response_time: Duration::from_micros(us),
        time_to_first_byte: Some(Duration::from_micros(us / 2)),
        bytes: 10,
        outcome,
    }
}

/// The exact nearest-rank percentile of sorted samples.
fn exact(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Reported percentiles agree with the exact ones within HdrHistogram's stated precision
/// (3 significant digits: 0.1% relative). Locust's bucket rounding (e.g. 1234 ms reported as
/// 1200 ms) fails this bound.
#[test]
fn percentiles_match_exact_values_within_hdr_precision() {
    let metrics = Metrics::default();
    let rec = metrics.recorder();
    // A skewed set: 10k samples from 37 µs to ~1.7 s, plus outliers.
    let mut samples: Vec<u64> = (0..10_000u64)
        .map(|i| 37 + (i * i * 17) % 1_700_000)
        .collect();
    samples.extend([2_500_000, 3_100_000, 9_999_999]);
    for &s in &samples {
        rec.record(&event(s, Outcome::Success));
    }
    samples.sort_unstable();
    let snap = metrics.snapshot();
    let e = &snap.entries[0];
    for q in [0.5, 0.9, 0.95, 0.99, 0.999] {
        let want = exact(&samples, q) as f64;
        let got = e.percentile_us(q) as f64;
        assert!(
            (got - want).abs() <= want * 0.001 + 1.0,
            "p{q}: got {got}, exact {want}"
        );
    }
    assert_eq!(e.max_us(), 9_999_999, "max is exact");
    assert_eq!(e.min_us(), 37, "min is exact");
    assert_eq!(e.num_requests, samples.len() as u64);
    let sum: u64 = samples.iter().sum();
    assert!((e.avg_us() - sum as f64 / samples.len() as f64).abs() < 1e-6);
    assert!(e.percentile_us(0.99) <= e.max_us());
}

#[test]
fn shards_of_many_threads_merge_exactly() {
    let metrics = Metrics::default();
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let rec = metrics.recorder();
            s.spawn(move || {
                for i in 0..1000u64 {
                    let outcome = if i % 10 == 0 {
                        Outcome::Failure("HTTP 500")
                    } else {
                        Outcome::Success
                    };
                    rec.record(&event(100 + t, outcome));
                }
            });
        }
    });
    let snap = metrics.snapshot();
    assert_eq!(snap.total.num_requests, 4000);
    assert_eq!(snap.total.num_failures, 400);
    assert_eq!(snap.total.total_bytes, 40_000);
    assert_eq!(snap.failures.len(), 1);
    assert_eq!(snap.failures[0].occurrences, 400);
    assert_eq!(snap.total.ttfb.len(), 4000);
}

#[test]
fn rows_group_by_kind_and_name_and_reset_clears() {
    let metrics = Metrics::default();
    let rec = metrics.recorder();
    for (kind, name) in [("GET", "/a"), ("GET", "/b"), ("PUT", "/a"), ("GET", "/a")] {
        rec.record(&Event {
            kind,
            name,
            response_time: Duration::from_millis(1),
            time_to_first_byte: None,
            bytes: 0,
            outcome: Outcome::Success,
        });
    }
    rec.record_exception("boom", "task x");
    rec.record_exception("boom", "task y");
    let snap = metrics.snapshot();
    let rows: Vec<(&str, &str, u64)> = snap
        .entries
        .iter()
        .map(|e| (e.kind.as_str(), e.name.as_str(), e.num_requests))
        .collect();
    assert_eq!(rows, [("GET", "/a", 2), ("PUT", "/a", 1), ("GET", "/b", 1)]);
    assert_eq!(snap.exceptions[0].count, 2);
    assert_eq!(snap.exceptions[0].context, "task x");
    metrics.reset();
    let snap = metrics.snapshot();
    assert!(snap.entries.is_empty() && snap.exceptions.is_empty() && snap.history.is_empty());
}

#[tokio::test(start_paused = true)]
async fn history_rows_and_current_rps_over_the_window() {
    let metrics = Metrics::new(Duration::from_secs(10));
    let rec = metrics.recorder();
    for _ in 0..20 {
        for _ in 0..50 {
            rec.record(&event(1000, Outcome::Success));
        }
        tokio::time::advance(Duration::from_secs(1)).await;
        metrics.tick(3);
    }
    let snap = metrics.snapshot();
    // 50 per second, steadily: the window rate is exactly 50.
    assert!(
        (snap.total.current_rps - 50.0).abs() < 1e-9,
        "{}",
        snap.total.current_rps
    );
    let agg: Vec<_> = snap.aggregate_history().collect();
    assert_eq!(agg.len(), 20);
    assert_eq!(agg[19].total_requests, 1000);
    assert_eq!(agg[19].user_count, 3);
    assert_eq!(agg[19].window_percentiles_us[0], 1000);
}

#[tokio::test(start_paused = true)]
async fn history_keeps_entry_rows_only_when_asked_and_snapshots_share_it() {
    for (entry_history, rows_per_tick) in [(false, 1), (true, 3)] {
        let metrics = Metrics::with_history(Duration::from_secs(10), entry_history);
        let rec = metrics.recorder();
        // (kind, name) order would put GET /b first; Locust's (name, kind) puts PUT /a first.
        for (kind, name) in [("PUT", "/a"), ("GET", "/b")] {
            rec.record(&Event {
                kind,
                name,
                ..event(1000, Outcome::Success)
            });
        }
        for _ in 0..5 {
            tokio::time::advance(Duration::from_secs(1)).await;
            metrics.tick(1);
        }
        let (a, b) = (metrics.snapshot(), metrics.snapshot());
        assert_eq!(
            a.history.len(),
            5 * rows_per_tick,
            "entry_history={entry_history}"
        );
        // A long run's history is shared by snapshots, never copied per poll.
        assert!(std::sync::Arc::ptr_eq(&a.history, &b.history));
        // Each sample's rows in Locust's order: entries by name then kind, the aggregate last.
        let names: Vec<&str> = a.history[..rows_per_tick]
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        let want: &[&str] = if entry_history {
            &["/a", "/b", "Aggregated"]
        } else {
            &["Aggregated"]
        };
        assert_eq!(names, want);
    }
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Locust 2.47 keeps `first_seen`/`last_seen` per failure group and merges workers' groups
/// with min/max (stats.py, `on_worker_report`); swarm's shards merge the same way.
#[test]
fn failure_groups_keep_first_and_last_seen_merged_over_shards() {
    let metrics = Metrics::default();
    let (before, middle, after) = (unix_now(), Mutex::new(0.0), Mutex::new(0.0));
    // Both threads stay alive until both recorded, so their shards are distinct.
    let (early_done, late_done) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
    let rec = metrics.recorder();
    std::thread::scope(|s| {
        s.spawn(|| {
            rec.record(&event(100, Outcome::Failure("HTTP 500")));
            early_done.wait();
            late_done.wait();
        });
        s.spawn(|| {
            early_done.wait();
            std::thread::sleep(Duration::from_millis(20));
            *lock(&middle) = unix_now();
            rec.record(&event(100, Outcome::Failure("HTTP 500")));
            rec.record(&event(100, Outcome::Failure("HTTP 500")));
            *lock(&after) = unix_now();
            rec.record(&event(100, Outcome::Success));
            late_done.wait();
        });
    });
    let (middle, after) = (*lock(&middle), *lock(&after));
    assert_eq!(metrics.inner.shards.iter().count(), 2, "two shards merged");
    let snap = metrics.snapshot();
    assert_eq!(snap.failures.len(), 1);
    let f = &snap.failures[0];
    assert_eq!(f.occurrences, 3);
    let (first, last) = (f.first_seen.unwrap_or(0.0), f.last_seen.unwrap_or(0.0));
    assert!(
        before <= first && first < middle,
        "first {first} in [{before}, {middle})"
    );
    assert!(
        middle <= last && last <= after,
        "last {last} in [{middle}, {after}]"
    );
    metrics.reset();
    assert!(metrics.snapshot().failures.is_empty());
}
