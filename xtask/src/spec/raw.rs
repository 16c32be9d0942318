//! The spec as TOML spells it: serde types that keep the span of every value
//! a later check may need to point at (table names included). Unknown keys
//! are rejected here.

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    pub spec: RawMeta,
    #[serde(default)]
    pub release: Vec<RawRelease>,
    pub rate_limit: RawRateLimit,
    pub user_action: IndexMap<Spanned<String>, Spanned<RawUserAction>>,
    pub retry_class: IndexMap<Spanned<String>, Spanned<RawRetryClass>>,
    pub family: IndexMap<Spanned<String>, Spanned<RawFamily>>,
    #[serde(default)]
    pub envelope: IndexMap<Spanned<String>, Spanned<RawEnvelope>>,
    #[serde(default)]
    pub error: Vec<Spanned<RawError>>,
    #[serde(default)]
    pub operation_defaults: IndexMap<Spanned<String>, Spanned<RawOperationDefaults>>,
    #[serde(default)]
    pub operation: Vec<Spanned<RawOperation>>,
    #[serde(default)]
    pub acknowledge: Vec<Spanned<RawAcknowledgement>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    pub version: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRelease {
    pub version: Spanned<String>,
    pub summary: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRateLimit {
    pub burst_per_second: Spanned<i64>,
    pub sustained_per_second: Spanned<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUserAction {
    pub label: Spanned<String>,
    pub link: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetryClass {
    pub description: Spanned<String>,
    pub max_attempts: Spanned<i64>,
    pub initial_delay_ms: Spanned<i64>,
    pub multiplier: Spanned<f64>,
    pub max_delay_ms: Spanned<i64>,
    pub jitter: Spanned<String>,
    pub honor_retry_after: bool,
    pub reauthenticate: bool,
    pub security_alert: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFamily {
    pub rust_name: Spanned<String>,
    pub description: Spanned<String>,
    #[serde(default)]
    pub http: bool,
    pub unknown_http_status: Option<Spanned<i64>>,
    pub unknown_user_message: Spanned<String>,
    pub unknown_user_action: Spanned<String>,
    pub unknown_retry: Spanned<String>,
    /// Codes the SDK detects itself: operations list them in `client_errors`.
    #[serde(default)]
    pub sdk_detected: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnvelope {
    pub rust_name: Spanned<String>,
    pub description: Spanned<String>,
    pub families: Spanned<Vec<Spanned<String>>>,
    pub fields: Vec<Spanned<RawField>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawField {
    pub name: Spanned<String>,
    #[serde(rename = "type")]
    pub ty: Spanned<String>,
    pub required: bool,
    pub description: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawError {
    pub family: Spanned<String>,
    pub code: Spanned<String>,
    pub http_status: Option<Spanned<i64>>,
    pub description: Spanned<String>,
    pub user_message: Spanned<String>,
    pub user_action: Spanned<String>,
    pub user_facing: bool,
    pub retry: Spanned<String>,
    pub since: Spanned<String>,
    pub retired: Option<Spanned<String>>,
    pub replaced_by: Option<Spanned<String>>,
    #[serde(default)]
    pub extension: bool,
}

/// `[operation_defaults.FAMILY]`: codes every operation of the family can answer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOperationDefaults {
    pub errors: Vec<Spanned<String>>,
}

/// One `[[operation]]`: an HTTP route and the codes it can answer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOperation {
    /// UpperCamelCase: names the operation's error enum and OpenAPI operationId.
    pub name: Option<Spanned<String>>,
    pub method: Spanned<String>,
    pub path: Spanned<String>,
    pub summary: Spanned<String>,
    pub family: Spanned<String>,
    /// `false`: the family's `[operation_defaults]` do not apply.
    pub defaults: Option<Spanned<bool>>,
    #[serde(default)]
    pub errors: Vec<Spanned<String>>,
    #[serde(default)]
    pub client_errors: Vec<Spanned<String>>,
}

/// An explicit acknowledgement of one breaking change (see `spec-compat`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAcknowledgement {
    pub rule: Spanned<String>,
    pub subject: Spanned<String>,
    pub reason: Spanned<String>,
}
