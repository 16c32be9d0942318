//! Finding the old spec: a file, `git show REV:spec/errors.toml`, or by
//! default the newest released spec (see [`resolve`]).

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
/// - `against` is `None`: the newest released spec, so that every change
///   since the release is compared, however many commits it took:
///   1. the newest tag `spec-vX.Y.Z` merged into HEAD (by version), if any;
///   2. else the newest commit whose spec has another `[spec] version` than
///      the working spec: the last state of the previous release;
///   3. else (the spec never had another version) the oldest commit with the
///      spec: its first state.
///
/// No commit, no spec in HEAD, a shallow clone that lacks the baseline or no
/// git repository at all: [`Baseline::Nothing`], never an error. An explicit
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
    let (rev, why) = match against {
        Some(rev) => (rev.to_owned(), String::new()),
        None => match newest_release(&git, spec_rel, working_source) {
            Ok(found) => found,
            Err(nothing) => return Ok(Baseline::Nothing(nothing)),
        },
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
            description: match (why.is_empty(), rev.starts_with(short.as_str())) {
                (true, _) => format!("{rev} ({short})"),
                (false, true) => format!("{rev} ({why})"),
                (false, false) => format!("{rev} ({short}, {why})"),
            },
        })),
    }
}

/// The prefix of the tag that marks a released spec: `spec-v1.2.0`.
pub const RELEASE_TAG_PREFIX: &str = "spec-v";

/// The default baseline (see [`resolve`]): a revision and what it is, or
/// why there is nothing to compare with.
fn newest_release(
    git: &Git<'_>,
    spec_rel: &str,
    working_source: &str,
) -> Result<(String, String), String> {
    if git.commit("HEAD").is_none() {
        return Err("the repository has no commit yet".into());
    }
    if git.show("HEAD", spec_rel).is_none() {
        return Err(format!("HEAD has no {spec_rel} (it is new)"));
    }
    let pattern = format!("{RELEASE_TAG_PREFIX}*");
    let tags = git
        .run(&["tag", "--list", &pattern, "--merged", "HEAD"])
        .unwrap_or_default();
    let newest_tag = tags
        .lines()
        .filter_map(|tag| {
            let version = semver::Version::parse(tag.strip_prefix(RELEASE_TAG_PREFIX)?).ok()?;
            Some((version, tag))
        })
        .max();
    if let Some((_, tag)) = newest_tag {
        return Ok((tag.to_owned(), "the newest release tag".into()));
    }

    // No tag: the spec's own history. Walk the commits that changed it,
    // newest first, until its version differs from the working spec's.
    let current = spec_version(working_source);
    let log = git
        .run(&["log", "--format=%h", "--", &format!("./{spec_rel}")])
        .unwrap_or_default();
    let mut oldest = None;
    for commit in log.lines() {
        // A commit that deleted the spec ends its history.
        let Some(source) = git.show(commit, spec_rel) else {
            break;
        };
        let version = spec_version(&source);
        if version != current {
            let version = version.map_or_else(|| "?".to_owned(), |v| v.to_string());
            return Ok((
                commit.to_owned(),
                format!("the last commit of the previous release, {version}"),
            ));
        }
        oldest = Some(commit);
    }
    let shallow = git.run(&["rev-parse", "--is-shallow-repository"]).ok();
    if shallow.as_deref() == Some("true") {
        return Err(
            "the previous release of the spec is not in this shallow clone (fetch the whole history, e.g. `git fetch --unshallow`, or tag releases `spec-vX.Y.Z`, to check it)"
                .into(),
        );
    }
    match oldest {
        Some(commit) => Ok((
            commit.to_owned(),
            "the first commit of the spec: it never had another version".into(),
        )),
        None => Err(format!("no commit has {spec_rel}")),
    }
}

/// The `[spec] version` of a spec's text, if it has one.
fn spec_version(source: &str) -> Option<semver::Version> {
    #[derive(serde::Deserialize)]
    struct Head {
        spec: Meta,
    }
    #[derive(serde::Deserialize)]
    struct Meta {
        version: String,
    }
    let head: Head = toml::from_str(source).ok()?;
    semver::Version::parse(&head.spec.version).ok()
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
