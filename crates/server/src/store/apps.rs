//! SQL of apps and their allow/deny entries.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::ipnet::IpNet;

use super::auth::utc_day;
use super::{
    AccessRule, App, AppPatch, CreatedApp, ListKind, NewApp, RuleKind, Signing, SigningPatch,
    StoreError, is_unique_violation, json_object, json_text, signing_keys,
};

/// The columns of an app row; `?2` is the UTC day of its `credits_used_today`.
const COLUMNS: &str = "id, public_id, name, active, hwid_slots, variables, allowlist_required,
    signing, created_at, daily_credit_cap,
    COALESCE((SELECT d.credits FROM app_daily_credits d
              WHERE d.app_id = apps.id AND d.day = ?2), 0)";

struct AppRow {
    id: i64,
    app_id: String,
    name: String,
    active: bool,
    hwid_slots: u8,
    variables: String,
    allowlist_required: bool,
    signing: String,
    created_at: i64,
    daily_credit_cap: Option<i64>,
    credits_used_today: i64,
}

fn app_row(row: &Row<'_>) -> rusqlite::Result<AppRow> {
    Ok(AppRow {
        id: row.get(0)?,
        app_id: row.get(1)?,
        name: row.get(2)?,
        active: row.get(3)?,
        hwid_slots: row.get(4)?,
        variables: row.get(5)?,
        allowlist_required: row.get(6)?,
        signing: row.get(7)?,
        created_at: row.get(8)?,
        daily_credit_cap: row.get(9)?,
        credits_used_today: row.get(10)?,
    })
}

fn decode(c: &Connection, row: AppRow) -> Result<App, StoreError> {
    let signing = Signing::parse(&row.signing)
        .ok_or_else(|| StoreError::Backend("bad stored signing mode".to_owned()))?;
    let signing_keys = match signing {
        Signing::Hmac => None,
        Signing::Ed25519 => Some(signing_keys::list(c, row.id)?),
    };
    Ok(App {
        app_id: row.app_id,
        name: row.name,
        active: row.active,
        hwid_slots: row.hwid_slots,
        variables: json_object(&row.variables)?,
        allowlist_required: row.allowlist_required,
        signing,
        signing_keys,
        daily_credit_cap: row.daily_credit_cap,
        credits_used_today: row.credits_used_today,
        created_at: row.created_at,
    })
}

/// The internal id of `public_id` if it belongs to `account_id`.
pub(super) fn owned(c: &Connection, account_id: i64, public_id: &str) -> Result<i64, StoreError> {
    let found: Option<(i64, i64)> = c
        .prepare_cached("SELECT id, account_id FROM apps WHERE public_id = ?1")?
        .query_row([public_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    match found {
        None => Err(StoreError::NotFound),
        Some((_, owner)) if owner != account_id => Err(StoreError::Forbidden),
        Some((id, _)) => Ok(id),
    }
}

/// App `id` (internal), with the credits it used on the UTC day of `now`.
pub(super) fn by_internal_id(c: &Connection, id: i64, now: i64) -> Result<App, StoreError> {
    let row = c
        .prepare_cached(&format!("SELECT {COLUMNS} FROM apps WHERE id = ?1"))?
        .query_row([id, utc_day(now)], app_row)?;
    decode(c, row)
}

pub(super) fn create(
    c: &Connection,
    account_id: i64,
    app: &NewApp,
    public_id: &str,
    secret: &str,
    now: i64,
) -> Result<CreatedApp, StoreError> {
    c.prepare_cached(
        "INSERT INTO apps (public_id, account_id, name, secret, hwid_slots, variables,
                           allowlist_required, created_at, daily_credit_cap)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        public_id,
        account_id,
        app.name,
        secret,
        app.hwid_slots,
        json_text(&app.variables)?,
        app.allowlist_required,
        now,
        app.daily_credit_cap
    ])?;
    let id = c.last_insert_rowid();
    if let Some(key) = &app.ed25519_key {
        signing_keys::set_signing(c, id, &SigningPatch::Ed25519(key.clone()), now)?;
    }
    Ok(CreatedApp {
        app: by_internal_id(c, id, now)?,
        app_secret: secret.to_owned(),
    })
}

pub(super) fn list(c: &Connection, account_id: i64, now: i64) -> Result<Vec<App>, StoreError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM apps WHERE account_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([account_id, utc_day(now)], app_row)?;
    let rows: Vec<AppRow> = rows.collect::<Result<_, _>>()?;
    rows.into_iter().map(|row| decode(c, row)).collect()
}

pub(super) fn get(
    c: &Connection,
    account_id: i64,
    public_id: &str,
    now: i64,
) -> Result<App, StoreError> {
    let id = owned(c, account_id, public_id)?;
    by_internal_id(c, id, now)
}

pub(super) fn update(
    c: &Connection,
    account_id: i64,
    public_id: &str,
    patch: &AppPatch,
    now: i64,
) -> Result<App, StoreError> {
    let id = owned(c, account_id, public_id)?;
    if let Some(name) = &patch.name {
        c.prepare_cached("UPDATE apps SET name = ?1 WHERE id = ?2")?
            .execute(params![name, id])?;
    }
    if let Some(active) = patch.active {
        c.prepare_cached("UPDATE apps SET active = ?1 WHERE id = ?2")?
            .execute(params![active, id])?;
    }
    if let Some(slots) = patch.hwid_slots {
        c.prepare_cached("UPDATE apps SET hwid_slots = ?1 WHERE id = ?2")?
            .execute(params![slots, id])?;
    }
    if let Some(variables) = &patch.variables {
        c.prepare_cached("UPDATE apps SET variables = ?1 WHERE id = ?2")?
            .execute(params![json_text(variables)?, id])?;
    }
    if let Some(required) = patch.allowlist_required {
        c.prepare_cached("UPDATE apps SET allowlist_required = ?1 WHERE id = ?2")?
            .execute(params![required, id])?;
    }
    if let Some(signing) = &patch.signing {
        signing_keys::set_signing(c, id, signing, now)?;
    }
    if let Some(cap) = patch.daily_credit_cap {
        c.prepare_cached("UPDATE apps SET daily_credit_cap = ?1 WHERE id = ?2")?
            .execute(params![cap, id])?;
    }
    by_internal_id(c, id, now)
}

fn rule(row: &Row<'_>) -> rusqlite::Result<(i64, String, String, String, i64)> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn decode_rule(
    (id, list, kind, value, created_at): (i64, String, String, String, i64),
) -> Result<AccessRule, StoreError> {
    let bad = || StoreError::Backend("bad stored access rule".to_owned());
    Ok(AccessRule {
        id,
        list: ListKind::parse(&list).ok_or_else(bad)?,
        kind: RuleKind::parse(&kind).ok_or_else(bad)?,
        value,
        created_at,
    })
}

pub(super) fn add_rule(
    c: &Connection,
    account_id: i64,
    public_id: &str,
    list: ListKind,
    kind: RuleKind,
    value: &str,
    now: i64,
) -> Result<AccessRule, StoreError> {
    let app = owned(c, account_id, public_id)?;
    // The address range of an IP rule (`value` is canonical: the API parsed it).
    let range = match kind {
        RuleKind::Ip => IpNet::parse(value)
            .ok()
            .map(|net| (net.first(), net.last())),
        RuleKind::Hwid => None,
    };
    match c
        .prepare_cached(
            "INSERT INTO access_rules (app_id, kind, value, list, created_at, ip_first, ip_last)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            app,
            kind.as_str(),
            value,
            list.as_str(),
            now,
            range.map(|r| r.0),
            range.map(|r| r.1)
        ]) {
        Ok(_) => Ok(AccessRule {
            id: c.last_insert_rowid(),
            list,
            kind,
            value: value.to_owned(),
            created_at: now,
        }),
        Err(err) if is_unique_violation(&err) => Err(StoreError::Conflict(format!(
            "this {} is already on the {} list",
            kind.as_str(),
            list.as_str()
        ))),
        Err(err) => Err(err.into()),
    }
}

pub(super) fn list_rules(
    c: &Connection,
    account_id: i64,
    public_id: &str,
) -> Result<Vec<AccessRule>, StoreError> {
    let app = owned(c, account_id, public_id)?;
    let mut stmt = c.prepare_cached(
        "SELECT id, list, kind, value, created_at FROM access_rules WHERE app_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([app], rule)?;
    rows.map(|row| decode_rule(row?)).collect()
}

pub(super) fn delete_rule(
    c: &Connection,
    account_id: i64,
    public_id: &str,
    rule_id: i64,
) -> Result<(), StoreError> {
    let app = owned(c, account_id, public_id)?;
    let changed = c
        .prepare_cached("DELETE FROM access_rules WHERE id = ?1 AND app_id = ?2")?
        .execute([rule_id, app])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
