//! Async transport for pasarela over [surf] 2 on async-std.
//!
//! **surf and async-std are no longer maintained upstream.** This crate
//! exists for services already built on them. For anything new, plug a
//! maintained stack: `pasarela-reqwest` (tokio), or your own through
//! [`AsyncTransport`] with `pasarela-transport-kit` doing the policy (see the
//! crate README).
//!
//! [`SurfTransport`] implements [`AsyncTransport`]: it sends a
//! [`PreparedRequest`] exactly as prepared and hands back a [`RawResponse`]
//! whatever its status. Clones are cheap and share one client; its future is
//! `Send`, so it runs from many tasks at once.
//!
//! What it guarantees:
//!
//! - **Statuses are not errors**; **no redirects** are followed (surf's
//!   redirect middleware is not installed: a 3xx comes back as a response).
//! - **Bounded.** A connect timeout (DNS, TCP connect, TLS handshake) and an
//!   overall timeout (from the call to the last body byte), a response body
//!   size limit (read incrementally, stopped past the limit) and a cap on
//!   concurrent requests ([`TransportConfig`], shared with every pasarela
//!   transport, has the defaults).
//! - **All response headers** come back. http-types keeps headers in a hash
//!   map, so the order *between* names is lost: they are returned sorted by
//!   name (values of one name keep their order). Names are lower-cased.
//! - **HTTPS via native-tls** (OpenSSL on Linux): surf's `h1-client` backend,
//!   not its rustls backend, whose rustls 0.18 has open advisories.
//! - **Errors say whether a retry is safe**, precisely: the transport knows
//!   whether it had started writing the request (see the table below).
//!
//! One connection per request: surf's keep-alive pool can hand a connection
//! abandoned half-way (timeout, oversized body) to the next request, which
//! could then read the previous request's response, so this transport does
//! not pool. A request carries `Connection: close` unless it sets its own.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use pasarela_core::transport::{AsyncTransport, Delivery, TransportFailure};
//! use pasarela_core::{PreparedRequest, http::Method};
//! use pasarela_surf::{SurfTransport, TransportConfig};
//!
//! # async_std::task::block_on(async {
//! let transport = SurfTransport::with_config(
//!     TransportConfig::new()
//!         .connect_timeout(Duration::from_secs(5))
//!         .timeout(Duration::from_secs(20)),
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
//! match transport.send(request).await {
//!     Ok(response) => println!("{} {:?}", response.status, response.body),
//!     // Connection refused: the gateway never saw the request, retry is safe.
//!     Err(e) => assert_eq!(e.delivery(), Delivery::NotSent),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # Error mapping
//!
//! | failure | [`TransportErrorKind`] | [`Delivery`] |
//! |---|---|---|
//! | host does not resolve | `Dns` | `NotSent` |
//! | TCP connect fails (refused, unreachable, …) or the connect timeout expires | `Connect` | `NotSent` |
//! | TLS handshake fails | `Tls` | `NotSent` |
//! | header or URL the HTTP stack cannot express | `InvalidRequest` | `NotSent` |
//! | overall timeout while waiting for a concurrency slot | `Timeout` | `NotSent` |
//! | overall timeout while connecting | `Connect` | `NotSent` |
//! | overall timeout once the request is being written or later | `Timeout` | `MaybeSent` |
//! | reset / closed / EOF after the connection was made | `ConnectionBroken` | `MaybeSent` |
//! | body shorter than its `Content-Length`, or broken chunked body | `ConnectionBroken` | `MaybeSent` |
//! | body over the limit | `BodyTooLarge` | `MaybeSent` |
//! | malformed response | `Protocol` | `MaybeSent` |
//! | anything else | `Other` | `MaybeSent` |
//!
//! Limits of async-h1 worth knowing: a response with neither
//! `Content-Length` nor chunked encoding is read as an empty body; request
//! headers are written sorted by name (after `host`).
//!
//! [surf]: https://docs.rs/surf/2

#![forbid(unsafe_code)]

mod connector;

use std::sync::Arc;

use async_std::io::ReadExt;
use connector::{Connector, ProgressExt};
use pasarela_core::transport::AsyncTransport;
use pasarela_core::{PreparedRequest, RawResponse};
use pasarela_transport_kit::{
    BodyCollector, ConcurrencyLimit, Exchange, Phase, Progress, check_request, with_deadline,
};

pub use pasarela_core::transport::{
    Delivery, TransportError, TransportErrorKind, TransportFailure,
};
pub use pasarela_transport_kit::TransportConfig;
pub use surf;

struct Inner {
    client: surf::Client,
    config: TransportConfig,
    limit: ConcurrencyLimit,
}

/// An [`AsyncTransport`] over a surf client on async-std.
///
/// Clones share the client, settings and concurrency cap.
#[derive(Clone)]
pub struct SurfTransport {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SurfTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SurfTransport")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl SurfTransport {
    /// A transport with the default settings (see [`TransportConfig`]).
    pub fn new() -> Result<Self, TransportError> {
        Self::with_config(TransportConfig::new())
    }

    /// A transport with these settings and native-tls defaults (system
    /// roots) for HTTPS.
    ///
    /// Cannot fail today; the `Result` leaves room for TLS set-up that can.
    pub fn with_config(config: TransportConfig) -> Result<Self, TransportError> {
        Self::with_tls(config, async_native_tls::TlsConnector::new())
    }

    /// A transport with these settings and this TLS connector (custom roots,
    /// client certificates, …).
    pub fn with_tls(
        config: TransportConfig,
        tls: async_native_tls::TlsConnector,
    ) -> Result<Self, TransportError> {
        let connector = Connector {
            connect_timeout: config.get_connect_timeout(),
            tls: Arc::new(tls),
        };
        let limit = ConcurrencyLimit::new(config.get_max_concurrent_requests());
        Ok(Self {
            inner: Arc::new(Inner {
                client: surf::Client::with_http_client(connector),
                config,
                limit,
            }),
        })
    }

    /// The settings.
    pub fn config(&self) -> &TransportConfig {
        &self.inner.config
    }

    fn build_request(
        &self,
        request: &PreparedRequest,
        progress: &Progress,
    ) -> Result<surf::Request, TransportError> {
        // The kit refuses foreign schemes and CR/LF in headers (http-types
        // only checks for ASCII and would let a CR/LF through).
        check_request(request)?;
        let invalid = pasarela_transport_kit::invalid_request;
        let method: surf::http::Method = request
            .method()
            .as_str()
            .parse()
            .map_err(|_| invalid(format!("unsupported method {}", request.method())))?;
        let url: surf::Url = request
            .url()
            .as_str()
            .parse()
            .map_err(|e| invalid(format!("invalid URL: {e}")))?;
        let mut req = surf::Request::new(method, url);
        let mut has_content_type = false;
        let mut has_user_agent = false;
        let mut has_connection = false;
        for (name, value) in request.headers() {
            let header_name = surf::http::headers::HeaderName::from_bytes(name.as_bytes().to_vec());
            let header_value =
                surf::http::headers::HeaderValue::from_bytes(value.as_bytes().to_vec());
            match (header_name, header_value) {
                (Ok(n), Ok(v)) => {
                    has_content_type |= n == "content-type";
                    has_user_agent |= n == "user-agent";
                    has_connection |= n == "connection";
                    req.append_header(n, v);
                }
                _ => return Err(invalid(format!("header {name:?} cannot be sent over HTTP"))),
            }
        }
        if let (false, Some(ua)) = (has_user_agent, self.inner.config.get_user_agent()) {
            req.append_header("user-agent", ua);
        }
        if !has_connection {
            req.append_header("connection", "close");
        }
        req.set_body(surf::Body::from_bytes(request.body().to_vec()));
        if !has_content_type {
            // `set_body` adds `application/octet-stream`; send only what was prepared.
            req.remove_header("content-type");
        }
        req.set_ext(ProgressExt(progress.clone()));
        Ok(req)
    }

    async fn exchange(
        &self,
        request: &PreparedRequest,
        progress: &Progress,
    ) -> Result<RawResponse, TransportError> {
        let _slot = self.inner.limit.acquire().await;
        progress.set(Phase::Connecting);
        let req = self.build_request(request, progress)?;
        let mut response = self
            .inner
            .client
            .send(req)
            .await
            .map_err(|e| unwrap_error(e, progress))?;
        progress.set(Phase::Receiving);

        let status = u16::from(response.status());
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut names: Vec<_> = response.iter().collect();
        names.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        for (name, values) in names {
            for value in values {
                // async-h1 invents a `date` header, with its own name and a
                // CRLF in the value, when the server sent none: drop it.
                if name == "date" && value.as_str().contains('\n') {
                    continue;
                }
                headers.push((name.as_str().to_owned(), value.as_str().to_owned()));
            }
        }
        let body = read_body(response.take_body(), self.inner.config.get_max_body_size()).await?;
        Ok(RawResponse::new(status, body).with_headers(headers))
    }
}

/// Gets back the [`TransportError`] the connector put in, or classifies an
/// error surf made itself by how far the request got.
fn unwrap_error(e: surf::Error, progress: &Progress) -> TransportError {
    match e.downcast::<TransportError>() {
        Ok(e) => e,
        Err(e) if progress.get() < Phase::Sending => TransportError::new(
            TransportErrorKind::Other,
            Delivery::NotSent,
            format!("HTTP client failed before sending: {e}"),
        ),
        Err(e) => connector::after_send(e),
    }
}

/// Reads the body in chunks, stopping as soon as it passes `limit`.
async fn read_body(body: surf::Body, limit: u64) -> Result<Vec<u8>, TransportError> {
    let mut out = BodyCollector::new(limit, body.len().map(|n| n as u64))?;
    let mut reader = body;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = reader.read(&mut buf).await.map_err(|e| {
            let kind = match e.kind() {
                std::io::ErrorKind::TimedOut => TransportErrorKind::Timeout,
                std::io::ErrorKind::InvalidData => TransportErrorKind::Protocol,
                _ => TransportErrorKind::ConnectionBroken,
            };
            TransportError::new(
                kind,
                Delivery::MaybeSent,
                format!("reading the response body failed: {e}"),
            )
            .with_source(e)
        })?;
        if n == 0 {
            break;
        }
        out.push(&buf[..n])?;
    }
    out.finish()
}

impl AsyncTransport for SurfTransport {
    type Error = TransportError;

    async fn send(&self, request: PreparedRequest) -> Result<RawResponse, TransportError> {
        let progress = Progress::new();
        let timeout = self.inner.config.get_timeout();
        let exchange = Exchange::start("surf", &request);
        let deadline = with_deadline(
            async_std::task::sleep(timeout),
            timeout,
            &progress,
            self.exchange(&request, &progress),
        );
        exchange.run(Some(&progress), deadline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn transport_and_its_future_are_send_and_sync() {
        fn assert_sync<T: Send + Sync + Clone>() {}
        assert_sync::<SurfTransport>();
        let t = SurfTransport::new().expect("build");
        let req = PreparedRequest::new(
            pasarela_core::http::Method::GET,
            "http://127.0.0.1:9/".parse().expect("url"),
            vec![],
            vec![],
        );
        let fut = t.send(req);
        assert_send(&fut);
    }

    #[test]
    fn waiting_for_a_slot_past_the_timeout_is_not_sent() {
        let t = SurfTransport::with_config(
            TransportConfig::new()
                .timeout(std::time::Duration::from_millis(100))
                .max_concurrent_requests(1),
        )
        .expect("build");
        let req = PreparedRequest::new(
            pasarela_core::http::Method::POST,
            "http://127.0.0.1:9/".parse().expect("url"),
            vec![],
            vec![],
        );
        let err = async_std::task::block_on(async {
            // Take the only slot, as a request in flight would.
            let _held = t.inner.limit.acquire().await;
            t.send(req).await.expect_err("no slot")
        });
        assert_eq!(err.kind(), TransportErrorKind::Timeout);
        assert_eq!(err.delivery(), Delivery::NotSent);
    }
}

/// The README's code blocks, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
