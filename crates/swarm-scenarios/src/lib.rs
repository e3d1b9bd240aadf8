//! swarm's generic built-in scenarios, written on the public `swarm` API exactly as a test
//! author's own would be. Today: [`get`], one URL in a loop. It holds nothing specific to
//! any target system; the ownCloud scenario has its own crate.

pub mod get;
