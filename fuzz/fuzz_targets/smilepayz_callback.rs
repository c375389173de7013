//! SmilePayz callback verification with arbitrary headers and body.
//!
//! The first byte picks the mode:
//! - even: `X-TIMESTAMP`, `X-SIGNATURE` and the body all come from the
//!   input, split at the first two newlines (bits 1 and 2 drop a header);
//! - odd: the headers are a genuine signed pair for the seed callback's
//!   `tradeNo`, and the input is the body, so the fuzzer reaches past the
//!   signature check into the body's fields.
//!
//! A callback that verifies must carry the signed `tradeNo`.
#![no_main]
#![forbid(unsafe_code)]

use std::sync::{Arc, LazyLock};

use libfuzzer_sys::fuzz_target;
use pasarela_core::crypto::{Backend, PrivateKey, Verifier};
use pasarela_core::smilepayz::{DEFAULT_CALLBACK_TOLERANCE, sign_callback, verify_callback};
use time::OffsetDateTime;
use time::macros::datetime;

const TIMESTAMP: &str = "2020-12-17T10:55:00-05:00";
const TRADE_NO: &str = "151200012410241325417215";
const NOW: OffsetDateTime = datetime!(2020-12-17 15:56:00 UTC);

struct Fixture {
    verifier: Arc<dyn Verifier + Send + Sync>,
    signature: String,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let key = PrivateKey::load(include_str!(
        "../../core/testdata/keys/platform_private_pkcs8.pem"
    ))
    .expect("TEST ONLY platform key loads");
    let signer = Backend::Rsa.signer(&key).expect("signer");
    Fixture {
        verifier: Backend::Rsa.verifier(&key.public_key()).expect("verifier"),
        signature: sign_callback(&*signer, TRADE_NO, TIMESTAMP).expect("signs"),
    }
});

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let result = if mode & 1 == 1 {
        verify_callback(
            Some(TIMESTAMP),
            Some(&fixture.signature),
            rest,
            &*fixture.verifier,
            NOW,
            DEFAULT_CALLBACK_TOLERANCE,
        )
    } else {
        let mut parts = rest.splitn(3, |&b| b == b'\n');
        let timestamp = String::from_utf8_lossy(parts.next().unwrap_or_default());
        let signature = String::from_utf8_lossy(parts.next().unwrap_or_default());
        let body = parts.next().unwrap_or_default();
        verify_callback(
            (mode & 2 == 0).then_some(&*timestamp),
            (mode & 4 == 0).then_some(&*signature),
            body,
            &*fixture.verifier,
            NOW,
            DEFAULT_CALLBACK_TOLERANCE,
        )
    };
    match result {
        Ok(callback) => {
            assert_eq!(callback.authenticated().trade_no(), TRADE_NO);
            let _ = format!("{callback:?}");
        }
        Err(e) => {
            let _ = format!("{e} {e:?}");
        }
    }
});
