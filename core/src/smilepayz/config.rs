//! Where to send SmilePayz requests and how to sign them.

use std::fmt;
use std::sync::Arc;

use crate::crypto::Signer;
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
    pub fn base_url(&self) -> url::Url {
        match self {
            Environment::Sandbox => fixed("https://sandbox-gateway.smilepayz.com/"),
            Environment::Production => fixed("https://gateway.smilepayz.com/"),
            Environment::Custom(url) => url.clone(),
        }
    }

    /// The absolute URL of an API path such as `/v2.0/inquiry-status`.
    pub fn endpoint(&self, path: &str) -> url::Url {
        join(&self.base_url(), path)
    }
}

/// Parses a URL literal that is known to be valid.
fn fixed(literal: &str) -> url::Url {
    match url::Url::parse(literal) {
        Ok(url) => url,
        Err(_) => unreachable_url(),
    }
}

#[cold]
fn unreachable_url() -> url::Url {
    // Only reachable if a literal above were mistyped; covered by tests.
    url::Url::from_directory_path("/").unwrap_or_else(|()| unreachable!("\"/\" is absolute"))
}

/// Appends `path` to `base`, keeping any path prefix of `base`.
pub(crate) fn join(base: &url::Url, path: &str) -> url::Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}/{}", path.trim_start_matches('/')));
    url.set_query(None);
    url.set_fragment(None);
    url
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
                .as_str(),
            "https://sandbox-gateway.smilepayz.com/v2.0/transaction/pay-in"
        );
        assert_eq!(
            Environment::Production
                .endpoint("/v2.0/inquiry-status")
                .as_str(),
            "https://gateway.smilepayz.com/v2.0/inquiry-status"
        );
        let custom = Environment::Custom(url::Url::parse("http://127.0.0.1:9/sim/").unwrap());
        assert_eq!(
            custom.endpoint("/v2.0/inquiry-balance").as_str(),
            "http://127.0.0.1:9/sim/v2.0/inquiry-balance"
        );
        let bare = Environment::Custom(url::Url::parse("http://127.0.0.1:9").unwrap());
        assert_eq!(
            bare.endpoint("/v2.0/x").as_str(),
            "http://127.0.0.1:9/v2.0/x"
        );
    }
}
