//! Session tokens: `base64url_nopad(body_json) + "." + base64url_nopad(HMAC-SHA256(server_secret, base64url_body_text))`.
//!
//! The server issues one in every success payload and checks it on heartbeat. The body is
//! readable by anyone holding the token (it is only authenticated, not encrypted): the client
//! reads the `sigKey` from it ([`SessionToken::decode_unverified`]) to check heartbeat
//! signatures, whose key is `SHA256(sigKey || nonce)` with `sigKey` as its 64-character hex
//! text.

use std::fmt;

use crate::b64::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::Mac;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::b64;
use crate::error::{EncodeError, RngError, fill_random};
use crate::hexutil::{encode32, is_lower_hex};
use crate::json_scan;
use crate::signing::{HmacSha256, KEY_LEN, derive_key, hmac_sha256};
use crate::wire::SESSION_TOKEN_MAX_LEN;

/// Random bytes in a [`SigKey`].
pub const SIG_KEY_BYTES: usize = 32;
/// Length of a [`SigKey`]'s hex text.
pub const SIG_KEY_LEN: usize = SIG_KEY_BYTES * 2;
/// Length of the base64url (no padding) text of a 32-byte MAC.
const MAC_B64_LEN: usize = 43;

/// A per-session signing secret: 32 random bytes as 64 lowercase hex characters.
///
/// Heartbeat responses are signed with `SHA256(sigKey || nonce)` ([`SigKey::signing_key`]).
/// `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct SigKey(String);

/// A string that is not 64 lowercase hex characters, offered as a [`SigKey`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("sigKey must be {SIG_KEY_LEN} lowercase hex characters")]
pub struct InvalidSigKey;

impl SigKey {
    /// Draw a fresh key from the OS CSPRNG.
    pub fn generate() -> Result<Self, RngError> {
        let mut bytes = [0u8; SIG_KEY_BYTES];
        fill_random(&mut bytes)?;
        Ok(Self::from_bytes(&bytes))
    }

    /// The key whose raw bytes are `bytes` (which must come from a CSPRNG; servers that
    /// read randomness ahead in blocks use this instead of [`SigKey::generate`]).
    pub fn from_bytes(bytes: &[u8; SIG_KEY_BYTES]) -> Self {
        SigKey(encode32(bytes).as_str().to_owned())
    }

    /// Parse a key's hex text.
    pub fn parse(s: &str) -> Result<Self, InvalidSigKey> {
        if is_lower_hex(s, SIG_KEY_LEN) {
            Ok(SigKey(s.to_owned()))
        } else {
            Err(InvalidSigKey)
        }
    }

    /// The key's hex text. Secret.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The response signing key for a heartbeat with this nonce: `SHA256(sigKey_text || nonce)`.
    pub fn signing_key(&self, nonce: &str) -> [u8; KEY_LEN] {
        derive_key(self.0.as_bytes(), nonce)
    }
}

impl fmt::Debug for SigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigKey(<redacted>)")
    }
}

impl Serialize for SigKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SigKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        if is_lower_hex(&s, SIG_KEY_LEN) {
            Ok(SigKey(s))
        } else {
            Err(serde::de::Error::custom(InvalidSigKey))
        }
    }
}

/// The authenticated body of a session token.
///
/// Its JSON also carries `exp`, equal to `expiresIn`: protocol v2's SDKs read the session
/// expiry from that claim (tokens without it, from servers before it, are still read).
/// `Debug` redacts `licenseKey` and `sigKey`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionTokenBody {
    /// The app the session belongs to.
    pub app_id: String,
    /// The license the session was opened with. Secret.
    pub license_key: String,
    /// The device the session is bound to.
    pub hwid: String,
    /// The session's signing secret. Secret.
    pub sig_key: SigKey,
    /// Absolute expiry, unix seconds.
    pub expires_in: i64,
    /// The session's lifetime in seconds, which every heartbeat renews it by; `0` (and
    /// absent, in tokens of servers before protocol v2's `ttlSeconds`) means the server's
    /// default.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ttl: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// The body as written: its fields plus the `exp` claim.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WrittenBody<'a> {
    app_id: &'a str,
    license_key: &'a str,
    hwid: &'a str,
    sig_key: &'a SigKey,
    expires_in: i64,
    exp: i64,
    #[serde(skip_serializing_if = "is_zero")]
    ttl: i64,
}

impl Serialize for SessionTokenBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WrittenBody {
            app_id: &self.app_id,
            license_key: &self.license_key,
            hwid: &self.hwid,
            sig_key: &self.sig_key,
            expires_in: self.expires_in,
            exp: self.expires_in,
            ttl: self.ttl,
        }
        .serialize(serializer)
    }
}

impl SessionTokenBody {
    /// Appends the body's JSON, byte for byte what `serde_json::to_vec` gives.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        use crate::json_out::{push_int, push_str};
        out.extend_from_slice(br#"{"appId":"#);
        push_str(out, &self.app_id);
        out.extend_from_slice(br#","licenseKey":"#);
        push_str(out, &self.license_key);
        out.extend_from_slice(br#","hwid":"#);
        push_str(out, &self.hwid);
        out.extend_from_slice(br#","sigKey":"#);
        push_str(out, self.sig_key.as_str());
        out.extend_from_slice(br#","expiresIn":"#);
        push_int(out, self.expires_in);
        out.extend_from_slice(br#","exp":"#);
        push_int(out, self.expires_in);
        if self.ttl != 0 {
            out.extend_from_slice(br#","ttl":"#);
            push_int(out, self.ttl);
        }
        out.push(b'}');
    }
}

impl fmt::Debug for SessionTokenBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionTokenBody")
            .field("app_id", &self.app_id)
            .field("license_key", &format_args!("<redacted>"))
            .field("hwid", &self.hwid)
            .field("sig_key", &self.sig_key)
            .field("expires_in", &self.expires_in)
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// Why a session token was rejected. The server answers all of them with `session_expired`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not of the form `body.mac`, bad base64url, wrong MAC length, over-long, or a body
    /// (under a valid MAC) that is not the expected JSON.
    #[error("session token is malformed")]
    Malformed,
    /// The MAC does not match the body under this server secret.
    #[error("session token MAC does not match")]
    BadMac,
    /// The token was issued for another app.
    #[error("session token belongs to another app")]
    WrongApp,
    /// The token was issued for another device.
    #[error("session token belongs to another device")]
    WrongHwid,
    /// The token's `expiresIn` has passed.
    #[error("session token has expired")]
    Expired,
}

/// An issued session token (the text sent as `sessionToken`). `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// The server secret, ready to authenticate session tokens: the HMAC key schedule is
/// computed once here instead of for every token. `Debug` never shows it.
#[derive(Clone)]
pub struct TokenKey(HmacSha256);

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(<redacted>)")
    }
}

impl TokenKey {
    /// The key for `server_secret`.
    pub fn new(server_secret: &[u8]) -> Self {
        Self(hmac_sha256(server_secret))
    }

    /// Issue a token for `body`.
    pub fn issue(&self, body: &SessionTokenBody) -> Result<SessionToken, EncodeError> {
        let mut json = Vec::with_capacity(256);
        body.write_json(&mut json);
        let mut token = Vec::with_capacity(json.len().div_ceil(3) * 4 + 1 + MAC_B64_LEN);
        b64::push(&*URL_SAFE_NO_PAD, &json, &mut token);
        let mut mac = self.0.clone();
        mac.update(&token);
        let tag = mac.finalize().into_bytes();
        token.push(b'.');
        b64::push(&*URL_SAFE_NO_PAD, &tag, &mut token);
        // Always UTF-8 (base64url and a dot); checked rather than assumed.
        String::from_utf8(token)
            .map(SessionToken)
            .map_err(|_| EncodeError::NotUtf8)
    }

    /// Check a token received from a client: the MAC (in constant time, before the body
    /// is even parsed), then the app, the device and the expiry (`now_unix >= expiresIn`
    /// is expired). Never panics, whatever the input.
    pub fn verify(
        &self,
        token: &str,
        expected_app_id: &str,
        expected_hwid: &str,
        now_unix: i64,
    ) -> Result<SessionTokenBody, TokenError> {
        let (body_b64, mac_b64) = split(token)?;
        if mac_b64.len() != MAC_B64_LEN {
            return Err(TokenError::Malformed);
        }
        let mut tag = [0u8; 33];
        match URL_SAFE_NO_PAD.decode_slice(mac_b64, &mut tag) {
            Ok(32) => {}
            _ => return Err(TokenError::Malformed),
        }
        let mut mac = self.0.clone();
        mac.update(body_b64.as_bytes());
        if mac.verify_slice(&tag[..32]).is_err() {
            return Err(TokenError::BadMac);
        }
        let body = decode_body(body_b64)?;
        if body.app_id != expected_app_id {
            return Err(TokenError::WrongApp);
        }
        if body.hwid != expected_hwid {
            return Err(TokenError::WrongHwid);
        }
        if now_unix >= body.expires_in {
            return Err(TokenError::Expired);
        }
        Ok(body)
    }
}

impl SessionToken {
    /// Issue a token for `body`, authenticated with the server secret (a server issuing
    /// many keeps a [`TokenKey`] instead).
    pub fn issue(server_secret: &[u8], body: &SessionTokenBody) -> Result<Self, EncodeError> {
        TokenKey::new(server_secret).issue(body)
    }

    /// The token's text, as sent on the wire. Secret.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The token's text as an owned string. Secret.
    pub fn into_string(self) -> String {
        self.0
    }

    /// [`TokenKey::verify`] with the server secret.
    pub fn verify(
        server_secret: &[u8],
        token: &str,
        expected_app_id: &str,
        expected_hwid: &str,
        now_unix: i64,
    ) -> Result<SessionTokenBody, TokenError> {
        TokenKey::new(server_secret).verify(token, expected_app_id, expected_hwid, now_unix)
    }

    /// Read a token's body **without** checking its MAC (the client cannot: it does not
    /// know the server secret). Used by the client to get the `sigKey` for heartbeats.
    pub fn decode_unverified(token: &str) -> Result<SessionTokenBody, TokenError> {
        let (body_b64, _) = split(token)?;
        decode_body(body_b64)
    }

    /// The key a heartbeat response to a request carrying `token` and `nonce` is signed
    /// with: `SHA256(sigKey || nonce)`, reading `sigKey` from the (unverified) token body.
    pub fn heartbeat_key(token: &str, nonce: &str) -> Result<[u8; KEY_LEN], TokenError> {
        Ok(Self::decode_unverified(token)?.sig_key.signing_key(nonce))
    }
}

/// Split `body.mac`, rejecting over-long tokens and any other number of dots.
fn split(token: &str) -> Result<(&str, &str), TokenError> {
    if token.len() > SESSION_TOKEN_MAX_LEN {
        return Err(TokenError::Malformed);
    }
    match token.split_once('.') {
        Some((body, mac)) if !body.is_empty() && !mac.contains('.') => Ok((body, mac)),
        _ => Err(TokenError::Malformed),
    }
}

fn decode_body(body_b64: &str) -> Result<SessionTokenBody, TokenError> {
    // A body is shorter than the longest token, so it always fits.
    let mut buf = [0u8; SESSION_TOKEN_MAX_LEN / 4 * 3];
    let len = URL_SAFE_NO_PAD
        .decode_slice(body_b64, &mut buf)
        .map_err(|_| TokenError::Malformed)?;
    let json = &buf[..len];
    if json.first() != Some(&b'{') {
        return Err(TokenError::Malformed);
    }
    match json_scan::token_body(json) {
        Some(body) => Ok(body),
        None => serde_json::from_slice(json).map_err(|_| TokenError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn body() -> SessionTokenBody {
        SessionTokenBody {
            app_id: "app".into(),
            license_key: "AAAA-BBBB-CCCC-DDDD".into(),
            hwid: "hw".into(),
            sig_key: SigKey::generate().unwrap(),
            expires_in: 1_000,
            ttl: 7_200,
        }
    }

    #[test]
    fn issue_then_verify() {
        let b = body();
        let t = SessionToken::issue(b"secret", &b).unwrap();
        assert_eq!(
            SessionToken::verify(b"secret", t.as_str(), "app", "hw", 999),
            Ok(b.clone())
        );
        assert_eq!(SessionToken::decode_unverified(t.as_str()), Ok(b));
    }

    #[test]
    fn rejections() {
        let t = SessionToken::issue(b"secret", &body()).unwrap();
        let t = t.as_str();
        assert_eq!(
            SessionToken::verify(b"other", t, "app", "hw", 0),
            Err(TokenError::BadMac)
        );
        assert_eq!(
            SessionToken::verify(b"secret", t, "app2", "hw", 0),
            Err(TokenError::WrongApp)
        );
        assert_eq!(
            SessionToken::verify(b"secret", t, "app", "hw2", 0),
            Err(TokenError::WrongHwid)
        );
        assert_eq!(
            SessionToken::verify(b"secret", t, "app", "hw", 1_000),
            Err(TokenError::Expired)
        );
        for bad in ["", ".", "a.", ".a", "a.b.c", "abc", "é.é"] {
            assert_eq!(
                SessionToken::verify(b"secret", bad, "app", "hw", 0),
                Err(TokenError::Malformed),
                "{bad}"
            );
        }
        // Flip one character of the body: MAC no longer matches.
        let mut chars: Vec<char> = t.chars().collect();
        chars[3] = if chars[3] == 'A' { 'B' } else { 'A' };
        let tampered: String = chars.into_iter().collect();
        assert_eq!(
            SessionToken::verify(b"secret", &tampered, "app", "hw", 0),
            Err(TokenError::BadMac)
        );
    }

    #[test]
    fn debug_redacts_secrets() {
        let b = body();
        let t = SessionToken::issue(b"secret", &b).unwrap();
        let dbg = format!("{b:?} {t:?}");
        assert!(!dbg.contains("AAAA-BBBB"));
        assert!(!dbg.contains(b.sig_key.as_str()));
        assert!(!dbg.contains(t.as_str()));
    }

    proptest! {
        /// Every body the server writes is read back as it was, escapes included.
        #[test]
        fn written_bodies_read_back(
            app_id in "(?s).{0,24}",
            license_key in "(?s).{0,24}",
            hwid in "(?s).{0,24}",
            expires_in in any::<i64>(),
            ttl in prop_oneof![Just(0i64), any::<i64>()],
        ) {
            let body = SessionTokenBody {
                app_id, license_key, hwid, expires_in, ttl,
                sig_key: SigKey::from_bytes(&[9; 32]),
            };
            let token = TokenKey::new(b"secret").issue(&body).unwrap();
            let (body_b64, _) = split(token.as_str()).unwrap();
            prop_assert!(decode_body(body_b64).unwrap() == body);
        }
    }

    /// The bodies the server issues take the fast path.
    #[test]
    fn issued_bodies_are_canonical() {
        let b = body();
        let mut json = Vec::new();
        b.write_json(&mut json);
        assert!(json_scan::token_body(&json) == Some(b));
    }
}
