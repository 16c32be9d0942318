//! Keyward's build tasks. The binary is a thin CLI over these modules so that
//! tests and benchmarks drive exactly the same code.

pub mod codegen;
pub mod compat;
pub mod deps;
pub mod diagnostic;
pub mod spec;
pub mod synthetic;
pub mod test;

use std::path::{Path, PathBuf};

/// The workspace root (the folder that holds `spec/`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The spec's path relative to the workspace root.
pub const SPEC_PATH: &str = "spec/errors.toml";

/// Why a task failed: a spec with problems, rendered with its source, or a
/// plain message.
#[derive(Debug)]
pub enum TaskError {
    Spec(diagnostic::Diagnostics),
    /// Problems in several files (the locale files beside the spec), one entry each.
    Files(Vec<diagnostic::Diagnostics>),
    Message(String),
}

impl TaskError {
    /// The text to print; `styled` adds terminal colours.
    pub fn render(&self, styled: bool) -> String {
        match self {
            TaskError::Spec(diagnostics) => diagnostics.render(styled),
            TaskError::Files(files) => files
                .iter()
                .map(|diagnostics| diagnostics.render(styled))
                .collect::<Vec<_>>()
                .join("\n\n"),
            TaskError::Message(message) => format!("error: {message}"),
        }
    }
}

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for TaskError {}

impl From<String> for TaskError {
    fn from(message: String) -> Self {
        TaskError::Message(message)
    }
}

impl From<spec::SpecError> for TaskError {
    fn from(err: spec::SpecError) -> Self {
        match err {
            spec::SpecError::Invalid(diagnostics) => TaskError::Spec(diagnostics),
            io => TaskError::Message(io.to_string()),
        }
    }
}

impl From<spec::locales::LocalesError> for TaskError {
    fn from(err: spec::locales::LocalesError) -> Self {
        match err {
            spec::locales::LocalesError::Invalid(files) => TaskError::Files(files),
            spec::locales::LocalesError::Io(message) => TaskError::Message(message),
        }
    }
}

/// `cargo xtask codegen`: loads the spec and the locale files beside it
/// (`locales/*.ftl` next to the spec file) and brings every generated file up
/// to date under `out_dir`; with `check`, writes nothing and fails if any
/// file is stale or any translation is.
pub fn codegen(
    spec_path: &Path,
    display_path: &str,
    out_dir: &Path,
    check: bool,
) -> Result<codegen::SyncReport, TaskError> {
    let spec = spec::Spec::load(spec_path, display_path)?;
    let locales_dir = spec_path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("locales");
    let display_dir = match display_path.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/locales"),
        None => "locales".to_owned(),
    };
    let loaded = spec::locales::load(&locales_dir, &display_dir, &spec, check)?;
    let files = codegen::generate_localized(&spec, &loaded.locales)?;
    let mut outcome = codegen::sync(&files, out_dir, check)?;
    outcome.warnings = loaded.warnings;
    if check && !outcome.stale.is_empty() {
        return Err(codegen::stale_message(&outcome.stale).into());
    }
    Ok(outcome)
}

/// `cargo xtask spec-compat`: compares the spec at `new_spec` with `against`
/// (a spec file or a git revision of `repo_dir`; by default the newest
/// released spec). See [`compat::run`] and `docs/spec-compat.md`.
pub fn spec_compat(
    repo_dir: &Path,
    new_spec: &Path,
    against: Option<&str>,
) -> Result<compat::Comparison, TaskError> {
    let display = if new_spec == repo_dir.join(SPEC_PATH) {
        SPEC_PATH.to_owned()
    } else {
        new_spec.display().to_string()
    };
    compat::run(repo_dir, SPEC_PATH, new_spec, &display, against)
}
