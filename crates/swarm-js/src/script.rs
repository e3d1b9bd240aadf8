//! Loading a script: it is compiled and evaluated once on the calling thread, before any user
//! starts, so a syntax error, a throwing top level or a missing export is one line with
//! file:line:column; what it exports (classes, hooks, options) is read into plain Rust data.

use rquickjs::loader::{BuiltinLoader, BuiltinResolver};
use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Function, Module, Object, Runtime};
use std::path::Path;
use std::time::Duration;
use swarm::Wait;

/// The `swarm` module every script may import.
pub(crate) const SWARM_JS: &str = include_str!("swarm.js");

/// Why a script cannot run; its text is the one line the user sees.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// The file could not be read.
    #[error("{path}: cannot read the script: {source}")]
    Read {
        /// The script's path as given.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A mistake in the script, as `file:line:column: what`.
    #[error("{0}")]
    Script(String),
}

/// One exported user class.
#[derive(Debug, Clone)]
pub(crate) struct Class {
    pub(crate) name: &'static str,
    pub(crate) weight: u32,
    pub(crate) fixed_count: Option<usize>,
    pub(crate) wait: Wait,
    pub(crate) tasks: Vec<(&'static str, u32)>,
    pub(crate) sequential: bool,
}

/// A checked script: its source (each engine thread evaluates it again) and its exports.
#[derive(Debug)]
pub(crate) struct Script {
    pub(crate) path: String,
    pub(crate) source: String,
    pub(crate) classes: Vec<Class>,
    pub(crate) on_test_start: bool,
    pub(crate) on_test_stop: bool,
    /// Defaults for `run`'s flags, by long name.
    pub(crate) options: Vec<(String, Vec<String>)>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inspected {
    classes: Vec<ClassSpec>,
    on_test_start: bool,
    on_test_stop: bool,
    options: serde_json::Map<String, serde_json::Value>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClassSpec {
    name: String,
    weight: u32,
    fixed_count: Option<usize>,
    wait: serde_json::Value,
    tasks: Vec<(String, u32)>,
    sequential: bool,
}

/// A runtime whose module loader knows `swarm`, and a full context on it.
pub(crate) fn new_engine() -> rquickjs::Result<(Runtime, Context)> {
    let rt = Runtime::new()?;
    rt.set_loader(
        BuiltinResolver::default().with_module("swarm"),
        BuiltinLoader::default().with_module("swarm", SWARM_JS),
    );
    let ctx = Context::full(&rt)?;
    Ok((rt, ctx))
}

/// Runs queued promise jobs until none is left.
pub(crate) fn run_jobs(ctx: &Ctx<'_>) {
    while ctx.execute_pending_job() {}
}

/// `path:line:column` of the first stack frame in the script, if any.
fn position(path: &str, stack: &str) -> Option<String> {
    let at = stack.find(&format!("{path}:"))?;
    let rest = &stack[at + path.len() + 1..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':'))
        .unwrap_or(rest.len());
    let pos = rest[..end].trim_end_matches(':');
    (!pos.is_empty()).then(|| format!("{path}:{pos}"))
}

/// A caught JavaScript error as `file:line:column: Name: message`.
pub(crate) fn located(path: &str, error: CaughtError<'_>) -> String {
    match error {
        CaughtError::Exception(e) => {
            let name: String = e
                .as_object()
                .get("name")
                .unwrap_or_else(|_| "Error".to_owned());
            let message = e.message().unwrap_or_default();
            let stack = e.stack().unwrap_or_default();
            let at = position(path, &stack).unwrap_or_else(|| format!("{path}:1:1"));
            format!("{at}: {name}: {message}")
        }
        CaughtError::Value(v) => format!("{path}:1:1: uncaught value: {v:?}"),
        CaughtError::Error(e) => format!("{path}:1:1: {e}"),
    }
}

/// Puts the natives that module top levels may use (`env`, `console`) on a context.
pub(crate) fn install_env<'js>(ctx: &Ctx<'js>, natives: &Object<'js>) -> rquickjs::Result<()> {
    natives.set(
        "env",
        Function::new(ctx.clone(), |name: String| std::env::var(name).ok())?,
    )?;
    natives.set(
        "log",
        Function::new(ctx.clone(), |level: u8, text: String| match level {
            0 => tracing::debug!(target: "script", "{text}"),
            1 => tracing::info!(target: "script", "{text}"),
            2 => tracing::warn!(target: "script", "{text}"),
            _ => tracing::error!(target: "script", "{text}"),
        })?,
    )?;
    ctx.globals().set("__native", natives.clone())
}

/// Evaluates `import "swarm"` and then the script; returns the script's namespace.
pub(crate) fn evaluate<'js>(
    ctx: &Ctx<'js>,
    path: &str,
    source: &str,
) -> Result<Object<'js>, String> {
    let fail = |e| located(path, e);
    let init = Module::evaluate(ctx.clone(), "swarm:init", "import \"swarm\";")
        .catch(ctx)
        .map_err(fail)?;
    run_jobs(ctx);
    init.finish::<()>().catch(ctx).map_err(fail)?;
    let module = Module::declare(ctx.clone(), path, source)
        .catch(ctx)
        .map_err(fail)?;
    let (module, done) = module.eval().catch(ctx).map_err(fail)?;
    run_jobs(ctx);
    done.finish::<()>().catch(ctx).map_err(fail)?;
    module.namespace().catch(ctx).map_err(fail)
}

fn leak(s: String) -> &'static str {
    // Once per class and task per script load: names live as long as the program.
    Box::leak(s.into_boxed_str())
}

fn seconds(v: &serde_json::Value, key: &str) -> Result<Duration, String> {
    let n = v
        .get(key)
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(-1.0);
    Duration::try_from_secs_f64(n).map_err(|_| format!("`{key}` must be a number of seconds >= 0"))
}

fn wait_of(v: &serde_json::Value) -> Result<Wait, String> {
    Ok(
        match v.get("kind").and_then(|k| k.as_str()).unwrap_or_default() {
            "none" => Wait::None,
            "constant" => Wait::constant(seconds(v, "seconds")?),
            "between" => {
                let (min, max) = (seconds(v, "min")?, seconds(v, "max")?);
                if min > max {
                    return Err("between(min, max) needs min <= max".to_owned());
                }
                Wait::between(min, max)
            }
            "constantPacing" => Wait::constant_pacing(seconds(v, "seconds")?),
            "constantThroughput" => {
                let n = v.get("perSecond").and_then(|n| n.as_f64()).unwrap_or(0.0);
                if !(n > 0.0 && n.is_finite()) {
                    return Err("constantThroughput(n) needs n > 0".to_owned());
                }
                Wait::constant_throughput(n)
            }
            other => return Err(format!("unknown wait kind `{other}`")),
        },
    )
}

/// The script's `options` export as defaults of `run`'s flags.
fn options_of(
    options: &serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<(String, Vec<String>)>, String> {
    let scalar = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let mut out = Vec::new();
    for (key, value) in options {
        let long = match key.as_str() {
            "users" => "users",
            "spawnRate" | "rate" => "spawn-rate",
            "runTime" => "run-time",
            "host" => "host",
            "stopTimeout" => "stop-timeout",
            "thresholds" => "threshold",
            _ => {
                return Err(format!(
                    "options.{key} is not an option: use users, spawnRate, runTime, host, stopTimeout or thresholds"
                ));
            }
        };
        let values = match value {
            serde_json::Value::Array(items) => items.iter().map(scalar).collect::<Option<Vec<_>>>(),
            v => scalar(v).map(|s| vec![s]),
        }
        .ok_or_else(|| format!("options.{key} must be a string or a number"))?;
        out.push((long.to_owned(), values));
    }
    Ok(out)
}

/// Reads, compiles and evaluates the script once, and reads its exports.
pub(crate) fn load(path: &Path) -> Result<Script, ScriptError> {
    let shown = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|source| ScriptError::Read {
        path: shown.clone(),
        source,
    })?;
    let at_start = |m: String| ScriptError::Script(format!("{shown}:1:1: {m}"));
    let (_rt, context) =
        new_engine().map_err(|e| at_start(format!("the JavaScript engine did not start: {e}")))?;
    let inspected: Result<String, String> = context.with(|ctx| {
        let natives = Object::new(ctx.clone()).map_err(|e| e.to_string())?;
        install_env(&ctx, &natives).map_err(|e| e.to_string())?;
        let ns = evaluate(&ctx, &shown, &source).map_err(|e| format!("\u{0}{e}"))?;
        let driver: Object<'_> = ctx.globals().get("__swarm").map_err(|e| e.to_string())?;
        let inspect: Function<'_> = driver.get("inspect").map_err(|e| e.to_string())?;
        inspect
            .call::<_, String>((ns,))
            .catch(&ctx)
            .map_err(|e| located(&shown, e))
    });
    let text = inspected.map_err(|e| match e.strip_prefix('\u{0}') {
        Some(located) => ScriptError::Script(located.to_owned()),
        None => at_start(e),
    })?;
    let inspected: Inspected = serde_json::from_str(&text).map_err(|_| at_start(text.clone()))?;
    let mut classes = Vec::new();
    for c in inspected.classes {
        let wait = wait_of(&c.wait).map_err(|e| at_start(format!("class {}: {e}", c.name)))?;
        classes.push(Class {
            name: leak(c.name),
            weight: c.weight,
            fixed_count: c.fixed_count,
            wait,
            tasks: c.tasks.into_iter().map(|(n, w)| (leak(n), w)).collect(),
            sequential: c.sequential,
        });
        if classes
            .last()
            .is_some_and(|c| c.tasks.len() > crate::user::MAX_TASKS)
        {
            return Err(at_start(format!(
                "a class may have at most {} tasks",
                crate::user::MAX_TASKS
            )));
        }
    }
    let options = options_of(&inspected.options).map_err(at_start)?;
    Ok(Script {
        path: shown,
        source,
        classes,
        on_test_start: inspected.on_test_start,
        on_test_stop: inspected.on_test_stop,
        options,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(source: &str) -> String {
        let dir = std::env::temp_dir().join(format!("swarm-js-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("t{}.js", source.len()));
        std::fs::write(&path, source).unwrap();
        let text = match load(&path) {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.to_string(),
        };
        text.replace(&path.display().to_string(), "t.js")
    }

    /// Each mistake is one line naming file:line:column and what to do.
    #[test]
    fn mistakes_are_one_line_with_a_position() {
        let cases = [
            (
                "export class A {\n  static tasks = { a: 1 }\n  a() { }\n  }}\n",
                "t.js:4:",
            ),
            ("export const x = 1;\n", "t.js:1:1: exports no user class"),
            (
                "export class A { static tasks = { b: 1 }; }\n",
                "task `b` is not a method",
            ),
            ("\nthrow new Error('boom');\n", "t.js:2:"),
            ("import { nope } from 'swarm';\n", "t.js:1:"),
            (
                "export const options = { user: 3 };\nexport class A { static tasks = { a: 1 }; a() {} }\n",
                "options.user is not an option",
            ),
            ("export class A { static tasks = { a: 1 }; a() {} }\n", "ok"),
        ];
        for (source, want) in cases {
            let got = problem(source);
            assert!(got.contains(want), "{source:?}: {got}");
            assert!(!got.contains('\n'), "{source:?}: {got}");
        }
    }
}
