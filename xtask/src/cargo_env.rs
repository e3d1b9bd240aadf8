//! A nested `cargo` without the variables the outer `cargo run`/`cargo test` set for its own
//! package: some build scripts (ring's, which watches CARGO_MANIFEST_DIR) would otherwise
//! rebuild on every switch between a nested and a plain `cargo`. Compiled into xtask and,
//! by path, into the e2e harness, so both follow one rule.

use std::process::Command;

/// Removes the outer package's variables from `cmd`'s environment.
pub(crate) fn without_package_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_")
            || matches!(
                key.as_ref(),
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
            )
        {
            cmd.env_remove(key.as_ref());
        }
    }
}
