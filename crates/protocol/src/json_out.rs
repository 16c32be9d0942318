//! Writes the two JSON objects the server signs on every success (the session payload and
//! the session token body) straight into a byte buffer, byte for byte as `serde_json`
//! writes them. serde_json escapes strings a byte at a time through a table; the strings
//! here (tokens, keys, nonces, ids) almost never need escaping, so they are checked in
//! one pass and copied, and only a string that needs escaping goes through serde_json.

use serde::Serialize;

/// Appends `s` as a JSON string, exactly as `serde_json` writes it.
pub(crate) fn push_str(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        push_serde(out, s);
        return;
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Whether serde_json would escape a byte of `bytes`: control characters, `"` and `\`.
/// A fold without early exit, so that the compiler vectorizes it.
fn needs_escape(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |found, &b| {
        found | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

/// Appends an integer as JSON.
pub(crate) fn push_int(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends any value through serde_json.
pub(crate) fn push_serde<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Writing into a Vec cannot fail, and the values written here (strings, maps of JSON
    // values) always serialize.
    let _ = serde_json::to_writer(&mut *out, value);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Every string, escaped or not, comes out as serde_json writes it.
        #[test]
        fn strings_are_written_as_serde_json_writes_them(s in any::<String>()) {
            let mut out = Vec::new();
            push_str(&mut out, &s);
            prop_assert_eq!(out, serde_json::to_vec(&s).unwrap());
        }

        #[test]
        fn integers_are_written_as_serde_json_writes_them(n in any::<i64>()) {
            let mut out = Vec::new();
            push_int(&mut out, n);
            prop_assert_eq!(out, serde_json::to_vec(&n).unwrap());
        }
    }

    fn variables() -> impl Strategy<Value = Option<serde_json::Map<String, serde_json::Value>>> {
        proptest::option::of(proptest::collection::btree_map(
            any::<String>(),
            any::<String>(),
            0..3,
        ))
        .prop_map(|map| {
            map.map(|m| {
                m.into_iter()
                    .map(|(k, v)| (k, serde_json::Value::String(v)))
                    .collect()
            })
        })
    }

    proptest! {
        /// The payload written directly is the payload serde_json writes.
        #[test]
        fn payloads_are_written_as_serde_json_writes_them(
            session_token in any::<String>(),
            timestamp in any::<i64>(),
            expires_in in any::<i64>(),
            nonce in any::<String>(),
            app_variables in variables(),
            license_variables in variables(),
            request_id in proptest::option::of(any::<String>()),
            extra in (
                proptest::option::of(any::<String>()),
                proptest::option::of(proptest::option::of(any::<String>())),
                proptest::option::of(any::<i64>()),
                proptest::option::of(any::<i64>()),
                proptest::option::of(any::<String>()),
            ),
        ) {
            let (session_expires_at, license_expires_at, max_hwid_slots, hwid_count, license_label) =
                extra;
            let payload = crate::SessionPayload {
                session_token, timestamp, expires_in, nonce, app_variables, license_variables, request_id,
                session_expires_at, license_expires_at, max_hwid_slots, hwid_count, license_label,
            };
            let mut out = Vec::new();
            payload.write_json(&mut out);
            prop_assert_eq!(&out, &serde_json::to_vec(&payload).unwrap());
            // And reads back as it was, a `null` licenseExpiresAt included.
            prop_assert!(crate::signing::parse_payload_json(&out).unwrap() == payload);
        }

        /// The token body written directly is the body serde_json writes.
        #[test]
        fn token_bodies_are_written_as_serde_json_writes_them(
            app_id in any::<String>(),
            license_key in any::<String>(),
            hwid in any::<String>(),
            expires_in in any::<i64>(),
            ttl in prop_oneof![Just(0i64), any::<i64>()],
        ) {
            let body = crate::SessionTokenBody {
                app_id, license_key, hwid, expires_in, ttl,
                sig_key: crate::SigKey::from_bytes(&[7; 32]),
            };
            let mut out = Vec::new();
            body.write_json(&mut out);
            prop_assert_eq!(out, serde_json::to_vec(&body).unwrap());
        }
    }

    #[test]
    fn strings_that_need_escapes() {
        for s in [
            "",
            "a\"b",
            "back\\slash",
            "tab\t",
            "\u{0}",
            "\u{1f}",
            "é ü \u{7f}",
        ] {
            let mut out = Vec::new();
            push_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }
}
