//! What every error family has in common: the [`ErrorCode`] trait, the spec
//! data of one code ([`ErrorInfo`]), the catch-all for codes this version
//! does not know ([`UnknownCode`]), and the helpers the generated serde and
//! `JsonSchema` impls call.

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
    /// For a retired code: the code sent in its place since (`system_error` for the
    /// auth families' `internal_error`).
    pub replaced_by: Option<&'static str>,
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
///
/// Opaque on purpose: it is only made by `from_code` (and serde) for a code
/// the family does not know, and read through the family enum's
/// `code()`. Do not match on the `Unknown` variant that holds it: see the
/// family enums' "Matching" section. The variant is deprecated, so such an
/// arm warns (and fails where warnings are denied):
///
/// ```compile_fail
/// #![deny(deprecated)]
/// use keyward_errors::ValidateError;
///
/// let error = ValidateError::from_code("quantum_flux");
/// assert!(matches!(error, ValidateError::Unknown(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownCode(Box<str>);

impl UnknownCode {
    /// Keeps `code` as it was received.
    pub(crate) fn new(code: &str) -> Self {
        Self(code.into())
    }

    /// The code as it was received.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for UnknownCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The interface shared by every error family enum, for code that is generic
/// over families.
///
/// One template: `cargo xtask codegen` writes each family's whole API (its
/// inherent methods, this trait's impl, `Display`, `Error`, `FromStr`, serde
/// and `JsonSchema`) from `xtask/src/codegen/rust.rs`, and this crate writes
/// none of it by hand. The generator, not a `macro_rules!` here, because it
/// already holds the per-family data, and the code it writes can be read in
/// `generated.rs` and in rustdoc as it is. The trait therefore has no
/// default methods: each family's impl forwards to its inherent methods,
/// which hold the one implementation (and are `const` where they can be), so
/// calling them needs no import of this trait.
pub trait ErrorCode:
    Clone + fmt::Debug + fmt::Display + std::error::Error + Send + Sync + 'static
{
    /// The family of this enum.
    const FAMILY: Family;

    /// Every known code of the family, retired ones included, in spec order.
    const ALL: &'static [Self];

    /// The error for `code`; a code this version does not know is kept in the
    /// catch-all variant. Never fails.
    #[must_use]
    fn from_code(code: &str) -> Self;

    /// The error for `code` if this version knows it.
    #[must_use]
    fn known(code: &str) -> Option<Self>;

    /// The spec data of a known code; `None` for the catch-all.
    #[must_use]
    fn info(&self) -> Option<&'static ErrorInfo>;

    /// The wire code; for the catch-all, the raw text that was received.
    #[must_use]
    fn code(&self) -> &str;

    /// Whether this is a code this version does not know.
    #[must_use]
    fn is_unknown(&self) -> bool;

    /// Developer-facing description.
    #[must_use]
    fn description(&self) -> &'static str;

    /// The only text an end user may be shown.
    #[must_use]
    fn user_message(&self) -> &'static str;

    /// What the end user can do about it.
    #[must_use]
    fn user_action(&self) -> UserAction;

    /// Whether the specific reason may be surfaced to end users at all.
    #[must_use]
    fn user_facing(&self) -> bool;

    /// How a client reacts to the error.
    #[must_use]
    fn retry_class(&self) -> RetryClass;

    /// The numbers of [`ErrorCode::retry_class`].
    #[must_use]
    fn retry_policy(&self) -> &'static RetryPolicy;
}

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
