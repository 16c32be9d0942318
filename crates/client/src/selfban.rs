//! Self-ban (`POST /auth/selfban`): a tamper response that deny-lists this device, and
//! with a session may revoke its license. The answer is not signed.

use keyward_errors::{ClientError, SelfBanError};
use keyward_protocol::{
    SelfBanAnswer, SelfBanFlags, SelfBanKeyRequest, SelfBanRequest, SelfBanSessionRequest, Status,
};
use serde_json::Value;

use crate::core::{Failure, Inner, new_nonce};
use crate::error::{Cause, Error};

/// What a self-ban asks the server to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SelfBan {
    /// Revoke the license. Only with a session ([`crate::Client::self_ban`]);
    /// [`crate::Client::self_ban_with_key`] never sends it.
    pub revoke_license: bool,
    /// Put this device's HWID on the app's deny list.
    pub blacklist_hwid: bool,
    /// Put this client's IP address (as the server sees it) on the app's deny list.
    pub blacklist_ip: bool,
}

/// What the server did: each flag is true when it was asked for and holds now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SelfBanOutcome {
    /// The license is revoked.
    pub revoked: bool,
    /// The HWID is deny-listed.
    pub hwid_blacklisted: bool,
    /// The IP address is deny-listed.
    pub ip_blacklisted: bool,
}

impl From<SelfBan> for SelfBanFlags {
    fn from(ban: SelfBan) -> Self {
        Self {
            revoke_license: ban.revoke_license,
            blacklist_hwid: ban.blacklist_hwid,
            blacklist_ip: ban.blacklist_ip,
        }
    }
}

impl Inner {
    /// The session form, with the current session's token; `session_expired` without
    /// a session.
    pub(crate) async fn self_ban(&self, ban: SelfBan) -> Result<SelfBanOutcome, Error> {
        let token = self
            .state()
            .session
            .as_ref()
            .map(|stored| stored.verified.payload.session_token.clone());
        let Some(session_token) = token else {
            return Err(
                self.finish(Error::from(SelfBanError::SessionExpired).caused_by(Cause(
                    "no current session: log in first, or use self_ban_with_key".to_owned(),
                ))),
            );
        };
        let request = SelfBanRequest::Session(SelfBanSessionRequest {
            app_id: self.cfg.app_id.clone(),
            session_token,
            hwid: self.cfg.hwid.clone(),
            flags: ban.into(),
        });
        self.retrying(|| self.send_selfban(&request)).await
    }

    /// The pre-session form with `license_key` (trimmed; an empty one is `invalid_key`,
    /// not sent). Revoking needs a session, so `revoke_license` is never sent; every
    /// attempt has a fresh nonce.
    pub(crate) async fn self_ban_with_key(
        &self,
        license_key: &str,
        ban: SelfBan,
    ) -> Result<SelfBanOutcome, Error> {
        let license_key = license_key.trim();
        if license_key.is_empty() {
            return Err(self.finish(SelfBanError::InvalidKey.into()));
        }
        let flags = SelfBanFlags {
            revoke_license: false,
            ..ban.into()
        };
        self.retrying(|| async {
            let request = SelfBanRequest::PreSession(SelfBanKeyRequest {
                app_id: self.cfg.app_id.clone(),
                app_secret: self.cfg.app_secret.clone(),
                license_key: license_key.to_owned(),
                hwid: self.cfg.hwid.clone(),
                nonce: new_nonce()?,
                flags,
            });
            self.send_selfban(&request).await
        })
        .await
    }

    /// One attempt: the request sent, the answer read.
    async fn send_selfban(&self, request: &SelfBanRequest) -> Result<SelfBanOutcome, Failure> {
        let (status, retry_after, body) = self
            .post(&self.cfg.selfban_url, serde_json::to_vec(request))
            .await?;
        answer(status, &body).map_err(|error| (error, retry_after))
    }
}

/// The self-ban answer: a success object, or a failure envelope (read whatever the HTTP
/// status, as the server sends failures with 200 but a proxy may not).
fn answer(status: u16, body: &[u8]) -> Result<SelfBanOutcome, Error> {
    let ok = (200..300).contains(&status);
    let malformed = |what: &str| {
        let kind = if ok {
            ClientError::InvalidResponse
        } else {
            ClientError::NetworkError
        };
        Error::client(kind, Cause(format!("{what} (HTTP status {status})")))
    };
    let json: Value =
        serde_json::from_slice(body).map_err(|_| malformed("self-ban answer is not JSON"))?;
    let success = json
        .get("status")
        .and_then(|value| Status::from_value(value).ok())
        .is_some_and(Status::is_success);
    if success && ok {
        let answer: SelfBanAnswer =
            serde_json::from_value(json).map_err(|_| malformed("malformed self-ban answer"))?;
        return Ok(SelfBanOutcome {
            revoked: answer.revoked,
            hwid_blacklisted: answer.hwid_blacklisted,
            ip_blacklisted: answer.ip_blacklisted,
        });
    }
    match json.get("error").and_then(Value::as_str) {
        Some(code) if !success => Err(SelfBanError::from_code(code).into()),
        _ => Err(malformed("not a self-ban answer")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_failures() {
        let done = answer(
            200,
            br#"{"status":"success","revoked":false,"hwidBlacklisted":true,"ipBlacklisted":false}"#,
        )
        .unwrap();
        assert!(done.hwid_blacklisted && !done.revoked && !done.ip_blacklisted);
        let code = SelfBanError::RevokeRequiresSession.code();
        let failed = answer(
            200,
            format!(r#"{{"status":"failed","error":"{code}"}}"#).as_bytes(),
        )
        .unwrap_err();
        assert_eq!(
            failed.kind(),
            &crate::ErrorKind::SelfBan(SelfBanError::RevokeRequiresSession)
        );
        let limited = SelfBanError::RateLimited.code();
        let throttled = answer(
            429,
            format!(r#"{{"status":"failed","error":"{limited}"}}"#).as_bytes(),
        )
        .unwrap_err();
        assert_eq!(throttled.code(), limited);
        for (status, body, code) in [
            (200, &b"<html>"[..], ClientError::InvalidResponse),
            (502, b"bad gateway", ClientError::NetworkError),
            (200, b"{\"status\":\"weird\"}", ClientError::InvalidResponse),
        ] {
            assert_eq!(answer(status, body).unwrap_err().code(), code.code());
        }
    }
}
