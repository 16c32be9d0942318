//! `cargo xtask`: Keyward's build tasks.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Keyward's build tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Generate the error-model crate, JSON Schemas and docs from spec/errors.toml.
    Codegen {
        /// Change nothing; fail if any generated file is stale.
        #[arg(long)]
        check: bool,
        /// The spec to read (default: spec/errors.toml of the workspace).
        #[arg(long, value_name = "PATH")]
        spec: Option<PathBuf>,
        /// The root to write generated files under (default: the workspace root).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = xtask::project_root();
    let result = match cli.task {
        Task::Codegen { check, spec, out } => {
            let (spec_path, display) = match spec {
                Some(path) => {
                    let display = path.display().to_string();
                    (path, display)
                }
                None => (root.join(xtask::SPEC_PATH), xtask::SPEC_PATH.to_owned()),
            };
            let out = out.unwrap_or(root);
            xtask::codegen(&spec_path, &display, &out, check).map(|outcome| {
                if check {
                    eprintln!("codegen: {} generated files are up to date", outcome.fresh);
                } else if outcome.stale.is_empty() {
                    eprintln!(
                        "codegen: {} generated files were already up to date",
                        outcome.fresh
                    );
                } else {
                    for path in &outcome.stale {
                        eprintln!("codegen: wrote {}", path.display());
                    }
                }
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
