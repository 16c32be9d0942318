//! The Developer API (`/v1/...`): JSON, `Authorization: Bearer <api key>`, rate limited per
//! API key. Every failure is the generated `{"error", "message"}` body with the spec's
//! status; axum's own plain-text rejections never reach a client (the extractors here map
//! them to `bad_request`, and unknown routes or methods to `not_found`).

mod access;
mod account;
mod apps;
pub mod error;
pub mod fields;
mod licenses;
pub mod limits;
mod signing_keys;
mod webhooks;

use axum::Router;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, Uri, header};
use axum::routing::{delete, get, post};
use keyward_errors::api_codes::InvalidApiKey;
use serde_json::Value;

pub use error::{ApiFailure, ApiResult, DefaultFailure};

use crate::ratelimit::{ClientKey, Decision};
use crate::secret::{hash_api_key, is_api_key_shaped};
use crate::state::AppState;

/// The `/v1` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/account", get(account::get))
        .route("/v1/apps", get(apps::list).post(apps::create))
        .route("/v1/apps/{app_id}", get(apps::get).patch(apps::update))
        .route(
            "/v1/apps/{app_id}/licenses",
            get(licenses::list).post(licenses::create),
        )
        .route(
            "/v1/apps/{app_id}/access-rules",
            get(access::list).post(access::create),
        )
        .route(
            "/v1/apps/{app_id}/access-rules/{rule_id}",
            delete(access::delete),
        )
        .route("/v1/apps/{app_id}/signing-keys", post(signing_keys::stage))
        .route(
            "/v1/apps/{app_id}/signing-keys/rotate",
            post(signing_keys::rotate),
        )
        .route(
            "/v1/apps/{app_id}/signing-keys/{key_id}",
            delete(signing_keys::delete),
        )
        .route("/v1/licenses/{key}", get(licenses::get))
        .route("/v1/licenses/{key}/revoke", post(licenses::revoke))
        .route(
            "/v1/licenses/{key}/reset-hwids",
            post(licenses::reset_hwids),
        )
        .route("/v1/licenses/{key}/extend", post(licenses::extend))
        .route("/v1/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/v1/webhooks/{id}", delete(webhooks::delete))
}

/// Answer for unknown routes and methods: 404 `not_found`.
pub async fn not_found(method: Method, uri: Uri) -> ApiFailure {
    let path: String = uri.path().chars().take(200).collect();
    ApiFailure::not_found(format!("no route for {method} {path}"))
}

/// The authenticated caller: the account behind a live API key, within its rate limit.
///
/// A client whose key checks failed too often (missing, malformed, unknown or revoked
/// keys, counted per client IP, IPv6 by /64) is refused with `rate_limited` until its
/// next allowed attempt, before its key is looked up.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    /// The account id.
    pub account_id: i64,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = DefaultFailure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, DefaultFailure> {
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|peer| {
                ClientKey::from(crate::client_ip(
                    peer.ip(),
                    &parts.headers,
                    state.trusted_proxies(),
                ))
            });
        let failures = state.api_key_failures().zip(client);
        if let Some((failures, client)) = failures
            && let Decision::Limited { retry_after } = failures.admit(&client)
        {
            return Err(ApiFailure::rate_limited(retry_after));
        }
        // A failed check counts against the client; one too many is `rate_limited`.
        let refuse = |message: &'static str| match failures
            .map(|(failures, client)| failures.failed(&client))
        {
            Some(Decision::Limited { retry_after }) => ApiFailure::rate_limited(retry_after),
            _ => ApiFailure::with_message(InvalidApiKey, message),
        };
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| refuse("missing or malformed Authorization: Bearer header"))?;
        if !is_api_key_shaped(key) {
            return Err(refuse("malformed API key"));
        }
        let hash = hash_api_key(key);
        let account_id = match state.store().authenticate(hash.clone()).await {
            Ok(id) => id,
            Err(err) if err.is_internal() => return Err(ApiFailure::internal(err.to_string())),
            Err(_) => return Err(refuse("unknown or revoked API key")),
        };
        match api_rate_limit(state, hash).await {
            Decision::Allowed => Ok(Self { account_id }),
            Decision::Limited { retry_after } => Err(ApiFailure::rate_limited(retry_after)),
        }
    }
}

/// The rate limit of the API key whose hash is `hash`: the database's, shared by every
/// instance, where the store has one (PostgreSQL), else this process's.
///
/// Should the shared limiter fail, this instance's own limiter decides (logged): the
/// limit then holds per instance rather than not at all, and a database that is really
/// down already failed the key's lookup before.
async fn api_rate_limit(state: &AppState, hash: Vec<u8>) -> Decision {
    let limiter = state.api_limiter();
    let shared = state
        .store()
        .api_rate_limit(&hash, limiter.config(), state.clock().now_micros())
        .await;
    match shared {
        Ok(Some(decision)) => decision,
        Ok(None) => limiter.check(&hash),
        Err(err) => {
            tracing::warn!(error = %err, "the shared API rate limit failed; this instance's own limit applies");
            limiter.check(&hash)
        }
    }
}

/// A JSON request body, read as a [`Value`]: a wrong content type, an over-long or
/// unreadable body, invalid UTF-8, bad or too deeply nested JSON are all `bad_request`.
#[derive(Debug)]
pub struct ApiJson(pub Value);

impl FromRequest<AppState> for ApiJson {
    type Rejection = DefaultFailure;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, DefaultFailure> {
        let limit = state.max_body_bytes();
        let (parts, body) = request.into_parts();
        let bytes = crate::auth::read_json_body(&parts.headers, body, limit)
            .await
            .map_err(|field| ApiFailure::bad_fields(vec![field]))?;
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|_| ApiFailure::bad_field("body", "is not valid JSON"))
    }
}

/// A path segment as text, or `bad_request` when it cannot be decoded.
pub struct Segments(pub Vec<String>);

impl<S: Send + Sync> FromRequestParts<S> for Segments {
    type Rejection = DefaultFailure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, DefaultFailure> {
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiFailure::bad_field("path", "could not be decoded"))?;
        Ok(Self(
            params.iter().map(|(_, value)| value.to_owned()).collect(),
        ))
    }
}

impl Segments {
    /// The `index`-th path parameter.
    pub fn at(&self, index: usize) -> String {
        self.0.get(index).cloned().unwrap_or_default()
    }
}
