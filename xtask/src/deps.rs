//! `cargo xtask duplicate-deps`: fails when `Cargo.lock` holds two versions of one crate
//! that the workspace has not allowed, the way `cargo deny check bans` with
//! `multiple-versions = "deny"` does, without a tool to install.
//!
//! Allowed duplicates are listed, each with its reason, in the root `Cargo.toml`:
//!
//! ```toml
//! [workspace.metadata.duplicate-versions]
//! getrandom = "why two versions must coexist"
//! ```
//!
//! An entry whose crate no longer has two versions is reported too, so the list never
//! outlives its reasons.

use std::collections::BTreeMap;
use std::path::Path;

/// What the check found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DuplicateReport {
    /// Crates with several versions in the lock file and no allow entry: name → versions.
    pub unallowed: BTreeMap<String, Vec<String>>,
    /// Allow entries whose crate has one version (or none) in the lock file.
    pub stale_allowances: Vec<String>,
}

impl DuplicateReport {
    /// Whether nothing needs fixing.
    pub fn passed(&self) -> bool {
        self.unallowed.is_empty() && self.stale_allowances.is_empty()
    }

    /// The report as the command prints it; names the commands that show the cause.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, versions) in &self.unallowed {
            out.push_str(&format!(
                "error: {name} is locked at {} versions: {} (see `cargo tree -i {name}@{}`); \
                 unify them, or allow it with a reason under \
                 [workspace.metadata.duplicate-versions] in Cargo.toml\n",
                versions.len(),
                versions.join(", "),
                versions[0],
            ));
        }
        for name in &self.stale_allowances {
            out.push_str(&format!(
                "error: [workspace.metadata.duplicate-versions] allows {name}, which now has \
                 a single version: remove the entry\n"
            ));
        }
        if self.passed() {
            out.push_str("duplicate-deps: no unallowed duplicate versions\n");
        }
        out
    }
}

/// Checks `Cargo.lock` against the allow list of `Cargo.toml`, both under `root`.
pub fn check(root: &Path) -> Result<DuplicateReport, String> {
    let read = |name: &str| {
        std::fs::read_to_string(root.join(name)).map_err(|err| format!("cannot read {name}: {err}"))
    };
    check_texts(&read("Cargo.lock")?, &read("Cargo.toml")?)
}

/// [`check`] over the two files' texts.
pub fn check_texts(lock: &str, manifest: &str) -> Result<DuplicateReport, String> {
    let lock: toml::Table =
        toml::from_str(lock).map_err(|err| format!("Cargo.lock does not parse: {err}"))?;
    let manifest: toml::Table =
        toml::from_str(manifest).map_err(|err| format!("Cargo.toml does not parse: {err}"))?;

    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in lock
        .get("package")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
    {
        let field = |key: &str| package.get(key).and_then(toml::Value::as_str);
        if let (Some(name), Some(version)) = (field("name"), field("version")) {
            versions
                .entry(name.to_owned())
                .or_default()
                .push(version.to_owned());
        }
    }

    let allowed = manifest
        .get("workspace")
        .and_then(|w| w.get("metadata"))
        .and_then(|m| m.get("duplicate-versions"))
        .and_then(toml::Value::as_table);
    let is_allowed = |name: &str| allowed.is_some_and(|table| table.contains_key(name));

    let mut report = DuplicateReport::default();
    for (name, mut found) in versions.clone() {
        if found.len() > 1 && !is_allowed(&name) {
            found.sort_by(|a, b| compare_versions(a, b));
            report.unallowed.insert(name, found);
        }
    }
    if let Some(table) = allowed {
        for name in table.keys() {
            if versions.get(name).is_none_or(|found| found.len() < 2) {
                report.stale_allowances.push(name.clone());
            }
        }
    }
    Ok(report)
}

fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4
[[package]]
name = "syn"
version = "2.0.1"
[[package]]
name = "syn"
version = "10.0.0"
[[package]]
name = "rand"
version = "0.9.0"
[[package]]
name = "rand"
version = "0.10.0"
[[package]]
name = "serde"
version = "1.0.0"
"#;

    #[test]
    fn unallowed_duplicates_fail_and_allowed_ones_pass() {
        let manifest = "[workspace.metadata.duplicate-versions]\nrand = \"proptest\"\n";
        let report = check_texts(LOCK, manifest).unwrap();
        assert!(!report.passed());
        assert_eq!(
            report.unallowed.get("syn"),
            Some(&vec!["2.0.1".to_owned(), "10.0.0".to_owned()])
        );
        assert!(!report.unallowed.contains_key("rand"));
        assert!(report.render().contains("cargo tree -i syn@2.0.1"));
    }

    #[test]
    fn an_allowance_without_a_duplicate_is_stale() {
        let manifest =
            "[workspace.metadata.duplicate-versions]\nrand = \"a\"\nsyn = \"b\"\nserde = \"c\"\n";
        let report = check_texts(LOCK, manifest).unwrap();
        assert!(report.unallowed.is_empty());
        assert_eq!(report.stale_allowances, vec!["serde".to_owned()]);
        assert!(!report.passed());
    }

    /// The workspace's own lock file passes: the check CI runs.
    #[test]
    fn the_workspace_passes() {
        let report = check(&crate::project_root()).unwrap();
        assert!(report.passed(), "{}", report.render());
    }
}
