//! Client/server round trips and the client's checks, in the protocol's order.

use keyward_errors::{AuthFailure, Failed, ValidateError};
use keyward_protocol::{
    CheckedResponse, FieldError, Nonce, ResponseError, SessionPayload, SessionToken,
    SessionTokenBody, SigKey, Status, VerifiedPayload, check_response, check_signed, derive_key,
    sign_response,
};
use serde_json::json;

const SECRET: &[u8] = b"app-secret";

fn payload(nonce: &Nonce) -> SessionPayload {
    let mut lic = serde_json::Map::new();
    lic.insert("seats".into(), json!(5));
    SessionPayload {
        session_token: "session-token-value".into(),
        timestamp: 1_700_000_000,
        expires_in: 1_700_003_600,
        nonce: nonce.as_str().into(),
        app_variables: None,
        license_variables: Some(lic),
        request_id: None,
        ..Default::default()
    }
}

/// A signed success body for `nonce`, with the given status JSON.
fn success_body(nonce: &Nonce, status: &str) -> (String, String, String) {
    let resp = sign_response(SECRET, nonce, &payload(nonce)).unwrap();
    let body = format!(
        r#"{{"status":{status},"payload":"{}","signature":"{}"}}"#,
        resp.payload, resp.signature
    );
    (body, resp.payload, resp.signature)
}

fn verify(body: &str, http: u16, nonce: &Nonce) -> Result<CheckedResponse, ResponseError> {
    check_response(
        body.as_bytes(),
        http,
        nonce.as_str(),
        &derive_key(SECRET, nonce.as_str()),
    )
    .and_then(CheckedResponse::parse)
}

#[test]
fn sign_then_verify() {
    let nonce = Nonce::generate().unwrap();
    let (body, payload_b64, signature) = success_body(&nonce, r#""success""#);
    match verify(&body, 200, &nonce).unwrap() {
        CheckedResponse::Success(s) => {
            assert_eq!(s.payload, payload(&nonce));
            assert_eq!(s.payload_b64, payload_b64);
            assert_eq!(s.signature, signature);
            let key = derive_key(SECRET, nonce.as_str());
            assert_eq!(s.reverify(&key), Ok(()));
            assert_eq!(
                check_signed(&payload_b64, &signature, nonce.as_str(), &key)
                    .and_then(VerifiedPayload::parse)
                    .unwrap(),
                s
            );
            assert!(!s.is_expired(1_700_003_599));
            assert!(s.is_expired(1_700_003_600));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn all_success_spellings_are_accepted() {
    let nonce = Nonce::generate().unwrap();
    for status in [r#""ok""#, r#""success""#, r#""valid""#, "true", "1"] {
        let (body, _, _) = success_body(&nonce, status);
        assert!(
            matches!(verify(&body, 200, &nonce), Ok(CheckedResponse::Success(_))),
            "{status}"
        );
        let parsed: Status = serde_json::from_str(status).unwrap();
        assert_eq!(parsed, Status::Success);
    }
    assert_eq!(
        serde_json::from_str::<Status>(r#""failed""#).unwrap(),
        Status::Failed
    );
    for bad in [
        r#""OK""#,
        "false",
        "0",
        "2",
        "null",
        r#""error""#,
        "[]",
        "1.0",
    ] {
        assert!(serde_json::from_str::<Status>(bad).is_err(), "{bad}");
        assert!(
            Status::from_value(&serde_json::from_str(bad).unwrap()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn escaped_slashes_in_payload_are_accepted() {
    // Some JSON encoders (PHP's by default) write "/" as "\/"; base64 text is full of them.
    let nonce = Nonce::generate().unwrap();
    let mut p = payload(&nonce);
    // Three '?' (0x3f) in a row: one falls on a base64 group's last 6 bits, giving a '/'.
    p.request_id = Some("???".into());
    let resp = sign_response(SECRET, &nonce, &p).unwrap();
    assert!(resp.payload.contains('/'));
    let body = serde_json::to_string(&resp).unwrap().replace('/', "\\/");
    match verify(&body, 200, &nonce).unwrap() {
        CheckedResponse::Success(s) => {
            assert_eq!(s.payload_b64, resp.payload);
            assert_eq!(s.payload, p);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn tampered_payload_or_signature_is_a_signature_mismatch() {
    let nonce = Nonce::generate().unwrap();
    let key = derive_key(SECRET, nonce.as_str());
    let resp = sign_response(SECRET, &nonce, &payload(&nonce)).unwrap();

    // Re-encode a modified payload that still echoes the right nonce.
    let mut forged = payload(&nonce);
    forged.expires_in += 1_000_000;
    let forged_b64 = keyward_protocol::encode_payload(&forged).unwrap();
    let body = format!(
        r#"{{"status":"success","payload":"{forged_b64}","signature":"{}"}}"#,
        resp.signature
    );
    assert_eq!(
        verify(&body, 200, &nonce),
        Err(ResponseError::SignatureMismatch)
    );

    // Flip one hex digit of the signature.
    let mut sig = resp.signature.clone().into_bytes();
    sig[10] = if sig[10] == b'0' { b'1' } else { b'0' };
    let sig = String::from_utf8(sig).unwrap();
    let body = format!(
        r#"{{"status":"success","payload":"{}","signature":"{sig}"}}"#,
        resp.payload
    );
    assert_eq!(
        verify(&body, 200, &nonce),
        Err(ResponseError::SignatureMismatch)
    );

    // Right body, wrong key (another app secret).
    let (body, _, _) = success_body(&nonce, r#""ok""#);
    let other_key = derive_key(b"other-secret", nonce.as_str());
    assert_eq!(
        check_response(body.as_bytes(), 200, nonce.as_str(), &other_key)
            .and_then(CheckedResponse::parse),
        Err(ResponseError::SignatureMismatch)
    );
    assert_eq!(
        check_signed(&resp.payload, &resp.signature, nonce.as_str(), &other_key)
            .and_then(VerifiedPayload::parse),
        Err(ResponseError::SignatureMismatch)
    );
    assert!(
        check_signed(&resp.payload, &resp.signature, nonce.as_str(), &key)
            .and_then(VerifiedPayload::parse)
            .is_ok()
    );
}

#[test]
fn wrong_nonce_is_a_nonce_mismatch_before_the_signature() {
    let nonce = Nonce::generate().unwrap();
    let (body, _, _) = success_body(&nonce, r#""success""#);
    let other = Nonce::generate().unwrap();
    // Key for the other nonce: the signature would fail too, but the nonce is checked first.
    assert_eq!(
        verify(&body, 200, &other),
        Err(ResponseError::NonceMismatch)
    );
    // And with a forged signature as well.
    let resp = sign_response(SECRET, &nonce, &payload(&nonce)).unwrap();
    let forged = format!(
        r#"{{"status":"success","payload":"{}","signature":"{}"}}"#,
        resp.payload,
        "0".repeat(64)
    );
    assert_eq!(
        verify(&forged, 200, &other),
        Err(ResponseError::NonceMismatch)
    );
    assert_eq!(
        verify(&forged, 200, &nonce),
        Err(ResponseError::SignatureMismatch)
    );
}

#[test]
fn malformed_successes() {
    let nonce = Nonce::generate().unwrap();
    let resp = sign_response(SECRET, &nonce, &payload(&nonce)).unwrap();
    let (p, s) = (&resp.payload, &resp.signature);
    let cases = [
        format!(r#"{{"status":"success","signature":"{s}"}}"#),
        format!(r#"{{"status":"success","payload":"{p}"}}"#),
        format!(r#"{{"status":"success","payload":1,"signature":"{s}"}}"#),
        format!(r#"{{"status":"success","payload":"{p}","signature":null}}"#),
        format!(
            r#"{{"status":"success","payload":"{p}","signature":"{}"}}"#,
            &s[..63]
        ),
        format!(
            r#"{{"status":"success","payload":"{p}","signature":"{}zz"}}"#,
            &s[..62]
        ),
        format!(r#"{{"status":"success","payload":"!!!","signature":"{s}"}}"#),
        // base64 of `[]` and of `{}`: not a session payload
        format!(r#"{{"status":"success","payload":"W10=","signature":"{s}"}}"#),
        format!(r#"{{"status":"success","payload":"e30=","signature":"{s}"}}"#),
        format!(r#"{{"status":"success","status":"ok","payload":"{p}","signature":"{s}"}}"#),
        r#"{"payload":"e30="}"#.to_owned(),
        r#"{"status":"failed"}"#.to_owned(),
        r#"{"status":"failed","error":5}"#.to_owned(),
        r#"[1,2]"#.to_owned(),
        r#""success""#.to_owned(),
    ];
    for body in &cases {
        assert!(
            matches!(verify(body, 200, &nonce), Err(ResponseError::Malformed(_))),
            "{body}: {:?}",
            verify(body, 200, &nonce)
        );
    }
}

#[test]
fn failures_keep_the_raw_code() {
    let nonce = Nonce::generate().unwrap();
    for code in [
        "invalid_key",
        "hwid_mismatch",
        "some_future_code",
        "",
        "ÿ weird \" code",
    ] {
        let body = serde_json::to_string(&AuthFailure {
            status: Failed,
            error: ValidateError::from_code(code),
            details: None,
        })
        .unwrap();
        assert_eq!(
            verify(&body, 200, &nonce),
            Ok(CheckedResponse::Failed {
                error: code.to_owned(),
                details: None,
                message: None
            })
        );
    }
    // Any non-success status with an error code is a failure (spec step 1).
    for status in [r#""error""#, "false", "0", "null", r#""FAILED""#] {
        let body = format!(r#"{{"status":{status},"error":"revoked"}}"#);
        assert!(
            matches!(verify(&body, 200, &nonce), Ok(CheckedResponse::Failed { ref error, .. }) if error == "revoked"),
            "{status}"
        );
    }
}

#[test]
fn bad_request_details_are_parsed() {
    let nonce = Nonce::generate().unwrap();
    let details = vec![
        FieldError::new("appId", "is required"),
        FieldError::new("nonce", "must be 32 lowercase hex characters"),
    ];
    let body = serde_json::to_string(&AuthFailure {
        status: Failed,
        error: ValidateError::BadRequest,
        details: Some(details.clone()),
    })
    .unwrap();
    assert_eq!(
        body,
        r#"{"status":"failed","error":"bad_request","details":[{"field":"appId","message":"is required"},{"field":"nonce","message":"must be 32 lowercase hex characters"}]}"#
    );
    assert_eq!(
        verify(&body, 200, &nonce),
        Ok(CheckedResponse::Failed {
            error: "bad_request".into(),
            details: Some(details),
            message: None
        })
    );
    // Ill-formed details do not hide the code.
    let body = r#"{"status":"failed","error":"bad_request","details":"nope"}"#;
    assert_eq!(
        verify(body, 200, &nonce),
        Ok(CheckedResponse::Failed {
            error: "bad_request".into(),
            details: None,
            message: None
        })
    );
}

#[test]
fn non_2xx_answers() {
    let nonce = Nonce::generate().unwrap();
    // JSON error body on a non-2xx answer: accepted, code kept.
    let body = r#"{"error":"rate_limited","message":"Too many requests"}"#;
    assert_eq!(
        verify(body, 429, &nonce),
        Ok(CheckedResponse::Failed {
            error: "rate_limited".into(),
            details: None,
            message: Some("Too many requests".into())
        })
    );
    let body = r#"{"status":"failed","error":"internal_error"}"#;
    assert!(matches!(
        verify(body, 500, &nonce),
        Ok(CheckedResponse::Failed { .. })
    ));
    // Non-JSON non-2xx: NotJson (the caller's network error).
    assert_eq!(
        verify("<html>Bad Gateway</html>", 502, &nonce),
        Err(ResponseError::NotJson)
    );
    assert_eq!(verify("", 503, &nonce), Err(ResponseError::NotJson));
    // JSON without an error code on a non-2xx: an HTTP error.
    assert_eq!(
        verify(r#"{"message":"nope"}"#, 503, &nonce),
        Err(ResponseError::HttpStatus(503))
    );
    assert_eq!(
        verify(r#""Bad Gateway""#, 502, &nonce),
        Err(ResponseError::HttpStatus(502))
    );
}

#[test]
fn non_json_is_not_json() {
    let nonce = Nonce::generate().unwrap();
    for body in [
        "",
        "   ",
        "ok",
        "{",
        "{\"status\":",
        "{\"status\":\"ok\"} trailing",
        "\u{0}",
    ] {
        assert_eq!(
            verify(body, 200, &nonce),
            Err(ResponseError::NotJson),
            "{body:?}"
        );
    }
    assert_eq!(
        check_response(b"{\"status\":\"\xff\"}", 200, nonce.as_str(), &[0; 32])
            .and_then(CheckedResponse::parse),
        Err(ResponseError::NotJson)
    );
}

#[test]
fn utf8_bom_and_unknown_fields_are_tolerated() {
    let nonce = Nonce::generate().unwrap();
    let (body, _, _) = success_body(&nonce, r#""valid""#);
    let body = format!(
        "\u{feff}{}",
        body.replacen('{', r#"{"extra":[1,{"a":null}],"#, 1)
    );
    assert!(matches!(
        verify(&body, 200, &nonce),
        Ok(CheckedResponse::Success(_))
    ));
}

#[test]
fn heartbeat_round_trip() {
    let server_secret = b"server-secret-bytes";
    let sig_key = SigKey::generate().unwrap();
    let body = SessionTokenBody {
        app_id: "app".into(),
        license_key: "AAAA-BBBB-CCCC-DDDD".into(),
        hwid: "hw".into(),
        sig_key: sig_key.clone(),
        expires_in: 2_000_000_000,
        ttl: 0,
    };
    let token = SessionToken::issue(server_secret, &body).unwrap();

    // Client: heartbeat with a fresh nonce; server checks the token and signs with sigKey.
    let nonce = Nonce::generate().unwrap();
    let checked =
        SessionToken::verify(server_secret, token.as_str(), "app", "hw", 1_700_000_000).unwrap();
    let mut p = payload(&nonce);
    p.session_token = token.as_str().to_owned();
    let resp = sign_response(checked.sig_key.as_str().as_bytes(), &nonce, &p).unwrap();
    let wire = serde_json::to_vec(&resp).unwrap();

    let key = SessionToken::heartbeat_key(token.as_str(), nonce.as_str()).unwrap();
    assert_eq!(key, sig_key.signing_key(nonce.as_str()));
    assert!(matches!(
        check_response(&wire, 200, nonce.as_str(), &key).and_then(CheckedResponse::parse),
        Ok(CheckedResponse::Success(_))
    ));
}

#[test]
fn server_refuses_to_sign_for_another_nonce() {
    let nonce = Nonce::generate().unwrap();
    let other = Nonce::generate().unwrap();
    assert!(sign_response(SECRET, &other, &payload(&nonce)).is_err());
}

#[test]
fn debug_output_redacts_secrets() {
    let nonce = Nonce::generate().unwrap();
    let (body, _, _) = success_body(&nonce, r#""success""#);
    let Ok(CheckedResponse::Success(s)) = verify(&body, 200, &nonce) else {
        panic!("expected success")
    };
    let dbg = format!("{s:?}");
    assert!(!dbg.contains("session-token-value"), "{dbg}");
    assert!(!dbg.contains(&s.payload_b64), "{dbg}");
}
