//! Property tests: no input makes the parsers and verifiers panic.

use keyward_protocol::{
    CheckedResponse, HeartbeatRequest, Nonce, SessionToken, ValidateRequest, VerifiedPayload,
    check_response, check_signed, decode_payload, derive_key, verify_signature,
};
use proptest::prelude::*;

/// JSON-ish bodies: envelopes with random field values, to get past the JSON syntax.
fn envelope() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
        "[A-Za-z0-9+/=]{0,80}".prop_map(|s| format!("\"{s}\"")),
        "[0-9a-fA-F]{0,70}".prop_map(|s| format!("\"{s}\"")),
        Just("true".to_owned()),
        Just("1".to_owned()),
        Just("null".to_owned()),
        Just("[{}]".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
    ];
    let key = prop_oneof![
        Just("status"),
        Just("payload"),
        Just("signature"),
        Just("error"),
        Just("details"),
        Just("message"),
        Just("other"),
    ];
    prop::collection::vec((key, value), 0..7).prop_map(|fields| {
        let inner: Vec<String> = fields
            .into_iter()
            .map(|(k, v)| format!("\"{k}\":{v}"))
            .collect();
        format!("{{{}}}", inner.join(","))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn verifier_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512), status in any::<u16>(), nonce in ".{0,40}") {
        let _ = check_response(&body, status, &nonce, &[7; 32]).and_then(CheckedResponse::parse);
    }

    #[test]
    fn verifier_never_panics_on_envelopes(body in envelope(), status in any::<u16>()) {
        let nonce = "0123456789abcdef0123456789abcdef";
        let res = check_response(body.as_bytes(), status, nonce, &derive_key(b"s", nonce)).and_then(CheckedResponse::parse);
        // Random bodies are never a verified success.
        prop_assert!(!matches!(res, Ok(CheckedResponse::Success(_))));
    }

    #[test]
    fn stored_session_check_never_panics(payload in ".{0,200}", sig in ".{0,80}", nonce in ".{0,40}") {
        let _ = check_signed(&payload, &sig, &nonce, &[1; 32]).and_then(VerifiedPayload::parse);
        let _ = verify_signature(&[1; 32], &payload, &sig);
    }

    #[test]
    fn payload_decode_never_panics(text in ".{0,300}") {
        let _ = decode_payload(&text);
    }

    #[test]
    fn payload_decode_of_base64_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        use base64::Engine as _;
        let _ = decode_payload(&base64::engine::general_purpose::STANDARD.encode(bytes));
    }

    #[test]
    fn token_verify_never_panics(token in ".{0,300}", app in ".{0,10}", hwid in ".{0,10}", now in any::<i64>()) {
        let _ = SessionToken::verify(b"secret", &token, &app, &hwid, now);
        let _ = SessionToken::decode_unverified(&token);
        let _ = SessionToken::heartbeat_key(&token, "n");
    }

    #[test]
    fn token_verify_never_panics_on_base64ish(body in "[A-Za-z0-9_-]{0,200}", mac in "[A-Za-z0-9_-]{0,50}", dots in 0usize..3) {
        let token = format!("{body}{}{mac}", ".".repeat(dots));
        let _ = SessionToken::verify(b"secret", &token, "a", "h", 0);
        let _ = SessionToken::decode_unverified(&token);
    }

    #[test]
    fn request_parsers_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = ValidateRequest::parse(&body);
        let _ = HeartbeatRequest::parse(&body);
    }

    #[test]
    fn request_parsers_report_or_accept(
        app_id in prop::option::of(".{0,200}"),
        secret in prop::option::of(".{0,300}"),
        key in prop::option::of(".{0,200}"),
        hwid in prop::option::of(".{0,300}"),
        nonce in prop::option::of("[0-9a-fA-F]{30,34}"),
    ) {
        let mut obj = serde_json::Map::new();
        for (name, v) in [("appId", app_id), ("appSecret", secret), ("licenseKey", key), ("hwid", hwid), ("nonce", nonce)] {
            if let Some(v) = v {
                obj.insert(name.into(), v.into());
            }
        }
        let value = serde_json::Value::Object(obj);
        match ValidateRequest::from_value(&value) {
            Ok(req) => prop_assert!(req.validate().is_empty()),
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }

    #[test]
    fn nonce_parse_never_panics(s in ".{0,40}") {
        if let Ok(n) = Nonce::parse(&s) {
            prop_assert_eq!(n.as_str(), s.as_str());
        }
    }
}

/// Request bodies with every field name, random kinds of values, duplicates and escapes.
fn request_body() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
        "[0-9a-f]{32}".prop_map(|s| format!("\"{s}\"")),
        Just("\"a\\u0000b\\n\"".to_owned()),
        Just("null".to_owned()),
        Just("7".to_owned()),
        Just("[\"x\",{\"y\":[]}]".to_owned()),
        Just("{\"appId\":\"nested\"}".to_owned()),
    ];
    let key = prop_oneof![
        Just("appId"),
        Just("appSecret"),
        Just("licenseKey"),
        Just("hwid"),
        Just("nonce"),
        Just("sessionToken"),
        Just("app\\u0049d"),
        Just("other"),
    ];
    prop::collection::vec((key, value), 0..9).prop_map(|fields| {
        let fields: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", fields.join(","))
    })
}

proptest! {
    /// Parsing a body in one pass gives exactly what parsing its JSON tree gives.
    #[test]
    fn body_and_tree_parsers_agree(body in request_body()) {
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        prop_assert_eq!(ValidateRequest::parse(body.as_bytes()), ValidateRequest::from_value(&value));
        prop_assert_eq!(HeartbeatRequest::parse(body.as_bytes()), HeartbeatRequest::from_value(&value));
    }
}
