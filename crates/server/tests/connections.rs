//! Slow, idle and oversized clients over raw loopback sockets: every connection that
//! waits too long is closed within its timeout, oversized requests are answered at once
//! in the route's envelope, and a flood of idle sockets does not lock other clients out.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use keyward_errors::{ApiError, HeartbeatError, ValidateError};
use keyward_server::config::ConnectionConfig;
use keyward_server::{Seed, TestServer};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Longer than any test waits: a timeout that is not under test never fires.
const NEVER: Duration = Duration::from_secs(600);
/// The timeout under test.
const SHORT: Duration = Duration::from_secs(1);
/// Generous upper bound for "closed or answered within SHORT".
const WITHIN: Duration = Duration::from_secs(10);

async fn server(header: Duration, idle: Duration, request: Duration) -> TestServer {
    TestServer::start_with(|config| {
        config.connections = ConnectionConfig {
            header_timeout: header,
            idle_timeout: idle,
            request_timeout: request,
            max_connections: 0,
        };
    })
    .await
    .unwrap()
}

/// An HTTP/1.1 answer read off a raw socket.
#[derive(Debug)]
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        assert!(
            self.header("x-request-id").is_some(),
            "no request id: {self:?}"
        );
        serde_json::from_slice(&self.body).unwrap()
    }

    /// A Developer API `bad_request` with a valid body.
    fn expect_api_bad_request(&self) -> Value {
        assert_eq!(self.status, ApiError::BadRequest.http_status(), "{self:?}");
        let body = self.json();
        assert!(api_schema().is_valid(&body), "{body}");
        assert_eq!(body["error"], ApiError::BadRequest.code());
        body
    }

    /// An auth failure `bad_request` of `/auth/validate` or `/auth/heartbeat`.
    fn expect_auth_bad_request(&self, path: &str) -> Value {
        assert_eq!(self.status, 200, "{self:?}");
        let body = self.json();
        let (schema, code) = if path == "/auth/validate" {
            (validate_schema(), ValidateError::BadRequest.code())
        } else {
            (heartbeat_schema(), HeartbeatError::BadRequest.code())
        };
        assert!(schema.is_valid(&body), "{body}");
        assert_eq!(body["status"], "failed");
        assert_eq!(body["error"], code);
        body
    }
}

/// A raw client socket that reads answers one by one.
struct Raw {
    stream: TcpStream,
    buffered: Vec<u8>,
}

impl Raw {
    async fn connect(server: &TestServer) -> Self {
        Self::connect_to(server.addr()).await
    }

    async fn connect_to(addr: SocketAddr) -> Self {
        Self {
            stream: TcpStream::connect(addr).await.unwrap(),
            buffered: Vec::new(),
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Reads more bytes; `false` at end of stream or on an error.
    async fn fill(&mut self) -> bool {
        let mut chunk = [0_u8; 4096];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buffered.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// The next answer, or `None` when the server closed the connection first.
    async fn response(&mut self) -> Option<RawResponse> {
        let head_end = loop {
            if let Some(at) = self.buffered.windows(4).position(|w| w == b"\r\n\r\n") {
                break at;
            }
            if !self.fill().await {
                return None;
            }
        };
        let head = String::from_utf8(self.buffered[..head_end].to_vec()).unwrap();
        self.buffered.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
            .collect();
        let mut response = RawResponse {
            status,
            headers,
            body: Vec::new(),
        };
        let length: usize = response
            .header("content-length")
            .map_or(0, |value| value.parse().unwrap());
        while self.buffered.len() < length {
            if !self.fill().await {
                return None;
            }
        }
        response.body = self.buffered.drain(..length).collect();
        Some(response)
    }

    /// The next answer within [`WITHIN`].
    async fn answer(&mut self) -> RawResponse {
        timeout(WITHIN, self.response())
            .await
            .expect("no answer in time")
            .expect("closed without an answer")
    }

    /// Asserts that the server closes the connection within [`WITHIN`].
    async fn expect_closed(&mut self, what: &str) {
        assert!(self.closed_within(WITHIN).await, "{what}: kept open");
    }

    /// Whether the server closes the connection within `limit` (answers are skipped).
    async fn closed_within(&mut self, limit: Duration) -> bool {
        timeout(limit, async { while self.fill().await {} })
            .await
            .is_ok()
    }
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes()
}

/// The head of a JSON POST declaring `length` body bytes.
fn post_head(path: &str, length: usize, api_key: Option<&str>) -> Vec<u8> {
    let auth = api_key.map_or_else(String::new, |key| {
        format!("Authorization: Bearer {key}\r\n")
    });
    format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n{auth}Content-Length: {length}\r\n\r\n"
    )
    .into_bytes()
}

/// The routes that read a JSON body, with the API key the Developer API needs.
fn body_routes(seed: &Seed) -> [(&'static str, Option<&str>); 3] {
    [
        ("/v1/apps", Some(seed.api_key.as_str())),
        ("/auth/validate", None),
        ("/auth/heartbeat", None),
    ]
}

fn expect_bad_request(response: &RawResponse, path: &str) -> Value {
    if path.starts_with("/auth/") {
        response.expect_auth_bad_request(path)
    } else {
        response.expect_api_bad_request()
    }
}

#[tokio::test]
async fn a_silent_connection_is_closed_within_the_header_timeout() {
    let server = server(SHORT, NEVER, NEVER).await;
    let mut raw = Raw::connect(&server).await;
    raw.expect_closed("a silent connection").await;
}

#[tokio::test]
async fn a_kept_alive_connection_without_a_next_request_is_closed_within_the_idle_timeout() {
    let server = server(NEVER, SHORT, NEVER).await;
    let mut raw = Raw::connect(&server).await;
    for _ in 0..2 {
        raw.send(&get("/health")).await;
        let response = raw.answer().await;
        assert_eq!(response.status, 200);
        assert_eq!(response.header("connection"), None);
    }
    raw.expect_closed("an idle keep-alive connection").await;
}

#[tokio::test]
async fn headers_trickled_byte_by_byte_are_cut_at_the_header_timeout() {
    let server = server(SHORT, NEVER, NEVER).await;
    let stream = TcpStream::connect(server.addr()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // An endless head, one byte every 100 ms: each byte is progress, none completes it.
    let trickle = tokio::spawn(async move {
        let head = b"GET /health HTTP/1.1\r\nX-Slow: ";
        for byte in head.iter().chain(std::iter::repeat(&b'a')) {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut chunk = [0_u8; 256];
    let closed = timeout(WITHIN, async {
        while matches!(reader.read(&mut chunk).await, Ok(n) if n > 0) {}
    })
    .await;
    trickle.abort();
    assert!(closed.is_ok(), "trickling head kept open");
}

#[tokio::test]
async fn a_kept_alive_connection_trickling_its_next_head_is_cut_at_the_header_timeout() {
    let server = server(SHORT, NEVER, NEVER).await;
    let mut raw = Raw::connect(&server).await;
    raw.send(&get("/health")).await;
    assert_eq!(raw.answer().await.status, 200);
    let started = tokio::time::Instant::now();
    let closed = loop {
        if raw.stream.write_all(b"G").await.is_err() {
            break true;
        }
        if started.elapsed() > WITHIN {
            break false;
        }
        if raw.closed_within(Duration::from_millis(100)).await {
            break true;
        }
    };
    assert!(closed, "trickling next head kept open");
}

/// On every route that reads a body: a POST declaring `declared` bytes and sending only
/// `sent` is answered `bad_request` about its body, says `Connection: close`, and is
/// closed.
async fn expect_partial_body_refused(server: &TestServer, declared: usize, sent: &[u8]) {
    let seed = server.seed().await.unwrap();
    for (path, api_key) in body_routes(&seed) {
        let mut raw = Raw::connect(server).await;
        raw.send(&post_head(path, declared, api_key)).await;
        raw.send(sent).await;
        let response = raw.answer().await;
        let body = expect_bad_request(&response, path);
        assert!(body.to_string().contains("body"), "{path}: {body}");
        assert_eq!(response.header("connection"), Some("close"), "{path}");
        raw.expect_closed(path).await;
    }
}

#[tokio::test]
async fn a_body_that_never_completes_is_answered_within_the_request_timeout() {
    let server = server(NEVER, NEVER, SHORT).await;
    expect_partial_body_refused(&server, 100, b"{\"name\":").await;
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_before_it_is_read() {
    // No timeout can answer: only the declared length can.
    let server = server(NEVER, NEVER, NEVER).await;
    expect_partial_body_refused(&server, 100_000_000, b"{").await;
}

#[tokio::test]
async fn an_oversized_uri_or_header_section_is_answered_in_the_route_envelope() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();
    let big = "a".repeat(40 * 1024);
    for (method, path) in [
        ("GET", "/v1/account"),
        ("POST", "/auth/validate"),
        ("POST", "/auth/heartbeat"),
        ("GET", "/health"),
    ] {
        let mut raw = Raw::connect(&server).await;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\nX-Big: {big}\r\nContent-Length: 0\r\n\r\n",
            seed.api_key
        );
        raw.send(head.as_bytes()).await;
        let body = expect_bad_request(&raw.answer().await, path);
        assert!(body.to_string().contains("headers"), "{path}: {body}");
    }
    // Far past the JSON limit, hyper answers by itself (see docs/server.md).
    let mut raw = Raw::connect(&server).await;
    let huge = "a".repeat(130 * 1024);
    raw.send(format!("GET /health HTTP/1.1\r\nX-Big: {huge}\r\n\r\n").as_bytes())
        .await;
    let bare = raw.answer().await;
    assert_eq!(bare.status, 431);
    assert!(bare.body.is_empty() && bare.header("x-request-id").is_none());
    let mut raw = Raw::connect(&server).await;
    raw.send(&get(&format!("/v1/licenses/{}", "k".repeat(10 * 1024))))
        .await;
    let body = raw.answer().await.expect_api_bad_request();
    assert!(body.to_string().contains("uri"), "{body}");
    // The connection stays usable: the head was read in full.
    raw.send(&get("/health")).await;
    assert_eq!(raw.answer().await.status, 200);
}

/// Sends a `POST /v1/apps` whose body follows its head a moment later (a client whose
/// body is not in the head's packet); returns the answer and whether the same socket then
/// answers a next request.
async fn post_then_reuse(server: &TestServer, api_key: &str) -> (RawResponse, bool) {
    let body = br#"{"name":"reused connection"}"#;
    let mut raw = Raw::connect(server).await;
    raw.send(&post_head("/v1/apps", body.len(), Some(api_key)))
        .await;
    // An answer that does not need the body comes before it.
    let early = timeout(Duration::from_millis(300), raw.response()).await;
    let _ = raw.stream.write_all(body).await;
    let response = match early {
        Ok(answer) => answer.expect("closed without an answer"),
        Err(_) => raw.answer().await,
    };
    let reused = raw.stream.write_all(&get("/health")).await.is_ok()
        && timeout(WITHIN, raw.response())
            .await
            .ok()
            .flatten()
            .is_some_and(|next| next.status == 200);
    (response, reused)
}

/// An answer given before the body was read either leaves the connection usable or says
/// `Connection: close`; a client that reuses the connection never fails.
fn assert_closing_is_announced(response: &RawResponse, reused: bool) {
    assert!(
        reused || response.header("connection") == Some("close"),
        "{} answered, then the connection failed without Connection: close",
        response.status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_before_the_body_is_read_announces_the_close() {
    let server = TestServer::start().await.unwrap();
    let seed = server.seed().await.unwrap();

    let (created, reused) = post_then_reuse(&server, &seed.api_key).await;
    assert_eq!(created.status, 201, "{created:?}");
    assert!(reused, "a connection whose body was read stays usable");
    assert_eq!(created.header("connection"), None);

    let unknown_key = format!("kw_{}", "0".repeat(48));
    let (refused, reused) = post_then_reuse(&server, &unknown_key).await;
    assert_eq!(refused.status, ApiError::InvalidApiKey.http_status());
    assert_closing_is_announced(&refused, reused);

    // Other clients of the key empty its bucket, so the POST meets `rate_limited`.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let hammers: Vec<_> = (0..4)
        .map(|_| {
            let (url, key, stop) = (
                server.url("/v1/account"),
                seed.api_key.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let c = client();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = c.get(&url).bearer_auth(&key).send().await;
                }
            })
        })
        .collect();
    let mut limited = None;
    for _ in 0..50 {
        let (response, reused) = post_then_reuse(&server, &seed.api_key).await;
        if response.status == ApiError::RateLimited.http_status() {
            limited = Some((response, reused));
            break;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for hammer in hammers {
        hammer.await.unwrap();
    }
    let (response, reused) = limited.expect("never rate limited");
    assert_eq!(response.json()["error"], ApiError::RateLimited.code());
    assert_closing_is_announced(&response, reused);
}

/// Raises this process's soft open-file limit to at least `needed`; `false` when the hard
/// limit does not allow it.
#[cfg(unix)]
fn raise_own_file_limit(needed: u64) -> bool {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_none_or(|current| current >= needed) {
        return true;
    }
    if limit.maximum.is_some_and(|maximum| maximum < needed) {
        return false;
    }
    let raised = rustix::process::Rlimit {
        current: limit.maximum,
        maximum: limit.maximum,
    };
    setrlimit(Resource::Nofile, raised).is_ok()
}

/// The real binary under a 1,024 open-file limit: 2,000 idle sockets neither stop a held
/// keep-alive connection from being served nor lock a new client out, and the start log
/// names the file limit and the connection cap.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_while_2000_idle_sockets_are_open_under_a_1024_file_limit() {
    use std::process::{Command, Stdio};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    const IDLE_SOCKETS: usize = 2_000;
    const SERVER_FILE_LIMIT: u64 = 1_024;
    if !raise_own_file_limit(IDLE_SOCKETS as u64 + 512) {
        eprintln!("skipped: the hard open-file limit is below {IDLE_SOCKETS} sockets");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    #[allow(clippy::zombie_processes)] // killed and waited for below
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n {SERVER_FILE_LIMIT} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_keyward-server"))
        .args(["serve", "--listen", &addr.to_string(), "--db"])
        .arg(dir.path().join("keyward.db"))
        .args(["--header-timeout", "2", "--idle-timeout", "2"])
        .env_remove("KEYWARD_SERVER_SECRET")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let c = client();
    let health = format!("http://{addr}/health");
    let started = tokio::time::Instant::now();
    while !c
        .get(&health)
        .send()
        .await
        .is_ok_and(|response| response.status() == 200)
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A connection opened before the flood keeps being served through it.
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let held = tokio::spawn({
        let (stop, served) = (stop.clone(), served.clone());
        async move {
            let mut raw = Raw::connect_to(addr).await;
            while !stop.load(Ordering::Relaxed) {
                raw.send(&get("/health")).await;
                assert_eq!(raw.answer().await.status, 200);
                served.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    });

    let mut connecting = tokio::task::JoinSet::new();
    for _ in 0..IDLE_SOCKETS {
        connecting.spawn(timeout(Duration::from_secs(5), TcpStream::connect(addr)));
    }
    let mut idle = Vec::with_capacity(IDLE_SOCKETS);
    while let Some(connected) = connecting.join_next().await {
        if let Ok(Ok(Ok(stream))) = connected {
            idle.push(stream);
        }
    }
    assert!(
        idle.len() as u64 > SERVER_FILE_LIMIT,
        "only {} idle sockets opened",
        idle.len()
    );

    // A new client gets in while every idle socket is still open on this side.
    let fresh = client()
        .get(&health)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("a new client is locked out");
    assert_eq!(fresh.status(), 200);
    let before = served.load(Ordering::Relaxed);
    let more = timeout(WITHIN, async {
        while served.load(Ordering::Relaxed) < before + 2 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    assert!(more.is_ok(), "the held connection is not served any more");
    held.await.expect("the held connection failed");
    drop(idle);

    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    let start = text
        .lines()
        .find(|line| line.contains("keyward-server listening"))
        .unwrap_or_else(|| panic!("no start line in the log: {text}"));
    assert!(
        start.contains("open_file_limit") && start.contains(&SERVER_FILE_LIMIT.to_string()),
        "{start}"
    );
    assert!(start.contains("max_connections"), "{start}");
    // The cap, not the file limit, stopped the accepting.
    assert!(text.contains("connection cap reached"), "{text}");
    assert!(!text.contains("accepting a connection failed"), "{text}");
}
