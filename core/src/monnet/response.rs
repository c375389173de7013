//! The answer to a create request: where to redirect the shopper.

use serde::Deserialize;

use crate::error::{GatewayRejection, ParseError, RawBody, ResponseError};
use crate::http::RawResponse;
use crate::json::{decode, value_error};

use super::wire::{NOT_AN_OBJECT, Scalar, is_object};

/// `payinErrorCode` of a successful call.
pub const SUCCESS_CODE: &str = "0000";

/// A created pay-in: redirect the shopper to [`redirect_url`](Self::redirect_url).
///
/// Reaching your OK URL afterwards proves nothing: only a verified
/// notification ([`verify_notification`](super::verify_notification)) or a
/// status query says the payment went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateResponse {
    /// `url`: the payment page to send the shopper to.
    pub redirect_url: url::Url,
    /// `payinErrorCode` (`"0000"`).
    pub code: String,
    /// `payinErrorMessage` (empty when absent).
    pub message: String,
}

/// The error-code pair Monnet answers with.
#[derive(Deserialize)]
pub(crate) struct ErrorFields {
    #[serde(rename = "payinErrorCode")]
    pub(crate) code: Option<Scalar>,
    #[serde(rename = "payinErrorMessage")]
    pub(crate) message: Option<Scalar>,
}

impl ErrorFields {
    /// A rejection when the code is present and not the success code.
    pub(crate) fn rejection(&self, http_status: u16) -> Option<GatewayRejection> {
        rejection(self.code.as_ref(), self.message.as_ref(), http_status)
    }
}

/// A rejection when `code` is present and not the success code.
pub(crate) fn rejection(
    code: Option<&Scalar>,
    message: Option<&Scalar>,
    http_status: u16,
) -> Option<GatewayRejection> {
    let code = code?.as_str();
    (code != SUCCESS_CODE).then(|| GatewayRejection {
        code: code.to_owned(),
        message: message.map(|m| m.as_str().to_owned()).unwrap_or_default(),
        http_status,
    })
}

/// A non-2xx answer: a gateway rejection when the body carries a
/// non-success `payinErrorCode`, else an HTTP status error.
pub(crate) fn non_success(raw: &RawResponse) -> ResponseError {
    if is_object(&raw.body)
        && let Ok(fields) = decode::<ErrorFields>(raw.status, &raw.body)
        && let Some(rejection) = fields.rejection(raw.status)
    {
        return rejection.into();
    }
    ParseError::HttpStatus {
        status: raw.status,
        body: RawBody(raw.body.clone()),
    }
    .into()
}

/// The body is JSON but not an object.
pub(crate) fn not_an_object(body: &[u8]) -> ParseError {
    ParseError::Json {
        path: ".".to_owned(),
        reason: NOT_AN_OBJECT.to_owned(),
        body: RawBody(body.to_vec()),
    }
}

/// A field the protocol requires is absent.
pub(crate) fn missing(path: &str, body: &[u8]) -> ParseError {
    ParseError::Json {
        path: path.to_owned(),
        reason: "missing field".to_owned(),
        body: RawBody(body.to_vec()),
    }
}

#[derive(Deserialize)]
struct Wire {
    url: Option<String>,
    // Not `#[serde(flatten)]`: flattening buffers values and would lose the
    // raw text of numbers.
    #[serde(rename = "payinErrorCode")]
    code: Option<Scalar>,
    #[serde(rename = "payinErrorMessage")]
    message: Option<Scalar>,
}

/// Parses the answer to [`prepare_create`](super::prepare_create).
///
/// - 2xx with `payinErrorCode` `"0000"` and a `url`: [`CreateResponse`];
/// - any other `payinErrorCode` (with any status):
///   [`ResponseError::Rejected`];
/// - a non-2xx status without one: [`ParseError::HttpStatus`];
/// - an empty, non-JSON or ill-typed body, a missing code or URL, or a URL
///   that is not an absolute http(s) URL: [`ParseError`] with the JSON path.
pub fn parse_create_response(raw: impl Into<RawResponse>) -> Result<CreateResponse, ResponseError> {
    let raw: RawResponse = raw.into();
    if !raw.is_success() {
        return Err(non_success(&raw));
    }
    let wire: Wire = decode(raw.status, &raw.body)?;
    if !is_object(&raw.body) {
        return Err(not_an_object(&raw.body).into());
    }
    if let Some(rejection) = rejection(wire.code.as_ref(), wire.message.as_ref(), raw.status) {
        return Err(rejection.into());
    }
    let code = match wire.code {
        Some(code) => code.0,
        None => return Err(missing("payinErrorCode", &raw.body).into()),
    };
    let url = match wire.url {
        Some(url) if !url.is_empty() => url,
        _ => return Err(missing("url", &raw.body).into()),
    };
    let redirect_url = match url::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => {
            return Err(value_error("url", "not an absolute http(s) URL", &raw.body).into());
        }
    };
    Ok(CreateResponse {
        redirect_url,
        code,
        message: wire.message.map(|m| m.0).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(status: u16, body: &str) -> Result<CreateResponse, ResponseError> {
        parse_create_response(RawResponse::new(status, body))
    }

    #[test]
    fn seed_success() {
        let r = parse(
            200,
            r#"{
    "url": "https://test.test",
    "payinErrorCode": "0000",
    "payinErrorMessage": "Successfull process"
}"#,
        )
        .unwrap();
        assert_eq!(r.redirect_url.as_str(), "https://test.test/");
        assert_eq!(r.code, "0000");
        assert_eq!(r.message, "Successfull process");
    }

    #[test]
    fn rejections() {
        let e = parse(
            200,
            r#"{"url":"","payinErrorCode":"0015","payinErrorMessage":"Hash invalido"}"#,
        )
        .unwrap_err();
        assert_eq!(
            e,
            ResponseError::Rejected(GatewayRejection {
                code: "0015".into(),
                message: "Hash invalido".into(),
                http_status: 200
            })
        );
        let e = parse(400, r#"{"payinErrorCode":15,"payinErrorMessage":"bad"}"#).unwrap_err();
        assert!(
            matches!(e, ResponseError::Rejected(ref r) if r.code == "15" && r.http_status == 400)
        );
        let e = parse(200, r#"{"payinErrorCode":"9999"}"#).unwrap_err();
        assert!(matches!(e, ResponseError::Rejected(ref r) if r.message.is_empty()));
    }

    #[test]
    fn http_errors_without_code() {
        for body in [
            "",
            "<html>502 Bad Gateway</html>",
            r#"{"error":"x"}"#,
            r#"{"payinErrorCode":"0000"}"#,
        ] {
            let e = parse(502, body).unwrap_err();
            assert!(
                matches!(
                    e,
                    ResponseError::Parse(ParseError::HttpStatus { status: 502, .. })
                ),
                "{body}: {e:?}"
            );
        }
    }

    #[test]
    fn malformed_success_bodies() {
        assert_eq!(
            parse(200, "").unwrap_err(),
            ResponseError::Parse(ParseError::EmptyBody { status: 200 })
        );
        for (body, path) in [
            ("<html>hi</html>", "."),
            (r#"{"url":"https://x.pe"}"#, "payinErrorCode"),
            (r#"{"payinErrorCode":"0000"}"#, "url"),
            (r#"{"url":"","payinErrorCode":"0000"}"#, "url"),
            (r#"{"url":"not a url","payinErrorCode":"0000"}"#, "url"),
            (
                r#"{"url":"javascript:alert(1)","payinErrorCode":"0000"}"#,
                "url",
            ),
            (r#"{"url":5,"payinErrorCode":"0000"}"#, "url"),
            (
                r#"{"url":"https://x.pe","payinErrorCode":true}"#,
                "payinErrorCode",
            ),
            (r#"[1]"#, "[0]"),
            (r#"["https://x.pe","0000"]"#, "."),
            ("42", "."),
        ] {
            let e = parse(200, body).unwrap_err();
            let ResponseError::Parse(p) = &e else {
                panic!("{body}: {e:?}")
            };
            assert_eq!(p.path(), Some(path), "{body}: {e:?}");
            assert_eq!(p.raw_body(), Some(body.as_bytes()));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn never_panics_on_bytes(status in 0u16..1000, body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_create_response(RawResponse::new(status, body));
        }

        #[test]
        fn never_panics_on_jsonish(status in prop_oneof![Just(200u16), Just(400u16)],
                                   body in r#"\{("(url|payinErrorCode|payinErrorMessage)":("[^"]{0,12}"|-?[0-9.e]{1,6}|null|true|\[\]|\{\}),?){0,4}\}"#) {
            let _ = parse_create_response(RawResponse::new(status, body));
        }
    }
}
