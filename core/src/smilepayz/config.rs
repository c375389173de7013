//! Where to send SmilePayz requests and how to sign them.

use std::fmt;
use std::sync::Arc;

use crate::crypto::Signer;
use crate::error::{Rule, ValidationError};
use crate::secret::MerchantSecret;

/// A SmilePayz environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// `https://sandbox-gateway.smilepayz.com`
    Sandbox,
    /// `https://gateway.smilepayz.com`
    Production,
    /// Any other base URL, e.g. the pasarela simulator on loopback. A path
    /// prefix is kept (`http://host/prefix` → `http://host/prefix/v2.0/...`).
    Custom(url::Url),
}

impl Environment {
    /// The base URL requests are sent under.
    pub fn base_url(&self) -> Result<url::Url, ValidationError> {
        match self {
            Environment::Sandbox => parse_const("https://sandbox-gateway.smilepayz.com/"),
            Environment::Production => parse_const("https://gateway.smilepayz.com/"),
            Environment::Custom(url) => Ok(url.clone()),
        }
    }

    /// The absolute URL of an API path such as `/v2.0/inquiry-status`. A
    /// custom base URL keeps its path prefix; it must be `http(s)`.
    pub fn endpoint(&self, path: &str) -> Result<url::Url, ValidationError> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        crate::urls::join(&self.base_url()?, &segments).ok_or_else(bad_environment)
    }
}

fn parse_const(url: &str) -> Result<url::Url, ValidationError> {
    url::Url::parse(url).map_err(|_| bad_environment())
}

fn bad_environment() -> ValidationError {
    ValidationError::new(
        "environment",
        Rule::Format("an absolute http(s) base URL".into()),
    )
}

/// Everything a SmilePayz request needs besides its own input: the merchant
/// id (`X-PARTNER-ID`), the merchant secret, the signer holding the
/// merchant's private key, and the environment.
///
/// Cheap to clone and shareable across threads.
#[derive(Clone)]
pub struct Config {
    partner_id: String,
    secret: MerchantSecret,
    signer: Arc<dyn Signer + Send + Sync>,
    environment: Environment,
}

impl Config {
    /// A configuration for `partner_id` (the merchant id sent as
    /// `X-PARTNER-ID`).
    pub fn new(
        partner_id: impl Into<String>,
        secret: MerchantSecret,
        signer: Arc<dyn Signer + Send + Sync>,
        environment: Environment,
    ) -> Self {
        Self {
            partner_id: partner_id.into(),
            secret,
            signer,
            environment,
        }
    }

    /// The merchant id sent as `X-PARTNER-ID`.
    pub fn partner_id(&self) -> &str {
        &self.partner_id
    }

    /// The merchant secret.
    pub fn secret(&self) -> &MerchantSecret {
        &self.secret
    }

    /// The signer.
    pub fn signer(&self) -> &(dyn Signer + Send + Sync) {
        &*self.signer
    }

    /// The environment.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("partner_id", &self.partner_id)
            .field("secret", &self.secret)
            .field("signer", &"<signer>")
            .field("environment", &self.environment)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            Environment::Sandbox
                .endpoint("/v2.0/transaction/pay-in")
                .unwrap()
                .as_str(),
            "https://sandbox-gateway.smilepayz.com/v2.0/transaction/pay-in"
        );
        assert_eq!(
            Environment::Production
                .endpoint("/v2.0/inquiry-status")
                .unwrap()
                .as_str(),
            "https://gateway.smilepayz.com/v2.0/inquiry-status"
        );
        let custom = Environment::Custom(url::Url::parse("http://127.0.0.1:9/sim/").unwrap());
        assert_eq!(
            custom.endpoint("/v2.0/inquiry-balance").unwrap().as_str(),
            "http://127.0.0.1:9/sim/v2.0/inquiry-balance"
        );
        let ftp = Environment::Custom(url::Url::parse("ftp://127.0.0.1/").unwrap());
        assert_eq!(ftp.endpoint("/v2.0/x").unwrap_err().field(), "environment");
        let bare = Environment::Custom(url::Url::parse("http://127.0.0.1:9").unwrap());
        assert_eq!(
            bare.endpoint("/v2.0/x").unwrap().as_str(),
            "http://127.0.0.1:9/v2.0/x"
        );
    }
}
