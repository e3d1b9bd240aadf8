//! The arrival-rate executor (the open model): an arrival clock that hands one iteration of
//! a user's next task to a free user of a pool at each arrival, evenly spaced by the
//! schedule; the pool of real users (with their `on_start` and `on_stop`) that grows when an
//! arrival finds no free user; and the count of dropped iterations, the arrivals that found
//! none even at the pool's limit. No arrival is skipped silently: each one is either handed
//! to a user or counted as dropped.
//!
//! Users' waits play no part here: the arrivals decide when iterations start. Each iteration
//! carries its intended start (the arrival's time), so every request in it records its
//! corrected time too.

use crate::lock;
use crate::metrics::OpenCounters;
use crate::runner::RunState;
use crate::spawn::Spawner;
use crate::stages::RateSchedule;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, sleep_until};

/// What an arrival-rate test runs: the rate over time and the pool's bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrivalPlan {
    /// Arrivals per second over time.
    pub schedule: RateSchedule,
    /// Users started (and through `on_start`) before the first arrival.
    pub pre_allocated_users: usize,
    /// The most users the pool grows to; an arrival that finds none free then is dropped,
    /// unless it may wait (`max_lateness`).
    pub max_users: usize,
    /// How long an arrival that finds every user of a full pool busy may wait for one (in
    /// arrival order) and then run late, its corrected times counting the wait, as wrk2's
    /// requests do; it is dropped when none is free by then. Zero (k6's rule) drops it at
    /// once.
    pub max_lateness: Duration,
}

/// One arrival handed to a user: when it was due, and the interval it belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrival {
    pub(crate) intended: Instant,
    /// One arrival interval at the rate of the moment: an iteration started later than this
    /// after its arrival is late.
    pub(crate) period: Duration,
}

/// The hand-off between the arrival clock and the users, under one lock so an arrival never
/// waits in the backlog while a user waits in the free list.
#[derive(Default)]
struct Queue {
    /// Users waiting for an arrival, each as the sender of its own one-slot channel.
    free: Vec<mpsc::Sender<Arrival>>,
    /// Arrivals waiting for a user of a full pool, oldest first.
    backlog: std::collections::VecDeque<Arrival>,
}

/// What the executor and the pool's users share.
pub(crate) struct PoolShared {
    queue: Mutex<Queue>,
    max_lateness: Duration,
    /// Pre-allocated users that finished `on_start` (either way).
    settled: std::sync::atomic::AtomicUsize,
    notify: Notify,
    counters: crate::metrics::Metrics,
}

impl PoolShared {
    fn open(&self) -> &OpenCounters {
        self.counters.open()
    }

    /// Drops the backlog's arrivals that waited longer than allowed (counted).
    fn expire(&self, queue: &mut Queue, now: Instant) {
        while let Some(oldest) = queue.backlog.front() {
            if now.saturating_duration_since(oldest.intended) <= self.max_lateness {
                break;
            }
            queue.backlog.pop_front();
            self.open().dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for PoolShared {
    /// Arrivals still waiting when the test ended never ran: dropped, and counted so.
    fn drop(&mut self) {
        let left = lock(&self.queue).backlog.len() as u64;
        self.open().dropped.fetch_add(left, Ordering::Relaxed);
    }
}

/// A pool user's end of the hand-off; leaving the pool (however the user ends) counts an
/// arrival it was handed but never ran as dropped.
pub(crate) struct PoolSlot {
    shared: Arc<PoolShared>,
    tx: mpsc::Sender<Arrival>,
    rx: mpsc::Receiver<Arrival>,
    settled: bool,
}

impl PoolSlot {
    fn settle(&mut self) {
        if !self.settled {
            self.settled = true;
            self.shared.settled.fetch_add(1, Ordering::AcqRel);
            self.shared.notify.notify_one();
        }
    }

    /// The next arrival for this user, waiting in the free list for it if none is pending;
    /// `None` once the executor is gone.
    pub(crate) async fn next(&mut self) -> Option<Arrival> {
        if let Ok(a) = self.rx.try_recv() {
            return Some(a);
        }
        self.settle();
        {
            let mut queue = lock(&self.shared.queue);
            self.shared.expire(&mut queue, Instant::now());
            if let Some(late) = queue.backlog.pop_front() {
                let open = self.shared.open();
                open.started.fetch_add(1, Ordering::Relaxed);
                open.busy.fetch_add(1, Ordering::AcqRel);
                return Some(late);
            }
            queue.free.push(self.tx.clone());
        }
        self.rx.recv().await
    }

    /// Closes this user's channel and takes back the arrivals in it, never run: no longer
    /// started or busy. Returns how many there were. As the test stops that is all (a user
    /// was there for them, so they are not dropped); a user leaving the pool otherwise
    /// counts them as dropped (its `Drop`).
    pub(crate) fn take_back(&mut self) -> u64 {
        // Closed first, so the executor's next hand-off to this user fails and goes to
        // another.
        self.rx.close();
        let mut held = 0;
        while self.rx.try_recv().is_ok() {
            held += 1;
        }
        let open = self.shared.open();
        open.started.fetch_sub(held, Ordering::Relaxed);
        open.busy.fetch_sub(held as usize, Ordering::AcqRel);
        held
    }

    /// The iteration this user took: busy (counted so by whoever handed it the arrival)
    /// until the guard drops.
    pub(crate) fn busy(&self) -> Busy<'_> {
        Busy(self.shared.open())
    }
}

/// Counts a pool user as busy while it lives.
pub(crate) struct Busy<'a>(&'a OpenCounters);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Drop for PoolSlot {
    fn drop(&mut self) {
        self.settle();
        // Whatever is still in the channel, the user left the pool without running.
        let lost = self.take_back();
        let open = self.shared.open();
        open.dropped.fetch_add(lost, Ordering::Relaxed);
        open.pool.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Most arrivals handed out between two yields: a catch-up must not starve the users.
const BATCH: u64 = 1024;

/// How the executor runs one arrival-rate test.
pub(crate) struct Executor {
    pub(crate) spawner: Spawner,
    pub(crate) plan: ArrivalPlan,
    /// A segment runs the whole schedule's clock but only its arrivals, `I + N*k`.
    pub(crate) segment: Option<crate::Segment>,
    pub(crate) metrics: crate::metrics::Metrics,
}

impl Executor {
    /// Starts the pre-allocated users, waits for their `on_start`, then runs the arrival
    /// clock until the schedule ends (then stops the test) or the test is cancelled.
    pub(crate) async fn run(self) {
        let Self {
            spawner,
            plan,
            segment,
            metrics,
        } = self;
        let segment = segment.unwrap_or(crate::Segment::WHOLE);
        let shared = Arc::new(PoolShared {
            queue: Mutex::new(Queue::default()),
            max_lateness: plan.max_lateness,
            settled: std::sync::atomic::AtomicUsize::new(0),
            notify: Notify::new(),
            counters: metrics,
        });
        let open = shared.open();
        open.max_users.store(plan.max_users, Ordering::Relaxed);
        let mut rng = SmallRng::from_os_rng();
        let spawn = |rng: &mut SmallRng, first: Option<Arrival>| -> bool {
            let (tx, rx) = mpsc::channel(1);
            if let Some(a) = first {
                // A fresh channel of one slot has room.
                let _ = tx.try_send(a);
                shared.open().busy.fetch_add(1, Ordering::AcqRel);
            }
            shared.open().pool.fetch_add(1, Ordering::AcqRel);
            let slot = PoolSlot {
                shared: Arc::clone(&shared),
                tx,
                rx,
                settled: first.is_some(),
            };
            let mut set = lock(&spawner.users);
            // `false` only when every user type has a fixed count and all are reached; the
            // slot (and the arrival in it) is then counted by its drop.
            spawner.spawn_one(&mut set, rng, Some(slot))
        };
        let mut pre = 0;
        for _ in 0..plan.pre_allocated_users.min(plan.max_users) {
            if !spawn(&mut rng, None) {
                break;
            }
            pre += 1;
        }
        tracing::info!(
            target: "swarm.runner",
            "Arrival-rate run: {pre} users pre-allocated (up to {} as needed)", plan.max_users
        );
        // The clock starts once the pool is ready, so its on_start never delays an arrival.
        loop {
            let notified = shared.notify.notified();
            if shared.settled.load(Ordering::Acquire) >= pre {
                break;
            }
            tokio::select! {
                () = spawner.token.cancelled() => return,
                () = notified => {}
            }
        }
        spawner.state.send_if_modified(|s| {
            let changed = *s == RunState::Spawning;
            if changed {
                *s = RunState::Running;
            }
            changed
        });
        // `--reset-stats`: the pool's on_start is the ramp-up of an arrival-rate run.
        if let Some(metrics) = &spawner.reset_stats_after_ramp {
            tracing::info!(target: "swarm.runner", "Resetting stats");
            metrics.reset();
        }
        let origin = Instant::now();
        // This segment's share of the target rate, so that the segments' rates add up.
        let rate_share = f64::from(segment.count());
        let mut mine: u64 = 0;
        let mut batch = 0;
        while let Some(offset) = plan.schedule.arrival(segment.nth(mine)) {
            let due = origin + offset;
            if due > Instant::now() {
                batch = 0;
                tokio::select! {
                    biased;
                    () = spawner.token.cancelled() => return,
                    () = sleep_until(due) => {}
                }
            } else if batch >= BATCH {
                batch = 0;
                tokio::task::yield_now().await;
                if spawner.token.is_cancelled() {
                    return;
                }
            }
            let rate = plan.schedule.rate_at(offset);
            open.target_rate
                .store((rate / rate_share).to_bits(), Ordering::Relaxed);
            let period = if rate > 0.0 {
                Duration::try_from_secs_f64(1.0 / rate).unwrap_or(Duration::MAX)
            } else {
                Duration::MAX
            };
            let arrival = Arrival {
                intended: due,
                period,
            };
            let pool_full = open.pool.load(Ordering::Acquire) >= plan.max_users;
            match hand_off(&shared, arrival, pool_full) {
                Handed::ToUser => {
                    open.started.fetch_add(1, Ordering::Relaxed);
                }
                Handed::Waiting => {}
                Handed::NoUser if !pool_full => {
                    // The new user runs this arrival right after its on_start.
                    open.started.fetch_add(1, Ordering::Relaxed);
                    spawn(&mut rng, Some(arrival));
                }
                Handed::NoUser => {
                    open.dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
            mine += 1;
            batch += 1;
        }
        open.target_rate.store(0f64.to_bits(), Ordering::Relaxed);
        // The last arrivals (and those waiting for a user) get their iterations finished
        // within the stop timeout, then the test ends as a run time would end it.
        let until = Instant::now() + spawner.stop_timeout;
        let pending =
            || open.busy.load(Ordering::Acquire) > 0 || !lock(&shared.queue).backlog.is_empty();
        while pending() && Instant::now() < until {
            let tick = Instant::now() + Duration::from_millis(10);
            tokio::select! {
                () = spawner.token.cancelled() => return,
                () = sleep_until(tick) => {}
            }
        }
        tracing::info!(target: "swarm.runner", "The arrival stages are over, stopping");
        (spawner.stop_test)();
    }
}

/// What became of an arrival at the hand-off.
enum Handed {
    /// A free user has it.
    ToUser,
    /// The pool is full and busy, and it waits in the backlog for a user.
    Waiting,
    /// No user is free, and it may not wait: grow the pool or drop it.
    NoUser,
}

/// Hands `arrival` to a free user, or to the backlog when others already wait there (they
/// came first) or may wait at all and the pool is full.
fn hand_off(shared: &PoolShared, arrival: Arrival, pool_full: bool) -> Handed {
    let mut queue = lock(&shared.queue);
    shared.expire(&mut queue, arrival.intended);
    if queue.backlog.is_empty() {
        while let Some(tx) = queue.free.pop() {
            // Busy from the hand-off on, so the end of the schedule waits for it.
            shared.open().busy.fetch_add(1, Ordering::AcqRel);
            // Fails only for a user that left the pool since it said it was free.
            if tx.try_send(arrival).is_ok() {
                return Handed::ToUser;
            }
            shared.open().busy.fetch_sub(1, Ordering::AcqRel);
        }
    }
    if pool_full && !shared.max_lateness.is_zero() {
        queue.backlog.push_back(arrival);
        return Handed::Waiting;
    }
    Handed::NoUser
}

/// A pool user's life between `on_start` and `on_stop`: one task of its own choosing per
/// arrival handed to it, no waits, until cancelled or told to stop.
pub(crate) async fn run_pooled<U: crate::User>(
    user: &mut U,
    ctx: &mut crate::Ctx,
    control: &crate::user_loop::UserControl,
    slot: &mut PoolSlot,
) {
    use crate::user_loop::{carry_on, guarded, user_tasks};
    let Some((tasks, mut picker)) = user_tasks(user, ctx, control).await else {
        return;
    };
    let mut stop = crate::stop_signal::StopSignal::new(&control.cancel);
    loop {
        let arrival = tokio::select! {
            biased;
            () = stop.stopped() => {
                slot.take_back();
                break;
            }
            arrival = slot.next() => match arrival {
                Some(arrival) => arrival,
                None => break,
            },
        };
        let _busy = slot.busy();
        let task = tasks.tasks[picker.pick(ctx.rng())];
        let key = (ctx.user_type(), task.name);
        let started = Instant::now();
        let result = tokio::select! {
            biased;
            () = stop.stopped() => break,
            result = crate::metrics::scheduled(arrival.intended, guarded((task.run)(user, ctx))) => result,
        };
        ctx.recorder()
            .record_task(key, arrival.intended, started, arrival.period);
        if !carry_on(ctx, control, task.name, result) {
            break;
        }
    }
}
