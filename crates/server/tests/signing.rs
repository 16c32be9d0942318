//! Per-app signing over HTTP: `"signing"` on the Developer API, Ed25519 answers of both
//! auth endpoints with the app's active key, key rotation and deletion, HMAC apps as
//! before, and the private keys sealed at rest under the server secret.

mod common;

use common::{
    api, expect_api_error, expect_validate_failure, heartbeat_body, nonce,
    patch_app_body as patch_app, post, validate_body,
};
use keyward_errors::{ApiError, ValidateError};
use keyward_protocol::{
    CheckedResponse, ResponseError, TrustedKeys, VerifiedSession, check_response, derive_key,
};
use keyward_server::store::Database;
use keyward_server::{Config, Secret, Seed, TestServer, spawn};
use reqwest::Method;
use serde_json::{Value, json};

const HWID: &str = "hw-signing";

/// The seed's app as `GET /v1/apps/{appId}` shows it.
async fn app_body(server: &TestServer, seed: &Seed) -> Value {
    let path = format!("/v1/apps/{}", seed.app_id);
    let response = api(server, seed, Method::GET, &path).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn rotate(server: &TestServer, seed: &Seed) -> reqwest::Response {
    let path = format!("/v1/apps/{}/signing-keys/rotate", seed.app_id);
    api(server, seed, Method::POST, &path).send().await.unwrap()
}

async fn delete_key(server: &TestServer, seed: &Seed, key_id: &str) -> reqwest::Response {
    let path = format!("/v1/apps/{}/signing-keys/{key_id}", seed.app_id);
    api(server, seed, Method::DELETE, &path)
        .send()
        .await
        .unwrap()
}

/// The `signingKeys` of an app body.
fn keys(app: &Value) -> &Vec<Value> {
    app["signingKeys"].as_array().expect("signingKeys")
}

fn trusting(public_keys: &[&Value]) -> TrustedKeys {
    let mut trusted = TrustedKeys::new();
    for key in public_keys {
        trusted.add(key["publicKey"].as_str().unwrap()).unwrap();
    }
    trusted
}

/// An answer's raw body and the nonce it answers.
struct Answer {
    body: Vec<u8>,
    nonce: String,
}

impl Answer {
    fn envelope(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn check(&self, trusted: &TrustedKeys) -> Result<VerifiedSession, ResponseError> {
        match check_response(&self.body, 200, &self.nonce, trusted)?.parse()? {
            CheckedResponse::Success(session) => Ok(session),
            failed => panic!("not a success: {failed:?}"),
        }
    }
}

async fn validate(server: &TestServer, seed: &Seed) -> Answer {
    let nonce = nonce();
    let response = post(server, "/auth/validate", &validate_body(seed, HWID, &nonce)).await;
    assert_eq!(response.status(), 200);
    Answer {
        body: response.bytes().await.unwrap().to_vec(),
        nonce,
    }
}

async fn heartbeat(server: &TestServer, seed: &Seed, token: &str) -> Answer {
    let nonce = nonce();
    let body = heartbeat_body(seed, token, HWID, &nonce);
    let response = post(server, "/auth/heartbeat", &body).await;
    assert_eq!(response.status(), 200);
    Answer {
        body: response.bytes().await.unwrap().to_vec(),
        nonce,
    }
}

/// An Ed25519 answer: the envelope's members in protocol v2's order, a 64-byte signature
/// in padded standard base64, and the `keyId` of the key that signed.
fn assert_ed25519_envelope(answer: &Answer, key_id: &str) {
    let envelope = answer.envelope();
    let members: Vec<&str> = envelope
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let text = String::from_utf8(answer.body.clone()).unwrap();
    assert!(
        text.starts_with(r#"{"status":"success","payload":""#),
        "{text}"
    );
    assert_eq!(members.len(), 4, "{envelope}");
    let signature = envelope["signature"].as_str().unwrap();
    assert_eq!(signature.len(), 88);
    assert!(signature.ends_with("=="));
    assert_eq!(envelope["keyId"], key_id);
}

#[tokio::test]
async fn apps_sign_with_hmac_until_switched_to_ed25519() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let app = app_body(&server, &seed).await;
    assert_eq!(app["signing"], "hmac");
    assert!(app.get("signingKeys").is_none(), "{app}");

    let now = server.clock().now_unix();
    let app = patch_app(&server, &seed, json!({"signing": "ed25519"})).await;
    assert_eq!(app["signing"], "ed25519");
    let listed = keys(&app);
    assert_eq!(listed.len(), 1, "{app}");
    let key = &listed[0];
    let mut members: Vec<&str> = key
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    members.sort_unstable();
    assert_eq!(members, ["active", "createdAt", "keyId", "publicKey"]);
    assert_eq!(key["active"], true);
    assert!((key["createdAt"].as_i64().unwrap() - now).abs() <= 2);
    assert_eq!(key["publicKey"].as_str().unwrap().len(), 44);
    assert_eq!(app_body(&server, &seed).await, app);

    let key_id = key["keyId"].as_str().unwrap();
    let trusted = trusting(&[key]);
    let login = validate(&server, &seed).await;
    assert_ed25519_envelope(&login, key_id);
    let session = login.check(&trusted).unwrap();
    assert_eq!(session.key_id.as_deref(), Some(key_id));

    // Heartbeats are signed with the same key: from the database, then from memory.
    let mut token = session.payload.session_token;
    for _ in 0..2 {
        let beat = heartbeat(&server, &seed, &token).await;
        assert_ed25519_envelope(&beat, key_id);
        token = beat.check(&trusted).unwrap().payload.session_token;
    }

    // An HMAC client of the app now fails: the signature is not hex.
    let hmac_key = derive_key(seed.app_secret.as_bytes(), &login.nonce);
    assert!(matches!(
        check_response(&login.body, 200, &login.nonce, &hmac_key),
        Err(ResponseError::Malformed(_))
    ));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn apps_created_with_ed25519_get_a_key_and_hmac_apps_answer_as_before() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let response = api(&server, &seed, Method::POST, "/v1/apps")
        .json(&json!({"name": "signed", "signing": "ed25519"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["signing"], "ed25519");
    assert_eq!(keys(&created).len(), 1);
    assert_eq!(keys(&created)[0]["active"], true);
    let listed: Value = api(&server, &seed, Method::GET, "/v1/apps")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let apps = listed["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 2);
    assert!(apps[0].get("signingKeys").is_none());
    assert_eq!(apps[1]["signingKeys"], created["signingKeys"]);

    // Switched to ed25519 and back, the seed's app answers in HMAC again, without keyId,
    // and keeps its key for a later switch.
    let signed = patch_app(&server, &seed, json!({"signing": "ed25519"})).await;
    let back = patch_app(&server, &seed, json!({"signing": "hmac"})).await;
    assert_eq!(back["signing"], "hmac");
    assert!(back.get("signingKeys").is_none());
    let login = validate(&server, &seed).await;
    let envelope = login.envelope();
    assert!(envelope.get("keyId").is_none(), "{envelope}");
    assert_eq!(envelope["signature"].as_str().unwrap().len(), 64);
    let key = derive_key(seed.app_secret.as_bytes(), &login.nonce);
    assert!(matches!(
        check_response(&login.body, 200, &login.nonce, &key),
        Ok(CheckedResponse::Success(_))
    ));
    let again = patch_app(&server, &seed, json!({"signing": "ed25519"})).await;
    assert_eq!(again["signingKeys"], signed["signingKeys"]);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn rotation_signs_with_the_new_key_and_keeps_the_old_one_until_deleted() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let app = patch_app(&server, &seed, json!({"signing": "ed25519"})).await;
    let old = keys(&app)[0].clone();
    let session = validate(&server, &seed)
        .await
        .check(&trusting(&[&old]))
        .unwrap();
    // A beat from the database, so that the next ones could be answered from memory.
    let mut token = heartbeat(&server, &seed, &session.payload.session_token)
        .await
        .check(&trusting(&[&old]))
        .unwrap()
        .payload
        .session_token;

    let response = rotate(&server, &seed).await;
    assert_eq!(response.status(), 200);
    let rotated: Value = response.json().await.unwrap();
    let listed = keys(&rotated);
    assert_eq!(listed.len(), 2, "{rotated}");
    let new = listed[0].clone();
    assert_eq!(new["active"], true);
    assert_ne!(new["keyId"], old["keyId"]);
    assert_eq!(listed[1]["keyId"], old["keyId"]);
    assert_eq!(listed[1]["active"], false);
    assert_eq!(app_body(&server, &seed).await, rotated);

    // The session opened before the rotation beats on, signed with the new key.
    let both = trusting(&[&new, &old]);
    let only_old = trusting(&[&old]);
    let beat = heartbeat(&server, &seed, &token).await;
    assert_ed25519_envelope(&beat, new["keyId"].as_str().unwrap());
    assert_eq!(beat.check(&only_old), Err(ResponseError::SignatureMismatch));
    token = beat.check(&both).unwrap().payload.session_token;
    let login = validate(&server, &seed).await;
    assert_ed25519_envelope(&login, new["keyId"].as_str().unwrap());
    assert!(login.check(&both).is_ok());
    assert_eq!(
        login.check(&only_old),
        Err(ResponseError::SignatureMismatch)
    );

    // The active key stays; the retired one goes, once.
    let refused = expect_api_error(
        delete_key(&server, &seed, new["keyId"].as_str().unwrap()).await,
        ApiError::BadRequest,
    )
    .await;
    assert!(
        refused["message"].as_str().unwrap().contains("active"),
        "{refused}"
    );
    let response = delete_key(&server, &seed, old["keyId"].as_str().unwrap()).await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        keys(&app_body(&server, &seed).await).as_slice(),
        std::slice::from_ref(&new)
    );
    expect_api_error(
        delete_key(&server, &seed, old["keyId"].as_str().unwrap()).await,
        ApiError::NotFound,
    )
    .await;
    assert!(heartbeat(&server, &seed, &token).await.check(&both).is_ok());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn signing_requests_that_cannot_be_done_are_refused() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let body = expect_api_error(rotate(&server, &seed).await, ApiError::BadRequest).await;
    assert!(body["message"].as_str().unwrap().contains("hmac"), "{body}");
    let path = format!("/v1/apps/{}", seed.app_id);
    for value in [json!("rsa"), json!(true), json!("ED25519")] {
        let response = api(&server, &seed, Method::PATCH, &path)
            .json(&json!({ "signing": value }))
            .send()
            .await
            .unwrap();
        let body = expect_api_error(response, ApiError::BadRequest).await;
        assert_eq!(body["details"][0]["field"], "signing", "{body}");
    }
    expect_api_error(delete_key(&server, &seed, "nope").await, ApiError::NotFound).await;
    let other = server.seed().await.unwrap();
    let path = format!("/v1/apps/{}/signing-keys/rotate", other.app_id);
    let response = api(&server, &seed, Method::POST, &path)
        .send()
        .await
        .unwrap();
    expect_api_error(response, ApiError::Forbidden).await;
    server.shutdown().await.unwrap();
}

/// A config serving `db` with `secret`.
fn config(db: &Database, secret: &[u8]) -> Config {
    let mut config = Config::new(db.clone());
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    config.server_secret = Some(Secret::new(secret.to_vec()));
    config
}

#[tokio::test]
async fn private_keys_are_sealed_under_the_server_secret() {
    const SECRET: &[u8] = b"the first server secret, 32 bytes";
    let server = TestServer::start_with(|config| {
        config.server_secret = Some(Secret::new(SECRET.to_vec()));
    })
    .await
    .unwrap();
    let seed = server.seed().await.unwrap();
    let app = patch_app(&server, &seed, json!({"signing": "ed25519"})).await;
    let trusted = trusting(&[&keys(&app)[0]]);
    assert!(validate(&server, &seed).await.check(&trusted).is_ok());
    let (db, _kept) = server.shutdown_keeping_database().await.unwrap();

    // What is stored: the public key, and the private key sealed (version, nonce,
    // ciphertext of the 32-byte seed, tag).
    let stored = "SELECT public_key, sealed FROM app_signing_keys";
    let (public_key, sealed): (Vec<u8>, Vec<u8>) = match &db {
        Database::Sqlite(path) => rusqlite::Connection::open(path)
            .unwrap()
            .query_row(stored, [], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap(),
        Database::Postgres(url) => {
            let row = common::postgres_client(url)
                .await
                .query_one(stored, &[])
                .await
                .unwrap();
            (row.get(0), row.get(1))
        }
    };
    assert_eq!(public_key.len(), 32);
    assert_eq!(sealed.len(), 1 + 12 + 32 + 16);

    // The same secret opens the key again after a restart: the same key signs.
    let running = spawn(config(&db, SECRET)).await.unwrap();
    let nonce = nonce();
    let answer = common::client()
        .post(format!("{}/auth/validate", running.base_url()))
        .json(&validate_body(&seed, HWID, &nonce))
        .send()
        .await
        .unwrap();
    let answer = Answer {
        body: answer.bytes().await.unwrap().to_vec(),
        nonce,
    };
    assert!(answer.check(&trusted).is_ok());
    running.shutdown().await.unwrap();

    // Another secret does not: the answer is an internal error, and nothing is signed.
    let running = spawn(config(&db, b"another server secret")).await.unwrap();
    let response = common::client()
        .post(format!("{}/auth/validate", running.base_url()))
        .json(&validate_body(&seed, HWID, &common::nonce()))
        .send()
        .await
        .unwrap();
    expect_validate_failure(response, ValidateError::SystemError).await;
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_staged_key_signs_only_once_a_rotation_activates_it() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let app = patch_app(&server, &seed, json!({"signing": "ed25519"})).await;
    let current = keys(&app)[0].clone();
    let path = format!("/v1/apps/{}/signing-keys", seed.app_id);
    let response = api(&server, &seed, Method::POST, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let staged_app: Value = response.json().await.unwrap();
    let listed = keys(&staged_app);
    assert_eq!(listed.len(), 2, "{staged_app}");
    assert_eq!(listed[0], current);
    let staged = listed[1].clone();
    assert_eq!(staged["active"], false);

    let login = validate(&server, &seed).await;
    assert_ed25519_envelope(&login, current["keyId"].as_str().unwrap());

    let rotated: Value = rotate(&server, &seed).await.json().await.unwrap();
    let listed = keys(&rotated);
    assert_eq!(
        listed.len(),
        2,
        "the staged key is activated, no new one: {rotated}"
    );
    assert_eq!(listed[0]["keyId"], staged["keyId"]);
    assert_eq!(listed[0]["active"], true);
    assert_eq!(listed[1]["keyId"], current["keyId"]);
    assert_eq!(listed[1]["active"], false);
    let login = validate(&server, &seed).await;
    assert_ed25519_envelope(&login, staged["keyId"].as_str().unwrap());
    assert!(login.check(&trusting(&[&staged])).is_ok());

    // With nothing staged, the next rotation makes a new key.
    let again: Value = rotate(&server, &seed).await.json().await.unwrap();
    assert_eq!(keys(&again).len(), 3);
    let hmac_app = server.seed().await.unwrap();
    let path = format!("/v1/apps/{}/signing-keys", hmac_app.app_id);
    let response = api(&server, &hmac_app, Method::POST, &path)
        .send()
        .await
        .unwrap();
    expect_api_error(response, ApiError::BadRequest).await;
    server.shutdown().await.unwrap();
}
