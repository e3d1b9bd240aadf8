//! Durations as people write them: `30s`, `5m`, `1h30m`, `250ms`, or bare seconds.

use std::time::Duration;

/// Parses `-t`-style durations; a bare number is seconds, as in Locust.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if let Ok(secs) = t.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Ok(Duration::from_secs_f64(secs));
        }
    }
    humantime::parse_duration(t)
        .map_err(|_| format!("`{s}` is not a duration: write e.g. 30s, 5m, 1h30m or 250ms"))
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
        ];
        for (text, ms) in ok {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(ms)),
                "{text}"
            );
        }
        for bad in ["10parsecs", "", "-5", "s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
