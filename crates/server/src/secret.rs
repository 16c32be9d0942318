//! Secrets and random identifiers: a redacting wrapper, and generation of app ids, app
//! secrets, API keys, license keys and the server secret from the OS CSPRNG.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of every API key (`kw_` followed by 48 lowercase hex characters).
pub const API_KEY_PREFIX: &str = "kw_";
const API_KEY_HEX_LEN: usize = 48;

/// The OS random number generator failed.
#[derive(Debug, thiserror::Error)]
#[error("the OS random number generator failed")]
pub struct RandomError;

/// A secret value whose `Debug` output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps raw secret bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// 32 random bytes.
    pub fn generate() -> Result<Self, RandomError> {
        Ok(Self(random_bytes::<32>()?.to_vec()))
    }

    /// The raw bytes. Secret.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// `N` bytes from the OS CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| RandomError)?;
    Ok(bytes)
}

/// A new public app id: `app_` and 24 hex characters.
pub fn new_app_id() -> Result<String, RandomError> {
    Ok(format!("app_{}", hex::encode(random_bytes::<12>()?)))
}

/// A new app secret: 64 hex characters.
pub fn new_app_secret() -> Result<String, RandomError> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// A new API key: `kw_` and 48 hex characters.
pub fn new_api_key() -> Result<String, RandomError> {
    Ok(format!(
        "{API_KEY_PREFIX}{}",
        hex::encode(random_bytes::<24>()?)
    ))
}

/// Whether `key` has the shape of an API key (checked before any lookup).
pub fn is_api_key_shaped(key: &str) -> bool {
    key.strip_prefix(API_KEY_PREFIX).is_some_and(|rest| {
        rest.len() == API_KEY_HEX_LEN && rest.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// SHA-256 of an API key: the only form in which keys are stored.
pub fn hash_api_key(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// Alphabet of license keys: upper-case letters and digits without look-alikes (0/O, 1/I).
const LICENSE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A new license key `XXXX-XXXX-XXXX-XXXX` (80 random bits).
pub fn new_license_key() -> Result<String, RandomError> {
    let bytes = random_bytes::<16>()?;
    let mut key = String::with_capacity(19);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            key.push('-');
        }
        // 32 symbols: the low 5 bits are uniform.
        key.push(char::from(LICENSE_ALPHABET[usize::from(byte & 31)]));
    }
    Ok(key)
}

/// Whether `key` looks like `XXXX-XXXX-XXXX-XXXX` (upper-case letters and digits).
pub fn is_license_key_shaped(key: &str) -> bool {
    key.len() == 19
        && key.bytes().enumerate().all(|(i, b)| {
            if i % 5 == 4 {
                b == b'-'
            } else {
                b.is_ascii_uppercase() || b.is_ascii_digit()
            }
        })
}

/// Compares two secrets in constant time (for equal lengths).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// A short, non-reversible tag of a license key for logs: the first 8 hex characters of
/// its SHA-256.
pub fn key_tag(license_key: &str) -> String {
    let digest = Sha256::digest(license_key.as_bytes());
    hex::encode(&digest[..4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_their_shapes() {
        for _ in 0..100 {
            let key = new_license_key().unwrap();
            assert!(is_license_key_shaped(&key), "{key}");
            assert!(is_api_key_shaped(&new_api_key().unwrap()));
        }
        assert!(!is_license_key_shaped("ABCD-EFGH-JKLM-NPQ"));
        assert!(!is_license_key_shaped("abcd-EFGH-JKLM-NPQR"));
        assert!(!is_api_key_shaped("kw_123"));
    }

    #[test]
    fn secret_debug_is_redacted() {
        let secret = Secret::new(b"hunter2".to_vec());
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
