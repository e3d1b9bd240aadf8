//! A request's whole-request deadline without a timer registration per request: every
//! connection keeps one tokio `Sleep`, re-armed only when it fired for an earlier request's
//! (earlier) deadline or is set later than the current one. A request that finishes before
//! its deadline therefore touches no timer wheel at all in the common case.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::time::{Instant, Sleep};

/// A connection's reusable timer.
#[derive(Default)]
pub(crate) struct Timer(Option<Pin<Box<Sleep>>>);

/// The deadline passed before the future finished.
#[derive(Debug)]
pub(crate) struct Elapsed;

impl Timer {
    /// Runs `fut` until it finishes or `deadline` passes.
    pub(crate) fn until<F: Future + Unpin>(&mut self, deadline: Instant, fut: F) -> Until<'_, F> {
        Until {
            timer: self,
            deadline,
            fut,
        }
    }
}

/// The future of [`Timer::until`].
pub(crate) struct Until<'t, F> {
    timer: &'t mut Timer,
    deadline: Instant,
    fut: F,
}

impl<F: Future + Unpin> Future for Until<'_, F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Poll::Ready(out) = Pin::new(&mut this.fut).poll(cx) {
            return Poll::Ready(Ok(out));
        }
        let deadline = this.deadline;
        let sleep = this
            .timer
            .0
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() > deadline {
            sleep.as_mut().reset(deadline);
        }
        loop {
            match sleep.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(()) if sleep.deadline() >= deadline => {
                    return Poll::Ready(Err(Elapsed));
                }
                // It fired for an earlier request: wait on for this one.
                Poll::Ready(()) => sleep.as_mut().reset(deadline),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn rearms_only_when_needed() {
        let mut timer = Timer::default();
        let start = Instant::now();
        let soon = start + Duration::from_secs(1);
        // A finished future never touches the timer.
        assert!(timer.until(soon, std::future::ready(1)).await.is_ok());
        assert!(timer.0.is_none());
        // A pending one times out at its deadline...
        let never = std::future::pending::<()>();
        assert!(timer.until(soon, never).await.is_err());
        assert_eq!(Instant::now(), soon);
        // ...and a later deadline on the fired timer waits the whole way.
        let later = soon + Duration::from_secs(2);
        let sleep = Box::pin(tokio::time::sleep_until(later - Duration::from_millis(1)));
        assert!(timer.until(later, sleep).await.is_ok());
        let never = std::future::pending::<()>();
        assert!(timer.until(later, never).await.is_err());
        assert_eq!(Instant::now(), later);
        // An earlier deadline than the armed one is honoured.
        let far = later + Duration::from_secs(60);
        let short = later + Duration::from_secs(1);
        let sleep = Box::pin(tokio::time::sleep_until(later + Duration::from_millis(500)));
        assert!(timer.until(far, sleep).await.is_ok());
        let never = std::future::pending::<()>();
        assert!(timer.until(short, never).await.is_err());
        assert_eq!(Instant::now(), short);
    }
}
