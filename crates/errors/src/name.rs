//! The error of parsing a spec name (`"permanent"`, `"check_key"`, `"api"`)
//! into [`UserAction`](crate::UserAction), [`RetryClass`](crate::RetryClass)
//! or [`Family`](crate::Family).

use std::fmt;

/// A name the spec does not define, with the text that was rejected.
///
/// ```
/// use keyward_errors::RetryClass;
///
/// assert_eq!("permanent".parse::<RetryClass>(), Ok(RetryClass::Permanent));
/// let error = "sometimes".parse::<RetryClass>().unwrap_err();
/// assert_eq!(error.name(), "sometimes");
/// assert_eq!(error.to_string(), "unknown retry class \"sometimes\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownName {
    kind: &'static str,
    name: Box<str>,
}

impl UnknownName {
    pub(crate) fn new(kind: &'static str, name: &str) -> Self {
        Self {
            kind,
            name: name.into(),
        }
    }

    /// The rejected text, as it was given.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What was being parsed: `"user action"`, `"retry class"`, `"family"` or `"locale"`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        self.kind
    }
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}", self.kind, self.name)
    }
}

impl std::error::Error for UnknownName {}
