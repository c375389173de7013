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
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::config::{ApiPath, Config};
use super::schema::WireBody;
use super::signature::{SIGNATURE_ALGORITHM, request_string_to_sign};
use super::timestamp::format_timestamp;
use crate::crypto::{SignatureAlgorithm, Signer, require_algorithm};
use crate::error::SignError;
use crate::http::{Method, PreparedRequest};

/// A SmilePayz request ready in every byte but its `X-SIGNATURE`.
///
/// Sign [`string_to_sign`](Self::string_to_sign) with RSASSA-PKCS1-v1_5 /
/// SHA-256 under the merchant's private key, wherever that key lives, and
/// hand the raw signature bytes to [`with_signature`](Self::with_signature):
///
/// ```
/// use pasarela_core::crypto::{Backend, PrivateKey, Signer};
/// use pasarela_core::smilepayz::{self, Config, Environment, Merchant, PayInRequest, Payer};
/// use pasarela_core::{MerchantSecret, Money};
/// use time::macros::datetime;
///
/// # let key = PrivateKey::load(include_str!("../../testdata/keys/merchant_private_pkcs8.pem"))?;
/// # let kms = Backend::Rsa.signer(&key)?; // stands in for the KMS call
/// let config = Config::without_signer("20001", MerchantSecret::new("TEST-ONLY-secret"), Environment::Sandbox)?;
/// let request = PayInRequest::builder(
///     Merchant::of(&config), "ORDER20240001", Money::pen(20000), "Pedido 1", Payer::new("Rosa Quispe"),
/// )
/// .build()?;
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
    ///
    /// A signer whose [`Signer::algorithm`] is not
    /// [`SIGNATURE_ALGORITHM`](super::SIGNATURE_ALGORITHM) (RSASSA-PKCS1-v1_5 /
    /// SHA-256) is refused with a [`SignError`] before it is asked to sign:
    /// the gateway could not check its signature.
    pub fn sign(self, signer: &(impl Signer + ?Sized)) -> Result<PreparedRequest, SignError> {
        Self::require(Signer::algorithm(signer))?;
        let signature = signer.sign(&self.string_to_sign)?;
        Ok(self.with_signature(&signature))
    }

    /// Fails unless a signer naming `found` makes the signature SmilePayz
    /// checks; every signing path (sync, async, type-erased) asks this
    /// before signing.
    pub(crate) fn require(found: SignatureAlgorithm) -> Result<(), SignError> {
        require_algorithm(found, SIGNATURE_ALGORITHM)
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

/// Writes `body` as minified JSON and returns the unsigned POST to `path`.
pub(crate) fn unsigned_post(
    config: &Config,
    path: ApiPath,
    body: &impl WireBody,
    now: OffsetDateTime,
) -> UnsignedRequest {
    // The schema writes the body; writing cannot fail.
    let body = body.to_body().into_bytes();
    let timestamp = format_timestamp(now);
    let string_to_sign = request_string_to_sign(&timestamp, config.secret(), &body);
    UnsignedRequest {
        url: config.url(path).clone(),
        timestamp,
        partner_id: config.partner_id().to_owned(),
        body,
        string_to_sign,
    }
}

/// The one-step path: unsigned, then signed with the configuration's signer.
pub(crate) fn signed_post(
    config: &Config,
    path: ApiPath,
    body: &impl WireBody,
    now: OffsetDateTime,
) -> Result<PreparedRequest, SignError> {
    let signer = config.signer().ok_or_else(no_signer)?;
    unsigned_post(config, path, body, now).sign(signer)
}

/// The configuration was built without a synchronous signer.
pub(crate) fn no_signer() -> SignError {
    SignError::new(
        "this Config has no synchronous signer: prepare with a `prepare_*_unsigned` function \
         and complete with `with_signature`, or build the Config with `Config::new`",
        None,
    )
}

/// The builder of a SmilePayz request message `M`.
///
/// Made by the message's `builder(...)` constructor, which takes every
/// required part (forgetting one does not compile); optional fields are set
/// with its methods; [`build`](RequestBuilder::build) checks every rule of
/// the message's schema and returns the request, or the first rule broken
/// (its field named by wire path, `payer.name`). A built request is valid:
/// preparing it can fail only in signing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct RequestBuilder<M>(pub(crate) M);

impl<M> super::schema::Fields for RequestBuilder<M> {
    type Target = M;
    fn fields_mut(&mut self) -> &mut M {
        &mut self.0
    }
}

/// `build()` of the builder of a message.
macro_rules! impl_build {
    ($($message:ty),*) => {$(
        impl RequestBuilder<$message> {
            /// Checks every rule of the message's schema and returns the
            /// request, or the first rule broken.
            pub fn build(self) -> Result<$message, crate::ValidationError> {
                super::schema::Check::check(&self.0)?;
                Ok(self.0)
            }
        }
    )*};
}

impl_build!(
    super::PayInRequest,
    super::InquiryStatusRequest,
    super::InquiryBalanceRequest
);
