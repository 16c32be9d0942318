//! `POST /auth/selfban`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use keyward_errors::SelfBanError;
use keyward_protocol::{SelfBanAnswer, SelfBanRequest};

use super::{Admitted, failure, internal_response};
use crate::state::AppState;
use crate::store::{SelfBanDone, SelfBanInput, SelfBanProof};

/// Checks, in order: `bad_request` (naming every bad field) → `rate_limited`; then, with a
/// session token, `session_expired` (bad MAC, other app or HWID, expired token; the app
/// deactivated, the license gone, the HWID unbound) → `app_disabled`; before a session,
/// `invalid_app` → `replay_detected` → `app_disabled` → `revoke_requires_session` →
/// `invalid_key`. Then revokes the license (session form only), deny-lists the HWID and
/// the client IP as asked, and answers what was done, unsigned. No credit is charged.
pub(crate) async fn selfban(
    State(state): State<AppState>,
    Admitted {
        request: req,
        ip,
        client,
        ..
    }: Admitted<SelfBanRequest>,
) -> Response {
    let now = state.clock().now_unix();
    let input = match req {
        SelfBanRequest::Session(req) => {
            let Ok(session) =
                state
                    .token_key()
                    .verify(&req.session_token, &req.app_id, &req.hwid, now)
            else {
                return failure(SelfBanError::SessionExpired, None);
            };
            SelfBanInput {
                app_id: session.app_id,
                proof: SelfBanProof::Session {
                    license_key: session.license_key,
                },
                hwid: session.hwid,
                ip,
                flags: req.flags,
            }
        }
        SelfBanRequest::PreSession(req) => SelfBanInput {
            app_id: req.app_id,
            proof: SelfBanProof::Key {
                app_secret: req.app_secret,
                license_key: req.license_key,
                nonce: req.nonce.as_str().to_owned(),
            },
            hwid: req.hwid,
            ip,
            flags: req.flags,
        },
    };
    match state.store().selfban(input, now).await {
        Ok(Ok(SelfBanDone {
            revoked,
            hwid_blacklisted,
            ip_blacklisted,
        })) => axum::Json(SelfBanAnswer::success(
            revoked,
            hwid_blacklisted,
            ip_blacklisted,
        ))
        .into_response(),
        Ok(Err(code)) => failure(code, None),
        Err(err) => internal_response(client, SelfBanError::SystemError, err.to_string()),
    }
}
