//! Retry policies and rate limits: the numbers behind each retry class, as
//! data from the spec, and the one place that turns them into delays.

use std::time::Duration;

/// How a backoff delay is randomised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Jitter {
    /// The exact exponential delay.
    None,
    /// Uniform in `0..=delay`.
    Full,
    /// `delay / 2` plus uniform in `0..=delay / 2`.
    Equal,
}

/// The numbers of one retry class.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first one included; `1` means never retry.
    pub max_attempts: u32,
    /// Delay before the first retry, before jitter.
    pub initial_delay: Duration,
    /// Growth of the delay from one retry to the next.
    pub multiplier: f64,
    /// Largest delay before jitter.
    pub max_delay: Duration,
    /// How the delay is randomised.
    pub jitter: Jitter,
    /// Wait at least as long as the server's `Retry-After`.
    pub honor_retry_after: bool,
    /// Re-authenticate (validate the stored license key once more) instead of
    /// retrying the request.
    pub reauthenticate: bool,
    /// Log the error as a possible attack.
    pub security_alert: bool,
}

impl RetryPolicy {
    /// Whether the same request may ever be sent again.
    #[must_use]
    pub const fn retries(&self) -> bool {
        self.max_attempts > 1
    }

    /// How long to wait before the next attempt after `failed_attempts`
    /// attempts have failed (the first failure is `1`), or `None` when the
    /// attempts are used up.
    ///
    /// `unit_random` is a uniform sample from `0.0..1.0` that drives the
    /// jitter; passing it in keeps this function pure and testable.
    #[must_use]
    pub fn delay_after(
        &self,
        failed_attempts: u32,
        retry_after: Option<Duration>,
        unit_random: f64,
    ) -> Option<Duration> {
        if failed_attempts == 0 || failed_attempts >= self.max_attempts {
            return None;
        }
        let exponent = i32::try_from(failed_attempts - 1).unwrap_or(i32::MAX);
        let max = self.max_delay.as_secs_f64();
        let base = (self.initial_delay.as_secs_f64() * self.multiplier.powi(exponent)).min(max);
        let unit = if unit_random.is_finite() {
            unit_random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let jittered = match self.jitter {
            Jitter::None => base,
            Jitter::Full => base * unit,
            Jitter::Equal => base / 2.0 + base / 2.0 * unit,
        };
        let delay = Duration::try_from_secs_f64(jittered).unwrap_or(self.max_delay);
        Some(match retry_after {
            Some(server) if self.honor_retry_after => delay.max(server),
            _ => delay,
        })
    }
}

/// A token-bucket rate limit: `burst_per_second` requests at once, refilled
/// at `sustained_per_second`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RateLimit {
    /// Bucket capacity.
    pub burst_per_second: u32,
    /// Refill rate per second.
    pub sustained_per_second: u32,
}
