//! Licenses: create (one or a batch, one credit each), list (paginated), get, revoke,
//! reset HWIDs, extend.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use keyward_errors::FieldError;
use serde_json::{Value, json};

use super::fields::Fields;
use keyward_errors::{
    CreateLicensesError, ExtendLicenseError, GetLicenseError, ListLicensesError, ResetHwidsError,
    RevokeLicenseError,
};

use super::limits::{
    DEFAULT_PAGE, LABEL_MAX, LATEST_EXPIRY, MAX_BATCH, MAX_DAYS, MAX_PAGE, NOTE_MAX,
};
use super::{ApiFailure, ApiJson, ApiResult, Caller, Segments};
use crate::secret::new_license_key;
use crate::state::AppState;
use crate::store::{Extension, License, LicensePage, NewLicenses};

const DAY: i64 = 86_400;

/// `POST /v1/apps/{appId}/licenses`: `{count?, expiresAt? | durationDays?, variables?,
/// note?, label?}` → 201 `{"licenses": [...]}`; costs `count` credits (402 and nothing created
/// when the account has fewer).
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
    ApiJson(body): ApiJson,
) -> ApiResult<(StatusCode, Json<Value>), CreateLicensesError> {
    let now = state.clock().now_unix();
    let mut f = Fields::new(
        &body,
        &[
            "count",
            "expiresAt",
            "durationDays",
            "variables",
            "note",
            "label",
        ],
    );
    let count = f.int("count", 1, MAX_BATCH).unwrap_or(1);
    let expires_at = f.int("expiresAt", now.saturating_add(1), LATEST_EXPIRY);
    let days = f.int("durationDays", 1, MAX_DAYS);
    if expires_at.is_some() && days.is_some() {
        f.error("durationDays", "cannot be combined with expiresAt");
    }
    let variables = f.object("variables").unwrap_or_default();
    let note = f.string("note", NOTE_MAX);
    let label = f.string("label", LABEL_MAX);
    f.finish()?;
    let spec = NewLicenses {
        expires_at: expires_at.or(days.map(|d| now.saturating_add(d * DAY))),
        variables,
        note,
        label,
    };
    let keys = (0..count)
        .map(|_| new_license_key())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| ApiFailure::internal(err.to_string()))?;
    let licenses = state
        .store()
        .create_licenses(caller.account_id, path.at(0), spec, keys, now)
        .await
        .map_err(|err| ApiFailure::from_charge(err, "app"))?;
    Ok((StatusCode::CREATED, Json(json!({ "licenses": licenses }))))
}

/// `GET /v1/apps/{appId}/licenses?limit=&cursor=` → `{"licenses": [...], "nextCursor"}`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> ApiResult<Json<LicensePage>, ListLicensesError> {
    let Ok(Query(query)) = query else {
        return Err(ApiFailure::bad_field("query", "could not be decoded"));
    };
    let mut bad = Vec::new();
    let limit = match query.get("limit").map(|v| v.parse::<i64>()) {
        None => DEFAULT_PAGE,
        Some(Ok(n)) if (1..=MAX_PAGE).contains(&n) => u32::try_from(n).unwrap_or(DEFAULT_PAGE),
        Some(_) => {
            bad.push(FieldError::new(
                "limit",
                format!("must be an integer from 1 to {MAX_PAGE}"),
            ));
            DEFAULT_PAGE
        }
    };
    let after = match query.get("cursor").map(|v| v.parse::<i64>()) {
        None => 0,
        Some(Ok(n)) if n >= 0 => n,
        Some(_) => {
            bad.push(FieldError::new(
                "cursor",
                "is not a cursor returned by this API",
            ));
            0
        }
    };
    for key in query.keys() {
        if key != "limit" && key != "cursor" {
            let shown: String = key.chars().take(64).collect();
            bad.push(FieldError::new(shown, "is not a known query parameter"));
        }
    }
    if !bad.is_empty() {
        return Err(ApiFailure::bad_fields(bad));
    }
    state
        .store()
        .list_licenses(caller.account_id, path.at(0), after, limit)
        .await
        .map(Json)
        .map_err(|err| ApiFailure::from_owned(err, "app"))
}

/// `GET /v1/licenses/{key}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
) -> ApiResult<Json<License>, GetLicenseError> {
    state
        .store()
        .license(caller.account_id, path.at(0))
        .await
        .map(Json)
        .map_err(|err| ApiFailure::from_owned(err, "license"))
}

/// `POST /v1/licenses/{key}/revoke` (no body).
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
) -> ApiResult<Json<License>, RevokeLicenseError> {
    state
        .store()
        .revoke_license(caller.account_id, path.at(0))
        .await
        .map(Json)
        .map_err(|err| ApiFailure::from_owned(err, "license"))
}

/// `POST /v1/licenses/{key}/reset-hwids` (no body).
pub async fn reset_hwids(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
) -> ApiResult<Json<License>, ResetHwidsError> {
    state
        .store()
        .reset_hwids(caller.account_id, path.at(0))
        .await
        .map(Json)
        .map_err(|err| ApiFailure::from_owned(err, "license"))
}

/// `POST /v1/licenses/{key}/extend`: exactly one of `{days}`, `{expiresAt}`,
/// `{lifetime: true}`.
pub async fn extend(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<License>, ExtendLicenseError> {
    let now = state.clock().now_unix();
    let mut f = Fields::new(&body, &["days", "expiresAt", "lifetime"]);
    let days = f.int("days", 1, MAX_DAYS);
    let until = f.int("expiresAt", now.saturating_add(1), LATEST_EXPIRY);
    let lifetime = f.bool("lifetime");
    if lifetime == Some(false) {
        f.error("lifetime", "must be true when given");
    }
    let given = [days.is_some(), until.is_some(), lifetime == Some(true)]
        .iter()
        .filter(|given| **given)
        .count();
    if given != 1 {
        f.error(
            "body",
            "give exactly one of days, expiresAt, lifetime: true",
        );
    }
    f.finish()?;
    let extension = match (days, until) {
        (Some(days), _) => Extension::By(days * DAY),
        (None, Some(at)) => Extension::Until(at),
        (None, None) => Extension::Lifetime,
    };
    state
        .store()
        .extend_license(caller.account_id, path.at(0), extension, now)
        .await
        .map(Json)
        .map_err(|err| ApiFailure::from_owned(err, "license"))
}
