//! The blocking facade, from plain `#[test]`s (no runtime on the test thread).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use keyward_client::{ErrorKind, FailureReason, HeartbeatError, HeartbeatMode, ValidateError};
use support::proxy::HEARTBEAT;
use support::{Env, Recorder};

/// The server and proxy run on their own runtime; the test thread stays plain.
fn env() -> (tokio::runtime::Runtime, Env) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let env = runtime.block_on(Env::start());
    (runtime, env)
}

#[test]
fn blocking_login_heartbeat_logout() {
    let (runtime, env) = env();
    let recorder = Recorder::default();
    let client = env
        .builder()
        .heartbeat(HeartbeatMode::Server, Duration::from_millis(100))
        .on_failure(recorder.callback())
        .build_blocking()
        .unwrap();
    let session = client.login(&env.seed.license_key).unwrap();
    assert!(session.expires_at_unix() > 0);
    assert!(client.is_logged_in());
    runtime.block_on(env.proxy.wait_for(HEARTBEAT, 2));
    client.logout();
    assert!(!client.is_logged_in());
    assert!(!client.is_heartbeat_running());
    assert!(recorder.events().is_empty());
}

#[test]
fn blocking_failures_reach_the_callback() {
    let (runtime, env) = env();
    let recorder = Recorder::default();
    let client = env
        .builder()
        .heartbeat(HeartbeatMode::Server, Duration::from_millis(100))
        .on_failure(recorder.callback())
        .build_blocking()
        .unwrap();
    let error = client.login("AAAA-BBBB-CCCC-DDDD").unwrap_err();
    assert_eq!(
        error.kind(),
        &ErrorKind::Validate(ValidateError::InvalidKey)
    );
    assert_eq!(recorder.events()[0].reason, FailureReason::LoginFailed);

    let recorder = Recorder::default();
    let client = env
        .builder()
        .heartbeat(HeartbeatMode::Server, Duration::from_millis(100))
        .on_failure(recorder.callback())
        .build_blocking()
        .unwrap();
    client.login(&env.seed.license_key).unwrap();
    runtime.block_on(env.revoke(&env.seed.license_key));
    let event = recorder.wait_blocking();
    assert_eq!(event.reason, FailureReason::HeartbeatFailed);
    assert_eq!(event.code, HeartbeatError::Revoked.code());
    assert!(!client.is_logged_in());
}

#[test]
fn the_callback_may_use_the_blocking_client() {
    let (runtime, env) = env();
    let slot: std::sync::Arc<
        std::sync::Mutex<Option<std::sync::Arc<keyward_client::blocking::Client>>>,
    > = Default::default();
    let (done, finished) = std::sync::mpsc::channel();
    let inner = std::sync::Arc::clone(&slot);
    let client = std::sync::Arc::new(
        env.builder()
            .heartbeat(HeartbeatMode::Server, Duration::from_millis(100))
            .on_failure(move |reason, _error| {
                if reason == FailureReason::HeartbeatFailed {
                    let client = inner.lock().unwrap().clone();
                    if let Some(client) = client {
                        client.logout();
                        let _ = done.send(client.is_logged_in());
                    }
                }
            })
            .build_blocking()
            .unwrap(),
    );
    *slot.lock().unwrap() = Some(std::sync::Arc::clone(&client));
    client.login(&env.seed.license_key).unwrap();
    runtime.block_on(env.suspend());
    let still_logged_in = finished.recv_timeout(Duration::from_secs(20)).unwrap();
    assert!(!still_logged_in);
    slot.lock().unwrap().take();
}

#[test]
fn dropping_the_blocking_client_stops_everything() {
    let (runtime, env) = env();
    let client = env
        .builder()
        .heartbeat(HeartbeatMode::Server, Duration::from_millis(50))
        .build_blocking()
        .unwrap();
    client.login(&env.seed.license_key).unwrap();
    runtime.block_on(env.proxy.wait_for(HEARTBEAT, 2));
    drop(client);
    std::thread::sleep(Duration::from_millis(150));
    let after = env.proxy.count(HEARTBEAT);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(env.proxy.count(HEARTBEAT), after);
}
