//! Cost of one rate-limit check, as the server makes it (per client key, on the server's
//! clock): with one key, and with 1,000,000 distinct keys already holding state (each
//! check on another key, in an order that defeats the caches). The baseline beside each is
//! the least a keyed limiter can do: bump a counter in a `Mutex<HashMap>` under the same keys.

use std::collections::HashMap;
use std::hint::black_box;
use std::net::Ipv4Addr;
use std::sync::Mutex;

use criterion::{Criterion, criterion_group, criterion_main};
use keyward_server::clock::Clock;
use keyward_server::ratelimit::{ClientKey, RateLimitConfig, RateLimiter};

const KEYS: u32 = 1_000_000;

/// A limiter that admits every check of the benchmark, so that each one updates its state.
fn limiter() -> RateLimiter<ClientKey> {
    RateLimiter::new(
        RateLimitConfig::new(u32::MAX, 1e9),
        2 * KEYS as usize,
        Clock::system(),
    )
}

/// The baseline: one counter per key behind one lock, no time and no pruning.
fn bump(counters: &Mutex<HashMap<ClientKey, u64>>, key: ClientKey) -> u64 {
    let mut counters = counters
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let count = counters.entry(key).or_insert(0);
    *count += 1;
    *count
}

fn key(i: u32) -> ClientKey {
    ClientKey::V4(Ipv4Addr::from(i))
}

fn checks(c: &mut Criterion) {
    let mut group = c.benchmark_group("ratelimit check");

    let one = limiter();
    group.bench_function("1 key", |b| {
        b.iter(|| black_box(one.check(black_box(&key(1)))))
    });

    let one_counter = Mutex::new(HashMap::new());
    group.bench_function("baseline, 1 key", |b| {
        b.iter(|| black_box(bump(&one_counter, black_box(key(1)))))
    });

    let many = limiter();
    for i in 0..KEYS {
        many.check(&key(i));
    }
    assert_eq!(many.len(), KEYS as usize);
    let mut i = 0_u32;
    group.bench_function("1,000,000 keys", |b| {
        b.iter(|| {
            // A step coprime with KEYS visits every key, far from the last one.
            i = (i + 618_033) % KEYS;
            black_box(many.check(black_box(&key(i))))
        })
    });
    let many_counters = Mutex::new(HashMap::new());
    for i in 0..KEYS {
        bump(&many_counters, key(i));
    }
    group.bench_function("baseline, 1,000,000 keys", |b| {
        b.iter(|| {
            i = (i + 618_033) % KEYS;
            black_box(bump(&many_counters, black_box(key(i))))
        })
    });
    group.finish();
}

criterion_group!(benches, checks);
criterion_main!(benches);
