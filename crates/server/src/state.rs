//! Shared state of the request handlers.

use std::sync::{Arc, Weak};
use std::time::Duration;

use keyward_protocol::TokenKey;

use crate::clock::Clock;
use crate::ipnet::IpNet;
use crate::ratelimit::{ClientKey, FailureLimiter, RateLimiter};
use crate::secret::Secret;
use crate::signing_keys::KeyVault;
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
    /// The server secret, ready to seal and open apps' signing keys.
    key_vault: KeyVault,
    clock: Clock,
    session_ttl: Duration,
    max_body_bytes: usize,
    api_limiter: RateLimiter<Vec<u8>>,
    auth_limiter: Option<RateLimiter<ClientKey>>,
    api_key_failures: Option<FailureLimiter<ClientKey>>,
    trusted_proxies: Vec<IpNet>,
}

/// How often the rate limiters drop the keys that are as good as new.
const PRUNE_LIMITERS_EVERY: Duration = Duration::from_secs(5);

impl Inner {
    fn prune_limiters(&self) {
        self.api_limiter.prune();
        if let Some(limiter) = &self.auth_limiter {
            limiter.prune();
        }
        if let Some(limiter) = &self.api_key_failures {
            limiter.prune();
        }
    }
}

/// Prunes the limiters of `state` until it is dropped (the server stopped).
async fn prune_limiters(state: Weak<Inner>) {
    let mut ticks = tokio::time::interval(PRUNE_LIMITERS_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(state) = state.upgrade() else {
            return;
        };
        // Off the async threads: a prune visits every key.
        let pruned = tokio::task::spawn_blocking(move || state.prune_limiters()).await;
        if pruned.is_err() {
            return;
        }
    }
}

impl AppState {
    /// Assembles the state; within a Tokio runtime, also starts pruning its rate
    /// limiters every few seconds for as long as it lives.
    pub(crate) fn new(store: Store, server_secret: Secret, config: &crate::Config) -> Self {
        let max_keys = config.rate_limit_max_keys;
        let clock = &config.clock;
        let inner = Arc::new(Inner {
            store,
            token_key: TokenKey::new(server_secret.expose()),
            key_vault: KeyVault::new(server_secret.expose()),
            clock: clock.clone(),
            session_ttl: config.session_ttl,
            max_body_bytes: config.max_body_bytes,
            api_limiter: RateLimiter::new(config.api_rate_limit, max_keys, clock.clone()),
            auth_limiter: config
                .auth_rate_limit
                .map(|limit| RateLimiter::new(limit, max_keys, clock.clone())),
            api_key_failures: config
                .api_key_failure_limit
                .map(|limit| FailureLimiter::new(limit, max_keys, clock.clone())),
            trusted_proxies: config.trusted_proxies.clone(),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(prune_limiters(Arc::downgrade(&inner)));
        }
        Self { inner }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn token_key(&self) -> &TokenKey {
        &self.inner.token_key
    }

    pub(crate) fn key_vault(&self) -> &KeyVault {
        &self.inner.key_vault
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

    pub(crate) fn auth_limiter(&self) -> Option<&RateLimiter<ClientKey>> {
        self.inner.auth_limiter.as_ref()
    }

    pub(crate) fn api_key_failures(&self) -> Option<&FailureLimiter<ClientKey>> {
        self.inner.api_key_failures.as_ref()
    }
}
