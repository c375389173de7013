//! Response classification shared by every SmilePayz call.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::schema::FromWire;
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

/// Classifies a response like [`decode_success`] and reads the body with
/// its schema: a value that breaks the schema is a
/// [`ParseError::Value`] at its JSON path.
pub(crate) fn decode_into<T: FromWire>(response: &RawResponse) -> Result<T, ResponseError> {
    let wire: T::Wire = decode_success(response)?;
    T::from_wire(wire).map_err(|e| json::value_error(&e.path, e.reason, &response.body).into())
}
