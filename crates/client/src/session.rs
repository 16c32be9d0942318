//! What a successful login gives the application.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use keyward_protocol::SessionPayload;
use serde_json::{Map, Value};

/// The data of the current session: expiry, server time, app and license variables.
///
/// A snapshot: [`crate::Client::session`] returns the latest one (heartbeats renew the
/// session). The session token itself stays inside the SDK.
#[derive(Clone, PartialEq)]
pub struct Session {
    expires_at: i64,
    server_time: i64,
    app_variables: Map<String, Value>,
    license_variables: Map<String, Value>,
    request_id: Option<String>,
    license: LicenseInfo,
}

/// What protocol v2's servers add about the license (absent from older servers' answers).
#[derive(Clone, Debug, Default, PartialEq)]
struct LicenseInfo {
    /// `None`: not sent; `Some(None)`: a lifetime license.
    expires_at: Option<Option<String>>,
    label: Option<String>,
    max_hwid_slots: Option<i64>,
    hwid_count: Option<i64>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("expires_at", &self.expires_at)
            .field("server_time", &self.server_time)
            .field("app_variables", &self.app_variables)
            .field("license_variables", &self.license_variables)
            .field("request_id", &self.request_id)
            .field("license", &self.license)
            .finish()
    }
}

impl Session {
    pub(crate) fn from_payload(payload: &SessionPayload) -> Self {
        Self {
            expires_at: payload.expires_in,
            server_time: payload.timestamp,
            app_variables: payload.app_variables.clone().unwrap_or_default(),
            license_variables: payload.license_variables.clone().unwrap_or_default(),
            request_id: payload.request_id.clone(),
            license: LicenseInfo {
                expires_at: payload.license_expires_at.clone(),
                label: payload.license_label.clone().filter(|l| !l.is_empty()),
                max_hwid_slots: payload.max_hwid_slots,
                hwid_count: payload.hwid_count,
            },
        }
    }

    /// Absolute expiry of the session, Unix seconds (the payload's `expiresIn`).
    pub fn expires_at_unix(&self) -> i64 {
        self.expires_at
    }

    /// Absolute expiry of the session.
    pub fn expires_at(&self) -> SystemTime {
        to_system_time(self.expires_at)
    }

    /// Whether the session's expiry has passed (by this machine's clock).
    pub fn is_expired(&self) -> bool {
        now_unix() >= self.expires_at
    }

    /// The server's time when it issued the session, Unix seconds.
    pub fn server_time_unix(&self) -> i64 {
        self.server_time
    }

    /// The app's variables (empty when it has none).
    pub fn app_variables(&self) -> &Map<String, Value> {
        &self.app_variables
    }

    /// The license's variables (empty when it has none).
    pub fn license_variables(&self) -> &Map<String, Value> {
        &self.license_variables
    }

    /// One app variable.
    pub fn app_variable(&self, name: &str) -> Option<&Value> {
        self.app_variables.get(name)
    }

    /// One license variable.
    pub fn license_variable(&self, name: &str) -> Option<&Value> {
        self.license_variables.get(name)
    }

    /// The server's request id of the answer that issued this session, for support.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The license's expiry as the server wrote it (ISO 8601): `Some(None)` for a
    /// lifetime license, `None` when the server did not say (servers before protocol v2).
    pub fn license_expires_at(&self) -> Option<Option<&str>> {
        self.license.expires_at.as_ref().map(Option::as_deref)
    }

    /// The label the developer gave the license, if any.
    pub fn license_label(&self) -> Option<&str> {
        self.license.label.as_deref()
    }

    /// How many devices the license may be bound to, if the server said.
    pub fn max_hwid_slots(&self) -> Option<i64> {
        self.license.max_hwid_slots
    }

    /// How many devices the license was bound to after this answer, if the server said.
    pub fn hwid_count(&self) -> Option<i64> {
        self.license.hwid_count
    }
}

fn to_system_time(unix: i64) -> SystemTime {
    match u64::try_from(unix) {
        Ok(secs) => UNIX_EPOCH
            .checked_add(Duration::from_secs(secs))
            .unwrap_or(UNIX_EPOCH),
        Err(_) => UNIX_EPOCH,
    }
}

/// This machine's time, Unix seconds.
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
