//! Network and integrity faults between the client and the real server: no panic, no hang
//! past the configured timeouts, the right error and the right number of attempts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use keyward_client::{ClientError, ErrorKind, FailureReason, RetryClass, UserAction};
use support::proxy::{HEARTBEAT, VALIDATE};
use support::{Action, Env, Recorder, within};

const LIMIT: Duration = Duration::from_secs(30);

fn transient_attempts() -> usize {
    RetryClass::Transient.policy().max_attempts as usize
}

/// Login through a proxy that always does `action`: the error and the attempt count.
async fn login_with_fault(env: &Env, action: Action, expected: ClientError, requests: usize) {
    env.proxy.set_default(VALIDATE, action.clone());
    env.proxy.reset_counts();
    let recorder = Recorder::default();
    let client = env
        .builder()
        .request_timeout(Duration::from_millis(500))
        .on_failure(recorder.callback())
        .build()
        .unwrap();
    let error = within(LIMIT, client.login(&env.seed.license_key))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind(),
        &ErrorKind::Client(expected.clone()),
        "{action:?}: {error}"
    );
    assert_eq!(error.user_message(), expected.user_message());
    assert_eq!(env.proxy.count(VALIDATE), requests, "{action:?}");
    let events = recorder.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].reason, FailureReason::LoginFailed);
    assert_eq!(events[0].code, expected.code());
    env.proxy.set_default(VALIDATE, Action::Forward);
}

#[tokio::test]
async fn http_errors_without_an_auth_answer_are_network_errors() {
    let env = Env::start().await;
    for status in [500, 502, 503] {
        login_with_fault(
            &env,
            Action::text(status, "<html>Service Unavailable</html>"),
            ClientError::NetworkError,
            transient_attempts(),
        )
        .await;
    }
    // A JSON body without an error code on a non-2xx answer is no auth answer either.
    login_with_fault(
        &env,
        Action::Respond {
            status: 502,
            content_type: "application/json",
            body: br#"{"message":"upstream down"}"#.to_vec(),
            retry_after: None,
        },
        ClientError::NetworkError,
        transient_attempts(),
    )
    .await;
    let error = env
        .builder()
        .build()
        .unwrap()
        .login(&env.seed.license_key)
        .await;
    assert!(error.is_ok(), "the server itself is fine");
}

#[tokio::test]
async fn a_503_with_retry_after_is_honoured() {
    let env = Env::start().await;
    env.proxy
        .script(VALIDATE, [Action::text(503, "busy").with_retry_after(1)]);
    let client = env.builder().build().unwrap();
    within(LIMIT, client.login(&env.seed.license_key))
        .await
        .unwrap();
    let seen = env.proxy.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].at.duration_since(seen[0].at) >= Duration::from_secs(1));
}

#[tokio::test]
async fn malformed_bodies() {
    let env = Env::start().await;
    // Non-JSON on a 200: not an auth answer, retried as transient.
    login_with_fault(
        &env,
        Action::text(200, "<html>captive portal</html>"),
        ClientError::InvalidResponse,
        transient_attempts(),
    )
    .await;
    // JSON success without a signature.
    login_with_fault(
        &env,
        Action::Respond {
            status: 200,
            content_type: "application/json",
            body: br#"{"status":"success","payload":"e30="}"#.to_vec(),
            retry_after: None,
        },
        ClientError::InvalidResponse,
        transient_attempts(),
    )
    .await;
    // A truncated body (Content-Length says more).
    login_with_fault(
        &env,
        Action::Truncate,
        ClientError::NetworkError,
        transient_attempts(),
    )
    .await;
}

#[tokio::test]
async fn connection_faults() {
    let env = Env::start().await;
    // Reset in the middle of the answer.
    login_with_fault(
        &env,
        Action::Reset,
        ClientError::NetworkError,
        transient_attempts(),
    )
    .await;
    // No answer at all: each attempt times out after the request timeout.
    let started = Instant::now();
    login_with_fault(
        &env,
        Action::Hang,
        ClientError::NetworkError,
        transient_attempts(),
    )
    .await;
    assert!(started.elapsed() >= Duration::from_millis(500) * transient_attempts() as u32);
}

#[tokio::test]
async fn connection_refused() {
    // A port nobody listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let env = Env::start().await;
    let recorder = Recorder::default();
    let client = env
        .builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .on_failure(recorder.callback())
        .build()
        .unwrap();
    let error = within(LIMIT, client.login(&env.seed.license_key))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Client(ClientError::NetworkError));
    assert_eq!(error.user_action(), UserAction::CheckConnection);
    assert!(
        std::error::Error::source(&error).is_some(),
        "the cause is kept"
    );
    assert_eq!(recorder.events().len(), 1);

    // The server stops: the heartbeat fails with a network error after its retries.
    let recorder = Recorder::default();
    let client = env
        .builder()
        .base_url(format!("http://{}", env.server.addr()))
        .heartbeat(
            keyward_client::HeartbeatMode::Server,
            Duration::from_millis(100),
        )
        .on_failure(recorder.callback())
        .build()
        .unwrap();
    client.login(&env.seed.license_key).await.unwrap();
    env.server.shutdown().await.unwrap();
    let event = recorder.wait().await;
    assert_eq!(event.reason, FailureReason::HeartbeatFailed);
    assert_eq!(event.code, ClientError::NetworkError.code());
    assert!(!client.is_logged_in());
}

#[tokio::test]
async fn tampering_is_never_retried() {
    let env = Env::start().await;
    for action in [Action::TamperPayload, Action::TamperSignature] {
        login_with_fault(&env, action, ClientError::SignatureMismatch, 1).await;
    }
    let error = {
        env.proxy.set_default(VALIDATE, Action::TamperSignature);
        let e = env
            .builder()
            .build()
            .unwrap()
            .login(&env.seed.license_key)
            .await
            .unwrap_err();
        env.proxy.set_default(VALIDATE, Action::Forward);
        e
    };
    assert!(error.is_security_alert());
    assert_eq!(error.retry_class(), RetryClass::Security);
}

#[tokio::test]
async fn a_replayed_answer_is_a_nonce_mismatch() {
    let env = Env::start().await;
    // A genuine earlier answer, recorded by the proxy.
    env.builder()
        .build()
        .unwrap()
        .login(&env.seed.license_key)
        .await
        .unwrap();
    login_with_fault(&env, Action::Replay, ClientError::NonceMismatch, 1).await;

    // The same during heartbeats: reported, not retried.
    let recorder = Recorder::default();
    let client = env
        .builder()
        .heartbeat(
            keyward_client::HeartbeatMode::Server,
            Duration::from_millis(100),
        )
        .on_failure(recorder.callback())
        .build()
        .unwrap();
    client.login(&env.seed.license_key).await.unwrap();
    env.proxy.wait_for(HEARTBEAT, 1).await;
    env.proxy.reset_counts();
    env.proxy.set_default(HEARTBEAT, Action::Replay);
    let event = recorder.wait().await;
    assert_eq!(event.reason, FailureReason::HeartbeatFailed);
    assert_eq!(event.code, ClientError::NonceMismatch.code());
    assert_eq!(env.proxy.count(HEARTBEAT), 1);
    assert_eq!(env.proxy.count(VALIDATE), 0);
}

#[tokio::test]
async fn heartbeat_faults_are_retried_then_reported() {
    let env = Env::start().await;
    let recorder = Recorder::default();
    let client = env
        .builder()
        .request_timeout(Duration::from_millis(500))
        .heartbeat(
            keyward_client::HeartbeatMode::Server,
            Duration::from_millis(100),
        )
        .on_failure(recorder.callback())
        .build()
        .unwrap();
    client.login(&env.seed.license_key).await.unwrap();
    // One of each fault, then a good answer: the heartbeat survives.
    env.proxy.script(
        HEARTBEAT,
        [
            Action::Reset,
            Action::Truncate,
            Action::text(502, "bad gateway"),
        ],
    );
    env.proxy.wait_for(HEARTBEAT, 5).await;
    assert!(recorder.events().is_empty(), "{:?}", recorder.events());
    assert!(client.is_logged_in());
    // Then the server hangs for good: reported after the policy's attempts.
    env.proxy.reset_counts();
    env.proxy.set_default(HEARTBEAT, Action::Hang);
    let event = within(LIMIT, recorder.wait()).await;
    assert_eq!(event.code, ClientError::NetworkError.code());
    assert_eq!(env.proxy.count(HEARTBEAT), transient_attempts());
}
