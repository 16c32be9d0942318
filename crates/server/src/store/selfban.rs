//! SQL of `POST /auth/selfban`: the checks of either form, in the documented order, then
//! the revoke and the deny-list entries in the same transaction.

use std::fmt;
use std::net::IpAddr;

use keyward_errors::SelfBanError;
use keyward_protocol::SelfBanFlags;

use super::StoreError;
use super::auth::{app_state, first_use, license_state};
use super::sql::Sql;
use crate::ipnet::IpNet;
use crate::secret::constant_time_eq;

/// How a self-ban proves who asks.
#[derive(Clone)]
pub enum SelfBanProof {
    /// The session form: the license from a verified session token.
    Session {
        /// License key from the token. Secret.
        license_key: String,
    },
    /// The pre-session form: the app secret, a license key and a nonce as sent.
    Key {
        /// App secret as sent. Secret.
        app_secret: String,
        /// License key as sent. Secret.
        license_key: String,
        /// The request's nonce.
        nonce: String,
    },
}

/// What `/auth/selfban` asks the store.
#[derive(Clone)]
pub struct SelfBanInput {
    /// Public app id.
    pub app_id: String,
    /// The form and its proof.
    pub proof: SelfBanProof,
    /// Device HWID (the token's in the session form).
    pub hwid: String,
    /// Client IP.
    pub ip: IpAddr,
    /// What to do.
    pub flags: SelfBanFlags,
}

impl fmt::Debug for SelfBanInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (form, key) = match &self.proof {
            SelfBanProof::Session { license_key } => ("session", license_key),
            SelfBanProof::Key { license_key, .. } => ("pre-session", license_key),
        };
        f.debug_struct("SelfBanInput")
            .field("app_id", &self.app_id)
            .field("form", &form)
            .field("license_key", &crate::secret::key_tag(key))
            .field("hwid", &self.hwid)
            .field("ip", &self.ip)
            .field("flags", &self.flags)
            .finish()
    }
}

/// What a self-ban did: each flag says the license is revoked / the entry is on the
/// app's deny list after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelfBanDone {
    /// The license was revoked.
    pub revoked: bool,
    /// The HWID is deny-listed.
    pub hwid_blacklisted: bool,
    /// The client IP is deny-listed.
    pub ip_blacklisted: bool,
}

/// Outcome of a self-ban transaction.
pub type SelfBanOutcome = Result<SelfBanDone, SelfBanError>;

/// The checks of `/auth/selfban` after a session token was verified (session form), in
/// order, then revoke and deny-list. Session form: `session_expired` when the app is
/// deactivated, the license gone or the device unbound (as a heartbeat) →
/// `app_disabled`. Pre-session form: `invalid_app` → `replay_detected` (the nonce is
/// recorded whatever follows) → `app_disabled` → `revoke_requires_session` →
/// `invalid_key`. Nothing is charged.
pub(super) async fn selfban<D: Sql>(
    db: &D,
    input: &SelfBanInput,
    now: i64,
) -> Result<SelfBanOutcome, StoreError> {
    let session = matches!(input.proof, SelfBanProof::Session { .. });
    // What a session form gets for a session that no longer holds; a pre-session form
    // for credentials that do not.
    let unproven = if session {
        SelfBanError::SessionExpired
    } else {
        SelfBanError::InvalidApp
    };
    let Some(app) = app_state(db, &input.app_id).await?.filter(|app| app.active) else {
        return Ok(Err(unproven));
    };
    let license_key = match &input.proof {
        SelfBanProof::Session { license_key } => license_key,
        SelfBanProof::Key {
            app_secret,
            license_key,
            nonce,
        } => {
            if !constant_time_eq(app.secret.as_bytes(), app_secret.as_bytes()) {
                return Ok(Err(SelfBanError::InvalidApp));
            }
            if !first_use(db, app.id, nonce, now).await? {
                return Ok(Err(SelfBanError::ReplayDetected));
            }
            license_key
        }
    };
    if app.suspended {
        return Ok(Err(SelfBanError::AppDisabled));
    }
    if !session && input.flags.revoke_license {
        return Ok(Err(SelfBanError::RevokeRequiresSession));
    }
    // A session's device must still be bound (a HWID reset ends its sessions).
    let license = license_state(db, app.id, license_key, &input.hwid)
        .await?
        .filter(|license| !session || license.bound);
    let Some(license) = license else {
        return Ok(Err(if session {
            SelfBanError::SessionExpired
        } else {
            SelfBanError::InvalidKey
        }));
    };
    let flags = input.flags;
    if flags.revoke_license {
        db.execute(
            "UPDATE licenses SET revoked = TRUE WHERE id = ?1",
            &[&license.id],
        )
        .await?;
    }
    if flags.blacklist_hwid {
        deny(db, app.id, "hwid", &input.hwid, None, now).await?;
    }
    if flags.blacklist_ip {
        let host = IpNet::host(input.ip);
        deny(db, app.id, "ip", &host.to_string(), Some(host), now).await?;
    }
    Ok(Ok(SelfBanDone {
        revoked: flags.revoke_license,
        hwid_blacklisted: flags.blacklist_hwid,
        ip_blacklisted: flags.blacklist_ip,
    }))
}

/// Puts `value` on the app's deny list, unless it is there already (the rule's
/// uniqueness keeps one entry).
async fn deny<D: Sql>(
    db: &D,
    app: i64,
    kind: &str,
    value: &str,
    range: Option<IpNet>,
    now: i64,
) -> Result<(), StoreError> {
    let first = range.map(|net| net.first().to_vec());
    let last = range.map(|net| net.last().to_vec());
    db.execute(
        "INSERT INTO access_rules (app_id, kind, value, list, created_at, ip_first, ip_last)
         VALUES (?1, ?2, ?3, 'deny', ?4, ?5, ?6)
         ON CONFLICT (app_id, kind, value, list) DO NOTHING",
        &[&app, &kind, &value, &now, &first, &last],
    )
    .await?;
    Ok(())
}
