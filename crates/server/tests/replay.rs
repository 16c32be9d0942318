//! Replayed validates: a nonce already used with an app within the replay window is
//! `replay_detected`, whatever the first request's answer was, and charges nothing; the
//! window ends, apps are apart, and a restart forgets nothing.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use keyward_errors::ValidateError;
use keyward_server::{Config, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_validate_is_refused_and_charges_nothing() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let body = validate_body(&seed, "hwid-replay", &nonce());
    let first = post(&server, "/auth/validate", &body).await;
    assert_eq!(first.status(), 200);
    let answer: serde_json::Value = first.json().await.unwrap();
    assert_eq!(answer["status"], "success", "{answer}");
    let credits_after_first = credits(&server, &seed).await;
    // The same bytes again, twice: each repeat is refused with the exact envelope.
    for _ in 0..2 {
        let again = post(&server, "/auth/validate", &body).await;
        expect_validate_failure(again, ValidateError::ReplayDetected).await;
    }
    assert_eq!(credits(&server, &seed).await, credits_after_first);
    // A fresh nonce is answered normally.
    validate_ok(&server, &seed, "hwid-replay").await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_validate_records_its_nonce_but_an_unauthenticated_one_does_not() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    // A wrong license key: the app's credentials checked out, so the nonce is spent.
    let nonce = nonce();
    let mut wrong_key = validate_body(&seed, "hwid-replay", &nonce);
    wrong_key["licenseKey"] = "AAAA-AAAA-AAAA-AAAA".into();
    let response = post(&server, "/auth/validate", &wrong_key).await;
    expect_validate_failure(response, ValidateError::InvalidKey).await;
    let fixed = validate_body(&seed, "hwid-replay", &nonce);
    let response = post(&server, "/auth/validate", &fixed).await;
    expect_validate_failure(response, ValidateError::ReplayDetected).await;
    // A wrong app secret: nothing is recorded, so a guesser cannot burn the app's nonces.
    let nonce = common::nonce();
    let mut wrong_secret = validate_body(&seed, "hwid-replay", &nonce);
    wrong_secret["appSecret"] = "not the secret".into();
    let response = post(&server, "/auth/validate", &wrong_secret).await;
    expect_validate_failure(response, ValidateError::InvalidApp).await;
    let response = post(
        &server,
        "/auth/validate",
        &validate_body(&seed, "hwid-replay", &nonce),
    )
    .await;
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["status"],
        "success"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonces_are_per_app_and_forgotten_after_the_window() {
    let server = TestServer::start().await.unwrap();
    let (one, other) = (server.seed().await.unwrap(), server.seed().await.unwrap());
    let nonce = nonce();
    for seed in [&one, &other] {
        let response = post(&server, "/auth/validate", &validate_body(seed, "h", &nonce)).await;
        let answer: serde_json::Value = response.json().await.unwrap();
        assert_eq!(answer["status"], "success", "{answer}");
    }
    let body = validate_body(&one, "h", &nonce);
    // Well inside the window (whole seconds of a running clock), still a replay; past
    // it, a new request.
    server.clock().advance(Duration::from_secs(86_000));
    let response = post(&server, "/auth/validate", &body).await;
    expect_validate_failure(response, ValidateError::ReplayDetected).await;
    server.clock().advance(Duration::from_secs(500));
    let response = post(&server, "/auth/validate", &body).await;
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["status"], "success", "{answer}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_remembers_the_nonces() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let body = validate_body(&seed, "hwid-replay", &nonce());
    let answer: serde_json::Value = post(&server, "/auth/validate", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["status"], "success", "{answer}");
    let (db, _kept) = server.shutdown_keeping_database().await.unwrap();
    let mut config = Config::new(db);
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let restarted = keyward_server::spawn(config).await.unwrap();
    let response = client()
        .post(format!("{}/auth/validate", restarted.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_validate_failure(response, ValidateError::ReplayDetected).await;
    restarted.shutdown().await.unwrap();
}
