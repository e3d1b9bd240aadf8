//! swarm-http is swarm's HTTP/1.1 plug-in: one [`Session`] per virtual user with its own
//! keep-alive connections and its own explicit cookie jar, basic auth, and a request builder
//! that times every request and records it into swarm-core's metrics.
//!
//! It is not a general-purpose HTTP client (no connection sharing between users, no HTTP
//! caching) and it knows nothing of ownCloud; `ocs-dav` builds the typed calls on top of it.
