//! The transport seam: anything that can carry a [`PreparedRequest`] and hand
//! back a [`RawResponse`].
//!
//! A transport does no protocol work. It sends the exact bytes it was given,
//! follows no redirects, does not turn HTTP statuses into errors, and keeps
//! every response header. Its only judgement is, when it fails, whether the
//! request **certainly never left** ([`Delivery::NotSent`]: DNS, connect, TLS
//! handshake failed) or **may have reached the gateway**
//! ([`Delivery::MaybeSent`]: a timeout or a broken connection after the
//! first byte was written). For a payment that difference decides whether a
//! retry is safe.
//!
//! Closures are transports, which is how any HTTP stack plugs in:
//!
//! ```
//! use pasarela_core::transport::{BlockingTransport, TransportError};
//! use pasarela_core::{PreparedRequest, RawResponse};
//!
//! let transport = |req: PreparedRequest| -> Result<RawResponse, TransportError> {
//!     // hand `req.method()`, `req.url()`, `req.headers()`, `req.body()` to
//!     // your HTTP client here
//!     let _ = req;
//!     Ok(RawResponse::new(200, r#"{"code":"00"}"#))
//! };
//! # let req = PreparedRequest::new(
//! #     pasarela_core::http::Method::POST,
//! #     "https://example.com/".parse().unwrap(),
//! #     vec![],
//! #     vec![],
//! # );
//! let response = transport.send(req)?;
//! assert_eq!(response.status, 200);
//! # Ok::<(), TransportError>(())
//! ```

use std::fmt;
use std::future::Future;

use crate::http::{PreparedRequest, RawResponse};

/// Whether a failed request may have reached the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// The request certainly did not leave this machine (DNS, connect or TLS
    /// failure, or refused before sending): retrying is safe.
    NotSent,
    /// The request may have been received and acted on (timeout, connection
    /// reset or closed after sending): the outcome is unknown; query the
    /// gateway's status before retrying a payment.
    MaybeSent,
}

/// What went wrong in a transport, for logs and metrics; [`Delivery`] is what
/// decides retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The host name did not resolve.
    Dns,
    /// The TCP connection could not be made (refused, unreachable, connect timeout).
    Connect,
    /// The TLS handshake failed.
    Tls,
    /// The request or the response took longer than allowed.
    Timeout,
    /// The connection broke while writing the request or reading the response.
    ConnectionBroken,
    /// The response body was larger than the configured limit.
    BodyTooLarge,
    /// The response was not valid HTTP.
    Protocol,
    /// The request could not be expressed for this HTTP stack.
    InvalidRequest,
    /// Anything else.
    Other,
}

/// The failure of a transport, as every transport in this project reports it.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    delivery: Delivery,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A failure of `kind`, with what it means for delivery.
    pub fn new(kind: TransportErrorKind, delivery: Delivery, message: impl Into<String>) -> Self {
        Self {
            kind,
            delivery,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The description given when the error was made.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let delivery = match self.delivery {
            Delivery::NotSent => "request not sent",
            Delivery::MaybeSent => "request may have been received",
        };
        write!(f, "{:?}: {} ({delivery})", self.kind, self.message)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// An error a transport returns: it must say whether the request may have
/// been delivered.
pub trait TransportFailure: std::error::Error + Send + Sync + 'static {
    /// Whether the request may have reached the gateway.
    fn delivery(&self) -> Delivery;

    /// Whether sending the same request again must fail the same way (the
    /// request cannot be expressed for this HTTP stack: a malformed URL or
    /// header): a retry would only spend the caller's time. `false` unless
    /// the transport knows.
    fn is_permanent(&self) -> bool {
        false
    }
}

impl TransportFailure for TransportError {
    fn delivery(&self) -> Delivery {
        self.delivery
    }

    fn is_permanent(&self) -> bool {
        self.kind == TransportErrorKind::InvalidRequest
    }
}

/// A blocking HTTP transport.
pub trait BlockingTransport {
    /// The transport's own error type.
    type Error: TransportFailure;

    /// Sends the request exactly as prepared and returns the response,
    /// whatever its status.
    fn send(&self, request: PreparedRequest) -> Result<RawResponse, Self::Error>;
}

/// An async HTTP transport whose futures are `Send`.
///
/// The returned future is declared `Send`, so code generic over the
/// transport can prove what tokio, axum and actix need: a client call on
/// any `T: AsyncTransport + Send + Sync + 'static` can be handed to
/// `tokio::spawn` (the crate's tests hold a compile test of exactly that).
/// This is the `Send` variant in the `trait_variant` style; a future that
/// cannot be `Send` (a single-threaded runtime's `Rc`-based client) is
/// driven by hand with [`Operation`](crate::operation::Operation)'s
/// `request`/`parse` parts instead.
///
/// Closures are transports: `Fn(PreparedRequest) -> Fut` where `Fut` is a
/// `Send` future of `Result<RawResponse, E>`.
///
/// ```
/// use pasarela_core::transport::{AsyncTransport, TransportError};
/// use pasarela_core::{PreparedRequest, RawResponse};
///
/// fn spawnable<T: AsyncTransport + Send + Sync + 'static>(t: T) {
///     let request = PreparedRequest::new(
///         pasarela_core::http::Method::POST,
///         "https://example.com/".parse().unwrap(),
///         vec![],
///         vec![],
///     );
///     // The future is `Send` and `'static` here, in generic code.
///     let fut = async move { t.send(request).await };
///     fn assert_send<F: std::future::Future + Send + 'static>(_: F) {}
///     assert_send(fut);
/// }
/// spawnable(|_req: PreparedRequest| async {
///     Ok::<_, TransportError>(RawResponse::new(200, "{}"))
/// });
/// ```
pub trait AsyncTransport {
    /// The transport's own error type.
    type Error: TransportFailure;

    /// Sends the request exactly as prepared and returns the response,
    /// whatever its status.
    fn send(
        &self,
        request: PreparedRequest,
    ) -> impl Future<Output = Result<RawResponse, Self::Error>> + Send;
}

impl<F, E> BlockingTransport for F
where
    F: Fn(PreparedRequest) -> Result<RawResponse, E>,
    E: TransportFailure,
{
    type Error = E;

    fn send(&self, request: PreparedRequest) -> Result<RawResponse, E> {
        self(request)
    }
}

impl<F, Fut, E> AsyncTransport for F
where
    F: Fn(PreparedRequest) -> Fut,
    Fut: Future<Output = Result<RawResponse, E>> + Send,
    E: TransportFailure,
{
    type Error = E;

    fn send(
        &self,
        request: PreparedRequest,
    ) -> impl Future<Output = Result<RawResponse, E>> + Send {
        self(request)
    }
}

/// A blocking transport seen as an async one whose futures are ready at
/// once: the request is sent, blocking, when `send` is called.
///
/// This is how the blocking clients run the one async driver: the same
/// code, no second copy of the logic.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ready<T>(pub T);

impl<T: BlockingTransport> AsyncTransport for Ready<T> {
    type Error = T::Error;

    fn send(
        &self,
        request: PreparedRequest,
    ) -> impl Future<Output = Result<RawResponse, T::Error>> + Send {
        std::future::ready(self.0.send(request))
    }
}

/// A borrowed blocking transport (a `&T` impl would overlap with the one
/// for closures, since `&F` is a closure too).
pub(crate) struct ByRef<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: BlockingTransport + ?Sized> BlockingTransport for ByRef<'_, T> {
    type Error = T::Error;

    fn send(&self, request: PreparedRequest) -> Result<RawResponse, T::Error> {
        self.0.send(request)
    }
}

/// Runs a future to completion on the current thread.
///
/// A future that is ready at once (a [`Ready`] transport, a software
/// signer) completes on the first poll without any allocation; one that
/// waits (an async signer driven from blocking code) parks the thread until
/// it is woken. This is what the blocking clients use; it is no runtime:
/// futures that need a reactor (tokio's sockets and timers) do not belong
/// here.
pub fn block_on<F: Future>(future: F) -> F::Output {
    use std::pin::pin;
    use std::task::{Context, Poll, Wake, Waker};

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }

    let mut future = pin!(future);
    if let Poll::Ready(out) = future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        return out;
    }
    // Not ready at once: poll again with a waker that unparks this thread
    // (a wake-up sent to the no-op waker in between is caught by this
    // poll), then park between polls.
    let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn request() -> PreparedRequest {
        PreparedRequest::new(
            crate::http::Method::POST,
            "https://example.com/x".parse().unwrap(),
            vec![],
            b"{}".to_vec(),
        )
    }

    fn use_blocking<T: BlockingTransport>(t: &T) -> Result<RawResponse, T::Error> {
        t.send(request())
    }

    #[test]
    fn closures_are_blocking_transports() {
        let ok =
            |r: PreparedRequest| Ok::<_, TransportError>(RawResponse::new(200, r.body().to_vec()));
        assert_eq!(use_blocking(&ok).unwrap().body, b"{}");
        let refused = |_r: PreparedRequest| -> Result<RawResponse, TransportError> {
            Err(TransportError::new(
                TransportErrorKind::Connect,
                Delivery::NotSent,
                "refused",
            ))
        };
        let err = use_blocking(&refused).unwrap_err();
        assert_eq!(err.delivery(), Delivery::NotSent);
        assert_eq!(err.to_string(), "Connect: refused (request not sent)");
    }

    #[test]
    fn closures_are_async_transports() {
        async fn go<T: AsyncTransport>(t: &T) -> Result<RawResponse, T::Error> {
            t.send(request()).await
        }
        let t = |r: PreparedRequest| async move {
            Ok::<_, TransportError>(RawResponse::new(201, r.body().to_vec()))
        };
        let resp = block_on(go(&t)).unwrap();
        assert_eq!(resp.status, 201);
    }

    pub(crate) use super::block_on;

    /// A transport failure of `delivery`, as a transport would return it.
    pub(crate) fn failed(delivery: Delivery) -> Result<RawResponse, TransportError> {
        Err(TransportError::new(
            TransportErrorKind::Other,
            delivery,
            "x",
        ))
    }

    #[test]
    fn block_on_waits_for_a_future_woken_from_another_thread() {
        use std::sync::{Arc, Mutex};
        use std::task::{Poll, Waker};
        // A future that is pending until another thread sets the value.
        struct Slot(Arc<Mutex<(Option<u32>, Option<Waker>)>>);
        impl Future for Slot {
            type Output = u32;
            fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<u32> {
                let mut g = self.0.lock().unwrap();
                match g.0 {
                    Some(v) => Poll::Ready(v),
                    None => {
                        g.1 = Some(cx.waker().clone());
                        Poll::Pending
                    }
                }
            }
        }
        let shared = Arc::new(Mutex::new((None::<u32>, None::<Waker>)));
        let other = shared.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            let mut g = other.lock().unwrap();
            g.0 = Some(7);
            if let Some(w) = g.1.take() {
                w.wake();
            }
        });
        assert_eq!(block_on(Slot(shared)), 7);
        t.join().unwrap();
        assert_eq!(block_on(async { 3 }), 3);
    }
}
