//! Heartbeat billing under concurrency, over HTTP: several devices of one license beating
//! at once, back to back, each with its own session. Whatever the interleaving, every
//! `success` is counted and every 10th counted beat is paid for; no beat past a milestone
//! the account could not pay is answered `success`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use keyward_errors::HeartbeatError;
use keyward_server::store::NewApp;
use keyward_server::{Seed, TestServer};

const DEVICES: usize = 4;
const BEATS_PER_DEVICE: usize = 100;
const HEARTBEATS_PER_CREDIT: i64 = keyward_server::store::HEARTBEATS_PER_CREDIT;

/// A server without the auth rate limit, and one license of an app with a slot per
/// device, validated on every device: the sessions (HWID and token).
async fn license_on_every_device() -> (TestServer, Seed, Vec<(String, String)>) {
    let server = TestServer::start_with(|config| config.auth_rate_limit = None)
        .await
        .unwrap();
    let mut app = NewApp::named("shared license");
    app.hwid_slots = DEVICES as u8;
    let seed = server.seed_with(app).await.unwrap();
    let mut sessions = Vec::new();
    for device in 0..DEVICES {
        let hwid = format!("device-{device}");
        let token = validate_ok(&server, &seed, &hwid)
            .await
            .payload
            .session_token;
        sessions.push((hwid, token));
    }
    (server, seed, sessions)
}

/// Sets the seed's account to exactly `credits`.
async fn set_credits(server: &TestServer, seed: &Seed, credits_wanted: i64) {
    let now = credits(server, seed).await;
    server
        .admin()
        .add_credits(&seed.account, credits_wanted - now)
        .await
        .unwrap();
    assert_eq!(credits(server, seed).await, credits_wanted);
}

/// Credits added while the devices run: a device told of a refusal stops once it is
/// refused again after the credits were added (they ran out again).
#[derive(Default)]
struct CreditsAdded {
    refused: tokio::sync::Notify,
    added: AtomicBool,
}

/// Beats `BEATS_PER_DEVICE` times back to back on one device (rotating to each fresh
/// token), or until refused after `credits_added`: every answer is `success` or
/// `no_credits`. The device's successes.
async fn beat_device(
    server: Arc<TestServer>,
    seed: Seed,
    hwid: String,
    mut token: String,
    credits_added: Option<Arc<CreditsAdded>>,
) -> i64 {
    let mut successes = 0;
    for _ in 0..BEATS_PER_DEVICE {
        // Read before the beat is sent, so that a refusal after it saw the new credits.
        let after_adding = credits_added
            .as_ref()
            .is_some_and(|credits| credits.added.load(Ordering::Acquire));
        match heartbeat(&server, &seed, &token, &hwid).await {
            Ok(session) => {
                successes += 1;
                token = session.payload.session_token;
            }
            Err(body) => {
                assert_eq!(body["error"], HeartbeatError::NoCredits.code(), "{body}");
                if let Some(credits) = &credits_added {
                    credits.refused.notify_one();
                }
                if after_adding {
                    break;
                }
            }
        }
    }
    successes
}

/// Runs every device at once; the successes of all devices.
async fn beat_all_devices(
    server: Arc<TestServer>,
    seed: Seed,
    sessions: Vec<(String, String)>,
    credits_added: Option<Arc<CreditsAdded>>,
) -> i64 {
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|(hwid, token)| {
            tokio::spawn(beat_device(
                server.clone(),
                seed.clone(),
                hwid,
                token,
                credits_added.clone(),
            ))
        })
        .collect();
    let mut successes = 0;
    for task in tasks {
        successes += task.await.unwrap();
    }
    successes
}

/// The license's count: through the API at once, and in the database once the server
/// stopped (the counts kept in memory are written at shutdown); asserts they agree.
async fn counted_beats(server: Arc<TestServer>, seed: &Seed) -> i64 {
    let license = get_license(&server, seed, &seed.license_key).await;
    let counted = license["heartbeats"].as_i64().unwrap();
    let server = Arc::into_inner(server).expect("no task holds the server");
    let stored = stored_heartbeats(server, &seed.license_key).await;
    assert_eq!(stored, counted, "the API's count is the database's");
    counted
}

/// Every device beats as fast as it can with `credits` credits: exactly the beats the
/// credits pay for succeed (the first nine are free), all of them counted and paid.
async fn exact_billing_with(credits_at_start: i64) {
    let (server, seed, sessions) = license_on_every_device().await;
    set_credits(&server, &seed, credits_at_start).await;
    let server = Arc::new(server);
    let successes = beat_all_devices(server.clone(), seed.clone(), sessions, None).await;
    let charged = credits_at_start - credits(&server, &seed).await;
    let counted = counted_beats(server, &seed).await;
    let paid_for = HEARTBEATS_PER_CREDIT - 1 + HEARTBEATS_PER_CREDIT * credits_at_start;
    assert_eq!(successes, counted, "every success is counted, nothing else");
    assert_eq!(
        charged,
        counted / HEARTBEATS_PER_CREDIT,
        "every milestone paid"
    );
    assert_eq!(successes, paid_for, "no success past an unpaid milestone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_heartbeats_at_zero_credits_stop_at_the_first_milestone() {
    exact_billing_with(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_heartbeats_with_credit_for_one_milestone_stop_at_the_second() {
    exact_billing_with(1).await;
}

/// Credits added while the devices are being refused: beats succeed again, exactly as
/// many as the new credits pay for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_heartbeats_resume_exactly_when_credits_are_added() {
    const ADDED: i64 = 3;
    let (server, seed, sessions) = license_on_every_device().await;
    set_credits(&server, &seed, 0).await;
    let server = Arc::new(server);
    let credits_added = Arc::new(CreditsAdded::default());
    let run = tokio::spawn(beat_all_devices(
        server.clone(),
        seed.clone(),
        sessions,
        Some(credits_added.clone()),
    ));
    credits_added.refused.notified().await;
    server
        .admin()
        .add_credits(&seed.account, ADDED)
        .await
        .unwrap();
    credits_added.added.store(true, Ordering::Release);
    let successes = run.await.unwrap();
    let charged = ADDED - credits(&server, &seed).await;
    let counted = counted_beats(server, &seed).await;
    assert_eq!(successes, counted, "every success is counted, nothing else");
    assert_eq!(
        charged,
        counted / HEARTBEATS_PER_CREDIT,
        "every milestone paid"
    );
    assert_eq!(
        successes,
        HEARTBEATS_PER_CREDIT - 1 + HEARTBEATS_PER_CREDIT * ADDED,
        "no success past an unpaid milestone"
    );
}
