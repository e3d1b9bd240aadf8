//! `cargo xtask`: developer automation for swarm.

fn main() {}
