//! Which spec a client knows, so that a code retired in favour of a newer one still reaches
//! the clients that know only the retired code.
//!
//! Keyward's SDK names the spec version it was built against in a request header;
//! Keyward clients from before that header are recognised by their User-Agent and taken
//! to know [`UNDECLARED_KEYWARD_SPEC`]. Every other client (the reference service's SDKs)
//! gets the newest codes, which are the reference's own.

use axum::http::{HeaderMap, header};
use keyward_errors::ErrorCode;

pub use keyward_protocol::SPEC_VERSION_HEADER;

/// The spec a Keyward client that sends no [`SPEC_VERSION_HEADER`] was built against: the
/// last version before the header.
pub const UNDECLARED_KEYWARD_SPEC: &str = "1.2.0";

/// The User-Agent prefix of Keyward's SDK.
const KEYWARD_USER_AGENT: &str = "keyward-client/";

/// A `major.minor.patch` spec version.
type Version = (u64, u64, u64);

fn parse(text: &str) -> Option<Version> {
    let mut parts = text
        .trim()
        .splitn(3, '.')
        .map(|part| part.parse::<u64>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

/// The spec version a client knows; `None`: the newest (this server's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ClientSpec(Option<Version>);

impl ClientSpec {
    /// From the request's headers. An unreadable version counts as the newest: only a
    /// client that says it is older gets older codes.
    pub(crate) fn of(headers: &HeaderMap) -> Self {
        if let Some(value) = headers.get(SPEC_VERSION_HEADER) {
            return Self(value.to_str().ok().and_then(parse));
        }
        let keyward = headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|agent| agent.starts_with(KEYWARD_USER_AGENT));
        Self(keyward.then(|| parse(UNDECLARED_KEYWARD_SPEC)).flatten())
    }

    /// Whether the client knows the newest spec (this server's).
    #[cfg(feature = "test-util")]
    pub(crate) fn is_newest(self) -> bool {
        self.0
            .is_none_or(|known| parse(keyward_errors::SPEC_VERSION).is_none_or(|v| known >= v))
    }

    /// The code to send this client for `error`: `error` itself, unless the client's spec
    /// predates it and knows a retired code that `error` replaced (`internal_error` for
    /// `system_error`).
    pub(crate) fn answer<E: ErrorCode + Clone>(self, error: E) -> E {
        let (Some(known), Some(info)) = (self.0, error.info()) else {
            return error;
        };
        if parse(info.since).is_none_or(|since| since <= known) {
            return error;
        }
        E::ALL
            .iter()
            .find(|old| {
                old.info().is_some_and(|old| {
                    old.replaced_by == Some(info.code)
                        && parse(old.since).is_some_and(|since| since <= known)
                })
            })
            .cloned()
            .unwrap_or(error)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use keyward_errors::{HeartbeatError, ValidateError};

    use super::*;

    fn spec(headers: &[(&'static str, &'static str)]) -> ClientSpec {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        ClientSpec::of(&map)
    }

    #[test]
    #[allow(deprecated)]
    fn older_keyward_clients_get_the_code_they_know() {
        let legacy = spec(&[("user-agent", "keyward-client/0.1.0")]);
        assert_eq!(
            legacy.answer(ValidateError::SystemError),
            ValidateError::InternalError
        );
        assert_eq!(
            legacy.answer(HeartbeatError::SystemError),
            HeartbeatError::InternalError
        );
        // A code the old spec has already is sent as it is.
        assert_eq!(
            legacy.answer(ValidateError::Revoked),
            ValidateError::Revoked
        );
        let declared = spec(&[(SPEC_VERSION_HEADER, "1.1.0")]);
        assert_eq!(
            declared.answer(ValidateError::SystemError),
            ValidateError::InternalError
        );
    }

    #[test]
    fn current_and_foreign_clients_get_the_newest_code() {
        for headers in [
            &[][..],
            &[("user-agent", "python-requests/2.31")][..],
            &[(SPEC_VERSION_HEADER, keyward_errors::SPEC_VERSION)][..],
            &[(SPEC_VERSION_HEADER, "not a version")][..],
            &[
                ("user-agent", "keyward-client/0.2.0"),
                (SPEC_VERSION_HEADER, "1.3.0"),
            ][..],
        ] {
            assert_eq!(
                spec(headers).answer(ValidateError::SystemError),
                ValidateError::SystemError,
                "{headers:?}"
            );
        }
    }
}
