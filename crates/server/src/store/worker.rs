//! The SQLite worker: one dedicated thread owns the connection and runs jobs sent from
//! async code. Jobs that queue up while a transaction runs are executed together in the
//! next one (group commit), and every job's reply is sent only after the COMMIT that made
//! its changes durable. The async runtime never blocks on SQLite.
//!
//! Atomicity per job without a savepoint per job: a job that fails (`Err`) may have
//! written part of its changes, so the whole batch is rolled back, the failed job is
//! answered with its error (as if it had run alone and changed nothing), and the other jobs
//! run again in a new transaction. Jobs are plain database work (`Fn`), so running one
//! again is the same as running it once. Failures are rare (unknown ids, a failing
//! database); answers such as `hwid_mismatch` are `Ok` values and write nothing.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::config::DbConfig;
use tokio::sync::{mpsc, oneshot};

use super::StoreError;
use super::schema::migrate;

/// Most jobs committed by one transaction.
const MAX_BATCH: usize = 256;
/// Queue length before senders wait.
const QUEUE: usize = 4096;
/// How long SQLite waits for a lock held by another process (the admin CLI).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// Safety net: the writer checkpoints itself once the WAL has this many pages (only
/// reached if the checkpointer falls behind).
const AUTOCHECKPOINT_PAGES: i64 = 50_000;

/// A unit of work run on the worker thread.
trait Job: Send {
    /// Runs the job in the open transaction; `false` if it failed (its result is then
    /// final and its changes must be rolled back).
    fn run(&mut self, conn: &Connection) -> bool;
    /// Sends the result, or `commit_error` if the transaction failed to commit.
    fn complete(self: Box<Self>, commit_error: Option<&str>);
}

struct Task<T, F> {
    work: F,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

impl<T, F> Job for Task<T, F>
where
    T: Send,
    F: Fn(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let result = match catch_unwind(AssertUnwindSafe(|| (self.work)(conn))) {
            Ok(result) => result,
            Err(_) => Err(StoreError::Backend("a storage job panicked".to_owned())),
        };
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn complete(self: Box<Self>, commit_error: Option<&str>) {
        let result = match (commit_error, self.result) {
            (Some(err), _) => Err(StoreError::Backend(format!("transaction failed: {err}"))),
            (None, Some(result)) => result,
            (None, None) => Err(StoreError::Backend("job did not run".to_owned())),
        };
        // The requester may have gone away (client disconnected): nothing to do then.
        let _ = self.reply.send(result);
    }
}

/// The async side of the worker.
#[derive(Debug, Clone)]
pub(super) struct Worker {
    tx: mpsc::Sender<Box<dyn Job>>,
}

/// Opens (creating if needed) and configures the database file and migrates it.
pub(super) fn open(path: &Path) -> Result<Connection, StoreError> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(format!(
            "could not switch to WAL mode (got {mode})"
        )));
    }
    // In WAL mode, NORMAL keeps every committed transaction across a process crash
    // (kill -9); only an OS crash or power loss may lose the last commits.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Checkpoints (the only fsyncs in WAL mode with synchronous=NORMAL) run on their own
    // thread, so the writer never stalls on them.
    conn.pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES)?;
    // Plans never depend on bound values, so cached statements are never re-prepared
    // (without it, SQLite re-plans the join of the auth queries on every new binding).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(64);
    migrate(&mut conn).map_err(|err| StoreError::Backend(err.to_string()))?;
    Ok(conn)
}

impl Worker {
    /// Starts the worker thread on an open connection. The thread ends when every
    /// [`Worker`] clone is dropped.
    pub(super) fn start(conn: Connection, path: &Path) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let checkpoint_conn = Connection::open(path)?;
        checkpoint_conn.busy_timeout(BUSY_TIMEOUT)?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("keyward-checkpoint".to_owned())
            .spawn(move || checkpoint(&checkpoint_conn, &stopped))
            .map_err(|err| StoreError::Backend(format!("cannot start checkpointer: {err}")))?;
        std::thread::Builder::new()
            .name("keyward-sqlite".to_owned())
            .spawn(move || {
                run(conn, rx);
                drop(stop);
            })
            .map_err(|err| StoreError::Backend(format!("cannot start worker: {err}")))?;
        Ok(Self { tx })
    }

    /// Runs `work` in a transaction on the worker thread and returns its result once
    /// committed.
    pub(super) async fn call<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, receive) = oneshot::channel();
        let task = Task {
            work,
            result: None,
            reply,
        };
        self.tx
            .send(Box::new(task))
            .await
            .map_err(|_| StoreError::Closed)?;
        receive.await.map_err(|_| StoreError::Closed)?
    }
}

fn run(conn: Connection, mut rx: mpsc::Receiver<Box<dyn Job>>) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&conn, &mut batch);
    }
}

/// Runs and commits `batch` (emptying it), taking out failed jobs as described in the
/// module documentation.
fn run_batch(conn: &Connection, batch: &mut Vec<Box<dyn Job>>) {
    while !batch.is_empty() {
        if let Err(err) = exec(conn, "BEGIN IMMEDIATE") {
            let message = err.to_string();
            for job in batch.drain(..) {
                job.complete(Some(&message));
            }
            return;
        }
        let failed = batch.iter_mut().position(|job| !job.run(conn));
        match failed {
            None => {
                let commit_error = match exec(conn, "COMMIT") {
                    Ok(()) => None,
                    Err(err) => {
                        let _ = conn.execute_batch("ROLLBACK");
                        Some(err.to_string())
                    }
                };
                for job in batch.drain(..) {
                    job.complete(commit_error.as_deref());
                }
            }
            Some(index) => {
                if let Err(err) = conn.execute_batch("ROLLBACK") {
                    let message = format!("rollback failed: {err}");
                    for job in batch.drain(..) {
                        job.complete(Some(&message));
                    }
                    return;
                }
                // Its error is its answer; the others run again without it.
                batch.remove(index).complete(None);
            }
        }
    }
}

/// Copies the WAL into the database file every [`CHECKPOINT_EVERY`] (PASSIVE: never
/// blocks the writer) until the worker stops.
fn checkpoint(conn: &Connection, stopped: &std::sync::mpsc::Receiver<()>) {
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
        stopped.recv_timeout(CHECKPOINT_EVERY)
    {
        if let Err(err) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %err, "WAL checkpoint failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jobs that fail after writing leave nothing behind, and the jobs batched with them
    /// still commit exactly once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_rolls_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let worker = Worker::start(open(&path).unwrap(), &path).unwrap();
        let mut calls = Vec::new();
        for i in 0..300_i64 {
            let worker = worker.clone();
            calls.push(tokio::spawn(async move {
                worker
                    .call(move |c| {
                        c.execute(
                            "INSERT INTO settings (key, value) VALUES (?1, x'00')",
                            [format!("k{i}")],
                        )?;
                        if i % 3 == 0 {
                            return Err(StoreError::Conflict("fails after writing".to_owned()));
                        }
                        Ok(i)
                    })
                    .await
            }));
        }
        for (i, call) in calls.into_iter().enumerate() {
            let result = call.await.unwrap();
            assert_eq!(result.is_ok(), i % 3 != 0, "job {i}");
        }
        let keys: Vec<String> = worker
            .call(|c| {
                let mut stmt = c.prepare("SELECT key FROM settings WHERE key LIKE 'k%'")?;
                let rows = stmt.query_map([], |row| row.get(0))?;
                Ok(rows.collect::<Result<Vec<String>, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(keys.len(), 200);
        assert!(keys.iter().all(|k| k[1..].parse::<i64>().unwrap() % 3 != 0));
    }
}
