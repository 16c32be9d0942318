//! Server-side response building.

use crate::b64;
use crate::error::EncodeError;
use crate::nonce::Nonce;
use crate::signing::{KEY_LEN, derive_key, encode_payload, sign_payload, signature_hex};
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
    let key = signing_key(secret, nonce, payload)?;
    let payload_b64 = encode_payload(payload)?;
    let signature = sign_payload(&key, &payload_b64);
    Ok(SignedResponse {
        status: Status::Success,
        payload: payload_b64,
        signature,
    })
}

/// Like [`sign_response`], but the envelope's JSON text, byte for byte what
/// `serde_json::to_string` writes for it, built in one buffer: base64 and hex never need
/// escaping, so the payload is encoded straight into the body and signed where it lies.
pub fn sign_response_json(
    secret: &[u8],
    nonce: &Nonce,
    payload: &SessionPayload,
) -> Result<String, EncodeError> {
    const HEAD: &str = r#"{"status":"success","payload":""#;
    const MIDDLE: &str = r#"","signature":""#;
    const TAIL: &str = r#""}"#;
    let key = signing_key(secret, nonce, payload)?;
    let mut json = Vec::with_capacity(512);
    payload.write_json(&mut json);
    let payload_len = json.len().div_ceil(3) * 4;
    let mut body = Vec::with_capacity(HEAD.len() + payload_len + MIDDLE.len() + 64 + TAIL.len());
    body.extend_from_slice(HEAD.as_bytes());
    let start = body.len();
    b64::push(&*b64::STANDARD, &json, &mut body);
    let signature = signature_hex(&key, &body[start..]);
    body.extend_from_slice(MIDDLE.as_bytes());
    body.extend_from_slice(signature.as_str().as_bytes());
    body.extend_from_slice(TAIL.as_bytes());
    // Always UTF-8 (JSON punctuation, base64 and hex); checked rather than assumed.
    String::from_utf8(body).map_err(|_| EncodeError::NotUtf8)
}

/// The signing key for a response whose payload must echo `nonce`.
fn signing_key(
    secret: &[u8],
    nonce: &Nonce,
    payload: &SessionPayload,
) -> Result<[u8; KEY_LEN], EncodeError> {
    if payload.nonce != nonce.as_str() {
        return Err(EncodeError::NonceMismatch);
    }
    Ok(derive_key(secret, nonce.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(nonce: &Nonce, token: &str) -> SessionPayload {
        SessionPayload {
            session_token: token.to_owned(),
            timestamp: 1_700_000_000,
            expires_in: 1_700_003_600,
            nonce: nonce.as_str().to_owned(),
            app_variables: serde_json::from_str(r#"{"tier":"pro \"quoted\" ü"}"#).ok(),
            license_variables: None,
            request_id: Some("req-1".to_owned()),
        }
    }

    /// The direct envelope is the serde envelope, for payloads of every length modulo 3
    /// (so every kind of base64 padding).
    #[test]
    fn json_envelope_is_the_serde_envelope() {
        let nonce = Nonce::generate().unwrap();
        for len in 0..6 {
            let p = payload(&nonce, &"t".repeat(len));
            let typed = sign_response(b"secret", &nonce, &p).unwrap();
            let direct = sign_response_json(b"secret", &nonce, &p).unwrap();
            assert_eq!(direct, serde_json::to_string(&typed).unwrap(), "len {len}");
            assert_eq!(direct.len(), direct.capacity(), "exact capacity");
        }
    }

    #[test]
    fn nonce_must_be_echoed() {
        let nonce = Nonce::generate().unwrap();
        let other = Nonce::generate().unwrap();
        let p = payload(&other, "t");
        assert!(matches!(
            sign_response_json(b"s", &nonce, &p),
            Err(EncodeError::NonceMismatch)
        ));
        assert!(matches!(
            sign_response(b"s", &nonce, &p),
            Err(EncodeError::NonceMismatch)
        ));
    }
}
