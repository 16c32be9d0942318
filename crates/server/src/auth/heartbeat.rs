//! `POST /auth/heartbeat`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use keyward_errors::HeartbeatError;
use keyward_protocol::{
    HeartbeatRequest, SessionPayload, SessionToken, SessionTokenBody, sign_response,
};

use super::{Admitted, admit, failure, internal_response, variables};
use crate::state::AppState;
use crate::store::{HeartbeatGrant, HeartbeatInput};

/// Checks, in order: `bad_request` (naming every bad field) → `rate_limited` → `session_expired` (bad MAC, other
/// app or HWID, expired token; or the app deactivated, the license gone, the HWID
/// unbound) → `app_disabled` → `revoked` → `expired` → `no_credits` (at every 10th
/// heartbeat of the license), then answers a fresh session signed with the old token's
/// `sigKey`.
pub async fn heartbeat(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let Admitted {
        request: req,
        request_id,
        ..
    } = match admit::<HeartbeatRequest>(&state, peer, request).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let now = state.clock().now_unix();
    let Ok(session) = SessionToken::verify(
        state.server_secret(),
        &req.session_token,
        &req.app_id,
        &req.hwid,
        now,
    ) else {
        return failure(HeartbeatError::SessionExpired, None);
    };
    let input = HeartbeatInput {
        app_id: req.app_id.clone(),
        license_key: session.license_key.clone(),
        hwid: req.hwid.clone(),
    };
    match state.store().heartbeat(input, now).await {
        Ok(Ok(grant)) => match success(&state, &req, &session, &grant, now, request_id) {
            Ok(response) => response,
            Err(cause) => internal_response(HeartbeatError::InternalError, cause),
        },
        Ok(Err(code)) => failure(code, None),
        Err(err) => internal_response(HeartbeatError::InternalError, err.to_string()),
    }
}

fn success(
    state: &AppState,
    req: &HeartbeatRequest,
    session: &SessionTokenBody,
    grant: &HeartbeatGrant,
    now: i64,
    request_id: Option<String>,
) -> Result<Response, String> {
    let expires_in = now.saturating_add(state.session_ttl_secs());
    let token = SessionToken::issue(
        state.server_secret(),
        &SessionTokenBody {
            app_id: session.app_id.clone(),
            license_key: session.license_key.clone(),
            hwid: session.hwid.clone(),
            sig_key: crate::secret::new_sig_key().map_err(|err| err.to_string())?,
            expires_in,
        },
    )
    .map_err(|err| err.to_string())?;
    let payload = SessionPayload {
        session_token: token.into_string(),
        timestamp: now,
        expires_in,
        nonce: req.nonce.as_str().to_owned(),
        app_variables: variables(&grant.app_variables)?,
        license_variables: variables(&grant.license_variables)?,
        request_id,
    };
    let signed = sign_response(session.sig_key.as_str().as_bytes(), &req.nonce, &payload)
        .map_err(|err| err.to_string())?;
    Ok(super::signed_response(signed))
}
