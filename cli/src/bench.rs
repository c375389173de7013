//! `pasarela bench`: operations per second of every core operation, one line
//! each, plus the baselines the project's speed targets are ratios of (raw
//! RSA-2048 sign and verify per backend; `serde_json::to_vec` of the Monnet
//! body plus one SHA-512), so that every ratio comes from one run.
//!
//! Every operation runs on fixed inputs: the gateways' seed examples and the
//! project's TEST ONLY keys. Each is warmed up, then timed in batches for at
//! least `--duration-ms` (1000 by default and at least).

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use pasarela_conformance::samples::{self, OrderedStrings};
use pasarela_core::crypto::{Backend, PrivateKey, PublicKey, Signer, Verifier};
use pasarela_core::monnet::{self, CreateRequest};
use pasarela_core::smilepayz::{
    self, DEFAULT_CALLBACK_TOLERANCE, PayInRequest, callback_string_to_sign,
    request_string_to_sign, sign_callback,
};
use pasarela_core::{MerchantSecret, MonnetKey, RawResponse};
use serde_json::json;
use sha2::{Digest, Sha512};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::output::Failure;

/// The shortest measurement the command accepts without `--quick`.
const MIN_DURATION_MS: u64 = 1000;

/// Arguments of `bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Print one JSON object per operation and line:
    /// `{"op": "<gateway>.<operation>", "backend": "rsa" | "aws-lc" | null, "ops_per_sec": N}`.
    #[arg(long)]
    json: bool,
    /// How long each operation is timed, after its warm-up (at least 1000).
    #[arg(long, value_name = "MS", default_value_t = MIN_DURATION_MS)]
    duration_ms: u64,
    /// For tests of the output's shape only: lifts the 1000 ms minimum so
    /// the numbers mean nothing.
    #[arg(long, hide = true)]
    quick: bool,
}

/// Runs `bench`.
pub fn run(args: BenchArgs) -> Result<ExitCode, Failure> {
    if args.duration_ms < MIN_DURATION_MS && !args.quick {
        return Err(Failure::usage(format!(
            "--duration-ms must be at least {MIN_DURATION_MS} (got {})",
            args.duration_ms
        )));
    }
    if cfg!(debug_assertions) {
        eprintln!(
            "pasarela: warning: this build has no optimizations, numbers are not representative; use `cargo run --release -p pasarela-cli -- bench`"
        );
    }
    let duration = Duration::from_millis(args.duration_ms.max(1));
    let warm_up = duration / 5;
    let ops = operations()?;
    if !args.json {
        println!(
            "{:<36} {:<8} {:>14} {:>12}",
            "operation", "backend", "ops/s", "µs/op"
        );
    }
    let mut measured: Vec<(Operation, f64)> = Vec::new();
    let mut ops = ops.into_iter().peekable();
    while let Some(mut op) = ops.next() {
        if let Some((threads, shared)) = op.parallel.clone() {
            let rate = measure_parallel(threads, &shared, warm_up, duration)
                .map_err(|e| Failure::usage(format!("{} failed: {e}", op.name)))?;
            measured.push((op, rate));
            continue;
        }
        match op.group {
            None => {
                let rate = measure(&mut *op.run, warm_up, duration)
                    .map_err(|e| Failure::usage(format!("{} failed: {e}", op.name)))?;
                measured.push((op, rate));
            }
            Some(group) => {
                let mut members = vec![op];
                while let Some(next) = ops.next_if(|n| n.group == Some(group)) {
                    members.push(next);
                }
                let rates = measure_group(&mut members, warm_up, duration)
                    .map_err(|e| Failure::usage(format!("{group} failed: {e}")))?;
                measured.extend(members.into_iter().zip(rates));
            }
        }
    }
    for (op, rate) in measured {
        let rounded = (rate * 10.0).round() / 10.0;
        let threads = op.parallel.as_ref().map(|(n, _)| *n);
        if args.json {
            // Keys in the contract's order (serde_json's map would sort them);
            // `threads` only on the rows measured on several threads.
            let threads = threads
                .map(|n| format!("\"threads\":{n},"))
                .unwrap_or_default();
            println!(
                "{{\"op\":{},\"backend\":{},{threads}\"ops_per_sec\":{}}}",
                json!(op.name),
                json!(op.backend),
                json!(rounded)
            );
        } else {
            // µs/op of one thread's call, for a multi-threaded row too.
            let per_op = 1e6 / rate * threads.unwrap_or(1) as f64;
            let note = threads
                .map(|n| format!("  ({n} threads)"))
                .unwrap_or_default();
            println!(
                "{:<36} {:<8} {:>14.1} {:>12.2}{note}",
                op.name,
                op.backend.unwrap_or("-"),
                rounded,
                per_op
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `op` for `warm_up`, then in batches of about a millisecond until
/// `duration` has passed; returns operations per second.
fn measure(
    op: &mut dyn FnMut() -> Result<(), String>,
    warm_up: Duration,
    duration: Duration,
) -> Result<f64, String> {
    let start = Instant::now();
    let mut warm_ops: u64 = 0;
    while warm_ops == 0 || start.elapsed() < warm_up {
        op()?;
        warm_ops += 1;
    }
    let per_op = start.elapsed().as_secs_f64() / warm_ops as f64;
    // About 1 ms per batch keeps reading the clock out of the numbers.
    let batch = ((1e-3 / per_op.max(1e-9)) as u64).clamp(1, 100_000);
    let start = Instant::now();
    let mut done: u64 = 0;
    loop {
        for _ in 0..batch {
            op()?;
        }
        done += batch;
        let elapsed = start.elapsed();
        if elapsed >= duration {
            return Ok(done as f64 / elapsed.as_secs_f64());
        }
    }
}

/// Runs `op` on `threads` threads at once (started together), each for
/// `duration` after its warm-up; returns the sum of their rates.
fn measure_parallel(
    threads: usize,
    op: &SharedOp,
    warm_up: Duration,
    duration: Duration,
) -> Result<f64, String> {
    let barrier = std::sync::Barrier::new(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (op, barrier) = (op.clone(), &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    measure(&mut || op(), warm_up, duration)
                })
            })
            .collect();
        let mut total = 0.0;
        for handle in handles {
            total += handle
                .join()
                .map_err(|_| "a benchmark thread panicked".to_owned())??;
        }
        Ok(total)
    })
}

/// An operation several threads run at once.
type SharedOp = std::sync::Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// One measured operation.
struct Operation {
    name: &'static str,
    backend: Option<&'static str>,
    run: Box<dyn FnMut() -> Result<(), String>>,
    /// Operations with the same group, next to each other, are measured
    /// interleaved (baselines and the operation they are baselines of, when
    /// all share a noisy resource such as a loopback server on two cores).
    group: Option<&'static str>,
    /// Measured on this many threads at once, sharing what `run` shares.
    parallel: Option<(usize, SharedOp)>,
}

impl Operation {
    fn new(
        name: &'static str,
        backend: Option<&'static str>,
        run: impl FnMut() -> Result<(), String> + 'static,
    ) -> Self {
        Self {
            name,
            backend,
            run: Box::new(run),
            group: None,
            parallel: None,
        }
    }

    /// `op` measured on `threads` threads at once.
    fn parallel(
        name: &'static str,
        backend: Option<&'static str>,
        threads: usize,
        op: impl Fn() -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        let shared: SharedOp = std::sync::Arc::new(op);
        let run = shared.clone();
        Self {
            name,
            backend,
            run: Box::new(move || run()),
            group: None,
            parallel: Some((threads, shared)),
        }
    }

    fn in_group(mut self, group: &'static str) -> Self {
        self.group = Some(group);
        self
    }
}

/// Measures operations in alternating rounds (`ROUNDS` each, every round
/// `duration / ROUNDS` after a warm-up) and keeps each one's best round:
/// drift in the machine's load then hits all of them alike.
fn measure_group(
    group: &mut [Operation],
    warm_up: Duration,
    duration: Duration,
) -> Result<Vec<f64>, String> {
    const ROUNDS: u32 = 5;
    for op in group.iter_mut() {
        measure(&mut *op.run, warm_up, Duration::from_millis(1))?;
    }
    let mut best = vec![0f64; group.len()];
    let round = (duration / ROUNDS).max(Duration::from_millis(200));
    for _ in 0..ROUNDS {
        for (op, best) in group.iter_mut().zip(best.iter_mut()) {
            *best = best.max(measure(&mut *op.run, Duration::ZERO, round)?);
        }
    }
    Ok(best)
}

const MERCHANT_KEY_PEM: &str = include_str!("../../core/testdata/keys/merchant_private_pkcs8.pem");
const MERCHANT_KEY_B64: &str = include_str!("../../core/testdata/keys/merchant_private_pkcs8.b64");
const PLATFORM_KEY_PEM: &str = include_str!("../../core/testdata/keys/platform_private_pkcs8.pem");
const PLATFORM_PUBLIC_PEM: &str = include_str!("../../core/testdata/keys/platform_public_spki.pem");

const NOW: OffsetDateTime = datetime!(2020-12-17 15:55:00 UTC);
const TIMESTAMP: &str = "2020-12-17T10:55:00-05:00";
const TRADE_NO: &str = "151200012410241325417215";
const SECRET: &str = "TEST-ONLY-merchant-secret";
const MONNET_KEY: &str = "test-key-monnet";

/// The SmilePayz seed's callback example.
const CALLBACK_BODY: &[u8] = br#"{"merchantId":"20001","merchantName":"test","money":{"amount":20000,"currency":"PEN"},"orderNo":"2000102900000000000001","status":"SUCCESS","tradeNo":"151200012410241325417215","transactionTime":"2020-12-17T10:55:00-05:00"}"#;

/// The SmilePayz seed's pay-in response example.
const PAY_IN_RESPONSE: &str = samples::SMILEPAYZ_SEED_PAY_IN_RESPONSE;

/// Monnet's create answer example.
const CREATE_RESPONSE: &str = r#"{"url":"https://test.test","payinErrorCode":"0000","payinErrorMessage":"Successfull process"}"#;

/// The SmilePayz seed's pay-in request.
fn pay_in_request() -> Result<PayInRequest, String> {
    samples::smilepayz_seed_pay_in().map_err(|e| e.to_string())
}

/// A Monnet create with every field set (Monnet's test card).
fn create_request() -> Result<CreateRequest, String> {
    samples::monnet_create("ORD-000123", "150.00").map_err(|e| e.to_string())
}

fn setup(what: &str) -> impl Fn(String) -> Failure + '_ {
    move |e| Failure::usage(format!("bench setup ({what}): {e}"))
}

/// Every operation, in the order they are printed (each baseline next to
/// what it is the baseline of).
fn operations() -> Result<Vec<Operation>, Failure> {
    let s = |e: &dyn std::fmt::Display| e.to_string();
    let merchant_key = PrivateKey::load(MERCHANT_KEY_PEM)
        .map_err(|e| s(&e))
        .map_err(setup("merchant key"))?;
    let platform_key = PrivateKey::load(PLATFORM_KEY_PEM)
        .map_err(|e| s(&e))
        .map_err(setup("platform key"))?;
    let platform_public = PublicKey::load(PLATFORM_PUBLIC_PEM)
        .map_err(|e| s(&e))
        .map_err(setup("platform public key"))?;
    let request = pay_in_request().map_err(setup("SmilePayz pay-in request"))?;
    let platform_signer = Backend::Rsa
        .signer(&platform_key)
        .map_err(|e| s(&e))
        .map_err(setup("platform signer"))?;
    // The callback's X-SIGNATURE, and the same signature raw for the
    // baseline, over the same string to sign.
    let callback_signature = sign_callback(&*platform_signer, TRADE_NO, TIMESTAMP)
        .map_err(|e| s(&e))
        .map_err(setup("callback signature"))?;
    let callback_message = callback_string_to_sign(TRADE_NO, TIMESTAMP);
    let raw_callback_signature = platform_signer
        .sign(callback_message.as_bytes())
        .map_err(|e| s(&e))
        .map_err(setup("raw signature"))?;

    let mut ops = Vec::new();
    for &backend in Backend::ALL {
        let name = backend.name();
        let signer = backend
            .signer(&merchant_key)
            .map_err(|e| s(&e))
            .map_err(setup("signer"))?;
        let config = smilepayz::Config::new(
            "20011", // the seed's merchant, as in its pay-in
            MerchantSecret::new(SECRET),
            signer.clone(),
            smilepayz::Environment::Sandbox,
        )
        .map_err(|e| s(&e))
        .map_err(setup("SmilePayz config"))?;
        // The raw sign baseline signs exactly what a prepare signs.
        let prepared = smilepayz::prepare_pay_in(&config, &request, NOW)
            .map_err(|e| s(&e))
            .map_err(setup("prepare"))?;
        let message =
            request_string_to_sign(TIMESTAMP, &MerchantSecret::new(SECRET), prepared.body());
        let raw_signer = signer.clone();
        ops.push(Operation::new("rsa.sign", Some(name), move || {
            raw_signer
                .sign(black_box(&message))
                .map(|sig| drop(black_box(sig)))
                .map_err(|e| e.to_string())
        }));
        let (one_config, one_request) = (config.clone(), request.clone());
        ops.push(Operation::new(
            "smilepayz.prepare_pay_in",
            Some(name),
            move || {
                smilepayz::prepare_pay_in(&one_config, black_box(&one_request), NOW)
                    .map(|p| drop(black_box(p)))
                    .map_err(|e| e.to_string())
            },
        ));
        if backend == Backend::AwsLc {
            // Two threads sharing one config, and so one signer: nothing may
            // serialise them.
            let request = request.clone();
            ops.push(Operation::parallel(
                "smilepayz.prepare_pay_in",
                Some(name),
                2,
                move || {
                    smilepayz::prepare_pay_in(&config, black_box(&request), NOW)
                        .map(|p| drop(black_box(p)))
                        .map_err(|e| e.to_string())
                },
            ));
        }
    }
    for &backend in Backend::ALL {
        let name = backend.name();
        let verifier = backend
            .verifier(&platform_public)
            .map_err(|e| s(&e))
            .map_err(setup("verifier"))?;
        let raw_signature = raw_callback_signature.clone();
        let raw_verifier = verifier.clone();
        let message = callback_message.clone();
        ops.push(Operation::new("rsa.verify", Some(name), move || {
            raw_verifier
                .verify(black_box(message.as_bytes()), black_box(&raw_signature))
                .map_err(|e| format!("signature did not verify: {e}"))
        }));
        let signature = callback_signature.clone();
        ops.push(Operation::new(
            "smilepayz.verify_callback",
            Some(name),
            move || {
                smilepayz::verify_callback(
                    Some(TIMESTAMP),
                    Some(black_box(&signature)),
                    black_box(CALLBACK_BODY),
                    &*verifier,
                    NOW,
                    DEFAULT_CALLBACK_TOLERANCE,
                )
                .map(|c| drop(black_box(c)))
                .map_err(|e| e.to_string())
            },
        ));
    }
    ops.push(Operation::new(
        "smilepayz.parse_pay_in_response",
        None,
        || {
            smilepayz::parse_pay_in_response(RawResponse::new(200, black_box(PAY_IN_RESPONSE)))
                .map(|r| drop(black_box(r)))
                .map_err(|e| e.to_string())
        },
    ));

    let monnet_config = monnet::Config::new("4001", MONNET_KEY, monnet::Environment::Certification)
        .map_err(|e| s(&e))
        .map_err(setup("Monnet config"))?;
    let create = create_request().map_err(setup("Monnet create request"))?;
    let prepared = monnet::prepare_create(&monnet_config, &create);
    let ordered: OrderedStrings = serde_json::from_slice(prepared.body())
        .map_err(|e| s(&e))
        .map_err(setup("Monnet body"))?;
    let key = MonnetKey::new(MONNET_KEY);
    ops.push(Operation::new(
        "monnet.baseline_to_vec_sha512",
        None,
        move || {
            let body = serde_json::to_vec(black_box(&ordered)).map_err(|e| e.to_string())?;
            let mut h = Sha512::new();
            h.update(b"4001");
            h.update(b"ORD-000123");
            h.update(b"150.00");
            h.update(b"PEN");
            h.update(key.expose_secret().as_bytes());
            black_box((body, h.finalize()));
            Ok(())
        },
    ));
    ops.push(Operation::new("monnet.prepare_create", None, move || {
        drop(black_box(monnet::prepare_create(
            &monnet_config,
            black_box(&create),
        )));
        Ok(())
    }));
    let key = MonnetKey::new(MONNET_KEY);
    let hash = monnet::payin_verification("4001", "ORD-000123", "150.00", "PEN", &key);
    let notification = format!(
        r#"{{"payinStateID":5,"payinState":"Autorizado","payinMerchantID":"4001","payinAmount":150.00,"payinCurrency":"PEN","payinMerchantOperationNumber":"ORD-000123","payinMethod":"TCTD","payinVerification":"{hash}"}}"#
    );
    ops.push(Operation::new(
        "monnet.verify_notification",
        None,
        move || {
            monnet::verify_notification(black_box(notification.as_bytes()), &key, "4001")
                .map(|n| drop(black_box(n)))
                .map_err(|e| e.to_string())
        },
    ));
    ops.push(Operation::new("monnet.parse_create_response", None, || {
        monnet::parse_create_response(RawResponse::new(200, black_box(CREATE_RESPONSE)))
            .map(|r| drop(black_box(r)))
            .map_err(|e| e.to_string())
    }));

    ops.push(Operation::new("keys.load_private_pem", None, || {
        PrivateKey::load(black_box(MERCHANT_KEY_PEM))
            .map(|k| drop(black_box(k)))
            .map_err(|e| e.to_string())
    }));
    ops.push(Operation::new("keys.load_private_base64", None, || {
        PrivateKey::load(black_box(MERCHANT_KEY_B64))
            .map(|k| drop(black_box(k)))
            .map_err(|e| e.to_string())
    }));
    transport_operations(&mut ops)?;
    Ok(ops)
}

/// The transports' overhead: the same signed inquiry-status bytes
/// POSTed to the embedded loopback simulator by a bare ureq `Agent`
/// (`ureq.baseline_post`), by a bare agent with the transport's timeouts
/// (`ureq.baseline_post_with_timeouts`) and through [`UreqTransport`](pasarela_ureq::UreqTransport)
/// (`ureq.transport_send`), all reading the whole answer, measured
/// interleaved. The simulator does the same work for all three. Then the
/// same for the reqwest transport (`reqwest.baseline_post`: a default
/// `reqwest::Client`; `reqwest.transport_send`: [`ReqwestTransport`](pasarela_reqwest::ReqwestTransport)), on
/// one current-thread tokio runtime shared by both.
fn transport_operations(ops: &mut Vec<Operation>) -> Result<(), Failure> {
    use std::sync::Arc;

    use pasarela_conformance::transport_suite::{loopback_any, smilepayz_config};
    use pasarela_core::transport::BlockingTransport;
    use pasarela_simulator::{LoopbackServer, Simulator};
    use pasarela_ureq::{TransportConfig, UreqTransport, ureq};

    let simulator = Simulator::with_test_keys().map_err(|e| setup("simulator")(e.to_string()))?;
    let server = Arc::new(
        LoopbackServer::start(simulator, loopback_any())
            .map_err(|e| setup("simulator")(e.to_string()))?,
    );
    let config = smilepayz_config(&server.credentials());
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
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in prepared.headers() {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| setup("headers")(e.to_string()))?;
        let value = reqwest::header::HeaderValue::from_str(value)
            .map_err(|e| setup("headers")(e.to_string()))?;
        headers.append(name, value);
    }
    let body = prepared.body().to_vec();
    let (rt, alive) = (runtime.clone(), server.clone());
    ops.push(
        Operation::new("reqwest.baseline_post", None, move || {
            let _alive = &alive;
            rt.block_on(async {
                let response = bare
                    .post(url.clone())
                    .headers(headers.clone())
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
