//! What every error family has in common: the [`ErrorCode`] trait, the spec
//! data of one code ([`ErrorInfo`]) and the catch-all for codes this version
//! does not know ([`UnknownCode`]).

use std::fmt;

use crate::{Family, RetryClass, RetryPolicy, UserAction};

/// What the spec says about one known error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorInfo {
    /// The family the code belongs to.
    pub family: Family,
    /// The wire code, for example `"invalid_key"`.
    pub code: &'static str,
    /// Developer-facing description.
    pub description: &'static str,
    /// The only text an end user may be shown.
    pub user_message: &'static str,
    /// What the end user can do about it.
    pub user_action: UserAction,
    /// Whether the specific reason may be surfaced to end users at all; when
    /// `false`, `user_message` is a deliberately generic text.
    pub user_facing: bool,
    /// How a client reacts to the error.
    pub retry_class: RetryClass,
    /// HTTP status, for families carried by one.
    pub http_status: Option<u16>,
    /// Spec version in which the code appeared.
    pub since: &'static str,
    /// Spec version in which the code was retired: it is never sent again and
    /// never reused, but clients still understand it.
    pub retired: Option<&'static str>,
    /// A Keyward extension beyond the public error reference.
    pub extension: bool,
}

/// What the spec says about a family, including how to treat a code from it
/// that this version does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FamilyInfo {
    /// The family.
    pub family: Family,
    /// Developer-facing description of the family.
    pub description: &'static str,
    /// User message for an unknown code.
    pub unknown_user_message: &'static str,
    /// User action for an unknown code.
    pub unknown_user_action: UserAction,
    /// Retry class for an unknown code.
    pub unknown_retry_class: RetryClass,
    /// HTTP status for an unknown code, for families carried by one.
    pub unknown_http_status: Option<u16>,
}

/// The raw text of an error code this version does not know, kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownCode(Box<str>);

impl UnknownCode {
    /// Keeps `code` as it was received.
    pub fn new(code: &str) -> Self {
        Self(code.into())
    }

    /// The code as it was received.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The interface shared by every error family enum.
///
/// Every family enum also has these methods as inherent methods, so the trait
/// only needs importing for code that is generic over families.
pub trait ErrorCode:
    Clone + fmt::Debug + fmt::Display + std::error::Error + Send + Sync + 'static
{
    /// The family of this enum.
    const FAMILY: Family;

    /// Every known code of the family, retired ones included, in spec order.
    const ALL: &'static [Self];

    /// The error for `code`; a code this version does not know is kept in the
    /// catch-all variant. Never fails.
    fn from_code(code: &str) -> Self;

    /// The error for `code` if this version knows it.
    fn known(code: &str) -> Option<Self>;

    /// The spec data of a known code; `None` for the catch-all.
    fn info(&self) -> Option<&'static ErrorInfo>;

    /// The wire code; for the catch-all, the raw text that was received.
    fn code(&self) -> &str;

    /// Whether this is a code this version does not know.
    #[inline]
    fn is_unknown(&self) -> bool {
        self.info().is_none()
    }

    /// Developer-facing description.
    #[inline]
    fn description(&self) -> &'static str {
        match self.info() {
            Some(info) => info.description,
            None => Self::FAMILY.info().description,
        }
    }

    /// The only text an end user may be shown.
    #[inline]
    fn user_message(&self) -> &'static str {
        match self.info() {
            Some(info) => info.user_message,
            None => Self::FAMILY.info().unknown_user_message,
        }
    }

    /// What the end user can do about it.
    #[inline]
    fn user_action(&self) -> UserAction {
        match self.info() {
            Some(info) => info.user_action,
            None => Self::FAMILY.info().unknown_user_action,
        }
    }

    /// Whether the specific reason may be surfaced to end users at all.
    #[inline]
    fn user_facing(&self) -> bool {
        self.info().is_some_and(|info| info.user_facing)
    }

    /// How a client reacts to the error.
    #[inline]
    fn retry_class(&self) -> RetryClass {
        match self.info() {
            Some(info) => info.retry_class,
            None => Self::FAMILY.info().unknown_retry_class,
        }
    }

    /// The numbers of [`ErrorCode::retry_class`].
    #[inline]
    fn retry_policy(&self) -> &'static RetryPolicy {
        self.retry_class().policy()
    }
}

/// Implements everything a family enum has beyond its generated tables: the
/// [`ErrorCode`] trait, its methods as inherent methods, `Display`, `Error`,
/// `FromStr`, serde with the code as wire name, and `JsonSchema`.
macro_rules! impl_family {
    ($ty:ident, $family:expr) => {
        impl $ty {
            /// The error for `code`; a code this version does not know is kept
            /// in the catch-all variant. Never fails.
            #[inline]
            pub fn from_code(code: &str) -> Self {
                match Self::parse_known(code) {
                    Some(known) => known,
                    None => Self::Unknown($crate::UnknownCode::new(code)),
                }
            }

            /// The error for `code` if this version knows it.
            #[inline]
            pub fn known(code: &str) -> Option<Self> {
                Self::parse_known(code)
            }

            /// The wire code of a known error; `None` for the catch-all.
            #[inline]
            pub fn known_code(&self) -> Option<&'static str> {
                match self.info() {
                    Some(info) => Some(info.code),
                    None => None,
                }
            }

            /// Whether this is a code this version does not know.
            #[inline]
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }

            /// Developer-facing description.
            #[inline]
            pub fn description(&self) -> &'static str {
                <Self as $crate::ErrorCode>::description(self)
            }

            /// The only text an end user may be shown.
            #[inline]
            pub fn user_message(&self) -> &'static str {
                <Self as $crate::ErrorCode>::user_message(self)
            }

            /// What the end user can do about it.
            #[inline]
            pub fn user_action(&self) -> $crate::UserAction {
                <Self as $crate::ErrorCode>::user_action(self)
            }

            /// Whether the specific reason may be surfaced to end users at all.
            #[inline]
            pub fn user_facing(&self) -> bool {
                <Self as $crate::ErrorCode>::user_facing(self)
            }

            /// How a client reacts to the error.
            #[inline]
            pub fn retry_class(&self) -> $crate::RetryClass {
                <Self as $crate::ErrorCode>::retry_class(self)
            }

            /// The numbers of the retry class.
            #[inline]
            pub fn retry_policy(&self) -> &'static $crate::RetryPolicy {
                <Self as $crate::ErrorCode>::retry_policy(self)
            }

            /// Every known code of the family, retired ones included.
            #[inline]
            pub fn iter() -> impl ExactSizeIterator<Item = Self> + Clone {
                Self::ALL.iter().cloned()
            }
        }

        impl $crate::ErrorCode for $ty {
            const FAMILY: $crate::Family = $family;
            const ALL: &'static [Self] = Self::ALL;

            #[inline]

            fn from_code(code: &str) -> Self {
                Self::from_code(code)
            }

            #[inline]

            fn known(code: &str) -> Option<Self> {
                Self::parse_known(code)
            }

            #[inline]

            fn info(&self) -> Option<&'static $crate::ErrorInfo> {
                Self::info(self)
            }

            #[inline]

            fn code(&self) -> &str {
                Self::code(self)
            }
        }

        impl ::std::fmt::Display for $ty {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    Self::Unknown(raw) => write!(
                        f,
                        "{}: unknown {} error code",
                        raw,
                        <Self as $crate::ErrorCode>::FAMILY.as_str()
                    ),
                    known => write!(f, "{}: {}", known.code(), known.description()),
                }
            }
        }

        impl ::std::error::Error for $ty {}

        impl ::std::str::FromStr for $ty {
            type Err = ::std::convert::Infallible;

            #[inline]

            fn from_str(code: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_code(code))
            }
        }

        impl From<&str> for $ty {
            #[inline]
            fn from(code: &str) -> Self {
                Self::from_code(code)
            }
        }

        impl ::serde::Serialize for $ty {
            #[inline]
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            #[inline]
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                deserializer.deserialize_str($crate::family::CodeVisitor::<Self>::default())
            }
        }

        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for $ty {
            #[inline]
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }

            #[inline]

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                $crate::family::code_schema::<Self>()
            }
        }
    };
}
pub(crate) use impl_family;

/// Deserializes a code from a string without allocating for known codes.
pub(crate) struct CodeVisitor<T>(std::marker::PhantomData<T>);

impl<T> Default for CodeVisitor<T> {
    fn default() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<T: ErrorCode> serde::de::Visitor<'_> for CodeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} error code string", T::FAMILY.as_str())
    }

    fn visit_str<E: serde::de::Error>(self, code: &str) -> Result<T, E> {
        Ok(T::from_code(code))
    }
}

/// The JSON Schema of a family's codes: one `const` per known code with its
/// description, retired codes marked deprecated.
#[cfg(feature = "schemars")]
pub(crate) fn code_schema<T: ErrorCode>() -> schemars::Schema {
    let one_of: Vec<serde_json::Value> = T::ALL
        .iter()
        .filter_map(ErrorCode::info)
        .map(|info| {
            let mut variant = serde_json::json!({
                "const": info.code,
                "description": info.description,
            });
            if info.retired.is_some() {
                variant["deprecated"] = serde_json::Value::Bool(true);
            }
            variant
        })
        .collect();
    schemars::json_schema!({
        "type": "string",
        "description": T::FAMILY.info().description,
        "oneOf": one_of,
    })
}
