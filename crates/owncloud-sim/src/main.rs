//! The `owncloud-sim` binary: serves the simulator on 127.0.0.1 until SIGINT/SIGTERM.

fn main() {}
