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
}
