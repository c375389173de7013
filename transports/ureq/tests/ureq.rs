//! Behaviour of `UreqTransport` against a loopback server that misbehaves on
//! purpose. Loopback only; every case is bounded by short timeouts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../test-support/server.rs"]
mod server;

use std::time::{Duration, Instant};

use pasarela_core::http::Method;
use pasarela_core::transport::{BlockingTransport, Delivery, TransportErrorKind, TransportFailure};
use pasarela_core::{PreparedRequest, RawResponse};
use pasarela_ureq::{TransportError, UreqConfig, UreqTransport};
use server::Server;

const TIMEOUT: Duration = Duration::from_millis(600);

fn transport() -> UreqTransport {
    UreqConfig::new()
        .connect_timeout(Duration::from_millis(300))
        .timeout(TIMEOUT)
        .max_body_size(64 * 1024)
        .env_proxy(false)
        .build()
}

fn post(url: &str, body: &[u8]) -> PreparedRequest {
    PreparedRequest::new(
        Method::POST,
        url.parse().expect("url"),
        vec![
            ("Content-Type".into(), "application/json".into()),
            ("X-TIMESTAMP".into(), "2024-01-01T00:00:00-05:00".into()),
            ("X-SIGNATURE".into(), "c2ln+/=".into()),
        ],
        body.to_vec(),
    )
}

/// Sends and checks the call ended within the timeout (plus slack).
fn send(t: &UreqTransport, req: PreparedRequest) -> Result<RawResponse, TransportError> {
    let start = Instant::now();
    let result = t.send(req);
    assert!(
        start.elapsed() < TIMEOUT + Duration::from_millis(700),
        "took {:?}",
        start.elapsed()
    );
    result
}

fn expect_err(result: Result<RawResponse, TransportError>) -> TransportError {
    match result {
        Ok(r) => panic!("expected an error, got {r:?}"),
        Err(e) => e,
    }
}

#[test]
fn success_sends_exact_bytes_and_keeps_headers() {
    let server = Server::start();
    let t = transport();
    let body = br#"{"amount":"10.00","orderNo":"A\u00e9"}"#;
    let resp = send(&t, post(&server.url("/echo"), body)).expect("echo");
    assert_eq!(resp.status, 200);
    // The server echoes the raw request: the body is byte-exact at the end.
    assert!(resp.body.ends_with(body));
    let head = String::from_utf8_lossy(&resp.body).to_ascii_lowercase();
    assert!(head.starts_with("post /echo http/1.1\r\n"), "{head}");
    let pos = |h: &str| {
        head.find(h)
            .unwrap_or_else(|| panic!("{h} missing in {head}"))
    };
    assert!(head.contains("x-signature: c2ln+/=\r\n"));
    assert!(head.contains(&format!("content-length: {}\r\n", body.len())));
    // Request headers go out in the order prepared.
    assert!(pos("content-type:") < pos("x-timestamp:"));
    assert!(pos("x-timestamp:") < pos("x-signature:"));
    // No Accept added; our User-Agent default.
    assert!(!head.contains("\r\naccept:"));
    assert!(head.contains("user-agent: pasarela/"));

    // Response headers: all kept, in order of first occurrence.
    let names: Vec<&str> = resp.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "content-type",
            "x-first",
            "x-mixed-case",
            "set-cookie",
            "set-cookie",
            "x-last",
            "content-length"
        ]
    );
    assert_eq!(resp.header("X-MiXeD-Case"), Some("Value With Spaces"));
    let cookies: Vec<&str> = resp
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
}

#[test]
fn keeps_connections_and_is_shared_across_threads() {
    let server = Server::start();
    let t = transport();
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
fn statuses_are_responses_not_errors() {
    let server = Server::start();
    let t = transport();
    for code in [400u16, 401, 404, 500, 503] {
        let resp = send(&t, post(&server.url(&format!("/status/{code}")), b"{}")).expect("status");
        assert_eq!(resp.status, code);
        assert_eq!(resp.body, format!("status {code}").as_bytes());
    }
}

#[test]
fn redirects_are_not_followed() {
    let server = Server::start();
    let t = transport();
    let resp = send(&t, post(&server.url("/redirect"), b"{}")).expect("302");
    assert_eq!(resp.status, 302);
    assert_eq!(resp.header("location"), Some("/echo"));
    assert_eq!(resp.body, b"moved");
    assert_eq!(server.paths(), ["/redirect"]);
}

#[test]
fn user_agent_whose_status_is_error_is_overridden() {
    let server = Server::start();
    // ureq's defaults: statuses as errors, follow redirects.
    let agent = pasarela_ureq::Agent::new_with_config(
        pasarela_ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .proxy(None)
            .build(),
    );
    let t = UreqTransport::with_agent(agent);
    let resp = send(&t, post(&server.url("/status/500"), b"{}")).expect("500");
    assert_eq!(resp.status, 500);
    let resp = send(&t, post(&server.url("/redirect"), b"{}")).expect("302");
    assert_eq!(resp.status, 302);
}

#[test]
fn connection_refused_is_not_sent() {
    let port = server::dead_port();
    let e = expect_err(send(
        &transport(),
        post(&format!("http://127.0.0.1:{port}/x"), b"{}"),
    ));
    assert_eq!(e.kind(), TransportErrorKind::Connect, "{e}");
    assert_eq!(e.delivery(), Delivery::NotSent, "{e}");
}

#[test]
fn invalid_header_is_not_sent() {
    let server = Server::start();
    let req = PreparedRequest::new(
        Method::POST,
        server.url("/echo").parse().expect("url"),
        vec![("X-Bad".into(), "line\r\nbreak".into())],
        b"{}".to_vec(),
    );
    let e = expect_err(send(&transport(), req));
    assert_eq!(e.kind(), TransportErrorKind::InvalidRequest, "{e}");
    assert_eq!(e.delivery(), Delivery::NotSent);
    assert!(server.paths().is_empty());
}

#[test]
fn closed_without_answer_is_maybe_sent() {
    let server = Server::start();
    let e = expect_err(send(&transport(), post(&server.url("/close"), b"{}")));
    assert_eq!(e.kind(), TransportErrorKind::ConnectionBroken, "{e}");
    assert_eq!(e.delivery(), Delivery::MaybeSent);
}

#[test]
fn reset_after_request_is_maybe_sent() {
    let server = Server::start();
    let e = expect_err(send(&transport(), post(&server.url("/reset"), b"{}")));
    assert_eq!(e.kind(), TransportErrorKind::ConnectionBroken, "{e}");
    assert_eq!(e.delivery(), Delivery::MaybeSent);
}

#[test]
fn truncated_body_is_maybe_sent() {
    let server = Server::start();
    let e = expect_err(send(&transport(), post(&server.url("/truncate"), b"{}")));
    assert_eq!(e.kind(), TransportErrorKind::ConnectionBroken, "{e}");
    assert_eq!(e.delivery(), Delivery::MaybeSent);
}

#[test]
fn no_answer_times_out_maybe_sent() {
    let server = Server::start();
    let e = expect_err(send(&transport(), post(&server.url("/hang"), b"{}")));
    assert_eq!(e.kind(), TransportErrorKind::Timeout, "{e}");
    assert_eq!(e.delivery(), Delivery::MaybeSent);
}

#[test]
fn slow_body_times_out_maybe_sent() {
    let server = Server::start();
    let e = expect_err(send(&transport(), post(&server.url("/slow"), b"{}")));
    assert_eq!(e.kind(), TransportErrorKind::Timeout, "{e}");
    assert_eq!(e.delivery(), Delivery::MaybeSent);
}

#[test]
fn oversized_body_is_body_too_large() {
    let server = Server::start();
    let t = transport();
    let ok = send(&t, post(&server.url("/big/65536"), b"{}")).expect("at the limit");
    assert_eq!(ok.body.len(), 65536);
    let e = expect_err(send(&t, post(&server.url("/big/65537"), b"{}")));
    assert_eq!(e.kind(), TransportErrorKind::BodyTooLarge, "{e}");
    assert_eq!(e.delivery(), Delivery::MaybeSent);
    let e = expect_err(send(&t, post(&server.url("/endless"), b"{}")));
    assert_eq!(e.kind(), TransportErrorKind::BodyTooLarge, "{e}");
}

#[test]
fn bodies_come_back_as_bytes() {
    let server = Server::start();
    let t = transport();
    let resp = send(&t, post(&server.url("/bytes"), b"{}")).expect("bytes");
    assert_eq!(resp.body, server::NOT_UTF8);
    let resp = send(&t, post(&server.url("/html"), b"{}")).expect("html");
    assert_eq!(resp.status, 502);
    assert_eq!(resp.body, server::HTML.as_bytes());
}

#[test]
fn unsupported_scheme_is_not_sent() {
    let req = post("ftp://127.0.0.1/x", b"{}");
    let e = expect_err(send(&transport(), req));
    assert_eq!(e.kind(), TransportErrorKind::InvalidRequest);
    assert_eq!(e.delivery(), Delivery::NotSent);
}

/// The behavioural suite every transport passes, against the loopback
/// simulator: success for every call, each trigger mapped to the right
/// error kind, "not sent" vs "outcome unknown" right in every case.
#[test]
fn passes_the_transport_suite() {
    use pasarela_conformance::transport_suite::{Blocking, Suite, block_on_inline};
    let suite = Suite::start();
    let report = block_on_inline(suite.run(|timeout| {
        Blocking(UreqTransport::with_config(
            UreqConfig::new().timeout(timeout).connect_timeout(timeout),
        ))
    }));
    report.assert_all_passed();
    assert!(report.passed.len() >= 16, "{:?}", report.passed);
}

#[test]
fn reset_before_the_request_is_read_is_maybe_sent() {
    // Depending on timing the reset lands while connecting (nothing written:
    // NotSent is the truth) or after bytes may have gone out (MaybeSent).
    // Never NotSent once writing may have started.
    let server = Server::start_reset_on_accept();
    let e = expect_err(send(&transport(), post(&server.url("/echo"), b"{}")));
    match e.kind() {
        TransportErrorKind::Connect => assert_eq!(e.delivery(), Delivery::NotSent, "{e}"),
        _ => assert_eq!(e.delivery(), Delivery::MaybeSent, "{e}"),
    }
}

/// End to end through a client: misbehaving answers become typed client
/// errors; the body decides, never the `Content-Type` header.
#[test]
fn clients_turn_misbehaving_answers_into_typed_errors() {
    use pasarela_core::client::{ClientError, SmilepayzClient, Unknown};
    use pasarela_core::crypto::{Backend, PrivateKey};
    use pasarela_core::smilepayz::{Config, Environment};
    use pasarela_core::{MerchantSecret, ParseError};

    let server = Server::start();
    let key = PrivateKey::load(include_str!(
        "../../../core/testdata/keys/merchant_private_pkcs8.pem"
    ))
    .unwrap();
    let client = |route: &str| {
        let config = Config::new(
            "20001",
            MerchantSecret::new("TEST-ONLY-secret"),
            Backend::default().signer(&key).unwrap(),
            Environment::Custom(server.url(route).parse().unwrap()),
        )
        .unwrap();
        SmilepayzClient::new(config, transport())
    };
    let pay_in =
        pasarela_conformance::samples::smilepayz_pay_in("20001", "FAULT001", 20_000).unwrap();
    match client("/html").pay_in(&pay_in) {
        Err(ClientError::OutcomeUnknown(Unknown::Response(ParseError::HttpStatus {
            status: 502,
            ..
        }))) => {}
        other => panic!("HTML 502: {other:?}"),
    }
    match client("/bytes").pay_in(&pay_in) {
        Err(ClientError::OutcomeUnknown(Unknown::Response(ParseError::Json { .. }))) => {}
        other => panic!("invalid UTF-8: {other:?}"),
    }
    match client("/text-json").pay_in(&pay_in) {
        Err(ClientError::Rejected(r)) => assert_eq!(r.code, "05"),
        other => panic!("wrong content-type: {other:?}"),
    }
    match client("/truncate").pay_in(&pay_in) {
        Err(e @ ClientError::OutcomeUnknown(Unknown::Transport(_))) => assert!(!e.is_retry_safe()),
        other => panic!("truncated: {other:?}"),
    }
    match client("/close").pay_in(&pay_in) {
        Err(ClientError::OutcomeUnknown(Unknown::Transport(_))) => {}
        other => panic!("closed: {other:?}"),
    }
}
