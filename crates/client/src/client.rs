//! The async client.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{Builder, Config};
use crate::core::{Inner, Shared};
use crate::error::{BuildError, Error, FailureReason};
use crate::selfban::{SelfBan, SelfBanOutcome};
use crate::session::Session;

/// The background heartbeat of one session.
struct Heartbeat {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// The Keyward client for async code (tokio).
///
/// `login` validates a license key and starts the background heartbeat; `logout` (or
/// dropping the client) stops it. Use it from within a tokio runtime; share it behind an
/// `Arc` if several tasks need it. For plain blocking code, see
/// [`crate::blocking::Client`].
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = keyward_client::Client::builder()
///     .app_id("app_8c2f1e9a")
///     .app_secret("kw_live_...")
///     .base_url("https://licensing.example.com")
///     .build()?;
/// match client.login("K7QX-92MD-P4ZL-W8RT").await {
///     Ok(session) => println!("licensed until {:?}", session.expires_at()),
///     Err(error) => {
///         tracing::warn!(code = error.code(), "login failed"); // for you
///         println!("{}", error.user_message()); // for the user
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Client {
    inner: Shared,
    heartbeat: Mutex<Option<Heartbeat>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("app_id", &self.inner.cfg.app_id)
            .field("logged_in", &self.is_logged_in())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A [`Builder`] with the defaults.
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_config(cfg: Config) -> Result<Self, BuildError> {
        Ok(Self {
            inner: Arc::new(Inner::new(cfg)?),
            heartbeat: Mutex::new(None),
        })
    }

    /// Log in with `license_key` (surrounding whitespace is ignored): validate it with
    /// the server, with the retries the error spec allows, store the session and start
    /// the background heartbeat. Replaces any current session.
    ///
    /// On failure the `on_failure` callback is called with
    /// [`FailureReason::LoginFailed`] before this returns the error.
    pub async fn login(&self, license_key: &str) -> Result<Session, Error> {
        let result = self.login_quiet(license_key).await;
        if let Err(error) = &result {
            self.inner.report(FailureReason::LoginFailed, error);
        }
        result
    }

    /// [`Client::login`] without calling the failure callback (the blocking client calls
    /// it itself, outside the runtime).
    pub(crate) async fn login_quiet(&self, license_key: &str) -> Result<Session, Error> {
        self.stop_heartbeat().await;
        match self.inner.login(license_key).await {
            Ok((session, generation)) => {
                self.start_heartbeat(generation);
                Ok(session)
            }
            Err(error) => {
                self.inner.end_session(None);
                Err(error)
            }
        }
    }

    pub(crate) fn report_login_failure(&self, error: &Error) {
        self.inner.report(FailureReason::LoginFailed, error);
    }

    /// Check `license_key` without logging in: the same request, checks and retries as
    /// [`Client::login`], but no session is stored, no heartbeat starts, the current
    /// session (if any) is left as it is, and the failure callback is not called. The
    /// server cannot tell it from a login: it binds the device and costs a credit.
    pub async fn validate_license(&self, license_key: &str) -> Result<Session, Error> {
        self.inner.validate_only(license_key).await
    }

    /// Log out: stop the heartbeat (cancelling a heartbeat in flight) and forget the
    /// session. Returns once the heartbeat task has ended.
    pub async fn logout(&self) {
        self.stop_heartbeat().await;
        if self.inner.end_session(None) {
            tracing::info!(app_id = %self.inner.cfg.app_id, "keyward: logged out");
        }
    }

    /// The current session, if logged in.
    pub fn session(&self) -> Option<Session> {
        self.inner.session()
    }

    /// Whether a session is active (the heartbeat has not ended it).
    pub fn is_logged_in(&self) -> bool {
        self.inner.state().session.is_some()
    }

    /// Whether the background heartbeat task is running.
    pub fn is_heartbeat_running(&self) -> bool {
        self.heartbeat
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|h| !h.task.is_finished())
    }

    /// The HWID this client sends.
    pub fn hwid(&self) -> &str {
        &self.inner.cfg.hwid
    }

    /// Self-ban with the current session (a tamper response): deny-list this device's
    /// HWID and/or IP address for the app and, if asked, revoke the license. Without a
    /// session the error is `session_expired` ([`crate::SelfBanError`]), nothing sent.
    /// Retries as the error spec says; the failure callback is not called.
    pub async fn self_ban(&self, ban: SelfBan) -> Result<SelfBanOutcome, Error> {
        self.inner.self_ban(ban).await
    }

    /// Self-ban before a session, with the app secret and `license_key`: as
    /// [`Client::self_ban`], but never revoking (that needs a session, so
    /// `revoke_license` is sent `false`); each attempt carries a fresh nonce.
    pub async fn self_ban_with_key(
        &self,
        license_key: &str,
        ban: SelfBan,
    ) -> Result<SelfBanOutcome, Error> {
        self.inner.self_ban_with_key(license_key, ban).await
    }

    fn start_heartbeat(&self, generation: u64) {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run_heartbeat(Arc::clone(&self.inner), generation, stopped));
        let previous = self
            .heartbeat
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(Heartbeat { stop, task });
        if let Some(previous) = previous {
            previous.task.abort();
        }
    }

    async fn stop_heartbeat(&self) {
        let heartbeat = self
            .heartbeat
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(heartbeat) = heartbeat {
            let _ = heartbeat.stop.send(true);
            // Ends at its next poll: every wait of the task also waits for `stop`.
            let _ = heartbeat.task.await;
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let heartbeat = self
            .heartbeat
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(heartbeat) = heartbeat {
            let _ = heartbeat.stop.send(true);
            heartbeat.task.abort();
        }
    }
}

/// The heartbeat loop of the session of `generation`.
async fn run_heartbeat(inner: Shared, generation: u64, mut stop: watch::Receiver<bool>) {
    let interval = inner.cfg.heartbeat_interval;
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => return,
            () = tokio::time::sleep(interval) => {}
        }
        let result = tokio::select! {
            biased;
            _ = stop.changed() => return,
            result = inner.beat(generation) => result,
        };
        match result {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                if inner.end_session(Some(generation)) {
                    let reporter = Arc::clone(&inner);
                    // Off the runtime's worker threads: the callback may block.
                    drop(tokio::task::spawn_blocking(move || {
                        reporter.report(FailureReason::HeartbeatFailed, &error);
                    }));
                }
                return;
            }
        }
    }
}
