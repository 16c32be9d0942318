//! The router: routes, fallbacks and the middleware stack.

use std::any::Any;

use axum::Router;
use axum::http::header;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use keyward_errors::{HeartbeatError, SelfBanError, ValidateError};
use tower_http::catch_panic::CatchPanicLayer;

use crate::auth::client_spec::ClientSpec;
use crate::request_id;
use crate::state::AppState;
use crate::{access_log, api, auth};

/// The complete router over `state`; `metrics`: count and time every answer (the
/// `metrics` module).
pub fn router(state: AppState, metrics: bool) -> Router {
    let routes = Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route(
            "/auth/validate",
            post(auth::validate).layer(CatchPanicLayer::custom(validate_panic)),
        )
        .route(
            "/auth/heartbeat",
            post(auth::heartbeat).layer(CatchPanicLayer::custom(heartbeat_panic)),
        )
        .route(
            "/auth/selfban",
            post(auth::selfban).layer(CatchPanicLayer::custom(selfban_panic)),
        )
        .merge(api::router().layer(CatchPanicLayer::custom(api_panic)))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::not_found)
        // Inside the request-id, metrics and access-log layers: its refusals carry an id
        // and are counted and logged like every other answer.
        .layer(middleware::from_fn(
            crate::head_limits::refuse_oversized_head,
        ))
        .layer(request_id::propagate());
    let routes = if metrics {
        crate::metrics::apply(routes)
    } else {
        routes
    };
    request_id::assign(access_log::apply(routes)).with_state(state)
}

/// `GET /health`: the trivial endpoint (benchmark baseline).
async fn health() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"ok"}"#,
    )
        .into_response()
}

/// `GET /openapi.json`: the document of every route (`crate::openapi`).
async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::served(),
    )
        .into_response()
}

fn panic_cause(panic: &(dyn Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic payload".to_owned());
    format!("handler panicked: {text}")
}

fn api_panic(panic: Box<dyn Any + Send>) -> Response {
    api::ApiFailure::<keyward_errors::ApiError>::internal(panic_cause(panic.as_ref()))
        .into_response()
}

fn validate_panic(panic: Box<dyn Any + Send>) -> Response {
    auth::internal_response(
        ClientSpec::default(),
        ValidateError::SystemError,
        panic_cause(panic.as_ref()),
    )
}

fn heartbeat_panic(panic: Box<dyn Any + Send>) -> Response {
    auth::internal_response(
        ClientSpec::default(),
        HeartbeatError::SystemError,
        panic_cause(panic.as_ref()),
    )
}

fn selfban_panic(panic: Box<dyn Any + Send>) -> Response {
    auth::internal_response(
        ClientSpec::default(),
        SelfBanError::SystemError,
        panic_cause(panic.as_ref()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use keyward_errors::ApiError;
    use tower::ServiceExt;

    /// A panicking handler answers `internal_error` JSON with no internals, and the
    /// cause is logged (not sent).
    #[tokio::test]
    async fn panics_become_internal_error() {
        async fn boom() -> &'static str {
            panic!("secret-detail")
        }
        let app = Router::new()
            .route(
                "/v1/boom",
                get(boom).layer(CatchPanicLayer::custom(api_panic)),
            )
            .route(
                "/auth/validate",
                post(boom).layer(CatchPanicLayer::custom(validate_panic)),
            )
            .layer(request_id::propagate());
        let app = request_id::assign(access_log::apply(app));
        let response = app
            .clone()
            .oneshot(Request::get("/v1/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(response.headers().contains_key("x-request-id"));
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"], ApiError::InternalError.code());
        assert!(!String::from_utf8_lossy(&body).contains("secret-detail"));

        let response = app
            .oneshot(Request::post("/auth/validate").body(Body::empty()).unwrap())
            .await
            .unwrap();
        // Every auth failure is HTTP 200, an internal one included.
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["status"], "failed");
        assert_eq!(json["error"], ValidateError::SystemError.code());
    }
}
