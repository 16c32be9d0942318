//! Server-side response building.

use crate::error::EncodeError;
use crate::nonce::Nonce;
use crate::signing::{derive_key, encode_payload, sign_payload};
use crate::wire::{SessionPayload, SignedResponse, Status};

/// Build a signed success response to a request carrying `nonce`.
///
/// `secret` is the key-derivation secret: the `appSecret` text for validate, the session's
/// `sigKey` text for heartbeat ([`crate::SigKey::as_str`]). The payload must echo the
/// request's nonce ([`EncodeError::NonceMismatch`] otherwise). The signature covers the
/// payload's base64 text exactly as returned.
pub fn sign_response(
    secret: &[u8],
    nonce: &Nonce,
    payload: &SessionPayload,
) -> Result<SignedResponse, EncodeError> {
    if payload.nonce != nonce.as_str() {
        return Err(EncodeError::NonceMismatch);
    }
    let key = derive_key(secret, nonce.as_str());
    let payload_b64 = encode_payload(payload)?;
    let signature = sign_payload(&key, &payload_b64);
    Ok(SignedResponse {
        status: Status::Success,
        payload: payload_b64,
        signature,
    })
}
