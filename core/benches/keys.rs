//! Key loading benchmarks: a private key from PKCS#8 PEM and from bare
//! base64 DER (SmilePayz's usual form), and a public key from SPKI PEM.
//!
//! Run with `cargo bench -p pasarela-core --bench keys`.
// Fixture setup on fixed TEST ONLY inputs: a failure is a broken bench.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::Criterion;
use pasarela_core::crypto::{PrivateKey, PublicKey};

const PEM: &str = include_str!("../testdata/keys/merchant_private_pkcs8.pem");
const B64: &str = include_str!("../testdata/keys/merchant_private_pkcs8.b64");
const PUBLIC_PEM: &str = include_str!("../testdata/keys/platform_public_spki.pem");

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("keys");
    group.bench_function("load_private_pem", |b| {
        b.iter(|| PrivateKey::load(black_box(PEM)).unwrap());
    });
    group.bench_function("load_private_base64", |b| {
        b.iter(|| PrivateKey::load(black_box(B64)).unwrap());
    });
    group.bench_function("load_public_pem", |b| {
        b.iter(|| PublicKey::load(black_box(PUBLIC_PEM)).unwrap());
    });
    group.finish();
}

mod groups {
    criterion::criterion_group!(benches, super::load);
}

criterion::criterion_main!(groups::benches);
