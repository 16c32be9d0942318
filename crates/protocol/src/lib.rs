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
//! - Each app signs in one of two modes. HMAC: the signature is
//!   `hex(HMAC-SHA256(key, payload_base64_text))` with `key = SHA256(secret || nonce)`; the
//!   secret is the `appSecret` for validate and the session token's `sigKey` for heartbeat
//!   ([`signing`]). Ed25519: the signature is standard base64 of the Ed25519 signature of
//!   the payload's base64 text by the app's active key, named by the envelope's `keyId`;
//!   clients verify with a list of trusted public keys ([`ed25519`]).
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
//! - [`signing`]: key derivation, HMAC signatures, payload encoding;
//! - [`ed25519`]: Ed25519 signing keys, trusted public keys and key ids;
//! - [`session_token`]: issuing and checking session tokens;
//! - [`verify`]: the client's checks of a response;
//! - [`server`]: building a signed success response.

#![warn(missing_docs)]
// No input may make this crate panic.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod b64;
pub mod ed25519;
pub mod error;
mod fields;
mod hexutil;
pub mod iso_time;
mod json_out;
mod json_scan;
pub mod nonce;
pub mod selfban;
pub mod server;
pub mod session_token;
pub mod signing;
pub mod verify;
pub mod wire;

pub use ed25519::{AnswerSigningKey, InvalidPublicKey, TrustedKeys};
pub use error::{EncodeError, RngError};
pub use nonce::{NONCE_LEN, Nonce, NonceError};
pub use selfban::{
    SelfBanAnswer, SelfBanFlags, SelfBanKeyRequest, SelfBanRequest, SelfBanSessionRequest,
};
pub use server::{AnswerSigner, sign_answer, sign_answer_json, sign_response, sign_response_json};
pub use session_token::{
    InvalidSigKey, SessionToken, SessionTokenBody, SigKey, TokenError, TokenKey,
};
pub use signing::{
    KEY_LEN, PayloadError, decode_payload, derive_key, encode_payload, sign_payload,
    verify_signature,
};
pub use verify::{
    CheckedResponse, ResponseError, ResponseKey, VerifiedPayload, VerifiedSession, check_response,
    check_signed, check_signed_with_key_id,
};
pub use wire::{
    FieldError, HeartbeatRequest, MAX_SESSION_TTL_SECS, MIN_SESSION_TTL_SECS, SPEC_VERSION_HEADER,
    SessionPayload, SignedResponse, Status, StatusError, ValidateRequest, session_lifetime,
};
