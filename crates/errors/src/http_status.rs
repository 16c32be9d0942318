//! `http::StatusCode` for the Developer API family.

use crate::ApiError;

impl ApiError {
    /// The HTTP status of the error as an `http::StatusCode`.
    #[must_use]
    pub fn status_code(&self) -> http::StatusCode {
        http::StatusCode::from_u16(self.http_status())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
    }
}
