//! The single-operation rows: every core operation on fixed inputs (the
//! gateways' seed examples and the TEST ONLY keys), next to the baselines
//! the project's speed targets are ratios of (raw RSA-2048 sign and verify
//! per backend; `serde_json::to_vec` of the Monnet body plus one SHA-512).

use std::hint::black_box;

use pasarela_core::crypto::{Backend, PrivateKey, PublicKey, Signer as _, Verifier};
use pasarela_core::monnet::{self, CreateRequest};
use pasarela_core::smilepayz::{
    self, DEFAULT_CALLBACK_TOLERANCE, PayInRequest, callback_string_to_sign,
    request_string_to_sign, sign_callback,
};
use pasarela_core::{MerchantSecret, MonnetKey, RawResponse};
use pasarela_simulator::samples::{self, OrderedStrings};
use pasarela_simulator::{
    TEST_MERCHANT_PRIVATE_KEY, TEST_PLATFORM_PRIVATE_KEY, TEST_PLATFORM_PUBLIC_KEY,
};
use sha2::{Digest, Sha512};
use time::OffsetDateTime;
use time::macros::datetime;

use super::measure::Operation;
use crate::output::Failure;

pub(super) const NOW: OffsetDateTime = datetime!(2020-12-17 15:55:00 UTC);
const TIMESTAMP: &str = "2020-12-17T10:55:00-05:00";
const TRADE_NO: &str = "151200012410241325417215";
const SECRET: &str = "TEST-ONLY-merchant-secret";
pub(super) const MONNET_KEY: &str = "test-key-monnet";
pub(super) const MONNET_MERCHANT: &str = "4001";

/// The SmilePayz seed's callback example.
const CALLBACK_BODY: &[u8] = br#"{"merchantId":"20001","merchantName":"test","money":{"amount":20000,"currency":"PEN"},"orderNo":"2000102900000000000001","status":"SUCCESS","tradeNo":"151200012410241325417215","transactionTime":"2020-12-17T10:55:00-05:00"}"#;

/// Monnet's create answer example.
const CREATE_RESPONSE: &str = r#"{"url":"https://test.test","payinErrorCode":"0000","payinErrorMessage":"Successfull process"}"#;

/// A Monnet create with every field set (Monnet's test card).
pub(super) fn create_request() -> Result<CreateRequest, Failure> {
    samples::monnet_create("ORD-000123", "150.00")
        .map_err(|e| e.to_string())
        .map_err(setup("Monnet create request"))
}

/// Turns a set-up error into a usage failure naming the step.
pub(super) fn setup(what: &str) -> impl Fn(String) -> Failure + '_ {
    move |e| Failure::usage(format!("bench setup ({what}): {e}"))
}

/// `e.to_string()`, for `map_err` chains.
pub(super) fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The base64 body of a PEM block: the same key as "bare base64 DER", the
/// other form the gateways hand keys out in.
fn pem_body(pem: &str) -> String {
    pem.lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect()
}

/// The merchant's TEST ONLY key (the simulator's test pair).
pub(super) fn merchant_key() -> Result<PrivateKey, Failure> {
    PrivateKey::load(TEST_MERCHANT_PRIVATE_KEY)
        .map_err(text)
        .map_err(setup("merchant key"))
}

/// The SmilePayz seed's pay-in request.
fn pay_in_request() -> Result<PayInRequest, Failure> {
    samples::smilepayz_seed_pay_in()
        .map_err(text)
        .map_err(setup("SmilePayz pay-in request"))
}

/// A SmilePayz sandbox configuration signing with `backend`.
fn config(backend: Backend) -> Result<smilepayz::Config, Failure> {
    let signer = backend
        .signer(&merchant_key()?)
        .map_err(text)
        .map_err(setup("signer"))?;
    smilepayz::Config::new(
        "20011", // the seed's merchant, as in its pay-in
        MerchantSecret::new(SECRET),
        signer,
        smilepayz::Environment::Sandbox,
    )
    .map_err(text)
    .map_err(setup("SmilePayz config"))
}

/// `rsa.sign`: a raw RSA-2048 signature on `backend` over exactly what a
/// prepare pay-in signs (`X-TIMESTAMP|merchantSecret|body`).
pub(super) fn raw_sign(backend: Backend) -> Result<Operation, Failure> {
    let signer = backend
        .signer(&merchant_key()?)
        .map_err(text)
        .map_err(setup("signer"))?;
    let prepared = smilepayz::prepare_pay_in(&config(backend)?, &pay_in_request()?, NOW)
        .map_err(text)
        .map_err(setup("prepare"))?;
    let message = request_string_to_sign(TIMESTAMP, &MerchantSecret::new(SECRET), prepared.body());
    Ok(Operation::new(
        "rsa.sign",
        Some(backend.name()),
        move || {
            signer
                .sign(black_box(&message))
                .map(|sig| drop(black_box(sig)))
                .map_err(text)
        },
    ))
}

/// The platform's callback signature over the seed's `tradeNo|X-TIMESTAMP`:
/// the `X-SIGNATURE` header and the raw signature bytes.
fn callback_signature() -> Result<(String, Vec<u8>), Failure> {
    let platform_key = PrivateKey::load(TEST_PLATFORM_PRIVATE_KEY)
        .map_err(text)
        .map_err(setup("platform key"))?;
    let signer = Backend::Rsa
        .signer(&platform_key)
        .map_err(text)
        .map_err(setup("platform signer"))?;
    let header = sign_callback(&*signer, TRADE_NO, TIMESTAMP)
        .map_err(text)
        .map_err(setup("callback signature"))?;
    let raw = signer
        .sign(callback_string_to_sign(TRADE_NO, TIMESTAMP).as_bytes())
        .map_err(text)
        .map_err(setup("raw signature"))?;
    Ok((header, raw))
}

/// `rsa.verify`: a raw RSA-2048 verification on `backend` of a callback's
/// signature over its string to sign.
pub(super) fn raw_verify(backend: Backend) -> Result<Operation, Failure> {
    let verifier = platform_verifier(backend)?;
    let (_, signature) = callback_signature()?;
    let message = callback_string_to_sign(TRADE_NO, TIMESTAMP);
    Ok(Operation::new(
        "rsa.verify",
        Some(backend.name()),
        move || {
            verifier
                .verify(black_box(message.as_bytes()), black_box(&signature))
                .map_err(|e| format!("signature did not verify: {e}"))
        },
    ))
}

fn platform_verifier(
    backend: Backend,
) -> Result<std::sync::Arc<dyn Verifier + Send + Sync>, Failure> {
    let public = PublicKey::load(TEST_PLATFORM_PUBLIC_KEY)
        .map_err(text)
        .map_err(setup("platform public key"))?;
    backend
        .verifier(&public)
        .map_err(text)
        .map_err(setup("verifier"))
}

/// Every operation, in the order they are printed (each baseline next to
/// what it is the baseline of).
pub(super) fn operations() -> Result<Vec<Operation>, Failure> {
    let request = pay_in_request()?;
    let mut ops = Vec::new();
    for &backend in Backend::ALL {
        let name = backend.name();
        let config = config(backend)?;
        ops.push(raw_sign(backend)?);
        let (one_config, one_request) = (config.clone(), request.clone());
        ops.push(Operation::new(
            "smilepayz.prepare_pay_in",
            Some(name),
            move || {
                smilepayz::prepare_pay_in(&one_config, black_box(&one_request), NOW)
                    .map(|p| drop(black_box(p)))
                    .map_err(text)
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
                        .map_err(text)
                },
            ));
        }
    }
    let (callback_header, _) = callback_signature()?;
    for &backend in Backend::ALL {
        let verifier = platform_verifier(backend)?;
        ops.push(raw_verify(backend)?);
        let signature = callback_header.clone();
        ops.push(Operation::new(
            "smilepayz.verify_callback",
            Some(backend.name()),
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
                .map_err(text)
            },
        ));
    }
    ops.push(Operation::new(
        "smilepayz.parse_pay_in_response",
        None,
        || {
            smilepayz::parse_pay_in_response(RawResponse::new(
                200,
                black_box(samples::SMILEPAYZ_SEED_PAY_IN_RESPONSE),
            ))
            .map(|r| drop(black_box(r)))
            .map_err(text)
        },
    ));
    ops.extend(monnet_operations()?);
    ops.push(Operation::new("keys.load_private_pem", None, || {
        PrivateKey::load(black_box(TEST_MERCHANT_PRIVATE_KEY))
            .map(|k| drop(black_box(k)))
            .map_err(text)
    }));
    let base64 = pem_body(TEST_MERCHANT_PRIVATE_KEY);
    ops.push(Operation::new(
        "keys.load_private_base64",
        None,
        move || {
            PrivateKey::load(black_box(&base64))
                .map(|k| drop(black_box(k)))
                .map_err(text)
        },
    ));
    super::transport_ops::transport_operations(&mut ops)?;
    Ok(ops)
}

/// A Monnet configuration for the fixed inputs.
pub(super) fn monnet_config() -> Result<monnet::Config, Failure> {
    monnet::Config::new(
        MONNET_MERCHANT,
        MONNET_KEY,
        monnet::Environment::Certification,
    )
    .map_err(text)
    .map_err(setup("Monnet config"))
}

/// A Monnet notification for the fixed create, with its hash.
pub(super) fn monnet_notification() -> String {
    let key = MonnetKey::new(MONNET_KEY);
    let hash = monnet::payin_verification(MONNET_MERCHANT, "ORD-000123", "150.00", "PEN", &key);
    format!(
        r#"{{"payinStateID":5,"payinState":"Autorizado","payinMerchantID":"4001","payinAmount":150.00,"payinCurrency":"PEN","payinMerchantOperationNumber":"ORD-000123","payinMethod":"TCTD","payinVerification":"{hash}"}}"#
    )
}

/// The Monnet rows: the baseline, prepare create, verify notification and
/// parse create response.
pub(super) fn monnet_operations() -> Result<Vec<Operation>, Failure> {
    let monnet_config = monnet_config()?;
    let create = create_request()?;
    let prepared = monnet::prepare_create(&monnet_config, &create);
    let ordered: OrderedStrings = serde_json::from_slice(prepared.body())
        .map_err(text)
        .map_err(setup("Monnet body"))?;
    let key = MonnetKey::new(MONNET_KEY);
    let mut ops = vec![Operation::new(
        "monnet.baseline_to_vec_sha512",
        None,
        move || {
            let body = serde_json::to_vec(black_box(&ordered)).map_err(text)?;
            let mut h = Sha512::new();
            h.update(b"4001");
            h.update(b"ORD-000123");
            h.update(b"150.00");
            h.update(b"PEN");
            h.update(key.expose_secret().as_bytes());
            black_box((body, h.finalize()));
            Ok(())
        },
    )];
    ops.push(Operation::new("monnet.prepare_create", None, move || {
        drop(black_box(monnet::prepare_create(
            &monnet_config,
            black_box(&create),
        )));
        Ok(())
    }));
    let key = MonnetKey::new(MONNET_KEY);
    let notification = monnet_notification();
    ops.push(Operation::new(
        "monnet.verify_notification",
        None,
        move || {
            monnet::verify_notification(black_box(notification.as_bytes()), &key, MONNET_MERCHANT)
                .map(|n| drop(black_box(n)))
                .map_err(text)
        },
    ));
    ops.push(Operation::new("monnet.parse_create_response", None, || {
        monnet::parse_create_response(RawResponse::new(200, black_box(CREATE_RESPONSE)))
            .map(|r| drop(black_box(r)))
            .map_err(text)
    }));
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base64_form_is_the_same_key() {
        let pem = merchant_key().unwrap();
        let bare = PrivateKey::load(&pem_body(TEST_MERCHANT_PRIVATE_KEY)).unwrap();
        assert_eq!(pem.public_key().spki_der(), bare.public_key().spki_der());
    }
}
