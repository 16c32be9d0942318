//! `docs/errors-changelog.md`: every version of the error contract, newest
//! first, from the spec's own history markers: each `[[release]]` with its
//! summary, and the codes whose `since` or `retired` is that release.

use std::fmt::Write as _;

use super::GeneratedFile;
use super::docs::{cell, inline};
use crate::spec::Spec;

pub const PATH: &str = "docs/errors-changelog.md";

pub fn generate(spec: &Spec) -> Vec<GeneratedFile> {
    vec![GeneratedFile::new(PATH, render(spec))]
}

fn render(spec: &Spec) -> String {
    let mut out = super::markdown_header();
    // `write!` to a String cannot fail.
    let _ = writeln!(out, "# Keyward error changelog\n");
    let _ = writeln!(
        out,
        "Every version of the error contract, newest first, generated from the `[[release]]` entries \
         and each code's `since` and `retired` markers in `spec/errors.toml`. A code is never deleted \
         or reused: a retired code keeps its place in the spec and in the generated crate. The current \
         reference is [errors.md](errors.md); `cargo xtask spec-compat` guards the contract between \
         versions ([spec-compat.md](spec-compat.md)).\n"
    );
    for release in &spec.releases {
        let _ = writeln!(out, "## {}\n", release.version);
        let _ = writeln!(out, "{}\n", inline(release.summary.trim()));

        let added: Vec<_> = spec
            .families
            .iter()
            .flat_map(|f| spec.errors_of(&f.name))
            .filter(|e| e.since == release.version)
            .collect();
        let retired: Vec<_> = spec
            .families
            .iter()
            .flat_map(|f| spec.errors_of(&f.name))
            .filter(|e| e.retired.as_ref() == Some(&release.version))
            .collect();
        if added.is_empty() && retired.is_empty() {
            let _ = writeln!(out, "No codes added or retired.\n");
            continue;
        }
        if !added.is_empty() {
            let _ = writeln!(out, "### Added\n");
            let _ = writeln!(out, "| Family | Code | Description | Notes |");
            let _ = writeln!(out, "|---|---|---|---|");
            for e in &added {
                let mut notes = Vec::new();
                if e.extension {
                    notes.push("Keyward extension".to_owned());
                }
                if let Some(retired) = &e.retired {
                    notes.push(format!("retired in {retired}"));
                }
                let _ = writeln!(
                    out,
                    "| `{}` | `{}` | {} | {} |",
                    e.family,
                    e.code,
                    cell(&e.description),
                    cell(&notes.join("; "))
                );
            }
            out.push('\n');
        }
        if !retired.is_empty() {
            let _ = writeln!(out, "### Retired\n");
            let _ = writeln!(out, "| Family | Code | Since | Replaced by |");
            let _ = writeln!(out, "|---|---|---|---|");
            for e in &retired {
                let by = e
                    .replaced_by
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |r| format!("`{r}`"));
                let _ = writeln!(
                    out,
                    "| `{}` | `{}` | {} | {by} |",
                    e.family, e.code, e.since
                );
            }
            out.push('\n');
        }
    }
    // One trailing newline.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
