//! Full login round trip on loopback against the in-process server (validate request,
//! server checks and SQLite transaction, signed answer, client verification and session
//! store).
//!
//! ```sh
//! cargo bench -p keyward-client --bench login -- --warm-up-time 1 --measurement-time 5
//! ```
//!
//! Criterion reports the mean and median; afterwards the bench logs in
//! `KEYWARD_BENCH_LOGINS` more times (default 2000), one at a time, and prints the
//! median, p90, p99 and max of those latencies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use criterion::Criterion;
use keyward_client::{Client, HeartbeatMode};
use keyward_server::TestServer;
use tokio::runtime::Runtime;

struct Setup {
    runtime: Runtime,
    _server: TestServer,
    client: Client,
    key: String,
}

fn setup() -> Setup {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (server, client, key) = runtime.block_on(async {
        let server = TestServer::start_unchecked(|config| config.auth_rate_limit = None)
            .await
            .unwrap();
        let seed = server.seed().await.unwrap();
        server
            .admin()
            .add_credits(&seed.account, 100_000_000)
            .await
            .unwrap();
        let client = Client::builder()
            .app_id(&seed.app_id)
            .app_secret(&seed.app_secret)
            .base_url(server.url(""))
            .hwid("bench-device")
            .heartbeat(HeartbeatMode::Server, Duration::from_secs(3600))
            .build()
            .unwrap();
        (server, client, seed.license_key)
    });
    Setup {
        runtime,
        _server: server,
        client,
        key,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn main() {
    let s = setup();
    let mut criterion = Criterion::default().configure_from_args();
    criterion.bench_function("login/round_trip", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { s.client.login(&s.key).await.unwrap() })
    });
    criterion.final_summary();

    let n: usize = std::env::var("KEYWARD_BENCH_LOGINS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let mut latencies: Vec<Duration> = s.runtime.block_on(async {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let started = Instant::now();
            s.client.login(&s.key).await.unwrap();
            out.push(started.elapsed());
        }
        out
    });
    latencies.sort();
    println!(
        "login/round_trip over {n} logins: median {:?}, p90 {:?}, p99 {:?}, max {:?}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
    );
}
