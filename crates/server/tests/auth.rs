//! The public auth endpoints over HTTP: every validate and heartbeat code with its exact
//! wire body, successes verified with keyward-protocol (nonce and signature), and the
//! credit rules.

mod common;

use std::time::Duration;

use common::*;
use keyward_errors::{HeartbeatError, ValidateError};
use keyward_protocol::SessionToken;
use keyward_server::store::NewApp;
use keyward_server::{RateLimitConfig, SEED_CREDITS, Seed, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

const HWID: &str = "4f2c0e9b7d1a5c3e8f6b2d4a9c7e1f3b5d8a2c4e6f9b1d3a5c7e9f2b4d6a8c0e";

/// Sends `body` (with a fresh nonce when it carries a well-formed one: a repeated nonce
/// is `replay_detected`) and expects `error`.
async fn validate_fails(server: &TestServer, body: &Value, error: ValidateError) -> Value {
    let mut body = body.clone();
    let well_formed = body["nonce"]
        .as_str()
        .is_some_and(|n| keyward_protocol::Nonce::parse(n).is_ok());
    if well_formed {
        body["nonce"] = json!(nonce());
    }
    expect_validate_failure(post(server, "/auth/validate", &body).await, error).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_success_is_signed_and_charges_one_credit() {
    let mut app = NewApp::named("vars");
    app.variables = json!({"motd": "hi"}).as_object().unwrap().clone();
    let server = TestServer::start().await.unwrap();
    let seed = server.seed_with(app).await.unwrap();
    let session = validate_ok(&server, &seed, HWID).await;
    assert_eq!(
        session.payload.app_variables.as_ref().unwrap()["motd"],
        "hi"
    );
    assert!(session.payload.request_id.is_some());
    let now = server.clock().now_unix();
    assert!((session.payload.timestamp - now).abs() <= 2);
    assert_eq!(session.payload.expires_in, session.payload.timestamp + 3600);
    let token = SessionToken::decode_unverified(&session.payload.session_token).unwrap();
    assert_eq!(token.app_id, seed.app_id);
    assert_eq!(token.hwid, HWID);
    assert_eq!(credits(&server, &seed).await, SEED_CREDITS - 1);
    // Same device again: still one slot used, one more credit.
    validate_ok(&server, &seed, HWID).await;
    assert_eq!(credits(&server, &seed).await, SEED_CREDITS - 2);
    let license = get_license(&server, &seed, &seed.license_key).await;
    assert_eq!(license["hwids"], json!([HWID]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_failure_codes_in_order() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let other = server.seed().await.unwrap();
    let n = nonce();
    let good = validate_body(&seed, HWID, &n);

    // invalid_app: unknown app, wrong secret, deactivated app.
    let mut body = good.clone();
    body["appId"] = json!("app_000000000000000000000000");
    validate_fails(&server, &body, ValidateError::InvalidApp).await;
    let mut body = good.clone();
    body["appSecret"] = json!(other.app_secret);
    validate_fails(&server, &body, ValidateError::InvalidApp).await;
    patch_app(&server, &seed, json!({"active": false})).await;
    validate_fails(&server, &good, ValidateError::InvalidApp).await;
    patch_app(&server, &seed, json!({"active": true})).await;

    // app_disabled: the owner is suspended (checked before credits).
    server.admin().suspend(&seed.account).await.unwrap();
    validate_fails(&server, &good, ValidateError::AppDisabled).await;
    server.admin().reinstate(&seed.account).await.unwrap();

    // invalid_key: unknown key, another app's key.
    let mut body = good.clone();
    body["licenseKey"] = json!("AAAA-BBBB-CCCC-DDDD");
    validate_fails(&server, &body, ValidateError::InvalidKey).await;
    let mut body = good.clone();
    body["licenseKey"] = json!(other.license_key);
    validate_fails(&server, &body, ValidateError::InvalidKey).await;

    // blocked: deny HWID, deny IP, allowlist required without an entry.
    let deny = add_access_rule(&server, &seed, "deny", "hwid", HWID).await;
    validate_fails(&server, &good, ValidateError::Blocked).await;
    delete_access_rule(&server, &seed, &deny).await;
    let deny = add_access_rule(&server, &seed, "deny", "ip", "127.0.0.1").await;
    validate_fails(&server, &good, ValidateError::Blocked).await;
    delete_access_rule(&server, &seed, &deny).await;
    patch_app(&server, &seed, json!({"allowlistRequired": true})).await;
    validate_fails(&server, &good, ValidateError::Blocked).await;
    // blocked comes before invalid_key.
    let mut body = good.clone();
    body["licenseKey"] = json!("AAAA-BBBB-CCCC-DDDD");
    validate_fails(&server, &body, ValidateError::Blocked).await;
    add_access_rule(&server, &seed, "allow", "ip", "127.0.0.1").await;
    validate_ok(&server, &seed, HWID).await;
    patch_app(&server, &seed, json!({"allowlistRequired": false})).await;

    // hwid_mismatch: one slot, bound to HWID above.
    validate_fails(
        &server,
        &validate_body(&seed, "another-device", &nonce()),
        ValidateError::HwidMismatch,
    )
    .await;
    // Reset frees the slot.
    api(
        &server,
        &seed,
        Method::POST,
        &format!("/v1/licenses/{}/reset-hwids", seed.license_key),
    )
    .send()
    .await
    .unwrap();
    validate_ok(&server, &seed, "another-device").await;

    // expired: a 1-day license two days later.
    let created = create_licenses(&server, &seed, json!({"durationDays": 1})).await;
    let short = created["licenses"][0]["key"].as_str().unwrap().to_owned();
    let mut body = good.clone();
    body["licenseKey"] = json!(short);
    server.clock().advance(Duration::from_secs(2 * 86_400));
    validate_fails(&server, &body, ValidateError::Expired).await;

    // revoked (before expired).
    api(
        &server,
        &seed,
        Method::POST,
        &format!("/v1/licenses/{short}/revoke"),
    )
    .send()
    .await
    .unwrap();
    validate_fails(&server, &body, ValidateError::Revoked).await;

    // no_credits: after app_disabled, before blocked and invalid_key.
    let left = credits(&server, &seed).await;
    server
        .admin()
        .add_credits(&seed.account, -left)
        .await
        .unwrap();
    validate_fails(&server, &good, ValidateError::NoCredits).await;
    let mut body = good.clone();
    body["licenseKey"] = json!("AAAA-BBBB-CCCC-DDDD");
    validate_fails(&server, &body, ValidateError::NoCredits).await;
    server.admin().suspend(&seed.account).await.unwrap();
    validate_fails(&server, &good, ValidateError::AppDisabled).await;
    assert_eq!(credits(&server, &seed).await, 0);
}

/// IP rules match networks: the loopback client (127.0.0.1) is denied by a deny network
/// that contains it, admitted by an allow network that contains it, and not by one that
/// does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ip_networks_deny_and_allow() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let good = json!({
        "appId": seed.app_id, "appSecret": seed.app_secret, "licenseKey": seed.license_key,
        "hwid": HWID, "nonce": "0123456789abcdef0123456789abcdef",
    });
    let deny = add_access_rule(&server, &seed, "deny", "ip", "127.0.0.0/8").await;
    validate_fails(&server, &good, ValidateError::Blocked).await;
    delete_access_rule(&server, &seed, &deny).await;
    let elsewhere = add_access_rule(&server, &seed, "deny", "ip", "10.0.0.0/8").await;
    validate_ok(&server, &seed, HWID).await;
    delete_access_rule(&server, &seed, &elsewhere).await;

    patch_app(&server, &seed, json!({"allowlistRequired": true})).await;
    let other_network = add_access_rule(&server, &seed, "allow", "ip", "192.168.0.0/16").await;
    validate_fails(&server, &good, ValidateError::Blocked).await;
    let loopback = add_access_rule(&server, &seed, "allow", "ip", "127.0.0.0/30").await;
    validate_ok(&server, &seed, HWID).await;
    // A deny entry wins over an allow entry.
    let host = add_access_rule(&server, &seed, "deny", "ip", "127.0.0.1").await;
    validate_fails(&server, &good, ValidateError::Blocked).await;
    for rule in [other_network, loopback, host] {
        delete_access_rule(&server, &seed, &rule).await;
    }
    validate_fails(&server, &good, ValidateError::Blocked).await;
}

/// Behind a trusted proxy (here: loopback), the client is the address in
/// `X-Forwarded-For`; without one configured, the header is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_forwarded_for_only_from_trusted_proxies() {
    for trusted in [true, false] {
        let server = TestServer::start_with(|config| {
            if trusted {
                config.trusted_proxies =
                    vec![keyward_server::ipnet::IpNet::parse("127.0.0.0/8").unwrap()];
            }
        })
        .await
        .unwrap();
        let seed = server.seed().await.unwrap();
        add_access_rule(&server, &seed, "deny", "ip", "203.0.113.0/24").await;
        let forwarded = |xff: &str| {
            client()
                .post(server.url("/auth/validate"))
                .header("x-forwarded-for", xff)
                .json(&validate_body(&seed, HWID, &nonce()))
                .send()
        };
        let from_denied = forwarded("203.0.113.7").await.unwrap();
        if trusted {
            expect_validate_failure(from_denied, ValidateError::Blocked).await;
        } else {
            let answer: Value = from_denied.json().await.unwrap();
            assert_eq!(answer["status"], "success", "untrusted header ignored");
        }
        // The client cannot pick its address: the hop the proxy appended counts.
        let forged = forwarded("203.0.113.7, 198.51.100.1").await.unwrap();
        let answer: Value = forged.json().await.unwrap();
        assert_eq!(answer["status"], "success", "trusted: {trusted}");
    }
}

/// Another process holding the database's write lock (the admin CLI; here a second
/// connection) while validates arrive: the server waits for the lock instead of failing
/// them, and every credit is accounted for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validates_wait_while_another_process_holds_the_lock() {
    if sqlite_only("SQLite's write lock") {
        return;
    }
    let server = TestServer::start_with(|config| config.auth_rate_limit = None)
        .await
        .unwrap();
    let seed = server.seed().await.unwrap();
    let (locked, lock_taken) = tokio::sync::oneshot::channel();
    let other_process = tokio::task::spawn_blocking({
        let path = server.db_path().to_owned();
        let account = seed.account.clone();
        move || {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            conn.execute(
                "UPDATE accounts SET credits = credits + 20 WHERE name = ?1",
                [account],
            )
            .unwrap();
            locked.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            conn.execute_batch("COMMIT").unwrap();
        }
    });
    lock_taken.await.unwrap();
    let bodies = (0..100).map(|_| validate_body(&seed, HWID, &nonce()));
    let successes = auth_all_at_once(&server, "/auth/validate", bodies).await;
    other_process.await.unwrap();
    assert_eq!(
        successes, 100,
        "no validate failed while the file was locked"
    );
    assert_eq!(credits(&server, &seed).await, SEED_CREDITS + 20 - 100);
}

/// The busy timeout bounds each request's wait for a write lock held by another
/// process: a validate queued while an earlier batch already waits for the lock is
/// answered `internal_error` once it has waited the timeout itself, not after the earlier
/// batch's wait plus a full timeout of its own. Bounds are generous: they tell "about
/// the timeout" from "the timeout and more" (5 s against 8 s here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validate_waits_no_longer_than_the_busy_timeout() {
    if sqlite_only("SQLite's busy timeout") {
        return;
    }
    let server = TestServer::start_with(|config| config.auth_rate_limit = None)
        .await
        .unwrap();
    let seed = server.seed().await.unwrap();
    let (locked, lock_taken) = tokio::sync::oneshot::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let other_process = tokio::task::spawn_blocking({
        let path = server.db_path().to_owned();
        move || {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            locked.send(()).unwrap();
            let _ = released.recv_timeout(Duration::from_secs(30));
            conn.execute_batch("ROLLBACK").unwrap();
        }
    });
    lock_taken.await.unwrap();
    let first = tokio::spawn({
        let body = validate_body(&seed, HWID, &nonce());
        let url = server.url("/auth/validate");
        async move { client().post(url).json(&body).send().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent = std::time::Instant::now();
    let response = post(
        &server,
        "/auth/validate",
        &validate_body(&seed, HWID, &nonce()),
    )
    .await;
    let waited = sent.elapsed();
    expect_validate_failure(response, ValidateError::SystemError).await;
    assert!(
        waited > Duration::from_secs(4) && waited < Duration::from_millis(6500),
        "answered after {waited:?}"
    );
    expect_validate_failure(first.await.unwrap(), ValidateError::SystemError).await;
    release.send(()).unwrap();
    other_process.await.unwrap();
    assert_eq!(
        credits(&server, &seed).await,
        SEED_CREDITS,
        "nothing charged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_bad_request_lists_every_bad_field() {
    let server = TestServer::start().await.unwrap();
    let body = json!({"appId": 5, "appSecret": "", "hwid": "x", "nonce": "ABC"});
    let failure = validate_fails(&server, &body, ValidateError::BadRequest).await;
    let fields: Vec<&str> = failure["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["appId", "appSecret", "licenseKey", "nonce"]);

    let c = client();
    let url = server.url("/auth/validate");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{\"appId\":".to_vec(), "application/json"),
        (serde_json::to_vec(&body).unwrap(), "text/plain"),
        (b"{\"appId\":\"\xff\"}".to_vec(), "application/json"),
        (
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            "application/json",
        ),
        (vec![b' '; 100_000], "application/json"),
        (b"null".to_vec(), "application/json"),
    ];
    for (bytes, content_type) in cases {
        let response = c
            .post(&url)
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .unwrap();
        let failure = expect_validate_failure(response, ValidateError::BadRequest).await;
        assert_eq!(failure["details"][0]["field"], "body", "{failure}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_rate_limited_with_retry_after() {
    let server = TestServer::start_with(|config| {
        config.auth_rate_limit = Some(RateLimitConfig::new(2, 0.01));
    })
    .await
    .unwrap();
    let seed = server.seed().await.unwrap();
    validate_ok(&server, &seed, HWID).await;
    let session = validate_ok(&server, &seed, HWID).await;
    let response = post(
        &server,
        "/auth/validate",
        &validate_body(&seed, HWID, &nonce()),
    )
    .await;
    let retry_after = retry_after_secs(&response);
    assert!((1..=100).contains(&retry_after), "{retry_after}");
    expect_validate_failure(response, ValidateError::RateLimited).await;
    let response = post(
        &server,
        "/auth/heartbeat",
        &heartbeat_body(&seed, &session.payload.session_token, HWID, &nonce()),
    )
    .await;
    assert!(response.headers().contains_key("retry-after"));
    expect_heartbeat_failure(response, HeartbeatError::RateLimited).await;
    assert_eq!(
        credits(&server, &seed).await,
        SEED_CREDITS - 2,
        "limited requests cost nothing"
    );
}

/// The auth limit is per client, whatever app id the request names (it is not checked
/// yet when the limit is): app ids made up by the client share its bucket, and so does
/// a real app.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_limit_is_per_client_whatever_the_app_id() {
    const BURST: u32 = 5;
    let (server, seed) = server_with_limit(BURST, |config, limit| {
        config.auth_rate_limit = Some(limit);
    })
    .await;
    let made_up = |i: u32| Seed {
        app_id: format!("app_{i:024x}"),
        ..seed.clone()
    };
    for i in 0..BURST {
        let body = validate_body(&made_up(i), HWID, &nonce());
        validate_fails(&server, &body, ValidateError::InvalidApp).await;
    }
    let body = validate_body(&made_up(BURST), HWID, &nonce());
    validate_fails(&server, &body, ValidateError::RateLimited).await;
    let body = validate_body(&seed, HWID, &nonce());
    validate_fails(&server, &body, ValidateError::RateLimited).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_internal_error_on_a_failing_database() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let session = validate_ok(&server, &seed, HWID).await;
    drop_table(&server, "licenses").await;
    let response = post(
        &server,
        "/auth/validate",
        &validate_body(&seed, HWID, &nonce()),
    )
    .await;
    expect_validate_failure(response, ValidateError::SystemError).await;
    let heartbeat = || heartbeat_body(&seed, &session.payload.session_token, HWID, &nonce());
    let response = post(&server, "/auth/heartbeat", &heartbeat()).await;
    expect_heartbeat_failure(response, HeartbeatError::SystemError).await;

    // A Keyward client built against spec 1.2.0 (it sends no spec header) gets the
    // `internal_error` it knows and retries, with its HTTP 500; one that names the current
    // spec gets `system_error`.
    let as_client = |path: &str, body: Value, spec: Option<&str>| {
        let mut request = client()
            .post(server.url(path))
            .header("user-agent", "keyward-client/0.1.0")
            .json(&body);
        if let Some(spec) = spec {
            request = request.header("keyward-spec-version", spec);
        }
        request.send()
    };
    let legacy = as_client("/auth/validate", validate_body(&seed, HWID, &nonce()), None);
    #[allow(deprecated)]
    expect_validate_failure(legacy.await.unwrap(), ValidateError::InternalError).await;
    let legacy = as_client("/auth/heartbeat", heartbeat(), Some("1.2.0"));
    #[allow(deprecated)]
    expect_heartbeat_failure(legacy.await.unwrap(), HeartbeatError::InternalError).await;
    let current = as_client(
        "/auth/validate",
        validate_body(&seed, HWID, &nonce()),
        Some(keyward_errors::SPEC_VERSION),
    );
    expect_validate_failure(current.await.unwrap(), ValidateError::SystemError).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_success_rotates_the_session_and_bills_every_tenth() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let mut token = validate_ok(&server, &seed, HWID)
        .await
        .payload
        .session_token;
    assert_eq!(credits(&server, &seed).await, SEED_CREDITS - 1);
    for i in 1..=20 {
        let session = heartbeat(&server, &seed, &token, HWID).await.unwrap();
        assert_ne!(session.payload.session_token, token);
        token = session.payload.session_token;
        let expected = SEED_CREDITS - 1 - i / 10;
        assert_eq!(
            credits(&server, &seed).await,
            expected,
            "after heartbeat {i}"
        );
    }
    // no_credits exactly at the billing milestone, and it is not counted.
    let left = credits(&server, &seed).await;
    server
        .admin()
        .add_credits(&seed.account, -left)
        .await
        .unwrap();
    for _ in 21..30 {
        token = heartbeat(&server, &seed, &token, HWID)
            .await
            .unwrap()
            .payload
            .session_token;
    }
    let body = heartbeat(&server, &seed, &token, HWID).await.unwrap_err();
    assert_eq!(
        body,
        json!({"status": "failed", "error": HeartbeatError::NoCredits.code()})
    );
    let body = heartbeat(&server, &seed, &token, HWID).await.unwrap_err();
    assert_eq!(body["error"], HeartbeatError::NoCredits.code());
    server.admin().add_credits(&seed.account, 1).await.unwrap();
    heartbeat(&server, &seed, &token, HWID).await.unwrap();
    assert_eq!(credits(&server, &seed).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_failure_codes() {
    let server = TestServer::start_with(|config| config.session_ttl = Duration::from_secs(60))
        .await
        .unwrap();
    let seed = server.seed().await.unwrap();
    let other = server.seed().await.unwrap();
    let token = validate_ok(&server, &seed, HWID)
        .await
        .payload
        .session_token;
    let session_expired =
        json!({"status": "failed", "error": HeartbeatError::SessionExpired.code()});

    // session_expired: bad MAC, another app, another HWID, garbage.
    let mut tampered: Vec<char> = token.chars().collect();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    assert_eq!(
        heartbeat(&server, &seed, &tampered, HWID)
            .await
            .unwrap_err(),
        session_expired
    );
    let mut body = heartbeat_body(&seed, &token, HWID, &nonce());
    body["appId"] = json!(other.app_id);
    let response = post(&server, "/auth/heartbeat", &body).await;
    expect_heartbeat_failure(response, HeartbeatError::SessionExpired).await;
    assert_eq!(
        heartbeat(&server, &seed, &token, "other-hwid")
            .await
            .unwrap_err(),
        session_expired
    );
    let response = post(
        &server,
        "/auth/heartbeat",
        &heartbeat_body(&seed, "not.a-token", HWID, &nonce()),
    )
    .await;
    expect_heartbeat_failure(response, HeartbeatError::SessionExpired).await;
    // bad_request (spec 1.2): a malformed request names every bad field.
    let response = post(&server, "/auth/heartbeat", &json!({"appId": seed.app_id})).await;
    let body = expect_heartbeat_failure(response, HeartbeatError::BadRequest).await;
    assert_eq!(body["details"].as_array().unwrap().len(), 3, "{body}");

    // app_disabled, then revoked, then expired.
    server.admin().suspend(&seed.account).await.unwrap();
    assert_eq!(
        heartbeat(&server, &seed, &token, HWID).await.unwrap_err()["error"],
        HeartbeatError::AppDisabled.code()
    );
    server.admin().reinstate(&seed.account).await.unwrap();
    let token = heartbeat(&server, &seed, &token, HWID)
        .await
        .unwrap()
        .payload
        .session_token;

    api(
        &server,
        &seed,
        Method::POST,
        &format!("/v1/licenses/{}/extend", seed.license_key),
    )
    .json(&json!({"expiresAt": server.clock().now_unix() + 30}))
    .send()
    .await
    .unwrap();
    server.clock().advance(Duration::from_secs(40));
    assert_eq!(
        heartbeat(&server, &seed, &token, HWID).await.unwrap_err()["error"],
        HeartbeatError::Expired.code()
    );
    api(
        &server,
        &seed,
        Method::POST,
        &format!("/v1/licenses/{}/revoke", seed.license_key),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        heartbeat(&server, &seed, &token, HWID).await.unwrap_err()["error"],
        HeartbeatError::Revoked.code()
    );

    // An expired session token.
    server.clock().advance(Duration::from_secs(60));
    assert_eq!(
        heartbeat(&server, &seed, &token, HWID).await.unwrap_err(),
        session_expired
    );

    // HWID reset ends the session of the unbound device.
    let fresh = server.seed().await.unwrap();
    let token = validate_ok(&server, &fresh, HWID)
        .await
        .payload
        .session_token;
    api(
        &server,
        &fresh,
        Method::POST,
        &format!("/v1/licenses/{}/reset-hwids", fresh.license_key),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        heartbeat(&server, &fresh, &token, HWID).await.unwrap_err(),
        session_expired
    );
}

/// Many parallel validates with distinct HWIDs never bind more than the slots, and every
/// success is charged exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_validates_respect_slots_and_charge_exactly() {
    let server = TestServer::start_with(|config| config.auth_rate_limit = None)
        .await
        .unwrap();
    let mut app = NewApp::named("slots");
    app.hwid_slots = 3;
    let seed = server.seed_with(app).await.unwrap();
    let bodies = (0..64).map(|i| validate_body(&seed, &format!("device-{i}"), &nonce()));
    let successes = auth_all_at_once(&server, "/auth/validate", bodies).await;
    assert_eq!(successes, 3);
    let license = get_license(&server, &seed, &seed.license_key).await;
    assert_eq!(license["hwids"].as_array().unwrap().len(), 3);
    assert_eq!(credits(&server, &seed).await, SEED_CREDITS - successes);

    // Bound devices in parallel with only 10 credits left: exactly 10 succeed.
    let hwids: Vec<String> = license["hwids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect();
    server
        .admin()
        .add_credits(&seed.account, -(SEED_CREDITS - successes - 10))
        .await
        .unwrap();
    let bodies = (0..60).map(|i| validate_body(&seed, &hwids[i % 3], &nonce()));
    let paid = auth_all_at_once(&server, "/auth/validate", bodies).await;
    assert_eq!(paid, 10);
    assert_eq!(credits(&server, &seed).await, 0);
}

/// Opens a session on the seed's license and heartbeats it until the server answers it
/// from memory (the database sees the first beat and every 10th), so that the next beat
/// tests the session cache. The session's token.
async fn session_from_memory(server: &TestServer, seed: &Seed) -> String {
    let token = validate_ok(server, seed, HWID).await.payload.session_token;
    for _ in 0..3 {
        heartbeat(server, seed, &token, HWID).await.unwrap();
    }
    token
}

/// Every change that can end or alter a session reaches the very next heartbeat, though
/// the beats before it were answered from memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_answered_from_memory_see_every_change_at_once() {
    let server = TestServer::start().await.unwrap();
    let post_license = |server: &TestServer, seed: &Seed, action: &str| {
        api(
            server,
            seed,
            Method::POST,
            &format!("/v1/licenses/{}/{action}", seed.license_key),
        )
        .send()
    };
    let cases: Vec<(&str, Value)> = vec![
        ("revoke", json!(HeartbeatError::Revoked.code())),
        ("reset-hwids", json!(HeartbeatError::SessionExpired.code())),
        ("deactivate", json!(HeartbeatError::SessionExpired.code())),
        ("suspend", json!(HeartbeatError::AppDisabled.code())),
        ("expire", json!(HeartbeatError::Expired.code())),
    ];
    for (change, error) in cases {
        let seed = server.seed().await.unwrap();
        let token = session_from_memory(&server, &seed).await;
        match change {
            "deactivate" => patch_app(&server, &seed, json!({"active": false})).await,
            "suspend" => drop(server.admin().suspend(&seed.account).await.unwrap()),
            "expire" => {
                // A lifetime license given an expiry, which then passes.
                let soon = server.clock().now_unix() + 5;
                let response = api(
                    &server,
                    &seed,
                    Method::POST,
                    &format!("/v1/licenses/{}/extend", seed.license_key),
                )
                .json(&json!({"expiresAt": soon}))
                .send()
                .await
                .unwrap();
                assert_eq!(response.status(), 200, "{change}");
                server.clock().advance(Duration::from_secs(10));
            }
            action => {
                let response = post_license(&server, &seed, action).await.unwrap();
                assert_eq!(response.status(), 200, "{change}");
            }
        }
        let body = heartbeat(&server, &seed, &token, HWID).await.unwrap_err();
        assert_eq!(body["error"], error, "after {change}");
    }

    // New app variables reach the next heartbeat's payload.
    let seed = server.seed().await.unwrap();
    let token = session_from_memory(&server, &seed).await;
    patch_app(&server, &seed, json!({"variables": {"motd": "new"}})).await;
    let session = heartbeat(&server, &seed, &token, HWID).await.unwrap();
    assert_eq!(session.payload.app_variables.unwrap()["motd"], "new");
}

/// A commit by another process (the admin CLI writes the file directly) reaches every
/// session answered from memory: after the cache's staleness bound (100 ms) the next
/// heartbeat reads the database, notices the other writer and drops all state read
/// before, so a second license's session is not answered from it either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_suspending_the_account_reaches_every_session() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let created = create_licenses(&server, &seed, json!({"count": 1})).await;
    let second = Seed {
        license_key: created["licenses"][0]["key"].as_str().unwrap().to_owned(),
        ..seed.clone()
    };
    let mut tokens = Vec::new();
    for license in [&seed, &second] {
        tokens.push(session_from_memory(&server, license).await);
    }
    let account = seed.account.replace('\'', "''");
    let suspend = format!("UPDATE accounts SET suspended = TRUE WHERE name = '{account}'");
    execute_sql(&server.database(), &suspend).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    for (license, token) in [&seed, &second].into_iter().zip(&tokens) {
        let body = heartbeat(&server, license, token, HWID).await.unwrap_err();
        assert_eq!(body["error"], HeartbeatError::AppDisabled.code());
    }
}

/// Concurrent heartbeats of one session, most answered from memory: every one is
/// counted exactly once (in the API's count at once, in the database after the server
/// stops) and every 10th is charged exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_answered_from_memory_are_all_counted_and_billed() {
    const BEATS: i64 = 305;
    let server = TestServer::start_with(|config| config.auth_rate_limit = None)
        .await
        .unwrap();
    let seed = server.seed().await.unwrap();
    let token = validate_ok(&server, &seed, HWID)
        .await
        .payload
        .session_token;
    let bodies = (0..BEATS).map(|_| heartbeat_body(&seed, &token, HWID, &nonce()));
    let successes = auth_all_at_once(&server, "/auth/heartbeat", bodies).await;
    assert_eq!(successes, BEATS, "every heartbeat succeeded");
    assert_eq!(credits(&server, &seed).await, SEED_CREDITS - 1 - BEATS / 10);
    let license = get_license(&server, &seed, &seed.license_key).await;
    assert_eq!(license["heartbeats"], BEATS);

    let stored = stored_heartbeats(server, &seed.license_key).await;
    assert_eq!(
        stored, BEATS,
        "the counts kept in memory were written at shutdown"
    );
}
