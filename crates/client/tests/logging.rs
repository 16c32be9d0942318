//! What the SDK logs: the actual codes, never a secret, license key, session token or
//! signature. One test per binary, since it installs the global subscriber.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keyward_client::{ClientError, HeartbeatMode, ValidateError};
use support::proxy::{HEARTBEAT, VALIDATE};
use support::{Action, Env};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_carry_codes_and_no_secrets() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let env = Env::start().await;
    let client = env
        .builder()
        .heartbeat(HeartbeatMode::Server, Duration::from_millis(100))
        .build()
        .unwrap();
    // Success, heartbeats, a retry, a permanent failure, a possible attack.
    env.proxy.script(
        VALIDATE,
        [Action::failure(200, ValidateError::SystemError.code())],
    );
    let session = client.login(&env.seed.license_key).await.unwrap();
    env.proxy.wait_for(HEARTBEAT, 2).await;
    env.proxy.set_default(HEARTBEAT, Action::TamperSignature);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let _ = client.login("AAAA-BBBB-CCCC-DDDD").await;
    env.proxy.set_default(VALIDATE, Action::TamperPayload);
    let _ = client.login(&env.seed.license_key).await;
    drop(session);
    drop(client);

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    for code in [
        ValidateError::SystemError.code(),
        ValidateError::InvalidKey.code(),
        ClientError::SignatureMismatch.code(),
    ] {
        assert!(logs.contains(code), "{code} not logged:\n{logs}");
    }
    assert!(logs.contains("possible attack"));
    for secret in [
        env.seed.app_secret.as_str(),
        env.seed.license_key.as_str(),
        "AAAA-BBBB-CCCC-DDDD",
    ] {
        assert!(!logs.contains(secret), "a secret was logged:\n{logs}");
    }
    // No session token (base64url JSON starting `{"` is `eyJ`) and no signature (64 hex).
    assert!(!logs.contains("eyJ"), "a token was logged:\n{logs}");
    let hex64 = logs
        .split(|c: char| !c.is_ascii_hexdigit())
        .any(|w| w.len() >= 64);
    assert!(!hex64, "a signature was logged:\n{logs}");
}
