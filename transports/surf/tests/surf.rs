//! `SurfTransport` against the shared fault suite, the shared behaviour
//! suite (loopback simulator) and the load test, and what is surf's own:
//! one connection per request.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use pasarela_core::transport::AsyncTransport;
use pasarela_surf::{SurfTransport, TransportConfig};
use pasarela_transport_tests::faults::{self, Stack, post};
use pasarela_transport_tests::server::Server;

#[test]
fn passes_the_fault_suite() {
    let _exclusive = pasarela_transport_tests::exclusive();
    let report = async_std::task::block_on(faults::run(
        Stack {
            // http-types keeps headers in a hash map.
            keeps_header_order: false,
        },
        |config| SurfTransport::with_config(config).unwrap(),
    ));
    report.assert_all_passed();
    assert!(report.passed.len() >= 20, "{:?}", report.passed);
}

/// The behavioural suite every transport passes, against the loopback
/// simulator (the same cases as the ureq and reqwest transports').
#[test]
fn passes_the_transport_suite() {
    let _exclusive = pasarela_transport_tests::exclusive();
    use pasarela_conformance::transport_suite::Suite;
    let suite = Suite::start();
    let report = async_std::task::block_on(suite.run(|timeout| {
        SurfTransport::with_config(
            TransportConfig::new()
                .timeout(timeout)
                .connect_timeout(timeout),
        )
        .unwrap()
    }));
    report.assert_all_passed();
    assert!(report.passed.len() >= 16, "{:?}", report.passed);
}

#[async_std::test]
async fn many_concurrent_requests_one_connection_each() {
    let server = Server::start();
    // The suite's generous timeouts: 100 loopback connects at once on a
    // loaded machine may take a while, and none of them may fail for it.
    let t = SurfTransport::with_config(faults::config().max_concurrent_requests(16)).unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let t = t.clone();
            let url = server.url("/echo");
            async_std::task::spawn(async move {
                let body = format!("{{\"n\":{i}}}");
                let resp = t.send(post(&url, body.as_bytes())).await.expect("echo");
                assert!(resp.body.ends_with(body.as_bytes()));
                let head = String::from_utf8_lossy(&resp.body).to_ascii_lowercase();
                assert!(head.contains("connection: close\r\n"), "{head}");
            })
        })
        .collect();
    for task in tasks {
        task.await;
    }
    assert_eq!(server.paths().len(), 100);
    // No pooling by design (see the crate docs): one connection per request.
    assert_eq!(server.connections(), 100);
}

/// 1,000 concurrent pay-ins through the surf transport: no error, and every
/// order present in the simulator afterwards, exactly once.
#[test]
fn thousand_concurrent_pay_ins() {
    let _exclusive = pasarela_transport_tests::exclusive();
    use pasarela_conformance::samples::smilepayz_pay_in;
    use pasarela_conformance::transport_suite::Suite;
    use pasarela_core::client::AsyncSmilepayzClient;

    const N: usize = 1000;
    let suite = Suite::start();
    let transport = SurfTransport::with_config(
        TransportConfig::new()
            .max_concurrent_requests(N)
            .timeout(Duration::from_secs(60)),
    )
    .unwrap();
    let client = AsyncSmilepayzClient::new(suite.smilepayz_config(), transport);
    let results = async_std::task::block_on(async {
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                let client = client.clone();
                async_std::task::spawn(async move {
                    client
                        .pay_in(
                            &smilepayz_pay_in("20001", &format!("LOAD{i:06}"), 10_000 + i as u64)
                                .map_err(|e| e.to_string())?,
                        )
                        .await
                        .map(|created| created.into_response().order_no)
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        let mut out = Vec::with_capacity(N);
        for task in tasks {
            out.push(task.await);
        }
        out
    });
    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    let orders = suite.server().simulator().smilepayz_orders();
    let mut numbers: Vec<_> = orders.iter().map(|o| o.order_no.clone()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), N);
    assert_eq!(orders.len(), N, "every order exactly once");
}

/// Load: N concurrent async pay-ins, each settled so its callback is
/// delivered (twice: the merchant loses the first ack); the shared check
/// of `pasarela_conformance::transport_suite::Load`.
///
/// CI runs it with N = 200; the full size is one command:
/// `PASARELA_LOAD_N=1000 cargo test --release -p pasarela-surf --test surf load_`
#[test]
fn load_pay_ins_with_duplicate_callbacks() {
    let _exclusive = pasarela_transport_tests::exclusive();
    use std::sync::Arc;

    use pasarela_conformance::transport_suite::Load;
    use pasarela_core::client::AsyncSmilepayzClient;

    let load = Arc::new(Load::start(200));
    let n = load.n();
    let t = SurfTransport::with_config(
        TransportConfig::new()
            .max_concurrent_requests(n)
            .timeout(Duration::from_secs(60)),
    )
    .unwrap();
    let client = AsyncSmilepayzClient::new(load.suite().smilepayz_config(), t.clone());
    let start = Instant::now();
    let results = async_std::task::block_on(async {
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let (load, client, t) = (load.clone(), client.clone(), t.clone());
                async_std::task::spawn(
                    async move { load.pay_in_with_callback(&client, &t, i).await },
                )
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for task in tasks {
            out.push(task.await);
        }
        out
    });
    let report = load.check(results, start.elapsed());
    println!("surf: {report}");
}
