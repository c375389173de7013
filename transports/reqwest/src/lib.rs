//! Async transport for pasarela over a pooled [reqwest] `Client` on tokio.
//!
//! [`ReqwestTransport`] implements [`AsyncTransport`]: it sends a
//! [`PreparedRequest`] exactly as prepared and hands back a [`RawResponse`]
//! whatever its status. Clones are cheap and share one [`reqwest::Client`]
//! (one connection pool), its settings and its concurrency cap; its futures
//! are `Send`, so `tokio::spawn` and axum handlers take them.
//!
//! What it guarantees (the policy comes from [`pasarela_transport_kit`],
//! shared with the ureq and surf transports):
//!
//! - **Statuses are not errors**; **no redirects** are followed (a 3xx comes
//!   back as a response).
//! - **Bounded.** A connect timeout (DNS, TCP connect, TLS handshake), an
//!   overall timeout (from the call, including waiting for a slot, to the
//!   last body byte), a response body cap (streamed; reading stops as soon
//!   as the cap is passed) and a cap on requests in flight
//!   ([`TransportConfig`] has the defaults).
//! - **All response headers** come back, in order of each name's first
//!   occurrence (values of one name together, in order), names lower-cased.
//! - **HTTPS via rustls** with the webpki roots: no OpenSSL.
//! - **Errors say whether a retry is safe**, exactly: see below.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use pasarela_core::transport::{AsyncTransport, Delivery, TransportFailure};
//! use pasarela_core::{PreparedRequest, http::Method};
//! use pasarela_reqwest::{ReqwestTransport, TransportConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let transport = ReqwestTransport::with_config(
//!     TransportConfig::new()
//!         .connect_timeout(Duration::from_secs(5))
//!         .timeout(Duration::from_secs(20))
//!         .max_body_size(256 * 1024),
//! )?;
//!
//! # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! # let port = listener.local_addr()?.port();
//! # drop(listener); // nothing listens there: the connection is refused
//! let request = PreparedRequest::new(
//!     Method::POST,
//!     format!("http://127.0.0.1:{port}/v2.0/inquiry-status").parse()?,
//!     vec![("Content-Type".into(), "application/json".into())],
//!     br#"{"tradeNo":"T1"}"#.to_vec(),
//! );
//! // Futures are Send: spawn them.
//! let call = tokio::spawn({
//!     let transport = transport.clone();
//!     async move { transport.send(request).await }
//! });
//! match call.await? {
//!     Ok(response) => println!("{} {:?}", response.status, response.body),
//!     // Connection refused: the gateway never saw the request, retry is safe.
//!     Err(e) => assert_eq!(e.delivery(), Delivery::NotSent),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Not sent, or maybe sent
//!
//! reqwest's `Error::is_connect()` is true only for failures of the
//! connector — DNS, TCP connect, TLS handshake, proxy tunnel, and the
//! connect timeout (then `is_timeout()` is true as well) — all before a byte
//! of the request is written. `is_timeout()` alone does not say in which
//! phase a timeout fired. So the transport does not rely on it: it runs the
//! overall timeout itself and hands reqwest a request body that records the
//! moment hyper first polls it, which is when the request starts going to
//! the connection. Until then (waiting for a slot, for a pooled connection,
//! connecting), nothing of the body was written and the gateway cannot have
//! acted on the request.
//!
//! | failure | [`TransportErrorKind`] | [`Delivery`] |
//! |---|---|---|
//! | bad URL scheme, header with CR/LF, request reqwest cannot build | `InvalidRequest` | `NotSent` |
//! | DNS (`is_connect`, resolver error) | `Dns` | `NotSent` |
//! | refused, unreachable on connect, connect timeout (`is_connect`) | `Connect` | `NotSent` |
//! | TLS handshake (`is_connect`, rustls error) | `Tls` | `NotSent` |
//! | overall timeout while waiting for a slot | `Timeout` | `NotSent` |
//! | overall timeout before the body was handed to the connection | `Connect` | `NotSent` |
//! | overall timeout (or the `Client`'s own timeout) after that | `Timeout` | `MaybeSent` |
//! | reset, closed, EOF, incomplete message after that | `ConnectionBroken` | `MaybeSent` |
//! | body over the cap | `BodyTooLarge` | `MaybeSent` |
//! | malformed response | `Protocol` | `MaybeSent` |
//! | anything else after the body was handed over | `Other` | `MaybeSent` |
//!
//! A request with an empty body (a GET) counts as handed over from the
//! start, since hyper never polls an empty body: for it only connector
//! failures (`is_connect`) are `NotSent`.
//!
//! # Your own `Client`
//!
//! [`ReqwestTransport::with_client`] takes a `reqwest::Client` you built
//! (custom roots, client certificates, a proxy, your tracing). Build it with
//! `redirect(reqwest::redirect::Policy::none())` (start from
//! [`client_builder`]): a `Client` that follows redirects is detected after
//! the fact, and the call fails as `Protocol`/`MaybeSent`. The connect
//! timeout is the `Client`'s own; the overall timeout, body cap, concurrency
//! cap and default `User-Agent` come from the [`TransportConfig`].
//!
//! reqwest adds `Accept: */*` to a request that has none; nothing else is
//! added besides `Host`, `Content-Length` and the default `User-Agent`.
//!
//! [reqwest]: https://docs.rs/reqwest/0.12

#![forbid(unsafe_code)]

mod error;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use pasarela_core::transport::AsyncTransport;
use pasarela_transport_kit::{
    BodyCollector, ConcurrencyLimit, Exchange, Phase, Progress, request_headers, response_headers,
    with_deadline,
};

pub use pasarela_core::transport::{
    Delivery, TransportError, TransportErrorKind, TransportFailure,
};
pub use pasarela_core::{PreparedRequest, RawResponse};
pub use pasarela_transport_kit::TransportConfig;
pub use reqwest;

/// How long an idle pooled connection is kept.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The `reqwest::ClientBuilder` the transport builds its `Client` from:
/// no redirects, the config's connect timeout, TCP_NODELAY, HTTP/1.1,
/// rustls with the webpki roots, pooled connections kept
/// [`POOL_IDLE_TIMEOUT`]. Extend it (roots, proxy, …) and pass the result to
/// [`ReqwestTransport::with_client`].
pub fn client_builder(config: &TransportConfig) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.get_connect_timeout())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .tcp_nodelay(true)
        .http1_only()
        .use_rustls_tls()
}

/// An [`AsyncTransport`] over a pooled `reqwest::Client`.
///
/// Clones share the client (and its pool), the settings and the cap on
/// requests in flight. Needs a tokio runtime with the time driver enabled.
#[derive(Clone)]
pub struct ReqwestTransport {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    config: TransportConfig,
    limit: ConcurrencyLimit,
}

impl std::fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReqwestTransport")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl ReqwestTransport {
    /// A transport with the default settings (see [`TransportConfig`]).
    pub fn new() -> Result<Self, TransportError> {
        Self::with_config(TransportConfig::new())
    }

    /// A transport with these settings, over a new `Client` from
    /// [`client_builder`].
    ///
    /// Fails only if reqwest cannot set up TLS.
    pub fn with_config(config: TransportConfig) -> Result<Self, TransportError> {
        let client = client_builder(&config).build().map_err(|e| {
            TransportError::new(
                TransportErrorKind::Tls,
                Delivery::NotSent,
                format!("cannot build the HTTP client: {e}"),
            )
            .with_source(e)
        })?;
        Ok(Self::with_client(client, config))
    }

    /// A transport over a `Client` of your own (see the crate docs, "Your
    /// own `Client`"). The config's connect timeout is not applied: it is
    /// the client's.
    pub fn with_client(client: reqwest::Client, config: TransportConfig) -> Self {
        let limit = ConcurrencyLimit::new(config.get_max_concurrent_requests());
        Self {
            inner: Arc::new(Inner {
                client,
                config,
                limit,
            }),
        }
    }

    /// The underlying client.
    pub fn client(&self) -> &reqwest::Client {
        &self.inner.client
    }

    /// The settings.
    pub fn config(&self) -> &TransportConfig {
        &self.inner.config
    }

    fn build(
        &self,
        request: PreparedRequest,
        progress: &Progress,
    ) -> Result<reqwest::Request, TransportError> {
        // Checks the URL and every header once, as it converts them.
        let headers = request_headers(&request, self.inner.config.get_user_agent())?;
        let method = request.method().clone();
        let url = request.url().clone();
        let body = request.into_body();
        let mut out = reqwest::Request::new(method, url);
        *out.headers_mut() = headers;
        if body.is_empty() {
            // hyper never polls an empty body: count it as handed over.
            progress.set(Phase::Sending);
        } else {
            *out.body_mut() = Some(reqwest::Body::wrap(TrackedBody {
                data: Some(Bytes::from(body)),
                progress: progress.clone(),
            }));
        }
        Ok(out)
    }

    async fn exchange(
        &self,
        request: PreparedRequest,
        progress: &Progress,
    ) -> Result<RawResponse, TransportError> {
        let _slot = self.inner.limit.acquire().await;
        progress.set(Phase::Connecting);
        let request = self.build(request, progress)?;
        let sent_url = request.url().clone();
        let mut response = self
            .inner
            .client
            .execute(request)
            .await
            .map_err(|e| error::map(e, progress))?;
        progress.set(Phase::Receiving);
        if response.url() != &sent_url {
            return Err(TransportError::new(
                TransportErrorKind::Protocol,
                Delivery::MaybeSent,
                "the reqwest Client followed a redirect; build it with redirect::Policy::none()",
            ));
        }
        let status = response.status().as_u16();
        let headers = response_headers(response.headers());
        let mut body = BodyCollector::new(
            self.inner.config.get_max_body_size(),
            response.content_length(),
        )?;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| error::map(e, progress))?
        {
            body.push(&chunk)?;
        }
        Ok(RawResponse::new(status, body.finish()?).with_headers(headers))
    }
}

impl AsyncTransport for ReqwestTransport {
    type Error = TransportError;

    async fn send(&self, request: PreparedRequest) -> Result<RawResponse, TransportError> {
        let progress = Progress::new();
        let timeout = self.inner.config.get_timeout();
        let exchange = Exchange::start("reqwest", &request);
        let deadline = with_deadline(
            tokio::time::sleep(timeout),
            timeout,
            &progress,
            self.exchange(request, &progress),
        );
        exchange.run(Some(&progress), deadline).await
    }
}

/// The request body: the exact prepared bytes, in one frame, recording when
/// hyper first asks for them.
struct TrackedBody {
    data: Option<Bytes>,
    progress: Progress,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        self.progress.set(Phase::Sending);
        Poll::Ready(self.data.take().map(|d| Ok(http_body::Frame::data(d))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_for_a_slot_past_the_timeout_is_not_sent() {
        let config = TransportConfig::new()
            .timeout(Duration::from_millis(100))
            .max_concurrent_requests(1);
        let client = client_builder(&config).no_proxy().build().unwrap();
        let t = ReqwestTransport::with_client(client, config);
        let req = PreparedRequest::new(
            pasarela_core::http::Method::POST,
            "http://127.0.0.1:9/".parse().unwrap(),
            vec![],
            b"{}".to_vec(),
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = rt.block_on(async {
            // Take the only slot, as a request in flight would.
            let _held = t.inner.limit.acquire().await;
            t.send(req).await.unwrap_err()
        });
        assert_eq!(err.kind(), TransportErrorKind::Timeout, "{err}");
        assert_eq!(err.delivery(), Delivery::NotSent, "{err}");
    }

    #[test]
    fn the_body_is_exact_and_marks_the_request_as_handed_over() {
        use http_body::Body as _;
        let progress = Progress::new();
        progress.set(Phase::Connecting);
        let mut body = TrackedBody {
            data: Some(Bytes::from_static(b"{\"a\":1}")),
            progress: progress.clone(),
        };
        assert_eq!(body.size_hint().exact(), Some(7));
        assert!(!body.is_end_stream());
        assert_eq!(progress.get(), Phase::Connecting);
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let frame = Pin::new(&mut body).poll_frame(&mut cx);
        assert!(matches!(frame, Poll::Ready(Some(Ok(_)))));
        assert_eq!(progress.get(), Phase::Sending);
        assert!(body.is_end_stream());
    }
}

/// The README's code blocks, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
