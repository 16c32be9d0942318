//! Keyward client SDK: log in to a Keyward license server with a license key and keep the
//! session alive.
//!
//! - [`Client`] for async code (tokio) and [`blocking::Client`] for plain blocking code,
//!   over one shared core; both are built with a [`Builder`].
//! - One error type, [`Error`]: [`Error::code`] is for logs, [`Error::user_message`],
//!   [`Error::action_label`] and [`Error::renewal_link`] are for the screen (they never
//!   reveal an internal code), in the user's language: [`Builder::locale`], by default
//!   the operating system's preferred languages.
//! - Retries follow the retry class of each error code in the error spec
//!   (`docs/errors.md`) and nothing else: exponential backoff with jitter for transient
//!   and throttled codes and for network failures, honouring `Retry-After`, with a fresh
//!   nonce on every attempt; never a retry on a permanent code; `session_expired` during
//!   heartbeats validates the license once more and resumes; `nonce_mismatch` and
//!   `signature_mismatch` are never retried and are logged as possible attacks.
//! - Logs go through `tracing` with the actual error code, never a secret, license key,
//!   session token or signature.
//!
//! ```no_run
//! use std::time::Duration;
//! use keyward_client::{FailureReason, HeartbeatMode};
//!
//! let client = keyward_client::blocking::Client::builder()
//!     .app_id("app_8c2f1e9a")
//!     .app_secret("kw_live_...")
//!     .base_url("https://licensing.example.com")
//!     .heartbeat(HeartbeatMode::Server, Duration::from_secs(300))
//!     .renewal_url("https://example.com/renew")
//!     .on_failure(|reason: FailureReason, error: &keyward_client::Error| {
//!         eprintln!("[{reason}] {} {}", error.user_message(), error.action_label());
//!     })
//!     .build_blocking()?;
//! match client.login("K7QX-92MD-P4ZL-W8RT") {
//!     Ok(session) => println!("welcome; plan: {:?}", session.license_variable("plan")),
//!     Err(error) => {
//!         println!("{}", error.user_message());
//!         if let Some(link) = error.renewal_link() {
//!             println!("Renew at {link}");
//!         }
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod blocking;
mod client;
mod config;
mod core;
mod error;
mod hwid;
mod selfban;
mod session;

pub use client::Client;
pub use config::{
    Builder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_REQUEST_TIMEOUT,
    HeartbeatMode, default_locale,
};
pub use error::{BuildError, Error, ErrorKind, FailureReason};
pub use hwid::default_hwid;
pub use keyward_errors::{
    ClientError, HeartbeatError, Locale, RetryClass, SelfBanError, UserAction, ValidateError,
};
pub use selfban::{SelfBan, SelfBanOutcome};
pub use session::Session;

// The README's snippets, as doctests of the one crate that depends on everything they use
// (keyward-errors, tokio, tracing), with warnings denied as a reader's copy would see them.
#[cfg(doctest)]
#[doc(test(attr(deny(warnings))))]
#[doc = include_str!("../../../README.md")]
mod readme {}
