//! `ReqwestTransport` against the shared fault suite, the shared behaviour
//! suite (loopback simulator), the load test, and the cases only a pooled
//! tokio transport has: Send futures, pooling, phase-exact timeouts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use pasarela_core::transport::{AsyncTransport, Delivery, TransportErrorKind, TransportFailure};
use pasarela_reqwest::{ReqwestTransport, TransportConfig, client_builder};
use pasarela_transport_tests::faults::{self, Stack, post};
use pasarela_transport_tests::server::Server;

/// A transport over a client that ignores proxy variables in the
/// environment (tests talk to loopback only).
fn transport(config: TransportConfig) -> ReqwestTransport {
    let client = client_builder(&config).no_proxy().build().unwrap();
    ReqwestTransport::with_client(client, config)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn passes_the_fault_suite() {
    let _exclusive = pasarela_transport_tests::exclusive();
    let report = runtime().block_on(faults::run(
        Stack {
            keeps_header_order: true,
        },
        transport,
    ));
    report.assert_all_passed();
    assert!(report.passed.len() >= 20, "{:?}", report.passed);
}

/// The behavioural suite every transport passes, against the loopback
/// simulator (the same cases as the ureq and surf transports').
#[test]
fn passes_the_transport_suite() {
    let _exclusive = pasarela_transport_tests::exclusive();
    use pasarela_conformance::transport_suite::Suite;
    let suite = Suite::start();
    let report = runtime().block_on(suite.run(|timeout| {
        transport(
            TransportConfig::new()
                .timeout(timeout)
                .connect_timeout(timeout),
        )
    }));
    report.assert_all_passed();
    assert!(report.passed.len() >= 16, "{:?}", report.passed);
}

#[test]
fn futures_are_send_and_spawn_on_tokio() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
    assert_shareable::<ReqwestTransport>();
    let server = Server::start();
    let t = transport(faults::config());
    let fut = t.send(post(&server.url("/echo"), b"{}"));
    assert_send(&fut);
    drop(fut);
    // Generic code over the transport can spawn (core's Send-safe trait).
    async fn spawn_call<T>(t: T, url: String) -> u16
    where
        T: AsyncTransport<Error = pasarela_reqwest::TransportError> + Send + Sync + 'static,
    {
        let handle = tokio::spawn(async move { t.send(post(&url, b"{}")).await.map(|r| r.status) });
        handle.await.unwrap().unwrap()
    }
    let status = runtime().block_on(spawn_call(t, server.url("/echo")));
    assert_eq!(status, 200);
}

#[test]
fn clones_share_one_pool_across_tasks() {
    let _exclusive = pasarela_transport_tests::exclusive();
    let server = Server::start();
    let t = transport(faults::config());
    runtime().block_on(async {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let t = t.clone();
                let url = server.url("/echo");
                tokio::spawn(async move {
                    for j in 0..5 {
                        let body = format!("{{\"n\":{i}{j}}}");
                        let resp = t.send(post(&url, body.as_bytes())).await.unwrap();
                        assert!(resp.body.ends_with(body.as_bytes()));
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert_eq!(server.paths().len(), 40);
    // Pooled: far fewer connections than requests. hyper's pool may open a
    // spare connection when a checkout races a connection being returned
    // (it then keeps it idle), so allow up to two per task.
    assert!(
        server.connections() <= 16,
        "{} connections for 40 requests",
        server.connections()
    );
}

/// reqwest's `is_timeout()` says nothing about the phase; the transport
/// does. The same client, with its own overall timeout and no connect
/// timeout, times out while connecting (a TLS handshake that never
/// completes: NotSent) and after sending (no answer: MaybeSent).
#[test]
fn a_timeout_while_connecting_is_not_sent_and_after_sending_maybe_sent() {
    let _exclusive = pasarela_transport_tests::exclusive();
    let silent = Server::start_silent();
    let server = Server::start();
    // Timeouts of a few seconds: long enough for a loopback connect and
    // write to be done first on a loaded machine (so "after sending" is
    // what is tested), short enough to wait out.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(faults::SHORT_TIMEOUT)
        .no_proxy()
        .build()
        .unwrap();
    let own_timeout = ReqwestTransport::with_client(client, TransportConfig::new());
    // And the transport's own overall timeout, with a client that has none.
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let transport_timeout =
        ReqwestTransport::with_client(bare, TransportConfig::new().timeout(faults::SHORT_TIMEOUT));
    runtime().block_on(async {
        for t in [&own_timeout, &transport_timeout] {
            let start = Instant::now();
            let e = t
                .send(post(&silent.https_url("/x"), b"{}"))
                .await
                .unwrap_err();
            // Ended by a timeout, not a hang (late timers allowed for).
            assert!(start.elapsed() < faults::SHORT_TIMEOUT + faults::SLACK);
            assert_eq!(e.delivery(), Delivery::NotSent, "{e}");
            let e = t.send(post(&server.url("/hang"), b"{}")).await.unwrap_err();
            assert_eq!(
                (e.kind(), e.delivery()),
                (TransportErrorKind::Timeout, Delivery::MaybeSent),
                "{e}"
            );
        }
        // The client's connect timeout, inside the TLS handshake: reqwest
        // reports is_connect and is_timeout; the transport says Connect.
        // (The overall timeout is far later, so only the connect one fires.)
        let t = transport(faults::short_config().timeout(faults::TIMEOUT));
        let e = t
            .send(post(&silent.https_url("/x"), b"{}"))
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.delivery()),
            (TransportErrorKind::Connect, Delivery::NotSent),
            "{e}"
        );
        assert!(e.message().contains("connect timed out"), "{e}");
    });
}

#[test]
fn a_dns_failure_is_not_sent() {
    struct NoSuchHost;
    impl reqwest::dns::Resolve for NoSuchHost {
        fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
            Box::pin(async {
                Err::<reqwest::dns::Addrs, _>(
                    Box::new(std::io::Error::other("no such host")) as Box<_>
                )
            })
        }
    }
    let config = faults::config();
    let client = client_builder(&config)
        .no_proxy()
        .dns_resolver(Arc::new(NoSuchHost))
        .build()
        .unwrap();
    let t = ReqwestTransport::with_client(client, config);
    let e = runtime()
        .block_on(t.send(post("http://gateway.invalid/x", b"{}")))
        .unwrap_err();
    assert_eq!(e.delivery(), Delivery::NotSent, "{e}");
    assert_eq!(e.kind(), TransportErrorKind::Dns, "{e}");
}

#[test]
fn a_client_that_follows_redirects_is_caught() {
    let server = Server::start();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let t = ReqwestTransport::with_client(client, faults::config());
    let e = runtime()
        .block_on(t.send(post(&server.url("/redirect"), b"{}")))
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.delivery()),
        (TransportErrorKind::Protocol, Delivery::MaybeSent),
        "{e}"
    );
}

/// Load: N concurrent pay-ins through the reqwest transport, each settled so
/// its callback is delivered (twice: the merchant loses the first ack).
///
/// CI runs it with N = 200; the full size is one command:
/// `PASARELA_LOAD_N=1000 cargo test --release -p pasarela-reqwest --test reqwest load_`
#[test]
fn load_pay_ins_with_duplicate_callbacks() {
    let _exclusive = pasarela_transport_tests::exclusive();
    use pasarela_conformance::transport_suite::Load;
    use pasarela_core::client::AsyncSmilepayzClient;

    let load = Arc::new(Load::start(200));
    let n = load.n();
    let t = transport(
        TransportConfig::new()
            .max_concurrent_requests(n)
            .timeout(Duration::from_secs(60)),
    );
    let client = AsyncSmilepayzClient::new(load.suite().smilepayz_config(), t.clone());
    let start = Instant::now();
    let results = runtime().block_on(async {
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let (load, client, t) = (load.clone(), client.clone(), t.clone());
                tokio::spawn(async move { load.pay_in_with_callback(&client, &t, i).await })
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for task in tasks {
            out.push(task.await.unwrap_or_else(|e| Err(e.to_string())));
        }
        out
    });
    let report = load.check(results, start.elapsed());
    println!("reqwest: {report}");
}
