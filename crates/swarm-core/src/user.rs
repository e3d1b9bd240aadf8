//! The [`User`] trait a scenario author implements, and what tasks return.

use crate::{Ctx, Tasks, Wait};
use std::future::Future;

/// Why a task, hook or user ended early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// An expected failure already recorded in the stats (e.g. a request that failed): the
    /// task ends quietly and the user goes on.
    Failed(String),
    /// An unexpected error: recorded in the exceptions table by message; the user goes on.
    Exception(String),
    /// Stop this user: its `on_stop` runs, the others go on.
    StopUser,
    /// Stop the whole test: every user's `on_stop` runs, then `on_test_stop`.
    StopTest,
}

impl TaskError {
    /// An unexpected error from anything displayable.
    pub fn exception(e: impl std::fmt::Display) -> Self {
        Self::Exception(e.to_string())
    }

    /// An expected failure (already recorded, or deliberately not recorded).
    pub fn failed(e: impl std::fmt::Display) -> Self {
        Self::Failed(e.to_string())
    }
}

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Failed(m) | Self::Exception(m) => f.write_str(m),
            Self::StopUser => f.write_str("user stopped itself"),
            Self::StopTest => f.write_str("test stopped by a user"),
        }
    }
}

impl From<std::io::Error> for TaskError {
    fn from(e: std::io::Error) -> Self {
        Self::exception(e)
    }
}

impl From<String> for TaskError {
    fn from(e: String) -> Self {
        Self::Exception(e)
    }
}

impl From<&str> for TaskError {
    fn from(e: &str) -> Self {
        Self::Exception(e.to_owned())
    }
}

/// What a task returns.
pub type TaskResult = Result<(), TaskError>;

/// A kind of virtual user: its state is `Self`; it is built by `on_start`, runs `tasks`
/// separated by `WAIT`, and is torn down by `on_stop`.
///
/// Implementations may write the hooks as `async fn`; the futures must be `Send` because users
/// run on every core.
pub trait User: Sized + Send + 'static {
    /// The wait between two tasks of one user.
    const WAIT: Wait = Wait::None;
    /// This user type's share when several types run together.
    const WEIGHT: u32 = 1;
    /// A fixed number of users of this type, spawned before the weighted ones (Locust's
    /// `fixed_count`); `None` means weighted.
    const FIXED_COUNT: Option<usize> = None;

    /// The name shown in logs and reports; defaults to the type's own name.
    fn name() -> &'static str {
        let full = std::any::type_name::<Self>();
        full.rsplit("::").next().unwrap_or(full)
    }

    /// Starts one user: sets up what it needs (an account, a session) and returns its state.
    /// Runs once per user before its first task; if it fails, the user does not run.
    fn on_start(ctx: &mut Ctx) -> impl Future<Output = Result<Self, TaskError>> + Send;

    /// The user's tasks, weighted or in sequence; asked once, right after `on_start`, so
    /// weights may come from the user's own options.
    fn tasks(&self) -> Tasks<Self>;

    /// The wait between two tasks; defaults to `WAIT`, override it to choose at run time.
    fn wait_time(&self) -> Wait {
        Self::WAIT
    }

    /// The runtime this user's whole life (start, tasks, waits, stop) runs on; `None`, the
    /// default, keeps it on the worker that spawned it. A user whose work happens on a thread
    /// of its own (a script engine's) names that thread's runtime, so its calls do not cross
    /// threads; the core's stop, timeout and `on_stop` rules apply there unchanged.
    fn home_runtime(ctx: &Ctx) -> Option<tokio::runtime::Handle> {
        let _ = ctx;
        None
    }

    /// Tears the user down; runs once for every user whose `on_start` succeeded, on every
    /// kind of stop, bounded by the stop timeout.
    fn on_stop(&mut self, ctx: &mut Ctx) -> impl Future<Output = TaskResult> + Send {
        let _ = ctx;
        async { Ok(()) }
    }
}
