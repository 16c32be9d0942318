//! The builder and the settings it produces.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use keyward_errors::Locale;
use keyward_protocol::TrustedKeys;

use crate::error::{BuildError, Error, FailureReason};

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default timeout of one request, from sending it to the last byte of the answer.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Default time between two heartbeats.
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(300);

/// How the session is kept alive after login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum HeartbeatMode {
    /// Every interval, `POST /auth/heartbeat` and verify the answer; the session token is
    /// renewed each time. A `session_expired` answer re-validates once with the stored
    /// license key and resumes.
    #[default]
    Server,
    /// No network: every interval, re-verify the stored payload and signature, and fail
    /// with `session_expired` once the session's expiry has passed.
    Local,
}

/// The application's failure callback.
pub(crate) type FailureCallback = Arc<dyn Fn(FailureReason, &Error) + Send + Sync + 'static>;

/// Settings of a [`crate::Client`] (and of a [`crate::blocking::Client`]).
///
/// Required: [`Builder::app_id`], [`Builder::app_secret`], [`Builder::base_url`].
///
/// ```no_run
/// use std::time::Duration;
/// use keyward_client::{Client, FailureReason, HeartbeatMode};
///
/// let client = Client::builder()
///     .app_id("app_8c2f1e9a")
///     .app_secret("kw_live_...")
///     .base_url("https://licensing.example.com")
///     .heartbeat(HeartbeatMode::Server, Duration::from_secs(300))
///     .renewal_url("https://example.com/renew")
///     .on_failure(|reason: FailureReason, error: &keyward_client::Error| {
///         eprintln!("{reason}: {}", error.user_message());
///     })
///     .build()?;
/// # Ok::<(), keyward_client::BuildError>(())
/// ```
#[derive(Clone)]
pub struct Builder {
    app_id: Option<String>,
    app_secret: Option<String>,
    base_url: Option<String>,
    connect_timeout: Duration,
    request_timeout: Duration,
    heartbeat_mode: HeartbeatMode,
    heartbeat_interval: Duration,
    hwid: Option<String>,
    renewal_url: Option<String>,
    locale: Option<Locale>,
    on_failure: Option<FailureCallback>,
    backoff_scale: f64,
    trusted_public_keys: Option<Vec<String>>,
    session_ttl: Option<Duration>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("app_id", &self.app_id)
            .field(
                "app_secret",
                &self.app_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("heartbeat_mode", &self.heartbeat_mode)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("hwid", &self.hwid)
            .field("renewal_url", &self.renewal_url)
            .field("locale", &self.locale)
            .field(
                "on_failure",
                &self.on_failure.as_ref().map(|_| "<callback>"),
            )
            .field("backoff_scale", &self.backoff_scale)
            .field("trusted_public_keys", &self.trusted_public_keys)
            .field("session_ttl", &self.session_ttl)
            .finish()
    }
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            app_id: None,
            app_secret: None,
            base_url: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            heartbeat_mode: HeartbeatMode::Server,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            hwid: None,
            renewal_url: None,
            locale: None,
            on_failure: None,
            backoff_scale: 1.0,
            trusted_public_keys: None,
            session_ttl: None,
        }
    }
}

impl Builder {
    /// A builder with the defaults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The app's public id. Required.
    #[must_use]
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// The app's secret (in HMAC mode also the root of the response signing key). Required. Never
    /// logged.
    #[must_use]
    pub fn app_secret(mut self, app_secret: impl Into<String>) -> Self {
        self.app_secret = Some(app_secret.into());
        self
    }

    /// The license server, e.g. `https://licensing.example.com` (a path prefix is kept:
    /// requests go to `{base_url}/auth/validate`). Required.
    #[must_use]
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Connect timeout of one request (default 5 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Timeout of one request, from sending it to the last byte of the answer (default
    /// 15 s). A call never takes longer than its attempts times this timeout plus the
    /// backoff delays of the retry policy.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Heartbeat mode and interval (default: [`HeartbeatMode::Server`] every 5 minutes).
    #[must_use]
    pub fn heartbeat(mut self, mode: HeartbeatMode, interval: Duration) -> Self {
        self.heartbeat_mode = mode;
        self.heartbeat_interval = interval;
        self
    }

    /// Heartbeat mode only.
    #[must_use]
    pub fn heartbeat_mode(mut self, mode: HeartbeatMode) -> Self {
        self.heartbeat_mode = mode;
        self
    }

    /// Heartbeat interval only; must not be zero.
    #[must_use]
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    /// The device fingerprint to send, instead of [`crate::default_hwid`] (the SHA-256 hex
    /// of a stable machine identifier).
    #[must_use]
    pub fn hwid(mut self, hwid: impl Into<String>) -> Self {
        self.hwid = Some(hwid.into());
        self
    }

    /// Where an end user can renew a license; [`Error::renewal_link`] returns it for the
    /// errors whose user action asks for a renewal link (an expired license).
    #[must_use]
    pub fn renewal_url(mut self, url: impl Into<String>) -> Self {
        self.renewal_url = Some(url.into());
        self
    }

    /// The language of [`Error::user_message`] and [`Error::action_label`]. Default: the
    /// best shipped locale for the operating system's preferred languages (read when the
    /// client is built; on Linux and other Unixes `LANGUAGE`, `LC_ALL`, `LC_MESSAGES`
    /// and `LANG`), English when none matches. An app with its own language setting
    /// passes it here, for example `Locale::negotiate(["de-AT"])`.
    #[must_use]
    pub fn locale(mut self, locale: Locale) -> Self {
        self.locale = Some(locale);
        self
    }

    /// Called with [`FailureReason::LoginFailed`] when a login fails, and with
    /// [`FailureReason::HeartbeatFailed`] when the background heartbeat ends the session.
    ///
    /// A login failure is reported on the thread that called `login`, before it returns.
    /// A heartbeat failure is reported on a background thread (tokio's blocking pool), so
    /// the callback may block, and may call the [`crate::blocking::Client`] methods.
    #[must_use]
    pub fn on_failure(
        mut self,
        callback: impl Fn(FailureReason, &Error) + Send + Sync + 'static,
    ) -> Self {
        self.on_failure = Some(Arc::new(callback));
        self
    }

    /// Ed25519 mode: accept only answers signed by one of these public keys (standard
    /// base64 of the 32 key bytes, as the app's `signingKeys` show them; an entry may also
    /// be a comma-separated list). For an app whose `signing` is `ed25519`.
    ///
    /// Ship the current key and the next one (or the previous one) so that a rotation on
    /// the server needs no new release: an answer's `keyId` picks the trusted key it is
    /// checked with, an answer without `keyId` is checked against each. Without this
    /// setting the client speaks HMAC mode (signatures keyed from the app secret).
    #[must_use]
    pub fn trusted_public_keys<I, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: AsRef<str>,
    {
        self.trusted_public_keys = Some(keys.into_iter().map(|k| k.as_ref().to_owned()).collect());
        self
    }

    /// The session lifetime to ask the server for at login (`ttlSeconds`, whole seconds);
    /// the server clamps it to between 1 hour and 7 days and keeps it for every heartbeat
    /// of the session. Default: none asked for, the server's default.
    #[must_use]
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = Some(ttl);
        self
    }

    /// Test-only (feature `test-util`). Multiplies every backoff delay of the spec's retry policies by
    /// `scale` (in `(0, 1]`; default `1`). The policies themselves (attempt counts,
    /// growth, jitter, which codes retry) are unchanged, and a server's `Retry-After` is
    /// still honoured in full. Lets a test suite exercise the retry rules without waiting
    /// seconds per retry.
    #[cfg(feature = "test-util")]
    #[must_use]
    pub fn backoff_scale(mut self, scale: f64) -> Self {
        self.backoff_scale = scale;
        self
    }

    /// The async client.
    pub fn build(self) -> Result<crate::Client, BuildError> {
        crate::Client::from_config(self.into_config()?)
    }

    /// The blocking client (owns a small runtime).
    pub fn build_blocking(self) -> Result<crate::blocking::Client, BuildError> {
        crate::blocking::Client::from_config(self.into_config()?)
    }

    pub(crate) fn into_config(self) -> Result<Config, BuildError> {
        let app_id = self.app_id.ok_or(BuildError::Missing("app_id"))?;
        let app_secret = self.app_secret.ok_or(BuildError::Missing("app_secret"))?;
        let base_url = self.base_url.ok_or(BuildError::Missing("base_url"))?;
        let base = base_url.trim().trim_end_matches('/');
        let rest = base
            .strip_prefix("http://")
            .or_else(|| base.strip_prefix("https://"))
            .ok_or_else(|| {
                BuildError::InvalidBaseUrl("must start with http:// or https://".into())
            })?;
        if rest.is_empty() || rest.contains(['?', '#', ' ']) {
            return Err(BuildError::InvalidBaseUrl(
                "needs a host, and no query or fragment".into(),
            ));
        }
        if app_id.is_empty() {
            return Err(BuildError::Invalid("app_id must not be empty"));
        }
        if app_secret.is_empty() {
            return Err(BuildError::Invalid("app_secret must not be empty"));
        }
        if self.heartbeat_interval.is_zero() {
            return Err(BuildError::Invalid("heartbeat interval must not be zero"));
        }
        if self.connect_timeout.is_zero() || self.request_timeout.is_zero() {
            return Err(BuildError::Invalid("timeouts must not be zero"));
        }
        if !(self.backoff_scale > 0.0 && self.backoff_scale <= 1.0) {
            return Err(BuildError::Invalid("backoff_scale must be in (0, 1]"));
        }
        let trusted_keys = match &self.trusted_public_keys {
            None => TrustedKeys::new(),
            Some(entries) => {
                let mut keys = TrustedKeys::new();
                for entry in entries {
                    keys.add_list(entry).map_err(|_| {
                        BuildError::Invalid(
                            "a trusted public key is not standard base64 of 32 bytes",
                        )
                    })?;
                }
                if keys.is_empty() {
                    return Err(BuildError::Invalid(
                        "trusted_public_keys needs at least one key",
                    ));
                }
                keys
            }
        };
        let hwid = match self.hwid {
            Some(hwid) if hwid.is_empty() => return Err(BuildError::Invalid("hwid is empty")),
            Some(hwid) => hwid,
            None => crate::hwid::default_hwid(),
        };
        Ok(Config {
            validate_url: format!("{base}/auth/validate"),
            heartbeat_url: format!("{base}/auth/heartbeat"),
            selfban_url: format!("{base}/auth/selfban"),
            app_id,
            app_secret,
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            heartbeat_mode: self.heartbeat_mode,
            heartbeat_interval: self.heartbeat_interval,
            hwid,
            renewal_url: self.renewal_url.map(Arc::from),
            locale: self.locale.unwrap_or_else(default_locale),
            on_failure: self.on_failure,
            backoff_scale: self.backoff_scale,
            trusted_keys,
            // Whole seconds, at least 1 (0 would ask for the server's default).
            session_ttl_secs: self
                .session_ttl
                .map(|ttl| i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX).max(1)),
        })
    }
}

/// Checked settings.
pub(crate) struct Config {
    pub(crate) validate_url: String,
    pub(crate) heartbeat_url: String,
    pub(crate) selfban_url: String,
    pub(crate) app_id: String,
    pub(crate) app_secret: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) heartbeat_mode: HeartbeatMode,
    pub(crate) heartbeat_interval: Duration,
    pub(crate) hwid: String,
    pub(crate) renewal_url: Option<Arc<str>>,
    pub(crate) locale: Locale,
    pub(crate) on_failure: Option<FailureCallback>,
    pub(crate) backoff_scale: f64,
    /// Ed25519 mode's trusted keys; empty in HMAC mode.
    pub(crate) trusted_keys: TrustedKeys,
    /// `ttlSeconds` of every validate, if any.
    pub(crate) session_ttl_secs: Option<i64>,
}

/// The locale a client uses unless [`Builder::locale`] sets one: the best shipped locale
/// for the operating system's preferred languages, English when none matches.
pub fn default_locale() -> Locale {
    Locale::negotiate(sys_locale::get_locales())
}
