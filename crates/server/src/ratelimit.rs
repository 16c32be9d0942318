//! Keyed rate limiting: `governor`'s GCRA (a token bucket of `burst` cells refilled at
//! `per_second`), its states in a sharded map with a hard cap on the number of keys.
//!
//! Keys come from clients, so their number is bounded here, not by their senders: at
//! [`RateLimiter::max_keys`] keys, new keys share one overflow state (they are limited
//! together) until [`RateLimiter::prune`] drops the keys whose state is back to a full
//! bucket; the server prunes periodically. Time comes from a `governor` clock: the server's
//! [`crate::clock::Clock`] (tests move it), or a fake one in unit tests.

use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dashmap::DashMap;
use governor::clock::{Clock, Reference};
use governor::nanos::Nanos;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::state::{InMemoryState, NotKeyed, StateStore};
use governor::{Quota, middleware::NoOpMiddleware};
use keyward_errors::RateLimit;

/// The numbers of one token bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitConfig {
    /// Bucket capacity: requests admitted at once.
    pub burst: u32,
    /// Refill rate, tokens a second.
    pub per_second: f64,
}

impl RateLimitConfig {
    /// A bucket of `burst` refilled at `per_second`.
    pub fn new(burst: u32, per_second: f64) -> Self {
        Self { burst, per_second }
    }

    /// The GCRA quota: at least one cell; a rate that is not a positive number refills
    /// one cell an hour.
    fn quota(&self) -> Quota {
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        // `governor` keeps period x burst in u64 nanoseconds: at most about 95 years.
        let slowest = Duration::from_secs(3600)
            .min(Duration::from_secs(3_000_000_000 / u64::from(burst.get())))
            .max(Duration::from_nanos(1));
        let period = if self.per_second.is_finite() && self.per_second > 0.0 {
            Duration::try_from_secs_f64(1.0 / self.per_second).map_or(slowest, |p| p.min(slowest))
        } else {
            slowest
        };
        Quota::with_period(period.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_hour(NonZeroU32::MIN))
            .allow_burst(burst)
    }
}

/// The GCRA numbers of a [`RateLimitConfig`] in whole microseconds, as `governor` uses
/// them: each request moves the key's theoretical arrival time (TAT) `period` later; a
/// request is admitted while the TAT is at most `tolerance` ahead of now. For limiters
/// whose state is not in this process (the Developer API limit on PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    /// What one request costs.
    pub period_micros: i64,
    /// How far ahead of now the TAT may be for a request to pass: the burst less one.
    pub tolerance_micros: i64,
}

impl Gcra {
    /// The wait before a request refused with the key's TAT at `tat` may pass, as
    /// `governor` answers it: until the TAT is within the tolerance again.
    pub fn retry_after(&self, tat: i64, now: i64) -> Duration {
        let wait = tat
            .saturating_sub(self.tolerance_micros)
            .saturating_sub(now);
        Duration::from_micros(u64::try_from(wait).unwrap_or(0))
    }

    /// What one request costs, as a duration.
    pub fn period(&self) -> Duration {
        Duration::from_micros(u64::try_from(self.period_micros).unwrap_or(0))
    }
}

impl RateLimitConfig {
    /// The GCRA of [`RateLimitConfig::quota`] in microseconds, the period rounded up (so
    /// never more generous than the in-process limiter).
    pub fn gcra(&self) -> Gcra {
        let quota = self.quota();
        let period_micros = i64::try_from(quota.replenish_interval().as_nanos().div_ceil(1_000))
            .unwrap_or(i64::MAX)
            .max(1);
        let extra = i64::from(quota.burst_size().get() - 1);
        Gcra {
            period_micros,
            tolerance_micros: period_micros.saturating_mul(extra),
        }
    }
}

impl From<RateLimit> for RateLimitConfig {
    fn from(limit: RateLimit) -> Self {
        Self {
            burst: limit.burst_per_second,
            per_second: f64::from(limit.sustained_per_second),
        }
    }
}

/// What the limiter says about one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    /// Go ahead.
    Allowed,
    /// Over the limit; a token will be available after `retry_after`.
    Limited {
        /// Time until the next token.
        retry_after: Duration,
    },
}

/// Default cap on the keys of one limiter (each costs a few dozen bytes).
pub const DEFAULT_MAX_KEYS: usize = 1_000_000;

/// Who a client is for the limits keyed by client: its IPv4 address, or the /64 network
/// of its IPv6 address (one host usually holds a whole /64, so per address it could
/// make as many keys as it likes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// An IPv4 client.
    V4(Ipv4Addr),
    /// An IPv6 client's first 64 bits.
    V6Net(u64),
}

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self::V4(v4),
            IpAddr::V6(v6) => Self::V6Net((v6.to_bits() >> 64) as u64),
        }
    }
}

/// `governor`'s sharded map of states, with at most `max_keys` keys: beyond, new keys
/// share `overflow`.
struct CappedStore<K: Hash + Eq + Clone> {
    map: DashMapStateStore<K>,
    overflow: InMemoryState,
    /// Keys in `map`, or a little more while inserts race with a prune.
    keys: AtomicUsize,
    max_keys: usize,
}

impl<K: Hash + Eq + Clone> StateStore for CappedStore<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        if let Some(state) = self.map.get(key) {
            return state.measure_and_replace(&NotKeyed::NonKey, f);
        }
        // Reserve room first, so that racing inserts cannot pass the cap.
        if self.keys.fetch_add(1, Ordering::AcqRel) >= self.max_keys {
            self.keys.fetch_sub(1, Ordering::AcqRel);
            return self.overflow.measure_and_replace(&NotKeyed::NonKey, f);
        }
        let mut inserted = false;
        let state = self.map.entry(key.clone()).or_insert_with(|| {
            inserted = true;
            InMemoryState::default()
        });
        if !inserted {
            self.keys.fetch_sub(1, Ordering::AcqRel);
        }
        state.measure_and_replace(&NotKeyed::NonKey, f)
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for CappedStore<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        self.map.retain_recent(drop_below);
        self.keys.store(self.map.len(), Ordering::Release);
    }

    fn shrink_to_fit(&self) {
        self.map.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// A keyed limiter (see the module documentation).
pub struct RateLimiter<K: Hash + Eq + Clone, C: Clock = crate::clock::Clock> {
    config: RateLimitConfig,
    max_keys: usize,
    limiter: governor::RateLimiter<K, CappedStore<K>, C, NoOpMiddleware<C::Instant>>,
}

impl<K: Hash + Eq + Clone, C: Clock> std::fmt::Debug for RateLimiter<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("config", &self.config)
            .field("max_keys", &self.max_keys())
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone, C: Clock> RateLimiter<K, C> {
    /// A limiter of at most `max_keys` keys (at least 1), whose buckets all use `config`.
    pub fn new(config: RateLimitConfig, max_keys: usize, clock: C) -> Self {
        let max_keys = max_keys.max(1);
        let store = CappedStore {
            map: DashMapStateStore::default(),
            overflow: InMemoryState::default(),
            keys: AtomicUsize::new(0),
            max_keys,
        };
        Self {
            config,
            max_keys,
            limiter: governor::RateLimiter::new(config.quota(), store, clock),
        }
    }

    /// The limiter's numbers.
    pub fn config(&self) -> RateLimitConfig {
        self.config
    }

    /// The cap on keys.
    pub fn max_keys(&self) -> usize {
        self.max_keys
    }

    /// Takes a token from `key`'s bucket, if one is there.
    pub fn check(&self, key: &K) -> Decision {
        match self.limiter.check_key(key) {
            Ok(()) => Decision::Allowed,
            Err(not_until) => Decision::Limited {
                retry_after: not_until.wait_time_from(self.limiter.clock().now()),
            },
        }
    }

    /// Now, on the limiter's clock.
    fn now(&self) -> C::Instant {
        self.limiter.clock().now()
    }

    /// Keys with state.
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    /// Whether no key has state.
    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }

    /// Drops the keys whose bucket is full again (they answer as if new), and the room
    /// they took.
    pub fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Failed attempts per key (a client sending unknown API keys): within their limit they
/// cost only a token; over it, the key is refused from then until its next token, before
/// the attempt is even looked up.
pub struct FailureLimiter<K: Hash + Eq + Clone, C: Clock = crate::clock::Clock> {
    failures: RateLimiter<K, C>,
    /// Keys over the limit and when they may try again; at most `max_keys` of them.
    refused_until: DashMap<K, C::Instant>,
}

impl<K: Hash + Eq + Clone, C: Clock> std::fmt::Debug for FailureLimiter<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailureLimiter")
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone, C: Clock> FailureLimiter<K, C> {
    /// `config` failures per key, for at most `max_keys` keys.
    pub fn new(config: RateLimitConfig, max_keys: usize, clock: C) -> Self {
        Self {
            failures: RateLimiter::new(config, max_keys, clock),
            refused_until: DashMap::new(),
        }
    }

    /// Before an attempt: `Limited` while `key` is refused.
    pub fn admit(&self, key: &K) -> Decision {
        let Some(until) = self.refused_until.get(key).map(|until| *until) else {
            return Decision::Allowed;
        };
        let now = self.failures.now();
        if now < until {
            return Decision::Limited {
                retry_after: until.duration_since(now).into(),
            };
        }
        self.refused_until.remove_if(key, |_, until| *until <= now);
        Decision::Allowed
    }

    /// After a failed attempt: counts it; `Limited` (and `key` refused until its next
    /// token) when it was one too many.
    pub fn failed(&self, key: &K) -> Decision {
        let decision = self.failures.check(key);
        if let Decision::Limited { retry_after } = decision {
            // The cap holds here too; a key left out is still answered `Limited`, its
            // next attempts only cost a lookup again.
            if self.refused_until.len() < self.failures.max_keys() {
                let until = self.failures.now() + Nanos::from(retry_after);
                self.refused_until.insert(key.clone(), until);
            }
        }
        decision
    }

    /// Drops the state of keys that are as good as new (see [`RateLimiter::prune`]).
    pub fn prune(&self) {
        self.failures.prune();
        let now = self.failures.now();
        self.refused_until.retain(|_, until| *until > now);
        self.refused_until.shrink_to_fit();
    }
}

/// The server's clock as a `governor` clock: nanoseconds since the Unix epoch, offset
/// included (a clock set back refills nothing: `governor` saturates).
impl Clock for crate::clock::Clock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let micros = u64::try_from(self.now_micros()).unwrap_or(0);
        Nanos::new(micros.saturating_mul(1_000))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicU64;

    use keyward_errors::RATE_LIMIT;

    use super::*;

    /// A clock the test sets, in microseconds (it may go backwards).
    #[derive(Debug, Clone, Default)]
    struct TestClock(Arc<AtomicU64>);

    impl TestClock {
        fn set(&self, micros: u64) {
            self.0.store(micros, Ordering::Relaxed);
        }
    }

    impl Clock for TestClock {
        type Instant = Nanos;
        fn now(&self) -> Nanos {
            Nanos::new(self.0.load(Ordering::Relaxed) * 1_000)
        }
    }

    fn limiter<K: Hash + Eq + Clone>(
        config: RateLimitConfig,
    ) -> (TestClock, RateLimiter<K, TestClock>) {
        let clock = TestClock::default();
        (
            clock.clone(),
            RateLimiter::new(config, DEFAULT_MAX_KEYS, clock),
        )
    }

    /// Drives the spec's limiter with a controlled clock: a client hammering it every
    /// millisecond for `seconds` is admitted burst + sustained x seconds, within 2 %.
    #[test]
    fn admits_burst_plus_sustained_times_seconds() {
        for seconds in [1_u64, 5, 10, 60] {
            let (clock, limiter) = limiter(RateLimitConfig::from(RATE_LIMIT));
            let mut admitted = 0_u64;
            let start = 1_000_000_000_u64;
            let end = start + seconds * 1_000_000;
            let mut now = start;
            while now < end {
                clock.set(now);
                if limiter.check(&"key") == Decision::Allowed {
                    admitted += 1;
                }
                now += 1_000;
            }
            let expected = f64::from(RATE_LIMIT.burst_per_second)
                + f64::from(RATE_LIMIT.sustained_per_second) * seconds as f64;
            let error = (admitted as f64 - expected).abs() / expected;
            assert!(
                error <= 0.02,
                "{seconds}s: admitted {admitted}, expected {expected}"
            );
        }
    }

    #[test]
    fn keys_are_independent_and_retry_after_is_time_to_next_token() {
        let (clock, limiter) = limiter(RateLimitConfig::new(2, 0.5));
        assert_eq!(limiter.check(&1), Decision::Allowed);
        assert_eq!(limiter.check(&1), Decision::Allowed);
        assert_eq!(
            limiter.check(&1),
            Decision::Limited {
                retry_after: Duration::from_secs(2)
            }
        );
        assert_eq!(limiter.check(&2), Decision::Allowed);
        clock.set(2_000_000);
        assert_eq!(limiter.check(&1), Decision::Allowed);
    }

    #[test]
    fn clock_going_backwards_does_not_refill() {
        let (clock, limiter) = limiter(RateLimitConfig::new(1, 1.0));
        clock.set(10_000_000);
        assert_eq!(limiter.check(&()), Decision::Allowed);
        clock.set(0);
        assert!(matches!(limiter.check(&()), Decision::Limited { .. }));
    }

    /// Past the cap, new keys share one bucket and add no state; a prune drops the keys
    /// whose bucket is full again, which makes room.
    #[test]
    fn keys_never_pass_the_cap_and_pruning_makes_room() {
        let clock = TestClock::default();
        let limiter = RateLimiter::new(RateLimitConfig::new(2, 1.0), 3, clock.clone());
        for key in 0..3 {
            assert_eq!(limiter.check(&key), Decision::Allowed);
        }
        // Keys 3, 4, 5 are new: they share the overflow bucket of 2.
        assert_eq!(limiter.check(&3), Decision::Allowed);
        assert_eq!(limiter.check(&4), Decision::Allowed);
        assert!(matches!(limiter.check(&5), Decision::Limited { .. }));
        assert_eq!(limiter.len(), 3);
        // Known keys keep their own buckets.
        assert_eq!(limiter.check(&0), Decision::Allowed);

        clock.set(10_000_000);
        assert_eq!(limiter.check(&1), Decision::Allowed);
        assert_eq!(limiter.check(&1), Decision::Allowed);
        limiter.prune();
        // Keys 0 and 2 are back to a full bucket and dropped; key 1 is not.
        assert_eq!(limiter.len(), 1);
        assert_eq!(limiter.check(&5), Decision::Allowed);
        assert_eq!(limiter.len(), 2);
    }

    /// Within the limit a failure is only counted; one too many refuses the key before
    /// its next attempt, until its next token, and no other key.
    #[test]
    fn failures_over_the_limit_refuse_the_key_until_its_next_token() {
        let clock = TestClock::default();
        let failures = FailureLimiter::new(RateLimitConfig::new(2, 0.5), 10, clock.clone());
        for _ in 0..2 {
            assert_eq!(failures.admit(&"client"), Decision::Allowed);
            assert_eq!(failures.failed(&"client"), Decision::Allowed);
        }
        let refused = Decision::Limited {
            retry_after: Duration::from_secs(2),
        };
        assert_eq!(failures.failed(&"client"), refused);
        assert_eq!(failures.admit(&"client"), refused);
        assert_eq!(failures.admit(&"other"), Decision::Allowed);
        clock.set(1_500_000);
        assert_eq!(
            failures.admit(&"client"),
            Decision::Limited {
                retry_after: Duration::from_millis(500)
            }
        );
        clock.set(2_000_000);
        assert_eq!(failures.admit(&"client"), Decision::Allowed);
        assert_eq!(failures.failed(&"client"), Decision::Allowed);
        clock.set(60_000_000);
        failures.prune();
        assert!(failures.failures.is_empty() && failures.refused_until.is_empty());
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_network() {
        let key = |ip: &str| ClientKey::from(ip.parse::<IpAddr>().unwrap());
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), key("192.0.2.7"));
        assert_ne!(key("192.0.2.7"), key("192.0.2.8"));
    }

    #[test]
    fn rates_that_are_not_positive_numbers_do_not_panic() {
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-300, 1e300] {
            for burst in [0, 1, u32::MAX] {
                let (_, limiter) = limiter(RateLimitConfig::new(burst, rate));
                assert_eq!(limiter.check(&()), Decision::Allowed, "{burst} {rate}");
            }
        }
    }
}
