//! Response classification shared by every SmilePayz call.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use time::OffsetDateTime;

use super::schema::FromWire;
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

/// Classifies a response like [`decode_success`] and reads the body with
/// its schema: a value that breaks the schema is a
/// [`ParseError::Value`] at its JSON path.
pub(crate) fn decode_into<T: FromWire>(response: &RawResponse) -> Result<T, ResponseError> {
    let wire: T::Wire = decode_success(response)?;
    T::from_wire(wire).map_err(|e| json::value_error(&e.path, e.reason, &response.body).into())
}

/// The gateway's clock: a response's `X-TIMESTAMP`, read by the rules for
/// every timestamp the SDK reads (any RFC 3339 offset, `Z` included, at
/// most ±23:59; no fractional seconds, no signed year, never without an
/// offset).
///
/// `Ok(None)` when the header is absent; a [`ParseError::Value`] at path
/// `X-TIMESTAMP` when it is present and malformed. The `parse_*` functions
/// do not require it — the body is the answer, and refusing a created
/// pay-in over a header would only hide it — so read it where it helps:
/// comparing it with your clock tells a stale-timestamp rejection (the
/// gateway allows 5 minutes) from a wrong signature.
///
/// ```
/// use pasarela_core::RawResponse;
/// use pasarela_core::smilepayz::response_timestamp;
///
/// let answer = RawResponse::new(200, r#"{"code":"00"}"#)
///     .with_header("X-TIMESTAMP", "2024-12-30T18:30:36Z");
/// let at = response_timestamp(&answer)?.expect("sent");
/// assert_eq!(at.unix_timestamp(), 1735583436);
///
/// let odd = RawResponse::new(200, "{}").with_header("X-TIMESTAMP", "2024-12-30T18:30:36.5Z");
/// assert!(response_timestamp(&odd).is_err());
/// assert_eq!(response_timestamp(&RawResponse::new(200, "{}"))?, None);
/// # Ok::<(), pasarela_core::ParseError>(())
/// ```
pub fn response_timestamp(response: &RawResponse) -> Result<Option<OffsetDateTime>, ParseError> {
    let Some(text) = response.header("X-TIMESTAMP") else {
        return Ok(None);
    };
    parse_timestamp(text).map(Some).ok_or_else(|| {
        json::value_error(
            "X-TIMESTAMP",
            "not yyyy-MM-ddTHH:mm:ss with an RFC 3339 offset (no fraction, no signed year, at most ±23:59)",
            &response.body,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(ts: &str) -> RawResponse {
        RawResponse::new(200, r#"{"code":"00"}"#).with_header("x-timestamp", ts)
    }

    #[test]
    fn response_timestamps_follow_the_reading_rules() {
        for (text, unix) in [
            ("2020-12-17T10:55:00-05:00", 1_608_220_500),
            ("2020-12-17T15:55:00Z", 1_608_220_500),
            ("2020-12-17T22:55:00+07:00", 1_608_220_500),
            ("2020-12-18T15:54:00+23:59", 1_608_220_500),
        ] {
            let at = response_timestamp(&with(text)).unwrap().unwrap();
            assert_eq!(at.unix_timestamp(), unix, "{text}");
        }
        for bad in [
            "2020-12-17T10:55:00.5-05:00",
            "+2020-12-17T10:55:00-05:00",
            "2020-12-17T10:55:00+24:00",
            "2020-12-17T10:55:00-05:60",
            "2020-12-17T10:55:00",
            " 2020-12-17T10:55:00Z",
            "yesterday",
            "",
        ] {
            match response_timestamp(&with(bad)) {
                Err(ParseError::Value { path, .. }) => assert_eq!(path, "X-TIMESTAMP", "{bad}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert_eq!(
            response_timestamp(&RawResponse::new(200, "{}")).unwrap(),
            None
        );
    }
}
