//! The spawner: moves the running user count towards the target at the spawn rate, adding
//! users of the right type or stopping the newest ones.
//!
//! Each plan is a ramp with a fixed schedule (the `k`-th change due `k/rate` after the plan
//! arrived). A wake-up that comes late, because running users keep the runtime busy, makes
//! every change due by then, so `-u N -r R` means N users after about N/R seconds however
//! busy the generator is. Only a new plan restarts the schedule, so an idle period before it
//! never becomes a burst.

use crate::Ctx;
use crate::ctx::RunInfo;
use crate::lock;
use crate::metrics::Metrics;
use crate::runner::RunState;
use crate::scenario::UserClass;
use crate::segment::Share;
use crate::user_loop::UserControl;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

/// The spawner's target: a user count and the rate to approach it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpawnPlan {
    /// Target number of users.
    pub users: usize,
    /// Users added or removed per second.
    pub rate: f64,
}

/// Most changes made under one lock before yielding: a catch-up of thousands of users must
/// not keep the runtime's timers and the running users waiting.
const BATCH: u64 = 1024;

/// A wake-up this far behind the schedule means the generator cannot keep up; said once.
const LATE_WARNING: Duration = Duration::from_secs(1);

/// One ramp's schedule: when each of its changes is due, and how many were made.
struct Ramp {
    origin: Instant,
    rate: f64,
    made: u64,
    /// A segment's users: the change that adds (or removes) its user of global index `g` is
    /// due when the whole plan's ramp from `whole_from` users reaches `g`, so the segments'
    /// ramps add up to the whole plan's.
    share: Option<Arc<Share>>,
    /// The whole plan's user count when this ramp began (a segment's ramps only).
    whole_from: u64,
}

impl Ramp {
    fn new(origin: Instant, rate: f64, share: Option<Arc<Share>>, whole_from: u64) -> Self {
        Self {
            origin,
            rate,
            made: 0,
            share,
            whole_from,
        }
    }

    /// When the next change is due, with `running` users of a `target`; the first change of
    /// a plain ramp is due at once.
    fn next_due(&self, running: usize, target: usize) -> Instant {
        let k = match &self.share {
            None => self.made,
            // The whole ramp's change that adds this segment's next user or removes its newest.
            Some(share) if running < target => share
                .get(running)
                .map_or(u64::MAX, |u| u.global_index.saturating_sub(self.whole_from)),
            Some(share) => running
                .checked_sub(1)
                .and_then(|i| share.get(i))
                .map_or(u64::MAX, |u| {
                    self.whole_from.saturating_sub(u.global_index + 1)
                }),
        };
        Duration::try_from_secs_f64(k as f64 / self.rate)
            .ok()
            .and_then(|d| self.origin.checked_add(d))
            // Beyond any run: a rate so low that the change never comes.
            .unwrap_or_else(|| self.origin + Duration::from_secs(86_400 * 365 * 30))
    }

    /// The whole plan's user count at `now` on its way from `whole_from` to `target`: the
    /// changes due by then (change `k` at `k/rate`) are made.
    fn whole_at(&self, now: Instant, target: u64) -> u64 {
        let gap = target.abs_diff(self.whole_from);
        let elapsed = now.saturating_duration_since(self.origin).as_secs_f64();
        let made = ((elapsed * self.rate).floor() as u64)
            .saturating_add(1)
            .min(gap);
        if target >= self.whole_from {
            self.whole_from + made
        } else {
            self.whole_from - made
        }
    }
}

/// One spawned user, newest last.
struct Slot {
    class: usize,
    cancel: CancellationToken,
    handle: JoinHandle<()>,
}

/// The users of one test: those counted towards the target, and those stopping.
pub(crate) struct UserSet {
    slots: Vec<Slot>,
    retiring: Vec<JoinHandle<()>>,
    /// Length of `retiring` at which finished handles are next dropped: sweeping on every
    /// retirement would make a ramp-down of n users cost n² checks.
    sweep_at: usize,
    per_class: Vec<usize>,
}

impl UserSet {
    pub(crate) fn new(classes: usize) -> Self {
        Self {
            slots: Vec::new(),
            retiring: Vec::new(),
            sweep_at: 64,
            per_class: vec![0; classes],
        }
    }

    pub(crate) fn running_per_class(&self) -> Vec<usize> {
        self.per_class.clone()
    }

    /// Every user's task handle, for the final wait.
    pub(crate) fn take_all(&mut self) -> Vec<JoinHandle<()>> {
        self.per_class.iter_mut().for_each(|c| *c = 0);
        let mut all: Vec<JoinHandle<()>> = self.slots.drain(..).map(|s| s.handle).collect();
        all.append(&mut self.retiring);
        all
    }

    /// Stops the newest user (it runs its `on_stop` on its own).
    fn retire_newest(&mut self) {
        if let Some(slot) = self.slots.pop() {
            slot.cancel.cancel();
            self.per_class[slot.class] -= 1;
            if self.retiring.len() >= self.sweep_at {
                self.retiring.retain(|h| !h.is_finished());
                self.sweep_at = (self.retiring.len() * 2).max(64);
            }
            self.retiring.push(slot.handle);
        }
    }
}

/// Everything the spawner task needs.
pub(crate) struct Spawner {
    pub(crate) classes: Vec<UserClass>,
    pub(crate) pick_class: fn(&[UserClass], &[usize]) -> Option<usize>,
    pub(crate) users: Arc<Mutex<UserSet>>,
    pub(crate) run: Arc<RunInfo>,
    pub(crate) token: CancellationToken,
    pub(crate) state: watch::Sender<RunState>,
    pub(crate) live: Arc<AtomicUsize>,
    pub(crate) next_index: Arc<AtomicU64>,
    /// In a segmented run: the users this segment owns of the whole plan (index and type),
    /// laid out for the plan's peak; [`SpawnPlan::users`] is then the whole plan's count.
    pub(crate) share: Option<Arc<Share>>,
    /// In a segmented run: which segment, for the global indices of an arrival pool's users.
    pub(crate) segment: Option<crate::Segment>,
    pub(crate) seed: Option<u64>,
    pub(crate) stop_timeout: Duration,
    pub(crate) stop_test: Arc<dyn Fn() + Send + Sync>,
    pub(crate) reset_stats_after_ramp: Option<Metrics>,
}

impl Spawner {
    /// Adds one user; `false` when no user type may grow (all fixed counts reached).
    /// A pool user of an arrival-rate run gets its `pool` slot; a closed run's user none.
    pub(crate) fn spawn_one(
        &self,
        set: &mut UserSet,
        rng: &mut SmallRng,
        pool: Option<crate::arrival::PoolSlot>,
    ) -> bool {
        let share = self.share.as_ref().filter(|_| pool.is_none());
        let (class, index) = match share {
            // A segment never shrinks (it cannot be reshaped), so the count spawned so far
            // is which of its users comes next.
            Some(share) => match share.get(set.slots.len()) {
                Some(user) => (
                    user.class,
                    self.next_index.load(Ordering::Acquire) + user.global_index,
                ),
                None => return false,
            },
            None => match (self.pick_class)(&self.classes, &set.per_class) {
                // A segment's pool never shrinks either: its user `k` is the whole pool's
                // `I + N*k`, disjoint from every other segment's.
                Some(class) => match self.segment.filter(|_| pool.is_some()) {
                    Some(segment) => (
                        class,
                        self.next_index.load(Ordering::Acquire)
                            + segment.nth(set.slots.len() as u64),
                    ),
                    None => (class, self.next_index.fetch_add(1, Ordering::AcqRel)),
                },
                None => return false,
            },
        };
        let rng = match self.seed {
            Some(seed) => SmallRng::seed_from_u64(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            None => SmallRng::from_rng(rng),
        };
        let ctx = Ctx {
            user_index: index,
            user_type: self.classes[class].name,
            run: Arc::clone(&self.run),
            rng,
        };
        let cancel = self.token.child_token();
        self.live.fetch_add(1, Ordering::AcqRel);
        let control = UserControl {
            cancel: cancel.clone(),
            stop_timeout: self.stop_timeout,
            live: Arc::clone(&self.live),
            stop_test: Arc::clone(&self.stop_test),
            pool,
        };
        let handle = tokio::spawn(self.classes[class].imp.run(ctx, control));
        set.slots.push(Slot {
            class,
            cancel,
            handle,
        });
        set.per_class[class] += 1;
        true
    }

    fn summary(&self, set: &UserSet) -> String {
        let parts: Vec<String> = self
            .classes
            .iter()
            .zip(&set.per_class)
            .map(|(c, n)| format!("{}: {n}", c.name))
            .collect();
        format!("{} ({} total users)", parts.join(", "), set.slots.len())
    }

    /// Approaches each plan on its own schedule: the `k`-th change of a ramp (counted from 0)
    /// is due `k/rate` after the plan arrived, and every change due by a wake-up is made then,
    /// however late the wake-up. Until cancelled.
    pub(crate) async fn run(self, mut plan: watch::Receiver<SpawnPlan>) {
        let mut ramped_once = false;
        let mut warned_late = false;
        // One OS seed per run; each user's RNG is drawn from it (no syscall per user).
        let mut rng = SmallRng::from_os_rng();
        // A segment's view of the whole plan: its user count where the last ramp got to.
        let mut whole_from = 0u64;
        let mut last: Option<(Ramp, u64)> = None;
        loop {
            let target = *plan.borrow_and_update();
            let now = Instant::now();
            if let Some((ramp, whole_target)) = &last {
                whole_from = ramp.whole_at(now, *whole_target);
            }
            // A segment runs its users among the whole plan's first `target.users`.
            let local = match &self.share {
                Some(share) => share.running_at(target.users as u64),
                None => target.users,
            };
            // A new plan is a new ramp: it starts now, wherever the last one ended, so an idle
            // period before it never turns into a burst.
            let mut ramp = Ramp::new(now, target.rate, self.share.clone(), whole_from);
            let outcome = loop {
                let next = ramp.next_due(lock(&self.users).slots.len(), local);
                let behind = Instant::now().saturating_duration_since(next);
                if !warned_late && behind > LATE_WARNING {
                    warned_late = true;
                    tracing::warn!(
                        target: "swarm.runner",
                        "The spawner woke {:.1} s behind its schedule: the load generator \
                         cannot keep up (CPU-bound?), so users start late",
                        behind.as_secs_f64()
                    );
                }
                if let Some(summary) = self.catch_up(&mut ramp, &mut rng, local).await {
                    break Some(summary);
                }
                let next = ramp.next_due(lock(&self.users).slots.len(), local);
                tokio::select! {
                    // A stop or a new plan wins over a change of the old plan due meanwhile.
                    biased;
                    () = self.token.cancelled() => return,
                    changed = plan.changed() => {
                        if changed.is_err() { return }
                        break None;
                    }
                    () = sleep_until(next) => {}
                }
            };
            last = Some((ramp, target.users as u64));
            let Some(summary) = outcome else {
                continue;
            };
            self.state.send_if_modified(|s| {
                let changed = *s == RunState::Spawning;
                if changed {
                    *s = RunState::Running;
                }
                changed
            });
            tracing::info!(target: "swarm.runner", "All users spawned: {summary}");
            if !ramped_once {
                ramped_once = true;
                if let Some(metrics) = &self.reset_stats_after_ramp {
                    tracing::info!(target: "swarm.runner", "Resetting stats");
                    metrics.reset();
                }
            }
            // Idle: the target is reached and stays so until the plan changes.
            tokio::select! {
                () = self.token.cancelled() => return,
                changed = plan.changed() => if changed.is_err() { return },
            }
            self.state.send_if_modified(|s| {
                let changed = *s == RunState::Running;
                if changed {
                    *s = RunState::Spawning;
                }
                changed
            });
        }
    }

    /// Makes every change of `ramp` that is due, at most [`BATCH`] per lock and with a yield
    /// between batches so that users and timers keep running during a big catch-up. Returns
    /// the summary once the target is reached (or no user type may grow).
    async fn catch_up(&self, ramp: &mut Ramp, rng: &mut SmallRng, target: usize) -> Option<String> {
        loop {
            // Read the clock per batch: changes that fell due during a yield are due now.
            let now = Instant::now();
            let (more, reached) = {
                let mut set = lock(&self.users);
                let mut capped = false;
                let mut batch = 0;
                while batch < BATCH
                    && set.slots.len() != target
                    && !capped
                    && ramp.next_due(set.slots.len(), target) <= now
                {
                    if set.slots.len() < target {
                        capped = !self.spawn_one(&mut set, rng, None);
                    } else {
                        set.retire_newest();
                    }
                    if !capped {
                        ramp.made += 1;
                        batch += 1;
                    }
                }
                let reached = set.slots.len() == target || capped;
                (
                    batch == BATCH && !reached,
                    reached.then(|| self.summary(&set)),
                )
            };
            if !more {
                return reached;
            }
            tokio::task::yield_now().await;
        }
    }
}
