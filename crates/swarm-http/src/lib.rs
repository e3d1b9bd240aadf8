//! swarm-http is swarm's HTTP/1.1 plug-in: one [`Session`] per virtual user with its own
//! keep-alive connections and its own explicit cookie jar, basic auth, and a request builder
//! that times every request and records it into swarm-core's metrics.
//!
//! It is not a general-purpose HTTP client (no connection sharing between users, no HTTP
//! caching) and it knows nothing of ownCloud; `ocs-dav` builds the typed calls on top of it.
//!
//! Semantics, in short:
//! - Build one [`Client`] per run (TLS configs, timeouts, redirect limit, user agent and DNS
//!   cache are shared); a [`Session`] per virtual user costs an empty jar and an empty
//!   connection list. From a scenario: `use swarm_http::CtxExt; let s = ctx.session()?;`.
//! - Defaults: connect timeout 10 s (TCP + TLS), whole-request timeout 60 s (send start to
//!   last body byte, redirects included), 10 redirects, `User-Agent: swarm/<version>`.
//! - Every request records one event: kind = method, name = `.name()` or the path as given,
//!   response time = send start to last body byte, time to first byte = until the final
//!   response's headers, bytes = final body size. Status >= 400 fails unless listed in
//!   `.expect_status(..)`; failure texts are short and secret-free (`HTTP 401 Unauthorized`,
//!   `connection refused`, `timeout after 60 s`, `tls: ...`, `too many redirects (10)`,
//!   `check failed: ...`).
//! - Bodies are drained and counted, not kept, unless asked (`keep_body`, `fetch`, `check`),
//!   or streamed with `write_to`/`for_each_chunk`; uploads stream from files, readers or
//!   streams.
//! - A connection the server closes (`Connection: close`, idle timeout, the keep-alive race)
//!   is replaced transparently; an idempotent request caught in the race is resent once.
//!
//! ```no_run
//! # async fn demo(metrics: swarm_core::metrics::Metrics) -> Result<(), swarm_http::Error> {
//! use swarm_http::{Client, ClientOptions, Session};
//! let client = Client::new(metrics.recorder(), ClientOptions::default());
//! let user = Session::new(&client, "http://localhost:8080")?.with_basic_auth("alice", "pw");
//! user.get("/remote.php/webdav/file.txt").name("GET file").send().await?;
//! // A privileged call on its own, cookie-less session:
//! let admin = Session::new(&client, "http://localhost:8080")?.with_basic_auth("admin", "pw");
//! admin.delete("/ocs/v2.php/cloud/users/alice").expect_status([404]).send().await?;
//! # Ok(()) }
//! ```

mod auth;
mod body;
mod client;
mod conn;
mod cookies;
mod ctx;
mod deadline;
mod error;
mod request;
mod response;
mod send;
mod session;
mod target;
mod tls;

pub use client::{
    Client, ClientOptions, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_REDIRECTS, DEFAULT_REQUEST_TIMEOUT,
};
pub use cookies::Cookie;
pub use ctx::CtxExt;
pub use error::Error;
pub use request::RequestBuilder;
pub use response::Response;
pub use session::Session;
pub use target::redact_url;

/// Re-exported so scenarios name methods, statuses and headers without another dependency.
pub use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
