//! Key loading on arbitrary text and DER: PEM (PKCS#8, PKCS#1, SPKI), bare
//! base64 and raw PKCS#8 DER. A key that loads is 2048 to 8192 bits.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use pasarela_core::crypto::{PrivateKey, PublicKey};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(key) = PrivateKey::load(&text) {
        assert!((2048..=8192).contains(&key.bits()));
        let _ = format!("{key:?}");
        let _ = key.public_key();
    }
    if let Ok(key) = PublicKey::load(&text) {
        assert!((2048..=8192).contains(&key.bits()));
        let _ = PublicKey::load(&key.to_pem());
    }
    if let Ok(key) = PrivateKey::from_pkcs8_der(data) {
        assert!((2048..=8192).contains(&key.bits()));
    }
});
