//! One copy of the store's SQL for both backends: store functions are `async fn f<D: Sql>(db: &D, ...)`, written once
//! with `?N` placeholders and portable SQL (`TRUE`/`FALSE`, `ON CONFLICT ... DO NOTHING`,
//! `RETURNING`).
//!
//! - SQLite ([`Sqlite`]): every future is ready when it is returned (the statement runs
//!   before), so the worker's synchronous jobs drive them with [`run_ready`], which polls
//!   once.
//! - PostgreSQL (`PgTx`, the private `postgres` module): the statements of one serializable
//!   transaction, `?N` rewritten to `$N` once per statement text and prepared once per
//!   connection.
//!
//! Portable SQL rules the functions keep: a failed statement aborts a PostgreSQL
//! transaction (SQLite carries on), so an expected conflict is asked for with
//! `ON CONFLICT DO NOTHING RETURNING ...` (no row: taken) rather than caught as an error;
//! integers are `i64` (`BIGINT`), flags `bool` (`BOOLEAN`; SQLite stores 0/1).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use rusqlite::Connection;

use super::{StoreError, is_unique_violation};

/// What a unique violation is answered with on both backends (the caller knows what was
/// taken and says it in its own message).
pub(super) const UNIQUE_TAKEN: &str = "a unique value is taken";

/// A statement parameter both backends can bind: `i64`, `bool`, `&str`, `String`,
/// `&[u8]`, `Vec<u8>`, `Option` of those.
pub(super) trait Param: Sync {
    /// As rusqlite binds it.
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql;
    /// As tokio-postgres binds it.
    fn as_postgres(&self) -> &(dyn tokio_postgres::types::ToSql + Sync);
}

impl<T> Param for T
where
    T: rusqlite::ToSql + tokio_postgres::types::ToSql + Sync,
{
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
        self
    }

    fn as_postgres(&self) -> &(dyn tokio_postgres::types::ToSql + Sync) {
        self
    }
}

/// A column value both backends can read (`i64`, `bool`, `String`, `Vec<u8>`, `Option`
/// of those).
pub(super) trait Column: Sized {
    /// Reads column `index` of a SQLite row.
    fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Self>;
    /// Reads column `index` of a PostgreSQL row.
    fn from_postgres(
        row: &tokio_postgres::Row,
        index: usize,
    ) -> Result<Self, tokio_postgres::Error>;
}

impl<T> Column for T
where
    T: rusqlite::types::FromSql + for<'a> tokio_postgres::types::FromSql<'a>,
{
    fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Self> {
        row.get(index)
    }

    fn from_postgres(
        row: &tokio_postgres::Row,
        index: usize,
    ) -> Result<Self, tokio_postgres::Error> {
        row.try_get(index)
    }
}

/// A result row of either backend.
pub(super) enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a tokio_postgres::Row),
}

impl Row<'_> {
    /// Column `index` (from 0).
    pub(super) fn get<T: Column>(&self, index: usize) -> Result<T, StoreError> {
        match self {
            Row::Sqlite(row) => T::from_sqlite(row, index).map_err(StoreError::from),
            Row::Postgres(row) => T::from_postgres(row, index)
                .map_err(|err| StoreError::Backend(format!("column {index}: {err}"))),
        }
    }
}

/// A value made from one result row.
pub(super) trait FromRow: Sized + Send {
    /// Reads the row.
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError>;
}

/// One-column rows (`SELECT value ...`, `RETURNING id`).
macro_rules! first_column_rows {
    ($($ty:ty),*) => {$(
        impl FromRow for $ty {
            fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
                row.get(0)
            }
        }
    )*};
}
first_column_rows!(i64, bool, String, Vec<u8>);

/// The statements of one transaction, on either backend. SQL uses `?1`, `?2`, ...
///
/// The futures are `Send` so that PostgreSQL jobs can run on any runtime thread; the
/// store functions' own futures are `Send` whenever the backend type is `Sync`.
pub(super) trait Sql {
    /// Runs a statement; the number of rows it changed.
    fn execute(
        &self,
        sql: &str,
        params: &[&dyn Param],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The first row, if any.
    fn query_opt<T: FromRow>(
        &self,
        sql: &str,
        params: &[&dyn Param],
    ) -> impl Future<Output = Result<Option<T>, StoreError>> + Send;

    /// Every row.
    fn query_all<T: FromRow>(
        &self,
        sql: &str,
        params: &[&dyn Param],
    ) -> impl Future<Output = Result<Vec<T>, StoreError>> + Send;

    /// Notes credits charged by this transaction: counted in the metrics once it commits
    /// (never for one rolled back, once for a job run again).
    fn note_charge(&self, amount: i64);
}

/// The SQLite backend: a connection inside the worker's open transaction.
pub(super) struct Sqlite<'c>(pub(super) &'c Connection);

impl Sqlite<'_> {
    fn statement(&self, sql: &str) -> Result<rusqlite::CachedStatement<'_>, StoreError> {
        Ok(self.0.prepare_cached(sql)?)
    }

    /// Runs a query and hands its rows to `take` while it answers `true`.
    fn each_row(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut take: impl FnMut(&Row<'_>) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut statement = self.statement(sql)?;
        let mut rows = statement
            .query(sqlite_params(params))
            .map_err(sqlite_error)?;
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            if !take(&Row::Sqlite(row))? {
                break;
            }
        }
        Ok(())
    }
}

/// The parameters as rusqlite binds them, without collecting them (the auth endpoints
/// run several statements per request).
fn sqlite_params<'a>(
    params: &'a [&'a dyn Param],
) -> rusqlite::ParamsFromIter<impl Iterator<Item = &'a dyn rusqlite::ToSql>> {
    rusqlite::params_from_iter(params.iter().map(|p| p.as_sqlite()))
}

/// A SQLite error as the store answers it: unique violations as on PostgreSQL.
fn sqlite_error(err: rusqlite::Error) -> StoreError {
    if is_unique_violation(&err) {
        StoreError::Conflict(UNIQUE_TAKEN.to_owned())
    } else {
        err.into()
    }
}

impl Sql for Sqlite<'_> {
    fn execute(
        &self,
        sql: &str,
        params: &[&dyn Param],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send {
        let changed = self.statement(sql).and_then(|mut statement| {
            let changed = statement
                .execute(sqlite_params(params))
                .map_err(sqlite_error)?;
            Ok(u64::try_from(changed).unwrap_or(u64::MAX))
        });
        std::future::ready(changed)
    }

    fn query_opt<T: FromRow>(
        &self,
        sql: &str,
        params: &[&dyn Param],
    ) -> impl Future<Output = Result<Option<T>, StoreError>> + Send {
        let mut found = None;
        let read = self.each_row(sql, params, |row| {
            found = Some(T::from_row(row)?);
            Ok(false)
        });
        std::future::ready(read.map(|()| found))
    }

    fn query_all<T: FromRow>(
        &self,
        sql: &str,
        params: &[&dyn Param],
    ) -> impl Future<Output = Result<Vec<T>, StoreError>> + Send {
        let mut found = Vec::new();
        let read = self.each_row(sql, params, |row| {
            found.push(T::from_row(row)?);
            Ok(true)
        });
        std::future::ready(read.map(|()| found))
    }

    fn note_charge(&self, amount: i64) {
        super::worker::note_charge(amount);
    }
}

/// Runs a store function on SQLite inside a worker job: its future must be ready at the
/// first poll (every [`Sqlite`] future is); one that is not is a bug, answered as a
/// storage error rather than a hang.
pub(super) fn run_ready<T>(
    work: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let mut work = pin!(work);
    match work.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result,
        Poll::Pending => Err(StoreError::Backend(
            "a SQLite store function waited for something other than SQLite".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_future_that_is_not_ready_is_an_error() {
        let answer = run_ready(async {
            std::future::pending::<()>().await;
            Ok(1)
        });
        assert!(matches!(answer, Err(StoreError::Backend(_))), "{answer:?}");
    }

    #[test]
    fn sqlite_reads_and_writes_through_the_trait() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY, flag INTEGER, v BLOB)")
            .unwrap();
        let db = Sqlite(&conn);
        let insert = "INSERT INTO t (k, flag, v) VALUES (?1, ?2, ?3) ON CONFLICT (k) DO NOTHING \
                      RETURNING k";
        let blob: &[u8] = b"x";
        let first: Option<String> = run_ready(db.query_opt(insert, &[&"a", &true, &blob])).unwrap();
        assert_eq!(first.as_deref(), Some("a"));
        let again: Option<String> =
            run_ready(db.query_opt(insert, &[&"a", &false, &blob])).unwrap();
        assert_eq!(again, None, "a taken key returns no row");
        let plain =
            run_ready(db.execute("INSERT INTO t (k, flag) VALUES (?1, ?2)", &[&"a", &true]));
        assert!(matches!(plain, Err(StoreError::Conflict(_))), "{plain:?}");
        let flags: Vec<bool> =
            run_ready(db.query_all("SELECT flag FROM t WHERE flag = TRUE", &[])).unwrap();
        assert_eq!(flags, vec![true]);
    }
}
