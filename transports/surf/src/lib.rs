//! Async transport for pasarela over [surf] 2 on async-std.
//!
//! **surf and async-std are no longer maintained upstream.** This crate
//! exists for services already built on them. For anything new, plug a
//! maintained stack in through [`AsyncTransport`] (a closure is enough; see
//! the crate README and `examples/`).
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
//!   concurrent requests ([`SurfConfig`] has the defaults).
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
//! use pasarela_surf::{SurfConfig, SurfTransport};
//!
//! # async_std::task::block_on(async {
//! let transport: SurfTransport = SurfConfig::new()
//!     .connect_timeout(Duration::from_secs(5))
//!     .timeout(Duration::from_secs(20))
//!     .build()?;
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
use std::time::Duration;

use async_std::channel::{Receiver, Sender};
use async_std::io::ReadExt;
use connector::{Connector, Progress, ProgressExt};
use pasarela_core::transport::AsyncTransport;
use pasarela_core::{PreparedRequest, RawResponse};

pub use pasarela_core::transport::{
    Delivery, TransportError, TransportErrorKind, TransportFailure,
};
pub use surf;

/// Default connect timeout: DNS, TCP connect and TLS handshake together.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default overall timeout, from the call to the last body byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default response body size limit: 1 MiB.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 1024 * 1024;
/// Default cap on requests in flight at once, per transport (and its clones).
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 100;

/// Settings for a [`SurfTransport`]; build one with [`SurfConfig::build`].
///
/// | setting | default |
/// |---|---|
/// | [`connect_timeout`](Self::connect_timeout) | 10 s ([`DEFAULT_CONNECT_TIMEOUT`]) |
/// | [`timeout`](Self::timeout) | 30 s ([`DEFAULT_TIMEOUT`]) |
/// | [`max_body_size`](Self::max_body_size) | 1 MiB ([`DEFAULT_MAX_BODY_SIZE`]) |
/// | [`max_concurrent_requests`](Self::max_concurrent_requests) | 100; waiting for a slot counts towards the overall timeout |
/// | [`user_agent`](Self::user_agent) | `pasarela/<version>`, only if the request has none |
/// | [`tls_connector`](Self::tls_connector) | native-tls defaults (system roots) |
#[derive(Clone)]
pub struct SurfConfig {
    connect_timeout: Duration,
    timeout: Duration,
    max_body_size: u64,
    max_concurrent_requests: usize,
    user_agent: Option<String>,
    tls: Option<Arc<async_native_tls::TlsConnector>>,
}

impl std::fmt::Debug for SurfConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SurfConfig")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_body_size", &self.max_body_size)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("user_agent", &self.user_agent)
            .field("custom_tls", &self.tls.is_some())
            .finish()
    }
}

impl Default for SurfConfig {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            user_agent: Some(concat!("pasarela/", env!("CARGO_PKG_VERSION")).to_owned()),
            tls: None,
        }
    }
}

impl SurfConfig {
    /// The defaults (see the table on [`SurfConfig`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Time allowed to resolve the host, connect and complete the TLS
    /// handshake. A failure within it means the request was not sent.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for the whole call, from start to the last body byte.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Largest response body accepted, in bytes; a larger one fails with
    /// [`TransportErrorKind::BodyTooLarge`].
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// How many requests may be in flight at once (each holds a connection);
    /// 0 means no cap.
    pub fn max_concurrent_requests(mut self, requests: usize) -> Self {
        self.max_concurrent_requests = requests;
        self
    }

    /// The `User-Agent` sent when the request carries none; `None` sends no
    /// `User-Agent`.
    pub fn user_agent(mut self, user_agent: Option<String>) -> Self {
        self.user_agent = user_agent;
        self
    }

    /// The TLS connector for HTTPS (custom roots, client certificates, …).
    pub fn tls_connector(mut self, tls: async_native_tls::TlsConnector) -> Self {
        self.tls = Some(Arc::new(tls));
        self
    }

    /// Builds the transport.
    ///
    /// Cannot fail today; the `Result` leaves room for TLS set-up that can.
    pub fn build(self) -> Result<SurfTransport, TransportError> {
        let connector = Connector {
            connect_timeout: self.connect_timeout,
            tls: self.tls.unwrap_or_default(),
        };
        let permits = (self.max_concurrent_requests > 0).then(|| {
            let (tx, rx) = async_std::channel::bounded(self.max_concurrent_requests);
            for _ in 0..self.max_concurrent_requests {
                // Cannot fail: the channel has exactly this capacity.
                let _ = tx.try_send(());
            }
            Permits { tx, rx }
        });
        Ok(SurfTransport {
            inner: Arc::new(Inner {
                client: surf::Client::with_http_client(connector),
                timeout: self.timeout,
                max_body_size: self.max_body_size,
                user_agent: self.user_agent.filter(|ua| !ua.is_empty()),
                permits,
            }),
        })
    }
}

/// A counting semaphore: a channel holding one token per free slot.
struct Permits {
    tx: Sender<()>,
    rx: Receiver<()>,
}

/// A slot, given back when dropped.
struct Permit<'a>(&'a Sender<()>);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let _ = self.0.try_send(());
    }
}

struct Inner {
    client: surf::Client,
    timeout: Duration,
    max_body_size: u64,
    user_agent: Option<String>,
    permits: Option<Permits>,
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
            .field("timeout", &self.inner.timeout)
            .field("max_body_size", &self.inner.max_body_size)
            .finish_non_exhaustive()
    }
}

impl SurfTransport {
    /// A transport with the default settings (see [`SurfConfig`]).
    pub fn new() -> Result<Self, TransportError> {
        SurfConfig::new().build()
    }

    /// A transport with these settings.
    pub fn with_config(config: SurfConfig) -> Result<Self, TransportError> {
        config.build()
    }

    fn build_request(
        &self,
        request: &PreparedRequest,
        progress: &Arc<Progress>,
    ) -> Result<surf::Request, TransportError> {
        let invalid = |message: String| {
            TransportError::new(
                TransportErrorKind::InvalidRequest,
                Delivery::NotSent,
                message,
            )
        };
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
            // Validate with the `http` crate: http-types only checks for
            // ASCII and would let a CR/LF through.
            let valid_name = pasarela_core::http::HeaderName::from_bytes(name.as_bytes());
            let valid_value = pasarela_core::http::HeaderValue::from_str(value);
            let header_name = surf::http::headers::HeaderName::from_bytes(name.as_bytes().to_vec());
            let header_value =
                surf::http::headers::HeaderValue::from_bytes(value.as_bytes().to_vec());
            match (valid_name, valid_value, header_name, header_value) {
                (Ok(_), Ok(_), Ok(n), Ok(v)) => {
                    has_content_type |= n == "content-type";
                    has_user_agent |= n == "user-agent";
                    has_connection |= n == "connection";
                    req.append_header(n, v);
                }
                _ => return Err(invalid(format!("header {name:?} cannot be sent over HTTP"))),
            }
        }
        if let (false, Some(ua)) = (has_user_agent, &self.inner.user_agent) {
            req.append_header("user-agent", ua.as_str());
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
        progress: &Arc<Progress>,
    ) -> Result<RawResponse, TransportError> {
        let _permit = match &self.inner.permits {
            Some(permits) => {
                // Cannot fail: `permits` holds a sender, so the channel stays open.
                let _ = permits.rx.recv().await;
                Some(Permit(&permits.tx))
            }
            None => None,
        };
        let req = self.build_request(request, progress)?;
        let mut response = self
            .inner
            .client
            .send(req)
            .await
            .map_err(|e| unwrap_error(e, progress))?;

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
        let body = read_body(response.take_body(), self.inner.max_body_size).await?;
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }
}

/// Gets back the [`TransportError`] the connector put in, or classifies an
/// error surf made itself by how far the request got.
fn unwrap_error(e: surf::Error, progress: &Progress) -> TransportError {
    match e.downcast::<TransportError>() {
        Ok(e) => e,
        Err(e) if progress.get() < Progress::SENT => TransportError::new(
            TransportErrorKind::Other,
            Delivery::NotSent,
            format!("HTTP client failed before sending: {e}"),
        ),
        Err(e) => connector::after_send(e),
    }
}

/// Reads the body in chunks, stopping as soon as it passes `limit`.
async fn read_body(body: surf::Body, limit: u64) -> Result<Vec<u8>, TransportError> {
    let too_large = || {
        TransportError::new(
            TransportErrorKind::BodyTooLarge,
            Delivery::MaybeSent,
            format!("response body larger than the limit of {limit} bytes"),
        )
    };
    let expected = body.len().map(|n| n as u64);
    if expected.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut reader = body;
    // The server's Content-Length only hints the first allocation, capped:
    // a hostile value must not allocate (or overflow) up front.
    const MAX_PREALLOC: u64 = 64 * 1024;
    let mut out = Vec::with_capacity(expected.unwrap_or(0).min(limit).min(MAX_PREALLOC) as usize);
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
        if out.len() as u64 + n as u64 > limit {
            return Err(too_large());
        }
        out.extend_from_slice(&buf[..n]);
    }
    if let Some(expected) = expected.filter(|&n| n != out.len() as u64) {
        return Err(TransportError::new(
            TransportErrorKind::ConnectionBroken,
            Delivery::MaybeSent,
            format!(
                "connection closed after {} of {expected} body bytes",
                out.len()
            ),
        ));
    }
    Ok(out)
}

impl AsyncTransport for SurfTransport {
    type Error = TransportError;

    async fn send(&self, request: PreparedRequest) -> Result<RawResponse, TransportError> {
        let progress = Arc::new(Progress::default());
        match async_std::future::timeout(self.inner.timeout, self.exchange(&request, &progress))
            .await
        {
            Ok(result) => result,
            Err(elapsed) => {
                let after = self.inner.timeout;
                let error = match progress.get() {
                    Progress::QUEUED => TransportError::new(
                        TransportErrorKind::Timeout,
                        Delivery::NotSent,
                        format!("no connection slot free within {after:?}"),
                    ),
                    Progress::CONNECTING => TransportError::new(
                        TransportErrorKind::Connect,
                        Delivery::NotSent,
                        format!("not connected within the overall timeout of {after:?}"),
                    ),
                    _ => TransportError::new(
                        TransportErrorKind::Timeout,
                        Delivery::MaybeSent,
                        format!("no complete response within {after:?}"),
                    ),
                };
                Err(error.with_source(elapsed))
            }
        }
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
        let t = SurfConfig::new().build().expect("build");
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
        let t = SurfConfig::new()
            .timeout(Duration::from_millis(100))
            .max_concurrent_requests(1)
            .build()
            .expect("build");
        let req = PreparedRequest::new(
            pasarela_core::http::Method::POST,
            "http://127.0.0.1:9/".parse().expect("url"),
            vec![],
            vec![],
        );
        let err = async_std::task::block_on(async {
            let permits = t.inner.permits.as_ref().expect("capped");
            // Take the only slot, as a request in flight would.
            permits.rx.recv().await.expect("token");
            t.send(req).await.expect_err("no slot")
        });
        assert_eq!(err.kind(), TransportErrorKind::Timeout);
        assert_eq!(err.delivery(), Delivery::NotSent);
    }

    #[test]
    fn crlf_in_a_header_is_refused_before_sending() {
        let t = SurfConfig::new().build().expect("build");
        let req = PreparedRequest::new(
            pasarela_core::http::Method::POST,
            "http://127.0.0.1:9/".parse().expect("url"),
            vec![("X-A".into(), "b\r\nX-Injected: 1".into())],
            vec![],
        );
        let err = t
            .build_request(&req, &Arc::new(Progress::default()))
            .expect_err("must refuse");
        assert_eq!(err.kind(), TransportErrorKind::InvalidRequest);
        assert_eq!(err.delivery(), Delivery::NotSent);
    }
}

/// The README's code blocks, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
