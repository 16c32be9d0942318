//! Two real `keyward-server serve` processes on one PostgreSQL database (a fresh database
//! of the throwaway cluster for each test, each instance on its own loopback port): the
//! guarantees of a cluster (issue 14) with N = 2. Requests are split over both instances;
//! what they did is read back through the Developer API.
//!
//! The bound for a change reaching heartbeats on the other instance is **zero**: an
//! instance on PostgreSQL keeps no session cache, so the first heartbeat sent after the
//! change's answer sees it.
//!
//! Where the machine has no PostgreSQL binaries every test is reported *ignored* with the
//! reason (`postgres_harness`).

mod common;
mod postgres_harness;

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::nonce;
use keyward_errors::{ApiError, HeartbeatError, RATE_LIMIT, ValidateError};
use keyward_protocol::{CheckedResponse, SessionToken, check_response, derive_key};
use keyward_server::store::Database;
use keyward_server::{Admin, TestDatabase, TestPostgres};
use libtest_mimic::Failed;
use postgres_harness::{Test, block_on};
use reqwest::{Client, Method, StatusCode};
use rustix::process::{Pid, Signal, kill_process};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BIN: &str = env!("CARGO_BIN_EXE_keyward-server");

const TESTS: &[(&str, Test)] = &[
    (
        "concurrent_validates_on_both_never_overbind_nor_miscount",
        concurrent_validates_on_both_never_overbind_nor_miscount,
    ),
    (
        "license_creation_through_both_charges_exactly",
        license_creation_through_both_charges_exactly,
    ),
    (
        "heartbeats_alternating_instances_are_billed_exactly",
        heartbeats_alternating_instances_are_billed_exactly,
    ),
    (
        "a_change_through_one_instance_reaches_the_next_heartbeat_on_the_other",
        a_change_through_one_instance_reaches_the_next_heartbeat_on_the_other,
    ),
    (
        "kill_9_of_one_instance_under_load_loses_nothing_answered",
        kill_9_of_one_instance_under_load_loses_nothing_answered,
    ),
    (
        "graceful_stop_of_one_instance_under_load_answers_every_accepted_request",
        graceful_stop_of_one_instance_under_load_answers_every_accepted_request,
    ),
    (
        "developer_api_rate_limit_holds_across_the_cluster",
        developer_api_rate_limit_holds_across_the_cluster,
    ),
];

/// Reported ignored with the reason until the work they need is merged.
const LEFT_OUT: &[(&str, Test, &str)] = &[];

fn main() {
    // One at a time: each test runs two servers (and some a load) on the shared cores;
    // two at once would mostly test how the machine copes with being overloaded.
    postgres_harness::run(TESTS, LEFT_OUT, Some(1));
}

/// Connections of each instance to PostgreSQL: two tests at once run four instances.
const DB_CONNECTIONS: &str = "8";
/// Upper bound for any one request, a start or a stop: a hang fails, never blocks.
const PATIENCE: Duration = Duration::from_secs(30);
/// Start attempts, each on a newly picked port (another process may take a free port
/// between the pick and the server's bind).
const START_ATTEMPTS: usize = 3;

fn free_port() -> Result<u16, Failed> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

fn unix_now() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

/// One `keyward-server serve` process; killed (SIGKILL) when dropped if still running.
struct Instance {
    name: &'static str,
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Instance {
    /// Starts `serve` on `db_url` on a free port and waits until `/health` answers. The
    /// auth endpoints' per-IP limit is off: every request of the tests comes from
    /// 127.0.0.1.
    async fn start(name: &'static str, db_url: &str, logs: &Path) -> Result<Self, Failed> {
        let log = logs.join(format!("{name}.log"));
        let http = Client::builder().timeout(PATIENCE).build()?;
        for _ in 0..START_ATTEMPTS {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
            let mut child = Command::new(BIN)
                .args(["serve", "--listen", &addr.to_string(), "--db", db_url])
                .args(["--db-connections", DB_CONNECTIONS, "--auth-burst", "0"])
                .env_remove("KEYWARD_SERVER_SECRET")
                .env_remove("KEYWARD_DB")
                .env("KEYWARD_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log)?)
                .spawn()?;
            let deadline = Instant::now() + PATIENCE;
            loop {
                if let Some(status) = child.try_wait()? {
                    // Most likely the port was taken meanwhile: another attempt.
                    eprintln!("{name} exited at start ({status}): {}", tail(&log));
                    break;
                }
                let health = http.get(format!("http://{addr}/health")).send().await;
                if health.is_ok_and(|answer| answer.status() == StatusCode::OK) {
                    return Ok(Self {
                        name,
                        child,
                        addr,
                        log,
                    });
                }
                if Instant::now() >= deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("{name} did not start: {}", tail(&log)).into());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Err(format!("{name} exited at start {START_ATTEMPTS} times").into())
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn signal(&self, signal: Signal) -> Result<(), Failed> {
        let pid = Pid::from_raw(i32::try_from(self.child.id())?).ok_or("no process id")?;
        kill_process(pid, signal)?;
        Ok(())
    }

    /// Waits (at most [`PATIENCE`]) for the process to end.
    async fn exited(&mut self) -> Result<ExitStatus, Failed> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                return Err(format!("{} did not exit: {}", self.name, tail(&self.log)).into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last lines of a log, for a failure's message.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// An app as created through the Developer API.
#[derive(Debug, Clone)]
struct App {
    id: String,
    secret: String,
}

/// Two instances on a fresh database, an account with credits and an API key.
struct Cluster {
    a: Instance,
    b: Instance,
    url: String,
    account: String,
    api_key: String,
    http: Client,
    _db: TestDatabase,
    _logs: TempDir,
}

/// Numbers the accounts (names are unique per database only, but distinct names make
/// failures easier to read).
static NEXT_ACCOUNT: AtomicU64 = AtomicU64::new(1);

impl Cluster {
    /// A fresh database seeded through `Admin` with an account holding `credits` and an
    /// API key, served by two instances started at once (both migrate and agree on the
    /// server secret).
    async fn start(postgres: &TestPostgres, credits: i64) -> Result<Self, Failed> {
        let db = postgres.database().await?;
        let logs = tempfile::tempdir()?;
        let url = db.url().to_owned();
        let account = format!("cluster-{}", NEXT_ACCOUNT.fetch_add(1, Ordering::Relaxed));
        let api_key = {
            let admin = Admin::open(&Database::parse(&url)).await?;
            admin.create_account(&account).await?;
            if credits > 0 {
                admin.add_credits(&account, credits).await?;
            }
            admin.issue_api_key(&account).await?.key
        };
        let (a, b) = tokio::join!(
            Instance::start("a", &url, logs.path()),
            Instance::start("b", &url, logs.path())
        );
        Ok(Self {
            a: a?,
            b: b?,
            url,
            account,
            api_key,
            http: Client::builder().timeout(PATIENCE).build()?,
            _db: db,
            _logs: logs,
        })
    }

    /// The instances' last log lines, for a failure's message.
    fn logs(&self) -> String {
        format!(
            "A's log:\n{}\nB's log:\n{}",
            tail(&self.a.log),
            tail(&self.b.log)
        )
    }

    /// The instances, A first.
    fn both(&self) -> [&Instance; 2] {
        [&self.a, &self.b]
    }

    /// A Developer API call through `via` that must answer `expected`; the body.
    async fn api(
        &self,
        via: &Instance,
        method: Method,
        path: &str,
        body: Option<Value>,
        expected: StatusCode,
    ) -> Result<Value, Failed> {
        let mut request = self
            .http
            .request(method.clone(), via.url(path))
            .bearer_auth(&self.api_key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await?;
        let status = answer.status();
        let text = answer.text().await?;
        if status != expected {
            return Err(format!(
                "{method} {path} through {}: {status} {text} (expected {expected}); log: {}",
                via.name,
                tail(&via.log)
            )
            .into());
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    async fn credits(&self, via: &Instance) -> Result<i64, Failed> {
        let account = self
            .api(via, Method::GET, "/v1/account", None, StatusCode::OK)
            .await?;
        account["credits"]
            .as_i64()
            .ok_or_else(|| format!("no credits in {account}").into())
    }

    async fn create_app(&self, name: &str, hwid_slots: u8) -> Result<App, Failed> {
        let body = json!({"name": name, "hwidSlots": hwid_slots});
        let app = self
            .api(
                &self.a,
                Method::POST,
                "/v1/apps",
                Some(body),
                StatusCode::CREATED,
            )
            .await?;
        Ok(App {
            id: text_field(&app, "appId")?,
            secret: text_field(&app, "appSecret")?,
        })
    }

    /// `count` licenses of `app` (created through B), with `fields` added to the body.
    async fn create_licenses(
        &self,
        app: &App,
        count: usize,
        fields: Value,
    ) -> Result<Vec<String>, Failed> {
        let mut body = json!({"count": count});
        if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
            body.extend(fields.clone());
        }
        let path = format!("/v1/apps/{}/licenses", app.id);
        let created = self
            .api(
                &self.b,
                Method::POST,
                &path,
                Some(body),
                StatusCode::CREATED,
            )
            .await?;
        license_keys(&created)
    }

    /// The app's licenses by key (at most 200, one page).
    async fn licenses(&self, via: &Instance, app: &App) -> Result<HashMap<String, Value>, Failed> {
        let path = format!("/v1/apps/{}/licenses?limit=200", app.id);
        let page = self
            .api(via, Method::GET, &path, None, StatusCode::OK)
            .await?;
        let licenses = page["licenses"].as_array().ok_or("no licenses")?;
        licenses
            .iter()
            .map(|license| Ok((text_field(license, "key")?, license.clone())))
            .collect()
    }

    /// `keyward-server admin --db URL <args>` (another process, as an operator runs it).
    fn admin_cli(&self, args: &[&str]) -> Result<(), Failed> {
        let output = Command::new(BIN)
            .args(["admin", "--db", &self.url])
            .args(args)
            .env_remove("KEYWARD_DB")
            .output()?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "admin {args:?}: {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
            .into())
        }
    }
}

fn text_field(value: &Value, name: &str) -> Result<String, Failed> {
    value[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no {name} in {value}").into())
}

fn license_keys(created: &Value) -> Result<Vec<String>, Failed> {
    created["licenses"]
        .as_array()
        .ok_or("no licenses")?
        .iter()
        .map(|license| text_field(license, "key"))
        .collect()
}

fn hwids(license: &Value) -> BTreeSet<String> {
    license["hwids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|hwid| hwid.as_str().map(str::to_owned))
        .collect()
}

/// An auth endpoint's answer, its signature checked.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    /// A verified success and the session token it carries.
    Success(String),
    /// A failure's code.
    Failed(String),
}

impl Answer {
    fn failed(code: &str) -> Self {
        Self::Failed(code.to_owned())
    }

    fn token(&self) -> Result<&str, Failed> {
        match self {
            Self::Success(token) => Ok(token),
            Self::Failed(code) => Err(format!("expected a success, got {code}").into()),
        }
    }
}

/// Why an auth request has no [`Answer`]: no connection, or the connection ended
/// without a whole answer. An answer that does not check out is a test failure instead.
type Unanswered = reqwest::Error;

async fn auth(
    http: &Client,
    url: String,
    body: Value,
    nonce: &str,
    key: &[u8; 32],
) -> Result<Result<Answer, Unanswered>, Failed> {
    let answer = match http.post(url).json(&body).send().await {
        Ok(answer) => answer,
        Err(unanswered) => return Ok(Err(unanswered)),
    };
    let status = answer.status().as_u16();
    let bytes = match answer.bytes().await {
        Ok(bytes) => bytes,
        Err(unanswered) => return Ok(Err(unanswered)),
    };
    let checked = check_response(&bytes, status, nonce, key)
        .and_then(CheckedResponse::parse)
        .map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&bytes)))?;
    Ok(Ok(match checked {
        CheckedResponse::Success(session) => Answer::Success(session.payload.session_token),
        CheckedResponse::Failed { error, .. } => Answer::Failed(error),
    }))
}

async fn validate(
    http: &Client,
    via: &str,
    app: &App,
    license: &str,
    hwid: &str,
) -> Result<Result<Answer, Unanswered>, Failed> {
    let nonce = nonce();
    let body = json!({"appId": app.id, "appSecret": app.secret, "licenseKey": license,
        "hwid": hwid, "nonce": nonce});
    let key = derive_key(app.secret.as_bytes(), &nonce);
    auth(http, format!("{via}/auth/validate"), body, &nonce, &key).await
}

async fn heartbeat(
    http: &Client,
    via: &str,
    app: &App,
    token: &str,
    hwid: &str,
) -> Result<Result<Answer, Unanswered>, Failed> {
    let nonce = nonce();
    let body = heartbeat_body(app, token, hwid, &nonce);
    let key = SessionToken::heartbeat_key(token, &nonce)?;
    auth(http, format!("{via}/auth/heartbeat"), body, &nonce, &key).await
}

fn heartbeat_body(app: &App, token: &str, hwid: &str, nonce: &str) -> Value {
    json!({"appId": app.id, "sessionToken": token, "hwid": hwid, "nonce": nonce})
}

/// A validate or heartbeat that must be answered.
async fn answered(
    request: impl Future<Output = Result<Result<Answer, Unanswered>, Failed>>,
) -> Result<Answer, Failed> {
    Ok(request.await??)
}

/// Validates of distinct HWIDs, all at once and split over both instances: a hot license
/// with 3 slots and 16 HWIDs, and 8 licenses with 5 HWIDs each. Exactly the slots are
/// bound (the HWIDs listed are those answered success), every other validate answers
/// `hwid_mismatch`, and the account is charged exactly one credit per success; then every
/// bound HWID validates again through the other instance, charged once each.
fn concurrent_validates_on_both_never_overbind_nor_miscount(
    postgres: TestPostgres,
) -> Result<(), Failed> {
    const SLOTS: u8 = 3;
    block_on(async {
        let cluster = Cluster::start(&postgres, 10_000).await?;
        let app = cluster.create_app("slots", SLOTS).await?;
        let licenses = cluster.create_licenses(&app, 9, json!({})).await?;
        let mut requests = Vec::new();
        for (index, license) in licenses.iter().enumerate() {
            let devices = if index == 0 { 16 } else { 5 };
            for device in 0..devices {
                requests.push((license.clone(), format!("device-{index}-{device}")));
            }
        }
        let before = cluster.credits(&cluster.a).await?;
        let answers = all_at_once(&cluster, &app, &requests, 0).await?;
        let mut bound: HashMap<&str, BTreeSet<String>> = HashMap::new();
        for ((license, hwid), answer) in requests.iter().zip(&answers) {
            match answer {
                Answer::Success(_) => {
                    bound.entry(license).or_default().insert(hwid.clone());
                }
                other => assert_eq!(
                    other,
                    &Answer::failed(ValidateError::HwidMismatch.code()),
                    "{hwid}; {}",
                    cluster.logs()
                ),
            }
        }
        let listed = cluster.licenses(&cluster.b, &app).await?;
        for license in &licenses {
            let answered = bound.get(license.as_str()).cloned().unwrap_or_default();
            assert_eq!(
                answered.len(),
                usize::from(SLOTS),
                "{license}: {answered:?}"
            );
            assert_eq!(hwids(&listed[license]), answered, "{license}");
        }
        let successes = i64::try_from(bound.values().map(BTreeSet::len).sum::<usize>())?;
        let after = cluster.credits(&cluster.b).await?;
        assert_eq!(before - after, successes, "one credit per success");

        let again: Vec<(String, String)> = bound
            .iter()
            .flat_map(|(license, hwids)| hwids.iter().map(|h| ((*license).to_owned(), h.clone())))
            .collect();
        let answers = all_at_once(&cluster, &app, &again, 1).await?;
        let failed: Vec<&Answer> = answers
            .iter()
            .filter(|a| !matches!(a, Answer::Success(_)))
            .collect();
        assert!(failed.is_empty(), "{failed:?}; {}", cluster.logs());
        let last = cluster.credits(&cluster.a).await?;
        assert_eq!(after - last, successes, "one credit per repeated success");
        Ok(())
    })
}

/// Validates every `(license, hwid)` at once, the `i`th through instance `(i + shift) % 2`.
async fn all_at_once(
    cluster: &Cluster,
    app: &App,
    requests: &[(String, String)],
    shift: usize,
) -> Result<Vec<Answer>, Failed> {
    let nodes = cluster.both().map(|node| node.url(""));
    let tasks: Vec<_> = requests
        .iter()
        .enumerate()
        .map(|(i, (license, hwid))| {
            let (http, app, license, hwid) = (
                cluster.http.clone(),
                app.clone(),
                license.clone(),
                hwid.clone(),
            );
            let via = nodes[(i + shift) % 2].clone();
            tokio::spawn(
                async move { answered(validate(&http, &via, &app, &license, &hwid)).await },
            )
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await??);
    }
    Ok(answers)
}

/// Twenty creations of 5 licenses, at once and split over both instances, on an account
/// that can pay for ten: exactly ten are created (201), the others answer `no_credits`
/// (402), the account ends at zero and the app lists exactly the 50 licenses answered.
fn license_creation_through_both_charges_exactly(postgres: TestPostgres) -> Result<(), Failed> {
    const EACH: usize = 5;
    const AFFORDABLE: usize = 10;
    block_on(async {
        let credits = i64::try_from(EACH * AFFORDABLE)?;
        let cluster = Cluster::start(&postgres, credits).await?;
        let app = cluster.create_app("creation", 1).await?;
        let path = format!("/v1/apps/{}/licenses", app.id);
        let tasks: Vec<_> = (0..2 * AFFORDABLE)
            .map(|i| {
                let request = cluster
                    .http
                    .post(cluster.both()[i % 2].url(&path))
                    .bearer_auth(&cluster.api_key)
                    .json(&json!({"count": EACH}))
                    .send();
                tokio::spawn(async move {
                    let answer = request.await?;
                    let status = answer.status();
                    let body: Value = answer.json().await?;
                    Ok::<_, reqwest::Error>((status, body))
                })
            })
            .collect();
        let mut created = BTreeSet::new();
        let mut refused = 0;
        for task in tasks {
            let (status, body) = task.await??;
            if status == StatusCode::CREATED {
                created.extend(license_keys(&body)?);
            } else {
                assert_eq!(status.as_u16(), ApiError::NoCredits.http_status(), "{body}");
                assert_eq!(body["error"], ApiError::NoCredits.code(), "{body}");
                refused += 1;
            }
        }
        assert_eq!(created.len(), EACH * AFFORDABLE);
        assert_eq!(refused, AFFORDABLE);
        assert_eq!(cluster.credits(&cluster.a).await?, 0);
        let listed: BTreeSet<String> = cluster
            .licenses(&cluster.b, &app)
            .await?
            .into_keys()
            .collect();
        assert_eq!(listed, created);
        Ok(())
    })
}

/// One license's heartbeats alternating between the instances, first one after the
/// other (25), then from 8 devices' worth of tasks at once (40 more): the license counts
/// 65 beats and the account pays one credit per 10 of them across both (6), beside the
/// validate's.
fn heartbeats_alternating_instances_are_billed_exactly(
    postgres: TestPostgres,
) -> Result<(), Failed> {
    const SEQUENTIAL: usize = 25;
    const TASKS: usize = 8;
    const EACH: usize = 5;
    block_on(async {
        let cluster = Cluster::start(&postgres, 1_000).await?;
        let app = cluster.create_app("beats", 1).await?;
        let license = cluster.create_licenses(&app, 1, json!({})).await?.remove(0);
        let before = cluster.credits(&cluster.a).await?;
        let nodes = cluster.both().map(|node| node.url(""));
        let http = &cluster.http;
        let mut token = answered(validate(http, &nodes[0], &app, &license, "hw"))
            .await?
            .token()?
            .to_owned();
        for beat in 0..SEQUENTIAL {
            let answer =
                answered(heartbeat(http, &nodes[(beat + 1) % 2], &app, &token, "hw")).await?;
            token = answer.token()?.to_owned();
        }
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                let (http, app, nodes, mut token) =
                    (http.clone(), app.clone(), nodes.clone(), token.clone());
                tokio::spawn(async move {
                    for beat in 0..EACH {
                        let via = &nodes[(task + beat) % 2];
                        let answer = answered(heartbeat(&http, via, &app, &token, "hw")).await?;
                        token = answer.token()?.to_owned();
                    }
                    Ok::<_, Failed>(())
                })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        let beats = SEQUENTIAL + TASKS * EACH;
        let listed = cluster.licenses(&cluster.b, &app).await?;
        assert_eq!(listed[&license]["heartbeats"], json!(beats));
        let charged = before - cluster.credits(&cluster.b).await?;
        assert_eq!(
            charged,
            1 + i64::try_from(beats / 10)?,
            "the validate and every 10th beat"
        );
        Ok(())
    })
}

/// A session opened and beating on B; then a change through A (a revoke, an HWID reset,
/// an extension of an expired license, an app's deactivation and reactivation) or through
/// the admin CLI (a suspension and its reinstatement): the very next heartbeat on B,
/// sent after the change's answer, sees it.
fn a_change_through_one_instance_reaches_the_next_heartbeat_on_the_other(
    postgres: TestPostgres,
) -> Result<(), Failed> {
    block_on(async {
        let cluster = Cluster::start(&postgres, 1_000).await?;
        let (a, b) = (&cluster.a, &cluster.b);
        let app = cluster.create_app("changes", 1).await?;
        let keys = cluster.create_licenses(&app, 2, json!({})).await?;
        let mut revoked = Session::open(&cluster, &app, &keys[0]).await?;
        let path = format!("/v1/licenses/{}/revoke", revoked.license);
        cluster
            .api(a, Method::POST, &path, None, StatusCode::OK)
            .await?;
        revoked.expect(HeartbeatError::Revoked.code()).await?;

        let mut reset = Session::open(&cluster, &app, &keys[1]).await?;
        let path = format!("/v1/licenses/{}/reset-hwids", reset.license);
        cluster
            .api(a, Method::POST, &path, None, StatusCode::OK)
            .await?;
        reset.expect(HeartbeatError::SessionExpired.code()).await?;

        // Expires in 5 s: validated now, beaten on B until it answers `expired`, then
        // extended through A.
        let expiring = cluster
            .create_licenses(&app, 1, json!({"expiresAt": unix_now() + 5}))
            .await?
            .remove(0);
        let mut extended = Session::open(&cluster, &app, &expiring).await?;
        let deadline = Instant::now() + PATIENCE;
        while extended.beat().await? != Answer::failed(HeartbeatError::Expired.code()) {
            assert!(Instant::now() < deadline, "the license never expired");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let path = format!("/v1/licenses/{}/extend", extended.license);
        let body = Some(json!({"days": 1}));
        cluster
            .api(a, Method::POST, &path, body, StatusCode::OK)
            .await?;
        extended.expect_success().await?;

        let other = cluster.create_app("deactivated", 1).await?;
        let license = cluster
            .create_licenses(&other, 1, json!({}))
            .await?
            .remove(0);
        let mut deactivated = Session::open(&cluster, &other, &license).await?;
        let path = format!("/v1/apps/{}", other.id);
        let patch = |active: bool| Some(json!({"active": active}));
        cluster
            .api(a, Method::PATCH, &path, patch(false), StatusCode::OK)
            .await?;
        deactivated
            .expect(HeartbeatError::SessionExpired.code())
            .await?;
        let refused = answered(validate(&cluster.http, &b.url(""), &other, &license, "hw")).await?;
        assert_eq!(refused, Answer::failed(ValidateError::InvalidApp.code()));
        cluster
            .api(a, Method::PATCH, &path, patch(true), StatusCode::OK)
            .await?;
        deactivated.expect_success().await?;

        cluster.admin_cli(&["suspend", &cluster.account])?;
        deactivated
            .expect(HeartbeatError::AppDisabled.code())
            .await?;
        cluster.admin_cli(&["reinstate", &cluster.account])?;
        deactivated.expect_success().await?;
        Ok(())
    })
}

/// A session of one license on instance B.
struct Session<'c> {
    cluster: &'c Cluster,
    app: App,
    license: String,
    token: String,
}

impl<'c> Session<'c> {
    const HWID: &'static str = "session-device";

    /// Validates through B and beats once there (a success).
    async fn open(cluster: &'c Cluster, app: &App, license: &str) -> Result<Self, Failed> {
        let via = cluster.b.url("");
        let answer = answered(validate(&cluster.http, &via, app, license, Self::HWID)).await?;
        let mut session = Self {
            cluster,
            app: app.clone(),
            license: license.to_owned(),
            token: answer.token()?.to_owned(),
        };
        session.expect_success().await?;
        Ok(session)
    }

    /// One heartbeat on B; a success's new token is kept.
    async fn beat(&mut self) -> Result<Answer, Failed> {
        let via = self.cluster.b.url("");
        let answer = answered(heartbeat(
            &self.cluster.http,
            &via,
            &self.app,
            &self.token,
            Self::HWID,
        ))
        .await?;
        if let Answer::Success(token) = &answer {
            self.token.clone_from(token);
        }
        Ok(answer)
    }

    async fn expect(&mut self, code: &str) -> Result<(), Failed> {
        let answer = self.beat().await?;
        assert_eq!(answer, Answer::failed(code), "{}", self.license);
        Ok(())
    }

    async fn expect_success(&mut self) -> Result<(), Failed> {
        let answer = self.beat().await?;
        answer.token()?;
        Ok(())
    }
}

/// Three bursts' worth of Developer API requests with one key, all at once and split
/// over both instances: the cluster admits the burst and at most what the sustained rate
/// refills while they run (two instances each limiting on their own would admit two
/// bursts and twice the refill), and refuses the rest with `rate_limited`.
fn developer_api_rate_limit_holds_across_the_cluster(postgres: TestPostgres) -> Result<(), Failed> {
    block_on(async {
        let cluster = Cluster::start(&postgres, 0).await?;
        let sent = 3 * RATE_LIMIT.burst_per_second;
        let started = Instant::now();
        let tasks: Vec<_> = (0..sent)
            .map(|i| {
                let via = cluster.both()[usize::try_from(i % 2).unwrap_or(0)];
                let request = cluster
                    .http
                    .get(via.url("/v1/account"))
                    .bearer_auth(&cluster.api_key)
                    .send();
                tokio::spawn(async move { request.await.map(|answer| answer.status()) })
            })
            .collect();
        let (mut admitted, mut refused) = (0_u32, 0_u32);
        for task in tasks {
            match task.await?? {
                StatusCode::OK => admitted += 1,
                status if status.as_u16() == ApiError::RateLimited.http_status() => refused += 1,
                status => return Err(format!("unexpected {status}").into()),
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        // The burst and every token refilled meanwhile, one more for rounding.
        let most = f64::from(RATE_LIMIT.burst_per_second)
            + f64::from(RATE_LIMIT.sustained_per_second) * elapsed
            + 1.0;
        assert!(
            admitted >= RATE_LIMIT.burst_per_second && f64::from(admitted) <= most,
            "{admitted} admitted in {elapsed:.2} s: expected from {} to {most:.1}",
            RATE_LIMIT.burst_per_second
        );
        assert!(refused > 0, "never limited");
        Ok(())
    })
}

/// What one request of a [`Load`] was and got.
#[derive(Debug)]
struct Record {
    /// 0: A, 1: B.
    node: usize,
    /// Sent after the disruption of A was complete (A killed, or exited).
    after: bool,
    license: usize,
    /// `Some(hwid)`: a validate binding a new HWID; `None`: a heartbeat.
    validated: Option<String>,
    answer: Result<Answer, String>,
}

/// Validates of new HWIDs and heartbeats of established sessions, from several tasks,
/// alternating between the instances until stopped.
struct Load {
    app: App,
    licenses: Vec<String>,
    tokens: Vec<String>,
    nodes: [String; 2],
    /// The account's credits once the licenses were created, before any validate.
    credits_before: i64,
    stop: AtomicBool,
    disrupted: AtomicBool,
    records: Mutex<Vec<Record>>,
}

const LOAD_TASKS: usize = 8;
const LOAD_LICENSES: usize = 24;
/// Successes B must answer after the disruption before the load stops.
const LOAD_AFTER: usize = 10;
/// The licenses with a session, beaten by the load: few, so that each counts many beats.
const BEATING: usize = 4;

impl Load {
    fn beat_hwid(license: usize) -> String {
        format!("beating-{license}")
    }

    /// An app with 16 slots, [`LOAD_LICENSES`] licenses each with a session.
    async fn prepare(cluster: &Cluster) -> Result<Arc<Self>, Failed> {
        let app = cluster.create_app("load", 16).await?;
        let licenses = cluster
            .create_licenses(&app, LOAD_LICENSES, json!({}))
            .await?;
        let credits_before = cluster.credits(&cluster.a).await?;
        let nodes = cluster.both().map(|node| node.url(""));
        let mut tokens = Vec::new();
        for (i, license) in licenses.iter().take(BEATING).enumerate() {
            let via = &nodes[i % 2];
            let hwid = Self::beat_hwid(i);
            let answer = answered(validate(&cluster.http, via, &app, license, &hwid)).await?;
            tokens.push(answer.token()?.to_owned());
        }
        Ok(Arc::new(Self {
            app,
            licenses,
            tokens,
            nodes,
            credits_before,
            stop: AtomicBool::new(false),
            disrupted: AtomicBool::new(false),
            records: Mutex::new(Vec::new()),
        }))
    }

    async fn task(self: Arc<Self>, task: usize, http: Client) -> Result<(), Failed> {
        let mut n = 0;
        while !self.stop.load(Ordering::SeqCst) {
            let after = self.disrupted.load(Ordering::SeqCst);
            let node = (task + n) % 2;
            let via = &self.nodes[node];
            let (license, validated, answer) = if n % 2 == 0 {
                let license = (task * 7 + n) % self.licenses.len();
                let hwid = format!("load-{task}-{n}");
                let answer =
                    validate(&http, via, &self.app, &self.licenses[license], &hwid).await?;
                (license, Some(hwid), answer)
            } else {
                let license = (task + n) % BEATING;
                let hwid = Self::beat_hwid(license);
                let token = &self.tokens[license];
                let answer = heartbeat(&http, via, &self.app, token, &hwid).await?;
                (license, None, answer)
            };
            self.records
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Record {
                    node,
                    after,
                    license,
                    validated,
                    answer: answer.map_err(|e| e.to_string()),
                });
            n += 1;
        }
        Ok(())
    }

    /// Successes of B on requests sent after the disruption.
    fn b_successes_after(&self) -> usize {
        let records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        records
            .iter()
            .filter(|r| r.node == 1 && r.after && matches!(r.answer, Ok(Answer::Success(_))))
            .count()
    }

    /// Runs the load for a second, then `disrupt` (of A), then a second more and until B
    /// answered [`LOAD_AFTER`] successes sent since; the records.
    async fn around(
        self: &Arc<Self>,
        http: &Client,
        disrupt: impl Future<Output = Result<(), Failed>>,
    ) -> Result<Vec<Record>, Failed> {
        let tasks: Vec<_> = (0..LOAD_TASKS)
            .map(|task| tokio::spawn(Arc::clone(self).task(task, http.clone())))
            .collect();
        tokio::time::sleep(Duration::from_secs(1)).await;
        disrupt.await?;
        self.disrupted.store(true, Ordering::SeqCst);
        // A second more, and until B answered some requests sent since (a busy machine
        // may take longer); the check says so if B never does.
        let (least, deadline) = (
            Instant::now() + Duration::from_secs(1),
            Instant::now() + PATIENCE,
        );
        while Instant::now() < least
            || (Instant::now() < deadline && self.b_successes_after() < LOAD_AFTER)
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.stop.store(true, Ordering::SeqCst);
        for task in tasks {
            task.await??;
        }
        Ok(std::mem::take(
            &mut self.records.lock().unwrap_or_else(PoisonError::into_inner),
        ))
    }

    /// Checks the records against what B lists afterwards: every answer was a success (or
    /// `hwid_mismatch` for a license whose slots are full); B answered every request and
    /// kept answering after the disruption, A answered none sent after it; every HWID answered bound is listed, every
    /// license counts at least the beats answered; and the credits charged are exactly one
    /// per bound HWID plus one per 10 counted beats, so at least one per answered success.
    async fn check(&self, cluster: &Cluster, records: &[Record]) -> Result<(), Failed> {
        let mismatch = Answer::failed(ValidateError::HwidMismatch.code());
        let mut bound: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); self.licenses.len()];
        let mut beats = vec![0_i64; self.licenses.len()];
        let mut b_after = 0;
        for record in records {
            let answer = match (&record.answer, record.node) {
                (Ok(answer), 0) if record.after => {
                    return Err(format!("A answered after it was gone: {answer:?}").into());
                }
                (Ok(answer), _) => answer,
                (Err(_), 0) => continue, // A's, from its disruption
                (Err(error), _) => {
                    return Err(format!("B did not answer: {error}; {}", cluster.logs()).into());
                }
            };
            match (answer, &record.validated) {
                (Answer::Success(_), Some(hwid)) => {
                    bound[record.license].insert(hwid);
                }
                (Answer::Success(_), None) => beats[record.license] += 1,
                (failed, Some(_)) if *failed == mismatch => {}
                (failed, _) => {
                    return Err(format!("{record:?}: {failed:?}; {}", cluster.logs()).into());
                }
            }
            if record.node == 1 && record.after && matches!(answer, Answer::Success(_)) {
                b_after += 1;
            }
        }
        assert!(b_after > 0, "B answered no success after the disruption");
        eprintln!(
            "{} requests: {} validates bound, {} beats answered, {} unanswered (A), {b_after} successes on B after the disruption",
            records.len(),
            bound.iter().map(BTreeSet::len).sum::<usize>(),
            beats.iter().sum::<i64>(),
            records.iter().filter(|r| r.answer.is_err()).count(),
        );

        let listed = cluster.licenses(&cluster.b, &self.app).await?;
        let (mut listed_hwids, mut billed_beats) = (0, 0);
        for (i, key) in self.licenses.iter().enumerate() {
            let license = &listed[key];
            let hwids = hwids(license);
            for hwid in &bound[i] {
                assert!(hwids.contains(*hwid), "{hwid} answered bound, not listed");
            }
            let counted = license["heartbeats"].as_i64().ok_or("no heartbeats")?;
            assert!(
                counted >= beats[i],
                "{key}: {counted} beats, {} answered",
                beats[i]
            );
            listed_hwids += i64::try_from(hwids.len())?;
            billed_beats += counted / 10;
        }
        let charged = self.credits_before - cluster.credits(&cluster.b).await?;
        assert_eq!(
            charged,
            listed_hwids + billed_beats,
            "one credit per bound HWID and per 10 counted beats"
        );
        let answered_successes = bound.iter().map(BTreeSet::len).sum::<usize>();
        let answered_billed: i64 = beats.iter().map(|beats| beats / 10).sum();
        assert!(charged >= i64::try_from(answered_successes)? + answered_billed);
        Ok(())
    }
}

/// Validates and heartbeats through both instances; A gets SIGKILL in the middle. Nothing
/// that was answered success is lost (see [`Load::check`]), and B keeps answering.
fn kill_9_of_one_instance_under_load_loses_nothing_answered(
    postgres: TestPostgres,
) -> Result<(), Failed> {
    block_on(async {
        let mut cluster = Cluster::start(&postgres, 100_000).await?;
        let load = Load::prepare(&cluster).await?;
        let http = Client::builder().timeout(PATIENCE).build()?;
        let records = load
            .around(&http, async {
                cluster.a.signal(Signal::KILL)?;
                cluster.a.exited().await?;
                Ok(())
            })
            .await?;
        load.check(&cluster, &records).await?;
        Ok(())
    })
}

/// Validates and heartbeats through both instances; A gets SIGTERM in the middle, while
/// four heartbeats on connections A accepted (each answered one request before) are
/// sent but for their last byte. A stops accepting, then answers all four once their
/// last byte arrives, and exits with success; nothing answered is lost and B keeps
/// answering (see [`Load::check`]).
fn graceful_stop_of_one_instance_under_load_answers_every_accepted_request(
    postgres: TestPostgres,
) -> Result<(), Failed> {
    const HELD: usize = 4;
    block_on(async {
        let mut cluster = Cluster::start(&postgres, 100_000).await?;
        let load = Load::prepare(&cluster).await?;
        let mut held = Vec::new();
        for i in 0..HELD {
            held.push(HeldBeat::open(&cluster, &load, i).await?);
        }
        let http = Client::builder().timeout(PATIENCE).build()?;
        let a = &mut cluster.a;
        let (addr, a_log) = (a.addr, a.log.clone());
        let mut exit = None;
        let records = load
            .around(&http, async {
                a.signal(Signal::TERM)?;
                let deadline = Instant::now() + PATIENCE;
                while TcpStream::connect(addr).await.is_ok() {
                    assert!(Instant::now() < deadline, "A kept accepting");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                for beat in &mut held {
                    beat.finish().await.map_err(|e| {
                        format!("a held heartbeat: {e:?}; A's log: {}", tail(&a_log))
                    })?;
                }
                exit = Some(a.exited().await?);
                Ok(())
            })
            .await?;
        let exit = exit.ok_or("A was not stopped")?;
        assert!(
            exit.success(),
            "A's graceful stop: {exit}: {}",
            tail(&cluster.a.log)
        );
        load.check(&cluster, &records).await?;
        Ok(())
    })
}

/// A heartbeat on a raw connection to A that A accepted and answered one request on,
/// sent but for its body's last byte.
struct HeldBeat {
    stream: TcpStream,
    last: u8,
    nonce: String,
    token: String,
}

impl HeldBeat {
    async fn open(cluster: &Cluster, load: &Load, i: usize) -> Result<Self, Failed> {
        let mut stream = TcpStream::connect(cluster.a.addr).await?;
        let (token, hwid) = (&load.tokens[i], Load::beat_hwid(i));
        let request = |nonce: &str| {
            let body = heartbeat_body(&load.app, token, &hwid, nonce).to_string();
            let head = format!(
                "POST /auth/heartbeat HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                cluster.a.addr,
                body.len()
            );
            (head + &body).into_bytes()
        };
        stream.write_all(&request(&nonce())).await?;
        let first = read_answer(&mut stream).await?;
        if !first.starts_with(b"HTTP/1.1 200") {
            return Err(format!("first beat: {}", String::from_utf8_lossy(&first)).into());
        }
        let nonce = nonce();
        let mut bytes = request(&nonce);
        let last = bytes.pop().ok_or("empty request")?;
        stream.write_all(&bytes).await?;
        Ok(Self {
            stream,
            last,
            nonce,
            token: token.clone(),
        })
    }

    /// Sends the last byte; the answer must be a verified success.
    async fn finish(&mut self) -> Result<(), Failed> {
        self.stream.write_all(&[self.last]).await?;
        let answer = read_answer(&mut self.stream).await?;
        let text = String::from_utf8_lossy(&answer);
        let (head, body) = text.split_once("\r\n\r\n").ok_or("no head")?;
        assert!(head.starts_with("HTTP/1.1 200"), "{text}");
        let key = SessionToken::heartbeat_key(&self.token, &self.nonce)?;
        let checked = check_response(body.as_bytes(), 200, &self.nonce, &key)?;
        assert!(matches!(checked, CheckedResponse::Success(_)), "{text}");
        Ok(())
    }
}

/// Reads one HTTP/1.1 answer with a `content-length` (all this server sends).
async fn read_answer(stream: &mut TcpStream) -> Result<Vec<u8>, Failed> {
    let mut bytes = Vec::new();
    let mut chunk = [0_u8; 4096];
    let read = async {
        loop {
            if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .ok_or("no content-length")?
                    .trim()
                    .parse()?;
                if bytes.len() >= end + 4 + length {
                    bytes.truncate(end + 4 + length);
                    return Ok::<_, Failed>(());
                }
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err("closed before a whole answer".into());
            }
            bytes.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(PATIENCE, read).await??;
    Ok(bytes)
}
