//! Where the service's credentials come from: a running simulator's
//! `/_simulator/credentials` (tests, demos), or the environment (as in
//! production).

use pasarela_core::client::SmilepayzSettings;
use pasarela_core::crypto::{Backend, PrivateKey, PublicKey};
use pasarela_core::outcome::SmilepayzCodeMeaning;
use pasarela_core::{MerchantSecret, MonnetKey, monnet, smilepayz};
use pasarela_simulator::{Credentials, codes};

use crate::MerchantSetup;

/// The setup for the simulator at `simulator_url` (its TEST ONLY
/// credentials and its code meanings), reached by this service at
/// `public_url`.
pub async fn from_simulator(
    simulator_url: &str,
    public_url: String,
    storefront_url: String,
) -> Result<MerchantSetup, String> {
    let base = simulator_url.trim_end_matches('/');
    let url = format!("{base}/_simulator/credentials");
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let credentials: Credentials = http
        .get(&url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("--simulator-url: cannot read {url}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("--simulator-url: {url} is not the simulator's credentials: {e}"))?;
    let key_pem = credentials
        .smilepayz
        .merchant_private_key
        .as_deref()
        .ok_or("--simulator-url: the simulator runs with a key of yours; give the service its private key through the environment")?;
    let backend = Backend::default();
    let signer = backend
        .signer(&PrivateKey::load(key_pem).map_err(|e| format!("merchant key: {e}"))?)
        .map_err(|e| format!("merchant key: {e}"))?;
    let platform = backend
        .verifier(
            &PublicKey::load(&credentials.smilepayz.platform_public_key)
                .map_err(|e| format!("platform key: {e}"))?,
        )
        .map_err(|e| format!("platform key: {e}"))?;
    let base_url = url::Url::parse(&credentials.smilepayz.base_url)
        .map_err(|e| format!("--simulator-url: base URL: {e}"))?;
    let sp = smilepayz::Config::new(
        credentials.smilepayz.merchant_id.clone(),
        MerchantSecret::new(credentials.smilepayz.merchant_secret.clone()),
        signer,
        smilepayz::Environment::Custom(base_url.clone()),
    )
    .map_err(|e| format!("SmilePayz configuration: {e}"))?;
    let mn = monnet::Config::new(
        credentials.monnet.merchant_id.clone(),
        MonnetKey::new(credentials.monnet.key_monnet.clone()),
        monnet::Environment::Custom(base_url),
    )
    .map_err(|e| format!("Monnet configuration: {e}"))?;
    Ok(MerchantSetup {
        smilepayz: SmilepayzSettings::new(sp)
            .with_code_meanings(codes::smilepayz::MEANINGS.iter().copied()),
        smilepayz_platform: platform,
        monnet: mn,
        public_url,
        storefront_url,
    })
}

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

fn file(name: &str) -> Result<String, String> {
    let path = var(name)?;
    std::fs::read_to_string(&path).map_err(|e| format!("{name}: cannot read it: {e}"))
}

fn url(name: &str) -> Result<url::Url, String> {
    url::Url::parse(&var(name)?).map_err(|e| format!("{name}: {e}"))
}

/// The setup from the environment (see the README): keys from files,
/// secrets from variables, the code meanings your account manager gave you
/// (`SMILEPAYZ_NOT_FOUND_CODES`, `SMILEPAYZ_REFUSED_CODES`,
/// `SMILEPAYZ_DUPLICATE_CODES`, comma-separated).
pub fn from_env(public_url: String, storefront_url: String) -> Result<MerchantSetup, String> {
    let backend = Backend::default();
    let merchant_key = PrivateKey::load(&file("SMILEPAYZ_MERCHANT_KEY_FILE")?)
        .map_err(|e| format!("SMILEPAYZ_MERCHANT_KEY_FILE: {e}"))?;
    let platform_key = PublicKey::load(&file("SMILEPAYZ_PLATFORM_PUBLIC_KEY_FILE")?)
        .map_err(|e| format!("SMILEPAYZ_PLATFORM_PUBLIC_KEY_FILE: {e}"))?;
    let signer = backend
        .signer(&merchant_key)
        .map_err(|e| format!("merchant key: {e}"))?;
    let platform = backend
        .verifier(&platform_key)
        .map_err(|e| format!("platform key: {e}"))?;
    let sp = smilepayz::Config::new(
        var("SMILEPAYZ_MERCHANT_ID")?,
        MerchantSecret::new(var("PASARELA_SMILEPAYZ_MERCHANT_SECRET")?),
        signer,
        smilepayz::Environment::Custom(url("SMILEPAYZ_BASE_URL")?),
    )
    .map_err(|e| format!("SmilePayz configuration: {e}"))?;
    let mut settings = SmilepayzSettings::new(sp);
    for (name, meaning) in [
        ("SMILEPAYZ_NOT_FOUND_CODES", SmilepayzCodeMeaning::NotFound),
        ("SMILEPAYZ_REFUSED_CODES", SmilepayzCodeMeaning::Refused),
        (
            "SMILEPAYZ_DUPLICATE_CODES",
            SmilepayzCodeMeaning::DuplicateOrder,
        ),
    ] {
        if let Ok(codes) = std::env::var(name) {
            settings = settings.with_code_meanings(
                codes
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(|c| (c.to_owned(), meaning)),
            );
        }
    }
    let mn = monnet::Config::new(
        var("MONNET_MERCHANT_ID")?,
        MonnetKey::new(var("PASARELA_MONNET_KEY")?),
        monnet::Environment::Custom(url("MONNET_BASE_URL")?),
    )
    .map_err(|e| format!("Monnet configuration: {e}"))?;
    Ok(MerchantSetup {
        smilepayz: settings,
        smilepayz_platform: platform,
        monnet: mn,
        public_url,
        storefront_url,
    })
}
