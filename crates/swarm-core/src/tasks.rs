//! Tasks and how the next one is chosen: by weight at random, or in sequence.

use crate::{Ctx, TaskResult};
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future borrowing the user and its context.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A task: a function of the user's state and context.
pub type TaskFn<U> = for<'a> fn(&'a mut U, &'a mut Ctx) -> BoxFuture<'a, TaskResult>;

/// One named, weighted task.
pub struct Task<U> {
    pub(crate) name: &'static str,
    pub(crate) weight: u32,
    pub(crate) run: TaskFn<U>,
}

impl<U> Task<U> {
    /// A task with a display name and a weight (0 means never picked).
    pub fn new(name: &'static str, weight: u32, run: TaskFn<U>) -> Self {
        Self { name, weight, run }
    }
}

impl<U> Clone for Task<U> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<U> Copy for Task<U> {}

/// How tasks are picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// At random on every pick, with probability proportional to weight (Locust's `@task(n)`).
    Weighted,
    /// In the order given, each repeated `weight` times, then from the start again
    /// (Locust's `SequentialTaskSet`).
    Sequential,
}

/// A user type's tasks and their order.
pub struct Tasks<U> {
    pub(crate) tasks: Vec<Task<U>>,
    pub(crate) order: Order,
}

impl<U> Tasks<U> {
    /// Tasks picked at random by weight.
    pub fn weighted(tasks: Vec<Task<U>>) -> Self {
        Self {
            tasks,
            order: Order::Weighted,
        }
    }

    /// Tasks run in order, each `weight` times in a row.
    pub fn sequential(tasks: Vec<Task<U>>) -> Self {
        Self {
            tasks,
            order: Order::Sequential,
        }
    }

    /// The tasks, in declaration order.
    pub fn names(&self) -> impl Iterator<Item = (&'static str, u32)> + '_ {
        self.tasks.iter().map(|t| (t.name, t.weight))
    }
}

/// Builds [`Tasks`] from `weight => path` pairs; each path is an `async fn(&mut self) ->
/// TaskResult`, or `async fn(&mut self, ctx: &mut Ctx) -> TaskResult` when the task needs the
/// context. `tasks![3 => Self::download, 1 => Self::upload]` picks by weight;
/// `tasks![sequential: Self::login, Self::browse]` runs in order.
#[macro_export]
macro_rules! tasks {
    (sequential: $($f:path),+ $(,)?) => {
        $crate::Tasks::sequential(vec![$($crate::Task::new(
            $crate::__task_name(stringify!($f)), 1, |u, c| $crate::__call_task($f, u, c),
        )),+])
    };
    ($($w:expr => $f:path),+ $(,)?) => {
        $crate::Tasks::weighted(vec![$($crate::Task::new(
            $crate::__task_name(stringify!($f)), $w, |u, c| $crate::__call_task($f, u, c),
        )),+])
    };
}

/// A task function of either shape `tasks!` accepts; `M` tells the shapes apart so one
/// macro serves both without the author naming which.
#[doc(hidden)]
pub trait TaskCall<'a, U: 'a, M> {
    /// Calls the task and boxes its future.
    fn call_task(self, user: &'a mut U, ctx: &'a mut Ctx) -> BoxFuture<'a, TaskResult>;
}

/// Marks a task that takes only `&mut self`.
#[doc(hidden)]
#[derive(Debug)]
pub struct WithoutCtx;

/// Marks a task that takes `&mut self` and `&mut Ctx`.
#[doc(hidden)]
#[derive(Debug)]
pub struct WithCtx;

impl<'a, U: 'a, F, Fut> TaskCall<'a, U, WithoutCtx> for F
where
    F: FnOnce(&'a mut U) -> Fut,
    Fut: Future<Output = TaskResult> + Send + 'a,
{
    fn call_task(self, user: &'a mut U, _: &'a mut Ctx) -> BoxFuture<'a, TaskResult> {
        Box::pin(self(user))
    }
}

impl<'a, U: 'a, F, Fut> TaskCall<'a, U, WithCtx> for F
where
    F: FnOnce(&'a mut U, &'a mut Ctx) -> Fut,
    Fut: Future<Output = TaskResult> + Send + 'a,
{
    fn call_task(self, user: &'a mut U, ctx: &'a mut Ctx) -> BoxFuture<'a, TaskResult> {
        Box::pin(self(user, ctx))
    }
}

/// What `tasks!` expands to for each task: calls `f` with or without the context.
#[doc(hidden)]
pub fn __call_task<'a, U: 'a, M, F: TaskCall<'a, U, M>>(
    f: F,
    user: &'a mut U,
    ctx: &'a mut Ctx,
) -> BoxFuture<'a, TaskResult> {
    f.call_task(user, ctx)
}

/// Strips `Self :: ` from a stringified path so task names read `download`.
#[doc(hidden)]
pub fn __task_name(path: &'static str) -> &'static str {
    path.rsplit("::").next().map(str::trim).unwrap_or(path)
}

/// Errors building a picker.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PickerError {
    /// No task has a weight above zero.
    #[error("no task can run: every task weight is 0 (give at least one task a weight above 0)")]
    NoRunnableTask,
}

/// Chooses the index of the next task to run, by weight or in sequence.
#[derive(Debug, Clone)]
pub enum WeightedPicker {
    /// Random by weight, independently on every pick.
    Weighted(WeightedIndex<u32>),
    /// The one task that can run (one weight above zero): no random draw per pick, which
    /// would read the user's RNG state, one more cache line per request with many users.
    Only(usize),
    /// The indices in order, each repeated by its weight; `next` is the position.
    Sequential {
        /// Task indices in run order.
        order: Vec<usize>,
        /// Position of the next pick.
        next: usize,
    },
}

impl WeightedPicker {
    /// A picker for the given weights and order.
    pub fn new(weights: &[u32], order: Order) -> Result<Self, PickerError> {
        let mut runnable = weights.iter().enumerate().filter(|(_, w)| **w > 0);
        if let (Order::Weighted, Some((only, _)), None) = (order, runnable.next(), runnable.next())
        {
            return Ok(Self::Only(only));
        }
        match order {
            Order::Weighted => WeightedIndex::new(weights.iter().copied())
                .map(Self::Weighted)
                .map_err(|_| PickerError::NoRunnableTask),
            Order::Sequential => {
                let order: Vec<usize> = weights
                    .iter()
                    .enumerate()
                    .flat_map(|(i, &w)| std::iter::repeat_n(i, w as usize))
                    .collect();
                if order.is_empty() {
                    Err(PickerError::NoRunnableTask)
                } else {
                    Ok(Self::Sequential { order, next: 0 })
                }
            }
        }
    }

    /// The index of the next task.
    pub fn pick(&mut self, rng: &mut impl Rng) -> usize {
        match self {
            Self::Weighted(index) => index.sample(rng),
            Self::Only(i) => *i,
            Self::Sequential { order, next } => {
                let i = order[*next % order.len()];
                *next = (*next + 1) % order.len();
                i
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    /// Over 100k seeded picks every task's share lies within 5 standard deviations of its
    /// weight's share (a binomial bound: a broken picker misses it, a correct one never does).
    #[test]
    fn weighted_picks_follow_weights_within_binomial_bound() {
        let cases: &[&[u32]] = &[
            &[3, 1],
            &[1, 1, 1],
            &[10, 0, 5, 1],
            &[1, 99],
            &[7],
            &[0, 4, 0],
        ];
        for weights in cases {
            let mut picker = WeightedPicker::new(weights, Order::Weighted).unwrap();
            let mut rng = SmallRng::seed_from_u64(42);
            let n = 100_000u32;
            let mut counts = vec![0u32; weights.len()];
            for _ in 0..n {
                counts[picker.pick(&mut rng)] += 1;
            }
            let total: u32 = weights.iter().sum();
            for (i, &w) in weights.iter().enumerate() {
                let p = f64::from(w) / f64::from(total);
                let expected = p * f64::from(n);
                let sd = (f64::from(n) * p * (1.0 - p)).sqrt();
                let observed = f64::from(counts[i]);
                assert!(
                    (observed - expected).abs() <= 5.0 * sd + 1e-9,
                    "weights {weights:?}: task {i} picked {observed} times, expected {expected:.0} ± {:.0}",
                    5.0 * sd
                );
            }
        }
    }

    #[test]
    fn same_seed_same_picks() {
        let picks = |seed| {
            let mut picker = WeightedPicker::new(&[3, 1, 2], Order::Weighted).unwrap();
            let mut rng = SmallRng::seed_from_u64(seed);
            (0..100).map(|_| picker.pick(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(picks(7), picks(7));
        assert_ne!(picks(7), picks(8));
    }

    #[test]
    fn a_single_runnable_task_draws_nothing_from_the_rng() {
        let mut picker = WeightedPicker::new(&[0, 5, 0], Order::Weighted).unwrap();
        let mut rng = SmallRng::seed_from_u64(3);
        let untouched = rng.clone();
        assert!((0..10).all(|_| picker.pick(&mut rng) == 1));
        assert_eq!(rng, untouched);
    }

    #[test]
    fn sequential_repeats_by_weight_in_order() {
        let mut picker = WeightedPicker::new(&[2, 0, 1], Order::Sequential).unwrap();
        let mut rng = SmallRng::seed_from_u64(0);
        let picks: Vec<usize> = (0..7).map(|_| picker.pick(&mut rng)).collect();
        assert_eq!(picks, [0, 0, 2, 0, 0, 2, 0]);
    }

    #[test]
    fn all_zero_weights_is_an_error() {
        for order in [Order::Weighted, Order::Sequential] {
            assert_eq!(
                WeightedPicker::new(&[0, 0], order).unwrap_err(),
                PickerError::NoRunnableTask
            );
        }
    }

    #[test]
    fn task_names_drop_the_self_prefix() {
        assert_eq!(__task_name("Self :: download"), "download");
        assert_eq!(__task_name("upload"), "upload");
    }
}
