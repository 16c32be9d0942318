//! The locale files beside the spec (`spec/locales/<tag>.ftl`): a good one is
//! read into the generated tables; every refusal names `FILE:LINE:COL`; a
//! stale translation is an error under `--check` and a warning otherwise.

mod support;

use xtask::codegen;
use xtask::spec::Spec;
use xtask::spec::locales::{self, Loaded, LocaleSource, source_hash};

const MINIMAL: &str = include_str!("fixtures/minimal.toml");
const GERMAN: &str = include_str!("fixtures/locales/de.ftl");
const PATH: &str = "spec/locales/de.ftl";

fn spec() -> Spec {
    Spec::parse("spec/errors.toml", MINIMAL).expect("valid")
}

fn file(path: &str, source: &str) -> LocaleSource {
    LocaleSource {
        path: path.to_owned(),
        source: source.to_owned(),
    }
}

/// The German fixture with `from` replaced by `to` (which must occur once).
fn edited(from: &str, to: &str) -> String {
    assert_eq!(
        GERMAN.matches(from).count(),
        1,
        "edit {from:?} is ambiguous"
    );
    GERMAN.replacen(from, to, 1)
}

fn accepted(files: &[LocaleSource], check: bool) -> Loaded {
    match locales::check_all(files, &spec(), check) {
        Ok(loaded) => loaded,
        Err(errors) => panic!(
            "refused:\n{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// The rendered refusal of the German fixture edited to `source`.
fn refusal(source: &str) -> String {
    match locales::check_all(&[file(PATH, source)], &spec(), true) {
        Ok(_) => panic!("accepted:\n{source}"),
        Err(errors) => errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n\n"),
    }
}

#[test]
fn a_complete_translation_is_read_with_its_literals_and_lines() {
    let loaded = accepted(&[file(PATH, GERMAN)], true);
    assert!(loaded.warnings.is_empty());
    let de = loaded.locales.get("de").expect("de");
    assert_eq!(de.parent, None);
    let text = |id: &str| de.translations[id].text.as_str();
    assert_eq!(text("unknown-api"), "Da ist etwas {schief}gelaufen.");
    assert_eq!(
        text("error-auth-invalid_key"),
        "Dieser Lizenzschlüssel\nist ungültig."
    );
}

#[test]
fn missing_message() {
    insta::assert_snapshot!(refusal(&edited(
        "# source: 0ddedf905779bc0b\nunknown-auth = Die Anmeldung ist fehlgeschlagen.\n",
        ""
    )));
}

#[test]
fn orphan_message() {
    insta::assert_snapshot!(refusal(&format!(
        "{GERMAN}\n# source: 0ddedf905779bc0b\nerror-auth-invalid_kee = Falsch.\n"
    )));
}

#[test]
fn empty_message() {
    insta::assert_snapshot!(refusal(&edited(
        "unknown-auth = Die Anmeldung ist fehlgeschlagen.",
        "unknown-auth ="
    )));
    // Empty once its literals are read, too.
    insta::assert_snapshot!(
        "empty_message_literal",
        refusal(&edited(
            "unknown-auth = Die Anmeldung ist fehlgeschlagen.",
            "unknown-auth = { \" \" }"
        ))
    );
}

#[test]
fn placeholders_differ_from_the_source() {
    insta::assert_snapshot!(refusal(&edited(
        "unknown-auth = Die Anmeldung ist fehlgeschlagen.",
        "unknown-auth = Die Anmeldung von { $user } ist fehlgeschlagen."
    )));
}

#[test]
fn a_placeholder_of_the_source_must_be_kept() {
    let with_name = MINIMAL.replacen(
        "user_message = \"Invalid license key.\"",
        "user_message = \"Invalid license key for { $product }.\"",
        1,
    );
    let spec = Spec::parse("spec/errors.toml", &with_name).expect("valid");
    let hash = source_hash("Invalid license key for { $product }.");
    let dropped = GERMAN.replacen("c1d61464dc81eb54", &hash, 1).replacen(
        "Dieser Lizenzschlüssel\n    ist ungültig.",
        "Falscher Schlüssel.",
        1,
    );
    let errors = locales::check_all(&[file(PATH, &dropped)], &spec, true).expect_err("refused");
    let text = errors[0].to_string();
    assert!(
        text.contains("placeholders of `error-auth-invalid_key` differ from the English: it has none, the English has { $product }")
            && text.contains(&format!("{PATH}:13:1")),
        "{text}"
    );
    let kept = dropped.replacen(
        "Falscher Schlüssel.",
        "Falscher Schlüssel für {$product}.",
        1,
    );
    let loaded = locales::check_all(&[file(PATH, &kept)], &spec, true).expect("accepted");
    assert_eq!(
        loaded.locales.locales[0].translations["error-auth-invalid_key"].text,
        "Falscher Schlüssel für { $product }."
    );
}

#[test]
fn stale_translation_is_an_error_under_check_and_a_warning_otherwise() {
    let changed = MINIMAL.replacen(
        "user_message = \"Invalid license key.\"",
        "user_message = \"This license key is not valid.\"",
        1,
    );
    let spec = Spec::parse("spec/errors.toml", &changed).expect("valid");
    let files = [file(PATH, GERMAN)];
    let errors = locales::check_all(&files, &spec, true).expect_err("refused under --check");
    insta::assert_snapshot!(errors[0].to_string());

    let loaded = locales::check_all(&files, &spec, false).expect("only warned");
    let warning = loaded.warnings[0].to_string();
    assert!(
        warning.starts_with("warning: stale translation of `error-auth-invalid_key`"),
        "{warning}"
    );
    assert!(warning.contains(&format!("{PATH}:12:11")), "{warning}");
    let de = &loaded.locales.locales[0];
    assert!(de.translations["error-auth-invalid_key"].stale);
    assert!(!de.translations["unknown-auth"].stale);
}

#[test]
fn missing_or_malformed_source_hash() {
    insta::assert_snapshot!(refusal(&edited("# source: 0ddedf905779bc0b\n", "")));
    insta::assert_snapshot!(
        "malformed_source_hash",
        refusal(&edited("# source: 0ddedf905779bc0b", "# source: 0ddedf90"))
    );
}

#[test]
fn fluent_the_tables_cannot_hold() {
    let source = edited(
        "unknown-auth = Die Anmeldung ist fehlgeschlagen.",
        "unknown-auth = { -brand } { action-try_later } { NUMBER($n) }\n    .title = Titel",
    )
    .replacen(
        "action-try_later = Versuchen Sie es später noch einmal.",
        "action-try_later = { $n ->\n   *[other] Später.\n }",
        1,
    ) + "\n-brand = Keyward\n";
    insta::assert_snapshot!(refusal(&source));
}

#[test]
fn message_defined_twice() {
    insta::assert_snapshot!(refusal(&format!(
        "{GERMAN}\n# source: 0ddedf905779bc0b\nunknown-auth = Nochmal.\n"
    )));
}

#[test]
fn invalid_fluent_syntax() {
    insta::assert_snapshot!(refusal(&edited(
        "unknown-api = Da ist",
        "unknown-api = { Da ist"
    )));
}

#[test]
fn file_name_must_be_a_canonical_tag() {
    let errors = locales::check_all(&[file("spec/locales/pt-br.ftl", GERMAN)], &spec(), true)
        .expect_err("refused");
    let text = errors[0].to_string();
    assert!(
        text.contains("name it `pt-BR.ftl`") && text.contains("spec/locales/pt-br.ftl:1:1"),
        "{text}"
    );
    let errors = locales::check_all(&[file("spec/locales/deutsch!.ftl", GERMAN)], &spec(), true)
        .expect_err("refused");
    assert!(
        errors[0]
            .to_string()
            .contains("is not a BCP 47 language tag")
    );
}

#[test]
fn a_locale_with_a_shipped_parent_may_leave_texts_to_it() {
    let partial = "# source: ef7fbdb092422e65\naction-try_later = Tente mais tarde.\n";
    let loaded = accepted(
        &[
            file("spec/locales/pt-BR.ftl", partial),
            file("spec/locales/pt.ftl", GERMAN),
        ],
        true,
    );
    let brazil = loaded.locales.get("pt-BR").expect("pt-BR");
    assert_eq!(brazil.parent.as_deref(), Some("pt"));
    let texts = locales::source_texts(&spec());
    let text = |id: &str| {
        let source = texts.iter().find(|t| t.id == id).expect("a text");
        loaded.locales.text(brazil, source).to_owned()
    };
    assert_eq!(text("action-try_later"), "Tente mais tarde.");
    assert_eq!(text("unknown-auth"), "Die Anmeldung ist fehlgeschlagen.");

    // The generated tables copy the parent's text in, and name the parent.
    let files = codegen::generate_localized(&spec(), &loaded.locales).expect("generates");
    let rust = &files
        .iter()
        .find(|f| f.path.ends_with("generated_locales.rs"))
        .expect("generated_locales.rs")
        .contents;
    assert!(rust.contains("Self::PtBr => Some(Self::Pt)"), "{rust}");
    assert_eq!(
        rust.matches("\"Die Anmeldung ist fehlgeschlagen.\"")
            .count(),
        2
    );

    // Without the parent, the same file must be complete.
    let alone = locales::check_all(&[file("spec/locales/pt-BR.ftl", partial)], &spec(), true)
        .expect_err("refused");
    assert_eq!(alone[0].problems.len(), 4, "{}", alone[0]);
}

#[test]
fn retired_codes_keep_their_translations() {
    let retired = MINIMAL
        .replace(
            "[[release]]\nversion = \"1.0.0\"",
            "[[release]]\nversion = \"1.1.0\"\nsummary = \"Retire.\"\n\n[[release]]\nversion = \"1.0.0\"",
        )
        .replace("[spec]\nversion = \"1.0.0\"", "[spec]\nversion = \"1.1.0\"")
        + "\n[[error]]\nfamily = \"auth\"\ncode = \"old_key\"\ndescription = \"Old.\"\n\
           user_message = \"Old key.\"\nuser_action = \"try_later\"\nuser_facing = true\n\
           retry = \"permanent\"\nsince = \"1.0.0\"\nretired = \"1.1.0\"\n";
    let spec = Spec::parse("spec/errors.toml", &retired).expect("valid");
    let with_old = format!(
        "{GERMAN}\n# source: {}\nerror-auth-old_key = Alter Schlüssel.\n",
        source_hash("Old key.")
    );
    let loaded = locales::check_all(&[file(PATH, &with_old)], &spec, true).expect("accepted");
    assert_eq!(
        loaded.locales.locales[0].translations["error-auth-old_key"].text,
        "Alter Schlüssel."
    );
    let errors = locales::check_all(&[file(PATH, GERMAN)], &spec, true).expect_err("refused");
    assert!(
        errors[0]
            .to_string()
            .contains("missing message `error-auth-old_key`"),
        "{}",
        errors[0]
    );
}

/// The generated English reference is a valid translation of every text,
/// word for word: the file a new locale starts from.
#[test]
fn the_english_reference_is_a_complete_translation() {
    let spec = Spec::load(
        &xtask::project_root().join(xtask::SPEC_PATH),
        xtask::SPEC_PATH,
    )
    .expect("the real spec");
    let files = codegen::generate(&spec).expect("generates");
    let reference = &files
        .iter()
        .find(|f| f.path.ends_with("spec/locales/en.ftl"))
        .expect("en.ftl")
        .contents;
    let loaded = locales::check_all(&[file("spec/locales/de.ftl", reference)], &spec, true)
        .expect("accepted");
    let copy = &loaded.locales.locales[0];
    for text in locales::source_texts(&spec) {
        assert_eq!(copy.translations[&text.id].text, text.text, "{}", text.id);
    }
}

/// The shipped locales are complete and current (as `cargo xtask codegen
/// --check` sees them).
#[test]
fn the_shipped_locales_are_complete_and_current() {
    let root = xtask::project_root();
    let spec = Spec::load(&root.join(xtask::SPEC_PATH), xtask::SPEC_PATH).expect("the real spec");
    let loaded = locales::load(&root.join("spec/locales"), "spec/locales", &spec, true)
        .unwrap_or_else(|err| panic!("{:?}", xtask::TaskError::from(err).to_string()));
    let tags: Vec<&str> = loaded
        .locales
        .locales
        .iter()
        .map(|l| l.tag.as_str())
        .collect();
    assert_eq!(tags, ["de", "es", "fr", "ja", "pt-BR", "zh-Hans"]);
    let total = locales::source_texts(&spec).len();
    for locale in &loaded.locales.locales {
        assert_eq!(locale.translations.len(), total, "{}", locale.tag);
        assert!(
            locale.translations.values().all(|t| !t.stale),
            "{}",
            locale.tag
        );
    }
}

/// `cargo xtask codegen` on a spec whose English changed under a translation:
/// it warns and still writes; `--check` refuses, naming the place.
#[test]
fn codegen_warns_and_check_refuses_a_stale_translation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec_dir = dir.path().join("spec");
    std::fs::create_dir_all(spec_dir.join("locales")).expect("dirs");
    let changed = MINIMAL.replacen(
        "user_message = \"Invalid license key.\"",
        "user_message = \"This license key is not valid.\"",
        1,
    );
    let spec_path = spec_dir.join("errors.toml");
    std::fs::write(&spec_path, changed).expect("write spec");
    std::fs::write(spec_dir.join("locales/de.ftl"), GERMAN).expect("write de.ftl");
    let out = dir.path().join("out");
    let run = |check: bool| support::run_codegen(&spec_path, &out, check);
    let generated = run(false);
    let stderr = String::from_utf8_lossy(&generated.stderr);
    assert!(generated.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: stale translation of `error-auth-invalid_key`"),
        "{stderr}"
    );
    assert!(stderr.contains("locales/de.ftl:12:11"), "{stderr}");
    let rust = std::fs::read_to_string(out.join("crates/errors/src/generated_locales.rs"))
        .expect("generated_locales.rs");
    assert!(
        rust.contains("\"Dieser Lizenzschlüssel\\nist ungültig.\""),
        "{rust}"
    );
    let docs = std::fs::read_to_string(out.join("docs/errors.md")).expect("docs");
    assert!(docs.contains("| `de` | `"), "{docs}");

    let check = run(true);
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(!check.status.success(), "{stderr}");
    assert!(
        stderr.contains("error: stale translation of `error-auth-invalid_key`"),
        "{stderr}"
    );
}
