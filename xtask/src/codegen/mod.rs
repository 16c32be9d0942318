//! `cargo xtask codegen`: every file generated from the spec.
//!
//! Each generator is a module with one `generate(&Spec)` entry that returns
//! its files' text; this module compares them with what is on disk and, unless
//! checking, writes the files whose text changed (and only those).

mod changelog;
mod docs;
mod rust;
mod schema;

use std::path::{Path, PathBuf};

use crate::spec::Spec;

/// The command that regenerates every generated file; named in each header.
pub const COMMAND: &str = "cargo xtask codegen";

/// One generated file: its path below the output root and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: String,
}

impl GeneratedFile {
    fn new(path: impl Into<PathBuf>, contents: String) -> Self {
        Self {
            path: path.into(),
            contents,
        }
    }
}

/// Every generated file of `spec`, in a fixed order.
pub fn generate(spec: &Spec) -> Result<Vec<GeneratedFile>, String> {
    let mut files = rust::generate(spec)?;
    files.extend(schema::generate(spec));
    files.extend(docs::generate(spec));
    files.extend(changelog::generate(spec));
    Ok(files)
}

/// What a codegen run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Files whose text differed from what was generated (written, unless checking).
    pub stale: Vec<PathBuf>,
    /// Files already up to date.
    pub fresh: usize,
}

/// Compares every generated file with `out_dir`; writes the stale ones unless `check`.
pub fn sync(files: &[GeneratedFile], out_dir: &Path, check: bool) -> Result<Outcome, String> {
    let mut outcome = Outcome::default();
    for file in files {
        let target = out_dir.join(&file.path);
        let current = std::fs::read_to_string(&target).ok();
        if current.as_deref() == Some(file.contents.as_str()) {
            outcome.fresh += 1;
            continue;
        }
        outcome.stale.push(file.path.clone());
        if !check {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
            }
            std::fs::write(&target, &file.contents)
                .map_err(|err| format!("cannot write {}: {err}", target.display()))?;
        }
    }
    Ok(outcome)
}

/// The message for stale files in check mode.
pub fn stale_message(stale: &[PathBuf]) -> String {
    let list: Vec<String> = stale.iter().map(|p| format!("  {}", p.display())).collect();
    format!(
        "{} generated file(s) are out of date with spec/errors.toml:\n{}\nRun `{COMMAND}` and commit the result.",
        stale.len(),
        list.join("\n")
    )
}
