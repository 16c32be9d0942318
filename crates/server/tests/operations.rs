//! The contract per operation (`keyward_errors::OPERATIONS`, from the spec's
//! `[[operation]]`s) against the real server: every method the router serves on a
//! declared path is declared, and each operation answers only the codes it declares,
//! over a few error cases per route (no key, a bad key, unknown and foreign ids, bad
//! bodies, an oversized head, no credits, the rate limits, a broken database).

mod common;

use std::collections::BTreeSet;

use common::*;
use keyward_errors::{ApiError, Family, OPERATIONS, OperationInfo};
use keyward_server::{RateLimitConfig, Seed, TestServer};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

/// Values for the path parameters of the templates.
struct Ids {
    app_id: String,
    key: String,
    id: String,
}

impl Ids {
    fn of(seed: &Seed) -> Self {
        Self {
            app_id: seed.app_id.clone(),
            key: seed.license_key.clone(),
            id: "1".to_owned(),
        }
    }

    /// Ids that name nothing.
    fn unknown() -> Self {
        Self {
            app_id: "app_00000000000000000000000000000000".to_owned(),
            key: "AAAA-AAAA-AAAA-AAAA".to_owned(),
            id: "999999".to_owned(),
        }
    }

    /// `op`'s path with its parameters filled in.
    fn path(&self, op: &OperationInfo) -> String {
        op.path
            .split('/')
            .map(|segment| match segment {
                "{appId}" => self.app_id.as_str(),
                "{key}" => self.key.as_str(),
                "{ruleId}" | "{id}" | "{keyId}" => self.id.as_str(),
                other if other.starts_with('{') => {
                    panic!("no test value for {other} of {}: add one", op.path)
                }
                other => other,
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

fn method(op: &OperationInfo) -> Method {
    Method::from_bytes(op.method.as_bytes()).unwrap()
}

/// The body an operation's request carries in the cases below: a well-formed auth
/// request (with the seed's app) on the auth endpoints, `{}` elsewhere.
fn body(op: &OperationInfo, seed: &Seed) -> Value {
    match op.family {
        Family::Validate => validate_body(seed, "hwid-operations", &nonce()),
        Family::Heartbeat => heartbeat_body(seed, "not-a-session-token", "hwid", &nonce()),
        _ => json!({}),
    }
}

/// Checks an answer of `op` on `path`: a success, or a code `op` declares, in the
/// envelope (and, on the Developer API, with the status) of the spec. Returns the code.
async fn check(op: &OperationInfo, path: &str, response: Response) -> Option<String> {
    assert_eq!(
        OperationInfo::find(op.method, path),
        Some(op),
        "{} {path} is not the operation {}",
        op.method,
        op.path
    );
    let status = response.status();
    if status.is_success() {
        return None;
    }
    let body: Value = response.json().await.unwrap();
    let code = body["error"].as_str().unwrap_or_default().to_owned();
    let declared: Vec<&str> = op.errors.iter().map(|info| info.code).collect();
    assert!(
        op.answers(&code),
        "{} {} answered `{code}` ({status}), which its operation does not declare ({declared:?}): {body}",
        op.method,
        op.path
    );
    let schema = match op.family {
        Family::Validate => validate_schema(),
        Family::Heartbeat => heartbeat_schema(),
        _ => {
            assert_eq!(
                status.as_u16(),
                ApiError::from_code(&code).http_status(),
                "{body}"
            );
            api_schema()
        }
    };
    assert!(schema.is_valid(&body), "{body} is off its schema");
    Some(code)
}

/// Sends `op` on the path of `ids`, with `build` adding what the case needs.
async fn probe(
    server: &TestServer,
    op: &OperationInfo,
    ids: &Ids,
    build: impl FnOnce(RequestBuilder) -> RequestBuilder,
) -> Option<String> {
    let path = ids.path(op);
    let request = client().request(method(op), server.url(&path));
    let response = build(request).send().await.unwrap();
    check(op, &path, response).await
}

/// Every operation with the seed's key and `body`: the codes answered.
async fn every_operation(server: &TestServer, seed: &Seed, ids: &Ids) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for op in OPERATIONS {
        let body = body(op, seed);
        let key = seed.api_key.clone();
        codes.extend(probe(server, op, ids, |r| r.bearer_auth(key).json(&body)).await);
    }
    codes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_serves_only_declared_operations() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let ids = Ids::of(&seed);
    let paths: BTreeSet<String> = OPERATIONS
        .iter()
        .map(|op| ids.path(op))
        .chain(["/", "/v1", "/v1/apps/x/y/z", "/auth"].map(String::from))
        .collect();
    let methods = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ];
    for path in &paths {
        for method in &methods {
            // No API key: a served route of the Developer API answers `invalid_api_key`,
            // only the router's fallback `not_found`.
            let response = client()
                .request(method.clone(), server.url(path))
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            match OperationInfo::find(method.as_str(), path) {
                Some(op) => {
                    check(op, path, response).await;
                }
                None => {
                    assert_eq!(
                        response.status().as_u16(),
                        ApiError::NotFound.http_status(),
                        "{method} {path} is served but has no [[operation]] in spec/errors.toml"
                    );
                    expect_api_error(response, ApiError::NotFound).await;
                }
            }
        }
    }
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_operation_answers_only_declared_codes() {
    // The cases send more than the API key's burst, faster than it refills on a quick
    // machine: the limits are `rate_limited_answers_are_declared`'s subject, not this test's.
    let server = TestServer::start_with(|config| {
        config.auth_rate_limit = None;
        config.api_rate_limit = RateLimitConfig::new(100_000, 100_000.0);
        config.api_key_failure_limit = None;
    })
    .await
    .unwrap();
    let seed = server.seed().await.unwrap();
    let other = server.seed().await.unwrap();
    let mut answered = BTreeSet::new();

    // No key, a malformed key, a well-formed unknown key.
    let bad_keys = ["", "Basic abc", &format!("Bearer kw_{}", "0".repeat(48))];
    for op in OPERATIONS {
        for header in bad_keys {
            let body = body(op, &seed);
            answered.extend(
                probe(&server, op, &Ids::of(&seed), |r| {
                    r.header("authorization", header).json(&body)
                })
                .await,
            );
        }
        // A body that is not JSON; an oversized head.
        let key = seed.api_key.clone();
        answered.extend(
            probe(&server, op, &Ids::of(&seed), |r| {
                r.bearer_auth(key)
                    .header("content-type", "application/json")
                    .body("{not json")
            })
            .await,
        );
        let key = seed.api_key.clone();
        answered.extend(
            probe(&server, op, &Ids::of(&seed), |r| {
                r.bearer_auth(key).header("x-filler", "a".repeat(40 * 1024))
            })
            .await,
        );
    }
    // The seed's own ids, ids that name nothing, another account's ids.
    answered.extend(every_operation(&server, &seed, &Ids::of(&seed)).await);
    answered.extend(every_operation(&server, &seed, &Ids::unknown()).await);
    answered.extend(every_operation(&server, &seed, &Ids::of(&other)).await);
    // No credits left.
    let credits = credits(&server, &seed).await;
    server
        .admin()
        .add_credits(&seed.account, -credits)
        .await
        .unwrap();
    answered.extend(every_operation(&server, &seed, &Ids::of(&seed)).await);
    // A broken database.
    for table in [
        "webhooks",
        "access_rules",
        "license_hwids",
        "licenses",
        "apps",
    ] {
        drop_table(&server, table).await;
    }
    answered.extend(every_operation(&server, &seed, &Ids::of(&seed)).await);

    // The cases reach the codes they are for (so that the checks above ran on them).
    for code in [
        ApiError::BadRequest,
        ApiError::InvalidApiKey,
        ApiError::NoCredits,
        ApiError::Forbidden,
        ApiError::NotFound,
        ApiError::InternalError,
    ] {
        assert!(answered.contains(code.code()), "no case answered {code:?}");
    }
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_answers_are_declared() {
    let server = TestServer::start_with(|config| {
        config.api_rate_limit = RateLimitConfig::new(1, 0.001);
        config.auth_rate_limit = Some(RateLimitConfig::new(1, 0.001));
    })
    .await
    .unwrap();
    let seed = server.seed().await.unwrap();
    let ids = Ids::of(&seed);
    // Twice each: the second of every limited operation is over its limit.
    let mut answered = every_operation(&server, &seed, &ids).await;
    answered.extend(every_operation(&server, &seed, &ids).await);
    assert!(
        answered.contains(ApiError::RateLimited.code()),
        "{answered:?}"
    );
    server.shutdown().await.unwrap();
}
