//! swarm's end-to-end tests, grouped by topic in one test binary (as ripgrep does): each
//! module drives the real `swarm` binary against real servers on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod distributed;
mod faults;
mod get;
mod js_scripts;
mod kubernetes;
mod library;
mod locust_source;
mod open_model;
mod outputs;
mod owncloud;
mod share;
mod web;
