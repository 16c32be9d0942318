//! Developer API failures: a spec error with a developer message, or an internal error
//! whose cause goes to the log (under the request id), never to the body.
//!
//! A failure is typed by its operation's error enum (`ApiFailure<CreateLicensesError>`):
//! each constructor asks, through the generated code markers (`E: From<NotFound>`), that
//! the operation declares the code it answers, so a handler that could answer a code its
//! `[[operation]]` does not list does not compile.

use std::borrow::Cow;
use std::marker::PhantomData;

use axum::response::{IntoResponse, Response};
use keyward_errors::api_codes::{
    BadRequest, Forbidden, InternalError, NoCredits, NotFound, RateLimited,
};
use keyward_errors::{ApiError, ApiErrorDefaults, ApiErrorResponse, FieldError};

use crate::request_id::{AnswerError, InternalCause};
use crate::store::StoreError;

/// A failed Developer API request of an operation whose codes are `E`.
///
/// License creation may answer `no_credits`:
///
/// ```
/// use keyward_errors::CreateLicensesError;
/// use keyward_errors::api_codes::NoCredits;
/// use keyward_server::api::ApiFailure;
///
/// let _ = ApiFailure::<CreateLicensesError>::with_message(NoCredits, "buy more credits");
/// ```
///
/// `GET /v1/account` declares no `not_found`, so a handler of it cannot answer one:
///
/// ```compile_fail,E0277
/// use keyward_errors::GetAccountError;
/// use keyward_server::api::ApiFailure;
///
/// let _ = ApiFailure::<GetAccountError>::not_found("no such account");
/// ```
#[derive(Debug)]
pub struct ApiFailure<E = ApiError> {
    answer: Answer,
    operation: PhantomData<fn() -> E>,
}

#[derive(Debug)]
enum Answer {
    /// An answer from the spec.
    Error(ApiErrorResponse),
    /// Something unexpected: `internal_error`, cause logged.
    Internal(String),
}

/// Result of a Developer API handler of an operation whose codes are `E`.
pub type ApiResult<T, E> = Result<T, ApiFailure<E>>;

impl<E: Into<ApiError>> ApiFailure<E> {
    /// The operation's `error`, with the spec's message.
    pub fn new(error: E) -> Self {
        Self::answer(ApiErrorResponse::new(error.into()))
    }

    /// The operation's `code`, with a message for the developer.
    pub fn with_message<C>(code: C, message: impl Into<Cow<'static, str>>) -> Self
    where
        E: From<C>,
    {
        Self::answer(ApiErrorResponse::new(E::from(code).into()).with_message(message))
    }
}

impl<E> ApiFailure<E> {
    fn answer(response: ApiErrorResponse) -> Self {
        Self {
            answer: Answer::Error(response),
            operation: PhantomData,
        }
    }

    /// `internal_error`; `cause` goes to the log only.
    pub fn internal(cause: impl Into<String>) -> Self
    where
        E: From<InternalError>,
    {
        Self {
            answer: Answer::Internal(cause.into()),
            operation: PhantomData,
        }
    }

    /// `bad_request` with a message that is about no field in particular.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self
    where
        E: From<BadRequest> + Into<ApiError>,
    {
        Self::with_message(BadRequest, message)
    }

    /// `bad_request` naming every bad field, in the message and in `details`.
    pub fn bad_fields(details: Vec<FieldError>) -> Self
    where
        E: From<BadRequest> + Into<ApiError>,
    {
        let list: Vec<String> = details
            .iter()
            .map(|bad| format!("{}: {}", bad.field, bad.message))
            .collect();
        Self::answer(
            ApiErrorResponse::new(E::from(BadRequest).into())
                .with_message(format!("invalid request: {}", list.join("; ")))
                .with_details(details),
        )
    }

    /// `bad_request` for one bad field.
    pub fn bad_field(field: &str, message: impl Into<String>) -> Self
    where
        E: From<BadRequest> + Into<ApiError>,
    {
        Self::bad_fields(vec![FieldError::new(field, message)])
    }

    /// `not_found` with a message.
    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self
    where
        E: From<NotFound> + Into<ApiError>,
    {
        Self::with_message(NotFound, message)
    }

    /// `rate_limited`, with `Retry-After`.
    pub fn rate_limited(retry_after: std::time::Duration) -> Self
    where
        E: From<RateLimited> + Into<ApiError>,
    {
        Self::answer(
            ApiErrorResponse::new(E::from(RateLimited).into()).with_retry_after(retry_after),
        )
    }

    /// The same answer, typed as an operation that declares every code of `E`: how a
    /// shared extractor's refusal (typed by the family's defaults) or a helper's joins
    /// a handler's result.
    pub fn widen<F: From<E>>(self) -> ApiFailure<F> {
        ApiFailure {
            answer: self.answer,
            operation: PhantomData,
        }
    }

    /// A store error of an operation that can refuse a request (`bad_request`) and fail
    /// inside: a store error of a kind the operation does not declare is a server bug,
    /// answered `internal_error` with its cause logged.
    pub fn from_store(err: StoreError, what: &str) -> Self
    where
        E: From<BadRequest> + From<InternalError> + Into<ApiError>,
    {
        match err {
            StoreError::Conflict(message) => Self::bad_request(message),
            StoreError::Overflow => {
                Self::bad_request(format!("a number of the {what} is out of range"))
            }
            err => Self::internal(format!("store error on a {what}: {err}")),
        }
    }

    /// A store error of an operation on something that may not exist (`not_found`) and
    /// whose existence is not revealed to other accounts.
    pub fn from_missing(err: StoreError, what: &str) -> Self
    where
        E: From<BadRequest> + From<InternalError> + From<NotFound> + Into<ApiError>,
    {
        match err {
            StoreError::NotFound => Self::not_found(format!("{what} not found")),
            err => Self::from_store(err, what),
        }
    }

    /// A store error of an operation on an app or license of some account: another
    /// account's is `forbidden`.
    pub fn from_owned(err: StoreError, what: &str) -> Self
    where
        E: From<BadRequest> + From<InternalError> + From<NotFound> + From<Forbidden>,
        E: Into<ApiError>,
    {
        match err {
            StoreError::Forbidden => {
                Self::with_message(Forbidden, format!("the {what} belongs to another account"))
            }
            err => Self::from_missing(err, what),
        }
    }

    /// A store error of an operation that charges credits (`no_credits`).
    pub fn from_charge(err: StoreError, what: &str) -> Self
    where
        E: From<BadRequest> + From<InternalError> + From<NotFound> + From<Forbidden>,
        E: From<NoCredits> + Into<ApiError>,
    {
        match err {
            StoreError::NoCredits => Self::new(E::from(NoCredits)),
            err => Self::from_owned(err, what),
        }
    }
}

/// A refusal of the extractors every authenticated route shares.
pub type DefaultFailure = ApiFailure<ApiErrorDefaults>;

impl<E> IntoResponse for ApiFailure<E> {
    fn into_response(self) -> Response {
        let (error, mut response, cause) = match self.answer {
            Answer::Error(response) => (response.error().clone(), response.into_response(), None),
            Answer::Internal(cause) => (
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

#[cfg(test)]
impl<E> ApiFailure<E> {
    /// The answer's body, for unit tests of the helpers that build failures.
    pub fn error_response(&self) -> Option<&ApiErrorResponse> {
        match &self.answer {
            Answer::Error(response) => Some(response),
            Answer::Internal(_) => None,
        }
    }
}
