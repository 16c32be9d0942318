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
    /// Generate the error-model crate, JSON Schemas and docs from spec/errors.toml and
    /// its translations (spec/locales/*.ftl).
    Codegen {
        /// Change nothing; fail if any generated file or any translation is stale.
        #[arg(long)]
        check: bool,
        /// The spec to read (default: spec/errors.toml of the workspace).
        #[arg(long, value_name = "PATH")]
        spec: Option<PathBuf>,
        /// The root to write generated files under (default: the workspace root).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Report changes of the error contract against an older spec; fail on
    /// unacknowledged breaking ones (see docs/spec-compat.md).
    SpecCompat {
        /// A git revision or a spec file to compare with (default: the newest
        /// released spec: the newest tag spec-vX.Y.Z, else the last commit
        /// whose spec has another version; see docs/spec-compat.md).
        #[arg(long, value_name = "REV_OR_PATH")]
        against: Option<String>,
        /// The new spec (default: spec/errors.toml of the workspace).
        #[arg(long, value_name = "PATH")]
        spec: Option<PathBuf>,
    },
    /// Fail when Cargo.lock holds two versions of a crate that
    /// [workspace.metadata.duplicate-versions] in Cargo.toml does not allow.
    DuplicateDeps,
    /// Run every test: the workspace's, then keyward-server's suites again on PostgreSQL
    /// (a throwaway cluster; skipped, and said so, where the machine has none).
    Test,
    /// Print a valid synthetic spec of N codes (for benchmarks).
    SyntheticSpec {
        /// How many codes.
        #[arg(long, default_value_t = 5000)]
        codes: usize,
        /// The variant one release later, with changes (see xtask::synthetic).
        #[arg(long)]
        changed: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = xtask::project_root();
    let result = match cli.task {
        Task::SyntheticSpec { codes, changed } => {
            if changed {
                print!("{}", xtask::synthetic::synthetic_spec_changed(codes));
            } else {
                print!("{}", xtask::synthetic::synthetic_spec(codes));
            }
            return ExitCode::SUCCESS;
        }
        Task::Test => {
            return match xtask::test::run(&root) {
                Ok(xtask::test::Outcome::Failed) => ExitCode::FAILURE,
                Ok(_) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("xtask test: cannot run cargo: {err}");
                    ExitCode::from(2)
                }
            };
        }
        Task::DuplicateDeps => {
            return finish_check(
                xtask::deps::check(&root)
                    .map(|report| (report.render(), report.passed()))
                    .map_err(xtask::TaskError::from),
            );
        }
        Task::SpecCompat { against, spec } => {
            let spec = spec.unwrap_or_else(|| root.join(xtask::SPEC_PATH));
            return finish_check(
                xtask::spec_compat(&root, &spec, against.as_deref())
                    .map(|outcome| (outcome.render(), outcome.passed())),
            );
        }
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
                for warning in &outcome.warnings {
                    anstream::eprintln!("{}\n", warning.render(true));
                }
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
        Err(err) => {
            report(&err);
            ExitCode::FAILURE
        }
    }
}

/// Prints a failure to stderr: coloured on a terminal, plain otherwise
/// (anstream strips the colours, and honours NO_COLOR and CLICOLOR_FORCE).
fn report(err: &xtask::TaskError) {
    anstream::eprintln!("{}", err.render(true));
}

/// Prints a check's report and exits 0 if it passed, 1 if it found problems, 2 if it
/// could not run.
fn finish_check(result: Result<(String, bool), xtask::TaskError>) -> ExitCode {
    match result {
        Ok((report, passed)) => {
            print!("{report}");
            if passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(err) => {
            report(&err);
            ExitCode::from(2)
        }
    }
}
