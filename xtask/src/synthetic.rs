//! Synthetic specs for benchmarks and tests: valid specs of any size, with
//! the real families, retry classes, user actions and envelopes, and a
//! changed variant for `spec-compat`.

use std::fmt::Write as _;

/// Families of the real spec; codes are spread over them round-robin.
pub const FAMILIES: [&str; 4] = ["api", "validate", "heartbeat", "client"];

const RETRY: [&str; 5] = [
    "permanent",
    "transient",
    "throttled",
    "permanent",
    "reauthenticate",
];
const ACTIONS: [&str; 5] = ["check_key", "renew", "contact_support", "try_later", "none"];
const STATUSES: [u16; 8] = [400, 401, 402, 403, 404, 409, 429, 500];

/// A valid spec with `n_codes` error codes spread over the real families
/// (spec version 1.0.0, one release). Every family needs a code, so there
/// are at least four.
pub fn synthetic_spec(n_codes: usize) -> String {
    render(n_codes, false)
}

/// [`synthetic_spec`] one release later (1.1.0) with changes of every kind a
/// release typically has: about 1% of the codes get a new description, 1%
/// are retired, 1% more are added, one in 500 is deleted (breaking) and one
/// in 250 of the api family changes its HTTP status (breaking).
pub fn synthetic_spec_changed(n_codes: usize) -> String {
    render(n_codes, true)
}

fn render(n_codes: usize, changed: bool) -> String {
    let n_codes = n_codes.max(FAMILIES.len());
    let mut out = String::with_capacity(400 + n_codes * 320);
    let version = if changed { "1.1.0" } else { "1.0.0" };
    let _ = write!(out, "[spec]\nversion = \"{version}\"\n\n");
    if changed {
        out.push_str("[[release]]\nversion = \"1.1.0\"\nsummary = \"Synthetic changes.\"\n\n");
    }
    out.push_str(HEADER);
    let added = if changed { n_codes / 100 } else { 0 };
    for i in 0..n_codes + added {
        let is_new = i >= n_codes;
        if changed && !is_new && i % 500 == 499 {
            continue;
        }
        let family = FAMILIES[i % FAMILIES.len()];
        let _ = write!(
            out,
            "[[error]]\nfamily = \"{family}\"\ncode = \"code_{i:05}\"\n"
        );
        if family == "api" {
            let mut status = STATUSES[(i / FAMILIES.len()) % STATUSES.len()];
            if changed && i % 1000 == 0 {
                status = if status == 500 { 503 } else { 500 };
            }
            let _ = writeln!(out, "http_status = {status}");
        }
        let edited = if changed && i % 97 == 5 {
            " Now with more detail."
        } else {
            ""
        };
        let _ = write!(
            out,
            "description = \"Synthetic error number {i}, for benchmarks.{edited}\"\n\
             user_message = \"Something went wrong ({i}). Please try again later.\"\n\
             user_action = \"{}\"\nuser_facing = {}\nretry = \"{}\"\nsince = \"{}\"\n",
            ACTIONS[i % ACTIONS.len()],
            i % 3 == 0,
            RETRY[i % RETRY.len()],
            if is_new { "1.1.0" } else { "1.0.0" },
        );
        if changed && !is_new && i % 100 == 7 {
            out.push_str("retired = \"1.1.0\"\n");
        }
        out.push('\n');
    }
    out
}

const HEADER: &str = r#"[[release]]
version = "1.0.0"
summary = "Synthetic spec."

[rate_limit]
burst_per_second = 100
sustained_per_second = 50

[user_action.none]
label = "No action needed."

[user_action.check_key]
label = "Check your license key and try again."

[user_action.renew]
label = "Renew your license."
link = "renewal"

[user_action.contact_support]
label = "Contact support."

[user_action.try_later]
label = "Try again later."

[retry_class.permanent]
description = "Never retry."
max_attempts = 1
initial_delay_ms = 0
multiplier = 1.0
max_delay_ms = 0
jitter = "none"
honor_retry_after = false
reauthenticate = false
security_alert = false

[retry_class.transient]
description = "Retry with exponential backoff."
max_attempts = 4
initial_delay_ms = 500
multiplier = 2.0
max_delay_ms = 8000
jitter = "full"
honor_retry_after = true
reauthenticate = false
security_alert = false

[retry_class.throttled]
description = "Back off, honouring Retry-After."
max_attempts = 4
initial_delay_ms = 1000
multiplier = 2.0
max_delay_ms = 16000
jitter = "equal"
honor_retry_after = true
reauthenticate = false
security_alert = false

[retry_class.reauthenticate]
description = "Validate once more, then resume."
max_attempts = 1
initial_delay_ms = 0
multiplier = 1.0
max_delay_ms = 0
jitter = "none"
honor_retry_after = false
reauthenticate = true
security_alert = false

[retry_class.security]
description = "Never retry, always log."
max_attempts = 1
initial_delay_ms = 0
multiplier = 1.0
max_delay_ms = 0
jitter = "none"
honor_retry_after = false
reauthenticate = false
security_alert = true

[family.api]
rust_name = "ApiError"
http = true
unknown_http_status = 500
description = "Developer API errors."
unknown_user_message = "Something went wrong. Please try again later."
unknown_user_action = "try_later"
unknown_retry = "permanent"

[family.validate]
rust_name = "ValidateError"
description = "Errors of POST /auth/validate."
unknown_user_message = "Authentication failed."
unknown_user_action = "contact_support"
unknown_retry = "permanent"

[family.heartbeat]
rust_name = "HeartbeatError"
description = "Errors of POST /auth/heartbeat."
unknown_user_message = "Your session could not be confirmed."
unknown_user_action = "try_later"
unknown_retry = "permanent"

[family.client]
rust_name = "ClientError"
description = "Errors the SDK detects itself."
unknown_user_message = "Authentication failed."
unknown_user_action = "try_later"
unknown_retry = "permanent"

[envelope.api_error]
rust_name = "ApiErrorBody"
description = "Body of every Developer API error response."
families = ["api"]
fields = [
    { name = "error", type = "code", required = true, description = "The error code." },
    { name = "message", type = "string", required = true, description = "Developer-facing text." },
]

[envelope.auth_failure]
rust_name = "AuthFailure"
description = "Body of a failed auth answer."
families = ["validate", "heartbeat"]
fields = [
    { name = "status", type = "failed", required = true, description = "Always \"failed\"." },
    { name = "error", type = "code", required = true, description = "The error code." },
    { name = "details", type = "field_errors", required = false, description = "Each bad field." },
]

"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;

    #[test]
    fn synthetic_specs_are_valid() {
        for n in [1, 4, 10, 1200] {
            let base = Spec::parse("base.toml", &synthetic_spec(n)).expect("base spec is valid");
            let n = n.max(4);
            assert_eq!(base.errors.len(), n);
            let changed = Spec::parse("changed.toml", &synthetic_spec_changed(n))
                .expect("changed spec is valid");
            assert!(changed.errors.len() >= n - n / 500);
        }
    }
}
