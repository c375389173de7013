//! Monnet benchmarks: prepare create, verify notification, parse create
//! response, and the baseline a prepare is held to: `serde_json::to_vec` of
//! the same 43-field body plus one SHA-512 of the hash input.
//!
//! Run with `cargo bench -p pasarela-core --bench monnet`.
// Fixture setup on fixed TEST ONLY inputs: a failure is a broken bench.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// One copy of the samples, in pasarela-simulator (see core/tests/core/main.rs).
#[path = "../../conformance/simulator/src/samples.rs"]
#[allow(dead_code)]
mod samples;

use std::hint::black_box;

use criterion::Criterion;
use pasarela_core::monnet::{self, Config, CreateRequest, Environment, payin_verification};
use pasarela_core::{MonnetKey, RawResponse};
use sha2::{Digest, Sha512};

use samples::OrderedStrings;

const KEY: &str = "test-key-monnet";

fn request() -> CreateRequest {
    samples::monnet_create("ORD-000123", "150.00").unwrap()
}

fn prepare_create(c: &mut Criterion) {
    let config = Config::new("4001", KEY, Environment::Certification).unwrap();
    let request = request();
    let prepared = monnet::prepare_create(&config, &request);
    let ordered: OrderedStrings = serde_json::from_slice(prepared.body()).unwrap();
    assert_eq!(serde_json::to_vec(&ordered).unwrap(), prepared.body());
    let key = MonnetKey::new(KEY);

    let mut group = c.benchmark_group("monnet/prepare_create");
    group.bench_function("create", |b| {
        b.iter(|| monnet::prepare_create(&config, black_box(&request)));
    });
    group.bench_function("baseline_to_vec_sha512", |b| {
        b.iter(|| {
            let body = serde_json::to_vec(black_box(&ordered)).unwrap();
            let mut h = Sha512::new();
            h.update(b"4001");
            h.update(b"ORD-000123");
            h.update(b"150.00");
            h.update(b"PEN");
            h.update(key.expose_secret().as_bytes());
            (body, h.finalize())
        });
    });
    group.finish();
}

fn verify_notification(c: &mut Criterion) {
    let key = MonnetKey::new(KEY);
    let hash = payin_verification("4001", "ORD-000123", "150.00", "PEN", &key);
    let body = format!(
        r#"{{"payinStateID":5,"payinState":"Autorizado","payinMerchantID":"4001","payinAmount":150.00,"payinCurrency":"PEN","payinMerchantOperationNumber":"ORD-000123","payinMethod":"TCTD","payinVerification":"{hash}"}}"#
    );
    c.bench_function("monnet/verify_notification", |b| {
        b.iter(|| monnet::verify_notification(black_box(body.as_bytes()), &key, "4001").unwrap());
    });
}

fn parse_create_response(c: &mut Criterion) {
    const ANSWER: &str = r#"{"url":"https://test.test","payinErrorCode":"0000","payinErrorMessage":"Successfull process"}"#;
    c.bench_function("monnet/parse_create_response", |b| {
        b.iter_batched(
            || RawResponse::new(200, ANSWER),
            |raw| monnet::parse_create_response(raw).unwrap(),
            criterion::BatchSize::SmallInput,
        );
    });
}

mod groups {
    criterion::criterion_group!(
        benches,
        super::prepare_create,
        super::verify_notification,
        super::parse_create_response
    );
}

criterion::criterion_main!(groups::benches);
