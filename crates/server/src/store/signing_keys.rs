//! SQL of apps' signing mode and Ed25519 keys (`app_signing_keys`), once for both backends
//! ([`Sql`]). Only public keys and sealed private keys are stored; sealing and opening is
//! `crate::signing_keys`'s job.
//!
//! At most one key of an app is active (a unique index over `active` keys), so every
//! change retires the active key before it activates another.

use keyward_protocol::ed25519::encode_public_key;

use super::apps::{by_internal_id, owned_by};
use super::sql::{FromRow, Row, Sql};
use super::{App, NewSigningKey, Signing, SigningKeyInfo, SigningPatch, StoreError};

impl FromRow for SigningKeyInfo {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        let public_key: Vec<u8> = row.get(1)?;
        let public_key: [u8; 32] = public_key
            .try_into()
            .map_err(|_| StoreError::Backend("bad stored public key".to_owned()))?;
        Ok(SigningKeyInfo {
            key_id: row.get(0)?,
            public_key: encode_public_key(&public_key),
            active: row.get(2)?,
            created_at: row.get(3)?,
        })
    }
}

/// An app's keys, the active one first, then the others newest first.
pub(super) async fn list<D: Sql>(db: &D, app: i64) -> Result<Vec<SigningKeyInfo>, StoreError> {
    db.query_all(
        "SELECT key_id, public_key, active, created_at FROM app_signing_keys
         WHERE app_id = ?1 ORDER BY active DESC, id DESC",
        &[&app],
    )
    .await
}

/// Adds `key` to `app`: staged (not signing yet), or as its active key, retiring the
/// active one from signing first.
async fn insert<D: Sql>(
    db: &D,
    app: i64,
    key: &NewSigningKey,
    active: bool,
    now: i64,
) -> Result<(), StoreError> {
    if active {
        retire_active(db, app).await?;
    }
    db.execute(
        "INSERT INTO app_signing_keys
             (app_id, key_id, public_key, sealed, active, created_at, activated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            &app,
            &key.key_id,
            &key.public_key.as_slice(),
            &key.sealed,
            &active,
            &now,
            &active.then_some(now),
        ],
    )
    .await?;
    Ok(())
}

async fn retire_active<D: Sql>(db: &D, app: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE app_signing_keys SET active = FALSE WHERE app_id = ?1 AND active",
        &[&app],
    )
    .await?;
    Ok(())
}

/// The owned app's internal id, which must sign with Ed25519.
async fn ed25519_app<D: Sql>(db: &D, account_id: i64, public_id: &str) -> Result<i64, StoreError> {
    let app = owned_by(db, account_id, public_id).await?;
    if signing_of(db, app).await? != Signing::Ed25519 {
        return Err(StoreError::Conflict(
            "the app signs with hmac and has no signing keys: set \"signing\": \"ed25519\" first"
                .to_owned(),
        ));
    }
    Ok(app)
}

async fn signing_of<D: Sql>(db: &D, app: i64) -> Result<Signing, StoreError> {
    let text: String = db
        .query_opt("SELECT signing FROM apps WHERE id = ?1", &[&app])
        .await?
        .ok_or(StoreError::NotFound)?;
    Signing::parse(&text).ok_or_else(|| StoreError::Backend("bad stored signing mode".to_owned()))
}

/// Sets the signing mode of `app`; an app switched to Ed25519 without keys gets the
/// patch's key as its first.
pub(super) async fn set_signing<D: Sql>(
    db: &D,
    app: i64,
    patch: &SigningPatch,
    now: i64,
) -> Result<(), StoreError> {
    let signing = match patch {
        SigningPatch::Hmac => Signing::Hmac,
        SigningPatch::Ed25519(first) => {
            let active: Option<i64> = db
                .query_opt(
                    "SELECT id FROM app_signing_keys WHERE app_id = ?1 AND active",
                    &[&app],
                )
                .await?;
            if active.is_none() {
                insert(db, app, first, true, now).await?;
            }
            Signing::Ed25519
        }
    };
    db.execute(
        "UPDATE apps SET signing = ?1 WHERE id = ?2",
        &[&signing.as_str(), &app],
    )
    .await?;
    Ok(())
}

/// Adds a staged key: listed, trusted by builds that ship it, signing only once a
/// rotation activates it.
pub(super) async fn stage<D: Sql>(
    db: &D,
    account_id: i64,
    public_id: &str,
    key: &NewSigningKey,
    now: i64,
) -> Result<App, StoreError> {
    let app = ed25519_app(db, account_id, public_id).await?;
    insert(db, app, key, false, now).await?;
    by_internal_id(db, app, now).await
}

/// Activates the newest staged key, or `key` when none is staged; the active key is kept,
/// retired from signing.
pub(super) async fn rotate<D: Sql>(
    db: &D,
    account_id: i64,
    public_id: &str,
    key: &NewSigningKey,
    now: i64,
) -> Result<App, StoreError> {
    let app = ed25519_app(db, account_id, public_id).await?;
    let staged: Option<i64> = db
        .query_opt(
            "SELECT id FROM app_signing_keys
             WHERE app_id = ?1 AND NOT active AND activated_at IS NULL
             ORDER BY id DESC LIMIT 1",
            &[&app],
        )
        .await?;
    match staged {
        Some(id) => {
            // Retire before activating: the unique index of active keys is checked at
            // each statement, on both backends.
            retire_active(db, app).await?;
            db.execute(
                "UPDATE app_signing_keys SET active = TRUE, activated_at = ?2 WHERE id = ?1",
                &[&id, &now],
            )
            .await?;
        }
        None => insert(db, app, key, true, now).await?,
    }
    by_internal_id(db, app, now).await
}

pub(super) async fn delete<D: Sql>(
    db: &D,
    account_id: i64,
    public_id: &str,
    key_id: &str,
) -> Result<(), StoreError> {
    let app = owned_by(db, account_id, public_id).await?;
    let active: Option<bool> = db
        .query_opt(
            "SELECT active FROM app_signing_keys WHERE app_id = ?1 AND key_id = ?2",
            &[&app, &key_id],
        )
        .await?;
    match active {
        None => Err(StoreError::NotFound),
        Some(true) => Err(StoreError::Conflict(
            "the active signing key cannot be deleted: rotate to a new key first".to_owned(),
        )),
        Some(false) => {
            db.execute(
                "DELETE FROM app_signing_keys WHERE app_id = ?1 AND key_id = ?2",
                &[&app, &key_id],
            )
            .await?;
            Ok(())
        }
    }
}
