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

/// The script, on a fresh server of `backend`.
async fn script(backend: TestBackend) -> Result<Vec<String>, Failed> {
    let server = TestServer::start_on(backend, |config| {
        config.auth_rate_limit = None;
    })
    .await?;
    let seed = server.seed().await?;
    let mut log = Transcript::default();
    let api = |method: Method, path: &str| common::api(&server, &seed, method, path);

    log.note("account", api(Method::GET, "/v1/account").send().await?)
        .await;
    let app = log
        .note(
            "create app",
            api(Method::POST, "/v1/apps")
                .json(&json!({"name": "second", "hwidSlots": 2,
                    "variables": {"tier": "pro"}, "dailyCreditCap": 30}))
                .send()
                .await?,
        )
        .await;
    let app_id = app["appId"].as_str().unwrap_or_default().to_owned();
    let second = Seed {
        app_id: app_id.clone(),
        app_secret: app["appSecret"].as_str().unwrap_or_default().to_owned(),
        ..seed.clone()
    };
    let app_path = format!("/v1/apps/{app_id}");
    log.note("list apps", api(Method::GET, "/v1/apps").send().await?)
        .await;
    log.note("get app", api(Method::GET, &app_path).send().await?)
        .await;
    for patch in [
        json!({"name": "renamed", "allowlistRequired": false}),
        json!({"hwidSlots": 0}),
        json!({"dailyCreditCap": null}),
        json!({"dailyCreditCap": 30}),
    ] {
        log.note(
            &format!("patch app {patch}"),
            api(Method::PATCH, &app_path).json(&patch).send().await?,
        )
        .await;
    }
    log.note(
        "unknown app",
        api(Method::GET, "/v1/apps/app_unknown").send().await?,
    )
    .await;

    let licenses_path = format!("{app_path}/licenses");
    let created = log
        .note(
            "create licenses",
            api(Method::POST, &licenses_path)
                .json(
                    &json!({"count": 3, "durationDays": 30, "label": "L", "note": "n",
                    "variables": {"a": 1}}),
                )
                .send()
                .await?,
        )
        .await;
    log.note(
        "too many licenses",
        api(Method::POST, &licenses_path)
            .json(&json!({"count": 1_000_000}))
            .send()
            .await?,
    )
    .await;
    let page = log
        .note(
            "list page 1",
            api(Method::GET, &format!("{licenses_path}?limit=2"))
                .send()
                .await?,
        )
        .await;
    if let Some(cursor) = page["nextCursor"].as_str() {
        log.note(
            "list page 2",
            api(
                Method::GET,
                &format!("{licenses_path}?limit=2&cursor={cursor}"),
            )
            .send()
            .await?,
        )
        .await;
    }
    let key = created["licenses"][0]["key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let licensed = Seed {
        license_key: key.clone(),
        ..second.clone()
    };

    // Devices: two slots, a third refused; a session's heartbeats and their charges.
    let mut token = String::new();
    for hwid in ["hwid-a", "hwid-b", "hwid-c", "hwid-a"] {
        let answer = log
            .note(
                &format!("validate {hwid}"),
                common::post(
                    &server,
                    "/auth/validate",
                    &validate_body(&licensed, hwid, &nonce()),
                )
                .await,
            )
            .await;
        if hwid == "hwid-a" {
            token = answer["payload"]["sessionToken"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
        }
    }
    for beat in 0..12 {
        let answer = log
            .note(
                &format!("heartbeat {beat}"),
                common::post(
                    &server,
                    "/auth/heartbeat",
                    &heartbeat_body(&licensed, &token, "hwid-a", &nonce()),
                )
                .await,
            )
            .await;
        if let Some(next) = answer["payload"]["sessionToken"].as_str() {
            next.clone_into(&mut token);
        }
    }
    log.note(
        "account after",
        api(Method::GET, "/v1/account").send().await?,
    )
    .await;
    let license_path = format!("/v1/licenses/{key}");
    log.note("license", api(Method::GET, &license_path).send().await?)
        .await;
    for (what, body) in [
        ("extend", json!({"days": 10})),
        ("extend lifetime", json!({"lifetime": true})),
        ("extend bad", json!({"days": -1})),
    ] {
        log.note(
            what,
            api(Method::POST, &format!("{license_path}/extend"))
                .json(&body)
                .send()
                .await?,
        )
        .await;
    }
    log.note(
        "reset hwids",
        api(Method::POST, &format!("{license_path}/reset-hwids"))
            .send()
            .await?,
    )
    .await;
    log.note(
        "heartbeat after reset",
        common::post(
            &server,
            "/auth/heartbeat",
            &heartbeat_body(&licensed, &token, "hwid-a", &nonce()),
        )
        .await,
    )
    .await;

    // Access rules: a deny rule blocks, its removal lifts it.
    let rules_path = format!("{app_path}/access-rules");
    let rule = log
        .note(
            "deny hwid",
            api(Method::POST, &rules_path)
                .json(&json!({"list": "deny", "kind": "hwid", "value": "hwid-a"}))
                .send()
                .await?,
        )
        .await;
    log.note(
        "deny ip range",
        api(Method::POST, &rules_path)
            .json(&json!({"list": "deny", "kind": "ip", "value": "203.0.113.0/24"}))
            .send()
            .await?,
    )
    .await;
    log.note("rules", api(Method::GET, &rules_path).send().await?)
        .await;
    log.note(
        "validate denied",
        common::post(
            &server,
            "/auth/validate",
            &validate_body(&licensed, "hwid-a", &nonce()),
        )
        .await,
    )
    .await;
    log.note(
        "delete rule",
        api(Method::DELETE, &format!("{rules_path}/{}", rule["id"]))
            .send()
            .await?,
    )
    .await;

    // Signing: Ed25519, a staged key, a rotation, the old key deleted.
    log.note(
        "ed25519",
        api(Method::PATCH, &app_path)
            .json(&json!({"signing": "ed25519"}))
            .send()
            .await?,
    )
    .await;
    log.note(
        "stage key",
        api(Method::POST, &format!("{app_path}/signing-keys"))
            .send()
            .await?,
    )
    .await;
    let rotated = log
        .note(
            "rotate",
            api(Method::POST, &format!("{app_path}/signing-keys/rotate"))
                .send()
                .await?,
        )
        .await;
    if let Some(old) = rotated["signingKeys"][1]["keyId"].as_str() {
        log.note(
            "delete old key",
            api(Method::DELETE, &format!("{app_path}/signing-keys/{old}"))
                .send()
                .await?,
        )
        .await;
    }
    log.note(
        "validate ed25519",
        common::post(
            &server,
            "/auth/validate",
            &validate_body(&licensed, "hwid-b", &nonce()),
        )
        .await,
    )
    .await;

    // Revoke and self-ban.
    log.note(
        "revoke",
        api(Method::POST, &format!("{license_path}/revoke"))
            .send()
            .await?,
    )
    .await;
    log.note(
        "validate revoked",
        common::post(
            &server,
            "/auth/validate",
            &validate_body(&licensed, "hwid-b", &nonce()),
        )
        .await,
    )
    .await;
    let mut ban = validate_body(&seed, "hwid-banned", &nonce());
    ban["blacklistHwid"] = json!(true);
    log.note(
        "selfban",
        common::post(&server, "/auth/selfban", &ban).await,
    )
    .await;
    log.note(
        "validate banned",
        common::post(
            &server,
            "/auth/validate",
            &validate_body(&seed, "hwid-banned", &nonce()),
        )
        .await,
    )
    .await;

    // Webhooks.
    let hook = log
        .note(
            "create webhook",
            api(Method::POST, "/v1/webhooks")
                .json(&json!({"url": "https://example.com/hook", "events": ["license.revoked"]}))
                .send()
                .await?,
        )
        .await;
    log.note("webhooks", api(Method::GET, "/v1/webhooks").send().await?)
        .await;
    log.note(
        "delete webhook",
        api(Method::DELETE, &format!("/v1/webhooks/{}", hook["id"]))
            .send()
            .await?,
    )
    .await;
    log.note(
        "apps at the end",
        api(Method::GET, "/v1/apps").send().await?,
    )
    .await;
    log.note(
        "account at the end",
        api(Method::GET, "/v1/account").send().await?,
    )
    .await;
    let violations = server.take_contract_violations();
    assert!(violations.is_empty(), "{violations:?}");
    server.shutdown().await?;
    Ok(log.lines)
}
