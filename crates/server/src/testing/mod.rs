//! A real server for tests: the production router on `127.0.0.1:<ephemeral>`, over a
//! SQLite file in a temporary directory, with an [`Admin`] handle and a movable
//! [`Clock`]. With `KEYWARD_TEST_BACKEND=postgres` in the environment it runs on a fresh
//! database of a throwaway PostgreSQL cluster instead ([`TestBackend`]), so that the same
//! suites test both backends (`cargo xtask test` runs them so).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use keyward_server::TestServer;
//!
//! let server = TestServer::start().await?;
//! let seed = server.seed().await?; // account + API key + app + license
//! let url = server.url("/auth/validate");
//! // ... POST {appId: seed.app_id, appSecret: seed.app_secret, licenseKey: seed.license_key, ...}
//! server.shutdown().await?;
//! # Ok(()) }
//! ```

#[cfg(unix)]
pub mod postgres;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Map;
use tempfile::TempDir;

use crate::admin::{Admin, AdminError};
use crate::clock::Clock;
use crate::config::Config;
use crate::contract::{Contract, check};
use crate::server::{RunningServer, ServerError, spawn_wrapped};
use crate::store::{Database, NewApp, NewLicenses};

/// A running test server; dropping it stops serving (call [`TestServer::shutdown`] to
/// wait for a graceful stop) and deletes the database.
///
/// Every answer it gives is checked against the contract (the private `contract`
/// module): an undeclared status or code, or a body off the OpenAPI document's schema,
/// makes dropping or shutting down the server panic with each violation (unless the test
/// is failing already).
#[derive(Debug)]
pub struct TestServer {
    running: RunningServer,
    database: TestStorage,
    contract: ContractGuard,
}

/// The database of a [`TestServer`].
#[derive(Debug)]
enum TestStorage {
    /// The file, and the directory that deletes it when dropped.
    Sqlite { path: PathBuf, _dir: TempDir },
    #[cfg(unix)]
    Postgres(postgres::TestDatabase),
}

/// Which backend [`TestServer`]s start on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    /// A SQLite file in a temporary directory (the default).
    Sqlite,
    /// A fresh database of the process's throwaway PostgreSQL cluster
    /// (`KEYWARD_TEST_BACKEND=postgres`).
    Postgres,
}

/// The environment variable that chooses the backend of [`TestServer`]s.
pub const TEST_BACKEND_VAR: &str = "KEYWARD_TEST_BACKEND";

impl TestBackend {
    /// The backend `KEYWARD_TEST_BACKEND` names (`sqlite`, the default, or `postgres`).
    ///
    /// # Panics
    /// On any other value: a typo must not quietly test SQLite.
    pub fn from_env() -> Self {
        match std::env::var(TEST_BACKEND_VAR).as_deref() {
            Err(_) | Ok("" | "sqlite") => Self::Sqlite,
            Ok("postgres") => Self::Postgres,
            Ok(other) => panic!("{TEST_BACKEND_VAR}={other:?}: expected `sqlite` or `postgres`"),
        }
    }
}

/// Panics with the contract violations when dropped.
#[derive(Debug)]
struct ContractGuard(Contract);

impl Drop for ContractGuard {
    fn drop(&mut self) {
        let violations = self.0.take();
        if !violations.is_empty() && !std::thread::panicking() {
            panic!(
                "answers off the contract (spec/errors.toml, docs/openapi.json):\n{}",
                violations.join("\n")
            );
        }
    }
}

/// What [`TestServer::seed`] created.
#[derive(Clone)]
pub struct Seed {
    /// Account name.
    pub account: String,
    /// An API key of the account (`Authorization: Bearer ...`). Secret.
    pub api_key: String,
    /// Public id of the app.
    pub app_id: String,
    /// The app secret. Secret.
    pub app_secret: String,
    /// A lifetime license of the app. Secret.
    pub license_key: String,
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Seed")
            .field("account", &self.account)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl Seed {
    /// Creates, through `admin`, what [`TestServer::seed`] describes (for a database
    /// that a server in another process serves, too).
    pub async fn create(admin: &Admin, app: NewApp) -> Result<Self, AdminError> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let account = format!("account-{}", NEXT.fetch_add(1, Ordering::Relaxed));
        admin.create_account(&account).await?;
        admin.add_credits(&account, SEED_CREDITS + 1).await?;
        let api_key = admin.issue_api_key(&account).await?.key;
        let created = admin.create_app(&account, app).await?;
        let licenses = admin
            .create_licenses(
                &account,
                &created.app.app_id,
                1,
                NewLicenses {
                    expires_at: None,
                    variables: Map::new(),
                    note: None,
                    label: None,
                },
            )
            .await?;
        let license_key = licenses
            .into_iter()
            .next()
            .map(|license| license.key)
            .ok_or(AdminError::AppNotFound)?;
        Ok(Seed {
            account,
            api_key,
            app_id: created.app.app_id,
            app_secret: created.app_secret,
            license_key,
        })
    }
}

/// Credits of a seeded account.
pub const SEED_CREDITS: i64 = 1_000;

impl TestServer {
    /// Starts a server with the default configuration (auth rate limit included).
    pub async fn start() -> Result<Self, ServerError> {
        Self::start_with(|_| {}).await
    }

    /// Starts a server after `configure` adjusted the default configuration (database path
    /// and listen address are set by the test server and should be left alone).
    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Result<Self, ServerError> {
        Self::start_checked(configure, true).await
    }

    /// Like [`TestServer::start_with`], without the contract check (which buffers and
    /// validates every answer): for benchmarks.
    pub async fn start_unchecked(configure: impl FnOnce(&mut Config)) -> Result<Self, ServerError> {
        Self::start_checked(configure, false).await
    }

    /// Like [`TestServer::start_with`] on `backend`, whatever `KEYWARD_TEST_BACKEND` says:
    /// for tests that compare the backends.
    pub async fn start_on(
        backend: TestBackend,
        configure: impl FnOnce(&mut Config),
    ) -> Result<Self, ServerError> {
        Self::start_in(TestStorage::new(backend).await?, configure, true).await
    }

    async fn start_checked(
        configure: impl FnOnce(&mut Config),
        checked: bool,
    ) -> Result<Self, ServerError> {
        let database = TestStorage::new(TestBackend::from_env()).await?;
        Self::start_in(database, configure, checked).await
    }

    async fn start_in(
        database: TestStorage,
        configure: impl FnOnce(&mut Config),
        checked: bool,
    ) -> Result<Self, ServerError> {
        let mut config = Config::new(database.database());
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        configure(&mut config);
        let contract = Contract::default();
        let checks = contract.clone();
        let running = spawn_wrapped(config, move |router| {
            if checked {
                router.layer(axum::middleware::from_fn_with_state(checks, check))
            } else {
                router
            }
        })
        .await?;
        Ok(Self {
            running,
            database,
            contract: ContractGuard(contract),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.running.addr()
    }

    /// `http://ADDR` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    /// The admin handle (same code as the `admin` CLI).
    pub fn admin(&self) -> &Admin {
        self.running.admin()
    }

    /// The server's clock; [`Clock::advance`] moves time for expiry tests.
    pub fn clock(&self) -> &Clock {
        self.running.clock()
    }

    /// The contract violations of the answers so far (each forgotten once returned, so
    /// that dropping the server does not report it again).
    pub fn take_contract_violations(&self) -> Vec<String> {
        self.contract.0.take()
    }

    /// Which backend it runs on.
    pub fn backend(&self) -> TestBackend {
        match &self.database {
            TestStorage::Sqlite { .. } => TestBackend::Sqlite,
            #[cfg(unix)]
            TestStorage::Postgres(_) => TestBackend::Postgres,
        }
    }

    /// The database it runs on.
    pub fn database(&self) -> Database {
        self.database.database()
    }

    /// The SQLite file.
    ///
    /// # Panics
    /// On PostgreSQL: a test that reads the file itself is a SQLite test (check
    /// [`TestServer::backend`] first).
    pub fn db_path(&self) -> &Path {
        match &self.database {
            TestStorage::Sqlite { path, .. } => path,
            #[cfg(unix)]
            TestStorage::Postgres(_) => panic!("db_path: this test server runs on PostgreSQL"),
        }
    }

    /// Creates a fresh account with [`SEED_CREDITS`] credits, an API key, an app with
    /// one HWID slot and one lifetime license.
    pub async fn seed(&self) -> Result<Seed, AdminError> {
        self.seed_with(NewApp::named("seeded app")).await
    }

    /// Like [`TestServer::seed`] with the given app settings.
    pub async fn seed_with(&self, app: NewApp) -> Result<Seed, AdminError> {
        Seed::create(self.admin(), app).await
    }

    /// Stops the server gracefully.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        self.running.shutdown().await
    }

    /// Stops the server gracefully and hands over its database, to start another server
    /// on: while the [`KeptDatabase`] lives, the database does.
    pub async fn shutdown_keeping_database(self) -> Result<(Database, KeptDatabase), ServerError> {
        self.running.shutdown().await?;
        let database = self.database.database();
        Ok((database, KeptDatabase(self.database)))
    }
}

/// A stopped [`TestServer`]'s database, deleted when this is dropped.
#[derive(Debug)]
pub struct KeptDatabase(#[allow(dead_code, reason = "kept for its Drop")] TestStorage);

impl TestStorage {
    async fn new(backend: TestBackend) -> Result<Self, ServerError> {
        match backend {
            TestBackend::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("keyward-test-")
                    .tempdir()
                    .map_err(ServerError::Serve)?;
                let path = dir.path().join("keyward.db");
                Ok(Self::Sqlite { path, _dir: dir })
            }
            #[cfg(unix)]
            TestBackend::Postgres => {
                let cluster = postgres::TestPostgres::for_process()
                    .map_err(|err| ServerError::Serve(std::io::Error::other(err)))?;
                let database = cluster
                    .database()
                    .await
                    .map_err(|err| ServerError::Serve(std::io::Error::other(err)))?;
                Ok(Self::Postgres(database))
            }
            #[cfg(not(unix))]
            TestBackend::Postgres => Err(ServerError::Serve(std::io::Error::other(
                "the PostgreSQL test cluster needs a unix",
            ))),
        }
    }

    fn database(&self) -> Database {
        match self {
            Self::Sqlite { path, .. } => Database::Sqlite(path.clone()),
            #[cfg(unix)]
            Self::Postgres(database) => Database::Postgres(database.url().to_owned()),
        }
    }
}
