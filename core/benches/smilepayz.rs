//! SmilePayz benchmarks: prepare pay-in and verify callback on both signing
//! backends, parse the seed's pay-in response, and the raw RSA-2048
//! operations on each backend as baselines (the difference between a
//! prepare and a raw sign is everything that is not the RSA operation).
//!
//! Run with `cargo bench -p pasarela-core --features aws-lc --bench smilepayz`.
//! `pasarela bench` measures the same operations in one release binary; the
//! ratios the project tracks are in BENCHMARKS.md.
// Fixture setup on fixed TEST ONLY inputs: a failure is a broken bench.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// One copy of the samples, in pasarela-simulator (see core/tests/core/main.rs).
#[path = "../../conformance/simulator/src/samples.rs"]
#[allow(dead_code)]
mod samples;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use pasarela_core::crypto::{Backend, PrivateKey, PublicKey};
use pasarela_core::smilepayz::{
    self, Config, DEFAULT_CALLBACK_TOLERANCE, Environment, PayInRequest, request_string_to_sign,
    sign_callback,
};
use pasarela_core::{MerchantSecret, RawResponse};
use time::OffsetDateTime;
use time::macros::datetime;

const MERCHANT_KEY: &str = include_str!("../testdata/keys/merchant_private_pkcs8.pem");
const PLATFORM_KEY: &str = include_str!("../testdata/keys/platform_private_pkcs8.pem");
const PLATFORM_PUBLIC: &str = include_str!("../testdata/keys/platform_public_spki.pem");

const NOW: OffsetDateTime = datetime!(2020-12-17 15:55:00 UTC);
const TIMESTAMP: &str = "2020-12-17T10:55:00-05:00";
const TRADE_NO: &str = "151200012410241325417215";
const SECRET: &str = "TEST-ONLY-merchant-secret";

/// The seed's callback example.
const CALLBACK_BODY: &[u8] = br#"{"merchantId":"20001","merchantName":"test","money":{"amount":20000,"currency":"PEN"},"orderNo":"2000102900000000000001","status":"SUCCESS","tradeNo":"151200012410241325417215","transactionTime":"2020-12-17T10:55:00-05:00"}"#;

/// The seed's pay-in response example.
const PAY_IN_RESPONSE: &str = samples::SMILEPAYZ_SEED_PAY_IN_RESPONSE;

/// The seed's pay-in request example.
fn seed_request() -> PayInRequest {
    samples::smilepayz_seed_pay_in().expect("the seed's pay-in is valid")
}

fn prepare_pay_in(c: &mut Criterion) {
    let key = PrivateKey::load(MERCHANT_KEY).unwrap();
    let request = seed_request();
    let mut group = c.benchmark_group("smilepayz/prepare_pay_in");
    for &backend in Backend::ALL {
        let config = Config::new(
            "20011",
            MerchantSecret::new(SECRET),
            backend.signer(&key).unwrap(),
            Environment::Sandbox,
        )
        .unwrap();
        group.bench_function(BenchmarkId::from_parameter(backend.name()), |b| {
            b.iter(|| smilepayz::prepare_pay_in(&config, black_box(&request), NOW).unwrap());
        });
    }
    group.finish();
}

fn verify_callback(c: &mut Criterion) {
    let platform = PrivateKey::load(PLATFORM_KEY).unwrap();
    let public = PublicKey::load(PLATFORM_PUBLIC).unwrap();
    let signature = sign_callback(
        &*Backend::Rsa.signer(&platform).unwrap(),
        TRADE_NO,
        TIMESTAMP,
    )
    .unwrap();
    let mut group = c.benchmark_group("smilepayz/verify_callback");
    for &backend in Backend::ALL {
        let verifier = backend.verifier(&public).unwrap();
        group.bench_function(BenchmarkId::from_parameter(backend.name()), |b| {
            b.iter(|| {
                smilepayz::verify_callback(
                    Some(TIMESTAMP),
                    Some(black_box(&signature)),
                    black_box(CALLBACK_BODY),
                    &*verifier,
                    NOW,
                    DEFAULT_CALLBACK_TOLERANCE,
                )
                .unwrap()
            });
        });
    }
    group.finish();
}

fn parse_pay_in_response(c: &mut Criterion) {
    let mut group = c.benchmark_group("smilepayz/parse_pay_in_response");
    group.throughput(Throughput::Bytes(PAY_IN_RESPONSE.len() as u64));
    group.bench_function("seed", |b| {
        b.iter_batched(
            || RawResponse::new(200, PAY_IN_RESPONSE),
            |raw| smilepayz::parse_pay_in_response(raw).unwrap(),
            criterion::BatchSize::SmallInput,
        );
    });
    group.finish();
}

/// Raw RSA-2048 PKCS#1 v1.5 / SHA-256 over the same message a prepare
/// signs, and verification of a callback's string to sign.
fn raw_rsa(c: &mut Criterion) {
    let key = PrivateKey::load(MERCHANT_KEY).unwrap();
    let config = Config::new(
        "20011",
        MerchantSecret::new(SECRET),
        Backend::Rsa.signer(&key).unwrap(),
        Environment::Sandbox,
    )
    .unwrap();
    let prepared = smilepayz::prepare_pay_in(&config, &seed_request(), NOW).unwrap();
    let message = request_string_to_sign(TIMESTAMP, &MerchantSecret::new(SECRET), prepared.body());
    let callback_message = format!("{TRADE_NO}|{TIMESTAMP}");
    let public = key.public_key();

    let mut group = c.benchmark_group("rsa2048");
    for &backend in Backend::ALL {
        let signer = backend.signer(&key).unwrap();
        let verifier = backend.verifier(&public).unwrap();
        let signature = signer.sign(callback_message.as_bytes()).unwrap();
        group.bench_function(BenchmarkId::new("sign", backend.name()), |b| {
            b.iter(|| signer.sign(black_box(&message)).unwrap());
        });
        group.bench_function(BenchmarkId::new("verify", backend.name()), |b| {
            b.iter(|| {
                assert!(
                    verifier
                        .verify(black_box(callback_message.as_bytes()), &signature)
                        .is_ok()
                );
            });
        });
    }
    group.finish();
}

mod groups {
    criterion::criterion_group!(
        benches,
        super::prepare_pay_in,
        super::verify_callback,
        super::parse_pay_in_response,
        super::raw_rsa
    );
}

criterion::criterion_main!(groups::benches);
