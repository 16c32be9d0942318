//! `ttlSeconds` on validate (protocol v2): the session lifetime asked for, clamped to
//! [1 h, 7 days], kept by every heartbeat of the session; absent or below 1 s, the
//! server's default; anything but an integer, `bad_request`. The token's `exp` claim is
//! the session's expiry.

mod common;

use common::{expect_validate_failure, heartbeat, nonce, post, validate_body};
use keyward_errors::ValidateError;
use keyward_protocol::{
    CheckedResponse, MAX_SESSION_TTL_SECS, MIN_SESSION_TTL_SECS, VerifiedSession, check_response,
    derive_key,
};
use keyward_server::{Seed, TestServer};
use serde_json::{Value, json};

const HWID: &str = "hw-ttl";

/// A validate whose body has `ttlSeconds` set to the raw JSON text `ttl`.
async fn validate_with_ttl(server: &TestServer, seed: &Seed, ttl: &str) -> reqwest::Response {
    let nonce = nonce();
    let mut body = serde_json::to_string(&validate_body(seed, HWID, &nonce)).unwrap();
    body.pop();
    body.push_str(&format!(r#","ttlSeconds":{ttl}}}"#));
    common::client()
        .post(server.url("/auth/validate"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn session_with_ttl(server: &TestServer, seed: &Seed, ttl: Value) -> VerifiedSession {
    let nonce = nonce();
    let mut body = validate_body(seed, HWID, &nonce);
    body["ttlSeconds"] = ttl;
    let response = post(server, "/auth/validate", &body).await;
    let bytes = response.bytes().await.unwrap();
    let key = derive_key(seed.app_secret.as_bytes(), &nonce);
    match check_response(&bytes, 200, &nonce, &key)
        .and_then(CheckedResponse::parse)
        .unwrap()
    {
        CheckedResponse::Success(session) => session,
        failed => panic!("validate failed: {failed:?}"),
    }
}

fn lifetime(session: &VerifiedSession) -> i64 {
    session.payload.expires_in - session.payload.timestamp
}

/// The `exp` claim protocol v2's SDKs read from the token's first segment.
fn exp_claim(session: &VerifiedSession) -> i64 {
    use base64::Engine as _;
    let (body, _) = session.payload.session_token.split_once('.').unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .unwrap();
    serde_json::from_slice::<Value>(&json).unwrap()["exp"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn the_requested_lifetime_is_clamped_and_kept_across_heartbeats() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let default = lifetime(&session_with_ttl(&server, &seed, Value::Null).await);
    for (asked, expected) in [
        (json!(7200), 7200),
        (json!(1), MIN_SESSION_TTL_SECS),
        (json!(MAX_SESSION_TTL_SECS + 1), MAX_SESSION_TTL_SECS),
        (json!(u64::MAX), MAX_SESSION_TTL_SECS),
        (json!(0), default),
        (json!(-5), default),
        (json!(i64::MIN), default),
    ] {
        let session = session_with_ttl(&server, &seed, asked.clone()).await;
        assert_eq!(lifetime(&session), expected, "ttlSeconds {asked}");
        assert_eq!(exp_claim(&session), session.payload.expires_in);
    }

    let session = session_with_ttl(&server, &seed, json!(7200)).await;
    server.clock().advance(std::time::Duration::from_secs(1000));
    let mut token = session.payload.session_token;
    // From the database, then from memory: both renew by the session's own lifetime.
    for _ in 0..2 {
        let before = server.clock().now_unix();
        let beat = heartbeat(&server, &seed, &token, HWID).await.unwrap();
        assert_eq!(lifetime(&beat), 7200);
        assert_eq!(exp_claim(&beat), beat.payload.expires_in);
        // The beat's own time, on the moved clock (a second may tick over meanwhile).
        assert!((before..=server.clock().now_unix()).contains(&beat.payload.timestamp));
        token = beat.payload.session_token;
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn integers_beyond_64_bits_are_clamped_and_other_values_refused() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    for huge in [
        "100000000000000000000000000000",
        "-100000000000000000000000000000",
    ] {
        let response = validate_with_ttl(&server, &seed, huge).await;
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "success", "ttlSeconds {huge}: {body}");
    }
    for bad in [r#""7200""#, "7200.5", "3600.0", "true", "[1]", "{}"] {
        let response = validate_with_ttl(&server, &seed, bad).await;
        let body = expect_validate_failure(response, ValidateError::BadRequest).await;
        assert_eq!(
            body["details"],
            json!([{"field": "ttlSeconds", "message": "must be an integer"}]),
            "ttlSeconds {bad}"
        );
    }
    server.shutdown().await.unwrap();
}
