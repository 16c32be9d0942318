//! A small HTTP/1.1 proxy on loopback between the client and the server: it counts the
//! requests per path, records when they arrived and what was answered, and injects
//! faults from a script.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does with one request.
#[derive(Debug, Clone)]
pub enum Action {
    /// Forward to the server and pass the answer back.
    Forward,
    /// Answer this instead of forwarding.
    Respond {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
        retry_after: Option<u64>,
    },
    /// Send the start of an answer, then reset the connection.
    Reset,
    /// Forward, then send only half of the body (with the full Content-Length) and close.
    Truncate,
    /// Never answer (the connection stays open until the client gives up).
    Hang,
    /// Forward, then flip one character of the payload.
    TamperPayload,
    /// Forward, then flip one character of the signature.
    TamperSignature,
    /// Answer with the last success answer seen on this path (an earlier nonce).
    Replay,
}

impl Action {
    /// A JSON failure body `{"status": "failed", "error": code}` with an HTTP status.
    pub fn failure(status: u16, code: &str) -> Self {
        Action::Respond {
            status,
            content_type: "application/json",
            body: serde_json::to_vec(&serde_json::json!({
                "status": keyward_errors::Failed::TEXT,
                "error": code,
            }))
            .unwrap(),
            retry_after: None,
        }
    }

    /// A non-JSON answer.
    pub fn text(status: u16, body: &str) -> Self {
        Action::Respond {
            status,
            content_type: "text/html",
            body: body.as_bytes().to_vec(),
            retry_after: None,
        }
    }

    /// The same with a `Retry-After` header.
    pub fn with_retry_after(self, seconds: u64) -> Self {
        match self {
            Action::Respond {
                status,
                content_type,
                body,
                ..
            } => Action::Respond {
                status,
                content_type,
                body,
                retry_after: Some(seconds),
            },
            other => other,
        }
    }
}

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    id: u64,
    pub path: String,
    pub at: Instant,
    pub status: Option<u16>,
    pub retry_after: Option<u64>,
}

struct State {
    upstream: SocketAddr,
    /// Per path (`/auth/validate`, `/auth/heartbeat`): actions for the next requests.
    scripts: HashMap<String, VecDeque<Action>>,
    /// Per path: what to do once the script is used up.
    defaults: HashMap<String, Action>,
    seen: Vec<Seen>,
    next_id: u64,
    last_success: HashMap<String, Vec<u8>>,
}

/// The proxy; stops when dropped.
pub struct Proxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub const VALIDATE: &str = "/auth/validate";
pub const HEARTBEAT: &str = "/auth/heartbeat";

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            upstream,
            scripts: HashMap::new(),
            defaults: HashMap::new(),
            seen: Vec::new(),
            next_id: 0,
            last_success: HashMap::new(),
        }));
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            let http = reqwest::Client::new();
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(serve(socket, Arc::clone(&shared), http.clone()));
            }
        });
        Self { addr, state, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queue actions for the next requests to `path`.
    pub fn script(&self, path: &str, actions: impl IntoIterator<Item = Action>) {
        self.state
            .lock()
            .unwrap()
            .scripts
            .entry(path.to_owned())
            .or_default()
            .extend(actions);
    }

    /// What to do with requests to `path` once its script is used up.
    pub fn set_default(&self, path: &str, action: Action) {
        self.state
            .lock()
            .unwrap()
            .defaults
            .insert(path.to_owned(), action);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Requests seen on `path`.
    pub fn count(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }

    pub fn reset_counts(&self) {
        self.state.lock().unwrap().seen.clear();
    }

    /// Waits (up to 20 s) until `path` has seen at least `n` requests.
    pub async fn wait_for(&self, path: &str, n: usize) {
        for _ in 0..2000 {
            if self.count(path) >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{path} saw {} requests, expected {n}", self.count(path));
    }

    fn next_action(&self, path: &str) -> Action {
        let mut state = self.state.lock().unwrap();
        if let Some(action) = state.scripts.get_mut(path).and_then(VecDeque::pop_front) {
            return action;
        }
        state.defaults.get(path).cloned().unwrap_or(Action::Forward)
    }
}

struct Request {
    path: String,
    body: Vec<u8>,
}

/// Reads one request; `None` at end of stream or on garbage.
async fn read_request(socket: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let path = head.split_whitespace().nth(1)?.to_owned();
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    while buf.len() < header_end + length {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[header_end..header_end + length].to_vec();
    buf.drain(..header_end + length);
    Some(Request { path, body })
}

struct Answer {
    status: u16,
    content_type: String,
    retry_after: Option<u64>,
    body: Vec<u8>,
}

async fn forward(state: &Mutex<State>, http: &reqwest::Client, req: &Request) -> Answer {
    let upstream = state.lock().unwrap().upstream;
    match http
        .post(format!("http://{upstream}{}", req.path))
        .header("content-type", "application/json")
        .body(req.body.clone())
        .send()
        .await
    {
        Ok(response) => {
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let content_type = header("content-type").unwrap_or_default();
            let retry_after = header("retry-after").and_then(|v| v.parse().ok());
            let body = response
                .bytes()
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            Answer {
                status,
                content_type,
                retry_after,
                body,
            }
        }
        Err(_) => Answer {
            status: 502,
            content_type: "text/plain".into(),
            retry_after: None,
            body: b"bad gateway".to_vec(),
        },
    }
}

fn head(answer: &Answer, length: usize) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {} X\r\ncontent-type: {}\r\ncontent-length: {length}\r\n",
        answer.status, answer.content_type
    );
    if let Some(seconds) = answer.retry_after {
        head.push_str(&format!("retry-after: {seconds}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Flips one character of the JSON string field `field` of an answer body.
fn tamper(body: &[u8], field: &str) -> Vec<u8> {
    let mut value: serde_json::Value = serde_json::from_slice(body).unwrap();
    let text = value[field].as_str().unwrap().to_owned();
    let mut chars: Vec<char> = text.chars().collect();
    // A quarter in: inside the session token, away from the nonce.
    let i = chars.len() / 4;
    // A different value whatever the alphabet (hex is read case-insensitively).
    chars[i] = if chars[i] == '0' { '1' } else { '0' };
    value[field] = serde_json::Value::String(chars.into_iter().collect());
    serde_json::to_vec(&value).unwrap()
}

async fn serve(mut socket: TcpStream, state: Arc<Mutex<State>>, http: reqwest::Client) {
    let proxy_view = ProxyView(Arc::clone(&state));
    let mut buf = Vec::new();
    while let Some(req) = read_request(&mut socket, &mut buf).await {
        let action = proxy_view.next_action(&req.path);
        let id = {
            let mut s = state.lock().unwrap();
            let id = s.next_id;
            s.next_id += 1;
            s.seen.push(Seen {
                id,
                path: req.path.clone(),
                at: Instant::now(),
                status: None,
                retry_after: None,
            });
            id
        };
        let record = |answer: &Answer| {
            let mut s = state.lock().unwrap();
            // Gone when the counts were reset meanwhile.
            if let Some(seen) = s.seen.iter_mut().find(|seen| seen.id == id) {
                seen.status = Some(answer.status);
                seen.retry_after = answer.retry_after;
            }
        };
        let answer = match action {
            Action::Hang => {
                // Hold the connection until the client drops it.
                let mut sink = [0u8; 64];
                while let Ok(n) = socket.read(&mut sink).await {
                    if n == 0 {
                        break;
                    }
                }
                return;
            }
            Action::Reset => {
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n{\"status\":\"succ")
                    .await;
                let _ = socket.flush().await;
                tokio::time::sleep(Duration::from_millis(20)).await;
                let _ = socket.set_zero_linger();
                return;
            }
            Action::Respond {
                status,
                content_type,
                body,
                retry_after,
            } => Answer {
                status,
                content_type: content_type.to_owned(),
                retry_after,
                body,
            },
            Action::Replay => {
                let old = state.lock().unwrap().last_success.get(&req.path).cloned();
                Answer {
                    status: 200,
                    content_type: "application/json".into(),
                    retry_after: None,
                    body: old.expect("a success to replay"),
                }
            }
            Action::Forward
            | Action::Truncate
            | Action::TamperPayload
            | Action::TamperSignature => {
                let mut answer = forward(&state, &http, &req).await;
                let success = answer.status == 200
                    && serde_json::from_slice::<serde_json::Value>(&answer.body)
                        .is_ok_and(|v| v.get("payload").is_some());
                if success {
                    state
                        .lock()
                        .unwrap()
                        .last_success
                        .insert(req.path.clone(), answer.body.clone());
                }
                match action {
                    Action::Truncate => {
                        record(&answer);
                        let full = answer.body.len();
                        let _ = socket.write_all(&head(&answer, full)).await;
                        let _ = socket.write_all(&answer.body[..full / 2]).await;
                        let _ = socket.flush().await;
                        return;
                    }
                    Action::TamperPayload if success => {
                        answer.body = tamper(&answer.body, "payload");
                    }
                    Action::TamperSignature if success => {
                        answer.body = tamper(&answer.body, "signature");
                    }
                    _ => {}
                }
                answer
            }
        };
        record(&answer);
        let mut out = head(&answer, answer.body.len());
        out.extend_from_slice(&answer.body);
        if socket.write_all(&out).await.is_err() {
            return;
        }
    }
}

/// Access to the script from a connection task.
struct ProxyView(Arc<Mutex<State>>);

impl ProxyView {
    fn next_action(&self, path: &str) -> Action {
        let mut state = self.0.lock().unwrap();
        if let Some(action) = state.scripts.get_mut(path).and_then(VecDeque::pop_front) {
            return action;
        }
        state.defaults.get(path).cloned().unwrap_or(Action::Forward)
    }
}
