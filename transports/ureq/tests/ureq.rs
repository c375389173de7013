//! `UreqTransport` against the shared fault suite and the shared behaviour
//! suite (loopback simulator), and what only a pooled blocking transport
//! has: sharing across threads, an agent of the user's own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pasarela_conformance::transport_suite::{Blocking, Suite, block_on_inline};
use pasarela_core::transport::BlockingTransport;
use pasarela_transport_tests::faults::{self, Stack, post};
use pasarela_transport_tests::server::Server;
use pasarela_ureq::{TransportConfig, UreqTransport, agent_config};

/// A transport that ignores proxy variables in the environment (tests talk
/// to loopback only).
fn transport(config: TransportConfig) -> UreqTransport {
    UreqTransport::with_agent_config(agent_config(&config).proxy(None).build(), config)
}

#[test]
fn passes_the_fault_suite() {
    let _exclusive = pasarela_transport_tests::exclusive();
    let report = block_on_inline(faults::run(
        Stack {
            keeps_header_order: true,
        },
        |config| Blocking(transport(config)),
    ));
    report.assert_all_passed();
    assert!(report.passed.len() >= 20, "{:?}", report.passed);
}

/// The behavioural suite every transport passes, against the loopback
/// simulator: success for every call, each trigger mapped to the right
/// error kind, "not sent" vs "outcome unknown" right in every case.
#[test]
fn passes_the_transport_suite() {
    let _exclusive = pasarela_transport_tests::exclusive();
    let suite = Suite::start();
    let report = block_on_inline(suite.run(|timeout| {
        Blocking(transport(
            TransportConfig::new()
                .timeout(timeout)
                .connect_timeout(timeout),
        ))
    }));
    report.assert_all_passed();
    assert!(report.passed.len() >= 16, "{:?}", report.passed);
}

#[test]
fn keeps_connections_and_is_shared_across_threads() {
    let _exclusive = pasarela_transport_tests::exclusive();
    let server = Server::start();
    let t = transport(faults::config());
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let t = t.clone();
            let url = server.url("/echo");
            std::thread::spawn(move || {
                for j in 0..5 {
                    let body = format!("{{\"n\":{i}{j}}}");
                    let resp = t.send(post(&url, body.as_bytes())).expect("echo");
                    assert!(resp.body.ends_with(body.as_bytes()));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    assert_eq!(server.paths().len(), 40);
    // Pooled: 8 threads need at most 8 connections for 40 requests.
    assert!(
        server.connections() <= 8,
        "{} connections for 40 requests",
        server.connections()
    );
}

#[test]
fn an_agent_whose_statuses_are_errors_is_overridden() {
    let server = Server::start();
    // ureq's defaults: statuses as errors, follow redirects.
    let agent = pasarela_ureq::Agent::new_with_config(
        pasarela_ureq::Agent::config_builder()
            .timeout_global(Some(faults::TIMEOUT))
            .proxy(None)
            .build(),
    );
    let t = UreqTransport::with_agent(agent, faults::config());
    let resp = t.send(post(&server.url("/status/500"), b"{}")).unwrap();
    assert_eq!(resp.status, 500);
    let resp = t.send(post(&server.url("/redirect"), b"{}")).unwrap();
    assert_eq!(resp.status, 302);
    assert_eq!(server.paths(), ["/status/500", "/redirect"]);
}
