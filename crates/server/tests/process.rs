//! The real binary: the admin CLI (output and exit codes) and state surviving `kill -9`.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use keyward_errors::{ApiError, ValidateError};
use keyward_protocol::{CheckedResponse, SessionToken, check_response, derive_key};
use keyward_server::metrics::{
    ANSWERS, CREDITS_CHARGED, LATENCY, RATE_LIMITED, SESSION_CACHE, SUCCESS,
};
use keyward_server::store::NewApp;
use keyward_server::{Admin, AdminError, Seed};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_keyward-server");
const HWID: &str = "device-1";

fn admin_output(db: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("admin")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

fn admin(db: &Path, args: &[&str]) -> (i32, String) {
    let output = admin_output(db, args);
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

/// The exit code and stderr of an admin command expected to fail.
fn admin_fails(db: &Path, args: &[&str]) -> (i32, String) {
    let output = admin_output(db, args);
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `serve` on `db` and `port`, with no secret from the environment and no output.
fn serve_command(db: &Path, port: u16) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--db"])
        .arg(db)
        .env_remove("KEYWARD_SERVER_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

async fn start(db: &Path, port: u16, flags: &[&str]) -> Child {
    started(serve_command(db, port).args(flags), port).await
}

/// Spawns `command` and waits until the server on `port` answers `/health`.
async fn started(command: &mut Command, port: u16) -> Child {
    #[allow(clippy::zombie_processes)] // waited for by the test after kill()
    let child = command.spawn().unwrap();
    let c = client();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(response) = c
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            && response.status() == 200
        {
            return child;
        }
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_kill_9_and_admin_cli_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keyward.db");

    assert_eq!(admin(&db, &["--create", "create-account", "acme"]).0, 0);
    assert_eq!(admin(&db, &["create-account", "acme"]).0, 4, "exists");
    assert_eq!(
        admin(&db, &["add-credits", "nobody", "5"]).0,
        3,
        "unknown account"
    );
    assert_eq!(
        admin(&db, &["add-credits", "acme", "-5"]).0,
        5,
        "below zero"
    );
    assert_eq!(admin(&db, &["revoke-api-key", "nonsense"]).0, 2);
    assert_eq!(admin(&db, &["revoke-api-key", "999"]).0, 3);
    let (code, out) = admin(&db, &["add-credits", "acme", "100"]);
    assert_eq!((code, out.trim()), (0, "acme: 100 credits"));
    let (code, out) = admin(&db, &["issue-api-key", "acme"]);
    assert_eq!(code, 0);
    let key = out
        .lines()
        .find_map(|l| l.strip_prefix("api key: "))
        .unwrap()
        .to_owned();
    let (_, listed) = admin(&db, &["list-accounts"]);
    assert!(listed.contains("acme") && listed.contains("100"));
    assert!(!listed.contains(&key));
    let (code, keys) = admin(&db, &["list-api-keys", "acme"]);
    assert_eq!(code, 0);
    let key_id = out
        .lines()
        .find_map(|l| l.strip_prefix("key id: "))
        .unwrap();
    let row: Vec<&str> = keys.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!((row[0], row[2]), (key_id, "active"));
    assert!(!keys.contains(&key), "keys are never shown again");
    assert_eq!(admin(&db, &["list-api-keys", "nobody"]).0, 3);

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&db, port, &[]).await;
    let c = client();
    let app: Value = c
        .post(format!("{base}/v1/apps"))
        .bearer_auth(&key)
        .json(&json!({"name": "durable"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let app_id = app["appId"].as_str().unwrap().to_owned();
    let secret = app["appSecret"].as_str().unwrap().to_owned();
    let created: Value = c
        .post(format!("{base}/v1/apps/{app_id}/licenses"))
        .bearer_auth(&key)
        .json(&json!({"count": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let license = created["licenses"][0]["key"].as_str().unwrap().to_owned();
    let n = nonce();
    let bytes = c.post(format!("{base}/auth/validate"))
        .json(&json!({"appId": app_id, "appSecret": secret, "licenseKey": license, "hwid": "device-1", "nonce": n}))
        .send().await.unwrap().bytes().await.unwrap();
    let CheckedResponse::Success(session) =
        check_response(&bytes, 200, &n, &derive_key(secret.as_bytes(), &n))
            .and_then(CheckedResponse::parse)
            .unwrap()
    else {
        panic!("validate failed");
    };

    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();

    let mut server = start(&db, port, &[]).await;
    let got: Value = c
        .get(format!("{base}/v1/licenses/{license}"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["hwids"], json!(["device-1"]));
    let account: Value = c
        .get(format!("{base}/v1/account"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(account["credits"], 98, "one license and one validate");
    // The server secret survived too: the old session still heartbeats.
    let token = session.payload.session_token;
    let n = nonce();
    let bytes = c
        .post(format!("{base}/auth/heartbeat"))
        .json(&json!({"appId": app_id, "sessionToken": token, "hwid": "device-1", "nonce": n}))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let key_hb = SessionToken::heartbeat_key(&token, &n).unwrap();
    assert!(matches!(
        check_response(&bytes, 200, &n, &key_hb)
            .and_then(CheckedResponse::parse)
            .unwrap(),
        CheckedResponse::Success(_)
    ));

    // Heartbeats answered from memory: the admin CLI (another process) suspending the
    // account reaches them within the cache's staleness bound, and the counts kept in
    // memory are written when the server stops on SIGTERM.
    let beat = |expected: &'static str| {
        let request = c.post(format!("{base}/auth/heartbeat")).json(
            &json!({"appId": app_id, "sessionToken": token, "hwid": "device-1", "nonce": nonce()}),
        );
        async move {
            let body: Value = request.send().await.unwrap().json().await.unwrap();
            let outcome = body["error"]
                .as_str()
                .unwrap_or(body["status"].as_str().unwrap());
            assert_eq!(outcome, expected, "{body}");
        }
    };
    for _ in 0..4 {
        beat("success").await;
    }
    assert_eq!(admin(&db, &["suspend", "acme"]).0, 0);
    tokio::time::sleep(Duration::from_millis(150)).await;
    beat("app_disabled").await;
    assert_eq!(admin(&db, &["reinstate", "acme"]).0, 0);
    tokio::time::sleep(Duration::from_millis(150)).await;
    for _ in 0..3 {
        beat("success").await;
    }
    let stopped = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(server.wait().unwrap().success(), "a graceful stop");
    let counted: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT heartbeats FROM licenses WHERE license_key = ?1",
            [&license],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(
        counted, 8,
        "every successful heartbeat, none of the failed one"
    );
}

/// The admin CLI on a database path that does not exist refuses with its own exit code
/// and creates nothing (`--create` makes a new database); an overflowing `add-credits` is
/// an overflow; `--json` lists are JSON arrays without any key.
#[test]
fn admin_cli_missing_database_overflow_and_json_lists() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("typo.db");
    let missing = i32::from(AdminError::NoDatabase(db.clone()).exit_code());
    for args in [&["list-accounts"][..], &["create-account", "acme"]] {
        let (code, stderr) = admin_fails(&db, args);
        assert_eq!(code, missing, "{args:?}: {stderr}");
        assert!(
            stderr.contains("no database") && stderr.contains("--create"),
            "{stderr}"
        );
        assert!(!db.exists(), "{args:?} created the database");
    }
    assert_eq!(admin(&db, &["--create", "create-account", "acme"]).0, 0);
    let most = i64::MAX.to_string();
    assert_eq!(admin(&db, &["add-credits", "acme", &most]).0, 0);
    let (code, stderr) = admin_fails(&db, &["add-credits", "acme", "1"]);
    assert_eq!(code, i32::from(AdminError::CreditOverflow.exit_code()));
    assert!(stderr.contains("exceed"), "{stderr}");

    let (code, listed) = admin(&db, &["list-accounts", "--json"]);
    assert_eq!(code, 0);
    let accounts: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(accounts.as_array().unwrap().len(), 1);
    assert_eq!(accounts[0]["name"], "acme");
    assert_eq!(
        accounts[0]["credits"],
        json!(i64::MAX),
        "unchanged by the overflow"
    );
    assert_eq!(accounts[0]["suspended"], false);

    let (_, issued) = admin(&db, &["issue-api-key", "acme"]);
    let key = issued
        .lines()
        .find_map(|l| l.strip_prefix("api key: "))
        .unwrap();
    let (code, listed) = admin(&db, &["list-api-keys", "acme", "--json"]);
    assert_eq!(code, 0);
    assert!(!listed.contains(key), "keys are never shown again");
    let keys: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(keys[0]["revoked"], false);
    assert!(keys[0]["id"].is_i64());
}

/// The value of the sample `name{labels}` in a Prometheus text exposition (`labels`
/// must all match; others may be present).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (series_name, rest) = series.split_once('{').unwrap_or((series, "}"));
        let rest = rest.strip_suffix('}')?;
        let matches = series_name == name
            && labels.iter().all(|(key, value)| {
                rest.split(',')
                    .any(|pair| pair == format!("{key}=\"{value}\""))
            });
        matches.then(|| value.parse().unwrap())
    })
}

/// Metrics scraped over HTTP from the real binary move with specific answers: counts by
/// route, family and code (every code of the route's family registered at zero), a rate
/// limit refusal, session-cache hits and misses, the credit a validate charged and the
/// latency histogram.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_follow_the_answers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keyward.db");
    let seed = Seed::create(
        &Admin::open(&db.clone().into()).await.unwrap(),
        NewApp::named("metrics"),
    )
    .await
    .unwrap();
    let (port, metrics_port) = (free_port(), free_port());
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let mut server = start(&db, port, &["--metrics-listen", &metrics_addr]).await;
    let base = format!("http://127.0.0.1:{port}");
    let c = client();

    let response = c.get(format!("{base}/v1/account")).send().await.unwrap();
    assert_eq!(response.status(), ApiError::InvalidApiKey.http_status());
    // Three bursts of the Developer API's limit per key at once: some are refused, however
    // slowly the requests go (sent one by one, they could be slower than the refill).
    let sent = 3 * keyward_errors::RATE_LIMIT.burst_per_second;
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..sent {
        let request = c
            .get(format!("{base}/v1/account"))
            .bearer_auth(&seed.api_key)
            .send();
        requests.spawn(async move { request.await.unwrap().status() });
    }
    let (mut admitted, mut refused) = (0_u32, 0_u32);
    while let Some(status) = requests.join_next().await {
        match status.unwrap() {
            status if status == ApiError::RateLimited.http_status() => refused += 1,
            status => {
                assert_eq!(status, 200);
                admitted += 1;
            }
        }
    }
    assert!(refused > 0, "never limited");
    let response = post_to(&c, &base, "/auth/validate", &json!({})).await;
    expect_validate_failure(response, ValidateError::BadRequest).await;
    let n = nonce();
    let bytes = post_to(&c, &base, "/auth/validate", &validate_body(&seed, HWID, &n))
        .await
        .bytes()
        .await
        .unwrap();
    let key = derive_key(seed.app_secret.as_bytes(), &n);
    let Ok(CheckedResponse::Success(session)) =
        check_response(&bytes, 200, &n, &key).and_then(CheckedResponse::parse)
    else {
        panic!("validate failed");
    };
    let token = session.payload.session_token;
    // On the test's one client: the beats after the first must come within the session
    // cache's freshness window to be answered from memory, which a client built per request
    // (TLS roots loaded each time) can miss on a loaded machine.
    let beats = 5;
    for _ in 0..beats {
        let body = heartbeat_body(&seed, &token, HWID, &nonce());
        let answer: Value = post_to(&c, &base, "/auth/heartbeat", &body)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(answer["status"], "success", "{answer}");
    }

    let scraped = c
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert!(
        scraped.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = scraped.text().await.unwrap();
    let answers = |route: &str, family: &str, code: &str| {
        sample(
            &text,
            ANSWERS,
            &[("route", route), ("family", family), ("code", code)],
        )
    };
    let api = |code| answers("/v1/account", "api", code);
    assert_eq!(api(ApiError::InvalidApiKey.code()), Some(1.0), "{text}");
    assert_eq!(api(ApiError::RateLimited.code()), Some(f64::from(refused)));
    assert_eq!(api(SUCCESS), Some(f64::from(admitted)));
    assert_eq!(
        api(ApiError::NotFound.code()),
        Some(0.0),
        "registered at zero"
    );
    assert_eq!(
        sample(&text, RATE_LIMITED, &[("route", "/v1/account")]),
        Some(f64::from(refused))
    );
    let validate = |code| answers("/auth/validate", "validate", code);
    assert_eq!(validate(ValidateError::BadRequest.code()), Some(1.0));
    assert_eq!(validate(SUCCESS), Some(1.0));
    assert_eq!(validate(ValidateError::HwidMismatch.code()), Some(0.0));
    assert_eq!(
        answers("/auth/heartbeat", "heartbeat", SUCCESS),
        Some(f64::from(beats))
    );
    let latency_count = format!("{LATENCY}_count");
    let timed = sample(&text, &latency_count, &[("route", "/auth/heartbeat")]);
    assert_eq!(timed, Some(f64::from(beats)));
    let cache = |result| sample(&text, SESSION_CACHE, &[("result", result)]).unwrap();
    assert_eq!(cache("hit") + cache("miss"), f64::from(beats));
    assert!(cache("hit") >= 1.0 && cache("miss") >= 1.0, "{text}");
    assert_eq!(
        sample(&text, CREDITS_CHARGED, &[]),
        Some(1.0),
        "the validate"
    );
    let elsewhere = c
        .get(format!("http://{metrics_addr}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 404);

    server.kill().unwrap();
    server.wait().unwrap();
}

/// Logs of the binary in a file, as text (`KEYWARD_LOG` winning over `RUST_LOG`) and as
/// JSON (`RUST_LOG` alone): no colour codes, one access line per request with method,
/// route template, status, error code, latency and the request id the client got (never
/// one the client sent), the internal error's cause under the same id, and no API key,
/// license key or app secret anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_lines_without_secrets_in_text_and_json() {
    for json_format in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("keyward.db");
        let seed = Seed::create(
            &Admin::open(&db.clone().into()).await.unwrap(),
            NewApp::named("logs"),
        )
        .await
        .unwrap();
        let log_path = dir.path().join("server.log");
        let port = free_port();
        let mut command = serve_command(&db, port);
        command.stderr(std::fs::File::create(&log_path).unwrap());
        if json_format {
            command
                .env_remove("KEYWARD_LOG")
                .env("RUST_LOG", "info")
                .args(["--log-format", "json"]);
        } else {
            command.env("KEYWARD_LOG", "info").env("RUST_LOG", "off");
        }
        let mut server = started(&mut command, port).await;
        let base = format!("http://127.0.0.1:{port}");
        let c = client();
        let license_key = &seed.license_key;
        let read = c
            .get(format!("{base}/v1/licenses/{license_key}"))
            .bearer_auth(&seed.api_key)
            .header("x-request-id", "planted-by-client")
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), 200);
        let read_id = read.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(read_id, "planted-by-client");
        let validated = post_to(
            &c,
            &base,
            "/auth/validate",
            &validate_body(&seed, HWID, &nonce()),
        )
        .await;
        assert_eq!(validated.status(), 200);
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch("DROP TABLE webhooks")
            .unwrap();
        let failed = get_as(&c, &base, "/v1/webhooks", &seed.api_key).await;
        let failed_id = failed.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        expect_api_error(failed, ApiError::InternalError).await;
        let stopped = Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .unwrap();
        assert!(stopped.success() && server.wait().unwrap().success());

        let log = std::fs::read_to_string(&log_path).unwrap();
        assert!(!log.contains('\u{1b}'), "no colour codes in a file: {log}");
        for secret in [
            &seed.api_key,
            license_key,
            &seed.app_secret,
            "planted-by-client",
        ] {
            assert!(!log.contains(secret), "{secret} logged: {log}");
        }
        let access: Vec<&str> = log.lines().filter(|l| l.contains("answered")).collect();
        let of = |id: &str| -> Vec<&str> { log.lines().filter(|l| l.contains(id)).collect() };
        assert_eq!(of(&read_id).len(), 1, "{log}");
        assert_eq!(
            of(&failed_id).len(),
            2,
            "the access line and the cause: {log}"
        );
        let validate_lines = access
            .iter()
            .filter(|l| l.contains("/auth/validate"))
            .count();
        assert_eq!(validate_lines, 1, "{log}");
        let read_line = of(&read_id)[0];
        let failed_lines = of(&failed_id);
        let (cause, failed_line) = match failed_lines[..] {
            [a, b] if a.contains("answered") => (b, a),
            [a, b] => (a, b),
            _ => unreachable!(),
        };
        assert!(cause.contains("no such table"), "{cause}");
        if json_format {
            let line: Value = serde_json::from_str(read_line).unwrap();
            assert_eq!(line["span"]["method"], "GET");
            assert_eq!(line["span"]["route"], "/v1/licenses/{key}");
            assert_eq!(line["span"]["request_id"], read_id.as_str());
            assert_eq!(line["fields"]["status"], 200);
            assert_eq!(line["fields"]["code"], "-");
            assert!(line["fields"]["latency_us"].is_u64());
            let line: Value = serde_json::from_str(failed_line).unwrap();
            assert_eq!(line["fields"]["status"], 500);
            assert_eq!(line["fields"]["code"], ApiError::InternalError.code());
            let cause: Value = serde_json::from_str(cause).unwrap();
            assert_eq!(cause["level"], "ERROR");
            assert_eq!(cause["span"]["request_id"], failed_id.as_str());
        } else {
            for part in [
                "INFO",
                "method=GET",
                "route=\"/v1/licenses/{key}\"",
                "status=200",
                "latency_us=",
            ] {
                assert!(read_line.contains(part), "{part} in {read_line}");
            }
            let code = format!("code=\"{}\"", ApiError::InternalError.code());
            assert!(
                failed_line.contains("status=500") && failed_line.contains(&code),
                "{failed_line}"
            );
            assert!(cause.contains("ERROR"), "{cause}");
        }
    }
}

/// A GET with an API key on `client` (one client per test: its connections are reused).
async fn get_as(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    api_key: &str,
) -> reqwest::Response {
    client
        .get(format!("{base}{path}"))
        .bearer_auth(api_key)
        .send()
        .await
        .unwrap()
}

/// A JSON POST on `client` (one client per test: its connections are reused).
async fn post_to(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    body: &Value,
) -> reqwest::Response {
    client
        .post(format!("{base}{path}"))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// A log filter that is set but unusable stops the binary with a usage error that names
/// the variable, rather than logging with another filter.
#[test]
fn an_unusable_log_filter_is_a_usage_error() {
    for var in ["KEYWARD_LOG", "RUST_LOG"] {
        let output = Command::new(BIN)
            .args(["admin", "list-accounts"])
            .env_remove("KEYWARD_LOG")
            .env(var, "keyward_server=loud")
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(var), "{stderr}");
    }
}
