//! `/v1/webhooks`: URL registrations (delivery comes later).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::fields::Fields;
use keyward_errors::{CreateWebhookError, DeleteWebhookError, ListWebhooksError};

use super::limits::{EVENT_NAME_MAX, EVENTS_MAX, URL_MAX};
use super::{ApiFailure, ApiJson, ApiResult, Caller, Segments};
use crate::state::AppState;
use crate::store::Webhook;

/// `POST /v1/webhooks`: `{url, events?}` → 201 with the webhook.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson,
) -> ApiResult<(StatusCode, Json<Webhook>), CreateWebhookError> {
    let mut f = Fields::new(&body, &["url", "events"]);
    let url = f.required_string("url", URL_MAX);
    if !url.is_empty()
        && (!(url.starts_with("https://") || url.starts_with("http://"))
            || url.chars().any(char::is_whitespace))
    {
        f.error("url", "must be an http:// or https:// URL without spaces");
    }
    let events = f
        .string_list("events", EVENTS_MAX, EVENT_NAME_MAX)
        .unwrap_or_default();
    f.finish()?;
    let now = state.clock().now_unix();
    let webhook = state
        .store()
        .create_webhook(caller.account_id, url, events, now)
        .await
        .map_err(|err| ApiFailure::from_store(err, "webhook"))?;
    Ok((StatusCode::CREATED, Json(webhook)))
}

/// `GET /v1/webhooks` → `{"webhooks": [...]}`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Value>, ListWebhooksError> {
    let hooks = state
        .store()
        .list_webhooks(caller.account_id)
        .await
        .map_err(|err| ApiFailure::from_store(err, "webhook"))?;
    Ok(Json(json!({ "webhooks": hooks })))
}

/// `DELETE /v1/webhooks/{id}` → 204.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
) -> ApiResult<StatusCode, DeleteWebhookError> {
    let Ok(id) = path.at(0).parse::<i64>() else {
        return Err(ApiFailure::not_found("webhook not found"));
    };
    state
        .store()
        .delete_webhook(caller.account_id, id)
        .await
        .map_err(|err| ApiFailure::from_missing(err, "webhook"))?;
    Ok(StatusCode::NO_CONTENT)
}
