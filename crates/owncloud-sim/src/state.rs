//! The shared server state every request sees, and its counters.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::SimConfig;
use crate::session::Sessions;
use crate::store::Store;

/// Counters tests and benchmarks read.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// TCP connections accepted.
    pub(crate) connections: AtomicU64,
    /// Password checks performed (each paid `auth_cost`).
    pub(crate) password_checks: AtomicU64,
    /// Requests answered.
    pub(crate) requests: AtomicU64,
}

/// Everything a request handler needs.
#[derive(Debug)]
pub(crate) struct State {
    /// The options the server runs with.
    pub(crate) cfg: SimConfig,
    /// Accounts, groups and files.
    pub(crate) store: Store,
    /// Logged-in sessions.
    pub(crate) sessions: Sessions,
    /// ownCloud's instance id (`oc` + 10 random characters), also the session cookie's name.
    pub(crate) instance_id: String,
    /// Counters.
    pub(crate) stats: Stats,
}

impl State {
    /// Counts a password check and pays its configured cost without blocking a worker.
    pub(crate) async fn password_check(&self) {
        self.stats.password_checks.fetch_add(1, Ordering::Relaxed);
        if !self.cfg.auth_cost.is_zero() {
            tokio::time::sleep(self.cfg.auth_cost).await;
        }
    }
}
