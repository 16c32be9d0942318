//! One HTTP operation of the contract and the codes it can answer; the
//! generated [`OPERATIONS`](crate::OPERATIONS) lists every one.

use crate::{ErrorInfo, Family};

/// What the spec says about one HTTP operation (an `[[operation]]`).
///
/// ```
/// use keyward_errors::{ApiError, OperationInfo};
///
/// let create = OperationInfo::find("POST", "/v1/apps/app_1/licenses").expect("declared");
/// assert_eq!(create.path, "/v1/apps/{appId}/licenses");
/// assert!(create.answers(ApiError::NoCredits.code()));
/// let account = OperationInfo::find("GET", "/v1/account").expect("declared");
/// assert!(!account.answers(ApiError::NoCredits.code()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationInfo {
    /// The operation's name (`CreateLicenses`): its OpenAPI `operationId`,
    /// and, where several operations share a family, the name of its error
    /// enum (`CreateLicensesError`).
    pub name: &'static str,
    /// The HTTP method, upper case (`"GET"`).
    pub method: &'static str,
    /// The path template: each `{name}` segment is a parameter.
    pub path: &'static str,
    /// One line on what the operation does.
    pub summary: &'static str,
    /// The family of every code in `errors`.
    pub family: Family,
    /// Every code the server may answer on this operation, the family's
    /// defaults included.
    pub errors: &'static [&'static ErrorInfo],
    /// Codes the SDK may detect itself on this call.
    pub client_errors: &'static [&'static ErrorInfo],
}

impl OperationInfo {
    /// Whether the server may answer `code` on this operation.
    #[must_use]
    pub fn answers(&self, code: &str) -> bool {
        self.errors.iter().any(|info| info.code == code)
    }

    /// Whether a request of `method` on `path` (no query) is this operation:
    /// a `{name}` segment of the template matches any one non-empty segment.
    #[must_use]
    pub fn matches(&self, method: &str, path: &str) -> bool {
        if self.method != method {
            return false;
        }
        let mut template = self.path.split('/');
        let mut actual = path.split('/');
        loop {
            match (template.next(), actual.next()) {
                (None, None) => return true,
                (Some(expected), Some(segment)) => {
                    let parameter = expected.starts_with('{') && expected.ends_with('}');
                    if !(parameter && !segment.is_empty() || expected == segment) {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }

    /// The declared operation of a request, if there is one.
    #[must_use]
    pub fn find(method: &str, path: &str) -> Option<&'static OperationInfo> {
        crate::OPERATIONS
            .iter()
            .find(|operation| operation.matches(method, path))
    }
}
