//! The building blocks of the wire envelopes that `spec/errors.toml` declares
//! (the envelopes themselves are generated).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The literal `"failed"` of an auth failure's `status` field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Failed;

impl Failed {
    /// The wire text.
    pub const TEXT: &'static str = "failed";
}

impl Serialize for Failed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(Self::TEXT)
    }
}

impl<'de> Deserialize<'de> for Failed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FailedVisitor;
        impl serde::de::Visitor<'_> for FailedVisitor {
            type Value = Failed;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "the string {:?}", Failed::TEXT)
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Failed, E> {
                if text == Failed::TEXT {
                    Ok(Failed)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(text), &self))
                }
            }
        }
        deserializer.deserialize_str(FailedVisitor)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Failed {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Failed".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "const": Failed::TEXT })
    }
}

/// One bad field of a malformed request (the `details` of `bad_request`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct FieldError {
    /// The field's wire name, for example `"licenseKey"`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A bad `field` and what is wrong with it.
    #[must_use]
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
