//! The hand-written JSON readers: fast paths for the three documents read on every request
//! or response, each in front of a complete `serde_json` parse.
//!
//! - [`success_envelope`]: the `payload` and `signature` of a success response body;
//! - [`scan_nonce`]: the top-level `nonce` of a session payload, from a decoded prefix;
//! - [`token_body`]: a session token body in the exact form the server writes.
//!
//! Every reader keeps the same invariants:
//!
//! - **Agree or defer.** A reader answers only for the simple shape it knows, and then
//!   answers what the `serde_json` path gives for the same bytes; for anything else it gives
//!   up (`None`, [`NonceScan::Stopped`]) and the caller runs `serde_json`, whose answer or
//!   error is the authoritative one.
//! - **Only strings without escapes are read.** The bytes between a string's quotes are its
//!   text only when it has no backslash: every string a reader returns has none, and no
//!   reader decodes an escape.
//! - **What is not returned is skipped, not validated**: strings up to their closing quote,
//!   arrays and objects by counting brackets outside strings, literals and numbers by their
//!   characters. [`success_envelope`] and [`scan_nonce`] may therefore answer for a document
//!   that `serde_json` would reject elsewhere than in the fields they return; what they
//!   return is checked after them (base64, hex, signature, and step 5's full parse of the
//!   payload, which also rejects a repeated `nonce`).
//! - **Never panics, never recurses.** Every index is checked, nesting is counted rather
//!   than recursed into, and time is linear in the input.

use memchr::memchr2;

use crate::session_token::{SessionTokenBody, SigKey};
use crate::wire::{Status, classify_str};

/// Whether the first byte after any leading whitespace opens an object (`serde_json` also
/// accepts an array where a struct is expected; the protocol's documents are objects).
pub(crate) fn is_object(json: &[u8]) -> bool {
    json.get(skip_ws(json, 0)) == Some(&b'{')
}

/// The signed parts of a success envelope, borrowed from the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SuccessEnvelope<'a> {
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
    /// The `keyId` (Ed25519 answers), when present.
    pub(crate) key_id: Option<&'a str>,
}

/// The `payload`, `signature` and `keyId` of a success envelope: the body's top-level
/// object has a `status` that is a success value, `payload` and `signature` strings (and
/// `keyId`, if any, a string) without escapes, no failure field (`error`, `message`,
/// `details`) and no repeated known field, and the strings are UTF-8.
pub(crate) fn success_envelope(body: &[u8]) -> Option<SuccessEnvelope<'_>> {
    let json = body;
    let (mut status, mut payload, mut signature, mut key_id) = (None, None, None, None);
    let mut at = skip_ws(json, 0);
    if json.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_ws(json, at + 1);
    loop {
        if json.get(at) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(json, at + 1)?;
        let key = &json[at + 1..key_end];
        at = skip_ws(json, key_end + 1);
        if json.get(at) != Some(&b':') {
            return None;
        }
        at = skip_ws(json, at + 1);
        let (end, plain) = match json.get(at) {
            Some(b'"') => {
                let (close, escaped) = string_span(json, at + 1)?;
                (close + 1, (!escaped).then(|| &json[at + 1..close]))
            }
            _ => (value_end(json, at)?, None),
        };
        let value = &json[at..end];
        match key {
            b"status" if status.is_none() => status = Some(value),
            b"payload" if payload.is_none() => payload = Some(plain?),
            b"signature" if signature.is_none() => signature = Some(plain?),
            b"keyId" if key_id.is_none() => key_id = Some(plain?),
            b"status" | b"payload" | b"signature" | b"keyId" | b"error" | b"message"
            | b"details" => {
                return None;
            }
            _ if key.contains(&b'\\') => return None,
            _ => {}
        }
        at = skip_ws(json, end);
        match json.get(at) {
            Some(b',') => at = skip_ws(json, at + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    if skip_ws(json, at + 1) != json.len() {
        return None;
    }
    let success = match status? {
        b"true" | b"1" => true,
        quoted => {
            classify_str(std::str::from_utf8(unescaped_contents(quoted)?).ok()?)
                == Some(Status::Success)
        }
    };
    if !success {
        return None;
    }
    Some(SuccessEnvelope {
        payload: std::str::from_utf8(payload?).ok()?,
        signature: std::str::from_utf8(signature?).ok()?,
        key_id: match key_id {
            Some(id) => Some(std::str::from_utf8(id).ok()?),
            None => None,
        },
    })
}

/// The contents of a JSON string token (quotes included in `token`) without escapes.
fn unescaped_contents(token: &[u8]) -> Option<&[u8]> {
    let inner = token.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    (!inner.contains(&b'\\')).then_some(inner)
}

/// Where [`scan_nonce`] got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NonceScan {
    /// The byte range of the first top-level `"nonce"` member's text.
    Found(usize, usize),
    /// Stopped at the member starting at this offset (`0`: before the object): either the
    /// decoded prefix ends within it, or the fast path does not apply to it.
    Stopped(usize),
}

/// The first top-level `"nonce"` member of a JSON object, or of a prefix of one, when it is
/// a string without escapes; the walk starts at `resume` (`0`, or a member start returned
/// earlier). A stop is for the caller to decode more of the payload and resume, or, with
/// the payload complete, to ask `serde_json` (escaped keys or nonce, a non-string nonce,
/// anything ill-formed). A repeated `nonce` is not looked for here.
pub(crate) fn scan_nonce(json: &[u8], resume: usize) -> NonceScan {
    let mut at = resume;
    if resume == 0 {
        at = skip_ws(json, 0);
        if json.get(at) != Some(&b'{') {
            return NonceScan::Stopped(0);
        }
        at = skip_ws(json, at + 1);
    }
    loop {
        let member = at;
        match scan_member(json, at) {
            Some(Ok(range)) => return NonceScan::Found(range.0, range.1),
            Some(Err(next)) => at = next,
            None => return NonceScan::Stopped(member),
        }
    }
}

/// One member starting at `at`: `Ok` with the nonce's range, `Err` with the start of the
/// next member, `None` when the walk cannot go on.
#[allow(clippy::type_complexity)]
fn scan_member(json: &[u8], mut at: usize) -> Option<Result<(usize, usize), usize>> {
    if json.get(at) != Some(&b'"') {
        return None;
    }
    let key_end = string_end(json, at + 1)?;
    let key = &json[at + 1..key_end];
    if key.contains(&b'\\') {
        return None;
    }
    at = skip_ws(json, key_end + 1);
    if json.get(at) != Some(&b':') {
        return None;
    }
    at = skip_ws(json, at + 1);
    if key == b"nonce" {
        if json.get(at) != Some(&b'"') {
            return None;
        }
        let end = string_end(json, at + 1)?;
        if json[at + 1..end].contains(&b'\\') {
            return None;
        }
        return Some(Ok((at + 1, end)));
    }
    at = skip_ws(json, value_end(json, at)?);
    match json.get(at) {
        Some(b',') => Some(Err(skip_ws(json, at + 1))),
        _ => None,
    }
}

/// A session token body in the exact form [`SessionTokenBody::write_json`] writes when no
/// string needs escaping, which is every token a server issues in practice.
pub(crate) fn token_body(json: &[u8]) -> Option<SessionTokenBody> {
    let rest = json.strip_prefix(br#"{"appId":""#)?;
    let (app_id, rest) = text_then_rest(rest)?;
    let rest = rest.strip_prefix(br#","licenseKey":""#)?;
    let (license_key, rest) = text_then_rest(rest)?;
    let rest = rest.strip_prefix(br#","hwid":""#)?;
    let (hwid, rest) = text_then_rest(rest)?;
    let rest = rest.strip_prefix(br#","sigKey":""#)?;
    let (sig_key, rest) = text_then_rest(rest)?;
    let rest = rest.strip_prefix(br#","expiresIn":"#)?;
    let numbers = std::str::from_utf8(rest.strip_suffix(b"}")?).ok()?;
    let (numbers, ttl) = match numbers.split_once(r#","ttl":"#) {
        Some((before, ttl)) => (before, json_i64(ttl)?),
        None => (numbers, 0),
    };
    // `exp` repeats `expiresIn`; tokens issued before it existed have none.
    let expires_in = match numbers.split_once(r#","exp":"#) {
        Some((expires_in, exp)) if expires_in == exp => json_i64(expires_in)?,
        Some(_) => return None,
        None => json_i64(numbers)?,
    };
    Some(SessionTokenBody {
        app_id: app_id.to_owned(),
        license_key: license_key.to_owned(),
        hwid: hwid.to_owned(),
        sig_key: SigKey::parse(sig_key).ok()?,
        expires_in,
        ttl,
    })
}

/// What serde_json reads as an i64: an optional minus, then digits without a leading zero
/// (`str::parse` alone would also take `+1` and `007`).
fn json_i64(digits: &str) -> Option<i64> {
    let unsigned = digits.strip_prefix('-').unwrap_or(digits);
    if unsigned.is_empty()
        || !unsigned.bytes().all(|b| b.is_ascii_digit())
        || (unsigned.len() > 1 && unsigned.starts_with('0'))
    {
        return None;
    }
    digits.parse().ok()
}

/// The text up to the next `"` and what follows that quote, if the text has no escape
/// and no control character (which JSON forbids unescaped) and is UTF-8.
fn text_then_rest(input: &[u8]) -> Option<(&str, &[u8])> {
    for (end, &b) in input.iter().enumerate() {
        match b {
            b'"' => {
                let text = std::str::from_utf8(&input[..end]).ok()?;
                return Some((text, &input[end + 1..]));
            }
            b'\\' | 0..0x20 => return None,
            _ => {}
        }
    }
    None
}

fn skip_ws(json: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = json.get(at) {
        at += 1;
    }
    at
}

/// Index of the closing quote of the string whose contents start at `at`.
fn string_end(json: &[u8], at: usize) -> Option<usize> {
    string_span(json, at).map(|(end, _)| end)
}

/// Index of the closing quote of the string whose contents start at `at`, and whether
/// the string has escapes.
fn string_span(json: &[u8], mut at: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    loop {
        at += memchr2(b'"', b'\\', json.get(at..)?)?;
        match json.get(at)? {
            b'"' => return Some((at, escaped)),
            // A backslash: the next byte is escaped, whatever it is.
            _ => {
                escaped = true;
                at += 2;
            }
        }
    }
}

/// Index just past the JSON value starting at `at`.
fn value_end(json: &[u8], at: usize) -> Option<usize> {
    match json.get(at)? {
        b'"' => string_end(json, at + 1).map(|end| end + 1),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match json.get(i)? {
                    b'"' => i = string_end(json, i + 1)?,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        b't' => json
            .get(at..at + 4)
            .filter(|w| w == b"true")
            .map(|_| at + 4),
        b'f' => json
            .get(at..at + 5)
            .filter(|w| w == b"false")
            .map(|_| at + 5),
        b'n' => json
            .get(at..at + 4)
            .filter(|w| w == b"null")
            .map(|_| at + 4),
        b'-' | b'0'..=b'9' => {
            let mut i = at + 1;
            while let Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') = json.get(i) {
                i += 1;
            }
            Some(i)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::verify::serde_fallback::payload_nonce;

    fn serde_nonce(json: &str) -> Option<String> {
        payload_nonce(json.as_bytes()).ok().map(|n| n.into_owned())
    }

    /// [`scan_nonce`] over a complete document, as text.
    fn fast_nonce(json: &[u8]) -> Option<(usize, usize)> {
        match scan_nonce(json, 0) {
            NonceScan::Found(a, b) => Some((a, b)),
            NonceScan::Stopped(_) => None,
        }
    }

    #[test]
    fn fast_nonce_agrees_with_serde() {
        let cases = [
            r#"{"nonce":"abc"}"#,
            r#" { "a" : 1 , "nonce" : "abc" , "b" : [1, {"nonce": "x"}, "]}\"" ] } "#,
            r#"{"sessionToken":"t.k","timestamp":1,"expiresIn":2,"nonce":"n","appVariables":{"u":"https://x/y","q":"a\"b\\"},"licenseVariables":{"f":[true,false,null,-1.5e3]},"requestId":"r"}"#,
            r#"{"a":{"b":{"c":[[[]]]}},"nonce":"deep"}"#,
            r#"{"a":"\\","nonce":"after-escaped-backslash"}"#,
            r#"{"a":"0123456789abcdef\"0123456789","nonce":"long"}"#,
        ];
        for json in cases {
            let fast = fast_nonce(json.as_bytes()).map(|(a, b)| json[a..b].to_owned());
            assert!(fast.is_some(), "{json}");
            assert_eq!(fast, serde_nonce(json), "{json}");
            // Any prefix finds the same nonce or nothing.
            for cut in 0..json.len() {
                if let Some((a, b)) = fast_nonce(&json.as_bytes()[..cut]) {
                    assert_eq!(
                        Some(json[a..b].to_owned()),
                        serde_nonce(json),
                        "{json} [..{cut}]"
                    );
                }
            }
        }
    }

    #[test]
    fn fast_nonce_defers_to_serde_when_unsure() {
        for json in [
            r#"{}"#,
            r#"{"nonce":1}"#,
            r#"{"non\u0063e":"a"}"#,
            r#"{"nonce":"a\u0062"}"#,
            r#"{"nonce":"a"#,
            r#"{"a":[1,2,"nonce":"a"}"#,
            r#"{"a" 1,"nonce":"a"}"#,
            r#"["nonce","a"]"#,
            r#"{"a":}"#,
            "",
        ] {
            assert_eq!(fast_nonce(json.as_bytes()), None, "{json}");
        }
    }

    /// The first quote or backslash, found by the byte loop it replaces.
    fn string_span_by_bytes(json: &[u8], mut at: usize) -> Option<(usize, bool)> {
        let mut escaped = false;
        loop {
            match json.get(at)? {
                b'"' => return Some((at, escaped)),
                b'\\' => {
                    escaped = true;
                    at += 2;
                }
                _ => at += 1,
            }
        }
    }

    proptest! {
        /// Strings end where a byte-by-byte walk says they end, escapes and truncation
        /// included.
        #[test]
        fn string_span_agrees_with_a_byte_loop(
            text in r#"[a"\\é]{0,40}|(?s).{0,40}"#,
            at in 0usize..42,
        ) {
            let json = text.as_bytes();
            prop_assert_eq!(string_span(json, at), string_span_by_bytes(json, at));
        }

        /// Text shaped like a canonical body, with arbitrary unescaped strings and an
        /// arbitrary number: whenever the fast reader reads it, serde_json reads the same.
        #[test]
        fn the_fast_reader_reads_what_serde_json_reads(
            app_id in any::<String>(),
            license_key in any::<String>(),
            hwid in prop_oneof![any::<String>(), "[0-9a-f]{64}"],
            sig_key in prop_oneof![any::<String>(), "[0-9a-f]{64}"],
            expires in "-?[+0-9]{0,21}",
        ) {
            let json = format!(
                r#"{{"appId":"{app_id}","licenseKey":"{license_key}","hwid":"{hwid}","sigKey":"{sig_key}","expiresIn":{expires}}}"#
            );
            if let Some(fast) = token_body(json.as_bytes()) {
                let serde: SessionTokenBody = serde_json::from_str(&json).unwrap();
                prop_assert!(fast == serde);
            }
        }
    }
}
