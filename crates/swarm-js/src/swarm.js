// The "swarm" module a script imports: waits, task forms, errors, sessions, ownCloud calls.
// Everything here is plain JavaScript over a few native functions (globalThis.__native);
// nothing is shared between engine threads.
const native = globalThis.__native;

/** Waits, in seconds (Locust's wait_time functions). */
export const between = (min, max) => ({ kind: "between", min, max });
export const constant = (seconds) => ({ kind: "constant", seconds });
export const constantPacing = (seconds) => ({ kind: "constantPacing", seconds });
export const constantThroughput = (perSecond) => ({ kind: "constantThroughput", perSecond });

/** Tasks run in order, each `weight` times: sequential({ login: 1, browse: 5 }). */
export const sequential = (tasks) => ({ sequential: true, tasks });

/** Throw to stop this user (its onStop runs) or the whole test. */
export class StopUser extends Error { constructor() { super("user stopped itself"); this.name = "StopUser"; } }
export class StopTest extends Error { constructor() { super("test stopped by a user"); this.name = "StopTest"; } }

/** A request that failed (already counted in the failures table): the task ends quietly. */
export class HttpError extends Error {
  constructor(message, response) { super(message); this.name = "HttpError"; this.response = response; }
}

/** An environment variable, or `fallback` when unset. */
export const env = (name, fallback) => { const v = native.env(String(name)); return v === undefined ? fallback : v; };

// console.log and friends go to swarm's log (stderr, and --logfile).
const show = (v) => (typeof v === "string" ? v : (() => { try { return JSON.stringify(v); } catch { return String(v); } })());
const logger = (level) => (...args) => native.log(level, args.map(show).join(" "));
globalThis.console = { log: logger(1), info: logger(1), debug: logger(0), warn: logger(2), error: logger(3) };

const NO_OPTIONS = Object.freeze({});
let nextOp = 1;
const pending = new Map();

function op(start) {
  return new Promise((resolve, reject) => {
    const id = nextOp++;
    pending.set(id, [resolve, reject]);
    try { start(id); } catch (e) { pending.delete(id); reject(e); }
  });
}

class Response {
  constructor(status, text, headers, elapsed) {
    this.status = status; this.text = text; this.headers = headers; this.elapsed = elapsed;
  }
  get ok() { return this.status < 400; }
  json() { return JSON.parse(this.text); }
  header(name) { return this.headers ? this.headers[String(name).toLowerCase()] : undefined; }
}

function bodyOf(opts) {
  if (opts.json !== undefined) return [3, JSON.stringify(opts.json)];
  const b = opts.body;
  if (b === undefined || b === null) return [0, null];
  if (typeof b === "string") return [1, b];
  if (b instanceof ArrayBuffer) return [2, new Uint8Array(b)];
  if (ArrayBuffer.isView(b)) return [2, new Uint8Array(b.buffer, b.byteOffset, b.byteLength)];
  return [1, String(b)];
}

function specOf(o) {
  const [kind, body] = bodyOf(o);
  return {
    headers: flat(o.headers), query: flat(o.query), kind, body, expect: o.expect || [],
    timeout: o.timeout, redirects: o.redirects, check: typeof o.check === "function",
    auth: o.auth ? [String(o.auth[0]), String(o.auth[1])] : undefined,
  };
}

const flat = (o) => Object.entries(o || {}).flatMap(([k, v]) => [String(k), String(v)]);

/** One user's HTTP session: its own cookie jar; clones from withBasicAuth share it. */
export class Session {
  constructor(uid, sid) { this.uid = uid; this.sid = sid; }
  request(method, target, opts) { return this.send(String(method).toUpperCase(), target, opts); }
  send(method, target, opts) {
    const o = opts || NO_OPTIONS;
    // Only `name` and `keep` go by argument; any option specOf reads builds the full spec
    // (looked up by name: a `for...in` would allocate an enumerator per request).
    const spec = o.headers !== undefined || o.query !== undefined || o.body !== undefined ||
      o.json !== undefined || o.expect !== undefined || o.timeout !== undefined ||
      o.redirects !== undefined || o.check !== undefined || o.auth !== undefined
      ? specOf(o) : undefined;
    const name = o.name === undefined ? undefined : String(o.name);
    return op((id) => {
      if (spec && spec.check) checks.set(id, o.check);
      native.http(id, this.sid, method, String(target), name, o.keep !== false, spec);
    });
  }
  get(t, o) { return this.send("GET", t, o); }
  head(t, o) { return this.send("HEAD", t, o); }
  post(t, o) { return this.send("POST", t, o); }
  put(t, o) { return this.send("PUT", t, o); }
  patch(t, o) { return this.send("PATCH", t, o); }
  delete(t, o) { return this.send("DELETE", t, o); }
  /** The same jar, with basic auth on every request. */
  withBasicAuth(user, password) { return new Session(this.uid, native.auth(this.uid, this.sid, String(user), String(password))); }
  /** The same jar, with `Authorization: Bearer TOKEN` on every request. */
  withBearerAuth(token) { return new Session(this.uid, native.bearer(this.uid, this.sid, String(token))); }
  /** A cookie's value from the jar. */
  cookie(name) { return native.cookie(this.sid, String(name)); }
}

const checks = new Map();

/** ownCloud's OCS provisioning API on a session (usually an admin's). */
export function ocs(session) {
  const call = (name, ...args) => op((id) => native.owncloud(id, session.uid, session.sid, name, "", args.map(String)));
  return {
    createUser: (id, password) => call("createUser", id, password),
    deleteUser: (id) => call("deleteUser", id),
    /** Deletes the user; "already gone" is success. */
    removeUser: (id) => call("removeUser", id),
  };
}

/** One user's WebDAV files on a session; `named(label)` groups per-user file names. */
export function dav(session, user, label = "") {
  const call = (name, ...args) => op((id) => native.owncloud(id, session.uid, session.sid, name, String(user) + "\n" + label, args.map((a) => a === undefined ? "" : String(a))));
  return {
    get: (path) => call("get", path),
    put: (path, body) => call("put", path, body),
    propfind: (path = "", depth = 1) => call("propfind", path, depth),
    mkcol: (path) => call("mkcol", path),
    delete: (path) => call("delete", path),
    move: (from, to, overwrite = true) => call("move", from, to, overwrite ? "1" : ""),
    named: (l) => dav(session, user, l),
  };
}

function describe(e) {
  if (e instanceof StopUser) return [2, ""];
  if (e instanceof StopTest) return [3, ""];
  if (e instanceof HttpError) return [1, e.message];
  if (e instanceof Error) return [4, `${e.name}: ${e.message}\n${e.stack || ""}`.trimEnd()];
  return [4, `uncaught value: ${String(e)}`];
}

// One async frame per call (no Promise.resolve, `then` and two closures per task).
async function run(call, f) {
  try {
    await f();
  } catch (e) {
    const [k, m] = describe(e);
    native.done(call, k, m);
    return;
  }
  native.done(call, 0, "");
}

function makeCtx(uid, info) {
  const main = new Session(uid, info.sid);
  return {
    userIndex: info.userIndex, userType: info.userType, runId: info.runId, host: info.host,
    /** The user's own session (one jar for the user's whole life). */
    session: () => main,
    /** A new session with an empty jar (admin calls stay out of the user's cookies). */
    newSession: () => new Session(uid, native.fresh(uid, info.sid)),
    sleep: (seconds) => op((id) => native.sleep(id, uid, Number(seconds) * 1000)),
    stopUser: () => { throw new StopUser(); },
    stopTest: () => { throw new StopTest(); },
  };
}

const users = new Map();
let ns = {};

// The driver the engine thread calls: ids in, results out through native.done.
globalThis.__swarm = {
  start(call, uid, cls, info) {
    const ctx = makeCtx(uid, info);
    run(call, () => { const obj = new ns[cls](); users.set(uid, { obj, ctx }); return obj.onStart ? obj.onStart(ctx) : undefined; });
  },
  task(call, uid, name) { const u = users.get(uid); run(call, () => u.obj[name](u.ctx)); },
  stop(call, uid) { const u = users.get(uid); run(call, () => (u && u.obj.onStop ? u.obj.onStop(u.ctx) : undefined)); },
  hook(call, uid, name, info) { const ctx = makeCtx(uid, info); run(call, () => ns[name](ctx)); },
  setNs(n) { ns = n; },
  free(uid) { users.delete(uid); },
  // What the engine needs to know of a module, as JSON; a string is a mistake to report.
  inspect(ns) {
    const out = { classes: [], onTestStart: false, onTestStop: false, options: {} };
    for (const [key, value] of Object.entries(ns)) {
      if (key === "options") { out.options = value || {}; continue; }
      if (key === "onTestStart" || key === "onTestStop") {
        if (typeof value !== "function") return `export ${key} is not a function`;
        out[key] = true;
        continue;
      }
      if (typeof value !== "function" || value.tasks === undefined) continue;
      const seq = value.tasks && value.tasks.sequential === true;
      const spec = seq ? value.tasks.tasks : value.tasks;
      let tasks;
      if (Array.isArray(spec)) tasks = spec.map((t) => (Array.isArray(t) ? [String(t[1]), Number(t[0])] : [String(t), 1]));
      else if (spec && typeof spec === "object") tasks = Object.entries(spec).map(([n, w]) => [n, Number(w)]);
      else return `class ${key}: static tasks must be { method: weight, ... } or [[weight, "method"], ...]`;
      if (tasks.length === 0) return `class ${key} has no tasks: give it static tasks = { method: weight }`;
      for (const [n, w] of tasks) {
        if (typeof value.prototype[n] !== "function") return `class ${key}: task \`${n}\` is not a method of the class`;
        if (!(w >= 0) || !Number.isInteger(w)) return `class ${key}: task \`${n}\` has weight ${w}; use a whole number >= 0`;
      }
      const wait = value.wait === undefined ? { kind: "none" } : value.wait;
      if (!wait || typeof wait.kind !== "string") return `class ${key}: static wait must be between(a, b), constant(s), constantPacing(s) or constantThroughput(n)`;
      const weight = value.weight === undefined ? 1 : value.weight;
      if (!(weight >= 0) || !Number.isInteger(weight)) return `class ${key}: static weight must be a whole number >= 0`;
      const fixed = value.fixedCount === undefined ? null : value.fixedCount;
      if (fixed !== null && (!(fixed >= 0) || !Number.isInteger(fixed))) return `class ${key}: static fixedCount must be a whole number >= 0`;
      out.classes.push({ name: key, weight, fixedCount: fixed, wait, tasks, sequential: seq });
    }
    if (out.classes.length === 0) return "exports no user class: export a class with static tasks = { method: weight }";
    return JSON.stringify(out);
  },
  complete(id, kind, value) {
    const p = pending.get(id);
    checks.delete(id);
    if (!p) return;
    pending.delete(id);
    if (kind === 0) p[0](value);
    else if (kind === 1) p[1](new HttpError(value.message, value.response && new Response(...value.response)));
    else p[1](new Error(String(value)));
  },
  // A response settles its request with a Response built here, straight from the fields.
  response(id, status, text, headers, elapsed) {
    const p = pending.get(id);
    checks.delete(id);
    if (!p) return;
    pending.delete(id);
    p[0](new Response(status, text, headers, elapsed));
  },
  check(id, r) {
    const f = checks.get(id);
    if (!f) return true;
    const v = f(new Response(...r));
    return v === undefined || v === true ? true : v === false ? "check returned false" : String(v);
  },
};
