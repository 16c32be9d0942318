//! Token-bucket rate limiting, keyed (per API key, or per client IP and app).
//!
//! A bucket holds at most `burst` tokens and refills at `per_second` tokens a second; each
//! admitted request takes one. Time is passed in (microseconds), so the limiter is tested
//! with a controlled clock.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

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

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last_micros: i64,
}

/// Buckets beyond this count are pruned of full (idle) buckets.
const PRUNE_ABOVE: usize = 50_000;

/// A keyed token-bucket limiter.
#[derive(Debug)]
pub struct RateLimiter<K> {
    config: RateLimitConfig,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Eq + Hash> RateLimiter<K> {
    /// A limiter whose buckets all use `config`.
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The limiter's numbers.
    pub fn config(&self) -> RateLimitConfig {
        self.config
    }

    /// Takes a token from `key`'s bucket at time `now_micros`, if one is there.
    pub fn check(&self, key: K, now_micros: i64) -> Decision {
        let burst = f64::from(self.config.burst);
        let rate = self.config.per_second;
        let mut buckets = match self.buckets.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| refill(b, now_micros, rate, burst) < burst);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            last_micros: now_micros,
        });
        let tokens = refill(bucket, now_micros, rate, burst);
        bucket.tokens = tokens;
        bucket.last_micros = bucket.last_micros.max(now_micros);
        if tokens >= 1.0 {
            bucket.tokens = tokens - 1.0;
            Decision::Allowed
        } else {
            let wait = if rate > 0.0 {
                (1.0 - tokens) / rate
            } else {
                3600.0
            };
            Decision::Limited {
                retry_after: Duration::try_from_secs_f64(wait).unwrap_or(Duration::from_secs(3600)),
            }
        }
    }
}

/// Tokens in `bucket` at `now_micros` (not stored).
fn refill(bucket: &Bucket, now_micros: i64, rate: f64, burst: f64) -> f64 {
    let elapsed = now_micros.saturating_sub(bucket.last_micros).max(0);
    // i64 micros to f64 seconds: exact far beyond any realistic gap.
    #[allow(clippy::cast_precision_loss)]
    let elapsed_secs = elapsed as f64 / 1e6;
    (bucket.tokens + elapsed_secs * rate).min(burst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_errors::RATE_LIMIT;

    /// Drives the spec's limiter with a controlled clock: a client hammering it every
    /// millisecond for `seconds` is admitted burst + sustained x seconds, within 2 %.
    #[test]
    fn admits_burst_plus_sustained_times_seconds() {
        for seconds in [1_i64, 5, 10, 60] {
            let limiter = RateLimiter::new(RateLimitConfig::from(RATE_LIMIT));
            let mut admitted = 0_u64;
            let start = 1_000_000_000_i64;
            let end = start + seconds * 1_000_000;
            let mut now = start;
            while now < end {
                if limiter.check("key", now) == Decision::Allowed {
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
        let limiter = RateLimiter::new(RateLimitConfig::new(2, 0.5));
        assert_eq!(limiter.check(1, 0), Decision::Allowed);
        assert_eq!(limiter.check(1, 0), Decision::Allowed);
        assert_eq!(
            limiter.check(1, 0),
            Decision::Limited {
                retry_after: Duration::from_secs(2)
            }
        );
        assert_eq!(limiter.check(2, 0), Decision::Allowed);
        assert_eq!(limiter.check(1, 2_000_000), Decision::Allowed);
    }

    #[test]
    fn clock_going_backwards_does_not_refill() {
        let limiter = RateLimiter::new(RateLimitConfig::new(1, 1.0));
        assert_eq!(limiter.check((), 10_000_000), Decision::Allowed);
        assert!(matches!(limiter.check((), 0), Decision::Limited { .. }));
    }
}
