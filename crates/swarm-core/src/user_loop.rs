//! One virtual user's life: `on_start`, tasks separated by waits until cancelled, `on_stop`.
//!
//! Invariants: `on_stop` runs exactly once for every user whose `on_start` succeeded; a task
//! in flight is dropped (cancelled at its next await) when the user is stopped; an `on_start`
//! in flight is *not* cancelled (it may have created something `on_stop` must remove) but
//! bounded by the stop timeout; panics and errors become exceptions, never a lost `on_stop`.

use crate::stop_signal::StopSignal;
use crate::tasks::WeightedPicker;
use crate::{Ctx, TaskError, User};
use futures_util::FutureExt;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::{Instant, sleep_until, timeout_at};
use tokio_util::sync::CancellationToken;

/// How the runner steers one user.
pub(crate) struct UserControl {
    /// Cancelled when this user (or the whole test) must stop.
    pub(crate) cancel: CancellationToken,
    /// Bound on `on_stop` (and on a pending `on_start`) once stopping began.
    pub(crate) stop_timeout: Duration,
    /// Users not yet stopping; this user leaves it when it begins to stop.
    pub(crate) live: Arc<AtomicUsize>,
    /// Asks the runner to stop the whole test (without waiting for it).
    pub(crate) stop_test: Arc<dyn Fn() + Send + Sync>,
    /// In an arrival-rate run, this user's place in the pool: it runs one task per arrival
    /// handed to it instead of its own loop of tasks and waits.
    pub(crate) pool: Option<crate::arrival::PoolSlot>,
}

/// Leaves the live count exactly once, however the user ends.
struct LiveGuard(Option<Arc<AtomicUsize>>);

impl LiveGuard {
    fn leave(&mut self) {
        if let Some(live) = self.0.take() {
            live.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.leave();
    }
}

/// A panic payload as text.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_owned()
    }
}

/// Runs a hook or task, turning a panic into an exception text.
pub(crate) async fn guarded<T>(
    fut: impl Future<Output = Result<T, TaskError>>,
) -> Result<T, TaskError> {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => Err(TaskError::Exception(format!(
            "panic: {}",
            panic_message(payload.as_ref())
        ))),
    }
}

fn record(ctx: &Ctx, context: &str, error: &TaskError) {
    match error {
        TaskError::Exception(message) => ctx.recorder().record_exception(message, context),
        TaskError::Failed(message) => {
            tracing::debug!(user = ctx.user_index(), %context, "failed: {message}");
        }
        TaskError::StopUser | TaskError::StopTest => {}
    }
}

/// Runs one user on its [`User::home_runtime`] runtime, or here when it has none. Aborting the
/// returned future (the runner does, past the stop timeout) aborts the user on its home too.
pub(crate) async fn run_user<U: User>(ctx: Ctx, control: UserControl) {
    let Some(home) = U::home_runtime(&ctx) else {
        return live_user::<U>(ctx, control).await;
    };
    /// Aborts the user's task on its home when the worker's side is dropped.
    struct AbortOnDrop(tokio::task::JoinHandle<()>);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let mut user = AbortOnDrop(home.spawn(live_user::<U>(ctx, control)));
    // A panic escaping the user was already turned into an exception by `guarded`.
    let _ = (&mut user.0).await;
}

async fn live_user<U: User>(mut ctx: Ctx, mut control: UserControl) {
    let mut live = LiveGuard(Some(Arc::clone(&control.live)));
    let cancel = control.cancel.clone();
    let stop_timeout = control.stop_timeout;
    let mut deadline: Option<Instant> = None;

    let started = {
        let on_start = guarded(U::on_start(&mut ctx));
        tokio::pin!(on_start);
        tokio::select! {
            biased;
            result = &mut on_start => result,
            () = cancel.cancelled() => {
                let until = Instant::now() + stop_timeout;
                deadline = Some(until);
                match timeout_at(until, &mut on_start).await {
                    Ok(result) => result,
                    Err(_) => Err(TaskError::Exception(format!(
                        "on_start did not finish within the stop timeout ({stop_timeout:?})"
                    ))),
                }
            }
        }
    };
    let mut user = match started {
        Ok(user) => user,
        Err(error) => {
            // A failed start is always worth an exception: the user never ran.
            let message = match &error {
                TaskError::Failed(m) | TaskError::Exception(m) => format!("on_start failed: {m}"),
                other => format!("on_start: {other}"),
            };
            ctx.recorder().record_exception(&message, "on_start");
            if error == TaskError::StopTest {
                (control.stop_test)();
            }
            return;
        }
    };

    if deadline.is_none() {
        match control.pool.take() {
            Some(mut slot) => {
                crate::arrival::run_pooled(&mut user, &mut ctx, &control, &mut slot).await;
                deadline = Some(Instant::now() + stop_timeout);
            }
            None => run_tasks(&mut user, &mut ctx, &control, &mut deadline).await,
        }
    }
    live.leave();

    let until = deadline.unwrap_or_else(|| Instant::now() + stop_timeout);
    match timeout_at(until, guarded(user.on_stop(&mut ctx))).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            let message = format!("on_stop failed: {error}");
            ctx.recorder().record_exception(&message, "on_stop");
        }
        Err(_) => ctx.recorder().record_exception(
            &format!("on_stop did not finish within the stop timeout ({stop_timeout:?})"),
            "on_stop",
        ),
    }
}

/// The user's tasks and their picker; without any (all weights 0) the error is recorded
/// and the user idles until stopped, as Locust's would, and `None` is returned then.
pub(crate) async fn user_tasks<U: User>(
    user: &mut U,
    ctx: &Ctx,
    control: &UserControl,
) -> Option<(crate::Tasks<U>, WeightedPicker)> {
    let tasks = user.tasks();
    let weights: Vec<u32> = tasks.tasks.iter().map(|t| t.weight).collect();
    match WeightedPicker::new(&weights, tasks.order) {
        Ok(picker) => Some((tasks, picker)),
        Err(e) => {
            ctx.recorder().record_exception(&e.to_string(), "tasks");
            control.cancel.cancelled().await;
            None
        }
    }
}

/// Records what a task's error means and whether its user goes on: `false` when the task
/// stopped its user (or the whole test, which is asked to stop here).
pub(crate) fn carry_on(
    ctx: &Ctx,
    control: &UserControl,
    task: &'static str,
    result: Result<(), TaskError>,
) -> bool {
    match result {
        Ok(()) => true,
        Err(TaskError::StopUser) => false,
        Err(TaskError::StopTest) => {
            (control.stop_test)();
            false
        }
        Err(error) => {
            record(ctx, &format!("task {task}"), &error);
            true
        }
    }
}

/// Runs tasks until cancelled or told to stop; sets `deadline` for `on_stop`.
async fn run_tasks<U: User>(
    user: &mut U,
    ctx: &mut Ctx,
    control: &UserControl,
    deadline: &mut Option<Instant>,
) {
    let cancel = &control.cancel;
    let wait = user.wait_time();
    let Some((tasks, mut picker)) = user_tasks(user, ctx, control).await else {
        *deadline = Some(Instant::now() + control.stop_timeout);
        return;
    };
    // The clock as read after the last task: nothing awaits between that read and the look
    // at `next_start`, so reading it again there would only add a clock read per task.
    let mut now = Instant::now();
    let mut next_start = now + wait.initial_phase(ctx.rng());
    // Paced waits promise a start every period after the last one: a task held back by an
    // overrun of the one before was intended one period after that one's start, and its
    // corrected times count from there.
    let period = wait.period();
    let mut intended = next_start;
    // One stop signal for the whole loop: a fresh token future per task would register with
    // (and unregister from) the token's waiter list, under its lock, on every request.
    let mut stop = StopSignal::new(cancel);
    loop {
        if next_start > now {
            tokio::select! {
                biased;
                () = stop.stopped() => break,
                () = sleep_until(next_start) => {}
            }
        } else {
            // No wait: a timer would cost a driver round-trip per task, but a task that never
            // awaits must still let other users and the stop signal run (the `select!` below
            // looks at the stop first).
            tokio::task::consume_budget().await;
        }
        let task = tasks.tasks[picker.pick(ctx.rng())];
        let scheduled = next_start;
        let result = match period {
            None => tokio::select! {
                biased;
                () = stop.stopped() => break,
                result = guarded((task.run)(user, ctx)) => result,
            },
            Some(period) => {
                let started = Instant::now();
                let key = (ctx.user_type(), task.name);
                let result = tokio::select! {
                    biased;
                    () = stop.stopped() => break,
                    result = crate::metrics::scheduled(intended, guarded((task.run)(user, ctx))) => result,
                };
                ctx.recorder().record_task(key, intended, started, period);
                intended = scheduled + period;
                result
            }
        };
        if !carry_on(ctx, control, task.name, result) {
            break;
        }
        now = Instant::now();
        next_start = wait.next_start(scheduled, now, ctx.rng());
    }
    *deadline = Some(Instant::now() + control.stop_timeout);
}
