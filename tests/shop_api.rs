//! A small REST "shop" API with login, for end-to-end tests and docs examples: a load test
//! written with swarm runs against it and the test checks afterwards, server-side, what
//! the simulated users did. [`ShopApi::start`] serves it in-process on a free port of
//! 127.0.0.1 (never any other interface), on its own tokio runtime thread, until dropped.
//! Every reply carries a JSON body (`content-type: application/json`), except the 204 of a
//! logout. The routes:
//!
//! - `POST /login` with `{"username": "...", "password": "..."}`: 200
//!   `{"token": "<32 hex digits>", "user": "<username>"}`, the token also in the
//!   `x-session-token` header; 400 for a body that is not that JSON, 401 for an empty password
//!   (any other password is accepted).
//! - `GET /items`: 200, the five items `[{"id":1,"name":"apple","price":3}, ...]` (ids 1 to 5).
//! - `GET /items/{id}`: 200, one item; 404 `{"error":"no such item"}` for an unknown id.
//! - `POST /cart` with `{"id": N}`: 201 `{"cart_size": K}`, the session's cart size after adding;
//!   404 for an unknown item id, 400 for a body that is not that JSON.
//! - `DELETE /session`: 204, and the token is revoked.
//!
//! All routes but `/login` are protected: they need `Authorization: Bearer <token>` of a live
//! session, else 401 `{"error":"login first"}`. Any other method or path is 404. The state sits
//! behind one `Mutex`: this is test infrastructure, written for clarity over speed.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The catalogue: id, name, price.
const ITEMS: [(u64, &str, u64); 5] = [
    (1, "apple", 3),
    (2, "banana", 2),
    (3, "cherry", 5),
    (4, "date", 7),
    (5, "elderberry", 11),
];

/// The largest request body read; a bigger one is refused with 400.
const MAX_BODY: usize = 64 * 1024;

/// What the shop saw so far; a snapshot from [`ShopApi::stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShopStats {
    /// Successful logins.
    pub logins: u64,
    /// Every username that logged in, in order (once per login).
    pub login_users: Vec<String>,
    /// Successful logouts (`DELETE /session`).
    pub logouts: u64,
    /// Requests to protected routes carrying a valid live token.
    pub authorized: u64,
    /// Requests to protected routes with a missing, unknown or revoked token.
    pub unauthorized: u64,
    /// Items added to carts (`POST /cart` answered 201).
    pub carts: u64,
    /// Sessions logged in and not logged out.
    pub live_sessions: usize,
}

/// The shop API running on 127.0.0.1; dropping it stops the server.
#[derive(Debug)]
pub struct ShopApi {
    addr: SocketAddr,
    shop: Arc<Mutex<Shop>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ShopApi {
    /// Starts the server on a free port of 127.0.0.1, on a runtime thread of its own.
    pub fn start() -> ShopApi {
        Self::start_on(0).expect("cannot bind 127.0.0.1:0")
    }

    /// Starts the server on 127.0.0.1:`port` (0 for a free one).
    pub fn start_on(port: u16) -> std::io::Result<ShopApi> {
        let (listener, addr, runtime) = crate::local_listener(port)?;
        let shop = Arc::new(Mutex::new(Shop::new()));
        let (stop, stopped) = oneshot::channel();
        let serving = shop.clone();
        let thread = std::thread::Builder::new()
            .name("shop-api".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener =
                        TcpListener::from_std(listener).expect("cannot register the listener");
                    accept_loop(listener, serving, stopped).await;
                });
                // Dropping the runtime here ends the connections still open.
            })
            .expect("cannot spawn the server thread");
        Ok(ShopApi {
            addr,
            shop,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Its base URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> ShopStats {
        let shop = lock(&self.shop);
        ShopStats {
            live_sessions: shop.sessions.len(),
            ..shop.stats.clone()
        }
    }
}

impl Drop for ShopApi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections until `stop` fires (or its sender is gone); one task per connection,
/// each a keep-alive HTTP/1.1 connection.
async fn accept_loop(
    listener: TcpListener,
    shop: Arc<Mutex<Shop>>,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut stop => break,
        };
        let Ok((stream, _)) = accepted else {
            // Out of descriptors and the like: back off instead of spinning.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shop = shop.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let shop = shop.clone();
                async move { Ok::<_, Infallible>(handle(&shop, req).await) }
            });
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// A reply.
type Resp = Response<Full<Bytes>>;

/// The routes the shop knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// `POST /login`, the one open route.
    Login,
    /// A route that needs a live token.
    Protected(Protected),
}

/// The routes behind the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protected {
    /// `GET /items`.
    Items,
    /// `GET /items/{id}`; `None` for an id that is not a number.
    Item(Option<u64>),
    /// `POST /cart`.
    Cart,
    /// `DELETE /session`.
    Logout,
}

impl Route {
    /// The route `method path` names, if any.
    fn of(method: &Method, path: &str) -> Option<Route> {
        let protected = match (method, path) {
            (&Method::POST, "/login") => return Some(Route::Login),
            (&Method::GET, "/items") => Protected::Items,
            (&Method::POST, "/cart") => Protected::Cart,
            (&Method::DELETE, "/session") => Protected::Logout,
            (&Method::GET, _) => {
                let id = path.strip_prefix("/items/")?;
                if id.is_empty() || id.contains('/') {
                    return None;
                }
                Protected::Item(id.parse().ok())
            }
            _ => return None,
        };
        Some(Route::Protected(protected))
    }
}

/// Serves one request.
async fn handle(shop: &Mutex<Shop>, req: Request<Incoming>) -> Resp {
    let (parts, body) = req.into_parts();
    let Some(route) = Route::of(&parts.method, parts.uri.path()) else {
        return error(StatusCode::NOT_FOUND, "not found");
    };
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return error(StatusCode::BAD_REQUEST, "unreadable or too large body"),
    };
    lock(shop).serve(route, &parts.headers, &body)
}

/// `POST /login`'s body.
#[derive(Debug, Deserialize)]
struct Login {
    username: String,
    password: String,
}

/// `POST /cart`'s body.
#[derive(Debug, Deserialize)]
struct CartAdd {
    id: u64,
}

/// One logged-in session.
#[derive(Debug)]
struct Session {
    /// Item ids added, in order.
    cart: Vec<u64>,
}

/// The shop's state.
#[derive(Debug)]
struct Shop {
    /// Live sessions by token.
    sessions: HashMap<String, Session>,
    /// Counters (`live_sessions` is filled in by the snapshot).
    stats: ShopStats,
    /// Source of the tokens.
    rng: StdRng,
}

impl Shop {
    /// No sessions yet.
    fn new() -> Shop {
        Shop {
            sessions: HashMap::new(),
            stats: ShopStats::default(),
            rng: StdRng::from_os_rng(),
        }
    }

    /// Answers `route`; a protected one only with a live token.
    fn serve(&mut self, route: Route, headers: &HeaderMap, body: &[u8]) -> Resp {
        let protected = match route {
            Route::Login => return self.login(body),
            Route::Protected(p) => p,
        };
        let live = bearer(headers).and_then(|t| self.sessions.get_mut(t).map(|s| (t, s)));
        let Some((token, session)) = live else {
            self.stats.unauthorized += 1;
            return error(StatusCode::UNAUTHORIZED, "login first");
        };
        self.stats.authorized += 1;
        match protected {
            Protected::Items => reply(
                StatusCode::OK,
                &Value::Array(ITEMS.iter().map(item_json).collect()),
            ),
            Protected::Item(id) => match id.and_then(find_item) {
                Some(item) => reply(StatusCode::OK, &item_json(item)),
                None => error(StatusCode::NOT_FOUND, "no such item"),
            },
            Protected::Cart => {
                let Ok(add) = serde_json::from_slice::<CartAdd>(body) else {
                    return error(StatusCode::BAD_REQUEST, "expected {\"id\": N}");
                };
                if find_item(add.id).is_none() {
                    return error(StatusCode::NOT_FOUND, "no such item");
                }
                session.cart.push(add.id);
                self.stats.carts += 1;
                reply(
                    StatusCode::CREATED,
                    &json!({ "cart_size": session.cart.len() }),
                )
            }
            Protected::Logout => {
                self.sessions.remove(token);
                self.stats.logouts += 1;
                let mut r = Response::new(Full::new(Bytes::new()));
                *r.status_mut() = StatusCode::NO_CONTENT;
                r
            }
        }
    }

    /// `POST /login`: a new session for any username with a non-empty password.
    fn login(&mut self, body: &[u8]) -> Resp {
        let Ok(login) = serde_json::from_slice::<Login>(body) else {
            return error(
                StatusCode::BAD_REQUEST,
                "expected {\"username\": \"...\", \"password\": \"...\"}",
            );
        };
        if login.password.is_empty() {
            return error(StatusCode::UNAUTHORIZED, "empty password");
        }
        let token = format!("{:032x}", self.rng.random::<u128>());
        self.sessions
            .insert(token.clone(), Session { cart: Vec::new() });
        self.stats.logins += 1;
        self.stats.login_users.push(login.username.clone());
        let mut r = reply(
            StatusCode::OK,
            &json!({ "token": token, "user": login.username }),
        );
        if let Ok(v) = HeaderValue::from_str(&token) {
            r.headers_mut().insert("x-session-token", v);
        }
        r
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn find_item(id: u64) -> Option<&'static (u64, &'static str, u64)> {
    ITEMS.iter().find(|(i, _, _)| *i == id)
}

fn item_json(&(id, name, price): &(u64, &str, u64)) -> Value {
    json!({ "id": id, "name": name, "price": price })
}

/// A JSON reply.
fn reply(status: StatusCode, body: &Value) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// `{"error": message}` with `status`.
fn error(status: StatusCode, message: &str) -> Resp {
    reply(status, &json!({ "error": message }))
}

/// The state, even after a panic elsewhere poisoned the lock.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::time::Duration;

    /// A plain client that does not turn 4xx into errors.
    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into()
    }

    /// Status, headers and JSON body (`Null` when empty).
    fn answer(
        result: Result<http::Response<ureq::Body>, ureq::Error>,
    ) -> (u16, http::HeaderMap, Value) {
        let mut response = result.expect("no answer from the shop");
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .expect("unreadable body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        (status, response.headers().clone(), body)
    }

    struct Client {
        url: String,
        agent: ureq::Agent,
    }

    impl Client {
        fn new(shop: &ShopApi) -> Self {
            Self {
                url: shop.url(),
                agent: agent(),
            }
        }

        fn post(&self, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
            let mut req = self
                .agent
                .post(&format!("{}{path}", self.url))
                .header("content-type", "application/json");
            if let Some(t) = token {
                req = req.header("authorization", &format!("Bearer {t}"));
            }
            let (status, headers, body) = answer(req.send(body));
            if status != 204 {
                assert_eq!(
                    headers.get("content-type").and_then(|v| v.to_str().ok()),
                    Some("application/json"),
                    "POST {path}"
                );
            }
            (status, body)
        }

        fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
            let mut req = self.agent.get(&format!("{}{path}", self.url));
            if let Some(t) = token {
                req = req.header("authorization", &format!("Bearer {t}"));
            }
            let (status, headers, body) = answer(req.call());
            assert_eq!(
                headers.get("content-type").and_then(|v| v.to_str().ok()),
                Some("application/json"),
                "GET {path}"
            );
            (status, body)
        }

        fn delete(&self, path: &str, token: Option<&str>) -> (u16, Value) {
            let mut req = self.agent.delete(&format!("{}{path}", self.url));
            if let Some(t) = token {
                req = req.header("authorization", &format!("Bearer {t}"));
            }
            let (status, _, body) = answer(req.call());
            (status, body)
        }

        /// Logs in and returns the token.
        fn login(&self, user: &str) -> String {
            let (status, body) = self.post(
                "/login",
                None,
                &json!({ "username": user, "password": "pw" }).to_string(),
            );
            assert_eq!(status, 200, "{body}");
            body["token"]
                .as_str()
                .expect("no token in the login reply")
                .to_owned()
        }
    }

    #[test]
    fn listens_on_loopback_only() {
        let shop = ShopApi::start();
        let url = shop.url();
        let port = url
            .strip_prefix("http://127.0.0.1:")
            .and_then(|p| p.parse::<u16>().ok());
        assert!(port.is_some_and(|p| p != 0), "{url}");
    }

    #[test]
    fn login_returns_a_token_in_body_and_header() {
        let shop = ShopApi::start();
        let (status, headers, body) = answer(
            agent()
                .post(&format!("{}/login", shop.url()))
                .header("content-type", "application/json")
                .send(r#"{"username": "alice", "password": "secret"}"#),
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["user"], "alice");
        let token = body["token"].as_str().expect("no token");
        assert_eq!(token.len(), 32, "{token}");
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()), "{token}");
        assert_eq!(
            headers.get("x-session-token").and_then(|v| v.to_str().ok()),
            Some(token)
        );
        assert_eq!(
            headers.get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        let other = Client::new(&shop).login("alice");
        assert_ne!(other, token, "each login gets a fresh token");
    }

    #[test]
    fn bad_logins_are_refused() {
        let shop = ShopApi::start();
        let c = Client::new(&shop);
        for body in [
            "",
            "not json",
            r#"{"username": "alice"}"#,
            r#"{"username": 1, "password": "pw"}"#,
            "[]",
        ] {
            let (status, reply) = c.post("/login", None, body);
            assert_eq!(status, 400, "{body:?}: {reply}");
            assert!(reply["error"].is_string(), "{reply}");
        }
        let (status, reply) = c.post("/login", None, r#"{"username": "alice", "password": ""}"#);
        assert_eq!(status, 401, "{reply}");
        assert!(reply["error"].is_string(), "{reply}");
        let stats = shop.stats();
        assert_eq!(stats.logins, 0);
        assert!(stats.login_users.is_empty());
        assert_eq!(stats.live_sessions, 0);
    }

    #[test]
    fn the_token_opens_items_and_cart() {
        let shop = ShopApi::start();
        let c = Client::new(&shop);
        let token = c.login("alice");
        let t = Some(token.as_str());

        let (status, items) = c.get("/items", t);
        assert_eq!(status, 200);
        let items = items.as_array().expect("items are an array");
        assert_eq!(items.len(), 5);
        assert_eq!(items[0], json!({"id": 1, "name": "apple", "price": 3}));

        let (status, item) = c.get("/items/2", t);
        assert_eq!(status, 200);
        assert_eq!(item, items[1]);
        for unknown in ["/items/99", "/items/0", "/items/pear"] {
            let (status, reply) = c.get(unknown, t);
            assert_eq!(status, 404, "{unknown}");
            assert_eq!(reply, json!({"error": "no such item"}));
        }

        let (status, reply) = c.post("/cart", t, r#"{"id": 3}"#);
        assert_eq!((status, reply), (201, json!({"cart_size": 1})));
        let (status, reply) = c.post("/cart", t, r#"{"id": 1}"#);
        assert_eq!((status, reply), (201, json!({"cart_size": 2})));
        let (status, reply) = c.post("/cart", t, r#"{"id": 42}"#);
        assert_eq!(status, 404, "{reply}");
        let (status, reply) = c.post("/cart", t, r#"{"item": 1}"#);
        assert_eq!(status, 400, "{reply}");

        let stats = shop.stats();
        assert_eq!(stats.logins, 1);
        assert_eq!(stats.login_users, ["alice"]);
        assert_eq!(stats.authorized, 9);
        assert_eq!(stats.unauthorized, 0);
        assert_eq!(stats.carts, 2);
        assert_eq!(stats.live_sessions, 1);
    }

    #[test]
    fn protected_routes_need_a_live_token() {
        let shop = ShopApi::start();
        let c = Client::new(&shop);
        let login_first = json!({"error": "login first"});
        assert_eq!(c.get("/items", None), (401, login_first.clone()));
        assert_eq!(c.get("/items/1", Some("feed")), (401, login_first.clone()));
        assert_eq!(
            c.post("/cart", Some("feed"), r#"{"id": 1}"#),
            (401, login_first.clone())
        );
        assert_eq!(c.delete("/session", None), (401, login_first.clone()));
        // A token without the Bearer scheme does not count.
        let token = c.login("bob");
        let (status, _, body) = answer(
            agent()
                .get(&format!("{}/items", shop.url()))
                .header("authorization", &token)
                .call(),
        );
        assert_eq!((status, body), (401, login_first));
        let stats = shop.stats();
        assert_eq!(stats.unauthorized, 5);
        assert_eq!(stats.authorized, 0);
        assert_eq!(stats.carts, 0);
    }

    #[test]
    fn logout_revokes_the_token() {
        let shop = ShopApi::start();
        let c = Client::new(&shop);
        let token = c.login("carol");
        let kept = c.login("dave");
        assert_eq!(shop.stats().live_sessions, 2);

        assert_eq!(c.delete("/session", Some(&token)), (204, Value::Null));
        assert_eq!(shop.stats().live_sessions, 1);
        assert_eq!(c.get("/items", Some(&token)).0, 401);
        assert_eq!(c.delete("/session", Some(&token)).0, 401);
        assert_eq!(
            c.get("/items", Some(&kept)).0,
            200,
            "other sessions live on"
        );

        let stats = shop.stats();
        assert_eq!(stats.logins, 2);
        assert_eq!(stats.login_users, ["carol", "dave"]);
        assert_eq!(stats.logouts, 1);
        assert_eq!(stats.authorized, 2);
        assert_eq!(stats.unauthorized, 2);
        assert_eq!(stats.live_sessions, 1);
    }

    #[test]
    fn carts_belong_to_their_session() {
        let shop = ShopApi::start();
        let c = Client::new(&shop);
        let a = c.login("erin");
        let b = c.login("erin");
        assert_eq!(c.post("/cart", Some(&a), r#"{"id": 1}"#).1["cart_size"], 1);
        assert_eq!(c.post("/cart", Some(&a), r#"{"id": 2}"#).1["cart_size"], 2);
        assert_eq!(c.post("/cart", Some(&b), r#"{"id": 5}"#).1["cart_size"], 1);
        let stats = shop.stats();
        assert_eq!(stats.carts, 3);
        assert_eq!(stats.login_users, ["erin", "erin"]);
    }

    #[test]
    fn anything_else_is_404() {
        let shop = ShopApi::start();
        let c = Client::new(&shop);
        let token = c.login("frank");
        for path in ["/", "/login", "/items/", "/items/1/2", "/cart", "/session"] {
            assert_eq!(c.get(path, Some(&token)).0, 404, "GET {path}");
        }
        assert_eq!(c.post("/items", Some(&token), "{}").0, 404);
        assert_eq!(c.delete("/items/1", Some(&token)).0, 404);
        let stats = shop.stats();
        assert_eq!((stats.authorized, stats.unauthorized), (0, 0));
    }

    #[test]
    fn dropping_stops_the_server() {
        let shop = ShopApi::start();
        let addr = shop.url().replace("http://", "");
        assert!(std::net::TcpStream::connect(&addr).is_ok());
        drop(shop);
        assert!(
            std::net::TcpStream::connect(&addr).is_err(),
            "{addr} still accepts after the drop"
        );
    }

    /// Reads one HTTP/1.1 response with a `content-length` body: status and body.
    fn read_response(reader: &mut BufReader<std::net::TcpStream>) -> (u16, String) {
        let mut status_line = String::new();
        reader.read_line(&mut status_line).expect("no status line");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("unreadable header");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().expect("bad content-length");
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("short body");
        (status, String::from_utf8(body).expect("body is not UTF-8"))
    }

    #[test]
    fn one_connection_serves_many_requests() {
        let shop = ShopApi::start();
        let addr = shop.url().replace("http://", "");
        let stream = std::net::TcpStream::connect(&addr).expect("cannot connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("cannot set a timeout");
        let mut writer = stream.try_clone().expect("cannot clone the socket");
        let mut reader = BufReader::new(stream);

        let login = r#"{"username": "gina", "password": "pw"}"#;
        write!(
            writer,
            "POST /login HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n{login}",
            login.len()
        )
        .expect("cannot send");
        let (status, body) = read_response(&mut reader);
        assert_eq!(status, 200, "{body}");
        let reply: Value = serde_json::from_str(&body).expect("login reply is not JSON");
        let token = reply["token"].as_str().expect("no token").to_owned();
        for id in 1..=3 {
            write!(
                writer,
                "GET /items/{id} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\n\r\n"
            )
            .expect("cannot send");
            let (status, body) = read_response(&mut reader);
            assert_eq!(status, 200, "{body}");
        }
        assert_eq!(shop.stats().authorized, 3);
    }
}
