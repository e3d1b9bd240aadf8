//! Integration tests of swarm-http against real servers on 127.0.0.1, grouped by topic.
#![allow(clippy::unwrap_used)]

mod auth;
mod bodies;
mod connections;
mod cookies;
mod malformed;
mod redirects;
mod support;
mod timeouts;
mod tls;
