//! The fault suite: one set of cases every transport runs against the
//! misbehaving [`Server`], each asserting the error kind, the delivery
//! verdict and that the call ended within its timeout.

// Test-support code: a set-up failure (a bad literal URL, the TEST ONLY
// key) is a bug in the suite itself and may panic.
#![allow(clippy::expect_used)]

use std::time::{Duration, Instant};

use pasarela_conformance::transport_suite::Report;
use pasarela_core::http::Method;
use pasarela_core::transport::{
    AsyncTransport, Delivery, TransportError, TransportErrorKind, TransportFailure,
};
use pasarela_core::{PreparedRequest, RawResponse};
use pasarela_transport_kit::TransportConfig;

use crate::server::{self, Server};

// No case depends on sub-second timing (the machine may be a loaded 2-core
// box): a request that should succeed gets timeouts it can never reach on
// loopback, and the cases that must time out (a server that never answers,
// a TLS handshake that never completes, a body that trickles) use a second
// transport whose timeouts are a few seconds: long enough for a loopback
// connect and write to be done first, short enough to wait out.

/// The overall timeout of the suite's transports: generous, so that no
/// request that should succeed can time out on a loaded machine.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// The connect timeout of the suite's transports (generous too).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// The overall timeout of the transport the timeout cases wait out.
pub const SHORT_TIMEOUT: Duration = Duration::from_secs(3);
/// The connect timeout of the transport the timeout cases wait out.
pub const SHORT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The body cap transports get in the suite.
pub const BODY_LIMIT: u64 = 64 * 1024;
/// How much later than its timeout a call may end before the case fails
/// (a loaded machine fires timers late; this only catches a call that
/// hangs).
pub const SLACK: Duration = Duration::from_secs(15);

/// The configuration the suite's transports are built from.
pub fn config() -> TransportConfig {
    TransportConfig::new()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TIMEOUT)
        .max_body_size(BODY_LIMIT)
}

/// The configuration of the transport the timeout cases use: timeouts of
/// [`SHORT_CONNECT_TIMEOUT`] and [`SHORT_TIMEOUT`].
pub fn short_config() -> TransportConfig {
    config()
        .connect_timeout(SHORT_CONNECT_TIMEOUT)
        .timeout(SHORT_TIMEOUT)
}

/// What differs between HTTP stacks, and is allowed to.
#[derive(Debug, Clone, Copy)]
pub struct Stack {
    /// Request headers go out in the order prepared, and response headers
    /// come back in the order received (http-types, under surf, sorts them).
    pub keeps_header_order: bool,
}

/// A POST with the headers a SmilePayz call carries.
pub fn post(url: &str, body: &[u8]) -> PreparedRequest {
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

/// A transport and the overall timeout it was given.
struct Timed<'a, T>(&'a T, Duration);

/// Sends, failing the case if the call outlived its timeout (by more than
/// [`SLACK`]: a hang, not a late timer).
async fn send<T: AsyncTransport<Error = TransportError>>(
    t: Timed<'_, T>,
    req: PreparedRequest,
) -> Result<Result<RawResponse, TransportError>, String> {
    let Timed(t, timeout) = t;
    let start = Instant::now();
    let result = t.send(req).await;
    let took = start.elapsed();
    if took > timeout + SLACK {
        return Err(format!("took {took:?}, timeout {timeout:?}"));
    }
    Ok(result)
}

async fn ok<T: AsyncTransport<Error = TransportError>>(
    t: Timed<'_, T>,
    req: PreparedRequest,
) -> Result<RawResponse, String> {
    send(t, req)
        .await?
        .map_err(|e| format!("unexpected error: {e}"))
}

async fn fails<T: AsyncTransport<Error = TransportError>>(
    t: Timed<'_, T>,
    req: PreparedRequest,
    kind: TransportErrorKind,
    delivery: Delivery,
) -> Result<TransportError, String> {
    match send(t, req).await? {
        Ok(r) => Err(format!(
            "expected {kind:?}/{delivery:?}, got HTTP {}",
            r.status
        )),
        Err(e) if e.kind() == kind && e.delivery() == delivery => Ok(e),
        Err(e) => Err(format!(
            "expected {kind:?}/{delivery:?}, got {:?}/{:?}: {e}",
            e.kind(),
            e.delivery()
        )),
    }
}

fn expect(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

/// Runs every fault case with transports from `make` (given [`config`]).
pub async fn run<T, F>(stack: Stack, make: F) -> Report
where
    T: AsyncTransport<Error = TransportError> + Sync,
    F: Fn(TransportConfig) -> T,
{
    let mut report = Report::default();
    let server = Server::start();
    let transport = make(config());
    let short = make(short_config());
    // Every case but the three that wait out a timeout.
    let t = || Timed(&transport, TIMEOUT);
    let timing_out = || Timed(&short, SHORT_TIMEOUT);

    report.check(
        "sends the exact bytes and keeps every header",
        async {
            let body = br#"{"amount":"10.00","orderNo":"A\u00e9"}"#;
            let resp = ok(t(), post(&server.url("/echo"), body)).await?;
            expect(resp.status == 200, || format!("status {}", resp.status))?;
            expect(resp.body.ends_with(body), || "body not byte-exact".into())?;
            let head = String::from_utf8_lossy(&resp.body).to_ascii_lowercase();
            for want in [
                "post /echo http/1.1\r\n",
                "x-signature: c2ln+/=\r\n",
                "x-timestamp: 2024-01-01t00:00:00-05:00\r\n",
                "content-type: application/json\r\n",
                &format!("content-length: {}\r\n", body.len()),
                "user-agent: pasarela/",
            ] {
                expect(head.contains(want), || {
                    format!("{want:?} missing in {head}")
                })?;
            }
            expect(head.matches("content-type:").count() == 1, || {
                format!("content-type twice: {head}")
            })?;
            // reqwest adds `Accept: */*` and cannot be told not to; any
            // other Accept would change what the gateway is asked for.
            expect(
                head.matches("\r\naccept:").count() == head.matches("\r\naccept: */*\r\n").count(),
                || format!("an Accept header was added: {head}"),
            )?;
            expect(!head.contains("transfer-encoding"), || {
                format!("the body was not sent with its length: {head}")
            })?;
            if stack.keeps_header_order {
                let pos = |h: &str| head.find(h).unwrap_or(usize::MAX);
                expect(
                    pos("content-type:") < pos("x-timestamp:")
                        && pos("x-timestamp:") < pos("x-signature:"),
                    || format!("request headers reordered: {head}"),
                )?;
            }
            let mut got: Vec<(&str, &str)> = resp
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .filter(|(n, _)| *n != "content-length")
                .collect();
            let mut want = vec![
                ("content-type", "application/octet-stream"),
                ("x-first", "1"),
                ("x-mixed-case", "Value With Spaces"),
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2"),
                ("x-last", "z"),
            ];
            if !stack.keeps_header_order {
                got.sort_by_key(|(n, _)| *n);
                want.sort_by_key(|(n, _)| *n);
            }
            expect(got == want, || format!("response headers {got:?}"))?;
            expect(
                resp.header("X-MiXeD-Case") == Some("Value With Spaces"),
                || "case-insensitive lookup".into(),
            )
        }
        .await,
    );
    report.check(
        "adds no Content-Type to a bodiless GET",
        async {
            let req = PreparedRequest::new(
                Method::GET,
                server.url("/echo").parse().expect("url"),
                vec![],
                vec![],
            );
            let resp = ok(t(), req).await?;
            let head = String::from_utf8_lossy(&resp.body).to_ascii_lowercase();
            expect(head.starts_with("get /echo http/1.1\r\n"), || head.clone())?;
            expect(!head.contains("content-type"), || head.clone())
        }
        .await,
    );
    report.check(
        "statuses are responses, not errors",
        async {
            for code in [400u16, 401, 404, 500, 503] {
                let resp = ok(t(), post(&server.url(&format!("/status/{code}")), b"{}")).await?;
                expect(resp.status == code, || {
                    format!("{code}: got {}", resp.status)
                })?;
                expect(resp.body == format!("status {code}").as_bytes(), || {
                    format!("{code}: body")
                })?;
            }
            Ok(())
        }
        .await,
    );
    report.check(
        "redirects are not followed",
        async {
            let before = server.paths().len();
            let resp = ok(t(), post(&server.url("/redirect"), b"{}")).await?;
            expect(resp.status == 302, || format!("status {}", resp.status))?;
            expect(resp.header("location") == Some("/echo"), || {
                "location".into()
            })?;
            expect(resp.body == b"moved", || "body".into())?;
            let after = server.paths();
            expect(after[before..] == ["/redirect".to_owned()], || {
                format!("followed: {:?}", &after[before..])
            })
        }
        .await,
    );
    report.check(
        "connection refused is Connect, NotSent",
        async {
            let url = format!("http://127.0.0.1:{}/x", server::dead_port());
            fails(
                t(),
                post(&url, b"{}"),
                TransportErrorKind::Connect,
                Delivery::NotSent,
            )
            .await
            .map(drop)
        }
        .await,
    );
    report.check(
        "a TLS handshake that never completes is Connect, NotSent",
        async {
            // Whether the connect timeout or the overall one fires first
            // (loading the system roots may take a while on first use), the
            // request never left.
            let silent = Server::start_silent();
            fails(
                timing_out(),
                post(&silent.https_url("/x"), b"{}"),
                TransportErrorKind::Connect,
                Delivery::NotSent,
            )
            .await
            .map(drop)
        }
        .await,
    );
    report.check(
        "a CR/LF in a header is InvalidRequest, NotSent, and nothing reaches the server",
        async {
            let before = server.paths().len();
            let req = PreparedRequest::new(
                Method::POST,
                server.url("/echo").parse().expect("url"),
                vec![("X-Bad".into(), "line\r\nbreak".into())],
                b"{}".to_vec(),
            );
            fails(
                t(),
                req,
                TransportErrorKind::InvalidRequest,
                Delivery::NotSent,
            )
            .await?;
            expect(server.paths().len() == before, || {
                "the server saw it".into()
            })
        }
        .await,
    );
    report.check(
        "an unsupported scheme is InvalidRequest, NotSent",
        fails(
            t(),
            post("ftp://127.0.0.1/x", b"{}"),
            TransportErrorKind::InvalidRequest,
            Delivery::NotSent,
        )
        .await
        .map(drop),
    );
    report.check(
        "closed without an answer is ConnectionBroken, MaybeSent",
        fails(
            t(),
            post(&server.url("/close"), b"{}"),
            TransportErrorKind::ConnectionBroken,
            Delivery::MaybeSent,
        )
        .await
        .map(drop),
    );
    report.check(
        "reset after the request is ConnectionBroken, MaybeSent",
        fails(
            t(),
            post(&server.url("/reset"), b"{}"),
            TransportErrorKind::ConnectionBroken,
            Delivery::MaybeSent,
        )
        .await
        .map(drop),
    );
    report.check(
        "a reset right after accept is Connect (not sent) or ConnectionBroken",
        async {
            // Depending on timing (and a loaded machine decides it) the reset
            // lands while connecting, or once the connection is up but before
            // the stack handed it a byte of the request (both: nothing
            // written, NotSent is the truth), or after bytes may have gone
            // out (MaybeSent). Which one it was is the transport's phase
            // tracking to say; what is never right is another kind of
            // failure, or a connect failure that claims the request may have
            // left.
            let resetting = Server::start_reset_on_accept();
            match send(t(), post(&resetting.url("/echo"), b"{}")).await? {
                Ok(r) => Err(format!("got HTTP {}", r.status)),
                Err(e) if e.kind() == TransportErrorKind::Connect => {
                    expect(e.delivery() == Delivery::NotSent, || e.to_string())
                }
                Err(e) => expect(e.kind() == TransportErrorKind::ConnectionBroken, || {
                    e.to_string()
                }),
            }
        }
        .await,
    );
    report.check(
        "a body cut mid-way is ConnectionBroken, MaybeSent",
        fails(
            t(),
            post(&server.url("/truncate"), b"{}"),
            TransportErrorKind::ConnectionBroken,
            Delivery::MaybeSent,
        )
        .await
        .map(drop),
    );
    report.check(
        "no answer is Timeout, MaybeSent",
        fails(
            timing_out(),
            post(&server.url("/hang"), b"{}"),
            TransportErrorKind::Timeout,
            Delivery::MaybeSent,
        )
        .await
        .map(drop),
    );
    report.check(
        "a slow body is Timeout, MaybeSent",
        fails(
            timing_out(),
            post(&server.url("/slow"), b"{}"),
            TransportErrorKind::Timeout,
            Delivery::MaybeSent,
        )
        .await
        .map(drop),
    );
    report.check(
        "a body at the cap is accepted, one byte more is BodyTooLarge",
        async {
            let at = ok(t(), post(&server.url(&format!("/big/{BODY_LIMIT}")), b"{}")).await?;
            expect(at.body.len() as u64 == BODY_LIMIT, || {
                format!("{} bytes", at.body.len())
            })?;
            fails(
                t(),
                post(&server.url(&format!("/big/{}", BODY_LIMIT + 1)), b"{}"),
                TransportErrorKind::BodyTooLarge,
                Delivery::MaybeSent,
            )
            .await
            .map(drop)
        }
        .await,
    );
    report.check(
        "an endless body stops at the cap: BodyTooLarge",
        fails(
            t(),
            post(&server.url("/endless"), b"{}"),
            TransportErrorKind::BodyTooLarge,
            Delivery::MaybeSent,
        )
        .await
        .map(drop),
    );
    report.check(
        "bodies come back as bytes: not UTF-8, HTML, wrong content-type",
        async {
            let resp = ok(t(), post(&server.url("/bytes"), b"{}")).await?;
            expect(resp.body == server::NOT_UTF8, || {
                "not-UTF-8 body changed".into()
            })?;
            let resp = ok(t(), post(&server.url("/html"), b"{}")).await?;
            expect(
                resp.status == 502 && resp.body == server::HTML.as_bytes(),
                || "HTML body".into(),
            )?;
            let resp = ok(t(), post(&server.url("/text-json"), b"{}")).await?;
            expect(
                resp.header("content-type") == Some("text/html")
                    && resp.body.starts_with(br#"{"code":"05""#),
                || "text/html JSON".into(),
            )
        }
        .await,
    );
    report.check(
        "the transport still works after every fault",
        ok(t(), post(&server.url("/echo"), b"{}")).await.map(drop),
    );
    clients(&mut report, &server, &make).await;
    report
}

/// End to end through a client: misbehaving answers become typed client
/// errors; the body decides, never the `Content-Type` header.
async fn clients<T, F>(report: &mut Report, server: &Server, make: &F)
where
    T: AsyncTransport<Error = TransportError> + Sync,
    F: Fn(TransportConfig) -> T,
{
    use pasarela_core::client::{AsyncSmilepayzClient, ClientError, Unknown};
    use pasarela_core::crypto::{Backend, PrivateKey};
    use pasarela_core::smilepayz::{Config, Environment};
    use pasarela_core::{MerchantSecret, ParseError};

    let key = PrivateKey::load(include_str!(
        "../../../core/testdata/keys/merchant_private_pkcs8.pem"
    ))
    .expect("TEST ONLY key");
    let client = |route: &str| {
        let config = Config::new(
            "20001",
            MerchantSecret::new("TEST-ONLY-secret"),
            Backend::default().signer(&key).expect("signer"),
            Environment::Custom(server.url(route).parse().expect("url")),
        )
        .expect("config");
        AsyncSmilepayzClient::new(config, make(config_for_clients()))
    };
    let pay_in = pasarela_conformance::samples::smilepayz_pay_in("20001", "FAULT001", 20_000)
        .expect("the sample pay-in is valid");
    report.check(
        "client: an HTML 502 is an unknown outcome (HTTP status)",
        match client("/html").pay_in(&pay_in).await {
            Err(ClientError::OutcomeUnknown(Unknown::Response(ParseError::HttpStatus {
                status: 502,
                ..
            }))) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    report.check(
        "client: a body that is not UTF-8 is an unknown outcome (JSON)",
        match client("/bytes").pay_in(&pay_in).await {
            Err(ClientError::OutcomeUnknown(Unknown::Response(ParseError::Json { .. }))) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    report.check(
        "client: a JSON rejection under a text/html content-type is read",
        // Read, code and all (with no meaning configured for "05", a
        // refused pay-in is an unknown outcome: SmilePayz publishes no codes).
        match client("/text-json").pay_in(&pay_in).await {
            Err(e @ ClientError::OutcomeUnknown(Unknown::UnrecognizedCode(_)))
                if e.rejection().is_some_and(|r| r.code == "05") =>
            {
                Ok(())
            }
            other => Err(format!("{other:?}")),
        },
    );
    report.check(
        "client: a truncated answer is an unknown outcome, not retry-safe",
        match client("/truncate").pay_in(&pay_in).await {
            Err(e @ ClientError::OutcomeUnknown(Unknown::Transport(_))) => {
                expect(!e.is_retry_safe(), || "retry-safe".into())
            }
            other => Err(format!("{other:?}")),
        },
    );
    report.check(
        "client: a closed connection is an unknown outcome",
        match client("/close").pay_in(&pay_in).await {
            Err(ClientError::OutcomeUnknown(Unknown::Transport(_))) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
}

fn config_for_clients() -> TransportConfig {
    config()
}
