//! The per-connection service: hands each request to the router with the peer address,
//! bounds the time its body may take to arrive, and says `Connection: close` on an answer
//! given before the body was read (that connection cannot carry a next request).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, header};
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

use super::watchdog::ConnState;

/// Serves the requests of one connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnService {
    pub(crate) router: Router,
    pub(crate) peer: SocketAddr,
    pub(crate) state: Arc<ConnState>,
    pub(crate) request_timeout: Duration,
}

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.state.request_started(!request.body().is_end_stream());
        let deadline = Instant::now() + self.request_timeout;
        let state = Arc::clone(&self.state);
        let mut request = request.map(|body| {
            Body::new(TimedBody {
                inner: body,
                deadline,
                timer: None,
                state: Arc::clone(&state),
            })
        });
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let router = self.router.clone();
        Box::pin(async move {
            let Ok(mut response) = router.oneshot(request).await;
            if state.answered() {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok(response)
        })
    }
}

/// The request body did not arrive in full within the request timeout.
#[derive(Debug, thiserror::Error)]
#[error("it did not arrive in full within the request timeout")]
pub(crate) struct BodyTimedOut;

/// A request body that fails with [`BodyTimedOut`] at its deadline, and tells the
/// connection when it was read to its end.
struct TimedBody {
    inner: Incoming,
    deadline: Instant,
    /// Armed on the first wait only: most bodies are in hand at once.
    timer: Option<Pin<Box<Sleep>>>,
    state: Arc<ConnState>,
}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(None) => {
                this.state.body_read();
                Poll::Ready(None)
            }
            Poll::Ready(Some(frame)) => {
                if this.inner.is_end_stream() {
                    this.state.body_read();
                }
                Poll::Ready(Some(frame.map_err(Into::into)))
            }
            Poll::Pending => {
                let deadline = this.deadline;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(BodyTimedOut.into()))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
