//! The answer to a create request: where to redirect the shopper, or which
//! documented code refused it.

use std::borrow::Cow;

use crate::error::{GatewayRejection, ParseError, RawBody, ResponseError};
use crate::http::RawResponse;
use crate::json::value_error;

use super::schema::{Failure, Field, FieldType, Presence, read_body};

/// `payinErrorCode` of a successful call.
pub const SUCCESS_CODE: &str = "0000";

/// The create response's schema. Fields not listed (the newer flow's
/// `challenge_url`, anything Monnet adds) are ignored, never an error.
pub const CREATE_RESPONSE: &[Field] = &[
    Field::new(
        "url",
        "redirect_url",
        Presence::Optional,
        FieldType::Url,
        "absolute http(s) URL; required when payinErrorCode is 0000",
    ),
    Field::new(
        "payinErrorCode",
        "code",
        Presence::Required,
        FieldType::Text,
        "0000 on success, a documented code otherwise (CreateCode)",
    ),
    Field::new(
        "payinErrorMessage",
        "message",
        Presence::Optional,
        FieldType::Text,
        "free text",
    ),
    Field::new(
        "payinTrxOperation",
        "trx_operation",
        Presence::Optional,
        FieldType::Text,
        "Monnet's operation reference (Peru page), kept when present",
    ),
];

/// A `payinErrorCode` of the create call, typed where Monnet documents it
/// (GATEWAYS.md, "Create response"). The set is open: any other code is
/// [`Other`](CreateCode::Other) with its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CreateCode {
    /// `0000`: created.
    Success,
    /// `0001`–`0007`: a required field was empty; the number is the code
    /// (1 to 7), and [`empty_field`](Self::empty_field) names the field.
    RequiredFieldEmpty(u8),
    /// `0008`: processor code invalid.
    ProcessorCodeInvalid,
    /// `0009`: merchant id wrong.
    MerchantIdWrong,
    /// `0010`: `payinVerification` wrong (merchant id, key or the hashed
    /// values).
    VerificationWrong,
    /// `0011`: merchant not enabled.
    MerchantNotEnabled,
    /// `0012`: error URL invalid.
    ErrorUrlInvalid,
    /// `0013`: OK URL invalid.
    OkUrlInvalid,
    /// `0015`: amount format invalid.
    AmountFormatInvalid,
    /// `0017`: currency invalid.
    CurrencyInvalid,
    /// `0019`: currency not enabled for the merchant.
    CurrencyNotEnabled,
    /// `0022`–`0026`: a document type or number error; the number is the
    /// code (22 to 26).
    DocumentInvalid(u8),
    /// `0099`: Monnet internal error.
    InternalError,
    /// A code this version does not know, as received.
    Other(String),
}

impl CreateCode {
    /// The typed code for `payinErrorCode` text. A code sent as a JSON
    /// number loses its leading zeros (`99` for `0099`): digits-only codes
    /// shorter than four are read zero-padded, here and nowhere else, so
    /// every reader of a code (the parser, [`settles_outcome`](Self::settles_outcome)
    /// behind the clients' "outcome unknown") types it the same way.
    /// Surrounding whitespace is ignored; [`Other`](Self::Other) keeps the
    /// text as received.
    pub fn parse(code: &str) -> Self {
        let trimmed = code.trim();
        let padded: Cow<'_, str> = if !trimmed.is_empty()
            && trimmed.len() < 4
            && trimmed.bytes().all(|b| b.is_ascii_digit())
        {
            Cow::Owned(format!("{trimmed:0>4}"))
        } else {
            Cow::Borrowed(trimmed)
        };
        let n = match padded.as_bytes() {
            [b'0', b'0', a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
                (a - b'0') * 10 + (b - b'0')
            }
            _ => return CreateCode::Other(code.to_owned()),
        };
        match n {
            0 => CreateCode::Success,
            1..=7 => CreateCode::RequiredFieldEmpty(n),
            8 => CreateCode::ProcessorCodeInvalid,
            9 => CreateCode::MerchantIdWrong,
            10 => CreateCode::VerificationWrong,
            11 => CreateCode::MerchantNotEnabled,
            12 => CreateCode::ErrorUrlInvalid,
            13 => CreateCode::OkUrlInvalid,
            15 => CreateCode::AmountFormatInvalid,
            17 => CreateCode::CurrencyInvalid,
            19 => CreateCode::CurrencyNotEnabled,
            22..=26 => CreateCode::DocumentInvalid(n),
            99 => CreateCode::InternalError,
            _ => CreateCode::Other(code.to_owned()),
        }
    }

    /// The typed code of a rejection's `code`.
    pub fn of(rejection: &GatewayRejection) -> Self {
        Self::parse(&rejection.code)
    }

    /// The four-digit code (the received text for [`Other`](Self::Other)).
    pub fn code(&self) -> Cow<'_, str> {
        let n = match self {
            CreateCode::Success => 0,
            CreateCode::RequiredFieldEmpty(n) | CreateCode::DocumentInvalid(n) => *n,
            CreateCode::ProcessorCodeInvalid => 8,
            CreateCode::MerchantIdWrong => 9,
            CreateCode::VerificationWrong => 10,
            CreateCode::MerchantNotEnabled => 11,
            CreateCode::ErrorUrlInvalid => 12,
            CreateCode::OkUrlInvalid => 13,
            CreateCode::AmountFormatInvalid => 15,
            CreateCode::CurrencyInvalid => 17,
            CreateCode::CurrencyNotEnabled => 19,
            CreateCode::InternalError => 99,
            CreateCode::Other(text) => return Cow::Borrowed(text),
        };
        Cow::Owned(format!("{n:04}"))
    }

    /// Whether the request itself was wrong (fix it before sending again):
    /// every documented code but success, `0011`, `0019` and `0099`.
    pub fn is_request_error(&self) -> bool {
        !matches!(
            self,
            CreateCode::Success
                | CreateCode::MerchantNotEnabled
                | CreateCode::CurrencyNotEnabled
                | CreateCode::InternalError
                | CreateCode::Other(_)
        )
    }

    /// The field a `0001`–`0007` code says was empty, as Monnet's error-code
    /// page lists them: `payinMerchantID`, `payinAmount`, `payinCurrency`,
    /// `payinMerchantOperationNumber`, `payinVerification`,
    /// `payinTransactionErrorURL`, `payinTransactionOKURL`. `None` for any
    /// other code.
    pub fn empty_field(&self) -> Option<&'static str> {
        const FIELDS: [&str; 7] = [
            "payinMerchantID",
            "payinAmount",
            "payinCurrency",
            "payinMerchantOperationNumber",
            "payinVerification",
            "payinTransactionErrorURL",
            "payinTransactionOKURL",
        ];
        match self {
            CreateCode::RequiredFieldEmpty(n) => {
                FIELDS.get(usize::from(*n).checked_sub(1)?).copied()
            }
            _ => None,
        }
    }

    /// Whether the code says the operation number already exists. Monnet
    /// documents no such create code, so this is `false` for every code: a
    /// duplicate create is recognised by reconciliation (a status query by
    /// operation number), not by a create's answer. (A notification whose
    /// decline reason is a duplicate transmission says so with
    /// [`DeclineReason::is_duplicate`](super::DeclineReason::is_duplicate).)
    pub fn is_duplicate(&self) -> bool {
        false
    }

    /// Whether a create refused with this code certainly created nothing:
    /// every code but `0099` (internal error), which the clients report as
    /// an unknown outcome (reconcile before retrying). An undocumented code
    /// is taken as the refusal it says it is (a code, with HTTP < 500; a
    /// 5xx is an unknown outcome whatever its code).
    pub fn settles_outcome(&self) -> bool {
        !matches!(self, CreateCode::InternalError)
    }

    /// What the code means, in words.
    pub fn description(&self) -> &'static str {
        match self {
            CreateCode::Success => "success",
            CreateCode::RequiredFieldEmpty(_) => "a required field was empty",
            CreateCode::ProcessorCodeInvalid => "processor code invalid",
            CreateCode::MerchantIdWrong => "merchant id wrong",
            CreateCode::VerificationWrong => "payinVerification wrong",
            CreateCode::MerchantNotEnabled => "merchant not enabled",
            CreateCode::ErrorUrlInvalid => "error URL invalid",
            CreateCode::OkUrlInvalid => "OK URL invalid",
            CreateCode::AmountFormatInvalid => "amount format invalid",
            CreateCode::CurrencyInvalid => "currency invalid",
            CreateCode::CurrencyNotEnabled => "currency not enabled for the merchant",
            CreateCode::DocumentInvalid(_) => "document type or number invalid",
            CreateCode::InternalError => "Monnet internal error",
            CreateCode::Other(_) => "not documented",
        }
    }
}

impl std::fmt::Display for CreateCode {
    /// The four-digit code (the received text for [`Other`](CreateCode::Other)).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code())
    }
}

/// A created pay-in: redirect the shopper to [`redirect_url`](Self::redirect_url).
///
/// Reaching your OK URL afterwards proves nothing: only a status query
/// compared with your own record of the order says the payment went
/// through.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateResponse {
    /// `url`: the payment page to send the shopper to.
    pub redirect_url: url::Url,
    /// `payinErrorCode`, typed ([`CreateCode::Success`]).
    pub code: CreateCode,
    /// `payinErrorCode` as received (`"0000"`).
    pub code_text: String,
    /// `payinErrorMessage` (empty when absent).
    pub message: String,
    /// `payinTrxOperation`: Monnet's operation reference, when sent.
    pub trx_operation: Option<String>,
}

/// A rejection when `code` is present and not the success code.
pub(crate) fn rejection(
    code: Option<&str>,
    message: Option<&str>,
    http_status: u16,
) -> Option<GatewayRejection> {
    let code = code?;
    (CreateCode::parse(code) != CreateCode::Success).then(|| GatewayRejection {
        code: code.to_owned(),
        message: message.unwrap_or_default().to_owned(),
        http_status,
    })
}

/// A non-2xx answer: a gateway rejection when the body carries a
/// non-success `payinErrorCode`, else an HTTP status error.
pub(crate) fn non_success(raw: &RawResponse) -> ResponseError {
    if let Ok(mut read) = read_body(&raw.body, CREATE_RESPONSE) {
        let code = read.text("payinErrorCode");
        let message = read.text("payinErrorMessage");
        if let Some(r) = rejection(code.as_deref(), message.as_deref(), raw.status) {
            return r.into();
        }
    }
    ParseError::HttpStatus {
        status: raw.status,
        body: RawBody(raw.body.clone()),
    }
    .into()
}

/// A reading failure as a parse error, keeping the body.
pub(crate) fn parse_failure(status: u16, body: &[u8], failure: Failure) -> ParseError {
    if body.iter().all(u8::is_ascii_whitespace) {
        return ParseError::EmptyBody { status };
    }
    ParseError::Json {
        path: failure.path,
        reason: failure.reason,
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

/// Parses the answer to [`prepare_create`](super::prepare_create), by
/// [`CREATE_RESPONSE`].
///
/// - 2xx with `payinErrorCode` `"0000"` and a `url`: [`CreateResponse`]
///   (with `payinTrxOperation` when present);
/// - any other `payinErrorCode` (with any status):
///   [`ResponseError::Rejected`]; [`CreateCode::of`] types its code;
/// - a non-2xx status without one: [`ParseError::HttpStatus`];
/// - an empty, non-JSON or ill-typed body, a missing code or URL, or a URL
///   that is not an absolute http(s) URL: [`ParseError`] with the JSON path.
///
/// Fields the table does not list are ignored.
pub fn parse_create_response(raw: impl Into<RawResponse>) -> Result<CreateResponse, ResponseError> {
    let raw: RawResponse = raw.into();
    if !raw.is_success() {
        return Err(non_success(&raw));
    }
    let body = raw.body.as_slice();
    let mut read =
        read_body(body, CREATE_RESPONSE).map_err(|f| parse_failure(raw.status, body, f))?;
    let code_text = read.text("payinErrorCode").unwrap_or_default();
    let message = read.text("payinErrorMessage");
    if let Some(rejection) = rejection(Some(&code_text), message.as_deref(), raw.status) {
        return Err(rejection.into());
    }
    let url = match read.text("url") {
        Some(url) if !url.is_empty() => url,
        _ => return Err(missing(&read.path("url"), body).into()),
    };
    let redirect_url = match url::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => {
            return Err(value_error("url", "not an absolute http(s) URL", body).into());
        }
    };
    Ok(CreateResponse {
        redirect_url,
        code: CreateCode::parse(&code_text),
        code_text,
        message: message.unwrap_or_default(),
        trx_operation: read.text("payinTrxOperation"),
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
        assert_eq!(r.code, CreateCode::Success);
        assert_eq!(r.code_text, "0000");
        assert_eq!(r.message, "Successfull process");
        assert_eq!(r.trx_operation, None);
    }

    #[test]
    fn payin_trx_operation_is_kept_and_unknown_fields_ignored() {
        let r = parse(
            200,
            r#"{"url":"https://pay.example/x","payinErrorCode":"0000","payinErrorMessage":"ok","payinTrxOperation":123456,"challenge_url":"https://3ds.example","extra":{"nested":[1,null]},"payinMerchantID":null}"#,
        )
        .unwrap();
        assert_eq!(r.trx_operation.as_deref(), Some("123456"));
        let r = parse(
            200,
            r#"{"payinTrxOperation":"TRX-9","url":"https://pay.example/x","payinErrorCode":"0000"}"#,
        )
        .unwrap();
        assert_eq!(r.trx_operation.as_deref(), Some("TRX-9"));
        assert_eq!(r.message, "");
    }

    #[test]
    fn rejections_carry_the_raw_code_and_type_it() {
        let e = parse(
            200,
            r#"{"url":"","payinErrorCode":"0015","payinErrorMessage":"Monto invalido","payinTrxOperation":"1"}"#,
        )
        .unwrap_err();
        let ResponseError::Rejected(r) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(
            r,
            &GatewayRejection {
                code: "0015".into(),
                message: "Monto invalido".into(),
                http_status: 200
            }
        );
        assert_eq!(CreateCode::of(r), CreateCode::AmountFormatInvalid);
        let e = parse(400, r#"{"payinErrorCode":15,"payinErrorMessage":"bad"}"#).unwrap_err();
        assert!(
            matches!(e, ResponseError::Rejected(ref r) if r.code == "15" && r.http_status == 400 && CreateCode::of(r) == CreateCode::AmountFormatInvalid)
        );
        let e = parse(200, r#"{"payinErrorCode":"9999"}"#).unwrap_err();
        assert!(matches!(e, ResponseError::Rejected(ref r) if r.message.is_empty()));
    }

    #[test]
    fn documented_codes_are_typed_payin_error_code() {
        for (text, code) in [
            ("0000", CreateCode::Success),
            ("0001", CreateCode::RequiredFieldEmpty(1)),
            ("0007", CreateCode::RequiredFieldEmpty(7)),
            ("0008", CreateCode::ProcessorCodeInvalid),
            ("0009", CreateCode::MerchantIdWrong),
            ("0010", CreateCode::VerificationWrong),
            ("0011", CreateCode::MerchantNotEnabled),
            ("0012", CreateCode::ErrorUrlInvalid),
            ("0013", CreateCode::OkUrlInvalid),
            ("0015", CreateCode::AmountFormatInvalid),
            ("0017", CreateCode::CurrencyInvalid),
            ("0019", CreateCode::CurrencyNotEnabled),
            ("0022", CreateCode::DocumentInvalid(22)),
            ("0026", CreateCode::DocumentInvalid(26)),
            ("0099", CreateCode::InternalError),
        ] {
            assert_eq!(CreateCode::parse(text), code, "{text}");
            assert_eq!(code.code(), text);
            assert!(!code.description().is_empty());
        }
        for other in [
            "0014", "0016", "0018", "0020", "0021", "0027", "0098", "1000", "ABCD", "", "00001",
            "-1",
        ] {
            assert_eq!(
                CreateCode::parse(other),
                CreateCode::Other(other.into()),
                "{other}"
            );
            assert_eq!(CreateCode::parse(other).code(), other);
        }
        assert_eq!(CreateCode::parse("10"), CreateCode::VerificationWrong);
        assert!(CreateCode::VerificationWrong.is_request_error());
        assert!(!CreateCode::InternalError.is_request_error());
        assert!(!CreateCode::Other("x".into()).is_request_error());
    }

    #[test]
    fn codes_round_trip_and_only_0099_leaves_the_outcome_open() {
        for n in 0..=120u32 {
            let text = format!("{n:04}");
            let code = CreateCode::parse(&text);
            assert_eq!(code.code(), text, "{code:?}");
            assert_eq!(code.to_string(), text);
            assert!(!code.is_duplicate());
            assert_eq!(code.settles_outcome(), n != 99, "{text}");
            // A documented code sent as a JSON number (leading zeros lost)
            // is the same code; an undocumented one keeps its text.
            let numeric = CreateCode::parse(&n.to_string());
            if matches!(code, CreateCode::Other(_)) {
                assert_eq!(numeric, CreateCode::Other(n.to_string()));
            } else {
                assert_eq!(numeric, code, "{n}");
            }
        }
        assert_eq!(CreateCode::parse("99"), CreateCode::InternalError);
        assert_eq!(CreateCode::parse("099"), CreateCode::InternalError);
        assert_eq!(CreateCode::parse(" 0099 "), CreateCode::InternalError);
        assert_eq!(CreateCode::parse("9"), CreateCode::MerchantIdWrong);
        assert_eq!(CreateCode::parse(" x "), CreateCode::Other(" x ".into()));
        assert!(CreateCode::parse("E-1").settles_outcome());
        assert!(CreateCode::parse("0014").settles_outcome());
    }

    #[test]
    fn empty_field_codes_name_their_field() {
        let named: Vec<_> = (1..=7)
            .map(|n| CreateCode::RequiredFieldEmpty(n).empty_field())
            .collect();
        assert_eq!(
            named,
            [
                Some("payinMerchantID"),
                Some("payinAmount"),
                Some("payinCurrency"),
                Some("payinMerchantOperationNumber"),
                Some("payinVerification"),
                Some("payinTransactionErrorURL"),
                Some("payinTransactionOKURL"),
            ]
        );
        // Every named field is one of the create request's own.
        for field in named.into_iter().flatten() {
            assert!(
                crate::monnet::schema::CREATE_REQUEST
                    .iter()
                    .any(|f| f.wire == field),
                "{field}"
            );
        }
        for code in [
            CreateCode::RequiredFieldEmpty(0),
            CreateCode::RequiredFieldEmpty(8),
            CreateCode::ProcessorCodeInvalid,
            CreateCode::Other("0005".into()),
        ] {
            assert_eq!(code.empty_field(), None, "{code:?}");
        }
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
            (r#"{"url":true,"payinErrorCode":"0000"}"#, "url"),
            (
                r#"{"url":"https://x.pe","payinErrorCode":true}"#,
                "payinErrorCode",
            ),
            (
                r#"{"url":"https://x.pe","payinErrorCode":"0000","url":"https://evil.pe"}"#,
                "url",
            ),
            (r#"[1]"#, "."),
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
                                   body in r#"\{("(url|payinErrorCode|payinErrorMessage|payinTrxOperation|x)":("[^"]{0,12}"|-?[0-9.e]{1,6}|null|true|\[\]|\{\}),?){0,5}\}"#) {
            let _ = parse_create_response(RawResponse::new(status, body));
        }

        #[test]
        fn code_text_round_trips(code in "[0-9A-Z]{0,5}") {
            let typed = CreateCode::parse(&code);
            if code.len() == 4 {
                prop_assert_eq!(typed.code(), code.as_str());
            }
        }
    }
}
