//! Developer API failures: a spec error with a developer message, or an internal error
//! whose cause goes to the log (under the request id), never to the body.

use axum::response::{IntoResponse, Response};
use keyward_errors::{ApiError, ApiErrorResponse, FieldError};

use crate::request_id::{AnswerError, InternalCause};
use crate::store::StoreError;

/// A failed Developer API request.
#[derive(Debug)]
pub enum ApiFailure {
    /// An answer from the spec.
    Error(ApiErrorResponse),
    /// Something unexpected: `internal_error`, cause logged.
    Internal(String),
}

impl ApiFailure {
    /// `bad_request` with a message that is about no field in particular.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::Error(ApiErrorResponse::new(ApiError::BadRequest).with_message(message.into()))
    }

    /// `bad_request` naming every bad field, in the message and in `details`.
    pub fn bad_fields(details: Vec<FieldError>) -> Self {
        let list: Vec<String> = details
            .iter()
            .map(|bad| format!("{}: {}", bad.field, bad.message))
            .collect();
        Self::Error(
            ApiErrorResponse::new(ApiError::BadRequest)
                .with_message(format!("invalid request: {}", list.join("; ")))
                .with_details(details),
        )
    }

    /// `bad_request` for one bad field.
    pub fn bad_field(field: &str, message: impl Into<String>) -> Self {
        Self::bad_fields(vec![FieldError::new(field, message)])
    }

    /// `not_found` with a message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::Error(ApiErrorResponse::new(ApiError::NotFound).with_message(message.into()))
    }

    /// `invalid_api_key` with a message.
    pub fn invalid_api_key(message: &'static str) -> Self {
        Self::Error(ApiErrorResponse::new(ApiError::InvalidApiKey).with_message(message))
    }

    /// Maps a store error, naming what was looked up (`"app"`, `"license"`, ...).
    pub fn from_store(err: StoreError, what: &str) -> Self {
        match err {
            StoreError::NotFound => Self::not_found(format!("{what} not found")),
            StoreError::Forbidden => Self::Error(
                ApiErrorResponse::new(ApiError::Forbidden)
                    .with_message(format!("the {what} belongs to another account")),
            ),
            StoreError::NoCredits => Self::Error(ApiErrorResponse::new(ApiError::NoCredits)),
            StoreError::Conflict(message) => Self::bad_request(message),
            StoreError::Overflow => {
                Self::bad_request(format!("a number of the {what} is out of range"))
            }
            err @ (StoreError::Backend(_) | StoreError::Closed) => Self::Internal(err.to_string()),
        }
    }
}

impl From<ApiErrorResponse> for ApiFailure {
    fn from(response: ApiErrorResponse) -> Self {
        Self::Error(response)
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let (error, mut response, cause) = match self {
            Self::Error(response) => (response.error().clone(), response.into_response(), None),
            Self::Internal(cause) => (
                ApiError::InternalError,
                ApiError::InternalError.into_response(),
                Some(InternalCause(cause)),
            ),
        };
        let extensions = response.extensions_mut();
        if let Some(answer) = AnswerError::of(&error) {
            extensions.insert(answer);
        }
        if let Some(cause) = cause {
            extensions.insert(cause);
        }
        response
    }
}

/// Result of a Developer API handler.
pub type ApiResult<T> = Result<T, ApiFailure>;
