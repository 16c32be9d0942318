//! Request ids, and what an answer carries for the access log and the metrics.
//!
//! Every request gets a fresh id (tower-http's request-id layers: the id is set on the
//! request, where handlers read it for the signed payload, and copied to the response as
//! `x-request-id`). An `x-request-id` sent by the client is dropped first, so an id in
//! the log is always one this server made.
//!
//! Where an answer is built, it records its error code as an [`AnswerError`] extension,
//! and an internal failure its cause as an [`InternalCause`] extension; neither reaches
//! the wire. The access log (`access_log` module) and the metrics read them.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use keyward_errors::{ErrorCode, ErrorInfo};
use tower::util::MapRequestLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId as TowerRequestId, SetRequestIdLayer,
};

/// Response header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The cause of an internal error, attached to the response for the log (never sent).
#[derive(Debug, Clone)]
pub struct InternalCause(pub String);

/// The error code an answer carries (a response extension, never sent as such): the
/// spec's data of the code, so observers get its family and retry class too.
#[derive(Debug, Clone, Copy)]
pub struct AnswerError(pub &'static ErrorInfo);

impl AnswerError {
    /// The extension for `error`; `None` for a code this version does not know (the
    /// server never sends one).
    pub fn of<E: ErrorCode>(error: &E) -> Option<Self> {
        error.info().map(Self)
    }
}

/// The id of the current request, as the request-id layer set it.
pub fn request_id(request: &Request) -> Option<String> {
    request
        .extensions()
        .get::<TowerRequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .map(str::to_owned)
}

/// Ids unique within the process (a counter), and across restarts with high
/// probability (a random prefix per process); cheaper than a UUID per request.
#[derive(Debug, Clone, Copy, Default)]
struct NextId;

impl MakeRequestId for NextId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<TowerRequestId> {
        static PREFIX: OnceLock<u32> = OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(1);
        let prefix = *PREFIX.get_or_init(|| {
            crate::secret::random_bytes::<4>()
                .map(u32::from_be_bytes)
                .unwrap_or(0)
        });
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        HeaderValue::try_from(format!("{prefix:08x}{n:012x}"))
            .ok()
            .map(TowerRequestId::new)
    }
}

/// The layer that copies the request's id to the response (`x-request-id`). Apply it
/// inside the access log, so that the log can read the id of the answer.
pub(crate) fn propagate() -> PropagateRequestIdLayer {
    PropagateRequestIdLayer::new(HeaderName::from_static(REQUEST_ID_HEADER))
}

/// `router` with a fresh id on every request (an incoming `x-request-id` is dropped
/// first). Apply it outside the layers that log.
pub(crate) fn assign<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .layer(SetRequestIdLayer::new(
            HeaderName::from_static(REQUEST_ID_HEADER),
            NextId,
        ))
        .layer(MapRequestLayer::new(
            drop_client_id as fn(Request) -> Request,
        ))
}

fn drop_client_id(mut request: Request) -> Request {
    request.headers_mut().remove(REQUEST_ID_HEADER);
    request
}
