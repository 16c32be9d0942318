//! Round trips of every code through parsing, `code()` and serde; unknown
//! codes keep their raw text; the envelopes' wire form.

use keyward_errors::{
    ApiError, ApiErrorBody, AuthFailure, ClientError, ErrorCode, Failed, Family, FieldError,
    HeartbeatError, RetryClass, UnknownName, UserAction, ValidateAuthFailure, ValidateError,
};
use serde_json::json;

fn round_trip_family<E: ErrorCode + serde::Serialize + serde::de::DeserializeOwned + PartialEq>() {
    assert!(!E::ALL.is_empty());
    for error in E::ALL {
        let code = error.code();
        assert_eq!(&E::from_code(code), error);
        assert_eq!(E::known(code).as_ref(), Some(error));
        assert!(!error.is_unknown());
        let json = serde_json::to_string(error).expect("serializes");
        assert_eq!(json, format!("\"{code}\""));
        let back: E = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(&back, error);
        assert_eq!(error.info().map(|i| i.family), Some(E::FAMILY));
        assert!(!error.user_message().is_empty());
        assert!(error.to_string().starts_with(code));
    }
    // Codes are unique within the family.
    let mut codes: Vec<&str> = E::ALL.iter().map(|e| e.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), E::ALL.len());

    // A code from a newer server survives parsing and serde untouched.
    let raw = "feature_from_2030";
    let unknown = E::from_code(raw);
    assert!(unknown.is_unknown());
    assert_eq!(unknown.code(), raw);
    assert_eq!(E::known(raw), None);
    let json = serde_json::to_string(&unknown).expect("serializes");
    assert_eq!(json, format!("\"{raw}\""));
    let back: E = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, unknown);
    assert_eq!(unknown.retry_class(), E::FAMILY.info().unknown_retry_class);
    assert_eq!(
        unknown.user_message(),
        E::FAMILY.info().unknown_user_message
    );
    assert!(!unknown.user_facing());
    assert!(unknown.to_string().contains(raw));
}

#[test]
fn every_family_round_trips() {
    round_trip_family::<ApiError>();
    round_trip_family::<ValidateError>();
    round_trip_family::<HeartbeatError>();
    round_trip_family::<ClientError>();
}

#[test]
fn the_same_code_has_its_own_text_in_each_family() {
    let validate = ValidateError::from_code("revoked");
    let heartbeat = HeartbeatError::from_code("revoked");
    assert_eq!(validate.code(), heartbeat.code());
    assert_ne!(validate.description(), heartbeat.description());
    assert_eq!(ApiError::from_code("no_credits").http_status(), 402);
    assert_eq!(
        ValidateError::from_code("no_credits").retry_class(),
        RetryClass::Transient
    );
    assert_eq!(
        ApiError::from_code("no_credits").retry_class(),
        RetryClass::Permanent
    );
}

#[test]
fn parsing_is_exact() {
    // Codes are case-sensitive and whitespace is not trimmed: anything else is unknown.
    for raw in [
        "INVALID_KEY",
        " invalid_key",
        "invalid_key ",
        "",
        "invalid-key",
    ] {
        let error = ValidateError::from_code(raw);
        assert!(error.is_unknown(), "{raw:?}");
        assert_eq!(error.code(), raw);
    }
    let parsed: ValidateError = "invalid_key".parse().expect("infallible");
    assert_eq!(parsed, ValidateError::InvalidKey);
}

#[test]
fn a_non_string_code_is_a_serde_error() {
    assert!(serde_json::from_str::<ValidateError>("42").is_err());
    assert!(serde_json::from_str::<ValidateError>("null").is_err());
}

#[test]
fn unknown_api_code_counts_as_server_error() {
    assert_eq!(ApiError::from_code("something_new").http_status(), 500);
}

#[test]
fn api_error_body_wire_form() {
    let body = ApiErrorBody {
        error: ApiError::NotFound,
        message: ApiError::NotFound.description().to_owned(),
        details: None,
    };
    let value = serde_json::to_value(&body).expect("serializes");
    assert_eq!(
        value,
        json!({"error": "not_found", "message": "The license key, webhook, or endpoint doesn't exist."})
    );
    let back: ApiErrorBody = serde_json::from_value(value).expect("deserializes");
    assert_eq!(back, body);
}

#[test]
fn api_error_body_lists_bad_fields() {
    let body = ApiErrorBody {
        error: ApiError::BadRequest,
        message: "invalid request".to_owned(),
        details: Some(vec![FieldError::new(
            "hwidSlots",
            "must be between 1 and 16",
        )]),
    };
    assert_eq!(
        serde_json::to_value(&body).expect("serializes"),
        json!({"error": "bad_request", "message": "invalid request",
               "details": [{"field": "hwidSlots", "message": "must be between 1 and 16"}]})
    );
    // A body from a 1.1 server has no details.
    let old: ApiErrorBody =
        serde_json::from_str(r#"{"error":"forbidden","message":"no"}"#).expect("deserializes");
    assert_eq!(old.details, None);
}

#[test]
fn auth_failure_wire_form() {
    let plain = ValidateAuthFailure {
        status: Failed,
        error: ValidateError::HwidMismatch,
        details: None,
    };
    assert_eq!(
        serde_json::to_value(&plain).expect("serializes"),
        json!({"status": "failed", "error": "hwid_mismatch"})
    );
    let bad = AuthFailure {
        status: Failed,
        error: ValidateError::BadRequest,
        details: Some(vec![FieldError::new("licenseKey", "missing")]),
    };
    let value = serde_json::to_value(&bad).expect("serializes");
    assert_eq!(
        value,
        json!({"status": "failed", "error": "bad_request", "details": [{"field": "licenseKey", "message": "missing"}]})
    );
    let back: ValidateAuthFailure = serde_json::from_value(value).expect("deserializes");
    assert_eq!(back, bad);
}

#[test]
fn auth_failure_keeps_unknown_codes_and_ignores_new_fields() {
    let body = r#"{"status":"failed","error":"quota_exceeded","hint":"new field"}"#;
    let failure: AuthFailure<HeartbeatError> =
        serde_json::from_str(body).expect("forward compatible");
    assert_eq!(failure.error.code(), "quota_exceeded");
    assert!(failure.error.is_unknown());
}

#[test]
fn auth_failure_requires_the_failed_status() {
    let body = r#"{"status":"success","error":"revoked"}"#;
    assert!(serde_json::from_str::<ValidateAuthFailure>(body).is_err());
}

#[test]
fn families_and_actions_are_listed() {
    assert_eq!(Family::ALL.len(), 5);
    assert_eq!(Family::Validate.as_str(), "validate");
    assert_eq!(Family::Selfban.as_str(), "selfban");
    assert_eq!(
        <keyward_errors::SelfBanError as ErrorCode>::FAMILY,
        Family::Selfban
    );
    assert_eq!(<ValidateError as ErrorCode>::FAMILY, Family::Validate);
    assert!(UserAction::ALL.contains(&UserAction::Renew));
    assert!(RetryClass::ALL.iter().all(|c| !c.description().is_empty()));
    assert_eq!(ValidateError::iter().len(), ValidateError::ALL.len());
}

/// Everything a spec name type converts through, for one type: `FromStr`,
/// `TryFrom<&str>`, `AsRef<str>`, `Display` and serde, all with the spec's names.
fn spec_names_round_trip<T>(all: &[T], kind: &str)
where
    T: Copy
        + std::fmt::Debug
        + PartialEq
        + std::fmt::Display
        + AsRef<str>
        + std::str::FromStr<Err = UnknownName>
        + for<'a> TryFrom<&'a str, Error = UnknownName>
        + serde::Serialize
        + serde::de::DeserializeOwned,
{
    assert!(!all.is_empty());
    for &value in all {
        let name = value.as_ref();
        assert_eq!(name.parse::<T>(), Ok(value));
        assert_eq!(T::try_from(name), Ok(value));
        assert_eq!(value.to_string(), name);
        let json = serde_json::to_string(&value).expect("serializes");
        assert_eq!(json, format!("\"{name}\""));
        assert_eq!(
            serde_json::from_str::<T>(&json).expect("deserializes"),
            value
        );
        // Names are exact: another case is not the same name.
        let upper = name.to_uppercase();
        assert_eq!(
            upper.parse::<T>().expect_err("case-sensitive").name(),
            upper
        );
    }
    let error = "no_such_name".parse::<T>().expect_err("unknown name");
    assert_eq!(error.name(), "no_such_name");
    assert_eq!(error.kind(), kind);
    assert_eq!(
        error.to_string(),
        format!("unknown {kind} \"no_such_name\"")
    );
    assert!(serde_json::from_str::<T>("\"no_such_name\"").is_err());
}

#[test]
fn spec_names_parse_serialize_and_convert() {
    spec_names_round_trip(UserAction::ALL, "user action");
    spec_names_round_trip(RetryClass::ALL, "retry class");
    spec_names_round_trip(Family::ALL, "family");
    assert_eq!("permanent".parse::<RetryClass>(), Ok(RetryClass::Permanent));
    assert_eq!(UserAction::try_from("renew"), Ok(UserAction::Renew));
}

#[test]
fn an_unknown_name_is_a_std_error() {
    let error: Box<dyn std::error::Error> = Box::new("api2".parse::<Family>().unwrap_err());
    assert_eq!(error.to_string(), "unknown family \"api2\"");
}

#[test]
fn codes_are_str_references() {
    fn text(value: &impl AsRef<str>) -> &str {
        value.as_ref()
    }
    assert_eq!(text(&ValidateError::HwidMismatch), "hwid_mismatch");
    let unknown = ClientError::from_code("from_2030");
    assert_eq!(text(&unknown), "from_2030");
    // Reaching the opaque `UnknownCode` means naming the deprecated variant.
    #[allow(deprecated)]
    let ClientError::Unknown(raw) = unknown.clone() else {
        panic!("an unknown code is kept in `Unknown`");
    };
    assert_eq!(text(&raw), "from_2030");
    assert_eq!(raw.to_string(), unknown.code());
}
