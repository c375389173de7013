//! The embedded simulator as the load and transport rows use it: on
//! loopback, with clients configured from its credentials, and its control
//! API called with the transport under test.

use std::net::SocketAddr;

use pasarela_core::crypto::{Backend, PrivateKey};
use pasarela_core::http::Method;
use pasarela_core::transport::AsyncTransport;
use pasarela_core::{MerchantSecret, MonnetKey, PreparedRequest, monnet, smilepayz};
use pasarela_simulator::Credentials;
use url::Url;

/// `127.0.0.1:0`: a free loopback port.
pub(super) fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A SmilePayz configuration for the simulator's test merchant, signing with
/// `backend`.
pub(super) fn smilepayz_config(
    credentials: &Credentials,
    backend: Backend,
) -> Result<smilepayz::Config, String> {
    let pem = credentials
        .smilepayz
        .merchant_private_key
        .as_deref()
        .ok_or("the simulator must use its own test merchant key")?;
    let key = PrivateKey::load(pem).map_err(|e| format!("merchant key: {e}"))?;
    let signer = backend.signer(&key).map_err(|e| format!("signer: {e}"))?;
    let base = Url::parse(&credentials.smilepayz.base_url).map_err(|e| format!("base URL: {e}"))?;
    smilepayz::Config::new(
        credentials.smilepayz.merchant_id.clone(),
        MerchantSecret::new(credentials.smilepayz.merchant_secret.clone()),
        signer,
        smilepayz::Environment::Custom(base),
    )
    .map_err(|e| format!("SmilePayz config: {e}"))
}

/// A Monnet configuration for the simulator's test merchant, all URLs under
/// `base_url`.
pub(super) fn monnet_config(
    base_url: &str,
    credentials: &Credentials,
) -> Result<monnet::Config, String> {
    let base = Url::parse(base_url).map_err(|e| format!("base URL: {e}"))?;
    monnet::Config::new(
        credentials.monnet.merchant_id.clone(),
        MonnetKey::new(credentials.monnet.key_monnet.clone()),
        monnet::Environment::Custom(base),
    )
    .map_err(|e| format!("Monnet config: {e}"))
}

/// Posts `body` (JSON) to a control endpoint of the simulator
/// (`/_simulator/{gateway}/complete`) through `transport` and requires the
/// answer `{"delivered": true, ...}`: the callback was acknowledged.
pub(super) async fn complete<T: AsyncTransport>(
    transport: &T,
    url: &Url,
    body: String,
) -> Result<(), String> {
    // JSON control calls say so; no Origin header (the simulator refuses
    // foreign origins).
    let request = PreparedRequest::new(
        Method::POST,
        url.clone(),
        vec![("Content-Type".to_owned(), "application/json".to_owned())],
        body.into_bytes(),
    );
    let answer = transport
        .send(request)
        .await
        .map_err(|e| format!("settlement call failed: {e}"))?;
    let parsed: serde_json::Value = serde_json::from_slice(&answer.body).map_err(|e| {
        format!(
            "settlement answered HTTP {} without JSON: {e}",
            answer.status
        )
    })?;
    if answer.status == 200 && parsed["delivered"] == true {
        Ok(())
    } else {
        Err(format!(
            "settlement answered HTTP {}: {}",
            answer.status,
            crate::output::one_line(&parsed.to_string())
        ))
    }
}
