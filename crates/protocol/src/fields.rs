//! Reads the named fields of a request's JSON object in one pass, without building a
//! JSON tree: strings are borrowed from the body unless they contain escapes, and the
//! values of unknown fields are skipped. Every field keeps enough of what it held
//! (missing, null, a string, something else) for the parsers in [`crate::wire`] to name
//! each bad field. A field given twice keeps its last value, as JSON objects do.

use std::borrow::Cow;
use std::fmt;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// What a JSON object (a request, or a response envelope) held under one field name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Field<'a> {
    /// Not present.
    #[default]
    Missing,
    /// `null`.
    Null,
    /// A string.
    Text(Cow<'a, str>),
    /// An integer: written without fraction or exponent, or beyond 64 bits (which JSON
    /// parsers read as a float); saturated at the bounds of `i128`.
    Integer(i128),
    /// `true` or `false`.
    Bool(bool),
    /// Another number, an array or an object.
    Other,
}

/// Why a body could not be read as an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Not JSON at all (syntax, truncation, bad UTF-8, nesting too deep).
    NotJson,
    /// JSON, but not an object.
    NotAnObject,
}

/// A field's wire name and what the object held under it.
pub(crate) type Named<'a> = (&'static str, Field<'a>);

/// The fields called `names` of the JSON object in `body`, in the order of `names`.
pub(crate) fn read<'a, const N: usize>(
    body: &'a [u8],
    names: [&'static str; N],
) -> Result<[Named<'a>; N], BodyError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let fields = Fields { names: &names }
        .deserialize(&mut de)
        .map_err(|_| BodyError::NotJson)?;
    de.end().map_err(|_| BodyError::NotJson)?;
    Ok(named(names, fields.ok_or(BodyError::NotAnObject)?))
}

/// Like [`read`], from an already parsed JSON value.
pub(crate) fn read_value<'a, const N: usize>(
    value: &'a serde_json::Value,
    names: [&'static str; N],
) -> Result<[Named<'a>; N], BodyError> {
    let fields = Fields { names: &names }
        .deserialize(value)
        .map_err(|_| BodyError::NotJson)?
        .ok_or(BodyError::NotAnObject)?;
    Ok(named(names, fields))
}

fn named<'a, const N: usize>(names: [&'static str; N], fields: [Field<'a>; N]) -> [Named<'a>; N] {
    let mut fields = fields.into_iter();
    names.map(|name| (name, fields.next().unwrap_or_default()))
}

/// Seed and visitor of the top-level object: `None` if the value is not an object.
struct Fields<'n, const N: usize> {
    names: &'n [&'static str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for Fields<'_, N> {
    type Value = Option<[Field<'de>; N]>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for Fields<'_, N> {
    type Value = Option<[Field<'de>; N]>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields: [Field<'de>; N] = std::array::from_fn(|_| Field::Missing);
        while let Some(index) = map.next_key_seed(KeyIndex { names: self.names })? {
            match index {
                Some(i) => fields[i] = map.next_value()?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(fields))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A key, as its index in `names` (`None` for a field no one reads).
struct KeyIndex<'n, const N: usize> {
    names: &'n [&'static str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for KeyIndex<'_, N> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for KeyIndex<'_, N> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.names.iter().position(|name| *name == key))
    }
}

impl<'de> de::Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldVisitor)
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Field::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Field::Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Field::Text(Cow::Owned(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Field::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Field::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Field::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Field::Integer(i128::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Field::Integer(i128::from(v)))
    }

    /// A float is an integer only beyond the 64-bit range, where `serde_json` puts every
    /// integer it reads (`3600.0` and `1e3` stay numbers that are not integers).
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        const BEYOND_64_BITS: f64 = 9_223_372_036_854_775_808.0;
        if v.is_finite() && v.fract() == 0.0 && v.abs() >= BEYOND_64_BITS {
            // `as` saturates at the bounds of i128.
            Ok(Field::Integer(v as i128))
        } else {
            Ok(Field::Other)
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| Field::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_map(map).map(|_| Field::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 3] = ["a", "b", "c"];

    #[test]
    fn reads_named_fields_and_skips_the_rest() {
        let body = br#"{"x":{"deep":[1,{"y":2}]},"a":"plain","b":"esc\"aped","c":null}"#;
        let [(name, a), (_, b), (_, c)] = read(body, NAMES).unwrap();
        assert_eq!(name, "a");
        assert_eq!(a, Field::Text(Cow::Borrowed("plain")));
        assert!(matches!(&a, Field::Text(Cow::Borrowed(_))), "no copy");
        assert_eq!(b, Field::Text(Cow::Owned("esc\"aped".to_owned())));
        assert_eq!(c, Field::Null);
    }

    #[test]
    fn kinds_of_values_and_duplicates() {
        let body = br#"{"a":1,"b":[],"a":"last wins"}"#;
        let [(_, a), (_, b), (_, c)] = read(body, NAMES).unwrap();
        assert_eq!(a, Field::Text(Cow::Borrowed("last wins")));
        assert_eq!(b, Field::Other);
        assert_eq!(c, Field::Missing);
        assert_eq!(
            read(br#"{"a":true}"#, NAMES).unwrap()[0].1,
            Field::Bool(true)
        );
        for other in [
            &br#"{"a":-1.5}"#[..],
            br#"{"a":{}}"#,
            br#"{"a":3600.0}"#,
            br#"{"a":1e3}"#,
        ] {
            assert_eq!(read(other, NAMES).unwrap()[0].1, Field::Other);
        }
        for (integer, value) in [
            (&br#"{"a":-7}"#[..], -7),
            (br#"{"a":18446744073709551615}"#, i128::from(u64::MAX)),
            (br#"{"a":100000000000000000000000000000}"#, 1e29 as i128),
            (br#"{"a":-1e300}"#, i128::MIN),
        ] {
            assert_eq!(read(integer, NAMES).unwrap()[0].1, Field::Integer(value));
        }
    }

    #[test]
    fn bodies_that_are_not_objects() {
        for body in [&b"[1,2]"[..], b"null", b"\"x\"", b"1", b"true"] {
            assert_eq!(read(body, NAMES), Err(BodyError::NotAnObject), "{body:?}");
        }
        for body in [&b""[..], b"{", b"{} x", b"\xff", b"{\"a\":\"\xff\"}"] {
            assert_eq!(read(body, NAMES), Err(BodyError::NotJson), "{body:?}");
        }
    }

    /// Deep nesting anywhere is skipped or refused without exhausting the stack.
    #[test]
    fn deep_nesting() {
        const DEPTH: usize = 100_000;
        let array = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
        assert_eq!(read(array.as_bytes(), NAMES), Err(BodyError::NotAnObject));
        for name in ["a", "unknown"] {
            let objects = format!("{}0{}", r#"{"k":"#.repeat(DEPTH), "}".repeat(DEPTH));
            let body = format!(r#"{{"{name}":{objects}}}"#);
            let result = read(body.as_bytes(), NAMES);
            assert!(
                matches!(result, Ok(_) | Err(BodyError::NotJson)),
                "field {name}"
            );
        }
    }

    #[test]
    fn values_read_the_same_as_bodies() {
        let body = br#"{"a":"t","b":null,"c":[1]}"#;
        let value: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(
            read(body, NAMES).unwrap(),
            read_value(&value, NAMES).unwrap()
        );
        let list = serde_json::json!([1]);
        assert_eq!(read_value(&list, NAMES), Err(BodyError::NotAnObject));
    }
}
