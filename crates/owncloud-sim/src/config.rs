//! Simulator options: what the binary's flags and the tests can tune.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use crate::error::SimError;

/// Everything that changes how the simulator behaves; `Default` is the faithful ownCloud.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Address to bind (default 127.0.0.1, never all interfaces unless asked).
    pub host: IpAddr,
    /// Port to bind; 0 picks a free one (the default here, so tests never collide).
    pub port: u16,
    /// The admin account that exists from the start (member of group `admin`).
    pub admin_user: String,
    /// The admin's password.
    pub admin_password: String,
    /// Time one password check takes (a real ownCloud spends tens of ms hashing); zero = free.
    pub auth_cost: Duration,
    /// ownCloud's cookie rule: a warm session's cookies override the Authorization header.
    pub cookie_wins: bool,
    /// Parallel first requests of a new user fail while the skeleton is copied, as on ownCloud.
    pub first_login_race: bool,
    /// How long copying the skeleton into a new home takes (the race window).
    pub skeleton_copy_time: Duration,
    /// How long a session's cookies are trusted after its last password check.
    pub session_recheck: Duration,
    /// Keep file contents under this directory (`<dir>/<user>/files/...`) instead of only memory.
    pub data_dir: Option<PathBuf>,
    /// Largest request head (request line + headers) accepted; beyond it the answer is 431.
    pub max_header_bytes: usize,
    /// Size of the skeleton's `ownCloud Manual.pdf` in bytes (a valid PDF padded to it).
    pub manual_size: usize,
}

/// The default manual size: ownCloud 10's packaged skeleton ships the user manual as a PDF of
/// several megabytes (its exact size changes with every release), so the seed's download task
/// moves megabytes per request, not a few hundred bytes.
pub const DEFAULT_MANUAL_SIZE: usize = 4 * 1024 * 1024;

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            admin_user: "admin".to_owned(),
            admin_password: "admin".to_owned(),
            auth_cost: Duration::ZERO,
            cookie_wins: true,
            first_login_race: true,
            skeleton_copy_time: Duration::from_millis(20),
            session_recheck: Duration::from_secs(300),
            data_dir: None,
            max_header_bytes: 64 * 1024,
            manual_size: DEFAULT_MANUAL_SIZE,
        }
    }
}

/// Parses a duration like `60ms`, `1.5s`, `250us`, `2m` or a bare number of milliseconds.
pub fn parse_duration(text: &str) -> Result<Duration, SimError> {
    let t = text.trim();
    let bad = || SimError::BadDuration(text.to_owned());
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "" | "ms" => value / 1e3,
        "us" | "µs" => value / 1e6,
        "ns" => value / 1e9,
        "s" => value,
        "m" | "min" => value * 60.0,
        _ => return Err(bad()),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("60ms").unwrap(), Duration::from_millis(60));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("250us").unwrap(), Duration::from_micros(250));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-1ms").is_err());
    }
}
