//! The spawner: moves the running user count towards the target at the spawn rate, adding
//! users of the right type or stopping the newest ones.

use crate::Ctx;
use crate::ctx::RunInfo;
use crate::lock;
use crate::metrics::Metrics;
use crate::runner::RunState;
use crate::scenario::UserClass;
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
    per_class: Vec<usize>,
}

impl UserSet {
    pub(crate) fn new(classes: usize) -> Self {
        Self {
            slots: Vec::new(),
            retiring: Vec::new(),
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
            self.retiring.retain(|h| !h.is_finished());
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
    pub(crate) seed: Option<u64>,
    pub(crate) stop_timeout: Duration,
    pub(crate) stop_test: Arc<dyn Fn() + Send + Sync>,
    pub(crate) reset_stats_after_ramp: Option<Metrics>,
}

impl Spawner {
    /// Adds one user; `false` when no user type may grow (all fixed counts reached).
    fn spawn_one(&self, set: &mut UserSet) -> bool {
        let Some(class) = (self.pick_class)(&self.classes, &set.per_class) else {
            return false;
        };
        let index = self.next_index.fetch_add(1, Ordering::AcqRel);
        let rng = match self.seed {
            Some(seed) => SmallRng::seed_from_u64(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            None => SmallRng::from_os_rng(),
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

    /// Approaches the plan one user at a time, `1/rate` apart, until cancelled.
    pub(crate) async fn run(self, mut plan: watch::Receiver<SpawnPlan>) {
        let mut next_due = Instant::now();
        let mut ramped_once = false;
        loop {
            let target = *plan.borrow_and_update();
            let interval = Duration::from_secs_f64(1.0 / target.rate);
            let now = Instant::now();
            // After an idle period, start the new ramp now rather than bursting to catch up.
            if next_due + interval < now {
                next_due = now;
            }
            let reached = {
                let mut set = lock(&self.users);
                let mut capped = false;
                while next_due <= now && set.slots.len() != target.users && !capped {
                    if set.slots.len() < target.users {
                        capped = !self.spawn_one(&mut set);
                    } else {
                        set.retire_newest();
                    }
                    if !capped {
                        next_due += interval;
                    }
                }
                (set.slots.len() == target.users || capped).then(|| self.summary(&set))
            };
            if let Some(summary) = reached {
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
                continue;
            }
            tokio::select! {
                () = self.token.cancelled() => return,
                changed = plan.changed() => if changed.is_err() { return },
                () = sleep_until(next_due) => {}
            }
        }
    }
}
