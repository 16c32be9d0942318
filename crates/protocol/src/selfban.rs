//! `POST /auth/selfban`: its two request forms and its (unsigned) success answer.
//!
//! The form is told by `sessionToken`: present, it is the session form (no secret, no
//! nonce); absent, the pre-session form (app secret, license key and a nonce).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fields::{self, Field};
use crate::nonce::Nonce;
use crate::wire::{
    APP_ID_MAX_LEN, APP_SECRET_MAX_LEN, FieldError, FieldReader, HWID_MAX_LEN, LICENSE_KEY_MAX_LEN,
    Redacted, SESSION_TOKEN_MAX_LEN, Status, body_error,
};

/// What a self-ban asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelfBanFlags {
    /// Revoke the license (the session form only: the pre-session form is refused with
    /// `revoke_requires_session`).
    pub revoke_license: bool,
    /// Add the request's HWID to the app's deny list.
    pub blacklist_hwid: bool,
    /// Add the caller's IP address to the app's deny list.
    pub blacklist_ip: bool,
}

/// The session form: `{"appId", "sessionToken", "hwid", "revokeLicense", "blacklistHwid",
/// "blacklistIp"}`. `Debug` redacts `sessionToken`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelfBanSessionRequest {
    /// The app's public identifier.
    pub app_id: String,
    /// The current session's token. Secret.
    pub session_token: String,
    /// The device's HWID; must be the session's.
    pub hwid: String,
    /// What to do.
    #[serde(flatten)]
    pub flags: SelfBanFlags,
}

/// The pre-session form: `{"appId", "appSecret", "licenseKey", "hwid", "nonce",
/// "revokeLicense", "blacklistHwid", "blacklistIp"}`. `Debug` redacts `appSecret` and
/// `licenseKey`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelfBanKeyRequest {
    /// The app's public identifier.
    pub app_id: String,
    /// The app's secret. Secret.
    pub app_secret: String,
    /// A license key of the app. Secret.
    pub license_key: String,
    /// The device's HWID.
    pub hwid: String,
    /// Fresh per-request nonce (a reused one is `replay_detected`).
    pub nonce: Nonce,
    /// What to do (`revokeLicense` is refused in this form).
    #[serde(flatten)]
    pub flags: SelfBanFlags,
}

/// Body of `POST /auth/selfban`, in either form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum SelfBanRequest {
    /// With a session token.
    Session(SelfBanSessionRequest),
    /// Before a session, with the app secret and a license key.
    PreSession(SelfBanKeyRequest),
}

/// The success answer: `{"status": "success", "revoked", "hwidBlacklisted",
/// "ipBlacklisted"}`, each flag saying what this request did. Not signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelfBanAnswer {
    /// Always [`Status::Success`] when built by this crate.
    pub status: Status,
    /// The license was revoked.
    #[serde(default)]
    pub revoked: bool,
    /// The HWID is on the app's deny list.
    #[serde(default)]
    pub hwid_blacklisted: bool,
    /// The caller's IP address is on the app's deny list.
    #[serde(default)]
    pub ip_blacklisted: bool,
}

impl SelfBanAnswer {
    /// A success answer with what was done.
    pub fn success(revoked: bool, hwid_blacklisted: bool, ip_blacklisted: bool) -> Self {
        Self {
            status: Status::Success,
            revoked,
            hwid_blacklisted,
            ip_blacklisted,
        }
    }
}

impl SelfBanRequest {
    /// The wire names of its fields, in order.
    const FIELDS: [&'static str; 9] = [
        "appId",
        "sessionToken",
        "appSecret",
        "licenseKey",
        "hwid",
        "nonce",
        "revokeLicense",
        "blacklistHwid",
        "blacklistIp",
    ];

    /// Parse a request body, reporting every bad field (not just the first), in field
    /// order. A `sessionToken` (not `null`) makes it the session form, whose other
    /// fields are then ignored; a missing flag is `false`. Unknown fields are ignored.
    pub fn parse(body: &[u8]) -> Result<Self, Vec<FieldError>> {
        Self::from_fields(fields::read(body, Self::FIELDS).map_err(body_error)?)
    }

    /// Like [`SelfBanRequest::parse`], from an already parsed JSON value.
    pub fn from_value(value: &Value) -> Result<Self, Vec<FieldError>> {
        Self::from_fields(fields::read_value(value, Self::FIELDS).map_err(body_error)?)
    }

    fn from_fields(fields: [fields::Named<'_>; 9]) -> Result<Self, Vec<FieldError>> {
        let [
            app_id,
            session_token,
            app_secret,
            license_key,
            hwid,
            nonce,
            revoke,
            ban_hwid,
            ban_ip,
        ] = fields;
        let mut r = FieldReader::default();
        let app_id = r.string(app_id, APP_ID_MAX_LEN);
        let session = !matches!(session_token.1, Field::Missing | Field::Null);
        let form = if session {
            r.string(session_token, SESSION_TOKEN_MAX_LEN).map(Err)
        } else {
            let app_secret = r.string(app_secret, APP_SECRET_MAX_LEN);
            let license_key = r.string(license_key, LICENSE_KEY_MAX_LEN);
            app_secret.zip(license_key).map(Ok)
        };
        let hwid = r.string(hwid, HWID_MAX_LEN);
        let nonce = if session { None } else { r.nonce(nonce) };
        let flags = SelfBanFlags {
            revoke_license: r.flag(revoke),
            blacklist_hwid: r.flag(ban_hwid),
            blacklist_ip: r.flag(ban_ip),
        };
        if !r.errors.is_empty() {
            return Err(r.errors);
        }
        match (app_id, form, hwid, nonce) {
            (Some(app_id), Some(Err(session_token)), Some(hwid), _) => {
                Ok(Self::Session(SelfBanSessionRequest {
                    app_id,
                    session_token,
                    hwid,
                    flags,
                }))
            }
            (Some(app_id), Some(Ok((app_secret, license_key))), Some(hwid), Some(nonce)) => {
                Ok(Self::PreSession(SelfBanKeyRequest {
                    app_id,
                    app_secret,
                    license_key,
                    hwid,
                    nonce,
                    flags,
                }))
            }
            _ => Err(r.errors),
        }
    }

    /// The app it is for.
    pub fn app_id(&self) -> &str {
        match self {
            Self::Session(req) => &req.app_id,
            Self::PreSession(req) => &req.app_id,
        }
    }
}

impl fmt::Debug for SelfBanSessionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelfBanSessionRequest")
            .field("app_id", &self.app_id)
            .field("session_token", &Redacted)
            .field("hwid", &self.hwid)
            .field("flags", &self.flags)
            .finish()
    }
}

impl fmt::Debug for SelfBanKeyRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelfBanKeyRequest")
            .field("app_id", &self.app_id)
            .field("app_secret", &Redacted)
            .field("license_key", &Redacted)
            .field("hwid", &self.hwid)
            .field("nonce", &self.nonce)
            .field("flags", &self.flags)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_token_chooses_the_form() {
        let session = SelfBanRequest::parse(
            br#"{"appId":"a","sessionToken":"t","hwid":"h","revokeLicense":true,"blacklistHwid":false,"blacklistIp":true}"#,
        )
        .unwrap();
        let SelfBanRequest::Session(req) = session else {
            panic!("not the session form: {session:?}");
        };
        assert_eq!(
            req.flags,
            SelfBanFlags {
                revoke_license: true,
                blacklist_hwid: false,
                blacklist_ip: true
            }
        );
        let nonce = "0123456789abcdef0123456789abcdef";
        let body = format!(
            r#"{{"appId":"a","appSecret":"s","licenseKey":"k","hwid":"h","nonce":"{nonce}","blacklistHwid":true}}"#
        );
        let SelfBanRequest::PreSession(req) = SelfBanRequest::parse(body.as_bytes()).unwrap()
        else {
            panic!("not the pre-session form");
        };
        assert_eq!(req.nonce.as_str(), nonce);
        assert!(req.flags.blacklist_hwid && !req.flags.revoke_license && !req.flags.blacklist_ip);
        // Serialized back, either form is the wire body it came from.
        let again: Value = serde_json::to_value(SelfBanRequest::PreSession(req)).unwrap();
        assert_eq!(again["blacklistHwid"], Value::Bool(true));
        assert_eq!(again["nonce"], Value::from(nonce));
    }

    #[test]
    fn every_bad_field_is_named() {
        let names = |body: &[u8]| -> Vec<String> {
            SelfBanRequest::parse(body)
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(
            names(br#"{"hwid":"h","nonce":"x","blacklistIp":"yes"}"#),
            ["appId", "appSecret", "licenseKey", "nonce", "blacklistIp"]
        );
        assert_eq!(
            names(br#"{"appId":"a","sessionToken":7,"hwid":"","revokeLicense":1}"#),
            ["sessionToken", "hwid", "revokeLicense"]
        );
        assert_eq!(names(b"[]"), ["body"]);
    }

    #[test]
    fn the_answer_on_the_wire() {
        assert_eq!(
            serde_json::to_string(&SelfBanAnswer::success(false, true, false)).unwrap(),
            r#"{"status":"success","revoked":false,"hwidBlacklisted":true,"ipBlacklisted":false}"#
        );
    }
}
