//! `/v1/apps/{appId}/signing-keys`: rotate an ed25519 app's signing key, delete a retired
//! one. The bodies show public keys only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::{ApiFailure, ApiResult, Caller, Segments};
use crate::state::AppState;
use crate::store::App;

/// `POST /v1/apps/{appId}/signing-keys/rotate` → 200 with the app: a new active key, the
/// old ones kept (not signing) until deleted. An `hmac` app is a `bad_request`.
pub async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
) -> ApiResult<Json<App>> {
    let app_id = path.at(0);
    let key = state
        .key_vault()
        .generate(&app_id)
        .map_err(|err| ApiFailure::Internal(err.to_string()))?;
    let now = state.clock().now_unix();
    state
        .store()
        .rotate_signing_key(caller.account_id, app_id, key, now)
        .await
        .map(Json)
        .map_err(|err| ApiFailure::from_store(err, "app"))
}

/// `DELETE /v1/apps/{appId}/signing-keys/{keyId}` → 204. The active key is a
/// `bad_request` (rotate first); an unknown key `not_found`.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
) -> ApiResult<StatusCode> {
    let (app_id, key_id) = (path.at(0), path.at(1));
    state
        .store()
        .delete_signing_key(caller.account_id, app_id.clone(), key_id.clone())
        .await
        .map_err(|err| ApiFailure::from_store(err, "signing key"))?;
    state.key_vault().forget(&app_id, &key_id);
    Ok(StatusCode::NO_CONTENT)
}
