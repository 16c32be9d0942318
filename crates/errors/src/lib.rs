//! Keyward's error model: every error code of the licensing service.
//!
//! Everything in this crate comes from one table, `spec/errors.toml`; the code
//! in [`generated`](self) is written by `cargo xtask codegen` and never edited by
//! hand. Each family of errors is one `#[non_exhaustive]` enum:
//!
//! | family | enum | where it comes from |
//! |---|---|---|
//! | `api` | [`ApiError`] | the Developer API (`/v1/...`), with an HTTP status |
//! | `validate` | [`ValidateError`] | `POST /auth/validate` |
//! | `heartbeat` | [`HeartbeatError`] | `POST /auth/heartbeat` |
//! | `selfban` | [`SelfBanError`] | `POST /auth/selfban` |
//! | `client` | [`ClientError`] | detected by the SDK itself |
//!
//! Every enum keeps a code it does not know (sent by a newer server) in its
//! `Unknown` variant instead of dropping it, so a client built today still
//! understands tomorrow's server (match with a wildcard arm, not on
//! `Unknown`: see "Matching" on each enum):
//!
//! ```
//! use keyward_errors::{RetryClass, ValidateError};
//!
//! let known = ValidateError::from_code("hwid_mismatch");
//! assert_eq!(known, ValidateError::HwidMismatch);
//! assert_eq!(known.retry_class(), RetryClass::Permanent);
//! assert_eq!(
//!     known.user_message(),
//!     "This license is already in use on another device. Contact support to reset."
//! );
//!
//! let newer = ValidateError::from_code("quantum_flux");
//! assert!(newer.is_unknown());
//! assert_eq!(newer.code(), "quantum_flux");
//! ```
//!
//! [`OPERATIONS`] lists every HTTP operation with the codes it can answer
//! ([`OperationInfo`]).
//!
//! Every method is inherent; the [`ErrorCode`] trait is for code generic over
//! families. [`UserAction`], [`RetryClass`] and [`Family`] parse from and
//! serialize to their spec names (`"permanent".parse::<RetryClass>()`).
//!
//! The code is the contract (it goes in logs); `Display` and
//! [`ErrorCode::description`] are for developers; [`ErrorCode::user_message`] and
//! [`ErrorCode::user_action`] are the only texts meant for end users.
//!
//! # Features
//! - `schemars`: `JsonSchema` for every enum and envelope.
//! - `http`: [`ApiError::status_code`] as an `http::StatusCode`.
//! - `axum`: `IntoResponse` for [`ApiError`] and [`ApiErrorResponse`] (implies `http`).
//! - `locales`: the end-user texts in every shipped language (`spec/locales/*.ftl`):
//!   `Locale`, its negotiation from the user's preferred languages, and
//!   `user_message_in` / `label_in` beside `user_message` / `label`:
//!
//! ```
//! # #[cfg(feature = "locales")] {
//! use keyward_errors::{Locale, ValidateError};
//!
//! let locale = Locale::negotiate(["de-AT", "en-US"]);
//! assert_eq!(locale, Locale::De);
//! let error = ValidateError::Expired;
//! assert_eq!(error.user_message_in(locale), "Ihre Lizenz ist abgelaufen.");
//! assert_eq!(error.user_message_in(Locale::En), error.user_message());
//! assert_eq!(error.user_action().label_in(locale), "Verlängern Sie Ihre Lizenz.");
//! # }
//! ```
#![warn(missing_docs)]
#![doc(test(attr(deny(warnings))))]
// Pure lookups and builder steps are useless when their result is dropped.
#![warn(clippy::must_use_candidate, clippy::return_self_not_must_use)]

mod envelope;
mod family;
mod generated;
#[cfg(feature = "locales")]
mod generated_locales;
#[cfg(feature = "locales")]
mod locale;
mod name;
mod operation;
mod retry;

#[cfg(feature = "axum")]
mod axum_response;
#[cfg(feature = "http")]
mod http_status;

#[cfg(feature = "axum")]
pub use axum_response::ApiErrorResponse;
pub use envelope::{Failed, FieldError};
pub use family::{ErrorCode, ErrorInfo, FamilyInfo, UnknownCode};
pub use generated::*;
#[cfg(feature = "locales")]
pub use generated_locales::Locale;
pub use name::UnknownName;
pub use operation::OperationInfo;
pub use retry::{Jitter, RateLimit, RetryPolicy};
