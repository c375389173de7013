//! The test credentials a client needs to talk to the simulator: the object
//! `pasarela simulate --json` prints on start-up and
//! `GET /_simulator/credentials` answers.

use serde::{Deserialize, Serialize};

/// Everything a client needs, in the start-up JSON shape:
///
/// ```json
/// {"addr": "127.0.0.1:40123",
///  "dashboardUrl": "http://127.0.0.1:40123/_simulator/",
///  "smilepayz": {"baseUrl", "merchantId", "merchantSecret", "merchantPrivateKey", "platformPublicKey"},
///  "monnet": {"proxyUrl", "statusUrl", "merchantId", "keyMonnet"}}
/// ```
///
/// Keys are PEM text. These are TEST ONLY credentials, printed on purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// `host:port` the simulator listens on (`in-process` host for the
    /// in-process simulator).
    pub addr: String,
    /// The dashboard: every order, operation and delivery attempt, with
    /// links to the hosted pages and buttons for the control actions.
    #[serde(rename = "dashboardUrl", default)]
    pub dashboard_url: String,
    /// SmilePayz side.
    pub smilepayz: SmilePayzCredentials,
    /// Monnet side.
    pub monnet: MonnetCredentials,
}

/// SmilePayz test credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmilePayzCredentials {
    /// Base URL to put the API paths under (`{baseUrl}/v2.0/transaction/pay-in`).
    pub base_url: String,
    /// Merchant id, sent as `X-PARTNER-ID`.
    pub merchant_id: String,
    /// Merchant secret, the middle part of the string to sign.
    pub merchant_secret: String,
    /// The merchant private key to sign requests with (PKCS#8 PEM), or
    /// `null` when the simulator was given the user's own merchant public
    /// key (`--smilepayz-merchant-public-key`): the private key is then the
    /// user's and the simulator does not have it.
    pub merchant_private_key: Option<String>,
    /// The platform public key (SPKI PEM) that verifies callbacks.
    pub platform_public_key: String,
}

/// Monnet test credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonnetCredentials {
    /// The PCI proxy URL creates are posted to (`{base}/v1/push/{id}`).
    pub proxy_url: String,
    /// The status query URL, merchant id included
    /// (`{base}/ms-experience-payin/merchant/{MID}/operations`).
    pub status_url: String,
    /// `payinMerchantID`.
    pub merchant_id: String,
    /// KeyMonnet, the last part of every hash.
    pub key_monnet: String,
}

impl Credentials {
    /// The one-line JSON object.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}
