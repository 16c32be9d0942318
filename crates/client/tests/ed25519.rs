//! Ed25519 mode end to end against a real server: a client that trusts the app's next key
//! as well as its current one keeps its session across a key rotation, with no new
//! build; one that trusts only the retired key fails with `signature_mismatch`.

mod support;

use std::time::Duration;

use keyward_client::{BuildError, HeartbeatMode};
use keyward_errors::ClientError;
use reqwest::Method;
use serde_json::{Value, json};
use support::proxy::HEARTBEAT;
use support::{Env, Recorder, within};

const LIMIT: Duration = Duration::from_secs(30);

/// A Developer API call with the seed's key: the answer's JSON.
async fn api(env: &Env, method: Method, path: &str, body: Option<Value>) -> Value {
    let request = reqwest::Client::new()
        .request(method, env.server.url(path))
        .bearer_auth(&env.seed.api_key);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request.send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

/// The public key of the app body's key `index`.
fn public_key(app: &Value, index: usize) -> String {
    app["signingKeys"][index]["publicKey"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Switches the seed's app to Ed25519: its path and body.
async fn sign_with_ed25519(env: &Env) -> (String, Value) {
    let app_path = format!("/v1/apps/{}", env.seed.app_id);
    let app = api(
        env,
        Method::PATCH,
        &app_path,
        Some(json!({"signing": "ed25519"})),
    )
    .await;
    (app_path, app)
}

#[tokio::test]
async fn trusting_the_next_key_survives_a_rotation_and_the_retired_key_alone_does_not() {
    let env = Env::start().await;
    let (app_path, app) = sign_with_ed25519(&env).await;
    let current = public_key(&app, 0);
    let keys_path = format!("{app_path}/signing-keys");
    let staged = api(&env, Method::POST, &keys_path, None).await;
    let next = public_key(&staged, 1);

    let both_recorder = Recorder::default();
    let both = env
        .builder()
        .trusted_public_keys([next.as_str(), current.as_str()])
        .heartbeat(HeartbeatMode::Server, Duration::from_millis(100))
        .on_failure(both_recorder.callback())
        .build()
        .unwrap();
    let old_recorder = Recorder::default();
    let only_old = env
        .builder()
        .trusted_public_keys([current.as_str()])
        .heartbeat(HeartbeatMode::Server, Duration::from_millis(100))
        .on_failure(old_recorder.callback())
        .build()
        .unwrap();
    within(LIMIT, both.login(&env.seed.license_key))
        .await
        .unwrap();
    within(LIMIT, only_old.login(&env.seed.license_key))
        .await
        .unwrap();
    within(LIMIT, env.proxy.wait_for(HEARTBEAT, 4)).await;
    assert!(both_recorder.events().is_empty());
    assert!(old_recorder.events().is_empty());

    let rotated = api(&env, Method::POST, &format!("{keys_path}/rotate"), None).await;
    assert_eq!(public_key(&rotated, 0), next);

    // The retired key alone: the next heartbeat ends the session.
    let failure = within(LIMIT, old_recorder.wait()).await;
    assert_eq!(failure.code, ClientError::SignatureMismatch.code());
    assert!(!only_old.is_logged_in());
    // The trust list with the next key: heartbeats go on, signed with it.
    let beats = env.proxy.count(HEARTBEAT);
    within(LIMIT, env.proxy.wait_for(HEARTBEAT, beats + 4)).await;
    assert!(
        both_recorder.events().is_empty(),
        "{:?}",
        both_recorder.events()
    );
    assert!(both.is_logged_in());
    let session = both.session().unwrap();
    assert!(!session.is_expired());

    // A new login: the same split.
    let error = within(LIMIT, only_old.login(&env.seed.license_key))
        .await
        .unwrap_err();
    assert_eq!(error.code(), ClientError::SignatureMismatch.code());
    both.logout().await;
    within(LIMIT, both.login(&env.seed.license_key))
        .await
        .unwrap();
    both.logout().await;
}

#[tokio::test]
async fn local_heartbeats_reverify_with_the_trusted_keys() {
    let env = Env::start().await;
    let (_, app) = sign_with_ed25519(&env).await;
    let recorder = Recorder::default();
    let client = env
        .builder()
        .trusted_public_keys([public_key(&app, 0)])
        .heartbeat(HeartbeatMode::Local, Duration::from_millis(50))
        .on_failure(recorder.callback())
        .build()
        .unwrap();
    within(LIMIT, client.login(&env.seed.license_key))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(recorder.events().is_empty(), "{:?}", recorder.events());
    assert!(client.is_logged_in());
    client.logout().await;
}

#[test]
fn trusted_keys_are_checked_when_the_client_is_built() {
    let env_free = || {
        keyward_client::Client::builder()
            .app_id("app_1")
            .app_secret("secret")
            .base_url("http://127.0.0.1:9")
    };
    for bad in [vec!["not a key"], vec!["AAAA"], vec![]] {
        assert!(
            matches!(
                env_free().trusted_public_keys(bad.clone()).build(),
                Err(BuildError::Invalid(_))
            ),
            "{bad:?}"
        );
    }
}
