//! The one way every SmilePayz request is built: JSON body, Peru timestamp,
//! signature over exactly that body, headers in the documented order.

use serde::Serialize;
use time::OffsetDateTime;

use super::config::Config;
use super::signature::sign_request;
use super::timestamp::format_timestamp;
use crate::error::{PrepareError, SignError};
use crate::http::{Method, PreparedRequest};

/// Serializes `body` to minified JSON and returns the signed POST to `path`.
pub(crate) fn signed_post(
    config: &Config,
    path: &str,
    body: &impl Serialize,
    now: OffsetDateTime,
) -> Result<PreparedRequest, PrepareError> {
    // The merchant id goes into a header: check it like any other input
    // (digits, or `sandbox-` and digits). This is the configuration's rule,
    // not the request's: a built request is already valid.
    super::model::merchant_id("X-PARTNER-ID", config.partner_id())?;
    // Serializing plain structs of strings and integers cannot fail; map the
    // impossible case rather than panic.
    let body = serde_json::to_vec(body)
        .map_err(|e| SignError::new(format!("cannot serialize request body: {e}"), None))?;
    let timestamp = format_timestamp(now);
    let signature = sign_request(config.signer(), &timestamp, config.secret(), &body)?;
    let headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("X-TIMESTAMP".to_owned(), timestamp),
        ("X-SIGNATURE".to_owned(), signature),
        ("X-PARTNER-ID".to_owned(), config.partner_id().to_owned()),
    ];
    Ok(PreparedRequest::new(
        Method::POST,
        config.environment().endpoint(path)?,
        headers,
        body,
    ))
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
