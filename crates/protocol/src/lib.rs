//! Keyward's wire protocol for the public auth endpoints, shared by the license server and
//! the client SDK. Sans-IO: no networking, no clock (times are passed in), no storage.
//!
//! # The protocol in brief
//!
//! - `POST /auth/validate` with `{"appId", "appSecret", "licenseKey", "hwid", "nonce"}` and
//!   `POST /auth/heartbeat` with `{"appId", "sessionToken", "nonce", "hwid"}`
//!   ([`ValidateRequest`], [`HeartbeatRequest`]). The `nonce` is 32 lowercase hex characters
//!   from 16 CSPRNG bytes, fresh on every request ([`Nonce`]).
//! - Success (HTTP 200): `{"status": "success", "payload": <standard base64 of a JSON
//!   object>, "signature": <lowercase hex>}` ([`SignedResponse`], [`SessionPayload`]).
//!   Clients also accept `"ok"`, `"valid"`, `true` and `1` as success ([`Status`]).
//! - The signature is `hex(HMAC-SHA256(key, payload_base64_text))` with
//!   `key = SHA256(secret || nonce)`; the secret is the `appSecret` for validate and the
//!   session token's `sigKey` for heartbeat ([`signing`]).
//! - Failure (HTTP 200, unsigned): `{"status": "failed", "error": <code>}`, plus
//!   `"details": [{"field", "message"}]` for `bad_request` (`keyward_errors::AuthFailure`).
//! - The session token is `base64url(body_json) + "." + base64url(HMAC-SHA256(server_secret,
//!   base64url_body_text))` ([`SessionToken`]).
//! - The client checks, in order: status, payload and signature well-formed, nonce echoed,
//!   signature (constant time) — [`check_response`], then [`CheckedResponse::parse`] for
//!   the session payload.
//!
//! The whole protocol, for implementers of other clients and servers, is in the
//! repository's `docs/protocol.md`.
//!
//! # Modules
//!
//! - [`nonce`]: request nonces;
//! - [`wire`]: request/response JSON types, request parsing that reports every bad field;
//! - [`signing`]: key derivation, signatures, payload encoding;
//! - [`session_token`]: issuing and checking session tokens;
//! - [`verify`]: the client's checks of a response;
//! - [`server`]: building a signed success response.

#![warn(missing_docs)]
// No input may make this crate panic.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod b64;
pub mod error;
mod fields;
mod hexutil;
mod json_out;
mod json_scan;
pub mod nonce;
pub mod server;
pub mod session_token;
pub mod signing;
pub mod verify;
pub mod wire;

pub use error::{EncodeError, RngError};
pub use nonce::{NONCE_LEN, Nonce, NonceError};
pub use server::{sign_response, sign_response_json};
pub use session_token::{
    InvalidSigKey, SessionToken, SessionTokenBody, SigKey, TokenError, TokenKey,
};
pub use signing::{
    KEY_LEN, PayloadError, decode_payload, derive_key, encode_payload, sign_payload,
    verify_signature,
};
pub use verify::{
    CheckedResponse, ResponseError, VerifiedPayload, VerifiedSession, check_response, check_signed,
};
pub use wire::{
    FieldError, HeartbeatRequest, SPEC_VERSION_HEADER, SessionPayload, SignedResponse, Status,
    StatusError, ValidateRequest,
};
