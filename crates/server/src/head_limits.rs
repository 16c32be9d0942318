//! Limits on the request head, answered in the route's envelope: an over-long URI or
//! over-large headers are `bad_request` with a request id, where hyper would answer an
//! empty `414` or `431`. hyper's own limits lie above these (see `crate::conn`), so
//! only heads far past them get hyper's bare answer.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keyward_errors::{FieldError, HeartbeatError, SelfBanError, ValidateError};

use crate::api::DefaultFailure;

/// Longest accepted URI (path and query), in bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Largest accepted header section (names, values and separators), in bytes.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Middleware: refuses a request whose URI or headers are over the limits.
pub async fn refuse_oversized_head(request: Request, next: Next) -> Response {
    match oversized(&request) {
        Some(field) => bad_request_for(request.uri().path(), field),
        None => next.run(request).await,
    }
}

fn oversized(request: &Request) -> Option<FieldError> {
    let uri_bytes = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if uri_bytes > MAX_URI_BYTES {
        return Some(FieldError::new(
            "uri",
            format!("must be at most {MAX_URI_BYTES} bytes"),
        ));
    }
    // Each header line also carries ": " and "\r\n".
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    (header_bytes > MAX_HEADER_BYTES).then(|| {
        FieldError::new(
            "headers",
            format!("must be at most {MAX_HEADER_BYTES} bytes in all"),
        )
    })
}

/// `bad_request` naming `field`, in the envelope of the route at `path`: the auth
/// failure body of its family on the auth endpoints, the Developer API body elsewhere.
pub(crate) fn bad_request_for(path: &str, field: FieldError) -> Response {
    match path {
        "/auth/validate" => crate::auth::failure(ValidateError::BadRequest, Some(vec![field])),
        "/auth/heartbeat" => crate::auth::failure(HeartbeatError::BadRequest, Some(vec![field])),
        "/auth/selfban" => crate::auth::failure(SelfBanError::BadRequest, Some(vec![field])),
        _ => DefaultFailure::bad_fields(vec![field]).into_response(),
    }
}
