//! This process's own CPU time, read from `/proc/self/stat`: the App's CPU self-watch and
//! the core benchmark both measure with it.

use std::time::Duration;

/// Clock ticks per second in `/proc`: Linux fixes USER_HZ at 100 for user space on every
/// architecture, whatever the kernel's internal HZ.
const USER_HZ: u64 = 100;

/// This process's CPU time so far (user + system), or `None` where `/proc` has no answer.
pub fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces and parentheses; the fields follow its last `)`.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are the 14th and 15th fields; `rest` starts at the 3rd.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_micros((utime + stime) * 1_000_000 / USER_HZ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn reads_its_own_cpu_time() {
        let before = process_cpu_time().expect("/proc/self/stat");
        let mut x = 0u64;
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(100) {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        let after = process_cpu_time().expect("/proc/self/stat");
        assert!(after >= before && x > 0);
    }
}
