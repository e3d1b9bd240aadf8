//! Stages: an arrival rate over time (`--arrival-stages`) and a user count over time
//! (`--stages`), as data with their interpolation. Parsing them is swarm-app's (`values.rs`,
//! the one parser of durations and rates); here they are only numbers.
//!
//! A rate stage goes linearly from `from` to `to` arrivals per second over its duration, so
//! the count of arrivals by time `t` is the integral of the rate, and arrival `k` (from 0)
//! falls where that integral reaches `k`: the first at once, then evenly spaced at a
//! constant rate, closer and closer on a ramp up.

use std::time::Duration;

/// One stage of an arrival rate: linear from `from` to `to` per second over `duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateStage {
    /// How long the stage lasts.
    pub duration: Duration,
    /// Arrivals per second at its start.
    pub from: f64,
    /// Arrivals per second at its end.
    pub to: f64,
}

impl RateStage {
    /// Arrivals in the whole stage (the area under its rate).
    fn count(&self) -> f64 {
        (self.from + self.to) / 2.0 * self.duration.as_secs_f64()
    }

    /// Seconds into the stage at which `x` arrivals (`0 <= x <= count`) have come.
    fn time_of(&self, x: f64) -> f64 {
        let d = self.duration.as_secs_f64();
        let slope = (self.to - self.from) / d;
        // x = from·τ + slope·τ²/2, solved in the form that stays exact when slope is 0 or
        // negative (a ramp down).
        let disc = (self.from * self.from + 2.0 * slope * x).max(0.0);
        let denom = self.from + disc.sqrt();
        if denom <= 0.0 { 0.0 } else { 2.0 * x / denom }
    }

    fn rate_at(&self, secs: f64) -> f64 {
        let d = self.duration.as_secs_f64();
        if d <= 0.0 {
            return self.to;
        }
        self.from + (self.to - self.from) * (secs / d).clamp(0.0, 1.0)
    }
}

/// An arrival rate over time: stages one after another, then either the end of the
/// arrivals or a constant rate for ever (`--arrival-rate`).
#[derive(Debug, Clone, PartialEq)]
pub struct RateSchedule {
    stages: Vec<RateStage>,
    /// Arrivals per second once the stages are over; `None` ends the arrivals there.
    then: Option<f64>,
    /// Arrivals by the start of each stage, and by the end of the last one.
    starts: Vec<f64>,
}

impl RateSchedule {
    /// A constant rate until the test is stopped.
    pub fn constant(per_second: f64) -> Self {
        Self::new(Vec::new(), Some(per_second))
    }

    /// These stages, then the end of the arrivals.
    pub fn stages(stages: Vec<RateStage>) -> Self {
        Self::new(stages, None)
    }

    fn new(stages: Vec<RateStage>, then: Option<f64>) -> Self {
        let mut starts = Vec::with_capacity(stages.len() + 1);
        let mut sum = 0.0;
        for s in &stages {
            starts.push(sum);
            sum += s.count();
        }
        starts.push(sum);
        Self {
            stages,
            then,
            starts,
        }
    }

    /// The stages, in order.
    pub fn stage_list(&self) -> &[RateStage] {
        &self.stages
    }

    /// When arrival `k` (from 0) is due, from the start of the arrivals; `None` when the
    /// schedule ends before it.
    pub fn arrival(&self, k: u64) -> Option<Duration> {
        let k = k as f64;
        let mut offset = 0.0;
        for (i, stage) in self.stages.iter().enumerate() {
            let (start, end) = (self.starts[i], self.starts[i + 1]);
            if k < end && stage.duration > Duration::ZERO {
                return Duration::try_from_secs_f64(offset + stage.time_of(k - start)).ok();
            }
            offset += stage.duration.as_secs_f64();
        }
        let rate = self.then?;
        if !(rate.is_finite() && rate > 0.0) {
            return None;
        }
        let last = self.starts.last().copied().unwrap_or(0.0);
        Duration::try_from_secs_f64(offset + (k - last) / rate).ok()
    }

    /// The target rate (per second) at `elapsed` from the start of the arrivals.
    pub fn rate_at(&self, elapsed: Duration) -> f64 {
        let mut t = elapsed.as_secs_f64();
        for stage in &self.stages {
            let d = stage.duration.as_secs_f64();
            if t < d {
                return stage.rate_at(t);
            }
            t -= d;
        }
        self.then.unwrap_or(0.0)
    }
}

/// One stage of a user count: reach `users` by the end of `duration`, at the implied rate
/// unless one is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UserStage {
    /// How long the stage lasts.
    pub duration: Duration,
    /// Users running at its end.
    pub users: usize,
    /// Users started or stopped per second; `None` is the rate that takes the whole stage.
    pub rate: Option<f64>,
}

/// What a user-count schedule asks for at one moment: the target and the rate to reach it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UserTarget {
    /// Users wanted by the end of the current stage.
    pub users: usize,
    /// Users started or stopped per second to get there in time.
    pub spawn_rate: f64,
}

/// The target of user-count `stages` at `elapsed` from the start (the first stage ramps up
/// from 0); `None` once every stage is over.
pub fn user_target(stages: &[UserStage], elapsed: Duration) -> Option<UserTarget> {
    let mut t = elapsed;
    let mut previous = 0usize;
    for stage in stages {
        if t < stage.duration {
            let change = stage.users.abs_diff(previous) as f64;
            let secs = stage.duration.as_secs_f64();
            // A stage that holds (no change) still needs a valid rate.
            let spawn_rate = match stage.rate {
                Some(rate) => rate,
                None if change == 0.0 || secs <= 0.0 => 1.0,
                None => change / secs,
            };
            return Some(UserTarget {
                users: stage.users,
                spawn_rate: spawn_rate.max(0.001),
            });
        }
        t -= stage.duration;
        previous = stage.users;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn at(schedule: &RateSchedule, k: u64) -> Option<f64> {
        schedule.arrival(k).map(|d| d.as_secs_f64())
    }

    #[test]
    fn constant_rate_is_evenly_spaced() {
        let s = RateSchedule::constant(100.0);
        for k in [0u64, 1, 2, 999, 1000] {
            let t = at(&s, k).unwrap_or(-1.0);
            assert!((t - k as f64 / 100.0).abs() < 1e-9, "arrival {k} at {t}");
        }
    }

    #[test]
    fn a_stage_ends_its_arrivals() {
        let s = RateSchedule::stages(vec![RateStage {
            duration: secs(10.0),
            from: 100.0,
            to: 100.0,
        }]);
        assert!((at(&s, 999).unwrap_or(0.0) - 9.99).abs() < 1e-9);
        assert_eq!(at(&s, 1000), None);
    }

    #[test]
    fn ramps_follow_the_integral_of_the_rate() {
        // 0 -> 100/s over 10 s: 500 arrivals, the n-th at sqrt(n/5) s; then 100/s for 2 s;
        // then 100 -> 0 over 10 s: another 500.
        let s = RateSchedule::stages(vec![
            RateStage {
                duration: secs(10.0),
                from: 0.0,
                to: 100.0,
            },
            RateStage {
                duration: secs(2.0),
                from: 100.0,
                to: 100.0,
            },
            RateStage {
                duration: secs(10.0),
                from: 100.0,
                to: 0.0,
            },
        ]);
        let cases = [
            (0, 0.0),
            (5, 1.0),
            (125, 5.0),
            (499, (499.0f64 / 5.0).sqrt()),
            (500, 10.0),
            (600, 11.0),
            (700, 12.0),
            // 375 into the ramp down: 100τ - 5τ² = 375 at τ = 5.
            (1075, 17.0),
        ];
        for (k, t) in cases {
            let got = at(&s, k).unwrap_or(-1.0);
            assert!(
                (got - t).abs() < 1e-6,
                "arrival {k}: {got} s, expected {t} s"
            );
        }
        assert_eq!(at(&s, 1200), None);
        let rates = [
            (0.0, 0.0),
            (5.0, 50.0),
            (11.0, 100.0),
            (17.0, 50.0),
            (30.0, 0.0),
        ];
        for (t, r) in rates {
            assert!((s.rate_at(secs(t)) - r).abs() < 1e-9, "rate at {t} s");
        }
    }

    #[test]
    fn user_stages_ramp_at_the_implied_rate() {
        let stages = [
            UserStage {
                duration: secs(60.0),
                users: 100,
                rate: None,
            },
            UserStage {
                duration: secs(300.0),
                users: 100,
                rate: None,
            },
            UserStage {
                duration: secs(60.0),
                users: 0,
                rate: Some(5.0),
            },
        ];
        let cases = [
            (0.0, Some((100, 100.0 / 60.0))),
            (59.0, Some((100, 100.0 / 60.0))),
            (60.0, Some((100, 1.0))),
            (370.0, Some((0, 5.0))),
            (420.0, None),
        ];
        for (t, expected) in cases {
            let got = user_target(&stages, secs(t)).map(|u| (u.users, u.spawn_rate));
            assert_eq!(got, expected, "at {t} s");
        }
    }
}
