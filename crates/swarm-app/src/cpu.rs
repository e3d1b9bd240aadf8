//! The generator watches itself: when its own CPU use stays above a limit (90% of its worker
//! threads) it warns once that the numbers now measure swarm, not the target, as Locust does.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Samples in a row above the limit before the warning.
const SUSTAINED: u32 = 3;

/// Decides, from successive CPU samples, when the generator is saturated.
#[derive(Debug, Clone)]
pub(crate) struct Detector {
    limit: f64,
    above: u32,
    warned: bool,
}

impl Detector {
    /// Warns once the busy share (0.0–1.0 of capacity) exceeds `limit` for a few samples.
    pub(crate) fn new(limit: f64) -> Self {
        Self {
            limit,
            above: 0,
            warned: false,
        }
    }

    /// Feeds one sample; `true` exactly once, when the warning is due.
    pub(crate) fn sample(&mut self, busy_share: f64) -> bool {
        if busy_share > self.limit {
            self.above += 1;
        } else {
            self.above = 0;
        }
        if self.above >= SUSTAINED && !self.warned {
            self.warned = true;
            return true;
        }
        false
    }
}

/// The warning text, for the log and the reports.
pub(crate) fn warning(threads: usize, limit_pct: f64) -> String {
    format!(
        "swarm's own CPU use stayed above {limit_pct:.0}% of its {threads} worker thread(s): the numbers now measure swarm, not the target (use fewer users, more --threads, or more machines)"
    )
}

/// Samples the process CPU every `every` until the task is dropped; on sustained saturation
/// logs one warning and appends it to `warnings`.
pub(crate) async fn watch(
    threads: usize,
    limit_pct: f64,
    every: Duration,
    warnings: Arc<Mutex<Vec<String>>>,
) {
    let mut detector = Detector::new(limit_pct / 100.0);
    let mut last = (Instant::now(), swarm_core::metrics::process_cpu_time());
    let mut ticker = tokio::time::interval(every);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let now = (Instant::now(), swarm_core::metrics::process_cpu_time());
        let (Some(before), Some(after)) = (last.1, now.1) else {
            // No /proc: nothing to watch.
            return;
        };
        let wall = now.0.duration_since(last.0).as_secs_f64() * threads.max(1) as f64;
        let share = if wall > 0.0 {
            after.saturating_sub(before).as_secs_f64() / wall
        } else {
            0.0
        };
        last = now;
        if detector.sample(share) {
            let text = warning(threads, limit_pct);
            tracing::warn!(target: "swarm.main", "{text}");
            swarm_core::lock(&warnings).push(text);
        }
    }
}

/// The generator's warnings so far, shared with the reports.
pub(crate) type Warnings = Arc<Mutex<Vec<String>>>;

/// The warnings so far, copied out for a report.
pub(crate) fn snapshot(warnings: &Warnings) -> Vec<String> {
    swarm_core::lock(warnings).clone()
}

/// Starts watching this process's CPU for a run with `args`' thread count and limits; returns
/// where warnings land and the watcher task (abort it when the run ends).
pub(crate) fn spawn_watch(args: &crate::cli::RunArgs) -> (Warnings, tokio::task::JoinHandle<()>) {
    let warnings: Warnings = Arc::new(Mutex::new(Vec::new()));
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let watcher = tokio::spawn(watch(
        threads,
        args.cpu_warn_percent,
        args.cpu_sample_interval.max(Duration::from_millis(100)),
        Arc::clone(&warnings),
    ));
    (warnings, watcher)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_once_after_sustained_saturation() {
        let cases: [(&[f64], &[bool]); 4] = [
            (&[0.95, 0.95, 0.95], &[false, false, true]),
            (&[0.95, 0.5, 0.95, 0.95], &[false, false, false, false]),
            (
                &[0.99, 0.99, 0.99, 0.99, 0.2, 0.99, 0.99, 0.99],
                &[false, false, true, false, false, false, false, false],
            ),
            (&[0.9, 0.9, 0.9], &[false, false, false]),
        ];
        for (samples, want) in cases {
            let mut d = Detector::new(0.9);
            let got: Vec<bool> = samples.iter().map(|&s| d.sample(s)).collect();
            assert_eq!(got, want, "{samples:?}");
        }
    }
}
