//! swarm-js: load tests written as JavaScript files, run on swarm's own engine.
//!
//! `swarm run script.js` loads an ES module exporting user classes in Locust's model (a
//! `static tasks` table of weighted methods, a `static wait`, `onStart`/`onStop`) plus
//! optional `onTestStart`/`onTestStop` hooks and an `options` object; its HTTP calls are
//! swarm-http sessions and its ownCloud calls are ocs-dav's, recorded like any Rust user's.
//! The engine is QuickJS (through `rquickjs`, built from C source): one runtime per engine
//! thread, not per user. This crate is not a Node.js: no npm packages, no `require`, no
//! `fs`/`process`/`fetch`; a script imports only `swarm`. See docs/SCRIPTS.md.

mod engine;
mod script;
mod user;

pub use script::ScriptError;

use std::path::Path;
use std::sync::Arc;
use swarm::{App, BoxError, Scenario};

/// Loads a script as a scenario: checked now (syntax, exports, options), run by engine
/// threads started when its first user or hook runs.
pub fn load(path: &Path) -> Result<Scenario, BoxError> {
    let script = Arc::new(script::load(path)?);
    let engine = Arc::new(engine::Engine::new(Arc::clone(&script)));
    let names: Vec<&str> = script.classes.iter().map(|c| c.name).collect();
    let mut scenario =
        Scenario::new(script.path.clone()).about(format!("JavaScript users {}", names.join(", ")));
    for c in &script.classes {
        scenario = scenario.user_named::<user::JsUser>(c.name, c.weight, c.fixed_count);
    }
    if script.on_test_start {
        let e = Arc::clone(&engine);
        scenario = scenario.on_test_start(move |t| user::hook(Arc::clone(&e), "onTestStart", t));
    }
    if script.on_test_stop {
        let e = Arc::clone(&engine);
        scenario = scenario.on_test_stop(move |t| user::hook(Arc::clone(&e), "onTestStop", t));
    }
    for (long, values) in &script.options {
        scenario = scenario.default_value(long.clone(), values.clone());
    }
    Ok(scenario.share(engine))
}

/// `app` with `run FILE.js` taking a script.
pub fn register(app: App) -> App {
    app.script_loader("js", load)
}
