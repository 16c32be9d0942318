//! The server's clock: system time, optionally shifted by an adjustable offset so tests can
//! move time forward (license and session expiry) without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A cloneable clock handle. Every clone shares the same offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock with no offset.
    pub fn system() -> Self {
        Self::default()
    }

    /// Moves this clock (and every clone of it) forward by `by`. Test-only (feature
    /// `test-util`): a server's own clock never jumps.
    #[cfg(any(test, feature = "test-util"))]
    pub fn advance(&self, by: std::time::Duration) {
        let micros = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        self.offset_micros.fetch_add(micros, Ordering::SeqCst);
    }

    /// Microseconds since the Unix epoch, offset included.
    pub fn now_micros(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        real.saturating_add(self.offset_micros.load(Ordering::Relaxed))
    }

    /// Seconds since the Unix epoch, offset included.
    pub fn now_unix(&self) -> i64 {
        self.now_micros().div_euclid(1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn advance_is_shared_by_clones() {
        let clock = Clock::system();
        let other = clock.clone();
        let before = other.now_unix();
        clock.advance(Duration::from_secs(86_400));
        assert!(other.now_unix() >= before + 86_400);
    }
}
