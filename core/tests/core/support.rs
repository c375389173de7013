//! What several test modules build the same way.

use pasarela_core::MerchantSecret;
use pasarela_core::client::SmilepayzSettings;
use pasarela_core::crypto::{Backend, PrivateKey};
use pasarela_core::smilepayz;
use time::macros::datetime;

/// A SmilePayz configuration for `merchant_id`, signing with the TEST ONLY
/// merchant key and secret on the sandbox.
pub fn smilepayz_config(merchant_id: &str) -> smilepayz::Config {
    let key = PrivateKey::load(include_str!(
        "../../testdata/keys/merchant_private_pkcs8.pem"
    ))
    .unwrap();
    smilepayz::Config::new(
        merchant_id,
        MerchantSecret::new("TEST-ONLY-secret"),
        Backend::Rsa.signer(&key).unwrap(),
        smilepayz::Environment::Sandbox,
    )
    .unwrap()
}

/// Settings over [`smilepayz_config`] with the clock stopped at
/// 2020-12-17 15:55 UTC (when the docs' sample request was signed).
pub fn smilepayz_settings(merchant_id: &str) -> SmilepayzSettings {
    SmilepayzSettings::new(smilepayz_config(merchant_id))
        .with_clock(|| datetime!(2020-12-17 15:55:00 UTC))
}
