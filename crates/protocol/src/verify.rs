//! Client-side checks of an auth response, steps 1–4 of the protocol's "what the client
//! checks, in order" (step 5, storing the session, is the caller's):
//!
//! 1. parse the JSON object; a `status` that is not a success value is a failure whose
//!    `error` code is returned verbatim ([`Outcome::Failed`]);
//! 2. `payload` and `signature` must be present and well-formed, else
//!    [`ResponseError::Malformed`];
//! 3. the decoded payload's `nonce` must equal the nonce sent, else
//!    [`ResponseError::NonceMismatch`];
//! 4. the signature must match (constant-time), else [`ResponseError::SignatureMismatch`].
//!
//! The envelope is parsed in one pass with borrowed strings; the payload text is only
//! copied once it has been verified.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use thiserror::Error;

use crate::hexutil::decode32;
use crate::signing::{KEY_LEN, decode_b64, verify_signature_bytes};
use crate::wire::{FieldError, SessionPayload, Status, classify_str};

/// A success response that passed every check.
#[derive(Clone, PartialEq)]
pub struct VerifiedSession {
    /// The decoded payload.
    pub payload: SessionPayload,
    /// The payload's base64 text exactly as received (what the signature covers); keep it
    /// to re-verify the session later (local heartbeat mode).
    pub payload_b64: String,
    /// The signature's hex text as received.
    pub signature: String,
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
            .finish()
    }
}

impl VerifiedSession {
    /// Re-run steps 2–4 on the stored payload text and signature (local heartbeat mode),
    /// with the key derived for the payload's own nonce, and check that they still decode
    /// to the stored payload.
    pub fn reverify(&self, key: &[u8; KEY_LEN]) -> Result<(), ResponseError> {
        let again = verify_signed(&self.payload_b64, &self.signature, &self.payload.nonce, key)?;
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

/// What a well-formed response said.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A signed success whose nonce and signature check out.
    Success(VerifiedSession),
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

/// Check a response to a validate or heartbeat request.
///
/// - `body`: the raw HTTP response body; `http_status`: its HTTP status code;
/// - `sent_nonce`: the nonce of the request this answers;
/// - `key`: the verification key, `SHA256(appSecret || nonce)` for validate
///   ([`crate::derive_key`]) or `SHA256(sigKey || nonce)` for heartbeat
///   ([`crate::SessionToken::heartbeat_key`]).
///
/// A JSON failure body is accepted whatever the HTTP status. A signed success is judged by
/// its signature alone, whatever the HTTP status. Never panics, whatever the input.
pub fn verify_response(
    body: &[u8],
    http_status: u16,
    sent_nonce: &str,
    key: &[u8; KEY_LEN],
) -> Result<Outcome, ResponseError> {
    let ok_status = (200..300).contains(&http_status);
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
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
        // Step 2: presence and types; the contents are checked in `verify_parts`.
        let payload_b64 = match env.payload {
            Some(Text::Str(s)) => s,
            Some(Text::Other) => return Err(malformed("payload is not a string")),
            None => return Err(malformed("success without payload")),
        };
        let signature = match env.signature {
            Some(Text::Str(s)) => s,
            Some(Text::Other) => return Err(malformed("signature is not a string")),
            None => return Err(malformed("success without signature")),
        };
        let payload = verify_parts(&payload_b64, &signature, sent_nonce, key)?;
        return Ok(Outcome::Success(VerifiedSession {
            payload,
            payload_b64: payload_b64.into_owned(),
            signature: signature.into_owned(),
        }));
    }
    match env.error {
        Some(Text::Str(error)) => Ok(Outcome::Failed {
            error: error.into_owned(),
            details: env
                .details
                .and_then(|d| serde_json::from_value::<Vec<FieldError>>(d).ok()),
            message: match env.message {
                Some(Text::Str(m)) => Some(m.into_owned()),
                _ => None,
            },
        }),
        _ if !ok_status => Err(ResponseError::HttpStatus(http_status)),
        Some(Text::Other) => Err(malformed("error is not a string")),
        None if env.status.is_none() => Err(malformed("missing status")),
        None => Err(malformed("failure without an error code")),
    }
}

/// Steps 2–4 on a payload text and signature stored earlier (e.g. for local heartbeat
/// mode, or a session persisted to disk): well-formedness, nonce, then signature.
pub fn verify_signed(
    payload_b64: &str,
    signature_hex: &str,
    expected_nonce: &str,
    key: &[u8; KEY_LEN],
) -> Result<VerifiedSession, ResponseError> {
    let payload = verify_parts(payload_b64, signature_hex, expected_nonce, key)?;
    Ok(VerifiedSession {
        payload,
        payload_b64: payload_b64.to_owned(),
        signature: signature_hex.to_owned(),
    })
}

/// Steps 2 (contents) to 4.
fn verify_parts(
    payload_b64: &str,
    signature_hex: &str,
    sent_nonce: &str,
    key: &[u8; KEY_LEN],
) -> Result<SessionPayload, ResponseError> {
    let Some(signature) = decode32(signature_hex) else {
        return Err(malformed("signature is not 64 hex characters"));
    };
    let json = decode_b64(payload_b64).map_err(|_| malformed("payload is not valid base64"))?;
    let payload = crate::signing::parse_payload_json(&json)
        .map_err(|e| ResponseError::Malformed(format!("payload: {e}")))?;
    // Step 3.
    if payload.nonce != sent_nonce {
        return Err(ResponseError::NonceMismatch);
    }
    // Step 4.
    if !verify_signature_bytes(key, payload_b64, &signature) {
        return Err(ResponseError::SignatureMismatch);
    }
    Ok(payload)
}

// ---------------------------------------------------------------------------------------
// One-pass envelope parsing with borrowed strings and lenient field types.

/// How the `status` field reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusClass {
    Success,
    NotSuccess,
}

/// A field that should be a string: borrowed when it has no escapes.
enum Text<'a> {
    Str(Cow<'a, str>),
    Other,
}

#[derive(Default)]
struct Envelope<'a> {
    status: Option<StatusClass>,
    payload: Option<Text<'a>>,
    signature: Option<Text<'a>>,
    error: Option<Text<'a>>,
    message: Option<Text<'a>>,
    details: Option<Value>,
}

enum EnvelopeError {
    NotJson,
    NotObject,
    Data(String),
}

fn parse_envelope(body: &[u8]) -> Result<Envelope<'_>, EnvelopeError> {
    let first = body
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(&b'{') {
        return match serde_json::from_slice::<IgnoredAny>(body) {
            Ok(_) => Err(EnvelopeError::NotObject),
            Err(_) => Err(EnvelopeError::NotJson),
        };
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let env = (&mut de)
        .deserialize_map(EnvelopeVisitor)
        .and_then(|env| de.end().map(|()| env));
    env.map_err(|e| match e.classify() {
        serde_json::error::Category::Data => EnvelopeError::Data(e.to_string()),
        _ => EnvelopeError::NotJson,
    })
}

enum Key {
    Status,
    Payload,
    Signature,
    Error,
    Message,
    Details,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "status" => Key::Status,
                    "payload" => Key::Payload,
                    "signature" => Key::Signature,
                    "error" => Key::Error,
                    "message" => Key::Message,
                    "details" => Key::Details,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// Drains any JSON value, recording only whether it is a string (and which).
struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text::Str(Cow::Owned(v)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Text::Other)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Text::Other)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Text::Other)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Text::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Text::Other)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Text::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text::Other)
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

impl<'de> Deserialize<'de> for StatusClass {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StatusClassVisitor;
        impl<'de> Visitor<'de> for StatusClassVisitor {
            type Value = StatusClass;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusClass, E> {
                Ok(match classify_str(v) {
                    Some(Status::Success) => StatusClass::Success,
                    _ => StatusClass::NotSuccess,
                })
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<StatusClass, E> {
                Ok(if v {
                    StatusClass::Success
                } else {
                    StatusClass::NotSuccess
                })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusClass, E> {
                Ok(if v == 1 {
                    StatusClass::Success
                } else {
                    StatusClass::NotSuccess
                })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StatusClass, E> {
                Ok(if v == 1 {
                    StatusClass::Success
                } else {
                    StatusClass::NotSuccess
                })
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<StatusClass, E> {
                Ok(StatusClass::NotSuccess)
            }
            fn visit_unit<E: de::Error>(self) -> Result<StatusClass, E> {
                Ok(StatusClass::NotSuccess)
            }
            fn visit_none<E: de::Error>(self) -> Result<StatusClass, E> {
                Ok(StatusClass::NotSuccess)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusClass, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(StatusClass::NotSuccess)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StatusClass, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(StatusClass::NotSuccess)
            }
        }
        deserializer.deserialize_any(StatusClassVisitor)
    }
}

struct EnvelopeVisitor;

/// Store a field's value, rejecting a second occurrence of the same field.
fn set_once<T, E: de::Error>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    *slot = Some(value);
    Ok(())
}

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut env = Envelope::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Status => set_once(&mut env.status, map.next_value()?, "status")?,
                Key::Payload => set_once(&mut env.payload, map.next_value()?, "payload")?,
                Key::Signature => set_once(&mut env.signature, map.next_value()?, "signature")?,
                Key::Error => set_once(&mut env.error, map.next_value()?, "error")?,
                Key::Message => set_once(&mut env.message, map.next_value()?, "message")?,
                Key::Details => set_once(&mut env.details, map.next_value()?, "details")?,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(env)
    }
}
