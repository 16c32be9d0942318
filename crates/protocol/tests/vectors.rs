//! Fixed vectors computed independently with Python's standard library, e.g.
//!
//! ```text
//! python3 -c 'import hmac,hashlib,base64
//! secret=b"kw_app_secret_7f3a9c"; nonce="0123456789abcdef0123456789abcdef"
//! key=hashlib.sha256(secret+nonce.encode()).digest(); print(key.hex())
//! b64=base64.b64encode(PAYLOAD_JSON.encode()).decode(); print(b64)
//! print(hmac.new(key,b64.encode(),hashlib.sha256).hexdigest())'
//!
//! python3 -c 'import hmac,hashlib,base64
//! bb=base64.urlsafe_b64encode(BODY_JSON.encode()).rstrip(b"=")
//! mac=base64.urlsafe_b64encode(hmac.new(b"server-secret",bb,hashlib.sha256).digest()).rstrip(b"=")
//! print((bb+b"."+mac).decode())'
//!
//! python3 -c 'import hashlib; print(hashlib.sha256(("ab"*32+NONCE).encode()).hexdigest())'
//! ```
//!
//! with PAYLOAD_JSON, BODY_JSON and NONCE the constants below.

use keyward_protocol::{
    CheckedResponse, Nonce, SessionPayload, SessionToken, SessionTokenBody, SigKey, check_response,
    decode_payload, derive_key, encode_payload, sign_payload, sign_response, verify_signature,
};

const SECRET: &[u8] = b"kw_app_secret_7f3a9c";
const NONCE: &str = "0123456789abcdef0123456789abcdef";
const KEY_HEX: &str = "256b939413647d9b005bc89205cefe6ef21ce359414b3c00bb5198924178db39";
const PAYLOAD_JSON: &str = r#"{"sessionToken":"tok.abc","timestamp":1700000000,"expiresIn":1700003600,"nonce":"0123456789abcdef0123456789abcdef","appVariables":{"motd":"hi","tier":3},"requestId":"req-1"}"#;
const PAYLOAD_B64: &str = "eyJzZXNzaW9uVG9rZW4iOiJ0b2suYWJjIiwidGltZXN0YW1wIjoxNzAwMDAwMDAwLCJleHBpcmVzSW4iOjE3MDAwMDM2MDAsIm5vbmNlIjoiMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYiLCJhcHBWYXJpYWJsZXMiOnsibW90ZCI6ImhpIiwidGllciI6M30sInJlcXVlc3RJZCI6InJlcS0xIn0=";
const SIGNATURE: &str = "7bdaa0c7de9ca16be9018576b2b4cfe13056babd64675644886d85ee3826d98a";

const SERVER_SECRET: &[u8] = b"server-secret";
const BODY_JSON: &str = r#"{"appId":"app_1","licenseKey":"ABCD-EFGH-IJKL-MNOP","hwid":"hw-1","sigKey":"abababababababababababababababababababababababababababababababab","expiresIn":1700003600,"exp":1700003600}"#;
const TOKEN: &str = "eyJhcHBJZCI6ImFwcF8xIiwibGljZW5zZUtleSI6IkFCQ0QtRUZHSC1JSktMLU1OT1AiLCJod2lkIjoiaHctMSIsInNpZ0tleSI6ImFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWIiLCJleHBpcmVzSW4iOjE3MDAwMDM2MDAsImV4cCI6MTcwMDAwMzYwMH0.9-s0p2cKbWs91tELxbfEwBoTcreWt3A2ooThq599yoo";
/// MAC part of the same body under a 100-byte secret `b"k" * 100` (longer than a block).
const LONG_SECRET_MAC: &str = "VYOYvEWBqlAteil35hNasLomvM9t5dM25to62TP6paY";
/// The same body as servers before the `exp` claim issued it (`BODY_JSON` without `exp`):
/// a session opened before an upgrade keeps beating after it.
const TOKEN_WITHOUT_EXP: &str = "eyJhcHBJZCI6ImFwcF8xIiwibGljZW5zZUtleSI6IkFCQ0QtRUZHSC1JSktMLU1OT1AiLCJod2lkIjoiaHctMSIsInNpZ0tleSI6ImFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWIiLCJleHBpcmVzSW4iOjE3MDAwMDM2MDB9.G7ddfxuPY1CsUmVgdfOh9YfN_qqcRgJHhldAfto8jiI";
const HEARTBEAT_KEY_HEX: &str = "56219508f81685c001d37bc5811a185ba48ccedda472ff4b27c99e85780950bc";

fn payload() -> SessionPayload {
    // Keys inserted in sorted order so the JSON is the same with or without serde_json's
    // `preserve_order` feature.
    let mut vars = serde_json::Map::new();
    vars.insert("motd".into(), "hi".into());
    vars.insert("tier".into(), 3.into());
    SessionPayload {
        session_token: "tok.abc".into(),
        timestamp: 1_700_000_000,
        expires_in: 1_700_003_600,
        nonce: NONCE.into(),
        app_variables: Some(vars),
        license_variables: None,
        request_id: Some("req-1".into()),
        ..Default::default()
    }
}

fn token_body() -> SessionTokenBody {
    SessionTokenBody {
        app_id: "app_1".into(),
        license_key: "ABCD-EFGH-IJKL-MNOP".into(),
        hwid: "hw-1".into(),
        sig_key: SigKey::parse(&"ab".repeat(32)).unwrap(),
        expires_in: 1_700_003_600,
        // A token of the server's default lifetime is written as before `ttl` existed.
        ttl: 0,
    }
}

#[test]
fn key_derivation_vector() {
    assert_eq!(hex::encode(derive_key(SECRET, NONCE)), KEY_HEX);
}

#[test]
fn payload_encoding_vector() {
    assert_eq!(encode_payload(&payload()).unwrap(), PAYLOAD_B64);
    assert_eq!(decode_payload(PAYLOAD_B64).unwrap(), payload());
    assert_eq!(
        serde_json::to_string(&payload()).unwrap(),
        PAYLOAD_JSON,
        "field order and names"
    );
}

#[test]
fn signature_vector() {
    let key = derive_key(SECRET, NONCE);
    assert_eq!(sign_payload(&key, PAYLOAD_B64), SIGNATURE);
    assert!(verify_signature(&key, PAYLOAD_B64, SIGNATURE));
}

#[test]
fn signed_response_vector() {
    let nonce = Nonce::parse(NONCE).unwrap();
    let resp = sign_response(SECRET, &nonce, &payload()).unwrap();
    assert_eq!(resp.payload, PAYLOAD_B64);
    assert_eq!(resp.signature, SIGNATURE);
    assert_eq!(
        serde_json::to_string(&resp).unwrap(),
        format!(r#"{{"status":"success","payload":"{PAYLOAD_B64}","signature":"{SIGNATURE}"}}"#)
    );
}

#[test]
fn client_accepts_the_vector_response() {
    let body =
        format!(r#"{{"status":"success","payload":"{PAYLOAD_B64}","signature":"{SIGNATURE}"}}"#);
    let key = derive_key(SECRET, NONCE);
    match check_response(body.as_bytes(), 200, NONCE, &key)
        .and_then(CheckedResponse::parse)
        .unwrap()
    {
        CheckedResponse::Success(s) => {
            assert_eq!(s.payload, payload());
            assert_eq!(s.payload_b64, PAYLOAD_B64);
            assert_eq!(s.signature, SIGNATURE);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn session_token_vector() {
    assert_eq!(serde_json::to_string(&token_body()).unwrap(), BODY_JSON);
    let token = SessionToken::issue(SERVER_SECRET, &token_body()).unwrap();
    assert_eq!(token.as_str(), TOKEN);
    assert_eq!(
        SessionToken::verify(SERVER_SECRET, TOKEN, "app_1", "hw-1", 1_700_000_000),
        Ok(token_body())
    );
}

#[test]
fn session_token_without_exp_still_verifies() {
    assert_eq!(
        SessionToken::verify(
            SERVER_SECRET,
            TOKEN_WITHOUT_EXP,
            "app_1",
            "hw-1",
            1_700_000_000
        ),
        Ok(token_body())
    );
}

/// What protocol v2's SDKs read: the first segment, base64url, is a JSON object whose `exp`
/// (unix seconds) is the payload's `expiresIn`.
#[test]
fn session_token_exp_claim_is_the_expiry() {
    let token = SessionToken::issue(SERVER_SECRET, &token_body()).unwrap();
    let (body, _) = token.as_str().split_once('.').unwrap();
    let json: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, body).unwrap(),
    )
    .unwrap();
    assert_eq!(json["exp"], 1_700_003_600);
    assert_eq!(json["exp"], json["expiresIn"]);
}

#[test]
fn session_token_vector_long_secret() {
    let secret = [b'k'; 100];
    let token = SessionToken::issue(&secret, &token_body()).unwrap();
    let (_, mac) = token.as_str().split_once('.').unwrap();
    assert_eq!(mac, LONG_SECRET_MAC);
}

#[test]
fn heartbeat_key_vector() {
    assert_eq!(
        hex::encode(token_body().sig_key.signing_key(NONCE)),
        HEARTBEAT_KEY_HEX
    );
    assert_eq!(
        hex::encode(SessionToken::heartbeat_key(TOKEN, NONCE).unwrap()),
        HEARTBEAT_KEY_HEX
    );
}
