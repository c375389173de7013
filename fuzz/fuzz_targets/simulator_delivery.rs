//! The simulator's delivery path: a SmilePayz order and a Monnet operation
//! are created through `Simulator::handle` (a signed pay-in, a hashed
//! create), each input completes one of them through the control API
//! (`/_simulator/{smilepayz,monnet}/complete`), and the resulting
//! `Outcome::Deliver*` job goes through the simulator's retry loop
//! (`deliver_blocking`, zero-delay policy) with a callback transport whose
//! answer to each attempt comes from the input; the report is then recorded
//! with `Simulator::finish_delivery`.
//!
//! Checks, besides "no panic": the job's callback verifies (SmilePayz
//! signature with the platform key, Monnet `payinVerification` with the
//! key); the transport is called at most `policy.attempts()` times and the
//! report counts exactly the calls made; `delivered` is true exactly when an
//! acknowledging answer came back (SmilePayz: HTTP 200 and body `SUCCESS`
//! up to surrounding ASCII whitespace; Monnet: HTTP 200), and then the loop
//! stopped at the first such answer; the control answer repeats the report.
//!
//! Input: byte 0 — bit 0 the gateway (0 SmilePayz, 1 Monnet), bits 1–2 the
//! status to complete with, bits 3–5 `max_attempts` (0..=7; 0 means 1).
//! Then one script entry per attempt: a kind byte (`% 4`: 0 a transport
//! error, 1 HTTP 200, 2 a status from the next two bytes, 3 HTTP 200 with
//! body `SUCCESS`), then (kinds 1 and 2) a length byte and that many body
//! bytes. A missing entry answers HTTP 503.
#![no_main]
#![forbid(unsafe_code)]

use std::cell::{Cell, RefCell};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use pasarela_core::crypto::{Backend, PrivateKey, Signer, Verifier};
use pasarela_core::monnet::{payin_verification, verify_notification};
use pasarela_core::smilepayz::{
    DEFAULT_CALLBACK_TOLERANCE, format_timestamp, sign_request, verify_callback,
};
use pasarela_core::{MerchantSecret, MonnetKey, RawResponse};
use pasarela_simulator::{
    DeliveryJob, Gateway, ManualClock, Outcome, RetryPolicy, SimRequest, Simulator,
    SimulatorConfig, deliver_blocking,
};
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2025-07-01 15:00:00 UTC);
const ORIGIN: &str = "http://127.0.0.1:9";
const SP_ORDER: &str = "200110edbb466abb04682968b40";
const MN_OPERATION: &str = "FUZZ-OP-1";
const MN_MERCHANT: &str = "4001";
const MN_KEY: &str = "TEST-ONLY-simulator-key-monnet";
const SP_STATUSES: [&str; 4] = ["SUCCESS", "FAILED", "CANCELLED", "PROCESSING"];
const MN_STATES: [u32; 4] = [5, 6, 3, 9];

static SIMULATOR: LazyLock<Simulator> = LazyLock::new(|| {
    let zero = RetryPolicy {
        max_attempts: 5,
        initial_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
        attempt_timeout: Duration::from_secs(1),
    };
    let config = SimulatorConfig::default()
        .with_clock(ManualClock::new(NOW))
        .with_backend(Backend::AwsLc)
        .with_retry(zero)
        .with_smilepayz_notify_url("http://127.0.0.1:9/smilepayz")
        .with_monnet_notify_url("http://127.0.0.1:9/monnet");
    let simulator = Simulator::new(config).expect("simulator starts");

    // A SmilePayz order, created with a request signed with the TEST ONLY
    // merchant key.
    let key = PrivateKey::load(include_str!(
        "../../core/testdata/keys/merchant_private_pkcs8.pem"
    ))
    .expect("TEST ONLY merchant key loads");
    let signer = Backend::AwsLc.signer(&key).expect("signer");
    // The handler target's seeds start with its selector byte.
    let body = &include_bytes!("../seeds/simulator_handler/signed-pay-in")[1..];
    let timestamp = format_timestamp(NOW);
    let secret = MerchantSecret::new("TEST-ONLY-simulator-secret");
    let signature =
        sign_request(&*signer as &dyn Signer, &timestamp, &secret, body).expect("signs");
    let request = SimRequest::new("POST", "/v2.0/transaction/pay-in", ORIGIN)
        .with_header("Content-Type", "application/json")
        .with_header("X-TIMESTAMP", timestamp)
        .with_header("X-SIGNATURE", signature)
        .with_header("X-PARTNER-ID", "20001")
        .with_body(body.to_vec());
    expect_created(simulator.handle(&request, NOW), "SmilePayz pay-in");

    // A Monnet operation, created with a correct payinVerification.
    let Ok(Value::Object(mut fields)) =
        serde_json::from_slice(&include_bytes!("../seeds/simulator_handler/monnet-create")[1..])
    else {
        panic!("the Monnet create seed is a JSON object");
    };
    fields.insert("payinMerchantOperationNumber".into(), MN_OPERATION.into());
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let hash = payin_verification(
        &text("payinMerchantID"),
        &text("payinMerchantOperationNumber"),
        &text("payinAmount"),
        &text("payinCurrency"),
        &MonnetKey::new(MN_KEY),
    );
    fields.insert("payinVerification".into(), hash.into());
    let request = SimRequest::new("POST", "/v1/push/7efeb612e5dda6f1", ORIGIN)
        .with_header("Content-Type", "application/json")
        .with_body(serde_json::to_vec(&fields).expect("serialises"));
    expect_created(simulator.handle(&request, NOW), "Monnet create");
    simulator
});

/// The simulator's platform public key, to check its callbacks with.
static PLATFORM_VERIFIER: LazyLock<Arc<dyn Verifier + Send + Sync>> = LazyLock::new(|| {
    let public = SIMULATOR.platform_public_key().expect("platform key");
    Backend::AwsLc.verifier(&public).expect("verifier")
});

fn expect_created(outcome: Outcome, what: &str) {
    match outcome {
        Outcome::Reply(r) if r.status == 200 => {}
        Outcome::Reply(r) => panic!(
            "{what}: HTTP {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        ),
        _ => panic!("{what}: not a plain reply"),
    }
}

/// The acknowledgement rule, restated here independently of the simulator.
fn acknowledges(gateway: Gateway, response: &RawResponse) -> bool {
    if response.status != 200 {
        return false;
    }
    match gateway {
        Gateway::SmilePayz => {
            let body = &response.body;
            let start = body
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(body.len());
            let end = body
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .map_or(start, |e| e + 1);
            body.get(start..end) == Some(b"SUCCESS".as_slice())
        }
        Gateway::Monnet => true,
    }
}

/// Reads one attempt's answer from the script.
fn next_answer(script: &mut &[u8]) -> Result<RawResponse, String> {
    let Some((&kind, rest)) = script.split_first() else {
        return Ok(RawResponse::new(503, "fuzz: script exhausted"));
    };
    *script = rest;
    let mut take = |n: usize| {
        let n = n.min(script.len());
        let (head, tail) = script.split_at(n);
        *script = tail;
        head.to_vec()
    };
    match kind % 4 {
        0 => Err(format!("fuzz: connection failed (kind {kind})")),
        3 => Ok(RawResponse::new(200, "SUCCESS")),
        k => {
            let status = if k == 2 {
                let b = take(2);
                let raw =
                    u16::from(*b.first().unwrap_or(&0)) << 8 | u16::from(*b.get(1).unwrap_or(&0));
                100 + raw % 500
            } else {
                200
            };
            let len = take(1).first().copied().unwrap_or(0);
            Ok(RawResponse::new(status, take(usize::from(len))))
        }
    }
}

fn check_job(job: &DeliveryJob) {
    match job.gateway {
        Gateway::SmilePayz => {
            let header = |name: &str| {
                job.headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_str())
            };
            let verified = verify_callback(
                header("X-TIMESTAMP"),
                header("X-SIGNATURE"),
                &job.body,
                &**PLATFORM_VERIFIER,
                NOW,
                DEFAULT_CALLBACK_TOLERANCE,
            )
            .expect("the simulator's callback verifies");
            assert_eq!(verified.claims().order_no, SP_ORDER);
        }
        Gateway::Monnet => {
            let verified = verify_notification(&job.body, &MonnetKey::new(MN_KEY), MN_MERCHANT)
                .expect("the simulator's notification verifies");
            assert_eq!(verified.authenticated().operation_number(), MN_OPERATION);
        }
    }
}

/// Completes the order (SmilePayz) or operation (Monnet) through the
/// control API at status `which` and checks the job it gives.
fn complete(simulator: &Simulator, monnet: bool, which: usize) -> DeliveryJob {
    let request = if !monnet {
        let body = serde_json::json!({"orderNo": SP_ORDER, "status": SP_STATUSES[which]});
        SimRequest::new("POST", "/_simulator/smilepayz/complete", ORIGIN)
            .with_header("Content-Type", "application/json")
            .with_body(serde_json::to_vec(&body).unwrap_or_default())
    } else {
        let body = serde_json::json!({
            "payinMerchantID": MN_MERCHANT,
            "payinMerchantOperationNumber": MN_OPERATION,
            "payinStateID": MN_STATES[which],
            "notificationUrl": "http://127.0.0.1:9/monnet",
        });
        SimRequest::new("POST", "/_simulator/monnet/complete", ORIGIN)
            .with_header("Content-Type", "application/json")
            .with_body(serde_json::to_vec(&body).unwrap_or_default())
    };
    let job = match simulator.handle(&request, NOW) {
        Outcome::Deliver(job) | Outcome::DeliverThen { job, .. } => job,
        Outcome::Reply(r) => panic!(
            "complete did not deliver: HTTP {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        ),
        _ => panic!("complete did not deliver"),
    };
    assert_eq!(
        job.gateway,
        if monnet {
            Gateway::Monnet
        } else {
            Gateway::SmilePayz
        }
    );
    check_job(&job);
    job
}

/// One job per gateway and status, completed at start-up.
static JOBS: LazyLock<Vec<DeliveryJob>> = LazyLock::new(|| {
    (0..8)
        .map(|i| complete(&SIMULATOR, i >= 4, i % 4))
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let simulator = &*SIMULATOR;
    let Some((&mode, script)) = data.split_first() else {
        return;
    };
    let which = usize::from(mode >> 1) % 4;
    let policy = RetryPolicy {
        max_attempts: u32::from(mode >> 3) % 8,
        initial_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
        attempt_timeout: Duration::from_secs(1),
    };
    // Bits 6 and 7 both set: complete afresh (a new signed callback or
    // hashed notification); otherwise the job the same completion gave at
    // start-up (the delivery loop is what is fuzzed; signing every input
    // would cut the rate tenfold).
    let fresh;
    let job = if mode & 0xC0 == 0xC0 {
        fresh = complete(simulator, mode & 1 == 1, which);
        &fresh
    } else {
        &JOBS[usize::from(mode & 1) * 4 + which]
    };
    let job = job.clone();

    let script = RefCell::new(script);
    let calls = Cell::new(0u32);
    let first_ack = Cell::new(None::<u32>);
    let report = deliver_blocking(
        &job,
        policy,
        &|request| {
            assert_eq!(
                request.body(),
                job.body.as_slice(),
                "every attempt sends the same bytes"
            );
            calls.set(calls.get() + 1);
            let answer = next_answer(&mut script.borrow_mut());
            if let Ok(response) = &answer
                && first_ack.get().is_none()
                && acknowledges(job.gateway, response)
            {
                first_ack.set(Some(calls.get()));
            }
            answer
        },
        &|pause| assert_eq!(pause, Duration::ZERO, "zero-delay policy"),
    );
    let calls = calls.get();
    assert!(
        (1..=policy.attempts()).contains(&calls),
        "{calls} calls, policy {policy:?}"
    );
    assert_eq!(report.attempts, calls, "{report:?}");
    match first_ack.get() {
        Some(n) => {
            assert!(
                report.delivered,
                "acknowledged at attempt {n} but not delivered: {report:?}"
            );
            assert_eq!(
                report.attempts, n,
                "the loop goes on after an acknowledgement"
            );
            assert!(report.last_error.is_none());
        }
        None => {
            assert!(
                !report.delivered,
                "delivered without an acknowledgement: {report:?}"
            );
            assert_eq!(report.attempts, policy.attempts());
            assert!(report.last_error.is_some());
        }
    }
    let answer = simulator.finish_delivery(&job, &report);
    assert_eq!(answer.status, 200);
    let answer: Value = serde_json::from_slice(&answer.body).expect("the control answer is JSON");
    assert_eq!(answer["delivered"], Value::Bool(report.delivered));
    assert_eq!(answer["attempts"], Value::from(report.attempts));
});
