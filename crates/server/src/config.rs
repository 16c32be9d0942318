//! Server configuration.

use std::net::SocketAddr;
use std::time::Duration;

use keyward_errors::RATE_LIMIT;

use crate::clock::Clock;
pub use crate::conn::ConnectionConfig;
pub use crate::conn::tls::{RELOAD_POLL as TLS_RELOAD_POLL, TlsFiles};
use crate::ipnet::IpNet;
use crate::ratelimit::{DEFAULT_MAX_KEYS, RateLimitConfig};
use crate::secret::Secret;
use crate::store::{DEFAULT_POSTGRES_CONNECTIONS, Database};

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default session lifetime.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(3600);
/// Default largest request body, in bytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// Everything a server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The database: a SQLite file (created and migrated on start) or a PostgreSQL
    /// database (migrated on start).
    pub database: Database,
    /// Most connections to a PostgreSQL database (unused with SQLite).
    pub postgres_connections: usize,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Secret that authenticates session tokens. `None`: generated on first start and
    /// kept in the database.
    pub server_secret: Option<Secret>,
    /// Lifetime of a session token from its issue.
    pub session_ttl: Duration,
    /// Per-API-key limit of the Developer API (the spec's burst and sustained rates).
    pub api_rate_limit: RateLimitConfig,
    /// Per client limit of `/auth/*` (client IP; IPv6 by /64); `None` disables it.
    pub auth_rate_limit: Option<RateLimitConfig>,
    /// Per client limit of failed API-key checks on `/v1` (missing, malformed, unknown
    /// or revoked key); `None` disables it.
    pub api_key_failure_limit: Option<RateLimitConfig>,
    /// Most keys (clients, API keys) one rate limiter keeps state for.
    pub rate_limit_max_keys: usize,
    /// Largest accepted request body, in bytes; larger bodies are `bad_request`.
    pub max_body_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` is believed (empty: the TCP peer is the
    /// client). See [`crate::client_ip`].
    pub trusted_proxies: Vec<IpNet>,
    /// The clock (tests move it forward).
    pub clock: Clock,
    /// Address of the Prometheus metrics listener (`GET /metrics`); `None`: metrics are
    /// not recorded.
    pub metrics_listen: Option<SocketAddr>,
    /// Connection timeouts and cap.
    pub connections: ConnectionConfig,
    /// Serve HTTPS with this certificate and key (reloaded when they change or on
    /// SIGHUP); `None`: plain HTTP, for a TLS-terminating proxy in front.
    pub tls: Option<TlsFiles>,
}

impl Config {
    /// The defaults, with `database` (a SQLite path, or a [`Database`]).
    pub fn new(database: impl Into<Database>) -> Self {
        Self {
            database: database.into(),
            postgres_connections: DEFAULT_POSTGRES_CONNECTIONS,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            server_secret: None,
            session_ttl: DEFAULT_SESSION_TTL,
            api_rate_limit: RateLimitConfig::from(RATE_LIMIT),
            auth_rate_limit: Some(default_auth_rate_limit()),
            api_key_failure_limit: Some(default_api_key_failure_limit()),
            rate_limit_max_keys: DEFAULT_MAX_KEYS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            trusted_proxies: Vec::new(),
            clock: Clock::system(),
            metrics_listen: None,
            connections: ConnectionConfig::default(),
            tls: None,
        }
    }
}

/// The default limit of the auth endpoints per client: generous, so that many users
/// behind one NAT address are not throttled (burst 600, 300 a second).
pub fn default_auth_rate_limit() -> RateLimitConfig {
    RateLimitConfig::new(600, 300.0)
}

/// The default limit of failed API-key checks per client: a developer's few typos pass,
/// a key-guessing client is refused before its guesses reach the database (burst 20, one
/// a second).
pub fn default_api_key_failure_limit() -> RateLimitConfig {
    RateLimitConfig::new(20, 1.0)
}
