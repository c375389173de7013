//! What a transport reports to `tracing` (feature `tracing`): one DEBUG span
//! per HTTP exchange, target `pasarela_transport_kit::http`, name
//! `http_exchange`, closed by one event (`http exchange finished`), a child
//! of the gateway call's span when pasarela-core's `tracing` is on.
//!
//! | field | value |
//! |---|---|
//! | `transport` | `ureq`, `surf`, `reqwest`, or your adapter's name |
//! | `method`, `host`, `path` | of the request (never the query, a header value or the body) |
//! | `status`, `body_bytes` | of the response, when one came |
//! | `error_kind`, `delivery` | of a failure: the [`TransportErrorKind`](pasarela_core::transport::TransportErrorKind) and `not_sent` / `maybe_sent` |
//! | `phase` | how far the exchange got (`queued`, `connecting`, `sending`, `receiving`), where the transport tracks it |
//! | `latency_ms` | the exchange, waiting for a slot included |
//!
//! [`Progress::set`](crate::Progress::set) also emits a TRACE event on
//! target `pasarela_transport_kit::phase` each time the phase moves on.
//!
//! Without the feature, [`Exchange`] is empty and its methods only run the
//! exchange.

use std::future::Future;

use pasarela_core::transport::TransportError;
use pasarela_core::{PreparedRequest, RawResponse};

use crate::Progress;

/// One HTTP exchange as `tracing` sees it (nothing without the feature).
///
/// ```
/// use pasarela_core::{PreparedRequest, RawResponse};
/// use pasarela_transport_kit::{Exchange, TransportError};
///
/// let request = PreparedRequest::new(
///     pasarela_core::http::Method::POST, "https://gw.example/v2.0/pay-in".parse()?, vec![], b"{}".to_vec());
/// let exchange = Exchange::start("my-stack", &request);
/// let answer = exchange.run_blocking(|| Ok::<_, TransportError>(RawResponse::new(200, "{}")));
/// assert_eq!(answer?.status, 200);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Exchange {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
    #[cfg(feature = "tracing")]
    started: std::time::Instant,
}

impl Exchange {
    /// Opens the span of an exchange of `request` by `transport` (call it
    /// before the request is moved into the HTTP stack).
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub fn start(transport: &'static str, request: &PreparedRequest) -> Self {
        Self {
            #[cfg(feature = "tracing")]
            span: tracing::debug_span!(
                target: "pasarela_transport_kit::http",
                "http_exchange",
                transport,
                method = request.method().as_str(),
                host = request.url().host_str().unwrap_or(""),
                path = request.url().path(),
                status = tracing::field::Empty,
                body_bytes = tracing::field::Empty,
                error_kind = tracing::field::Empty,
                delivery = tracing::field::Empty,
                phase = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            ),
            #[cfg(feature = "tracing")]
            started: std::time::Instant::now(),
        }
    }

    /// Runs an async exchange inside the span and records how it ended
    /// (with how far `progress` got, when the transport tracks it).
    pub async fn run<F>(
        self,
        progress: Option<&Progress>,
        exchange: F,
    ) -> Result<RawResponse, TransportError>
    where
        F: Future<Output = Result<RawResponse, TransportError>>,
    {
        #[cfg(feature = "tracing")]
        {
            let result = tracing::Instrument::instrument(exchange, self.span.clone()).await;
            self.finish(&result, progress);
            result
        }
        #[cfg(not(feature = "tracing"))]
        {
            let _ = progress;
            exchange.await
        }
    }

    /// Runs a blocking exchange inside the span and records how it ended.
    pub fn run_blocking(
        self,
        exchange: impl FnOnce() -> Result<RawResponse, TransportError>,
    ) -> Result<RawResponse, TransportError> {
        #[cfg(feature = "tracing")]
        {
            let result = self.span.in_scope(exchange);
            self.finish(&result, None);
            result
        }
        #[cfg(not(feature = "tracing"))]
        {
            exchange()
        }
    }

    #[cfg(feature = "tracing")]
    fn finish(&self, result: &Result<RawResponse, TransportError>, progress: Option<&Progress>) {
        use pasarela_core::transport::{Delivery, TransportFailure};
        let span = &self.span;
        let latency = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("latency_ms", latency);
        if let Some(progress) = progress {
            span.record("phase", crate::phase::phase_name(progress.get()));
        }
        span.in_scope(|| match result {
            Ok(response) => {
                span.record("status", response.status);
                span.record("body_bytes", response.body.len());
                tracing::debug!(
                    target: "pasarela_transport_kit::http",
                    status = response.status,
                    body_bytes = response.body.len(),
                    latency_ms = latency,
                    "http exchange finished"
                );
            }
            Err(e) => {
                let kind = format!("{:?}", e.kind());
                let delivery = match e.delivery() {
                    Delivery::NotSent => "not_sent",
                    Delivery::MaybeSent => "maybe_sent",
                };
                span.record("error_kind", kind.as_str());
                span.record("delivery", delivery);
                tracing::debug!(
                    target: "pasarela_transport_kit::http",
                    error_kind = kind.as_str(),
                    delivery,
                    latency_ms = latency,
                    "http exchange failed"
                );
            }
        });
    }
}
