//! The property behind the spec checks: a spec the checker accepts generates
//! a crate that compiles. Hostile random specs (`xtask::synthetic::hostile_spec`:
//! keywords, prelude and method names, names equal after case conversion,
//! reserved type names, Markdown, HTML, fences, quotes and backslashes in the
//! texts) are checked; the accepted ones, the real spec and the minimal
//! fixture are each generated into a copy of keyward-errors' hand-written
//! sources, and one `cargo check --offline` over all of them, with warnings
//! denied and the `schemars` and `locales` features on, must pass.
//!
//! Dependencies are cached in `target/generated-compiles/`, so after the
//! first run this costs the sample crates' own check.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::codegen;
use xtask::spec::Spec;

/// How many accepted hostile specs are compiled.
const SAMPLES: usize = 6;

/// The specs compiled besides them: the real one, the fixture, [`keyword_fields`].
const FIXED: usize = 3;

const MINIMAL: &str = include_str!("fixtures/minimal.toml");

/// The fixture with a generic envelope whose fields are keywords the
/// generator escapes (`r#type`), of every field type.
fn keyword_fields() -> String {
    let fields = ["type", "fn", "match", "ref", "async", "gen", "try", "dyn"]
        .iter()
        .zip(["string", "failed", "field_errors", "code"].iter().cycle())
        .map(|(name, ty)| {
            format!("    {{ name = \"{name}\", type = \"{ty}\", required = {}, description = \"`{name}`.\" }},\n", ty == &"code")
        })
        .collect::<String>();
    format!(
        "{MINIMAL}\n[envelope.keywords]\nrust_name = \"Keywords\"\ndescription = \"Keyword fields.\"\n\
         families = [\"api\", \"auth\"]\nfields = [\n{fields}]\n"
    )
}

fn root() -> PathBuf {
    xtask::project_root()
}

/// keyward-errors' manifest for a sample crate named `name`: its features
/// and dependencies, without what needs files the sample does not have.
fn manifest(name: &str) -> String {
    let original = std::fs::read_to_string(root().join("crates/errors/Cargo.toml"))
        .expect("read crates/errors/Cargo.toml");
    let runtime = original
        .split("\n[dev-dependencies]")
        .next()
        .expect("a manifest");
    assert!(
        runtime.contains("name = \"keyward-errors\""),
        "the manifest changed shape:\n{runtime}"
    );
    runtime.replacen(
        "name = \"keyward-errors\"",
        &format!("name = \"{name}\""),
        1,
    )
}

/// Writes a sample crate of `generated` files below `dir`.
fn write_sample(dir: &Path, name: &str, generated: &[codegen::GeneratedFile]) {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).expect("create sample");
    std::fs::write(dir.join("Cargo.toml"), manifest(name)).expect("write manifest");
    let generated_names = ["generated.rs", "generated_locales.rs"];
    for entry in std::fs::read_dir(root().join("crates/errors/src")).expect("read sources") {
        let path = entry.expect("entry").path();
        let file_name = path.file_name().expect("a file name");
        if !generated_names.iter().any(|name| file_name == *name) {
            std::fs::copy(&path, src.join(file_name)).expect("copy source");
        }
    }
    for name in generated_names {
        let file = generated
            .iter()
            .find(|f| f.path == Path::new("crates/errors/src").join(name))
            .unwrap_or_else(|| panic!("{name} is generated"));
        std::fs::write(src.join(name), &file.contents).expect("write a generated file");
    }
}

#[test]
fn accepted_specs_generate_crates_that_compile() {
    let mut specs: Vec<(String, String)> = vec![
        (
            "real".into(),
            std::fs::read_to_string(root().join(xtask::SPEC_PATH)).expect("read spec"),
        ),
        ("minimal".into(), MINIMAL.to_owned()),
        ("keywords".into(), keyword_fields()),
    ];
    let mut refused = 0;
    for seed in 0..1000 {
        if specs.len() == SAMPLES + FIXED {
            break;
        }
        let source = xtask::synthetic::hostile_spec(seed);
        match Spec::parse("hostile.toml", &source) {
            Ok(_) => specs.push((format!("hostile-{seed}"), source)),
            Err(_) => refused += 1,
        }
    }
    assert_eq!(
        specs.len(),
        SAMPLES + FIXED,
        "too few hostile specs accepted"
    );
    assert!(refused > 0, "the hostile specs should trip the checker too");

    let scratch = tempfile::tempdir().expect("temp dir");
    let mut members = Vec::new();
    let mut features = Vec::new();
    for (name, source) in &specs {
        let spec = Spec::parse(name, source).expect("accepted above");
        let files = codegen::generate(&spec).unwrap_or_else(|err| panic!("{name}: {err}"));
        let package = format!("sample-{name}");
        write_sample(&scratch.path().join(&package), &package, &files);
        features.push(format!("{package}/schemars"));
        features.push(format!("{package}/locales"));
        members.push(format!("\"{package}\""));
    }
    // The workspace's own inherited settings, and its lock file so that
    // `--offline` finds the versions already downloaded.
    let root_manifest =
        std::fs::read_to_string(root().join("Cargo.toml")).expect("read Cargo.toml");
    let package = root_manifest
        .split("[workspace.package]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("[workspace.package]");
    // The tables the crate inherits from: its lints (`[lints] workspace = true`) and its
    // dependencies (`workspace = true`), less the workspace's own crates.
    let inherited: String = root_manifest
        .split("\n[")
        .filter(|section| {
            section.starts_with("workspace.lints") || section.starts_with("workspace.dependencies]")
        })
        .map(|section| {
            let lines: Vec<&str> = section
                .lines()
                .filter(|line| !line.contains("path ="))
                .collect();
            format!("[{}\n", lines.join("\n"))
        })
        .collect();
    std::fs::write(
        scratch.path().join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n\n[workspace.package]{package}\n{inherited}",
            members.join(", ")
        ),
    )
    .expect("write workspace");
    std::fs::copy(root().join("Cargo.lock"), scratch.path().join("Cargo.lock")).expect("lock");

    let check = |offline: bool| {
        let mut command = Command::new(env!("CARGO"));
        command.args(["check", "--quiet", "--keep-going", "--workspace"]);
        if offline {
            command.arg("--offline");
        }
        command
            .arg("--features")
            .arg(features.join(","))
            .current_dir(scratch.path())
            .env("CARGO_TARGET_DIR", root().join("target/generated-compiles"))
            .env("RUSTFLAGS", "-D warnings")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .output()
            .expect("run cargo")
    };
    // Offline first: every dependency is in the workspace's lock file and
    // normally downloaded already. If one is not (only xtask was ever built
    // here), let cargo fetch it.
    let mut output = check(true);
    if !output.status.success() && String::from_utf8_lossy(&output.stderr).contains("offline") {
        output = check(false);
    }
    assert!(
        output.status.success(),
        "a spec the checker accepts generated a crate that does not compile:\n{}\n\nspecs:\n{}",
        String::from_utf8_lossy(&output.stderr),
        specs
            .iter()
            .skip(FIXED)
            .map(|(name, source)| format!("--- {name}\n{source}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
