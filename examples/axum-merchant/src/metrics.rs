//! Prometheus metrics at `GET /metrics`: the SDK's counters and latency
//! histograms (pasarela-core's `metrics` feature, see
//! `pasarela_core::observe`), rendered by `metrics-exporter-prometheus`.
//!
//! [`install`] makes the Prometheus recorder the process's `metrics`
//! recorder, once; [`route`] serves a handle's text; [`routes`] does both
//! (and answers 503 when another recorder was installed first). A scrape
//! shows, for example:
//!
//! ```text
//! pasarela_calls_total{gateway="smilepayz",operation="pay_in",outcome="created"} 12
//! pasarela_call_duration_seconds_bucket{gateway="smilepayz",operation="pay_in",le="0.25"} 11
//! pasarela_webhooks_total{gateway="monnet",outcome="verified"} 3
//! ```
//!
//! Labels are gateways, operations and outcome classes only, never an order
//! number; nothing secret or personal is in them.

use std::sync::OnceLock;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use pasarela_core::observe::CALL_DURATION_SECONDS;

/// The Prometheus text format's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Latency buckets of `pasarela_call_duration_seconds`, in seconds: from a
/// fast loopback answer to a gateway at its timeout.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Makes the Prometheus recorder the process's `metrics` recorder and
/// registers the SDK's metric descriptions. Idempotent: later calls return
/// the same handle (or the same error: another recorder was installed
/// first).
pub fn install() -> Result<PrometheusHandle, String> {
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(CALL_DURATION_SECONDS.to_owned()),
                    LATENCY_BUCKETS,
                )
                .map_err(|e| format!("latency buckets: {e}"))?
                .install_recorder()
                .map_err(|e| format!("cannot install the Prometheus recorder: {e}"))?;
            pasarela_core::observe::describe_metrics();
            Ok(handle)
        })
        .clone()
}

/// `GET /metrics`: what `handle` holds, in Prometheus text.
pub fn route(handle: PrometheusHandle) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move {
                // Without the exporter's HTTP listener nothing else drains
                // the histograms: do it on each scrape.
                handle.run_upkeep();
                ([(header::CONTENT_TYPE, CONTENT_TYPE)], handle.render()).into_response()
            }
        }),
    )
}

/// `GET /metrics` over the recorder [`install`] installs; 503 with the
/// reason when it could not be.
pub fn routes() -> Router {
    match install() {
        Ok(handle) => route(handle),
        Err(reason) => Router::new().route(
            "/metrics",
            get(move || {
                let reason = reason.clone();
                async move { unavailable(reason) }
            }),
        ),
    }
}

fn unavailable(reason: String) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, reason).into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use pasarela_core::client::MonnetClient;
    use pasarela_core::monnet::{Config, Environment, StatusQuery};
    use pasarela_core::transport::TransportError;
    use pasarela_core::{PreparedRequest, RawResponse};

    #[tokio::test]
    async fn serves_the_sdks_metrics_in_prometheus_text() {
        let handle = install().unwrap();
        // One gateway call, counted by the SDK.
        let client = MonnetClient::new(
            Config::new("4001", "TEST-ONLY-key", Environment::Certification).unwrap(),
            |_r: PreparedRequest| {
                Ok::<_, TransportError>(RawResponse::new(
                    200,
                    r#"{"payinMerchantID":"4001","operations":[]}"#,
                ))
            },
        );
        client
            .status(&StatusQuery::by_operation_number("OP1"))
            .unwrap();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, route(handle)).await.unwrap();
        });
        let res = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(format!("http://{addr}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], CONTENT_TYPE);
        let text = res.text().await.unwrap();
        server.abort();
        assert!(
            text.contains(
                r#"pasarela_calls_total{gateway="monnet",operation="status_query",outcome="ok"}"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"pasarela_call_duration_seconds_bucket{gateway="monnet",operation="status_query",le="0.005"}"#
            ),
            "{text}"
        );
        assert!(text.contains("# HELP pasarela_calls_total"), "{text}");
        // Installing again is the same recorder.
        assert!(install().is_ok());
    }
}
