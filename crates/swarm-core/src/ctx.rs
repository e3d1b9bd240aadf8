//! What a user (and a test-level hook) can see of the run: its index, the run id, the host,
//! its own random generator, the recorder and the run's shared extensions.

use crate::metrics::Recorder;
use crate::{Extensions, TaskError};
use rand::rngs::SmallRng;
use std::sync::Arc;

/// Facts about one test start, shared by every user of it.
#[derive(Debug)]
pub(crate) struct RunInfo {
    pub(crate) run_id: String,
    pub(crate) host: Option<String>,
    pub(crate) extensions: Extensions,
    pub(crate) recorder: Recorder,
}

impl RunInfo {
    /// The shared value of type `T`, or an error saying how to provide it.
    fn require<T: std::any::Any + Send + Sync>(&self) -> Result<&T, TaskError> {
        self.extensions.get::<T>().ok_or_else(|| {
            TaskError::Exception(format!(
                "this run has no `{}`: register it on the scenario (`.options::<T>()` or `.share(value)`)",
                std::any::type_name::<T>()
            ))
        })
    }
}

/// One virtual user's view of the run.
#[derive(Debug)]
pub struct Ctx {
    pub(crate) user_index: u64,
    pub(crate) user_type: &'static str,
    pub(crate) run: Arc<RunInfo>,
    pub(crate) rng: SmallRng,
}

impl Ctx {
    /// This user's stable index, unique within the run (and across a segmented run's workers).
    pub fn user_index(&self) -> u64 {
        self.user_index
    }

    /// The name of this user's type.
    pub fn user_type(&self) -> &'static str {
        self.user_type
    }

    /// The run's short id (lowercase letters and digits), for names that must not collide
    /// with another run's.
    pub fn run_id(&self) -> &str {
        &self.run.run_id
    }

    /// The target host given for this test, if any.
    pub fn host(&self) -> Option<&str> {
        self.run.host.as_deref()
    }

    /// This user's own random generator (seeded from `--seed` and the user index when given).
    pub fn rng(&mut self) -> &mut SmallRng {
        &mut self.rng
    }

    /// Where to record timed operations.
    pub fn recorder(&self) -> &Recorder {
        &self.run.recorder
    }

    /// A shared value the run was given, by type.
    pub fn get<T: std::any::Any + Send + Sync>(&self) -> Option<&T> {
        self.run.extensions.get::<T>()
    }

    /// The scenario's options of type `T` (its clap `Args`), as parsed from flags, the
    /// environment and `swarm.toml`.
    pub fn options<T: std::any::Any + Send + Sync>(&self) -> Result<&T, TaskError> {
        self.run.require()
    }

    /// Read-only data the scenario shares with every user (a feeder, a lookup table), by type.
    pub fn shared<T: std::any::Any + Send + Sync>(&self) -> Result<&T, TaskError> {
        self.run.require()
    }
}

/// What test-level hooks (`on_test_start`, `on_test_stop`, `on_quit`) can see.
#[derive(Debug, Clone)]
pub struct TestCtx {
    pub(crate) run: Arc<RunInfo>,
}

impl TestCtx {
    /// The run's short id.
    pub fn run_id(&self) -> &str {
        &self.run.run_id
    }

    /// The target host given for this test, if any.
    pub fn host(&self) -> Option<&str> {
        self.run.host.as_deref()
    }

    /// Where to record timed operations.
    pub fn recorder(&self) -> &Recorder {
        &self.run.recorder
    }

    /// A shared value the run was given, by type.
    pub fn get<T: std::any::Any + Send + Sync>(&self) -> Option<&T> {
        self.run.extensions.get::<T>()
    }

    /// The scenario's options of type `T` (its clap `Args`), as parsed from flags, the
    /// environment and `swarm.toml`.
    pub fn options<T: std::any::Any + Send + Sync>(&self) -> Result<&T, TaskError> {
        self.run.require()
    }

    /// Read-only data the scenario shares with every user (a feeder, a lookup table), by type.
    pub fn shared<T: std::any::Any + Send + Sync>(&self) -> Result<&T, TaskError> {
        self.run.require()
    }
}
