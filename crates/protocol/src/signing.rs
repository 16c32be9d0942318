//! Response signing: key derivation, HMAC-SHA256 signatures over the payload's base64 text,
//! and the payload's base64/JSON encoding.
//!
//! - key: `SHA256(secret || nonce)` as 32 raw bytes, where `secret` is the `appSecret`
//!   (validate) or the session token's `sigKey` (heartbeat), both as their UTF-8 text;
//! - signature: lowercase hex of `HMAC-SHA256(key, payload_base64_text)`. The message is
//!   the base64 *text* exactly as sent, not the decoded JSON.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::b64;
use crate::error::EncodeError;
use crate::hexutil::{Hex64, decode32, encode32};
use crate::json_scan::is_object;
use crate::wire::SessionPayload;

/// Length of a derived signing key, in bytes.
pub const KEY_LEN: usize = 32;
/// Length of a signature's hex text.
pub const SIGNATURE_HEX_LEN: usize = 64;

/// HMAC-SHA256.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// SHA-256 block size, which is also HMAC-SHA256's key size.
const BLOCK_LEN: usize = 64;

/// An HMAC-SHA256 instance keyed with `key` of any length.
///
/// Builds the block-sized key `K0` as RFC 2104 does (keys longer than a block are hashed,
/// shorter ones zero-padded) so that no fallible constructor has to be unwrapped.
pub(crate) fn hmac_sha256(key: &[u8]) -> HmacSha256 {
    let mut k0 = [0u8; BLOCK_LEN];
    if key.len() > BLOCK_LEN {
        let digest: [u8; 32] = Sha256::digest(key).into();
        k0[..32].copy_from_slice(&digest);
    } else {
        k0[..key.len()].copy_from_slice(key);
    }
    HmacSha256::new(&k0.into())
}

/// Why a payload could not be decoded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The payload text is not standard base64.
    #[error("payload is not valid base64: {0}")]
    Base64(String),
    /// The decoded payload is not a JSON object.
    #[error("payload is not a JSON object")]
    NotAnObject,
    /// The decoded payload is not a JSON object of the expected shape.
    #[error("payload is not a valid session payload: {0}")]
    Json(#[from] serde_json::Error),
}

/// Derive a signing key: `SHA256(secret || nonce)`.
pub fn derive_key(secret: &[u8], nonce: &str) -> [u8; KEY_LEN] {
    let mut hasher = Sha256::new();
    hasher.update(secret);
    hasher.update(nonce.as_bytes());
    hasher.finalize().into()
}

/// Sign a payload: lowercase hex of `HMAC-SHA256(key, payload_b64)`, over the base64
/// text exactly as it will be sent.
pub fn sign_payload(key: &[u8; KEY_LEN], payload_b64: &str) -> String {
    signature_hex(key, payload_b64.as_bytes())
        .as_str()
        .to_owned()
}

/// The signature of `payload_b64` as hex, on the stack.
pub(crate) fn signature_hex(key: &[u8; KEY_LEN], payload_b64: &[u8]) -> Hex64 {
    let mut mac = hmac_sha256(key);
    mac.update(payload_b64);
    encode32(&mac.finalize().into_bytes().into())
}

/// Check a signature in constant time. `false` also when `signature_hex` is not 64 hex
/// characters (either case is accepted).
pub fn verify_signature(key: &[u8; KEY_LEN], payload_b64: &str, signature_hex: &str) -> bool {
    match decode32(signature_hex) {
        Some(sig) => verify_signature_bytes(key, payload_b64, &sig),
        None => false,
    }
}

/// Constant-time check of a decoded signature.
pub(crate) fn verify_signature_bytes(
    key: &[u8; KEY_LEN],
    payload_b64: &str,
    sig: &[u8; 32],
) -> bool {
    let mut mac = hmac_sha256(key);
    mac.update(payload_b64.as_bytes());
    mac.verify_slice(sig).is_ok()
}

/// Encode a payload for the wire: standard base64 (with padding) of its JSON.
pub fn encode_payload(payload: &SessionPayload) -> Result<String, EncodeError> {
    let json = serde_json::to_vec(payload)?;
    Ok(b64::STANDARD.encode(json))
}

/// Decode base64 text to bytes (standard alphabet; padding optional).
pub(crate) fn decode_b64(payload_b64: &str) -> Result<Vec<u8>, PayloadError> {
    b64::STANDARD_PAD_INDIFFERENT
        .decode(payload_b64)
        .map_err(|e| PayloadError::Base64(e.to_string()))
}

/// Decode a payload from the wire: standard base64 (padding optional) of a JSON object.
///
/// This does not check the signature; see [`crate::verify`].
pub fn decode_payload(payload_b64: &str) -> Result<SessionPayload, PayloadError> {
    let json = decode_b64(payload_b64)?;
    parse_payload_json(&json)
}

/// Parse decoded payload JSON, which must be an object (serde would also accept an array).
pub(crate) fn parse_payload_json(json: &[u8]) -> Result<SessionPayload, PayloadError> {
    if !is_object(json) {
        return Err(PayloadError::NotAnObject);
    }
    Ok(serde_json::from_slice(json)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_keys_are_hashed_like_rfc2104() {
        let long = [7u8; 100];
        let mut a = hmac_sha256(&long);
        a.update(b"msg");
        let mut b = <HmacSha256 as KeyInit>::new_from_slice(&long).unwrap();
        b.update(b"msg");
        assert_eq!(a.finalize().into_bytes(), b.finalize().into_bytes());

        for len in [0usize, 1, 32, 63, 64, 65] {
            let key = vec![0xabu8; len];
            let mut a = hmac_sha256(&key);
            a.update(b"m");
            let mut b = <HmacSha256 as KeyInit>::new_from_slice(&key).unwrap();
            b.update(b"m");
            assert_eq!(
                a.finalize().into_bytes(),
                b.finalize().into_bytes(),
                "len {len}"
            );
        }
    }

    #[test]
    fn malformed_signatures_do_not_verify() {
        let key = [1u8; 32];
        let sig = sign_payload(&key, "abc=");
        assert!(verify_signature(&key, "abc=", &sig));
        assert!(verify_signature(&key, "abc=", &sig.to_uppercase()));
        assert!(!verify_signature(&key, "abc=", &sig[..62]));
        assert!(!verify_signature(&key, "abc=", ""));
        assert!(!verify_signature(&key, "abc=", &format!("{sig}00")));
        assert!(!verify_signature(&key, "abd=", &sig));
    }
}
