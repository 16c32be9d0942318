//! `cargo xtask test`: every test, the server's suites on both backends.
//!
//! First `cargo test --workspace --all-features` (SQLite, and the PostgreSQL-native tests,
//! which report themselves ignored where the machine has no PostgreSQL). Then the
//! keyward-server suites again with `KEYWARD_TEST_BACKEND=postgres`, so that every
//! `TestServer` runs on a throwaway PostgreSQL database. The second run reuses the first
//! one's build: the variable is read at run time only.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The variable `keyward_server::TestServer` reads (`TEST_BACKEND_VAR` there).
const BACKEND_VAR: &str = "KEYWARD_TEST_BACKEND";

/// Suites the second run leaves out, and why: it would repeat them exactly.
const NOT_AGAIN: &[(&str, &str)] = &[
    ("postgres", "on PostgreSQL already"),
    ("cluster", "on PostgreSQL already"),
    ("backend_parity", "on both backends already"),
    (
        "process",
        "starts its own server processes on SQLite files, no TestServer",
    ),
];

/// What `run` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything passed, on both backends.
    Passed,
    /// Something failed (cargo printed it).
    Failed,
    /// SQLite passed; no PostgreSQL binaries, so the second run did not happen.
    PassedWithoutPostgres,
}

/// Runs both passes from the workspace `root`, with cargo's output on this terminal.
///
/// # Errors
/// When cargo cannot be started.
pub fn run(root: &Path) -> std::io::Result<Outcome> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("== cargo test --workspace --all-features");
    let first = Command::new(&cargo)
        .current_dir(root)
        .args(["test", "--workspace", "--all-features"])
        .env_remove(BACKEND_VAR)
        .status()?;
    if !first.success() {
        return Ok(Outcome::Failed);
    }
    if postgres_binaries().is_none() {
        eprintln!(
            "== PostgreSQL: no initdb on PATH or in /usr/lib/postgresql/*/bin: the server \
             suites did NOT run on PostgreSQL (scripts/install-postgres.sh installs it)"
        );
        return Ok(Outcome::PassedWithoutPostgres);
    }
    let suites = server_suites(root)?;
    for (suite, why) in NOT_AGAIN {
        eprintln!("== {suite}: not run again ({why})");
    }
    eprintln!(
        "== {BACKEND_VAR}=postgres cargo test -p keyward-server --all-features: {}",
        suites.join(", ")
    );
    let mut second = Command::new(&cargo);
    second
        .current_dir(root)
        .args(["test", "-p", "keyward-server", "--all-features"])
        .env(BACKEND_VAR, "postgres");
    for suite in &suites {
        second.args(["--test", suite]);
    }
    Ok(if second.status()?.success() {
        Outcome::Passed
    } else {
        Outcome::Failed
    })
}

/// The integration suites of keyward-server (`crates/server/tests/*.rs`) but those of
/// [`NOT_AGAIN`], sorted.
fn server_suites(root: &Path) -> std::io::Result<Vec<String>> {
    let mut suites = Vec::new();
    for entry in std::fs::read_dir(root.join("crates/server/tests"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "rs")
            && let Some(name) = path.file_stem().and_then(|stem| stem.to_str())
            && !NOT_AGAIN.iter().any(|(left_out, _)| *left_out == name)
        {
            suites.push(name.to_owned());
        }
    }
    suites.sort();
    Ok(suites)
}

/// The directory of `initdb`, where the test cluster finds it too.
fn postgres_binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"));
    on_path
        .into_iter()
        .chain(installed)
        .find(|dir| dir.join("initdb").is_file())
}
