//! swarm's end-to-end tests, grouped by topic in one test binary (as ripgrep does): each
//! module drives the real `swarm` binary against real servers on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod faults;
mod get;
mod js_scripts;
mod library;
mod locust_source;
mod owncloud;
mod share;
mod web;
