//! `swarm new NAME`: writes a ready load-test crate — Cargo.toml, and a `src/main.rs` with a
//! commented user (log in on start, two weighted tasks, clean up on stop) — that
//! `cargo run --release -- -H URL -u 10 -t 30s --headless` runs at once. The templates are
//! the workspace's own examples, so CI compiles and runs exactly what `new` writes.

use std::path::{Path, PathBuf};
use swarm::{BoxError, UsageError};

/// The name the templates use, replaced by the crate's.
const PLACEHOLDER: &str = "my-load-test";

/// A REST API with login (the `swarm` crate's `shop` example).
const HTTP: &str = include_str!("../../swarm/examples/shop.rs");
/// The seed's ownCloud test (the `owncloud-scenario` crate's `seed` example).
const OWNCLOUD: &str = include_str!("../../owncloud-scenario/examples/seed.rs");

/// A script of the same test (`examples/shop.js`), for `--js`.
const SCRIPT: &str = include_str!("../../../examples/shop.js");

/// Where this binary was built from, if that checkout is still there.
fn checkout_crates() -> Option<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()?
        .to_path_buf();
    crates
        .join("swarm")
        .join("Cargo.toml")
        .is_file()
        .then_some(crates)
}

/// What to start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Template {
    /// A REST API with login: POST /login, GET /items, POST /cart, DELETE /session.
    Http,
    /// The seed: ownCloud accounts, WebDAV downloads and uploads, accounts deleted on stop.
    Owncloud,
}

/// `swarm new` options.
#[derive(Debug, clap::Args)]
pub(crate) struct NewArgs {
    /// The crate's name (also its directory and its binary's name).
    name: String,
    /// What to start from.
    #[arg(long, value_enum, default_value_t = Template::Http)]
    template: Template,
    /// Create the crate in this directory (default: the current one).
    #[arg(long, value_name = "DIR", default_value = ".")]
    into: PathBuf,
    /// Write a JavaScript script `NAME.js` instead of a crate: run it with `swarm run NAME.js`,
    /// no Rust toolchain needed.
    #[arg(long, conflicts_with = "template")]
    js: bool,
    /// The `crates/` folder of a swarm checkout to depend on by path (default: the one this
    /// binary was built from; without one, a git dependency to fill in).
    #[arg(long, value_name = "DIR")]
    swarm_crates: Option<PathBuf>,
}

/// A crate name cargo accepts: ASCII letters, digits, `-` and `_`, starting with a letter.
fn valid_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// One dependency line on a crate of the swarm workspace.
fn dependency(krate: &str, crates: Option<&Path>) -> String {
    match crates {
        Some(dir) => format!(
            "{krate} = {{ path = {:?} }}\n# Without a checkout, from git instead:\n# {krate} = {{ git = \"https://github.com/YOUR-ORG/swarm\" }}\n",
            dir.join(krate).display().to_string()
        ),
        None => format!("{krate} = {{ git = \"https://github.com/YOUR-ORG/swarm\" }}\n"),
    }
}

/// The crate's Cargo.toml.
fn manifest(name: &str, template: Template, crates: Option<&Path>) -> String {
    let mut deps = dependency("swarm", crates);
    if template == Template::Owncloud {
        deps.push_str(&dependency("ocs-dav", crates));
        deps.push_str("uuid = { version = \"1\", features = [\"v4\"] }\n");
    }
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\n{deps}\n\
         # A workspace of its own, so the crate builds wherever it is created.\n[workspace]\n\n\
         [profile.release]\ndebug = \"line-tables-only\"\n"
    )
}

/// Runs `swarm new`.
pub(crate) fn main(args: NewArgs) -> Result<u8, BoxError> {
    if !valid_name(&args.name) {
        return Err(UsageError(format!(
            "`{}` cannot be a crate name: use letters, digits, - and _, starting with a letter",
            args.name
        ))
        .into());
    }
    if args.js {
        return new_script(&args);
    }
    let dir = args.into.join(&args.name);
    if dir.exists() {
        return Err(UsageError(format!(
            "{} already exists: choose another name or --into DIR",
            dir.display()
        ))
        .into());
    }
    let crates = match args.swarm_crates {
        Some(given) => {
            let given = std::path::absolute(&given)?;
            if !given.join("swarm").join("Cargo.toml").is_file() {
                return Err(UsageError(format!(
                    "--swarm-crates {} has no swarm/Cargo.toml: give the crates/ folder of a swarm checkout",
                    given.display()
                ))
                .into());
            }
            Some(given)
        }
        None => checkout_crates(),
    };
    let source = match args.template {
        Template::Http => HTTP,
        Template::Owncloud => OWNCLOUD,
    };
    std::fs::create_dir_all(dir.join("src"))
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let files = [
        (
            "Cargo.toml",
            manifest(&args.name, args.template, crates.as_deref()),
        ),
        ("src/main.rs", source.replace(PLACEHOLDER, &args.name)),
        (".gitignore", "/target\n".to_owned()),
    ];
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    println!("Created {}", dir.display());
    if crates.is_none() {
        println!(
            "No swarm checkout was found: Cargo.toml names a git dependency; fix its URL, or run again with --swarm-crates DIR"
        );
    }
    println!(
        "Run it:\n  cd {}\n  cargo run --release -- -H http://127.0.0.1:8080 -u 10 -t 30s --headless",
        dir.display()
    );
    Ok(0)
}

/// `swarm new NAME --js`: one script file.
fn new_script(args: &NewArgs) -> Result<u8, BoxError> {
    let path = args.into.join(format!("{}.js", args.name));
    if path.exists() {
        return Err(UsageError(format!(
            "{} already exists: choose another name or --into DIR",
            path.display()
        ))
        .into());
    }
    std::fs::write(&path, SCRIPT.replace(PLACEHOLDER, &args.name))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("Created {}", path.display());
    println!(
        "Run it:\n  swarm run {} -H http://127.0.0.1:8080 -u 10 -t 30s --headless",
        path.display()
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cargo_accepts() {
        for (name, ok) in [
            ("shop-test", true),
            ("a_1", true),
            ("", false),
            ("1abc", false),
            ("a b", false),
            ("../x", false),
        ] {
            assert_eq!(valid_name(name), ok, "{name}");
        }
    }

    #[test]
    fn templates_carry_the_placeholder_name() {
        for t in [HTTP, OWNCLOUD] {
            assert!(t.contains(&format!("App::new(\"{PLACEHOLDER}\")")));
        }
    }
}
