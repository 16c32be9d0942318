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

/// Bytes drawn from the OS CSPRNG per refill of a thread's session-key pool.
const SESSION_POOL_BYTES: usize = 4096;

struct SessionPool {
    bytes: [u8; SESSION_POOL_BYTES],
    /// Bytes before `used` were handed out (and wiped).
    used: usize,
}

thread_local! {
    static SESSION_POOL: std::cell::RefCell<SessionPool> = const {
        std::cell::RefCell::new(SessionPool {
            bytes: [0; SESSION_POOL_BYTES],
            used: SESSION_POOL_BYTES,
        })
    };
}

/// A fresh per-session signing key (`sigKey`, 32 bytes as 64 hex characters) from the OS
/// CSPRNG.
///
/// The bytes are OS randomness, read ahead in blocks of 4 KiB per thread
/// (one syscall per 128 keys instead of one per key). Every byte is handed out once and
/// wiped from the pool as it is taken, so a key is as unpredictable as one drawn alone.
pub fn new_sig_key() -> Result<keyward_protocol::SigKey, RandomError> {
    const N: usize = keyward_protocol::session_token::SIG_KEY_BYTES;
    let mut bytes = [0u8; N];
    SESSION_POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.used + N > SESSION_POOL_BYTES {
            getrandom::fill(&mut pool.bytes).map_err(|_| RandomError)?;
            pool.used = 0;
        }
        let start = pool.used;
        let taken = &mut pool.bytes[start..start + N];
        bytes.copy_from_slice(taken);
        taken.fill(0);
        pool.used = start + N;
        Ok::<(), RandomError>(())
    })?;
    let key = keyward_protocol::SigKey::from_bytes(&bytes);
    bytes.fill(0);
    Ok(key)
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

    /// Session keys are well-formed and never repeat, across several pool refills and
    /// on several threads (each with its own pool).
    #[test]
    fn session_keys_are_fresh_across_refills_and_threads() {
        let per_thread = 3 * SESSION_POOL_BYTES / keyward_protocol::session_token::SIG_KEY_BYTES;
        let threads: Vec<_> = (0..3)
            .map(|_| {
                std::thread::spawn(move || {
                    (0..per_thread)
                        .map(|_| new_sig_key().unwrap().as_str().to_owned())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        for thread in threads {
            for key in thread.join().unwrap() {
                assert!(keyward_protocol::SigKey::parse(&key).is_ok());
                assert_ne!(key, "0".repeat(64));
                assert!(seen.insert(key), "a session key repeated");
            }
        }
        assert_eq!(seen.len(), 3 * per_thread);
    }

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
