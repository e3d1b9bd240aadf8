//! swarm: load tests with virtual users written as code, as one dependency.
//!
//! A test is a user type (its state, `on_start`, weighted tasks, a wait, `on_stop`) and a
//! `main` that hands it to [`App`], which gives the program the whole product: Locust's
//! flags, `SWARM_*` environment variables and `swarm.toml`, the live console and web UI,
//! CSV/JSON/HTML reports, thresholds, signals and exit codes.
//!
//! This crate only gathers the pieces; it adds no behaviour of its own. The engine is
//! `swarm-core`, HTTP is `swarm-http`, the product is `swarm-app`. Start with
//! `use swarm::prelude::*;` and see `docs/WRITING_TESTS.md`.
//!
//! ```no_run
//! use swarm::prelude::*;
//!
//! struct Visitor {
//!     http: Session,
//! }
//!
//! impl User for Visitor {
//!     const WAIT: Wait = Wait::between(Duration::from_secs(1), Duration::from_secs(3));
//!
//!     async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
//!         Ok(Self { http: ctx.session()? })
//!     }
//!
//!     fn tasks(&self) -> Tasks<Self> {
//!         tasks![3 => Self::home, 1 => Self::about]
//!     }
//! }
//!
//! impl Visitor {
//!     async fn home(&mut self) -> TaskResult {
//!         self.http.get("/").send().await?;
//!         Ok(())
//!     }
//!
//!     async fn about(&mut self) -> TaskResult {
//!         self.http.get("/about").send().await?;
//!         Ok(())
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     App::new("site-test").scenario::<Visitor>().run()
//! }
//! ```

pub use swarm_app::{
    App, BoxError, Scenario, ScriptLoader, Setup, UsageError, parse_duration, parse_host,
};
pub use swarm_core::{
    Ctx, Feeder, FeederError, Pick, Secret, Shape, ShapeTick, TaskError, TaskResult, Tasks,
    TestCtx, User, Wait, tasks,
};
pub use swarm_http::{CtxExt, Response, Session};

/// The engine: users, runner, metrics (for what the prelude leaves out).
pub use swarm_core as core;
/// The HTTP plug-in: client, sessions, requests.
pub use swarm_http as http;

/// Re-exported so options types derive `clap::Args` without another dependency line.
pub use clap;
/// Re-exported so rows, options and bodies derive `Deserialize`/`Serialize` likewise.
pub use serde;
/// Re-exported for JSON bodies and values.
pub use serde_json;
/// Re-exported: `ctx.rng()` is a `rand` generator (`use swarm::rand::Rng;`).
pub use swarm_core::rand;

/// Everything a test file needs: `use swarm::prelude::*;` (which also brings `clap` into
/// scope, so `#[derive(clap::Args)]` works without a dependency line of its own).
pub mod prelude {
    pub use crate::clap;
    pub use crate::{
        App, Ctx, CtxExt, Feeder, Pick, Response, Scenario, Secret, Session, Setup, Shape,
        ShapeTick, TaskError, TaskResult, Tasks, TestCtx, User, Wait, tasks,
    };
    pub use std::time::Duration;
}

/// The README's and the guide's code blocks, compiled as doc-tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
#[doc = include_str!("../../../docs/WRITING_TESTS.md")]
struct DocsCompile;
