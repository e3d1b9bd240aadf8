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
