//! SQL of accounts, API keys and settings.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Account, ApiKeyInfo, StoreError, is_unique_violation};

const SERVER_SECRET: &str = "server_secret";
const COLUMNS: &str = "id, name, credits, suspended, created_at";

fn account(row: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: row.get(0)?,
        name: row.get(1)?,
        credits: row.get(2)?,
        suspended: row.get(3)?,
        created_at: row.get(4)?,
    })
}

pub(super) fn server_secret(c: &Connection, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
    c.prepare_cached("INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)")?
        .execute(params![SERVER_SECRET, candidate])?;
    Ok(
        c.prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([SERVER_SECRET], |row| row.get(0))?,
    )
}

pub(super) fn create(c: &Connection, name: &str, now: i64) -> Result<Account, StoreError> {
    match c
        .prepare_cached("INSERT INTO accounts (name, created_at) VALUES (?1, ?2)")?
        .execute(params![name, now])
    {
        Ok(_) => by_id(c, c.last_insert_rowid()),
        Err(err) if is_unique_violation(&err) => Err(StoreError::Conflict(format!(
            "an account named {name:?} already exists"
        ))),
        Err(err) => Err(err.into()),
    }
}

pub(super) fn by_id(c: &Connection, id: i64) -> Result<Account, StoreError> {
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM accounts WHERE id = ?1"))?
        .query_row([id], account)
        .optional()?
        .ok_or(StoreError::NotFound)
}

pub(super) fn by_name(c: &Connection, name: &str) -> Result<Account, StoreError> {
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM accounts WHERE name = ?1"))?
        .query_row([name], account)
        .optional()?
        .ok_or(StoreError::NotFound)
}

pub(super) fn list(c: &Connection) -> Result<Vec<Account>, StoreError> {
    let mut stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM accounts ORDER BY id"))?;
    let rows = stmt.query_map([], account)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn add_credits(c: &Connection, name: &str, amount: i64) -> Result<Account, StoreError> {
    let found = by_name(c, name)?;
    let credits = found
        .credits
        .checked_add(amount)
        .ok_or(StoreError::Overflow)?;
    if credits < 0 {
        return Err(StoreError::NoCredits);
    }
    c.prepare_cached("UPDATE accounts SET credits = ?1 WHERE id = ?2")?
        .execute(params![credits, found.id])?;
    by_id(c, found.id)
}

pub(super) fn set_suspended(
    c: &Connection,
    name: &str,
    suspended: bool,
) -> Result<Account, StoreError> {
    let found = by_name(c, name)?;
    c.prepare_cached("UPDATE accounts SET suspended = ?1 WHERE id = ?2")?
        .execute(params![suspended, found.id])?;
    by_id(c, found.id)
}

pub(super) fn insert_api_key(
    c: &Connection,
    account_name: &str,
    key_hash: &[u8],
    now: i64,
) -> Result<i64, StoreError> {
    let owner = by_name(c, account_name)?;
    c.prepare_cached(
        "INSERT INTO api_keys (account_id, key_hash, created_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![owner.id, key_hash, now])?;
    Ok(c.last_insert_rowid())
}

pub(super) fn list_api_keys(
    c: &Connection,
    account_name: &str,
) -> Result<Vec<ApiKeyInfo>, StoreError> {
    let owner = by_name(c, account_name)?;
    let mut stmt = c.prepare_cached(
        "SELECT id, revoked, created_at FROM api_keys WHERE account_id = ?1 ORDER BY id",
    )?;
    let keys = stmt.query_map([owner.id], |row| {
        Ok(ApiKeyInfo {
            id: row.get(0)?,
            account_id: owner.id,
            revoked: row.get(1)?,
            created_at: row.get(2)?,
        })
    })?;
    Ok(keys.collect::<Result<_, _>>()?)
}

pub(super) fn revoke_api_key(c: &Connection, id: i64) -> Result<(), StoreError> {
    let changed = c
        .prepare_cached("UPDATE api_keys SET revoked = 1 WHERE id = ?1")?
        .execute([id])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) fn revoke_api_key_by_hash(c: &Connection, key_hash: &[u8]) -> Result<(), StoreError> {
    let changed = c
        .prepare_cached("UPDATE api_keys SET revoked = 1 WHERE key_hash = ?1")?
        .execute([key_hash])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) fn authenticate(c: &Connection, key_hash: &[u8]) -> Result<i64, StoreError> {
    c.prepare_cached("SELECT account_id FROM api_keys WHERE key_hash = ?1 AND revoked = 0")?
        .query_row([key_hash], |row| row.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)
}
