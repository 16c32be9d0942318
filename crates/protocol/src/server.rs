//! Server-side response building.

use crate::b64;
use crate::ed25519::{AnswerSigningKey, ED25519_SIGNATURE_B64_LEN};
use crate::error::EncodeError;
use crate::nonce::Nonce;
use crate::signing::{SIGNATURE_HEX_LEN, derive_key, encode_payload, signature_hex};
use crate::wire::{SessionPayload, SignedResponse, Status};

/// How an app's answers are signed.
#[derive(Debug, Clone, Copy)]
pub enum AnswerSigner<'a> {
    /// HMAC mode: the key-derivation secret, the `appSecret` text for validate, the
    /// session's `sigKey` text for heartbeat ([`crate::SigKey::as_str`]).
    Hmac(&'a [u8]),
    /// Ed25519 mode: the app's active key, for validate and heartbeat alike.
    Ed25519(&'a AnswerSigningKey),
}

impl AnswerSigner<'_> {
    /// The signature text of a payload's base64 text.
    fn sign(&self, nonce: &Nonce, payload_b64: &[u8]) -> String {
        match self {
            AnswerSigner::Hmac(secret) => {
                signature_hex(&derive_key(secret, nonce.as_str()), payload_b64)
                    .as_str()
                    .to_owned()
            }
            AnswerSigner::Ed25519(key) => key.sign_base64(payload_b64),
        }
    }

    /// The length of [`AnswerSigner::sign`]'s text.
    fn signature_len(&self) -> usize {
        match self {
            AnswerSigner::Hmac(_) => SIGNATURE_HEX_LEN,
            AnswerSigner::Ed25519(_) => ED25519_SIGNATURE_B64_LEN,
        }
    }

    fn key_id(&self) -> Option<&str> {
        match self {
            AnswerSigner::Hmac(_) => None,
            AnswerSigner::Ed25519(key) => Some(key.key_id()),
        }
    }
}

/// Build a signed success response to a request carrying `nonce`, in HMAC mode.
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
    sign_answer(AnswerSigner::Hmac(secret), nonce, payload)
}

/// Build a signed success response to a request carrying `nonce`, in either mode.
pub fn sign_answer(
    signer: AnswerSigner<'_>,
    nonce: &Nonce,
    payload: &SessionPayload,
) -> Result<SignedResponse, EncodeError> {
    check_nonce(nonce, payload)?;
    let payload_b64 = encode_payload(payload)?;
    Ok(SignedResponse {
        status: Status::Success,
        signature: signer.sign(nonce, payload_b64.as_bytes()),
        payload: payload_b64,
        key_id: signer.key_id().map(str::to_owned),
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
    sign_answer_json(AnswerSigner::Hmac(secret), nonce, payload)
}

/// Like [`sign_answer`], but the envelope's JSON text, as [`sign_response_json`] builds
/// it. Ed25519 answers end with `"keyId"` (a Keyward key id is hex, never escaped).
pub fn sign_answer_json(
    signer: AnswerSigner<'_>,
    nonce: &Nonce,
    payload: &SessionPayload,
) -> Result<String, EncodeError> {
    const HEAD: &str = r#"{"status":"success","payload":""#;
    const MIDDLE: &str = r#"","signature":""#;
    const KEY_ID: &str = r#"","keyId":""#;
    const TAIL: &str = r#""}"#;
    check_nonce(nonce, payload)?;
    let mut json = Vec::with_capacity(512);
    payload.write_json(&mut json);
    let payload_len = json.len().div_ceil(3) * 4;
    let key_id = signer.key_id();
    let key_id_len = key_id.map_or(0, |id| KEY_ID.len() + id.len());
    let mut body = Vec::with_capacity(
        HEAD.len() + payload_len + MIDDLE.len() + signer.signature_len() + key_id_len + TAIL.len(),
    );
    body.extend_from_slice(HEAD.as_bytes());
    let start = body.len();
    b64::push(&*b64::STANDARD, &json, &mut body);
    let signature = signer.sign(nonce, &body[start..]);
    body.extend_from_slice(MIDDLE.as_bytes());
    body.extend_from_slice(signature.as_bytes());
    if let Some(id) = key_id {
        body.extend_from_slice(KEY_ID.as_bytes());
        body.extend_from_slice(id.as_bytes());
    }
    body.extend_from_slice(TAIL.as_bytes());
    // Always UTF-8 (JSON punctuation, base64, hex and a key id, which is hex: see
    // `ed25519::key_id`); checked rather than assumed.
    String::from_utf8(body).map_err(|_| EncodeError::NotUtf8)
}

/// The payload must echo the request's nonce.
fn check_nonce(nonce: &Nonce, payload: &SessionPayload) -> Result<(), EncodeError> {
    if payload.nonce != nonce.as_str() {
        return Err(EncodeError::NonceMismatch);
    }
    Ok(())
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
            ..Default::default()
        }
    }

    /// The direct envelope is the serde envelope, in both modes, for payloads of every
    /// length modulo 3 (so every kind of base64 padding).
    #[test]
    fn json_envelope_is_the_serde_envelope() {
        let nonce = Nonce::generate().unwrap();
        let key = AnswerSigningKey::from_seed(&[4; 32]);
        for signer in [AnswerSigner::Hmac(b"secret"), AnswerSigner::Ed25519(&key)] {
            for len in 0..6 {
                let p = payload(&nonce, &"t".repeat(len));
                let typed = sign_answer(signer, &nonce, &p).unwrap();
                let direct = sign_answer_json(signer, &nonce, &p).unwrap();
                assert_eq!(direct, serde_json::to_string(&typed).unwrap(), "len {len}");
                assert_eq!(direct.len(), direct.capacity(), "exact capacity");
            }
        }
    }

    #[test]
    fn nonce_must_be_echoed() {
        let nonce = Nonce::generate().unwrap();
        let other = Nonce::generate().unwrap();
        let p = payload(&other, "t");
        let key = AnswerSigningKey::from_seed(&[4; 32]);
        for signer in [AnswerSigner::Hmac(b"s"), AnswerSigner::Ed25519(&key)] {
            assert!(matches!(
                sign_answer_json(signer, &nonce, &p),
                Err(EncodeError::NonceMismatch)
            ));
            assert!(matches!(
                sign_answer(signer, &nonce, &p),
                Err(EncodeError::NonceMismatch)
            ));
        }
    }
}
