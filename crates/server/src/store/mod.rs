//! Storage: every read and write of the server goes through [`Store`].
//!
//! The public API is backend-neutral (plain domain types, async methods, [`StoreError`]);
//! SQL lives only in the private submodules, one copy for both backends over the private
//! `sql` module's trait (docs/postgres-store.md):
//! - SQLite: the private `worker` module runs the jobs on one connection by group commit,
//!   and the private `sessions` module answers heartbeats between billing milestones from
//!   memory (one process owns the file);
//! - PostgreSQL: the private `postgres` module runs each job in a SERIALIZABLE
//!   transaction on a pool, and every heartbeat goes to the database, so that several
//!   instances on one database keep every guarantee.
//!
//! Times are Unix seconds passed in by the caller (the server's [`crate::Clock`]).

mod accounts;
mod apps;
mod auth;
mod licenses;
mod postgres;
mod rate_limits;
pub mod schema;
mod selfban;
mod sessions;
mod signing_keys;
mod sql;
mod webhooks;
mod worker;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

pub use auth::{
    AnswerKey, Grant, HEARTBEATS_PER_CREDIT, HeartbeatGrant, HeartbeatInput, LicenseFacts,
    ValidateGrant, ValidateInput,
};
use keyward_errors::{HeartbeatError, ValidateError};
use postgres::PgStore;
pub use selfban::{SelfBanDone, SelfBanInput, SelfBanOutcome, SelfBanProof};
use sessions::{Beat, Epoch, SessionCache};
use sql::{Sqlite, run_ready};
use worker::Sessions;

/// Why a storage operation did not happen. Only [`StoreError::Backend`] and
/// [`StoreError::Closed`] are unexpected; the others are answers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing does not exist.
    #[error("not found")]
    NotFound,
    /// The thing belongs to another account.
    #[error("belongs to another account")]
    Forbidden,
    /// The account has too few credits; nothing was changed.
    #[error("not enough credits")]
    NoCredits,
    /// A unique name or value is taken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A number would leave its range (such as a credit balance above `i64::MAX`);
    /// nothing was changed.
    #[error("a number would leave its range")]
    Overflow,
    /// The database failed (the message is for logs only).
    #[error("database error: {0}")]
    Backend(String),
    /// The storage worker has stopped.
    #[error("storage worker stopped")]
    Closed,
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        Self::Backend(err.to_string())
    }
}

impl StoreError {
    /// Whether this is an unexpected failure (to be logged and answered as internal).
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Backend(_) | Self::Closed)
    }
}

/// An account of a developer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Internal id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Credits left.
    pub credits: i64,
    /// Whether the account is suspended (its apps answer `app_disabled`).
    pub suspended: bool,
    /// Creation time.
    pub created_at: i64,
}

/// An API key as listed (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyInfo {
    /// Key id (used to revoke it).
    pub id: i64,
    /// Owner.
    pub account_id: i64,
    /// Whether it is revoked.
    pub revoked: bool,
    /// Issue time.
    pub created_at: i64,
}

/// A new app.
#[derive(Debug, Clone, PartialEq)]
pub struct NewApp {
    /// Display name.
    pub name: String,
    /// HWID slots per license, 1 to 16.
    pub hwid_slots: u8,
    /// App variables returned on validate.
    pub variables: Map<String, Value>,
    /// Whether a device must be on the allow list.
    pub allowlist_required: bool,
    /// `Some`: the app signs with Ed25519, starting with this key; `None`: with HMAC.
    pub ed25519_key: Option<NewSigningKey>,
    /// Most credits the app's auth calls may be charged per UTC day; `None`: no cap.
    pub daily_credit_cap: Option<i64>,
}

impl NewApp {
    /// An HMAC app with one HWID slot and no variables.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            hwid_slots: 1,
            variables: Map::new(),
            allowlist_required: false,
            ed25519_key: None,
            daily_credit_cap: None,
        }
    }
}

/// How an app signs its auth answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Signing {
    /// HMAC-SHA256 with keys derived from the app secret (protocol.md; the default).
    Hmac,
    /// Ed25519 with the app's active key (protocol v2).
    Ed25519,
}

impl Signing {
    /// The stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Signing::Hmac => "hmac",
            Signing::Ed25519 => "ed25519",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "hmac" => Some(Signing::Hmac),
            "ed25519" => Some(Signing::Ed25519),
            _ => None,
        }
    }
}

/// A new Ed25519 signing key, its private half already sealed (`crate::signing_keys`).
#[derive(Clone, PartialEq, Eq)]
pub struct NewSigningKey {
    /// The id answers name it by (`keyId`).
    pub key_id: String,
    /// The 32 public key bytes.
    pub public_key: [u8; 32],
    /// The sealed private key.
    pub sealed: Vec<u8>,
}

impl fmt::Debug for NewSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSigningKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// A change of an app's signing mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningPatch {
    /// Sign with HMAC from now on (the Ed25519 keys are kept).
    Hmac,
    /// Sign with Ed25519; `NewSigningKey` becomes the first key if the app has none.
    Ed25519(NewSigningKey),
}

/// One of an ed25519 app's signing keys, as app bodies show it (no private half).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SigningKeyInfo {
    /// The id answers name it by (`keyId`).
    pub key_id: String,
    /// Standard base64 of the 32 public key bytes.
    pub public_key: String,
    /// Whether it signs answers now.
    pub active: bool,
    /// Creation time, unix seconds.
    pub created_at: i64,
}

/// Changes to an app; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppPatch {
    /// New name.
    pub name: Option<String>,
    /// Activate or deactivate.
    pub active: Option<bool>,
    /// New slot count.
    pub hwid_slots: Option<u8>,
    /// New variables (replacing the old ones).
    pub variables: Option<Map<String, Value>>,
    /// New allowlist switch.
    pub allowlist_required: Option<bool>,
    /// New signing mode.
    pub signing: Option<SigningPatch>,
    /// New daily credit cap; `Some(None)` removes it.
    pub daily_credit_cap: Option<Option<i64>>,
}

/// An app (without its secret).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct App {
    /// Public app id (`app_...`).
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// Whether validation is enabled.
    pub active: bool,
    /// HWID slots per license.
    pub hwid_slots: u8,
    /// App variables.
    #[schema(value_type = Object)]
    pub variables: Map<String, Value>,
    /// Whether a device must be on the allow list.
    pub allowlist_required: bool,
    /// How its auth answers are signed.
    pub signing: Signing,
    /// Ed25519 apps: their keys, the active one first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_keys: Option<Vec<SigningKeyInfo>>,
    /// Most credits its validates and heartbeat milestones may be charged per UTC day
    /// (then they answer `app_burn_cap_reached`); null: no cap.
    #[schema(required = true)]
    pub daily_credit_cap: Option<i64>,
    /// Credits its validates and heartbeat milestones were charged in the current UTC day.
    pub credits_used_today: i64,
    /// Creation time.
    pub created_at: i64,
}

/// A created app with its secret (shown once by the API).
#[derive(Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApp {
    /// The app.
    #[serde(flatten)]
    pub app: App,
    /// The app secret. Secret.
    pub app_secret: String,
}

impl fmt::Debug for CreatedApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedApp")
            .field("app", &self.app)
            .field("app_secret", &"<redacted>")
            .finish()
    }
}

/// Which list an access rule is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListKind {
    /// Allow list.
    Allow,
    /// Deny list.
    Deny,
}

impl ListKind {
    /// The wire and database text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
        }
    }

    /// Parses `allow` or `deny`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "allow" => Some(Self::Allow),
            "deny" => Some(Self::Deny),
            _ => None,
        }
    }
}

/// What an access rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// A device's HWID.
    Hwid,
    /// A client IP address.
    Ip,
}

impl RuleKind {
    /// The wire and database text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hwid => "hwid",
            Self::Ip => "ip",
        }
    }

    /// Parses `hwid` or `ip`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "hwid" => Some(Self::Hwid),
            "ip" => Some(Self::Ip),
            _ => None,
        }
    }
}

/// An allow or deny entry of an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessRule {
    /// Rule id.
    pub id: i64,
    /// Allow or deny.
    pub list: ListKind,
    /// HWID or IP.
    pub kind: RuleKind,
    /// The HWID or the IP address (canonical text).
    pub value: String,
    /// Creation time.
    pub created_at: i64,
}

/// New licenses.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLicenses {
    /// Expiry (Unix seconds); `None` is a lifetime license.
    pub expires_at: Option<i64>,
    /// License variables returned on validate.
    pub variables: Map<String, Value>,
    /// Free-text note.
    pub note: Option<String>,
    /// Label shown to the end user's app (`licenseLabel` of a validate's payload).
    pub label: Option<String>,
}

/// A license.
#[derive(Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct License {
    /// The license key (`XXXX-XXXX-XXXX-XXXX`). Secret.
    pub key: String,
    /// Public id of its app.
    pub app_id: String,
    /// Expiry (Unix seconds); null for a lifetime license.
    pub expires_at: Option<i64>,
    /// Whether it is revoked.
    pub revoked: bool,
    /// Bound device HWIDs.
    pub hwids: Vec<String>,
    /// License variables.
    #[schema(value_type = Object)]
    pub variables: Map<String, Value>,
    /// Free-text note.
    pub note: Option<String>,
    /// Label shown to the end user's app (`licenseLabel` of a validate's payload).
    pub label: Option<String>,
    /// Heartbeats counted so far (every 10th costs a credit).
    pub heartbeats: i64,
    /// Creation time.
    pub created_at: i64,
}

impl fmt::Debug for License {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("License")
            .field("key", &crate::secret::key_tag(&self.key))
            .field("app_id", &self.app_id)
            .field("expires_at", &self.expires_at)
            .field("revoked", &self.revoked)
            .field("hwids", &self.hwids.len())
            .finish_non_exhaustive()
    }
}

/// How to extend a license.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extension {
    /// Add this many seconds to the later of the current expiry and now.
    By(i64),
    /// Set this expiry.
    Until(i64),
    /// Make it a lifetime license.
    Lifetime,
}

/// A page of licenses.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicensePage {
    /// The licenses, oldest first.
    pub licenses: Vec<License>,
    /// Cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
}

/// A registered webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Webhook id.
    pub id: i64,
    /// Target URL.
    pub url: String,
    /// Event names it is registered for (empty: all).
    pub events: Vec<String>,
    /// Creation time.
    pub created_at: i64,
}

/// Outcome of a validate transaction.
pub type ValidateOutcome = Result<ValidateGrant, ValidateError>;
/// Outcome of a heartbeat transaction.
pub type HeartbeatOutcome = Result<HeartbeatGrant, HeartbeatError>;

/// Where the server keeps its data: a SQLite file, or a PostgreSQL database.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// The SQLite file at this path (created on first start).
    Sqlite(std::path::PathBuf),
    /// The PostgreSQL database at this URL (`postgres://USER@HOST:PORT/DB`), which must
    /// exist; its tables are created on first start.
    Postgres(String),
}

impl Database {
    /// A `postgres://` or `postgresql://` URL selects PostgreSQL; anything else is a
    /// SQLite path.
    pub fn parse(text: &str) -> Self {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Self::Postgres(text.to_owned())
        } else {
            Self::Sqlite(text.into())
        }
    }

    /// How logs name it: a path, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            Self::Postgres(url) => redacted_url(url),
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Self::Postgres(url) => f.debug_tuple("Postgres").field(&redacted_url(url)).finish(),
        }
    }
}

impl From<&Path> for Database {
    fn from(path: &Path) -> Self {
        Self::Sqlite(path.to_owned())
    }
}

impl From<&std::path::PathBuf> for Database {
    fn from(path: &std::path::PathBuf) -> Self {
        Self::Sqlite(path.clone())
    }
}

impl From<std::path::PathBuf> for Database {
    fn from(path: std::path::PathBuf) -> Self {
        Self::Sqlite(path)
    }
}

/// `url` with the password of its user info, if any, replaced by `***`.
fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        _ => url.to_owned(),
    }
}

/// Default size of the PostgreSQL connection pool of one server.
pub const DEFAULT_POSTGRES_CONNECTIONS: usize = 16;

/// The server's storage. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite {
        worker: worker::Worker,
        sessions: Arc<SessionCache>,
    },
    Postgres(PgStore),
}

/// The body of a `Store` method, once for both backends:
/// `job!(self, Sessions::X, |db, arg, ...| module::f(db, arg, ...))`. In the body each
/// named argument (a variable of the method) is a `&T`, and `db` is the backend's `Sql`.
/// SQLite runs it as a worker job (`Sessions` says whether it may change a heartbeat's
/// answer); PostgreSQL in a transaction of its own, where heartbeats are never cached,
/// after this instance's earlier jobs of the same `in_turn(key)` if one is given.
macro_rules! job {
    ($store:expr, $sessions:expr, $(in_turn($turn:expr),)? |$db:ident $(, $arg:ident)*| $body:expr) => {
        match &$store.backend {
            Backend::Sqlite { worker, .. } => {
                worker
                    .call($sessions, move |c| {
                        let $db = &Sqlite(c);
                        $(let $arg = &$arg;)*
                        run_ready($body)
                    })
                    .await
            }
            Backend::Postgres(pg) => {
                let turn: Option<String> = None $(.or(Some($turn.clone())))?;
                pg.run_in_turn(turn.as_deref(), ($($arg,)*), |$db, args| {
                    let ($($arg,)*) = args;
                    Box::pin($body)
                })
                .await
            }
        }
    };
}

impl Store {
    /// Opens (creating and migrating if needed) the SQLite database at `path`.
    pub fn open_sqlite(path: &Path) -> Result<Self, StoreError> {
        let conn = worker::open(path)?;
        let epoch = Arc::new(Epoch::new());
        Ok(Self {
            backend: Backend::Sqlite {
                worker: worker::Worker::start(conn, path, epoch.clone())?,
                sessions: Arc::new(SessionCache::new(epoch)),
            },
        })
    }

    /// Connects a pool of up to `connections` to the PostgreSQL database at `url`
    /// (`postgres://USER@HOST:PORT/DB`) and migrates it.
    pub async fn open_postgres(url: &str, connections: usize) -> Result<Self, StoreError> {
        Ok(Self {
            backend: Backend::Postgres(PgStore::connect(url, connections).await?),
        })
    }

    /// Opens `database` ([`Store::open_sqlite`] or [`Store::open_postgres`] with
    /// `postgres_connections`).
    pub async fn open(
        database: &Database,
        postgres_connections: usize,
    ) -> Result<Self, StoreError> {
        match database {
            Database::Sqlite(path) => Self::open_sqlite(path),
            Database::Postgres(url) => Self::open_postgres(url, postgres_connections).await,
        }
    }

    /// `license` with the beats counted in memory but not yet written.
    fn with_unwritten(&self, mut license: License) -> License {
        if let Backend::Sqlite { sessions, .. } = &self.backend {
            license.heartbeats += sessions.unwritten(&license.key);
        }
        license
    }

    /// Writes the heartbeat counts kept in memory (the `sessions` module) at `now`. The
    /// server calls it every second and at shutdown.
    pub async fn flush_heartbeats(&self, now: i64) -> Result<(), StoreError> {
        let Backend::Sqlite { worker, sessions } = &self.backend else {
            return Ok(());
        };
        let taken = sessions.take_pending();
        if taken.pending.is_empty() {
            return Ok(());
        }
        let pending = taken.pending.clone();
        let sessions = sessions.clone();
        worker
            .call_then(
                Sessions::Unchanged,
                move |c| run_ready(auth::count_pending(&Sqlite(c), &pending, now)),
                move |result| sessions.finish_pending(taken, result),
            )
            .await
            .map(|_| ())
    }

    /// The server secret stored in the database, created from `candidate` on first use.
    pub async fn server_secret(&self, candidate: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        job!(self, Sessions::Unchanged, |db, candidate| {
            accounts::server_secret(db, candidate)
        })
    }

    // ----- accounts and API keys -----

    /// Creates an account.
    pub async fn create_account(&self, name: String, now: i64) -> Result<Account, StoreError> {
        job!(self, Sessions::Unchanged, |db, name, now| accounts::create(
            db, name, *now
        ))
    }

    /// An account by name.
    pub async fn account_by_name(&self, name: String) -> Result<Account, StoreError> {
        job!(self, Sessions::Unchanged, |db, name| accounts::by_name(
            db, name
        ))
    }

    /// An account by id.
    pub async fn account(&self, id: i64) -> Result<Account, StoreError> {
        job!(self, Sessions::Unchanged, |db, id| accounts::by_id(db, *id))
    }

    /// Every account.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        job!(self, Sessions::Unchanged, |db| accounts::list(db))
    }

    /// Adds `amount` credits (may be negative, never below zero).
    pub async fn add_credits(&self, name: String, amount: i64) -> Result<Account, StoreError> {
        job!(self, Sessions::Unchanged, |db, name, amount| {
            accounts::add_credits(db, name, *amount)
        })
    }

    /// Suspends or reinstates an account.
    pub async fn set_suspended(
        &self,
        name: String,
        suspended: bool,
    ) -> Result<Account, StoreError> {
        job!(self, Sessions::MayChange, |db, name, suspended| {
            accounts::set_suspended(db, name, *suspended)
        })
    }

    /// Stores the hash of a new API key for an account; returns the key id.
    pub async fn insert_api_key(
        &self,
        account: String,
        key_hash: Vec<u8>,
        now: i64,
    ) -> Result<i64, StoreError> {
        job!(self, Sessions::Unchanged, |db, account, key_hash, now| {
            accounts::insert_api_key(db, account, key_hash, *now)
        })
    }

    /// The API keys of an account (never the keys themselves), oldest first.
    pub async fn list_api_keys(&self, account: String) -> Result<Vec<ApiKeyInfo>, StoreError> {
        job!(self, Sessions::Unchanged, |db, account| {
            accounts::list_api_keys(db, account)
        })
    }

    /// Revokes an API key by id.
    pub async fn revoke_api_key(&self, id: i64) -> Result<(), StoreError> {
        job!(
            self,
            Sessions::Unchanged,
            |db, id| accounts::revoke_api_key(db, *id)
        )
    }

    /// Revokes an API key by hash.
    pub async fn revoke_api_key_by_hash(&self, key_hash: Vec<u8>) -> Result<(), StoreError> {
        job!(self, Sessions::Unchanged, |db, key_hash| {
            accounts::revoke_api_key_by_hash(db, key_hash)
        })
    }

    /// The account id of a live (not revoked) API key.
    pub async fn authenticate(&self, key_hash: Vec<u8>) -> Result<i64, StoreError> {
        job!(self, Sessions::Unchanged, |db, key_hash| {
            accounts::authenticate(db, key_hash)
        })
    }

    // ----- apps and access rules -----

    /// Creates an app.
    pub async fn create_app(
        &self,
        account_id: i64,
        app: NewApp,
        public_id: String,
        secret: String,
        now: i64,
    ) -> Result<CreatedApp, StoreError> {
        job!(
            self,
            Sessions::Unchanged,
            |db, account_id, app, public_id, secret, now| {
                apps::create(db, *account_id, app, public_id, secret, *now)
            }
        )
    }

    /// The apps of an account (`now`: the day of their `credits_used_today`).
    pub async fn list_apps(&self, account_id: i64, now: i64) -> Result<Vec<App>, StoreError> {
        job!(self, Sessions::Unchanged, |db, account_id, now| {
            apps::list(db, *account_id, *now)
        })
    }

    /// One app of an account (`now`: the day of its `credits_used_today`).
    pub async fn app(&self, account_id: i64, app_id: String, now: i64) -> Result<App, StoreError> {
        job!(self, Sessions::Unchanged, |db, account_id, app_id, now| {
            apps::get(db, *account_id, app_id, *now)
        })
    }

    /// Updates an app (`now`: the creation time of a first signing key, and the day of its
    /// `credits_used_today`).
    pub async fn update_app(
        &self,
        account_id: i64,
        app_id: String,
        patch: AppPatch,
        now: i64,
    ) -> Result<App, StoreError> {
        job!(
            self,
            Sessions::MayChange,
            |db, account_id, app_id, patch, now| {
                apps::update(db, *account_id, app_id, patch, *now)
            }
        )
    }

    /// Adds a staged signing key to an ed25519 app (not signing until a rotation).
    pub async fn stage_signing_key(
        &self,
        account_id: i64,
        app_id: String,
        key: NewSigningKey,
        now: i64,
    ) -> Result<App, StoreError> {
        job!(
            self,
            Sessions::Unchanged,
            |db, account_id, app_id, key, now| {
                signing_keys::stage(db, *account_id, app_id, key, *now)
            }
        )
    }

    /// Activates the newest staged signing key of an ed25519 app, or `key` when none is
    /// staged, keeping the old ones.
    pub async fn rotate_signing_key(
        &self,
        account_id: i64,
        app_id: String,
        key: NewSigningKey,
        now: i64,
    ) -> Result<App, StoreError> {
        job!(
            self,
            Sessions::MayChange,
            |db, account_id, app_id, key, now| {
                signing_keys::rotate(db, *account_id, app_id, key, *now)
            }
        )
    }

    /// Deletes a signing key that is not active.
    pub async fn delete_signing_key(
        &self,
        account_id: i64,
        app_id: String,
        key_id: String,
    ) -> Result<(), StoreError> {
        job!(
            self,
            Sessions::MayChange,
            |db, account_id, app_id, key_id| {
                signing_keys::delete(db, *account_id, app_id, key_id)
            }
        )
    }

    /// Adds an allow or deny entry.
    pub async fn add_access_rule(
        &self,
        account_id: i64,
        app_id: String,
        list: ListKind,
        kind: RuleKind,
        value: String,
        now: i64,
    ) -> Result<AccessRule, StoreError> {
        job!(
            self,
            Sessions::Unchanged,
            |db, account_id, app_id, list, kind, value, now| {
                apps::add_rule(db, *account_id, app_id, *list, *kind, value, *now)
            }
        )
    }

    /// The allow and deny entries of an app.
    pub async fn list_access_rules(
        &self,
        account_id: i64,
        app_id: String,
    ) -> Result<Vec<AccessRule>, StoreError> {
        job!(self, Sessions::Unchanged, |db, account_id, app_id| {
            apps::list_rules(db, *account_id, app_id)
        })
    }

    /// Deletes an allow or deny entry.
    pub async fn delete_access_rule(
        &self,
        account_id: i64,
        app_id: String,
        rule_id: i64,
    ) -> Result<(), StoreError> {
        job!(
            self,
            Sessions::Unchanged,
            |db, account_id, app_id, rule_id| {
                apps::delete_rule(db, *account_id, app_id, *rule_id)
            }
        )
    }

    // ----- licenses -----

    /// Creates one license per key in `keys`, charging one credit each, atomically:
    /// [`StoreError::NoCredits`] changes nothing.
    pub async fn create_licenses(
        &self,
        account_id: i64,
        app_id: String,
        spec: NewLicenses,
        keys: Vec<String>,
        now: i64,
    ) -> Result<Vec<License>, StoreError> {
        job!(
            self,
            Sessions::Unchanged,
            |db, account_id, app_id, spec, keys, now| {
                licenses::create(db, *account_id, app_id, spec, keys, *now)
            }
        )
    }

    /// A page of an app's licenses after `cursor`.
    pub async fn list_licenses(
        &self,
        account_id: i64,
        app_id: String,
        after: i64,
        limit: u32,
    ) -> Result<LicensePage, StoreError> {
        job!(
            self,
            Sessions::Unchanged,
            |db, account_id, app_id, after, limit| {
                licenses::list(db, *account_id, app_id, *after, *limit)
            }
        )
        .map(|mut page| {
            page.licenses = page
                .licenses
                .into_iter()
                .map(|l| self.with_unwritten(l))
                .collect();
            page
        })
    }

    /// One license.
    pub async fn license(&self, account_id: i64, key: String) -> Result<License, StoreError> {
        job!(self, Sessions::Unchanged, |db, account_id, key| {
            licenses::get(db, *account_id, key)
        })
        .map(|license| self.with_unwritten(license))
    }

    /// Revokes a license.
    pub async fn revoke_license(
        &self,
        account_id: i64,
        key: String,
    ) -> Result<License, StoreError> {
        job!(self, Sessions::MayChange, |db, account_id, key| {
            licenses::revoke(db, *account_id, key)
        })
        .map(|license| self.with_unwritten(license))
    }

    /// Unbinds every HWID of a license.
    pub async fn reset_hwids(&self, account_id: i64, key: String) -> Result<License, StoreError> {
        job!(self, Sessions::MayChange, |db, account_id, key| {
            licenses::reset_hwids(db, *account_id, key)
        })
        .map(|license| self.with_unwritten(license))
    }

    /// Extends a license.
    pub async fn extend_license(
        &self,
        account_id: i64,
        key: String,
        extension: Extension,
        now: i64,
    ) -> Result<License, StoreError> {
        job!(
            self,
            Sessions::MayChange,
            |db, account_id, key, extension, now| {
                licenses::extend(db, *account_id, key, *extension, *now)
            }
        )
        .map(|license| self.with_unwritten(license))
    }

    // ----- webhooks -----

    /// Registers a webhook.
    pub async fn create_webhook(
        &self,
        account_id: i64,
        url: String,
        events: Vec<String>,
        now: i64,
    ) -> Result<Webhook, StoreError> {
        job!(
            self,
            Sessions::Unchanged,
            |db, account_id, url, events, now| {
                webhooks::create(db, *account_id, url, events, *now)
            }
        )
    }

    /// The webhooks of an account.
    pub async fn list_webhooks(&self, account_id: i64) -> Result<Vec<Webhook>, StoreError> {
        job!(self, Sessions::Unchanged, |db, account_id| {
            webhooks::list(db, *account_id)
        })
    }

    /// Deletes a webhook of the account ([`StoreError::NotFound`] for another account's).
    pub async fn delete_webhook(&self, account_id: i64, id: i64) -> Result<(), StoreError> {
        job!(self, Sessions::Unchanged, |db, account_id, id| {
            webhooks::delete(db, *account_id, *id)
        })
    }

    // ----- public auth -----

    /// Runs the checks of `/auth/validate` and, on success, binds the HWID and charges one
    /// credit in the same transaction.
    pub async fn validate(
        &self,
        input: ValidateInput,
        now: i64,
    ) -> Result<ValidateOutcome, StoreError> {
        // One app's validates charge one account: on PostgreSQL they take turns.
        job!(
            self,
            Sessions::Unchanged,
            in_turn(input.app_id),
            |db, input, now| auth::validate(db, input, *now)
        )
    }

    /// Forgets the validate nonces older than the replay window at `now`.
    pub async fn forget_old_nonces(&self, now: i64) -> Result<usize, StoreError> {
        let before = now.saturating_sub(auth::REPLAY_WINDOW_SECS);
        job!(self, Sessions::Unchanged, |db, before| auth::forget_nonces(
            db, *before
        ))
    }

    // ----- the Developer API rate limit -----

    /// One Developer API request of the API key whose hash is `key_hash`, at `now_micros`
    /// on the server clock, against `limit`: decided by the database where instances share
    /// it (PostgreSQL, `store::rate_limits`); `None` on SQLite, one process, where the
    /// caller's in-process limiter decides.
    pub async fn api_rate_limit(
        &self,
        key_hash: &[u8],
        limit: crate::RateLimitConfig,
        now_micros: i64,
    ) -> Result<Option<crate::ratelimit::Decision>, StoreError> {
        let Backend::Postgres(pg) = &self.backend else {
            return Ok(None);
        };
        let gcra = limit.gcra();
        pg.run_autocommit((key_hash, now_micros), move |db, (key_hash, now)| {
            Box::pin(rate_limits::take(db, key_hash, gcra, *now))
        })
        .await
        .map(Some)
    }

    /// Forgets the shared rate-limit state of API keys idle long enough to be as good as
    /// new at `now_micros` (nothing to do on SQLite); how many.
    pub async fn forget_spent_rate_limits(&self, now_micros: i64) -> Result<u64, StoreError> {
        let Backend::Postgres(pg) = &self.backend else {
            return Ok(0);
        };
        pg.run_autocommit(now_micros, |db, now| {
            Box::pin(rate_limits::forget_spent(db, *now))
        })
        .await
    }

    /// Runs the checks of `/auth/selfban`, then revokes and deny-lists as asked, in one
    /// transaction; nothing is charged. A revoke ends the cached sessions at once, as the
    /// Developer API's does.
    pub async fn selfban(
        &self,
        input: SelfBanInput,
        now: i64,
    ) -> Result<SelfBanOutcome, StoreError> {
        let sessions = if input.flags.revoke_license {
            Sessions::MayChange
        } else {
            Sessions::Unchanged
        };
        job!(self, sessions, |db, input, now| selfban::selfban(
            db, input, *now
        ))
    }

    /// Runs the checks of `/auth/heartbeat` and counts the heartbeat, charging one credit
    /// at every 10th heartbeat of the license.
    pub async fn heartbeat(
        &self,
        input: &HeartbeatInput,
        now: i64,
    ) -> Result<HeartbeatOutcome, StoreError> {
        let (worker, sessions) = match &self.backend {
            Backend::Sqlite { worker, sessions } => (worker, sessions),
            // Every beat in the database: the session cache counts one process's beats
            // only, and SERIALIZABLE makes each read-count-write exact across instances.
            Backend::Postgres(pg) => {
                // One license's beats update one row: they take turns.
                return pg
                    .run_in_turn(Some(&input.license_key), input, |db, input| {
                        Box::pin(auth::heartbeat(db, input, now, 0))
                    })
                    .await
                    .map(|beat| beat.outcome);
            }
        };
        let ticket = match sessions.begin(input, now).await {
            Beat::Answered(grant) => {
                crate::metrics::session_cache(true);
                return Ok(Ok(grant));
            }
            Beat::ToDatabase(ticket) => ticket,
        };
        crate::metrics::session_cache(false);
        let flushed = ticket.flushed();
        let job = input.clone();
        let input = input.clone();
        let sessions = sessions.clone();
        let result = worker
            .call_then(
                Sessions::Unchanged,
                move |c| run_ready(auth::heartbeat(&Sqlite(c), &job, now, flushed)),
                move |result| sessions.finish(&input, ticket, result),
            )
            .await;
        result.map(|beat| beat.outcome)
    }
}

/// Parses a stored JSON object (variables).
fn json_object(text: &str) -> Result<Map<String, Value>, StoreError> {
    serde_json::from_str(text).map_err(|err| StoreError::Backend(format!("bad stored JSON: {err}")))
}

/// Serializes variables for storage.
fn json_text(map: &Map<String, Value>) -> Result<String, StoreError> {
    serde_json::to_string(map).map_err(|err| StoreError::Backend(format!("JSON encoding: {err}")))
}

/// Whether an error is a UNIQUE constraint violation.
fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}
