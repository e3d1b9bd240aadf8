//! The repository's own rules, checked as an ordinary test (rust-analyzer's `tidy.rs`):
//! every Rust file opens with a `//!` line, no stray `todo!`/`dbg!`, docs exist.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn tidy_every_rust_file_opens_with_a_module_doc() {
    let root = crate::root();
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "tests"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(
        files.len() > 10,
        "found only {} files under {}",
        files.len(),
        root.display()
    );
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let rel = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .display()
            .to_string();
        if !text.trim_start().starts_with("//!") {
            problems.push(format!(
                "{rel}: does not open with a `//!` line saying what it is"
            ));
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for banned in [
                concat!("todo", "!("),
                concat!("dbg", "!("),
                concat!("unimplemented", "!("),
            ] {
                if code.contains(banned) {
                    problems.push(format!("{rel}:{}: stray `{banned}`", n + 1));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "tidy found problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn tidy_docs_exist() {
    let root = crate::root();
    for doc in ["README.md", "docs/ARCHITECTURE.md", ".ci/run"] {
        assert!(root.join(doc).is_file(), "{doc} is missing");
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap_or_default();
    for command in ["cargo xtask run owncloud", "cargo xtask test"] {
        assert!(readme.contains(command), "README.md must show `{command}`");
    }
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap_or_default();
    assert!(
        ci.contains("cargo xtask test"),
        ".ci/run must call the README's test command"
    );
}

/// The workspace crates a crate's `[dependencies]` name (dev-dependencies may point up, for
/// doc examples written through the facade).
fn internal_deps(manifest: &str, crates: &[&str]) -> Vec<String> {
    let mut in_deps = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if !in_deps {
            continue;
        }
        let name = line.split(['=', ' ', '.']).next().unwrap_or("");
        if crates.contains(&name) {
            out.push(name.to_owned());
        }
    }
    out.sort();
    out
}

/// Layers point one way (docs/ARCHITECTURE.md): each crate may depend only on the ones
/// listed here, so the App never reaches the scenarios and swarm-core never reaches HTTP.
#[test]
fn tidy_layers_point_one_way() {
    let allowed: &[(&str, &[&str])] = &[
        ("swarm-core", &[]),
        ("swarm-http", &["swarm-core"]),
        ("swarm-app", &["swarm-core", "swarm-http"]),
        ("swarm", &["swarm-app", "swarm-core", "swarm-http"]),
        ("ocs-dav", &["swarm-core", "swarm-http"]),
        ("swarm-scenarios", &["swarm"]),
        ("owncloud-scenario", &["ocs-dav", "swarm"]),
        ("swarm-js", &["ocs-dav", "swarm"]),
        (
            "swarm-cli",
            &["owncloud-scenario", "swarm", "swarm-js", "swarm-scenarios"],
        ),
        ("owncloud-sim", &[]),
    ];
    let crates: Vec<&str> = allowed.iter().map(|(c, _)| *c).collect();
    let root = crate::root();
    let mut on_disk: Vec<String> = std::fs::read_dir(root.join("crates"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    on_disk.sort();
    let mut listed: Vec<String> = crates.iter().map(|c| (*c).to_owned()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "every crate needs its row in tidy_layers_point_one_way"
    );
    for (krate, may) in allowed {
        let manifest = std::fs::read_to_string(root.join("crates").join(krate).join("Cargo.toml"))
            .unwrap_or_default();
        let got = internal_deps(&manifest, &crates);
        for dep in &got {
            assert!(
                may.contains(&dep.as_str()),
                "{krate} depends on {dep}: layers point one way (see docs/ARCHITECTURE.md)"
            );
        }
    }
}

/// The App knows no scenario: nothing under crates/swarm-app names the built-in ones or the
/// system they test.
#[test]
fn tidy_the_app_names_no_scenario() {
    let root = crate::root();
    let mut files = Vec::new();
    rust_files(&root.join("crates/swarm-app"), &mut files);
    files.push(root.join("crates/swarm-app/Cargo.toml"));
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file)
            .unwrap_or_default()
            .to_lowercase();
        for word in [
            "owncloud",
            "ocs_dav",
            "ocs-dav",
            "swarm_scenarios",
            "getter",
        ] {
            if text.contains(word) {
                problems.push(format!("{} names `{word}`", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The `swarm` binary stays a thin list of registrations over the library crates.
#[test]
fn tidy_the_binary_is_thin() {
    let main = std::fs::read_to_string(crate::root().join("crates/swarm-cli/src/main.rs"))
        .unwrap_or_default();
    let code = main
        .lines()
        .filter(|l| !l.trim_start().starts_with("//") && !l.trim().is_empty())
        .count();
    assert!(
        code <= 15,
        "crates/swarm-cli/src/main.rs has {code} lines of code: move logic into a library crate"
    );
}
