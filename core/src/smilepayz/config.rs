//! Where to send SmilePayz requests and how to sign them.

use std::fmt;
use std::sync::Arc;

use crate::crypto::Signer;
use crate::error::{Rule, ValidationError};
use crate::secret::MerchantSecret;

/// A SmilePayz environment.
///
/// `#[non_exhaustive]`: the gateway may open another environment (a second
/// region, a pre-production host); a `match` on it needs a wildcard arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// `https://sandbox-gateway.smilepayz.com`
    Sandbox,
    /// `https://gateway.smilepayz.com`
    Production,
    /// Any other base URL, e.g. the pasarela simulator on loopback. A path
    /// prefix is kept (`http://host/prefix` → `http://host/prefix/v2.0/...`).
    Custom(url::Url),
}

// Crate-private: [`Config::new`] calls these once and keeps the URLs, so the
// public way to read a URL ([`Config::pay_in_url`], ...) cannot fail.
impl Environment {
    /// The base URL requests are sent under.
    pub(crate) fn base_url(&self) -> Result<url::Url, ValidationError> {
        match self {
            Environment::Sandbox => parse_const("https://sandbox-gateway.smilepayz.com/"),
            Environment::Production => parse_const("https://gateway.smilepayz.com/"),
            Environment::Custom(url) => Ok(url.clone()),
        }
    }

    /// The absolute URL of an API path such as `/v2.0/inquiry-status`. A
    /// custom base URL keeps its path prefix; it must be `http(s)`.
    pub(crate) fn endpoint(&self, path: &str) -> Result<url::Url, ValidationError> {
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
/// Checked once when built ([`Config::new`]): the partner id is digits
/// (production, `20011`) or `sandbox-` and digits (`sandbox-20011`), and the
/// base URL is an absolute
/// `http(s)` URL. After that no accessor can fail.
///
/// Cheap to clone and shareable across threads.
#[derive(Clone)]
#[non_exhaustive]
pub struct Config {
    partner_id: String,
    secret: MerchantSecret,
    signer: Option<Arc<dyn Signer + Send + Sync>>,
    environment: Environment,
    pay_in_url: url::Url,
    inquiry_status_url: url::Url,
    inquiry_balance_url: url::Url,
}

impl Config {
    /// A configuration for `partner_id` (the merchant id sent as
    /// `X-PARTNER-ID`), signing with `signer` (a software key from
    /// [`Backend::signer`](crate::crypto::Backend::signer), or your own
    /// HSM/KMS [`Signer`]).
    ///
    /// Fails when the partner id or the environment's base URL breaks a rule
    /// (the error names `X-PARTNER-ID` or `environment`).
    pub fn new(
        partner_id: impl Into<String>,
        secret: MerchantSecret,
        signer: Arc<dyn Signer + Send + Sync>,
        environment: Environment,
    ) -> Result<Self, ValidationError> {
        let mut config = Self::without_signer(partner_id, secret, environment)?;
        config.signer = Some(signer);
        Ok(config)
    }

    /// A configuration without a synchronous signer, for a key that signs
    /// asynchronously (a KMS or a remote service): prepare with the
    /// `prepare_*_unsigned` functions and complete with the signature, or
    /// give the async client an
    /// [`AsyncSigner`](crate::crypto::AsyncSigner). The one-step
    /// `prepare_*` functions fail with a [`SignError`](crate::SignError)
    /// saying so.
    pub fn without_signer(
        partner_id: impl Into<String>,
        secret: MerchantSecret,
        environment: Environment,
    ) -> Result<Self, ValidationError> {
        let partner_id = partner_id.into();
        // Digits, or `sandbox-` and digits (GATEWAYS.md, "Merchant ids").
        super::model::merchant_id("X-PARTNER-ID", &partner_id)?;
        Ok(Self {
            pay_in_url: environment.endpoint(super::PAY_IN_PATH)?,
            inquiry_status_url: environment.endpoint(super::INQUIRY_STATUS_PATH)?,
            inquiry_balance_url: environment.endpoint(super::INQUIRY_BALANCE_PATH)?,
            partner_id,
            secret,
            signer: None,
            environment,
        })
    }

    /// The merchant id sent as `X-PARTNER-ID`.
    pub fn partner_id(&self) -> &str {
        &self.partner_id
    }

    /// The merchant secret.
    pub fn secret(&self) -> &MerchantSecret {
        &self.secret
    }

    /// The synchronous signer, when the configuration has one.
    pub fn signer(&self) -> Option<&(dyn Signer + Send + Sync)> {
        self.signer.as_deref()
    }

    /// The synchronous signer as a shared handle, when there is one.
    pub fn shared_signer(&self) -> Option<Arc<dyn Signer + Send + Sync>> {
        self.signer.clone()
    }

    /// The environment.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// Where pay-ins are sent: the environment's
    /// `/v2.0/transaction/pay-in` (checked when built).
    pub fn pay_in_url(&self) -> &url::Url {
        &self.pay_in_url
    }

    /// Where status inquiries are sent: `/v2.0/inquiry-status`.
    pub fn inquiry_status_url(&self) -> &url::Url {
        &self.inquiry_status_url
    }

    /// Where balance inquiries are sent: `/v2.0/inquiry-balance`.
    pub fn inquiry_balance_url(&self) -> &url::Url {
        &self.inquiry_balance_url
    }

    /// The absolute URL of one of the API paths (checked when built).
    pub(crate) fn url(&self, path: ApiPath) -> &url::Url {
        match path {
            ApiPath::PayIn => &self.pay_in_url,
            ApiPath::InquiryStatus => &self.inquiry_status_url,
            ApiPath::InquiryBalance => &self.inquiry_balance_url,
        }
    }
}

/// The API paths a [`Config`] knows the URL of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiPath {
    /// `/v2.0/transaction/pay-in`
    PayIn,
    /// `/v2.0/inquiry-status`
    InquiryStatus,
    /// `/v2.0/inquiry-balance`
    InquiryBalance,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("partner_id", &self.partner_id)
            .field("secret", &self.secret)
            .field("signer", &self.signer.as_ref().map(|_| "<signer>"))
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

    #[test]
    fn config_is_checked_once() {
        let secret = || MerchantSecret::new("s");
        let ok = Config::without_signer("sandbox-20011", secret(), Environment::Sandbox).unwrap();
        assert_eq!(
            ok.url(ApiPath::InquiryStatus).as_str(),
            "https://sandbox-gateway.smilepayz.com/v2.0/inquiry-status"
        );
        assert!(ok.signer().is_none());
        // The public accessors read what was checked; they cannot fail.
        let urls = [
            ok.pay_in_url().as_str(),
            ok.inquiry_status_url().as_str(),
            ok.inquiry_balance_url().as_str(),
        ];
        assert_eq!(
            urls,
            [
                "https://sandbox-gateway.smilepayz.com/v2.0/transaction/pay-in",
                "https://sandbox-gateway.smilepayz.com/v2.0/inquiry-status",
                "https://sandbox-gateway.smilepayz.com/v2.0/inquiry-balance",
            ]
        );
        let e = Config::without_signer("", secret(), Environment::Sandbox).unwrap_err();
        assert_eq!(e.field(), "X-PARTNER-ID");
        let e = Config::without_signer("a b", secret(), Environment::Sandbox).unwrap_err();
        assert_eq!(e.field(), "X-PARTNER-ID");
        let ftp = Environment::Custom(url::Url::parse("ftp://127.0.0.1/").unwrap());
        let e = Config::without_signer("1", secret(), ftp).unwrap_err();
        assert_eq!(e.field(), "environment");
    }
}
