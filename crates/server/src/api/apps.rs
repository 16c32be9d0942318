//! `/v1/apps`: create, list, get, update (activate, deactivate, slots, variables, signing
//! mode).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::fields::Fields;
use keyward_errors::api_codes::InternalError;
use keyward_errors::{CreateAppError, GetAppError, ListAppsError, UpdateAppError};

use super::limits::{
    APP_NAME_MAX, DAILY_CREDIT_CAP_MAX, DAILY_CREDIT_CAP_MIN, HWID_SLOTS_MAX, HWID_SLOTS_MIN,
};
use super::{ApiFailure, ApiJson, ApiResult, Caller, Segments};
use crate::secret::{new_app_id, new_app_secret};
use crate::state::AppState;
use crate::store::{App, AppPatch, CreatedApp, NewApp, Signing, SigningPatch};

/// Longest `signing` value read.
const SIGNING_MAX: usize = 16;

fn slots(value: Option<i64>) -> Option<u8> {
    value.and_then(|n| u8::try_from(n).ok())
}

/// The `signing` field: `"hmac"` or `"ed25519"`.
fn signing(f: &mut Fields<'_>) -> Option<Signing> {
    let text = f.string("signing", SIGNING_MAX)?;
    let signing = Signing::parse(&text);
    if signing.is_none() {
        f.error("signing", r#"must be "hmac" or "ed25519""#);
    }
    signing
}

/// The `dailyCreditCap` field: `None` when absent, `Some(None)` when null (no cap).
fn daily_credit_cap(f: &mut Fields<'_>) -> Option<Option<i64>> {
    let cap = f.int(DAILY_CREDIT_CAP, DAILY_CREDIT_CAP_MIN, DAILY_CREDIT_CAP_MAX);
    f.present(DAILY_CREDIT_CAP).then_some(cap)
}

/// The request field of an app's daily credit cap.
const DAILY_CREDIT_CAP: &str = "dailyCreditCap";

/// A first signing key for `app_id` when `signing` asks for Ed25519.
fn first_key<E>(
    state: &AppState,
    app_id: &str,
    signing: Option<Signing>,
) -> ApiResult<Option<SigningPatch>, E>
where
    E: From<InternalError>,
{
    Ok(match signing {
        None => None,
        Some(Signing::Hmac) => Some(SigningPatch::Hmac),
        Some(Signing::Ed25519) => Some(SigningPatch::Ed25519(
            state
                .key_vault()
                .generate(app_id)
                .map_err(|err| ApiFailure::internal(err.to_string()))?,
        )),
    })
}

/// `POST /v1/apps`: `{name, hwidSlots?, variables?, allowlistRequired?, signing?,
/// dailyCreditCap?}` → 201 with the app and its `appSecret` (shown only here). An
/// `ed25519` app gets its first signing key.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson,
) -> ApiResult<(StatusCode, Json<CreatedApp>), CreateAppError> {
    let mut f = Fields::new(
        &body,
        &[
            "name",
            "hwidSlots",
            "variables",
            "allowlistRequired",
            "signing",
            DAILY_CREDIT_CAP,
        ],
    );
    let name = f.required_string("name", APP_NAME_MAX);
    let hwid_slots = slots(f.int("hwidSlots", HWID_SLOTS_MIN, HWID_SLOTS_MAX)).unwrap_or(1);
    let variables = f.object("variables").unwrap_or_default();
    let allowlist_required = f.bool("allowlistRequired").unwrap_or(false);
    let signing = signing(&mut f);
    let daily_credit_cap = daily_credit_cap(&mut f).flatten();
    f.finish()?;
    let public_id = new_app_id().map_err(|err| ApiFailure::internal(err.to_string()))?;
    let ed25519_key = match first_key(&state, &public_id, signing)? {
        Some(SigningPatch::Ed25519(key)) => Some(key),
        Some(SigningPatch::Hmac) | None => None,
    };
    let app = NewApp {
        name,
        hwid_slots,
        variables,
        allowlist_required,
        ed25519_key,
        daily_credit_cap,
    };
    let secret = new_app_secret().map_err(|err| ApiFailure::internal(err.to_string()))?;
    let now = state.clock().now_unix();
    let created = state
        .store()
        .create_app(caller.account_id, app, public_id, secret, now)
        .await
        .map_err(|err| ApiFailure::from_store(err, "app"))?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /v1/apps` → `{"apps": [...]}`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Value>, ListAppsError> {
    let apps = state
        .store()
        .list_apps(caller.account_id, state.clock().now_unix())
        .await
        .map_err(|err| ApiFailure::from_store(err, "app"))?;
    Ok(Json(json!({ "apps": apps })))
}

/// `GET /v1/apps/{appId}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
) -> ApiResult<Json<App>, GetAppError> {
    state
        .store()
        .app(caller.account_id, path.at(0), state.clock().now_unix())
        .await
        .map(Json)
        .map_err(|err| ApiFailure::from_owned(err, "app"))
}

/// `PATCH /v1/apps/{appId}`: any of `{name, active, hwidSlots, variables,
/// allowlistRequired, signing, dailyCreditCap}` (`dailyCreditCap: null` removes the cap). Switching to `ed25519` gives an app without keys its first
/// key; switching back to `hmac` keeps the keys for a later switch.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<App>, UpdateAppError> {
    let mut f = Fields::new(
        &body,
        &[
            "name",
            "active",
            "hwidSlots",
            "variables",
            "allowlistRequired",
            "signing",
            DAILY_CREDIT_CAP,
        ],
    );
    let patch = AppPatch {
        name: f.string("name", APP_NAME_MAX),
        active: f.bool("active"),
        hwid_slots: slots(f.int("hwidSlots", HWID_SLOTS_MIN, HWID_SLOTS_MAX)),
        variables: f.object("variables"),
        allowlist_required: f.bool("allowlistRequired"),
        signing: None,
        daily_credit_cap: daily_credit_cap(&mut f),
    };
    let signing = signing(&mut f);
    f.finish()?;
    let patch = AppPatch {
        signing: first_key(&state, &path.at(0), signing)?,
        ..patch
    };
    let now = state.clock().now_unix();
    state
        .store()
        .update_app(caller.account_id, path.at(0), patch, now)
        .await
        .map(Json)
        .map_err(|err| ApiFailure::from_owned(err, "app"))
}
