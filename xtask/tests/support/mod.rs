//! Helpers shared by the test binaries.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `cargo xtask codegen --spec SPEC --out OUT` (with `--check` if asked), colours off.
pub fn run_codegen(spec: &Path, out: &Path, check: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .arg("codegen")
        .arg("--spec")
        .arg(spec)
        .arg("--out")
        .arg(out);
    if check {
        command.arg("--check");
    }
    command.env("NO_COLOR", "1").output().expect("run xtask")
}
