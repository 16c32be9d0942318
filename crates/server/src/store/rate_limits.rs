//! The Developer API rate limit shared by every instance on one database (used on
//! PostgreSQL; SQLite keeps the in-process `governor` limiter): `governor`'s GCRA with its
//! state in `api_rate_limits`, one row per API key hash holding the key's theoretical
//! arrival time (TAT) in microseconds of the server clock.
//!
//! A request is decided by one statement: the upsert moves the TAT only when the request
//! passes, under the row lock of `ON CONFLICT DO UPDATE`, so concurrent requests on any
//! instance are decided one after the other even under READ COMMITTED, and no serialization
//! failure can occur. The SQL is portable (it also runs on SQLite, where the unit tests
//! compare it with `governor`).

use std::time::Duration;

use super::StoreError;
use super::sql::Sql;
use crate::ratelimit::{Decision, Gcra};

/// Takes one request from the key's budget; no row back: refused. `?1` key hash, `?2` now,
/// `?3` the TAT of a key with no debt (now + period), `?4` period, `?5` the latest TAT
/// that still admits (now + tolerance).
const TAKE: &str = "INSERT INTO api_rate_limits (key_hash, tat) VALUES (?1, ?3) \
     ON CONFLICT (key_hash) DO UPDATE SET tat = CASE \
         WHEN api_rate_limits.tat > ?2 THEN api_rate_limits.tat + ?4 ELSE ?3 END \
     WHERE api_rate_limits.tat <= ?5 \
     RETURNING tat";

/// How long a row outlives its TAT before it is forgotten. A row whose TAT is past
/// answers as no row does; the margin keeps the debt of a key for instances whose clock
/// is behind the pruning one's.
pub(super) const FORGET_AFTER: Duration = Duration::from_secs(60);

/// Decides one request of `key_hash` at `now` (microseconds).
pub(super) async fn take<D: Sql>(
    db: &D,
    key_hash: &[u8],
    gcra: Gcra,
    now: i64,
) -> Result<Decision, StoreError> {
    let fresh = now.saturating_add(gcra.period_micros);
    let latest = now.saturating_add(gcra.tolerance_micros);
    let admitted: Option<i64> = db
        .query_opt(
            TAKE,
            &[&key_hash, &now, &fresh, &gcra.period_micros, &latest],
        )
        .await?;
    if admitted.is_some() {
        return Ok(Decision::Allowed);
    }
    // Refused: the TAT that refused it (or a later one), for `Retry-After`. The row can be
    // missing only if it was forgotten meanwhile; one period is then the honest answer.
    let tat: Option<i64> = db
        .query_opt(
            "SELECT tat FROM api_rate_limits WHERE key_hash = ?1",
            &[&key_hash],
        )
        .await?;
    Ok(Decision::Limited {
        retry_after: tat.map_or_else(|| gcra.period(), |tat| gcra.retry_after(tat, now)),
    })
}

/// Forgets the keys whose TAT is more than [`FORGET_AFTER`] before `now` (microseconds).
pub(super) async fn forget_spent<D: Sql>(db: &D, now: i64) -> Result<u64, StoreError> {
    let margin = i64::try_from(FORGET_AFTER.as_micros()).unwrap_or(i64::MAX);
    db.execute(
        "DELETE FROM api_rate_limits WHERE tat < ?1",
        &[&now.saturating_sub(margin)],
    )
    .await
}

#[cfg(test)]
mod tests {
    use governor::clock::{Clock as _, FakeRelativeClock};
    use keyward_errors::RATE_LIMIT;
    use rusqlite::Connection;

    use super::*;
    use crate::ratelimit::{DEFAULT_MAX_KEYS, RateLimitConfig, RateLimiter};
    use crate::store::sql::{Sqlite, run_ready};

    fn database() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::schema::migrate(&mut conn).unwrap();
        conn
    }

    /// The shared limiter answers every request as `governor` does (the same decisions and
    /// the same `Retry-After`), through bursts, steady traffic and pauses.
    #[test]
    fn decides_as_governor_does() {
        for config in [
            RateLimitConfig::from(RATE_LIMIT),
            RateLimitConfig::new(3, 2.0),
            RateLimitConfig::new(1, 4.0),
        ] {
            let conn = database();
            let db = Sqlite(&conn);
            let clock = FakeRelativeClock::default();
            let governor = RateLimiter::new(config, DEFAULT_MAX_KEYS, clock.clone());
            let gcra = config.gcra();
            let mut refused = 0;
            // Steps of 1 to 16 ms, then a pause every 500 requests.
            for step in 0..3_000_u64 {
                let gap = if step % 500 == 499 {
                    1_500
                } else {
                    1 + step % 16
                };
                clock.advance(Duration::from_millis(gap));
                let now = i64::try_from(clock.now().as_u64() / 1_000).unwrap();
                let expected = governor.check(&"key");
                let shared = run_ready(take(&db, b"key", gcra, now)).unwrap();
                assert_eq!(shared, expected, "{config:?}, request {step}");
                refused += usize::from(expected != Decision::Allowed);
            }
            assert!(refused > 100, "{config:?}: the limit was never reached");
        }
    }

    /// Rows are forgotten only once their TAT is past by the margin; a forgotten key
    /// answers as a new one.
    #[test]
    fn spent_rows_are_forgotten() {
        let conn = database();
        let db = Sqlite(&conn);
        let gcra = RateLimitConfig::new(1, 1.0).gcra();
        let second = 1_000_000;
        let take_at = |key: &[u8], now| run_ready(take(&db, key, gcra, now)).unwrap();
        assert_eq!(take_at(b"a", 0), Decision::Allowed);
        assert_eq!(take_at(b"b", 100 * second), Decision::Allowed);
        let margin = i64::try_from(FORGET_AFTER.as_micros()).unwrap();
        // `a`'s TAT is 1 s: kept until 1 s + the margin.
        let forget_at = |now| run_ready(forget_spent(&db, now)).unwrap();
        assert_eq!(forget_at(second + margin), 0);
        assert_eq!(forget_at(second + margin + 1), 1);
        let left: Vec<Vec<u8>> =
            run_ready(db.query_all("SELECT key_hash FROM api_rate_limits", &[])).unwrap();
        assert_eq!(left, vec![b"b".to_vec()]);
        assert_eq!(take_at(b"a", second + margin + 1), Decision::Allowed);
    }
}
