//! Apps' Ed25519 signing keys at rest: each private key is sealed with ChaCha20-Poly1305
//! under a key derived from the server secret, bound to its app and key id (the AEAD's
//! associated data), so a sealed key copied to another app's row, or a database used with
//! another server secret, does not open. Opened keys are kept in memory, so that an
//! answer costs one signature and not a decryption and a key expansion.
//!
//! Private keys never leave this module except as a sealed blob (to the store) or an
//! [`AnswerSigningKey`] (to the answer's signer), whose `Debug` redacts them.

use std::fmt;
use std::sync::Arc;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use dashmap::DashMap;
use keyward_protocol::AnswerSigningKey;
use sha2::{Digest, Sha256};

use crate::secret::random_bytes;
use crate::store::NewSigningKey;

/// Domain separation of the sealing key from the server secret's other uses (session
/// tokens).
const SEALING_KEY_CONTEXT: &[u8] = b"keyward app signing keys v1\0";
/// Format version, the first byte of every sealed key.
const SEALED_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// Why a signing key could not be made, sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The OS random number generator failed.
    #[error("the OS random number generator failed")]
    Random,
    /// The AEAD refused (sealing) or the sealed key did not open: another server secret,
    /// another app's row, or a damaged database.
    #[error(
        "the signing key of app {app_id} (key {key_id}) does not open under this server secret"
    )]
    Unsealable {
        /// The app's public id.
        app_id: String,
        /// The key's id.
        key_id: String,
    },
}

/// Seals and opens signing keys under the server secret. `Debug` shows no key material.
pub struct KeyVault {
    cipher: ChaCha20Poly1305,
    /// Opened keys by (app id, key id).
    opened: DashMap<(Box<str>, Box<str>), Arc<AnswerSigningKey>>,
}

impl fmt::Debug for KeyVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyVault")
            .field("opened", &self.opened.len())
            .finish_non_exhaustive()
    }
}

/// The associated data of a sealed key: its app and its id.
fn associated_data(app_id: &str, key_id: &str) -> Vec<u8> {
    [app_id.as_bytes(), b"\0", key_id.as_bytes()].concat()
}

impl KeyVault {
    /// The vault of `server_secret`.
    pub fn new(server_secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(SEALING_KEY_CONTEXT);
        hasher.update(server_secret);
        let key: [u8; 32] = hasher.finalize().into();
        Self {
            cipher: ChaCha20Poly1305::new(&Key::from(key)),
            opened: DashMap::new(),
        }
    }

    /// A fresh key for `app_id`, sealed for the store.
    pub fn generate(&self, app_id: &str) -> Result<NewSigningKey, SealError> {
        let key = AnswerSigningKey::generate().map_err(|_| SealError::Random)?;
        let nonce = random_bytes::<NONCE_LEN>().map_err(|_| SealError::Random)?;
        let unsealable = || SealError::Unsealable {
            app_id: app_id.to_owned(),
            key_id: key.key_id().to_owned(),
        };
        let mut seed = key.seed();
        let ciphertext = self.cipher.encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &seed,
                aad: &associated_data(app_id, key.key_id()),
            },
        );
        seed.fill(0);
        let ciphertext = ciphertext.map_err(|_| unsealable())?;
        let sealed = [&[SEALED_VERSION][..], &nonce, &ciphertext].concat();
        Ok(NewSigningKey {
            key_id: key.key_id().to_owned(),
            public_key: key.public_key(),
            sealed,
        })
    }

    /// The opened key `key_id` of `app_id`, from memory or from its sealed form.
    pub fn open(
        &self,
        app_id: &str,
        key_id: &str,
        sealed: &[u8],
    ) -> Result<Arc<AnswerSigningKey>, SealError> {
        let index = (Box::from(app_id), Box::from(key_id));
        if let Some(key) = self.opened.get(&index) {
            return Ok(key.clone());
        }
        let unsealable = || SealError::Unsealable {
            app_id: app_id.to_owned(),
            key_id: key_id.to_owned(),
        };
        let (version, rest) = sealed.split_first().ok_or_else(unsealable)?;
        if *version != SEALED_VERSION || rest.len() < NONCE_LEN {
            return Err(unsealable());
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| unsealable())?;
        let mut seed = self
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &associated_data(app_id, key_id),
                },
            )
            .map_err(|_| unsealable())?;
        let key = <[u8; 32]>::try_from(seed.as_slice())
            .map(|seed| AnswerSigningKey::from_seed(&seed))
            .map_err(|_| unsealable());
        seed.fill(0);
        let key = Arc::new(key?);
        if key.key_id() != key_id {
            return Err(unsealable());
        }
        self.opened.insert(index, key.clone());
        Ok(key)
    }

    /// Drops an opened key from memory (after its deletion).
    pub fn forget(&self, app_id: &str, key_id: &str) {
        self.opened.remove(&(Box::from(app_id), Box::from(key_id)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_for_their_app_and_secret() {
        let vault = KeyVault::new(b"server secret");
        let new = vault.generate("app_1").unwrap();
        let key = vault.open("app_1", &new.key_id, &new.sealed).unwrap();
        assert_eq!(key.public_key(), new.public_key);
        assert!(!new.sealed.windows(32).any(|w| w == key.seed()));
        vault.forget("app_1", &new.key_id);
        assert!(vault.open("app_2", &new.key_id, &new.sealed).is_err());
        assert!(vault.open("app_1", "other", &new.sealed).is_err());
        let other = KeyVault::new(b"another secret");
        assert!(other.open("app_1", &new.key_id, &new.sealed).is_err());
        let mut damaged = new.sealed.clone();
        if let Some(last) = damaged.last_mut() {
            *last ^= 1;
        }
        assert!(vault.open("app_1", &new.key_id, &damaged).is_err());
        assert!(vault.open("app_1", &new.key_id, &[]).is_err());
        assert!(vault.open("app_1", &new.key_id, &new.sealed).is_ok());
    }
}
