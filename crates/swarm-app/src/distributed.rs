//! Distributed runs: the flags that make this process one segment of a run split over many
//! (`--segment I/N`, or `--segments N` with a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`),
//! share one run id (`--run-id`) and start together (`--start-at`). The split itself is
//! swarm-core's `segment` module; merging the segments' reports is `report/merge.rs`.

use crate::error::UsageError;
use crate::open::Load;
use crate::signals::StopSignals;
use clap::Args;
use std::time::{Duration, SystemTime};
use swarm_core::Segment;
use swarm_core::segment::share_len;

/// The environment variable a Kubernetes Indexed Job sets to each pod's index.
pub(crate) const JOB_INDEX_VAR: &str = "JOB_COMPLETION_INDEX";

/// The longest `--run-id`: it goes into every account and file name a scenario makes.
const MAX_RUN_ID: usize = 32;

/// The flags of a distributed run's segment.
#[derive(Debug, Clone, Args)]
pub(crate) struct DistributedArgs {
    /// Run segment I of N (from 0): this process's exact share of the plan's users, their
    /// types and its ramp, e.g. 0/3.
    #[arg(long, env = "SWARM_SEGMENT", value_name = "I/N", value_parser = parse_segment)]
    pub(crate) segment: Option<Segment>,
    /// Split the plan into N segments; this process's index is read from
    /// JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job).
    #[arg(long, env = "SWARM_SEGMENTS", value_name = "N")]
    pub(crate) segments: Option<u32>,
    /// The run id (default: a random one); give every segment the same, so that names
    /// derived from it never collide and their reports merge.
    #[arg(long, env = "SWARM_RUN_ID", value_parser = parse_run_id)]
    pub(crate) run_id: Option<String>,
    /// Wait, then start: a UTC time (2026-12-01T10:00:00Z) or a delay from now (+30s).
    #[arg(long, env = "SWARM_START_AT", value_name = "TIME", value_parser = parse_start_at)]
    pub(crate) start_at: Option<StartAt>,
}

/// When to start, as a wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StartAt(pub(crate) SystemTime);

fn parse_segment(s: &str) -> Result<Segment, String> {
    s.parse::<Segment>().map_err(|e| e.to_string())
}

/// A run id: 1 to 32 lowercase ASCII letters, digits and `-`, as account names allow.
fn parse_run_id(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= MAX_RUN_ID
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "`{s}` is not a run id: give 1 to {MAX_RUN_ID} lowercase letters, digits or `-`, e.g. nightly-42"
        ))
    }
}

/// `+DURATION` from now, or an RFC 3339 time in UTC.
fn parse_start_at(s: &str) -> Result<StartAt, String> {
    let t = s.trim();
    if let Some(delay) = t.strip_prefix('+') {
        let d = crate::values::parse_duration(delay)?;
        return Ok(StartAt(SystemTime::now() + d));
    }
    let at = humantime::parse_rfc3339_weak(t).map_err(|_| {
        format!("`{s}` is not a start time: give a UTC time such as 2026-12-01T10:00:00Z, or a delay such as +30s")
    })?;
    let ahead = at.duration_since(SystemTime::now()).unwrap_or_default();
    if ahead > crate::values::MAX_DURATION {
        return Err(format!(
            "`{s}` is more than 366 days away: give a nearer time"
        ));
    }
    Ok(StartAt(at))
}

impl DistributedArgs {
    /// Resolves `--segment` / `--segments` + `JOB_COMPLETION_INDEX` into this process's
    /// segment, with one clear line when they do not add up.
    pub(crate) fn resolve_segment(&self) -> Result<Option<Segment>, UsageError> {
        match (self.segment, self.segments) {
            (Some(s), Some(n)) if s.count() != n => Err(UsageError(format!(
                "--segment {s} and --segments {n} disagree on the number of segments: give one of them"
            ))),
            (Some(s), _) => Ok(Some(s)),
            (None, Some(n)) => {
                let Ok(raw) = std::env::var(JOB_INDEX_VAR) else {
                    return Err(UsageError(format!(
                        "--segments {n} reads this process's index from {JOB_INDEX_VAR} (set by a Kubernetes Indexed Job), which is not set: set it, or give --segment I/{n}"
                    )));
                };
                let index = raw.trim().parse::<u32>().map_err(|_| {
                    UsageError(format!(
                        "{JOB_INDEX_VAR}=`{raw}` is not a segment index: it must be a whole number from 0 to {}",
                        n.saturating_sub(1)
                    ))
                })?;
                Segment::new(index, n).map(Some).map_err(|e| {
                    UsageError(format!("{JOB_INDEX_VAR}={raw} with --segments {n}: {e}"))
                })
            }
            (None, None) => Ok(None),
        }
    }
}

/// How many users this process runs of a plan of `users`: its segment's share, or all.
pub(crate) fn planned_users(
    segment: Option<Segment>,
    scenario: &swarm_core::Scenario,
    users: usize,
) -> usize {
    match segment {
        Some(s) => share_len(&scenario.type_weights(), users, s),
        None => users,
    }
}

/// Checks, before anything starts, that a segment can run: headless (the web UI would
/// reshape it), with a load that splits (not a scenario's shape), and with at least one
/// user of its own.
pub(crate) fn check(
    args: &DistributedArgs,
    headless: bool,
    scenario: &swarm_core::Scenario,
    users: usize,
    load: &Load,
) -> Result<(), UsageError> {
    if !headless {
        if let Some(s) = args.segment {
            return Err(UsageError(format!(
                "--segment {s} runs headless (the web UI would reshape its fixed share): add --headless"
            )));
        }
        if args.start_at.is_some() {
            return Err(UsageError(
                "--start-at runs headless (the web UI starts from its form): add --headless".into(),
            ));
        }
    }
    let Some(s) = args.segment else {
        return Ok(());
    };
    let n = s.count();
    match load {
        Load::Users if planned_users(Some(s), scenario, users) == 0 => Err(UsageError(format!(
            "-u {users} split {n} ways leaves segment {s} without a user: give -u {n} or more, or fewer segments"
        ))),
        Load::Users => Ok(()),
        Load::Shape(_) => Err(UsageError(format!(
            "--segment {s} cannot follow the scenario's load shape: a shape is code whose answers cannot be split ahead of time; give --stages, -u/-r or --arrival-rate instead"
        ))),
        Load::Arrival(a) => swarm_core::segment::split_pool(a.pre_allocated_users, a.max_users, s)
            .map(|_| ())
            .map_err(|_| {
                UsageError(format!(
                    "--max-users {} split {n} ways leaves a segment without a pool user: give --max-users {n} or more, or fewer segments",
                    a.max_users
                ))
            }),
        Load::Stages(stages) => {
            let peak = stages.0.iter().map(|st| st.users).max().unwrap_or(0);
            if planned_users(Some(s), scenario, peak) == 0 {
                return Err(UsageError(format!(
                    "--stages peaking at {peak} users split {n} ways leaves segment {s} without a user: give a peak of {n} or more, or fewer segments"
                )));
            }
            Ok(())
        }
    }
}

/// Waits until `--start-at`, if given; `Some(signal)` when SIGINT or SIGTERM came first.
pub(crate) async fn wait_for_start(
    start_at: Option<StartAt>,
    signals: &mut StopSignals,
) -> Option<&'static str> {
    let StartAt(at) = start_at?;
    let wait = match at.duration_since(SystemTime::now()) {
        Ok(d) => d,
        Err(late) => {
            tracing::warn!(target: "swarm.main", "--start-at was {:.1} s ago: starting now", late.duration().as_secs_f64());
            return None;
        }
    };
    tracing::info!(
        target: "swarm.main",
        "Waiting {:.1} s until {} (--start-at)",
        wait.as_secs_f64(),
        humantime::format_rfc3339_millis(at)
    );
    // Sleeps on the monotonic clock, re-checking the wall clock now and then, so that a
    // clock step (NTP) moves the start with it.
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let step = deadline
            .saturating_duration_since(tokio::time::Instant::now())
            .min(Duration::from_secs(1));
        if step.is_zero() || SystemTime::now() >= at {
            return None;
        }
        tokio::select! {
            name = signals.recv() => return Some(name),
            () = tokio::time::sleep(step) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_and_start_times_parse_or_say_why_not() {
        assert_eq!(parse_run_id("nightly-42").as_deref(), Ok("nightly-42"));
        for bad in ["", "Upper", "a b", "x/y", &"a".repeat(33)] {
            let e = parse_run_id(bad).unwrap_err();
            assert!(e.contains("is not a run id"), "{bad}: {e}");
        }
        let at = parse_start_at("2026-12-01T10:00:00Z").expect("parsed");
        assert_eq!(
            at.0.duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .ok(),
            Some(1_796_119_200)
        );
        let soon = parse_start_at("+30s").expect("parsed");
        let ahead = soon.0.duration_since(SystemTime::now()).unwrap_or_default();
        assert!(ahead <= Duration::from_secs(30) && ahead > Duration::from_secs(20));
        for bad in [
            "tomorrow",
            "2026-13-01T10:00:00Z",
            "+x",
            "9999-01-01T00:00:00Z",
        ] {
            assert!(parse_start_at(bad).is_err(), "{bad}");
        }
    }

    fn args(segment: Option<&str>, segments: Option<u32>) -> DistributedArgs {
        DistributedArgs {
            segment: segment.map(|s| s.parse().expect("segment")),
            segments,
            run_id: None,
            start_at: None,
        }
    }

    #[test]
    fn segment_flags_resolve_or_name_the_fix() {
        assert_eq!(args(None, None).resolve_segment().ok(), Some(None));
        assert_eq!(
            args(Some("1/3"), Some(3)).resolve_segment().ok(),
            Some(Some(Segment::new(1, 3).expect("valid")))
        );
        let e = args(Some("1/3"), Some(4)).resolve_segment().unwrap_err();
        assert!(e.0.contains("disagree"), "{e}");
        // JOB_COMPLETION_INDEX is read from the process environment, which other unit tests
        // do not touch; the e2e tests run a real Indexed-Job-like set of processes.
    }

    /// A shape cannot be split; the loads that can are checked for a user of every segment.
    #[test]
    fn a_segment_refuses_a_shape_and_a_pool_too_small() {
        let shape = Load::Shape(crate::open::ended_shape());
        let pool = |max_users| {
            Load::Arrival(swarm_core::ArrivalPlan {
                schedule: swarm_core::RateSchedule::constant(10.0),
                pre_allocated_users: 1,
                max_users,
                max_lateness: Duration::ZERO,
            })
        };
        let scenario = swarm_core::Scenario::new();
        let table: &[(Load, Option<&str>)] = &[
            (
                shape,
                Some("--segment 1/3 cannot follow the scenario's load shape"),
            ),
            (
                pool(2),
                Some("--max-users 2 split 3 ways leaves a segment without a pool user"),
            ),
            (pool(3), None),
        ];
        for (load, want) in table {
            let got = check(&args(Some("1/3"), None), true, &scenario, 1, load);
            match (got, want) {
                (Ok(()), None) => {}
                (Err(e), Some(w)) => assert!(e.0.contains(w), "{e:?}"),
                (got, _) => panic!("{load:?}: {got:?}, want {want:?}"),
            }
        }
    }
}
