//! swarm's end-to-end tests, grouped by topic in one test binary (as ripgrep does).
