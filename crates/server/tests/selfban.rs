//! `POST /auth/selfban` over HTTP, in both forms: what each flag does to the device's
//! next validate and heartbeat, the codes of each form with their exact bodies, the
//! client IP after trusted proxies, no duplicate rules, and no credit charged.

mod common;

use std::time::Duration;

use common::*;
use keyward_errors::{HeartbeatError, SelfBanError, ValidateError};
use keyward_server::store::NewApp;
use keyward_server::{Seed, TestServer};
use reqwest::{Method, Response};
use serde_json::{Value, json};

const HWID: &str = "hwid-selfban";

fn session_body(seed: &Seed, token: &str, hwid: &str, flags: Value) -> Value {
    let mut body = json!({"appId": seed.app_id, "sessionToken": token, "hwid": hwid});
    merge(&mut body, flags);
    body
}

fn key_body(seed: &Seed, hwid: &str, nonce: &str, flags: Value) -> Value {
    let mut body = json!({
        "appId": seed.app_id,
        "appSecret": seed.app_secret,
        "licenseKey": seed.license_key,
        "hwid": hwid,
        "nonce": nonce,
    });
    merge(&mut body, flags);
    body
}

fn merge(body: &mut Value, flags: Value) {
    if let (Some(body), Value::Object(flags)) = (body.as_object_mut(), flags) {
        body.extend(flags);
    }
}

async fn selfban(server: &TestServer, body: &Value) -> Response {
    post(server, "/auth/selfban", body).await
}

/// The exact success body.
async fn expect_done(response: Response, revoked: bool, hwid: bool, ip: bool) {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "success", "revoked": revoked, "hwidBlacklisted": hwid, "ipBlacklisted": ip})
    );
}

async fn rules(server: &TestServer, seed: &Seed) -> Vec<Value> {
    let path = format!("/v1/apps/{}/access-rules", seed.app_id);
    let body = answer_json(api(server, seed, Method::GET, &path)).await;
    body["rules"].as_array().unwrap().clone()
}

async fn validate_from(server: &TestServer, seed: &Seed, hwid: &str) -> Response {
    post(
        server,
        "/auth/validate",
        &validate_body(seed, hwid, &nonce()),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_form_blacklists_the_hwid_once_and_charges_nothing() {
    let server = TestServer::start().await.unwrap();
    let mut app = NewApp::named("two devices");
    app.hwid_slots = 2;
    let seed = server.seed_with(app).await.unwrap();
    let session = validate_ok(&server, &seed, HWID).await;
    let token = session.payload.session_token;
    let credits_before = credits(&server, &seed).await;
    let body = session_body(&seed, &token, HWID, json!({"blacklistHwid": true}));
    // Twice: the second finds the entry there and adds none.
    for _ in 0..2 {
        expect_done(selfban(&server, &body).await, false, true, false).await;
    }
    assert_eq!(credits(&server, &seed).await, credits_before, "no credit");
    let rules = rules(&server, &seed).await;
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(
        (&rules[0]["list"], &rules[0]["kind"], &rules[0]["value"]),
        (&json!("deny"), &json!("hwid"), &json!(HWID))
    );
    expect_validate_failure(
        validate_from(&server, &seed, HWID).await,
        ValidateError::Blocked,
    )
    .await;
    // Only that device: the license and the IP are untouched.
    let other: Value = validate_from(&server, &seed, "another-device")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["status"], "success", "{other}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_form_revokes_the_license_at_once() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let token = validate_ok(&server, &seed, HWID)
        .await
        .payload
        .session_token;
    // A heartbeat first, so that the session is in the heartbeat cache.
    let token = heartbeat(&server, &seed, &token, HWID)
        .await
        .unwrap()
        .payload
        .session_token;
    let body = session_body(&seed, &token, HWID, json!({"revokeLicense": true}));
    expect_done(selfban(&server, &body).await, true, false, false).await;
    let beat = heartbeat(&server, &seed, &token, HWID).await.unwrap_err();
    assert_eq!(
        beat,
        json!({"status": "failed", "error": HeartbeatError::Revoked.code()})
    );
    expect_validate_failure(
        validate_from(&server, &seed, HWID).await,
        ValidateError::Revoked,
    )
    .await;
    assert_eq!(
        get_license(&server, &seed, &seed.license_key).await["revoked"],
        true
    );
    assert!(
        rules(&server, &seed).await.is_empty(),
        "nothing deny-listed"
    );
    server.shutdown().await.unwrap();
}

/// The deny-listed address is the client's after trusted-proxy resolution, as a single
/// host, listed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blacklist_ip_blocks_the_client_address() {
    let server = TestServer::start_with(|config| {
        config.trusted_proxies = vec![keyward_server::ipnet::IpNet::parse("127.0.0.0/8").unwrap()];
    })
    .await
    .unwrap();
    let seed = server.seed().await.unwrap();
    let token = validate_ok(&server, &seed, HWID)
        .await
        .payload
        .session_token;
    let from = |address: &'static str, path: &'static str, body: Value| {
        client()
            .post(server.url(path))
            .header("x-forwarded-for", address)
            .json(&body)
            .send()
    };
    let ban = session_body(&seed, &token, HWID, json!({"blacklistIp": true}));
    for _ in 0..2 {
        let response = from("203.0.113.7", "/auth/selfban", ban.clone())
            .await
            .unwrap();
        expect_done(response, false, false, true).await;
    }
    let rules = rules(&server, &seed).await;
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(
        (&rules[0]["kind"], &rules[0]["value"]),
        (&json!("ip"), &json!("203.0.113.7"))
    );
    let banned = from(
        "203.0.113.7",
        "/auth/validate",
        validate_body(&seed, "a-new-device", &nonce()),
    )
    .await
    .unwrap();
    expect_validate_failure(banned, ValidateError::Blocked).await;
    let neighbour: Value = from(
        "203.0.113.8",
        "/auth/validate",
        validate_body(&seed, HWID, &nonce()),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(neighbour["status"], "success", "{neighbour}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_session_form_blacklists_and_refuses_what_it_must() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let credits_before = credits(&server, &seed).await;
    // Revoking needs a session: nothing is done, the HWID flag included.
    let everything = json!({"revokeLicense": true, "blacklistHwid": true, "blacklistIp": true});
    let response = selfban(&server, &key_body(&seed, HWID, &nonce(), everything)).await;
    expect_selfban_failure(response, SelfBanError::RevokeRequiresSession).await;
    assert_eq!(
        get_license(&server, &seed, &seed.license_key).await["revoked"],
        false
    );
    assert!(rules(&server, &seed).await.is_empty());
    // A wrong secret, an unknown key.
    let mut wrong_secret = key_body(&seed, HWID, &nonce(), json!({"blacklistHwid": true}));
    wrong_secret["appSecret"] = "not the secret".into();
    expect_selfban_failure(
        selfban(&server, &wrong_secret).await,
        SelfBanError::InvalidApp,
    )
    .await;
    let mut unknown_key = key_body(&seed, HWID, &nonce(), json!({"blacklistHwid": true}));
    unknown_key["licenseKey"] = "AAAA-AAAA-AAAA-AAAA".into();
    expect_selfban_failure(
        selfban(&server, &unknown_key).await,
        SelfBanError::InvalidKey,
    )
    .await;
    assert!(rules(&server, &seed).await.is_empty());
    // The real thing, then its replay.
    let body = key_body(&seed, HWID, &nonce(), json!({"blacklistHwid": true}));
    expect_done(selfban(&server, &body).await, false, true, false).await;
    expect_selfban_failure(selfban(&server, &body).await, SelfBanError::ReplayDetected).await;
    expect_validate_failure(
        validate_from(&server, &seed, HWID).await,
        ValidateError::Blocked,
    )
    .await;
    assert_eq!(rules(&server, &seed).await.len(), 1);
    assert_eq!(credits(&server, &seed).await, credits_before, "no credit");
    server.shutdown().await.unwrap();
}

/// A token of another app or device, an expired one, or none readable: `session_expired`
/// and nothing done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_session_is_session_expired() {
    let server = TestServer::start().await.unwrap();
    let (seed, other) = (server.seed().await.unwrap(), server.seed().await.unwrap());
    let token = validate_ok(&server, &seed, HWID)
        .await
        .payload
        .session_token;
    let flags = json!({"revokeLicense": true, "blacklistHwid": true, "blacklistIp": true});
    for body in [
        session_body(&other, &token, HWID, flags.clone()),
        session_body(&seed, &token, "another-device", flags.clone()),
        session_body(&seed, "not.a-token", HWID, flags.clone()),
    ] {
        expect_selfban_failure(selfban(&server, &body).await, SelfBanError::SessionExpired).await;
    }
    server
        .clock()
        .advance(keyward_server::config::DEFAULT_SESSION_TTL + Duration::from_secs(1));
    let expired = session_body(&seed, &token, HWID, flags);
    expect_selfban_failure(
        selfban(&server, &expired).await,
        SelfBanError::SessionExpired,
    )
    .await;
    assert!(rules(&server, &seed).await.is_empty());
    assert!(rules(&server, &other).await.is_empty());
    assert_eq!(
        get_license(&server, &seed, &seed.license_key).await["revoked"],
        false
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_and_internal_failures() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let body = json!({"appId": seed.app_id, "hwid": HWID, "blacklistIp": "yes"});
    let answer =
        expect_selfban_failure(selfban(&server, &body).await, SelfBanError::BadRequest).await;
    let fields: Vec<&str> = answer["details"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|detail| detail["field"].as_str())
        .collect();
    assert_eq!(fields, ["appSecret", "licenseKey", "nonce", "blacklistIp"]);
    drop_table(&server, "access_rules").await;
    let ban = key_body(&seed, HWID, &nonce(), json!({"blacklistHwid": true}));
    expect_selfban_failure(selfban(&server, &ban).await, SelfBanError::SystemError).await;
    server.shutdown().await.unwrap();
}

/// A suspended owner is `app_disabled` in both forms; the per-client auth limit covers
/// self-bans too (`rate_limited` with `Retry-After`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_disabled_and_rate_limited() {
    const BURST: u32 = 4;
    let (server, seed) = server_with_limit(BURST, |config, limit| {
        config.auth_rate_limit = Some(limit);
    })
    .await;
    let token = validate_ok(&server, &seed, HWID)
        .await
        .payload
        .session_token;
    server.admin().suspend(&seed.account).await.unwrap();
    let ban = json!({"blacklistHwid": true});
    for body in [
        session_body(&seed, &token, HWID, ban.clone()),
        key_body(&seed, HWID, &nonce(), ban.clone()),
    ] {
        expect_selfban_failure(selfban(&server, &body).await, SelfBanError::AppDisabled).await;
    }
    assert!(rules(&server, &seed).await.is_empty());
    // One validate and two self-bans spent three of the burst.
    let body = key_body(&seed, HWID, &nonce(), ban.clone());
    expect_selfban_failure(selfban(&server, &body).await, SelfBanError::AppDisabled).await;
    let limited = selfban(&server, &key_body(&seed, HWID, &nonce(), ban)).await;
    assert!(retry_after_secs(&limited) >= 1);
    expect_selfban_failure(limited, SelfBanError::RateLimited).await;
    server.shutdown().await.unwrap();
}
