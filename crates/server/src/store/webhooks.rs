//! SQL of webhook registrations (delivery comes later), once for both backends ([`Sql`]).
//! The event names are stored as JSON text.

use super::apps::matched;
use super::sql::{FromRow, Row, Sql};
use super::{StoreError, Webhook};

impl FromRow for Webhook {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        let events: String = row.get(2)?;
        Ok(Webhook {
            id: row.get(0)?,
            url: row.get(1)?,
            events: serde_json::from_str(&events)
                .map_err(|err| StoreError::Backend(format!("bad stored events: {err}")))?,
            created_at: row.get(3)?,
        })
    }
}

pub(super) async fn create<D: Sql>(
    db: &D,
    account_id: i64,
    url: &str,
    events: &[String],
    now: i64,
) -> Result<Webhook, StoreError> {
    let events_text = serde_json::to_string(events)
        .map_err(|err| StoreError::Backend(format!("JSON encoding: {err}")))?;
    db.query_opt(
        "INSERT INTO webhooks (account_id, url, events, created_at) VALUES (?1, ?2, ?3, ?4) \
         RETURNING id, url, events, created_at",
        &[&account_id, &url, &events_text, &now],
    )
    .await?
    .ok_or_else(|| StoreError::Backend("the webhook insert returned no row".to_owned()))
}

pub(super) async fn list<D: Sql>(db: &D, account_id: i64) -> Result<Vec<Webhook>, StoreError> {
    db.query_all(
        "SELECT id, url, events, created_at FROM webhooks WHERE account_id = ?1 ORDER BY id",
        &[&account_id],
    )
    .await
}

pub(super) async fn delete<D: Sql>(db: &D, account_id: i64, id: i64) -> Result<(), StoreError> {
    // Another account's webhook is reported as unknown: its existence is not revealed.
    matched(
        db.execute(
            "DELETE FROM webhooks WHERE id = ?1 AND account_id = ?2",
            &[&id, &account_id],
        )
        .await?,
    )
}
