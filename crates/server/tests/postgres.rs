//! PostgreSQL tests against a throwaway cluster (`TestPostgres`). Where the machine has no
//! PostgreSQL binaries, every test here is reported *ignored* with the reason, never
//! passed (this binary runs on `libtest-mimic`: the built-in harness decides `#[ignore]`
//! at compile time).

use std::collections::BTreeSet;
use std::fmt::Debug;

mod postgres_harness;

use keyward_server::store::schema::{MigrationError, SCHEMA_VERSION, migrate, migrate_postgres};
use keyward_server::{Store, StoreError, TestDatabase, TestPostgres};
use libtest_mimic::Failed;
use postgres_harness::{Test, block_on};
use tokio_postgres::{Client, NoTls};

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
    ("accounts_answer_as_on_sqlite", accounts_answer_as_on_sqlite),
    (
        "concurrent_add_credits_lose_nothing",
        concurrent_add_credits_lose_nothing,
    ),
];

fn main() {
    postgres_harness::run(TESTS, &[], None);
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

/// The answers of a sequence of operations, in order, to compare across backends.
#[derive(Default)]
struct Transcript(Vec<String>);

impl Transcript {
    /// Records `answer` under `step`.
    fn record(&mut self, step: &str, answer: &impl Debug) {
        self.0.push(format!("{step}: {answer:?}"));
    }

    /// Records `answer` under `step` and hands it back.
    fn note<T: Debug>(&mut self, step: &str, answer: T) -> T {
        self.record(step, &answer);
        answer
    }
}

/// Accounts and API keys through every operation, with what each backend must answer
/// checked on the way; the transcript of all answers.
async fn account_operations(backend: &Store) -> Vec<String> {
    let mut log = Transcript::default();
    let alice = log.note(
        "create alice",
        backend.create_account("alice".into(), 100).await,
    );
    assert_eq!(alice.as_ref().map(|a| a.credits).ok(), Some(0), "{alice:?}");
    log.record(
        "create bob",
        &backend.create_account("bob".into(), 101).await,
    );
    let taken = log.note(
        "alice again",
        backend.create_account("alice".into(), 102).await,
    );
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");

    let added = log.note("add 50", backend.add_credits("alice".into(), 50).await);
    assert_eq!(
        added.as_ref().map(|a| a.credits).ok(),
        Some(50),
        "{added:?}"
    );
    let overflow = log.note(
        "add max",
        backend.add_credits("alice".into(), i64::MAX).await,
    );
    assert!(
        matches!(overflow, Err(StoreError::Overflow)),
        "{overflow:?}"
    );
    let negative = log.note("take 51", backend.add_credits("alice".into(), -51).await);
    assert!(
        matches!(negative, Err(StoreError::NoCredits)),
        "{negative:?}"
    );
    let emptied = log.note("take 50", backend.add_credits("alice".into(), -50).await);
    assert_eq!(
        emptied.as_ref().map(|a| a.credits).ok(),
        Some(0),
        "{emptied:?}"
    );
    let nobody = log.note(
        "add to nobody",
        backend.add_credits("nobody".into(), 1).await,
    );
    assert!(matches!(nobody, Err(StoreError::NotFound)), "{nobody:?}");

    let suspended = log.note(
        "suspend bob",
        backend.set_suspended("bob".into(), true).await,
    );
    assert_eq!(suspended.as_ref().map(|a| a.suspended).ok(), Some(true));
    log.record("bob by name", &backend.account_by_name("bob".into()).await);
    log.record("account 1", &backend.account(1).await);
    log.record("account 99", &backend.account(99).await);
    log.record("accounts", &backend.list_accounts().await);

    let (hash_a, hash_b) = (vec![0xA1_u8; 32], vec![0xB2_u8; 32]);
    let key_a = log.note(
        "key a",
        backend
            .insert_api_key("alice".into(), hash_a.clone(), 200)
            .await,
    );
    log.record(
        "key b",
        &backend
            .insert_api_key("alice".into(), hash_b.clone(), 201)
            .await,
    );
    let same_hash = log.note(
        "key a for bob",
        backend
            .insert_api_key("bob".into(), hash_a.clone(), 202)
            .await,
    );
    assert!(
        matches!(same_hash, Err(StoreError::Conflict(_))),
        "{same_hash:?}"
    );
    log.record(
        "key for nobody",
        &backend
            .insert_api_key("nobody".into(), vec![1; 32], 203)
            .await,
    );
    let owner = log.note("authenticate a", backend.authenticate(hash_a.clone()).await);
    assert_eq!(owner.ok(), alice.as_ref().map(|a| a.id).ok());
    if let Ok(id) = key_a {
        log.record("revoke a", &backend.revoke_api_key(id).await);
    }
    let revoked = log.note(
        "authenticate revoked a",
        backend.authenticate(hash_a.clone()).await,
    );
    assert!(matches!(revoked, Err(StoreError::NotFound)), "{revoked:?}");
    log.record(
        "revoke b by hash",
        &backend.revoke_api_key_by_hash(hash_b.clone()).await,
    );
    log.record(
        "authenticate revoked b",
        &backend.authenticate(hash_b).await,
    );
    let unknown = log.note("revoke 99", backend.revoke_api_key(99).await);
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    let keys = log.note("alice's keys", backend.list_api_keys("alice".into()).await);
    assert_eq!(
        keys.as_ref()
            .map(|k| k.iter().map(|k| k.revoked).collect())
            .ok(),
        Some(vec![true, true])
    );
    log.record(
        "nobody's keys",
        &backend.list_api_keys("nobody".into()).await,
    );

    let first = log.note("secret", backend.server_secret(vec![7; 32]).await);
    assert_eq!(first.ok(), Some(vec![7; 32]));
    let kept = log.note("secret again", backend.server_secret(vec![8; 32]).await);
    assert_eq!(kept.ok(), Some(vec![7; 32]), "the first secret is kept");
    log.0
}

/// The same account and API-key operations answer the same on SQLite and PostgreSQL
/// (one copy of the SQL, `store::accounts`, runs on both).
fn accounts_answer_as_on_sqlite(cluster: TestPostgres) -> Result<(), Failed> {
    block_on(async {
        let dir = tempfile::tempdir()?;
        let sqlite = (Store::open_sqlite(&dir.path().join("k.db"))?);
        let db = cluster.database().await?;
        let postgres = (Store::open_postgres(db.url(), 4).await?);
        let on_sqlite = account_operations(&sqlite).await;
        let on_postgres = account_operations(&postgres).await;
        for (sqlite, postgres) in on_sqlite.iter().zip(&on_postgres) {
            assert_eq!(sqlite, postgres, "SQLite and PostgreSQL answer differently");
        }
        assert_eq!(on_sqlite.len(), on_postgres.len());
        Ok(())
    })
}

/// Many tasks adding credits to one account at once on PostgreSQL: the serializable
/// transactions that lose are run again, and no credit is lost.
fn concurrent_add_credits_lose_nothing(cluster: TestPostgres) -> Result<(), Failed> {
    const TASKS: i64 = 32;
    const ADDS: i64 = 10;
    block_on(async {
        let db = cluster.database().await?;
        let store = Store::open_postgres(db.url(), 8).await?;
        store.create_account("busy".into(), 0).await?;
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    for _ in 0..ADDS {
                        store.add_credits("busy".into(), 1).await?;
                    }
                    Ok::<_, StoreError>(())
                })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        let account = store.account_by_name("busy".into()).await?;
        assert_eq!(account.credits, TASKS * ADDS);
        Ok(())
    })
}
