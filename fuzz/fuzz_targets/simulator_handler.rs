//! The simulator's request handler with arbitrary requests: it must answer
//! every one (never panic), with a status a server can send.
//!
//! The first byte picks the endpoint (the real gateways' paths and the
//! control API) and how far the fuzzer gets:
//! - low bits 0..=5: headers and body from the input (split at newlines);
//! - 6: a SmilePayz call whose body is the input, correctly signed with the
//!   simulator's TEST ONLY merchant key, so the fuzzer reaches the body's
//!   field rules past the signature;
//! - 7: a Monnet create whose body is the input as a JSON object with a
//!   correct `payinVerification` spliced in, reaching the field rules.
#![no_main]
#![forbid(unsafe_code)]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use pasarela_simulator::{ManualClock, Outcome, SimRequest, Simulator, SimulatorConfig};
use pasarela_core::MerchantSecret;
use pasarela_core::crypto::{Backend, PrivateKey, Signer};
use pasarela_core::monnet::payin_verification;
use pasarela_core::smilepayz::{format_timestamp, sign_request};
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2025-07-01 15:00:00 UTC);
const ORIGIN: &str = "http://127.0.0.1:9";
const PATHS: [&str; 8] = [
    "/v2.0/transaction/pay-in",
    "/v2.0/inquiry-status",
    "/v2.0/inquiry-balance",
    "/v1/push/7efeb612e5dda6f1",
    "/ms-experience-payin/merchant/4001/operations",
    "/_simulator/smilepayz/complete",
    "/_simulator/monnet/complete",
    "/_simulator/credentials",
];

struct Fixture {
    simulator: Simulator,
    signer: std::sync::Arc<dyn Signer + Send + Sync>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let config = SimulatorConfig::default().with_clock(ManualClock::new(NOW));
    let key = PrivateKey::load(include_str!("../../core/testdata/keys/merchant_private_pkcs8.pem"))
        .expect("TEST ONLY merchant key loads");
    Fixture {
        simulator: Simulator::new(config).expect("simulator starts"),
        signer: Backend::default().signer(&key).expect("signer"),
    }
});

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let path = PATHS[usize::from(selector >> 3) % PATHS.len()];
    let mut request = SimRequest::new(if selector & 0x80 == 0 { "POST" } else { "GET" }, path, ORIGIN);
    match selector & 7 {
        6 => {
            let timestamp = format_timestamp(NOW);
            let secret = MerchantSecret::new("TEST-ONLY-simulator-secret");
            let Ok(signature) = sign_request(&*fixture.signer, &timestamp, &secret, rest) else {
                return;
            };
            request = request
                .with_header("Content-Type", "application/json")
                .with_header("X-TIMESTAMP", timestamp)
                .with_header("X-SIGNATURE", signature)
                .with_header("X-PARTNER-ID", "20001")
                .with_body(rest.to_vec());
        }
        7 => {
            let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_slice(rest) else {
                return;
            };
            let text = |name: &str| fields.get(name).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            let hash = payin_verification(
                &text("payinMerchantID"),
                &text("payinMerchantOperationNumber"),
                &text("payinAmount"),
                &text("payinCurrency"),
                &"TEST-ONLY-simulator-key-monnet".into(),
            );
            fields.insert("payinVerification".into(), hash.into());
            request = request
                .with_header("Content-Type", "application/json")
                .with_body(serde_json::to_vec(&fields).unwrap_or_default());
        }
        bits => {
            let mut parts = rest.splitn(3, |&b| b == b'\n');
            let names = ["Content-Type", "X-TIMESTAMP", "X-SIGNATURE", "X-PARTNER-ID", "authorization"];
            for (i, value) in parts.by_ref().take(2).enumerate() {
                let name = names[(usize::from(bits) + i) % names.len()];
                request = request.with_header(name, String::from_utf8_lossy(value));
            }
            request = request.with_body(parts.next().unwrap_or_default().to_vec());
        }
    }
    match fixture.simulator.handle(&request, NOW) {
        Outcome::Reply(response) | Outcome::Slow { response, .. } => {
            assert!((100..600).contains(&response.status), "status {}", response.status);
        }
        Outcome::Drop | Outcome::Deliver(_) | Outcome::DeliverThen { .. } => {}
    }
});
