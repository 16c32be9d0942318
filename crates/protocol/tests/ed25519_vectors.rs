//! The reference SDKs' published Ed25519 vectors (`test_vectors.json`, byte-identical in
//! all six SDK repositories since 2026-04-20), and signing vectors for our server side:
//! the RFC 8032 test-1 secret key signing the same payload texts.

use keyward_protocol::ed25519::{AnswerSigningKey, TrustedKeys, key_id};
use keyward_protocol::{CheckedResponse, ResponseError, check_response, check_signed};

/// `publicKey` of the published vectors.
const PUBLIC_KEY: &str = "0wRcYWn44wk9tHOisXgso1wbtUqpFdy0IeMk4HXDiNc=";
const PUBLIC_KEY_HEX: &str = "d3045c6169f8e3093db473a2b1782ca35c1bb54aa915dcb421e324e075c388d7";
/// The bogus first entry of the SDKs' trust-list test.
const BOGUS_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

const VALIDATE_PAYLOAD: &str = "eyJzZXNzaW9uVG9rZW4iOiJzZXNzaW9uLnZhbGlkYXRlLnRva2VuIiwidGltZXN0YW1wIjoiMjAyNi0wNC0yMFQwMDowMDowMC4wMDBaIiwiZXhwaXJlc0luIjoxOTAwMDAwMDAwLCJub25jZSI6Im5vbmNlLXZhbGlkYXRlLTAwMSIsInJlcXVlc3RJZCI6InJlcS12YWxpZGF0ZS0wMDEiLCJhcHBWYXJpYWJsZXMiOnsidGllciI6InBybyJ9LCJsaWNlbnNlVmFyaWFibGVzIjp7InJlZ2lvbiI6InVzLWVhc3QtMSJ9fQ==";
const VALIDATE_SIGNATURE: &str =
    "lw+rXqOXuB3q2Eh0b/vCiJU7fTivtNw7UejdhMA9tqkYU3Rl4FAETiru59ziSI14mMAY7IuPiesfFvaJ316BBw==";
const VALIDATE_NONCE: &str = "nonce-validate-001";
const HEARTBEAT_PAYLOAD: &str = "eyJzZXNzaW9uVG9rZW4iOiJzZXNzaW9uLmhlYXJ0YmVhdC50b2tlbiIsInRpbWVzdGFtcCI6IjIwMjYtMDQtMjBUMDA6MDE6MDAuMDAwWiIsImV4cGlyZXNJbiI6MTkwMDAwMDMwMCwibm9uY2UiOiJub25jZS1oZWFydGJlYXQtMDAxIn0=";
const HEARTBEAT_SIGNATURE: &str =
    "Tj6Ah8T3vip2OBOBFjHfzuX/9rpUVb3Lj1DfvDHSXK08fj3IGFC3B/EVV4jbiOsVrAZ5/McDPV/eKdh1qD32Bg==";
const HEARTBEAT_NONCE: &str = "nonce-heartbeat-001";
/// `tampered_payload`: the validate payload plus two NUL bytes, with the validate signature.
const TAMPERED_PAYLOAD: &str = "eyJzZXNzaW9uVG9rZW4iOiJzZXNzaW9uLnZhbGlkYXRlLnRva2VuIiwidGltZXN0YW1wIjoiMjAyNi0wNC0yMFQwMDowMDowMC4wMDBaIiwiZXhwaXJlc0luIjoxOTAwMDAwMDAwLCJub25jZSI6Im5vbmNlLXZhbGlkYXRlLTAwMSIsInJlcXVlc3RJZCI6InJlcS12YWxpZGF0ZS0wMDEiLCJhcHBWYXJpYWJsZXMiOnsidGllciI6InBybyJ9LCJsaWNlbnNlVmFyaWFibGVzIjp7InJlZ2lvbiI6InVzLWVhc3QtMSJ9fQAA";
/// `wrong_app_key`: the validate payload signed by another key.
const WRONG_KEY_SIGNATURE: &str =
    "CktbXhtaweoGQZ2ZIcDEdoDmWMA3GpMoS7lvHxZyABia6VOWBA5gTmvWePizXA8UjsBaDCt7+rNTNeeruWFPAg==";

/// RFC 8032 section 7.1, test 1.
const RFC8032_SEED_HEX: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC8032_PUBLIC_KEY: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const RFC8032_VALIDATE_SIGNATURE: &str =
    "4lzNMxFinkoV18qSmfMD9x07zkJbuhiFo1J8SvkuH12hl8MJUWxo0p8251AJqeTcZFWOMTzOHsLklbkH5CL/BA==";
const RFC8032_HEARTBEAT_SIGNATURE: &str =
    "nxIe1a/Z17Xrny2cAZ67sj7neEYPIYY0xJT4mdmboNAWfKcgTRofLjVBqjWy4gtkOjTqcLu0E8p5wsjsI96oBQ==";

fn trusted(keys: &[&str]) -> TrustedKeys {
    let mut trusted = TrustedKeys::new();
    for key in keys {
        trusted.add(key).unwrap();
    }
    trusted
}

#[test]
fn published_vectors_verify_over_the_payload_text() {
    let keys = trusted(&[PUBLIC_KEY]);
    for (payload, signature, nonce) in [
        (VALIDATE_PAYLOAD, VALIDATE_SIGNATURE, VALIDATE_NONCE),
        (HEARTBEAT_PAYLOAD, HEARTBEAT_SIGNATURE, HEARTBEAT_NONCE),
    ] {
        let session = check_signed(payload, signature, nonce, &keys)
            .and_then(|checked| checked.parse())
            .unwrap_or_else(|e| panic!("{nonce}: {e}"));
        assert_eq!(session.payload.nonce, nonce);
    }
    let key_bytes: [u8; 32] = hex::decode(PUBLIC_KEY_HEX).unwrap().try_into().unwrap();
    assert_eq!(keys.key_ids().collect::<Vec<_>>(), [key_id(&key_bytes)]);
}

#[test]
fn published_vectors_that_must_not_verify() {
    let keys = trusted(&[PUBLIC_KEY]);
    for (case, payload, signature) in [
        ("tampered_payload", TAMPERED_PAYLOAD, VALIDATE_SIGNATURE),
        ("wrong_app_key", VALIDATE_PAYLOAD, WRONG_KEY_SIGNATURE),
    ] {
        assert_eq!(
            check_signed(payload, signature, VALIDATE_NONCE, &keys).map(|_| ()),
            Err(ResponseError::SignatureMismatch),
            "{case}"
        );
    }
}

/// The SDKs' envelope test: status `ok`, the reference service's `keyId`, a bogus first
/// key in the trust list. Keyward clients pick the key by `keyId`, so the reference key
/// must be trusted under that id; under its Keyward id the answer names an unknown key.
#[test]
fn the_sdk_envelope_verifies_under_its_key_id() {
    let envelope = format!(
        r#"{{"status": "ok", "payload": "{VALIDATE_PAYLOAD}", "signature": "{VALIDATE_SIGNATURE}", "keyId": "signing-key-1"}}"#
    );
    let mut keys = trusted(&[BOGUS_KEY]);
    keys.add_with_id("signing-key-1", PUBLIC_KEY).unwrap();
    let checked = check_response(envelope.as_bytes(), 200, VALIDATE_NONCE, &keys)
        .and_then(CheckedResponse::parse)
        .unwrap();
    let CheckedResponse::Success(session) = checked else {
        panic!("not a success: {checked:?}");
    };
    assert_eq!(session.payload.session_token, "session.validate.token");
    assert_eq!(session.key_id.as_deref(), Some("signing-key-1"));
    assert_eq!(
        serde_json::Value::Object(session.payload.app_variables.clone().unwrap()),
        serde_json::json!({"tier": "pro"})
    );
    assert_eq!(
        serde_json::Value::Object(session.payload.license_variables.clone().unwrap()),
        serde_json::json!({"region": "us-east-1"})
    );
    assert_eq!(session.reverify(&keys), Ok(()));

    let by_keyward_id = trusted(&[BOGUS_KEY, PUBLIC_KEY]);
    assert_eq!(
        check_response(envelope.as_bytes(), 200, VALIDATE_NONCE, &by_keyward_id).map(|_| ()),
        Err(ResponseError::SignatureMismatch)
    );
    // Without a keyId every trusted key is tried: the bogus first one does not get in the way.
    let anonymous = envelope.replace(r#", "keyId": "signing-key-1""#, "");
    assert!(matches!(
        check_response(anonymous.as_bytes(), 200, VALIDATE_NONCE, &by_keyward_id),
        Ok(CheckedResponse::Success(_))
    ));
}

#[test]
fn our_signatures_match_rfc8032_test_1() {
    let seed: [u8; 32] = hex::decode(RFC8032_SEED_HEX).unwrap().try_into().unwrap();
    let key = AnswerSigningKey::from_seed(&seed);
    assert_eq!(key.public_key_base64(), RFC8032_PUBLIC_KEY);
    assert_eq!(
        key.sign_base64(VALIDATE_PAYLOAD.as_bytes()),
        RFC8032_VALIDATE_SIGNATURE
    );
    assert_eq!(
        key.sign_base64(HEARTBEAT_PAYLOAD.as_bytes()),
        RFC8032_HEARTBEAT_SIGNATURE
    );
    let keys = trusted(&[RFC8032_PUBLIC_KEY]);
    assert!(
        check_signed(
            VALIDATE_PAYLOAD,
            RFC8032_VALIDATE_SIGNATURE,
            VALIDATE_NONCE,
            &keys
        )
        .is_ok()
    );
}

/// An HMAC-mode hex signature is not an Ed25519 one, and the other way round.
#[test]
fn signatures_of_the_other_mode_are_malformed() {
    let keys = trusted(&[PUBLIC_KEY]);
    let hex_signature = "ab".repeat(32);
    assert!(matches!(
        check_signed(VALIDATE_PAYLOAD, &hex_signature, VALIDATE_NONCE, &keys),
        Err(ResponseError::Malformed(_))
    ));
    assert!(matches!(
        check_signed(
            VALIDATE_PAYLOAD,
            VALIDATE_SIGNATURE,
            VALIDATE_NONCE,
            &[7u8; 32]
        ),
        Err(ResponseError::Malformed(_))
    ));
    let unpadded = VALIDATE_SIGNATURE.trim_end_matches('=');
    assert!(matches!(
        check_signed(VALIDATE_PAYLOAD, unpadded, VALIDATE_NONCE, &keys),
        Err(ResponseError::Malformed(_))
    ));
}
