//! The PostgreSQL backend: a pool, each job in a SERIALIZABLE transaction run again on a
//! serialization failure or deadlock, and the [`Sql`] implementation over that
//! transaction (docs/postgres-store.md). Jobs of single statements that are atomic alone
//! (the shared Developer API rate limit) run outside a transaction instead (autocommit,
//! READ COMMITTED).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use deadpool_postgres::{
    Client, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Transaction,
};
use tokio_postgres::error::SqlState;
use tokio_postgres::{IsolationLevel, NoTls, Statement};

use super::StoreError;
use super::sql::{FromRow, Param, Row, Sql, UNIQUE_TAKEN};
use crate::store::schema::migrate_postgres;

/// Most runs of one job that keep failing to serialize (each failed run lost to a
/// transaction that committed, so a job runs this often only under heavy contention).
const MAX_ATTEMPTS: u32 = 32;
/// Longest wait before running a job again: a job that lost waits a random time up to
/// twice as long as after its previous loss (full jitter), so that jobs fighting over one
/// row spread out instead of colliding again at once.
const MAX_BACKOFF: Duration = Duration::from_millis(64);

/// Longest wait for a connection, a pooled connection, a lock or a statement, as
/// SQLite's busy timeout bounds its waits: past it, the request is an internal error.
const WAIT_LIMIT: Duration = Duration::from_secs(5);

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
    /// Credits charged by this run (`Sql::note_charge`), counted once it commits.
    charged: AtomicU64,
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

    fn note_charge(&self, amount: i64) {
        let amount = u64::try_from(amount).unwrap_or(0);
        self.charged.fetch_add(amount, Ordering::Relaxed);
    }
}

/// A pool on one PostgreSQL database and the way jobs run on it. Cheap to clone.
#[derive(Clone)]
pub(super) struct PgStore {
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
    pub(super) async fn connect(url: &str, connections: usize) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|err| StoreError::Backend(format!("bad PostgreSQL URL: {err}")))?;
        // No request waits on the database without bound: a connection attempt, a wait
        // for a pooled connection and a statement each give up after WAIT_LIMIT, unless
        // the URL sets its own `connect_timeout`.
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(WAIT_LIMIT);
        }
        let limit = WAIT_LIMIT.as_millis();
        let options = format!(
            "-c statement_timeout={limit} -c lock_timeout={limit} {}",
            config.get_options().unwrap_or_default()
        );
        config.options(options.trim_end());
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(connections)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT_LIMIT))
            .create_timeout(Some(WAIT_LIMIT))
            .recycle_timeout(Some(WAIT_LIMIT))
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
    pub(super) async fn run<A, T, F>(&self, args: A, job: F) -> Result<T, StoreError>
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
    pub(super) async fn run_autocommit<A, T, F>(&self, args: A, job: F) -> Result<T, StoreError>
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
                charged: AtomicU64::new(0),
            };
            let result = job(&db, &args).await;
            let PgTx {
                session,
                retry,
                charged,
                ..
            } = db;
            let retry = retry.into_inner();
            let tx = match session {
                Session::Transaction(tx) => tx,
                // Each statement committed or failed alone: nothing to end.
                Session::Autocommit(_) if !retry => {
                    crate::metrics::credits_charged(charged.into_inner());
                    return result;
                }
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
                Ok(()) => {
                    crate::metrics::credits_charged(charged.into_inner());
                    return Ok(value);
                }
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
