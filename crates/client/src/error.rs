//! The SDK's one error type.

use std::fmt;
use std::sync::Arc;

use keyward_errors::{
    ClientError, Family, HeartbeatError, Locale, RetryClass, RetryPolicy, SelfBanError, UserAction,
    ValidateError,
};
use thiserror::Error;

/// Which generated error family an [`Error`] comes from, with its code.
///
/// Every variant keeps codes this version does not know verbatim (their `Unknown`
/// variant), so `code()` always logs what the server actually said.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An error of `POST /auth/validate` (login, and the re-validation after an expired
    /// session).
    Validate(ValidateError),
    /// An error of `POST /auth/heartbeat` (or of the local heartbeat check).
    Heartbeat(HeartbeatError),
    /// An error of `POST /auth/selfban` ([`crate::Client::self_ban`]; with no current
    /// session, `session_expired`).
    SelfBan(SelfBanError),
    /// An error the SDK detected itself: network failures, malformed responses, failed
    /// integrity checks.
    Client(ClientError),
}

/// Why the `on_failure` callback was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureReason {
    /// [`crate::Client::login`] failed.
    LoginFailed,
    /// The background heartbeat failed: the session is over.
    HeartbeatFailed,
}

impl FailureReason {
    /// The reason as the reference SDKs name it: `"login_failed"` or `"heartbeat_failed"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FailureReason::LoginFailed => "login_failed",
            FailureReason::HeartbeatFailed => "heartbeat_failed",
        }
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Cause of an error, for developers (never a secret, key, token or signature).
pub(crate) type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in the SDK.
///
/// - for logs: [`Error::code`] (the actual error code) and `Display` (developer text);
/// - for the screen: [`Error::user_message`], [`Error::action_label`] (in the
///   [`crate::Builder::locale`]), [`Error::user_action`] and [`Error::renewal_link`] —
///   generic texts from the error spec, never an internal code;
/// - for decisions: [`Error::kind`], [`Error::retry_class`], [`Error::is_security_alert`].
///
/// [`std::error::Error::source`] gives the underlying network or parse failure, when
/// there is one.
#[derive(Debug, Error)]
#[error(
    "{} error {}: {}{}",
    self.family(),
    self.code(),
    self.description(),
    SourceSuffix(source.as_deref())
)]
#[non_exhaustive]
pub struct Error {
    kind: ErrorKind,
    #[source]
    source: Option<Source>,
    renewal_url: Option<Arc<str>>,
    locale: Locale,
}

/// The ` (cause)` that `Display` appends when there is a source.
struct SourceSuffix<'a>(Option<&'a (dyn std::error::Error + Send + Sync + 'static)>);

impl fmt::Display for SourceSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(source) => write!(f, " ({source})"),
            None => Ok(()),
        }
    }
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            source: None,
            renewal_url: None,
            locale: Locale::En,
        }
    }

    pub(crate) fn client(error: ClientError, source: impl Into<Source>) -> Self {
        Self {
            kind: ErrorKind::Client(error),
            source: Some(source.into()),
            renewal_url: None,
            locale: Locale::En,
        }
    }

    /// The error with `source` as its cause.
    pub(crate) fn caused_by(mut self, source: impl Into<Source>) -> Self {
        self.source = Some(source.into());
        self
    }

    pub(crate) fn with_renewal_url(mut self, url: Option<Arc<str>>) -> Self {
        self.renewal_url = url;
        self
    }

    pub(crate) fn with_locale(mut self, locale: Locale) -> Self {
        self.locale = locale;
        self
    }

    /// The family and code.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The error family.
    pub fn family(&self) -> Family {
        match &self.kind {
            ErrorKind::Validate(_) => Family::Validate,
            ErrorKind::Heartbeat(_) => Family::Heartbeat,
            ErrorKind::SelfBan(_) => Family::Selfban,
            ErrorKind::Client(_) => Family::Client,
        }
    }

    /// The error code, for logs (for example `"hwid_mismatch"`); a code this version does
    /// not know is returned as the server sent it. Never show it to end users.
    pub fn code(&self) -> &str {
        match &self.kind {
            ErrorKind::Validate(e) => e.code(),
            ErrorKind::Heartbeat(e) => e.code(),
            ErrorKind::SelfBan(e) => e.code(),
            ErrorKind::Client(e) => e.code(),
        }
    }

    /// The only text an end user should see, in [`Error::locale`]. Internal codes get a
    /// generic text, and an unknown code gets its family's generic text.
    pub fn user_message(&self) -> &'static str {
        match &self.kind {
            ErrorKind::Validate(e) => e.user_message_in(self.locale),
            ErrorKind::Heartbeat(e) => e.user_message_in(self.locale),
            ErrorKind::SelfBan(e) => e.user_message_in(self.locale),
            ErrorKind::Client(e) => e.user_message_in(self.locale),
        }
    }

    /// What the end user can do about it, in [`Error::locale`]: the text for a button or
    /// a hint.
    pub fn action_label(&self) -> &'static str {
        self.user_action().label_in(self.locale)
    }

    /// The language of [`Error::user_message`] and [`Error::action_label`]: the
    /// [`crate::Builder::locale`] of the client that returned the error (English for an
    /// error made from a bare code).
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// What the end user can do about it ([`Error::action_label`] is its text).
    pub fn user_action(&self) -> UserAction {
        match &self.kind {
            ErrorKind::Validate(e) => e.user_action(),
            ErrorKind::Heartbeat(e) => e.user_action(),
            ErrorKind::SelfBan(e) => e.user_action(),
            ErrorKind::Client(e) => e.user_action(),
        }
    }

    /// The renewal URL configured with [`crate::Builder::renewal_url`], when the user
    /// action asks for a renewal link (an expired license).
    pub fn renewal_link(&self) -> Option<&str> {
        match self.user_action().link() {
            Some(_) => self.renewal_url.as_deref(),
            None => None,
        }
    }

    /// How the SDK reacts to this error (already applied by the time the application
    /// sees it).
    pub fn retry_class(&self) -> RetryClass {
        match &self.kind {
            ErrorKind::Validate(e) => e.retry_class(),
            ErrorKind::Heartbeat(e) => e.retry_class(),
            ErrorKind::SelfBan(e) => e.retry_class(),
            ErrorKind::Client(e) => e.retry_class(),
        }
    }

    /// The numbers of [`Error::retry_class`].
    pub fn retry_policy(&self) -> &'static RetryPolicy {
        self.retry_class().policy()
    }

    /// Whether the response failed an integrity check (`nonce_mismatch`,
    /// `signature_mismatch`): a possible attack, logged as such.
    pub fn is_security_alert(&self) -> bool {
        self.retry_policy().security_alert
    }

    /// Developer-facing description of the code, from the error spec.
    pub fn description(&self) -> &'static str {
        match &self.kind {
            ErrorKind::Validate(e) => e.description(),
            ErrorKind::Heartbeat(e) => e.description(),
            ErrorKind::SelfBan(e) => e.description(),
            ErrorKind::Client(e) => e.description(),
        }
    }
}

impl From<ValidateError> for Error {
    fn from(e: ValidateError) -> Self {
        Error::new(ErrorKind::Validate(e))
    }
}

impl From<HeartbeatError> for Error {
    fn from(e: HeartbeatError) -> Self {
        Error::new(ErrorKind::Heartbeat(e))
    }
}

impl From<SelfBanError> for Error {
    fn from(e: SelfBanError) -> Self {
        Error::new(ErrorKind::SelfBan(e))
    }
}

impl From<ClientError> for Error {
    fn from(e: ClientError) -> Self {
        Error::new(ErrorKind::Client(e))
    }
}

/// A developer-facing message as an error source.
#[derive(Debug, Error)]
#[error("{0}")]
pub(crate) struct Cause(pub(crate) String);

/// The builder was given an unusable configuration.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A required setting is missing: `app_id`, `app_secret` or `base_url`.
    #[error("missing setting: {0}")]
    Missing(&'static str),
    /// The base URL is not an `http` or `https` URL.
    #[error("invalid base URL: {0}")]
    InvalidBaseUrl(String),
    /// A setting is out of range.
    #[error("invalid setting: {0}")]
    Invalid(&'static str),
    /// The HTTP client or the blocking runtime could not be created.
    #[error("cannot initialise the client: {0}")]
    Init(String),
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    /// What `Display` starts with, from the generated crate's own texts.
    fn head(family: Family, code: &str, description: &str) -> String {
        format!("{family} error {code}: {description}")
    }

    #[test]
    fn display_names_family_code_description_and_cause() {
        let revoked = ValidateError::Revoked;
        let plain = Error::from(revoked.clone());
        assert_eq!(
            plain.to_string(),
            head(Family::Validate, revoked.code(), revoked.description())
        );
        assert!(plain.source().is_none());

        let network = ClientError::NetworkError;
        let caused = Error::client(network.clone(), Cause("connection reset".into()));
        assert_eq!(
            caused.to_string(),
            format!(
                "{} (connection reset)",
                head(Family::Client, network.code(), network.description())
            )
        );
        assert_eq!(
            caused.source().map(ToString::to_string).as_deref(),
            Some("connection reset")
        );
    }

    #[test]
    fn build_errors_read_as_before() {
        for (error, text) in [
            (BuildError::Missing("app_id"), "missing setting: app_id"),
            (
                BuildError::InvalidBaseUrl("no host".into()),
                "invalid base URL: no host",
            ),
            (
                BuildError::Invalid("timeouts must not be zero"),
                "invalid setting: timeouts must not be zero",
            ),
            (
                BuildError::Init("no runtime".into()),
                "cannot initialise the client: no runtime",
            ),
        ] {
            assert_eq!(error.to_string(), text);
        }
    }
}
