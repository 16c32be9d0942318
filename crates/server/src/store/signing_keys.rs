//! SQL of apps' signing mode and Ed25519 keys (`app_signing_keys`). Only public keys and
//! sealed private keys are stored; sealing and opening is `crate::signing_keys`'s job.

use keyward_protocol::ed25519::encode_public_key;
use rusqlite::{Connection, OptionalExtension, params};

use super::apps::{by_internal_id, owned};
use super::{App, NewSigningKey, Signing, SigningKeyInfo, SigningPatch, StoreError};

/// An app's keys, the active one first, then the others newest first.
pub(super) fn list(c: &Connection, app: i64) -> Result<Vec<SigningKeyInfo>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT key_id, public_key, active, created_at FROM app_signing_keys
         WHERE app_id = ?1 ORDER BY active DESC, id DESC",
    )?;
    let rows = stmt.query_map([app], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, Vec<u8>>(1)?,
            row.get::<_, bool>(2)?,
            row.get::<_, i64>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (key_id, public_key, active, created_at) = row?;
        let public_key: [u8; 32] = public_key
            .try_into()
            .map_err(|_| StoreError::Backend("bad stored public key".to_owned()))?;
        Ok(SigningKeyInfo {
            key_id,
            public_key: encode_public_key(&public_key),
            active,
            created_at,
        })
    })
    .collect()
}

/// Adds `key` to `app`: staged (not signing yet), or as its active key, retiring the
/// active one from signing.
fn insert(
    c: &Connection,
    app: i64,
    key: &NewSigningKey,
    active: bool,
    now: i64,
) -> Result<(), StoreError> {
    if active {
        retire_active(c, app)?;
    }
    c.prepare_cached(
        "INSERT INTO app_signing_keys
             (app_id, key_id, public_key, sealed, active, created_at, activated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?5 THEN ?6 END)",
    )?
    .execute(params![
        app,
        key.key_id,
        key.public_key,
        key.sealed,
        active,
        now
    ])?;
    Ok(())
}

fn retire_active(c: &Connection, app: i64) -> Result<(), StoreError> {
    c.prepare_cached("UPDATE app_signing_keys SET active = 0 WHERE app_id = ?1 AND active = 1")?
        .execute([app])?;
    Ok(())
}

/// The owned app's internal id, which must sign with Ed25519.
fn ed25519_app(c: &Connection, account_id: i64, public_id: &str) -> Result<i64, StoreError> {
    let app = owned(c, account_id, public_id)?;
    if signing_of(c, app)? != Signing::Ed25519 {
        return Err(StoreError::Conflict(
            "the app signs with hmac and has no signing keys: set \"signing\": \"ed25519\" first"
                .to_owned(),
        ));
    }
    Ok(app)
}

fn signing_of(c: &Connection, app: i64) -> Result<Signing, StoreError> {
    let text: String = c
        .prepare_cached("SELECT signing FROM apps WHERE id = ?1")?
        .query_row([app], |row| row.get(0))?;
    Signing::parse(&text).ok_or_else(|| StoreError::Backend("bad stored signing mode".to_owned()))
}

/// Sets the signing mode of `app`; an app switched to Ed25519 without keys gets the
/// patch's key as its first.
pub(super) fn set_signing(
    c: &Connection,
    app: i64,
    patch: &SigningPatch,
    now: i64,
) -> Result<(), StoreError> {
    let signing = match patch {
        SigningPatch::Hmac => Signing::Hmac,
        SigningPatch::Ed25519(first) => {
            let has_key: Option<i64> = c
                .prepare_cached("SELECT 1 FROM app_signing_keys WHERE app_id = ?1 AND active = 1")?
                .query_row([app], |row| row.get(0))
                .optional()?;
            if has_key.is_none() {
                insert(c, app, first, true, now)?;
            }
            Signing::Ed25519
        }
    };
    c.prepare_cached("UPDATE apps SET signing = ?1 WHERE id = ?2")?
        .execute(params![signing.as_str(), app])?;
    Ok(())
}

/// Adds a staged key: listed, trusted by builds that ship it, signing only once a
/// rotation activates it.
pub(super) fn stage(
    c: &Connection,
    account_id: i64,
    public_id: &str,
    key: &NewSigningKey,
    now: i64,
) -> Result<App, StoreError> {
    let app = ed25519_app(c, account_id, public_id)?;
    insert(c, app, key, false, now)?;
    by_internal_id(c, app, now)
}

/// Activates the newest staged key, or `key` when none is staged; the active key is kept,
/// retired from signing.
pub(super) fn rotate(
    c: &Connection,
    account_id: i64,
    public_id: &str,
    key: &NewSigningKey,
    now: i64,
) -> Result<App, StoreError> {
    let app = ed25519_app(c, account_id, public_id)?;
    let staged: Option<i64> = c
        .prepare_cached(
            "SELECT id FROM app_signing_keys
             WHERE app_id = ?1 AND active = 0 AND activated_at IS NULL
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([app], |row| row.get(0))
        .optional()?;
    match staged {
        Some(id) => {
            retire_active(c, app)?;
            c.prepare_cached(
                "UPDATE app_signing_keys SET active = 1, activated_at = ?2 WHERE id = ?1",
            )?
            .execute([id, now])?;
        }
        None => insert(c, app, key, true, now)?,
    }
    by_internal_id(c, app, now)
}

pub(super) fn delete(
    c: &Connection,
    account_id: i64,
    public_id: &str,
    key_id: &str,
) -> Result<(), StoreError> {
    let app = owned(c, account_id, public_id)?;
    let active: Option<bool> = c
        .prepare_cached("SELECT active FROM app_signing_keys WHERE app_id = ?1 AND key_id = ?2")?
        .query_row(params![app, key_id], |row| row.get(0))
        .optional()?;
    match active {
        None => Err(StoreError::NotFound),
        Some(true) => Err(StoreError::Conflict(
            "the active signing key cannot be deleted: rotate to a new key first".to_owned(),
        )),
        Some(false) => {
            c.prepare_cached("DELETE FROM app_signing_keys WHERE app_id = ?1 AND key_id = ?2")?
                .execute(params![app, key_id])?;
            Ok(())
        }
    }
}
