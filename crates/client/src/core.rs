//! The shared core: one request with its checks, the retry loop driven by the generated
//! retry policies, and the session state. Both clients (async and blocking) drive it.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use keyward_errors::{ClientError, HeartbeatError, RetryPolicy, ValidateError};
use keyward_protocol::check_response;
use keyward_protocol::{
    CheckedResponse, HeartbeatRequest, KEY_LEN, Nonce, ResponseError, ResponseKey,
    SPEC_VERSION_HEADER, SessionToken, ValidateRequest, VerifiedSession, derive_key,
};
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};

use crate::config::{Config, HeartbeatMode};
use crate::error::{Cause, Error, FailureReason};
use crate::session::{Session, now_unix};

/// The session as the SDK keeps it.
pub(crate) struct Stored {
    /// Login generation this session belongs to.
    pub(crate) generation: u64,
    pub(crate) verified: VerifiedSession,
    /// Kept to re-validate after `session_expired`. Secret.
    pub(crate) license_key: String,
    pub(crate) public: Session,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) session: Option<Stored>,
    pub(crate) generation: u64,
}

/// Which endpoint a call goes to.
#[derive(Clone, Copy)]
enum Call<'a> {
    Validate { license_key: &'a str },
    Heartbeat { token: &'a str },
}

pub(crate) struct Inner {
    pub(crate) cfg: Config,
    http: reqwest::Client,
    state: Mutex<State>,
}

/// A failed attempt: the error and the server's `Retry-After`, if any.
pub(crate) type Failure = (Error, Option<Duration>);

impl Inner {
    pub(crate) fn new(cfg: Config) -> Result<Self, crate::BuildError> {
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .user_agent(concat!("keyward-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| crate::BuildError::Init(e.to_string()))?;
        Ok(Self {
            cfg,
            http,
            state: Mutex::new(State::default()),
        })
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        // The state stays consistent whatever panicked while holding the lock (every
        // update is a single assignment), so a poisoned lock is simply taken over.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current session's public data.
    pub(crate) fn session(&self) -> Option<Session> {
        self.state().session.as_ref().map(|s| s.public.clone())
    }

    /// Validate `license_key` with retries; on success the session is stored under a new
    /// generation, which is returned.
    pub(crate) async fn login(&self, license_key: &str) -> Result<(Session, u64), Error> {
        let license_key = license_key.trim();
        let verified = self.call(Call::Validate { license_key }).await?;
        let public = Session::from_payload(&verified.payload);
        let mut state = self.state();
        state.generation += 1;
        let generation = state.generation;
        state.session = Some(Stored {
            generation,
            verified,
            license_key: license_key.to_owned(),
            public: public.clone(),
        });
        drop(state);
        tracing::info!(
            app_id = %self.cfg.app_id,
            request_id = public.request_id().unwrap_or(""),
            expires_at = public.expires_at_unix(),
            "keyward: logged in"
        );
        Ok((public, generation))
    }

    /// Validate `license_key` with retries, as a login does, storing nothing.
    pub(crate) async fn validate_only(&self, license_key: &str) -> Result<Session, Error> {
        let verified = self
            .call(Call::Validate {
                license_key: license_key.trim(),
            })
            .await?;
        Ok(Session::from_payload(&verified.payload))
    }

    /// Forget the session (of `generation`, or any with `None`).
    pub(crate) fn end_session(&self, generation: Option<u64>) -> bool {
        let mut state = self.state();
        let matches = state
            .session
            .as_ref()
            .is_some_and(|s| generation.is_none_or(|g| s.generation == g));
        if matches {
            state.session = None;
        }
        matches
    }

    /// Call the application's failure callback. Heartbeat failures are reported from
    /// tokio's blocking pool so that the callback may block or use the blocking client.
    pub(crate) fn report(&self, reason: FailureReason, error: &Error) {
        tracing::warn!(
            reason = reason.as_str(),
            code = error.code(),
            family = %error.family(),
            "keyward: {}",
            reason.as_str()
        );
        if let Some(callback) = &self.cfg.on_failure {
            callback(reason, error);
        }
    }

    /// One heartbeat of the session of `generation`: `Ok(true)` when the session goes
    /// on, `Ok(false)` when it is gone (logged out), `Err` when it failed.
    pub(crate) async fn beat(&self, generation: u64) -> Result<bool, Error> {
        match self.cfg.heartbeat_mode {
            HeartbeatMode::Local => self.beat_local(generation),
            HeartbeatMode::Server => self.beat_server(generation).await,
        }
    }

    fn beat_local(&self, generation: u64) -> Result<bool, Error> {
        let state = self.state();
        let Some(stored) = state
            .session
            .as_ref()
            .filter(|s| s.generation == generation)
        else {
            return Ok(false);
        };
        // Local sessions always come from validate: in HMAC mode the key is the app
        // secret's.
        let key = self.hmac_mode().then(|| {
            derive_key(
                self.cfg.app_secret.as_bytes(),
                &stored.verified.payload.nonce,
            )
        });
        if let Err(e) = stored.verified.reverify(self.answer_key(key.as_ref())) {
            let error = self.response_error(e, 200);
            security_log(&error);
            return Err(error);
        }
        if stored.verified.is_expired(now_unix()) {
            return Err(self.finish(HeartbeatError::SessionExpired.into()));
        }
        tracing::debug!("keyward: local heartbeat ok");
        Ok(true)
    }

    async fn beat_server(&self, generation: u64) -> Result<bool, Error> {
        let (token, license_key) = {
            let state = self.state();
            match state
                .session
                .as_ref()
                .filter(|s| s.generation == generation)
            {
                Some(s) => (
                    s.verified.payload.session_token.clone(),
                    s.license_key.clone(),
                ),
                None => return Ok(false),
            }
        };
        let verified = match self.call(Call::Heartbeat { token: &token }).await {
            Ok(verified) => verified,
            Err(error) if error.retry_policy().reauthenticate => {
                tracing::info!(
                    code = error.code(),
                    "keyward: session gone, validating the license again"
                );
                self.call(Call::Validate {
                    license_key: &license_key,
                })
                .await?
            }
            Err(error) => return Err(error),
        };
        let public = Session::from_payload(&verified.payload);
        let mut state = self.state();
        match state
            .session
            .as_mut()
            .filter(|s| s.generation == generation)
        {
            Some(stored) => {
                stored.verified = verified;
                stored.public = public;
                tracing::debug!("keyward: heartbeat ok");
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// One call with the retries its errors' policies allow.
    async fn call(&self, call: Call<'_>) -> Result<VerifiedSession, Error> {
        self.retrying(|| self.attempt(call)).await
    }

    /// Runs `attempt` until it succeeds or its error's retry policy allows no further
    /// attempt.
    pub(crate) async fn retrying<T, F, A>(&self, mut attempt: A) -> Result<T, Error>
    where
        A: FnMut() -> F,
        F: Future<Output = Result<T, Failure>>,
    {
        let mut failed: u32 = 0;
        loop {
            let (error, retry_after) = match attempt().await {
                Ok(answer) => return Ok(answer),
                Err(failure) => failure,
            };
            failed = failed.saturating_add(1);
            let policy = error.retry_policy();
            if policy.security_alert {
                security_log(&error);
                return Err(self.finish(error));
            }
            let Some(delay) = self.backoff(policy, failed, retry_after) else {
                tracing::info!(
                    code = error.code(),
                    family = %error.family(),
                    attempts = failed,
                    "keyward: request failed"
                );
                return Err(self.finish(error));
            };
            tracing::warn!(
                code = error.code(),
                family = %error.family(),
                attempt = failed,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "keyward: retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// The wait before the next attempt, from the error's retry policy; `None` when the
    /// policy allows no further attempt, or when the server asks to wait longer than the
    /// policy's largest delay (the application is better told to try later).
    fn backoff(
        &self,
        policy: &RetryPolicy,
        failed: u32,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if let Some(wait) = retry_after
            && policy.honor_retry_after
            && wait > policy.max_delay
            && policy.retries()
        {
            tracing::info!(
                retry_after_s = wait.as_secs(),
                "keyward: server asks to wait longer than the retry policy allows"
            );
            return None;
        }
        // The test knob scales the policy's own delays; `Retry-After` stays in full.
        let scale = self.cfg.backoff_scale;
        let retry_after = retry_after.map(|wait| wait.div_f64(scale));
        let delay = policy.delay_after(failed, retry_after, unit_random())?;
        Duration::try_from_secs_f64(delay.as_secs_f64() * scale).ok()
    }

    pub(crate) fn finish(&self, error: Error) -> Error {
        error
            .with_renewal_url(self.cfg.renewal_url.clone())
            .with_locale(self.cfg.locale)
    }

    /// One attempt with a fresh nonce.
    async fn attempt(&self, call: Call<'_>) -> Result<VerifiedSession, Failure> {
        let nonce = new_nonce()?;
        let (url, body, key) = match call {
            Call::Validate { license_key } => {
                let request = ValidateRequest {
                    app_id: self.cfg.app_id.clone(),
                    app_secret: self.cfg.app_secret.clone(),
                    license_key: license_key.to_owned(),
                    hwid: self.cfg.hwid.clone(),
                    nonce: nonce.clone(),
                    ttl_seconds: self.cfg.session_ttl_secs,
                };
                let key = self
                    .hmac_mode()
                    .then(|| derive_key(self.cfg.app_secret.as_bytes(), nonce.as_str()));
                (&self.cfg.validate_url, serde_json::to_vec(&request), key)
            }
            Call::Heartbeat { token } => {
                // In HMAC mode, a token the SDK cannot read is no session at all.
                let key = if self.hmac_mode() {
                    Some(
                        SessionToken::heartbeat_key(token, nonce.as_str())
                            .map_err(|_| (Error::from(HeartbeatError::SessionExpired), None))?,
                    )
                } else {
                    None
                };
                let request = HeartbeatRequest {
                    app_id: self.cfg.app_id.clone(),
                    session_token: token.to_owned(),
                    nonce: nonce.clone(),
                    hwid: self.cfg.hwid.clone(),
                };
                (&self.cfg.heartbeat_url, serde_json::to_vec(&request), key)
            }
        };
        let (status, retry_after, bytes) = self.post(url, body).await?;
        let outcome = check_response(
            &bytes,
            status,
            nonce.as_str(),
            self.answer_key(key.as_ref()),
        )
        .map_err(|e| (self.response_error(e, status), retry_after))?;
        match outcome {
            // Step 5: only now is the payload parsed in full, to be stored.
            CheckedResponse::Success(verified) => verified
                .parse()
                .map_err(|e| (self.response_error(e, status), retry_after)),
            CheckedResponse::Failed { error, .. } => {
                let error = match call {
                    Call::Validate { .. } => Error::from(ValidateError::from_code(&error)),
                    Call::Heartbeat { .. } => Error::from(HeartbeatError::from_code(&error)),
                };
                Err((error, retry_after))
            }
        }
    }

    /// Sends one JSON request body: the answer's status, `Retry-After` and body.
    pub(crate) async fn post(
        &self,
        url: &str,
        body: serde_json::Result<Vec<u8>>,
    ) -> Result<(u16, Option<Duration>, Vec<u8>), Failure> {
        let body = body.map_err(not_sent)?;
        let response = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(SPEC_VERSION_HEADER, keyward_errors::SPEC_VERSION)
            .body(body)
            .send()
            .await
            .map_err(|e| (network_error(e), None))?;
        let status = response.status().as_u16();
        let retry_after = parse_retry_after(response.headers(), SystemTime::now());
        let bytes = response
            .bytes()
            .await
            .map_err(|e| (network_error(e), retry_after))?;
        Ok((status, retry_after, Vec::from(bytes)))
    }

    /// The client error for a response that failed the checks. The cause is a fixed
    /// text: parse errors can quote response content, which may hold a token.
    /// Whether answers are HMAC-signed (no trusted Ed25519 keys configured).
    fn hmac_mode(&self) -> bool {
        self.cfg.trusted_keys.is_empty()
    }

    /// What an answer is checked with: the request's HMAC key in HMAC mode, else the
    /// trusted Ed25519 keys.
    fn answer_key<'a>(&'a self, hmac_key: Option<&'a [u8; KEY_LEN]>) -> ResponseKey<'a> {
        match hmac_key {
            Some(key) => ResponseKey::Hmac(key),
            None => ResponseKey::Ed25519(&self.cfg.trusted_keys),
        }
    }

    fn response_error(&self, e: ResponseError, status: u16) -> Error {
        let ok = (200..300).contains(&status);
        match e {
            ResponseError::NonceMismatch => ClientError::NonceMismatch.into(),
            ResponseError::SignatureMismatch => ClientError::SignatureMismatch.into(),
            _ if !ok => Error::client(
                ClientError::NetworkError,
                Cause(format!("HTTP status {status} without an auth answer")),
            ),
            ResponseError::NotJson => Error::client(
                ClientError::InvalidResponse,
                Cause("response body is not JSON".to_owned()),
            ),
            _ => Error::client(
                ClientError::InvalidResponse,
                Cause("malformed auth response".to_owned()),
            ),
        }
    }
}

/// A fresh nonce, or the request is not sent.
pub(crate) fn new_nonce() -> Result<Nonce, Failure> {
    Nonce::generate().map_err(not_sent)
}

/// A request that could not be sent.
fn not_sent(e: impl std::fmt::Display) -> Failure {
    (
        Error::client(
            ClientError::NetworkError,
            Cause(format!("request not sent: {e}")),
        ),
        None,
    )
}

/// Integrity failures are logged as possible attacks.
fn security_log(error: &Error) {
    if error.is_security_alert() {
        tracing::error!(
            code = error.code(),
            family = %error.family(),
            "keyward: response failed an integrity check, possible attack; not retried"
        );
    }
}

fn network_error(e: reqwest::Error) -> Error {
    // reqwest's errors name the URL (base URL and path, never a secret) and the cause;
    // request bodies are never part of them.
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut short"
    } else {
        "request failed"
    };
    Error::client(ClientError::NetworkError, Cause(format!("{what}: {e}")))
}

/// `Retry-After` as a wait: seconds, or an HTTP-date (RFC 9110; a date already past is no
/// wait). Anything else is ignored.
fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A uniform sample from `0.0..1.0` from the OS RNG, for backoff jitter.
fn unit_random() -> f64 {
    match getrandom::u64() {
        // 53 random bits: every value of the f64 grid in [0, 1) equally likely.
        Ok(bits) => (bits >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

/// Share of [`Inner`] by the clients and the heartbeat task.
pub(crate) type Shared = Arc<Inner>;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn wait(value: &str, now: SystemTime) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        parse_retry_after(&headers, now)
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        // 2015-10-21T07:28:00Z.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(wait("120", now), Some(Duration::from_secs(120)));
        assert_eq!(wait(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            wait("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            wait("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        // The obsolete forms RFC 9110 still asks recipients to accept.
        assert_eq!(
            wait("Wednesday, 21-Oct-15 07:29:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            wait("Wed Oct 21 07:28:05 2015", now),
            Some(Duration::from_secs(5))
        );
        for junk in ["-1", "1.5", "soon", "Wed, 32 Oct 2015 07:28:00 GMT"] {
            assert_eq!(wait(junk, now), None, "{junk}");
        }
        assert_eq!(parse_retry_after(&HeaderMap::new(), now), None);
    }
}
