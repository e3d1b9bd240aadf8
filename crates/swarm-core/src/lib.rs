//! swarm-core is swarm's protocol-agnostic engine.
