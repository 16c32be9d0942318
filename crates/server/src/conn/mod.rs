//! Serving connections: the accept loop, with a cap on open connections below the
//! open-file limit, and per connection the header, idle and request timeouts, on hyper's
//! HTTP/1 server; graceful shutdown lets open requests finish.

mod files;
mod service;
pub mod tls;
mod watchdog;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use self::files::{connection_cap, open_file_limit};
use self::service::ConnService;
use self::tls::Tls;
use self::watchdog::{ConnState, TrackedIo, expired};

/// Default [`ConnectionConfig::header_timeout`].
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`ConnectionConfig::idle_timeout`].
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`ConnectionConfig::request_timeout`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest request head hyper reads (request line and headers). It lies above the
/// limits that [`crate::head_limits`] answers with a JSON error, so that only heads far
/// past those get hyper's own empty `431`.
const HYPER_MAX_HEAD_BYTES: usize = 128 * 1024;

/// Pause after an accept error such as `EMFILE`, so that the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Least time between two warnings of the same kind from the accept loop.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// Timeouts and the cap on open connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionConfig {
    /// A request head (request line and headers) must arrive within this long of the
    /// connection's opening or of its first byte; else the connection is closed.
    pub header_timeout: Duration,
    /// A kept-alive connection with no byte of a next request this long after its last
    /// answer is closed.
    pub idle_timeout: Duration,
    /// A request body must arrive in full within this long of its head; else it is
    /// answered `bad_request` and the connection is closed.
    pub request_timeout: Duration,
    /// Most connections held at once (0: the open-file limit less a reserve, which is
    /// also the most ever used).
    pub max_connections: usize,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_connections: 0,
        }
    }
}

/// The `serve` flags of [`ConnectionConfig`].
#[derive(Debug, clap::Args)]
pub struct ConnectionArgs {
    /// Seconds a request head may take to arrive (from the connection's opening, or from
    /// the first byte of a next request).
    #[arg(long, env = "KEYWARD_HEADER_TIMEOUT", default_value_t = DEFAULT_HEADER_TIMEOUT.as_secs())]
    pub header_timeout: u64,
    /// Seconds a kept-alive connection may wait for its next request.
    #[arg(long, env = "KEYWARD_IDLE_TIMEOUT", default_value_t = DEFAULT_IDLE_TIMEOUT.as_secs())]
    pub idle_timeout: u64,
    /// Seconds a request body may take to arrive in full after its head.
    #[arg(long, env = "KEYWARD_REQUEST_TIMEOUT", default_value_t = DEFAULT_REQUEST_TIMEOUT.as_secs())]
    pub request_timeout: u64,
    /// Most connections held at once; 0: the open-file limit less a reserve (also the
    /// most ever used).
    #[arg(long, env = "KEYWARD_MAX_CONNECTIONS", default_value_t = 0)]
    pub max_connections: usize,
}

impl ConnectionArgs {
    /// The configuration, or why a flag is unusable.
    pub fn config(&self) -> Result<ConnectionConfig, String> {
        let seconds = |value: u64, flag: &str| {
            if value == 0 {
                Err(format!("--{flag} must be at least 1 second"))
            } else {
                Ok(Duration::from_secs(value))
            }
        };
        Ok(ConnectionConfig {
            header_timeout: seconds(self.header_timeout, "header-timeout")?,
            idle_timeout: seconds(self.idle_timeout, "idle-timeout")?,
            request_timeout: seconds(self.request_timeout, "request-timeout")?,
            max_connections: self.max_connections,
        })
    }
}

/// The timeouts a connection's watchdog enforces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub(crate) header: Duration,
    pub(crate) idle: Duration,
}

/// The connection settings in force: the configuration, and the cap it gives under the
/// process's open-file limit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) config: ConnectionConfig,
    /// Most connections held at once.
    pub(crate) cap: usize,
    /// The soft open-file limit the cap was derived from; `None`: unlimited or unknown.
    pub(crate) open_file_limit: Option<u64>,
}

impl Limits {
    pub(crate) fn new(config: ConnectionConfig) -> Self {
        let open_file_limit = open_file_limit();
        Self {
            config,
            cap: connection_cap(open_file_limit, config.max_connections),
            open_file_limit,
        }
    }
}

/// Accepts and serves connections on `listener` with `router`, at most `limits.cap` at
/// once, over TLS when `tls` is given, until `shutdown` completes; then stops accepting
/// and waits for open requests. A TLS handshake counts as part of the first request
/// head, under the header timeout.
pub(crate) async fn serve_connections(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let Limits { config, cap, .. } = limits;
    let permits = Arc::new(Semaphore::new(cap));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.header_read_timeout(None)
        .max_header_size(HYPER_MAX_HEAD_BYTES);
    let timeouts = Timeouts {
        header: config.header_timeout,
        idle: config.idle_timeout,
    };
    let mut warned = Warnings::default();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = acquire(&permits, cap, &mut warned) => permit,
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_failed(&err, &mut warned).await;
                    continue;
                }
            },
        };
        let state = ConnState::new();
        let service = ConnService {
            router: router.clone(),
            peer,
            state: Arc::clone(&state),
            request_timeout: config.request_timeout,
        };
        let io = TrackedIo::new(stream, Arc::clone(&state));
        let (watcher, http, tls) = (graceful.watcher(), http.clone(), tls.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let served = async move {
                match tls {
                    None => {
                        let _ = watcher
                            .watch(http.serve_connection(TokioIo::new(io), service))
                            .await;
                    }
                    Some(tls) => {
                        // A failed handshake is the client's; it is not logged.
                        if let Ok(stream) = tls.acceptor.accept(io).await {
                            let _ = watcher
                                .watch(http.serve_connection(TokioIo::new(stream), service))
                                .await;
                        }
                    }
                }
            };
            tokio::select! {
                () = served => {}
                () = expired(state, timeouts) => {}
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// When each kind of warning was last logged.
#[derive(Debug, Default)]
struct Warnings {
    at_cap: Option<Instant>,
    accept: Option<Instant>,
}

/// Whether a warning last logged at `last` may be logged again (and notes it).
fn may_warn(last: &mut Option<Instant>) -> bool {
    let now = Instant::now();
    let due = last.is_none_or(|at| now.duration_since(at) >= WARN_EVERY);
    if due {
        *last = Some(now);
    }
    due
}

/// A connection slot; at the cap, new connections wait in the listen backlog.
async fn acquire(
    permits: &Arc<Semaphore>,
    cap: usize,
    warned: &mut Warnings,
) -> OwnedSemaphorePermit {
    if let Ok(permit) = Arc::clone(permits).try_acquire_owned() {
        return permit;
    }
    if may_warn(&mut warned.at_cap) {
        tracing::warn!(
            max_connections = cap,
            "connection cap reached; new connections wait"
        );
    }
    match Arc::clone(permits).acquire_owned().await {
        Ok(permit) => permit,
        // The semaphore is never closed.
        Err(_) => std::future::pending().await,
    }
}

/// After an accept error: a failed handshake is the client's; anything else (out of
/// file descriptors, memory) is logged and waited out.
async fn accept_failed(err: &io::Error, warned: &mut Warnings) {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    ) {
        return;
    }
    if may_warn(&mut warned.accept) {
        tracing::warn!(error = %err, "accepting a connection failed; retrying");
    }
    tokio::time::sleep(ACCEPT_BACKOFF).await;
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Flags {
        #[command(flatten)]
        connections: ConnectionArgs,
    }

    fn parse(args: &[&str]) -> Result<ConnectionConfig, String> {
        let flags = Flags::try_parse_from(std::iter::once(&"serve").chain(args))
            .map_err(|err| err.to_string())?;
        flags.connections.config()
    }

    #[test]
    fn flags_default_to_the_config_defaults_and_refuse_zero_timeouts() {
        assert_eq!(parse(&[]).unwrap(), ConnectionConfig::default());
        let config = parse(&["--header-timeout", "3", "--max-connections", "50"]).unwrap();
        assert_eq!(config.header_timeout, Duration::from_secs(3));
        assert_eq!(config.max_connections, 50);
        let err = parse(&["--idle-timeout", "0"]).unwrap_err();
        assert!(err.contains("--idle-timeout"), "{err}");
    }
}
