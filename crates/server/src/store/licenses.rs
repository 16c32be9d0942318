//! SQL of licenses and their bound HWIDs, once for both backends ([`Sql`]).

use std::collections::HashMap;

use super::sql::{FromRow, Param, Row, Sql};
use super::{
    Extension, License, LicensePage, NewLicenses, StoreError, apps, json_object, json_text,
};

/// The columns [`Stored`] is read from, in its order: unqualified, so that they serve
/// both a `SELECT ... FROM licenses` and a `RETURNING`.
macro_rules! license_columns {
    () => {
        "id, license_key, expires_at, revoked, variables, note, label, heartbeats, created_at"
    };
}

/// A license row as stored, without its app's public id and its HWIDs.
struct Stored {
    id: i64,
    key: String,
    expires_at: Option<i64>,
    revoked: bool,
    variables: String,
    note: Option<String>,
    label: Option<String>,
    heartbeats: i64,
    created_at: i64,
}

impl FromRow for Stored {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(Stored {
            id: row.get(0)?,
            key: row.get(1)?,
            expires_at: row.get(2)?,
            revoked: row.get(3)?,
            variables: row.get(4)?,
            note: row.get(5)?,
            label: row.get(6)?,
            heartbeats: row.get(7)?,
            created_at: row.get(8)?,
        })
    }
}

impl Stored {
    /// The license of app `app_id` (public id) with these bound HWIDs.
    fn license(self, app_id: String, hwids: Vec<String>) -> Result<License, StoreError> {
        Ok(License {
            key: self.key,
            app_id,
            expires_at: self.expires_at,
            revoked: self.revoked,
            hwids,
            variables: json_object(&self.variables)?,
            note: self.note,
            label: self.label,
            heartbeats: self.heartbeats,
            created_at: self.created_at,
        })
    }
}

/// A license found by key, with its app's owner and public id.
struct Found {
    stored: Stored,
    account_id: i64,
    app_id: String,
}

impl FromRow for Found {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(Found {
            stored: Stored::from_row(row)?,
            account_id: row.get(9)?,
            app_id: row.get(10)?,
        })
    }
}

/// A HWID bound to a license.
struct Bound {
    license: i64,
    hwid: String,
}

impl FromRow for Bound {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(Bound {
            license: row.get(0)?,
            hwid: row.get(1)?,
        })
    }
}

/// The license `key` if its app belongs to `account_id`.
async fn owned<D: Sql>(db: &D, account_id: i64, key: &str) -> Result<Found, StoreError> {
    // The app's columns are renamed in a derived table so that the license's stay
    // unqualified (`license_columns!`) without clashing with the app's `id`.
    let found: Found = db
        .query_opt(
            concat!(
                "SELECT ",
                license_columns!(),
                ", a.account_id, a.public_id FROM licenses
                 JOIN (SELECT id AS app, account_id, public_id FROM apps) a
                   ON a.app = licenses.app_id
                 WHERE license_key = ?1"
            ),
            &[&key],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
    if found.account_id != account_id {
        return Err(StoreError::Forbidden);
    }
    Ok(found)
}

/// The HWIDs bound to license `id`, oldest first.
async fn hwids<D: Sql>(db: &D, id: i64) -> Result<Vec<String>, StoreError> {
    db.query_all(
        "SELECT hwid FROM license_hwids WHERE license_id = ?1 ORDER BY bound_at, hwid",
        &[&id],
    )
    .await
}

/// `stored` of app `app_id` (public id), with its HWIDs read.
async fn complete<D: Sql>(db: &D, stored: Stored, app_id: String) -> Result<License, StoreError> {
    let hwids = hwids(db, stored.id).await?;
    stored.license(app_id, hwids)
}

/// Runs `update` (`RETURNING` the license's columns) on a license of app `app_id`
/// (public id); the license as changed.
async fn updated<D: Sql>(
    db: &D,
    app_id: String,
    update: &str,
    params: &[&dyn Param],
) -> Result<License, StoreError> {
    let stored: Stored = db
        .query_opt(update, params)
        .await?
        .ok_or(StoreError::NotFound)?;
    complete(db, stored, app_id).await
}

pub(super) async fn create<D: Sql>(
    db: &D,
    account_id: i64,
    public_id: &str,
    spec: &NewLicenses,
    keys: &[String],
    now: i64,
) -> Result<Vec<License>, StoreError> {
    let app = apps::owned_by(db, account_id, public_id).await?;
    let cost = i64::try_from(keys.len()).map_err(|_| StoreError::NoCredits)?;
    // One conditional statement: on PostgreSQL a concurrent charge of the same account
    // waits for this row's lock (and the loser of a serialization conflict runs again),
    // so the balance never pays for more licenses than it holds.
    let left: Option<i64> = db
        .query_opt(
            "UPDATE accounts SET credits = credits - ?1 WHERE id = ?2 AND credits >= ?1 \
             RETURNING credits",
            &[&cost, &account_id],
        )
        .await?;
    if left.is_none() {
        return Err(StoreError::NoCredits);
    }
    db.note_charge(cost);
    let variables = json_text(&spec.variables)?;
    let mut created = Vec::with_capacity(keys.len());
    for key in keys {
        let stored: Stored = db
            .query_opt(
                concat!(
                    "INSERT INTO licenses (license_key, app_id, expires_at, variables, note, ",
                    "label, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING ",
                    license_columns!()
                ),
                &[
                    key,
                    &app,
                    &spec.expires_at,
                    &variables,
                    &spec.note,
                    &spec.label,
                    &now,
                ],
            )
            .await?
            .ok_or_else(|| StoreError::Backend("the license insert returned no row".to_owned()))?;
        // A new license has no HWIDs yet.
        created.push(stored.license(public_id.to_owned(), Vec::new())?);
    }
    Ok(created)
}

pub(super) async fn list<D: Sql>(
    db: &D,
    account_id: i64,
    public_id: &str,
    after: i64,
    limit: u32,
) -> Result<LicensePage, StoreError> {
    let app = apps::owned_by(db, account_id, public_id).await?;
    let page_size = usize::try_from(limit).unwrap_or(usize::MAX);
    // One row more than the page tells whether there is a next page.
    let mut rows: Vec<Stored> = db
        .query_all(
            concat!(
                "SELECT ",
                license_columns!(),
                " FROM licenses WHERE app_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
            ),
            &[&app, &after, &(i64::from(limit) + 1)],
        )
        .await?;
    let more = rows.len() > page_size;
    rows.truncate(page_size);
    let Some(last) = rows.last().map(|row| row.id) else {
        return Ok(LicensePage {
            licenses: Vec::new(),
            next_cursor: None,
        });
    };
    // The page's HWIDs in one query rather than one per license.
    let bound: Vec<Bound> = db
        .query_all(
            "SELECT h.license_id, h.hwid FROM license_hwids h
             JOIN licenses l ON l.id = h.license_id
             WHERE l.app_id = ?1 AND l.id > ?2 AND l.id <= ?3
             ORDER BY h.license_id, h.bound_at, h.hwid",
            &[&app, &after, &last],
        )
        .await?;
    let mut hwids: HashMap<i64, Vec<String>> = HashMap::new();
    for Bound { license, hwid } in bound {
        hwids.entry(license).or_default().push(hwid);
    }
    let licenses = rows
        .into_iter()
        .map(|row| {
            let bound = hwids.remove(&row.id).unwrap_or_default();
            row.license(public_id.to_owned(), bound)
        })
        .collect::<Result<_, _>>()?;
    Ok(LicensePage {
        licenses,
        next_cursor: more.then(|| last.to_string()),
    })
}

pub(super) async fn get<D: Sql>(db: &D, account_id: i64, key: &str) -> Result<License, StoreError> {
    let found = owned(db, account_id, key).await?;
    complete(db, found.stored, found.app_id).await
}

pub(super) async fn revoke<D: Sql>(
    db: &D,
    account_id: i64,
    key: &str,
) -> Result<License, StoreError> {
    let found = owned(db, account_id, key).await?;
    updated(
        db,
        found.app_id,
        concat!(
            "UPDATE licenses SET revoked = TRUE WHERE id = ?1 RETURNING ",
            license_columns!()
        ),
        &[&found.stored.id],
    )
    .await
}

pub(super) async fn reset_hwids<D: Sql>(
    db: &D,
    account_id: i64,
    key: &str,
) -> Result<License, StoreError> {
    let found = owned(db, account_id, key).await?;
    db.execute(
        "DELETE FROM license_hwids WHERE license_id = ?1",
        &[&found.stored.id],
    )
    .await?;
    found.stored.license(found.app_id, Vec::new())
}

pub(super) async fn extend<D: Sql>(
    db: &D,
    account_id: i64,
    key: &str,
    extension: Extension,
    now: i64,
) -> Result<License, StoreError> {
    let found = owned(db, account_id, key).await?;
    let expires_at = match extension {
        Extension::Lifetime => None,
        Extension::Until(at) => Some(at),
        // A lifetime license stays lifetime when extended by a duration.
        Extension::By(seconds) => found
            .stored
            .expires_at
            .map(|at| at.max(now).saturating_add(seconds)),
    };
    updated(
        db,
        found.app_id,
        concat!(
            "UPDATE licenses SET expires_at = ?2 WHERE id = ?1 RETURNING ",
            license_columns!()
        ),
        &[&found.stored.id, &expires_at],
    )
    .await
}
