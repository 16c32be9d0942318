//! A bad spec never reaches the generated code and never panics the
//! generator: every problem is reported as `error: message` at
//! `--> PATH:LINE:COL`, with the source and its whole span underlined.

use std::process::Command;

use proptest::prelude::*;
use xtask::spec::Spec;

const MINIMAL: &str = include_str!("fixtures/minimal.toml");
const PATH: &str = "spec/errors.toml";

/// The minimal spec with `from` replaced by `to` (which must occur once).
fn edited(from: &str, to: &str) -> String {
    assert_eq!(
        MINIMAL.matches(from).count(),
        1,
        "fixture edit {from:?} is ambiguous"
    );
    MINIMAL.replacen(from, to, 1)
}

fn report(source: &str) -> String {
    match Spec::parse(PATH, source) {
        Ok(_) => panic!("the spec was accepted:\n{source}"),
        Err(diagnostics) => diagnostics.to_string(),
    }
}

const NOT_FOUND: &str = "code = \"not_found\"\nhttp_status = 404\n";

#[test]
fn minimal_fixture_is_valid() {
    let spec = Spec::parse(PATH, MINIMAL).expect("valid");
    assert_eq!(spec.errors.len(), 2);
}

#[test]
fn real_spec_is_valid() {
    let path = xtask::project_root().join(xtask::SPEC_PATH);
    let spec = Spec::load(&path, xtask::SPEC_PATH).expect("the real spec is valid");
    assert!(spec.errors.len() >= 28, "{}", spec.errors.len());
}

#[test]
fn toml_syntax_error() {
    insta::assert_snapshot!(report(&edited(
        "description = \"Nothing there.\"",
        "description = \"Nothing there."
    )));
}

#[test]
fn unknown_key() {
    insta::assert_snapshot!(report(&edited(
        NOT_FOUND,
        "code = \"not_found\"\nhttp_status = 404\ncolour = \"red\"\n"
    )));
}

#[test]
fn duplicate_code_in_a_family() {
    let twice = format!(
        "{MINIMAL}\n[[error]]\nfamily = \"api\"\ncode = \"not_found\"\nhttp_status = 410\ndescription = \"Again.\"\n\
         user_message = \"x\"\nuser_action = \"try_later\"\nuser_facing = false\nretry = \"permanent\"\nsince = \"1.0.0\"\n"
    );
    insta::assert_snapshot!(report(&twice));
}

#[test]
fn same_code_in_two_families_is_fine() {
    let source = edited("code = \"invalid_key\"", "code = \"not_found\"");
    Spec::parse(PATH, &source).expect("families are separate namespaces");
}

#[test]
fn missing_text() {
    insta::assert_snapshot!(report(&edited(
        "user_message = \"Invalid license key.\"\n",
        ""
    )));
}

#[test]
fn empty_text() {
    insta::assert_snapshot!(report(&edited(
        "description = \"The key is wrong.\"",
        "description = \"  \""
    )));
}

#[test]
fn api_status_outside_4xx_5xx() {
    insta::assert_snapshot!(report(&edited("http_status = 404", "http_status = 302")));
}

#[test]
fn api_status_missing() {
    insta::assert_snapshot!(report(&edited("http_status = 404\n", "")));
}

#[test]
fn status_on_a_family_without_statuses() {
    insta::assert_snapshot!(report(&edited(
        "code = \"invalid_key\"\n",
        "code = \"invalid_key\"\nhttp_status = 401\n"
    )));
}

#[test]
fn unknown_retry_class() {
    insta::assert_snapshot!(report(&edited(
        "user_facing = true\nretry = \"permanent\"",
        "user_facing = true\nretry = \"sometimes\""
    )));
}

#[test]
fn retired_code_still_referenced() {
    let source = format!(
        "{}\n[[error]]\nfamily = \"auth\"\ncode = \"bad_key\"\ndescription = \"Old.\"\nuser_message = \"x\"\n\
         user_action = \"try_later\"\nuser_facing = true\nretry = \"permanent\"\nsince = \"1.0.0\"\nretired = \"1.1.0\"\n\
         replaced_by = \"invalid_key\"\n",
        edited("user_facing = true\nretry = \"permanent\"\nsince = \"1.0.0\"", "user_facing = true\nretry = \"permanent\"\nsince = \"1.0.0\"\nretired = \"1.1.0\"\nreplaced_by = \"bad_key\"")
            .replace("[[release]]\nversion = \"1.0.0\"", "[[release]]\nversion = \"1.1.0\"\nsummary = \"Retire.\"\n\n[[release]]\nversion = \"1.0.0\"")
            .replace("[spec]\nversion = \"1.0.0\"", "[spec]\nversion = \"1.1.0\"")
    );
    insta::assert_snapshot!(report(&source));
}

#[test]
fn code_must_be_snake_case_and_not_reserved() {
    insta::assert_snapshot!(report(&edited(
        "code = \"invalid_key\"",
        "code = \"Invalid-Key\""
    )));
    insta::assert_snapshot!(
        "reserved",
        report(&edited("code = \"invalid_key\"", "code = \"unknown\""))
    );
}

#[test]
fn since_must_be_a_release() {
    insta::assert_snapshot!(report(&edited(
        "user_facing = true\nretry = \"permanent\"\nsince = \"1.0.0\"",
        "user_facing = true\nretry = \"permanent\"\nsince = \"0.9.0\""
    )));
}

#[test]
fn every_problem_is_reported_in_source_order() {
    let source = edited("http_status = 404", "http_status = 999")
        .replace(
            "unknown_retry = \"permanent\"\n\n[family.auth]",
            "unknown_retry = \"never\"\n\n[family.auth]",
        )
        .replace("label = \"Try again later.\"", "label = \"\"");
    let text = report(&source);
    insta::assert_snapshot!(text);
    let lines: Vec<usize> = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--> spec/errors.toml:"))
        .filter_map(|l| l.split(':').next()?.parse().ok())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
}

#[test]
fn the_cli_exits_non_zero_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("bad.toml");
    std::fs::write(
        &spec,
        edited(
            "retry = \"permanent\"\nsince = \"1.0.0\"\n\n[[error]]",
            "retry = \"often\"\nsince = \"1.0.0\"\n\n[[error]]",
        ),
    )
    .expect("write spec");
    let out = dir.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["codegen", "--spec"])
        .arg(&spec)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run xtask");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!("{}:", spec.display());
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains("unknown retry class `often`"), "{stderr}");
    assert!(stderr.contains('^'), "{stderr}");
    assert!(!out.exists(), "nothing may be generated from a bad spec");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(source in "\\PC{0,400}") {
        let _ = Spec::parse(PATH, &source);
    }

    #[test]
    fn toml_like_text_never_panics(source in "[\\[\\]a-z_=\" .0-9\\n{},#-]{0,300}") {
        let _ = Spec::parse(PATH, &source);
    }

}

proptest! {
    // Accepted cases run the whole generator, rustfmt included: fewer cases.
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn damaged_spec_never_panics(start in 0usize..3000, len in 0usize..80, insert in "\\PC{0,8}") {
        let mut source = MINIMAL.to_owned();
        let mut start = start.min(source.len());
        while !source.is_char_boundary(start) { start -= 1; }
        let mut end = (start + len).min(source.len());
        while !source.is_char_boundary(end) { end -= 1; }
        source.replace_range(start..end, &insert);
        if let Ok(spec) = Spec::parse(PATH, &source) {
            // Whatever is accepted must generate without a panic.
            prop_assert!(xtask::codegen::generate(&spec).is_ok());
        }
    }
}
