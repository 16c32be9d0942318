//! Finding the old spec: a file, or `git show REV:spec/errors.toml`.

use std::path::Path;
use std::process::Command;

/// The old spec to compare with.
#[derive(Debug)]
pub enum Baseline {
    Found(OldSpec),
    /// Nothing to compare with, and why (reported, exit 0).
    Nothing(String),
}

#[derive(Debug)]
pub struct OldSpec {
    /// The spec's text.
    pub source: String,
    /// How its locations are printed, for example `HEAD~1:spec/errors.toml`.
    pub display_path: String,
    /// What it is, for example `HEAD~1 (1b1b2f4)`.
    pub description: String,
}

/// Finds the old spec.
///
/// - `against` names an existing file: that file.
/// - `against` is a git revision of `repo_dir`: the spec at `spec_rel` in it.
/// - `against` is `None`: the previous commit. If the working spec differs
///   from HEAD's, that is HEAD (the working change is checked against the last
///   commit); else it is `HEAD~1` (the last commit is checked, as in CI).
///
/// No previous commit, no spec in it, a shallow clone that lacks it or no git
/// repository at all: [`Baseline::Nothing`], never an error. An explicit
/// revision that does not exist in a full clone is an error.
pub fn resolve(
    repo_dir: &Path,
    spec_rel: &str,
    working_source: &str,
    against: Option<&str>,
) -> Result<Baseline, String> {
    if let Some(path) = against.map(Path::new).filter(|p| p.is_file()) {
        let source = std::fs::read_to_string(path)
            .map_err(|err| format!("{}: cannot read the spec: {err}", path.display()))?;
        let shown = path.display().to_string();
        return Ok(Baseline::Found(OldSpec {
            source,
            display_path: shown.clone(),
            description: shown,
        }));
    }
    let git = Git { dir: repo_dir };
    let inside = git.run(&["rev-parse", "--is-inside-work-tree"]);
    if inside.as_deref() != Ok("true") {
        let why = inside.err().filter(|e| !e.is_empty()).unwrap_or_default();
        return match against {
            None => Ok(Baseline::Nothing(format!(
                "{} is not in a git repository{}",
                repo_dir.display(),
                if why.is_empty() {
                    String::new()
                } else {
                    format!(" (git: {why})")
                }
            ))),
            Some(rev) => Err(format!(
                "`{rev}` is neither a file nor a git revision: {} is not in a git repository",
                repo_dir.display()
            )),
        };
    }
    let rev = match against {
        Some(rev) => rev.to_owned(),
        None => {
            if git.commit("HEAD").is_none() {
                return Ok(Baseline::Nothing("the repository has no commit yet".into()));
            }
            match git.show("HEAD", spec_rel) {
                None => {
                    return Ok(Baseline::Nothing(format!(
                        "HEAD has no {spec_rel} (it is new)"
                    )));
                }
                Some(head) if head != working_source => "HEAD".to_owned(),
                Some(_) => "HEAD~1".to_owned(),
            }
        }
    };
    let Some(commit) = git.commit(&rev) else {
        let shallow = git.run(&["rev-parse", "--is-shallow-repository"]).ok();
        if shallow.as_deref() == Some("true") {
            return Ok(Baseline::Nothing(format!(
                "`{rev}` is not in this shallow clone (fetch more history, e.g. `git fetch --deepen=1`, to check it)"
            )));
        }
        if against.is_none() {
            return Ok(Baseline::Nothing(
                "HEAD has no parent commit (the first commit)".into(),
            ));
        }
        return Err(format!(
            "`{rev}` is neither a file nor a git revision of {}",
            repo_dir.display()
        ));
    };
    let short = commit.get(..7).unwrap_or(&commit).to_owned();
    match git.show(&rev, spec_rel) {
        None => Ok(Baseline::Nothing(format!(
            "{rev} ({short}) has no {spec_rel}"
        ))),
        Some(source) => Ok(Baseline::Found(OldSpec {
            source,
            display_path: format!("{rev}:{spec_rel}"),
            description: format!("{rev} ({short})"),
        })),
    }
}

struct Git<'a> {
    dir: &'a Path,
}

impl Git<'_> {
    /// Runs git in the directory; its trimmed stdout on success.
    fn run(&self, args: &[&str]) -> Result<String, String> {
        let output = Command::new("git")
            .args(args)
            .current_dir(self.dir)
            .output()
            .map_err(|err| format!("cannot run git: {err}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
        }
    }

    /// The full hash of `rev`'s commit, if it names one.
    fn commit(&self, rev: &str) -> Option<String> {
        self.run(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ])
        .ok()
        .filter(|hash| !hash.is_empty())
    }

    /// `git show REV:./PATH` (the path is relative to the directory), untrimmed.
    fn show(&self, rev: &str, path: &str) -> Option<String> {
        let output = Command::new("git")
            .args(["show", "--no-textconv", &format!("{rev}:./{path}")])
            .current_dir(self.dir)
            .output()
            .ok()?;
        if !output.status.success() {
            return None;
        }
        String::from_utf8(output.stdout).ok()
    }
}
