//! A user's stop signal that is cheap to look at on every poll of the user's task.
//!
//! A user loop races each task against its [`CancellationToken`], so the stop is looked at on
//! every poll of the task (a few per HTTP request). The token's own future takes two locks on
//! every poll (its tree node's and its `Notify`'s waiter list). [`StopSignal`] polls it only
//! after it woke: the token wakes our own waker, which raises a flag and passes the wake-up on
//! to the task, so every other poll costs one atomic swap and the waker's registration.

use futures_util::task::AtomicWaker;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

/// What the token's future is polled with: remembers that it woke, and wakes the task.
struct Woken {
    /// Set by a wake-up of the token's future (and at first, so that it gets polled once and
    /// registers); cleared when it is polled.
    flag: AtomicBool,
    /// The task awaiting the stop, as last registered.
    task: AtomicWaker,
}

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.flag.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// The stop of one user, raced against each of its tasks by [`StopSignal::stopped`].
pub(crate) struct StopSignal<'t> {
    cancelled: Pin<Box<WaitForCancellationFuture<'t>>>,
    woken: Arc<Woken>,
    waker: Waker,
    /// The token was seen cancelled: every later look is ready at once.
    stopped: bool,
}

impl<'t> StopSignal<'t> {
    /// Watches `token` (once per user, not per task: the futures it makes are registered
    /// with the token under its lock).
    pub(crate) fn new(token: &'t CancellationToken) -> Self {
        let woken = Arc::new(Woken {
            flag: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        Self {
            cancelled: Box::pin(token.cancelled()),
            waker: Waker::from(Arc::clone(&woken)),
            woken,
            stopped: false,
        }
    }

    /// Ready once the token is cancelled.
    pub(crate) fn stopped(&mut self) -> Stopped<'_, 't> {
        Stopped(self)
    }

    fn poll_stopped(&mut self, cx: &Context<'_>) -> Poll<()> {
        if self.stopped {
            return Poll::Ready(());
        }
        // Registered before the flag is read, so a wake-up in between still reaches the task.
        self.woken.task.register(cx.waker());
        if self.woken.flag.swap(false, Ordering::Acquire)
            && self
                .cancelled
                .as_mut()
                .poll(&mut Context::from_waker(&self.waker))
                .is_ready()
        {
            self.stopped = true;
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

/// The future of [`StopSignal::stopped`].
pub(crate) struct Stopped<'s, 't>(&'s mut StopSignal<'t>);

impl Future for Stopped<'_, '_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().0.poll_stopped(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::StopSignal;
    use std::future::Future;
    use std::pin::pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, Wake, Waker};
    use tokio_util::sync::CancellationToken;

    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_cancel_wakes_the_task_and_is_seen_by_every_later_wait() {
        let token = CancellationToken::new();
        let mut signal = StopSignal::new(&token);
        let count = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&count));
        let mut cx = Context::from_waker(&waker);
        for _ in 0..3 {
            assert_eq!(pin!(signal.stopped()).poll(&mut cx), Poll::Pending);
        }
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        token.cancel();
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "the task is woken");
        assert_eq!(pin!(signal.stopped()).poll(&mut cx), Poll::Ready(()));
        // A later race (the next task's) sees the stop too.
        assert_eq!(pin!(signal.stopped()).poll(&mut cx), Poll::Ready(()));
    }

    #[test]
    fn a_token_cancelled_before_the_first_look_is_seen_at_once() {
        let token = CancellationToken::new();
        token.cancel();
        let mut signal = StopSignal::new(&token);
        let waker = Waker::noop();
        assert_eq!(
            pin!(signal.stopped()).poll(&mut Context::from_waker(waker)),
            Poll::Ready(())
        );
    }

    #[tokio::test]
    async fn a_cancel_from_another_task_ends_a_pending_race() {
        let token = CancellationToken::new();
        let mut signal = StopSignal::new(&token);
        let canceller = token.clone();
        tokio::spawn(async move {
            tokio::task::yield_now().await;
            canceller.cancel();
        });
        tokio::select! {
            biased;
            () = signal.stopped() => {}
            () = std::future::pending::<()>() => unreachable!(),
        }
    }
}
