//! The harness of the test binaries that run on a throwaway PostgreSQL cluster
//! (`TestPostgres`), on `libtest-mimic` (the built-in harness decides `#[ignore]` at compile
//! time): each test gets the process's cluster; where the machine has no PostgreSQL
//! binaries, every test is reported *ignored* with the reason, never passed.

use std::future::Future;

use keyward_server::{TestPostgres, TestPostgresError};
use libtest_mimic::{Arguments, Failed, Trial};

/// A test on the process's cluster.
pub type Test = fn(TestPostgres) -> Result<(), Failed>;

/// Runs `tests`, and `left_out` (name, test, why) reported *ignored* with the why (they run
/// with `--ignored`), then exits with the summary's status. `threads`: how many at once
/// unless `--test-threads` says (`None`: libtest-mimic's default, one per core).
pub fn run(
    tests: &[(&'static str, Test)],
    left_out: &[(&'static str, Test, &'static str)],
    threads: Option<usize>,
) {
    let mut args = Arguments::from_args();
    args.test_threads = args.test_threads.or(threads);
    let cluster = TestPostgres::shared();
    if let Err(TestPostgresError::Unavailable(reason)) = &cluster {
        eprintln!("PostgreSQL tests ignored: {reason}");
    }
    let trial = |name: &'static str, test: Test| match &cluster {
        Ok(cluster) => {
            let cluster = cluster.clone();
            Trial::test(name, move || test(cluster))
        }
        Err(TestPostgresError::Unavailable(reason)) => {
            let reason = reason.clone();
            Trial::test(name, move || Err(format!("no PostgreSQL: {reason}").into()))
                .with_kind("no PostgreSQL")
                .with_ignored_flag(true)
        }
        Err(other) => {
            let error = other.to_string();
            Trial::test(name, move || Err(error.into()))
        }
    };
    let trials = tests
        .iter()
        .map(|&(name, test)| trial(name, test))
        .chain(
            left_out
                .iter()
                .map(|&(name, test, why)| trial(name, test).with_kind(why).with_ignored_flag(true)),
        )
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    // Stops the cluster and removes its directory: `exit` skips destructors.
    drop(cluster);
    conclusion.exit();
}

/// Runs one test's async body on a runtime of its own.
pub fn block_on(body: impl Future<Output = Result<(), Failed>>) -> Result<(), Failed> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(body)
}
