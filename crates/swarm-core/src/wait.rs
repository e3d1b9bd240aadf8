//! Wait times between a user's tasks, as in Locust (`constant`, `between`, `constant_pacing`,
//! `constant_throughput`).

use rand::Rng;
use std::time::Duration;
use tokio::time::Instant;

/// How long a user waits between two tasks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Wait {
    /// No wait: the next task starts as soon as the last one ends.
    None,
    /// The same pause after every task.
    Constant(Duration),
    /// A pause drawn uniformly from `[min, max]` after every task.
    Between(Duration, Duration),
    /// Task starts `period` apart, whatever each task's length (no wait when a task overruns).
    ConstantPacing(Duration),
    /// `n` task starts per second per user: pacing at `1/n` seconds.
    ConstantThroughput(f64),
}

impl Wait {
    /// A constant pause.
    pub const fn constant(d: Duration) -> Self {
        Self::Constant(d)
    }

    /// A uniformly random pause between `min` and `max`.
    pub const fn between(min: Duration, max: Duration) -> Self {
        Self::Between(min, max)
    }

    /// One task start every `period`.
    pub const fn constant_pacing(period: Duration) -> Self {
        Self::ConstantPacing(period)
    }

    /// `per_second` task starts per second.
    pub const fn constant_throughput(per_second: f64) -> Self {
        Self::ConstantThroughput(per_second)
    }

    /// The pacing period, for the kinds that have one.
    pub fn period(&self) -> Option<Duration> {
        match *self {
            Self::ConstantPacing(p) => Some(p),
            Self::ConstantThroughput(n) if n > 0.0 && n.is_finite() => {
                Some(Duration::from_secs_f64(1.0 / n))
            }
            // A non-positive throughput means "never again": an hour-long period is as good.
            Self::ConstantThroughput(_) => Some(Duration::from_secs(3600)),
            _ => None,
        }
    }

    /// A random offset before a paced user's first task, so users spawned together do not
    /// fire together (Locust's burst problem); zero for unpaced kinds.
    pub fn initial_phase(&self, rng: &mut impl Rng) -> Duration {
        match self.period() {
            Some(p) if !p.is_zero() => p.mul_f64(rng.random::<f64>()),
            _ => Duration::ZERO,
        }
    }

    /// When the next task starts, given when the last was scheduled to start and when it ended.
    pub fn next_start(&self, scheduled: Instant, ended: Instant, rng: &mut impl Rng) -> Instant {
        match *self {
            Self::None => ended,
            Self::Constant(d) => ended + d,
            Self::Between(min, max) => {
                let (lo, hi) = if min <= max { (min, max) } else { (max, min) };
                ended + lo + (hi - lo).mul_f64(rng.random::<f64>())
            }
            Self::ConstantPacing(_) | Self::ConstantThroughput(_) => {
                let period = self.period().unwrap_or_default();
                (scheduled + period).max(ended)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    #[test]
    fn next_start_by_kind() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut rng = SmallRng::seed_from_u64(1);
        let cases = [
            (Wait::None, ms(300), ms(300)),
            (Wait::constant(ms(1000)), ms(300), ms(1300)),
            (Wait::constant_pacing(ms(1000)), ms(300), ms(1000)),
            (Wait::constant_pacing(ms(1000)), ms(1500), ms(1500)),
            (Wait::constant_throughput(4.0), ms(100), ms(250)),
        ];
        for (wait, task_len, expected) in cases {
            assert_eq!(
                wait.next_start(t0, t0 + task_len, &mut rng) - t0,
                expected,
                "{wait:?}"
            );
        }
    }

    #[test]
    fn between_stays_in_bounds() {
        let t0 = Instant::now();
        let mut rng = SmallRng::seed_from_u64(3);
        let w = Wait::between(Duration::from_millis(100), Duration::from_millis(200));
        for _ in 0..1000 {
            let d = w.next_start(t0, t0, &mut rng) - t0;
            assert!((Duration::from_millis(100)..=Duration::from_millis(200)).contains(&d));
        }
    }
}
