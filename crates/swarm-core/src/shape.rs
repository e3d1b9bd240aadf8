//! Load shapes for closed runs, as Locust's `LoadTestShape`: a [`Shape`] is asked about once
//! a second, with the time since the start and the stats, for the user count and spawn rate
//! it wants now, or for the end of the test. `--stages` is one ([`UserStages`]).

use crate::metrics::StatsSnapshot;
use crate::stages::{UserStage, user_target};
use crate::{Runner, RunnerError, TestPlan};
use std::time::Duration;
use tokio::time::Instant;

/// What a shape asks for at one tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShapeTick {
    /// Users to run.
    pub users: usize,
    /// Users started or stopped per second on the way there.
    pub spawn_rate: f64,
}

/// A closed run's user count over time; `None` ends the test.
pub trait Shape: Send + 'static {
    /// The target at `elapsed` since the test started, given the stats so far.
    fn tick(&mut self, elapsed: Duration, stats: &StatsSnapshot) -> Option<ShapeTick>;

    /// The most users it will ever ask for, when known before the start. Only a shape that
    /// knows it can run split into segments (each lays the whole plan out for it).
    fn peak_users(&self) -> Option<usize> {
        None
    }
}

/// `--stages`: user counts reached at the end of each stage, ramping at the implied rate.
#[derive(Debug, Clone, PartialEq)]
pub struct UserStages(pub Vec<UserStage>);

impl Shape for UserStages {
    fn tick(&mut self, elapsed: Duration, _: &StatsSnapshot) -> Option<ShapeTick> {
        user_target(&self.0, elapsed).map(|t| ShapeTick {
            users: t.users,
            spawn_rate: t.spawn_rate,
        })
    }

    fn peak_users(&self) -> Option<usize> {
        Some(self.0.iter().map(|s| s.users).max().unwrap_or(0))
    }
}

/// How often a shape is asked.
const SHAPE_EVERY: Duration = Duration::from_secs(1);

impl Runner {
    /// Starts a closed test whose user count follows `shape` (asked every second; its first
    /// answer is the start's target): `plan.users` and `plan.spawn_rate` are taken from it.
    /// The test ends when the shape says so, at `plan.run_time`, or when stopped.
    pub async fn start_shape(
        &self,
        plan: TestPlan,
        mut shape: Box<dyn Shape>,
    ) -> Result<(), RunnerError> {
        // A segment's targets are the whole plan's, laid out once for the peak.
        let peak = match self.segment() {
            Some(segment) => shape
                .peak_users()
                .ok_or(RunnerError::SegmentedShape(segment))?,
            None => 0,
        };
        let started = Instant::now();
        let Some(first) = shape.tick(Duration::ZERO, &self.snapshot()) else {
            return Err(RunnerError::EmptyShape);
        };
        let plan = TestPlan {
            users: first.users,
            spawn_rate: first.spawn_rate,
            ..plan
        };
        let peak = peak.max(plan.users);
        self.start_with(plan, None, peak).await?;
        let Some(token) = self.active_token() else {
            return Ok(());
        };
        let runner = self.clone();
        tokio::spawn(async move {
            let mut last = first;
            let mut ticker = tokio::time::interval_at(started + SHAPE_EVERY, SHAPE_EVERY);
            loop {
                tokio::select! {
                    () = token.cancelled() => return,
                    _ = ticker.tick() => {}
                }
                match shape.tick(started.elapsed(), &runner.snapshot()) {
                    Some(next) if next == last => {}
                    Some(next) => {
                        last = next;
                        if runner.retarget(next.users, next.spawn_rate).is_err() {
                            return;
                        }
                    }
                    None => {
                        tracing::info!(target: "swarm.runner", "The load shape ended, stopping");
                        // In its own task: stopping cancels this one's token.
                        tokio::spawn(async move { runner.stop().await });
                        return;
                    }
                }
            }
        });
        Ok(())
    }
}
