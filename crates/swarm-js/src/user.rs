//! `JsUser`: the Rust user every script class runs as. It holds no JavaScript: each hook and
//! task is a call sent to the user's engine thread, awaited here, so swarm-core's user loop
//! (waits, weights, stop and timeout rules) is the same for script users as for Rust ones.

use crate::engine::{self, Call, Engine, Info};
use std::sync::Arc;
use swarm::core::Task;
use swarm::{Ctx, CtxExt, TaskError, TaskResult, Tasks, User, Wait};

/// The most tasks one class may have (one task function per slot, below).
pub(crate) const MAX_TASKS: usize = 32;

/// One script user: its engine, its id there and its class's index.
pub(crate) struct JsUser {
    engine: Arc<Engine>,
    uid: u64,
    class: usize,
}

impl JsUser {
    fn call(&self, call: Call) -> impl std::future::Future<Output = TaskResult> + Send + '_ {
        engine::call(&self.engine, self.uid, call)
    }
}

/// Task slot `I`: runs the class's `I`th task (task functions are plain `fn`s, so the index
/// is a const parameter rather than a captured value).
fn slot<'a, const I: usize>(
    user: &'a mut JsUser,
    _: &'a mut Ctx,
) -> swarm::core::BoxFuture<'a, TaskResult> {
    let name = user.engine.script.classes[user.class].tasks[I].0;
    Box::pin(user.call(Call::Task(name)))
}

type Slot = swarm::core::TaskFn<JsUser>;

const SLOTS: [Slot; MAX_TASKS] = [
    slot::<0>, slot::<1>, slot::<2>, slot::<3>, slot::<4>, slot::<5>, slot::<6>, slot::<7>,
    slot::<8>, slot::<9>, slot::<10>, slot::<11>, slot::<12>, slot::<13>, slot::<14>, slot::<15>,
    slot::<16>, slot::<17>, slot::<18>, slot::<19>, slot::<20>, slot::<21>, slot::<22>, slot::<23>,
    slot::<24>, slot::<25>, slot::<26>, slot::<27>, slot::<28>, slot::<29>, slot::<30>, slot::<31>,
];

impl User for JsUser {
    fn home_runtime(ctx: &Ctx) -> Option<tokio::runtime::Handle> {
        ctx.shared::<Arc<Engine>>().ok()?.home(ctx.user_index())
    }

    async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
        let engine = Arc::clone(ctx.shared::<Arc<Engine>>()?);
        let class = engine
            .script
            .classes
            .iter()
            .position(|c| c.name == ctx.user_type())
            .ok_or_else(|| TaskError::exception("no such class in the script"))?;
        let session = ctx.session()?;
        let info = Info {
            user_index: ctx.user_index(),
            user_type: ctx.user_type(),
            run_id: ctx.run_id().to_owned(),
            host: ctx.host().map(str::to_owned),
        };
        let user = JsUser {
            engine,
            uid: ctx.user_index(),
            class,
        };
        user.call(Call::Start {
            class: ctx.user_type(),
            session,
            info,
        })
        .await?;
        Ok(user)
    }

    fn tasks(&self) -> Tasks<Self> {
        let class = &self.engine.script.classes[self.class];
        let tasks = class
            .tasks
            .iter()
            .zip(SLOTS)
            .map(|(&(name, weight), slot)| Task::new(name, weight, slot))
            .collect();
        if class.sequential {
            Tasks::sequential(tasks)
        } else {
            Tasks::weighted(tasks)
        }
    }

    fn wait_time(&self) -> Wait {
        self.engine.script.classes[self.class].wait
    }

    async fn on_stop(&mut self, _: &mut Ctx) -> TaskResult {
        self.call(Call::Stop).await
    }
}

impl Drop for JsUser {
    fn drop(&mut self) {
        let _ = self
            .engine
            .send(self.uid, engine::Command::Free { uid: self.uid });
    }
}

/// Runs an exported test-level hook on an engine thread, with its own session.
pub(crate) async fn hook(
    engine: Arc<Engine>,
    name: &'static str,
    ctx: swarm::TestCtx,
) -> TaskResult {
    let session = ctx.session()?;
    let info = Info {
        user_index: 0,
        user_type: name,
        run_id: ctx.run_id().to_owned(),
        host: ctx.host().map(str::to_owned),
    };
    // Hooks never overlap each other, so one id serves them all.
    let result = engine::call(
        &engine,
        u64::MAX,
        Call::Hook {
            name,
            session,
            info,
        },
    )
    .await;
    let _ = engine.send(u64::MAX, engine::Command::Free { uid: u64::MAX });
    result
}
