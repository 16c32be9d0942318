//! The optional features: `schemars`, `http` and `axum` (`locales`: tests/locales.rs).

#[cfg(feature = "schemars")]
#[test]
fn json_schema_lists_every_code_with_its_description() {
    use keyward_errors::{ValidateAuthFailure, ValidateError};

    let schema = schemars::schema_for!(ValidateError);
    let value = serde_json::to_value(&schema).expect("schema serializes");
    let one_of = value["oneOf"].as_array().expect("oneOf");
    assert_eq!(one_of.len(), ValidateError::ALL.len());
    for error in ValidateError::ALL {
        assert!(
            one_of
                .iter()
                .any(|v| v["const"] == error.code() && v["description"] == error.description()),
            "{error}"
        );
    }
    let envelope =
        serde_json::to_value(schemars::schema_for!(ValidateAuthFailure)).expect("schema");
    let text = envelope.to_string();
    assert!(text.contains("\"details\""), "{text}");
    assert!(text.contains("hwid_mismatch"), "{text}");
}

#[cfg(feature = "schemars")]
#[test]
fn json_schema_of_spec_names_lists_every_name() {
    use keyward_errors::{Family, RetryClass, UserAction};

    fn names<T: schemars::JsonSchema>() -> Vec<String> {
        let value = serde_json::to_value(schemars::schema_for!(T)).expect("schema serializes");
        let mut names: Vec<String> = value["oneOf"]
            .as_array()
            .expect("oneOf")
            .iter()
            .filter_map(|v| v["const"].as_str().map(str::to_owned))
            .collect();
        names.sort();
        names
    }
    fn expected<T: AsRef<str>>(all: &[T]) -> Vec<String> {
        let mut names: Vec<String> = all.iter().map(|v| v.as_ref().to_owned()).collect();
        names.sort();
        names
    }
    assert_eq!(names::<RetryClass>(), expected(RetryClass::ALL));
    assert_eq!(names::<UserAction>(), expected(UserAction::ALL));
    assert_eq!(names::<Family>(), expected(Family::ALL));
}

#[cfg(feature = "http")]
#[test]
fn status_codes() {
    use keyward_errors::ApiError;
    for error in ApiError::ALL {
        assert_eq!(error.status_code().as_u16(), error.http_status(), "{error}");
    }
}

#[cfg(feature = "axum")]
mod axum_response {
    use std::time::Duration;

    use axum::body::to_bytes;
    use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
    use axum::response::IntoResponse;
    use keyward_errors::{ApiError, ApiErrorResponse};

    async fn body(response: axum::response::Response) -> serde_json::Value {
        let bytes = to_bytes(response.into_body(), 1 << 16).await.expect("body");
        serde_json::from_slice(&bytes).expect("JSON body")
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        // The body is already in memory: a single poll loop is enough.
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    #[test]
    fn every_api_error_has_its_status_and_body() {
        for error in ApiError::ALL {
            let response = error.clone().into_response();
            assert_eq!(response.status().as_u16(), error.http_status());
            assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
            let throttled = response.headers().contains_key(RETRY_AFTER);
            assert_eq!(throttled, *error == ApiError::RateLimited, "{error}");
            let value = block_on(body(response));
            assert_eq!(value["error"], error.code());
            assert_eq!(value["message"], error.description());
        }
    }

    #[test]
    fn custom_message_and_retry_after_rounded_up() {
        let response = ApiErrorResponse::new(ApiError::RateLimited)
            .with_message("slow down")
            .with_retry_after(Duration::from_millis(2100))
            .into_response();
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(response.headers()[RETRY_AFTER], "3");
        let value = block_on(body(response));
        assert_eq!(value["message"], "slow down");
        assert!(value.get("details").is_none());
    }

    #[test]
    fn bad_request_lists_its_fields() {
        let response = ApiErrorResponse::new(ApiError::BadRequest)
            .with_details(vec![keyward_errors::FieldError::new("name", "is required")])
            .into_response();
        assert_eq!(response.status().as_u16(), 400);
        let value = block_on(body(response));
        assert_eq!(
            value["details"],
            serde_json::json!([{"field": "name", "message": "is required"}])
        );
    }
}
