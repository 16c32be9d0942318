//! The blocking client, for plain synchronous code such as a desktop app's main thread.
//!
//! It owns a small tokio runtime (one worker thread, which also runs the background
//! heartbeat) and drives the same core as the async [`crate::Client`]. Do not call its
//! methods from inside an async runtime; use the async client there.

use tokio::runtime::Runtime;

use crate::config::{Builder, Config};
use crate::error::{BuildError, Error};
use crate::selfban::{SelfBan, SelfBanOutcome};
use crate::session::Session;

/// The Keyward client for blocking code.
///
/// ```no_run
/// let client = keyward_client::blocking::Client::builder()
///     .app_id("app_8c2f1e9a")
///     .app_secret("kw_live_...")
///     .base_url("https://licensing.example.com")
///     .build_blocking()?;
/// match client.login("K7QX-92MD-P4ZL-W8RT") {
///     Ok(session) => println!("licensed until {:?}", session.expires_at()),
///     Err(error) => println!("{}", error.user_message()),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Client {
    // Dropped before the runtime (see `Drop`).
    client: Option<crate::Client>,
    runtime: Option<Runtime>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("blocking::Client")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A [`Builder`] with the defaults; finish it with [`Builder::build_blocking`].
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_config(cfg: Config) -> Result<Self, BuildError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(2)
            .thread_name("keyward-client")
            .enable_all()
            .build()
            .map_err(|e| BuildError::Init(e.to_string()))?;
        Ok(Self {
            client: Some(crate::Client::from_config(cfg)?),
            runtime: Some(runtime),
        })
    }

    fn parts(&self) -> Option<(&crate::Client, &Runtime)> {
        Some((self.client.as_ref()?, self.runtime.as_ref()?))
    }

    /// Log in with `license_key`; see [`crate::Client::login`]. Blocks until the login
    /// succeeded or failed for good (retries included). The failure callback runs on the
    /// calling thread before this returns.
    ///
    /// # Panics
    /// When called from inside an async runtime.
    pub fn login(&self, license_key: &str) -> Result<Session, Error> {
        let Some((client, runtime)) = self.parts() else {
            return Err(keyward_errors::ClientError::NetworkError.into());
        };
        let result = runtime.block_on(client.login_quiet(license_key));
        if let Err(error) = &result {
            client.report_login_failure(error);
        }
        result
    }

    /// Check `license_key` without logging in; see [`crate::Client::validate_license`].
    ///
    /// # Panics
    /// When called from inside an async runtime.
    pub fn validate_license(&self, license_key: &str) -> Result<Session, Error> {
        let Some((client, runtime)) = self.parts() else {
            return Err(keyward_errors::ClientError::NetworkError.into());
        };
        runtime.block_on(client.validate_license(license_key))
    }

    /// Log out; see [`crate::Client::logout`]. Returns once the heartbeat has stopped.
    ///
    /// # Panics
    /// When called from inside an async runtime.
    pub fn logout(&self) {
        if let Some((client, runtime)) = self.parts() {
            runtime.block_on(client.logout());
        }
    }

    /// The current session, if logged in.
    pub fn session(&self) -> Option<Session> {
        self.client.as_ref().and_then(crate::Client::session)
    }

    /// Whether a session is active.
    pub fn is_logged_in(&self) -> bool {
        self.client
            .as_ref()
            .is_some_and(crate::Client::is_logged_in)
    }

    /// Whether the background heartbeat task is running.
    pub fn is_heartbeat_running(&self) -> bool {
        self.client
            .as_ref()
            .is_some_and(crate::Client::is_heartbeat_running)
    }

    /// The HWID this client sends.
    pub fn hwid(&self) -> &str {
        self.client.as_ref().map_or("", crate::Client::hwid)
    }

    /// Self-ban with the current session; see [`crate::Client::self_ban`].
    ///
    /// # Panics
    /// When called from inside an async runtime.
    pub fn self_ban(&self, ban: SelfBan) -> Result<SelfBanOutcome, Error> {
        self.block_on(|client| client.self_ban(ban))
    }

    /// Self-ban before a session; see [`crate::Client::self_ban_with_key`].
    ///
    /// # Panics
    /// When called from inside an async runtime.
    pub fn self_ban_with_key(
        &self,
        license_key: &str,
        ban: SelfBan,
    ) -> Result<SelfBanOutcome, Error> {
        self.block_on(|client| client.self_ban_with_key(license_key, ban))
    }

    /// Runs a call of the async client on the runtime.
    fn block_on<'a, T, F>(&'a self, call: impl FnOnce(&'a crate::Client) -> F) -> Result<T, Error>
    where
        F: Future<Output = Result<T, Error>> + 'a,
    {
        let Some((client, runtime)) = self.parts() else {
            return Err(keyward_errors::ClientError::NetworkError.into());
        };
        runtime.block_on(call(client))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // Stops the heartbeat task first, then the runtime without blocking.
        drop(self.client.take());
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
