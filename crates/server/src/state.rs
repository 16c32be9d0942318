//! Shared state of the request handlers.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use keyward_protocol::TokenKey;

use crate::clock::Clock;
use crate::ipnet::IpNet;
use crate::ratelimit::RateLimiter;
use crate::secret::Secret;
use crate::store::Store;

/// What every handler can reach. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    /// The server secret, ready to authenticate session tokens.
    token_key: TokenKey,
    clock: Clock,
    session_ttl: Duration,
    max_body_bytes: usize,
    api_limiter: RateLimiter<Vec<u8>>,
    auth_limiter: Option<RateLimiter<(IpAddr, String)>>,
    trusted_proxies: Vec<IpNet>,
}

impl AppState {
    /// Assembles the state.
    pub(crate) fn new(store: Store, server_secret: Secret, config: &crate::Config) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                token_key: TokenKey::new(server_secret.expose()),
                clock: config.clock.clone(),
                session_ttl: config.session_ttl,
                max_body_bytes: config.max_body_bytes,
                api_limiter: RateLimiter::new(config.api_rate_limit),
                auth_limiter: config.auth_rate_limit.map(RateLimiter::new),
                trusted_proxies: config.trusted_proxies.clone(),
            }),
        }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn token_key(&self) -> &TokenKey {
        &self.inner.token_key
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub(crate) fn session_ttl_secs(&self) -> i64 {
        i64::try_from(self.inner.session_ttl.as_secs()).unwrap_or(i64::MAX)
    }

    pub(crate) fn max_body_bytes(&self) -> usize {
        self.inner.max_body_bytes
    }

    pub(crate) fn api_limiter(&self) -> &RateLimiter<Vec<u8>> {
        &self.inner.api_limiter
    }

    pub(crate) fn trusted_proxies(&self) -> &[IpNet] {
        &self.inner.trusted_proxies
    }

    pub(crate) fn auth_limiter(&self) -> Option<&RateLimiter<(IpAddr, String)>> {
        self.inner.auth_limiter.as_ref()
    }
}
