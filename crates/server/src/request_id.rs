//! Request ids: every response carries `x-request-id`, and every internal failure is
//! logged once, here, under that id (handlers attach the cause to the response as an
//! [`InternalCause`] extension; it never reaches the body).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// Response header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the current request (a request extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The cause of an internal error, attached to the response for the log (never sent).
#[derive(Debug, Clone)]
pub struct InternalCause(pub String);

fn next_id() -> String {
    static PREFIX: OnceLock<u32> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let prefix = *PREFIX.get_or_init(|| {
        crate::secret::random_bytes::<4>()
            .map(u32::from_be_bytes)
            .unwrap_or(0)
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix:08x}{n:012x}")
}

/// Middleware: assigns the id, logs internal causes under it, sets the header.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = next_id();
    request.extensions_mut().insert(RequestId(id.clone()));
    let method = request.method().clone();
    let mut response = next.run(request).await;
    if let Some(InternalCause(cause)) = response.extensions_mut().remove::<InternalCause>() {
        tracing::error!(request_id = %id, %method, status = response.status().as_u16(), cause = %cause, "internal error");
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}
