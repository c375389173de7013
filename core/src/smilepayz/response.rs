//! Response classification shared by every SmilePayz call.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use super::timestamp::parse_timestamp;
use crate::error::{GatewayRejection, ParseError, RawBody, ResponseError};
use crate::http::RawResponse;
use crate::json;

/// The part every SmilePayz answer shares.
#[derive(Deserialize)]
struct Envelope {
    code: String,
    #[serde(default)]
    message: Option<String>,
}

/// The success code.
pub const SUCCESS_CODE: &str = "00";

/// Classifies a response: a gateway rejection when it carries a `code`
/// other than `"00"` (whatever the HTTP status), a parse error for a non-2xx
/// status without one or a body that is not the protocol, else `T`.
pub(crate) fn decode_success<T: DeserializeOwned>(
    response: &RawResponse,
) -> Result<T, ResponseError> {
    let envelope = serde_json::from_slice::<Envelope>(&response.body).ok();
    if let Some(env) = &envelope
        && env.code != SUCCESS_CODE
    {
        return Err(GatewayRejection {
            code: env.code.clone(),
            message: env.message.clone().unwrap_or_default(),
            http_status: response.status,
        }
        .into());
    }
    if !response.is_success() {
        return Err(ParseError::HttpStatus {
            status: response.status,
            body: RawBody(response.body.clone()),
        }
        .into());
    }
    Ok(json::decode(response.status, &response.body)?)
}

/// Parses a timestamp field of a response.
pub(crate) fn parse_time(
    path: &str,
    value: &str,
    body: &[u8],
) -> Result<OffsetDateTime, ParseError> {
    parse_timestamp(value)
        .ok_or_else(|| json::value_error(path, "not a yyyy-MM-ddTHH:mm:ss±HH:mm timestamp", body))
}

/// Parses a URL field of a response.
pub(crate) fn parse_url(path: &str, value: &str, body: &[u8]) -> Result<url::Url, ParseError> {
    url::Url::parse(value).map_err(|e| json::value_error(path, format!("not a URL: {e}"), body))
}
