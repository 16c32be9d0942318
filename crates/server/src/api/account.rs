//! `GET /v1/account`.

use axum::Json;
use axum::extract::State;

use keyward_errors::GetAccountError;

use super::{ApiFailure, ApiResult, Caller};
use crate::state::AppState;
use crate::store::Account;

/// The caller's account, with its credits.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Account>, GetAccountError> {
    state
        .store()
        .account(caller.account_id)
        .await
        .map(Json)
        .map_err(|err| ApiFailure::from_store(err, "account"))
}
