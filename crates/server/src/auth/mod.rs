//! The public auth endpoints `POST /auth/validate`, `POST /auth/heartbeat` and
//! `POST /auth/selfban`, on the wire format of `keyward-protocol`.
//!
//! Failures are HTTP 200 with the generated [`AuthFailure`] envelope; `rate_limited` adds
//! `Retry-After`; an unexpected failure is `system_error`, its cause logged under the
//! request id (a Keyward client built against an older spec gets the `internal_error` it
//! knows, with the HTTP 500 it expects: see [`client_spec`]).

pub mod client_spec;
mod heartbeat;
mod selfban;
mod validate;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keyward_errors::{
    AuthFailure, ErrorCode, Failed, FieldError, HeartbeatError, SelfBanError, ValidateError,
};
use keyward_protocol::{
    AnswerSigner, HeartbeatRequest, Nonce, SelfBanRequest, SessionPayload, SessionTokenBody,
    ValidateRequest, iso_time, sign_answer_json,
};
use serde::Serialize;

pub(crate) use heartbeat::heartbeat;
pub(crate) use selfban::selfban;
pub(crate) use validate::validate;

use self::client_spec::ClientSpec;
use crate::ratelimit::{ClientKey, Decision};
use crate::request_id::{AnswerError, InternalCause};
use crate::state::AppState;
use crate::store::{AnswerKey, Grant};

/// A failure answer of either family.
pub(crate) fn failure<E: ErrorCode + Serialize>(
    error: E,
    details: Option<Vec<FieldError>>,
) -> Response {
    let answer = AnswerError::of(&error);
    let body = AuthFailure {
        status: Failed,
        error,
        details,
    };
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    if let Some(answer) = answer {
        response.extensions_mut().insert(answer);
    }
    response
}

/// A `rate_limited` failure with `Retry-After` (whole seconds, at least 1).
pub(crate) fn throttled<E: ErrorCode + Serialize>(error: E, retry_after: Duration) -> Response {
    let mut response = failure(error, None);
    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    response
}

/// An internal failure, `error` (the family's `system_error`) as `client` knows it; the
/// cause is kept for the log only. A retired code (the `internal_error` older Keyward
/// clients get) goes with HTTP 500, as those clients expect; every other failure of the
/// auth endpoints is HTTP 200, which the reference SDKs need.
pub(crate) fn internal_response<E: ErrorCode + Serialize + Clone>(
    client: ClientSpec,
    error: E,
    cause: String,
) -> Response {
    let error = client.answer(error);
    let retired = error.info().is_some_and(|info| info.retired.is_some());
    let mut response = failure(error, None);
    if retired {
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    }
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

/// Reads a JSON request body of at most `limit` bytes, or the `body` field error. A
/// declared `Content-Length` over the limit is refused before any of the body is read.
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
    let too_large = || FieldError::new("body", format!("must be at most {limit} bytes"));
    if http_body::Body::size_hint(&body).lower() > u64::try_from(limit).unwrap_or(u64::MAX) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|err| {
        let cause = err.into_inner();
        if cause.is::<http_body_util::LengthLimitError>() {
            too_large()
        } else {
            FieldError::new("body", format!("could not be read: {cause}"))
        }
    })
}

/// Who a session is for (the app, the license and the device), and its lifetime: `0`
/// for the server's default, else seconds (from validate's `ttlSeconds`, clamped, kept
/// in the token for every heartbeat).
pub(crate) struct SessionFor {
    pub(crate) app_id: String,
    pub(crate) license_key: String,
    pub(crate) hwid: String,
    pub(crate) ttl: i64,
}

/// The success answer of both endpoints: a fresh session token for `session`, in a
/// payload that echoes `nonce`, signed as the app signs (`grant.answer_key`): in HMAC
/// mode with the key derived from `hmac_secret` (the app secret on validate, the old
/// session's `sigKey` on heartbeat), in Ed25519 mode with the app's active key.
pub(crate) fn session_response(
    state: &AppState,
    session: SessionFor,
    grant: &Grant,
    nonce: &Nonce,
    hmac_secret: &[u8],
    now: i64,
    request_id: Option<String>,
) -> Result<Response, String> {
    let ed25519_key = match &grant.answer_key {
        AnswerKey::Hmac => None,
        AnswerKey::Ed25519 { key_id, sealed } => Some(
            state
                .key_vault()
                .open(&session.app_id, key_id, sealed)
                .map_err(|err| err.to_string())?,
        ),
    };
    let signer = match &ed25519_key {
        Some(key) => AnswerSigner::Ed25519(key),
        None => AnswerSigner::Hmac(hmac_secret),
    };
    let lifetime = if session.ttl > 0 {
        session.ttl
    } else {
        state.session_ttl_secs()
    };
    let expires_in = now.saturating_add(lifetime);
    let token = state
        .token_key()
        .issue(&SessionTokenBody {
            app_id: session.app_id,
            license_key: session.license_key,
            hwid: session.hwid,
            sig_key: crate::secret::new_sig_key().map_err(|err| err.to_string())?,
            expires_in,
            ttl: session.ttl,
        })
        .map_err(|err| err.to_string())?;
    let payload = SessionPayload {
        session_token: token.into_string(),
        timestamp: now,
        expires_in,
        nonce: nonce.as_str().to_owned(),
        session_expires_at: iso_time::format_unix(expires_in),
        // A lifetime license is `null`; an expiry past year 9999 is left out.
        license_expires_at: grant
            .license
            .as_ref()
            .and_then(|license| match license.expires_at {
                None => Some(None),
                Some(at) => iso_time::format_unix(at).map(Some),
            }),
        max_hwid_slots: grant.license.as_ref().map(|license| license.max_hwid_slots),
        hwid_count: grant.license.as_ref().map(|license| license.hwid_count),
        license_label: grant
            .license
            .as_ref()
            .and_then(|license| license.label.clone())
            .filter(|label| !label.is_empty()),
        app_variables: variables(&grant.app_variables)?,
        license_variables: variables(&grant.license_variables)?,
        request_id,
    };
    let body = sign_answer_json(signer, nonce, &payload).map_err(|err| err.to_string())?;
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// A request of one auth endpoint, and the codes of its family for the checks both
/// endpoints share.
pub(crate) trait AuthRequest: Sized {
    /// The endpoint's error family.
    type Error: ErrorCode + Serialize;
    /// The family's `bad_request`.
    const BAD_REQUEST: Self::Error;
    /// The family's `rate_limited`.
    const RATE_LIMITED: Self::Error;
    /// Parses a body, naming every bad field.
    fn parse(body: &[u8]) -> Result<Self, Vec<FieldError>>;
}

impl AuthRequest for ValidateRequest {
    type Error = ValidateError;
    const BAD_REQUEST: ValidateError = ValidateError::BadRequest;
    const RATE_LIMITED: ValidateError = ValidateError::RateLimited;
    fn parse(body: &[u8]) -> Result<Self, Vec<FieldError>> {
        ValidateRequest::parse(body)
    }
}

impl AuthRequest for HeartbeatRequest {
    type Error = HeartbeatError;
    const BAD_REQUEST: HeartbeatError = HeartbeatError::BadRequest;
    const RATE_LIMITED: HeartbeatError = HeartbeatError::RateLimited;
    fn parse(body: &[u8]) -> Result<Self, Vec<FieldError>> {
        HeartbeatRequest::parse(body)
    }
}

impl AuthRequest for SelfBanRequest {
    type Error = SelfBanError;
    const BAD_REQUEST: SelfBanError = SelfBanError::BadRequest;
    const RATE_LIMITED: SelfBanError = SelfBanError::RateLimited;
    fn parse(body: &[u8]) -> Result<Self, Vec<FieldError>> {
        SelfBanRequest::parse(body)
    }
}

/// An auth request that passed the checks both endpoints start with.
pub(crate) struct Admitted<T> {
    pub(crate) request: T,
    pub(crate) request_id: Option<String>,
    pub(crate) ip: IpAddr,
    /// The spec the client knows.
    pub(crate) client: ClientSpec,
}

/// The first checks of every auth endpoint, as an extractor, in order: a JSON body within
/// the size limit whose every field is well-formed (else `bad_request` naming each bad
/// field), then the per-client rate limit (`rate_limited` with `Retry-After`). A refusal
/// is the endpoint's own failure answer.
impl<T: AuthRequest> FromRequest<AppState> for Admitted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let request_id = crate::request_id::request_id(&request);
        let (mut parts, body) = request.into_parts();
        let ConnectInfo(peer) = ConnectInfo::<SocketAddr>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let bytes = read_json_body(&parts.headers, body, state.max_body_bytes())
            .await
            .map_err(|field| failure(T::BAD_REQUEST, Some(vec![field])))?;
        let parsed = T::parse(&bytes).map_err(|errors| failure(T::BAD_REQUEST, Some(errors)))?;
        let ip = crate::client_ip(peer.ip(), &parts.headers, state.trusted_proxies());
        if let Decision::Limited { retry_after } = limit(state, ip) {
            return Err(throttled(T::RATE_LIMITED, retry_after));
        }
        Ok(Admitted {
            request: parsed,
            request_id,
            ip,
            client: ClientSpec::of(&parts.headers),
        })
    }
}

/// The auth rate limiter's decision for this client. Keyed by client only: the app id
/// is not checked yet, and keys taken from unchecked input would let one client make
/// state without end.
fn limit(state: &AppState, ip: IpAddr) -> Decision {
    match state.auth_limiter() {
        Some(limiter) => limiter.check(&ClientKey::from(ip)),
        None => Decision::Allowed,
    }
}

/// Variables text to the payload's optional object (empty objects are left out).
fn variables(text: &str) -> Result<Option<serde_json::Map<String, serde_json::Value>>, String> {
    if text == "{}" {
        return Ok(None);
    }
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
        .map(|map| (!map.is_empty()).then_some(map))
        .map_err(|err| format!("stored variables are not a JSON object: {err}"))
}
