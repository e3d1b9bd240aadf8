//! [`Scenario`]: what a test author registers with the [`App`](crate::App) — a name, user
//! types, test-level hooks, typed options (a clap `Args` type) and shared read-only data.
//! The App turns the parsed flags into a swarm-core scenario and the run's shared values.

use crate::error::{BoxError, UsageError};
use std::any::Any;
use std::sync::Arc;
use swarm_core::{Extensions, TaskResult, TestCtx, User};

/// Adds one options type's flags to a scenario's command.
type Augment = fn(clap::Command) -> clap::Command;
/// Reads one options type from the parsed flags into the run's shared values.
type Extract = fn(&clap::ArgMatches, &mut Extensions) -> Result<(), clap::Error>;
/// A scenario's set-up step, run once the flags are parsed and before any user starts.
type SetupFn = Arc<dyn Fn(&mut Setup<'_>) -> Result<(), BoxError> + Send + Sync>;
/// What a scenario may have left on the target when the program ends, and how to remove it.
pub(crate) type LeftoversFn = Arc<dyn Fn(&Extensions) -> Option<String> + Send + Sync>;

/// One options type of a scenario.
#[derive(Clone)]
pub(crate) struct OptionSet {
    pub(crate) augment: Augment,
    pub(crate) extract: Extract,
}

fn extract<O>(matches: &clap::ArgMatches, into: &mut Extensions) -> Result<(), clap::Error>
where
    O: clap::FromArgMatches + Any + Send + Sync,
{
    into.insert(O::from_arg_matches(matches)?);
    Ok(())
}

/// A named load test: its user types, hooks, options and shared data.
///
/// ```no_run
/// use swarm::prelude::*;
///
/// #[derive(clap::Args, Debug)]
/// struct ShopOptions {
///     /// Items each user puts in the cart.
///     #[arg(long, env = "SHOP_ITEMS", default_value_t = 3)]
///     items: u32,
/// }
///
/// struct Shopper;
/// impl User for Shopper {
///     async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
///         let _items = ctx.options::<ShopOptions>()?.items;
///         Ok(Shopper)
///     }
///     fn tasks(&self) -> Tasks<Self> { tasks![1 => Self::browse] }
/// }
/// impl Shopper {
///     async fn browse(&mut self) -> TaskResult { Ok(()) }
/// }
///
/// let scenario = Scenario::new("shop")
///     .about("browse and buy")
///     .options::<ShopOptions>()
///     .user::<Shopper>();
/// # let _ = swarm::App::new("shop-test").register(scenario);
/// ```
#[derive(Clone)]
pub struct Scenario {
    pub(crate) name: String,
    pub(crate) about: String,
    pub(crate) users: swarm_core::Scenario,
    pub(crate) options: Vec<OptionSet>,
    pub(crate) shared: Extensions,
    pub(crate) setups: Vec<SetupFn>,
    pub(crate) leftovers: Vec<LeftoversFn>,
    pub(crate) host_required: bool,
    pub(crate) shape: Option<crate::open::ScenarioShape>,
    /// Defaults for the App's flags, by long name (below `swarm.toml`, env and flags).
    pub(crate) defaults: Vec<(String, Vec<String>)>,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("users", &self.users.classes())
            .finish_non_exhaustive()
    }
}

impl Scenario {
    /// A scenario called `name` (what `run NAME` and `list` show).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            about: String::new(),
            users: swarm_core::Scenario::new(),
            options: Vec::new(),
            shared: Extensions::new(),
            setups: Vec::new(),
            leftovers: Vec::new(),
            host_required: true,
            shape: None,
            defaults: Vec::new(),
        }
    }

    /// One line for `list` and `--help`.
    pub fn about(mut self, text: impl Into<String>) -> Self {
        self.about = text.into();
        self
    }

    /// Adds a user type, with its `WEIGHT` and `FIXED_COUNT`.
    pub fn user<U: User>(mut self) -> Self {
        self.users = self.users.user::<U>();
        self
    }

    /// Adds a user type whose name, weight and fixed count come at run time (a script's
    /// classes, one Rust type for all of them: see swarm-core's `Scenario::user_named`).
    pub fn user_named<U: User>(
        mut self,
        name: &'static str,
        weight: u32,
        fixed_count: Option<usize>,
    ) -> Self {
        self.users = self.users.user_named::<U>(name, weight, fixed_count);
        self
    }

    /// Adds the scenario's own flags: a clap `Args` type, shown under the scenario in
    /// `--help`, read from flag > env > `swarm.toml` > default like every flag, and handed
    /// to users typed by `ctx.options::<O>()`. Mark secret values `hide_env_values = true`
    /// (and type them [`Secret`](swarm_core::Secret)) to keep them out of every output.
    pub fn options<O>(mut self) -> Self
    where
        O: clap::Args + clap::FromArgMatches + Any + Send + Sync,
    {
        self.options.push(OptionSet {
            augment: O::augment_args,
            extract: extract::<O>,
        });
        self
    }

    /// Read-only data every user may read with `ctx.shared::<T>()` (a table, a feeder).
    pub fn share<T: Any + Send + Sync>(mut self, value: T) -> Self {
        self.shared.insert(value);
        self
    }

    /// A step run once the flags are parsed and before any user starts: check options, load
    /// files (e.g. a feeder's CSV), share what users need. An error is a usage error: one
    /// line, exit code 2.
    pub fn setup<F>(mut self, f: F) -> Self
    where
        F: Fn(&mut Setup<'_>) -> Result<(), BoxError> + Send + Sync + 'static,
    {
        self.setups.push(Arc::new(f));
        self
    }

    /// Asked when the program ends, however it ends (a second Ctrl-C, a stop timeout, a dead
    /// server): `f` reads the shared value `T` and says what may be left on the target and the
    /// command that removes it. The App prints it and puts it in every report.
    pub fn leftovers<T, F>(mut self, f: F) -> Self
    where
        T: Any + Send + Sync,
        F: Fn(&T) -> Option<String> + Send + Sync + 'static,
    {
        self.leftovers.push(Arc::new(move |shared: &Extensions| {
            shared.get::<T>().and_then(&f)
        }));
        self
    }

    /// Runs once per test start, before the first user spawns; an error aborts the start.
    pub fn on_test_start<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(TestCtx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        self.users = self.users.on_test_start(f);
        self
    }

    /// Runs once per test, after every user's `on_stop` finished or timed out.
    pub fn on_test_stop<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(TestCtx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        self.users = self.users.on_test_stop(f);
        self
    }

    /// Runs once, when the program exits.
    pub fn on_quit<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(TestCtx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        self.users = self.users.on_quit(f);
        self
    }

    /// Lets headless runs start without `--host` (the users need none, or build their own).
    pub fn host_optional(mut self) -> Self {
        self.host_required = false;
        self
    }

    /// Shapes the user count of its closed runs over time, as Locust's `LoadTestShape`:
    /// `make` builds a fresh [`swarm_core::Shape`] for each test, which is asked about once a
    /// second for the users and spawn rate it wants, or for the end of the test. `-u`/`-r`
    /// are then not used; `--stages` and the arrival-rate flags take precedence over it.
    pub fn shape<S, F>(mut self, make: F) -> Self
    where
        S: swarm_core::Shape,
        F: Fn() -> S + Send + Sync + 'static,
    {
        self.shape = Some(crate::open::ScenarioShape(Arc::new(move || {
            Box::new(make()) as Box<dyn swarm_core::Shape>
        })));
        self
    }

    /// A default for one of the App's `run` flags, by its long name (`users`, `run-time`,
    /// `threshold` ...): what a script's own `options` say. `swarm.toml`, the environment and
    /// the command line still win; an unknown name is refused when the command is built.
    pub fn default_value(mut self, long: impl Into<String>, values: Vec<String>) -> Self {
        self.defaults.push((long.into(), values));
        self
    }

    /// The scenario's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// What a [`Scenario::setup`] step sees: the parsed options and the target, and where to put
/// data for the users.
pub struct Setup<'a> {
    pub(crate) shared: &'a mut Extensions,
    pub(crate) host: Option<&'a str>,
    pub(crate) headless: bool,
}

impl std::fmt::Debug for Setup<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setup")
            .field("headless", &self.headless)
            .finish_non_exhaustive()
    }
}

impl Setup<'_> {
    /// The scenario's parsed options of type `O`.
    pub fn options<O: Any + Send + Sync>(&self) -> Result<&O, UsageError> {
        self.shared.get::<O>().ok_or_else(|| {
            UsageError(format!(
                "the scenario reads options `{}` it did not register: add `.options::<{0}>()`",
                std::any::type_name::<O>()
            ))
        })
    }

    /// Shares `value` with every user (`ctx.shared::<T>()`).
    pub fn share<T: Any + Send + Sync>(&mut self, value: T) {
        self.shared.insert(value);
    }

    /// The target given by `--host`, if any (the web UI's start form may give it later).
    pub fn host(&self) -> Option<&str> {
        self.host
    }

    /// Whether this run is headless (no web UI to give a host later).
    pub fn headless(&self) -> bool {
        self.headless
    }
}
