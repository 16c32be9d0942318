//! Helpers shared by the HTTP tests: a client, the generated JSON Schemas, request
//! builders and response checks.
#![allow(dead_code)]

use std::sync::OnceLock;

use keyward_protocol::{
    CheckedResponse, Nonce, SessionToken, VerifiedSession, check_response, derive_key,
};
use keyward_server::store::Database;
use keyward_server::{Config, RateLimitConfig, Seed, TestBackend, TestServer};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};

pub fn client() -> Client {
    Client::builder().build().unwrap()
}

fn schema(name: &str) -> jsonschema::Validator {
    let path = format!(
        "{}/../errors/schema/{name}.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

pub fn api_schema() -> &'static jsonschema::Validator {
    static S: OnceLock<jsonschema::Validator> = OnceLock::new();
    S.get_or_init(|| schema("api_error"))
}

pub fn validate_schema() -> &'static jsonschema::Validator {
    static S: OnceLock<jsonschema::Validator> = OnceLock::new();
    S.get_or_init(|| schema("auth_failure.validate"))
}

pub fn heartbeat_schema() -> &'static jsonschema::Validator {
    static S: OnceLock<jsonschema::Validator> = OnceLock::new();
    S.get_or_init(|| schema("auth_failure.heartbeat"))
}

pub fn selfban_schema() -> &'static jsonschema::Validator {
    static S: OnceLock<jsonschema::Validator> = OnceLock::new();
    S.get_or_init(|| schema("auth_failure.selfban"))
}

fn assert_schema(validator: &jsonschema::Validator, body: &Value) {
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{body} does not match the schema: {errors:?}"
    );
}

/// Asserts a Developer API error: status, code, schema; returns the body.
pub async fn expect_api_error(response: Response, error: keyward_errors::ApiError) -> Value {
    assert_eq!(
        response.status().as_u16(),
        error.http_status(),
        "status for {error:?}"
    );
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/json"
    );
    let body: Value = response.json().await.unwrap();
    assert_schema(api_schema(), &body);
    assert_eq!(body["error"], error.code(), "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    body
}

/// Asserts a validate failure with its exact wire body (`details` checked separately).
pub async fn expect_validate_failure(
    response: Response,
    error: keyward_errors::ValidateError,
) -> Value {
    let retired = error.info().is_some_and(|info| info.retired.is_some());
    expect_auth_failure(response, error.code(), retired, validate_schema()).await
}

/// Asserts a heartbeat failure with its exact wire body (`details` checked separately).
pub async fn expect_heartbeat_failure(
    response: Response,
    error: keyward_errors::HeartbeatError,
) -> Value {
    let retired = error.info().is_some_and(|info| info.retired.is_some());
    expect_auth_failure(response, error.code(), retired, heartbeat_schema()).await
}

/// Asserts a self-ban failure with its exact wire body (`details` checked separately).
pub async fn expect_selfban_failure(
    response: Response,
    error: keyward_errors::SelfBanError,
) -> Value {
    expect_auth_failure(response, error.code(), false, selfban_schema()).await
}

/// An auth failure: HTTP 500 for the retired `internal_error` (which only older Keyward
/// clients get), else 200; the endpoint's schema; and the exact body, but for the
/// `details` a `bad_request` carries.
async fn expect_auth_failure(
    response: Response,
    code: &str,
    internal: bool,
    schema: &jsonschema::Validator,
) -> Value {
    let expected = if internal {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    assert_eq!(response.status(), expected);
    let body: Value = response.json().await.unwrap();
    assert_schema(schema, &body);
    assert_eq!(body["error"], code, "{body}");
    if !(code == "bad_request" && body.get("details").is_some()) {
        assert_eq!(body, json!({"status": "failed", "error": code}));
    }
    body
}

pub fn nonce() -> String {
    Nonce::generate().unwrap().into_string()
}

pub fn validate_body(seed: &Seed, hwid: &str, nonce: &str) -> Value {
    json!({
        "appId": seed.app_id,
        "appSecret": seed.app_secret,
        "licenseKey": seed.license_key,
        "hwid": hwid,
        "nonce": nonce,
    })
}

pub async fn post(server: &TestServer, path: &str, body: &Value) -> Response {
    client()
        .post(server.url(path))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Validates and verifies the signed success (nonce and signature) with the protocol
/// crate; returns the session.
/// Adds an allow or deny entry to the seed's app (201 expected); the rule.
pub async fn add_access_rule(
    server: &TestServer,
    seed: &Seed,
    list: &str,
    kind: &str,
    value: &str,
) -> Value {
    let rules = format!("/v1/apps/{}/access-rules", seed.app_id);
    let response = api(server, seed, Method::POST, &rules)
        .json(&json!({"list": list, "kind": kind, "value": value}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{list} {kind} {value}");
    response.json().await.unwrap()
}

/// Deletes an entry added by [`add_access_rule`] (204 expected).
pub async fn delete_access_rule(server: &TestServer, seed: &Seed, rule: &Value) {
    let path = format!("/v1/apps/{}/access-rules/{}", seed.app_id, rule["id"]);
    let response = api(server, seed, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

/// Changes the seed's app through `PATCH /v1/apps/{appId}` (200 expected).
pub async fn patch_app(server: &TestServer, seed: &Seed, patch: Value) {
    patch_app_body(server, seed, patch).await;
}

/// [`patch_app`], returning the app body.
pub async fn patch_app_body(server: &TestServer, seed: &Seed, patch: Value) -> Value {
    let path = format!("/v1/apps/{}", seed.app_id);
    let response = api(server, seed, Method::PATCH, &path)
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{patch}");
    response.json().await.unwrap()
}

/// Sends every body to the auth endpoint `path` at once; how many succeeded.
pub async fn auth_all_at_once(
    server: &TestServer,
    path: &str,
    bodies: impl IntoIterator<Item = Value>,
) -> i64 {
    let c = client();
    let url = server.url(path);
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let request = c.post(&url).json(&body);
            tokio::spawn(async move {
                let answer: Value = request.send().await.unwrap().json().await.unwrap();
                answer["status"] == "success"
            })
        })
        .collect();
    let mut successes = 0;
    for task in tasks {
        successes += i64::from(task.await.unwrap());
    }
    successes
}

pub async fn validate_ok(server: &TestServer, seed: &Seed, hwid: &str) -> VerifiedSession {
    let nonce = nonce();
    let response = post(server, "/auth/validate", &validate_body(seed, hwid, &nonce)).await;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    let key = derive_key(seed.app_secret.as_bytes(), &nonce);
    match check_response(&bytes, status, &nonce, &key)
        .and_then(CheckedResponse::parse)
        .unwrap()
    {
        CheckedResponse::Success(session) => session,
        other => panic!("validate failed: {other:?}"),
    }
}

pub fn heartbeat_body(seed: &Seed, token: &str, hwid: &str, nonce: &str) -> Value {
    json!({"appId": seed.app_id, "sessionToken": token, "nonce": nonce, "hwid": hwid})
}

/// One heartbeat; on success verifies it and returns the new session.
pub async fn heartbeat(
    server: &TestServer,
    seed: &Seed,
    token: &str,
    hwid: &str,
) -> Result<VerifiedSession, Value> {
    let nonce = nonce();
    let response = post(
        server,
        "/auth/heartbeat",
        &heartbeat_body(seed, token, hwid, &nonce),
    )
    .await;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    let key = SessionToken::heartbeat_key(token, &nonce).unwrap();
    match check_response(&bytes, status, &nonce, &key)
        .and_then(CheckedResponse::parse)
        .unwrap()
    {
        CheckedResponse::Success(session) => Ok(session),
        _ => {
            let body: Value = serde_json::from_slice(&bytes).unwrap();
            assert_schema(heartbeat_schema(), &body);
            Err(body)
        }
    }
}

/// A Developer API request with the seed's key.
pub fn api(
    server: &TestServer,
    seed: &Seed,
    method: Method,
    path: &str,
) -> reqwest::RequestBuilder {
    client()
        .request(method, server.url(path))
        .bearer_auth(&seed.api_key)
}

/// Sends `request` and reads the answer's JSON.
pub async fn answer_json(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// `GET /v1/licenses/{key}` with the seed's key: the license's JSON.
pub async fn get_license(server: &TestServer, seed: &Seed, key: &str) -> Value {
    answer_json(api(
        server,
        seed,
        Method::GET,
        &format!("/v1/licenses/{key}"),
    ))
    .await
}

/// `POST /v1/apps/{appId}/licenses` with `body`, for the seed's app: the answer's JSON.
pub async fn create_licenses(server: &TestServer, seed: &Seed, body: Value) -> Value {
    let path = format!("/v1/apps/{}/licenses", seed.app_id);
    answer_json(api(server, seed, Method::POST, &path).json(&body)).await
}

pub async fn credits(server: &TestServer, seed: &Seed) -> i64 {
    server.admin().account(&seed.account).await.unwrap().credits
}

/// A server whose configuration `limit` gave a rate limit of `burst` that barely refills
/// during a test, and a seed.
pub async fn server_with_limit(
    burst: u32,
    limit: impl FnOnce(&mut Config, RateLimitConfig),
) -> (TestServer, Seed) {
    let server = TestServer::start_with(|config| limit(config, RateLimitConfig::new(burst, 0.01)))
        .await
        .unwrap();
    let seed = server.seed().await.unwrap();
    (server, seed)
}

/// The `Retry-After` header of a `rate_limited` answer, in seconds.
pub fn retry_after_secs(response: &Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Stops the server gracefully and reads the license's heartbeat count from its database
/// (the counts kept in memory are written at shutdown).
pub async fn stored_heartbeats(server: TestServer, license_key: &str) -> i64 {
    let (db, _kept) = server.shutdown_keeping_database().await.unwrap();
    query_i64(
        &db,
        "SELECT heartbeats FROM licenses WHERE license_key = $1",
        license_key,
    )
    .await
}

/// The first column of the first row of `sql` (with `$1` bound to `param`), read on the
/// database itself, on either backend.
pub async fn query_i64(db: &Database, sql: &str, param: &str) -> i64 {
    match db {
        Database::Sqlite(path) => rusqlite::Connection::open(path)
            .unwrap()
            .query_row(sql, [param], |row| row.get(0))
            .unwrap(),
        Database::Postgres(url) => postgres_client(url)
            .await
            .query_one(sql, &[&param])
            .await
            .unwrap()
            .get(0),
    }
}

/// Runs `sql` on the database itself, on either backend.
pub async fn execute_sql(db: &Database, sql: &str) {
    match db {
        Database::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.busy_timeout(std::time::Duration::from_secs(5))
                .unwrap();
            conn.execute_batch(sql).unwrap();
        }
        Database::Postgres(url) => postgres_client(url).await.batch_execute(sql).await.unwrap(),
    }
}

/// A connection to the PostgreSQL database at `url`.
pub async fn postgres_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// Whether this test must be left out: it is about SQLite itself (its file, its locks or
/// the session cache of its one process) and the suites run on PostgreSQL now. Says so
/// on stderr, so that the summary's pass is not mistaken for a PostgreSQL pass.
pub fn sqlite_only(what: &str) -> bool {
    let skip = TestBackend::from_env() != TestBackend::Sqlite;
    if skip {
        eprintln!("left out on PostgreSQL: {what}");
    }
    skip
}

/// Breaks the database under the running server (a real failing database).
pub async fn drop_table(server: &TestServer, table: &str) {
    let sql = match server.backend() {
        TestBackend::Sqlite => format!("PRAGMA foreign_keys = OFF; DROP TABLE {table};"),
        TestBackend::Postgres => format!("DROP TABLE {table} CASCADE"),
    };
    execute_sql(&server.database(), &sql).await;
}
