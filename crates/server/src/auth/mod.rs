//! The public auth endpoints `POST /auth/validate` and `POST /auth/heartbeat`, on the
//! wire format of `keyward-protocol`.
//!
//! Failures are HTTP 200 with the generated [`AuthFailure`] envelope; `rate_limited` adds
//! `Retry-After`; an unexpected failure (`internal_error`) is HTTP 500 with the same
//! envelope, its cause logged under the request id.

mod heartbeat;
mod validate;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keyward_errors::{AuthFailure, Failed, FieldError};
use serde::Serialize;

pub use heartbeat::heartbeat;
pub use validate::validate;

use crate::ratelimit::Decision;
use crate::request_id::{InternalCause, RequestId};
use crate::state::AppState;

/// A failure answer of either family.
pub(crate) fn failure<E: Serialize>(error: E, details: Option<Vec<FieldError>>) -> Response {
    let body = AuthFailure {
        status: Failed,
        error,
        details,
    };
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// A `rate_limited` failure with `Retry-After` (whole seconds, at least 1).
pub(crate) fn throttled<E: Serialize>(error: E, retry_after: Duration) -> Response {
    let mut response = failure(error, None);
    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    response
}

/// An `internal_error` failure: HTTP 500, the cause kept for the log only.
pub(crate) fn internal_response<E: Serialize>(error: E, cause: String) -> Response {
    let mut response = failure(error, None);
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.extensions_mut().insert(InternalCause(cause));
    response
}

/// Whether the request says its body is JSON (`application/json`, any parameters).
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// Reads a JSON request body of at most `limit` bytes, or the `body` field error.
pub(crate) async fn read_json_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, FieldError> {
    if !is_json(headers) {
        return Err(FieldError::new(
            "body",
            "Content-Type must be application/json",
        ));
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| FieldError::new("body", format!("must be at most {limit} bytes")))
}

/// The protocol crate's field errors as the error model's.
pub(crate) fn details(errors: Vec<keyward_protocol::FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| FieldError::new(e.field, e.message))
        .collect()
}

/// The client IP in canonical form (IPv4-mapped IPv6 as IPv4).
pub(crate) fn client_ip(peer: SocketAddr) -> IpAddr {
    peer.ip().to_canonical()
}

/// The auth rate limiter's decision for this client and app.
pub(crate) fn limit(state: &AppState, ip: IpAddr, app_id: &str) -> Decision {
    match state.auth_limiter() {
        Some(limiter) => limiter.check((ip, app_id.to_owned()), state.clock().now_micros()),
        None => Decision::Allowed,
    }
}

/// The request id, for the payload.
pub(crate) fn request_id(request: &axum::extract::Request) -> Option<String> {
    request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
}

/// Variables text to the payload's optional object (empty objects are left out).
pub(crate) fn variables(
    text: &str,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, String> {
    if text == "{}" {
        return Ok(None);
    }
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
        .map(|map| (!map.is_empty()).then_some(map))
        .map_err(|err| format!("stored variables are not a JSON object: {err}"))
}
