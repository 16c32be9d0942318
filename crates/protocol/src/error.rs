//! Error types shared by several modules.

use thiserror::Error;

/// The operating system's random number generator failed.
///
/// This essentially never happens on a supported platform, but it is reported rather than
/// papered over: a nonce or key from a broken generator must never be used.
#[derive(Debug, Error)]
#[error("the OS random number generator failed: {0}")]
pub struct RngError(#[from] getrandom::Error);

/// Fill `buf` from the OS CSPRNG.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), RngError> {
    getrandom::fill(buf).map_err(RngError)
}

/// A value could not be serialized to JSON.
///
/// The protocol's own types always serialize; this only exists so that no code path has to
/// `unwrap` a `serde_json` result.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// `serde_json` refused the value.
    #[error("JSON encoding failed: {0}")]
    Json(#[from] serde_json::Error),
    /// The payload's `nonce` is not the request's nonce the response is signed for.
    #[error("the payload's nonce is not the request's nonce")]
    NonceMismatch,
    /// Built text was not UTF-8 (never happens: base64, hex and JSON punctuation are
    /// ASCII; checked instead of assumed).
    #[error("encoded text is not UTF-8")]
    NotUtf8,
}
