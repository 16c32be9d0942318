//! Request parsing: every bad field is reported, in field order.

use keyward_protocol::wire::{
    APP_ID_MAX_LEN, HWID_MAX_LEN, LICENSE_KEY_MAX_LEN, SESSION_TOKEN_MAX_LEN,
};
use keyward_protocol::{FieldError, HeartbeatRequest, Nonce, ValidateRequest};
use serde_json::json;

const NONCE: &str = "0123456789abcdef0123456789abcdef";

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn empty_object_reports_all_five_missing_fields() {
    let errors = ValidateRequest::parse(b"{}").unwrap_err();
    assert_eq!(
        fields(&errors),
        ["appId", "appSecret", "licenseKey", "hwid", "nonce"]
    );
    assert!(errors.iter().all(|e| e.message == "is required"));

    let errors = HeartbeatRequest::parse(b"{}").unwrap_err();
    assert_eq!(fields(&errors), ["appId", "sessionToken", "nonce", "hwid"]);
}

#[test]
fn valid_requests_parse() {
    let body = json!({
        "appId": "app_1", "appSecret": "s3cret", "licenseKey": "ABCD-EFGH-IJKL-MNOP",
        "hwid": "a".repeat(64), "nonce": NONCE, "unknown": [1, 2]
    });
    let req = ValidateRequest::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(req.app_id, "app_1");
    assert_eq!(req.nonce, Nonce::parse(NONCE).unwrap());
    assert_eq!(ValidateRequest::from_value(&body).unwrap(), req);
    assert!(req.validate().is_empty());
    // The serde route agrees, and serializes back with camelCase names.
    let via_serde: ValidateRequest = serde_json::from_value(body).unwrap();
    assert_eq!(via_serde, req);
    let back = serde_json::to_value(&req).unwrap();
    assert_eq!(back["licenseKey"], "ABCD-EFGH-IJKL-MNOP");

    let hb = json!({"appId": "app_1", "sessionToken": "x.y", "nonce": NONCE, "hwid": "h"});
    let req = HeartbeatRequest::parse(hb.to_string().as_bytes()).unwrap();
    assert_eq!(req.session_token, "x.y");
    assert!(req.validate().is_empty());
}

#[test]
fn every_kind_of_bad_field_is_reported() {
    let body = json!({
        "appId": 5,
        "appSecret": "",
        "licenseKey": "K".repeat(LICENSE_KEY_MAX_LEN + 1),
        "hwid": "bad\u{0}hwid",
        "nonce": NONCE.to_uppercase(),
    });
    let errors = ValidateRequest::from_value(&body).unwrap_err();
    assert_eq!(
        errors,
        vec![
            FieldError::new("appId", "must be a string"),
            FieldError::new("appSecret", "must not be empty"),
            FieldError::new(
                "licenseKey",
                format!("must be at most {LICENSE_KEY_MAX_LEN} bytes")
            ),
            FieldError::new("hwid", "must not contain control characters"),
            FieldError::new("nonce", "must be 32 lowercase hex characters"),
        ]
    );
    // Messages never echo values.
    let dump = format!("{errors:?}");
    assert!(!dump.contains("KKKK"));
}

#[test]
fn null_counts_as_missing_and_some_fields_can_be_good() {
    let body =
        json!({"appId": "a", "appSecret": null, "licenseKey": "k", "hwid": "h", "nonce": "abc"});
    let errors = ValidateRequest::from_value(&body).unwrap_err();
    assert_eq!(
        errors,
        vec![
            FieldError::new("appSecret", "is required"),
            FieldError::new("nonce", "must be 32 lowercase hex characters"),
        ]
    );
}

#[test]
fn length_limits() {
    let ok = json!({
        "appId": "a".repeat(APP_ID_MAX_LEN), "sessionToken": "t".repeat(SESSION_TOKEN_MAX_LEN),
        "nonce": NONCE, "hwid": "h".repeat(HWID_MAX_LEN)
    });
    assert!(HeartbeatRequest::from_value(&ok).is_ok());
    let too_long = json!({
        "appId": "a".repeat(APP_ID_MAX_LEN + 1), "sessionToken": "t".repeat(SESSION_TOKEN_MAX_LEN + 1),
        "nonce": NONCE, "hwid": "h".repeat(HWID_MAX_LEN + 1)
    });
    let errors = HeartbeatRequest::from_value(&too_long).unwrap_err();
    assert_eq!(fields(&errors), ["appId", "sessionToken", "hwid"]);
}

#[test]
fn unusable_bodies() {
    for body in [&b""[..], b"not json", b"{\"appId\":", b"\xff"] {
        assert_eq!(
            ValidateRequest::parse(body).unwrap_err(),
            vec![FieldError::new("body", "is not valid JSON")]
        );
    }
    for body in [&b"[]"[..], b"null", b"\"x\"", b"1"] {
        assert_eq!(
            HeartbeatRequest::parse(body).unwrap_err(),
            vec![FieldError::new("body", "must be a JSON object")]
        );
    }
}

#[test]
fn typed_validation_matches_parsing_rules() {
    let req = ValidateRequest {
        app_id: String::new(),
        app_secret: "s".repeat(10_000),
        license_key: "k".into(),
        hwid: "h".into(),
        nonce: Nonce::generate().unwrap(),
        ttl_seconds: None,
    };
    assert_eq!(fields(&req.validate()), ["appId", "appSecret"]);
}

#[test]
fn debug_redacts_secrets() {
    let req = ValidateRequest {
        app_id: "app".into(),
        app_secret: "SECRET-VALUE".into(),
        license_key: "LICENSE-VALUE".into(),
        hwid: "h".into(),
        nonce: Nonce::generate().unwrap(),
        ttl_seconds: None,
    };
    let dbg = format!("{req:?}");
    assert!(
        !dbg.contains("SECRET-VALUE") && !dbg.contains("LICENSE-VALUE"),
        "{dbg}"
    );
    assert!(dbg.contains("app"));
    let hb = HeartbeatRequest {
        app_id: "app".into(),
        session_token: "TOKEN-VALUE".into(),
        nonce: Nonce::generate().unwrap(),
        hwid: "h".into(),
    };
    assert!(!format!("{hb:?}").contains("TOKEN-VALUE"));
}
