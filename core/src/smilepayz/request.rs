//! The one way every SmilePayz request is built: JSON body, Peru timestamp,
//! signature over exactly that body, headers in the documented order.
//!
//! Building is two steps, so that any signer fits: [`UnsignedRequest`] holds
//! the body, the timestamp and the string to sign; the signature (from a
//! [`Signer`], or from an HSM, a KMS or a remote service, awaited however
//! the caller likes) turns it into the [`PreparedRequest`].

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::config::{ApiPath, Config};
use super::signature::request_string_to_sign;
use super::timestamp::format_timestamp;
use crate::crypto::Signer;
use crate::error::{PrepareError, Rule, SignError, ValidationError};
use crate::http::{Method, PreparedRequest};

/// A SmilePayz request ready in every byte but its `X-SIGNATURE`.
///
/// Sign [`string_to_sign`](Self::string_to_sign) with RSASSA-PKCS1-v1_5 /
/// SHA-256 under the merchant's private key, wherever that key lives, and
/// hand the raw signature bytes to [`with_signature`](Self::with_signature):
///
/// ```
/// use pasarela_core::crypto::{Backend, PrivateKey, Signer};
/// use pasarela_core::smilepayz::{self, Config, Environment, Merchant, Money, PayInRequest};
/// use pasarela_core::MerchantSecret;
/// use time::macros::datetime;
///
/// # let key = PrivateKey::load(include_str!("../../testdata/keys/merchant_private_pkcs8.pem"))?;
/// # let kms = Backend::Rsa.signer(&key)?; // stands in for the KMS call
/// let config = Config::without_signer("20001", MerchantSecret::new("TEST-ONLY-secret"), Environment::Sandbox)?;
/// let request = PayInRequest::new(Merchant::new("20011"), "ORDER20240001", Money::pen(20000), "Pedido 1");
/// let unsigned = smilepayz::prepare_pay_in_unsigned(&config, &request, datetime!(2020-12-17 15:55:00 UTC))?;
/// // ... send `unsigned.string_to_sign()` to the KMS, await its answer ...
/// let signature: Vec<u8> = kms.sign(unsigned.string_to_sign())?;
/// let prepared = unsigned.with_signature(&signature);
/// assert!(prepared.header("X-SIGNATURE").is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The string to sign contains the merchant secret: it is wiped from memory
/// on drop and never printed (`Debug` shows the URL and the timestamp only).
pub struct UnsignedRequest {
    url: url::Url,
    timestamp: String,
    partner_id: String,
    body: Vec<u8>,
    string_to_sign: Zeroizing<Vec<u8>>,
}

impl UnsignedRequest {
    /// The bytes to sign: `X-TIMESTAMP|merchantSecret|body`. A secret: do
    /// not log it.
    pub fn string_to_sign(&self) -> &[u8] {
        &self.string_to_sign
    }

    /// The exact body that will be sent (and is signed).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The `X-TIMESTAMP` value (Peru time).
    pub fn timestamp(&self) -> &str {
        &self.timestamp
    }

    /// The absolute URL the request goes to.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// Completes the request with the raw signature bytes (not base64: the
    /// encoding is done here, standard alphabet with padding).
    pub fn with_signature(self, signature: &[u8]) -> PreparedRequest {
        let headers = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("X-TIMESTAMP".to_owned(), self.timestamp),
            ("X-SIGNATURE".to_owned(), STANDARD.encode(signature)),
            ("X-PARTNER-ID".to_owned(), self.partner_id),
        ];
        PreparedRequest::new(Method::POST, self.url, headers, self.body)
    }

    /// Signs with a synchronous signer and completes the request.
    pub fn sign(self, signer: &(impl Signer + ?Sized)) -> Result<PreparedRequest, SignError> {
        let signature = signer.sign(&self.string_to_sign)?;
        Ok(self.with_signature(&signature))
    }
}

impl fmt::Debug for UnsignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnsignedRequest")
            .field("url", &self.url.as_str())
            .field("timestamp", &self.timestamp)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Serializes `body` to minified JSON and returns the unsigned POST to `path`.
pub(crate) fn unsigned_post(
    config: &Config,
    path: ApiPath,
    body: &impl Serialize,
    now: OffsetDateTime,
) -> Result<UnsignedRequest, ValidationError> {
    // Serializing plain structs of strings and integers cannot fail; map the
    // impossible case rather than panic.
    let body = serde_json::to_vec(body)
        .map_err(|_| ValidationError::new("body", Rule::Format("serializable as JSON".into())))?;
    let timestamp = format_timestamp(now);
    let string_to_sign = request_string_to_sign(&timestamp, config.secret(), &body);
    Ok(UnsignedRequest {
        url: config.url(path).clone(),
        timestamp,
        partner_id: config.partner_id().to_owned(),
        body,
        string_to_sign,
    })
}

/// The one-step path: unsigned, then signed with the configuration's signer.
pub(crate) fn signed_post(
    config: &Config,
    path: ApiPath,
    body: &impl Serialize,
    now: OffsetDateTime,
) -> Result<PreparedRequest, PrepareError> {
    let unsigned = unsigned_post(config, path, body, now)?;
    let signer = config.signer().ok_or_else(no_signer)?;
    Ok(unsigned.sign(signer)?)
}

/// The configuration was built without a synchronous signer.
pub(crate) fn no_signer() -> SignError {
    SignError::new(
        "this Config has no synchronous signer: prepare with a `prepare_*_unsigned` function \
         and complete with `with_signature`, or build the Config with `Config::new`",
        None,
    )
}
