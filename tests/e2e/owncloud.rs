//! The ownCloud scenario end to end against owncloud-sim.
