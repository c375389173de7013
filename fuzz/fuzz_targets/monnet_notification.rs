//! Monnet notification verification on arbitrary bodies. A body that
//! verifies must be for the configured merchant and carry a
//! payinVerification equal to the hash recomputed over the authenticated
//! values it returns.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use pasarela_core::MonnetKey;
use pasarela_core::monnet::{payin_verification, verify_notification};

fuzz_target!(|data: &[u8]| {
    let key = MonnetKey::new("test-key-monnet");
    match verify_notification(data, &key, "4001") {
        Ok(n) => {
            let a = n.authenticated();
            assert_eq!(a.merchant_id(), "4001");
            let expected = payin_verification(
                a.merchant_id(),
                a.operation_number(),
                a.amount_text(),
                a.currency(),
                &key,
            );
            assert_eq!(a.verification(), expected);
            let _ = format!("{n:?} {}", n.event_id());
        }
        Err(e) => {
            let _ = format!("{e} {e:?}");
        }
    }
});
