//! Command-line behaviour: flags, config, bad input, reports, thresholds.
