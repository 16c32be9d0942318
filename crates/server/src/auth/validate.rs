//! `POST /auth/validate`.

use axum::extract::State;
use axum::response::Response;
use keyward_errors::ValidateError;
use keyward_protocol::{ValidateRequest, session_lifetime};

use super::{Admitted, SessionFor, failure, internal_response, session_response};
use crate::state::AppState;
use crate::store::ValidateInput;

/// Checks, in order: `bad_request` → `rate_limited` → `invalid_app` → `replay_detected` →
/// `app_disabled` → `no_credits` → `app_burn_cap_reached` → `blocked` → `invalid_key` →
/// `revoked` → `expired` → `hwid_mismatch`, then binds the HWID, charges one credit and answers the signed session.
pub(crate) async fn validate(
    State(state): State<AppState>,
    Admitted {
        request: req,
        request_id,
        ip,
        client,
    }: Admitted<ValidateRequest>,
) -> Response {
    let now = state.clock().now_unix();
    let input = ValidateInput {
        app_id: req.app_id.clone(),
        app_secret: req.app_secret.clone(),
        license_key: req.license_key.clone(),
        hwid: req.hwid.clone(),
        nonce: req.nonce.as_str().to_owned(),
        ip,
    };
    match state.store().validate(input, now).await {
        Ok(Ok(grant)) => match session_response(
            &state,
            SessionFor {
                app_id: req.app_id,
                license_key: req.license_key,
                hwid: req.hwid,
                // The requested lifetime, clamped; none asked for stays the server's
                // default (0), so its tokens keep the form of before `ttlSeconds`.
                ttl: session_lifetime(req.ttl_seconds, 0),
            },
            &grant,
            &req.nonce,
            req.app_secret.as_bytes(),
            now,
            request_id,
        ) {
            Ok(response) => response,
            Err(cause) => internal_response(client, ValidateError::SystemError, cause),
        },
        Ok(Err(code)) => failure(code, None),
        Err(err) => internal_response(client, ValidateError::SystemError, err.to_string()),
    }
}
