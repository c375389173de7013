//! Where requests go: certification, production or a custom base URL (the
//! simulator), and the merchant configuration.

use std::sync::LazyLock;

use url::Url;

use crate::error::{Rule, ValidationError};
use crate::secret::MonnetKey;

const CERT_PROXY: &str = "https://sandbox.pci-proxy.com/v1/push/7efeb612e5dda6f1";
const PROD_PROXY: &str = "https://api.pci-proxy.com/v1/push/32dfee54fc151dd3";
const CERT_URL_MONNET: &str = "https://cert.monnetpayments.com/api-payin/v3/online-payments";
const PROD_URL_MONNET: &str = "https://payin.api.monnetpayments.com/api-payin/v3/online-payments";
const CERT_STATUS_BASE: &str = "https://cert.monnetpayments.com";
const PROD_STATUS_BASE: &str = "https://apiin.monnetpayments.com";

/// The fixed proxy URLs, parsed once (parsing costs about as much as
/// writing the whole create body).
static CERT_PROXY_URL: LazyLock<Result<Url, url::ParseError>> =
    LazyLock::new(|| Url::parse(CERT_PROXY));
static PROD_PROXY_URL: LazyLock<Result<Url, url::ParseError>> =
    LazyLock::new(|| Url::parse(PROD_PROXY));

/// The proxy push id used under a custom base URL (the certification one).
const CUSTOM_PROXY_PUSH_ID: &str = "7efeb612e5dda6f1";

/// A Monnet environment.
///
/// `#[non_exhaustive]`: the gateway may open another environment (a second
/// region, a pre-production host); a `match` on it needs a wildcard arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// Monnet's certification (sandbox) environment behind the sandbox PCI proxy.
    Certification,
    /// Monnet's production environment behind the production PCI proxy.
    Production,
    /// Everything under one `http(s)` base URL, which may carry a path prefix
    /// (for example the simulator at `http://127.0.0.1:8080`): the proxy at
    /// `{base}/v1/push/7efeb612e5dda6f1`, `URLMonnet` at
    /// `{base}/api-payin/v3/online-payments`, the status query at
    /// `{base}/ms-experience-payin/merchant/{MID}/operations`.
    Custom(Url),
}

// Crate-private: [`Config::new`] computes the URLs once and keeps them, so
// the public way to read them ([`Config::pci_proxy_url`], ...) cannot fail.
impl Environment {
    /// The PCI-proxy URL a create request is POSTed to.
    ///
    /// Fails only for a [`Custom`](Environment::Custom) URL that is not
    /// `http(s)`.
    pub(crate) fn pci_proxy_url(&self) -> Result<Url, ValidationError> {
        match self {
            Environment::Certification => CERT_PROXY_URL.clone().map_err(|_| bad_environment()),
            Environment::Production => PROD_PROXY_URL.clone().map_err(|_| bad_environment()),
            Environment::Custom(base) => join(base, &["v1", "push", CUSTOM_PROXY_PUSH_ID]),
        }
    }

    /// The `URLMonnet` body value: the Monnet endpoint the proxy forwards to.
    pub(crate) fn url_monnet(&self) -> Result<String, ValidationError> {
        match self {
            Environment::Certification => Ok(CERT_URL_MONNET.to_owned()),
            Environment::Production => Ok(PROD_URL_MONNET.to_owned()),
            Environment::Custom(base) => {
                join(base, &["api-payin", "v3", "online-payments"]).map(String::from)
            }
        }
    }

    /// The status-query URL for a merchant id (percent-encoded as a path
    /// segment).
    pub(crate) fn status_url(&self, merchant_id: &str) -> Result<Url, ValidationError> {
        let segments = ["ms-experience-payin", "merchant", merchant_id, "operations"];
        match self {
            Environment::Certification => join(&parse_const(CERT_STATUS_BASE)?, &segments),
            Environment::Production => join(&parse_const(PROD_STATUS_BASE)?, &segments),
            Environment::Custom(base) => join(base, &segments),
        }
    }
}

fn bad_environment() -> ValidationError {
    ValidationError::new(
        "environment",
        Rule::Format("an absolute http(s) base URL".into()),
    )
}

fn parse_const(url: &str) -> Result<Url, ValidationError> {
    Url::parse(url).map_err(|_| bad_environment())
}

/// `base` with `segments` appended to its path (see [`crate::urls::join`]).
fn join(base: &Url, segments: &[&str]) -> Result<Url, ValidationError> {
    crate::urls::join(base, segments).ok_or_else(bad_environment)
}

/// What every Monnet call needs: who the merchant is, its key, and where to
/// send.
///
/// Checked once when built ([`Config::new`]); after that no accessor can
/// fail, and the URLs are computed once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    merchant_id: String,
    key: MonnetKey,
    environment: Environment,
    proxy_url: Url,
    url_monnet: String,
    status_url: Url,
}

impl Config {
    /// A configuration for `merchant_id` (`payinMerchantID`) and its
    /// `KeyMonnet`.
    ///
    /// The seed's table types `payinMerchantID` as "Integer", while its
    /// sample (and GATEWAYS.md) send it as a JSON string: we follow
    /// GATEWAYS.md and send a string, and require it to hold only ASCII
    /// digits, which satisfies both readings. Fails (naming
    /// `payinMerchantID`, `KeyMonnet` or `environment`) when the id is empty
    /// or not digits, the key is empty, or a custom base URL is not
    /// `http(s)`.
    pub fn new(
        merchant_id: impl Into<String>,
        key: impl Into<MonnetKey>,
        environment: Environment,
    ) -> Result<Self, ValidationError> {
        let merchant_id = merchant_id.into();
        let key = key.into();
        if merchant_id.trim().is_empty() {
            return Err(ValidationError::new("payinMerchantID", Rule::Required));
        }
        if !merchant_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new(
                "payinMerchantID",
                Rule::Format("digits only".into()),
            ));
        }
        if key.expose_secret().is_empty() {
            return Err(ValidationError::new("KeyMonnet", Rule::Required));
        }
        Ok(Self {
            proxy_url: environment.pci_proxy_url()?,
            url_monnet: environment.url_monnet()?,
            status_url: environment.status_url(&merchant_id)?,
            merchant_id,
            key,
            environment,
        })
    }

    /// Sends another `URLMonnet` (the Monnet endpoint the PCI proxy
    /// forwards creates to), keeping the proxy and status URLs of the
    /// environment.
    ///
    /// The version in that URL is **contested**: the seed says
    /// `/api-payin/v3/online-payments` (the default here), Monnet's Peru
    /// create page prints `/api-payin/v1/online-payments`. Use this when
    /// your Monnet contact says otherwise:
    ///
    /// ```
    /// use pasarela_core::monnet::{Config, Environment};
    /// let config = Config::new("4001", "TEST-ONLY-key", Environment::Certification)?
    ///     .with_url_monnet("https://cert.monnetpayments.com/api-payin/v1/online-payments")?;
    /// assert!(config.url_monnet().ends_with("/v1/online-payments"));
    /// assert_eq!(config.pci_proxy_url().host_str(), Some("sandbox.pci-proxy.com")); // unchanged
    /// # Ok::<(), pasarela_core::ValidationError>(())
    /// ```
    ///
    /// Fails, naming `URLMonnet`, unless the URL is absolute `https` (or
    /// `http` under a [`Custom`](Environment::Custom) environment, such
    /// as the simulator), at most 250 characters, without white space or
    /// control characters. It is sent exactly as given.
    pub fn with_url_monnet(mut self, url: impl Into<String>) -> Result<Self, ValidationError> {
        let url = url.into();
        let invalid =
            |what: &'static str| ValidationError::new("URLMonnet", Rule::Format(what.into()));
        if url.chars().count() > 250 {
            return Err(ValidationError::new(
                "URLMonnet",
                Rule::TooLong { max: 250 },
            ));
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("a URL without white space or control characters"));
        }
        let parsed = Url::parse(&url).map_err(|_| invalid("an absolute https URL"))?;
        let http_allowed = matches!(self.environment, Environment::Custom(_));
        match parsed.scheme() {
            "https" => {}
            "http" if http_allowed => {}
            _ => return Err(invalid("an absolute https URL")),
        }
        // Written with its host (`https:///x` parses, with host `x`).
        let authority = url.split_once("://").map_or("", |(_, rest)| rest);
        if authority.is_empty() || authority.starts_with('/') || parsed.host_str().is_none() {
            return Err(invalid("an absolute https URL"));
        }
        self.url_monnet = url;
        Ok(self)
    }

    /// `payinMerchantID`, as Monnet issued it (digits).
    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }

    /// `KeyMonnet`, the merchant key used in every hash.
    pub fn key(&self) -> &MonnetKey {
        &self.key
    }

    /// Where requests go.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The PCI-proxy URL a create is POSTed to.
    pub fn pci_proxy_url(&self) -> &Url {
        &self.proxy_url
    }

    /// The `URLMonnet` body value.
    pub fn url_monnet(&self) -> &str {
        &self.url_monnet
    }

    /// The status-query URL for this merchant.
    pub fn status_url(&self) -> &Url {
        &self.status_url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(base: &str) -> Environment {
        Environment::Custom(Url::parse(base).unwrap())
    }

    #[test]
    fn fixed_environments() {
        let c = Environment::Certification;
        assert_eq!(c.pci_proxy_url().unwrap().as_str(), CERT_PROXY);
        assert_eq!(c.url_monnet().unwrap(), CERT_URL_MONNET);
        assert_eq!(
            c.status_url("123").unwrap().as_str(),
            "https://cert.monnetpayments.com/ms-experience-payin/merchant/123/operations"
        );
        let p = Environment::Production;
        assert_eq!(p.pci_proxy_url().unwrap().as_str(), PROD_PROXY);
        assert_eq!(p.url_monnet().unwrap(), PROD_URL_MONNET);
        assert_eq!(
            p.status_url("123").unwrap().as_str(),
            "https://apiin.monnetpayments.com/ms-experience-payin/merchant/123/operations"
        );
    }

    #[test]
    fn custom_base_joins_with_or_without_prefix_and_slash() {
        for (base, prefix) in [
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("http://h/sim", "http://h/sim"),
            ("http://h/sim/", "http://h/sim"),
            ("https://h/a/b/?q=1#f", "https://h/a/b"),
        ] {
            let env = custom(base);
            assert_eq!(
                env.pci_proxy_url().unwrap().as_str(),
                format!("{prefix}/v1/push/7efeb612e5dda6f1")
            );
            assert_eq!(
                env.url_monnet().unwrap(),
                format!("{prefix}/api-payin/v3/online-payments")
            );
            assert_eq!(
                env.status_url("42").unwrap().as_str(),
                format!("{prefix}/ms-experience-payin/merchant/42/operations")
            );
        }
    }

    #[test]
    fn custom_base_must_be_http() {
        let env = custom("mailto:a@b.c");
        assert_eq!(env.pci_proxy_url().unwrap_err().field(), "environment");
        assert_eq!(env.url_monnet().unwrap_err().field(), "environment");
        assert_eq!(env.status_url("1").unwrap_err().field(), "environment");
        assert_eq!(
            custom("ftp://h/").pci_proxy_url().unwrap_err().field(),
            "environment"
        );
    }

    #[test]
    fn merchant_id_segment_is_encoded() {
        let url = Environment::Certification.status_url("a/b?c").unwrap();
        assert!(url.path().contains("/merchant/a%2Fb%3Fc/operations"));
    }

    #[test]
    fn config_new_names_fields() {
        let env = Environment::Certification;
        let ok = Config::new("123", "k", env.clone()).unwrap();
        assert_eq!(
            ok.status_url().as_str(),
            "https://cert.monnetpayments.com/ms-experience-payin/merchant/123/operations"
        );
        assert_eq!(ok.pci_proxy_url().as_str(), CERT_PROXY);
        assert_eq!(ok.url_monnet(), CERT_URL_MONNET);
        let e = Config::new("", "k", env.clone()).unwrap_err();
        assert_eq!((e.field(), e.rule()), ("payinMerchantID", &Rule::Required));
        let e = Config::new("12a", "k", env.clone()).unwrap_err();
        assert_eq!(e.field(), "payinMerchantID");
        assert!(matches!(e.rule(), Rule::Format(_)));
        let e = Config::new("1", "", env).unwrap_err();
        assert_eq!((e.field(), e.rule()), ("KeyMonnet", &Rule::Required));
        let e = Config::new("1", "k", custom("ftp://h/")).unwrap_err();
        assert_eq!(e.field(), "environment");
    }

    #[test]
    fn url_monnet_can_be_overridden_alone() {
        const V1: &str = "https://cert.monnetpayments.com/api-payin/v1/online-payments";
        let config = Config::new("1", "k", Environment::Certification)
            .unwrap()
            .with_url_monnet(V1)
            .unwrap();
        assert_eq!(config.url_monnet(), V1);
        assert_eq!(config.pci_proxy_url().as_str(), CERT_PROXY);
        assert_eq!(
            config.status_url().as_str(),
            "https://cert.monnetpayments.com/ms-experience-payin/merchant/1/operations"
        );
        let base = || Config::new("1", "k", Environment::Production).unwrap();
        for bad in [
            "http://cert.monnetpayments.com/x",
            "ftp://h/x",
            "/api-payin/v1/online-payments",
            "https://h/a b",
            "https://h/\u{7}",
            "https:///x",
        ] {
            assert_eq!(
                base().with_url_monnet(bad).unwrap_err().field(),
                "URLMonnet",
                "{bad}"
            );
        }
        let long = format!("https://h/{}", "a".repeat(241));
        assert!(matches!(
            base().with_url_monnet(long).unwrap_err().rule(),
            Rule::TooLong { max: 250 }
        ));
        // The simulator speaks plain http.
        let custom = Config::new("1", "k", custom("http://127.0.0.1:9")).unwrap();
        assert!(
            custom
                .with_url_monnet("http://127.0.0.1:9/api-payin/v1/online-payments")
                .is_ok()
        );
    }

    #[test]
    fn config_debug_hides_key() {
        let c = Config::new("1", "k3y-Mönnet-s3cr3t", Environment::Production).unwrap();
        assert!(!format!("{c:?}").contains("k3y-M"));
    }
}
