//! `cargo xtask spec-compat`: one fixture pair per rule with its exact report,
//! acknowledgements, major bumps, and a real git repository.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::compat::{self, Class, Comparison, Rule};
use xtask::spec::Spec;

const OLD: &str = "HEAD~1:spec/errors.toml";
const NEW: &str = "spec/errors.toml";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compat")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn parse(display: &str, source: &str) -> Spec {
    Spec::parse(display, source).unwrap_or_else(|err| panic!("invalid fixture {display}:\n{err}"))
}

fn fixture(rule: &str) -> (String, String) {
    let dir = fixtures().join(rule);
    (
        read(&dir.join("before.toml")),
        read(&dir.join("after.toml")),
    )
}

fn compare(before: &str, after: &str) -> compat::Report {
    compat::compare(&parse(OLD, before), &parse(NEW, after))
}

/// The fixture of `rule` reports that rule (and the class the rule has),
/// its report is the snapshot, and it fails exactly when the rule breaks.
fn check_fixture(rule: &str) {
    let rule = Rule::from_id(rule).expect("a known rule");
    let (before, after) = fixture(rule.id());
    let report = compare(&before, &after);
    assert!(
        report.findings.iter().any(|f| f.rule == rule),
        "the fixture of {rule} does not report it:\n{}",
        report.render()
    );
    assert_eq!(report.passed(), rule.class() == Class::Compatible);
    insta::assert_snapshot!(rule.id(), report.render());
}

macro_rules! fixture_tests {
    ($($name:ident => $id:literal,)*) => {
        $( #[test] fn $name() { check_fixture($id); } )*

        /// Every rule has a fixture test, and every fixture folder a rule.
        #[test]
        fn every_rule_has_a_fixture() {
            let tested = [$($id),*];
            for rule in Rule::ALL {
                assert!(tested.contains(&rule.id()), "no fixture test for {rule}");
            }
            let mut dirs: Vec<String> = std::fs::read_dir(fixtures())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            dirs.sort();
            let mut ids: Vec<String> = tested.iter().map(|s| s.to_string()).collect();
            ids.sort();
            assert_eq!(dirs, ids);
        }
    };
}

fixture_tests! {
    code_deleted => "code-deleted",
    family_removed => "family-removed",
    code_moved => "code-moved",
    code_unretired => "code-unretired",
    code_reused => "code-reused",
    api_status_changed => "api-status-changed",
    retry_behavior_changed => "retry-behavior-changed",
    policy_tightened => "policy-tightened",
    rate_limit_tightened => "rate-limit-tightened",
    retry_class_removed => "retry-class-removed",
    user_action_removed => "user-action-removed",
    envelope_removed => "envelope-removed",
    envelope_field_removed => "envelope-field-removed",
    envelope_field_retyped => "envelope-field-retyped",
    envelope_field_optional => "envelope-field-optional",
    envelope_field_required => "envelope-field-required",
    envelope_required_field_added => "envelope-required-field-added",
    envelope_families_changed => "envelope-families-changed",
    rust_name_changed => "rust-name-changed",
    operation_removed => "operation-removed",
    operation_path_changed => "operation-path-changed",
    operation_renamed => "operation-renamed",
    code_added => "code-added",
    code_retired => "code-retired",
    code_replaced => "code-replaced",
    family_added => "family-added",
    history_changed => "history-changed",
    description_changed => "description-changed",
    user_message_changed => "user-message-changed",
    user_action_changed => "user-action-changed",
    user_facing_changed => "user-facing-changed",
    retry_class_changed => "retry-class-changed",
    policy_relaxed => "policy-relaxed",
    policy_changed => "policy-changed",
    rate_limit_relaxed => "rate-limit-relaxed",
    retry_class_added => "retry-class-added",
    user_action_added => "user-action-added",
    envelope_added => "envelope-added",
    envelope_field_added => "envelope-field-added",
    operation_added => "operation-added",
    operation_code_added => "operation-code-added",
    operation_code_removed => "operation-code-removed",
}

#[test]
fn the_real_spec_is_compatible_with_itself() {
    let source = read(&xtask::project_root().join(xtask::SPEC_PATH));
    let report = compare(&source, &source);
    assert!(report.findings.is_empty(), "{}", report.render());
    assert!(report.passed());
}

#[test]
fn docs_describe_every_rule() {
    let docs = read(&xtask::project_root().join("docs/spec-compat.md"));
    for rule in Rule::ALL {
        assert!(
            docs.contains(&format!("`{}`", rule.id())),
            "docs/spec-compat.md does not describe {rule}"
        );
    }
}

const ACK: &str = r#"
[[acknowledge]]
rule = "code-deleted"
subject = "api/bad_request"
reason = "Never sent by any server: removed before any SDK shipped."
"#;

#[test]
fn an_acknowledged_breaking_change_passes() {
    let (before, after) = fixture("code-deleted");
    let report = compare(&before, &format!("{after}{ACK}"));
    assert!(report.passed(), "{}", report.render());
    assert!(report.stale.is_empty());
    let finding = &report.findings[0];
    assert!(matches!(
        &finding.acknowledged,
        Some(compat::Acknowledged::Entry { reason, .. }) if reason.starts_with("Never sent")
    ));
    insta::assert_snapshot!("acknowledged", report.render());
}

#[test]
fn an_acknowledgement_must_match_rule_and_subject() {
    let (before, after) = fixture("code-deleted");
    let wrong = ACK.replace("api/bad_request", "api/internal_error");
    let report = compare(&before, &format!("{after}{wrong}"));
    assert!(!report.passed());
    assert_eq!(report.stale.len(), 1);
    assert!(!report.stale[0].unknown_rule);
}

#[test]
fn a_major_version_bump_acknowledges_every_breaking_change() {
    let (before, after) = fixture("code-deleted");
    let bumped = after.replacen(
        "version = \"1.1.0\"\n\n[[release]]",
        "version = \"2.0.0\"\n\n[[release]]\nversion = \"2.0.0\"\nsummary = \"Breaking.\"\n\n[[release]]",
        1,
    );
    let report = compare(&before, &bumped);
    assert!(report.major_bump);
    assert!(report.passed(), "{}", report.render());
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.acknowledged == Some(compat::Acknowledged::MajorBump))
    );
    insta::assert_snapshot!("major_bump", report.render());
}

#[test]
fn major_bumps_follow_cargo() {
    let v = |s: &str| semver::Version::parse(s).unwrap();
    assert!(compat::is_major_bump(&v("1.4.2"), &v("2.0.0")));
    assert!(!compat::is_major_bump(&v("1.4.2"), &v("1.5.0")));
    assert!(compat::is_major_bump(&v("0.3.0"), &v("0.4.0")));
    assert!(!compat::is_major_bump(&v("0.3.0"), &v("0.3.1")));
}

#[test]
fn stale_and_unknown_acknowledgements_are_warnings() {
    let (before, after) = fixture("description-changed");
    let acks = r#"
[[acknowledge]]
rule = "description-changed"
subject = "validate/invalid_key"
reason = "Not breaking: needs no acknowledgement."

[[acknowledge]]
rule = "code-vanished"
subject = "validate/invalid_key"
reason = "No such rule."
"#;
    let report = compare(&before, &format!("{after}{acks}"));
    assert!(report.passed());
    assert_eq!(report.stale.len(), 2);
    insta::assert_snapshot!("stale_acknowledgements", report.render());
}

#[test]
fn findings_are_sorted_breaking_first_and_deterministic() {
    let (before, _) = fixture("code-deleted");
    let after = fixture("api-status-changed").1.replace(
        "The license key doesn't exist.",
        "The license key does not exist.",
    );
    let after = after.replace("sustained_per_second = 50", "sustained_per_second = 40");
    let first = compare(&before, &after);
    let second = compare(&before, &after);
    assert_eq!(first, second);
    let classes: Vec<Class> = first.findings.iter().map(|f| f.class()).collect();
    let mut sorted = classes.clone();
    sorted.sort();
    assert_eq!(classes, sorted);
    assert_eq!(first.findings.len(), 3);
}

#[test]
fn a_path_works_as_against() {
    let dir = fixtures().join("api-status-changed");
    let before = dir.join("before.toml");
    let outcome = compat::run(
        &dir,
        "after.toml",
        &dir.join("after.toml"),
        NEW,
        Some(before.to_str().unwrap()),
    )
    .unwrap();
    assert!(!outcome.passed());
    let Comparison::Compared { report, .. } = outcome else {
        panic!("compared")
    };
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].rule, Rule::ApiStatusChanged);
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

fn commit_spec(dir: &Path, source: &str, message: &str) {
    std::fs::write(dir.join(xtask::SPEC_PATH), source).unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "--quiet", "--no-gpg-sign", "-m", message]);
}

/// The abbreviated hash of `rev`, as `git log --format=%h` prints it.
fn rev_parse(dir: &Path, rev: &str) -> String {
    let output = Command::new("git")
        .args(["rev-parse", "--short", rev])
        .current_dir(dir)
        .output()
        .expect("git runs");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// An empty git repository in a temp dir, with its `spec/` folder.
fn new_repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("spec")).unwrap();
    git(tmp.path(), &["init", "--quiet"]);
    tmp
}

fn run_in(dir: &Path, against: Option<&str>) -> Comparison {
    xtask::spec_compat(dir, &dir.join(xtask::SPEC_PATH), against).expect("spec-compat runs")
}

#[test]
fn compares_with_git_revisions() {
    let tmp = new_repo();
    let dir = tmp.path();

    // No commit yet: nothing to compare, and that passes. One commit: the
    // spec never had another version, so its first commit is the baseline.
    let (before, after) = fixture("code-deleted");
    std::fs::write(dir.join(xtask::SPEC_PATH), &before).unwrap();
    let outcome = run_in(dir, None);
    assert!(matches!(outcome, Comparison::NothingToCompare { .. }) && outcome.passed());
    commit_spec(dir, &before, "first");
    let first = rev_parse(dir, "HEAD");
    let outcome = run_in(dir, None);
    assert!(
        matches!(&outcome, Comparison::Compared { baseline, report }
            if baseline.contains("first commit") && report.findings.is_empty()),
        "{}",
        outcome.render()
    );

    // Two commits: HEAD~1 explicitly, and by default (the first commit).
    commit_spec(dir, &after, "second");
    for (against, rev) in [(Some("HEAD~1"), "HEAD~1".to_owned()), (None, first.clone())] {
        let outcome = run_in(dir, against);
        assert!(!outcome.passed());
        let Comparison::Compared { baseline, report } = &outcome else {
            panic!("compared")
        };
        assert!(baseline.starts_with(&format!("{rev} (")), "{baseline}");
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].rule, Rule::CodeDeleted);
        assert!(
            report.findings[0]
                .location
                .starts_with(&format!("{rev}:spec/errors.toml:")),
            "{}",
            report.findings[0].location
        );
    }

    // A working change is compared with the same baseline: the
    // acknowledgement covers the deletion, since the release, not since HEAD.
    let acknowledged = format!("{after}{ACK}");
    std::fs::write(dir.join(xtask::SPEC_PATH), &acknowledged).unwrap();
    let outcome = run_in(dir, None);
    let Comparison::Compared { report, .. } = &outcome else {
        panic!("compared")
    };
    assert_eq!(report.findings.len(), 1);
    assert!(report.findings[0].acknowledged.is_some());
    assert!(report.stale.is_empty());
    assert!(outcome.passed());

    // Against HEAD~1 the acknowledgement now covers the deletion.
    let outcome = run_in(dir, Some("HEAD~1"));
    assert!(outcome.passed(), "{}", outcome.render());

    // An unknown revision is an error; a revision without the spec is not.
    assert!(xtask::spec_compat(dir, &dir.join(xtask::SPEC_PATH), Some("no-such-rev")).is_err());
    std::fs::write(dir.join("README"), "x").unwrap();
    git(dir, &["rm", "--quiet", "-r", "-f", "spec"]);
    git(
        dir,
        &["commit", "--quiet", "--no-gpg-sign", "-m", "no spec"],
    );
    std::fs::create_dir_all(dir.join("spec")).unwrap();
    std::fs::write(dir.join(xtask::SPEC_PATH), &after).unwrap();
    let outcome = run_in(dir, None);
    assert!(
        matches!(&outcome, Comparison::NothingToCompare { reason } if reason.contains("HEAD has no")),
        "{}",
        outcome.render()
    );
}

#[test]
fn the_changed_synthetic_spec_reports_its_changes() {
    let old = parse(OLD, &xtask::synthetic::synthetic_spec(1000));
    let new = parse(NEW, &xtask::synthetic::synthetic_spec_changed(1000));
    let report = compat::compare(&old, &new);
    let count = |rule: Rule| report.findings.iter().filter(|f| f.rule == rule).count();
    assert_eq!(count(Rule::CodeDeleted), 2);
    assert_eq!(count(Rule::CodeAdded), 10);
    assert_eq!(count(Rule::CodeRetired), 10);
    assert_eq!(count(Rule::ApiStatusChanged), 1);
    assert!(count(Rule::DescriptionChanged) >= 10);
    assert!(!report.passed());
}

#[test]
fn a_shallow_clone_has_nothing_to_compare() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin");
    std::fs::create_dir_all(origin.join("spec")).unwrap();
    git(&origin, &["init", "--quiet"]);
    let (before, after) = fixture("code-deleted");
    commit_spec(&origin, &before, "first");
    commit_spec(&origin, &after, "second");

    let url = format!("file://{}", origin.display());
    git(
        tmp.path(),
        &["clone", "--quiet", "--depth", "1", &url, "shallow"],
    );
    let outcome = run_in(&tmp.path().join("shallow"), None);
    assert!(outcome.passed());
    assert!(
        matches!(&outcome, Comparison::NothingToCompare { reason } if reason.contains("shallow clone")),
        "{}",
        outcome.render()
    );
}

/// `source` one release later: `[spec] version` and a new `[[release]]`.
fn released(source: &str, version: &str) -> String {
    source.replacen(
        "[spec]\nversion = \"1.1.0\"\n",
        &format!("[spec]\nversion = \"{version}\"\n\n[[release]]\nversion = \"{version}\"\nsummary = \"Next.\"\n"),
        1,
    )
}

fn deleted_code(outcome: &Comparison) -> bool {
    matches!(outcome, Comparison::Compared { report, .. }
        if !report.passed() && report.findings.iter().any(|f| f.rule == Rule::CodeDeleted))
}

/// What CI sees on a clean clone: a push of several commits, the breaking
/// one not the last. Comparing with the previous commit only missed it.
#[test]
fn a_breaking_change_two_commits_back_is_caught() {
    let tmp = new_repo();
    let dir = tmp.path();
    let (before, after) = fixture("code-deleted");
    let before = released(&before, "1.2.0");

    // 1.1.0 is released; 1.2.0 starts; the code is deleted; another commit.
    commit_spec(dir, &fixture("code-deleted").0, "release 1.1.0");
    let release = rev_parse(dir, "HEAD");
    commit_spec(dir, &before, "start 1.2.0");
    commit_spec(dir, &released(&after, "1.2.0"), "delete a code");
    std::fs::write(dir.join("README"), "x").unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "--quiet", "--no-gpg-sign", "-m", "docs"]);

    let outcome = run_in(dir, None);
    assert!(deleted_code(&outcome), "{}", outcome.render());
    let Comparison::Compared { baseline, .. } = &outcome else {
        panic!("compared")
    };
    assert!(
        baseline.starts_with(&format!(
            "{release} (the last commit of the previous release, 1.1.0"
        )),
        "{baseline}"
    );
    // What the old default compared: HEAD with HEAD~1, the same spec.
    assert!(run_in(dir, Some("HEAD~1")).passed());

    // A release tag is the baseline when there is one: the newest by version.
    git(dir, &["tag", "spec-v1.1.0", &release]);
    git(dir, &["tag", "spec-v1.0.9", "HEAD"]);
    let outcome = run_in(dir, None);
    assert!(deleted_code(&outcome), "{}", outcome.render());
    assert!(
        matches!(&outcome, Comparison::Compared { baseline, .. } if baseline.starts_with("spec-v1.1.0 (")),
        "{}",
        outcome.render()
    );
    git(dir, &["tag", "spec-v1.2.0", "HEAD"]);
    let outcome = run_in(dir, None);
    assert!(
        matches!(&outcome, Comparison::Compared { baseline, report }
            if baseline.starts_with("spec-v1.2.0 (") && report.findings.is_empty()),
        "{}",
        outcome.render()
    );
}

/// A baseline from before operations had names (spec 1.2.0 and older) is still
/// compared, and none of its operations counts as renamed.
#[test]
fn a_baseline_whose_operations_have_no_names() {
    let (before, after) = fixture("operation-code-added");
    let unnamed: String = before
        .lines()
        .filter(|line| !line.starts_with("name = \""))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(
        Spec::parse(OLD, &unnamed).is_err(),
        "names are required now"
    );
    let old = Spec::parse_baseline(OLD, &unnamed).expect("a baseline may lack names");
    let report = compat::compare(&old, &parse(NEW, &after));
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.rule == Rule::OperationRenamed),
        "{}",
        report.render()
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule == Rule::OperationCodeAdded),
        "{}",
        report.render()
    );
}
