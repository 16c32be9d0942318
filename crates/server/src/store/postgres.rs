//! The PostgreSQL backend (issue 14, in progress): a pool, each job in a
//! SERIALIZABLE transaction run again on a serialization failure or deadlock, and the
//! [`Sql`] implementation over that transaction. Only accounts and API keys so far
//! (docs/postgres-store.md), and the shared Developer API rate limit, whose single
//! statements run outside a transaction (autocommit, READ COMMITTED).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use deadpool_postgres::{Client, Manager, ManagerConfig, Pool, RecyclingMethod, Transaction};
use tokio_postgres::error::SqlState;
use tokio_postgres::{IsolationLevel, NoTls, Statement};

use super::sql::{FromRow, Param, Row, Sql, UNIQUE_TAKEN};
use super::{Account, ApiKeyInfo, StoreError, accounts, rate_limits};
use crate::ratelimit::{Decision, RateLimitConfig};
use crate::store::schema::migrate_postgres;

/// Most runs of one job that keep failing to serialize (each failed run lost to a
/// transaction that committed, so a job runs this often only under heavy contention).
const MAX_ATTEMPTS: u32 = 32;
/// Longest wait before running a job again: a job that lost waits a random time up to
/// twice as long as after its previous loss (full jitter), so that jobs fighting over one
/// row spread out instead of colliding again at once.
const MAX_BACKOFF: Duration = Duration::from_millis(64);

/// A job's future, borrowing the transaction and the job's arguments.
type JobFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// `?N` statement texts rewritten to PostgreSQL's `$N`, by text (each rewritten once per
/// process; the prepared statements are cached per connection by deadpool).
#[derive(Debug, Default)]
struct Rewritten(Mutex<HashMap<String, Arc<str>>>);

impl Rewritten {
    fn get(&self, sql: &str) -> Arc<str> {
        let mut texts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(text) = texts.get(sql) {
            return text.clone();
        }
        let text: Arc<str> = dollar_placeholders(sql).into();
        texts.insert(sql.to_owned(), text.clone());
        text
    }
}

/// The wait before run `attempt` (from 1) of a job that lost: uniform in
/// `[0, min(2^attempt ms, MAX_BACKOFF))`.
fn backoff(attempt: u32) -> Duration {
    let cap = Duration::from_millis(1u64 << attempt.min(16)).min(MAX_BACKOFF);
    let unit = getrandom::u32().map_or(0.5, |bits| f64::from(bits) / (f64::from(u32::MAX) + 1.0));
    cap.mul_f64(unit)
}

/// `?N` to `$N`, outside quoted strings and identifiers.
fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote = None;
    for c in sql.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(open), _) if c == open => quote = None,
            (None, '?') => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Where a job's statements run.
enum Session<'c> {
    /// In one transaction.
    Transaction(Transaction<'c>),
    /// Each on its own, committed as it completes (autocommit, at the session's isolation
    /// level: READ COMMITTED unless the server is configured otherwise).
    Autocommit(&'c Client),
}

/// How a job runs (see [`PgStore::run`] and [`PgStore::run_autocommit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Serializable,
    Autocommit,
}

/// One job's transaction (or autocommit statements), as the store functions see it.
pub(super) struct PgTx<'c> {
    session: Session<'c>,
    rewritten: &'c Rewritten,
    /// Set when a statement failed to serialize: the whole job runs again, whatever the
    /// job made of the error.
    retry: AtomicBool,
}

impl PgTx<'_> {
    fn error(&self, err: &tokio_postgres::Error) -> StoreError {
        match err.code() {
            Some(code)
                if *code == SqlState::T_R_SERIALIZATION_FAILURE
                    || *code == SqlState::T_R_DEADLOCK_DETECTED =>
            {
                self.retry.store(true, Ordering::Relaxed);
                StoreError::Backend(format!("transaction conflict: {}", detail(err)))
            }
            Some(code) if *code == SqlState::UNIQUE_VIOLATION => {
                StoreError::Conflict(UNIQUE_TAKEN.to_owned())
            }
            _ => StoreError::Backend(detail(err)),
        }
    }

    async fn statement(&self, sql: &str) -> Result<Statement, StoreError> {
        let text = self.rewritten.get(sql);
        match &self.session {
            Session::Transaction(tx) => tx.prepare_cached(&text).await,
            Session::Autocommit(client) => client.prepare_cached(&text).await,
        }
        .map_err(|err| self.error(&err))
    }

    async fn rows(
        &self,
        sql: &str,
        params: &[&dyn Param],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let statement = self.statement(sql).await?;
        let params: Vec<_> = params.iter().map(|p| p.as_postgres()).collect();
        match &self.session {
            Session::Transaction(tx) => tx.query(&statement, &params).await,
            Session::Autocommit(client) => client.query(&statement, &params).await,
        }
        .map_err(|err| self.error(&err))
    }
}

/// The server's message where there is one (`tokio_postgres::Error` says only "db error").
fn detail(err: &tokio_postgres::Error) -> String {
    err.as_db_error()
        .map_or_else(|| err.to_string(), ToString::to_string)
}

fn is_retryable(err: &tokio_postgres::Error) -> bool {
    err.code().is_some_and(|code| {
        *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
    })
}

impl Sql for PgTx<'_> {
    async fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<u64, StoreError> {
        let statement = self.statement(sql).await?;
        let params: Vec<_> = params.iter().map(|p| p.as_postgres()).collect();
        match &self.session {
            Session::Transaction(tx) => tx.execute(&statement, &params).await,
            Session::Autocommit(client) => client.execute(&statement, &params).await,
        }
        .map_err(|err| self.error(&err))
    }

    async fn query_opt<T: FromRow>(
        &self,
        sql: &str,
        params: &[&dyn Param],
    ) -> Result<Option<T>, StoreError> {
        let rows = self.rows(sql, params).await?;
        rows.first()
            .map(|row| T::from_row(&Row::Postgres(row)))
            .transpose()
    }

    async fn query_all<T: FromRow>(
        &self,
        sql: &str,
        params: &[&dyn Param],
    ) -> Result<Vec<T>, StoreError> {
        let rows = self.rows(sql, params).await?;
        rows.iter()
            .map(|row| T::from_row(&Row::Postgres(row)))
            .collect()
    }
}

/// The store on PostgreSQL (so far accounts and API keys only). Cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    rewritten: Arc<Rewritten>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects a pool of up to `connections` to `url` (`postgres://USER@HOST:PORT/DB`)
    /// and migrates the database.
    pub async fn connect(url: &str, connections: usize) -> Result<Self, StoreError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|err| StoreError::Backend(format!("bad PostgreSQL URL: {err}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(connections)
            .build()
            .map_err(|err| StoreError::Backend(format!("PostgreSQL pool: {err}")))?;
        let mut client = pool.get().await.map_err(pool_error)?;
        migrate_postgres(&mut client)
            .await
            .map_err(|err| StoreError::Backend(err.to_string()))?;
        Ok(Self {
            pool,
            rewritten: Arc::default(),
        })
    }

    /// Runs `job` with `args` in a SERIALIZABLE transaction, again (up to [`MAX_ATTEMPTS`]
    /// runs) while it loses to a concurrent transaction. A job is plain database work,
    /// so a run that was rolled back left nothing behind.
    async fn run<A, T, F>(&self, args: A, job: F) -> Result<T, StoreError>
    where
        A: Sync,
        F: for<'a> Fn(&'a PgTx<'_>, &'a A) -> JobFuture<'a, T>,
    {
        self.run_as(Mode::Serializable, args, job).await
    }

    /// Runs `job` with `args` outside a transaction: each of its statements commits on
    /// its own, at the session's isolation level (READ COMMITTED; one round trip each, no
    /// `BEGIN`/`COMMIT`). For jobs whose statements are each atomic alone and that may run
    /// again after some of them committed, such as a single upsert, which waits for its
    /// row's lock instead of failing to serialize. Should a statement fail to serialize
    /// anyway (a server whose default isolation is SERIALIZABLE), the job runs again, as
    /// [`PgStore::run`]'s do.
    async fn run_autocommit<A, T, F>(&self, args: A, job: F) -> Result<T, StoreError>
    where
        A: Sync,
        F: for<'a> Fn(&'a PgTx<'_>, &'a A) -> JobFuture<'a, T>,
    {
        self.run_as(Mode::Autocommit, args, job).await
    }

    async fn run_as<A, T, F>(&self, mode: Mode, args: A, job: F) -> Result<T, StoreError>
    where
        A: Sync,
        F: for<'a> Fn(&'a PgTx<'_>, &'a A) -> JobFuture<'a, T>,
    {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let mut last = None;
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            let session = match mode {
                Mode::Serializable => Session::Transaction(
                    client
                        .build_transaction()
                        .isolation_level(IsolationLevel::Serializable)
                        .start()
                        .await
                        .map_err(|err| StoreError::Backend(detail(&err)))?,
                ),
                Mode::Autocommit => Session::Autocommit(&client),
            };
            let db = PgTx {
                session,
                rewritten: &self.rewritten,
                retry: AtomicBool::new(false),
            };
            let result = job(&db, &args).await;
            let PgTx { session, retry, .. } = db;
            let retry = retry.into_inner();
            let tx = match session {
                Session::Transaction(tx) => tx,
                // Each statement committed or failed alone: nothing to end.
                Session::Autocommit(_) if !retry => return result,
                Session::Autocommit(_) => {
                    last = Some(result);
                    continue;
                }
            };
            if retry {
                last = Some(result);
                let _ = tx.rollback().await;
                continue;
            }
            let value = match result {
                Ok(value) => value,
                Err(err) => {
                    let _ = tx.rollback().await;
                    return Err(err);
                }
            };
            match tx.commit().await {
                Ok(()) => return Ok(value),
                Err(err) if is_retryable(&err) => {
                    last = Some(Err(StoreError::Backend(detail(&err))));
                }
                Err(err) => return Err(StoreError::Backend(detail(&err))),
            }
        }
        match last {
            Some(Err(err)) => Err(err),
            _ => Err(StoreError::Backend(format!(
                "transaction conflicts {MAX_ATTEMPTS} times in a row"
            ))),
        }
    }

    /// The server secret stored in the database, created from `candidate` on first use.
    pub async fn server_secret(&self, candidate: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        self.run(candidate, |db, candidate| {
            Box::pin(accounts::server_secret(db, candidate))
        })
        .await
    }

    /// Creates an account.
    pub async fn create_account(&self, name: String, now: i64) -> Result<Account, StoreError> {
        self.run((name, now), |db, (name, now)| {
            Box::pin(accounts::create(db, name, *now))
        })
        .await
    }

    /// An account by name.
    pub async fn account_by_name(&self, name: String) -> Result<Account, StoreError> {
        self.run(name, |db, name| Box::pin(accounts::by_name(db, name)))
            .await
    }

    /// An account by id.
    pub async fn account(&self, id: i64) -> Result<Account, StoreError> {
        self.run(id, |db, id| Box::pin(accounts::by_id(db, *id)))
            .await
    }

    /// Every account.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.run((), |db, ()| Box::pin(accounts::list(db))).await
    }

    /// Adds `amount` credits (may be negative, never below zero).
    pub async fn add_credits(&self, name: String, amount: i64) -> Result<Account, StoreError> {
        self.run((name, amount), |db, (name, amount)| {
            Box::pin(accounts::add_credits(db, name, *amount))
        })
        .await
    }

    /// Suspends or reinstates an account.
    pub async fn set_suspended(
        &self,
        name: String,
        suspended: bool,
    ) -> Result<Account, StoreError> {
        self.run((name, suspended), |db, (name, suspended)| {
            Box::pin(accounts::set_suspended(db, name, *suspended))
        })
        .await
    }

    /// Stores the hash of a new API key for an account; returns the key id.
    pub async fn insert_api_key(
        &self,
        account: String,
        key_hash: Vec<u8>,
        now: i64,
    ) -> Result<i64, StoreError> {
        self.run((account, key_hash, now), |db, (account, key_hash, now)| {
            Box::pin(accounts::insert_api_key(db, account, key_hash, *now))
        })
        .await
    }

    /// The API keys of an account (never the keys themselves), oldest first.
    pub async fn list_api_keys(&self, account: String) -> Result<Vec<ApiKeyInfo>, StoreError> {
        self.run(account, |db, account| {
            Box::pin(accounts::list_api_keys(db, account))
        })
        .await
    }

    /// Revokes an API key by id.
    pub async fn revoke_api_key(&self, id: i64) -> Result<(), StoreError> {
        self.run(id, |db, id| Box::pin(accounts::revoke_api_key(db, *id)))
            .await
    }

    /// Revokes an API key by hash.
    pub async fn revoke_api_key_by_hash(&self, key_hash: Vec<u8>) -> Result<(), StoreError> {
        self.run(key_hash, |db, key_hash| {
            Box::pin(accounts::revoke_api_key_by_hash(db, key_hash))
        })
        .await
    }

    /// The account id of a live (not revoked) API key.
    pub async fn authenticate(&self, key_hash: Vec<u8>) -> Result<i64, StoreError> {
        self.run(key_hash, |db, key_hash| {
            Box::pin(accounts::authenticate(db, key_hash))
        })
        .await
    }
}

impl PgStore {
    /// One Developer API request of the API key whose hash is `key_hash`, at `now_micros`
    /// on the server clock, against `limit` shared by every instance on this database.
    pub async fn api_rate_limit(
        &self,
        key_hash: Vec<u8>,
        limit: RateLimitConfig,
        now_micros: i64,
    ) -> Result<Decision, StoreError> {
        let gcra = limit.gcra();
        self.run_autocommit((key_hash, now_micros), move |db, (key_hash, now)| {
            Box::pin(rate_limits::take(db, key_hash, gcra, *now))
        })
        .await
    }

    /// Forgets the rate-limit state of API keys idle long enough to be as good as new at
    /// `now_micros`; how many.
    pub async fn forget_spent_rate_limits(&self, now_micros: i64) -> Result<u64, StoreError> {
        self.run_autocommit(now_micros, |db, now| {
            Box::pin(rate_limits::forget_spent(db, *now))
        })
        .await
    }
}

fn pool_error(err: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Backend(format!("PostgreSQL pool: {err}"))
}

#[cfg(test)]
mod tests {
    use super::dollar_placeholders;

    #[test]
    fn placeholders_become_dollars_outside_quotes() {
        assert_eq!(
            dollar_placeholders("SELECT '?1', \"a?\" FROM t WHERE a = ?1 AND b = ?12"),
            "SELECT '?1', \"a?\" FROM t WHERE a = $1 AND b = $12"
        );
    }
}
