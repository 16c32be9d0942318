//! Response bodies the handlers build around the store's types (`{"apps": [...]}`, ...),
//! `GET /health`'s answer, and the auth endpoints' signed success envelope, as schemas.
//! They document the wire only: the handlers write the same JSON (the contract check of
//! the test suite holds them to it).
// Never built: each one only describes a body.
#![allow(dead_code)]

use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::store::{AccessRule, App, License, Webhook};

/// The account's apps.
#[derive(ToSchema)]
pub(super) struct AppList {
    /// Every app of the account, oldest first.
    apps: Vec<App>,
}

/// An app's access rules.
#[derive(ToSchema)]
pub(super) struct AccessRuleList {
    /// Every allow and deny entry of the app.
    rules: Vec<AccessRule>,
}

/// The licenses just created.
#[derive(ToSchema)]
pub(super) struct CreatedLicenses {
    /// One per credit spent.
    licenses: Vec<License>,
}

/// The account's webhooks.
#[derive(ToSchema)]
pub(super) struct WebhookList {
    /// Every webhook of the account.
    webhooks: Vec<Webhook>,
}

/// `GET /health`'s answer.
#[derive(ToSchema)]
pub(super) struct Health {
    status: HealthStatus,
}

/// Always `ok`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(super) enum HealthStatus {
    /// The server answers.
    Ok,
}

/// A successful `/auth/validate` or `/auth/heartbeat` answer: a `SessionPayload`
/// signed, for an `hmac` app, with HMAC-SHA256 (key derived from the app secret and the
/// nonce on validate, from the session token's key and the nonce on heartbeat), for an
/// `ed25519` app with its active key, named in `keyId` (see docs/protocol.md).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(super) struct SignedSession {
    status: SuccessStatus,
    /// Standard base64 (with padding) of the `SessionPayload` JSON; the signature covers
    /// this text exactly as sent.
    #[schema(content_encoding = "base64", content_media_type = "application/json")]
    payload: String,
    /// The signature of `payload`'s text: for an `hmac` app lowercase hex HMAC-SHA256;
    /// for an `ed25519` app standard base64 (with padding) of the 64-byte Ed25519
    /// signature.
    #[schema(pattern = "^([0-9a-f]{64}|[A-Za-z0-9+/]{86}==)$")]
    signature: String,
    /// For an `ed25519` app: the id of the key that signed (listed in the app's
    /// `signingKeys`). Not covered by the signature.
    key_id: Option<String>,
}

/// A successful `/auth/selfban` answer, not signed: what this request did (each flag
/// true when asked for, also when the entry was there already).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(super) struct SelfBanAnswer {
    status: SuccessStatus,
    /// The license is revoked (only a session form can ask).
    revoked: bool,
    /// The HWID is on the app's deny list.
    hwid_blacklisted: bool,
    /// The caller's IP address is on the app's deny list.
    ip_blacklisted: bool,
}

/// Always `success` in an answer of this server.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(super) enum SuccessStatus {
    /// The request succeeded.
    Success,
}

/// The JSON object carried base64-encoded in a `SignedSession`'s `payload`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(super) struct SessionPayload {
    /// The session token to send with heartbeats. Secret.
    session_token: String,
    /// Server time of the response, Unix seconds.
    timestamp: i64,
    /// Absolute expiry of the session, Unix seconds (despite the name).
    expires_in: i64,
    /// The request's nonce, echoed.
    nonce: String,
    /// Variables of the app, when it has any.
    #[schema(value_type = Option<Object>)]
    app_variables: Option<Map<String, Value>>,
    /// Variables of the license, when it has any.
    #[schema(value_type = Option<Object>)]
    license_variables: Option<Map<String, Value>>,
    /// Server-side request identifier, for support.
    request_id: Option<String>,
    /// The session's expiry as an ISO 8601 time (protocol v2).
    session_expires_at: Option<String>,
    /// On validate: the license's expiry as an ISO 8601 time, `null` for a lifetime
    /// license.
    license_expires_at: Option<String>,
    /// On validate: the devices the license may be bound to.
    max_hwid_slots: Option<i64>,
    /// On validate: the devices bound to the license.
    hwid_count: Option<i64>,
    /// On validate: the license's label, if it has one.
    license_label: Option<String>,
}
