//! `validate_license`: the same request and checks as a login, but nothing is stored, no
//! heartbeat starts and the failure callback stays silent (protocol v2's validate-only call).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use keyward_client::{ErrorKind, HeartbeatMode, ValidateError};
use support::proxy::{HEARTBEAT, VALIDATE};
use support::{Env, Recorder, within};

const LIMIT: Duration = Duration::from_secs(30);

async fn credits(env: &Env) -> i64 {
    env.server
        .admin()
        .account(&env.seed.account)
        .await
        .unwrap()
        .credits
}

#[tokio::test]
async fn a_valid_key_gives_the_session_data_and_stores_nothing() {
    let env = Env::start().await;
    let recorder = Recorder::default();
    let client = env
        .builder()
        .heartbeat(HeartbeatMode::Server, Duration::from_millis(50))
        .on_failure(recorder.callback())
        .build()
        .unwrap();
    let before = credits(&env).await;
    let session = within(
        LIMIT,
        client.validate_license(&format!(" {} ", env.seed.license_key)),
    )
    .await
    .unwrap();
    assert!(session.expires_at_unix() > session.server_time_unix());
    assert_eq!(
        session.app_variable("latestVersion"),
        Some(&serde_json::json!("2.4.1"))
    );
    // The license facts protocol v2 adds: the seeded license never expires.
    assert_eq!(session.license_expires_at(), Some(None));
    assert_eq!(session.max_hwid_slots(), Some(1));
    assert_eq!(session.hwid_count(), Some(1));
    assert_eq!(session.license_label(), None);

    assert!(!client.is_logged_in());
    assert!(!client.is_heartbeat_running());
    assert_eq!(client.session(), None);
    // Many heartbeat intervals later, still no heartbeat was sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.proxy.count(HEARTBEAT), 0);
    assert_eq!(env.proxy.count(VALIDATE), 1);
    // The server cannot tell it from a login: one credit.
    assert_eq!(credits(&env).await, before - 1);
    assert!(recorder.events().is_empty());
}

#[tokio::test]
async fn a_failure_is_returned_without_calling_the_callback() {
    let env = Env::start().await;
    let recorder = Recorder::default();
    let client = env
        .builder()
        .on_failure(recorder.callback())
        .build()
        .unwrap();
    let error = within(LIMIT, client.validate_license("NOPE-NOPE-NOPE-NOPE"))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind(),
        &ErrorKind::Validate(ValidateError::InvalidKey)
    );
    assert_eq!(
        error.user_message(),
        ValidateError::InvalidKey.user_message()
    );
    assert!(recorder.events().is_empty(), "{:?}", recorder.events());
    assert!(!client.is_logged_in());
}

#[tokio::test]
async fn the_current_session_is_left_as_it_is() {
    let env = Env::start().await;
    let client = env.builder().build().unwrap();
    let session = within(LIMIT, client.login(&env.seed.license_key))
        .await
        .unwrap();
    let other = env.license(None).await;
    // Another license checked on this device: the login's session stays.
    let checked = within(LIMIT, client.validate_license(&other))
        .await
        .unwrap();
    assert_ne!(checked, session);
    assert_eq!(client.session(), Some(session));
    assert!(client.is_heartbeat_running());
    // A failed check does not end the session either.
    env.revoke(&other).await;
    let error = within(LIMIT, client.validate_license(&other))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Validate(ValidateError::Revoked));
    assert!(client.is_logged_in());
    assert!(client.is_heartbeat_running());
    client.logout().await;
}

#[test]
fn the_blocking_client_validates_without_logging_in() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let env = runtime.block_on(Env::start());
    let client = env.builder().build_blocking().unwrap();
    let session = client.validate_license(&env.seed.license_key).unwrap();
    assert!(!session.is_expired());
    assert!(!client.is_logged_in());
    assert!(!client.is_heartbeat_running());
    let error = client.validate_license("NOPE-NOPE-NOPE-NOPE").unwrap_err();
    assert_eq!(
        error.kind(),
        &ErrorKind::Validate(ValidateError::InvalidKey)
    );
    drop(client);
    drop(env);
}
