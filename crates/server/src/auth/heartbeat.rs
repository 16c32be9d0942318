//! `POST /auth/heartbeat`.

use axum::extract::State;
use axum::response::Response;
use keyward_errors::HeartbeatError;
use keyward_protocol::{HeartbeatRequest, SessionTokenBody};

use super::{Admitted, SessionFor, failure, internal_response, session_response};
use crate::state::AppState;
use crate::store::HeartbeatInput;

/// Checks, in order: `bad_request` (naming every bad field) → `rate_limited` →
/// `session_expired` (bad MAC, other app or HWID, expired token; or the app deactivated,
/// the license gone, the HWID unbound) → `app_disabled` → `revoked` → `expired` →
/// `no_credits` or `app_burn_cap_reached` (at every 10th heartbeat of the license), then
/// answers a fresh session signed with the old token's `sigKey` (HMAC apps) or the app's
/// active Ed25519 key.
pub(crate) async fn heartbeat(
    State(state): State<AppState>,
    Admitted {
        request: req,
        request_id,
        client,
        ..
    }: Admitted<HeartbeatRequest>,
) -> Response {
    let now = state.clock().now_unix();
    let Ok(session) = state
        .token_key()
        .verify(&req.session_token, &req.app_id, &req.hwid, now)
    else {
        return failure(HeartbeatError::SessionExpired, None);
    };
    // The session's own strings (checked equal to the request's) travel on to the store
    // and into the fresh token.
    let SessionTokenBody {
        app_id,
        license_key,
        hwid,
        sig_key,
        ttl,
        ..
    } = session;
    let input = HeartbeatInput {
        app_id,
        license_key,
        hwid,
    };
    match state.store().heartbeat(&input, now).await {
        Ok(Ok(grant)) => match session_response(
            &state,
            SessionFor {
                app_id: input.app_id,
                license_key: input.license_key,
                hwid: input.hwid,
                ttl,
            },
            &grant,
            &req.nonce,
            sig_key.as_str().as_bytes(),
            now,
            request_id,
        ) {
            Ok(response) => response,
            Err(cause) => internal_response(client, HeartbeatError::SystemError, cause),
        },
        Ok(Err(code)) => failure(code, None),
        Err(err) => internal_response(client, HeartbeatError::SystemError, err.to_string()),
    }
}
