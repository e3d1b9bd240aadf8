//! The open model's and the load shapes' flags (`--arrival-rate`, `--arrival-stages`,
//! `--pre-allocated-users`, `--max-users`, `--stages`), what they ask the runner for, and
//! the one place a run is started from them (headless and web alike).

use crate::values::{
    parse_arrival_rate, parse_arrival_stages, parse_duration, parse_user_stages, parse_users,
};
use clap::Args;
use std::time::Duration;
use swarm_core::{ArrivalPlan, RateSchedule, Runner, RunnerError, TestPlan, UserStages};

/// Users pre-allocated to an arrival-rate run's pool when `--pre-allocated-users` is not given.
const DEFAULT_POOL: usize = 10;

/// Arrival-rate runs and load shapes.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Arrival rate (open model) and load shapes")]
pub(crate) struct OpenArgs {
    /// Arrival-rate run: start one iteration (one task of a free pool user) at this rate,
    /// evenly spaced, however slow the server gets, e.g. 200/s or 90/m. Users' waits are
    /// ignored in this mode, and -u/-r are not used: the pool is set by
    /// --pre-allocated-users and --max-users. Every request also records its corrected time,
    /// from the iteration's intended start.
    #[arg(long, env = "SWARM_ARRIVAL_RATE", value_name = "RATE", value_parser = parse_arrival_rate)]
    pub(crate) arrival_rate: Option<f64>,
    /// Arrival-rate run in stages, one after another, then the end of the test:
    /// DURATION:RATE holds a rate, DURATION:FROM-TO ramps linearly, comma-separated,
    /// e.g. 30s:0-100/s,2m:100/s,30s:100-0/s. Waits are ignored, as with --arrival-rate.
    #[arg(long, env = "SWARM_ARRIVAL_STAGES", value_name = "STAGES", value_parser = parse_arrival_stages)]
    pub(crate) arrival_stages: Option<RateSchedule>,
    /// Arrival-rate runs: users started (through on_start) before the first arrival
    /// [default: 10, at most --max-users].
    #[arg(long, env = "SWARM_PRE_ALLOCATED_USERS", value_name = "N", value_parser = parse_users)]
    pub(crate) pre_allocated_users: Option<usize>,
    /// Arrival-rate runs: the pool grows to this many users when an arrival finds none
    /// free; an arrival that finds none free then is a dropped iteration, counted
    /// [default: --pre-allocated-users].
    #[arg(long, env = "SWARM_MAX_USERS", value_name = "M", value_parser = parse_users)]
    pub(crate) max_users: Option<usize>,
    /// Arrival-rate runs: an arrival that finds every user of a full pool busy may wait this
    /// long for one, then runs late (its corrected times count the wait, as wrk2's do) or,
    /// if none is free by then, is dropped. 0 drops it at once, as k6 does [default: 0].
    #[arg(long, env = "SWARM_MAX_LATENESS", value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) max_lateness: Option<Duration>,
    /// Closed run in stages of users: DURATION:USERS reached by each stage's end, ramping
    /// from the last stage's count (0 at first) at the rate that takes the stage, or at
    /// DURATION:USERS@RATE users/s; comma-separated, e.g. 1m:100,5m:100,1m:0. The test
    /// ends after the last stage; -u/-r are not used.
    #[arg(long, env = "SWARM_STAGES", value_name = "STAGES", value_parser = parse_user_stages)]
    pub(crate) stages: Option<UserStages>,
}

/// A scenario's registered load shape: a fresh [`swarm_core::Shape`] per test.
#[derive(Clone)]
pub(crate) struct ScenarioShape(
    pub(crate) std::sync::Arc<dyn Fn() -> Box<dyn swarm_core::Shape> + Send + Sync>,
);

impl std::fmt::Debug for ScenarioShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScenarioShape")
    }
}

impl PartialEq for ScenarioShape {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

/// What a run's load follows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Load {
    /// `-u` users at `-r` per second.
    Users,
    /// The scenario's own shape.
    Shape(ScenarioShape),
    /// Arrivals handed to a pool of users.
    Arrival(ArrivalPlan),
    /// User-count stages.
    Stages(UserStages),
}

impl OpenArgs {
    /// The load these flags ask for (or the scenario's `shape`, when they ask for none), or
    /// the one-line reason they contradict each other.
    pub(crate) fn load_with(&self, shape: Option<&ScenarioShape>) -> Result<Load, String> {
        match (self.load()?, shape) {
            (Load::Users, Some(shape)) => Ok(Load::Shape(shape.clone())),
            (load, _) => Ok(load),
        }
    }

    /// The load these flags ask for, or the one-line reason they contradict each other.
    pub(crate) fn load(&self) -> Result<Load, String> {
        let schedule = match (self.arrival_rate, &self.arrival_stages) {
            (Some(_), Some(_)) => {
                return Err(
                    "--arrival-rate and --arrival-stages both set the arrivals: give one".into(),
                );
            }
            (Some(rate), None) => Some(RateSchedule::constant(rate)),
            (None, Some(stages)) => Some(stages.clone()),
            (None, None) => None,
        };
        let Some(schedule) = schedule else {
            if self.pre_allocated_users.is_some()
                || self.max_users.is_some()
                || self.max_lateness.is_some()
            {
                return Err(
                    "--pre-allocated-users, --max-users and --max-lateness shape an arrival-rate run's pool: add --arrival-rate or --arrival-stages"
                        .into(),
                );
            }
            return Ok(match &self.stages {
                Some(stages) => Load::Stages(stages.clone()),
                None => Load::Users,
            });
        };
        if self.stages.is_some() {
            return Err(
                "--stages shapes a user count, which an arrival-rate run does not have: use --arrival-stages for stages of rate"
                    .into(),
            );
        }
        let max_users = self
            .max_users
            .or(self.pre_allocated_users)
            .unwrap_or(DEFAULT_POOL);
        if max_users == 0 {
            return Err("--max-users 0 leaves no user to run an arrival: give 1 or more".into());
        }
        let pre_allocated_users = self
            .pre_allocated_users
            .unwrap_or(DEFAULT_POOL.min(max_users));
        if pre_allocated_users > max_users {
            return Err(format!(
                "--pre-allocated-users {pre_allocated_users} is more than --max-users {max_users}: raise --max-users or lower the pool"
            ));
        }
        Ok(Load::Arrival(ArrivalPlan {
            schedule,
            pre_allocated_users,
            max_users,
            max_lateness: self.max_lateness.unwrap_or(Duration::ZERO),
        }))
    }
}

impl Load {
    /// The users the start ramps to (the pool's first size in an arrival-rate run), for the
    /// progress bar.
    pub(crate) fn initial_users(&self, users: usize) -> usize {
        match self {
            Self::Users => users,
            // Unknown until the shape's first answer; the bar is only a guide.
            Self::Shape(_) => users,
            Self::Arrival(a) => a.pre_allocated_users,
            Self::Stages(s) => s.0.first().map_or(0, |st| st.users),
        }
    }
}

impl Load {
    /// An arrival-rate run at `rate` per second with this load's pool (the defaults when it
    /// is not an arrival-rate load): the web form's arrival-rate start.
    pub(crate) fn at_rate(&self, rate: f64) -> Load {
        let (pre_allocated_users, max_users, max_lateness) = match self {
            Self::Arrival(a) => (a.pre_allocated_users, a.max_users, a.max_lateness),
            _ => (DEFAULT_POOL, DEFAULT_POOL, Duration::ZERO),
        };
        Load::Arrival(ArrivalPlan {
            schedule: RateSchedule::constant(rate),
            pre_allocated_users,
            max_users,
            max_lateness,
        })
    }
}

/// Starts `plan` on `runner` with `load`: the one start of headless and web runs.
pub(crate) async fn start(runner: &Runner, plan: TestPlan, load: Load) -> Result<(), RunnerError> {
    match load {
        Load::Users => runner.start(plan).await,
        Load::Arrival(arrival) => runner.start_arrival(plan, arrival).await,
        Load::Stages(stages) => runner.start_shape(plan, Box::new(stages)).await,
        Load::Shape(shape) => runner.start_shape(plan, (shape.0)()).await,
    }
}

/// A scenario shape that ends at once: for tests of what a load is chosen from.
#[cfg(test)]
pub(crate) fn ended_shape() -> ScenarioShape {
    struct Ended;
    impl swarm_core::Shape for Ended {
        fn tick(
            &mut self,
            _: Duration,
            _: &swarm_core::metrics::StatsSnapshot,
        ) -> Option<swarm_core::ShapeTick> {
            None
        }
    }
    ScenarioShape(std::sync::Arc::new(|| {
        Box::new(Ended) as Box<dyn swarm_core::Shape>
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> OpenArgs {
        OpenArgs {
            arrival_rate: None,
            arrival_stages: None,
            pre_allocated_users: None,
            max_users: None,
            max_lateness: None,
            stages: None,
        }
    }

    #[test]
    fn flags_choose_the_load_or_say_what_contradicts() {
        let pool = |o: OpenArgs| match o.load() {
            Ok(Load::Arrival(a)) => Ok((a.pre_allocated_users, a.max_users)),
            Ok(other) => Err(format!("{other:?}")),
            Err(e) => Err(e),
        };
        let rate = || OpenArgs {
            arrival_rate: Some(100.0),
            ..args()
        };
        assert_eq!(args().load(), Ok(Load::Users));
        assert_eq!(pool(rate()), Ok((10, 10)));
        assert_eq!(
            pool(OpenArgs {
                max_users: Some(4),
                ..rate()
            }),
            Ok((4, 4))
        );
        assert_eq!(
            pool(OpenArgs {
                pre_allocated_users: Some(2),
                max_users: Some(50),
                ..rate()
            }),
            Ok((2, 50))
        );
        let bad = [
            (
                OpenArgs {
                    pre_allocated_users: Some(5),
                    max_users: Some(2),
                    ..rate()
                },
                "--pre-allocated-users 5 is more than --max-users 2: raise --max-users or lower the pool",
            ),
            (
                OpenArgs {
                    max_users: Some(3),
                    ..args()
                },
                "--pre-allocated-users, --max-users and --max-lateness shape an arrival-rate run's pool: add --arrival-rate or --arrival-stages",
            ),
            (
                OpenArgs {
                    arrival_stages: Some(RateSchedule::constant(1.0)),
                    ..rate()
                },
                "--arrival-rate and --arrival-stages both set the arrivals: give one",
            ),
            (
                OpenArgs {
                    stages: Some(UserStages(Vec::new())),
                    ..rate()
                },
                "--stages shapes a user count, which an arrival-rate run does not have: use --arrival-stages for stages of rate",
            ),
        ];
        for (o, want) in bad {
            assert_eq!(o.load(), Err(want.to_owned()));
        }
    }

    #[test]
    fn a_scenario_shape_applies_unless_the_flags_choose_a_load() {
        let shape = ended_shape();
        assert_eq!(
            args().load_with(Some(&shape)),
            Ok(Load::Shape(shape.clone()))
        );
        let rate = OpenArgs {
            arrival_rate: Some(5.0),
            ..args()
        };
        assert!(matches!(rate.load_with(Some(&shape)), Ok(Load::Arrival(_))));
        assert_eq!(args().load_with(None), Ok(Load::Users));
    }
}
