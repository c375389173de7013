//! The one way every SmilePayz request is built: JSON body, Peru timestamp,
//! signature over exactly that body, headers in the documented order.

use serde::Serialize;
use time::OffsetDateTime;

use super::config::Config;
use super::signature::sign_request;
use super::timestamp::format_timestamp;
use crate::error::{PrepareError, SignError};
use crate::http::{Method, PreparedRequest};
use crate::validate;

/// Serializes `body` to minified JSON and returns the signed POST to `path`.
pub(crate) fn signed_post(
    config: &Config,
    path: &str,
    body: &impl Serialize,
    now: OffsetDateTime,
) -> Result<PreparedRequest, PrepareError> {
    // The merchant id goes into a header: check it like any other input.
    validate::required_len("X-PARTNER-ID", config.partner_id(), 1, 64)?;
    validate::charset(
        "X-PARTNER-ID",
        config.partner_id(),
        |c| c.is_ascii_alphanumeric(),
        "ASCII letters and digits",
    )?;
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
