//! Where a connection is in its request cycle, and the watchdog that closes it when it
//! stays too long waiting for a request head or for a next request.
//!
//! hyper's own `header_read_timeout` starts when a connection goes idle, so it bounds the
//! keep-alive wait and the head together; tracking the phase here keeps the two apart
//! (a kept-alive connection may wait longer for its next request than a request may take
//! to send its head).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

use super::Timeouts;

/// The phase of a connection, and since when it is in it.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// A request head is expected or arriving: a new connection, or bytes of a next
    /// request after an answer. Bounded by the header timeout.
    Head(Instant),
    /// Answered; no byte of a next request yet. Bounded by the idle timeout.
    Idle(Instant),
    /// A request is being served (its body is bounded by the request timeout).
    Busy,
}

/// What the connection's IO, its service and its watchdog share.
#[derive(Debug)]
pub(crate) struct ConnState {
    phase: Mutex<Phase>,
    /// The current request's body has not been read to its end.
    body_unread: AtomicBool,
}

impl ConnState {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            phase: Mutex::new(Phase::Head(Instant::now())),
            body_unread: AtomicBool::new(false),
        })
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bytes_read(&self) {
        let mut phase = self.phase();
        if let Phase::Idle(_) = *phase {
            *phase = Phase::Head(Instant::now());
        }
    }

    /// A request head was parsed; `has_body` when a body follows it.
    pub(crate) fn request_started(&self, has_body: bool) {
        *self.phase() = Phase::Busy;
        self.body_unread.store(has_body, Ordering::Relaxed);
    }

    /// The request body was read to its end.
    pub(crate) fn body_read(&self) {
        self.body_unread.store(false, Ordering::Relaxed);
    }

    /// The answer is ready; returns whether the request body was left unread (the
    /// connection cannot carry a next request then).
    pub(crate) fn answered(&self) -> bool {
        *self.phase() = Phase::Idle(Instant::now());
        self.body_unread.load(Ordering::Relaxed)
    }

    /// When the connection must be closed if nothing changes, or `None` while busy.
    fn deadline(&self, timeouts: &Timeouts) -> Option<Instant> {
        match *self.phase() {
            Phase::Head(since) => Some(since + timeouts.header),
            Phase::Idle(since) => Some(since + timeouts.idle),
            Phase::Busy => None,
        }
    }
}

/// Completes when the connection has waited longer than its timeout for a request head
/// or a next request.
pub(crate) async fn expired(state: Arc<ConnState>, timeouts: Timeouts) {
    // A phase can change while this sleeps, and its new deadline be earlier: waking at
    // least once per the shorter timeout bounds how late that is noticed.
    let recheck = timeouts.header.min(timeouts.idle);
    loop {
        let now = Instant::now();
        match state.deadline(&timeouts) {
            Some(deadline) if deadline <= now => return,
            Some(deadline) => tokio::time::sleep_until(deadline.min(now + recheck)).await,
            None => tokio::time::sleep(recheck).await,
        }
    }
}

/// A socket that reports the bytes it reads to the connection's [`ConnState`].
#[derive(Debug)]
pub(crate) struct TrackedIo<T> {
    inner: T,
    state: Arc<ConnState>,
}

impl<T> TrackedIo<T> {
    pub(crate) fn new(inner: T, state: Arc<ConnState>) -> Self {
        Self { inner, state }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for TrackedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.state.bytes_read();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TrackedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
