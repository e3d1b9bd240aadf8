//! A scenario: the user types of a run with their weights, and the test-level hooks.

use crate::tasks::BoxFuture;
use crate::user_loop::{UserControl, run_user};
use crate::{Ctx, TaskResult, TestCtx, User};
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

/// A test-level hook.
pub(crate) type TestHook = Arc<dyn Fn(TestCtx) -> BoxFuture<'static, TaskResult> + Send + Sync>;

/// Runs one user of a type whose concrete Rust type has been erased.
pub(crate) trait ErasedUser: Send + Sync {
    fn run(&self, ctx: Ctx, control: UserControl) -> BoxFuture<'static, ()>;
}

struct Erased<U>(PhantomData<fn() -> U>);

impl<U: User> ErasedUser for Erased<U> {
    fn run(&self, ctx: Ctx, control: UserControl) -> BoxFuture<'static, ()> {
        Box::pin(run_user::<U>(ctx, control))
    }
}

/// One user type in a scenario.
#[derive(Clone)]
pub struct UserClass {
    /// Display name.
    pub name: &'static str,
    /// Share among the weighted types.
    pub weight: u32,
    /// A fixed count, spawned before the weighted types.
    pub fixed_count: Option<usize>,
    pub(crate) imp: Arc<dyn ErasedUser>,
}

impl std::fmt::Debug for UserClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserClass")
            .field("name", &self.name)
            .field("weight", &self.weight)
            .field("fixed_count", &self.fixed_count)
            .finish()
    }
}

/// The user types of a run and its test-level hooks.
#[derive(Clone, Default)]
pub struct Scenario {
    pub(crate) classes: Vec<UserClass>,
    pub(crate) on_test_start: Option<TestHook>,
    pub(crate) on_test_stop: Option<TestHook>,
    pub(crate) on_quit: Option<TestHook>,
}

fn hook<F, Fut>(f: F) -> TestHook
where
    F: Fn(TestCtx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = TaskResult> + Send + 'static,
{
    Arc::new(move |ctx| Box::pin(f(ctx)))
}

impl Scenario {
    /// An empty scenario.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a user type with its `WEIGHT` and `FIXED_COUNT`.
    pub fn user<U: User>(self) -> Self {
        self.user_named::<U>(U::name(), U::WEIGHT, U::FIXED_COUNT)
    }

    /// Adds a user type whose name, weight and fixed count are known only at run time (a
    /// script's classes): one Rust type serves them all and tells them apart in `on_start`
    /// by `ctx.user_type()`, which is `name`.
    pub fn user_named<U: User>(
        mut self,
        name: &'static str,
        weight: u32,
        fixed_count: Option<usize>,
    ) -> Self {
        self.classes.push(UserClass {
            name,
            weight,
            fixed_count,
            imp: Arc::new(Erased::<U>(PhantomData)),
        });
        self
    }

    /// Runs once per test start, before the first user spawns; an error aborts the start.
    pub fn on_test_start<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(TestCtx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        self.on_test_start = Some(hook(f));
        self
    }

    /// Runs once per test, after every user's `on_stop` finished or timed out.
    pub fn on_test_stop<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(TestCtx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        self.on_test_stop = Some(hook(f));
        self
    }

    /// Runs once, when the runner quits (process exit).
    pub fn on_quit<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(TestCtx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        self.on_quit = Some(hook(f));
        self
    }

    /// The user types.
    pub fn classes(&self) -> &[UserClass] {
        &self.classes
    }

    /// The user types' weights and fixed counts, in order (what segments are worked out from).
    pub fn type_weights(&self) -> Vec<crate::segment::TypeWeight> {
        self.classes
            .iter()
            .map(|c| crate::segment::TypeWeight {
                weight: c.weight,
                fixed_count: c.fixed_count,
            })
            .collect()
    }
}

/// What the user-type distribution reads of a type: a [`UserClass`], or a
/// [`crate::segment::TypeWeight`] when segments are worked out without the users themselves.
pub(crate) trait TypeShare {
    fn weight(&self) -> u32;
    fn fixed_count(&self) -> Option<usize>;
}

impl TypeShare for UserClass {
    fn weight(&self) -> u32 {
        self.weight
    }
    fn fixed_count(&self) -> Option<usize> {
        self.fixed_count
    }
}

/// Which user type the next spawned user gets, given how many of each are running: fixed
/// counts first, then the weighted type furthest below its share (Locust's distribution,
/// deterministic and as even as possible at every count).
pub(crate) fn next_class<C: TypeShare>(classes: &[C], running: &[usize]) -> Option<usize> {
    if let Some(i) = classes
        .iter()
        .enumerate()
        .position(|(i, c)| c.fixed_count().is_some_and(|f| running[i] < f))
    {
        return Some(i);
    }
    let weighted = || {
        classes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.fixed_count().is_none() && c.weight() > 0)
    };
    let total_weight: u64 = weighted().map(|(_, c)| u64::from(c.weight())).sum();
    let weighted_running: usize = weighted().map(|(i, _)| running[i]).sum();
    let next_total = (weighted_running + 1) as f64;
    weighted()
        .map(|(i, c)| {
            let share = f64::from(c.weight()) / total_weight as f64 * next_total;
            (i, share - running[i] as f64)
        })
        .fold(
            None,
            |best: Option<(usize, f64)>, (i, deficit)| match best {
                Some((_, d)) if d >= deficit => best,
                _ => Some((i, deficit)),
            },
        )
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(name: &'static str, weight: u32, fixed: Option<usize>) -> UserClass {
        struct Never;
        impl ErasedUser for Never {
            fn run(&self, _: Ctx, _: UserControl) -> BoxFuture<'static, ()> {
                Box::pin(async {})
            }
        }
        UserClass {
            name,
            weight,
            fixed_count: fixed,
            imp: Arc::new(Never),
        }
    }

    fn distribute(classes: &[UserClass], n: usize) -> Vec<usize> {
        let mut running = vec![0; classes.len()];
        for _ in 0..n {
            let Some(i) = next_class(classes, &running) else {
                break;
            };
            running[i] += 1;
        }
        running
    }

    /// At every count up to 100k the split is within one user of the exact weighted share.
    #[test]
    fn user_types_follow_weights_at_every_count() {
        let classes = [
            class("a", 3, None),
            class("b", 1, None),
            class("c", 2, None),
        ];
        let mut running = vec![0usize; 3];
        for n in 1..=100_000usize {
            let i = next_class(&classes, &running).unwrap();
            running[i] += 1;
            for (j, c) in classes.iter().enumerate() {
                let share = f64::from(c.weight) / 6.0 * n as f64;
                assert!(
                    (running[j] as f64 - share).abs() < 1.0 + 1e-9,
                    "n={n}: {running:?}"
                );
            }
        }
    }

    #[test]
    fn fixed_counts_come_first_and_cap() {
        let classes = [class("admin", 1, Some(2)), class("user", 1, None)];
        assert_eq!(distribute(&classes, 1), [1, 0]);
        assert_eq!(distribute(&classes, 10), [2, 8]);
        let only_fixed = [class("admin", 1, Some(2))];
        assert_eq!(distribute(&only_fixed, 10), [2]);
    }
}
