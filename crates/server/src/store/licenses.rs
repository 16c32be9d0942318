//! SQL of licenses and their bound HWIDs.

use rusqlite::{Connection, OptionalExtension, params};

use super::{
    Extension, License, LicensePage, NewLicenses, StoreError, apps, json_object, json_text,
};

/// The internal id of the license `key` if its app belongs to `account_id`.
fn owned(c: &Connection, account_id: i64, key: &str) -> Result<i64, StoreError> {
    let found: Option<(i64, i64)> = c
        .prepare_cached(
            "SELECT l.id, a.account_id FROM licenses l JOIN apps a ON a.id = l.app_id
             WHERE l.license_key = ?1",
        )?
        .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    match found {
        None => Err(StoreError::NotFound),
        Some((_, owner)) if owner != account_id => Err(StoreError::Forbidden),
        Some((id, _)) => Ok(id),
    }
}

/// A license with its HWIDs.
fn load(c: &Connection, id: i64) -> Result<License, StoreError> {
    type Row = (
        String,
        String,
        Option<i64>,
        bool,
        String,
        Option<String>,
        Option<String>,
        i64,
        i64,
    );
    let (key, app_id, expires_at, revoked, variables, note, label, heartbeats, created_at): Row = c
        .prepare_cached(
            "SELECT l.license_key, a.public_id, l.expires_at, l.revoked, l.variables, l.note,
                    l.label, l.heartbeats, l.created_at
             FROM licenses l JOIN apps a ON a.id = l.app_id WHERE l.id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })?;
    let mut stmt = c.prepare_cached(
        "SELECT hwid FROM license_hwids WHERE license_id = ?1 ORDER BY bound_at, hwid",
    )?;
    let hwids = stmt
        .query_map([id], |row| row.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(License {
        key,
        app_id,
        expires_at,
        revoked,
        hwids,
        variables: json_object(&variables)?,
        note,
        label,
        heartbeats,
        created_at,
    })
}

pub(super) fn create(
    c: &Connection,
    account_id: i64,
    public_id: &str,
    spec: &NewLicenses,
    keys: &[String],
    now: i64,
) -> Result<Vec<License>, StoreError> {
    let app = apps::owned(c, account_id, public_id)?;
    let cost = i64::try_from(keys.len()).map_err(|_| StoreError::NoCredits)?;
    let charged = c
        .prepare_cached(
            "UPDATE accounts SET credits = credits - ?1 WHERE id = ?2 AND credits >= ?1",
        )?
        .execute(params![cost, account_id])?;
    if charged == 0 {
        return Err(StoreError::NoCredits);
    }
    super::worker::note_charge(cost);
    let variables = json_text(&spec.variables)?;
    let mut created = Vec::with_capacity(keys.len());
    for key in keys {
        c.prepare_cached(
            "INSERT INTO licenses (license_key, app_id, expires_at, variables, note, label,
                                   created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            key,
            app,
            spec.expires_at,
            variables,
            spec.note,
            spec.label,
            now
        ])?;
        created.push(load(c, c.last_insert_rowid())?);
    }
    Ok(created)
}

pub(super) fn list(
    c: &Connection,
    account_id: i64,
    public_id: &str,
    after: i64,
    limit: u32,
) -> Result<LicensePage, StoreError> {
    let app = apps::owned(c, account_id, public_id)?;
    let mut stmt = c.prepare_cached(
        "SELECT id FROM licenses WHERE app_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    )?;
    let mut ids = stmt
        .query_map(params![app, after, i64::from(limit) + 1], |row| row.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    let more = ids.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    ids.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = if more {
        ids.last().map(ToString::to_string)
    } else {
        None
    };
    let licenses = ids
        .into_iter()
        .map(|id| load(c, id))
        .collect::<Result<_, _>>()?;
    Ok(LicensePage {
        licenses,
        next_cursor,
    })
}

pub(super) fn get(c: &Connection, account_id: i64, key: &str) -> Result<License, StoreError> {
    let id = owned(c, account_id, key)?;
    load(c, id)
}

pub(super) fn revoke(c: &Connection, account_id: i64, key: &str) -> Result<License, StoreError> {
    let id = owned(c, account_id, key)?;
    c.prepare_cached("UPDATE licenses SET revoked = 1 WHERE id = ?1")?
        .execute([id])?;
    load(c, id)
}

pub(super) fn reset_hwids(
    c: &Connection,
    account_id: i64,
    key: &str,
) -> Result<License, StoreError> {
    let id = owned(c, account_id, key)?;
    c.prepare_cached("DELETE FROM license_hwids WHERE license_id = ?1")?
        .execute([id])?;
    load(c, id)
}

pub(super) fn extend(
    c: &Connection,
    account_id: i64,
    key: &str,
    extension: Extension,
    now: i64,
) -> Result<License, StoreError> {
    let id = owned(c, account_id, key)?;
    let current: Option<i64> = c
        .prepare_cached("SELECT expires_at FROM licenses WHERE id = ?1")?
        .query_row([id], |row| row.get(0))?;
    let expires_at = match extension {
        Extension::Lifetime => None,
        Extension::Until(at) => Some(at),
        // A lifetime license stays lifetime when extended by a duration.
        Extension::By(seconds) => current.map(|at| at.max(now).saturating_add(seconds)),
    };
    c.prepare_cached("UPDATE licenses SET expires_at = ?1 WHERE id = ?2")?
        .execute(params![expires_at, id])?;
    load(c, id)
}
