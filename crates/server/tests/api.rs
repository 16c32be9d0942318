//! The Developer API over HTTP: every route, every API error code with its wire body.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;
use keyward_errors::{ApiError, RATE_LIMIT};
use keyward_server::{Seed, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_licenses_rules_webhooks_round_trip() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();

    let account: Value = api(&server, &seed, Method::GET, "/v1/account")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(account["credits"], keyward_server::SEED_CREDITS);
    assert_eq!(account["name"], seed.account.as_str());

    // Apps.
    let response = api(&server, &seed, Method::POST, "/v1/apps")
        .json(&json!({"name": "Editor", "hwidSlots": 3, "variables": {"tier": "pro"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let app: Value = response.json().await.unwrap();
    let app_id = app["appId"].as_str().unwrap().to_owned();
    assert_eq!(app["hwidSlots"], 3);
    assert_eq!(app["appSecret"].as_str().unwrap().len(), 64);
    let apps: Value = api(&server, &seed, Method::GET, "/v1/apps")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(apps["apps"].as_array().unwrap().len(), 2);
    assert!(
        apps["apps"][1].get("appSecret").is_none(),
        "secret only shown at creation"
    );
    let patched: Value = api(&server, &seed, Method::PATCH, &format!("/v1/apps/{app_id}"))
        .json(&json!({"active": false, "hwidSlots": 2, "name": "Editor 2"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["active"], false);
    assert_eq!(patched["hwidSlots"], 2);
    let got: Value = api(&server, &seed, Method::GET, &format!("/v1/apps/{app_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["name"], "Editor 2");

    // Licenses: a batch costs one credit each.
    let response = api(
        &server,
        &seed,
        Method::POST,
        &format!("/v1/apps/{app_id}/licenses"),
    )
    .json(&json!({"count": 5, "durationDays": 30, "variables": {"seats": 2}, "note": "batch"}))
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let licenses = created["licenses"].as_array().unwrap();
    assert_eq!(licenses.len(), 5);
    assert_eq!(
        credits(&server, &seed).await,
        keyward_server::SEED_CREDITS - 5
    );
    let key = licenses[0]["key"].as_str().unwrap().to_owned();
    assert!(keyward_server::secret::is_license_key_shaped(&key));
    let expires = licenses[0]["expiresAt"].as_i64().unwrap();

    // Pagination.
    let page: Value = api(
        &server,
        &seed,
        Method::GET,
        &format!("/v1/apps/{app_id}/licenses?limit=2"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(page["licenses"].as_array().unwrap().len(), 2);
    let mut seen = 2;
    let mut cursor = page["nextCursor"].as_str().unwrap().to_owned();
    loop {
        let page: Value = api(
            &server,
            &seed,
            Method::GET,
            &format!("/v1/apps/{app_id}/licenses?limit=2&cursor={cursor}"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        seen += page["licenses"].as_array().unwrap().len();
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, 5);

    // Get, extend, revoke, reset.
    let license: Value = api(&server, &seed, Method::GET, &format!("/v1/licenses/{key}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(license["variables"]["seats"], 2);
    let extended: Value = api(
        &server,
        &seed,
        Method::POST,
        &format!("/v1/licenses/{key}/extend"),
    )
    .json(&json!({"days": 10}))
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        extended["expiresAt"].as_i64().unwrap(),
        expires + 10 * 86_400
    );
    let lifetime: Value = api(
        &server,
        &seed,
        Method::POST,
        &format!("/v1/licenses/{key}/extend"),
    )
    .json(&json!({"lifetime": true}))
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(lifetime["expiresAt"], Value::Null);
    let revoked: Value = api(
        &server,
        &seed,
        Method::POST,
        &format!("/v1/licenses/{key}/revoke"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(revoked["revoked"], true);
    let reset: Value = api(
        &server,
        &seed,
        Method::POST,
        &format!("/v1/licenses/{key}/reset-hwids"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(reset["hwids"], json!([]));

    // Access rules.
    let response = api(
        &server,
        &seed,
        Method::POST,
        &format!("/v1/apps/{app_id}/access-rules"),
    )
    .json(&json!({"list": "deny", "kind": "ip", "value": "::ffff:10.0.0.1"}))
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    let rule: Value = response.json().await.unwrap();
    assert_eq!(rule["value"], "10.0.0.1", "IPs are stored canonically");
    // Networks too: host bits cleared; the same network again is a conflict.
    for (value, status, stored) in [
        ("10.9.8.7/8", 201, Some("10.0.0.0/8")),
        ("10.0.0.0/8", 400, None),
        ("2001:DB8::1/32", 201, Some("2001:db8::/32")),
        ("10.0.0.1/33", 400, None),
        ("10.0.0.0/", 400, None),
        ("not-an-ip/8", 400, None),
    ] {
        let response = api(
            &server,
            &seed,
            Method::POST,
            &format!("/v1/apps/{app_id}/access-rules"),
        )
        .json(&json!({"list": "deny", "kind": "ip", "value": value}))
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), status, "{value}");
        let body: Value = response.json().await.unwrap();
        match stored {
            Some(stored) => assert_eq!(body["value"], stored, "{value}"),
            None => assert_eq!(body["error"], "bad_request", "{value}"),
        }
    }
    let rules: Value = api(
        &server,
        &seed,
        Method::GET,
        &format!("/v1/apps/{app_id}/access-rules"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(rules["rules"].as_array().unwrap().len(), 3);
    let response = api(
        &server,
        &seed,
        Method::DELETE,
        &format!("/v1/apps/{app_id}/access-rules/{}", rule["id"]),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 204);

    // Webhooks.
    let response = api(&server, &seed, Method::POST, "/v1/webhooks")
        .json(&json!({"url": "https://example.test/hook", "events": ["license.revoked"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let hook: Value = response.json().await.unwrap();
    let hooks: Value = api(&server, &seed, Method::GET, "/v1/webhooks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hooks["webhooks"][0]["url"], "https://example.test/hook");
    let response = api(
        &server,
        &seed,
        Method::DELETE,
        &format!("/v1/webhooks/{}", hook["id"]),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 204);
    let response = api(
        &server,
        &seed,
        Method::DELETE,
        &format!("/v1/webhooks/{}", hook["id"]),
    )
    .send()
    .await
    .unwrap();
    expect_api_error(response, ApiError::NotFound).await;
    server.shutdown().await.unwrap();
}

/// Failed API-key checks are limited per client: past the burst the client is refused
/// with `rate_limited` before its key is looked up, even a good key (the database is
/// broken under the server to show that no lookup happens: it would answer 500).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_api_key_checks_are_limited_per_client_before_any_lookup() {
    const BURST: u32 = 3;
    let (server, seed) = server_with_limit(BURST, |config, limit| {
        config.api_key_failure_limit = Some(limit);
    })
    .await;
    let c = client();
    let url = server.url("/v1/account");
    let guess = |i: u32| format!("kw_{i:048x}");
    for i in 0..BURST {
        let response = c.get(&url).bearer_auth(guess(i)).send().await.unwrap();
        expect_api_error(response, ApiError::InvalidApiKey).await;
    }
    let response = c.get(&url).bearer_auth(guess(BURST)).send().await.unwrap();
    let retry_after = retry_after_secs(&response);
    assert!((1..=100).contains(&retry_after), "{retry_after}");
    expect_api_error(response, ApiError::RateLimited).await;
    drop_table(&server, "api_keys").await;
    for key in [guess(BURST + 1), seed.api_key.clone()] {
        let response = c.get(&url).bearer_auth(key).send().await.unwrap();
        expect_api_error(response, ApiError::RateLimited).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_api_key_for_missing_malformed_unknown_and_revoked_keys() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let c = client();
    let url = server.url("/v1/account");
    expect_api_error(c.get(&url).send().await.unwrap(), ApiError::InvalidApiKey).await;
    expect_api_error(
        c.get(&url)
            .header("Authorization", "Basic abc")
            .send()
            .await
            .unwrap(),
        ApiError::InvalidApiKey,
    )
    .await;
    expect_api_error(
        c.get(&url).bearer_auth("kw_nope").send().await.unwrap(),
        ApiError::InvalidApiKey,
    )
    .await;
    let unknown = format!("kw_{}", "0".repeat(48));
    expect_api_error(
        c.get(&url).bearer_auth(unknown).send().await.unwrap(),
        ApiError::InvalidApiKey,
    )
    .await;
    assert_eq!(
        c.get(&url)
            .bearer_auth(&seed.api_key)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    server.admin().revoke_api_key(&seed.api_key).await.unwrap();
    let body = expect_api_error(
        c.get(&url).bearer_auth(&seed.api_key).send().await.unwrap(),
        ApiError::InvalidApiKey,
    )
    .await;
    assert!(!body.to_string().contains(&seed.api_key));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_for_another_accounts_app_and_license_not_found_for_unknown() {
    let server = TestServer::start().await.unwrap();
    let mine = server.seed().await.unwrap();
    let theirs = server.seed().await.unwrap();
    for (method, path) in [
        (Method::GET, format!("/v1/apps/{}", theirs.app_id)),
        (Method::GET, format!("/v1/apps/{}/licenses", theirs.app_id)),
        (
            Method::GET,
            format!("/v1/apps/{}/access-rules", theirs.app_id),
        ),
        (Method::GET, format!("/v1/licenses/{}", theirs.license_key)),
        (
            Method::POST,
            format!("/v1/licenses/{}/revoke", theirs.license_key),
        ),
        (
            Method::POST,
            format!("/v1/licenses/{}/reset-hwids", theirs.license_key),
        ),
    ] {
        let response = api(&server, &mine, method, &path).send().await.unwrap();
        expect_api_error(response, ApiError::Forbidden).await;
    }
    let response = api(
        &server,
        &mine,
        Method::PATCH,
        &format!("/v1/apps/{}", theirs.app_id),
    )
    .json(&json!({"active": false}))
    .send()
    .await
    .unwrap();
    expect_api_error(response, ApiError::Forbidden).await;
    let response = api(
        &server,
        &mine,
        Method::POST,
        &format!("/v1/apps/{}/licenses", theirs.app_id),
    )
    .json(&json!({"count": 1}))
    .send()
    .await
    .unwrap();
    expect_api_error(response, ApiError::Forbidden).await;
    assert_eq!(credits(&server, &mine).await, keyward_server::SEED_CREDITS);
    // Theirs untouched.
    let license = get_license(&server, &theirs, &theirs.license_key).await;
    assert_eq!(license["revoked"], false);

    // Unknown license, webhook, app, route, method.
    for (method, path) in [
        (Method::GET, "/v1/licenses/AAAA-BBBB-CCCC-DDDD".to_owned()),
        (
            Method::POST,
            "/v1/licenses/AAAA-BBBB-CCCC-DDDD/revoke".to_owned(),
        ),
        (Method::DELETE, "/v1/webhooks/999999".to_owned()),
        (Method::DELETE, "/v1/webhooks/not-a-number".to_owned()),
        (Method::GET, "/v1/apps/app_unknown".to_owned()),
        (Method::GET, "/v1/nothing-here".to_owned()),
        (Method::GET, "/".to_owned()),
        (Method::PUT, "/v1/apps".to_owned()),
        (Method::GET, "/auth/validate".to_owned()),
    ] {
        let response = api(&server, &mine, method, &path).send().await.unwrap();
        expect_api_error(response, ApiError::NotFound).await;
    }
    // Another account's webhook is not revealed.
    let hook: Value = api(&server, &theirs, Method::POST, "/v1/webhooks")
        .json(&json!({"url": "https://example.test/x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let response = api(
        &server,
        &mine,
        Method::DELETE,
        &format!("/v1/webhooks/{}", hook["id"]),
    )
    .send()
    .await
    .unwrap();
    expect_api_error(response, ApiError::NotFound).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_request_names_every_bad_field_and_never_leaks_plain_text() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let post = |body: reqwest::Body, content_type: &'static str| {
        api(&server, &seed, Method::POST, "/v1/apps")
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    // Missing and mistyped fields: all named at once.
    let response = api(&server, &seed, Method::POST, "/v1/apps")
        .json(&json!({"hwidSlots": 17, "variables": "x", "allowlistRequired": "yes", "colour": 1}))
        .send()
        .await
        .unwrap();
    let body = expect_api_error(response, ApiError::BadRequest).await;
    let message = body["message"].as_str().unwrap();
    let details: Vec<&str> = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    for field in [
        "name",
        "hwidSlots",
        "variables",
        "allowlistRequired",
        "colour",
    ] {
        assert!(message.contains(field), "{field} not named in {message}");
        assert!(
            details.contains(&field),
            "{field} not in details {details:?}"
        );
    }
    // Bad JSON, wrong content type, invalid UTF-8, too deep, too large, not an object.
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{\"name\":".to_vec(), "application/json"),
        (b"{\"name\":\"x\"}".to_vec(), "text/plain"),
        (
            b"{\"name\":\"x\"}".to_vec(),
            "application/x-www-form-urlencoded",
        ),
        (b"{\"name\":\"\xff\xfe\"}".to_vec(), "application/json"),
        (
            format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
            "application/json",
        ),
        (
            format!("{{\"name\":\"{}\"}}", "x".repeat(200_000)).into_bytes(),
            "application/json",
        ),
        (b"[1,2,3]".to_vec(), "application/json"),
        (Vec::new(), "application/json"),
    ];
    for (bytes, content_type) in cases {
        let response = post(reqwest::Body::from(bytes), content_type)
            .await
            .unwrap();
        expect_api_error(response, ApiError::BadRequest).await;
    }
    // Licenses and extend bodies, query parameters.
    let response = api(
        &server,
        &seed,
        Method::POST,
        &format!("/v1/apps/{}/licenses", seed.app_id),
    )
    .json(&json!({"count": 0, "expiresAt": 5, "durationDays": "x", "note": ""}))
    .send()
    .await
    .unwrap();
    let body = expect_api_error(response, ApiError::BadRequest).await;
    for field in ["count", "expiresAt", "durationDays", "note"] {
        assert!(body["message"].as_str().unwrap().contains(field), "{body}");
    }
    let response = api(
        &server,
        &seed,
        Method::POST,
        &format!("/v1/licenses/{}/extend", seed.license_key),
    )
    .json(&json!({}))
    .send()
    .await
    .unwrap();
    expect_api_error(response, ApiError::BadRequest).await;
    let response = api(
        &server,
        &seed,
        Method::GET,
        &format!("/v1/apps/{}/licenses?limit=0&cursor=x", seed.app_id),
    )
    .send()
    .await
    .unwrap();
    let body = expect_api_error(response, ApiError::BadRequest).await;
    assert!(body["message"].as_str().unwrap().contains("limit"));
    assert!(body["message"].as_str().unwrap().contains("cursor"));
    let response = api(
        &server,
        &seed,
        Method::POST,
        &format!("/v1/apps/{}/access-rules", seed.app_id),
    )
    .json(&json!({"list": "grey", "kind": "ip", "value": "not-an-ip"}))
    .send()
    .await
    .unwrap();
    let body = expect_api_error(response, ApiError::BadRequest).await;
    assert!(body["message"].as_str().unwrap().contains("list"));
    assert!(body["message"].as_str().unwrap().contains("value"));
    let response = api(&server, &seed, Method::POST, "/v1/webhooks")
        .json(&json!({"url": "ftp://x", "events": [1]}))
        .send()
        .await
        .unwrap();
    let body = expect_api_error(response, ApiError::BadRequest).await;
    assert!(body["message"].as_str().unwrap().contains("url"));
    assert!(body["message"].as_str().unwrap().contains("events"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credits_changes_nothing() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    server
        .admin()
        .add_credits(&seed.account, -(keyward_server::SEED_CREDITS - 3))
        .await
        .unwrap();
    assert_eq!(credits(&server, &seed).await, 3);
    let path = format!("/v1/apps/{}/licenses", seed.app_id);
    let response = api(&server, &seed, Method::POST, &path)
        .json(&json!({"count": 4}))
        .send()
        .await
        .unwrap();
    expect_api_error(response, ApiError::NoCredits).await;
    assert_eq!(credits(&server, &seed).await, 3);
    let page: Value = api(&server, &seed, Method::GET, &path)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["licenses"].as_array().unwrap().len(),
        1,
        "nothing created"
    );
    let response = api(&server, &seed, Method::POST, &path)
        .json(&json!({"count": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(credits(&server, &seed).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_error_hides_the_cause_and_carries_a_request_id() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    drop_table(&server, "webhooks").await;
    let response = api(&server, &seed, Method::GET, "/v1/webhooks")
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("x-request-id"));
    let body = expect_api_error(response, ApiError::InternalError).await;
    assert_eq!(body["message"], ApiError::InternalError.description());
    assert!(!body.to_string().contains("webhooks"));
}

/// 429 with Retry-After once the burst is used; the limiter admits burst + sustained x
/// seconds within 2 % over real HTTP. Only accounts and API keys are needed, so that it
/// runs on either backend (PostgreSQL: the limit shared through the database).
///
/// Load-proof bounds, not a guess at how fast the client is: at most burst + sustained x
/// the whole run, and at least burst + sustained x the time from the first answer (the
/// bucket started by then) until the last refused request was sent (a refusal shows that
/// every token up to then was taken). A few requests are
/// in flight at once, and the run goes on past its 2 s until a first refusal (up to 30 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_per_api_key_over_http() {
    const IN_FLIGHT: usize = 4;
    let server = TestServer::start().await.unwrap();
    let admin = server.admin();
    let key = |name: &'static str| async move {
        admin.create_account(name).await.unwrap();
        admin.issue_api_key(name).await.unwrap().key
    };
    let (limited_key, other_key) = (key("limited").await, key("other").await);
    let c = client();
    let url = server.url("/v1/account");
    let window = Duration::from_secs(2);
    let give_up = Duration::from_secs(30);
    let refused = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let senders: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (c, url, key) = (c.clone(), url.clone(), limited_key.clone());
            let refused = refused.clone();
            tokio::spawn(async move {
                let mut admitted = 0_u32;
                let mut first = None;
                let mut last = start;
                let mut last_refused_sent = None;
                let go_on = || {
                    let elapsed = start.elapsed();
                    elapsed < window || (!refused.load(Ordering::Relaxed) && elapsed < give_up)
                };
                while go_on() {
                    let sent = Instant::now();
                    let response = c.get(&url).bearer_auth(&key).send().await.unwrap();
                    last = Instant::now();
                    first = first.or(Some(last));
                    if response.status() == 200 {
                        admitted += 1;
                        continue;
                    }
                    if !refused.swap(true, Ordering::Relaxed) {
                        assert!(retry_after_secs(&response) >= 1);
                        expect_api_error(response, ApiError::RateLimited).await;
                    } else {
                        assert_eq!(response.status(), 429);
                    }
                    last_refused_sent = Some(sent);
                }
                (admitted, first, last, last_refused_sent)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for sender in senders {
        answers.push(sender.await.unwrap());
    }
    let admitted: u32 = answers.iter().map(|answer| answer.0).sum();
    let first = answers.iter().filter_map(|answer| answer.1).min();
    let first = first.expect("no answer");
    let last = answers.iter().map(|answer| answer.2).max().unwrap_or(start);
    let last_refused_sent = answers.iter().filter_map(|answer| answer.3).max();
    let last_refused_sent = last_refused_sent.expect("never limited");
    let tokens = |from: Instant, to: Instant| {
        f64::from(RATE_LIMIT.burst_per_second)
            + f64::from(RATE_LIMIT.sustained_per_second)
                * to.saturating_duration_since(from).as_secs_f64()
    };
    let (least, most) = (tokens(first, last_refused_sent), tokens(start, last));
    assert!(
        f64::from(admitted) >= least * 0.98 && f64::from(admitted) <= most * 1.02,
        "admitted {admitted}, expected {least:.1} to {most:.1}"
    );
    // Another key has its own bucket.
    let response = c.get(&url).bearer_auth(&other_key).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

/// Each listed license carries its own bound HWIDs, oldest first, on every page (the
/// page's HWIDs are read in one query and handed to their licenses).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listed_licenses_carry_their_own_hwids() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    patch_app(&server, &seed, json!({"hwidSlots": 2})).await;
    let created = create_licenses(&server, &seed, json!({"count": 3})).await;
    let keys: Vec<String> = created["licenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|license| license["key"].as_str().unwrap().to_owned())
        .collect();
    // The seed's license (listed first), the first new one empty, the last new one.
    let bind = [
        (seed.license_key.clone(), vec!["hw-a", "hw-b"]),
        (keys[2].clone(), vec!["hw-c"]),
    ];
    for (key, hwids) in &bind {
        let holder = Seed {
            license_key: key.clone(),
            ..seed.clone()
        };
        for hwid in hwids {
            validate_ok(&server, &holder, hwid).await;
        }
    }
    let path = format!("/v1/apps/{}/licenses?limit=3", seed.app_id);
    let first = answer_json(api(&server, &seed, Method::GET, &path)).await;
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let second = answer_json(api(
        &server,
        &seed,
        Method::GET,
        &format!("{path}&cursor={cursor}"),
    ))
    .await;
    assert_eq!(second["nextCursor"], Value::Null);
    let listed: Vec<(String, Value)> = [first, second]
        .iter()
        .flat_map(|page| page["licenses"].as_array().unwrap().clone())
        .map(|license| {
            (
                license["key"].as_str().unwrap().to_owned(),
                license["hwids"].clone(),
            )
        })
        .collect();
    let expected = vec![
        (seed.license_key.clone(), json!(["hw-a", "hw-b"])),
        (keys[0].clone(), json!([])),
        (keys[1].clone(), json!([])),
        (keys[2].clone(), json!(["hw-c"])),
    ];
    assert_eq!(listed, expected);
}
