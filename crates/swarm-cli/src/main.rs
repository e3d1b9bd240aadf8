//! The `swarm` binary: command line, console, reports, web UI and the built-in scenarios.

fn main() {}
