//! Monnet notification verification on arbitrary bodies. A body that
//! verifies must carry a payinVerification equal to the hash recomputed
//! over the fields it returns.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use pasarela_core::MonnetKey;
use pasarela_core::monnet::{payin_verification, verify_notification};

fuzz_target!(|data: &[u8]| {
    let key = MonnetKey::new("test-key-monnet");
    match verify_notification(data, &key) {
        Ok(n) => {
            let expected = payin_verification(
                &n.merchant_id,
                &n.merchant_operation_number,
                &n.amount_text,
                &n.currency,
                &key,
            );
            assert!(n.verification.eq_ignore_ascii_case(&expected));
            let _ = format!("{n:?}");
        }
        Err(e) => {
            let _ = format!("{e} {e:?}");
        }
    }
});
