//! The real binary: the admin CLI (output and exit codes) and state surviving `kill -9`.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use keyward_protocol::{CheckedResponse, SessionToken, check_response, derive_key};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_keyward-server");

fn admin(db: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(BIN)
        .arg("admin")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(db: &Path, port: u16) -> Child {
    #[allow(clippy::zombie_processes)] // waited for by the test after kill()
    let child = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--db"])
        .arg(db)
        .env_remove("KEYWARD_SERVER_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
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

    assert_eq!(admin(&db, &["create-account", "acme"]).0, 0);
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
    let mut server = start(&db, port).await;
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

    let mut server = start(&db, port).await;
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
