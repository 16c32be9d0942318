//! Client-side checks of an auth response, steps 1–4 of the protocol's "what the client
//! checks, in order", and step 5's parse of the session payload:
//!
//! 1. parse the JSON object; a `status` that is not a success value is a failure whose
//!    `error` code is returned verbatim ([`Outcome::Failed`]);
//! 2. `payload` and `signature` must be present and well-formed, else
//!    [`ResponseError::Malformed`];
//! 3. the decoded payload's `nonce` must equal the nonce sent, else
//!    [`ResponseError::NonceMismatch`];
//! 4. the signature must match (constant-time), else [`ResponseError::SignatureMismatch`].
//! 5. only then is the session stored: [`VerifiedPayload::parse`] reads the full
//!    [`SessionPayload`] (token, expiry, variables).
//!
//! Verification ([`check_response`], [`check_signed`]) reads only what checks 1–4 need:
//!
//! - the envelope: a fast path walks a success envelope's top level without building
//!   anything (strings skipped sixteen bytes at a time); anything unusual (a failure, escapes,
//!   duplicates, odd types) goes through the complete one-pass `serde_json` parse with
//!   borrowed strings;
//! - the payload is base64-decoded incrementally, only as far as its top-level `nonce`
//!   (servers put it before the variables), and only that field is extracted; the rest is
//!   decoded, once, by step 5;
//! - the signature is hex-decoded and compared in constant time by the `hmac` crate.
//!
//! The full payload parse ([`VerifiedPayload::parse`]), with its variable maps, is a
//! separate step that runs on authenticated data only. [`verify_response`] and
//! [`verify_signed`] do both in one call.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use thiserror::Error;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;

use crate::signing::{KEY_LEN, parse_payload_json, verify_signature_bytes};
use crate::wire::{FieldError, SessionPayload, Status, classify_str};

/// A success response that passed every check, with its payload parsed.
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

/// A success response that passed checks 1–4 (well-formed, nonce echoed, signature
/// valid), before its payload is parsed. Borrows the response body where it can.
///
/// [`VerifiedPayload::parse`] is step 5: it reads the full [`SessionPayload`] and returns
/// the [`VerifiedSession`] to store.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedPayload<'a> {
    payload_b64: Cow<'a, str>,
    signature: Cow<'a, str>,
    /// The payload JSON decoded during the checks (possibly a prefix).
    json: Vec<u8>,
    /// Base64 characters behind `json`.
    decoded: usize,
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
            .field("decoded", &format_args!("<{} bytes>", self.json.len()))
            .finish()
    }
}

impl<'a> VerifiedPayload<'a> {
    /// The payload's base64 text exactly as received (what the signature covers).
    pub fn payload_b64(&self) -> &str {
        &self.payload_b64
    }

    /// The signature's hex text as received.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// Step 5: decode the rest of the payload and parse it in full. Fails with
    /// [`ResponseError::Malformed`] when the authenticated payload is not a valid
    /// [`SessionPayload`] (including a repeated field).
    pub fn parse(self) -> Result<VerifiedSession, ResponseError> {
        let mut decoded = Decoded {
            json: self.json,
            decoded: self.decoded,
        };
        decoded.finish(&self.payload_b64)?;
        let payload = parse_payload_json(&decoded.json)
            .map_err(|e| ResponseError::Malformed(format!("payload: {e}")))?;
        Ok(VerifiedSession {
            payload,
            payload_b64: self.payload_b64.into_owned(),
            signature: self.signature.into_owned(),
        })
    }

    /// Detach from the response body.
    pub fn into_owned(self) -> VerifiedPayload<'static> {
        VerifiedPayload {
            payload_b64: Cow::Owned(self.payload_b64.into_owned()),
            signature: Cow::Owned(self.signature.into_owned()),
            json: self.json,
            decoded: self.decoded,
        }
    }
}

/// What a well-formed response said.
///
/// `S` is what a verified success carries: a [`VerifiedSession`] (parsed payload) from
/// [`verify_response`], or a [`VerifiedPayload`] (checked, not yet parsed) from
/// [`check_response`].
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<S = VerifiedSession> {
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

impl<S> Outcome<S> {
    /// Transform the success value, keeping a failure as it is.
    pub fn try_map<T, E>(self, f: impl FnOnce(S) -> Result<T, E>) -> Result<Outcome<T>, E> {
        match self {
            Outcome::Success(s) => f(s).map(Outcome::Success),
            Outcome::Failed {
                error,
                details,
                message,
            } => Ok(Outcome::Failed {
                error,
                details,
                message,
            }),
        }
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

/// Check a response to a validate or heartbeat request and parse its session payload:
/// [`check_response`] followed by [`VerifiedPayload::parse`].
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
    check_response(body, http_status, sent_nonce, key)?.try_map(VerifiedPayload::parse)
}

/// Steps 1–4 on a response to a validate or heartbeat request, without parsing the
/// session payload beyond its `nonce` (see [`verify_response`] for the arguments).
///
/// A success comes back as a [`VerifiedPayload`] borrowing from `body`; call
/// [`VerifiedPayload::parse`] when storing the session. Never panics, whatever the input.
pub fn check_response<'a>(
    body: &'a [u8],
    http_status: u16,
    sent_nonce: &str,
    key: &[u8; KEY_LEN],
) -> Result<Outcome<VerifiedPayload<'a>>, ResponseError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if let Some((payload_b64, signature)) = fast_success_envelope(body) {
        let decoded = check_parts(payload_b64, signature, sent_nonce, key)?;
        return Ok(Outcome::Success(VerifiedPayload {
            payload_b64: Cow::Borrowed(payload_b64),
            signature: Cow::Borrowed(signature),
            json: decoded.json,
            decoded: decoded.decoded,
        }));
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
            Some(Text::Str(s)) => s,
            Some(Text::Other) => return Err(malformed("payload is not a string")),
            None => return Err(malformed("success without payload")),
        };
        let signature = match env.signature {
            Some(Text::Str(s)) => s,
            Some(Text::Other) => return Err(malformed("signature is not a string")),
            None => return Err(malformed("success without signature")),
        };
        let decoded = check_parts(&payload_b64, &signature, sent_nonce, key)?;
        return Ok(Outcome::Success(VerifiedPayload {
            payload_b64,
            signature,
            json: decoded.json,
            decoded: decoded.decoded,
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
/// mode, or a session persisted to disk): well-formedness, nonce, then signature; then
/// step 5's parse ([`check_signed`] followed by [`VerifiedPayload::parse`]).
pub fn verify_signed(
    payload_b64: &str,
    signature_hex: &str,
    expected_nonce: &str,
    key: &[u8; KEY_LEN],
) -> Result<VerifiedSession, ResponseError> {
    check_signed(payload_b64, signature_hex, expected_nonce, key)?.parse()
}

/// Steps 2–4 on a payload text and signature stored earlier, without parsing the payload
/// beyond its `nonce`.
pub fn check_signed<'a>(
    payload_b64: &'a str,
    signature_hex: &'a str,
    expected_nonce: &str,
    key: &[u8; KEY_LEN],
) -> Result<VerifiedPayload<'a>, ResponseError> {
    let decoded = check_parts(payload_b64, signature_hex, expected_nonce, key)?;
    Ok(VerifiedPayload {
        payload_b64: Cow::Borrowed(payload_b64),
        signature: Cow::Borrowed(signature_hex),
        json: decoded.json,
        decoded: decoded.decoded,
    })
}

/// The only field of the payload that checks 1–4 need, borrowed from the decoded JSON
/// when it has no escapes; every other field is skipped without being built.
#[derive(Deserialize)]
struct NonceOnly<'a> {
    #[serde(borrow)]
    nonce: Cow<'a, str>,
}

/// Fast path of step 1 for the common case, a success envelope: walks the top level of the
/// body's JSON object and returns its `payload` and `signature` when the body is valid
/// UTF-8, `status` is a success value, `payload` and `signature` are strings without
/// escapes, no failure field (`error`, `message`, `details`) is present and no known field
/// is repeated. `None` otherwise: the caller then runs the complete parse, which gives the
/// authoritative answer or error.
fn fast_success_envelope(body: &[u8]) -> Option<(&str, &str)> {
    let json = body;
    let (mut status, mut payload, mut signature) = (None, None, None);
    let mut at = skip_ws(json, 0);
    if json.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_ws(json, at + 1);
    loop {
        if json.get(at) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(json, at + 1)?;
        let key = &json[at + 1..key_end];
        at = skip_ws(json, key_end + 1);
        if json.get(at) != Some(&b':') {
            return None;
        }
        at = skip_ws(json, at + 1);
        let (end, plain) = match json.get(at) {
            Some(b'"') => {
                let (close, escaped) = string_span(json, at + 1)?;
                (close + 1, (!escaped).then(|| &json[at + 1..close]))
            }
            _ => (value_end(json, at)?, None),
        };
        let value = &json[at..end];
        match key {
            b"status" if status.is_none() => status = Some(value),
            b"payload" if payload.is_none() => payload = Some(plain?),
            b"signature" if signature.is_none() => signature = Some(plain?),
            b"status" | b"payload" | b"signature" | b"error" | b"message" | b"details" => {
                return None;
            }
            _ if key.contains(&b'\\') => return None,
            _ => {}
        }
        at = skip_ws(json, end);
        match json.get(at) {
            Some(b',') => at = skip_ws(json, at + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    if skip_ws(json, at + 1) != json.len() {
        return None;
    }
    let success = match status? {
        b"true" | b"1" => true,
        quoted => {
            classify_str(std::str::from_utf8(plain_string(quoted)?).ok()?) == Some(Status::Success)
        }
    };
    if !success {
        return None;
    }
    // Only the fields used need to be text; the base64 and hex decoders check them further.
    Some((
        std::str::from_utf8(payload?).ok()?,
        std::str::from_utf8(signature?).ok()?,
    ))
}

/// The contents of a JSON string token (quotes included in `token`) without escapes.
fn plain_string(token: &[u8]) -> Option<&[u8]> {
    let inner = token.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    (!inner.contains(&b'\\')).then_some(inner)
}

/// Where [`scan_nonce`] got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// The byte range of the first top-level `"nonce"` member's text.
    Found(usize, usize),
    /// Stopped at the member starting at this offset (`0`: before the object): either the
    /// decoded prefix ends within it, or the fast path does not apply to it.
    Stopped(usize),
}

/// Fast path of the nonce extraction: walks the top level of a JSON object, or of a
/// prefix of one, from `resume` (`0`, or a member start returned earlier), skipping every
/// value without building it, and finds the first top-level `"nonce"` member when it is a
/// string without escapes.
///
/// Anything else stops the walk ([`Scan::Stopped`]): the caller decodes more of the
/// payload and resumes, or, with the payload complete, asks `serde_json`, which gives the
/// authoritative answer or error (escaped keys or nonce, a non-string nonce, anything
/// ill-formed). A repeated `nonce` is not looked for here: the full parse of step 5
/// rejects it.
fn scan_nonce(json: &[u8], resume: usize) -> Scan {
    let mut at = resume;
    if resume == 0 {
        at = skip_ws(json, 0);
        if json.get(at) != Some(&b'{') {
            return Scan::Stopped(0);
        }
        at = skip_ws(json, at + 1);
    }
    loop {
        let member = at;
        match scan_member(json, at) {
            Some(Ok(range)) => return Scan::Found(range.0, range.1),
            Some(Err(next)) => at = next,
            None => return Scan::Stopped(member),
        }
    }
}

/// One member starting at `at`: `Ok` with the nonce's range, `Err` with the start of the
/// next member, `None` when the walk cannot go on.
#[allow(clippy::type_complexity)]
fn scan_member(json: &[u8], mut at: usize) -> Option<Result<(usize, usize), usize>> {
    if json.get(at) != Some(&b'"') {
        return None;
    }
    let key_end = string_end(json, at + 1)?;
    let key = &json[at + 1..key_end];
    if key.contains(&b'\\') {
        return None;
    }
    at = skip_ws(json, key_end + 1);
    if json.get(at) != Some(&b':') {
        return None;
    }
    at = skip_ws(json, at + 1);
    if key == b"nonce" {
        if json.get(at) != Some(&b'"') {
            return None;
        }
        let end = string_end(json, at + 1)?;
        if json[at + 1..end].contains(&b'\\') {
            return None;
        }
        return Some(Ok((at + 1, end)));
    }
    at = skip_ws(json, value_end(json, at)?);
    match json.get(at) {
        Some(b',') => Some(Err(skip_ws(json, at + 1))),
        _ => None,
    }
}

/// [`scan_nonce`] over a complete document, as text.
#[cfg(test)]
fn fast_nonce(json: &[u8]) -> Option<(usize, usize)> {
    match scan_nonce(json, 0) {
        Scan::Found(a, b) => Some((a, b)),
        Scan::Stopped(_) => None,
    }
}

fn skip_ws(json: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = json.get(at) {
        at += 1;
    }
    at
}

/// Index of the closing quote of the string whose contents start at `at`.
fn string_end(json: &[u8], at: usize) -> Option<usize> {
    string_span(json, at).map(|(end, _)| end)
}

/// Bytes of `word` that are a quote or a backslash: the high bit of each such byte is
/// set, and the lowest set bit is exact (only bytes after a match can be flagged
/// spuriously).
#[inline(always)]
fn quote_or_backslash(word: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const QUOTE: u64 = LO * b'"' as u64;
    const BACKSLASH: u64 = LO * b'\\' as u64;
    let q = word ^ QUOTE;
    let b = word ^ BACKSLASH;
    (q.wrapping_sub(LO) & !q | b.wrapping_sub(LO) & !b) & HI
}

/// Index of the closing quote of the string whose contents start at `at`, and whether
/// the string has escapes.
fn string_span(json: &[u8], mut at: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    loop {
        // Sixteen bytes at a time while none of them is a quote or a backslash.
        let mut skipped = 0;
        for chunk in json.get(at..)?.chunks_exact(16) {
            let (mut low, mut high) = ([0u8; 8], [0u8; 8]);
            low.copy_from_slice(&chunk[..8]);
            high.copy_from_slice(&chunk[8..]);
            let low = quote_or_backslash(u64::from_le_bytes(low));
            if low != 0 {
                skipped += (low.trailing_zeros() / 8) as usize;
                break;
            }
            let high = quote_or_backslash(u64::from_le_bytes(high));
            if high != 0 {
                skipped += 8 + (high.trailing_zeros() / 8) as usize;
                break;
            }
            skipped += 16;
        }
        at += skipped;
        match json.get(at)? {
            b'"' => return Some((at, escaped)),
            b'\\' => {
                escaped = true;
                at += 2;
            }
            _ => at += 1,
        }
    }
}

/// Index just past the JSON value starting at `at`.
fn value_end(json: &[u8], at: usize) -> Option<usize> {
    match json.get(at)? {
        b'"' => string_end(json, at + 1).map(|end| end + 1),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match json.get(i)? {
                    b'"' => i = string_end(json, i + 1)?,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        b't' => json
            .get(at..at + 4)
            .filter(|w| w == b"true")
            .map(|_| at + 4),
        b'f' => json
            .get(at..at + 5)
            .filter(|w| w == b"false")
            .map(|_| at + 5),
        b'n' => json
            .get(at..at + 4)
            .filter(|w| w == b"null")
            .map(|_| at + 4),
        b'-' | b'0'..=b'9' => {
            let mut i = at + 1;
            while let Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') = json.get(i) {
                i += 1;
            }
            Some(i)
        }
        _ => None,
    }
}

/// Value of each hex digit (either case); `0xFF` for any other byte.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// The 32 bytes of a signature's 64 hex characters (either case), like
/// `hexutil::decode32`, with one table lookup per character and one validity check.
fn decode_signature(hex: &[u8]) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let high = HEX_VALUES[usize::from(pair[0])];
        let low = HEX_VALUES[usize::from(pair[1])];
        invalid |= high | low;
        *byte = (high << 4) | (low & 0x0F);
    }
    (invalid & 0xF0 == 0).then_some(out)
}

/// Base64 characters decoded before the first look for the nonce, then per further step
/// (multiples of 4). Servers put the nonce after the session token, a few hundred
/// characters in; small steps after the first keep the decoded tail short.
const FIRST_DECODE_STEP: usize = 512;
const DECODE_STEP: usize = 128;

/// The payload JSON decoded so far: the first `decoded` characters of the base64 text.
struct Decoded {
    json: Vec<u8>,
    decoded: usize,
}

impl Decoded {
    fn new(payload_b64: &str) -> Self {
        Self {
            json: Vec::with_capacity(payload_b64.len() / 4 * 3 + 3),
            decoded: 0,
        }
    }

    fn is_complete(&self, payload_b64: &str) -> bool {
        self.decoded == payload_b64.len()
    }

    /// Decode the next step (whole 4-character groups, or everything that is left).
    fn step(&mut self, payload_b64: &str) -> Result<(), ResponseError> {
        let text = payload_b64.as_bytes();
        let step = if self.decoded == 0 {
            FIRST_DECODE_STEP
        } else {
            DECODE_STEP
        };
        let mut end = self.decoded + step;
        if end + 4 >= text.len() {
            end = text.len();
        }
        self.decode_to(text, end)
    }

    /// Decode everything that is left.
    fn finish(&mut self, payload_b64: &str) -> Result<(), ResponseError> {
        self.decode_to(payload_b64.as_bytes(), payload_b64.len())
    }

    fn decode_to(&mut self, text: &[u8], end: usize) -> Result<(), ResponseError> {
        let chunk = text.get(self.decoded..end).unwrap_or_default();
        if !chunk.is_empty() {
            STANDARD_PAD_INDIFFERENT
                .decode_vec(chunk, &mut self.json)
                .map_err(|_| malformed("payload is not valid base64"))?;
        }
        self.decoded = end;
        Ok(())
    }
}

/// Steps 2 (contents) to 4; returns the payload JSON decoded so far.
///
/// The payload is base64-decoded incrementally, only as far as needed to read its top-level
/// `nonce` (servers put it before the variables); the rest is decoded by
/// [`VerifiedPayload::parse`]. Every character is decoded once.
fn check_parts(
    payload_b64: &str,
    signature_hex: &str,
    sent_nonce: &str,
    key: &[u8; KEY_LEN],
) -> Result<Decoded, ResponseError> {
    let Some(signature) = decode_signature(signature_hex.as_bytes()) else {
        return Err(malformed("signature is not 64 hex characters"));
    };
    let mut decoded = Decoded::new(payload_b64);
    let mut resume = 0;
    let nonce_at = loop {
        decoded.step(payload_b64)?;
        match scan_nonce(&decoded.json, resume) {
            Scan::Found(start, end) => break Some((start, end)),
            Scan::Stopped(_) if decoded.is_complete(payload_b64) => break None,
            Scan::Stopped(at) => resume = at,
        }
    };
    let nonce = match nonce_at {
        Some((start, end)) => decoded
            .json
            .get(start..end)
            .and_then(|text| std::str::from_utf8(text).ok())
            .map(Cow::Borrowed),
        None => None,
    };
    let nonce = match nonce {
        Some(nonce) => nonce,
        None => {
            decoded.finish(payload_b64)?;
            let first = decoded
                .json
                .iter()
                .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
            if first != Some(&b'{') {
                return Err(malformed("payload is not a JSON object"));
            }
            serde_json::from_slice::<NonceOnly<'_>>(&decoded.json)
                .map_err(|e| ResponseError::Malformed(format!("payload: {e}")))?
                .nonce
        }
    };
    // Step 3.
    if nonce != sent_nonce {
        return Err(ResponseError::NonceMismatch);
    }
    // Step 4.
    if !verify_signature_bytes(key, payload_b64, &signature) {
        return Err(ResponseError::SignatureMismatch);
    }
    Ok(decoded)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_nonce(json: &str) -> Option<String> {
        serde_json::from_str::<NonceOnly<'_>>(json)
            .ok()
            .map(|n| n.nonce.into_owned())
    }

    #[test]
    fn fast_nonce_agrees_with_serde() {
        let cases = [
            r#"{"nonce":"abc"}"#,
            r#" { "a" : 1 , "nonce" : "abc" , "b" : [1, {"nonce": "x"}, "]}\"" ] } "#,
            r#"{"sessionToken":"t.k","timestamp":1,"expiresIn":2,"nonce":"n","appVariables":{"u":"https://x/y","q":"a\"b\\"},"licenseVariables":{"f":[true,false,null,-1.5e3]},"requestId":"r"}"#,
            r#"{"a":{"b":{"c":[[[]]]}},"nonce":"deep"}"#,
            r#"{"a":"\\","nonce":"after-escaped-backslash"}"#,
            r#"{"a":"0123456789abcdef\"0123456789","nonce":"long"}"#,
        ];
        for json in cases {
            let fast = fast_nonce(json.as_bytes()).map(|(a, b)| json[a..b].to_owned());
            assert!(fast.is_some(), "{json}");
            assert_eq!(fast, serde_nonce(json), "{json}");
            // Any prefix finds the same nonce or nothing.
            for cut in 0..json.len() {
                if let Some((a, b)) = fast_nonce(&json.as_bytes()[..cut]) {
                    assert_eq!(
                        Some(json[a..b].to_owned()),
                        serde_nonce(json),
                        "{json} [..{cut}]"
                    );
                }
            }
        }
    }

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
            assert!(checked.decoded <= b64.len());
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

    #[test]
    fn signature_hex_decoding_matches_decode32() {
        let lower = "00ff7f80a5c3e1d2b4f6089a1b2c3d4e5f60718293a4b5c6d7e8f9012345abcd";
        for text in [
            lower.to_owned(),
            lower.to_uppercase(),
            lower[..63].to_owned(),
            format!("{lower}0"),
            format!("{}g", &lower[..63]),
            format!("{} ", &lower[..63]),
            String::new(),
        ] {
            assert_eq!(
                decode_signature(text.as_bytes()),
                crate::hexutil::decode32(&text),
                "{text}"
            );
        }
    }

    #[test]
    fn fast_nonce_defers_to_serde_when_unsure() {
        for json in [
            r#"{}"#,
            r#"{"nonce":1}"#,
            r#"{"non\u0063e":"a"}"#,
            r#"{"nonce":"a\u0062"}"#,
            r#"{"nonce":"a"#,
            r#"{"a":[1,2,"nonce":"a"}"#,
            r#"{"a" 1,"nonce":"a"}"#,
            r#"["nonce","a"]"#,
            r#"{"a":}"#,
            "",
        ] {
            assert_eq!(fast_nonce(json.as_bytes()), None, "{json}");
        }
    }
}
