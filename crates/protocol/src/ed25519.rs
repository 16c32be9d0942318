//! Ed25519 answer signing (the `ed25519` signing mode of protocol v2).
//!
//! - message: the payload's base64 *text* exactly as sent (as in HMAC mode), signed with pure
//!   Ed25519 (RFC 8032: no prehash, no context);
//! - `signature`: standard base64 with padding of the 64 signature bytes (88 characters);
//! - `keyId`: names the key that signed. Keyward's ids are derived from the public key
//!   ([`key_id`]), so a client that is given only public keys knows their ids;
//! - public keys travel as standard base64 with padding of their 32 bytes (44 characters).
//!
//! The server holds an [`AnswerSigningKey`] per app; the client a [`TrustedKeys`] list.

use std::fmt;

use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::b64;
use crate::error::{RngError, fill_random};

/// Length of an Ed25519 secret key seed and of a public key, in bytes.
pub const ED25519_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature, in bytes.
pub const ED25519_SIGNATURE_LEN: usize = 64;
/// Length of a signature's base64 text (standard alphabet, padded).
pub const ED25519_SIGNATURE_B64_LEN: usize = 88;
/// Hex characters of the public key's SHA-256 that make a Keyward key id.
const KEY_ID_HEX_LEN: usize = 16;

/// The Keyward key id of a public key: the first 16 lowercase hex characters of the
/// SHA-256 of its 32 bytes. Plain ASCII, so it never needs a JSON escape.
pub fn key_id(public_key: &[u8; ED25519_KEY_LEN]) -> String {
    let digest = Sha256::digest(public_key);
    let mut id = hex::encode(digest);
    id.truncate(KEY_ID_HEX_LEN);
    id
}

/// Standard padded base64 of 32 public key bytes, as app bodies and clients carry it.
pub fn encode_public_key(public_key: &[u8; ED25519_KEY_LEN]) -> String {
    b64::STANDARD.encode(public_key)
}

/// A public key text that is not standard base64 of 32 bytes, or not a valid curve point.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("an Ed25519 public key must be standard base64 (with padding) of 32 bytes")]
pub struct InvalidPublicKey;

/// Decode a public key's text (standard alphabet; padding optional, as the reference SDKs
/// accept it). Surrounding whitespace is trimmed.
pub fn decode_public_key(text: &str) -> Result<VerifyingKey, InvalidPublicKey> {
    let mut bytes = [0u8; ED25519_KEY_LEN + 3];
    match b64::STANDARD_PAD_INDIFFERENT.decode_slice(text.trim(), &mut bytes) {
        Ok(ED25519_KEY_LEN) => {}
        _ => return Err(InvalidPublicKey),
    }
    let mut key = [0u8; ED25519_KEY_LEN];
    key.copy_from_slice(&bytes[..ED25519_KEY_LEN]);
    VerifyingKey::from_bytes(&key).map_err(|_| InvalidPublicKey)
}

/// Decode a signature's text: standard base64 with canonical padding of exactly 64 bytes.
pub(crate) fn decode_signature(text: &str) -> Option<Signature> {
    if text.len() != ED25519_SIGNATURE_B64_LEN {
        return None;
    }
    let mut bytes = [0u8; ED25519_SIGNATURE_LEN + 2];
    match b64::STANDARD.decode_slice(text, &mut bytes) {
        Ok(ED25519_SIGNATURE_LEN) => {}
        _ => return None,
    }
    let mut sig = [0u8; ED25519_SIGNATURE_LEN];
    sig.copy_from_slice(&bytes[..ED25519_SIGNATURE_LEN]);
    Some(Signature::from_bytes(&sig))
}

/// An app's private signing key with its id. `Debug` never shows the secret; the key is
/// zeroed when dropped.
#[derive(Clone)]
pub struct AnswerSigningKey {
    key: SigningKey,
    key_id: String,
}

impl fmt::Debug for AnswerSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnswerSigningKey")
            .field("key_id", &self.key_id)
            .field("secret", &format_args!("<redacted>"))
            .finish()
    }
}

impl AnswerSigningKey {
    /// A new key from the OS CSPRNG.
    pub fn generate() -> Result<Self, RngError> {
        let mut seed = [0u8; ED25519_KEY_LEN];
        fill_random(&mut seed)?;
        let key = Self::from_seed(&seed);
        seed.fill(0);
        Ok(key)
    }

    /// The key of a 32-byte RFC 8032 secret key (seed).
    pub fn from_seed(seed: &[u8; ED25519_KEY_LEN]) -> Self {
        let key = SigningKey::from_bytes(seed);
        let key_id = key_id(&key.verifying_key().to_bytes());
        Self { key, key_id }
    }

    /// The 32-byte secret key (seed), for storage (encrypted). Secret.
    pub fn seed(&self) -> [u8; ED25519_KEY_LEN] {
        self.key.to_bytes()
    }

    /// The id sent as `keyId`.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public key's 32 bytes.
    pub fn public_key(&self) -> [u8; ED25519_KEY_LEN] {
        self.key.verifying_key().to_bytes()
    }

    /// The public key's base64 text, as clients are given it.
    pub fn public_key_base64(&self) -> String {
        encode_public_key(&self.public_key())
    }

    /// The signature of a payload's base64 text.
    pub fn sign(&self, payload_b64: &[u8]) -> [u8; ED25519_SIGNATURE_LEN] {
        self.key.sign(payload_b64).to_bytes()
    }

    /// The signature's wire text: standard padded base64.
    pub fn sign_base64(&self, payload_b64: &[u8]) -> String {
        b64::STANDARD.encode(self.sign(payload_b64))
    }
}

/// One trusted public key and the id answers name it by.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TrustedKey {
    key_id: String,
    key: VerifyingKey,
}

/// The public keys a client accepts answers from, in order (the first is the current key).
///
/// An answer whose `keyId` names one of them is checked against that key only; an unknown
/// `keyId` fails. An answer without `keyId` is checked against each key in turn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedKeys {
    keys: Vec<TrustedKey>,
}

impl TrustedKeys {
    /// No key: every answer fails verification.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trust the public key with base64 text `public_key`, under its Keyward id
    /// ([`key_id`]). A key already trusted is not added twice.
    pub fn add(&mut self, public_key: &str) -> Result<&mut Self, InvalidPublicKey> {
        let key = decode_public_key(public_key)?;
        let key_id = key_id(&key.to_bytes());
        Ok(self.add_key(key_id, key))
    }

    /// Trust a public key under an id of the caller's choosing (a server whose ids are not
    /// derived from the key, e.g. the reference service's `signing-key-1`).
    pub fn add_with_id(
        &mut self,
        key_id: &str,
        public_key: &str,
    ) -> Result<&mut Self, InvalidPublicKey> {
        let key = decode_public_key(public_key)?;
        Ok(self.add_key(key_id.to_owned(), key))
    }

    fn add_key(&mut self, key_id: String, key: VerifyingKey) -> &mut Self {
        if !self.keys.iter().any(|k| k.key_id == key_id && k.key == key) {
            self.keys.push(TrustedKey { key_id, key });
        }
        self
    }

    /// The keys of a comma-separated list (`"new,old"`, entries trimmed, empty ones
    /// skipped), as the reference SDKs accept a single string.
    pub fn parse_list(list: &str) -> Result<Self, InvalidPublicKey> {
        let mut keys = Self::new();
        keys.add_list(list)?;
        Ok(keys)
    }

    /// Trust every key of a comma-separated list ([`TrustedKeys::parse_list`]); on an
    /// invalid entry, nothing of the list is added.
    pub fn add_list(&mut self, list: &str) -> Result<&mut Self, InvalidPublicKey> {
        let keys = list
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(decode_public_key)
            .collect::<Result<Vec<_>, _>>()?;
        for key in keys {
            self.add_key(key_id(&key.to_bytes()), key);
        }
        Ok(self)
    }

    /// How many keys are trusted.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The ids of the trusted keys, in order.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.key_id.as_str())
    }

    /// Whether `signature` over `payload_b64` verifies under the key `key_id` names, or,
    /// without a `key_id`, under any trusted key.
    pub(crate) fn verify(
        &self,
        key_id: Option<&str>,
        payload_b64: &str,
        signature: &Signature,
    ) -> bool {
        let verifies = |k: &&TrustedKey| k.key.verify(payload_b64.as_bytes(), signature).is_ok();
        match key_id {
            Some(id) => self
                .keys
                .iter()
                .filter(|k| k.key_id == id)
                .any(|k| verifies(&k)),
            None => self.keys.iter().any(|k| verifies(&k)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_strict_standard_base64_of_64_bytes() {
        let key = AnswerSigningKey::from_seed(&[3; 32]);
        let sig = key.sign_base64(b"abc=");
        assert_eq!(sig.len(), ED25519_SIGNATURE_B64_LEN);
        assert!(decode_signature(&sig).is_some());
        assert!(decode_signature(sig.trim_end_matches('=')).is_none());
        let url_safe = sig.replace('+', "-").replace('/', "_");
        if url_safe != sig {
            assert!(decode_signature(&url_safe).is_none());
        }
        assert!(decode_signature(&sig[..84]).is_none());
        assert!(decode_signature(&format!("{}AAAA", &sig[..84])).is_none());
    }

    #[test]
    fn key_ids_pick_the_key() {
        let current = AnswerSigningKey::from_seed(&[1; 32]);
        let old = AnswerSigningKey::from_seed(&[2; 32]);
        let mut trusted = TrustedKeys::new();
        trusted.add(&current.public_key_base64()).unwrap();
        trusted.add(&old.public_key_base64()).unwrap();
        trusted.add(&old.public_key_base64()).unwrap();
        assert_eq!(trusted.len(), 2);
        let sig = Signature::from_bytes(&old.sign(b"p"));
        assert!(trusted.verify(Some(old.key_id()), "p", &sig));
        assert!(trusted.verify(None, "p", &sig));
        assert!(!trusted.verify(Some(current.key_id()), "p", &sig));
        assert!(!trusted.verify(Some("unknown"), "p", &sig));
        assert!(!trusted.verify(Some(old.key_id()), "q", &sig));
    }

    #[test]
    fn public_keys_must_be_32_bytes() {
        assert!(decode_public_key("AAAA").is_err());
        assert!(decode_public_key("not base64!").is_err());
        let key = AnswerSigningKey::from_seed(&[5; 32]).public_key_base64();
        assert!(decode_public_key(&key).is_ok());
        assert!(decode_public_key(key.trim_end_matches('=')).is_ok());
        assert!(
            TrustedKeys::parse_list(&format!(" {key} ,, {key}"))
                .unwrap()
                .len()
                == 1
        );
        assert!(TrustedKeys::parse_list(&format!("{key},AAAA")).is_err());
    }
}
