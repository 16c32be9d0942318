//! Request nonces: 16 bytes from the OS CSPRNG, written as 32 lowercase hex characters.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::error::{RngError, fill_random};
use crate::hexutil::is_lower_hex;

/// Number of random bytes in a nonce.
pub const NONCE_BYTES: usize = 16;
/// Length of a nonce's text form: 32 lowercase hex characters.
pub const NONCE_LEN: usize = NONCE_BYTES * 2;

/// A request nonce: exactly 32 lowercase hex characters.
///
/// A client generates a fresh one for every request, retries included
/// ([`Nonce::generate`]); the server echoes it in the signed payload and derives the
/// signing key from it. A nonce is not secret, so `Debug` and `Display` print it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nonce(String);

/// Why a string is not a valid nonce.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NonceError {
    /// The string is not 32 bytes long.
    #[error("nonce must be {NONCE_LEN} characters, got {0}")]
    WrongLength(usize),
    /// The string has a character other than `0-9a-f` (upper-case hex included).
    #[error("nonce must be lowercase hex (0-9a-f)")]
    NotLowerHex,
}

impl Nonce {
    /// Draw a fresh nonce from the OS CSPRNG.
    pub fn generate() -> Result<Self, RngError> {
        let mut bytes = [0u8; NONCE_BYTES];
        fill_random(&mut bytes)?;
        Ok(Nonce(hex::encode(bytes)))
    }

    /// Check that `s` is a well-formed nonce (32 lowercase hex characters).
    pub fn validate(s: &str) -> Result<(), NonceError> {
        if s.len() != NONCE_LEN {
            return Err(NonceError::WrongLength(s.len()));
        }
        if !is_lower_hex(s, NONCE_LEN) {
            return Err(NonceError::NotLowerHex);
        }
        Ok(())
    }

    /// Parse and validate a nonce.
    pub fn parse(s: &str) -> Result<Self, NonceError> {
        Self::validate(s)?;
        Ok(Nonce(s.to_owned()))
    }

    /// The nonce's text, as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The nonce's text as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl FromStr for Nonce {
    type Err = NonceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Nonce {
    type Error = NonceError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::validate(&s)?;
        Ok(Nonce(s))
    }
}

impl TryFrom<&str> for Nonce {
    type Error = NonceError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl AsRef<str> for Nonce {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Nonce {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Nonce {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Nonce").field(&self.0).finish()
    }
}

impl Serialize for Nonce {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Nonce {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Nonce::try_from(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_nonces_are_valid_and_distinct() {
        let a = Nonce::generate().unwrap();
        let b = Nonce::generate().unwrap();
        assert!(Nonce::validate(a.as_str()).is_ok());
        assert_eq!(a.as_str().len(), NONCE_LEN);
        assert_ne!(a, b);
    }

    #[test]
    fn parse_rejects_bad_nonces() {
        assert_eq!(Nonce::parse(""), Err(NonceError::WrongLength(0)));
        assert_eq!(
            Nonce::parse("0123456789abcdef0123456789abcdeF"),
            Err(NonceError::NotLowerHex)
        );
        assert_eq!(
            Nonce::parse("0123456789abcdef0123456789abcdeg"),
            Err(NonceError::NotLowerHex)
        );
        assert_eq!(
            Nonce::parse("0123456789abcdef0123456789abcdef0"),
            Err(NonceError::WrongLength(33))
        );
        // 32 bytes but multi-byte characters: still rejected, no panic.
        assert!(Nonce::parse("ééééééééééééééééééééééééééééééé").is_err());
        let n: Nonce = "0123456789abcdef0123456789abcdef".parse().unwrap();
        assert_eq!(n.to_string(), "0123456789abcdef0123456789abcdef");
    }

    #[test]
    fn serde_validates() {
        let n: Nonce = serde_json::from_str("\"00000000000000000000000000000000\"").unwrap();
        assert_eq!(
            serde_json::to_string(&n).unwrap(),
            "\"00000000000000000000000000000000\""
        );
        assert!(serde_json::from_str::<Nonce>("\"xyz\"").is_err());
    }
}
