//! Heartbeats answered from memory.
//!
//! Heartbeats are most of a license server's traffic: every running copy of every app sends
//! one each interval, and nine in ten of them change nothing but a counter. So every
//! heartbeat that goes to the database leaves its license's state here, and the next
//! heartbeats of that license and device are answered from it; only their count is kept
//! in memory (`pending`) until it is written.
//!
//! Memory answers only when all of these hold:
//! - the state was read at the current *generation*. Every committed write that can change
//!   a heartbeat's answer (revoking, extending or deleting a license, resetting its HWIDs,
//!   changing or deactivating an app, suspending an account) bumps the generation before
//!   its caller is answered, so no heartbeat that starts after such a write is answered
//!   from older state;
//! - the database was checked for commits by *other processes* (the admin CLI) within
//!   [`STALE_AFTER`]: every transaction of the worker starts by comparing SQLite's
//!   `data_version`, and bumps the generation if another connection committed. A change
//!   made by the admin CLI therefore reaches heartbeats within that time;
//! - the same app, a device the database confirmed bound at this generation, and a license
//!   not expired at the heartbeat's time;
//! - the beat is below the license's next billing milestone as last *committed*
//!   (`stored`), counting every beat already answered or being written: every 10th beat
//!   charges a credit in the database and is answered after that charge commits,
//!   carrying the beats counted in memory before it. While a milestone is being charged,
//!   the beats after it wait for the answer rather than count on a charge that may fail.
//!
//! Each license has one *writer*: the database write of its beats (a heartbeat sent
//! there, or the flusher's write of its pending count) holds it from [`SessionCache::begin`]
//! until the write's result is taken in, so a license's writes commit in the order their
//! beats were counted here, one at a time. So the cache's count is the database's after
//! every write, and a write never carries beats answered from memory past a milestone
//! it could fail to charge: with no credits, the milestone beat is refused and nothing
//! else. Heartbeats that the database must see wait for the writer; answers from memory
//! never do.
//!
//! Pending counts are written by the license's next database heartbeat (at most nine beats
//! later) or by [`SessionCache::take_pending`]'s caller, the flusher (every second, and at
//! shutdown). A crash (kill -9) can lose pending counts, at most nine per license, which
//! postpones that license's next charge; a charge that was answered is never lost.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use keyward_errors::HeartbeatError;
use tokio::sync::OwnedMutexGuard;

use super::StoreError;
use super::auth::{DatabaseBeat, Grant, HEARTBEATS_PER_CREDIT, HeartbeatInput};

/// How long after the last check for other processes' commits memory may still answer.
pub(super) const STALE_AFTER: Duration = Duration::from_millis(100);
/// Entries with nothing to write that saw no heartbeat for this long are dropped.
const IDLE_AFTER: Duration = Duration::from_secs(600);
/// Independent locks, so that the async threads rarely wait for one another.
const SHARDS: usize = 16;

/// What the database tells the cache: the generation, and when the worker last checked
/// for commits by other processes.
#[derive(Debug)]
pub(super) struct Epoch {
    generation: AtomicU64,
    /// Microseconds after `origin`.
    checked_at: AtomicU64,
    origin: Instant,
}

impl Epoch {
    pub(super) fn new() -> Self {
        Self {
            generation: AtomicU64::new(1),
            checked_at: AtomicU64::new(0),
            origin: Instant::now(),
        }
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Makes every state read so far unusable.
    pub(super) fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Now, in microseconds after `origin` (for [`Epoch::checked`]).
    pub(super) fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Records that the commits of other processes up to `at` (an [`Epoch::now`] taken
    /// before the check) are reflected in the generation.
    pub(super) fn checked(&self, at: u64) {
        self.checked_at.fetch_max(at, Ordering::AcqRel);
    }

    fn fresh(&self, now: u64) -> bool {
        let checked_at = self.checked_at.load(Ordering::Acquire);
        now.saturating_sub(checked_at) <= STALE_AFTER.as_micros() as u64
    }
}

/// A license's state as a database heartbeat left it, and its count.
struct Entry {
    /// The generation the state was read at; 0 when it must not answer (its last
    /// database heartbeat failed).
    generation: u64,
    app_id: Box<str>,
    /// Devices the database confirmed bound at `generation`.
    hwids: Vec<Box<str>>,
    expires_at: Option<i64>,
    grant: Grant,
    /// The license's count as the last finished database write left it.
    stored: i64,
    /// Beats that running database writes add (assuming they succeed).
    in_flight: i64,
    /// Beats answered from memory and not yet handed to a database write.
    pending: i64,
    /// [`Epoch::now`] of the last heartbeat.
    last_beat: u64,
    /// Held by the license's database write (module docs).
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl Entry {
    /// An entry that answers nothing until a database heartbeat fills it in.
    fn placeholder(app_id: &str) -> Self {
        Self {
            generation: 0,
            app_id: app_id.into(),
            hwids: Vec::new(),
            expires_at: None,
            grant: Grant {
                app_variables: "{}".into(),
                license_variables: "{}".into(),
                answer_key: super::AnswerKey::Hmac,
                license: None,
            },
            stored: 0,
            in_flight: 0,
            pending: 0,
            last_beat: 0,
            writer: Arc::default(),
        }
    }

    fn answers(&self, input: &HeartbeatInput, generation: u64, now: i64) -> bool {
        self.generation == generation
            && self.hwids.iter().any(|hwid| **hwid == *input.hwid)
            && self.expires_at.is_none_or(|at| at > now)
            && self.below_next_milestone()
    }

    /// Whether one more beat, after every beat answered or being written, stays below the
    /// first milestone not yet charged in a committed write. (A beat that may fail,
    /// answered from memory and counted later, would be a beat nobody pays for.)
    fn below_next_milestone(&self) -> bool {
        let next_milestone = (self.stored / HEARTBEATS_PER_CREDIT + 1) * HEARTBEATS_PER_CREDIT;
        self.stored + self.in_flight + self.pending + 1 < next_milestone
    }

    /// Whether the entry may be dropped: nothing to write, no write running or waiting.
    fn idle(&self) -> bool {
        self.pending == 0 && self.in_flight == 0 && Arc::strong_count(&self.writer) == 1
    }

    /// Takes the state of a successful database heartbeat read at `generation`.
    fn refresh(&mut self, generation: u64, hwid: &str, grant: &Grant, expires_at: Option<i64>) {
        if generation > self.generation {
            self.generation = generation;
            self.hwids.clear();
            self.expires_at = expires_at;
            self.grant = grant.clone();
        }
        if generation == self.generation && !self.hwids.iter().any(|h| **h == *hwid) {
            self.hwids.push(hwid.into());
        }
    }
}

/// How a heartbeat goes on after [`SessionCache::begin`].
pub(super) enum Beat {
    /// Answered from memory.
    Answered(Grant),
    /// To the database; hand the ticket back to [`SessionCache::finish`].
    ToDatabase(Ticket),
}

/// A heartbeat on its way to the database.
#[derive(Debug)]
pub(super) struct Ticket {
    /// The generation before the database read.
    generation: u64,
    /// Beats answered from memory that this write carries.
    flushed: i64,
    /// The license's writer, while the entry counts this write in `in_flight`; `None`
    /// for a write the entry does not count.
    writer: Option<OwnedMutexGuard<()>>,
}

impl Ticket {
    /// Beats answered from memory that the database write must count first.
    pub(super) fn flushed(&self) -> i64 {
        self.flushed
    }
}

/// Entries by license key.
type Shard = HashMap<Box<str>, Entry>;

/// Pending counts handed to the flusher: license key and beats.
pub(super) type Pending = Vec<(String, i64)>;

/// What [`SessionCache::take_pending`] hands out: the counts, and the writers of their
/// licenses, to give back to [`SessionCache::finish_pending`].
pub(super) struct Flush {
    pub(super) pending: Arc<Pending>,
    writers: Vec<OwnedMutexGuard<()>>,
}

/// The cache. See the module documentation.
pub(super) struct SessionCache {
    epoch: Arc<Epoch>,
    hasher: RandomState,
    shards: Box<[Mutex<Shard>]>,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache").finish_non_exhaustive()
    }
}

impl SessionCache {
    pub(super) fn new(epoch: Arc<Epoch>) -> Self {
        Self {
            epoch,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    fn shard(&self, license_key: &str) -> MutexGuard<'_, Shard> {
        let index = self.hasher.hash_one(license_key) as usize % SHARDS;
        // No code panics while holding a shard, and every entry is valid at every step.
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers the heartbeat from memory, or sends it to the database with the beats
    /// pending for its license, once it holds the license's writer. (The ticket must be
    /// handed to [`SessionCache::finish`]: nothing may be awaited in between.)
    pub(super) async fn begin(&self, input: &HeartbeatInput, now: i64) -> Beat {
        // Twice at most: holding the writer, `begin_with` never asks for it.
        let mut writer = None;
        loop {
            match self.begin_with(input, now, writer.take()) {
                Ok(beat) => return beat,
                Err(free) => writer = Some(free.lock_owned().await),
            }
        }
    }

    /// A database write the entry does not count (its license belongs to another app).
    fn begin_unregistered(&self) -> Beat {
        Beat::ToDatabase(Ticket {
            generation: self.epoch.generation(),
            flushed: 0,
            writer: None,
        })
    }

    /// [`SessionCache::begin`] without waiting: `writer` is the license's, if held; `Err`
    /// is the writer to wait for when the beat must go to the database.
    fn begin_with(
        &self,
        input: &HeartbeatInput,
        now: i64,
        writer: Option<OwnedMutexGuard<()>>,
    ) -> Result<Beat, Arc<tokio::sync::Mutex<()>>> {
        let generation = self.epoch.generation();
        let at = self.epoch.now();
        let fresh = self.epoch.fresh(at);
        let mut shard = self.shard(&input.license_key);
        let key = input.license_key.as_str();
        // A license's first heartbeat leaves an entry that cannot answer yet but counts
        // its database write, so that every write of the license is counted in
        // `in_flight` (module docs). (Looked up before inserting: the key is copied only
        // then.)
        if !shard.contains_key(key) {
            shard.insert(key.into(), Entry::placeholder(&input.app_id));
        }
        let Some(entry) = shard.get_mut(key) else {
            return Ok(self.begin_unregistered());
        };
        if *entry.app_id != *input.app_id {
            return Ok(self.begin_unregistered());
        }
        entry.last_beat = at;
        if fresh && entry.answers(input, generation, now) {
            entry.pending += 1;
            return Ok(Beat::Answered(entry.grant.clone()));
        }
        // Entries are never dropped while their writer is held or awaited, so this is
        // the writer of this entry.
        let Some(writer) = writer else {
            return Err(entry.writer.clone());
        };
        let flushed = std::mem::take(&mut entry.pending);
        entry.in_flight += flushed + 1;
        Ok(Beat::ToDatabase(Ticket {
            generation,
            flushed,
            writer: Some(writer),
        }))
    }

    /// Takes in what the database answered the heartbeat `begin` sent there. Called in
    /// the order the database committed (`Worker::call_then`), which keeps
    /// `stored + in_flight + pending` exactly the license's count.
    pub(super) fn finish(
        &self,
        input: &HeartbeatInput,
        ticket: Ticket,
        result: &Result<DatabaseBeat, StoreError>,
    ) {
        if ticket.writer.is_none() {
            return;
        }
        let mut shard = self.shard(&input.license_key);
        // Still there: entries with writes in flight are never dropped.
        let Some(entry) = shard.get_mut(input.license_key.as_str()) else {
            return;
        };
        entry.in_flight -= ticket.flushed + 1;
        let beat = match result {
            Ok(beat) => beat,
            Err(_) => {
                // Rolled back: the carried beats are still to be written.
                entry.pending += ticket.flushed;
                return;
            }
        };
        let Some(counted) = beat.counted else {
            // The license is gone.
            entry.generation = 0;
            return;
        };
        // Results arrive in commit order, so this is the license's count now.
        entry.stored = counted;
        match &beat.outcome {
            Ok(grant) => entry.refresh(ticket.generation, &input.hwid, grant, beat.expires_at),
            // A refused charge (`no_credits`, `app_burn_cap_reached`) leaves the state as
            // it was: the next beat is the milestone again and goes to the database by
            // itself.
            Err(HeartbeatError::NoCredits | HeartbeatError::AppBurnCapReached) => {}
            Err(_) => entry.generation = 0,
        }
    }

    /// Hands every pending count whose license's writer is free to the caller (who must
    /// write it and then call [`SessionCache::finish_pending`]; the others ride with the
    /// running write's successor), and drops entries that have nothing to write and
    /// cannot answer or saw no heartbeat for [`IDLE_AFTER`].
    pub(super) fn take_pending(&self) -> Flush {
        let generation = self.epoch.generation();
        let now = self.epoch.now();
        let idle = IDLE_AFTER.as_micros() as u64;
        let mut pending = Vec::new();
        let mut writers = Vec::new();
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            shard.retain(|key, entry| {
                if entry.pending > 0 {
                    if let Ok(writer) = entry.writer.clone().try_lock_owned() {
                        let beats = std::mem::take(&mut entry.pending);
                        entry.in_flight += beats;
                        pending.push((key.to_string(), beats));
                        writers.push(writer);
                    }
                    return true;
                }
                let unusable =
                    entry.generation != generation || now.saturating_sub(entry.last_beat) > idle;
                !(entry.idle() && unusable)
            });
        }
        Flush {
            pending: Arc::new(pending),
            writers,
        }
    }

    /// Takes in the result of writing what [`SessionCache::take_pending`] handed out: per
    /// license, its count after the write (`None`: the license is gone). Called in commit
    /// order, like [`SessionCache::finish`]; frees the writers after.
    pub(super) fn finish_pending(
        &self,
        taken: Flush,
        result: &Result<Vec<Option<i64>>, StoreError>,
    ) {
        for (index, (key, beats)) in taken.pending.iter().enumerate() {
            let mut shard = self.shard(key);
            let Some(entry) = shard.get_mut(key.as_str()) else {
                continue;
            };
            entry.in_flight -= beats;
            match result {
                Ok(counts) => match counts.get(index).copied().flatten() {
                    Some(count) => entry.stored = count,
                    None => entry.generation = 0,
                },
                Err(_) => entry.pending += beats,
            }
        }
        // Only now may the next write of these licenses begin.
        drop(taken.writers);
    }

    /// Beats of the license answered from memory and not yet handed to a write.
    pub(super) fn unwritten(&self, license_key: &str) -> i64 {
        self.shard(license_key)
            .get(license_key)
            .map_or(0, |entry| entry.pending)
    }

    /// Beats of the license not yet known to be written: pending or being written.
    #[cfg(test)]
    fn unsettled(&self, license_key: &str) -> i64 {
        self.shard(license_key)
            .get(license_key)
            .map_or(0, |entry| entry.pending + entry.in_flight)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn input(hwid: &str) -> HeartbeatInput {
        HeartbeatInput {
            app_id: "app_1".to_owned(),
            license_key: "AAAA-BBBB-CCCC-DDDD".to_owned(),
            hwid: hwid.to_owned(),
        }
    }

    fn grant() -> Grant {
        Grant {
            app_variables: "{}".into(),
            license_variables: "{\"tier\":1}".into(),
            answer_key: super::super::AnswerKey::Hmac,
            license: None,
        }
    }

    fn success(counted: i64) -> Result<DatabaseBeat, StoreError> {
        Ok(DatabaseBeat {
            outcome: Ok(grant()),
            counted: Some(counted),
            expires_at: Some(1_000),
        })
    }

    fn fresh_cache() -> (Arc<Epoch>, SessionCache) {
        let epoch = Arc::new(Epoch::new());
        epoch.checked(epoch.now());
        let cache = SessionCache::new(epoch.clone());
        (epoch, cache)
    }

    /// [`SessionCache::begin`] for a license whose writer is free.
    fn begin_now(cache: &SessionCache, device: &HeartbeatInput, now: i64) -> Beat {
        cache
            .begin_with(device, now, None)
            .unwrap_or_else(|writer| {
                let writer = writer.try_lock_owned().expect("the writer is free");
                match cache.begin_with(device, now, Some(writer)) {
                    Ok(beat) => beat,
                    Err(_) => panic!("asked for the writer it holds"),
                }
            })
    }

    fn to_database(beat: Beat) -> Ticket {
        match beat {
            Beat::ToDatabase(ticket) => ticket,
            Beat::Answered(_) => panic!("answered from memory"),
        }
    }

    /// A beat that goes to the database and succeeds there, leaving the count `counted`.
    fn beat_in_database(cache: &SessionCache, device: &HeartbeatInput, counted: i64) {
        let ticket = to_database(begin_now(cache, device, 10));
        cache.finish(device, ticket, &success(counted));
    }

    /// The database sees the first beat and every 10th (carrying the nine before it);
    /// the others are answered from memory.
    #[test]
    fn memory_answers_all_but_the_milestones() {
        let (_, cache) = fresh_cache();
        let device = input("h1");
        let ticket = to_database(begin_now(&cache, &device, 10));
        assert_eq!(ticket.flushed(), 0);
        cache.finish(&device, ticket, &success(1));
        for beat in 2..=9 {
            match begin_now(&cache, &device, 10) {
                Beat::Answered(answer) => assert_eq!(answer, grant(), "beat {beat}"),
                Beat::ToDatabase(_) => panic!("beat {beat} went to the database"),
            }
        }
        let ticket = to_database(begin_now(&cache, &device, 10));
        assert_eq!(ticket.flushed(), 8, "beats 2 to 9 ride with the 10th");
        assert_eq!(cache.unsettled(&device.license_key), 9);
        cache.finish(&device, ticket, &success(10));
        assert_eq!(cache.unsettled(&device.license_key), 0);
        assert!(matches!(begin_now(&cache, &device, 10), Beat::Answered(_)));
    }

    /// A write committed after the state was read, another device, expiry, a failed
    /// database beat or a late check for other processes' commits: all go to the database.
    #[test]
    fn memory_never_answers_from_state_that_may_be_old() {
        let (epoch, cache) = fresh_cache();
        let device = input("h1");
        beat_in_database(&cache, &device, 1);

        assert!(matches!(
            begin_now(&cache, &input("h2"), 10),
            Beat::ToDatabase(_)
        ));
        assert!(matches!(
            begin_now(&cache, &device, 1_000),
            Beat::ToDatabase(_)
        ));
        let mut other_app = input("h1");
        other_app.app_id = "app_2".to_owned();
        assert!(matches!(
            begin_now(&cache, &other_app, 10),
            Beat::ToDatabase(_)
        ));

        epoch.bump();
        beat_in_database(&cache, &device, 5);
        assert!(matches!(begin_now(&cache, &device, 10), Beat::Answered(_)));

        let ticket = to_database(begin_now(&cache, &device, 1_000));
        let expired = Ok(DatabaseBeat {
            outcome: Err(HeartbeatError::Expired),
            counted: Some(7),
            expires_at: Some(1_000),
        });
        cache.finish(&device, ticket, &expired);
        assert!(matches!(
            begin_now(&cache, &device, 10),
            Beat::ToDatabase(_)
        ));

        let (epoch, cache) = fresh_cache();
        beat_in_database(&cache, &device, 1);
        // No check for other processes' commits within STALE_AFTER: memory must not answer.
        std::thread::sleep(STALE_AFTER + Duration::from_millis(20));
        assert!(matches!(
            begin_now(&cache, &device, 10),
            Beat::ToDatabase(_)
        ));
        epoch.checked(epoch.now());
        assert!(matches!(begin_now(&cache, &device, 10), Beat::Answered(_)));
    }

    /// Counts survive a failed write and a concurrent one: `stored + in_flight + pending`
    /// always counts every beat answered.
    #[test]
    fn pending_counts_are_never_dropped() {
        let (_, cache) = fresh_cache();
        let device = input("h1");
        beat_in_database(&cache, &device, 1);
        for _ in 0..3 {
            assert!(matches!(begin_now(&cache, &device, 10), Beat::Answered(_)));
        }
        let taken = cache.take_pending();
        assert_eq!(*taken.pending, vec![(device.license_key.clone(), 3)]);
        // While the flush runs, memory keeps answering and counting.
        assert!(matches!(begin_now(&cache, &device, 10), Beat::Answered(_)));
        cache.finish_pending(taken, &Err(StoreError::Closed));
        assert_eq!(cache.unsettled(&device.license_key), 4);
        let taken = cache.take_pending();
        assert_eq!(*taken.pending, vec![(device.license_key.clone(), 4)]);
        cache.finish_pending(taken, &Ok(vec![Some(5)]));
        assert_eq!(cache.unsettled(&device.license_key), 0);

        // A database beat that fails puts its carried beats back.
        for _ in 0..4 {
            assert!(matches!(begin_now(&cache, &device, 10), Beat::Answered(_)));
        }
        let ticket = to_database(begin_now(&cache, &device, 10));
        assert_eq!(ticket.flushed(), 4);
        cache.finish(&device, ticket, &Err(StoreError::Closed));
        assert_eq!(cache.unsettled(&device.license_key), 4);
    }

    /// While a milestone is being charged, no beat of the license is answered from
    /// memory nor written (they wait for the license's writer, the flusher too), and
    /// after a refused charge (no credits, or the app's daily cap) the next beat is the
    /// milestone again, the state kept.
    #[test]
    fn nothing_counts_on_a_milestone_being_charged() {
        for refusal in [HeartbeatError::NoCredits, HeartbeatError::AppBurnCapReached] {
            a_refused_milestone_is_the_next_beat_again(refusal);
        }
    }

    fn a_refused_milestone_is_the_next_beat_again(refusal: HeartbeatError) {
        let (_, cache) = fresh_cache();
        let device = input("h1");
        let other = input("h2");
        beat_in_database(&cache, &device, 1);
        beat_in_database(&cache, &other, 2);
        for _ in 3..=9 {
            assert!(matches!(begin_now(&cache, &device, 10), Beat::Answered(_)));
        }
        let milestone = to_database(begin_now(&cache, &device, 10));
        assert_eq!(milestone.flushed(), 7);
        for beat in [&device, &other] {
            assert!(
                cache.begin_with(beat, 10, None).is_err(),
                "waits for the writer"
            );
        }
        assert!(cache.take_pending().pending.is_empty());
        let refused = Ok(DatabaseBeat {
            outcome: Err(refusal),
            counted: Some(9),
            expires_at: Some(1_000),
        });
        cache.finish(&device, milestone, &refused);
        assert_eq!(cache.unsettled(&device.license_key), 0);
        let milestone = to_database(begin_now(&cache, &other, 10));
        assert_eq!(milestone.flushed(), 0);
        cache.finish(&other, milestone, &success(10));
        assert!(matches!(begin_now(&cache, &device, 10), Beat::Answered(_)));
    }
}
