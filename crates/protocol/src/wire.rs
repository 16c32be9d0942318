//! JSON types of the public auth endpoints, with camelCase field names as on the wire.
//!
//! Requests ([`ValidateRequest`], [`HeartbeatRequest`]) come with a parser that reports
//! *every* bad field at once (for the server's `bad_request` details), responses are the
//! signed success envelope ([`SignedResponse`]) (the unsigned failure envelope is
//! `keyward_errors::AuthFailure`), and
//! [`SessionPayload`] is the JSON object carried base64-encoded in a success envelope.

use std::borrow::Cow;
use std::fmt;

use keyward_errors::Failed;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::fields::{self, BodyError, Field, Named};
use crate::nonce::Nonce;

/// The request header in which Keyward's SDK names the error spec version it was built
/// against (`keyward_errors::SPEC_VERSION`), so that a server sends a code retired since
/// (`internal_error`) to clients that know nothing newer. Reference SDKs send none.
pub const SPEC_VERSION_HEADER: &str = "keyward-spec-version";

/// Longest accepted `appId`, in bytes.
pub const APP_ID_MAX_LEN: usize = 128;
/// Longest accepted `appSecret`, in bytes.
pub const APP_SECRET_MAX_LEN: usize = 256;
/// Longest accepted `licenseKey`, in bytes (keys look like `XXXX-XXXX-XXXX-XXXX`).
pub const LICENSE_KEY_MAX_LEN: usize = 128;
/// Longest accepted `hwid`, in bytes (reference SDKs send a 64-character SHA-256 hex digest).
pub const HWID_MAX_LEN: usize = 256;
/// Longest accepted `sessionToken`, in bytes. Tokens issued for requests within the other
/// limits stay well below it (at most about 2.2 KB).
pub const SESSION_TOKEN_MAX_LEN: usize = 4096;

/// The `status` of a response envelope.
///
/// Parsing accepts every spelling of success that the reference SDKs accept — `"ok"`,
/// `"success"`, `"valid"`, `true` and `1` — and `"failed"`; anything else is a
/// [`StatusError`]. Serializing writes `"success"` or `"failed"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The request succeeded; the envelope carries a signed payload.
    Success,
    /// The request failed; the envelope carries an `error` code.
    Failed,
}

/// A `status` value that is neither a success spelling nor `"failed"`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unrecognized status value {0}")]
pub struct StatusError(pub String);

impl Status {
    /// The canonical wire spelling: `"success"` or `"failed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Failed => Failed::TEXT,
        }
    }

    /// Classify a status string.
    pub fn from_str_value(s: &str) -> Result<Self, StatusError> {
        classify_str(s).ok_or_else(|| StatusError(truncate_for_error(&format!("{s:?}"))))
    }

    /// Classify any JSON value found in a `status` field.
    pub fn from_value(v: &Value) -> Result<Self, StatusError> {
        match v {
            Value::String(s) => Status::from_str_value(s),
            Value::Bool(true) => Ok(Status::Success),
            Value::Number(n) if n.as_u64() == Some(1) => Ok(Status::Success),
            other => Err(StatusError(truncate_for_error(&other.to_string()))),
        }
    }

    /// True for [`Status::Success`].
    pub fn is_success(self) -> bool {
        self == Status::Success
    }
}

/// `Some` for the accepted status strings.
pub(crate) fn classify_str(s: &str) -> Option<Status> {
    match s {
        "ok" | "success" | "valid" => Some(Status::Success),
        Failed::TEXT => Some(Status::Failed),
        _ => None,
    }
}

fn truncate_for_error(s: &str) -> String {
    const MAX: usize = 64;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StatusVisitor;
        impl Visitor<'_> for StatusVisitor {
            type Value = Status;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    r#""ok", "success", "valid", true, 1 or "{}""#,
                    Failed::TEXT
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Status, E> {
                Status::from_str_value(v).map_err(E::custom)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Status, E> {
                if v {
                    Ok(Status::Success)
                } else {
                    Err(E::invalid_value(de::Unexpected::Bool(v), &self))
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Status, E> {
                if v == 1 {
                    Ok(Status::Success)
                } else {
                    Err(E::invalid_value(de::Unexpected::Unsigned(v), &self))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Status, E> {
                if v == 1 {
                    Ok(Status::Success)
                } else {
                    Err(E::invalid_value(de::Unexpected::Signed(v), &self))
                }
            }
        }
        deserializer.deserialize_any(StatusVisitor)
    }
}

/// One entry of a `bad_request` failure's `details` (the error model's type): field names
/// are the wire (camelCase) names; messages never quote the value.
pub use keyward_errors::FieldError;

/// Debug placeholder for secret fields.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Body of `POST /auth/validate`.
///
/// `Debug` redacts `appSecret` and `licenseKey`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateRequest {
    /// The app's public identifier.
    pub app_id: String,
    /// The app's secret, also the root of the response signing key. Secret.
    pub app_secret: String,
    /// The end user's license key, e.g. `XXXX-XXXX-XXXX-XXXX`. Secret.
    pub license_key: String,
    /// Opaque device fingerprint (reference SDKs send a SHA-256 hex digest).
    pub hwid: String,
    /// Fresh per-request nonce.
    pub nonce: Nonce,
    /// The session lifetime asked for, in seconds (protocol v2; optional). Any integer is
    /// accepted (saturated to `i64`); the server clamps it ([`session_lifetime`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<i64>,
}

/// Shortest session lifetime a validate may ask for, in seconds (1 h).
pub const MIN_SESSION_TTL_SECS: i64 = 3600;
/// Longest session lifetime a validate may ask for, in seconds (7 days).
pub const MAX_SESSION_TTL_SECS: i64 = 604_800;

/// The lifetime of a session whose validate asked for `requested` seconds: the server's
/// `default` when it asked for none or for less than 1 s, else `requested` clamped to
/// [[`MIN_SESSION_TTL_SECS`], [`MAX_SESSION_TTL_SECS`]] (never refused).
pub fn session_lifetime(requested: Option<i64>, default: i64) -> i64 {
    match requested {
        Some(secs) if secs > 0 => secs.clamp(MIN_SESSION_TTL_SECS, MAX_SESSION_TTL_SECS),
        _ => default,
    }
}

impl fmt::Debug for ValidateRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidateRequest")
            .field("app_id", &self.app_id)
            .field("app_secret", &Redacted)
            .field("license_key", &Redacted)
            .field("hwid", &self.hwid)
            .field("nonce", &self.nonce)
            .field("ttl_seconds", &self.ttl_seconds)
            .finish()
    }
}

/// Body of `POST /auth/heartbeat`.
///
/// `Debug` redacts `sessionToken`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatRequest {
    /// The app's public identifier.
    pub app_id: String,
    /// The session token from the last success payload. Secret.
    pub session_token: String,
    /// Fresh per-request nonce.
    pub nonce: Nonce,
    /// Opaque device fingerprint; must be the one the session was issued for.
    pub hwid: String,
}

impl fmt::Debug for HeartbeatRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeartbeatRequest")
            .field("app_id", &self.app_id)
            .field("session_token", &Redacted)
            .field("nonce", &self.nonce)
            .field("hwid", &self.hwid)
            .finish()
    }
}

/// What is wrong with a string field's content, if anything.
fn check_text(s: &str, max: usize) -> Option<String> {
    if s.is_empty() {
        Some("must not be empty".to_owned())
    } else if s.len() > max {
        Some(format!("must be at most {max} bytes"))
    } else if has_control(s) {
        Some("must not contain control characters".to_owned())
    } else {
        None
    }
}

/// Whether `s` has a control character (C0, DEL or C1). ASCII text (all requests in
/// practice) is checked in one pass the compiler vectorizes; other text by character.
fn has_control(s: &str) -> bool {
    let (ascii_control, non_ascii) = s.bytes().fold((false, false), |(control, wide), b| {
        (control | (b < 0x20) | (b == 0x7f), wide | (b >= 0x80))
    });
    if non_ascii {
        s.chars().any(char::is_control)
    } else {
        ascii_control
    }
}

const NONCE_MESSAGE: &str = "must be 32 lowercase hex characters";

/// Collects bad fields while reading a request's fields.
#[derive(Default)]
pub(crate) struct FieldReader {
    pub(crate) errors: Vec<FieldError>,
}

impl FieldReader {
    /// The field if present as a string (`null` counts as missing).
    fn raw_string<'a>(&mut self, (name, field): Named<'a>) -> Option<Cow<'a, str>> {
        match field {
            Field::Missing | Field::Null => {
                self.errors.push(FieldError::new(name, "is required"));
                None
            }
            Field::Text(s) => Some(s),
            Field::Integer(_) | Field::Bool(_) | Field::Other => {
                self.errors.push(FieldError::new(name, "must be a string"));
                None
            }
        }
    }

    pub(crate) fn string(&mut self, field: Named<'_>, max: usize) -> Option<String> {
        let name = field.0;
        let s = self.raw_string(field)?;
        match check_text(&s, max) {
            Some(message) => {
                self.errors.push(FieldError::new(name, message));
                None
            }
            None => Some(s.into_owned()),
        }
    }

    /// An optional integer, saturated to `i64`: `Ok(None)` when missing or `null`.
    fn integer(&mut self, (name, field): Named<'_>) -> Result<Option<i64>, ()> {
        match field {
            Field::Missing | Field::Null => Ok(None),
            Field::Integer(n) => Ok(Some(i64::try_from(n).unwrap_or(if n < 0 {
                i64::MIN
            } else {
                i64::MAX
            }))),
            Field::Text(_) | Field::Bool(_) | Field::Other => {
                self.errors
                    .push(FieldError::new(name, "must be an integer"));
                Err(())
            }
        }
    }

    /// An optional boolean: `false` when missing or `null`.
    pub(crate) fn flag(&mut self, (name, field): Named<'_>) -> bool {
        match field {
            Field::Missing | Field::Null => false,
            Field::Bool(value) => value,
            Field::Text(_) | Field::Integer(_) | Field::Other => {
                self.errors.push(FieldError::new(name, "must be a boolean"));
                false
            }
        }
    }

    pub(crate) fn nonce(&mut self, field: Named<'_>) -> Option<Nonce> {
        let name = field.0;
        let s = self.raw_string(field)?;
        match Nonce::parse(&s) {
            Ok(n) => Some(n),
            Err(_) => {
                self.errors.push(FieldError::new(name, NONCE_MESSAGE));
                None
            }
        }
    }
}

/// The `body` field error for a body that is not a JSON object.
pub(crate) fn body_error(err: BodyError) -> Vec<FieldError> {
    let message = match err {
        BodyError::NotJson => "is not valid JSON",
        BodyError::NotAnObject => "must be a JSON object",
    };
    vec![FieldError::new("body", message)]
}

/// Push an error for `name` if `value` breaks the field rules.
fn check_into(errors: &mut Vec<FieldError>, name: &str, value: &str, max: usize) {
    if let Some(message) = check_text(value, max) {
        errors.push(FieldError::new(name, message));
    }
}

impl ValidateRequest {
    /// The wire names of its fields, in order.
    const FIELDS: [&'static str; 6] = [
        "appId",
        "appSecret",
        "licenseKey",
        "hwid",
        "nonce",
        "ttlSeconds",
    ];

    /// Parse a request body, reporting every missing, mistyped, empty, over-long or
    /// otherwise bad field (not just the first), in field order. Unknown fields are ignored.
    pub fn parse(body: &[u8]) -> Result<Self, Vec<FieldError>> {
        Self::from_fields(fields::read(body, Self::FIELDS).map_err(body_error)?)
    }

    /// Like [`ValidateRequest::parse`], from an already parsed JSON value.
    pub fn from_value(value: &Value) -> Result<Self, Vec<FieldError>> {
        Self::from_fields(fields::read_value(value, Self::FIELDS).map_err(body_error)?)
    }

    fn from_fields(fields: [Named<'_>; 6]) -> Result<Self, Vec<FieldError>> {
        let [app_id, app_secret, license_key, hwid, nonce, ttl_seconds] = fields;
        let mut r = FieldReader::default();
        let app_id = r.string(app_id, APP_ID_MAX_LEN);
        let app_secret = r.string(app_secret, APP_SECRET_MAX_LEN);
        let license_key = r.string(license_key, LICENSE_KEY_MAX_LEN);
        let hwid = r.string(hwid, HWID_MAX_LEN);
        let nonce = r.nonce(nonce);
        let ttl_seconds = r.integer(ttl_seconds);
        match (app_id, app_secret, license_key, hwid, nonce, ttl_seconds) {
            (
                Some(app_id),
                Some(app_secret),
                Some(license_key),
                Some(hwid),
                Some(nonce),
                Ok(ttl_seconds),
            ) if r.errors.is_empty() => Ok(ValidateRequest {
                app_id,
                app_secret,
                license_key,
                hwid,
                nonce,
                ttl_seconds,
            }),
            _ => Err(r.errors),
        }
    }

    /// Check an already typed request against the same rules as [`ValidateRequest::parse`]
    /// (the nonce is valid by construction). Empty when the request is fine.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_into(&mut errors, "appId", &self.app_id, APP_ID_MAX_LEN);
        check_into(
            &mut errors,
            "appSecret",
            &self.app_secret,
            APP_SECRET_MAX_LEN,
        );
        check_into(
            &mut errors,
            "licenseKey",
            &self.license_key,
            LICENSE_KEY_MAX_LEN,
        );
        check_into(&mut errors, "hwid", &self.hwid, HWID_MAX_LEN);
        errors
    }
}

impl HeartbeatRequest {
    /// The wire names of its fields, in order.
    const FIELDS: [&'static str; 4] = ["appId", "sessionToken", "nonce", "hwid"];

    /// Parse a request body, reporting every bad field (not just the first), in field
    /// order. Unknown fields are ignored.
    pub fn parse(body: &[u8]) -> Result<Self, Vec<FieldError>> {
        Self::from_fields(fields::read(body, Self::FIELDS).map_err(body_error)?)
    }

    /// Like [`HeartbeatRequest::parse`], from an already parsed JSON value.
    pub fn from_value(value: &Value) -> Result<Self, Vec<FieldError>> {
        Self::from_fields(fields::read_value(value, Self::FIELDS).map_err(body_error)?)
    }

    fn from_fields(fields: [Named<'_>; 4]) -> Result<Self, Vec<FieldError>> {
        let [app_id, session_token, nonce, hwid] = fields;
        let mut r = FieldReader::default();
        let app_id = r.string(app_id, APP_ID_MAX_LEN);
        let session_token = r.string(session_token, SESSION_TOKEN_MAX_LEN);
        let nonce = r.nonce(nonce);
        let hwid = r.string(hwid, HWID_MAX_LEN);
        match (app_id, session_token, nonce, hwid) {
            (Some(app_id), Some(session_token), Some(nonce), Some(hwid)) if r.errors.is_empty() => {
                Ok(HeartbeatRequest {
                    app_id,
                    session_token,
                    nonce,
                    hwid,
                })
            }
            _ => Err(r.errors),
        }
    }

    /// Check an already typed request against the same rules as [`HeartbeatRequest::parse`].
    /// Empty when the request is fine.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_into(&mut errors, "appId", &self.app_id, APP_ID_MAX_LEN);
        check_into(
            &mut errors,
            "sessionToken",
            &self.session_token,
            SESSION_TOKEN_MAX_LEN,
        );
        check_into(&mut errors, "hwid", &self.hwid, HWID_MAX_LEN);
        errors
    }
}

/// The success envelope: `{"status": "success", "payload": "<base64>", "signature": "<hex>"}`
/// in HMAC mode, `{..., "signature": "<base64>", "keyId": "<id>"}` in Ed25519 mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedResponse {
    /// Always [`Status::Success`] when built by this crate.
    pub status: Status,
    /// Standard base64 (with padding) of the [`SessionPayload`] JSON; the signature covers
    /// this text exactly as sent.
    pub payload: String,
    /// Lowercase hex HMAC-SHA256 of `payload`'s text (HMAC mode), or standard base64 of
    /// its Ed25519 signature (Ed25519 mode).
    pub signature: String,
    /// The id of the Ed25519 key that signed; absent in HMAC mode.
    #[serde(default, rename = "keyId", skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

/// The JSON object carried (base64-encoded) in a success envelope's `payload`.
///
/// `Debug` redacts `sessionToken`. Unknown fields are ignored when parsing.
///
/// Fields are written in this order: the scalars before the variables objects, since a
/// reference SDK (C++) takes the first occurrence of a name anywhere in the text.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionPayload {
    /// The session token to send with heartbeats. Secret.
    pub session_token: String,
    /// Server time of the response, unix seconds. Read from unix seconds (HMAC era) or
    /// an ISO 8601 UTC string (protocol v2).
    #[serde(deserialize_with = "crate::iso_time::deserialize_timestamp")]
    pub timestamp: i64,
    /// Absolute expiry of the session, unix seconds (despite the name).
    pub expires_in: i64,
    /// The request's nonce, echoed.
    pub nonce: String,
    /// `expiresIn` as ISO 8601 UTC (protocol v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_expires_at: Option<String>,
    /// Validate (protocol v2): the license's expiry as ISO 8601 UTC, `Some(None)` (JSON
    /// `null`) for a lifetime license.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub license_expires_at: Option<Option<String>>,
    /// Validate (protocol v2): the app's HWID slots per license.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_hwid_slots: Option<i64>,
    /// Validate (protocol v2): the devices bound to the license after this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hwid_count: Option<i64>,
    /// Validate (protocol v2): the license's label, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_label: Option<String>,
    /// Variables of the app, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_variables: Option<Map<String, Value>>,
    /// Variables of the license, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_variables: Option<Map<String, Value>>,
    /// Server-side request identifier, for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl SessionPayload {
    /// Appends the payload's JSON, byte for byte what `serde_json::to_vec` gives (same
    /// field order, same escapes), without serde's per-byte string escaping.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        use crate::json_out::{push_int, push_serde, push_str};
        out.extend_from_slice(br#"{"sessionToken":"#);
        push_str(out, &self.session_token);
        out.extend_from_slice(br#","timestamp":"#);
        push_int(out, self.timestamp);
        out.extend_from_slice(br#","expiresIn":"#);
        push_int(out, self.expires_in);
        out.extend_from_slice(br#","nonce":"#);
        push_str(out, &self.nonce);
        if let Some(at) = &self.session_expires_at {
            out.extend_from_slice(br#","sessionExpiresAt":"#);
            push_str(out, at);
        }
        if let Some(at) = &self.license_expires_at {
            out.extend_from_slice(br#","licenseExpiresAt":"#);
            match at {
                Some(at) => push_str(out, at),
                None => out.extend_from_slice(b"null"),
            }
        }
        if let Some(slots) = self.max_hwid_slots {
            out.extend_from_slice(br#","maxHwidSlots":"#);
            push_int(out, slots);
        }
        if let Some(count) = self.hwid_count {
            out.extend_from_slice(br#","hwidCount":"#);
            push_int(out, count);
        }
        if let Some(label) = &self.license_label {
            out.extend_from_slice(br#","licenseLabel":"#);
            push_str(out, label);
        }
        if let Some(variables) = &self.app_variables {
            out.extend_from_slice(br#","appVariables":"#);
            push_serde(out, variables);
        }
        if let Some(variables) = &self.license_variables {
            out.extend_from_slice(br#","licenseVariables":"#);
            push_serde(out, variables);
        }
        if let Some(id) = &self.request_id {
            out.extend_from_slice(br#","requestId":"#);
            push_str(out, id);
        }
        out.push(b'}');
    }
}

impl fmt::Debug for SessionPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionPayload")
            .field("session_token", &Redacted)
            .field("timestamp", &self.timestamp)
            .field("expires_in", &self.expires_in)
            .field("nonce", &self.nonce)
            .field("session_expires_at", &self.session_expires_at)
            .field("license_expires_at", &self.license_expires_at)
            .field("max_hwid_slots", &self.max_hwid_slots)
            .field("hwid_count", &self.hwid_count)
            .field("license_label", &self.license_label)
            .field("app_variables", &self.app_variables)
            .field("license_variables", &self.license_variables)
            .field("request_id", &self.request_id)
            .finish()
    }
}

/// A field that is present, `null` included (`Some(None)`); absence is the `default`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl SessionPayload {
    /// True once `now_unix` has reached the absolute expiry `expiresIn`.
    pub fn is_expired(&self, now_unix: i64) -> bool {
        now_unix >= self.expires_in
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Protocol v2's order: every scalar before the variables objects.
    #[test]
    fn payload_scalars_come_before_the_variables() {
        let payload = SessionPayload {
            session_token: "t".into(),
            nonce: "n".into(),
            session_expires_at: Some("s".into()),
            license_expires_at: Some(None),
            max_hwid_slots: Some(2),
            hwid_count: Some(1),
            license_label: Some("l".into()),
            app_variables: serde_json::from_str(r#"{"licenseLabel":"x"}"#).ok(),
            ..Default::default()
        };
        let mut out = Vec::new();
        payload.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"sessionToken":"t","timestamp":0,"expiresIn":0,"nonce":"n","sessionExpiresAt":"s","licenseExpiresAt":null,"maxHwidSlots":2,"hwidCount":1,"licenseLabel":"l","appVariables":{"licenseLabel":"x"}}"#
        );
    }

    proptest! {
        /// The one-pass check agrees with the definition on any text.
        #[test]
        fn has_control_is_char_is_control(s in any::<String>()) {
            prop_assert_eq!(has_control(&s), s.chars().any(char::is_control));
        }

        #[test]
        fn has_control_on_ascii(bytes in proptest::collection::vec(0u8..0x80, 0..80)) {
            let s = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(has_control(&s), s.chars().any(char::is_control));
        }
    }
}
