//! Developer API errors as axum responses: the spec's status, the
//! `{"error", "message"}` body and `Retry-After` where the class honours it.

use std::borrow::Cow;
use std::time::Duration;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::{ApiError, ApiErrorBody, FieldError, RetryClass};

/// A Developer API error response, with an optional developer message in
/// place of the spec's description, the bad fields of a `bad_request` and an
/// optional `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiErrorResponse {
    error: ApiError,
    message: Option<Cow<'static, str>>,
    details: Option<Vec<FieldError>>,
    retry_after: Option<Duration>,
}

impl ApiErrorResponse {
    /// The response for `error`, with the spec's description as message.
    #[must_use]
    pub fn new(error: ApiError) -> Self {
        Self {
            error,
            message: None,
            details: None,
            retry_after: None,
        }
    }

    /// Replaces the message; it must be developer text with no secret in it.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Lists the bad fields (`details`), for `bad_request`.
    #[must_use]
    pub fn with_details(mut self, details: Vec<FieldError>) -> Self {
        self.details = Some(details);
        self
    }

    /// Sets `Retry-After` (rounded up to whole seconds, at least 1).
    #[must_use]
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    /// The error.
    #[must_use]
    pub fn error(&self) -> &ApiError {
        &self.error
    }
}

impl From<ApiError> for ApiErrorResponse {
    fn from(error: ApiError) -> Self {
        Self::new(error)
    }
}

impl IntoResponse for ApiErrorResponse {
    fn into_response(self) -> Response {
        let status = self.error.status_code();
        // A throttled error always tells the client when to come back.
        let retry_after = self
            .retry_after
            .or((self.error.retry_class() == RetryClass::Throttled)
                .then_some(Duration::from_secs(1)));
        let message = match self.message {
            Some(message) => message.into_owned(),
            None => self.error.description().to_owned(),
        };
        let body = ApiErrorBody {
            error: self.error,
            message,
            details: self.details,
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(delay) = retry_after {
            let seconds = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        ApiErrorResponse::new(self).into_response()
    }
}
