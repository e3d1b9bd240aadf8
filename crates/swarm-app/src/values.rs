//! Numbers as people write them, with their limits: durations (`30s`, `5m`, `1h30m`,
//! `250ms`, bare seconds), spawn rates and user counts. The one parser of each, used by flags,
//! environment variables, `swarm.toml` and the web UI's form alike, so every out-of-range
//! value gets the same one-line answer naming the limit.

use std::time::Duration;

/// The longest duration swarm accepts anywhere (run time, stop timeout, waits, intervals).
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);
/// The slowest spawn rate: one user every 1000 s.
pub(crate) const MIN_RATE: f64 = 0.001;
/// The fastest spawn rate.
pub(crate) const MAX_RATE: f64 = 1_000_000.0;
/// The most users one process runs.
pub(crate) const MAX_USERS: usize = 10_000_000;

fn too_long(s: &str) -> String {
    format!("`{s}` is too long: give at most 366d")
}

/// Parses `-t`-style durations; a bare number is seconds, as in Locust.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.starts_with('-') {
        return Err(format!(
            "`{s}` is negative: give a duration of 0 or more, e.g. 30s"
        ));
    }
    if let Ok(secs) = t.parse::<f64>() {
        if !secs.is_finite() {
            return Err(format!(
                "`{s}` is not a duration: write e.g. 30s, 5m, 1h30m or 250ms"
            ));
        }
        if secs > MAX_DURATION.as_secs_f64() {
            return Err(too_long(s));
        }
        return Ok(Duration::from_secs_f64(secs));
    }
    match humantime::parse_duration(t) {
        Ok(d) if d > MAX_DURATION => Err(too_long(s)),
        Ok(d) => Ok(d),
        Err(humantime::DurationError::NumberOverflow) => Err(too_long(s)),
        Err(_) => Err(format!(
            "`{s}` is not a duration: write e.g. 30s, 5m, 1h30m or 250ms"
        )),
    }
}

/// Parses a spawn rate in users per second.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 && r < MIN_RATE => Err(format!(
            "`{s}` is too slow: give at least {MIN_RATE} users per second"
        )),
        Ok(r) if r.is_finite() && r > MAX_RATE => Err(format!(
            "`{s}` is too fast: give at most {MAX_RATE} users per second"
        )),
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!(
            "`{s}` is not a rate: give users per second above 0, e.g. 2 or 0.5"
        )),
    }
}

/// Parses a user count (0 allowed: the web UI's form may ask for none).
pub fn parse_users(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n > MAX_USERS => Err(format!(
            "`{s}` is too many users for one process: give at most {MAX_USERS}"
        )),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "`{s}` is not a user count: give a whole number, 0 or more"
        )),
    }
}

/// The fastest arrival rate: a million iterations per second.
pub(crate) const MAX_ARRIVAL_RATE: f64 = 1_000_000.0;

const RATE_EXAMPLE: &str = "write e.g. 200/s or 90/m";
const STAGES_EXAMPLE: &str = "write DURATION:RATE or DURATION:FROM-TO, comma-separated, e.g. 30s:0-100/s,2m:100/s,30s:100-0/s";

/// A number of arrivals `per` unit: `/s` or `/m`, as a rate per second (0 allowed).
fn arrival_amount(s: &str, number: &str, per: f64) -> Result<f64, String> {
    let n: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not an arrival rate: {RATE_EXAMPLE}"))?;
    if !n.is_finite() || n < 0.0 {
        return Err(format!("`{s}` is not an arrival rate: {RATE_EXAMPLE}"));
    }
    let rate = n / per;
    if rate > MAX_ARRIVAL_RATE {
        return Err(format!(
            "`{s}` is too fast: give at most {MAX_ARRIVAL_RATE} per second"
        ));
    }
    if rate > 0.0 && rate < MIN_RATE {
        return Err(format!(
            "`{s}` is too slow: give at least {MIN_RATE} per second (3.6/h)"
        ));
    }
    Ok(rate)
}

/// Splits `N/s` or `N/m` into the number's text and the unit's seconds.
fn split_unit(s: &str) -> Result<(&str, f64), String> {
    let t = s.trim();
    if let Some(n) = t.strip_suffix("/s") {
        Ok((n, 1.0))
    } else if let Some(n) = t.strip_suffix("/m") {
        Ok((n, 60.0))
    } else {
        Err(format!(
            "`{s}` has no unit: {RATE_EXAMPLE} (iterations per second or per minute)"
        ))
    }
}

/// Parses `--arrival-rate`: iterations per second (`200/s`) or per minute (`90/m`), above 0.
pub(crate) fn parse_arrival_rate(s: &str) -> Result<f64, String> {
    let (number, per) = split_unit(s)?;
    match arrival_amount(s, number, per)? {
        0.0 => Err(format!(
            "`{s}` would start nothing: give a rate above 0, e.g. 200/s"
        )),
        r => Ok(r),
    }
}

/// Parses `--arrival-stages`: `DURATION:RATE` (hold) or `DURATION:FROM-TO` (linear ramp)
/// per stage, comma-separated, the unit once at the end of each: `30s:0-100/s,2m:100/s`.
pub(crate) fn parse_arrival_stages(s: &str) -> Result<swarm_core::RateSchedule, String> {
    let mut stages = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        let Some((duration, rate)) = part.split_once(':') else {
            return Err(format!("`{part}` is not a stage: {STAGES_EXAMPLE}"));
        };
        let duration = parse_duration(duration)?;
        if duration.is_zero() {
            return Err(format!(
                "`{part}` lasts no time: give each stage a duration above 0"
            ));
        }
        let (numbers, per) = split_unit(rate)?;
        let (from, to) = match numbers.split_once('-') {
            Some((a, b)) => (arrival_amount(rate, a, per)?, arrival_amount(rate, b, per)?),
            None => {
                let r = arrival_amount(rate, numbers, per)?;
                (r, r)
            }
        };
        stages.push(swarm_core::RateStage { duration, from, to });
    }
    if stages.iter().all(|st| st.from == 0.0 && st.to == 0.0) {
        return Err(format!(
            "`{s}` would start nothing: give a stage a rate above 0"
        ));
    }
    Ok(swarm_core::RateSchedule::stages(stages))
}

/// Parses `--stages`: `DURATION:USERS` per stage, comma-separated (`1m:100,5m:100,1m:0`);
/// each ramps from the last stage's users (0 at first) at the rate that takes the stage,
/// or at the rate given after `@` (`1m:100@5`: 5 users/s).
pub(crate) fn parse_user_stages(s: &str) -> Result<swarm_core::UserStages, String> {
    let mut stages = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        let Some((duration, users)) = part.split_once(':') else {
            return Err(format!(
                "`{part}` is not a stage: write DURATION:USERS or DURATION:USERS@RATE, comma-separated, e.g. 1m:100,5m:100,1m:0"
            ));
        };
        let duration = parse_duration(duration)?;
        if duration.is_zero() {
            return Err(format!(
                "`{part}` lasts no time: give each stage a duration above 0"
            ));
        }
        let (users, rate) = match users.split_once('@') {
            Some((u, r)) => (u, Some(parse_rate(r)?)),
            None => (users, None),
        };
        stages.push(swarm_core::UserStage {
            duration,
            users: parse_users(users)?,
            rate,
        });
    }
    Ok(swarm_core::UserStages(stages))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let ok = [
            ("30s", 30_000),
            ("5m", 300_000),
            ("1h30m", 5_400_000),
            ("250ms", 250),
            ("12", 12_000),
            ("0.5", 500),
            ("366d", 366 * 24 * 3_600_000),
        ];
        for (text, ms) in ok {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(ms)),
                "{text}"
            );
        }
        let bad = [
            (
                "10parsecs",
                "`10parsecs` is not a duration: write e.g. 30s, 5m, 1h30m or 250ms",
            ),
            (
                "",
                "`` is not a duration: write e.g. 30s, 5m, 1h30m or 250ms",
            ),
            (
                "-5",
                "`-5` is negative: give a duration of 0 or more, e.g. 30s",
            ),
            (
                "-5s",
                "`-5s` is negative: give a duration of 0 or more, e.g. 30s",
            ),
            ("1e30", "`1e30` is too long: give at most 366d"),
            ("1e19", "`1e19` is too long: give at most 366d"),
            ("367d", "`367d` is too long: give at most 366d"),
            (
                "99999999999999999999999h",
                "`99999999999999999999999h` is too long: give at most 366d",
            ),
            (
                "inf",
                "`inf` is not a duration: write e.g. 30s, 5m, 1h30m or 250ms",
            ),
            (
                "NaN",
                "`NaN` is not a duration: write e.g. 30s, 5m, 1h30m or 250ms",
            ),
        ];
        for (text, want) in bad {
            assert_eq!(parse_duration(text), Err(want.to_owned()), "{text}");
        }
    }

    #[test]
    fn rates_and_counts() {
        assert_eq!(parse_rate("2"), Ok(2.0));
        assert_eq!(parse_rate("0.001"), Ok(0.001));
        let bad = [
            (
                "0",
                "`0` is not a rate: give users per second above 0, e.g. 2 or 0.5",
            ),
            (
                "-1",
                "`-1` is not a rate: give users per second above 0, e.g. 2 or 0.5",
            ),
            (
                "1e-300",
                "`1e-300` is too slow: give at least 0.001 users per second",
            ),
            (
                "1e300",
                "`1e300` is too fast: give at most 1000000 users per second",
            ),
            (
                "inf",
                "`inf` is not a rate: give users per second above 0, e.g. 2 or 0.5",
            ),
        ];
        for (text, want) in bad {
            assert_eq!(parse_rate(text), Err(want.to_owned()), "{text}");
        }
        assert_eq!(parse_users("0"), Ok(0));
        assert_eq!(
            parse_users("1e9"),
            Err("`1e9` is not a user count: give a whole number, 0 or more".to_owned())
        );
        assert_eq!(
            parse_users("20000000"),
            Err("`20000000` is too many users for one process: give at most 10000000".to_owned())
        );
    }

    #[test]
    fn arrival_rates_and_stages() {
        let ok = [("200/s", 200.0), ("90/m", 1.5), (" 0.5/s ", 0.5)];
        for (text, rate) in ok {
            assert_eq!(parse_arrival_rate(text), Ok(rate), "{text}");
        }
        let bad = [
            (
                "200",
                "`200` has no unit: write e.g. 200/s or 90/m (iterations per second or per minute)",
            ),
            (
                "0/s",
                "`0/s` would start nothing: give a rate above 0, e.g. 200/s",
            ),
            (
                "-3/s",
                "`-3/s` is not an arrival rate: write e.g. 200/s or 90/m",
            ),
            (
                "x/m",
                "`x/m` is not an arrival rate: write e.g. 200/s or 90/m",
            ),
            (
                "2e6/s",
                "`2e6/s` is too fast: give at most 1000000 per second",
            ),
        ];
        for (text, want) in bad {
            assert_eq!(parse_arrival_rate(text), Err(want.to_owned()), "{text}");
        }
        let stages = parse_arrival_stages("30s:0-100/s,2m:100/s,30s:100-0/s");
        let got: Vec<(u64, f64, f64)> = stages
            .as_ref()
            .map(|s| {
                s.stage_list()
                    .iter()
                    .map(|st| (st.duration.as_secs(), st.from, st.to))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            got,
            [(30, 0.0, 100.0), (120, 100.0, 100.0), (30, 100.0, 0.0)]
        );
        let bad_stages = [
            (
                "30s",
                "`30s` is not a stage: write DURATION:RATE or DURATION:FROM-TO, comma-separated, e.g. 30s:0-100/s,2m:100/s,30s:100-0/s",
            ),
            (
                "30s:100",
                "`100` has no unit: write e.g. 200/s or 90/m (iterations per second or per minute)",
            ),
            (
                "0s:100/s",
                "`0s:100/s` lasts no time: give each stage a duration above 0",
            ),
            (
                "1m:0/s",
                "`1m:0/s` would start nothing: give a stage a rate above 0",
            ),
            (
                "soon:5/s",
                "`soon` is not a duration: write e.g. 30s, 5m, 1h30m or 250ms",
            ),
        ];
        for (text, want) in bad_stages {
            assert_eq!(
                parse_arrival_stages(text).err(),
                Some(want.to_owned()),
                "{text}"
            );
        }
        let users = parse_user_stages("1m:100,5m:100@2,1m:0").map(|s| {
            s.0.iter()
                .map(|st| (st.duration.as_secs(), st.users, st.rate))
                .collect::<Vec<_>>()
        });
        assert_eq!(
            users,
            Ok(vec![(60, 100, None), (300, 100, Some(2.0)), (60, 0, None)])
        );
        assert_eq!(
            parse_user_stages("1m").err().as_deref(),
            Some(
                "`1m` is not a stage: write DURATION:USERS or DURATION:USERS@RATE, comma-separated, e.g. 1m:100,5m:100,1m:0"
            )
        );
    }
}
