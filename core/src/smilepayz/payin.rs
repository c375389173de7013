//! Create a pay-in: `POST /v2.0/transaction/pay-in`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::config::ApiPath;
use super::config::Config;
use super::model::{Money, Payer, PaymentMethod, TransactionStatus};
use super::request::{UnsignedRequest, signed_post, unsigned_post};
use super::response::{decode_success, parse_time, parse_url};
use crate::error::{PrepareError, ResponseError, ValidationError};
use crate::http::{PreparedRequest, RawResponse};
use crate::validate;

/// The API path of a pay-in.
pub const PAY_IN_PATH: &str = "/v2.0/transaction/pay-in";
/// Default expiry the gateway applies when `expiryPeriod` is not sent.
pub const DEFAULT_EXPIRY_SECS: u32 = 3600;

/// The merchant block of a pay-in request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    /// Merchant id assigned by SmilePayz.
    pub merchant_id: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_name: Option<String>,
    /// Sub-merchant id, for multi-level merchants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_merchant_id: Option<String>,
    /// Sub-merchant display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_merchant_name: Option<String>,
}

impl Merchant {
    /// A merchant block with only the id.
    pub fn new(merchant_id: impl Into<String>) -> Self {
        Self {
            merchant_id: merchant_id.into(),
            merchant_name: None,
            sub_merchant_id: None,
            sub_merchant_name: None,
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        alnum_id("merchant.merchantId", &self.merchant_id)?;
        if let Some(v) = &self.merchant_name {
            validate::required_len("merchant.merchantName", v, 1, 128)?;
            validate::printable("merchant.merchantName", v)?;
        }
        if let Some(v) = &self.sub_merchant_id {
            alnum_id("merchant.subMerchantId", v)?;
        }
        if let Some(v) = &self.sub_merchant_name {
            validate::required_len("merchant.subMerchantName", v, 1, 128)?;
            validate::printable("merchant.subMerchantName", v)?;
        }
        Ok(())
    }
}

fn alnum_id(field: &'static str, value: &str) -> Result<(), ValidationError> {
    validate::required_len(field, value, 1, 64)?;
    validate::charset(
        field,
        value,
        |c| c.is_ascii_alphanumeric(),
        "ASCII letters and digits",
    )
}

/// A pay-in request. Build it with [`PayInRequest::new`] and the `with_*`
/// methods; [`prepare_pay_in`] validates every rule before producing bytes.
///
/// Field order here is the JSON order on the wire (the seed's sample order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayInRequest {
    /// Merchant block.
    pub merchant: Merchant,
    /// Payer, optional.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer>,
    /// Amount and currency.
    pub money: Money,
    /// Merchant's order number: 6–32 ASCII letters/digits, unique per merchant.
    pub order_no: String,
    /// Payment method.
    pub payment_method: PaymentMethod,
    /// What the payment is for: 1–64 characters.
    pub purpose: String,
    /// Seconds until the pay-in expires (300..=86400); gateway default 3600.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_period: Option<u32>,
    /// Where the payer returns after paying (http/https, ≤ 256 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// Where the gateway posts the callback (http/https, ≤ 256 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

impl PayInRequest {
    /// A `CASHIER_PE` pay-in with the mandatory fields.
    pub fn new(
        merchant: Merchant,
        order_no: impl Into<String>,
        money: Money,
        purpose: impl Into<String>,
    ) -> Self {
        Self {
            merchant,
            payer: None,
            money,
            order_no: order_no.into(),
            payment_method: PaymentMethod::CashierPe,
            purpose: purpose.into(),
            expiry_period: None,
            redirect_url: None,
            callback_url: None,
        }
    }

    /// Sets the payer.
    pub fn with_payer(mut self, payer: Payer) -> Self {
        self.payer = Some(payer);
        self
    }

    /// Sets the payment method.
    pub fn with_payment_method(mut self, method: PaymentMethod) -> Self {
        self.payment_method = method;
        self
    }

    /// Sets the expiry in seconds.
    pub fn with_expiry_period(mut self, seconds: u32) -> Self {
        self.expiry_period = Some(seconds);
        self
    }

    /// Sets the redirect URL.
    pub fn with_redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = Some(url.into());
        self
    }

    /// Sets the callback URL.
    pub fn with_callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// Checks every rule of the protocol; the first broken one is returned.
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.merchant.validate()?;
        if let Some(payer) = &self.payer {
            payer.validate()?;
        }
        self.money.validate()?;
        validate_order_no("orderNo", &self.order_no)?;
        self.payment_method.validate()?;
        validate::required_len("purpose", &self.purpose, 1, 64)?;
        validate::printable("purpose", &self.purpose)?;
        if let Some(secs) = self.expiry_period {
            validate::range("expiryPeriod", u64::from(secs), 300, 86_400)?;
        }
        if let Some(url) = &self.redirect_url {
            validate::url(
                "redirectUrl",
                url,
                &["http", "https"],
                256,
                "an http(s) URL",
            )?;
        }
        if let Some(url) = &self.callback_url {
            validate::url(
                "callbackUrl",
                url,
                &["http", "https"],
                256,
                "an http(s) URL",
            )?;
        }
        Ok(())
    }
}

/// `orderNo` rule: 6–32 ASCII letters or digits.
pub(crate) fn validate_order_no(field: &'static str, value: &str) -> Result<(), ValidationError> {
    validate::required_len(field, value, 6, 32)?;
    validate::charset(
        field,
        value,
        |c| c.is_ascii_alphanumeric(),
        "ASCII letters and digits",
    )
}

/// Prepares a signed pay-in request.
///
/// The body is minified JSON in a fixed field order with unset optionals
/// omitted; `X-TIMESTAMP` is `now` in Peru time; `X-SIGNATURE` signs
/// `X-TIMESTAMP|merchantSecret|body` over exactly the body returned.
pub fn prepare_pay_in(
    config: &Config,
    request: &PayInRequest,
    now: OffsetDateTime,
) -> Result<PreparedRequest, PrepareError> {
    request.validate()?;
    signed_post(config, ApiPath::PayIn, request, now)
}

/// Prepares a pay-in up to its signature, for a signer that is not a
/// synchronous [`Signer`](crate::crypto::Signer) (an HSM, a KMS, a remote
/// service): sign [`UnsignedRequest::string_to_sign`] and finish with
/// [`UnsignedRequest::with_signature`]. Same bytes as [`prepare_pay_in`].
pub fn prepare_pay_in_unsigned(
    config: &Config,
    request: &PayInRequest,
    now: OffsetDateTime,
) -> Result<UnsignedRequest, ValidationError> {
    request.validate()?;
    unsigned_post(config, ApiPath::PayIn, request, now)
}

/// The channel block of a pay-in response.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Payment method used.
    pub payment_method: PaymentMethod,
    /// Where to send the payer to pay.
    pub payment_url: url::Url,
    /// Extra channel information, as received (e.g. an alternative
    /// `paymentUrl`).
    pub additional_info: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Channel {
    /// `additionalInfo.paymentUrl`, the alternative payment URL, if any.
    pub fn additional_payment_url(&self) -> Option<&str> {
        self.additional_info
            .as_ref()
            .and_then(|m| m.get("paymentUrl"))
            .and_then(|v| v.as_str())
    }
}

/// The merchant block of a response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseMerchant {
    /// Merchant id.
    pub merchant_id: String,
    /// Display name.
    #[serde(default)]
    pub merchant_name: Option<String>,
    /// Sub-merchant id.
    #[serde(default)]
    pub sub_merchant_id: Option<String>,
    /// Sub-merchant name.
    #[serde(default)]
    pub sub_merchant_name: Option<String>,
    /// Merchant account number.
    #[serde(default)]
    pub account_no: Option<String>,
}

/// A successful pay-in response.
#[derive(Debug, Clone, PartialEq)]
pub struct PayInResponse {
    /// `00`.
    pub code: String,
    /// Gateway message.
    pub message: String,
    /// The merchant's order number.
    pub order_no: String,
    /// Merchant block.
    pub merchant: ResponseMerchant,
    /// Confirmed amount.
    pub money: Money,
    /// When the gateway processed it.
    pub transaction_time: OffsetDateTime,
    /// Payment channel, with the URL to send the payer to.
    pub channel: Channel,
    /// Gateway's transaction number.
    pub trade_no: Option<String>,
    /// Transaction status (normally `PROCESSING`).
    pub status: Option<TransactionStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireChannel {
    payment_method: PaymentMethod,
    payment_url: String,
    #[serde(default)]
    additional_info: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePayInResponse {
    code: String,
    message: String,
    order_no: String,
    merchant: ResponseMerchant,
    money: Money,
    transaction_time: String,
    channel: WireChannel,
    #[serde(default)]
    trade_no: Option<String>,
    #[serde(default)]
    status: Option<TransactionStatus>,
}

/// Parses a pay-in response: the typed result when `code` is `"00"`, a
/// [`GatewayRejection`](crate::GatewayRejection) for any other code, a
/// [`ParseError`](crate::ParseError) for anything that is not the protocol.
pub fn parse_pay_in_response(
    response: impl Into<RawResponse>,
) -> Result<PayInResponse, ResponseError> {
    let response = response.into();
    let wire: WirePayInResponse = decode_success(&response)?;
    let body = &response.body;
    Ok(PayInResponse {
        transaction_time: parse_time("transactionTime", &wire.transaction_time, body)?,
        channel: Channel {
            payment_method: wire.channel.payment_method,
            payment_url: parse_url("channel.paymentUrl", &wire.channel.payment_url, body)?,
            additional_info: wire.channel.additional_info,
        },
        code: wire.code,
        message: wire.message,
        order_no: wire.order_no,
        merchant: wire.merchant,
        money: wire.money,
        trade_no: wire.trade_no,
        status: wire.status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Rule;

    fn valid() -> PayInRequest {
        PayInRequest::new(
            Merchant::new("20011"),
            "ORDER123",
            Money::pen(20000),
            "Payment",
        )
    }

    #[test]
    fn every_rule_names_its_field() {
        let cases: Vec<(PayInRequest, &str)> = vec![
            (
                PayInRequest {
                    order_no: "abc12".into(),
                    ..valid()
                },
                "orderNo",
            ),
            (
                PayInRequest {
                    order_no: "x".repeat(33),
                    ..valid()
                },
                "orderNo",
            ),
            (
                PayInRequest {
                    order_no: "order-123".into(),
                    ..valid()
                },
                "orderNo",
            ),
            (
                PayInRequest {
                    order_no: "pedidoñ123".into(),
                    ..valid()
                },
                "orderNo",
            ),
            (
                PayInRequest {
                    purpose: String::new(),
                    ..valid()
                },
                "purpose",
            ),
            (
                PayInRequest {
                    purpose: "p".repeat(65),
                    ..valid()
                },
                "purpose",
            ),
            (
                PayInRequest {
                    merchant: Merchant::new(""),
                    ..valid()
                },
                "merchant.merchantId",
            ),
            (
                PayInRequest {
                    merchant: Merchant::new("20 11"),
                    ..valid()
                },
                "merchant.merchantId",
            ),
            (
                PayInRequest {
                    merchant: Merchant {
                        merchant_name: Some(String::new()),
                        ..Merchant::new("1")
                    },
                    ..valid()
                },
                "merchant.merchantName",
            ),
            (
                PayInRequest {
                    merchant: Merchant {
                        sub_merchant_id: Some("a/b".into()),
                        ..Merchant::new("1")
                    },
                    ..valid()
                },
                "merchant.subMerchantId",
            ),
            (
                PayInRequest {
                    merchant: Merchant {
                        sub_merchant_name: Some("x".repeat(129)),
                        ..Merchant::new("1")
                    },
                    ..valid()
                },
                "merchant.subMerchantName",
            ),
            (
                PayInRequest {
                    money: Money::pen(99),
                    ..valid()
                },
                "money.amount",
            ),
            (
                PayInRequest {
                    money: Money::pen(1_000_000_000),
                    ..valid()
                },
                "money.amount",
            ),
            (valid().with_expiry_period(299), "expiryPeriod"),
            (valid().with_expiry_period(86_401), "expiryPeriod"),
            (
                valid().with_redirect_url("ftp://example.com"),
                "redirectUrl",
            ),
            (
                valid().with_redirect_url(format!("https://e.com/{}", "a".repeat(250))),
                "redirectUrl",
            ),
            (valid().with_callback_url("example.com/cb"), "callbackUrl"),
            (
                valid().with_payment_method(PaymentMethod::Other("bad code".into())),
                "paymentMethod",
            ),
            (
                valid().with_payer(Payer {
                    email: Some("x".into()),
                    ..Payer::default()
                }),
                "payer.email",
            ),
        ];
        for (request, field) in cases {
            let err = request.validate().unwrap_err();
            assert_eq!(err.field(), field, "{err}");
        }
    }

    #[test]
    fn boundaries_are_accepted() {
        let edge = PayInRequest {
            order_no: "A".repeat(32),
            purpose: "ñ".repeat(64),
            money: Money::pen(100),
            ..valid()
        }
        .with_expiry_period(300)
        .with_redirect_url(format!("https://e.com/{}", "a".repeat(256 - 14)))
        .with_callback_url("http://127.0.0.1:8080/cb");
        assert!(edge.validate().is_ok());
        assert!(
            PayInRequest {
                order_no: "abc123".into(),
                ..valid()
            }
            .with_expiry_period(86_400)
            .validate()
            .is_ok()
        );
        assert_eq!(
            PayInRequest {
                purpose: String::new(),
                ..valid()
            }
            .validate()
            .unwrap_err()
            .rule(),
            &Rule::Required
        );
    }
}

#[cfg(test)]
mod wire_tests {
    use std::sync::Arc;

    use super::*;
    use crate::crypto::{Backend, PrivateKey};
    use crate::error::ParseError;
    use crate::secret::MerchantSecret;
    use crate::smilepayz::{Environment, verify_request_signature};
    use time::macros::datetime;

    fn config() -> Config {
        let key = PrivateKey::load(include_str!(
            "../../testdata/keys/merchant_private_pkcs8.pem"
        ))
        .unwrap();
        Config::new(
            "20001",
            MerchantSecret::new("TEST-ONLY-merchant-secret"),
            Arc::new(crate::crypto::RsaSigner::new(&key)),
            Environment::Sandbox,
        )
        .unwrap()
    }

    /// The seed's example request, through the typed model.
    pub(crate) fn seed_request() -> PayInRequest {
        PayInRequest::new(
            Merchant::new("20011"),
            "200110edbb466abb04682968b40",
            Money::pen(20000),
            "Payment for online purchase",
        )
        .with_payer(Payer {
            id_type: Some("DNI".into()),
            identity: Some("48982488880".into()),
            name: Some("Carlos Rodriguez Mendoza".into()),
            phone: Some("51987654321".into()),
            email: Some("carlos.rodriguez@example.com".into()),
        })
        .with_redirect_url("https://www.example.com/success")
    }

    #[test]
    fn seed_example_body_and_headers() {
        let now = datetime!(2020-12-17 15:55:00 UTC);
        let prepared = prepare_pay_in(&config(), &seed_request(), now).unwrap();
        assert_eq!(
            std::str::from_utf8(prepared.body()).unwrap(),
            r#"{"merchant":{"merchantId":"20011"},"payer":{"idType":"DNI","identity":"48982488880","name":"Carlos Rodriguez Mendoza","phone":"51987654321","email":"carlos.rodriguez@example.com"},"money":{"amount":20000,"currency":"PEN"},"orderNo":"200110edbb466abb04682968b40","paymentMethod":"CASHIER_PE","purpose":"Payment for online purchase","redirectUrl":"https://www.example.com/success"}"#
        );
        assert_eq!(
            prepared.url().as_str(),
            "https://sandbox-gateway.smilepayz.com/v2.0/transaction/pay-in"
        );
        let names: Vec<_> = prepared.headers().iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["Content-Type", "X-TIMESTAMP", "X-SIGNATURE", "X-PARTNER-ID"]
        );
        assert_eq!(
            prepared.header("x-timestamp"),
            Some("2020-12-17T10:55:00-05:00")
        );
        assert_eq!(prepared.header("X-PARTNER-ID"), Some("20001"));
        let key = PrivateKey::load(include_str!(
            "../../testdata/keys/merchant_private_pkcs8.pem"
        ))
        .unwrap();
        let verifier = Backend::Rsa.verifier(&key.public_key()).unwrap();
        verify_request_signature(
            &*verifier,
            "2020-12-17T10:55:00-05:00",
            &MerchantSecret::new("TEST-ONLY-merchant-secret"),
            prepared.body(),
            prepared.header("X-SIGNATURE").unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn requests_read_back_from_their_own_json() {
        // The simulator parses incoming bodies with the same types.
        let request = seed_request().with_expiry_period(600);
        let json = serde_json::to_vec(&request).unwrap();
        assert_eq!(
            serde_json::from_slice::<PayInRequest>(&json).unwrap(),
            request
        );
        let minimal: PayInRequest = serde_json::from_str(
            r#"{"merchant":{"merchantId":"1"},"money":{"amount":100,"currency":"PEN"},"orderNo":"ABC123","paymentMethod":"CASHIER_PE","purpose":"p"}"#,
        )
        .unwrap();
        assert_eq!(minimal.payer, None);
        assert_eq!(minimal.callback_url, None);
    }

    #[test]
    fn optionals_are_omitted_not_null_and_all_present_when_set() {
        let now = datetime!(2020-12-17 15:55:00 UTC);
        let minimal = PayInRequest::new(Merchant::new("1"), "ABC123", Money::pen(100), "p");
        let body = prepare_pay_in(&config(), &minimal, now)
            .unwrap()
            .into_body();
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"merchant":{"merchantId":"1"},"money":{"amount":100,"currency":"PEN"},"orderNo":"ABC123","paymentMethod":"CASHIER_PE","purpose":"p"}"#
        );
        let full = PayInRequest {
            merchant: Merchant {
                merchant_id: "1".into(),
                merchant_name: Some("Tienda".into()),
                sub_merchant_id: Some("2".into()),
                sub_merchant_name: Some("Sucursal Ñ".into()),
            },
            ..minimal
        }
        .with_expiry_period(600)
        .with_callback_url("https://m.pe/cb")
        .with_redirect_url("https://m.pe/ok");
        let body =
            String::from_utf8(prepare_pay_in(&config(), &full, now).unwrap().into_body()).unwrap();
        assert_eq!(
            body,
            r#"{"merchant":{"merchantId":"1","merchantName":"Tienda","subMerchantId":"2","subMerchantName":"Sucursal Ñ"},"money":{"amount":100,"currency":"PEN"},"orderNo":"ABC123","paymentMethod":"CASHIER_PE","purpose":"p","expiryPeriod":600,"redirectUrl":"https://m.pe/ok","callbackUrl":"https://m.pe/cb"}"#
        );
    }

    #[test]
    fn invalid_input_produces_no_request() {
        let bad = PayInRequest::new(Merchant::new("1"), "short", Money::pen(100), "p");
        match prepare_pay_in(&config(), &bad, datetime!(2020-12-17 15:55:00 UTC)) {
            Err(PrepareError::Invalid(e)) => assert_eq!(e.field(), "orderNo"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn partner_id_is_validated_when_the_config_is_built() {
        let key = PrivateKey::load(include_str!(
            "../../testdata/keys/merchant_private_pkcs8.pem"
        ))
        .unwrap();
        for bad in ["", "200\r\n01", "20 01"] {
            let err = Config::new(
                bad,
                MerchantSecret::new("s"),
                Arc::new(crate::crypto::RsaSigner::new(&key)),
                Environment::Sandbox,
            )
            .unwrap_err();
            assert_eq!(err.field(), "X-PARTNER-ID", "{bad:?}");
        }
    }

    #[test]
    fn two_step_signing_gives_the_one_step_bytes() {
        let key = PrivateKey::load(include_str!(
            "../../testdata/keys/merchant_private_pkcs8.pem"
        ))
        .unwrap();
        let signer = crate::crypto::RsaSigner::new(&key);
        let req = PayInRequest::new(Merchant::new("1"), "ABC123", Money::pen(100), "p");
        let now = datetime!(2020-12-17 15:55:00 UTC);
        let one_step = prepare_pay_in(&config(), &req, now).unwrap();
        let keyless = Config::without_signer(
            "20001",
            MerchantSecret::new("TEST-ONLY-merchant-secret"),
            Environment::Sandbox,
        )
        .unwrap();
        let unsigned = prepare_pay_in_unsigned(&keyless, &req, now).unwrap();
        assert_eq!(unsigned.body(), one_step.body());
        assert!(
            unsigned
                .string_to_sign()
                .starts_with(b"2020-12-17T10:55:00-05:00|")
        );
        assert!(!format!("{unsigned:?}").contains("TEST-ONLY"));
        let signature = crate::crypto::Signer::sign(&signer, unsigned.string_to_sign()).unwrap();
        let two_step = unsigned.with_signature(&signature);
        assert_eq!(two_step.to_wire_text(), one_step.to_wire_text());
        // Without a signer, the one-step path says what to do.
        let err = prepare_pay_in(&keyless, &req, now).unwrap_err();
        assert!(matches!(err, PrepareError::Sign(_)));
        assert!(err.to_string().contains("prepare_*_unsigned"), "{err}");
    }

    #[test]
    fn failing_signer_is_a_sign_error() {
        struct Down;
        impl crate::crypto::Signer for Down {
            fn sign(&self, _: &[u8]) -> Result<Vec<u8>, crate::SignError> {
                Err(crate::SignError::new("HSM offline", None))
            }
        }
        let cfg = Config::new(
            "1",
            MerchantSecret::new("s"),
            Arc::new(Down),
            Environment::Sandbox,
        )
        .unwrap();
        let req = PayInRequest::new(Merchant::new("1"), "ABC123", Money::pen(100), "p");
        let err = prepare_pay_in(&cfg, &req, datetime!(2020-12-17 15:55:00 UTC)).unwrap_err();
        assert!(matches!(err, PrepareError::Sign(_)));
        assert_eq!(err.to_string(), "signing failed: HSM offline");
    }

    const SEED_RESPONSE: &str = r#"{"channel":{"additionalInfo":{"paymentUrl":"https://pay-met.pe:8080/#/metodo-pago/VE9LRU4gR0VORVJBIFJFQ1VETzg5OTc0MA=="},"paymentMethod":"CASHIER_PE","paymentUrl":"https://gateway.smilepayz.com/cashier/#/loading?tradeNo=1512001125042115424463245"},"code":"00","merchant":{"accountNo":"11520011202402290943","merchantId":"20011","merchantName":"bradytest123www"},"message":"Successful","money":{"amount":20000,"currency":"PEN"},"orderNo":"20011563d9094aa7d4d9e9b933bb","status":"PROCESSING","tradeNo":"1512001125042115424463245","transactionTime":"2025-04-21T03:42:47-05:00"}"#;

    #[test]
    fn seed_response_parses() {
        let resp = RawResponse::new(200, SEED_RESPONSE)
            .with_header("X-TIMESTAMP", "2025-04-21T03:42:47-05:00");
        let parsed = parse_pay_in_response(resp).unwrap();
        assert_eq!(
            parsed.trade_no.as_deref(),
            Some("1512001125042115424463245")
        );
        assert_eq!(parsed.status, Some(TransactionStatus::Processing));
        assert_eq!(
            parsed.merchant.account_no.as_deref(),
            Some("11520011202402290943")
        );
        assert_eq!(parsed.transaction_time, datetime!(2025-04-21 03:42:47 -5));
        assert_eq!(
            parsed.channel.payment_url.host_str(),
            Some("gateway.smilepayz.com")
        );
        assert_eq!(
            parsed.channel.additional_payment_url(),
            Some("https://pay-met.pe:8080/#/metodo-pago/VE9LRU4gR0VORVJBIFJFQ1VETzg5OTc0MA==")
        );
        assert_eq!(parsed.money, Money::pen(20000));
    }

    #[test]
    fn rejections_and_malformed_answers_are_typed() {
        let rejected = parse_pay_in_response(RawResponse::new(
            200,
            r#"{"code":"11","message":"Duplicate orderNo"}"#,
        ))
        .unwrap_err();
        match rejected {
            ResponseError::Rejected(r) => {
                assert_eq!(
                    (r.code.as_str(), r.message.as_str(), r.http_status),
                    ("11", "Duplicate orderNo", 200)
                );
            }
            other => panic!("{other:?}"),
        }
        let rejected_400 = parse_pay_in_response(RawResponse::new(
            400,
            r#"{"code":"01","message":"Bad signature"}"#,
        ))
        .unwrap_err();
        assert!(matches!(rejected_400, ResponseError::Rejected(ref r) if r.http_status == 400));
        type Check = fn(&ParseError) -> bool;
        let cases: Vec<(RawResponse, Check)> = vec![
            (RawResponse::new(502, "<html>Bad Gateway</html>"), |e| {
                matches!(e, ParseError::HttpStatus { status: 502, .. })
            }),
            (RawResponse::new(500, ""), |e| {
                matches!(e, ParseError::HttpStatus { status: 500, .. })
            }),
            (RawResponse::new(200, ""), |e| {
                matches!(e, ParseError::EmptyBody { status: 200 })
            }),
            (RawResponse::new(200, "<html></html>"), |e| {
                matches!(e, ParseError::Json { .. })
            }),
            (RawResponse::new(200, &SEED_RESPONSE[..100]), |e| {
                matches!(e, ParseError::Json { .. })
            }),
            (
                RawResponse::new(
                    200,
                    SEED_RESPONSE.replace(r#""amount":20000"#, r#""amount":"20000""#),
                ),
                |e| e.path() == Some("money.amount"),
            ),
            (
                RawResponse::new(
                    200,
                    SEED_RESPONSE.replace("2025-04-21T03:42:47-05:00", "yesterday"),
                ),
                |e| matches!(e, ParseError::Value { path, .. } if path == "transactionTime"),
            ),
            (
                RawResponse::new(
                    200,
                    SEED_RESPONSE.replace("https://gateway.smilepayz.com/cashier", "not a url"),
                ),
                |e| e.path() == Some("channel.paymentUrl"),
            ),
        ];
        for (resp, check) in cases {
            match parse_pay_in_response(resp) {
                Err(ResponseError::Parse(e)) => assert!(check(&e), "{e:?}"),
                other => panic!("{other:?}"),
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn parsers_never_panic(status in 0u16..1000, body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = parse_pay_in_response(RawResponse::new(status, body.clone()));
            let _ = crate::smilepayz::parse_inquiry_status_response(RawResponse::new(status, body.clone()));
            let _ = crate::smilepayz::parse_inquiry_balance_response(RawResponse::new(status, body));
        }

        #[test]
        fn json_shaped_garbage_never_panics(body in r#"\{("(code|message|money|amount|channel|paymentUrl|transactionTime|status)":("00"|1|null|\{\}|\[\]|"x"),?){0,8}\}"#) {
            let _ = parse_pay_in_response(RawResponse::new(200, body.clone()));
            let _ = crate::smilepayz::parse_inquiry_status_response(RawResponse::new(200, body));
        }
    }
}
