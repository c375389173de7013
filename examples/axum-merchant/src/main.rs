//! Runs the merchant service from environment variables (see README.md).
#![forbid(unsafe_code)]

use pasarela_axum_merchant::{AppState, MerchantSetup, router};
use pasarela_core::MerchantSecret;
use pasarela_core::MonnetKey;
use pasarela_core::client::SmilepayzSettings;
use pasarela_core::crypto::{Backend, PrivateKey, PublicKey};
use pasarela_core::{monnet, smilepayz};
use pasarela_reqwest::ReqwestTransport;

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

fn file(name: &str) -> Result<String, String> {
    let path = var(name)?;
    std::fs::read_to_string(&path).map_err(|e| format!("{name}: cannot read {path}: {e}"))
}

fn url(name: &str) -> Result<url::Url, String> {
    url::Url::parse(&var(name)?).map_err(|e| format!("{name}: {e}"))
}

fn setup() -> Result<(String, MerchantSetup), String> {
    let listen = std::env::var("MERCHANT_LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let public_url =
        std::env::var("MERCHANT_PUBLIC_URL").unwrap_or_else(|_| format!("http://{listen}"));
    let storefront_url =
        std::env::var("MERCHANT_STOREFRONT_URL").unwrap_or_else(|_| "https://shop.example".into());
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
    if let Ok(codes) = std::env::var("SMILEPAYZ_NOT_FOUND_CODES") {
        settings =
            settings.with_not_found_codes(codes.split(',').map(str::trim).map(str::to_owned));
    }
    let mn = monnet::Config::new(
        var("MONNET_MERCHANT_ID")?,
        MonnetKey::new(var("PASARELA_MONNET_KEY")?),
        monnet::Environment::Custom(url("MONNET_BASE_URL")?),
    )
    .map_err(|e| format!("Monnet configuration: {e}"))?;
    Ok((
        listen,
        MerchantSetup {
            smilepayz: settings,
            smilepayz_platform: platform,
            monnet: mn,
            public_url,
            storefront_url,
        },
    ))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let (listen, setup) = match setup() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("pasarela-axum-merchant: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let transport = match ReqwestTransport::new() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("pasarela-axum-merchant: transport: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let app = router(AppState::new(setup, transport));
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("pasarela-axum-merchant: cannot listen on {listen}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    eprintln!("pasarela-axum-merchant: listening on http://{listen}");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pasarela-axum-merchant: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
