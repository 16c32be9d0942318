//! The same Developer API and auth requests, on a server over SQLite and on one over
//! PostgreSQL: what the two answer must be the same, status and body, once the values
//! that are random by design (ids, keys, secrets, tokens, signatures) are replaced by
//! their order of first appearance and times by a marker. Without PostgreSQL binaries
//! the test is reported *ignored* with the reason (libtest-mimic).

mod common;
mod postgres_harness;

use std::collections::HashMap;

use common::{heartbeat_body, nonce, validate_body};
use keyward_server::{Seed, TestBackend, TestPostgres, TestServer};
use libtest_mimic::Failed;
use postgres_harness::block_on;
use reqwest::Method;
use serde_json::{Value, json};

/// Fields whose values are random by design: compared by order of first appearance.
const RANDOM: &[&str] = &[
    "appId",
    "appSecret",
    "key",
    "licenseKey",
    "sessionToken",
    "token",
    "signature",
    "sig",
    "publicKey",
    "keyId",
    "nonce",
    "requestId",
];

fn main() {
    postgres_harness::run(
        &[("developer_api_and_auth_answer_alike", answer_alike)],
        &[],
        None,
    );
}

fn answer_alike(_cluster: TestPostgres) -> Result<(), Failed> {
    block_on(compare())
}

async fn compare() -> Result<(), Failed> {
    let on_sqlite = script(TestBackend::Sqlite).await?;
    let on_postgres = script(TestBackend::Postgres).await?;
    for (step, (sqlite, postgres)) in on_sqlite.iter().zip(&on_postgres).enumerate() {
        assert_eq!(
            sqlite, postgres,
            "step {step}: SQLite and PostgreSQL answer differently"
        );
    }
    assert_eq!(on_sqlite.len(), on_postgres.len());
    // Both failing alike is not agreement: the script's own answers are as intended.
    for line in &on_sqlite {
        assert!(!line.contains("-> 500"), "{line}");
        assert!(!line.contains("system_error"), "{line}");
    }
    assert!(on_sqlite.len() > 40, "the script ran to its end");
    Ok(())
}

/// What a server answered, in order, made comparable.
#[derive(Default)]
struct Transcript {
    lines: Vec<String>,
    seen: HashMap<String, usize>,
}

impl Transcript {
    async fn note(&mut self, what: &str, response: reqwest::Response) -> Value {
        let status = response.status().as_u16();
        let mut body: Value = response.json().await.unwrap_or(Value::Null);
        expand_payload(&mut body);
        let mut shown = body.clone();
        self.normalise(&mut shown, None);
        self.lines.push(format!("{what} -> {status} {shown}"));
        body
    }

    fn normalise(&mut self, value: &mut Value, field: Option<&str>) {
        match value {
            Value::Object(map) => {
                for (name, value) in map.iter_mut() {
                    self.normalise(value, Some(name));
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.normalise(item, field);
                }
            }
            // Seeded accounts are numbered across the process: the two servers' differ.
            Value::String(text)
                if field.is_some_and(|f| RANDOM.contains(&f))
                    || field == Some("name") && text.starts_with("account-") =>
            {
                let next = self.seen.len();
                let n = *self.seen.entry(text.clone()).or_insert(next);
                *value = json!(format!("<random {n}>"));
            }
            // Times: Unix seconds (no count or id of the script comes near), and the
            // ISO 8601 texts of `...At` fields.
            Value::Number(n) if n.as_i64().is_some_and(|at| at > 1_000_000_000) => {
                *value = json!("<time>");
            }
            Value::String(_) if field.is_some_and(|f| f.ends_with("At")) => {
                *value = json!("<time>");
            }
            _ => {}
        }
    }
}

/// A signed auth answer's `payload` (base64 of JSON), decoded in place.
fn expand_payload(body: &mut Value) {
    use base64::Engine as _;
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let Some(text) = body.get("payload").and_then(Value::as_str) else {
        return;
    };
    let decoded = engines
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
    if let Some(payload) = decoded {
        body["payload"] = payload;
    }
}

/// One server, its seed and the transcript of what it answered.
struct Run {
    server: TestServer,
    seed: Seed,
    log: Transcript,
}

impl Run {
    /// A Developer API request with the seed's key (and a JSON body, if any).
    async fn api(&mut self, what: &str, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut request = common::api(&self.server, &self.seed, method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        self.log.note(what, response).await
    }

    /// A public auth request.
    async fn auth(&mut self, what: &str, path: &str, body: &Value) -> Value {
        let response = common::post(&self.server, path, body).await;
        self.log.note(what, response).await
    }

    async fn validate(&mut self, what: &str, license: &Seed, hwid: &str) -> Value {
        self.auth(
            what,
            "/auth/validate",
            &validate_body(license, hwid, &nonce()),
        )
        .await
    }

    /// A heartbeat of `license` on `hwid`; `token` becomes the answer's new one.
    async fn heartbeat(&mut self, what: &str, license: &Seed, token: &mut String, hwid: &str) {
        let body = heartbeat_body(license, token, hwid, &nonce());
        let answer = self.auth(what, "/auth/heartbeat", &body).await;
        if let Some(next) = answer["payload"]["sessionToken"].as_str() {
            next.clone_into(token);
        }
    }
}

/// The text of `field` of an answer (empty if it has none).
fn text(answer: &Value, field: &str) -> String {
    answer[field].as_str().unwrap_or_default().to_owned()
}

/// The script, on a fresh server of `backend`.
async fn script(backend: TestBackend) -> Result<Vec<String>, Failed> {
    let server = TestServer::start_on(backend, |config| {
        config.auth_rate_limit = None;
    })
    .await?;
    let seed = server.seed().await?;
    let mut run = Run {
        server,
        seed: seed.clone(),
        log: Transcript::default(),
    };
    let (get, post, patch, delete) = (Method::GET, Method::POST, Method::PATCH, Method::DELETE);

    run.api("account", get.clone(), "/v1/account", None).await;
    let app_body = json!({"name": "second", "hwidSlots": 2, "variables": {"tier": "pro"},
        "dailyCreditCap": 30});
    let app = run
        .api("create app", post.clone(), "/v1/apps", Some(app_body))
        .await;
    let app_path = format!("/v1/apps/{}", text(&app, "appId"));
    let second = Seed {
        app_id: text(&app, "appId"),
        app_secret: text(&app, "appSecret"),
        ..seed.clone()
    };
    run.api("list apps", get.clone(), "/v1/apps", None).await;
    run.api("get app", get.clone(), &app_path, None).await;
    for change in [
        json!({"name": "renamed", "allowlistRequired": false}),
        json!({"hwidSlots": 0}),
        json!({"dailyCreditCap": null}),
        json!({"dailyCreditCap": 30}),
    ] {
        let what = format!("patch app {change}");
        run.api(&what, patch.clone(), &app_path, Some(change)).await;
    }
    run.api("unknown app", get.clone(), "/v1/apps/app_unknown", None)
        .await;

    let licenses_path = format!("{app_path}/licenses");
    let batch = json!({"count": 3, "durationDays": 30, "label": "L", "note": "n",
        "variables": {"a": 1}});
    let created = run
        .api("create licenses", post.clone(), &licenses_path, Some(batch))
        .await;
    let too_many = json!({"count": 1_000_000});
    run.api("too many", post.clone(), &licenses_path, Some(too_many))
        .await;
    let page = run
        .api(
            "page 1",
            get.clone(),
            &format!("{licenses_path}?limit=2"),
            None,
        )
        .await;
    let cursor = text(&page, "nextCursor");
    let next = format!("{licenses_path}?limit=2&cursor={cursor}");
    run.api("page 2", get.clone(), &next, None).await;
    let key = text(&created["licenses"][0], "key");
    let licensed = Seed {
        license_key: key.clone(),
        ..second.clone()
    };

    // Devices: two slots, a third refused; a session's heartbeats and their charges.
    let mut token = String::new();
    for hwid in ["hwid-a", "hwid-b", "hwid-c", "hwid-a"] {
        let answer = run
            .validate(&format!("validate {hwid}"), &licensed, hwid)
            .await;
        if hwid == "hwid-a" {
            token = text(&answer["payload"], "sessionToken");
        }
    }
    for beat in 0..12 {
        let what = format!("heartbeat {beat}");
        run.heartbeat(&what, &licensed, &mut token, "hwid-a").await;
    }
    run.api("account after", get.clone(), "/v1/account", None)
        .await;
    let license_path = format!("/v1/licenses/{key}");
    run.api("license", get.clone(), &license_path, None).await;
    let extend_path = format!("{license_path}/extend");
    for (what, body) in [
        ("extend", json!({"days": 10})),
        ("extend lifetime", json!({"lifetime": true})),
        ("extend bad", json!({"days": -1})),
    ] {
        run.api(what, post.clone(), &extend_path, Some(body)).await;
    }
    let reset_path = format!("{license_path}/reset-hwids");
    run.api("reset hwids", post.clone(), &reset_path, None)
        .await;
    run.heartbeat("heartbeat after reset", &licensed, &mut token, "hwid-a")
        .await;

    // Access rules: a deny rule blocks, its removal lifts it.
    let rules_path = format!("{app_path}/access-rules");
    let deny_hwid = json!({"list": "deny", "kind": "hwid", "value": "hwid-a"});
    let rule = run
        .api("deny hwid", post.clone(), &rules_path, Some(deny_hwid))
        .await;
    let deny_ip = json!({"list": "deny", "kind": "ip", "value": "203.0.113.0/24"});
    run.api("deny ip range", post.clone(), &rules_path, Some(deny_ip))
        .await;
    run.api("rules", get.clone(), &rules_path, None).await;
    run.validate("validate denied", &licensed, "hwid-a").await;
    let rule_path = format!("{rules_path}/{}", rule["id"]);
    run.api("delete rule", delete.clone(), &rule_path, None)
        .await;

    // Signing: Ed25519, a staged key, a rotation, the old key deleted.
    let ed25519 = json!({"signing": "ed25519"});
    run.api("ed25519", patch.clone(), &app_path, Some(ed25519))
        .await;
    let keys_path = format!("{app_path}/signing-keys");
    run.api("stage key", post.clone(), &keys_path, None).await;
    let rotated = run
        .api("rotate", post.clone(), &format!("{keys_path}/rotate"), None)
        .await;
    let old = text(&rotated["signingKeys"][1], "keyId");
    run.api(
        "delete old key",
        delete.clone(),
        &format!("{keys_path}/{old}"),
        None,
    )
    .await;
    run.validate("validate ed25519", &licensed, "hwid-b").await;

    // Revoke and self-ban.
    let revoke_path = format!("{license_path}/revoke");
    run.api("revoke", post.clone(), &revoke_path, None).await;
    run.validate("validate revoked", &licensed, "hwid-b").await;
    let mut ban = validate_body(&seed, "hwid-banned", &nonce());
    ban["blacklistHwid"] = json!(true);
    run.auth("selfban", "/auth/selfban", &ban).await;
    run.validate("validate banned", &seed, "hwid-banned").await;

    // Webhooks.
    let hook_body = json!({"url": "https://example.com/hook", "events": ["license.revoked"]});
    let hook = run
        .api(
            "create webhook",
            post.clone(),
            "/v1/webhooks",
            Some(hook_body),
        )
        .await;
    run.api("webhooks", get.clone(), "/v1/webhooks", None).await;
    let hook_path = format!("/v1/webhooks/{}", hook["id"]);
    run.api("delete webhook", delete, &hook_path, None).await;
    run.api("apps at the end", get.clone(), "/v1/apps", None)
        .await;
    run.api("account at the end", get, "/v1/account", None)
        .await;
    let violations = run.server.take_contract_violations();
    assert!(violations.is_empty(), "{violations:?}");
    run.server.shutdown().await?;
    Ok(run.log.lines)
}
