//! `POST /auth/validate`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use keyward_errors::ValidateError;
use keyward_protocol::{
    SessionPayload, SessionToken, SessionTokenBody, ValidateRequest, sign_response,
};

use super::{Admitted, admit, failure, internal_response, variables};
use crate::state::AppState;
use crate::store::{ValidateGrant, ValidateInput};

/// Checks, in order: `bad_request` → `rate_limited` → `invalid_app` → `app_disabled` →
/// `no_credits` → `blocked` → `invalid_key` → `revoked` → `expired` → `hwid_mismatch`,
/// then binds the HWID, charges one credit and answers the signed session.
pub async fn validate(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let Admitted {
        request: req,
        request_id,
        ip,
    } = match admit::<ValidateRequest>(&state, peer, request).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let now = state.clock().now_unix();
    let input = ValidateInput {
        app_id: req.app_id.clone(),
        app_secret: req.app_secret.clone(),
        license_key: req.license_key.clone(),
        hwid: req.hwid.clone(),
        ip: ip.to_string(),
    };
    match state.store().validate(input, now).await {
        Ok(Ok(grant)) => match success(&state, &req, &grant, now, request_id) {
            Ok(response) => response,
            Err(cause) => internal_response(ValidateError::InternalError, cause),
        },
        Ok(Err(code)) => failure(code, None),
        Err(err) => internal_response(ValidateError::InternalError, err.to_string()),
    }
}

fn success(
    state: &AppState,
    req: &ValidateRequest,
    grant: &ValidateGrant,
    now: i64,
    request_id: Option<String>,
) -> Result<Response, String> {
    let expires_in = now.saturating_add(state.session_ttl_secs());
    let sig_key = crate::secret::new_sig_key().map_err(|err| err.to_string())?;
    let token = SessionToken::issue(
        state.server_secret(),
        &SessionTokenBody {
            app_id: req.app_id.clone(),
            license_key: req.license_key.clone(),
            hwid: req.hwid.clone(),
            sig_key,
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
    let signed = sign_response(req.app_secret.as_bytes(), &req.nonce, &payload)
        .map_err(|err| err.to_string())?;
    Ok(super::signed_response(signed))
}
