//! Client-side checks of an auth response, steps 1–4 of the protocol's "what the client
//! checks, in order", and step 5's parse of the session payload:
//!
//! 1. parse the JSON object; a `status` that is not a success value is a failure whose
//!    `error` code is returned verbatim ([`CheckedResponse::Failed`]);
//! 2. `payload` and `signature` must be present and well-formed, else
//!    [`ResponseError::Malformed`];
//! 3. the decoded payload's `nonce` must equal the nonce sent, else
//!    [`ResponseError::NonceMismatch`];
//! 4. the signature must match, else [`ResponseError::SignatureMismatch`]: in HMAC mode
//!    the hex HMAC (constant-time); in Ed25519 mode the base64 signature under the trusted
//!    key the answer's `keyId` names, or any trusted key when it names none
//!    ([`ResponseKey`]).
//! 5. only then is the session stored: [`VerifiedPayload::parse`] reads the full
//!    [`SessionPayload`] (token, expiry, variables).
//!
//! The checks come in two entry points, for the two places a signed payload comes from:
//! [`check_response`] takes an HTTP response body (steps 1–4), [`check_signed`] a payload
//! text and signature stored earlier (steps 2–4). Both stop short of step 5, which runs on
//! authenticated data only: [`CheckedResponse::parse`] or [`VerifiedPayload::parse`].
//!
//! The checks read only what they need:
//!
//! - the envelope: a fast path walks a success envelope's top level without building
//!   anything ([`crate::json_scan`]); anything unusual (a failure, escapes, duplicates, odd
//!   types) goes through the complete one-pass `serde_json` parse with borrowed strings
//!   ([`serde_fallback`]);
//! - the payload is base64-decoded incrementally, only as far as its top-level `nonce`
//!   (servers put it before the variables), and only that field is extracted; the rest is
//!   decoded, once, by step 5;
//! - an HMAC signature is hex-decoded and compared in constant time by the `hmac` crate;
//!   an Ed25519 signature is base64-decoded and verified by `ed25519-dalek`.

use std::borrow::Cow;
use std::fmt;

use thiserror::Error;

use crate::b64::PartialDecode;
use crate::ed25519::{TrustedKeys, decode_signature};
use crate::fields::Field;
use crate::hexutil::decode32;
use crate::json_scan::{NonceScan, SuccessEnvelope, scan_nonce, success_envelope};
use crate::signing::{KEY_LEN, parse_payload_json, verify_signature_bytes};
use crate::wire::{FieldError, SessionPayload};

pub(crate) mod serde_fallback;

use serde_fallback::{EnvelopeError, StatusClass, parse_envelope};

/// What an answer's signature is checked with: the app's signing mode seen from the client.
#[derive(Debug, Clone, Copy)]
pub enum ResponseKey<'a> {
    /// HMAC mode: the key derived for this request ([`crate::derive_key`] for validate,
    /// [`crate::SessionToken::heartbeat_key`] for heartbeat).
    Hmac(&'a [u8; KEY_LEN]),
    /// Ed25519 mode: the trusted public keys, for validate and heartbeat alike.
    Ed25519(&'a TrustedKeys),
}

impl<'a> From<&'a [u8; KEY_LEN]> for ResponseKey<'a> {
    fn from(key: &'a [u8; KEY_LEN]) -> Self {
        ResponseKey::Hmac(key)
    }
}

impl<'a> From<&'a TrustedKeys> for ResponseKey<'a> {
    fn from(keys: &'a TrustedKeys) -> Self {
        ResponseKey::Ed25519(keys)
    }
}

/// A success response that passed every check, with its payload parsed.
#[derive(Clone, PartialEq)]
pub struct VerifiedSession {
    /// The decoded payload.
    pub payload: SessionPayload,
    /// The payload's base64 text exactly as received (what the signature covers); keep it
    /// to re-verify the session later (local heartbeat mode).
    pub payload_b64: String,
    /// The signature's text as received (hex in HMAC mode, base64 in Ed25519 mode).
    pub signature: String,
    /// The `keyId` of the envelope, when it had one.
    pub key_id: Option<String>,
}

impl fmt::Debug for VerifiedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The base64 text embeds the session token: print its length only.
        f.debug_struct("VerifiedSession")
            .field("payload", &self.payload)
            .field(
                "payload_b64",
                &format_args!("<{} bytes>", self.payload_b64.len()),
            )
            .field("signature", &self.signature)
            .field("key_id", &self.key_id)
            .finish()
    }
}

impl VerifiedSession {
    /// Re-run steps 2–4 on the stored payload text, signature and key id (local heartbeat
    /// mode), with the key derived for the payload's own nonce or the trusted keys, and
    /// check that they still decode to the stored payload.
    pub fn reverify<'k>(&self, key: impl Into<ResponseKey<'k>>) -> Result<(), ResponseError> {
        let again = check_signed_with_key_id(
            &self.payload_b64,
            &self.signature,
            self.key_id.as_deref(),
            &self.payload.nonce,
            key,
        )?
        .parse()?;
        if again.payload == self.payload {
            Ok(())
        } else {
            Err(ResponseError::Malformed(
                "stored payload differs from the signed payload".to_owned(),
            ))
        }
    }

    /// True once `now_unix` has reached the payload's absolute expiry (`expiresIn`).
    pub fn is_expired(&self, now_unix: i64) -> bool {
        self.payload.is_expired(now_unix)
    }
}

/// A success response that passed checks 1–4 (well-formed, nonce echoed, signature
/// valid), before its payload is parsed. Borrows the response body where it can.
///
/// [`VerifiedPayload::parse`] is step 5: it reads the full [`SessionPayload`] and returns
/// the [`VerifiedSession`] to store.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedPayload<'a> {
    payload_b64: Cow<'a, str>,
    signature: Cow<'a, str>,
    key_id: Option<Cow<'a, str>>,
    /// The payload JSON decoded during the checks (possibly a prefix).
    decoded: PartialDecode,
}

impl fmt::Debug for VerifiedPayload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The payload embeds the session token: print lengths only.
        f.debug_struct("VerifiedPayload")
            .field(
                "payload_b64",
                &format_args!("<{} bytes>", self.payload_b64.len()),
            )
            .field("signature", &self.signature)
            .field("key_id", &self.key_id)
            .field(
                "decoded",
                &format_args!("<{} bytes>", self.decoded.bytes.len()),
            )
            .finish()
    }
}

impl<'a> VerifiedPayload<'a> {
    /// The payload's base64 text exactly as received (what the signature covers).
    pub fn payload_b64(&self) -> &str {
        &self.payload_b64
    }

    /// The signature's text as received.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The envelope's `keyId`, when it had one.
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    /// Step 5: decode the rest of the payload and parse it in full. Fails with
    /// [`ResponseError::Malformed`] when the authenticated payload is not a valid
    /// [`SessionPayload`] (including a repeated field).
    pub fn parse(self) -> Result<VerifiedSession, ResponseError> {
        let mut decoded = self.decoded;
        decoded
            .finish(&self.payload_b64)
            .map_err(|_| not_base64())?;
        let payload = parse_payload_json(&decoded.bytes)
            .map_err(|e| ResponseError::Malformed(format!("payload: {e}")))?;
        Ok(VerifiedSession {
            payload,
            payload_b64: self.payload_b64.into_owned(),
            signature: self.signature.into_owned(),
            key_id: self.key_id.map(Cow::into_owned),
        })
    }

    /// Detach from the response body.
    pub fn into_owned(self) -> VerifiedPayload<'static> {
        VerifiedPayload {
            payload_b64: Cow::Owned(self.payload_b64.into_owned()),
            signature: Cow::Owned(self.signature.into_owned()),
            key_id: self.key_id.map(|id| Cow::Owned(id.into_owned())),
            decoded: self.decoded,
        }
    }
}

/// What a well-formed response said: a success that passed the checks, or the server's
/// failure.
///
/// `S` is what a verified success carries: a [`VerifiedPayload`] (checked, not yet
/// parsed) from [`check_response`], or a [`VerifiedSession`] (parsed payload) after
/// [`CheckedResponse::parse`].
#[derive(Debug, Clone, PartialEq)]
pub enum CheckedResponse<S = VerifiedSession> {
    /// A signed success whose nonce and signature check out.
    Success(S),
    /// A failure (unsigned). `error` is the server's code verbatim, known or not; the
    /// caller maps it to its family (validate or heartbeat) of codes.
    Failed {
        /// The `error` code as received.
        error: String,
        /// The `details` of a `bad_request`, when present and well-formed.
        details: Option<Vec<FieldError>>,
        /// A human-readable `message`, when the server sent one (newer servers on non-2xx).
        message: Option<String>,
    },
}

impl<S> CheckedResponse<S> {
    /// Transform the success value, keeping a failure as it is.
    pub fn try_map<T, E>(self, f: impl FnOnce(S) -> Result<T, E>) -> Result<CheckedResponse<T>, E> {
        match self {
            CheckedResponse::Success(s) => f(s).map(CheckedResponse::Success),
            CheckedResponse::Failed {
                error,
                details,
                message,
            } => Ok(CheckedResponse::Failed {
                error,
                details,
                message,
            }),
        }
    }
}

impl CheckedResponse<VerifiedPayload<'_>> {
    /// Step 5 on a success ([`VerifiedPayload::parse`]), keeping a failure as it is.
    pub fn parse(self) -> Result<CheckedResponse, ResponseError> {
        self.try_map(VerifiedPayload::parse)
    }
}

/// Why a response could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The body is not JSON at all. On a non-2xx answer the caller treats this as a
    /// network error.
    #[error("response body is not JSON")]
    NotJson,
    /// A non-2xx answer whose JSON body carries no usable failure (no `error` code); the
    /// caller treats this as a network/HTTP error.
    #[error("HTTP status {0} without a usable error body")]
    HttpStatus(u16),
    /// A protocol error: missing or ill-formed `status`, `payload`, `signature` or
    /// decoded payload.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The payload's nonce is not the nonce sent (`nonce_mismatch`).
    #[error("nonce mismatch")]
    NonceMismatch,
    /// The signature does not match the payload (`signature_mismatch`).
    #[error("signature mismatch")]
    SignatureMismatch,
}

fn malformed(reason: &str) -> ResponseError {
    ResponseError::Malformed(reason.to_owned())
}

fn not_base64() -> ResponseError {
    malformed("payload is not valid base64")
}

/// Steps 1–4 on a response to a validate or heartbeat request, without parsing the
/// session payload beyond its `nonce`:
///
/// - `body`: the raw HTTP response body; `http_status`: its HTTP status code;
/// - `sent_nonce`: the nonce of the request this answers;
/// - `key`: in HMAC mode the verification key, `SHA256(appSecret || nonce)` for validate
///   ([`crate::derive_key`]) or `SHA256(sigKey || nonce)` for heartbeat
///   ([`crate::SessionToken::heartbeat_key`]); in Ed25519 mode the [`TrustedKeys`].
///
/// A JSON failure body is accepted whatever the HTTP status. A signed success is judged by
/// its signature alone, whatever the HTTP status, and comes back as a [`VerifiedPayload`]
/// borrowing from `body`; call [`CheckedResponse::parse`] (or [`VerifiedPayload::parse`])
/// when storing the session. Never panics, whatever the input.
pub fn check_response<'a, 'k>(
    body: &'a [u8],
    http_status: u16,
    sent_nonce: &str,
    key: impl Into<ResponseKey<'k>>,
) -> Result<CheckedResponse<VerifiedPayload<'a>>, ResponseError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if let Some(SuccessEnvelope {
        payload,
        signature,
        key_id,
    }) = success_envelope(body)
    {
        return check_signed_with_key_id(payload, signature, key_id, sent_nonce, key)
            .map(CheckedResponse::Success);
    }
    let ok_status = (200..300).contains(&http_status);
    let env = match parse_envelope(body) {
        Ok(env) => env,
        Err(EnvelopeError::NotJson) => return Err(ResponseError::NotJson),
        Err(EnvelopeError::NotObject) if !ok_status => {
            return Err(ResponseError::HttpStatus(http_status));
        }
        Err(EnvelopeError::NotObject) => return Err(malformed("response is not a JSON object")),
        Err(EnvelopeError::Data(reason)) => return Err(ResponseError::Malformed(reason)),
    };

    // Step 1.
    if env.status == Some(StatusClass::Success) {
        // Step 2: presence and types; the contents are checked in `check_parts`.
        let payload_b64 = match env.payload {
            Some(Field::Text(s)) => s,
            Some(_) => return Err(malformed("payload is not a string")),
            None => return Err(malformed("success without payload")),
        };
        let signature = match env.signature {
            Some(Field::Text(s)) => s,
            Some(_) => return Err(malformed("signature is not a string")),
            None => return Err(malformed("success without signature")),
        };
        let key_id = match env.key_id {
            Some(Field::Text(s)) => Some(s),
            Some(Field::Integer(_) | Field::Bool(_) | Field::Other) => {
                return Err(malformed("keyId is not a string"));
            }
            Some(Field::Missing | Field::Null) | None => None,
        };
        let decoded = check_parts(
            &payload_b64,
            &signature,
            key_id.as_deref(),
            sent_nonce,
            key.into(),
        )?;
        return Ok(CheckedResponse::Success(VerifiedPayload {
            payload_b64,
            signature,
            key_id,
            decoded,
        }));
    }
    match env.error {
        Some(Field::Text(error)) => Ok(CheckedResponse::Failed {
            error: error.into_owned(),
            details: env
                .details
                .and_then(|d| serde_json::from_value::<Vec<FieldError>>(d).ok()),
            message: match env.message {
                Some(Field::Text(m)) => Some(m.into_owned()),
                _ => None,
            },
        }),
        _ if !ok_status => Err(ResponseError::HttpStatus(http_status)),
        Some(_) => Err(malformed("error is not a string")),
        None if env.status.is_none() => Err(malformed("missing status")),
        None => Err(malformed("failure without an error code")),
    }
}

/// Steps 2–4 on a payload text and signature stored earlier (e.g. for local heartbeat
/// mode, or a session persisted to disk): well-formedness, nonce, then signature, without
/// parsing the payload beyond its `nonce`. Call [`VerifiedPayload::parse`] for step 5.
/// An Ed25519 signature is checked against every trusted key (no `keyId`).
pub fn check_signed<'a, 'k>(
    payload_b64: &'a str,
    signature: &'a str,
    expected_nonce: &str,
    key: impl Into<ResponseKey<'k>>,
) -> Result<VerifiedPayload<'a>, ResponseError> {
    check_signed_with_key_id(payload_b64, signature, None, expected_nonce, key)
}

/// [`check_signed`] for an answer that named its key: an Ed25519 signature is checked
/// against the trusted key `key_id` names only (an unknown id is a
/// [`ResponseError::SignatureMismatch`]); `None` checks it against every trusted key.
/// HMAC mode ignores the id.
pub fn check_signed_with_key_id<'a, 'k>(
    payload_b64: &'a str,
    signature: &'a str,
    key_id: Option<&'a str>,
    expected_nonce: &str,
    key: impl Into<ResponseKey<'k>>,
) -> Result<VerifiedPayload<'a>, ResponseError> {
    let decoded = check_parts(payload_b64, signature, key_id, expected_nonce, key.into())?;
    Ok(VerifiedPayload {
        payload_b64: Cow::Borrowed(payload_b64),
        signature: Cow::Borrowed(signature),
        key_id: key_id.map(Cow::Borrowed),
        decoded,
    })
}

/// A signature decoded for its mode (step 2).
enum DecodedSignature<'k> {
    Hmac(&'k [u8; KEY_LEN], [u8; 32]),
    Ed25519(&'k TrustedKeys, ed25519_dalek::Signature),
}

impl<'k> DecodedSignature<'k> {
    fn decode(signature: &str, key: ResponseKey<'k>) -> Result<Self, ResponseError> {
        match key {
            ResponseKey::Hmac(key) => decode32(signature)
                .map(|sig| DecodedSignature::Hmac(key, sig))
                .ok_or_else(|| malformed("signature is not 64 hex characters")),
            ResponseKey::Ed25519(keys) => decode_signature(signature)
                .map(|sig| DecodedSignature::Ed25519(keys, sig))
                .ok_or_else(|| malformed("signature is not standard base64 of 64 bytes")),
        }
    }

    /// Step 4.
    fn verifies(&self, payload_b64: &str, key_id: Option<&str>) -> bool {
        match self {
            DecodedSignature::Hmac(key, sig) => verify_signature_bytes(key, payload_b64, sig),
            DecodedSignature::Ed25519(keys, sig) => keys.verify(key_id, payload_b64, sig),
        }
    }
}

/// Base64 characters decoded before the first look for the nonce, then per further step
/// (multiples of 4). Servers put the nonce after the session token, a few hundred
/// characters in; small steps after the first keep the decoded tail short.
const FIRST_DECODE_STEP: usize = 512;
const DECODE_STEP: usize = 128;

/// Steps 2 (contents) to 4; returns the payload JSON decoded so far.
///
/// The payload is base64-decoded incrementally, only as far as needed to read its top-level
/// `nonce` (servers put it before the variables); the rest is decoded by
/// [`VerifiedPayload::parse`]. Every character is decoded once.
fn check_parts(
    payload_b64: &str,
    signature: &str,
    key_id: Option<&str>,
    sent_nonce: &str,
    key: ResponseKey<'_>,
) -> Result<PartialDecode, ResponseError> {
    let signature = DecodedSignature::decode(signature, key)?;
    let mut decoded = PartialDecode::new(payload_b64);
    let mut resume = 0;
    let nonce_at = loop {
        let step = if decoded.consumed == 0 {
            FIRST_DECODE_STEP
        } else {
            DECODE_STEP
        };
        decoded
            .decode_more(payload_b64, step)
            .map_err(|_| not_base64())?;
        match scan_nonce(&decoded.bytes, resume) {
            NonceScan::Found(start, end) => break Some((start, end)),
            NonceScan::Stopped(_) if decoded.is_complete(payload_b64) => break None,
            NonceScan::Stopped(at) => resume = at,
        }
    };
    let nonce = match nonce_at {
        Some((start, end)) => decoded
            .bytes
            .get(start..end)
            .and_then(|text| std::str::from_utf8(text).ok())
            .map(Cow::Borrowed),
        None => None,
    };
    let nonce = match nonce {
        Some(nonce) => nonce,
        None => {
            decoded.finish(payload_b64).map_err(|_| not_base64())?;
            serde_fallback::payload_nonce(&decoded.bytes)?
        }
    };
    // Step 3.
    if nonce != sent_nonce {
        return Err(ResponseError::NonceMismatch);
    }
    // Step 4.
    if !signature.verifies(payload_b64, key_id) {
        return Err(ResponseError::SignatureMismatch);
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;

    use super::*;

    #[test]
    fn payloads_are_decoded_incrementally_and_once() {
        use crate::signing::sign_payload;
        let key = [9u8; 32];
        let filler = "x".repeat(3000);
        for json in [
            format!(r#"{{"nonce":"n1","sessionToken":"{filler}","timestamp":1,"expiresIn":2}}"#),
            format!(r#"{{"sessionToken":"{filler}","timestamp":1,"expiresIn":2,"nonce":"n1"}}"#),
            r#"{"sessionToken":"t","timestamp":1,"expiresIn":2,"nonce":"n1"}"#.to_owned(),
        ] {
            let b64 = STANDARD_PAD_INDIFFERENT.encode(&json);
            let sig = sign_payload(&key, &b64);
            let checked = check_signed(&b64, &sig, "n1", &key).unwrap();
            assert!(checked.decoded.consumed <= b64.len());
            let session = checked.parse().unwrap();
            assert_eq!(session.payload.nonce, "n1");
            assert_eq!(session.payload_b64, b64);
            assert_eq!(
                check_signed(&b64, &sig, "n2", &key),
                Err(ResponseError::NonceMismatch)
            );
        }
        // A repeated nonce passes the checks on the first one, and fails the full parse.
        let json = r#"{"sessionToken":"t","timestamp":1,"expiresIn":2,"nonce":"n1","nonce":"n2"}"#;
        let b64 = STANDARD_PAD_INDIFFERENT.encode(json);
        let sig = sign_payload(&key, &b64);
        let checked = check_signed(&b64, &sig, "n1", &key).unwrap();
        assert!(matches!(checked.parse(), Err(ResponseError::Malformed(_))));
        // Invalid base64 after the nonce is caught by the parse.
        let good = STANDARD_PAD_INDIFFERENT.encode(format!(
            r#"{{"nonce":"n1","sessionToken":"{filler}","timestamp":1,"expiresIn":2}}"#
        ));
        let bad = format!("{}!!!!", &good[..good.len() - 4]);
        let sig = sign_payload(&key, &bad);
        if let Ok(checked) = check_signed(&bad, &sig, "n1", &key) {
            assert!(matches!(checked.parse(), Err(ResponseError::Malformed(_))));
        }
    }
}
