//! `/v1/apps/{appId}/signing-keys`: stage the next signing key of an ed25519 app, rotate
//! to it, delete a retired one. The bodies show public keys only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use keyward_errors::api_codes::InternalError;
use keyward_errors::{DeleteSigningKeyError, RotateSigningKeyError, StageSigningKeyError};

use super::{ApiFailure, ApiResult, Caller, Segments};
use crate::state::AppState;
use crate::store::{App, NewSigningKey};

/// A fresh sealed key for the path's app.
fn new_key<E: From<InternalError>>(state: &AppState, app_id: &str) -> ApiResult<NewSigningKey, E> {
    state
        .key_vault()
        .generate(app_id)
        .map_err(|err| ApiFailure::internal(err.to_string()))
}

/// `POST /v1/apps/{appId}/signing-keys` → 201 with the app: a staged key (listed, not
/// active), the one the next rotation activates. Ship it in builds before rotating. An
/// `hmac` app is a `bad_request`.
pub async fn stage(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
) -> ApiResult<(StatusCode, Json<App>), StageSigningKeyError> {
    let app_id = path.at(0);
    let key = new_key(&state, &app_id)?;
    let now = state.clock().now_unix();
    state
        .store()
        .stage_signing_key(caller.account_id, app_id, key, now)
        .await
        .map(|app| (StatusCode::CREATED, Json(app)))
        .map_err(|err| ApiFailure::from_owned(err, "app"))
}

/// `POST /v1/apps/{appId}/signing-keys/rotate` → 200 with the app: the newest staged key,
/// or a new one, becomes active; the old ones are kept (not signing) until deleted. An
/// `hmac` app is a `bad_request`.
pub async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
) -> ApiResult<Json<App>, RotateSigningKeyError> {
    let app_id = path.at(0);
    let key = new_key(&state, &app_id)?;
    let now = state.clock().now_unix();
    state
        .store()
        .rotate_signing_key(caller.account_id, app_id, key, now)
        .await
        .map(Json)
        .map_err(|err| ApiFailure::from_owned(err, "app"))
}

/// `DELETE /v1/apps/{appId}/signing-keys/{keyId}` → 204. The active key is a
/// `bad_request` (rotate first); an unknown key `not_found`.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
) -> ApiResult<StatusCode, DeleteSigningKeyError> {
    let (app_id, key_id) = (path.at(0), path.at(1));
    state
        .store()
        .delete_signing_key(caller.account_id, app_id.clone(), key_id.clone())
        .await
        .map_err(|err| ApiFailure::from_owned(err, "signing key"))?;
    state.key_vault().forget(&app_id, &key_id);
    Ok(StatusCode::NO_CONTENT)
}
