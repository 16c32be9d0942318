//! The public error reference is the oracle: every row of it is held here as
//! its own fixture, written independently of spec/errors.toml, and the
//! generated crate must agree with each one.

use keyward_errors::{ApiError, ClientError, ErrorCode, HeartbeatError, ValidateError};

/// (HTTP status, code, description) of the Developer API table.
const API: &[(u16, &str, &str)] = &[
    (
        400,
        "bad_request",
        "Invalid or missing request parameters. Check the request body and query parameters.",
    ),
    (
        401,
        "invalid_api_key",
        "Missing, malformed, or revoked API key. Verify your Authorization: Bearer header.",
    ),
    (
        402,
        "no_credits",
        "Insufficient credits to complete the operation. Purchase more credits in the dashboard.",
    ),
    (
        403,
        "forbidden",
        "The target app or license doesn't belong to your account.",
    ),
    (
        404,
        "not_found",
        "The license key, webhook, or endpoint doesn't exist.",
    ),
    (
        429,
        "rate_limited",
        "Too many requests. Back off and retry with exponential backoff. Burst limit: 100 req/s, sustained: 50 req/s.",
    ),
    (
        500,
        "internal_error",
        "Unexpected server error. Retry the request. If persistent, contact support.",
    ),
];

/// (code, description, quoted user text) of the validate table.
const VALIDATE: &[(&str, &str, Option<&str>)] = &[
    (
        "invalid_app",
        "The App ID or App Secret is incorrect, or the app has been deactivated.",
        Some("Authentication failed."),
    ),
    (
        "app_disabled",
        "The app owner's account is suspended.",
        Some("Authentication service temporarily unavailable."),
    ),
    (
        "invalid_key",
        "The license key doesn't exist or doesn't belong to this app.",
        Some("Invalid license key. Please check and try again."),
    ),
    (
        "revoked",
        "The license has been revoked.",
        Some("This license has been deactivated. Contact support."),
    ),
    (
        "expired",
        "The license has passed its expiration date.",
        Some("Your license has expired."),
    ),
    (
        "hwid_mismatch",
        "All HWID slots are full and the current device's HWID doesn't match any bound device.",
        Some("This license is already in use on another device. Contact support to reset."),
    ),
    (
        "no_credits",
        "The app developer's account has insufficient credits.",
        Some("Authentication service temporarily unavailable. Please try again later."),
    ),
    (
        "blocked",
        "The device's HWID or IP is blacklisted, or not on a required whitelist.",
        Some("Authentication failed. Contact support."),
    ),
    (
        "bad_request",
        "The request body is malformed (missing fields, invalid types). Includes a details array.",
        None,
    ),
];

/// (code, description) of the heartbeat table.
const HEARTBEAT: &[(&str, &str)] = &[
    (
        "session_expired",
        "The session token is invalid or has expired. The SDK should re-authenticate.",
    ),
    (
        "revoked",
        "The license has been revoked since the last heartbeat.",
    ),
    (
        "expired",
        "The license has expired since the last heartbeat.",
    ),
    (
        "app_disabled",
        "The app owner's account has been suspended.",
    ),
    (
        "no_credits",
        "The app developer's account has insufficient credits for the heartbeat billing milestone.",
    ),
];

/// (code, description) of the SDK client-side table.
const CLIENT: &[(&str, &str)] = &[
    (
        "nonce_mismatch",
        "The nonce in the server response doesn't match the one sent in the request. Possible replay attack.",
    ),
    (
        "signature_mismatch",
        "The HMAC-SHA256 signature on the server response is invalid. Possible tampering.",
    ),
    (
        "network_error",
        "Connection timeout, DNS failure, or non-200 HTTP status. The SDK retries internally before failing.",
    ),
];

fn known<E: ErrorCode>(code: &str) -> E {
    E::known(code).unwrap_or_else(|| panic!("{:?} family lacks `{code}`", E::FAMILY))
}

#[test]
fn every_developer_api_row() {
    for &(status, code, description) in API {
        let error: ApiError = known(code);
        assert_eq!(error.code(), code);
        assert_eq!(error.http_status(), status, "{code}");
        assert_eq!(error.description(), description, "{code}");
    }
}

#[test]
fn every_validate_row() {
    for &(code, description, user_text) in VALIDATE {
        let error: ValidateError = known(code);
        assert_eq!(error.description(), description, "{code}");
        if let Some(text) = user_text {
            assert_eq!(error.user_message(), text, "{code}");
        }
    }
}

#[test]
fn every_heartbeat_row() {
    for &(code, description) in HEARTBEAT {
        let error: HeartbeatError = known(code);
        assert_eq!(error.description(), description, "{code}");
    }
}

#[test]
fn every_client_row() {
    for &(code, description) in CLIENT {
        let error: ClientError = known(code);
        assert_eq!(error.description(), description, "{code}");
    }
}

/// Validate codes of the reference service's current (Ed25519-era) protocol that its
/// error table does not list: they belong to the reference too, not to Keyward.
const VALIDATE_SINCE_PROTOCOL_V2: &[&str] =
    &["replay_detected", "app_burn_cap_reached", "system_error"];
/// Heartbeat codes of the reference service's current protocol beyond its error table.
const HEARTBEAT_SINCE_PROTOCOL_V2: &[&str] = &["app_burn_cap_reached", "system_error"];

#[test]
fn no_code_outside_the_reference_unless_marked_as_extension() {
    fn check<E: ErrorCode>(reference: &[&str]) {
        for error in E::ALL {
            let info = error.info().expect("ALL holds known codes");
            assert_eq!(
                !reference.contains(&info.code),
                info.extension,
                "{:?}/{}: extension marker disagrees with the reference",
                E::FAMILY,
                info.code
            );
        }
    }
    check::<ApiError>(&API.iter().map(|r| r.1).collect::<Vec<_>>());
    check::<ValidateError>(
        &VALIDATE
            .iter()
            .map(|r| r.0)
            .chain(VALIDATE_SINCE_PROTOCOL_V2.iter().copied())
            .collect::<Vec<_>>(),
    );
    check::<HeartbeatError>(
        &HEARTBEAT
            .iter()
            .map(|r| r.0)
            .chain(HEARTBEAT_SINCE_PROTOCOL_V2.iter().copied())
            .collect::<Vec<_>>(),
    );
    check::<ClientError>(&CLIENT.iter().map(|r| r.0).collect::<Vec<_>>());
}

#[test]
fn expired_asks_for_a_renewal_link() {
    assert_eq!(ValidateError::Expired.user_action().link(), Some("renewal"));
    assert_eq!(
        HeartbeatError::Expired.user_action().link(),
        Some("renewal")
    );
}

#[test]
fn no_credits_is_never_exposed_and_is_transient() {
    use keyward_errors::RetryClass;
    for error in [
        ValidateError::NoCredits.info(),
        HeartbeatError::NoCredits.info(),
    ] {
        let info = error.expect("known");
        assert!(!info.user_facing);
        assert_eq!(info.retry_class, RetryClass::Transient);
        assert!(!info.user_message.contains("credit"));
    }
}

#[test]
fn retry_classes_follow_the_best_practices() {
    use keyward_errors::RetryClass::*;
    // "Don't retry on permanent errors (invalid_key, revoked, hwid_mismatch)".
    for e in [
        ValidateError::InvalidKey,
        ValidateError::Revoked,
        ValidateError::HwidMismatch,
    ] {
        assert_eq!(e.retry_class(), Permanent, "{e}");
        assert!(!e.retry_policy().retries());
    }
    assert_eq!(ClientError::NetworkError.retry_class(), Transient);
    assert!(ClientError::NetworkError.retry_policy().retries());
    assert_eq!(HeartbeatError::SessionExpired.retry_class(), Reauthenticate);
    assert!(HeartbeatError::SessionExpired.retry_policy().reauthenticate);
    for e in [ClientError::NonceMismatch, ClientError::SignatureMismatch] {
        assert_eq!(e.retry_class(), Security);
        assert!(e.retry_policy().security_alert);
        assert!(!e.retry_policy().retries());
    }
    assert_eq!(ApiError::RateLimited.retry_class(), Throttled);
    assert!(ApiError::RateLimited.retry_policy().honor_retry_after);
}

#[test]
fn rate_limits_of_the_reference() {
    assert_eq!(keyward_errors::RATE_LIMIT.burst_per_second, 100);
    assert_eq!(keyward_errors::RATE_LIMIT.sustained_per_second, 50);
}

#[test]
fn user_messages_never_contain_a_code() {
    fn check<E: ErrorCode>() {
        // Codes such as `expired` are plain words; the identifiers are the ones to keep out.
        let codes: Vec<&str> = E::ALL
            .iter()
            .filter_map(|e| e.info())
            .map(|i| i.code)
            .filter(|c| c.contains('_'))
            .collect();
        for error in E::ALL {
            for code in &codes {
                assert!(
                    !error.user_message().contains(code),
                    "{error}: user message names `{code}`"
                );
            }
        }
    }
    check::<ApiError>();
    check::<ValidateError>();
    check::<HeartbeatError>();
    check::<ClientError>();
}
