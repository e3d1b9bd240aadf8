//! Shared helpers for swarm's end-to-end tests: locating the built binaries and starting real
//! servers on 127.0.0.1.
