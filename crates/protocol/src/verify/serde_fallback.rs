//! The authoritative `serde_json` parses behind the fast paths of [`crate::json_scan`]: the
//! response envelope (one pass, borrowed strings, lenient field types, repeated fields
//! rejected) and the payload's `nonce`. They run whenever a fast path defers, and give the
//! answer or the error the caller reports.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::ResponseError;
use crate::fields::Field;
use crate::json_scan::is_object;
use crate::wire::{Status, classify_str};

/// How the `status` field reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StatusClass {
    Success,
    NotSuccess,
}

/// The fields of a response envelope that the checks read; a string field is borrowed from
/// the body when it has no escapes.
#[derive(Default)]
pub(super) struct Envelope<'a> {
    pub(super) status: Option<StatusClass>,
    pub(super) payload: Option<Field<'a>>,
    pub(super) signature: Option<Field<'a>>,
    pub(super) key_id: Option<Field<'a>>,
    pub(super) error: Option<Field<'a>>,
    pub(super) message: Option<Field<'a>>,
    pub(super) details: Option<Value>,
}

pub(super) enum EnvelopeError {
    NotJson,
    NotObject,
    Data(String),
}

pub(super) fn parse_envelope(body: &[u8]) -> Result<Envelope<'_>, EnvelopeError> {
    if !is_object(body) {
        return match serde_json::from_slice::<IgnoredAny>(body) {
            Ok(_) => Err(EnvelopeError::NotObject),
            Err(_) => Err(EnvelopeError::NotJson),
        };
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let env = (&mut de)
        .deserialize_map(EnvelopeVisitor)
        .and_then(|env| de.end().map(|()| env));
    env.map_err(|e| match e.classify() {
        serde_json::error::Category::Data => EnvelopeError::Data(e.to_string()),
        _ => EnvelopeError::NotJson,
    })
}

/// The only field of the payload that checks 1–4 need, borrowed from the decoded JSON
/// when it has no escapes; every other field is skipped without being built.
#[derive(Deserialize)]
struct NonceOnly<'a> {
    #[serde(borrow)]
    nonce: Cow<'a, str>,
}

/// The `nonce` of a complete payload JSON, which must be an object.
pub(crate) fn payload_nonce(json: &[u8]) -> Result<Cow<'_, str>, ResponseError> {
    if !is_object(json) {
        return Err(ResponseError::Malformed(
            "payload is not a JSON object".to_owned(),
        ));
    }
    serde_json::from_slice::<NonceOnly<'_>>(json)
        .map(|only| only.nonce)
        .map_err(|e| ResponseError::Malformed(format!("payload: {e}")))
}

enum Key {
    Status,
    Payload,
    Signature,
    SignerId,
    Error,
    Message,
    Details,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "status" => Key::Status,
                    "payload" => Key::Payload,
                    "signature" => Key::Signature,
                    "keyId" => Key::SignerId,
                    "error" => Key::Error,
                    "message" => Key::Message,
                    "details" => Key::Details,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for StatusClass {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StatusClassVisitor;
        impl<'de> Visitor<'de> for StatusClassVisitor {
            type Value = StatusClass;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusClass, E> {
                Ok(match classify_str(v) {
                    Some(Status::Success) => StatusClass::Success,
                    _ => StatusClass::NotSuccess,
                })
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<StatusClass, E> {
                Ok(if v {
                    StatusClass::Success
                } else {
                    StatusClass::NotSuccess
                })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusClass, E> {
                Ok(if v == 1 {
                    StatusClass::Success
                } else {
                    StatusClass::NotSuccess
                })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StatusClass, E> {
                Ok(if v == 1 {
                    StatusClass::Success
                } else {
                    StatusClass::NotSuccess
                })
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<StatusClass, E> {
                Ok(StatusClass::NotSuccess)
            }
            fn visit_unit<E: de::Error>(self) -> Result<StatusClass, E> {
                Ok(StatusClass::NotSuccess)
            }
            fn visit_none<E: de::Error>(self) -> Result<StatusClass, E> {
                Ok(StatusClass::NotSuccess)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusClass, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(StatusClass::NotSuccess)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StatusClass, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(StatusClass::NotSuccess)
            }
        }
        deserializer.deserialize_any(StatusClassVisitor)
    }
}

struct EnvelopeVisitor;

/// Store a field's value, rejecting a second occurrence of the same field.
fn set_once<T, E: de::Error>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    *slot = Some(value);
    Ok(())
}

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut env = Envelope::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Status => set_once(&mut env.status, map.next_value()?, "status")?,
                Key::Payload => set_once(&mut env.payload, map.next_value()?, "payload")?,
                Key::Signature => set_once(&mut env.signature, map.next_value()?, "signature")?,
                Key::SignerId => set_once(&mut env.key_id, map.next_value()?, "keyId")?,
                Key::Error => set_once(&mut env.error, map.next_value()?, "error")?,
                Key::Message => set_once(&mut env.message, map.next_value()?, "message")?,
                Key::Details => set_once(&mut env.details, map.next_value()?, "details")?,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(env)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::json_scan::success_envelope;

    fn member(
        keys: &[&'static str],
        values: &[&'static str],
    ) -> impl Strategy<Value = String> + use<> {
        let ws = prop::sample::select(vec!["", " ", "\n "]);
        (
            prop::sample::select(keys.to_vec()),
            prop::sample::select(values.to_vec()),
            ws,
        )
            .prop_map(|(k, v, ws)| format!(r#"{ws}"{k}"{ws}:{ws}{v}{ws}"#))
    }

    /// Envelope-shaped bodies, mostly successes: a status, a payload and a signature of
    /// varied types, and up to three more members (repeated or escaped names, failure
    /// fields, values of every kind), in any order.
    fn envelope() -> impl Strategy<Value = String> {
        let text = [r#""abc""#, r#""QUJD""#, r#""""#, r#""a\"b""#, "null", "1"];
        let any_value = [
            r#""success""#,
            "true",
            "false",
            "2",
            r#""failed""#,
            r#""abc""#,
            r#""a\"b""#,
            "null",
            r#"[1,{"a":"]"}]"#,
            "{}",
        ];
        let extra = member(
            &[
                "other",
                "x",
                "status",
                "error",
                "details",
                "keyId",
                r"pay\u006coad",
            ],
            &any_value,
        );
        (
            member(
                &["status"],
                &[
                    r#""success""#,
                    r#""ok""#,
                    "true",
                    "1",
                    r#""failed""#,
                    "null",
                ],
            ),
            member(&["payload"], &text),
            member(&["signature"], &text),
            prop::collection::vec(extra, 0..4),
        )
            .prop_flat_map(|(status, payload, signature, mut members)| {
                members.extend([status, payload, signature]);
                Just(members).prop_shuffle()
            })
            .prop_map(|members| format!("{{{}}}", members.join(",")))
    }

    #[test]
    fn a_plain_success_takes_the_fast_path() {
        let body = br#"{"status":"success","payload":"abc","signature":"def"}"#;
        let env = success_envelope(body).unwrap();
        assert_eq!(
            (env.payload, env.signature, env.key_id),
            ("abc", "def", None)
        );
        let body = br#"{"status":"success","payload":"abc","signature":"def","keyId":"k1"}"#;
        assert_eq!(success_envelope(body).unwrap().key_id, Some("k1"));
    }

    proptest! {
        // About one body in sixteen takes the fast path: enough cases to see many.
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Agree or defer: whenever the fast path reads an envelope, this parse reads the
        /// same success with the same payload and signature.
        #[test]
        fn the_fast_path_agrees_with_the_full_parse(body in envelope()) {
            if let Some(fast) = success_envelope(body.as_bytes()) {
                let Ok(env) = parse_envelope(body.as_bytes()) else {
                    return Err(TestCaseError::fail(format!("fast path read {body}")));
                };
                prop_assert_eq!(env.status, Some(StatusClass::Success));
                prop_assert_eq!(env.payload, Some(Field::Text(Cow::Borrowed(fast.payload))));
                prop_assert_eq!(env.signature, Some(Field::Text(Cow::Borrowed(fast.signature))));
                prop_assert_eq!(env.key_id, fast.key_id.map(|id| Field::Text(Cow::Borrowed(id))));
                prop_assert!(env.error.is_none() && env.message.is_none() && env.details.is_none());
            }
        }
    }
}
