//! The transports' overhead rows: the same signed bytes POSTed to the
//! embedded loopback simulator by a bare HTTP client and through the
//! pasarela transport over the same client library, measured interleaved.

use std::hint::black_box;

use pasarela_core::crypto::Backend;
use pasarela_core::smilepayz;
use time::OffsetDateTime;

use super::measure::Operation;
use super::ops::setup;
use super::sim::{loopback, smilepayz_config};
use crate::output::Failure;

/// The transports' overhead: the same signed inquiry-status bytes
/// POSTed to the embedded loopback simulator by a bare ureq `Agent`
/// (`ureq.baseline_post`), by a bare agent with the transport's timeouts
/// (`ureq.baseline_post_with_timeouts`) and through [`UreqTransport`](pasarela_ureq::UreqTransport)
/// (`ureq.transport_send`), all reading the whole answer, measured
/// interleaved. The simulator does the same work for all three. Then the
/// same for the reqwest transport (`reqwest.baseline_post`: a default
/// `reqwest::Client`; `reqwest.transport_send`: [`ReqwestTransport`](pasarela_reqwest::ReqwestTransport)), on
/// one current-thread tokio runtime shared by both.
pub(super) fn transport_operations(ops: &mut Vec<Operation>) -> Result<(), Failure> {
    use std::sync::Arc;

    use pasarela_core::transport::BlockingTransport;
    use pasarela_simulator::{LoopbackServer, Simulator};
    use pasarela_ureq::{TransportConfig, UreqTransport, ureq};

    let simulator = Simulator::with_test_keys().map_err(|e| setup("simulator")(e.to_string()))?;
    let server = Arc::new(
        LoopbackServer::start(simulator, loopback())
            .map_err(|e| setup("simulator")(e.to_string()))?,
    );
    let config =
        smilepayz_config(&server.credentials(), Backend::default()).map_err(setup("config"))?;
    let query = smilepayz::InquiryStatusRequest::pay_in_by_order_no("BENCH000001")
        .map_err(|e| setup("inquiry")(e.to_string()))?;
    // Signed at "now" so the simulator's ±5-minute window accepts it for the
    // whole run.
    let prepared = smilepayz::prepare_inquiry_status(&config, &query, OffsetDateTime::now_utc())
        .map_err(|e| setup("inquiry")(e.to_string()))?;

    // Two baselines: a bare agent as ureq builds it (no timeouts), and one
    // with the transport's timeouts. ureq re-sets the socket timeout before
    // every read and write when a deadline is configured, so the difference
    // between the two is ureq's timeout cost, not the transport's.
    let bare: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let with_timeouts =
        ureq::Agent::new_with_config(pasarela_ureq::agent_config(&TransportConfig::new()).build());
    let (url, headers, body) = (
        prepared.url().to_string(),
        prepared.headers().to_vec(),
        prepared.body().to_vec(),
    );
    for (name, agent) in [
        ("ureq.baseline_post", bare),
        ("ureq.baseline_post_with_timeouts", with_timeouts),
    ] {
        let (url, headers, body, alive) =
            (url.clone(), headers.clone(), body.clone(), server.clone());
        ops.push(
            Operation::new(name, None, move || {
                let _alive = &alive;
                let mut request = agent.post(&url);
                for (name, value) in &headers {
                    request = request.header(name.as_str(), value.as_str());
                }
                let response = request.send(&body[..]).map_err(|e| e.to_string())?;
                let answer = response
                    .into_body()
                    .read_to_vec()
                    .map_err(|e| e.to_string())?;
                drop(black_box(answer));
                Ok(())
            })
            .in_group("ureq"),
        );
    }
    let transport = UreqTransport::new();
    let (alive, request) = (server.clone(), prepared.clone());
    ops.push(
        Operation::new("ureq.transport_send", None, move || {
            let _alive = &alive;
            let answer = transport.send(request.clone()).map_err(|e| e.to_string())?;
            drop(black_box(answer));
            Ok(())
        })
        .in_group("ureq"),
    );
    reqwest_operations(ops, server, prepared)
}

/// `reqwest.baseline_post` and `reqwest.transport_send`, interleaved.
fn reqwest_operations(
    ops: &mut Vec<Operation>,
    server: std::sync::Arc<pasarela_simulator::LoopbackServer>,
    prepared: pasarela_core::PreparedRequest,
) -> Result<(), Failure> {
    use std::sync::Arc;

    use pasarela_core::transport::AsyncTransport;
    use pasarela_reqwest::{ReqwestTransport, TransportConfig, client_builder, reqwest};

    let runtime = Arc::new(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| setup("tokio")(e.to_string()))?,
    );
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(|e| setup("reqwest")(e.to_string()))?;
    let url = prepared.url().clone();
    // Header strings, turned into reqwest's header types on every request as
    // any caller does (X-TIMESTAMP and X-SIGNATURE change with each one).
    let headers = prepared.headers().to_vec();
    let body = prepared.body().to_vec();
    let (rt, alive) = (runtime.clone(), server.clone());
    ops.push(
        Operation::new("reqwest.baseline_post", None, move || {
            let _alive = &alive;
            rt.block_on(async {
                let mut request = bare.post(url.clone());
                for (name, value) in &headers {
                    request = request.header(name.as_str(), value.as_str());
                }
                let response = request
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let answer = response.bytes().await.map_err(|e| e.to_string())?;
                drop(black_box(answer));
                Ok(())
            })
        })
        .in_group("reqwest"),
    );
    let config = TransportConfig::new();
    let client = client_builder(&config)
        .no_proxy()
        .build()
        .map_err(|e| setup("reqwest")(e.to_string()))?;
    let transport = ReqwestTransport::with_client(client, config);
    ops.push(
        Operation::new("reqwest.transport_send", None, move || {
            let _alive = &server;
            runtime.block_on(async {
                let answer = transport
                    .send(prepared.clone())
                    .await
                    .map_err(|e| e.to_string())?;
                drop(black_box(answer));
                Ok(())
            })
        })
        .in_group("reqwest"),
    );
    Ok(())
}
