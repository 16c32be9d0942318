//! A throwaway PostgreSQL cluster for tests: `initdb` into a temporary directory, the
//! `postgres` server on a free loopback port (trust authentication on 127.0.0.1 only, its
//! unix socket inside the directory), one cluster shared by the whole test process and a
//! fresh database for each test.
//!
//! As root (`initdb` and `pg_ctl` refuse to run as root) the binaries run as `nobody`
//! through `setpriv`, which also makes the server quit if the test process dies without
//! stopping it. The cluster stops (`pg_ctl stop -m immediate`) and its directory goes when
//! the last [`TestPostgres`] handle drops.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use keyward_server::{TestPostgres, TestPostgresError};
//!
//! match TestPostgres::shared() {
//!     Ok(cluster) => {
//!         let db = cluster.database().await?;
//!         println!("connect to {}", db.url());
//!     }
//!     Err(TestPostgresError::Unavailable(reason)) => println!("skipped: {reason}"),
//!     Err(other) => return Err(other.into()),
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::fs;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long a started server may take to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Start attempts, each on a newly picked port (another process may take a free port
/// between the pick and the server's bind).
const START_ATTEMPTS: usize = 3;
/// The superuser `initdb` creates, the user of every URL handed out.
const SUPERUSER: &str = "postgres";
/// The account the binaries run as when the tests run as root.
const UNPRIVILEGED_USER: &str = "nobody";

/// Why no cluster: either the machine has no PostgreSQL (the tests report themselves
/// ignored with the reason) or it has one that failed (the tests fail).
#[derive(Debug, Clone, thiserror::Error)]
pub enum TestPostgresError {
    /// No PostgreSQL binaries on this machine.
    #[error("no PostgreSQL: {0}")]
    Unavailable(String),
    /// The binaries exist but the cluster could not be made or started.
    #[error("throwaway PostgreSQL cluster: {0}")]
    Start(String),
    /// The cluster runs but a database could not be created on it.
    #[error("throwaway PostgreSQL database: {0}")]
    Database(String),
}

/// The PostgreSQL programs the harness runs.
#[derive(Debug, Clone)]
struct Binaries {
    initdb: PathBuf,
    pg_ctl: PathBuf,
    postgres: PathBuf,
}

impl Binaries {
    fn in_dir(dir: &Path) -> Option<Self> {
        let found = Self {
            initdb: dir.join("initdb"),
            pg_ctl: dir.join("pg_ctl"),
            postgres: dir.join("postgres"),
        };
        [&found.initdb, &found.pg_ctl, &found.postgres]
            .iter()
            .all(|path| path.is_file())
            .then_some(found)
    }

    /// The first directory of `PATH` that holds all three, else the newest
    /// `/usr/lib/postgresql/<version>/bin` (Debian's layout).
    fn find() -> Result<Self, TestPostgresError> {
        let on_path = std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
            .unwrap_or_default();
        let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse().ok()?;
                Some((version, entry.path().join("bin")))
            })
            .collect();
        versions.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
        on_path
            .iter()
            .chain(versions.iter().map(|(_, dir)| dir))
            .find_map(|dir| Self::in_dir(dir))
            .ok_or_else(|| {
                TestPostgresError::Unavailable(
                    "initdb, pg_ctl and postgres are neither on PATH nor in \
                     /usr/lib/postgresql/*/bin (scripts/install-postgres.sh installs them)"
                        .to_owned(),
                )
            })
    }
}

/// The unprivileged account the binaries run as when this process is root.
#[derive(Debug, Clone, Copy)]
struct RunAs {
    uid: u32,
    gid: u32,
}

impl RunAs {
    fn needed() -> Result<Option<Self>, TestPostgresError> {
        if !rustix::process::geteuid().is_root() {
            return Ok(None);
        }
        let passwd = fs::read_to_string("/etc/passwd")
            .map_err(|e| TestPostgresError::Start(format!("reading /etc/passwd: {e}")))?;
        passwd
            .lines()
            .find_map(|line| {
                let mut fields = line.split(':');
                (fields.next()? == UNPRIVILEGED_USER).then_some(())?;
                let uid = fields.nth(1)?.parse().ok()?;
                let gid = fields.next()?.parse().ok()?;
                Some(Some(Self { uid, gid }))
            })
            .ok_or_else(|| {
                TestPostgresError::Start(format!(
                    "running as root, and there is no user `{UNPRIVILEGED_USER}` to run \
                     initdb and postgres as"
                ))
            })
    }

    /// `program args...`, as this user when there is one; `setpriv` (where it exists)
    /// also sends the server SIGQUIT (immediate shutdown) when the thread that started it
    /// ends.
    fn command(run_as: Option<Self>, program: &Path) -> Command {
        match run_as {
            None if has_setpriv() => {
                let mut command = Command::new("setpriv");
                command.arg("--pdeathsig=QUIT").arg("--").arg(program);
                command
            }
            None => Command::new(program),
            Some(user) => {
                let mut command = Command::new("setpriv");
                command
                    .arg(format!("--reuid={}", user.uid))
                    .arg(format!("--regid={}", user.gid))
                    .arg("--clear-groups")
                    .arg("--pdeathsig=QUIT")
                    .arg("--")
                    .arg(program);
                command
            }
        }
    }
}

/// Whether `setpriv` is on `PATH`.
fn has_setpriv() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(|| {
        std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|dir| dir.join("setpriv").is_file())
        })
    })
}

/// The prefix of a cluster's temporary directory; the process id follows.
const DIR_PREFIX: &str = "keyward-postgres-";

/// Removes the directories of clusters whose test process is gone (a kept cluster's
/// directory outlives its process). Only where `/proc` tells which processes live.
fn sweep_dead_clusters() {
    let proc = Path::new("/proc/self");
    if !proc.exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(DIR_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// A running throwaway cluster; cheap to clone (one cluster per test process while any
/// handle lives, see [`TestPostgres::shared`]).
#[derive(Clone)]
pub struct TestPostgres(Arc<Cluster>);

impl fmt::Debug for TestPostgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestPostgres")
            .field("port", &self.0.port)
            .field("dir", &self.0.dir.path())
            .finish_non_exhaustive()
    }
}

/// A fresh database on the cluster, made for one test. It keeps the cluster running.
#[derive(Debug, Clone)]
pub struct TestDatabase {
    url: String,
    name: String,
    _cluster: TestPostgres,
}

impl TestDatabase {
    /// `postgres://postgres@127.0.0.1:<port>/<name>` (trust authentication: no password).
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The binaries lookup, done once per process: its answer does not change.
static BINARIES: OnceLock<Result<Binaries, TestPostgresError>> = OnceLock::new();
/// The cluster of this process while a handle lives.
static SHARED: Mutex<Weak<Cluster>> = Mutex::new(Weak::new());
/// Numbers the databases handed out.
static NEXT_DATABASE: AtomicU64 = AtomicU64::new(1);

/// The cluster kept for the rest of the process by [`TestPostgres::for_process`]. Statics
/// are never dropped: its server gets SIGQUIT from `setpriv --pdeathsig` as the process
/// ends, and its directory is swept by the next cluster's start.
static KEPT: Mutex<Option<TestPostgres>> = Mutex::new(None);

impl TestPostgres {
    /// The process's cluster, kept running until the process exits: for many short
    /// tests one after another (the `TestServer`s of a suite run on PostgreSQL), which
    /// would otherwise start a cluster each whenever none of theirs overlapped.
    ///
    /// # Errors
    /// As [`TestPostgres::shared`].
    pub fn for_process() -> Result<Self, TestPostgresError> {
        let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cluster) = kept.as_ref() {
            return Ok(cluster.clone());
        }
        let cluster = Self::shared()?;
        *kept = Some(cluster.clone());
        Ok(cluster)
    }

    /// The process's cluster, started now if no handle to one lives.
    ///
    /// # Errors
    /// [`TestPostgresError::Unavailable`] where the machine has no PostgreSQL binaries,
    /// [`TestPostgresError::Start`] where they failed to make or start a cluster.
    pub fn shared() -> Result<Self, TestPostgresError> {
        let binaries = BINARIES.get_or_init(Binaries::find).clone()?;
        let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cluster) = shared.upgrade() {
            return Ok(Self(cluster));
        }
        let cluster = Arc::new(Cluster::start(&binaries)?);
        *shared = Arc::downgrade(&cluster);
        Ok(Self(cluster))
    }

    /// The port the server listens on (127.0.0.1).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.0.port
    }

    /// A URL of the superuser on database `database`.
    #[must_use]
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@127.0.0.1:{}/{database}",
            self.0.port
        )
    }

    /// Creates a new, empty database.
    ///
    /// # Errors
    /// [`TestPostgresError::Database`] where the server refused it.
    pub async fn database(&self) -> Result<TestDatabase, TestPostgresError> {
        let failed = |e: tokio_postgres::Error| TestPostgresError::Database(e.to_string());
        let name = format!(
            "keyward_test_{}",
            NEXT_DATABASE.fetch_add(1, Ordering::Relaxed)
        );
        let (client, connection) =
            tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
                .await
                .map_err(failed)?;
        let driver = tokio::spawn(connection);
        // The name is ours (a counter), never input: no quoting needed.
        let created = client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(failed);
        drop(client);
        let _ = driver.await;
        created?;
        Ok(TestDatabase {
            url: self.url(&name),
            name,
            _cluster: self.clone(),
        })
    }
}

/// The server process and what it needs; stopped and removed on drop.
struct Cluster {
    binaries: Binaries,
    run_as: Option<RunAs>,
    port: u16,
    server: Mutex<Child>,
    /// Ends the thread that started the server (its end sends the server SIGQUIT through
    /// `setpriv --pdeathsig`, the backstop for a test process that dies unstopped).
    keeper_stop: Option<mpsc::Sender<()>>,
    keeper: Option<JoinHandle<()>>,
    dir: TempDir,
}

impl Cluster {
    fn data_dir(dir: &Path) -> PathBuf {
        dir.join("data")
    }

    fn start(binaries: &Binaries) -> Result<Self, TestPostgresError> {
        let fail =
            |what: &str, e: &dyn fmt::Display| TestPostgresError::Start(format!("{what}: {e}"));
        let run_as = RunAs::needed()?;
        sweep_dead_clusters();
        let dir = tempfile::Builder::new()
            .prefix(&format!("{DIR_PREFIX}{}-", std::process::id()))
            .tempdir()
            .map_err(|e| fail("creating the temporary directory", &e))?;
        if let Some(user) = run_as {
            std::os::unix::fs::chown(dir.path(), Some(user.uid), Some(user.gid))
                .map_err(|e| fail("handing the temporary directory to `nobody`", &e))?;
        }
        let data = Self::data_dir(dir.path());
        let initdb = RunAs::command(run_as, &binaries.initdb)
            .arg("--pgdata")
            .arg(&data)
            .args(["--username", SUPERUSER, "--auth=trust", "--encoding=UTF8"])
            .args(["--locale=C", "--no-sync", "--no-instructions"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| fail("running initdb", &e))?;
        if !initdb.status.success() {
            return Err(TestPostgresError::Start(format!(
                "initdb failed ({}): {}",
                initdb.status,
                String::from_utf8_lossy(&initdb.stderr).trim()
            )));
        }
        // Trust on 127.0.0.1 and the socket (in the private directory) only: no ::1, no
        // other address.
        fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhost all all 127.0.0.1/32 trust\n",
        )
        .map_err(|e| fail("writing pg_hba.conf", &e))?;
        let mut last_error = None;
        for _ in 0..START_ATTEMPTS {
            match Self::launch(binaries, run_as, &dir) {
                Ok((port, server, keeper_stop, keeper)) => {
                    let cluster = Self {
                        binaries: binaries.clone(),
                        run_as,
                        port,
                        server: Mutex::new(server),
                        keeper_stop: Some(keeper_stop),
                        keeper: Some(keeper),
                        dir,
                    };
                    // On an error, dropping the cluster stops the server and removes the
                    // directory.
                    cluster.wait_ready()?;
                    return Ok(cluster);
                }
                Err(LaunchError::PortTaken(log)) => last_error = Some(log),
                Err(LaunchError::Failed(e)) => return Err(e),
            }
        }
        Err(TestPostgresError::Start(format!(
            "the server exited at start {START_ATTEMPTS} times: {}",
            last_error.unwrap_or_default()
        )))
    }

    /// Starts `postgres` on a free port from a thread of its own that lives until the
    /// cluster is dropped, and sees it past its first moments.
    fn launch(
        binaries: &Binaries,
        run_as: Option<RunAs>,
        dir: &TempDir,
    ) -> Result<(u16, Child, mpsc::Sender<()>, JoinHandle<()>), LaunchError> {
        let fail = |what: &str, e: &dyn fmt::Display| {
            LaunchError::Failed(TestPostgresError::Start(format!("{what}: {e}")))
        };
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map_err(|e| fail("picking a free port", &e))?
            .port();
        let log_path = dir.path().join("postgres.log");
        let log = fs::File::create(&log_path).map_err(|e| fail("creating the log", &e))?;
        let mut command = RunAs::command(run_as, &binaries.postgres);
        command
            .arg("-D")
            .arg(Self::data_dir(dir.path()))
            .args(["-p", &port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", dir.path().display()))
            // Throwaway data: no need to survive a crash.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let (started_tx, started_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let keeper = thread::Builder::new()
            .name("test-postgres".to_owned())
            .spawn(move || {
                let _ = started_tx.send(command.spawn());
                // Until the cluster is dropped (the sender goes) or the process ends.
                let _ = stop_rx.recv();
            })
            .map_err(|e| fail("starting the keeper thread", &e))?;
        let mut server = match started_rx.recv() {
            Ok(Ok(server)) => server,
            Ok(Err(e)) => return Err(fail("starting postgres", &e)),
            Err(e) => return Err(fail("starting postgres", &e)),
        };
        // A port taken meanwhile makes the server exit at once.
        thread::sleep(Duration::from_millis(200));
        if let Ok(Some(status)) = server.try_wait() {
            drop(stop_tx);
            let _ = keeper.join();
            let log = fs::read_to_string(&log_path).unwrap_or_default();
            return Err(LaunchError::PortTaken(format!("{status}: {}", log.trim())));
        }
        Ok((port, server, stop_tx, keeper))
    }

    /// Waits until `postmaster.pid` says `ready` (what `pg_ctl start -w` waits for), or
    /// the server exits, or [`READY_TIMEOUT`] passes.
    fn wait_ready(&self) -> Result<(), TestPostgresError> {
        let pid_file = Self::data_dir(self.dir.path()).join("postmaster.pid");
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let status = fs::read_to_string(&pid_file).unwrap_or_default();
            // Line 8 is the server's status since PostgreSQL 10.
            if status.lines().nth(7).map(str::trim) == Some("ready") {
                return Ok(());
            }
            let exited = self
                .server
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .try_wait()
                .ok()
                .flatten();
            if let Some(exited) = exited {
                return Err(TestPostgresError::Start(format!(
                    "postgres exited ({exited}) before accepting connections: {}",
                    self.log_tail()
                )));
            }
            if Instant::now() >= deadline {
                return Err(TestPostgresError::Start(format!(
                    "postgres did not accept connections within {}s: {}",
                    READY_TIMEOUT.as_secs(),
                    self.log_tail()
                )));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// Why one start attempt failed.
enum LaunchError {
    /// The server exited at once (the usual cause: the port was taken meanwhile); its log.
    PortTaken(String),
    Failed(TestPostgresError),
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let stopped = RunAs::command(self.run_as, &self.binaries.pg_ctl)
            .args(["stop", "-m", "immediate", "-w", "-t", "30", "-D"])
            .arg(Self::data_dir(self.dir.path()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        let server = self
            .server
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if !stopped {
            // The server may be gone already; a kill is the last resort.
            let _ = server.kill();
        }
        let _ = server.wait();
        drop(self.keeper_stop.take());
        if let Some(keeper) = self.keeper.take() {
            let _ = keeper.join();
        }
        // `dir` (a TempDir) is removed after this.
    }
}
