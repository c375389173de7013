//! The policy every pasarela transport shares, written once.
//!
//! A pasarela transport carries a [`PreparedRequest`] and hands back a
//! [`RawResponse`]; what makes one *trustworthy for payments* is the same
//! whatever HTTP stack is underneath, and lives here:
//!
//! - [`TransportConfig`]: the one configuration type — connect and overall
//!   timeouts, response body cap, concurrency cap, `User-Agent` — with the
//!   same defaults for every transport.
//! - [`Progress`] and [`Phase`]: how far a request got, and the one rule that
//!   turns a failure into [`Delivery::NotSent`] (certainly never left: retry
//!   is safe) or [`Delivery::MaybeSent`] (may have reached the gateway:
//!   reconcile before retrying). [`with_deadline`] applies the overall
//!   timeout with any runtime's timer and classifies by phase.
//! - [`BodyCollector`]: reads a response body incrementally and stops as
//!   soon as it passes the cap (a hostile `Content-Length` allocates
//!   nothing).
//! - [`check_request`], [`request_headers`], [`response_headers`]: URL
//!   scheme and header validation (no CR/LF smuggling), and conversion to
//!   and from the `http` crate's types.
//! - [`ConcurrencyLimit`]: the cap on requests in flight, for async and
//!   blocking transports alike (runtime-agnostic).
//! - [`Exchange`]: one `tracing` span per HTTP exchange (feature
//!   `tracing`; see [`trace`]), a child of the gateway call's span.
//!
//! The ureq, surf and reqwest transports are adapters over this; a new
//! HTTP stack is an adapter of a few dozen lines. A sketch, for a stack
//! whose `connect` and `exchange` are yours:
//!
//! ```
//! use std::time::Duration;
//! use pasarela_core::transport::{Delivery, TransportError, TransportErrorKind};
//! use pasarela_core::{PreparedRequest, RawResponse};
//! use pasarela_transport_kit::{
//!     BodyCollector, ConcurrencyLimit, Phase, Progress, TransportConfig, check_request, with_deadline,
//! };
//!
//! async fn send(
//!     config: &TransportConfig,
//!     limit: &ConcurrencyLimit,
//!     request: PreparedRequest,
//! ) -> Result<RawResponse, TransportError> {
//!     check_request(&request)?;
//!     let progress = Progress::new();
//!     let exchange = async {
//!         let _slot = limit.acquire().await;
//!         progress.set(Phase::Connecting);
//!         // ... connect with your stack; a failure here is NotSent ...
//!         progress.set(Phase::Sending);
//!         // ... write the request, read the head; from here MaybeSent ...
//!         let mut body = BodyCollector::new(config.get_max_body_size(), Some(2))?;
//!         body.push(b"{}")?;
//!         Ok(RawResponse::new(200, body.finish()?))
//!     };
//!     // Any runtime's sleep: tokio::time::sleep, async_io::Timer, ...
//!     let timer = std::future::pending::<()>();
//!     with_deadline(timer, config.get_timeout(), &progress, exchange).await
//! }
//! # let config = TransportConfig::new();
//! # let limit = ConcurrencyLimit::new(config.get_max_concurrent_requests());
//! # let req = PreparedRequest::new(
//! #     pasarela_core::http::Method::POST,
//! #     "https://example.com/".parse().unwrap(),
//! #     vec![],
//! #     b"{}".to_vec(),
//! # );
//! # let response = pasarela_transport_kit::block_on(send(&config, &limit, req))?;
//! # assert_eq!(response.status, 200);
//! # Ok::<(), TransportError>(())
//! ```

#![forbid(unsafe_code)]

mod body;
mod config;
mod headers;
mod limit;
mod phase;
pub mod trace;

pub use body::BodyCollector;
pub use config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONCURRENT_REQUESTS,
    DEFAULT_TIMEOUT, DEFAULT_USER_AGENT, TransportConfig,
};
pub use headers::{check_request, request_headers, response_headers};
pub use limit::{ConcurrencyLimit, Permit, block_on};
pub use phase::{Phase, Progress, with_deadline};
pub use trace::Exchange;

pub use pasarela_core::transport::{
    Delivery, TransportError, TransportErrorKind, TransportFailure,
};
pub use pasarela_core::{PreparedRequest, RawResponse};

/// A [`TransportErrorKind::InvalidRequest`] error: the request could not be
/// expressed for the HTTP stack, so it was not sent.
pub fn invalid_request(message: impl Into<String>) -> TransportError {
    TransportError::new(
        TransportErrorKind::InvalidRequest,
        Delivery::NotSent,
        message,
    )
}

/// The error for a response body over `limit` bytes (the request reached
/// the server: `MaybeSent`).
pub fn body_too_large(limit: u64) -> TransportError {
    TransportError::new(
        TransportErrorKind::BodyTooLarge,
        Delivery::MaybeSent,
        format!("response body larger than the limit of {limit} bytes"),
    )
}
