//! `cargo xtask spec-compat`: breaking-change detection between two versions
//! of the error spec. The rules are in [`rules`]; `docs/spec-compat.md`
//! explains each one and how to acknowledge a breaking change.
//!
//! [`compare`] works on two checked [`Spec`]s and knows nothing of git;
//! [`git`] finds the old spec; [`run`] ties both together for the CLI.

mod compare;
pub mod git;
mod report;
pub mod rules;

use std::path::Path;

pub use compare::{compare, is_major_bump};
pub use report::{Acknowledged, Finding, Report, StaleAcknowledgement};
pub use rules::{Class, Rule};

use crate::TaskError;
use crate::spec::Spec;

/// What `run` did.
#[derive(Debug)]
pub enum Comparison {
    /// Nothing to compare against (no previous commit, no spec there, a shallow clone...).
    NothingToCompare { reason: String },
    /// The comparison; `baseline` says what the old spec was.
    Compared { baseline: String, report: Report },
}

impl Comparison {
    /// Passed: nothing to compare, or no unacknowledged breaking change.
    pub fn passed(&self) -> bool {
        match self {
            Comparison::NothingToCompare { .. } => true,
            Comparison::Compared { report, .. } => report.passed(),
        }
    }

    pub fn render(&self) -> String {
        match self {
            Comparison::NothingToCompare { reason } => {
                format!("spec-compat: nothing to compare: {reason}\n")
            }
            Comparison::Compared { baseline, report } => {
                format!(
                    "spec-compat: comparing with {baseline}\n{}",
                    report.render()
                )
            }
        }
    }
}

/// `cargo xtask spec-compat`: compares the spec at `new_spec` (named
/// `display` in messages) with `against`: a path to a spec file, a git
/// revision of `repo_dir` (whose spec is at `spec_rel` below `repo_dir`), or
/// by default the newest released spec (see [`git::resolve`]).
pub fn run(
    repo_dir: &Path,
    spec_rel: &str,
    new_spec: &Path,
    display: &str,
    against: Option<&str>,
) -> Result<Comparison, TaskError> {
    let source = std::fs::read_to_string(new_spec)
        .map_err(|err| format!("{display}: cannot read the spec: {err}"))?;
    // Parsing dominates (the toml crate is slow in the dev profile that
    // `cargo xtask` builds): parse the new spec while git finds the old one
    // and it is parsed.
    std::thread::scope(|scope| {
        let new = scope.spawn(|| Spec::parse(display, &source).map_err(TaskError::Spec));
        let join = |new: std::thread::ScopedJoinHandle<'_, Result<Spec, TaskError>>| {
            new.join()
                .map_err(|_| TaskError::from("parsing the spec panicked".to_owned()))?
        };
        let baseline = match git::resolve(repo_dir, spec_rel, &source, against) {
            Ok(git::Baseline::Found(baseline)) => baseline,
            Ok(git::Baseline::Nothing(reason)) => {
                join(new)?;
                return Ok(Comparison::NothingToCompare { reason });
            }
            Err(err) => {
                join(new)?;
                return Err(err.into());
            }
        };
        let old = Spec::parse_baseline(&baseline.display_path, &baseline.source).map_err(|err| {
            format!(
                "the old spec ({}) does not pass this version's spec checks, so it cannot be compared:\n{err}",
                baseline.description
            )
        });
        let new = join(new)?;
        Ok(Comparison::Compared {
            baseline: baseline.description,
            report: compare(&old.map_err(TaskError::Message)?, &new),
        })
    })
}
