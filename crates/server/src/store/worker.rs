//! The SQLite worker: one connection, shared by flat combining. A caller queues its job;
//! if no one is running jobs, it starts a turn: a task that first lets the other ready
//! tasks run (so that they queue their jobs too), then runs every queued job in one
//! transaction (group commit), and hands what arrived meanwhile to the next turn. Every
//! job's reply is sent only after the COMMIT that made its changes durable. Under load a
//! commit carries about 19 jobs this way, against about 6 when a turn runs at once
//! (BENCHMARKS.md).
//!
//! Jobs run on the async worker thread of whoever combines, not on a thread of their own:
//! a job is microseconds of work on cached pages, and handing every request to a
//! dedicated thread and back cost more (two wake-ups and the context switches they force)
//! than the work itself. The one wait that can be long, for a write lock held by another
//! process (the admin CLI), never happens there: inline, SQLite's busy timeout is zero,
//! and a batch that finds the lock taken moves to the blocking pool, which waits until
//! the oldest job of the batch has waited [`BUSY_TIMEOUT`] since it was queued (so a job
//! queued behind a waiting batch is not given a second full timeout), answers the jobs
//! whose time is up with a storage error, and waits again for the others.
//!
//! Every transaction starts by comparing SQLite's `data_version` (which changes when another
//! connection, such as the admin CLI, committed) and ends, for jobs that may change a
//! heartbeat's answer, by bumping the session cache's generation before any reply is sent
//! (`sessions` module).
//!
//! Atomicity per job without a savepoint per job: a job that fails (`Err`) may have
//! written part of its changes, so the whole batch is rolled back, the failed job is
//! answered with its error (as if it had run alone and changed nothing), and the other jobs
//! run again in a new transaction. Jobs are plain database work (`Fn`), so running one
//! again is the same as running it once. Failures are rare (unknown ids, a failing
//! database); answers such as `hwid_mismatch` are `Ok` values and write nothing.

use std::cell::Cell;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode};
use tokio::sync::oneshot;

use super::StoreError;
use super::schema::migrate;
use super::sessions::Epoch;

/// Whether a job's writes can change what a heartbeat is answered (see the `sessions`
/// module). When unsure, [`Sessions::MayChange`]: it costs only cache misses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sessions {
    /// Reads, or writes nothing a heartbeat checks (counts and credits are checked in the
    /// database at every billing milestone).
    Unchanged,
    /// May change an app, account, license or binding that heartbeats check.
    MayChange,
}

/// Most jobs committed by one transaction (also bounds how long one combiner runs).
const MAX_BATCH: usize = 128;
/// How long SQLite waits for a lock held by another process (the admin CLI), on the
/// blocking pool only.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// Safety net: the writer checkpoints itself once the WAL has this many pages (only
/// reached if the checkpointer falls behind).
const AUTOCHECKPOINT_PAGES: i64 = 50_000;

thread_local! {
    /// Credits charged by the jobs of the transaction running on this thread (a
    /// transaction runs on one thread from `BEGIN` to `COMMIT`).
    static CHARGED: Cell<u64> = const { Cell::new(0) };
}

/// Notes credits charged by the running job: counted in the metrics once its
/// transaction commits, never for a transaction rolled back.
pub(super) fn note_charge(amount: i64) {
    let amount = u64::try_from(amount).unwrap_or(0);
    CHARGED.set(CHARGED.get().saturating_add(amount));
}

/// A unit of work run by the combiner.
trait Job: Send {
    /// Runs the job in the open transaction; `false` if it failed (its result is then
    /// final and its changes must be rolled back).
    fn run(&mut self, conn: &Connection) -> bool;
    /// Sends the result, or `commit_error` if the transaction failed to commit.
    fn complete(self: Box<Self>, commit_error: Option<&str>);
    /// Whether its writes may change a heartbeat's answer.
    fn sessions(&self) -> Sessions;
    /// When it was queued (it waits for a lock held elsewhere up to [`BUSY_TIMEOUT`]
    /// from then).
    fn queued_at(&self) -> Instant;
}

struct Task<T, F, A>
where
    A: FnOnce(&Result<T, StoreError>),
{
    sessions: Sessions,
    queued_at: Instant,
    work: F,
    result: Option<Result<T, StoreError>>,
    /// Runs on the final result before the reply is sent, so in commit order.
    after: Option<A>,
    reply: Option<oneshot::Sender<Result<T, StoreError>>>,
}

fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

impl<T, F, A> Job for Task<T, F, A>
where
    T: Send,
    F: Fn(&Connection) -> Result<T, StoreError> + Send,
    A: FnOnce(&Result<T, StoreError>) + Send,
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

    fn complete(mut self: Box<Self>, commit_error: Option<&str>) {
        let result = match (commit_error, self.result.take()) {
            (Some(err), _) => Err(StoreError::Backend(format!("transaction failed: {err}"))),
            (None, Some(result)) => result,
            (None, None) => Err(StoreError::Backend("job did not run".to_owned())),
        };
        if let Some(after) = self.after.take() {
            after(&result);
        }
        // The requester may have gone away (client disconnected): nothing to do then.
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(result);
        }
    }

    fn sessions(&self) -> Sessions {
        self.sessions
    }

    fn queued_at(&self) -> Instant {
        self.queued_at
    }
}

impl<T, F, A> Drop for Task<T, F, A>
where
    A: FnOnce(&Result<T, StoreError>),
{
    /// A job dropped unanswered (its turn was abandoned) still runs `after`.
    fn drop(&mut self) {
        if let Some(after) = self.after.take() {
            after(&Err(StoreError::Closed));
        }
    }
}

type Batch = Vec<Box<dyn Job>>;

/// Jobs waiting for the combiner, and whether one is running.
#[derive(Default)]
struct Queue {
    jobs: VecDeque<Box<dyn Job>>,
    combining: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Locked only by the combiner (at most one at a time), so never contended.
    conn: Mutex<Connection>,
    /// The session cache's generation and freshness.
    epoch: Arc<Epoch>,
    /// `PRAGMA data_version` at the last transaction (changed by other connections'
    /// commits only). Used under the `conn` lock only.
    data_version: std::sync::atomic::AtomicI64,
    /// Dropped with the last [`Worker`]: tells the checkpointer to stop.
    _stop_checkpointer: std::sync::mpsc::Sender<()>,
}

/// The async side of the worker. Cheap to clone.
#[derive(Clone)]
pub(super) struct Worker {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").finish_non_exhaustive()
    }
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
    // From here on, waiting for a lock is the blocking pool's job (module docs).
    conn.busy_timeout(Duration::ZERO)?;
    Ok(conn)
}

impl Worker {
    /// Starts the worker on an open connection, and the checkpointer thread, which ends
    /// when every [`Worker`] clone is dropped.
    pub(super) fn start(
        conn: Connection,
        path: &Path,
        epoch: Arc<Epoch>,
    ) -> Result<Self, StoreError> {
        let checkpoint_conn = Connection::open(path)?;
        checkpoint_conn.busy_timeout(BUSY_TIMEOUT)?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("keyward-checkpoint".to_owned())
            .spawn(move || checkpoint(&checkpoint_conn, &stopped))
            .map_err(|err| StoreError::Backend(format!("cannot start checkpointer: {err}")))?;
        Ok(Self {
            shared: Arc::new(Shared {
                queue: Mutex::new(Queue::default()),
                conn: Mutex::new(conn),
                epoch,
                data_version: std::sync::atomic::AtomicI64::new(i64::MIN),
                _stop_checkpointer: stop,
            }),
        })
    }

    /// Runs `work` in a transaction and returns its result once committed. Must be
    /// called within a tokio runtime.
    pub(super) async fn call<T, F>(&self, sessions: Sessions, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.call_then(sessions, work, |_| {}).await
    }

    /// Like [`Worker::call`], and runs `after` on the result before it is returned: on
    /// the combiner, in the order the transactions committed (also when the result is
    /// an error, or the job was abandoned at shutdown).
    pub(super) async fn call_then<T, F, A>(
        &self,
        sessions: Sessions,
        work: F,
        after: A,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
        A: FnOnce(&Result<T, StoreError>) + Send + 'static,
    {
        let (reply, receive) = oneshot::channel();
        let task = Task {
            sessions,
            queued_at: Instant::now(),
            work,
            result: None,
            after: Some(after),
            reply: Some(reply),
        };
        let combine = {
            let mut queue = self.shared.queue();
            queue.jobs.push_back(Box::new(task));
            !std::mem::replace(&mut queue.combining, true)
        };
        if combine {
            Turn::new(self.shared.clone()).start();
        }
        receive.await.map_err(|_| StoreError::Closed)?
    }
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        // A panic never happens while the lock is held (jobs run outside it), and the
        // queue is valid at every step anyway.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next batch: up to [`MAX_BATCH`] queued jobs, oldest first.
    fn take_batch(&self) -> Batch {
        let mut queue = self.queue();
        let n = queue.jobs.len().min(MAX_BATCH);
        queue.jobs.drain(..n).collect()
    }
}

/// A combiner's turn: the right to run jobs (`Queue::combining`), held by one caller or
/// task at a time. Dropped before it finished (its task was cancelled because the
/// runtime shut down), it gives up the right and answers the queued jobs with
/// [`StoreError::Closed`], so that no caller waits forever.
struct Turn {
    shared: Arc<Shared>,
    finished: bool,
}

impl Turn {
    fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            finished: false,
        }
    }

    /// Starts the turn as a task of its own, which first lets every other ready task of
    /// its thread run (and queue its job), so that one transaction commits them all.
    /// Called from within the runtime only: from `call` or from the blocking pool.
    fn start(self) {
        drop(tokio::spawn(async move {
            tokio::task::yield_now().await;
            self.run();
        }));
    }

    /// Runs one batch inline, then hands over.
    fn run(self) {
        let mut batch = self.shared.take_batch();
        let outcome = run_batch(&self.shared, &self.shared.conn(), &mut batch, Wait::No);
        match outcome {
            Ran => self.hand_over(),
            // Wait for the other process on the blocking pool, not here.
            LockedElsewhere => drop(tokio::task::spawn_blocking(move || {
                self.wait_and_run(batch)
            })),
        }
    }

    /// Runs `batch`, waiting for the lock (on the blocking pool) no longer than each
    /// job's [`BUSY_TIMEOUT`], then hands over.
    fn wait_and_run(self, mut batch: Batch) {
        {
            let conn = self.shared.conn();
            while !batch.is_empty() {
                if let LockedElsewhere = run_batch(&self.shared, &conn, &mut batch, Wait::Busy) {
                    fail_timed_out(&mut batch);
                }
            }
            let _ = conn.busy_timeout(Duration::ZERO);
        }
        self.hand_over();
    }

    /// Ends the turn if the queue is empty, else starts the next one.
    fn hand_over(mut self) {
        {
            let mut queue = self.shared.queue();
            if queue.jobs.is_empty() {
                queue.combining = false;
                self.finished = true;
                return;
            }
        }
        self.start();
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if !self.finished {
            let abandoned = {
                let mut queue = self.shared.queue();
                queue.combining = false;
                std::mem::take(&mut queue.jobs)
            };
            drop(abandoned);
        }
    }
}

fn fail_all(batch: &mut Batch, message: &str) {
    for job in batch.drain(..) {
        job.complete(Some(message));
    }
}

/// What is left of the busy timeout of the batch's oldest job.
fn time_left(batch: &Batch) -> Duration {
    batch
        .iter()
        .map(|job| BUSY_TIMEOUT.saturating_sub(job.queued_at().elapsed()))
        .min()
        .unwrap_or(Duration::ZERO)
}

/// Answers the jobs that have waited [`BUSY_TIMEOUT`] with "database is locked".
fn fail_timed_out(batch: &mut Batch) {
    let (timed_out, waiting): (Batch, Batch) = std::mem::take(batch)
        .into_iter()
        .partition(|job| job.queued_at().elapsed() >= BUSY_TIMEOUT);
    *batch = waiting;
    for job in timed_out {
        job.complete(Some("database is locked"));
    }
}

/// Whether `BEGIN` waits for a write lock held by another connection.
#[derive(Clone, Copy)]
enum Wait {
    /// Not at all (inline, on an async thread).
    No,
    /// Up to what is left of the busy timeout of the batch's oldest job.
    Busy,
}

/// How [`run_batch`] ended.
enum BatchRun {
    /// Every job of the batch was answered.
    Ran,
    /// `BEGIN` found the write lock held by another connection; the batch is untouched.
    LockedElsewhere,
}
use BatchRun::{LockedElsewhere, Ran};

/// Runs and commits `batch` (emptying it), taking out failed jobs as described in the
/// module documentation.
fn run_batch(shared: &Shared, conn: &Connection, batch: &mut Batch, wait: Wait) -> BatchRun {
    while !batch.is_empty() {
        if let Wait::Busy = wait {
            let _ = conn.busy_timeout(time_left(batch));
        }
        if let Err(err) = exec(conn, "BEGIN IMMEDIATE") {
            if err.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) {
                return LockedElsewhere;
            }
            fail_all(batch, &err.to_string());
            return Ran;
        }
        CHARGED.set(0);
        notice_other_writers(shared, conn);
        let failed = batch.iter_mut().position(|job| !job.run(conn));
        match failed {
            None => {
                let commit_error = match exec(conn, "COMMIT") {
                    Ok(()) => {
                        crate::metrics::credits_charged(CHARGED.take());
                        None
                    }
                    Err(err) => {
                        let _ = conn.execute_batch("ROLLBACK");
                        Some(err.to_string())
                    }
                };
                if commit_error.is_none()
                    && batch
                        .iter()
                        .any(|job| job.sessions() == Sessions::MayChange)
                {
                    shared.epoch.bump();
                }
                for job in batch.drain(..) {
                    job.complete(commit_error.as_deref());
                }
            }
            Some(index) => {
                if let Err(err) = conn.execute_batch("ROLLBACK") {
                    fail_all(batch, &format!("rollback failed: {err}"));
                    return Ran;
                }
                // Its error is its answer; the others run again without it.
                batch.remove(index).complete(None);
            }
        }
    }
    Ran
}

/// Bumps the session cache's generation if another connection committed since the last
/// transaction (or if that cannot be told), and records the check. Called with the write
/// lock held, so no other commit can slip in before this transaction's reads.
fn notice_other_writers(shared: &Shared, conn: &Connection) {
    use std::sync::atomic::Ordering;
    let at = shared.epoch.now();
    let version = conn
        .prepare_cached("PRAGMA data_version")
        .and_then(|mut stmt| stmt.query_row([], |row| row.get::<_, i64>(0)))
        .unwrap_or(i64::MIN);
    let last = shared.data_version.swap(version, Ordering::Relaxed);
    if version != last || version == i64::MIN {
        shared.epoch.bump();
    }
    shared.epoch.checked(at);
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
        let worker = Worker::start(open(&path).unwrap(), &path, Arc::new(Epoch::new())).unwrap();
        let mut calls = Vec::new();
        for i in 0..300_i64 {
            let worker = worker.clone();
            calls.push(tokio::spawn(async move {
                worker
                    .call(Sessions::MayChange, move |c| {
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
            .call(Sessions::MayChange, |c| {
                let mut stmt = c.prepare("SELECT key FROM settings WHERE key LIKE 'k%'")?;
                let rows = stmt.query_map([], |row| row.get(0))?;
                Ok(rows.collect::<Result<Vec<String>, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(keys.len(), 200);
        assert!(keys.iter().all(|k| k[1..].parse::<i64>().unwrap() % 3 != 0));
    }

    /// A write lock held by another process (here: another connection) is waited for on
    /// the blocking pool: the job commits once the lock is released, and the (here: one)
    /// async thread keeps running meanwhile.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn waits_for_a_lock_held_elsewhere_off_the_async_threads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let worker = Worker::start(open(&path).unwrap(), &path, Arc::new(Epoch::new())).unwrap();
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();

        let call = tokio::spawn({
            let worker = worker.clone();
            async move {
                worker
                    .call(Sessions::MayChange, |c| {
                        c.execute("INSERT INTO settings (key, value) VALUES ('k', x'01')", [])?;
                        Ok(())
                    })
                    .await
            }
        });
        // The async thread stays free: many short tasks finish while the job waits.
        let ticks = (0..100).map(|_| tokio::spawn(tokio::time::sleep(Duration::from_millis(1))));
        for tick in ticks {
            tick.await.unwrap();
        }
        assert!(
            !call.is_finished(),
            "the job cannot commit while the lock is held"
        );

        other.execute_batch("COMMIT").unwrap();
        call.await.unwrap().unwrap();
        let stored: i64 = worker
            .call(Sessions::MayChange, |c| {
                Ok(
                    c.query_row("SELECT COUNT(*) FROM settings WHERE key = 'k'", [], |r| {
                        r.get(0)
                    })?,
                )
            })
            .await
            .unwrap();
        assert_eq!(stored, 1);
    }

    /// A worker outlives the runtime that first used it: a later runtime's calls are
    /// still answered.
    #[test]
    fn survives_the_runtime_that_used_it_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let worker = Worker::start(open(&path).unwrap(), &path, Arc::new(Epoch::new())).unwrap();
        for _ in 0..2 {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            let answer = runtime.block_on(worker.call(Sessions::Unchanged, |_| Ok(42)));
            assert_eq!(answer.unwrap(), 42);
            drop(runtime);
        }
    }
}
