//! SQL of accounts, API keys and settings, once for both backends ([`Sql`]).

use super::sql::{FromRow, Param, Row, Sql};
use super::{Account, ApiKeyInfo, StoreError};

const SERVER_SECRET: &str = "server_secret";

/// The columns [`Account`] is read from, in its order.
macro_rules! account_columns {
    () => {
        "id, name, credits, suspended, created_at"
    };
}

impl FromRow for Account {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(Account {
            id: row.get(0)?,
            name: row.get(1)?,
            credits: row.get(2)?,
            suspended: row.get(3)?,
            created_at: row.get(4)?,
        })
    }
}

impl FromRow for ApiKeyInfo {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(ApiKeyInfo {
            id: row.get(0)?,
            account_id: row.get(1)?,
            revoked: row.get(2)?,
            created_at: row.get(3)?,
        })
    }
}

pub(super) async fn server_secret<D: Sql>(db: &D, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
        &[&SERVER_SECRET, &candidate],
    )
    .await?;
    db.query_opt(
        "SELECT value FROM settings WHERE key = ?1",
        &[&SERVER_SECRET],
    )
    .await?
    .ok_or_else(|| StoreError::Backend("the server secret was not stored".to_owned()))
}

pub(super) async fn create<D: Sql>(db: &D, name: &str, now: i64) -> Result<Account, StoreError> {
    // A taken name returns no row (rather than failing, which would abort a PostgreSQL
    // transaction).
    db.query_opt(
        concat!(
            "INSERT INTO accounts (name, created_at) VALUES (?1, ?2) ",
            "ON CONFLICT (name) DO NOTHING RETURNING ",
            account_columns!()
        ),
        &[&name, &now],
    )
    .await?
    .ok_or_else(|| StoreError::Conflict(format!("an account named {name:?} already exists")))
}

pub(super) async fn by_id<D: Sql>(db: &D, id: i64) -> Result<Account, StoreError> {
    db.query_opt(
        concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id = ?1"
        ),
        &[&id],
    )
    .await?
    .ok_or(StoreError::NotFound)
}

pub(super) async fn by_name<D: Sql>(db: &D, name: &str) -> Result<Account, StoreError> {
    db.query_opt(
        concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE name = ?1"
        ),
        &[&name],
    )
    .await?
    .ok_or(StoreError::NotFound)
}

pub(super) async fn list<D: Sql>(db: &D) -> Result<Vec<Account>, StoreError> {
    db.query_all(
        concat!("SELECT ", account_columns!(), " FROM accounts ORDER BY id"),
        &[],
    )
    .await
}

pub(super) async fn add_credits<D: Sql>(
    db: &D,
    name: &str,
    amount: i64,
) -> Result<Account, StoreError> {
    let found = by_name(db, name).await?;
    let credits = found
        .credits
        .checked_add(amount)
        .ok_or(StoreError::Overflow)?;
    if credits < 0 {
        return Err(StoreError::NoCredits);
    }
    updated(
        db,
        concat!(
            "UPDATE accounts SET credits = ?1 WHERE id = ?2 RETURNING ",
            account_columns!()
        ),
        &credits,
        found.id,
    )
    .await
}

pub(super) async fn set_suspended<D: Sql>(
    db: &D,
    name: &str,
    suspended: bool,
) -> Result<Account, StoreError> {
    let found = by_name(db, name).await?;
    updated(
        db,
        concat!(
            "UPDATE accounts SET suspended = ?1 WHERE id = ?2 RETURNING ",
            account_columns!()
        ),
        &suspended,
        found.id,
    )
    .await
}

/// Runs `update` (`?1`: `value`, `?2`: the account id, `RETURNING` the account's
/// columns); the account as changed.
async fn updated<D: Sql>(
    db: &D,
    update: &str,
    value: &dyn Param,
    id: i64,
) -> Result<Account, StoreError> {
    db.query_opt(update, &[value, &id])
        .await?
        .ok_or(StoreError::NotFound)
}

pub(super) async fn insert_api_key<D: Sql>(
    db: &D,
    account_name: &str,
    key_hash: &[u8],
    now: i64,
) -> Result<i64, StoreError> {
    let owner = by_name(db, account_name).await?;
    db.query_opt(
        "INSERT INTO api_keys (account_id, key_hash, created_at) VALUES (?1, ?2, ?3) \
         RETURNING id",
        &[&owner.id, &key_hash, &now],
    )
    .await?
    .ok_or_else(|| StoreError::Backend("the API key insert returned no id".to_owned()))
}

pub(super) async fn list_api_keys<D: Sql>(
    db: &D,
    account_name: &str,
) -> Result<Vec<ApiKeyInfo>, StoreError> {
    let owner = by_name(db, account_name).await?;
    db.query_all(
        "SELECT id, account_id, revoked, created_at FROM api_keys WHERE account_id = ?1 \
         ORDER BY id",
        &[&owner.id],
    )
    .await
}

/// [`StoreError::NotFound`] when a revoke matched no key.
fn revoked(changed: u64) -> Result<(), StoreError> {
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) async fn revoke_api_key<D: Sql>(db: &D, id: i64) -> Result<(), StoreError> {
    revoked(
        db.execute("UPDATE api_keys SET revoked = TRUE WHERE id = ?1", &[&id])
            .await?,
    )
}

pub(super) async fn revoke_api_key_by_hash<D: Sql>(
    db: &D,
    key_hash: &[u8],
) -> Result<(), StoreError> {
    revoked(
        db.execute(
            "UPDATE api_keys SET revoked = TRUE WHERE key_hash = ?1",
            &[&key_hash],
        )
        .await?,
    )
}

pub(super) async fn authenticate<D: Sql>(db: &D, key_hash: &[u8]) -> Result<i64, StoreError> {
    db.query_opt(
        "SELECT account_id FROM api_keys WHERE key_hash = ?1 AND revoked = FALSE",
        &[&key_hash],
    )
    .await?
    .ok_or(StoreError::NotFound)
}
