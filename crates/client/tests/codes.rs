//! Every validate and heartbeat code reaches the application with the right user message,
//! user action and callback reason, and the retry rule of its class holds (counted at a
//! proxy in front of the real server).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use keyward_client::{
    ClientError, Error, ErrorKind, FailureReason, HeartbeatError, HeartbeatMode, RetryClass,
    UserAction, ValidateError,
};
use keyward_server::RateLimitConfig;
use support::proxy::{HEARTBEAT, VALIDATE};
use support::{Action, Env, Recorder, hwid, within};

const LIMIT: Duration = Duration::from_secs(30);

/// Attempts the policy of `class` allows.
fn attempts(class: RetryClass) -> usize {
    class.policy().max_attempts as usize
}

fn assert_validate(error: &Error, expected: ValidateError) {
    assert_eq!(
        error.kind(),
        &ErrorKind::Validate(expected.clone()),
        "{error}"
    );
    assert_eq!(error.code(), expected.code());
    assert_eq!(error.user_message(), expected.user_message());
    assert_eq!(error.user_action(), expected.user_action());
    assert_eq!(error.retry_class(), expected.retry_class());
}

fn assert_heartbeat(error: &support::Reported, expected: HeartbeatError) {
    assert_eq!(error.reason, FailureReason::HeartbeatFailed);
    assert_eq!(error.reason.as_str(), "heartbeat_failed");
    assert_eq!(error.code, expected.code());
    assert_eq!(error.user_message, expected.user_message());
    assert_eq!(error.user_action, expected.user_action());
}

/// Logs in through the proxy and checks the error, the callback and the request count.
async fn login_fails(
    env: &Env,
    builder: keyward_client::Builder,
    key: &str,
    expected: ValidateError,
) {
    let recorder = Recorder::default();
    let client = builder.on_failure(recorder.callback()).build().unwrap();
    env.proxy.reset_counts();
    let error = within(LIMIT, client.login(key)).await.unwrap_err();
    assert_validate(&error, expected.clone());
    let events = recorder.events();
    assert_eq!(events.len(), 1, "one callback");
    assert_eq!(events[0].reason, FailureReason::LoginFailed);
    assert_eq!(events[0].reason.as_str(), "login_failed");
    assert_eq!(events[0].code, expected.code());
    assert_eq!(events[0].user_message, expected.user_message());
    assert_eq!(
        env.proxy.count(VALIDATE),
        attempts(expected.retry_class()),
        "requests for {}",
        expected.code()
    );
    assert!(!client.is_logged_in());
    assert!(!client.is_heartbeat_running());
}

#[tokio::test]
async fn login_succeeds_with_session_data() {
    let env = Env::start().await;
    let client = env.builder().build().unwrap();
    let session = within(LIMIT, client.login(&format!(" {} ", env.seed.license_key)))
        .await
        .unwrap();
    assert!(session.expires_at_unix() > session.server_time_unix());
    assert!(!session.is_expired());
    assert_eq!(
        session.app_variable("latestVersion"),
        Some(&serde_json::json!("2.4.1"))
    );
    assert!(session.license_variables().is_empty());
    assert!(session.request_id().is_some());
    assert!(client.is_logged_in());
    assert!(client.is_heartbeat_running());
    assert_eq!(client.session(), Some(session));
    assert_eq!(env.proxy.count(VALIDATE), 1);
    client.logout().await;
    assert!(!client.is_logged_in());
    assert!(!client.is_heartbeat_running());
}

#[tokio::test]
async fn permanent_validate_codes_are_sent_once() {
    let env = Env::start().await;

    // invalid_key
    login_fails(
        &env,
        env.builder(),
        "AAAA-BBBB-CCCC-DDDD",
        ValidateError::InvalidKey,
    )
    .await;

    // invalid_app: a wrong secret
    login_fails(
        &env,
        env.builder().app_secret("not-the-secret"),
        &env.seed.license_key,
        ValidateError::InvalidApp,
    )
    .await;

    // bad_request: an empty license key
    login_fails(&env, env.builder(), "  ", ValidateError::BadRequest).await;

    // hwid_mismatch: the single slot is taken by device A
    env.builder()
        .build()
        .unwrap()
        .login(&env.seed.license_key)
        .await
        .unwrap();
    login_fails(
        &env,
        env.builder().hwid(hwid("device-b")),
        &env.seed.license_key,
        ValidateError::HwidMismatch,
    )
    .await;

    // blocked: device C is on the deny list
    env.deny_hwid(&hwid("device-c")).await;
    let fresh = env.license(None).await;
    login_fails(
        &env,
        env.builder().hwid(hwid("device-c")),
        &fresh,
        ValidateError::Blocked,
    )
    .await;

    // revoked
    let revoked = env.license(None).await;
    env.revoke(&revoked).await;
    login_fails(&env, env.builder(), &revoked, ValidateError::Revoked).await;

    // expired: the renewal link is attached
    let now = env.server.clock().now_unix();
    let expiring = env.license(Some(now + 60)).await;
    env.server.clock().advance(Duration::from_secs(120));
    let recorder = Recorder::default();
    let client = env
        .builder()
        .on_failure(recorder.callback())
        .build()
        .unwrap();
    env.proxy.reset_counts();
    let error = client.login(&expiring).await.unwrap_err();
    assert_validate(&error, ValidateError::Expired);
    assert_eq!(error.user_action(), UserAction::Renew);
    assert_eq!(error.renewal_link(), Some("https://example.com/renew"));
    assert_eq!(
        recorder.wait().await.renewal_link.as_deref(),
        Some("https://example.com/renew")
    );
    assert_eq!(env.proxy.count(VALIDATE), 1);
    // No renewal URL configured: no link.
    let bare = Env::start().await;
    let error = bare
        .builder()
        .build()
        .unwrap()
        .login("AAAA-BBBB-CCCC-DDDD")
        .await
        .unwrap_err();
    assert_eq!(error.renewal_link(), None);

    // app_disabled: the account is suspended
    env.suspend().await;
    login_fails(
        &env,
        env.builder(),
        &env.seed.license_key,
        ValidateError::AppDisabled,
    )
    .await;
}

#[tokio::test]
async fn no_credits_is_transient_and_retried_as_the_policy_says() {
    let env = Env::start().await;
    env.drain_credits().await;
    login_fails(
        &env,
        env.builder(),
        &env.seed.license_key,
        ValidateError::NoCredits,
    )
    .await;
    // Never exposed to end users as a billing problem.
    let error = env
        .builder()
        .build()
        .unwrap()
        .login(&env.seed.license_key)
        .await
        .unwrap_err();
    assert!(!error.user_message().contains("credit"));
}

#[tokio::test]
async fn injected_server_codes_follow_their_class() {
    let env = Env::start().await;
    // system_error (HTTP 200, as every auth failure): transient.
    env.proxy.set_default(
        VALIDATE,
        Action::failure(200, ValidateError::SystemError.code()),
    );
    login_fails(
        &env,
        env.builder(),
        &env.seed.license_key,
        ValidateError::SystemError,
    )
    .await;
    // The internal_error an older server sends on a 500 is still understood and retried.
    #[allow(deprecated)]
    let retired = ValidateError::InternalError;
    env.proxy
        .set_default(VALIDATE, Action::failure(500, retired.code()));
    login_fails(&env, env.builder(), &env.seed.license_key, retired).await;

    // A code this version does not know: kept verbatim, generic text, permanent.
    env.proxy
        .set_default(VALIDATE, Action::failure(200, "quantum_flux"));
    let recorder = Recorder::default();
    let client = env
        .builder()
        .on_failure(recorder.callback())
        .build()
        .unwrap();
    env.proxy.reset_counts();
    let error = client.login(&env.seed.license_key).await.unwrap_err();
    assert_eq!(error.code(), "quantum_flux");
    assert!(matches!(error.kind(), ErrorKind::Validate(e) if e.is_unknown()));
    assert_eq!(
        error.user_message(),
        ValidateError::from_code("quantum_flux").user_message()
    );
    assert!(!error.user_message().contains("quantum"));
    assert_eq!(env.proxy.count(VALIDATE), 1);

    // A transient failure followed by success: the login succeeds.
    env.proxy.set_default(VALIDATE, Action::Forward);
    env.proxy.script(
        VALIDATE,
        [
            Action::failure(200, ValidateError::SystemError.code()),
            Action::text(503, "<html>down</html>"),
        ],
    );
    env.proxy.reset_counts();
    client.login(&env.seed.license_key).await.unwrap();
    assert_eq!(env.proxy.count(VALIDATE), 3);
}

#[tokio::test]
async fn throttled_login_honours_retry_after() {
    // One request per second per client: the second login is throttled by the server.
    let env = Env::start_with(|config| {
        config.auth_rate_limit = Some(RateLimitConfig::new(1, 1.0));
    })
    .await;
    let client = env.builder().build().unwrap();
    client.login(&env.seed.license_key).await.unwrap();
    env.proxy.reset_counts();
    within(LIMIT, client.login(&env.seed.license_key))
        .await
        .unwrap();
    let seen = env.proxy.seen();
    assert!(seen.len() >= 2, "{seen:?}");
    for pair in seen.windows(2) {
        if let Some(retry_after) = pair[0].retry_after {
            let gap = pair[1].at.duration_since(pair[0].at);
            assert!(
                gap >= Duration::from_secs(retry_after),
                "waited {gap:?}, Retry-After {retry_after}"
            );
        }
    }
    assert!(
        seen[0].retry_after.is_some(),
        "the first attempt was throttled"
    );
}

#[tokio::test]
async fn throttled_codes_are_retried_at_most_max_attempts() {
    let env = Env::start().await;
    env.proxy.set_default(
        VALIDATE,
        Action::failure(200, ValidateError::RateLimited.code()),
    );
    login_fails(
        &env,
        env.builder(),
        &env.seed.license_key,
        ValidateError::RateLimited,
    )
    .await;

    // A Retry-After above the policy's largest delay: the SDK gives up at once.
    let too_long = RetryClass::Throttled.policy().max_delay.as_secs() + 1;
    env.proxy.set_default(
        VALIDATE,
        Action::failure(429, ValidateError::RateLimited.code()).with_retry_after(too_long),
    );
    env.proxy.reset_counts();
    let error = env
        .builder()
        .build()
        .unwrap()
        .login(&env.seed.license_key)
        .await
        .unwrap_err();
    assert_validate(&error, ValidateError::RateLimited);
    assert_eq!(env.proxy.count(VALIDATE), 1);
}

// ----- heartbeats -----

/// A logged-in client with a fast heartbeat and a recorder.
async fn heartbeating(env: &Env, mode: HeartbeatMode) -> (keyward_client::Client, Recorder) {
    let recorder = Recorder::default();
    let client = env
        .builder()
        .heartbeat(mode, Duration::from_millis(100))
        .on_failure(recorder.callback())
        .build()
        .unwrap();
    client.login(&env.seed.license_key).await.unwrap();
    (client, recorder)
}

#[tokio::test]
async fn heartbeats_renew_the_session() {
    let env = Env::start().await;
    let (client, recorder) = heartbeating(&env, HeartbeatMode::Server).await;
    let first = client.session().unwrap();
    env.proxy.wait_for(HEARTBEAT, 3).await;
    assert!(recorder.events().is_empty());
    assert!(client.is_logged_in());
    assert_ne!(client.session().unwrap().request_id(), first.request_id());
    client.logout().await;
}

#[tokio::test]
async fn heartbeat_permanent_codes_end_the_session() {
    for (code, setup) in [
        (HeartbeatError::Revoked, 0),
        (HeartbeatError::AppDisabled, 1),
        (HeartbeatError::Expired, 2),
    ] {
        let env = Env::start().await;
        let now = env.server.clock().now_unix();
        let key = match setup {
            2 => env.license(Some(now + 60)).await,
            _ => env.seed.license_key.clone(),
        };
        let recorder = Recorder::default();
        let client = env
            .builder()
            .heartbeat(HeartbeatMode::Server, Duration::from_millis(100))
            .on_failure(recorder.callback())
            .build()
            .unwrap();
        client.login(&key).await.unwrap();
        env.proxy.reset_counts();
        match setup {
            0 => env.revoke(&key).await,
            1 => env.suspend().await,
            _ => env.server.clock().advance(Duration::from_secs(120)),
        }
        let event = recorder.wait().await;
        assert_heartbeat(&event, code.clone());
        if code == HeartbeatError::Expired {
            assert_eq!(
                event.renewal_link.as_deref(),
                Some("https://example.com/renew")
            );
        }
        // Permanent: exactly one heartbeat, no re-validation.
        assert_eq!(env.proxy.count(HEARTBEAT), 1, "{}", code.code());
        assert_eq!(env.proxy.count(VALIDATE), 0);
        assert!(!client.is_logged_in());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!client.is_heartbeat_running());
        assert_eq!(recorder.events().len(), 1);
    }
}

#[tokio::test]
async fn heartbeat_no_credits_is_retried_then_reported() {
    let env = Env::start().await;
    let (client, recorder) = heartbeating(&env, HeartbeatMode::Server).await;
    env.drain_credits().await;
    // Every 10th heartbeat of a license costs a credit: the 10th fails, as do its retries.
    let event = recorder.wait().await;
    assert_heartbeat(&event, HeartbeatError::NoCredits);
    let no_credit_attempts = env
        .proxy
        .seen()
        .iter()
        .filter(|s| s.path == HEARTBEAT)
        .count()
        - 9;
    assert_eq!(no_credit_attempts, attempts(RetryClass::Transient));
    assert!(!client.is_logged_in());
}

#[tokio::test]
async fn session_expired_revalidates_once_and_resumes() {
    let env = Env::start().await;
    let (client, recorder) = heartbeating(&env, HeartbeatMode::Server).await;
    env.proxy.reset_counts();
    // The token outlives its expiry: the server answers session_expired.
    env.server.clock().advance(Duration::from_secs(2 * 3600));
    env.proxy.wait_for(VALIDATE, 1).await;
    env.proxy.wait_for(HEARTBEAT, 3).await;
    assert!(recorder.events().is_empty(), "{:?}", recorder.events());
    assert!(client.is_logged_in());
    let seen = env.proxy.seen();
    assert_eq!(seen[0].path, HEARTBEAT);
    assert_eq!(seen[1].path, VALIDATE);
    assert_eq!(env.proxy.count(VALIDATE), 1);
    client.logout().await;
}

#[tokio::test]
async fn session_expired_then_failed_revalidation_is_reported() {
    let env = Env::start().await;
    let (client, recorder) = heartbeating(&env, HeartbeatMode::Server).await;
    env.proxy.reset_counts();
    env.proxy.script(
        HEARTBEAT,
        [Action::failure(200, HeartbeatError::SessionExpired.code())],
    );
    env.proxy.script(
        VALIDATE,
        [Action::failure(200, ValidateError::Revoked.code())],
    );
    let event = recorder.wait().await;
    assert_eq!(event.reason, FailureReason::HeartbeatFailed);
    assert_eq!(event.code, ValidateError::Revoked.code());
    assert_eq!(event.user_message, ValidateError::Revoked.user_message());
    assert_eq!(env.proxy.count(HEARTBEAT), 1);
    assert_eq!(env.proxy.count(VALIDATE), 1, "re-validated once");
    assert!(!client.is_logged_in());
}

#[tokio::test]
async fn heartbeat_throttling_and_unknown_codes() {
    let env = Env::start().await;
    let (client, recorder) = heartbeating(&env, HeartbeatMode::Server).await;
    env.proxy.reset_counts();
    env.proxy.script(
        HEARTBEAT,
        [Action::failure(429, HeartbeatError::RateLimited.code()).with_retry_after(1)],
    );
    env.proxy.wait_for(HEARTBEAT, 3).await;
    let seen: Vec<_> = env.proxy.seen();
    let gap = seen[1].at.duration_since(seen[0].at);
    assert!(gap >= Duration::from_secs(1), "waited {gap:?}");
    assert!(recorder.events().is_empty());

    // system_error: transient, reported after the policy's attempts.
    env.proxy.reset_counts();
    env.proxy.set_default(
        HEARTBEAT,
        Action::failure(200, HeartbeatError::SystemError.code()),
    );
    let event = recorder.wait().await;
    assert_heartbeat(&event, HeartbeatError::SystemError);
    assert_eq!(env.proxy.count(HEARTBEAT), attempts(RetryClass::Transient));
    drop(client);

    // Unknown heartbeat code: the family's generic text, permanent.
    let (_client, recorder) = heartbeating(&env, HeartbeatMode::Server).await;
    env.proxy.reset_counts();
    env.proxy
        .set_default(HEARTBEAT, Action::failure(200, "flux_capacitor"));
    let event = recorder.wait().await;
    assert_eq!(event.code, "flux_capacitor");
    assert_eq!(
        event.user_message,
        HeartbeatError::from_code("flux_capacitor").user_message()
    );
    assert_eq!(env.proxy.count(HEARTBEAT), 1);
}

#[tokio::test]
async fn local_mode_needs_no_network_and_expires() {
    let env = Env::start_with(|config| config.session_ttl = Duration::from_secs(2)).await;
    let (client, recorder) = heartbeating(&env, HeartbeatMode::Local).await;
    env.proxy.reset_counts();
    let started = std::time::Instant::now();
    let event = recorder.wait().await;
    assert_heartbeat(&event, HeartbeatError::SessionExpired);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(env.proxy.seen().len(), 0, "local heartbeats use no network");
    assert!(!client.is_logged_in());
}

#[tokio::test]
async fn logout_cancels_a_heartbeat_in_flight() {
    let env = Env::start().await;
    let recorder = Recorder::default();
    let client = env
        .builder()
        .request_timeout(Duration::from_secs(20))
        .heartbeat(HeartbeatMode::Server, Duration::from_millis(50))
        .on_failure(recorder.callback())
        .build()
        .unwrap();
    client.login(&env.seed.license_key).await.unwrap();
    env.proxy.set_default(HEARTBEAT, Action::Hang);
    env.proxy.wait_for(HEARTBEAT, 1).await;
    // The heartbeat hangs for up to 20 s; logout does not wait for it.
    within(Duration::from_secs(5), client.logout()).await;
    assert!(!client.is_logged_in());
    assert!(!client.is_heartbeat_running());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(recorder.events().is_empty(), "logout is not a failure");
}

#[tokio::test]
async fn dropping_the_client_stops_the_heartbeat() {
    let env = Env::start().await;
    let (client, recorder) = heartbeating(&env, HeartbeatMode::Server).await;
    env.proxy.wait_for(HEARTBEAT, 2).await;
    drop(client);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let after_drop = env.proxy.count(HEARTBEAT);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        env.proxy.count(HEARTBEAT),
        after_drop,
        "no heartbeat after drop"
    );
    assert!(recorder.events().is_empty());
}

#[tokio::test]
async fn login_again_replaces_the_session() {
    let env = Env::start().await;
    let (client, _recorder) = heartbeating(&env, HeartbeatMode::Server).await;
    let first = client.session().unwrap();
    let second = client.login(&env.seed.license_key).await.unwrap();
    assert_ne!(first.request_id(), second.request_id());
    assert!(client.is_heartbeat_running());
    // A failed login leaves no session behind.
    assert!(client.login("AAAA-BBBB-CCCC-DDDD").await.is_err());
    assert!(!client.is_logged_in());
    assert!(!client.is_heartbeat_running());
    let _ = ClientError::NetworkError;
}

#[tokio::test]
async fn heartbeat_bad_request_is_permanent() {
    let env = Env::start().await;
    let (client, recorder) = heartbeating(&env, HeartbeatMode::Server).await;
    env.proxy.reset_counts();
    env.proxy.set_default(
        HEARTBEAT,
        Action::failure(200, HeartbeatError::BadRequest.code()),
    );
    let event = recorder.wait().await;
    assert_heartbeat(&event, HeartbeatError::BadRequest);
    assert_eq!(env.proxy.count(HEARTBEAT), 1);
    assert_eq!(env.proxy.count(VALIDATE), 0);
    assert!(!client.is_logged_in());
}
