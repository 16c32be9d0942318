//! PostgreSQL tests against a throwaway cluster (`TestPostgres`). Where the machine has no
//! PostgreSQL binaries, every test here is reported *ignored* with the reason, never
//! passed (this binary runs on `libtest-mimic`: the built-in harness decides `#[ignore]`
//! at compile time).

use std::collections::BTreeSet;
use std::fmt::Debug;

use std::net::SocketAddr;
use std::time::Instant;

use keyward_errors::{ApiError, RATE_LIMIT, ValidateError};
use keyward_protocol::SelfBanFlags;
use keyward_server::ratelimit::Decision;
use keyward_server::store::Database;
use keyward_server::store::schema::{MigrationError, SCHEMA_VERSION, migrate, migrate_postgres};
use keyward_server::store::{
    App, AppPatch, Extension, ListKind, NewApp, NewLicenses, NewSigningKey, RuleKind, SelfBanInput,
    SelfBanProof, SigningPatch,
};
use keyward_server::store::{HEARTBEATS_PER_CREDIT, HeartbeatInput, ValidateInput};
use keyward_server::{Config, RateLimitConfig, RunningServer};
use keyward_server::{Store, StoreError, TestDatabase, TestPostgres};
use libtest_mimic::Failed;
use tokio_postgres::{Client, NoTls};

mod postgres_harness;

use postgres_harness::{Test, block_on};

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
    (
        "api_rate_limit_holds_across_instances",
        api_rate_limit_holds_across_instances,
    ),
    (
        "api_rate_limit_admits_exactly_the_burst_under_concurrency",
        api_rate_limit_admits_exactly_the_burst_under_concurrency,
    ),
    (
        "idle_api_rate_limits_are_forgotten",
        idle_api_rate_limits_are_forgotten,
    ),
    (
        "api_rate_limit_is_cluster_wide_over_http",
        api_rate_limit_is_cluster_wide_over_http,
    ),
    (
        "a_failing_shared_limit_falls_back_to_the_instance",
        a_failing_shared_limit_falls_back_to_the_instance,
    ),
    ("apps_answer_as_on_sqlite", apps_answer_as_on_sqlite),
    (
        "concurrent_license_creation_charges_exactly",
        concurrent_license_creation_charges_exactly,
    ),
    ("licenses_answer_as_on_sqlite", licenses_answer_as_on_sqlite),
    (
        "concurrent_validates_bind_no_more_than_the_slots",
        concurrent_validates_bind_no_more_than_the_slots,
    ),
    (
        "concurrent_heartbeats_charge_every_tenth_beat_once",
        concurrent_heartbeats_charge_every_tenth_beat_once,
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
        let sqlite = Store::open_sqlite(&dir.path().join("k.db"))?;
        let db = cluster.database().await?;
        let postgres = Store::open_postgres(db.url(), 4).await?;
        let on_sqlite = account_operations(&sqlite).await;
        let on_postgres = account_operations(&postgres).await;
        same_transcripts(&on_sqlite, &on_postgres);
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

/// A time on the server clock (microseconds) for the rate-limit tests, which pass it in.
const NOW: i64 = 1_800_000_000_000_000;

/// One Developer API request of `key` through `store`'s shared limiter, which every
/// PostgreSQL store has.
async fn shared_limit(
    store: &Store,
    key: &[u8],
    limit: RateLimitConfig,
    now: i64,
) -> Result<Decision, Failed> {
    store
        .api_rate_limit(key, limit, now)
        .await?
        .ok_or_else(|| "no shared rate limit on PostgreSQL".into())
}

/// Two stores on `db`, each with a pool of `connections`: two server instances' worth.
async fn two_instances(db: &TestDatabase, connections: usize) -> Result<[Store; 2], Failed> {
    Ok([
        Store::open_postgres(db.url(), connections).await?,
        Store::open_postgres(db.url(), connections).await?,
    ])
}

/// How many of `decisions` were admitted; every refusal is asserted to say `retry_after`.
fn admitted(decisions: &[Decision], retry_after: std::time::Duration) -> u32 {
    let mut admitted = 0;
    for decision in decisions {
        match decision {
            Decision::Allowed => admitted += 1,
            Decision::Limited { retry_after: said } => assert_eq!(*said, retry_after),
        }
    }
    admitted
}

/// Two instances (two stores, two pools) on one database share each API key's limit:
/// requests alternating between them at one instant are admitted exactly up to the burst,
/// then refused until the next token, which either instance then hands out once; another
/// key has a limit of its own.
fn api_rate_limit_holds_across_instances(cluster: TestPostgres) -> Result<(), Failed> {
    block_on(async {
        let db = cluster.database().await?;
        let instances = two_instances(&db, 2).await?;
        let limit = RateLimitConfig::from(RATE_LIMIT);
        let period = limit.gcra().period();
        let burst = RATE_LIMIT.burst_per_second;
        let key = vec![0x11_u8; 32];
        let requests = |count: u32, now: i64, key: Vec<u8>| {
            let instances = &instances;
            async move {
                let mut decisions = Vec::new();
                for store in instances.iter().cycle().take(count as usize) {
                    decisions.push(shared_limit(store, &key, limit, now).await?);
                }
                Ok::<_, Failed>(decisions)
            }
        };
        let first = requests(2 * burst, NOW, key.clone()).await?;
        assert_eq!(admitted(&first, period), burst, "at one instant");
        assert!(
            first[..burst as usize]
                .iter()
                .all(|d| *d == Decision::Allowed),
            "{first:?}"
        );

        // Three periods later, three more, whichever instance asks.
        let later = NOW + 3 * limit.gcra().period_micros;
        let refill = requests(10, later, key.clone()).await?;
        assert_eq!(admitted(&refill, period), 3, "{refill:?}");
        assert_eq!(&refill[..3], &[Decision::Allowed; 3]);

        // A refusal halfway to the next token says the half that is left.
        let halfway = later + limit.gcra().period_micros / 2;
        let [a, _] = &instances;
        assert_eq!(
            shared_limit(a, &key, limit, halfway).await?,
            Decision::Limited {
                retry_after: period / 2
            }
        );

        let other = requests(2 * burst, later, vec![0x22_u8; 32]).await?;
        assert_eq!(admitted(&other, period), burst, "another key");

        // SQLite leaves the decision to the in-process limiter.
        let dir = tempfile::tempdir()?;
        let sqlite = Store::open_sqlite(&dir.path().join("k.db"))?;
        assert_eq!(sqlite.api_rate_limit(&key, limit, NOW).await?, None);
        Ok(())
    })
}

/// Many requests of one key at once, spread over two instances' pools at one instant:
/// exactly the burst is admitted (each decision is one atomic statement).
fn api_rate_limit_admits_exactly_the_burst_under_concurrency(
    cluster: TestPostgres,
) -> Result<(), Failed> {
    const TASKS: usize = 32;
    const EACH: usize = 10;
    block_on(async {
        let db = cluster.database().await?;
        let instances = two_instances(&db, 8).await?;
        let limit = RateLimitConfig::from(RATE_LIMIT);
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                let store = instances[task % 2].clone();
                tokio::spawn(async move {
                    let mut decisions = Vec::new();
                    for _ in 0..EACH {
                        decisions.push(shared_limit(&store, &[0x33; 32], limit, NOW).await?);
                    }
                    Ok::<_, Failed>(decisions)
                })
            })
            .collect();
        let mut decisions = Vec::new();
        for task in tasks {
            decisions.extend(task.await??);
        }
        assert_eq!(decisions.len(), TASKS * EACH);
        assert_eq!(
            admitted(&decisions, limit.gcra().period()),
            RATE_LIMIT.burst_per_second
        );
        Ok(())
    })
}

/// The periodic prune drops the rows of keys idle past the margin and keeps the others;
/// a forgotten key starts with a full burst.
fn idle_api_rate_limits_are_forgotten(cluster: TestPostgres) -> Result<(), Failed> {
    block_on(async {
        let db = cluster.database().await?;
        let store = Store::open_postgres(db.url(), 2).await?;
        let client = connect(db.url()).await?;
        let limit = RateLimitConfig::new(1, 1.0);
        let second = 1_000_000;
        let hour = 3_600 * second;
        shared_limit(&store, &[1; 32], limit, NOW).await?;
        shared_limit(&store, &[2; 32], limit, NOW + hour).await?;
        assert_eq!(store.forget_spent_rate_limits(NOW).await?, 0);
        assert_eq!(count(&client, "api_rate_limits").await?, 2);
        assert_eq!(store.forget_spent_rate_limits(NOW + hour).await?, 1);
        let left: Vec<u8> = client
            .query_one("SELECT key_hash FROM api_rate_limits", &[])
            .await?
            .get(0);
        assert_eq!(left, vec![2; 32]);
        assert_eq!(
            shared_limit(&store, &[1; 32], limit, NOW + hour).await?,
            Decision::Allowed
        );
        Ok(())
    })
}

/// The failed-API-key limit of [`instance`]s.
const FAILURE_BURST: u32 = 3;
/// The Developer API limit of [`instance`]s: it refills slowly (1/s), so that the requests
/// of a test barely refill it.
const LIMIT: RateLimitConfig = RateLimitConfig {
    burst: 20,
    per_second: 1.0,
};

/// A server instance on `db`, with [`LIMIT`] and [`FAILURE_BURST`].
async fn instance(db: &TestDatabase) -> Result<RunningServer, Failed> {
    let mut config = Config::new(Database::Postgres(db.url().to_owned()));
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.postgres_connections = 4;
    config.api_rate_limit = LIMIT;
    config.api_key_failure_limit = Some(RateLimitConfig::new(FAILURE_BURST, 0.01));
    Ok(keyward_server::spawn(config).await?)
}

/// Two server instances on one database over HTTP, one API key, requests alternating
/// between them: the cluster admits the burst plus what refilled while they ran, not
/// twice the burst, and refuses with the same `rate_limited` answer as one instance
/// does. The failed-API-key limit stays per instance: each refuses after its own burst.
///
/// The limit refills slowly ([`LIMIT`]), so that two per-instance limits (at least twice
/// the burst) stay apart from one shared limit however slowly the requests go.
fn api_rate_limit_is_cluster_wide_over_http(cluster: TestPostgres) -> Result<(), Failed> {
    block_on(async {
        let db = cluster.database().await?;
        let instances = [instance(&db).await?, instance(&db).await?];
        let admin = instances[0].admin();
        admin.create_account("cluster").await?;
        let key = admin.issue_api_key("cluster").await?.key;
        let http = reqwest::Client::new();
        let get = |server: &RunningServer, key: &str| {
            http.get(format!("{}/v1/account", server.base_url()))
                .bearer_auth(key)
                .send()
        };

        let burst = LIMIT.burst;
        let begun = Instant::now();
        let mut admitted = 0_u32;
        let mut refusal = None;
        for server in instances.iter().cycle().take(3 * burst as usize) {
            let response = get(server, &key).await?;
            if response.status().is_success() {
                admitted += 1;
            } else if refusal.is_none() {
                refusal = Some(response);
            }
        }
        // At most the burst and every token refilled meanwhile (one more for rounding).
        let most = f64::from(burst) + LIMIT.per_second * begun.elapsed().as_secs_f64() + 1.0;
        assert!(
            admitted >= burst && f64::from(admitted) <= most,
            "admitted {admitted}, at most {most:.1}"
        );
        let refusal = refusal.ok_or("never refused")?;
        assert_eq!(
            refusal.status().as_u16(),
            ApiError::RateLimited.http_status()
        );
        let retry_after: u64 = refusal.headers()["retry-after"].to_str()?.parse()?;
        assert!(retry_after >= 1, "{retry_after}");
        let body: serde_json::Value = refusal.json().await?;
        assert_eq!(body["error"], ApiError::RateLimited.code(), "{body}");

        // Per instance: each counts this client's failed key checks alone.
        let unknown = format!("kw_{}", "0".repeat(48));
        for server in &instances {
            for _ in 0..FAILURE_BURST {
                let response = get(server, &unknown).await?;
                assert_eq!(
                    response.status().as_u16(),
                    ApiError::InvalidApiKey.http_status()
                );
            }
            let response = get(server, &unknown).await?;
            assert_eq!(
                response.status().as_u16(),
                ApiError::RateLimited.http_status()
            );
        }
        for server in instances {
            server.shutdown().await?;
        }
        Ok(())
    })
}

/// When the shared limit cannot be read (its table is gone), requests are not answered
/// `internal_error`: the instance's own limiter decides, and still refuses past the burst.
fn a_failing_shared_limit_falls_back_to_the_instance(cluster: TestPostgres) -> Result<(), Failed> {
    block_on(async {
        let db = cluster.database().await?;
        let server = instance(&db).await?;
        server.admin().create_account("fallback").await?;
        let key = server.admin().issue_api_key("fallback").await?.key;
        connect(db.url())
            .await?
            .batch_execute("DROP TABLE api_rate_limits")
            .await?;
        let http = reqwest::Client::new();
        let url = format!("{}/v1/account", server.base_url());
        let mut statuses = Vec::new();
        for _ in 0..=LIMIT.burst {
            let response = http.get(&url).bearer_auth(&key).send().await?;
            statuses.push(response.status().as_u16());
        }
        let admitted = statuses.iter().filter(|status| **status == 200).count();
        assert_eq!(admitted, LIMIT.burst as usize, "{statuses:?}");
        assert_eq!(
            statuses.last().copied(),
            Some(ApiError::RateLimited.http_status())
        );
        server.shutdown().await?;
        Ok(())
    })
}

/// A signing key as `crate::signing_keys` would make it (the bytes only need to be
/// stored and listed here).
fn signing_key(key_id: &str, byte: u8) -> NewSigningKey {
    NewSigningKey {
        key_id: key_id.to_owned(),
        public_key: [byte; 32],
        sealed: vec![byte; 48],
    }
}

/// Apps, their signing keys, access rules and webhooks through every operation, with
/// what each backend must answer checked on the way; the transcript of all answers.
async fn app_operations(backend: &Store) -> Result<Vec<String>, Failed> {
    let mut log = Transcript::default();
    let owner = backend.create_account("owner".into(), 1).await?.id;
    let other = backend.create_account("other".into(), 2).await?.id;
    let mut app = NewApp::named("first");
    app.hwid_slots = 3;
    app.daily_credit_cap = Some(5);
    app.variables.insert("tier".into(), "gold".into());
    let first = log.note(
        "create first",
        backend
            .create_app(owner, app.clone(), "app_first".into(), "s1".into(), 10)
            .await,
    );
    assert_eq!(first.as_ref().map(|a| a.app.hwid_slots).ok(), Some(3));
    let taken = log.note(
        "first's id again",
        backend
            .create_app(owner, app, "app_first".into(), "s2".into(), 11)
            .await,
    );
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    let mut signed = NewApp::named("signed");
    signed.ed25519_key = Some(signing_key("k1", 1));
    let created = log.note(
        "create signed",
        backend
            .create_app(owner, signed, "app_signed".into(), "s3".into(), 12)
            .await,
    );
    assert_eq!(
        created
            .as_ref()
            .ok()
            .and_then(|a| a.app.signing_keys.as_ref())
            .map(Vec::len),
        Some(1),
        "{created:?}"
    );
    log.record("owner's apps", &backend.list_apps(owner, 13).await);
    log.record("other's apps", &backend.list_apps(other, 13).await);
    let forbidden = log.note(
        "first for other",
        backend.app(other, "app_first".into(), 14).await,
    );
    assert!(
        matches!(forbidden, Err(StoreError::Forbidden)),
        "{forbidden:?}"
    );
    log.record(
        "unknown app",
        &backend.app(owner, "app_none".into(), 14).await,
    );

    let renamed = log.note(
        "rename first",
        backend
            .update_app(
                owner,
                "app_first".into(),
                AppPatch {
                    name: Some("renamed".into()),
                    ..AppPatch::default()
                },
                15,
            )
            .await,
    );
    assert_eq!(
        renamed
            .as_ref()
            .map(|a| (a.hwid_slots, a.daily_credit_cap))
            .ok(),
        Some((3, Some(5))),
        "{renamed:?}"
    );
    log.record(
        "change the rest of first",
        &backend
            .update_app(
                owner,
                "app_first".into(),
                AppPatch {
                    active: Some(false),
                    hwid_slots: Some(16),
                    variables: Some(serde_json::Map::new()),
                    allowlist_required: Some(true),
                    signing: Some(SigningPatch::Ed25519(signing_key("f1", 2))),
                    daily_credit_cap: Some(None),
                    ..AppPatch::default()
                },
                16,
            )
            .await,
    );
    // The schema refuses it (the API never asks); the backends word it differently.
    let slots = backend
        .update_app(
            owner,
            "app_first".into(),
            AppPatch {
                hwid_slots: Some(17),
                ..AppPatch::default()
            },
            16,
        )
        .await;
    assert!(matches!(slots, Err(StoreError::Backend(_))), "{slots:?}");

    let signed = || "app_signed".to_owned();
    log.record(
        "stage k2",
        &backend
            .stage_signing_key(owner, signed(), signing_key("k2", 3), 20)
            .await,
    );
    let rotated = log.note(
        "rotate to k2",
        backend
            .rotate_signing_key(owner, signed(), signing_key("unused", 4), 21)
            .await,
    );
    let active = |app: &Result<App, StoreError>| -> Option<String> {
        let keys = app.as_ref().ok()?.signing_keys.as_ref()?;
        keys.iter().find(|k| k.active).map(|k| k.key_id.clone())
    };
    assert_eq!(active(&rotated).as_deref(), Some("k2"), "{rotated:?}");
    let fresh = log.note(
        "rotate to a new k3",
        backend
            .rotate_signing_key(owner, signed(), signing_key("k3", 5), 22)
            .await,
    );
    assert_eq!(active(&fresh).as_deref(), Some("k3"), "{fresh:?}");
    log.record(
        "delete k1",
        &backend
            .delete_signing_key(owner, signed(), "k1".into())
            .await,
    );
    let in_use = log.note(
        "delete active k3",
        backend
            .delete_signing_key(owner, signed(), "k3".into())
            .await,
    );
    assert!(matches!(in_use, Err(StoreError::Conflict(_))), "{in_use:?}");
    log.record(
        "delete k1 again",
        &backend
            .delete_signing_key(owner, signed(), "k1".into())
            .await,
    );
    log.record(
        "signed to hmac",
        &backend
            .update_app(
                owner,
                signed(),
                AppPatch {
                    signing: Some(SigningPatch::Hmac),
                    ..AppPatch::default()
                },
                23,
            )
            .await,
    );
    let hmac = log.note(
        "stage on hmac",
        backend
            .stage_signing_key(owner, signed(), signing_key("k4", 6), 24)
            .await,
    );
    assert!(matches!(hmac, Err(StoreError::Conflict(_))), "{hmac:?}");

    let add = |list, kind, value: &str, now| {
        backend.add_access_rule(owner, signed(), list, kind, value.to_owned(), now)
    };
    let network = log.note(
        "deny network",
        add(ListKind::Deny, RuleKind::Ip, "10.0.0.0/8", 30).await,
    );
    log.record(
        "allow hwid",
        &add(ListKind::Allow, RuleKind::Hwid, "hw-1", 32).await,
    );
    // After the other inserts: PostgreSQL spends an identity value on an insert that
    // `ON CONFLICT DO NOTHING` skips (SQLite does not), so later rule ids would differ.
    let again = log.note(
        "deny network again",
        add(ListKind::Deny, RuleKind::Ip, "10.0.0.0/8", 31).await,
    );
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    log.record("rules", &backend.list_access_rules(owner, signed()).await);
    log.record(
        "other's rules",
        &backend.list_access_rules(other, signed()).await,
    );
    if let Ok(rule) = network {
        log.record(
            "delete network",
            &backend.delete_access_rule(owner, signed(), rule.id).await,
        );
        let gone = log.note(
            "delete network again",
            backend.delete_access_rule(owner, signed(), rule.id).await,
        );
        assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");
    }

    let hook = log.note(
        "create webhook",
        backend
            .create_webhook(
                owner,
                "https://example.test/h".into(),
                vec!["license.revoked".into()],
                40,
            )
            .await,
    );
    log.record("webhooks", &backend.list_webhooks(owner).await);
    if let Ok(hook) = hook {
        let hidden = log.note(
            "delete as other",
            backend.delete_webhook(other, hook.id).await,
        );
        assert!(matches!(hidden, Err(StoreError::NotFound)), "{hidden:?}");
        log.record("delete", &backend.delete_webhook(owner, hook.id).await);
    }
    log.record("webhooks after", &backend.list_webhooks(owner).await);
    log.record(
        "owner's apps at the end",
        &backend.list_apps(owner, 50).await,
    );
    Ok(log.0)
}

/// The same app, signing-key, access-rule and webhook operations answer the same on
/// SQLite and PostgreSQL (one copy of the SQL: `store::apps`, `store::signing_keys`,
/// `store::webhooks`).
fn apps_answer_as_on_sqlite(cluster: TestPostgres) -> Result<(), Failed> {
    block_on(async {
        let dir = tempfile::tempdir()?;
        let sqlite = Store::open_sqlite(&dir.path().join("k.db"))?;
        let db = cluster.database().await?;
        let postgres = Store::open_postgres(db.url(), 4).await?;
        let on_sqlite = app_operations(&sqlite).await?;
        let on_postgres = app_operations(&postgres).await?;
        same_transcripts(&on_sqlite, &on_postgres);
        Ok(())
    })
}

/// Many batches of licenses created at once for one account on PostgreSQL, asking for
/// more than its credits pay for: exactly the batches the balance covers are created
/// (each charged in full), every other one is refused with `NoCredits` and creates
/// nothing, and the balance ends at what is left.
fn concurrent_license_creation_charges_exactly(cluster: TestPostgres) -> Result<(), Failed> {
    const CREDITS: i64 = 50;
    const BATCHES: i64 = 24;
    const BATCH: i64 = 3;
    block_on(async {
        let db = cluster.database().await?;
        let store = Store::open_postgres(db.url(), 8).await?;
        let account = store.create_account("buyer".into(), 0).await?;
        store.add_credits("buyer".into(), CREDITS).await?;
        // The app is inserted directly: licenses are what is under test.
        let client = connect(db.url()).await?;
        client
            .execute(
                "INSERT INTO apps (public_id, account_id, name, secret, hwid_slots, created_at)
                 VALUES ('app_batches', $1, 'batches', 'secret', 1, 0)",
                &[&account.id],
            )
            .await?;
        let spec = NewLicenses {
            expires_at: None,
            variables: serde_json::Map::new(),
            note: None,
            label: None,
        };
        let tasks: Vec<_> = (0..BATCHES)
            .map(|batch| {
                let store = store.clone();
                let spec = spec.clone();
                let keys = (0..BATCH)
                    .map(|i| format!("BATCH-{batch:02}-{i}"))
                    .collect();
                tokio::spawn(async move {
                    store
                        .create_licenses(account.id, "app_batches".into(), spec, keys, 1)
                        .await
                })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            match task.await? {
                Ok(licenses) => {
                    assert_eq!(licenses.len(), usize::try_from(BATCH)?);
                    created += BATCH;
                }
                Err(StoreError::NoCredits) => {}
                Err(other) => return Err(format!("unexpected answer: {other:?}").into()),
            }
        }
        let affordable = CREDITS / BATCH * BATCH;
        assert_eq!(created, affordable, "licenses created");
        assert_eq!(count(&client, "licenses").await?, affordable);
        let left = store.account_by_name("buyer".into()).await?.credits;
        assert_eq!(left, CREDITS - affordable, "credits left");
        Ok(())
    })
}

/// Raw SQL on the database under a store, for what the operations under test need and
/// other modules provide (apps, bound HWIDs): each statement is portable.
enum Raw {
    Sqlite(rusqlite::Connection),
    Postgres(Client),
}

impl Raw {
    async fn run(&self, sql: &str) -> Result<(), Failed> {
        match self {
            Raw::Sqlite(conn) => conn.execute_batch(sql)?,
            Raw::Postgres(client) => client.batch_execute(sql).await?,
        }
        Ok(())
    }

    /// `SELECT count(*) FROM <rows>`.
    async fn count(&self, rows: &str) -> Result<i64, Failed> {
        let sql = format!("SELECT count(*) FROM {rows}");
        Ok(match self {
            Raw::Sqlite(conn) => conn.query_row(&sql, [], |row| row.get(0))?,
            Raw::Postgres(client) => client.query_one(&sql, &[]).await?.get(0),
        })
    }
}

/// An answer with its value as the API would show it (`Debug` of a license hides its
/// key and HWIDs).
fn shown<T: serde::Serialize>(answer: &Result<T, StoreError>) -> String {
    match answer {
        Ok(value) => serde_json::to_string(value).unwrap_or_else(|err| err.to_string()),
        Err(err) => format!("{err:?}"),
    }
}

/// A self-ban of `key` on `hwid` from 192.0.2.7.
fn selfban(proof: SelfBanProof, hwid: &str, flags: SelfBanFlags) -> SelfBanInput {
    SelfBanInput {
        app_id: "app_one".into(),
        proof,
        hwid: hwid.into(),
        ip: std::net::IpAddr::from([192, 0, 2, 7]),
        flags,
    }
}

/// Licenses and self-bans through every operation, with what each backend must answer
/// checked on the way; the transcript of all answers.
async fn license_operations(store: &Store, raw: &Raw) -> Result<Vec<String>, Failed> {
    let mut log = Transcript::default();
    let alice = store.create_account("alice".into(), 1).await?.id;
    let bob = store.create_account("bob".into(), 2).await?.id;
    store.add_credits("alice".into(), 10).await?;
    raw.run(&format!(
        "INSERT INTO apps (public_id, account_id, name, secret, hwid_slots, created_at)
         VALUES ('app_one', {alice}, 'one', 'secret-one', 2, 3),
                ('app_bob', {bob}, 'bob', 'secret-bob', 1, 4);"
    ))
    .await?;
    let spec = NewLicenses {
        expires_at: Some(1000),
        variables: serde_json::json!({"seats": 2})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        note: Some("note".into()),
        label: Some("label".into()),
    };
    let keys = |names: &[&str]| names.iter().map(|&k| k.to_owned()).collect::<Vec<_>>();
    let create = |app: &str, names: &[&str]| {
        store.create_licenses(alice, app.into(), spec.clone(), keys(names), 10)
    };
    let made = create("app_one", &["K-1", "K-2", "K-3"]).await;
    assert_eq!(made.as_ref().map(Vec::len).ok(), Some(3), "{made:?}");
    log.record("create 3", &shown(&made));
    let many: Vec<String> = (0..8).map(|i| format!("M-{i}")).collect();
    let too_many = log.note(
        "create 8 with 7 credits",
        store
            .create_licenses(alice, "app_one".into(), spec.clone(), many, 11)
            .await,
    );
    assert!(
        matches!(too_many, Err(StoreError::NoCredits)),
        "{too_many:?}"
    );
    let taken = log.note(
        "create a taken key",
        create("app_one", &["K-4", "K-1"]).await,
    );
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    let unknown = log.note("create in no app", create("app_none", &["K-5"]).await);
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    let theirs = log.note("create in bob's app", create("app_bob", &["K-6"]).await);
    assert!(matches!(theirs, Err(StoreError::Forbidden)), "{theirs:?}");
    let credits = store.account(alice).await?.credits;
    assert_eq!(credits, 7, "only the first batch was charged");
    log.record("credits", &credits);

    // Bound out of key order, to see the HWIDs listed by binding time.
    raw.run(
        "INSERT INTO license_hwids (license_id, hwid, bound_at)
             SELECT id, 'hw-b', 5 FROM licenses WHERE license_key = 'K-1';
         INSERT INTO license_hwids (license_id, hwid, bound_at)
             SELECT id, 'hw-a', 6 FROM licenses WHERE license_key = 'K-1';
         INSERT INTO license_hwids (license_id, hwid, bound_at)
             SELECT id, 'hw-c', 5 FROM licenses WHERE license_key = 'K-3';",
    )
    .await?;
    let first = log.note(
        "page 1",
        store.list_licenses(alice, "app_one".into(), 0, 2).await,
    );
    let cursor = first
        .as_ref()
        .ok()
        .and_then(|page| page.next_cursor.clone())
        .ok_or("no second page")?;
    log.record("page 1 shown", &shown(&first));
    let second = store
        .list_licenses(alice, "app_one".into(), cursor.parse()?, 2)
        .await;
    log.record("page 2", &shown(&second));
    let rest = second.as_ref().map(|page| page.licenses.len()).ok();
    assert_eq!(rest, Some(1), "{second:?}");
    log.record(
        "bob lists alice's app",
        &store.list_licenses(bob, "app_one".into(), 0, 2).await,
    );
    let got = store.license(alice, "K-1".into()).await;
    assert_eq!(
        got.as_ref().map(|l| l.hwids.clone()).ok(),
        Some(vec!["hw-b".to_owned(), "hw-a".to_owned()])
    );
    log.record("get K-1", &shown(&got));
    log.record("bob gets K-1", &store.license(bob, "K-1".into()).await);
    log.record("get K-9", &store.license(alice, "K-9".into()).await);

    for (step, extension, now) in [
        ("extend by 100 after expiry", Extension::By(100), 2000),
        ("extend until 50", Extension::Until(50), 2000),
        ("extend to lifetime", Extension::Lifetime, 2000),
        ("extend lifetime by 100", Extension::By(100), 2000),
    ] {
        let extended = store
            .extend_license(alice, "K-1".into(), extension, now)
            .await;
        log.record(step, &shown(&extended));
    }
    log.record(
        "revoke K-2",
        &shown(&store.revoke_license(alice, "K-2".into()).await),
    );
    log.record(
        "bob revokes K-2",
        &store.revoke_license(bob, "K-2".into()).await,
    );
    let reset = store.reset_hwids(alice, "K-1".into()).await;
    assert_eq!(reset.as_ref().map(|l| l.hwids.len()).ok(), Some(0));
    log.record("reset K-1", &shown(&reset));

    let key_form = |secret: &str, key: &str, nonce: &str| SelfBanProof::Key {
        app_secret: secret.into(),
        license_key: key.into(),
        nonce: nonce.into(),
    };
    let deny_both = SelfBanFlags {
        revoke_license: false,
        blacklist_hwid: true,
        blacklist_ip: true,
    };
    let revoke = SelfBanFlags {
        revoke_license: true,
        blacklist_hwid: false,
        blacklist_ip: false,
    };
    for (step, input) in [
        (
            "selfban deny",
            selfban(key_form("secret-one", "K-3", "n-1"), "hw-c", deny_both),
        ),
        (
            "selfban replayed",
            selfban(key_form("secret-one", "K-3", "n-1"), "hw-c", deny_both),
        ),
        (
            "selfban bad secret",
            selfban(key_form("wrong", "K-3", "n-2"), "hw-c", deny_both),
        ),
        (
            "selfban revoke without session",
            selfban(key_form("secret-one", "K-3", "n-3"), "hw-c", revoke),
        ),
        (
            "selfban unknown key",
            selfban(key_form("secret-one", "K-9", "n-4"), "hw-c", deny_both),
        ),
        (
            "selfban session of an unbound device",
            selfban(
                SelfBanProof::Session {
                    license_key: "K-3".into(),
                },
                "hw-z",
                revoke,
            ),
        ),
        (
            "selfban session revoke",
            selfban(
                SelfBanProof::Session {
                    license_key: "K-3".into(),
                },
                "hw-c",
                revoke,
            ),
        ),
        (
            "selfban deny again",
            selfban(key_form("secret-one", "K-3", "n-5"), "hw-c", deny_both),
        ),
    ] {
        log.record(step, &store.selfban(input, 20).await);
    }
    let banned = store.license(alice, "K-3".into()).await;
    assert_eq!(banned.as_ref().map(|l| l.revoked).ok(), Some(true));
    log.record("K-3 after selfban", &shown(&banned));
    let denied = raw.count("access_rules WHERE list = 'deny'").await?;
    assert_eq!(denied, 2, "one HWID and one IP entry, each once");
    log.record("deny entries", &denied);
    Ok(log.0)
}

/// The same license and self-ban operations answer the same on SQLite and PostgreSQL
/// (one copy of the SQL, `store::licenses` and `store::selfban`, runs on both).
fn licenses_answer_as_on_sqlite(cluster: TestPostgres) -> Result<(), Failed> {
    block_on(async {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("k.db");
        let sqlite = Store::open_sqlite(&path)?;
        let sqlite_raw = rusqlite::Connection::open(&path)?;
        sqlite_raw.busy_timeout(std::time::Duration::from_secs(10))?;
        let db = cluster.database().await?;
        let postgres = Store::open_postgres(db.url(), 4).await?;
        let postgres_raw = connect(db.url()).await?;
        let on_sqlite = license_operations(&sqlite, &Raw::Sqlite(sqlite_raw)).await?;
        let on_postgres = license_operations(&postgres, &Raw::Postgres(postgres_raw)).await?;
        same_transcripts(&on_sqlite, &on_postgres);
        Ok(())
    })
}

/// Two backends' transcripts of one sequence of operations: equal line by line (the
/// first difference is the failure), and equally long.
fn same_transcripts<T: PartialEq + Debug>(on_sqlite: &[T], on_postgres: &[T]) {
    for (sqlite, postgres) in on_sqlite.iter().zip(on_postgres) {
        assert_eq!(sqlite, postgres, "SQLite and PostgreSQL answer differently");
    }
    assert_eq!(on_sqlite.len(), on_postgres.len());
}

/// The instances of a cluster in one test: `INSTANCES` stores on one database, each with
/// its own pool (as separate server processes would have).
const INSTANCES: usize = 3;

/// The public id, secret and license key [`auth_fixture`] makes.
const APP_ID: &str = "app_race";
const APP_SECRET: &str = "secret_race";
const LICENSE_KEY: &str = "RACE-RACE-RACE-RACE";

/// An account with `credits`, an app with `slots` HWID slots and one license, written
/// directly (the test is about auth, not about how apps are made); the app's id.
async fn auth_fixture(client: &Client, credits: i64, slots: i64) -> Result<i64, Failed> {
    let account: i64 = client
        .query_one(
            "INSERT INTO accounts (name, credits, created_at) VALUES ('racer', $1, 0) \
             RETURNING id",
            &[&credits],
        )
        .await?
        .get(0);
    let app: i64 = client
        .query_one(
            "INSERT INTO apps (public_id, account_id, name, secret, hwid_slots, created_at) \
             VALUES ($1, $2, 'race', $3, $4, 0) RETURNING id",
            &[&APP_ID, &account, &APP_SECRET, &slots],
        )
        .await?
        .get(0);
    client
        .execute(
            "INSERT INTO licenses (license_key, app_id, created_at) VALUES ($1, $2, 0)",
            &[&LICENSE_KEY, &app],
        )
        .await?;
    Ok(app)
}

/// Credits the racing account starts with (more than any test charges).
const CREDITS: i64 = 1_000;

/// What a race test runs on: a fresh database with [`auth_fixture`]'s rows (an app of
/// `slots` HWID slots), `INSTANCES` stores on it each with a pool of `connections`, a
/// client to look at the rows, and the app's id.
struct Race {
    _db: TestDatabase,
    stores: Vec<Store>,
    client: Client,
    app: i64,
}

async fn race(cluster: &TestPostgres, connections: usize, slots: i64) -> Result<Race, Failed> {
    let db = cluster.database().await?;
    let client = connect(db.url()).await?;
    let mut stores = Vec::with_capacity(INSTANCES);
    for _ in 0..INSTANCES {
        stores.push(Store::open_postgres(db.url(), connections).await?);
    }
    let app = auth_fixture(&client, CREDITS, slots).await?;
    Ok(Race {
        _db: db,
        stores,
        client,
        app,
    })
}

/// The account's credits and what the app's days counted (every charge is counted in both).
async fn credits_left_and_charged(client: &Client) -> Result<(i64, i64), Failed> {
    let left: i64 = client
        .query_one("SELECT credits FROM accounts WHERE name = 'racer'", &[])
        .await?
        .get(0);
    let charged: i64 = client
        .query_one(
            "SELECT COALESCE(SUM(credits), 0)::BIGINT FROM app_daily_credits",
            &[],
        )
        .await?
        .get(0);
    Ok((left, charged))
}

/// Validates of distinct HWIDs on one license at once, spread over several instances:
/// exactly its slots get bound, every validate of a bound HWID succeeds, the others are
/// `hwid_mismatch`, and each success costs exactly one credit.
fn concurrent_validates_bind_no_more_than_the_slots(cluster: TestPostgres) -> Result<(), Failed> {
    const SLOTS: i64 = 3;
    const DEVICES: usize = 8;
    const ROUNDS: usize = 3;
    block_on(async {
        let Race { stores, client, .. } = &race(&cluster, 4, SLOTS).await?;
        let tasks: Vec<_> = (0..DEVICES * ROUNDS)
            .map(|n| {
                let store = stores[n % INSTANCES].clone();
                let hwid = format!("device-{}", n % DEVICES);
                let input = ValidateInput {
                    app_id: APP_ID.into(),
                    app_secret: APP_SECRET.into(),
                    license_key: LICENSE_KEY.into(),
                    hwid: hwid.clone(),
                    nonce: format!("nonce-{n}"),
                    ip: [127, 0, 0, 1].into(),
                };
                tokio::spawn(async move { (hwid, store.validate(input, 1_000).await) })
            })
            .collect();
        let mut answers = Vec::with_capacity(tasks.len());
        for task in tasks {
            let (hwid, answer) = task.await?;
            answers.push((hwid, answer?));
        }
        let bound: BTreeSet<String> = client
            .query(
                "SELECT hwid FROM license_hwids h JOIN licenses l ON l.id = h.license_id \
                 WHERE l.license_key = $1",
                &[&LICENSE_KEY],
            )
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert_eq!(bound.len() as i64, SLOTS, "bound: {bound:?}");
        let mut successes = 0;
        for (hwid, answer) in &answers {
            if bound.contains(hwid) {
                assert!(answer.is_ok(), "{hwid} is bound but got {answer:?}");
                successes += 1;
            } else {
                assert!(
                    matches!(answer, Err(ValidateError::HwidMismatch)),
                    "{hwid} is not bound but got {answer:?}"
                );
            }
        }
        assert_eq!(successes, SLOTS * ROUNDS as i64);
        let (left, charged) = credits_left_and_charged(client).await?;
        assert_eq!(left, CREDITS - successes, "credits left");
        assert_eq!(charged, successes, "credits counted in the app's day");
        Ok(())
    })
}

/// Heartbeats of one license at once, spread over several instances: every beat is
/// counted and every `HEARTBEATS_PER_CREDIT`-th beat across all instances is charged
/// exactly once (PostgreSQL keeps no per-instance count in memory).
fn concurrent_heartbeats_charge_every_tenth_beat_once(cluster: TestPostgres) -> Result<(), Failed> {
    const TASKS_PER_INSTANCE: usize = 2;
    const BEATS_PER_TASK: i64 = 20;
    block_on(async {
        let Race {
            stores,
            client,
            app,
            ..
        } = &race(&cluster, 2, 1).await?;
        client
            .execute(
                "INSERT INTO license_hwids (license_id, hwid, bound_at) \
                 SELECT id, 'device', 0 FROM licenses WHERE app_id = $1",
                &[app],
            )
            .await?;
        let input = HeartbeatInput {
            app_id: APP_ID.into(),
            license_key: LICENSE_KEY.into(),
            hwid: "device".into(),
        };
        let tasks: Vec<_> = stores
            .iter()
            .flat_map(|store| std::iter::repeat_n(store, TASKS_PER_INSTANCE))
            .map(|store| {
                let (store, input) = (store.clone(), input.clone());
                tokio::spawn(async move {
                    for _ in 0..BEATS_PER_TASK {
                        let answer = store.heartbeat(&input, 1_000).await?;
                        assert!(answer.is_ok(), "{answer:?}");
                    }
                    Ok::<_, StoreError>(())
                })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        // Nothing is kept in memory on PostgreSQL, so nothing is left to flush.
        for store in stores {
            store.flush_heartbeats(1_000).await?;
        }
        let beats = (INSTANCES * TASKS_PER_INSTANCE) as i64 * BEATS_PER_TASK;
        let counted: i64 = client
            .query_one(
                "SELECT heartbeats FROM licenses WHERE license_key = $1",
                &[&LICENSE_KEY],
            )
            .await?
            .get(0);
        assert_eq!(counted, beats, "heartbeats counted");
        let (left, charged) = credits_left_and_charged(client).await?;
        assert_eq!(
            left,
            CREDITS - beats / HEARTBEATS_PER_CREDIT,
            "credits left"
        );
        assert_eq!(charged, beats / HEARTBEATS_PER_CREDIT, "credits counted");
        Ok(())
    })
}
