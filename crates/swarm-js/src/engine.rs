//! The engine threads: QuickJS runtimes are not `Send`, so each of N threads (one per core)
//! owns one runtime and one context, evaluates the script once, and runs the calls of the
//! users assigned to it (`user index % N`) on a current-thread tokio runtime with a
//! `LocalSet`. Rust holds no JavaScript value across an await: users, pending operations and
//! checks live in the driver's maps (`swarm.js`), Rust holds only their ids. A request is a
//! local task driving a swarm-http session; when it ends it resolves its promise and runs
//! the queued jobs. A cancelled call aborts its user's operations (their promises reject),
//! so a stop drops a task in flight at its next await, as for Rust users.

use crate::script::{self, Script};
use rquickjs::{CatchResultExt, Context, Ctx, Function, Object, Persistent, TypedArray, Value};
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use swarm::http::Method;
use swarm::{Session, TaskError, TaskResult};
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

/// What a user (or hook) is, as its script sees it in `ctx`.
#[derive(Debug, Clone)]
pub(crate) struct Info {
    pub(crate) user_index: u64,
    pub(crate) user_type: &'static str,
    pub(crate) run_id: String,
    pub(crate) host: Option<String>,
}

/// One call into the script.
pub(crate) enum Call {
    /// Construct the class and run `onStart`, with the user's own session.
    Start {
        class: &'static str,
        session: Session,
        info: Info,
    },
    /// Run one task method.
    Task(&'static str),
    /// Run `onStop`.
    Stop,
    /// Run an exported hook (`onTestStart`, `onTestStop`) with a session of its own.
    Hook {
        name: &'static str,
        session: Session,
        info: Info,
    },
}

/// What an engine thread is asked to do.
pub(crate) enum Command {
    Call {
        uid: u64,
        call: Call,
        reply: oneshot::Sender<TaskResult>,
    },
    /// The call in flight was dropped: abort the user's operations.
    Cancel { uid: u64 },
    /// The user is gone: forget its object, sessions and operations.
    Free { uid: u64 },
}

/// One engine thread, as the rest of the process sees it.
struct Thread {
    tx: mpsc::UnboundedSender<Command>,
    /// Its runtime, where the lives of its users run (`None`: it could not be started).
    home: Option<tokio::runtime::Handle>,
    /// Tells this thread from every other engine thread of the process.
    id: u64,
}

/// The engine threads of one script, started on first use and kept for the process.
pub(crate) struct Engine {
    pub(crate) script: Arc<Script>,
    threads: OnceLock<Vec<Thread>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("script", &self.script.path)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub(crate) fn new(script: Arc<Script>) -> Self {
        Self {
            script,
            threads: OnceLock::new(),
        }
    }

    /// The thread that runs user `uid`.
    fn thread(&self, uid: u64) -> &Thread {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let threads = self.threads.get_or_init(|| {
            let n = std::thread::available_parallelism().map_or(1, |n| n.get());
            (0..n)
                .map(|i| {
                    let (tx, rx) = mpsc::unbounded_channel();
                    let script = Arc::clone(&self.script);
                    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok();
                    let home = rt.as_ref().map(|rt| rt.handle().clone());
                    // A thread that cannot start leaves its receiver dropped: every call to it
                    // then fails with "engine thread stopped".
                    let started = std::thread::Builder::new()
                        .name(format!("swarm-js-{i}"))
                        .spawn(move || {
                            if let Some(rt) = rt {
                                thread_main(id, &rt, &script, rx);
                            }
                        });
                    Thread {
                        tx,
                        home: home.filter(|_| started.is_ok()),
                        id,
                    }
                })
                .collect()
        });
        let i = (uid % threads.len() as u64) as usize;
        &threads[i]
    }

    /// The runtime of user `uid`'s engine thread, where its whole life runs.
    pub(crate) fn home(&self, uid: u64) -> Option<tokio::runtime::Handle> {
        self.thread(uid).home.clone()
    }

    /// Hands `cmd` to user `uid`'s engine thread: at once when this is that thread (a user
    /// living on its home, so no thread is woken), else through its channel.
    pub(crate) fn send(&self, uid: u64, cmd: Command) -> Result<(), TaskError> {
        let thread = self.thread(uid);
        let here = STATE.with(|s| {
            s.borrow()
                .as_ref()
                .filter(|s| s.thread == thread.id)
                .cloned()
        });
        match here {
            Some(state) => state.handle(cmd),
            None => thread
                .tx
                .send(cmd)
                .map_err(|_| TaskError::exception("the script's engine thread stopped"))?,
        }
        Ok(())
    }
}

/// Sends `Cancel` when a call's future is dropped before its reply arrived.
struct CancelGuard<'a> {
    engine: &'a Engine,
    uid: u64,
    armed: bool,
}

impl Drop for CancelGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let _ = self
                .engine
                .send(self.uid, Command::Cancel { uid: self.uid });
        }
    }
}

/// Runs `call` for `uid` on its thread and waits for the script's answer.
pub(crate) async fn call(engine: &Engine, uid: u64, call: Call) -> TaskResult {
    let (reply, answer) = oneshot::channel();
    engine.send(uid, Command::Call { uid, call, reply })?;
    let mut guard = CancelGuard {
        engine,
        uid,
        armed: true,
    };
    let result = answer
        .await
        .unwrap_or_else(|_| Err(TaskError::exception("the script's engine dropped the call")));
    guard.armed = false;
    result
}

fn thread_main(
    id: u64,
    rt: &tokio::runtime::Runtime,
    script: &Script,
    mut rx: mpsc::UnboundedReceiver<Command>,
) {
    let local = Rc::new(tokio::task::LocalSet::new());
    let tasks = Rc::clone(&local);
    local.block_on(rt, async move {
        let js = match Js::start(id, script, tasks) {
            Ok(js) => js,
            Err(problem) => {
                while let Some(cmd) = rx.recv().await {
                    if let Command::Call { reply, .. } = cmd {
                        let _ = reply.send(Err(TaskError::exception(&problem)));
                    }
                }
                return;
            }
        };
        while let Some(cmd) = rx.recv().await {
            js.state.handle(cmd);
        }
    });
}

/// A response as the script sees it.
struct Reply {
    status: u16,
    text: String,
    /// `None` for a request sent with `keep: false` (nothing of it is read).
    headers: Option<Vec<(String, String)>>,
    elapsed_ms: f64,
}

impl Reply {
    fn of(r: &swarm::Response, keep: bool) -> Self {
        Self {
            status: r.status().as_u16(),
            text: String::from_utf8_lossy(r.body()).into_owned(),
            headers: keep.then(|| {
                r.headers()
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect()
            }),
            elapsed_ms: r.response_time().as_secs_f64() * 1000.0,
        }
    }

    fn headers_js<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let Some(headers) = &self.headers else {
            return Ok(Value::new_undefined(ctx.clone()));
        };
        let h = Object::new(ctx.clone())?;
        for (k, v) in headers {
            h.set(k.as_str(), v.as_str())?;
        }
        Ok(h.into_value())
    }

    /// `[status, text, headers, elapsed]`, the arguments of the script's `Response`.
    fn to_js<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let a = rquickjs::Array::new(ctx.clone())?;
        a.set(0, self.status)?;
        a.set(1, self.text.as_str())?;
        a.set(2, self.headers_js(ctx)?)?;
        a.set(3, self.elapsed_ms)?;
        Ok(a.into_value())
    }
}

/// How an operation ended.
enum Done {
    Response(Reply),
    Value(serde_json::Value),
    /// Already counted in the stats (the script sees an `HttpError`).
    Failed(String, Option<Reply>),
    /// Not a request failure: the script sees an `Error`.
    Error(String),
}

impl Done {
    fn of(r: Result<swarm::Response, swarm::http::Error>, keep: bool) -> Self {
        match r {
            Ok(r) => Done::Response(Reply::of(&r, keep)),
            Err(e) if e.is_recorded() => {
                Done::Failed(e.to_string(), e.response().map(|r| Reply::of(r, true)))
            }
            Err(e) => Done::Error(e.to_string()),
        }
    }
}

impl From<Result<serde_json::Value, TaskError>> for Done {
    fn from(r: Result<serde_json::Value, TaskError>) -> Self {
        match r {
            Ok(v) => Done::Value(v),
            Err(TaskError::Failed(m)) => Done::Failed(m, None),
            Err(e) => Done::Error(e.to_string()),
        }
    }
}

/// The driver's functions, kept across calls (no global or property lookup per call).
struct Driver {
    start: Persistent<Function<'static>>,
    task: Persistent<Function<'static>>,
    stop: Persistent<Function<'static>>,
    hook: Persistent<Function<'static>>,
    free: Persistent<Function<'static>>,
    complete: Persistent<Function<'static>>,
    response: Persistent<Function<'static>>,
    check: Persistent<Function<'static>>,
}

impl Driver {
    fn load(ctx: &Ctx<'_>) -> rquickjs::Result<Self> {
        let d: Object<'_> = ctx.globals().get("__swarm")?;
        let f = |name: &str| -> rquickjs::Result<Persistent<Function<'static>>> {
            Ok(Persistent::save(ctx, d.get::<_, Function<'_>>(name)?))
        };
        Ok(Self {
            start: f("start")?,
            task: f("task")?,
            stop: f("stop")?,
            hook: f("hook")?,
            free: f("free")?,
            complete: f("complete")?,
            response: f("response")?,
            check: f("check")?,
        })
    }
}

/// One engine thread's state, shared by its natives and its local tasks.
struct State {
    /// The engine thread this is ([`Thread::id`]).
    thread: u64,
    /// Where operations run: spawned through the set itself, since the users' lives (which
    /// start them) are tasks of the thread's runtime, outside the set's context. Kept for
    /// the thread's life, like the set.
    local: Rc<tokio::task::LocalSet>,
    context: Context,
    driver: OnceCell<Driver>,
    calls: RefCell<HashMap<u64, oneshot::Sender<TaskResult>>>,
    next_id: Cell<u64>,
    /// Session id to (owning user, session).
    sessions: RefCell<HashMap<u64, (u64, Session)>>,
    owned: RefCell<HashMap<u64, Vec<u64>>>,
    inflight: RefCell<HashMap<u64, HashMap<u64, AbortHandle>>>,
}

thread_local! {
    /// This thread's state, for response checks (which swarm-http runs inside a request).
    static STATE: RefCell<Option<Rc<State>>> = const { RefCell::new(None) };
}

/// Why a session can no longer be used.
const STOPPED: &str = "this session belongs to a user that has stopped";

fn js_err(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    rquickjs::Exception::throw_message(ctx, message)
}

impl State {
    fn id(&self) -> u64 {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        id
    }

    fn add_session(&self, uid: u64, session: Session) -> u64 {
        let sid = self.id();
        self.sessions.borrow_mut().insert(sid, (uid, session));
        self.owned.borrow_mut().entry(uid).or_default().push(sid);
        sid
    }

    fn session(&self, ctx: &Ctx<'_>, sid: u64) -> rquickjs::Result<Session> {
        self.sessions
            .borrow()
            .get(&sid)
            .map(|(_, s)| s.clone())
            .ok_or_else(|| js_err(ctx, STOPPED))
    }

    /// Runs `work` as a local task of `uid`, resolving operation `id` with its result.
    fn spawn<F>(self: &Rc<Self>, uid: u64, id: u64, work: F)
    where
        F: std::future::Future<Output = Done> + 'static,
    {
        let state = Rc::clone(self);
        let handle = self.local.spawn_local(async move {
            let done = work.await;
            if let Some(ops) = state.inflight.borrow_mut().get_mut(&uid) {
                ops.remove(&id);
            }
            state.complete(id, done);
        });
        self.inflight
            .borrow_mut()
            .entry(uid)
            .or_default()
            .insert(id, handle.abort_handle());
    }

    /// One of the driver's functions, on `ctx`.
    fn driver<'js>(
        &self,
        ctx: &Ctx<'js>,
        pick: fn(&Driver) -> &Persistent<Function<'static>>,
    ) -> rquickjs::Result<Function<'js>> {
        let driver = self
            .driver
            .get()
            .ok_or_else(|| js_err(ctx, "the script's driver is not loaded"))?;
        pick(driver).clone().restore(ctx)
    }

    /// Settles operation `id`'s promise and runs what it unblocks.
    fn complete(&self, id: u64, done: Done) {
        self.context.with(|ctx| {
            let result = (|| -> rquickjs::Result<()> {
                if let Done::Response(r) = &done {
                    let response = self.driver(&ctx, |d| &d.response)?;
                    return response.call((
                        id,
                        r.status,
                        r.text.as_str(),
                        r.headers_js(&ctx)?,
                        r.elapsed_ms,
                    ));
                }
                let complete = self.driver(&ctx, |d| &d.complete)?;
                let (kind, value): (u8, Value<'_>) = match &done {
                    Done::Response(_) => unreachable!("settled above"),
                    Done::Value(v) => (0, ctx.json_parse(v.to_string())?),
                    Done::Failed(message, response) => {
                        let o = Object::new(ctx.clone())?;
                        o.set("message", message.as_str())?;
                        if let Some(r) = response {
                            o.set("response", r.to_js(&ctx)?)?;
                        }
                        (1, o.into_value())
                    }
                    Done::Error(message) => (
                        2,
                        rquickjs::String::from_str(ctx.clone(), message)?.into_value(),
                    ),
                };
                complete.call::<_, ()>((id, kind, value))
            })();
            if let Err(e) = result.catch(&ctx) {
                tracing::warn!("script engine: settling an operation failed: {e}");
            }
            script::run_jobs(&ctx);
        });
    }

    /// Aborts `uid`'s operations; their promises reject so the script unwinds.
    fn cancel(&self, uid: u64) {
        let ops = self.inflight.borrow_mut().remove(&uid).unwrap_or_default();
        for (id, handle) in ops {
            handle.abort();
            self.complete(
                id,
                Done::Error("cancelled: the user is stopping".to_owned()),
            );
        }
    }
}

/// One engine thread: its runtime, context and state.
struct Js {
    _rt: rquickjs::Runtime,
    state: Rc<State>,
}

/// A request's options beyond `name` and `keep`, as the driver hands them over.
struct RequestSpec {
    headers: Vec<String>,
    query: Vec<String>,
    body: Body,
    expect: Vec<u16>,
    timeout: Option<f64>,
    redirects: Option<bool>,
    check: bool,
    auth: Option<Vec<String>>,
}

enum Body {
    None,
    Text(String),
    Bytes(Vec<u8>),
    Json(String),
}

/// A copy of a `Uint8Array`'s bytes.
#[allow(unsafe_code)]
fn bytes_of(array: &TypedArray<'_, u8>) -> Vec<u8> {
    // SAFETY: the slice is copied at once, while no JavaScript runs that could detach or
    // resize the buffer (rquickjs marks the borrow unsafe for that reason only).
    unsafe { array.as_bytes() }.unwrap_or_default().to_vec()
}

impl RequestSpec {
    fn read(o: &Object<'_>) -> rquickjs::Result<Self> {
        let kind: u8 = o.get("kind")?;
        let body = match kind {
            1 => Body::Text(o.get("body")?),
            2 => Body::Bytes(bytes_of(&o.get::<_, TypedArray<'_, u8>>("body")?)),
            3 => Body::Json(o.get("body")?),
            _ => Body::None,
        };
        Ok(Self {
            headers: o.get("headers")?,
            query: o.get("query")?,
            body,
            expect: o.get("expect")?,
            timeout: o.get("timeout")?,
            redirects: o.get("redirects")?,
            check: o.get("check")?,
            auth: o.get("auth")?,
        })
    }
}

/// Runs the script's `check(response)` for operation `id` (inside the request, on this
/// thread, outside any other use of the context).
fn run_check(id: u64, response: &swarm::Response) -> Result<(), String> {
    let Some(state) = STATE.with(|s| s.borrow().clone()) else {
        return Ok(());
    };
    state.context.with(|ctx| {
        let verdict = (|| -> rquickjs::Result<Value<'_>> {
            let check = state.driver(&ctx, |d| &d.check)?;
            check.call((id, Reply::of(response, true).to_js(&ctx)?))
        })()
        .catch(&ctx);
        match verdict {
            Ok(v) if v.as_bool() == Some(true) => Ok(()),
            Ok(v) => Err(v
                .as_string()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_else(|| "check failed".to_owned())),
            Err(e) => Err(format!("check threw: {e}")),
        }
    })
}

async fn send(
    session: Session,
    method: Method,
    target: String,
    name: Option<String>,
    keep: bool,
    spec: Option<RequestSpec>,
    id: u64,
) -> Done {
    let mut req = session.request(method, target);
    if let Some(name) = name {
        req = req.name(name);
    }
    if keep {
        req = req.keep_body();
    }
    let Some(spec) = spec else {
        return Done::of(req.send().await, keep);
    };
    for pair in spec.headers.chunks_exact(2) {
        req = req.header(pair[0].as_str(), pair[1].as_str());
    }
    if !spec.query.is_empty() {
        let pairs: Vec<(&str, &str)> = spec
            .query
            .chunks_exact(2)
            .map(|p| (p[0].as_str(), p[1].as_str()))
            .collect();
        req = req.query(pairs);
    }
    req = match spec.body {
        Body::None => req,
        Body::Text(s) => req.body(s),
        Body::Bytes(b) => req.body(b),
        Body::Json(s) => req.header("content-type", "application/json").body(s),
    };
    if !spec.expect.is_empty() {
        req = req.expect_status(spec.expect);
    }
    if let Some(t) = spec
        .timeout
        .and_then(|t| Duration::try_from_secs_f64(t).ok())
    {
        req = req.timeout(t);
    }
    if let Some(follow) = spec.redirects {
        req = req.follow_redirects(follow);
    }
    if let Some([user, password]) = spec.auth.as_deref() {
        req = req.basic_auth(user, password);
    }
    if spec.check {
        req = req.check(move |r| run_check(id, r));
    }
    Done::of(req.send().await, keep)
}

/// An ownCloud call on a session (`ocs(...)`, `dav(...)` in the script).
async fn owncloud(session: Session, name: String, extra: String, args: Vec<String>) -> Done {
    use ocs_dav::dav::{Dav, Depth};
    use ocs_dav::ocs::Ocs;
    use serde_json::Value as J;
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let result: Result<J, TaskError> = async {
        match name.as_str() {
            "createUser" => Ocs::new(&session).create_user(&arg(0), &arg(1)).await?,
            "deleteUser" => Ocs::new(&session).delete_user(&arg(0)).await?,
            "removeUser" => Ocs::new(&session).remove_user(&arg(0)).await?,
            _ => {
                let (user, label) = extra.split_once('\n').unwrap_or((&extra, ""));
                let dav = Dav::new(session.clone(), user);
                macro_rules! on {
                    ($d:expr) => {{
                        let d = $d;
                        match name.as_str() {
                            "get" => return Ok(J::from(d.get(&arg(0)).await?.bytes)),
                            "put" => {
                                d.put(&arg(0), arg(1)).await?;
                            }
                            "propfind" => {
                                let depth = if arg(1) == "0" {
                                    Depth::Zero
                                } else {
                                    Depth::One
                                };
                                let entries = d.propfind(&arg(0), depth).await?;
                                return Ok(J::from(
                                    entries.into_iter().map(|e| e.href).collect::<Vec<_>>(),
                                ));
                            }
                            "mkcol" => d.mkcol(&arg(0)).await?,
                            "delete" => d.delete(&arg(0)).await?,
                            "move" => {
                                d.mv(&arg(0), &arg(1), !arg(2).is_empty()).await?;
                            }
                            other => {
                                return Err(TaskError::exception(format!(
                                    "unknown ownCloud call `{other}`"
                                )));
                            }
                        }
                    }};
                }
                if label.is_empty() {
                    on!(&dav)
                } else {
                    on!(dav.named(label))
                }
            }
        }
        Ok(J::Null)
    }
    .await;
    result.into()
}

impl Js {
    fn start(
        thread: u64,
        script: &Script,
        local: Rc<tokio::task::LocalSet>,
    ) -> Result<Self, String> {
        let (rt, context) = script::new_engine()
            .map_err(|e| format!("the JavaScript engine did not start: {e}"))?;
        let state = Rc::new(State {
            thread,
            local,
            context: context.clone(),
            driver: OnceCell::new(),
            calls: RefCell::default(),
            next_id: Cell::new(1),
            sessions: RefCell::default(),
            owned: RefCell::default(),
            inflight: RefCell::default(),
        });
        STATE.with(|s| *s.borrow_mut() = Some(Rc::clone(&state)));
        context.with(|ctx| -> Result<(), String> {
            let natives = Object::new(ctx.clone()).map_err(|e| e.to_string())?;
            install_natives(&ctx, &natives, &state).map_err(|e| e.to_string())?;
            script::install_env(&ctx, &natives).map_err(|e| e.to_string())?;
            let ns = script::evaluate(&ctx, &script.path, &script.source)?;
            let driver: Object<'_> = ctx.globals().get("__swarm").map_err(|e| e.to_string())?;
            let set_ns: Function<'_> = driver.get("setNs").map_err(|e| e.to_string())?;
            set_ns.call::<_, ()>((ns,)).map_err(|e| e.to_string())?;
            let loaded = Driver::load(&ctx).map_err(|e| e.to_string())?;
            let _ = state.driver.set(loaded);
            Ok(())
        })?;
        Ok(Self { _rt: rt, state })
    }
}

impl State {
    /// Runs one command; never called from inside the context (a native or a check).
    fn handle(&self, cmd: Command) {
        let state = self;
        match cmd {
            Command::Call { uid, call, reply } => {
                let id = state.id();
                state.calls.borrow_mut().insert(id, reply);
                let started = state.context.with(|ctx| {
                    let result = (|| -> rquickjs::Result<()> {
                        let info_of = |sid: u64, info: &Info| -> rquickjs::Result<Object<'_>> {
                            let o = Object::new(ctx.clone())?;
                            o.set("sid", sid)?;
                            o.set("userIndex", info.user_index)?;
                            o.set("userType", info.user_type)?;
                            o.set("runId", info.run_id.as_str())?;
                            o.set("host", info.host.as_deref())?;
                            Ok(o)
                        };
                        match call {
                            Call::Start {
                                class,
                                session,
                                info,
                            } => {
                                let sid = state.add_session(uid, session);
                                let f = state.driver(&ctx, |d| &d.start)?;
                                f.call((id, uid, class, info_of(sid, &info)?))
                            }
                            Call::Task(name) => {
                                let f = state.driver(&ctx, |d| &d.task)?;
                                f.call((id, uid, name))
                            }
                            Call::Stop => {
                                let f = state.driver(&ctx, |d| &d.stop)?;
                                f.call((id, uid))
                            }
                            Call::Hook {
                                name,
                                session,
                                info,
                            } => {
                                let sid = state.add_session(uid, session);
                                let f = state.driver(&ctx, |d| &d.hook)?;
                                f.call((id, uid, name, info_of(sid, &info)?))
                            }
                        }
                    })();
                    let result = result.catch(&ctx).map_err(|e| e.to_string());
                    script::run_jobs(&ctx);
                    result
                });
                if let Err(e) = started
                    && let Some(reply) = state.calls.borrow_mut().remove(&id)
                {
                    let _ = reply.send(Err(TaskError::exception(e)));
                }
            }
            Command::Cancel { uid } => state.cancel(uid),
            Command::Free { uid } => {
                state.cancel(uid);
                for sid in state.owned.borrow_mut().remove(&uid).unwrap_or_default() {
                    state.sessions.borrow_mut().remove(&sid);
                }
                state.context.with(|ctx| {
                    let freed = state
                        .driver(&ctx, |d| &d.free)
                        .and_then(|f| f.call::<_, ()>((uid,)));
                    let _ = freed.catch(&ctx);
                    script::run_jobs(&ctx);
                });
            }
        }
    }
}

/// The natives the driver uses (`globalThis.__native`).
fn install_natives<'js>(
    ctx: &Ctx<'js>,
    natives: &Object<'js>,
    state: &Rc<State>,
) -> rquickjs::Result<()> {
    let s = Rc::clone(state);
    natives.set(
        "done",
        Function::new(ctx.clone(), move |call: u64, kind: u8, message: String| {
            let Some(reply) = s.calls.borrow_mut().remove(&call) else {
                return;
            };
            let result = match kind {
                0 => Ok(()),
                1 => Err(TaskError::Failed(message)),
                2 => Err(TaskError::StopUser),
                3 => Err(TaskError::StopTest),
                _ => Err(TaskError::Exception(message)),
            };
            let _ = reply.send(result);
        })?,
    )?;
    let s = Rc::clone(state);
    natives.set(
        "http",
        Function::new(
            ctx.clone(),
            // Seven parameters at most (rquickjs), so no `Ctx`: problems settle the promise.
            move |id: u64,
                  sid: u64,
                  method: String,
                  target: String,
                  name: Option<String>,
                  keep: bool,
                  spec: Option<Object<'js>>|
                  -> rquickjs::Result<()> {
                let owned = s.sessions.borrow().get(&sid).cloned();
                let Some((uid, session)) = owned else {
                    s.spawn(0, id, async { Done::Error(STOPPED.to_owned()) });
                    return Ok(());
                };
                let known = match method.as_str() {
                    "GET" => Some(Method::GET),
                    "POST" => Some(Method::POST),
                    "PUT" => Some(Method::PUT),
                    "DELETE" => Some(Method::DELETE),
                    _ => None,
                };
                let Some(method) = known.or_else(|| Method::from_bytes(method.as_bytes()).ok())
                else {
                    let problem = format!("`{method}` is not an HTTP method");
                    s.spawn(uid, id, async { Done::Error(problem) });
                    return Ok(());
                };
                let spec = spec.as_ref().map(RequestSpec::read).transpose()?;
                s.spawn(uid, id, send(session, method, target, name, keep, spec, id));
                Ok(())
            },
        )?,
    )?;
    let s = Rc::clone(state);
    natives.set(
        "owncloud",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  id: u64,
                  uid: u64,
                  sid: u64,
                  name: String,
                  extra: String,
                  args: Vec<String>|
                  -> rquickjs::Result<()> {
                let session = s.session(&ctx, sid)?;
                s.spawn(uid, id, owncloud(session, name, extra, args));
                Ok(())
            },
        )?,
    )?;
    let s = Rc::clone(state);
    natives.set(
        "sleep",
        Function::new(ctx.clone(), move |id: u64, uid: u64, ms: f64| {
            let d = Duration::try_from_secs_f64(ms / 1000.0).unwrap_or_default();
            s.spawn(uid, id, async move {
                tokio::time::sleep(d).await;
                Done::Value(serde_json::Value::Null)
            });
        })?,
    )?;
    let s = Rc::clone(state);
    natives.set(
        "fresh",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, uid: u64, sid: u64| -> rquickjs::Result<u64> {
                let fresh = s.session(&ctx, sid)?.fresh();
                Ok(s.add_session(uid, fresh))
            },
        )?,
    )?;
    let s = Rc::clone(state);
    natives.set(
        "auth",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  uid: u64,
                  sid: u64,
                  user: String,
                  password: String|
                  -> rquickjs::Result<u64> {
                let authed = s.session(&ctx, sid)?.with_basic_auth(&user, &password);
                Ok(s.add_session(uid, authed))
            },
        )?,
    )?;
    let s = Rc::clone(state);
    natives.set(
        "bearer",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, uid: u64, sid: u64, token: String| -> rquickjs::Result<u64> {
                let authed = s
                    .session(&ctx, sid)?
                    .with_bearer_auth(&token)
                    .map_err(|e| js_err(&ctx, &e.to_string()))?;
                Ok(s.add_session(uid, authed))
            },
        )?,
    )?;
    let s = Rc::clone(state);
    natives.set(
        "cookie",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, sid: u64, name: String| -> rquickjs::Result<Option<String>> {
                Ok(s.session(&ctx, sid)?.cookie(&name))
            },
        )?,
    )?;
    Ok(())
}
