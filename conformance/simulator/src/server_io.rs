//! The loopback server's side of a connection: the socket, with a write
//! timeout (an answer the client does not read closes the connection) and
//! a count of the reads that brought data (so that the server can tell
//! requests pipelined in one go from requests sent one after the other);
//! reading a request body into memory taken as its bytes arrive.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

use super::slots::Reservation;

/// A connection's socket with a write timeout: a write (or flush) that makes
/// no progress for `write_timeout` fails with `TimedOut`, and the server
/// closes the connection. Progress restarts the clock (as nginx's
/// `send_timeout`).
pub(crate) struct Guarded {
    stream: TcpStream,
    write_timeout: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
    reads: Arc<AtomicU64>,
}

impl Guarded {
    /// Wraps `stream`; `reads` counts the reads that brought data.
    pub(crate) fn new(stream: TcpStream, write_timeout: Duration, reads: Arc<AtomicU64>) -> Self {
        Self {
            stream,
            write_timeout,
            stalled: None,
            reads,
        }
    }

    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(result) => {
                self.stalled = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let timeout = self.write_timeout;
                let timer = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        tracing::info!(
                            timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                            "pasarela-simulator: refused: answer not read in time, connection closed"
                        );
                        Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!("the client did not read the answer within {timeout:?}"),
                        )))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.reads.fetch_add(1, Ordering::Relaxed);
        }
        polled
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.watch(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_flush(cx);
        this.watch(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_shutdown(cx);
        this.watch(cx, polled)
    }
}

/// Counts the requests taken from one read of a connection: more than the
/// cap were pipelined (sent in one go before reading any answer).
pub(crate) struct Pipeline {
    reads: Arc<AtomicU64>,
    last_read: AtomicU64,
    taken: AtomicUsize,
    cap: usize,
}

impl Pipeline {
    /// A counter over the reads counted by a [`Guarded`] socket.
    pub(crate) fn new(reads: Arc<AtomicU64>, cap: usize) -> Self {
        Self {
            reads,
            last_read: AtomicU64::new(u64::MAX),
            taken: AtomicUsize::new(0),
            cap: cap.max(1),
        }
    }

    /// One more request: whether it is within the cap. (A connection
    /// serves one request at a time, so the counters are not contended.)
    pub(crate) fn admit(&self) -> bool {
        let read = self.reads.load(Ordering::Relaxed);
        if self.last_read.swap(read, Ordering::Relaxed) != read {
            self.taken.store(0, Ordering::Relaxed);
        }
        self.taken.fetch_add(1, Ordering::Relaxed) < self.cap
    }

    /// The cap.
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }
}

/// Why a request body was not read.
pub(crate) enum BodyRefusal {
    /// Larger than the cap (declared or sent).
    TooLarge,
    /// The connection failed or the body was malformed.
    Unreadable,
    /// No memory for it ([`Reservation::cover`]'s reason).
    Busy(String),
}

/// Reads `body` (at most `max` bytes), covering with `reserved` the memory
/// it takes as its bytes arrive: nothing for no body, never more than it
/// holds (the buffer's capacity, which at most doubles past the bytes).
pub(crate) async fn read_body(
    mut body: Incoming,
    max: usize,
    reserved: &mut Reservation,
) -> Result<Vec<u8>, BodyRefusal> {
    if body.size_hint().lower() > u64::try_from(max).unwrap_or(u64::MAX) {
        return Err(BodyRefusal::TooLarge);
    }
    let mut read = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyRefusal::Unreadable)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let len = read.len().saturating_add(data.len());
        if len > max {
            return Err(BodyRefusal::TooLarge);
        }
        if len > read.capacity() {
            let capacity = len.max(read.capacity().saturating_mul(2)).min(max);
            reserved.cover(capacity).map_err(BodyRefusal::Busy)?;
            read.reserve_exact(capacity - read.len());
        }
        read.extend_from_slice(&data);
    }
    Ok(read)
}
