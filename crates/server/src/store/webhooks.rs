//! SQL of webhook registrations (delivery comes later).

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{StoreError, Webhook};

fn webhook(row: &Row<'_>) -> rusqlite::Result<(i64, String, String, i64)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn decode(
    (id, url, events, created_at): (i64, String, String, i64),
) -> Result<Webhook, StoreError> {
    let events = serde_json::from_str(&events)
        .map_err(|err| StoreError::Backend(format!("bad stored events: {err}")))?;
    Ok(Webhook {
        id,
        url,
        events,
        created_at,
    })
}

pub(super) fn create(
    c: &Connection,
    account_id: i64,
    url: &str,
    events: &[String],
    now: i64,
) -> Result<Webhook, StoreError> {
    let events_text = serde_json::to_string(events)
        .map_err(|err| StoreError::Backend(format!("JSON encoding: {err}")))?;
    c.prepare_cached(
        "INSERT INTO webhooks (account_id, url, events, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![account_id, url, events_text, now])?;
    Ok(Webhook {
        id: c.last_insert_rowid(),
        url: url.to_owned(),
        events: events.to_vec(),
        created_at: now,
    })
}

pub(super) fn list(c: &Connection, account_id: i64) -> Result<Vec<Webhook>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT id, url, events, created_at FROM webhooks WHERE account_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([account_id], webhook)?;
    rows.map(|row| decode(row?)).collect()
}

pub(super) fn delete(c: &Connection, account_id: i64, id: i64) -> Result<(), StoreError> {
    let owner: Option<i64> = c
        .prepare_cached("SELECT account_id FROM webhooks WHERE id = ?1")?
        .query_row([id], |row| row.get(0))
        .optional()?;
    // Another account's webhook is reported as unknown: its existence is not revealed.
    if owner != Some(account_id) {
        return Err(StoreError::NotFound);
    }
    c.prepare_cached("DELETE FROM webhooks WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}
