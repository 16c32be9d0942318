//! Administration that the API cannot do (accounts, API keys, credits, suspension), shared
//! by the `keyward-server admin` CLI and by tests ([`crate::TestServer::admin`]), plus a
//! few conveniences (apps, licenses) for seeding tests.

use std::fmt;
use std::path::PathBuf;

use crate::clock::Clock;
use crate::secret::{self, API_KEY_PREFIX};
use crate::store::{
    Account, ApiKeyInfo, App, AppPatch, CreatedApp, Database, License, NewApp, NewLicenses, Store,
    StoreError,
};

/// Why an admin operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No account of that name.
    #[error("no account named {0:?}")]
    AccountNotFound(String),
    /// The account name is taken.
    #[error("an account named {0:?} already exists")]
    AccountExists(String),
    /// No such API key.
    #[error("no such API key")]
    ApiKeyNotFound,
    /// No such app (or not the account's).
    #[error("no such app for this account")]
    AppNotFound,
    /// Not enough credits (or a negative balance would result).
    #[error("not enough credits")]
    InsufficientCredits,
    /// Adding the credits would exceed the largest balance (`i64::MAX`).
    #[error(
        "the balance would exceed the largest number of credits ({})",
        i64::MAX
    )]
    CreditOverflow,
    /// No database at the path (and creating one was not asked for).
    #[error(
        "no database at {}: check the path, or give --create to create a new database",
        .0.display()
    )]
    NoDatabase(PathBuf),
    /// A bad argument.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The database failed.
    #[error("storage failed: {0}")]
    Storage(StoreError),
    /// The OS random number generator failed.
    #[error("the OS random number generator failed")]
    Random,
}

impl AdminError {
    /// The process exit code of the admin CLI for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::InvalidArgument(_) => 2,
            Self::AccountNotFound(_) | Self::ApiKeyNotFound | Self::AppNotFound => 3,
            Self::AccountExists(_) => 4,
            Self::InsufficientCredits => 5,
            Self::NoDatabase(_) => 6,
            Self::CreditOverflow => 7,
            Self::Storage(_) | Self::Random => 1,
        }
    }
}

fn account_error(name: &str) -> impl FnOnce(StoreError) -> AdminError + '_ {
    move |err| match err {
        StoreError::NotFound => AdminError::AccountNotFound(name.to_owned()),
        StoreError::Conflict(_) => AdminError::AccountExists(name.to_owned()),
        StoreError::NoCredits => AdminError::InsufficientCredits,
        StoreError::Overflow => AdminError::CreditOverflow,
        other => AdminError::Storage(other),
    }
}

fn app_error(err: StoreError) -> AdminError {
    match err {
        StoreError::NotFound | StoreError::Forbidden => AdminError::AppNotFound,
        StoreError::NoCredits => AdminError::InsufficientCredits,
        other => AdminError::Storage(other),
    }
}

/// A freshly issued API key: the key is shown once and only its hash is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedApiKey {
    /// Key id (for `revoke-api-key`).
    pub id: i64,
    /// The key (`kw_...`). Secret.
    pub key: String,
}

impl fmt::Debug for IssuedApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedApiKey")
            .field("id", &self.id)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Connections of the admin CLI to PostgreSQL: it runs one operation at a time.
const ADMIN_POSTGRES_CONNECTIONS: usize = 2;

/// Administrative access to a store.
#[derive(Debug, Clone)]
pub struct Admin {
    store: Store,
    clock: Clock,
}

impl Admin {
    /// Admin over an open store.
    pub fn new(store: Store, clock: Clock) -> Self {
        Self { store, clock }
    }

    /// Opens (creating a SQLite file, and migrating, if needed) `database`.
    pub async fn open(database: &Database) -> Result<Self, AdminError> {
        let store = Store::open(database, ADMIN_POSTGRES_CONNECTIONS)
            .await
            .map_err(AdminError::Storage)?;
        Ok(Self::new(store, Clock::system()))
    }

    /// Opens (migrating if needed) `database`, which must exist:
    /// [`AdminError::NoDatabase`] for a missing SQLite file, and nothing is created (a
    /// PostgreSQL database is never created).
    pub async fn open_existing(database: &Database) -> Result<Self, AdminError> {
        if let Database::Sqlite(path) = database
            && !path.exists()
        {
            return Err(AdminError::NoDatabase(path.clone()));
        }
        Self::open(database).await
    }

    /// The underlying store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Creates an account (no credits, not suspended).
    pub async fn create_account(&self, name: &str) -> Result<Account, AdminError> {
        let trimmed = name.trim();
        if trimmed.is_empty() || trimmed.len() > 100 || trimmed.chars().any(char::is_control) {
            return Err(AdminError::InvalidArgument(
                "account names are 1 to 100 printable characters".to_owned(),
            ));
        }
        self.store
            .create_account(trimmed.to_owned(), self.clock.now_unix())
            .await
            .map_err(account_error(trimmed))
    }

    /// An account by name.
    pub async fn account(&self, name: &str) -> Result<Account, AdminError> {
        self.store
            .account_by_name(name.to_owned())
            .await
            .map_err(account_error(name))
    }

    /// Every account.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, AdminError> {
        self.store
            .list_accounts()
            .await
            .map_err(AdminError::Storage)
    }

    /// Issues an API key for an account.
    pub async fn issue_api_key(&self, account: &str) -> Result<IssuedApiKey, AdminError> {
        let key = secret::new_api_key().map_err(|_| AdminError::Random)?;
        let id = self
            .store
            .insert_api_key(
                account.to_owned(),
                secret::hash_api_key(&key),
                self.clock.now_unix(),
            )
            .await
            .map_err(account_error(account))?;
        Ok(IssuedApiKey { id, key })
    }

    /// The API keys of an account (ids and states, never the keys).
    pub async fn list_api_keys(&self, account: &str) -> Result<Vec<ApiKeyInfo>, AdminError> {
        self.store
            .list_api_keys(account.to_owned())
            .await
            .map_err(account_error(account))
    }

    /// Revokes an API key given by id or by the key itself (`kw_...`).
    pub async fn revoke_api_key(&self, key_or_id: &str) -> Result<(), AdminError> {
        let result = if key_or_id.starts_with(API_KEY_PREFIX) {
            self.store
                .revoke_api_key_by_hash(secret::hash_api_key(key_or_id))
                .await
        } else {
            let id = key_or_id.parse::<i64>().map_err(|_| {
                AdminError::InvalidArgument("give a key id or the key itself".to_owned())
            })?;
            self.store.revoke_api_key(id).await
        };
        result.map_err(|err| match err {
            StoreError::NotFound => AdminError::ApiKeyNotFound,
            other => AdminError::Storage(other),
        })
    }

    /// Adds credits (a negative amount removes them, never below zero).
    pub async fn add_credits(&self, account: &str, amount: i64) -> Result<Account, AdminError> {
        self.store
            .add_credits(account.to_owned(), amount)
            .await
            .map_err(account_error(account))
    }

    /// Suspends an account: its apps answer `app_disabled`.
    pub async fn suspend(&self, account: &str) -> Result<Account, AdminError> {
        self.store
            .set_suspended(account.to_owned(), true)
            .await
            .map_err(account_error(account))
    }

    /// Lifts a suspension.
    pub async fn reinstate(&self, account: &str) -> Result<Account, AdminError> {
        self.store
            .set_suspended(account.to_owned(), false)
            .await
            .map_err(account_error(account))
    }

    /// Creates an app for an account (as `POST /v1/apps` does).
    pub async fn create_app(&self, account: &str, app: NewApp) -> Result<CreatedApp, AdminError> {
        if !(1..=16).contains(&app.hwid_slots) {
            return Err(AdminError::InvalidArgument(
                "hwid slots are 1 to 16".to_owned(),
            ));
        }
        let owner = self.account(account).await?;
        let public_id = secret::new_app_id().map_err(|_| AdminError::Random)?;
        let app_secret = secret::new_app_secret().map_err(|_| AdminError::Random)?;
        self.store
            .create_app(owner.id, app, public_id, app_secret, self.clock.now_unix())
            .await
            .map_err(app_error)
    }

    /// Updates an app of an account (as `PATCH /v1/apps/{appId}` does).
    pub async fn update_app(
        &self,
        account: &str,
        app_id: &str,
        patch: AppPatch,
    ) -> Result<App, AdminError> {
        let owner = self.account(account).await?;
        self.store
            .update_app(owner.id, app_id.to_owned(), patch, self.clock.now_unix())
            .await
            .map_err(app_error)
    }

    /// Creates `count` licenses (one credit each, as the API does).
    pub async fn create_licenses(
        &self,
        account: &str,
        app_id: &str,
        count: usize,
        spec: NewLicenses,
    ) -> Result<Vec<License>, AdminError> {
        let owner = self.account(account).await?;
        let keys = (0..count)
            .map(|_| secret::new_license_key())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| AdminError::Random)?;
        self.store
            .create_licenses(
                owner.id,
                app_id.to_owned(),
                spec,
                keys,
                self.clock.now_unix(),
            )
            .await
            .map_err(app_error)
    }
}
