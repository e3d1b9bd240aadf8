//! The live console of a headless run: a progress bar while ramping and the stats table
//! redrawn in place on a terminal; plain log lines and a table every few seconds otherwise.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use swarm_core::RunState;
use swarm_core::console::{render_exceptions_table, render_failures_table, render_stats_table};
use swarm_core::metrics::StatsSnapshot;

const BAR_WIDTH: usize = 30;

/// Without a terminal, ramp-up lines come at most this often.
const LOG_EVERY: Duration = Duration::from_secs(1);

/// A progress bar sits on the terminal's current line, without a newline after it.
static BAR_SHOWN: AtomicBool = AtomicBool::new(false);

/// A log line was written since the last table: that table can no longer be redrawn in place.
static LOGGED: AtomicBool = AtomicBool::new(false);

/// Called by the logger before each line: moves a progress bar out of the line's way.
pub(crate) fn before_log() {
    LOGGED.store(true, Ordering::Relaxed);
    if BAR_SHOWN.swap(false, Ordering::Relaxed) {
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "\r\x1b[2K");
        let _ = out.flush();
    }
}

/// The tables as printed: stats, then failures and exceptions when there are any.
pub(crate) fn tables(stats: &StatsSnapshot, users: usize) -> String {
    let mut out = render_stats_table(stats);
    for extra in [
        swarm_core::console::render_open_model(stats),
        render_failures_table(stats),
        render_exceptions_table(stats),
    ] {
        if !extra.is_empty() {
            out.push('\n');
            out.push_str(&extra);
        }
    }
    if stats.interrupted > 0 {
        out.push_str(&format!(
            "{} requests were still in flight when their users stopped: cut off, in no row above\n",
            stats.interrupted
        ));
    }
    out.push_str(&format!("Users: {users}\n"));
    out
}

/// `[#######.......] 7/20 users`.
pub(crate) fn progress_bar(done: usize, target: usize) -> String {
    let filled = (done.min(target) * BAR_WIDTH)
        .checked_div(target)
        .unwrap_or(BAR_WIDTH);
    format!(
        "Spawning users [{}{}] {done}/{target}",
        "#".repeat(filled),
        ".".repeat(BAR_WIDTH - filled)
    )
}

/// What the console shows while a run goes on.
pub(crate) struct Live {
    tty: bool,
    only_summary: bool,
    target: usize,
    /// Lines of the last table drawn in place (to move back over), 0 when none.
    table_lines: usize,
    /// Ramping has been reported as finished.
    ramp_done: bool,
    last_logged: Option<(usize, Instant)>,
}

impl Live {
    /// A console for a run towards `target` users; draws in place when stdout is a terminal.
    pub(crate) fn new(target: usize, only_summary: bool) -> Self {
        Self {
            tty: std::io::stdout().is_terminal(),
            only_summary,
            target,
            table_lines: 0,
            ramp_done: false,
            last_logged: None,
        }
    }

    /// Clears a progress bar from the current line; whether there was one.
    fn clear_bar(out: &mut impl Write) -> bool {
        let shown = BAR_SHOWN.swap(false, Ordering::Relaxed);
        if shown {
            let _ = write!(out, "\r\x1b[2K");
        }
        shown
    }

    /// Reports ramping: a bar on a terminal, a log line per change otherwise.
    pub(crate) fn progress(&mut self, state: RunState, users: usize) {
        if self.ramp_done {
            return;
        }
        let ramping = matches!(state, RunState::Ready | RunState::Spawning);
        if !ramping {
            self.ramp_done = true;
            let mut out = std::io::stdout().lock();
            Self::clear_bar(&mut out);
            let _ = out.flush();
            return;
        }
        if self.tty && !self.only_summary {
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "\r\x1b[2K{}", progress_bar(users, self.target));
            let _ = out.flush();
            BAR_SHOWN.store(true, Ordering::Relaxed);
        } else if self
            .last_logged
            .is_none_or(|(n, at)| n != users && at.elapsed() >= LOG_EVERY)
        {
            self.last_logged = Some((users, Instant::now()));
            tracing::info!(target: "swarm.runner", "Spawning: {users}/{} users", self.target);
        }
    }

    /// The periodic table: in place on a terminal, appended otherwise.
    pub(crate) fn table(&mut self, stats: &StatsSnapshot, users: usize) {
        if self.only_summary {
            return;
        }
        let text = tables(stats, users);
        let mut out = std::io::stdout().lock();
        if self.tty {
            let bar = Self::clear_bar(&mut out);
            if LOGGED.swap(false, Ordering::Relaxed) {
                self.table_lines = 0;
            }
            if self.table_lines > 0 {
                let _ = write!(out, "\x1b[{}A\x1b[J", self.table_lines);
            }
            let _ = write!(out, "{text}");
            self.table_lines = text.lines().count();
            if bar {
                let _ = write!(out, "{}", progress_bar(users, self.target));
                BAR_SHOWN.store(true, Ordering::Relaxed);
            }
        } else {
            let _ = writeln!(out, "{text}");
        }
        let _ = out.flush();
    }

    /// The final tables, below whatever was drawn.
    pub(crate) fn summary(&mut self, stats: &StatsSnapshot, users: usize) {
        let mut out = std::io::stdout().lock();
        Self::clear_bar(&mut out);
        let _ = writeln!(out, "{}", tables(stats, users));
        let _ = out.flush();
        self.table_lines = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_with_progress() {
        let cases = [
            (
                0,
                10,
                "Spawning users [..............................] 0/10",
            ),
            (
                5,
                10,
                "Spawning users [###############...............] 5/10",
            ),
            (
                10,
                10,
                "Spawning users [##############################] 10/10",
            ),
            (
                12,
                10,
                "Spawning users [##############################] 12/10",
            ),
            (0, 0, "Spawning users [##############################] 0/0"),
        ];
        for (done, target, want) in cases {
            assert_eq!(progress_bar(done, target), want);
        }
    }
}
