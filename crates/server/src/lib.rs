//! Keyward's license server: the Developer API (`/v1/...`) and the public auth endpoints
//! (`/auth/validate`, `/auth/heartbeat`) over SQLite, with every error from the generated
//! `keyward-errors` crate and the wire format of `keyward-protocol`.
//!
//! - [`spawn`] / [`serve`] run a server from a [`Config`];
//! - [`TestServer`] runs the real server on an ephemeral port with a temporary database,
//!   for this crate's tests and for other crates' end-to-end tests;
//! - [`Admin`] is what the `keyward-server admin` CLI does (accounts, API keys, credits,
//!   suspension), usable from code;
//! - [`Store`] is the storage boundary (SQLite today).
//!
//! See `docs/server.md` (operations) and `docs/developer-api.md` (routes, auth order).
#![warn(missing_docs)]

mod access_log;
pub mod admin;
pub mod api;
mod app;
pub mod auth;
pub mod cli;
mod client_ip;
pub mod clock;
pub mod config;
mod conn;
#[cfg(feature = "test-util")]
mod contract;
mod head_limits;
pub mod ipnet;
pub mod metrics;
pub mod openapi;
pub mod ratelimit;
pub mod request_id;
pub mod secret;
mod server;
pub mod signing_keys;
mod state;
pub mod store;
#[cfg(feature = "test-util")]
mod testing;

pub use admin::{Admin, AdminError, IssuedApiKey};
pub use client_ip::client_ip;
pub use clock::Clock;
pub use config::Config;
pub use ratelimit::RateLimitConfig;
pub use secret::Secret;
pub use server::{RunningServer, ServerError, serve, spawn};
pub use state::AppState;
pub use store::{Store, StoreError};
#[cfg(all(feature = "test-util", unix))]
pub use testing::postgres::{TestDatabase, TestPostgres, TestPostgresError};
#[cfg(feature = "test-util")]
pub use testing::{KeptDatabase, SEED_CREDITS, Seed, TEST_BACKEND_VAR, TestBackend, TestServer};
