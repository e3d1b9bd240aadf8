//! The shared server state every request sees, and its counters.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::SimConfig;
use crate::locks::Locks;
use crate::session::Sessions;
use crate::shares::Shares;
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
    /// User shares and public links.
    pub(crate) shares: Shares,
    /// WebDAV locks.
    pub(crate) locks: Locks,
    /// `http://addr` as clients reach it (share URLs).
    pub(crate) base_url: String,
}

impl State {
    /// Deletes an account and everything hanging off it (shares made or received, locks).
    pub(crate) fn delete_user(&self, id: &str) -> bool {
        let Some(u) = self.store.user(id) else {
            return false;
        };
        self.shares.forget_user(&u.id);
        self.locks.forget_tree(&u.id);
        self.store.delete_user(&u.id)
    }

    /// Counts a password check and pays its configured cost without blocking a worker.
    pub(crate) async fn password_check(&self) {
        self.stats.password_checks.fetch_add(1, Ordering::Relaxed);
        if !self.cfg.auth_cost.is_zero() {
            tokio::time::sleep(self.cfg.auth_cost).await;
        }
    }
}
