//! PostgreSQL tests against a throwaway cluster (`TestPostgres`). Where the machine has no
//! PostgreSQL binaries, every test here is reported *ignored* with the reason, never
//! passed (this binary runs on `libtest-mimic`: the built-in harness decides `#[ignore]`
//! at compile time).

use std::collections::BTreeSet;
use std::future::Future;

use keyward_server::store::schema::{MigrationError, SCHEMA_VERSION, migrate, migrate_postgres};
use keyward_server::{TestDatabase, TestPostgres, TestPostgresError};
use libtest_mimic::{Arguments, Failed, Trial};
use tokio_postgres::{Client, NoTls};

type Test = fn(TestPostgres) -> Result<(), Failed>;

const TESTS: &[(&str, Test)] = &[
    ("migrate_fresh_database", migrate_fresh_database),
    (
        "migrate_twice_changes_nothing",
        migrate_twice_changes_nothing,
    ),
    (
        "concurrent_migrations_apply_each_once",
        concurrent_migrations_apply_each_once,
    ),
    ("newer_database_is_refused", newer_database_is_refused),
    ("schema_matches_sqlite", schema_matches_sqlite),
];

fn main() {
    let args = Arguments::from_args();
    let cluster = TestPostgres::shared();
    if let Err(TestPostgresError::Unavailable(reason)) = &cluster {
        eprintln!("PostgreSQL tests ignored: {reason}");
    }
    let trials = TESTS
        .iter()
        .map(|&(name, test)| match &cluster {
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
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    // Stops the cluster and removes its directory: `exit` skips destructors.
    drop(cluster);
    conclusion.exit();
}

/// Runs one test's async body on a runtime of its own.
fn block_on(body: impl Future<Output = Result<(), Failed>>) -> Result<(), Failed> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(body)
}

async fn connect(url: &str) -> Result<Client, Failed> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// A fresh database, migrated, and a connection to it.
async fn migrated(cluster: &TestPostgres) -> Result<(TestDatabase, Client), Failed> {
    let db = cluster.database().await?;
    let mut client = connect(db.url()).await?;
    migrate_postgres(&mut client).await?;
    Ok((db, client))
}

async fn version(client: &Client) -> Result<i64, Failed> {
    Ok(client
        .query_one("SELECT version FROM keyward_schema", &[])
        .await?
        .get(0))
}

/// `SELECT count(*) FROM <rows>` (`rows`: a table, maybe with a `WHERE`).
async fn count(client: &Client, rows: &str) -> Result<i64, Failed> {
    Ok(client
        .query_one(&format!("SELECT count(*) FROM {rows}"), &[])
        .await?
        .get(0))
}

fn build_version() -> i64 {
    i64::try_from(SCHEMA_VERSION).expect("the schema version fits i64")
}

/// A fresh database ends at the build's version, with the tables of the last migration.
fn migrate_fresh_database(cluster: TestPostgres) -> Result<(), Failed> {
    block_on(async {
        let (_db, client) = migrated(&cluster).await?;
        assert_eq!(version(&client).await?, build_version());
        assert_eq!(count(&client, "seen_nonces").await?, 0);
        Ok(())
    })
}

/// A second migrate of an up-to-date database writes nothing: the version row is the
/// one the first run wrote (same `xmin`), and the data is kept.
fn migrate_twice_changes_nothing(cluster: TestPostgres) -> Result<(), Failed> {
    block_on(async {
        let (_db, mut client) = migrated(&cluster).await?;
        client
            .execute(
                "INSERT INTO accounts (name, created_at) VALUES ('kept', 0)",
                &[],
            )
            .await?;
        let row_version = "SELECT xmin::text FROM keyward_schema";
        let before: String = client.query_one(row_version, &[]).await?.get(0);
        migrate_postgres(&mut client).await?;
        let after: String = client.query_one(row_version, &[]).await?.get(0);
        assert_eq!(before, after, "the second migrate rewrote the version row");
        assert_eq!(version(&client).await?, build_version());
        assert_eq!(count(&client, "accounts WHERE name = 'kept'").await?, 1);
        Ok(())
    })
}

/// Two instances starting at once on one fresh database: both succeed (a migration run
/// twice would fail on its `CREATE TABLE`) and the version is the build's.
fn concurrent_migrations_apply_each_once(cluster: TestPostgres) -> Result<(), Failed> {
    block_on(async {
        let db = cluster.database().await?;
        let mut first = connect(db.url()).await?;
        let mut second = connect(db.url()).await?;
        let (a, b) = tokio::join!(
            tokio::spawn(async move { migrate_postgres(&mut first).await.map(|()| first) }),
            tokio::spawn(async move { migrate_postgres(&mut second).await.map(|()| second) }),
        );
        let first = a??;
        b??;
        assert_eq!(version(&first).await?, build_version());
        assert_eq!(
            count(&first, "keyward_schema").await?,
            1,
            "the version table holds one row"
        );
        Ok(())
    })
}

/// A database migrated by a newer build is refused with the typed error, untouched.
fn newer_database_is_refused(cluster: TestPostgres) -> Result<(), Failed> {
    block_on(async {
        let (_db, mut client) = migrated(&cluster).await?;
        let newer = build_version() + 1;
        client
            .execute("UPDATE keyward_schema SET version = $1", &[&newer])
            .await?;
        match migrate_postgres(&mut client).await {
            Err(MigrationError::TooNew { found, supported }) => {
                assert_eq!(found, SCHEMA_VERSION + 1);
                assert_eq!(supported, SCHEMA_VERSION);
            }
            other => return Err(format!("expected TooNew, got {other:?}").into()),
        }
        assert_eq!(version(&client).await?, newer);
        Ok(())
    })
}

/// `(table, column)` and index names: what both backends' migrations must agree on.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    columns: BTreeSet<(String, String)>,
    indexes: BTreeSet<String>,
}

fn sqlite_shape() -> Result<Shape, Failed> {
    let mut conn = rusqlite::Connection::open_in_memory()?;
    migrate(&mut conn)?;
    let columns = conn
        .prepare(
            "SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
             WHERE m.type = 'table'",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    // Named indexes only: SQLite's automatic ones (keys, UNIQUE) have no PostgreSQL twin
    // by name.
    let indexes = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(Shape { columns, indexes })
}

async fn postgres_shape(client: &Client) -> Result<Shape, Failed> {
    let columns = client
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name <> 'keyward_schema'",
            &[],
        )
        .await?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    // The indexes behind PRIMARY KEY and UNIQUE constraints are left out, as in SQLite.
    let indexes = client
        .query(
            "SELECT i.indexname::text FROM pg_indexes i
             WHERE i.schemaname = 'public' AND NOT EXISTS (
                 SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            &[],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    Ok(Shape { columns, indexes })
}

/// After migrating, PostgreSQL has the same tables, columns and named indexes as SQLite:
/// the two SQL lists of each migration stay in step.
fn schema_matches_sqlite(cluster: TestPostgres) -> Result<(), Failed> {
    block_on(async {
        let (_db, client) = migrated(&cluster).await?;
        let sqlite = sqlite_shape()?;
        let postgres = postgres_shape(&client).await?;
        assert!(
            sqlite.columns.len() > 40,
            "SQLite's columns were not read: {sqlite:?}"
        );
        let only_in = |a: &Shape, b: &Shape| {
            let columns: Vec<_> = a.columns.difference(&b.columns).collect();
            let indexes: Vec<_> = a.indexes.difference(&b.indexes).collect();
            format!("columns {columns:?}, indexes {indexes:?}")
        };
        assert!(
            postgres == sqlite,
            "only in SQLite: {}; only in PostgreSQL: {}",
            only_in(&sqlite, &postgres),
            only_in(&postgres, &sqlite)
        );
        Ok(())
    })
}
