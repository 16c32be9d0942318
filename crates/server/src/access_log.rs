//! The access log: one line per request at `info` (target `keyward_server::access`), in a
//! span that carries the method, the matched route (the template, such as
//! `/v1/licenses/{key}`, never the path itself, which may hold a license key) and the
//! request id; the internal-error cause of an answer is logged in the same span. Nothing
//! else of the request is logged: no header, query or body.

use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::request_id::{AnswerError, InternalCause, REQUEST_ID_HEADER, request_id};

/// The route label of a request that matched no route.
pub(crate) const UNMATCHED: &str = "unmatched";

/// The route template the request matched, or [`UNMATCHED`].
pub(crate) fn route(request: &Request) -> &str {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
}

/// `router` with the access log (apply it inside the request-id layers).
pub(crate) fn apply<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(
        TraceLayer::new_for_http()
            .make_span_with(span as fn(&Request) -> Span)
            .on_request(())
            .on_response(answered as fn(&Response, Duration, &Span))
            // 5xx answers are logged by `answered`, with their cause.
            .on_failure(()),
    )
}

fn span(request: &Request) -> Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        route = route(request),
        request_id = request_id(request).unwrap_or_default(),
    )
}

fn answered(response: &Response, latency: Duration, span: &Span) {
    let status = response.status().as_u16();
    let code = response
        .extensions()
        .get::<AnswerError>()
        .map_or("-", |answer| answer.0.code);
    if let Some(InternalCause(cause)) = response.extensions().get::<InternalCause>() {
        if span.is_disabled() {
            // Access logging is off: the id still ties the cause to the client's answer.
            let id = response
                .headers()
                .get(REQUEST_ID_HEADER)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            tracing::error!(request_id = id, status, code, cause = %cause, "internal error");
        } else {
            tracing::error!(status, code, cause = %cause, "internal error");
        }
    }
    tracing::info!(
        target: "keyward_server::access",
        status,
        code,
        latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
        "answered"
    );
}
