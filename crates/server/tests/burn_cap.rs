//! An app's own daily credit cap (`dailyCreditCap`), over HTTP: at the cap validates and
//! heartbeat milestones answer `app_burn_cap_reached` and charge nothing; the next UTC
//! day, a raised cap or no cap lets them pass; `creditsUsedToday` counts what was charged;
//! bad caps are `bad_request`.

mod common;

use std::time::Duration;

use common::*;
use keyward_errors::{ApiError, HeartbeatError, ValidateError};
use keyward_server::api::limits::DAILY_CREDIT_CAP_MAX;
use keyward_server::store::HEARTBEATS_PER_CREDIT;
use keyward_server::{Seed, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

const HWID: &str = "hwid-burn-cap";
const SECONDS_PER_DAY: u64 = 86_400;

/// A server without the auth rate limit (the tests validate back to back) and a seed.
async fn server_and_seed() -> (TestServer, Seed) {
    let server = TestServer::start_with(|config| config.auth_rate_limit = None)
        .await
        .unwrap();
    let seed = server.seed().await.unwrap();
    (server, seed)
}

/// `GET /v1/apps/{appId}` of the seed's app.
async fn app_body(server: &TestServer, seed: &Seed) -> Value {
    let path = format!("/v1/apps/{}", seed.app_id);
    let response = api(server, seed, Method::GET, &path).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The seed's app's `creditsUsedToday`, also checked in the list of apps.
async fn used_today(server: &TestServer, seed: &Seed) -> i64 {
    let used = app_body(server, seed).await["creditsUsedToday"]
        .as_i64()
        .unwrap();
    let apps = answer_json(api(server, seed, Method::GET, "/v1/apps")).await;
    let listed = apps["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|app| app["appId"] == seed.app_id.as_str())
        .unwrap();
    assert_eq!(listed["creditsUsedToday"], used, "list and get agree");
    used
}

/// A validate of the seed's license that must be refused with `app_burn_cap_reached`
/// (exact body) and charge nothing; returns the request body sent.
async fn validate_capped(server: &TestServer, seed: &Seed) -> Value {
    let before = credits(server, seed).await;
    let body = validate_body(seed, HWID, &nonce());
    let response = post(server, "/auth/validate", &body).await;
    let answer = expect_validate_failure(response, ValidateError::AppBurnCapReached).await;
    assert_eq!(
        answer,
        json!({"status": "failed", "error": "app_burn_cap_reached"})
    );
    assert_eq!(credits(server, seed).await, before, "nothing charged");
    body
}

/// Advances the server's clock into the next UTC day.
fn next_utc_day(server: &TestServer) {
    let now = u64::try_from(server.clock().now_unix()).unwrap();
    server.clock().advance(Duration::from_secs(
        SECONDS_PER_DAY - now % SECONDS_PER_DAY + 1,
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validates_stop_at_the_cap_and_pass_again_the_next_utc_day() {
    let (server, seed) = server_and_seed().await;
    let app = patch_app_body(&server, &seed, json!({"dailyCreditCap": 2})).await;
    assert_eq!(app["dailyCreditCap"], 2);
    assert_eq!(app["creditsUsedToday"], 0);
    let start = credits(&server, &seed).await;
    validate_ok(&server, &seed, HWID).await;
    validate_ok(&server, &seed, HWID).await;
    assert_eq!(credits(&server, &seed).await, start - 2);
    assert_eq!(used_today(&server, &seed).await, 2);

    let capped = validate_capped(&server, &seed).await;
    assert_eq!(
        used_today(&server, &seed).await,
        2,
        "a refusal counts nothing"
    );
    // The refused request's nonce is spent like any authenticated request's.
    let again = post(&server, "/auth/validate", &capped).await;
    expect_validate_failure(again, ValidateError::ReplayDetected).await;
    // Creating licenses is the developer's own action: not capped, not counted.
    let created = create_licenses(&server, &seed, json!({"count": 1})).await;
    assert_eq!(
        created["licenses"].as_array().map(Vec::len),
        Some(1),
        "{created}"
    );
    assert_eq!(used_today(&server, &seed).await, 2);

    next_utc_day(&server);
    assert_eq!(used_today(&server, &seed).await, 0, "a new UTC day");
    validate_ok(&server, &seed, HWID).await;
    validate_ok(&server, &seed, HWID).await;
    validate_capped(&server, &seed).await;
    assert_eq!(used_today(&server, &seed).await, 2);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raising_or_removing_the_cap_lets_validates_pass() {
    let (server, seed) = server_and_seed().await;
    assert_eq!(
        app_body(&server, &seed).await["dailyCreditCap"],
        Value::Null
    );
    patch_app(&server, &seed, json!({"dailyCreditCap": 1})).await;
    validate_ok(&server, &seed, HWID).await;
    validate_capped(&server, &seed).await;

    patch_app(&server, &seed, json!({"dailyCreditCap": 2})).await;
    validate_ok(&server, &seed, HWID).await;
    validate_capped(&server, &seed).await;

    // A PATCH without the field keeps the cap.
    let app = patch_app_body(&server, &seed, json!({"name": "renamed"})).await;
    assert_eq!(app["dailyCreditCap"], 2);
    validate_capped(&server, &seed).await;

    let app = patch_app_body(&server, &seed, json!({"dailyCreditCap": null})).await;
    assert_eq!(app["dailyCreditCap"], Value::Null);
    let start = credits(&server, &seed).await;
    for _ in 0..3 {
        validate_ok(&server, &seed, HWID).await;
    }
    assert_eq!(credits(&server, &seed).await, start - 3);
    assert_eq!(used_today(&server, &seed).await, 5);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_milestone_at_the_cap_is_refused_and_charged_once_the_cap_is_raised() {
    let (server, seed) = server_and_seed().await;
    patch_app(&server, &seed, json!({"dailyCreditCap": 1})).await;
    let mut token = validate_ok(&server, &seed, HWID)
        .await
        .payload
        .session_token;
    // The beats before the milestone cost nothing.
    for _ in 1..HEARTBEATS_PER_CREDIT {
        token = heartbeat(&server, &seed, &token, HWID)
            .await
            .unwrap()
            .payload
            .session_token;
    }
    let start = credits(&server, &seed).await;
    // The milestone, twice: refused each time, nothing counted or charged.
    for _ in 0..2 {
        let refused = heartbeat(&server, &seed, &token, HWID).await.unwrap_err();
        assert_eq!(
            refused,
            json!({"status": "failed", "error": HeartbeatError::AppBurnCapReached.code()})
        );
        assert_eq!(credits(&server, &seed).await, start);
        let license = get_license(&server, &seed, &seed.license_key).await;
        assert_eq!(license["heartbeats"], HEARTBEATS_PER_CREDIT - 1);
    }
    assert_eq!(used_today(&server, &seed).await, 1);

    patch_app(&server, &seed, json!({"dailyCreditCap": 2})).await;
    heartbeat(&server, &seed, &token, HWID).await.unwrap();
    assert_eq!(
        credits(&server, &seed).await,
        start - 1,
        "the milestone paid"
    );
    let license = get_license(&server, &seed, &seed.license_key).await;
    assert_eq!(license["heartbeats"], HEARTBEATS_PER_CREDIT);
    assert_eq!(used_today(&server, &seed).await, 2);
    server.shutdown().await.unwrap();
}

/// Sends `body` with the seed's key and expects `bad_request` naming `dailyCreditCap`.
async fn expect_bad_cap(server: &TestServer, seed: &Seed, method: Method, path: &str, body: Value) {
    let response = api(server, seed, method, path)
        .json(&body)
        .send()
        .await
        .unwrap();
    let answer = expect_api_error(response, ApiError::BadRequest).await;
    let fields: Vec<&str> = answer["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|detail| detail["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["dailyCreditCap"], "{body}: {answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_daily_credit_caps_are_bad_requests_and_good_ones_are_kept() {
    let (server, seed) = server_and_seed().await;
    let app_path = format!("/v1/apps/{}", seed.app_id);
    let bad = [
        json!(0),
        json!(-1),
        json!("5"),
        json!(1.5),
        json!(true),
        json!(DAILY_CREDIT_CAP_MAX + 1),
        json!(u64::MAX),
    ];
    for cap in bad {
        let create = json!({"name": "capped", "dailyCreditCap": cap});
        expect_bad_cap(&server, &seed, Method::POST, "/v1/apps", create).await;
        let patch = json!({"dailyCreditCap": cap});
        expect_bad_cap(&server, &seed, Method::PATCH, &app_path, patch).await;
    }
    // Nothing was changed by the refused PATCHes.
    assert_eq!(
        app_body(&server, &seed).await["dailyCreditCap"],
        Value::Null
    );

    for (cap, shown) in [
        (json!(1), json!(1)),
        (json!(DAILY_CREDIT_CAP_MAX), json!(DAILY_CREDIT_CAP_MAX)),
        (json!(null), Value::Null),
    ] {
        let response = api(&server, &seed, Method::POST, "/v1/apps")
            .json(&json!({"name": "capped", "dailyCreditCap": cap}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let app: Value = response.json().await.unwrap();
        assert_eq!(app["dailyCreditCap"], shown);
        assert_eq!(app["creditsUsedToday"], 0);
    }
    let response = api(&server, &seed, Method::POST, "/v1/apps")
        .json(&json!({"name": "uncapped"}))
        .send()
        .await
        .unwrap();
    let app: Value = response.json().await.unwrap();
    assert_eq!(app["dailyCreditCap"], Value::Null, "no cap by default");
    server.shutdown().await.unwrap();
}
