//! SQL of the public auth endpoints: the checks of validate and heartbeat, in the
//! documented order, and the charge and HWID binding in the same transaction; once for
//! both backends ([`Sql`]). On PostgreSQL the transaction is SERIALIZABLE, so each
//! read-then-write here (slots counted then bound, credits read then charged, the beat
//! count read then written) is exact across instances: a transaction that raced another
//! on the same rows is run again.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use keyward_errors::{HeartbeatError, ValidateError};

use super::sql::{FromRow, Row, Sql};
use super::{HeartbeatOutcome, StoreError, ValidateOutcome};
use crate::ipnet::IpNet;
use crate::secret::constant_time_eq;

/// Heartbeats per billed credit: every `HEARTBEATS_PER_CREDIT`-th heartbeat of a license
/// costs one credit.
pub const HEARTBEATS_PER_CREDIT: i64 = 10;

/// How long a validate nonce is remembered per app: a repeat within it is
/// `replay_detected`. The SDKs send no timestamp, so only this memory bounds a replay.
pub const REPLAY_WINDOW_SECS: i64 = 86_400;

/// Seconds of a day: an app's daily credit cap counts per UTC day, `now / SECONDS_PER_DAY`.
const SECONDS_PER_DAY: i64 = 86_400;

/// The UTC day of `now` (unix seconds) that credits charged then count in.
pub(super) fn utc_day(now: i64) -> i64 {
    now.div_euclid(SECONDS_PER_DAY)
}

/// What `/auth/validate` asks the store.
#[derive(Clone)]
pub struct ValidateInput {
    /// Public app id.
    pub app_id: String,
    /// App secret as sent. Secret.
    pub app_secret: String,
    /// License key as sent. Secret.
    pub license_key: String,
    /// Device HWID.
    pub hwid: String,
    /// The request's nonce.
    pub nonce: String,
    /// Client IP.
    pub ip: IpAddr,
}

impl fmt::Debug for ValidateInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidateInput")
            .field("app_id", &self.app_id)
            .field("app_secret", &"<redacted>")
            .field("license_key", &crate::secret::key_tag(&self.license_key))
            .field("hwid", &self.hwid)
            .field("nonce", &self.nonce)
            .field("ip", &self.ip)
            .finish()
    }
}

/// What `/auth/heartbeat` asks the store (from a verified session token).
#[derive(Clone)]
pub struct HeartbeatInput {
    /// Public app id.
    pub app_id: String,
    /// License key from the token. Secret.
    pub license_key: String,
    /// Device HWID from the token.
    pub hwid: String,
}

impl fmt::Debug for HeartbeatInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeartbeatInput")
            .field("app_id", &self.app_id)
            .field("license_key", &crate::secret::key_tag(&self.license_key))
            .field("hwid", &self.hwid)
            .finish()
    }
}

/// What a successful validate or heartbeat returns: the variables (JSON object text,
/// shared: heartbeats answered from memory hand out the same text) and how to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// App variables, JSON object text.
    pub app_variables: Arc<str>,
    /// License variables, JSON object text.
    pub license_variables: Arc<str>,
    /// The key the answer is signed with.
    pub answer_key: AnswerKey,
    /// Validate only: what the payload tells about the license (protocol v2's extra
    /// fields). Heartbeats, answered from memory too, carry none.
    pub license: Option<LicenseFacts>,
}

/// What a validate's payload tells about the license.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseFacts {
    /// Expiry, unix seconds; `None` for a lifetime license.
    pub expires_at: Option<i64>,
    /// The app's HWID slots per license.
    pub max_hwid_slots: i64,
    /// Devices bound to the license after this validate.
    pub hwid_count: i64,
    /// The license's label, if any.
    pub label: Option<String>,
}

/// How an app's answer is signed, as the store knows it.
#[derive(Clone, PartialEq, Eq)]
pub enum AnswerKey {
    /// HMAC mode: keys derived from the app secret (validate) or the token's `sigKey`.
    Hmac,
    /// Ed25519 mode: the app's active key, sealed (`crate::signing_keys` opens it).
    Ed25519 {
        /// The key's id (`keyId`).
        key_id: Arc<str>,
        /// The sealed private key.
        sealed: Arc<[u8]>,
    },
}

impl fmt::Debug for AnswerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerKey::Hmac => f.write_str("Hmac"),
            AnswerKey::Ed25519 { key_id, .. } => f
                .debug_struct("Ed25519")
                .field("key_id", key_id)
                .finish_non_exhaustive(),
        }
    }
}

/// The stored columns `a.signing, k.key_id, k.sealed` of an app joined with its active key.
type SigningColumns = (String, Option<String>, Option<Vec<u8>>);

/// Reads [`SigningColumns`] from columns `first`, `first + 1` and `first + 2`.
fn signing_columns(row: &Row<'_>, first: usize) -> Result<SigningColumns, StoreError> {
    Ok((row.get(first)?, row.get(first + 1)?, row.get(first + 2)?))
}

fn answer_key((signing, key_id, sealed): SigningColumns) -> Result<AnswerKey, StoreError> {
    match (signing.as_str(), key_id, sealed) {
        ("hmac", ..) => Ok(AnswerKey::Hmac),
        ("ed25519", Some(key_id), Some(sealed)) => Ok(AnswerKey::Ed25519 {
            key_id: key_id.into(),
            sealed: sealed.into(),
        }),
        _ => Err(StoreError::Backend(
            "an ed25519 app without an active signing key".to_owned(),
        )),
    }
}

/// What a heartbeat in the database answered, and the license's state for the session
/// cache.
#[derive(Debug)]
pub(super) struct DatabaseBeat {
    /// The answer.
    pub(super) outcome: HeartbeatOutcome,
    /// The license's heartbeat count after this transaction; `None` if the license is
    /// gone.
    pub(super) counted: Option<i64>,
    /// The license's expiry.
    pub(super) expires_at: Option<i64>,
}

/// A successful validate.
pub type ValidateGrant = Grant;
/// A successful heartbeat.
pub type HeartbeatGrant = Grant;

pub(super) struct AppState {
    pub(super) id: i64,
    pub(super) secret: String,
    pub(super) active: bool,
    hwid_slots: i64,
    variables: String,
    allowlist_required: bool,
    pub(super) suspended: bool,
    signing: SigningColumns,
}

impl FromRow for AppState {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(AppState {
            id: row.get(0)?,
            secret: row.get(1)?,
            active: row.get(2)?,
            hwid_slots: row.get(3)?,
            variables: row.get(4)?,
            allowlist_required: row.get(5)?,
            suspended: row.get(6)?,
            signing: signing_columns(row, 7)?,
        })
    }
}

pub(super) async fn app_state<D: Sql>(
    db: &D,
    public_id: &str,
) -> Result<Option<AppState>, StoreError> {
    db.query_opt(
        "SELECT a.id, a.secret, a.active, a.hwid_slots, a.variables, a.allowlist_required,
                acc.suspended, a.signing, k.key_id, k.sealed
         FROM apps a JOIN accounts acc ON acc.id = a.account_id
         LEFT JOIN app_signing_keys k ON k.app_id = a.id AND k.active = TRUE
         WHERE a.public_id = ?1",
        &[&public_id],
    )
    .await
}

pub(super) struct LicenseState {
    pub(super) id: i64,
    expires_at: Option<i64>,
    revoked: bool,
    variables: String,
    label: Option<String>,
    /// Whether the request's HWID is bound to the license.
    pub(super) bound: bool,
}

impl FromRow for LicenseState {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(LicenseState {
            id: row.get(0)?,
            expires_at: row.get(1)?,
            revoked: row.get(2)?,
            variables: row.get(3)?,
            bound: row.get(4)?,
            label: row.get(5)?,
        })
    }
}

pub(super) async fn license_state<D: Sql>(
    db: &D,
    app: i64,
    key: &str,
    hwid: &str,
) -> Result<Option<LicenseState>, StoreError> {
    db.query_opt(
        "SELECT l.id, l.expires_at, l.revoked, l.variables,
                EXISTS (SELECT 1 FROM license_hwids h WHERE h.license_id = l.id AND h.hwid = ?3),
                l.label
         FROM licenses l WHERE l.license_key = ?1 AND l.app_id = ?2",
        &[&key, &app, &hwid],
    )
    .await
}

/// Everything a heartbeat checks, read in one query.
struct SessionState {
    active: bool,
    app_variables: String,
    app: i64,
    suspended: bool,
    license_id: i64,
    expires_at: Option<i64>,
    revoked: bool,
    license_variables: String,
    heartbeats: i64,
    bound: bool,
    signing: SigningColumns,
}

impl FromRow for SessionState {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(SessionState {
            active: row.get(0)?,
            app_variables: row.get(1)?,
            app: row.get(2)?,
            suspended: row.get(3)?,
            license_id: row.get(4)?,
            expires_at: row.get(5)?,
            revoked: row.get(6)?,
            license_variables: row.get(7)?,
            heartbeats: row.get(8)?,
            bound: row.get(9)?,
            signing: signing_columns(row, 10)?,
        })
    }
}

async fn session_state<D: Sql>(
    db: &D,
    input: &HeartbeatInput,
) -> Result<Option<SessionState>, StoreError> {
    db.query_opt(
        "SELECT a.active, a.variables, a.id, acc.suspended,
                l.id, l.expires_at, l.revoked, l.variables, l.heartbeats,
                EXISTS (SELECT 1 FROM license_hwids h WHERE h.license_id = l.id AND h.hwid = ?3),
                a.signing, k.key_id, k.sealed
         FROM apps a
         JOIN accounts acc ON acc.id = a.account_id
         JOIN licenses l ON l.app_id = a.id AND l.license_key = ?2
         LEFT JOIN app_signing_keys k ON k.app_id = a.id AND k.active = TRUE
         WHERE a.public_id = ?1",
        &[&input.app_id, &input.license_key, &input.hwid],
    )
    .await
}

/// Who pays for an app's auth calls on a UTC day: its account, within the app's own
/// daily credit cap.
struct Payer {
    app: i64,
    day: i64,
    balance: Balance,
}

/// The columns a [`Payer`] is read from: its account's credits, and the app's cap and
/// credits charged that day.
struct Balance {
    account: i64,
    credits: i64,
    daily_cap: Option<i64>,
    used_today: i64,
}

impl FromRow for Balance {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(Balance {
            account: row.get(0)?,
            credits: row.get(1)?,
            daily_cap: row.get(2)?,
            used_today: row.get(3)?,
        })
    }
}

/// Why a charge is refused.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    /// The account has too few credits.
    NoCredits,
    /// The app's daily credit cap would be passed.
    BurnCap,
}

impl From<Refusal> for ValidateError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NoCredits => ValidateError::NoCredits,
            Refusal::BurnCap => ValidateError::AppBurnCapReached,
        }
    }
}

impl From<Refusal> for HeartbeatError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NoCredits => HeartbeatError::NoCredits,
            Refusal::BurnCap => HeartbeatError::AppBurnCapReached,
        }
    }
}

impl Payer {
    /// Why `amount` credits cannot be charged, in the documented order (`no_credits`,
    /// then `app_burn_cap_reached`).
    fn refusal(&self, amount: i64) -> Option<Refusal> {
        let balance = &self.balance;
        if balance.credits < amount {
            Some(Refusal::NoCredits)
        } else if balance
            .daily_cap
            .is_some_and(|cap| balance.used_today.saturating_add(amount) > cap)
        {
            Some(Refusal::BurnCap)
        } else {
            None
        }
    }
}

/// The payer of app `app` (internal id) on the UTC day of `now`.
async fn payer<D: Sql>(db: &D, app: i64, now: i64) -> Result<Payer, StoreError> {
    let day = utc_day(now);
    let balance = db
        .query_opt(
            "SELECT a.account_id, acc.credits, a.daily_credit_cap, COALESCE(d.credits, 0)
             FROM apps a JOIN accounts acc ON acc.id = a.account_id
             LEFT JOIN app_daily_credits d ON d.app_id = a.id AND d.day = ?2
             WHERE a.id = ?1",
            &[&app, &day],
        )
        .await?
        .ok_or_else(|| StoreError::Backend("the paying app is gone".to_owned()))?;
    Ok(Payer { app, day, balance })
}

/// Takes `amount` credits from the payer's account and counts them in its app's day,
/// unless the account lacks them or the app's daily cap would be passed.
async fn charge<D: Sql>(
    db: &D,
    payer: &Payer,
    amount: i64,
) -> Result<Result<(), Refusal>, StoreError> {
    if let Some(refusal) = payer.refusal(amount) {
        return Ok(Err(refusal));
    }
    let charged = db
        .execute(
            "UPDATE accounts SET credits = credits - ?2 WHERE id = ?1 AND credits >= ?2",
            &[&payer.balance.account, &amount],
        )
        .await?
        == 1;
    if !charged {
        return Ok(Err(Refusal::NoCredits));
    }
    db.execute(
        "INSERT INTO app_daily_credits (app_id, day, credits) VALUES (?1, ?2, ?3)
         ON CONFLICT (app_id, day)
             DO UPDATE SET credits = app_daily_credits.credits + excluded.credits",
        &[&payer.app, &payer.day, &amount],
    )
    .await?;
    db.note_charge(amount);
    Ok(Ok(()))
}

/// A license's heartbeat count after [`count_beats`].
enum Counted {
    /// Every beat counted, every billing milestone reached paid for.
    Paid(i64),
    /// A milestone could not be charged (why: the refusal): the count stops just below
    /// it, so that the next beat is the milestone again.
    Unpaid(i64, Refusal),
}

/// Adds `beats` to a license's count of `counted`, charging one credit for every
/// [`HEARTBEATS_PER_CREDIT`]-th beat reached, to the license's app (`app`) on the UTC day
/// of `now`. One beat reaches at most one milestone; more only when beats answered from
/// memory are written together (the session cache).
async fn count_beats<D: Sql>(
    db: &D,
    license: i64,
    app: i64,
    counted: i64,
    beats: i64,
    now: i64,
) -> Result<Counted, StoreError> {
    let target = counted.saturating_add(beats);
    let due = target / HEARTBEATS_PER_CREDIT - counted / HEARTBEATS_PER_CREDIT;
    let refused = if due > 0 {
        charge(db, &payer(db, app, now).await?, due).await?.err()
    } else {
        None
    };
    let (result, count) = match refused {
        Some(refusal) => {
            let below = (counted / HEARTBEATS_PER_CREDIT + 1) * HEARTBEATS_PER_CREDIT - 1;
            (Counted::Unpaid(below, refusal), below)
        }
        None => (Counted::Paid(target), target),
    };
    if count != counted {
        db.execute(
            "UPDATE licenses SET heartbeats = ?1 WHERE id = ?2",
            &[&count, &license],
        )
        .await?;
    }
    Ok(result)
}

/// Whether the device is blocked by the app's deny list or missing from a required
/// allow list.
async fn blocked<D: Sql>(
    db: &D,
    app: &AppState,
    hwid: &str,
    ip: IpAddr,
) -> Result<bool, StoreError> {
    let ip = IpNet::host(ip).first();
    let ip: &[u8] = &ip;
    let lists: Vec<String> = db
        .query_all(
            "SELECT list FROM access_rules
             WHERE app_id = ?1 AND ((kind = 'hwid' AND value = ?2)
                                    OR (kind = 'ip' AND ip_first <= ?3 AND ip_last >= ?3))",
            &[&app.id, &hwid, &ip],
        )
        .await?;
    if lists.iter().any(|list| list == "deny") {
        return Ok(true);
    }
    Ok(app.allowlist_required && lists.is_empty())
}

/// Records `nonce` for `app`; `false` when it was already seen within the replay window
/// (a nonce seen before it counts as new, and its time is renewed).
pub(super) async fn first_use<D: Sql>(
    db: &D,
    app: i64,
    nonce: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let window_start = now.saturating_sub(REPLAY_WINDOW_SECS);
    let changed = db
        .execute(
            "INSERT INTO seen_nonces (app_id, nonce, seen_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (app_id, nonce) DO UPDATE SET seen_at = excluded.seen_at
                 WHERE seen_nonces.seen_at <= ?4",
            &[&app, &nonce, &now, &window_start],
        )
        .await?;
    Ok(changed == 1)
}

/// Forgets the nonces seen at or before `before`; returns how many.
pub(super) async fn forget_nonces<D: Sql>(db: &D, before: i64) -> Result<usize, StoreError> {
    let forgotten = db
        .execute("DELETE FROM seen_nonces WHERE seen_at <= ?1", &[&before])
        .await?;
    Ok(usize::try_from(forgotten).unwrap_or(usize::MAX))
}

/// The checks of `/auth/validate`, in order, then bind and charge.
pub(super) async fn validate<D: Sql>(
    db: &D,
    input: &ValidateInput,
    now: i64,
) -> Result<ValidateOutcome, StoreError> {
    let Some(app) = app_state(db, &input.app_id).await? else {
        return Ok(Err(ValidateError::InvalidApp));
    };
    if !constant_time_eq(app.secret.as_bytes(), input.app_secret.as_bytes()) || !app.active {
        return Ok(Err(ValidateError::InvalidApp));
    }
    // Recorded whatever follows (the transaction commits failures too), so that no
    // authenticated request is answered twice.
    if !first_use(db, app.id, &input.nonce, now).await? {
        return Ok(Err(ValidateError::ReplayDetected));
    }
    if app.suspended {
        return Ok(Err(ValidateError::AppDisabled));
    }
    let payer = payer(db, app.id, now).await?;
    if let Some(refusal) = payer.refusal(1) {
        return Ok(Err(refusal.into()));
    }
    if blocked(db, &app, &input.hwid, input.ip).await? {
        return Ok(Err(ValidateError::Blocked));
    }
    let Some(license) = license_state(db, app.id, &input.license_key, &input.hwid).await? else {
        return Ok(Err(ValidateError::InvalidKey));
    };
    if license.revoked {
        return Ok(Err(ValidateError::Revoked));
    }
    if license.expires_at.is_some_and(|at| at <= now) {
        return Ok(Err(ValidateError::Expired));
    }
    // Counted then bound: on PostgreSQL, SERIALIZABLE runs one of two validates that
    // both counted a free slot again, so a license never has more devices than slots.
    let bound: i64 = db
        .query_opt(
            "SELECT COUNT(*) FROM license_hwids WHERE license_id = ?1",
            &[&license.id],
        )
        .await?
        .unwrap_or(0);
    if !license.bound {
        if bound >= app.hwid_slots {
            return Ok(Err(ValidateError::HwidMismatch));
        }
        db.execute(
            "INSERT INTO license_hwids (license_id, hwid, bound_at) VALUES (?1, ?2, ?3)",
            &[&license.id, &input.hwid, &now],
        )
        .await?;
    }
    if charge(db, &payer, 1).await?.is_err() {
        // Unreachable in one transaction (credits and cap were checked above); roll back
        // the binding rather than bind without a charge.
        return Err(StoreError::Backend("credit charge lost".to_owned()));
    }
    Ok(Ok(Grant {
        app_variables: app.variables.into(),
        license_variables: license.variables.into(),
        answer_key: answer_key(app.signing)?,
        license: Some(LicenseFacts {
            expires_at: license.expires_at,
            max_hwid_slots: app.hwid_slots,
            hwid_count: bound + i64::from(!license.bound),
            label: license.label,
        }),
    }))
}

/// The checks of `/auth/heartbeat` after the token itself was verified, in order, then
/// count (and at every 10th heartbeat, charge). `flushed` beats of this license were
/// answered from memory before this one: they are counted first, whatever this one's
/// answer. (On PostgreSQL nothing is answered from memory: `flushed` is 0, and
/// SERIALIZABLE makes the count read here and written back exact across instances.)
pub(super) async fn heartbeat<D: Sql>(
    db: &D,
    input: &HeartbeatInput,
    now: i64,
    flushed: i64,
) -> Result<DatabaseBeat, StoreError> {
    let Some(state) = session_state(db, input).await? else {
        return Ok(DatabaseBeat {
            outcome: Err(HeartbeatError::SessionExpired),
            counted: None,
            expires_at: None,
        });
    };
    // The session is gone when its app was deactivated or its device unbound (HWID
    // reset): the SDK must validate again.
    let failure = if !(state.active && state.bound) {
        Some(HeartbeatError::SessionExpired)
    } else if state.suspended {
        Some(HeartbeatError::AppDisabled)
    } else if state.revoked {
        Some(HeartbeatError::Revoked)
    } else if state.expires_at.is_some_and(|at| at <= now) {
        Some(HeartbeatError::Expired)
    } else {
        None
    };
    let count = |beats| {
        count_beats(
            db,
            state.license_id,
            state.app,
            state.heartbeats,
            beats,
            now,
        )
    };
    let (outcome, counted) = match failure {
        Some(code) if flushed == 0 => (Err(code), state.heartbeats),
        Some(code) => match count(flushed).await? {
            Counted::Paid(n) | Counted::Unpaid(n, _) => (Err(code), n),
        },
        None => match count(flushed + 1).await? {
            Counted::Paid(n) => (
                Ok(Grant {
                    app_variables: state.app_variables.into(),
                    license_variables: state.license_variables.into(),
                    answer_key: answer_key(state.signing)?,
                    license: None,
                }),
                n,
            ),
            Counted::Unpaid(n, refusal) => (Err(refusal.into()), n),
        },
    };
    Ok(DatabaseBeat {
        outcome,
        counted: Some(counted),
        expires_at: state.expires_at,
    })
}

/// A license as [`count_pending`] reads it.
struct PendingLicense {
    id: i64,
    app: i64,
    counted: i64,
}

impl FromRow for PendingLicense {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(PendingLicense {
            id: row.get(0)?,
            app: row.get(1)?,
            counted: row.get(2)?,
        })
    }
}

/// Writes beats answered from memory at `now`: per license key, its count afterwards
/// (`None` when the license is gone).
pub(super) async fn count_pending<D: Sql>(
    db: &D,
    pending: &[(String, i64)],
    now: i64,
) -> Result<Vec<Option<i64>>, StoreError> {
    let mut counts = Vec::with_capacity(pending.len());
    for (key, beats) in pending {
        let license: Option<PendingLicense> = db
            .query_opt(
                "SELECT id, app_id, heartbeats FROM licenses WHERE license_key = ?1",
                &[key],
            )
            .await?;
        counts.push(match license {
            Some(license) => {
                match count_beats(db, license.id, license.app, license.counted, *beats, now).await?
                {
                    Counted::Paid(n) | Counted::Unpaid(n, _) => Some(n),
                }
            }
            None => None,
        });
    }
    Ok(counts)
}
