//! swarm-core is swarm's protocol-agnostic engine: virtual users written as plain Rust types
//! ([`User`]) with a start-up, weighted or sequential tasks, waits and a clean-up; the
//! [`Runner`] that spawns them at a rate, reshapes and stops tests with exact lifecycle
//! semantics; and the [`metrics`] every protocol records into (HdrHistogram per operation,
//! sharded per thread, merged on read).
//!
//! It is not an HTTP library: it knows nothing of any protocol. A protocol plug-in (such as
//! `swarm-http`) times its operations and reports them through [`metrics::Recorder`].

mod arrival;
mod ctx;
mod extensions;
pub mod feeder;
pub mod metrics;
mod runner;
mod scenario;
mod secret;
pub mod segment;
mod shape;
mod spawn;
pub mod stages;
mod stop_signal;
mod sync;
mod tasks;
mod user;
mod user_loop;
mod wait;

pub mod console;

pub use arrival::ArrivalPlan;
pub use ctx::{Ctx, TestCtx};
pub use extensions::Extensions;
pub use feeder::{Feeder, FeederError, Pick};
pub use runner::{RunState, Runner, RunnerConfig, RunnerError, TestPlan};
pub use scenario::{Scenario, UserClass};
pub use secret::{Secret, redact_userinfo};
pub use segment::Segment;
pub use shape::{Shape, ShapeTick, UserStages};
pub use spawn::SpawnPlan;
pub use stages::{RateSchedule, RateStage, UserStage};
pub use sync::lock;
pub use tasks::{
    __call_task, __task_name, BoxFuture, Order, PickerError, Task, TaskCall, TaskFn, Tasks,
    WeightedPicker, WithCtx, WithoutCtx,
};
pub use user::{TaskError, TaskResult, User};
pub use wait::Wait;

/// Re-exported: `ctx.rng()` is a `rand` generator.
pub use rand;
