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

/// A 1.0.0 spec one release later (1.1.0), so that codes can be retired.
fn released_1_1(source: &str) -> String {
    source
        .replace(
            "[[release]]\nversion = \"1.0.0\"",
            "[[release]]\nversion = \"1.1.0\"\nsummary = \"Retire.\"\n\n[[release]]\nversion = \"1.0.0\"",
        )
        .replace("[spec]\nversion = \"1.0.0\"", "[spec]\nversion = \"1.1.0\"")
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
        released_1_1(&edited(
            "user_facing = true\nretry = \"permanent\"\nsince = \"1.0.0\"",
            "user_facing = true\nretry = \"permanent\"\nsince = \"1.0.0\"\nretired = \"1.1.0\"\nreplaced_by = \"bad_key\""
        ))
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
        // Rendering a diagnostic never panics either, whatever its span.
        if let Err(err) = Spec::parse(PATH, &source) { let _ = err.render(true); }
    }

    #[test]
    fn toml_like_text_never_panics(source in "[\\[\\]a-z_=\" .0-9\\n{},#-]{0,300}") {
        if let Err(err) = Spec::parse(PATH, &source) { let _ = err.render(false); }
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
        match Spec::parse(PATH, &source) {
            // Whatever is accepted must generate without a panic (and compile:
            // see tests/generated_compiles.rs).
            Ok(spec) => prop_assert!(xtask::codegen::generate(&spec).is_ok()),
            Err(err) => { let _ = err.to_string(); }
        }
    }
}

// Specs whose generated crate would not compile. The names are checked as a
// set after the generator's own conversions (snake_case -> UpperCamelCase for
// variants, camelCase -> snake_case for fields, per-family aliases), against
// the names the generated module defines or imports, and against keywords.

/// `MINIMAL` with `extra` appended.
fn with(extra: &str) -> String {
    format!("{MINIMAL}\n{extra}")
}

/// An `[[error]]` entry of `family`.
fn code(family: &str, code: &str) -> String {
    let status = if family == "api" {
        "http_status = 400\n"
    } else {
        ""
    };
    format!(
        "[[error]]\nfamily = \"{family}\"\ncode = \"{code}\"\n{status}description = \"Code {code}.\"\n\
         user_message = \"Something went wrong.\"\nuser_action = \"try_later\"\nuser_facing = true\n\
         retry = \"permanent\"\nsince = \"1.0.0\"\n\n"
    )
}

fn retry_class(name: &str) -> String {
    format!(
        "[retry_class.{name}]\ndescription = \"Class {name}.\"\nmax_attempts = 1\ninitial_delay_ms = 0\n\
         multiplier = 1.0\nmax_delay_ms = 0\njitter = \"none\"\nhonor_retry_after = false\n\
         reauthenticate = false\nsecurity_alert = false\n\n"
    )
}

fn family(name: &str, rust_name: &str) -> String {
    format!(
        "[family.{name}]\nrust_name = \"{rust_name}\"\ndescription = \"Family {name}.\"\n\
         unknown_user_message = \"Failed.\"\nunknown_user_action = \"try_later\"\nunknown_retry = \"permanent\"\n\n{}",
        code(name, "failed_once")
    )
}

/// The reports of several specs, one after the other, for one snapshot.
fn reports(sources: impl IntoIterator<Item = String>) -> String {
    sources
        .into_iter()
        .map(|source| report(&source))
        .collect::<Vec<_>>()
        .join("\n\n----\n\n")
}

#[test]
fn codes_equal_after_case_conversion() {
    let pairs = [
        ("a1", "a_1"),
        ("x_y1", "x_y_1"),
        ("ab2c", "ab_2c"),
        ("network_error2", "network_error_2"),
    ];
    let codes: String = pairs
        .iter()
        .flat_map(|(a, b)| [code("auth", a), code("auth", b)])
        .collect();
    let text = report(&with(&codes));
    assert_eq!(text.matches("error: ").count(), pairs.len(), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn user_actions_equal_after_case_conversion() {
    insta::assert_snapshot!(report(&with(
        "[user_action.a1]\nlabel = \"One.\"\n\n[user_action.a_1]\nlabel = \"Also one.\"\n"
    )));
}

#[test]
fn retry_classes_equal_after_case_conversion() {
    insta::assert_snapshot!(report(&with(&format!(
        "{}{}",
        retry_class("x_y1"),
        retry_class("x_y_1")
    ))));
}

#[test]
fn families_equal_after_case_conversion() {
    insta::assert_snapshot!(report(&with(&format!(
        "{}{}",
        family("ab2c", "AbError"),
        family("ab_2c", "AbTwoError")
    ))));
}

#[test]
fn envelope_fields_equal_after_case_conversion() {
    insta::assert_snapshot!(report(&edited(
        "{ name = \"message\", type = \"string\", required = true, description = \"Developer text.\" },",
        "{ name = \"fooBar\", type = \"string\", required = true, description = \"One.\" },\n    \
         { name = \"fooBAR\", type = \"string\", required = false, description = \"Two.\" },",
    )));
}

#[test]
fn family_rust_names_the_generated_module_uses() {
    let taken = [
        "UserAction",
        "RetryPolicy",
        "Duration",
        "Family",
        "ErrorInfo",
        "OperationInfo",
        "RateLimit",
        "Failed",
        "UnknownCode",
        "Jitter",
        "Option",
        "String",
    ];
    let text = reports(taken.iter().map(|name| {
        edited(
            "rust_name = \"AuthError\"",
            &format!("rust_name = \"{name}\""),
        )
    }));
    for name in taken {
        assert!(
            text.contains(&format!("is `{name}`, a name the generated module")),
            "{name}: {text}"
        );
    }
    insta::assert_snapshot!(text);
}

#[test]
fn envelope_alias_equal_to_a_family_enum() {
    // `Error` for the families `api` and `auth` has the aliases `ApiError`
    // and `AuthError`: the names of the family enums.
    insta::assert_snapshot!(report(&with(
        "[envelope.any_error]\nrust_name = \"Error\"\ndescription = \"Any error.\"\nfamilies = [\"api\", \"auth\"]\n\
         fields = [{ name = \"error\", type = \"code\", required = true, description = \"The code.\" }]\n"
    )));
}

#[test]
fn self_as_a_code_action_class_or_family() {
    insta::assert_snapshot!(reports([
        edited("code = \"invalid_key\"", "code = \"self\""),
        with("[user_action.self]\nlabel = \"Me.\"\n"),
        with(&retry_class("self")),
        with(&family("self", "SelfError")),
    ]));
}

#[test]
fn envelope_fields_that_are_keywords() {
    let field = |name: &str| {
        edited(
            "{ name = \"message\", type = \"string\", required = true, description = \"Developer text.\" },",
            &format!(
                "{{ name = \"{name}\", type = \"string\", required = true, description = \"A keyword.\" }},"
            ),
        )
    };
    // No raw identifier exists for these: refused.
    insta::assert_snapshot!(reports(["self", "crate"].map(field)));
    // The others are escaped: `r#type` keeps the wire name `type`.
    for keyword in ["type", "fn", "match", "ref", "async"] {
        let spec =
            Spec::parse(PATH, &field(keyword)).unwrap_or_else(|err| panic!("{keyword}: {err}"));
        let files = xtask::codegen::generate(&spec).expect("generates");
        let rust = &files[0].contents;
        assert!(
            rust.contains(&format!(
                "#[serde(rename = \"{keyword}\")]\n    pub r#{keyword}: String,"
            )),
            "{keyword}:\n{rust}"
        );
    }
}

#[test]
fn control_characters_in_text() {
    insta::assert_snapshot!(reports([
        // A bare CR: rustfmt refuses it in a doc comment.
        edited(
            "description = \"The key is wrong.\"",
            "description = \"The key\\ris wrong.\""
        ),
        edited("label = \"Try again later.\"", "label = \"Try\\ragain.\""),
        // Bidirectional controls: rustc denies them in literals and comments.
        edited(
            "description = \"The key is wrong.\"",
            "description = \"The key is \\u202Egnorw.\""
        ),
        edited(
            "user_message = \"Invalid license key.\"",
            "user_message = \"Invalid \\u2066key\\u2069.\""
        ),
        // Other control characters.
        edited(
            "summary = \"First release.\"",
            "summary = \"First\\u0007release.\""
        ),
    ]));
}

/// Generated files of an accepted spec, by path.
fn generated(source: &str) -> std::collections::HashMap<String, String> {
    let spec = Spec::parse(PATH, source).unwrap_or_else(|err| panic!("refused:\n{err}"));
    xtask::codegen::generate(&spec)
        .expect("generates")
        .into_iter()
        .map(|f| (f.path.display().to_string(), f.contents))
        .collect()
}

#[test]
fn crlf_line_breaks_generate_what_lf_ones_do() {
    // A Windows checkout: the file and its multi-line strings use CRLF.
    let lf = edited(
        "description = \"The key is wrong.\"",
        "description = \"\"\"\nThe key is wrong.\nIt has a typo.\"\"\"",
    );
    let crlf = lf.replace('\n', "\r\n");
    let files = generated(&crlf);
    assert_eq!(files, generated(&lf));
    let docs = &files["docs/errors.md"];
    assert!(
        docs.contains(
            "| `invalid_key` | The key is wrong. It has a typo. | Invalid license key. |"
        ),
        "one table row:\n{docs}"
    );
    assert!(!files.values().any(|text| text.contains('\r')));
}

#[test]
fn a_fenced_code_block_in_a_description_is_no_doctest() {
    let files = generated(&edited(
        "description = \"The key is wrong.\"",
        "description = \"\"\"\nThe key is wrong, for example:\n\n```\nlet key = wrong();\n```\n\n```rust\npanic!();\n~~~\n```\n\n    indented();\"\"\"",
    ));
    let rust = &files["crates/errors/src/generated.rs"];
    assert!(
        rust.contains("    /// ```text\n    /// let key = wrong();\n    /// ```\n"),
        "{rust}"
    );
    assert!(
        rust.contains("    /// ```text\n    /// panic!();\n    /// ~~~\n    /// ```\n"),
        "{rust}"
    );
    // An indented line is not an indented code block either.
    assert!(rust.contains("    ///    indented();\n"), "{rust}");
    assert!(!rust.contains("/// ```rust"), "{rust}");
}

#[test]
fn links_labels_and_html_are_escaped_in_the_docs() {
    let files = generated(
        &edited(
            "label = \"Try again later.\"",
            "label = \"Try <b>again</b> | later.\"\nlink = \"renewal|<script>x</script>\"",
        )
        .replace(
            "summary = \"First release.\"",
            "summary = \"First <em>release</em> & more.\"",
        )
        .replace(
            "description = \"Nothing there.\"",
            "description = \"Nothing <img src=x onerror=alert(1)> there, see `Option<T>`.\"",
        ),
    );
    let docs = &files["docs/errors.md"];
    assert!(
        docs.contains("| `try_later` | Try &lt;b&gt;again&lt;/b&gt; \\| later. | renewal\\|&lt;script&gt;x&lt;/script&gt; |"),
        "{docs}"
    );
    assert!(
        docs.contains("Nothing &lt;img src=x onerror=alert(1)&gt; there, see `Option<T>`."),
        "{docs}"
    );
    let changelog = &files["docs/errors-changelog.md"];
    assert!(
        changelog.contains("First &lt;em&gt;release&lt;/em&gt; &amp; more."),
        "{changelog}"
    );
    assert!(
        changelog
            .contains("| `api` | `not_found` | Nothing &lt;img src=x onerror=alert(1)&gt; there"),
        "{changelog}"
    );
    for text in [docs, changelog] {
        assert!(!text.contains("<script") && !text.contains("<img") && !text.contains("<b>"));
    }
}

#[test]
fn an_unknown_name_close_to_a_known_one_gets_a_did_you_mean() {
    let text = report(&edited(
        "user_facing = true\nretry = \"permanent\"",
        "user_facing = true\nretry = \"permanant\"",
    ));
    assert!(text.contains("help: did you mean `permanent`?"), "{text}");
    insta::assert_snapshot!(text);
}

const OPERATIONS: &str = include_str!("fixtures/operations.toml");

/// The operations fixture (the minimal spec with an SDK-detected family,
/// `[operation_defaults.api]` and operations answering every code) and `more`.
fn with_operations(more: &str) -> String {
    format!("{OPERATIONS}\n{more}")
}

#[test]
fn operations_with_defaults_and_client_codes_are_valid() {
    let spec = Spec::parse(
        PATH,
        &with_operations(
            "[[operation]]\nname = \"Extra1\"\nmethod = \"GET\"\npath = \"/health\"\nsummary = \"Alive.\"\nfamily = \"api\"\ndefaults = false\n",
        ),
    )
    .expect("valid");
    let routes: Vec<(String, &[String])> = spec
        .operations
        .iter()
        .map(|op| (op.route(), op.errors.as_slice()))
        .collect();
    assert_eq!(
        routes,
        [
            (
                "GET /v1/apps/{appId}".to_owned(),
                &["not_found".to_owned()][..]
            ),
            (
                "POST /auth/validate".to_owned(),
                &["invalid_key".to_owned()][..]
            ),
            ("GET /health".to_owned(), &[][..]),
        ]
    );
    assert_eq!(spec.operations[1].client_errors, ["network_error"]);
}

#[test]
fn real_spec_declares_operations() {
    let path = xtask::project_root().join(xtask::SPEC_PATH);
    let spec = Spec::load(&path, xtask::SPEC_PATH).expect("the real spec is valid");
    let routes: Vec<String> = spec.operations.iter().map(|op| op.route()).collect();
    for route in [
        "POST /auth/validate",
        "POST /auth/heartbeat",
        "GET /health",
        "POST /v1/apps/{appId}/licenses",
    ] {
        assert!(
            routes.contains(&route.to_owned()),
            "{route} is not declared: {routes:?}"
        );
    }
}

#[test]
fn operation_names_an_unknown_code() {
    insta::assert_snapshot!(report(&with_operations(
        "[[operation]]\nname = \"Extra2\"\nmethod = \"GET\"\npath = \"/v1/apps\"\nsummary = \"Apps.\"\nfamily = \"api\"\nerrors = [\"not_fund\"]\n",
    )));
}

#[test]
fn operation_names_a_code_of_another_family() {
    insta::assert_snapshot!(report(&with_operations(
        "[[operation]]\nname = \"Extra3\"\nmethod = \"GET\"\npath = \"/v1/apps\"\nsummary = \"Apps.\"\nfamily = \"api\"\n\
         errors = [\"invalid_key\"]\nclient_errors = [\"not_found\"]\n",
    )));
}

#[test]
fn operation_names_a_retired_code() {
    let source = with_operations(
        "[[error]]\nfamily = \"auth\"\ncode = \"bad_key\"\ndescription = \"Old.\"\nuser_message = \"x\"\n\
         user_action = \"try_later\"\nuser_facing = true\nretry = \"permanent\"\nsince = \"1.0.0\"\nretired = \"1.1.0\"\n\n\
         [[operation]]\nname = \"Extra4\"\nmethod = \"POST\"\npath = \"/auth/heartbeat\"\nsummary = \"Beat.\"\nfamily = \"auth\"\nerrors = [\"bad_key\"]\n",
    );
    insta::assert_snapshot!(report(&released_1_1(&source)));
}

#[test]
fn duplicate_method_and_path() {
    // The parameter's name does not make it another route.
    insta::assert_snapshot!(report(&with_operations(
        "[[operation]]\nname = \"Extra5\"\nmethod = \"GET\"\npath = \"/v1/apps/{id}\"\nsummary = \"Again.\"\nfamily = \"api\"\n",
    )));
}

#[test]
fn a_code_no_operation_answers() {
    let source = with_operations("").replace(
        "errors = [\"invalid_key\"]\nclient_errors = [\"network_error\"]\n",
        "",
    );
    insta::assert_snapshot!(report(&source));
}

#[test]
fn operation_shape_problems() {
    insta::assert_snapshot!(report(&with_operations(
        "[[operation]]\nname = \"Extra6\"\nmethod = \"get\"\npath = \"v1/{App_Id}\"\nsummary = \"Two\\nlines.\"\nfamily = \"sdk\"\n\n\
         [[operation]]\nname = \"Extra7\"\nmethod = \"PUT\"\npath = \"/auth/x\"\nsummary = \"X.\"\nfamily = \"auth\"\ndefaults = false\n\
         errors = [\"invalid_key\", \"invalid_key\"]\n\n\
         [[operation]]\nname = \"Extra8\"\nmethod = \"PUT\"\npath = \"/v1/x\"\nsummary = \"X.\"\nfamily = \"api\"\nerrors = [\"not_found\"]\n",
    )));
}

#[test]
fn operation_name_problems() {
    // A name that is no type name, one used twice, and one whose error enum
    // would be the family enum.
    insta::assert_snapshot!(report(&with_operations(
        "[[operation]]\nname = \"list_apps\"\nmethod = \"GET\"\npath = \"/v1/a\"\nsummary = \"A.\"\nfamily = \"api\"\n\n\
         [[operation]]\nname = \"GetApps\"\nmethod = \"GET\"\npath = \"/v1/b\"\nsummary = \"B.\"\nfamily = \"api\"\n\n\
         [[operation]]\nname = \"Api\"\nmethod = \"GET\"\npath = \"/v1/c\"\nsummary = \"C.\"\nfamily = \"api\"\n",
    )));
}

#[test]
fn an_operation_needs_a_name_unless_it_is_a_baseline() {
    let source = with_operations("").replacen("name = \"GetApps\"\n", "", 1);
    let report = report(&source);
    assert!(report.contains("operation needs a `name`"), "{report}");
    // An earlier commit's spec, read by spec-compat, may predate names.
    let baseline = Spec::parse_baseline(PATH, &source).expect("a baseline may lack names");
    assert!(baseline.operations.iter().any(|op| !op.named));
}

#[test]
fn a_spec_without_operations_needs_none() {
    let spec = Spec::parse(PATH, MINIMAL).expect("valid without operations");
    assert!(spec.operations.is_empty());
}

#[test]
fn path_templates() {
    let bad = [
        "/v1/{App_Id}",
        "/v1/{id}/x/{id}",
        "/v1//apps",
        "/v1/apps?x=1",
        "/v1/a b",
    ];
    let text = reports(bad.iter().map(|path| {
        with_operations(&format!(
            "[[operation]]\nname = \"Extra9\"\nmethod = \"GET\"\npath = \"{path}\"\nsummary = \"X.\"\nfamily = \"api\"\n"
        ))
    }));
    insta::assert_snapshot!(text);
    for root in ["/", "/v1/apps/{appId}/access-rules/{ruleId}", "/v1/a.b_c-d"] {
        let source = with_operations(&format!(
            "[[operation]]\nname = \"Extra10\"\nmethod = \"PUT\"\npath = \"{root}\"\nsummary = \"X.\"\nfamily = \"api\"\n"
        ));
        Spec::parse(PATH, &source).unwrap_or_else(|err| panic!("{root}: {err}"));
    }
}
