//! Create a pay-in: `POST /v2.0/transaction/pay-in`.
//!
//! # Amount unit (contested)
//!
//! `money.amount` is sent as an integer number of **céntimos** (`20000` =
//! PEN 200.00), 100..=999999999, as the Peru pages, the pay-out page and
//! the seed say. SmilePayz's generic Money data-model page lists PEN with
//! two decimals (`"200.00"`) instead. Confirm the unit with a small
//! sandbox pay-in (ask for `Money::pen(100)` and check that the cashier
//! page shows PEN 1.00) before going live.

use time::OffsetDateTime;

use super::config::{ApiPath, Config};
use super::model::{self, Payer, PaymentMethod, TransactionStatus};
use super::request::{RequestBuilder, UnsignedRequest, signed_post, unsigned_post};
use super::response::decode_into;
use super::schema;
use crate::Money;
use crate::error::{PrepareError, ResponseError, Rule, ValidationError};
use crate::http::{PreparedRequest, RawResponse};

/// The API path of a pay-in.
pub const PAY_IN_PATH: &str = "/v2.0/transaction/pay-in";
/// Default expiry the gateway applies when `expiryPeriod` is not sent.
pub const DEFAULT_EXPIRY_SECS: u32 = 3600;

schema::request! {
    /// The merchant block of a pay-in request.
    ///
    /// ```
    /// use pasarela_core::smilepayz::Merchant;
    /// let merchant = Merchant::new("sandbox-20011").with_merchant_name("Tienda");
    /// assert_eq!(merchant.merchant_id(), "sandbox-20011");
    /// ```
    pub struct Merchant as "Merchant", setters on Merchant {
        /// Merchant id assigned by SmilePayz: digits, or `sandbox-` and
        /// digits in the sandbox.
        merchant_id: String = "merchantId", NonEmpty, get &str,
            rule model::merchant_id => "1–32 digits, or `sandbox-` and 1–32 digits";
        /// Display name.
        merchant_name: String = "merchantName", Optional, get &str, set with_merchant_name,
            rule model::name => "1–128 characters, not blank, no control characters";
        /// Sub-merchant id, for multi-level merchants.
        sub_merchant_id: String = "subMerchantId", Optional, get &str, set with_sub_merchant_id,
            rule model::alnum_id => "1–64 ASCII letters or digits";
        /// Sub-merchant display name.
        sub_merchant_name: String = "subMerchantName", Optional, get &str, set with_sub_merchant_name,
            rule model::name => "1–128 characters, not blank, no control characters";
    }
}

impl Merchant {
    /// The merchant block of the merchant `config` speaks for (its
    /// `X-PARTNER-ID`): the two must be one merchant
    /// ([`check_merchant`]).
    pub fn of(config: &Config) -> Self {
        Self::new(config.partner_id())
    }

    /// A merchant block with only the id. It must be the configuration's
    /// merchant id ([`check_merchant`]); [`Merchant::of`] takes it from
    /// there.
    pub fn new(merchant_id: impl Into<String>) -> Self {
        Self {
            merchant_id: merchant_id.into(),
            merchant_name: None,
            sub_merchant_id: None,
            sub_merchant_name: None,
        }
    }
}

impl schema::Fields for Merchant {
    type Target = Merchant;
    fn fields_mut(&mut self) -> &mut Merchant {
        self
    }
}

schema::request! {
    /// A pay-in request, valid by construction: made with
    /// [`PayInRequest::builder`], checked by
    /// [`build`](RequestBuilder::build).
    ///
    /// Field order is the JSON order on the wire (the seed's sample order);
    /// unset optionals are omitted, never sent as `""` or `null`.
    ///
    /// ```
    /// use pasarela_core::Money;
    /// use pasarela_core::smilepayz::{Merchant, Payer, PayInRequest, AREA_PERU};
    ///
    /// let request = PayInRequest::builder(
    ///     Merchant::new("20011"),
    ///     "ORDER20240001",
    ///     Money::pen(20000), // céntimos: PEN 200.00 (see the module docs)
    ///     "Pedido 1",
    ///     Payer::new("Carlos Rodriguez Mendoza"),
    /// )
    /// .callback_url("https://shop.example/cb")
    /// .area(AREA_PERU)
    /// .build()?;
    /// assert_eq!(request.order_no(), "ORDER20240001");
    /// assert_eq!(
    ///     request.to_json(),
    ///     r#"{"merchant":{"merchantId":"20011"},"payer":{"name":"Carlos Rodriguez Mendoza"},"money":{"amount":20000,"currency":"PEN"},"orderNo":"ORDER20240001","paymentMethod":"CASHIER_PE","purpose":"Pedido 1","callbackUrl":"https://shop.example/cb","area":15}"#
    /// );
    ///
    /// // A broken rule names its field; nothing is built.
    /// let err = PayInRequest::builder(Merchant::new("20011"), "ORD-1", Money::pen(20000), "x", Payer::new("Ana"))
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.field(), "orderNo");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub struct PayInRequest as "PayInRequest", setters on RequestBuilder<PayInRequest> {
        /// Merchant block.
        merchant: Merchant = "merchant", Required, get &Merchant,
            rule schema::nested => "the merchant block";
        /// The payer (mandatory, with a name).
        payer: Payer = "payer", Required, get &Payer,
            rule schema::nested => "the payer block, `name` mandatory";
        /// Amount (integer céntimos; the unit is contested, see the module
        /// docs) and currency.
        money: Money = "money", Required, get Money,
            rule model::pay_in_money => "PEN, 100..=999999999 céntimos";
        /// The merchant's order number, unique per merchant.
        order_no: String = "orderNo", NonEmpty, get &str,
            rule model::order_no => "6–32 ASCII letters or digits";
        /// Payment method (`CASHIER_PE` unless set).
        payment_method: PaymentMethod = "paymentMethod", NonEmpty, get &PaymentMethod,
            rule model::payment_method => "an upper-case code of letters, digits and `_`";
        /// What the payment is for.
        purpose: String = "purpose", NonEmpty, get &str,
            rule model::purpose => "1–64 characters, not blank, no control characters";
        /// Seconds until the pay-in expires; the gateway's default is 3600.
        expiry_period: u32 = "expiryPeriod", Optional, get u32, set expiry_period,
            rule model::expiry_period => "300..=86400 seconds";
        /// Where the payer returns after paying.
        redirect_url: String = "redirectUrl", Optional, get &str, set redirect_url,
            rule model::http_url => "an http(s) URL of at most 256 characters";
        /// Where the gateway posts the callback (else the back office's
        /// "API Notify Address").
        callback_url: String = "callbackUrl", Optional, get &str, set callback_url,
            rule model::http_url => "an http(s) URL of at most 256 characters";
        /// Area code of SmilePayz's area table ([`AREA_PERU`](super::AREA_PERU)
        /// is 15). Not in the Peru tables, sent by the PHP and Node demos:
        /// omitted unless set.
        area: u16 = "area", Optional, get u16, set area,
            rule model::area => "a positive area code (Peru: 15)";
    }
}

/// The builder of a [`PayInRequest`].
pub type PayInRequestBuilder = RequestBuilder<PayInRequest>;

impl PayInRequest {
    /// Starts a `CASHIER_PE` pay-in with every mandatory part: the merchant,
    /// the order number, the amount, the purpose and the payer.
    pub fn builder(
        merchant: Merchant,
        order_no: impl Into<String>,
        money: Money,
        purpose: impl Into<String>,
        payer: Payer,
    ) -> PayInRequestBuilder {
        RequestBuilder(Self {
            merchant,
            payer,
            money,
            order_no: order_no.into(),
            payment_method: PaymentMethod::CashierPe,
            purpose: purpose.into(),
            expiry_period: None,
            redirect_url: None,
            callback_url: None,
            area: None,
        })
    }
}

impl PayInRequestBuilder {
    /// Sets `paymentMethod` (`CASHIER_PE` by default).
    pub fn payment_method(mut self, method: impl Into<PaymentMethod>) -> Self {
        self.0.payment_method = method.into();
        self
    }
}

/// Builds an order number in the style of SmilePayz's official demos:
/// `S` + the merchant's digits + `unique_suffix` for a sandbox merchant id
/// (`sandbox-20011` → `S20011…`), the merchant's digits + `unique_suffix`
/// for a production one (`20011` → `20011…`).
///
/// An older SmilePayz rule, still followed by the Java and Go demos, wanted
/// sandbox order numbers to start with `S` and the merchant digits and
/// production ones with the merchant digits. The current Peru page only says
/// that an `orderNo` "cannot start with reserved prefixes" (without listing
/// them), so the SDK does not enforce a prefix: this helper is a convenience
/// for merchants who want the demos' style.
///
/// `unique_suffix` is yours to make unique (a sequence, a random string of
/// letters and digits); the result must still be a valid `orderNo` (6–32
/// ASCII letters or digits), else the error names `orderNo`. Nothing is
/// truncated: a silently shortened suffix could repeat.
///
/// ```
/// use pasarela_core::smilepayz::demo_style_order_no;
/// assert_eq!(demo_style_order_no("sandbox-20011", "0001")?, "S200110001");
/// assert_eq!(demo_style_order_no("20011", "a1b2c3")?, "20011a1b2c3");
/// assert_eq!(demo_style_order_no("20011", "x-1").unwrap_err().field(), "orderNo");
/// assert_eq!(demo_style_order_no("20011", &"9".repeat(28)).unwrap_err().field(), "orderNo");
/// # Ok::<(), pasarela_core::ValidationError>(())
/// ```
pub fn demo_style_order_no(
    merchant_id: &str,
    unique_suffix: &str,
) -> Result<String, ValidationError> {
    model::merchant_id("merchant.merchantId", merchant_id)?;
    if unique_suffix.is_empty() {
        return Err(ValidationError::new("orderNo", Rule::Required));
    }
    let order_no = match merchant_id.strip_prefix(model::SANDBOX_PREFIX) {
        Some(digits) => format!("S{digits}{unique_suffix}"),
        None => format!("{merchant_id}{unique_suffix}"),
    };
    model::order_no("orderNo", &order_no)?;
    Ok(order_no)
}

/// Checks that the request's `merchant.merchantId` is the merchant the
/// configuration speaks for (`X-PARTNER-ID`): the two name one merchant,
/// and a request built for another one (a sandbox id with a production
/// configuration, a copy-pasted id) is refused before anything is signed.
pub fn check_merchant(config: &Config, request: &PayInRequest) -> Result<(), ValidationError> {
    let partner = config.partner_id();
    if request.merchant().merchant_id() == partner {
        Ok(())
    } else {
        Err(ValidationError::new(
            "merchant.merchantId",
            Rule::Combination(
                format!(
                    "must be the Config's merchant id (X-PARTNER-ID {partner}); \
                     build the merchant block with Merchant::of(&config)"
                )
                .into(),
            ),
        ))
    }
}

/// Prepares a signed pay-in request.
///
/// The body is minified JSON in the schema's field order with unset
/// optionals omitted; `X-TIMESTAMP` is `now` in Peru time; `X-SIGNATURE`
/// signs `X-TIMESTAMP|merchantSecret|body` over exactly the body returned.
/// The request was checked when it was built and the configuration when it
/// was made: this fails only when the request's merchant is not the
/// configuration's ([`check_merchant`]) or the signer fails.
pub fn prepare_pay_in(
    config: &Config,
    request: &PayInRequest,
    now: OffsetDateTime,
) -> Result<PreparedRequest, PrepareError> {
    check_merchant(config, request)?;
    Ok(signed_post(config, ApiPath::PayIn, request, now)?)
}

/// Prepares a pay-in up to its signature, for a signer that is not a
/// synchronous [`Signer`](crate::crypto::Signer) (an HSM, a KMS, a remote
/// service): sign [`UnsignedRequest::string_to_sign`] and finish with
/// [`UnsignedRequest::with_signature`]. Same bytes as [`prepare_pay_in`].
/// Fails only when the request's merchant is not the configuration's
/// ([`check_merchant`]).
pub fn prepare_pay_in_unsigned(
    config: &Config,
    request: &PayInRequest,
    now: OffsetDateTime,
) -> Result<UnsignedRequest, ValidationError> {
    check_merchant(config, request)?;
    Ok(unsigned_post(config, ApiPath::PayIn, request, now))
}

/// What a created pay-in asks of you next, read from its `status`.
///
/// `code` `00` means SmilePayz created the order, not that there is a
/// payment page to send the payer to: a pay-in can be created already
/// failed (declined at once, or expired), and then its `paymentUrl` leads
/// nowhere useful.
///
/// | `status` | outcome | do |
/// |---|---|---|
/// | `INIT`, `PROCESSING`, or none | [`Redirect`](Self::Redirect) | send the payer to [`payment_url`](Self::payment_url) |
/// | `FAILED`, `EXPIRED`, `CANCELLED` | [`Declined`](Self::Declined) | show a decline; the order is final and not paid |
/// | `SUCCESS`, or one the docs do not list | [`CheckStatus`](Self::CheckStatus) | do not redirect; confirm with inquiry-status before acting |
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayInOutcome {
    /// Created and open: send the payer to the payment page.
    Redirect(PayInResponse),
    /// Created and already final without a payment: show a decline, never
    /// the payment page.
    Declined(PayInResponse),
    /// Created with a status a create does not normally answer (`SUCCESS`
    /// for a cash pay-in nobody has paid yet, or a status the docs do not
    /// list): what it means is for inquiry-status to say, compared with
    /// your record.
    CheckStatus(PayInResponse),
}

impl PayInOutcome {
    /// A short, stable name for logs and metrics: `created` (redirect),
    /// `declined` or `check_status` (the `outcome` of the call's span,
    /// [`crate::observe`]).
    pub fn kind(&self) -> &'static str {
        match self {
            PayInOutcome::Redirect(_) => "created",
            PayInOutcome::Declined(_) => "declined",
            PayInOutcome::CheckStatus(_) => "check_status",
        }
    }

    /// Classifies a created pay-in by its status (the table above).
    pub fn of(response: PayInResponse) -> Self {
        match &response.status {
            None | Some(TransactionStatus::Init | TransactionStatus::Processing) => {
                PayInOutcome::Redirect(response)
            }
            Some(
                TransactionStatus::Failed
                | TransactionStatus::Expired
                | TransactionStatus::Cancelled,
            ) => PayInOutcome::Declined(response),
            Some(_) => PayInOutcome::CheckStatus(response),
        }
    }

    /// The gateway's answer.
    pub fn response(&self) -> &PayInResponse {
        match self {
            PayInOutcome::Redirect(r)
            | PayInOutcome::Declined(r)
            | PayInOutcome::CheckStatus(r) => r,
        }
    }

    /// The gateway's answer, owned.
    pub fn into_response(self) -> PayInResponse {
        match self {
            PayInOutcome::Redirect(r)
            | PayInOutcome::Declined(r)
            | PayInOutcome::CheckStatus(r) => r,
        }
    }

    /// Where to send the payer: only for [`Redirect`](Self::Redirect).
    pub fn payment_url(&self) -> Option<&url::Url> {
        match self {
            PayInOutcome::Redirect(r) => Some(&r.channel.payment_url),
            _ => None,
        }
    }

    /// Whether the pay-in was created already final and unpaid.
    pub fn is_declined(&self) -> bool {
        matches!(self, PayInOutcome::Declined(_))
    }
}

/// Parses a pay-in response into what to do next: [`parse_pay_in_response`]
/// then [`PayInOutcome::of`].
pub fn parse_pay_in_outcome(
    response: impl Into<RawResponse>,
) -> Result<PayInOutcome, ResponseError> {
    parse_pay_in_response(response).map(PayInOutcome::of)
}

schema::response! {
    /// The merchant block of a pay-in response.
    pub struct ResponseMerchant as "Merchant", wire ResponseMerchantWire {
        /// Merchant id.
        merchant_id: String = "merchantId", NonEmpty; "the merchant id";
        /// Display name.
        merchant_name: String = "merchantName", Optional; "text";
        /// Sub-merchant id.
        sub_merchant_id: String = "subMerchantId", Optional; "text";
        /// Sub-merchant name.
        sub_merchant_name: String = "subMerchantName", Optional; "text";
        /// Merchant account number (what a balance inquiry asks about).
        account_no: String = "accountNo", Optional; "text";
    }
}

schema::response! {
    /// The channel block of a pay-in response: where to send the payer.
    pub struct Channel as "Channel", wire ChannelWire {
        /// Payment method used.
        payment_method: PaymentMethod = "paymentMethod", NonEmpty; "a payment method code (open set)";
        /// Where to send the payer to pay.
        payment_url: url::Url = "paymentUrl", NonEmpty; "a URL";
        /// Extra channel information, as received (e.g. an alternative
        /// `paymentUrl`).
        additional_info: serde_json::Map<String, serde_json::Value> = "additionalInfo", Optional; "an object";
        /// Virtual account number (channel model; bank transfers).
        va_number: String = "vaNumber", Optional; "text";
        /// QR code content (channel model).
        qr_string: String = "qrString", Optional; "text";
        /// Receiving bank name (channel model).
        receiver_bank_name: String = "receiverBankName", Optional; "text";
    }
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

schema::response! {
    /// A successful pay-in response (`code` `"00"`).
    pub struct PayInResponse as "PayInResponse", wire PayInResponseWire {
        /// `00`.
        code: String = "code", NonEmpty; "`00` on success";
        /// Gateway message.
        message: String = "message", MayBeEmpty; "human-readable text";
        /// The merchant's order number.
        order_no: String = "orderNo", NonEmpty; "the request's orderNo";
        /// Merchant block.
        merchant: ResponseMerchant = "merchant", Required; "the merchant block";
        /// Amount and currency (integer céntimos).
        money: Money = "money", Required; "amount in minor units and currency";
        /// When the gateway processed it.
        transaction_time: OffsetDateTime = "transactionTime", NonEmpty; "an RFC 3339 time with offset, second precision";
        /// Payment channel, with the URL to send the payer to.
        channel: Channel = "channel", Required; "the channel block";
        /// Gateway's transaction number.
        trade_no: String = "tradeNo", Optional; "the gateway's transaction number";
        /// Transaction status (normally `PROCESSING`).
        status: TransactionStatus = "status", Optional; "a status (open set)";
    }
}

/// Parses a pay-in response: the typed result when `code` is `"00"`, a
/// [`GatewayRejection`](crate::GatewayRejection) for any other code, a
/// [`ParseError`](crate::ParseError) for anything that is not the protocol.
pub fn parse_pay_in_response(
    response: impl Into<RawResponse>,
) -> Result<PayInResponse, ResponseError> {
    decode_into(&response.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{self, FieldType, Presence};

    fn valid() -> PayInRequestBuilder {
        PayInRequest::builder(
            Merchant::new("20011"),
            "ORDER123",
            Money::pen(20000),
            "Payment",
            Payer::new("Ana"),
        )
    }

    fn with(f: impl FnOnce(&mut PayInRequest)) -> PayInRequestBuilder {
        let mut b = valid();
        f(&mut b.0);
        b
    }

    #[test]
    fn every_rule_names_its_field() {
        let cases: Vec<(PayInRequestBuilder, &str)> = vec![
            (with(|r| r.order_no = "abc12".into()), "orderNo"),
            (with(|r| r.order_no = "x".repeat(33)), "orderNo"),
            (with(|r| r.order_no = "order-123".into()), "orderNo"),
            (with(|r| r.order_no = "order_123".into()), "orderNo"),
            (with(|r| r.order_no = "pedidoñ123".into()), "orderNo"),
            (with(|r| r.purpose = String::new()), "purpose"),
            (with(|r| r.purpose = "p".repeat(65)), "purpose"),
            // purpose: not blank (white space only reads as empty).
            (with(|r| r.purpose = " ".into()), "purpose"),
            (with(|r| r.purpose = "\u{3000}\t".into()), "purpose"),
            (
                with(|r| r.merchant = Merchant::new("1").with_merchant_name("  ")),
                "merchant.merchantName",
            ),
            (
                with(|r| r.merchant = Merchant::new("")),
                "merchant.merchantId",
            ),
            (
                with(|r| r.merchant = Merchant::new("20 11")),
                "merchant.merchantId",
            ),
            (
                with(|r| r.merchant = Merchant::new("shop1")),
                "merchant.merchantId",
            ),
            (
                with(|r| r.merchant = Merchant::new("1").with_merchant_name("")),
                "merchant.merchantName",
            ),
            (
                with(|r| r.merchant = Merchant::new("1").with_sub_merchant_id("a/b")),
                "merchant.subMerchantId",
            ),
            (
                with(|r| r.merchant = Merchant::new("1").with_sub_merchant_name("x".repeat(129))),
                "merchant.subMerchantName",
            ),
            (with(|r| r.money = Money::pen(99)), "money.amount"),
            (
                with(|r| r.money = Money::pen(1_000_000_000)),
                "money.amount",
            ),
            (
                with(|r| r.money = Money::new(20000, crate::Currency::USD)),
                "money.currency",
            ),
            (with(|r| r.payer = Payer::new("")), "payer.name"),
            (
                with(|r| r.payer = Payer::new("Ana").with_email("x")),
                "payer.email",
            ),
            (
                with(|r| r.payer = Payer::new("Ana").with_phone("12")),
                "payer.phone",
            ),
            (
                with(|r| r.payer = Payer::new("Ana").with_identity("a b")),
                "payer.identity",
            ),
            (
                with(|r| r.payer = Payer::new("Ana").with_id_type("dni")),
                "payer.idType",
            ),
            (valid().expiry_period(299u32), "expiryPeriod"),
            (valid().expiry_period(86_401u32), "expiryPeriod"),
            (valid().redirect_url("ftp://example.com"), "redirectUrl"),
            (
                valid().redirect_url(format!("https://e.com/{}", "a".repeat(250))),
                "redirectUrl",
            ),
            (valid().redirect_url(""), "redirectUrl"),
            (valid().callback_url("example.com/cb"), "callbackUrl"),
            (valid().area(0u16), "area"),
            (valid().payment_method("bad code"), "paymentMethod"),
            (valid().payment_method(""), "paymentMethod"),
        ];
        for (builder, field) in cases {
            let err = builder.build().unwrap_err();
            assert_eq!(err.field(), field, "{err}");
            assert!(
                schema::find(PayInRequest::FIELDS, field).is_some(),
                "{field} is not in the schema"
            );
        }
    }

    #[test]
    fn boundaries_are_accepted() {
        let edge = with(|r| {
            r.order_no = "A".repeat(32);
            r.purpose = "ñ".repeat(64);
            r.money = Money::pen(100);
            r.merchant = Merchant::new("sandbox-20011");
        })
        .expiry_period(300u32)
        .redirect_url(format!("https://e.com/{}", "a".repeat(256 - 14)))
        .callback_url("http://127.0.0.1:8080/cb")
        .area(super::super::AREA_PERU);
        assert!(edge.build().is_ok());
        let other = with(|r| r.order_no = "abc123".into()).expiry_period(86_400u32);
        assert!(other.build().is_ok());
        assert!(with(|r| r.money = Money::pen(999_999_999)).build().is_ok());
        assert_eq!(
            with(|r| r.purpose = String::new())
                .build()
                .unwrap_err()
                .rule(),
            &Rule::Required
        );
    }

    #[test]
    fn schema_lists_every_field_once_in_wire_order() {
        assert_eq!(
            schema::paths(PayInRequest::FIELDS),
            [
                "merchant",
                "merchant.merchantId",
                "merchant.merchantName",
                "merchant.subMerchantId",
                "merchant.subMerchantName",
                "payer",
                "payer.idType",
                "payer.identity",
                "payer.name",
                "payer.phone",
                "payer.email",
                "money",
                "money.amount",
                "money.currency",
                "orderNo",
                "paymentMethod",
                "purpose",
                "expiryPeriod",
                "redirectUrl",
                "callbackUrl",
                "area",
            ]
        );
        let presence = |p: &str| schema::find(PayInRequest::FIELDS, p).unwrap().presence;
        assert_eq!(presence("payer"), Presence::Required);
        assert_eq!(presence("payer.name"), Presence::NonEmpty);
        assert_eq!(presence("area"), Presence::Optional);
        assert_eq!(presence("merchant.merchantId"), Presence::NonEmpty);
        assert_eq!(presence("money.currency"), Presence::NonEmpty);
        let area = schema::find(PayInRequest::FIELDS, "area").unwrap();
        assert_eq!((area.rust, area.ty), ("area", FieldType::Integer));
        assert_eq!(area.ty.describe(), "integer");
        let money = schema::find(PayInRequest::FIELDS, "money").unwrap();
        assert_eq!(money.ty, FieldType::Money);
        let amount = schema::find(PayInRequest::FIELDS, "money.amount").unwrap();
        assert_eq!(
            (amount.rust, amount.ty),
            ("minor_units", FieldType::Integer)
        );
    }

    #[test]
    fn demo_style_order_numbers() {
        assert_eq!(
            demo_style_order_no("sandbox-20011", "1a2b").unwrap(),
            "S200111a2b"
        );
        assert_eq!(demo_style_order_no("20011", "1").unwrap(), "200111");
        // The result is checked like any orderNo.
        assert_eq!(
            demo_style_order_no("2001", "1").unwrap_err().field(),
            "orderNo"
        );
        assert_eq!(
            demo_style_order_no("20011", "").unwrap_err().field(),
            "orderNo"
        );
        assert_eq!(
            demo_style_order_no("20011", "_1").unwrap_err().field(),
            "orderNo"
        );
        assert_eq!(
            demo_style_order_no("sandbox-20011", &"a".repeat(27))
                .unwrap_err()
                .field(),
            "orderNo"
        );
        assert_eq!(
            demo_style_order_no("sandbox-20011", &"a".repeat(26))
                .unwrap()
                .len(),
            32
        );
        assert_eq!(
            demo_style_order_no("shop", "123456").unwrap_err().field(),
            "merchant.merchantId"
        );
        // The built number goes into a valid request.
        let no = demo_style_order_no("sandbox-20011", "000123").unwrap();
        assert!(
            PayInRequest::builder(
                Merchant::new("sandbox-20011"),
                no,
                Money::pen(100),
                "p",
                Payer::new("Ana")
            )
            .build()
            .is_ok()
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
            "20011",
            MerchantSecret::new("TEST-ONLY-merchant-secret"),
            Arc::new(crate::crypto::RsaSigner::new(&key)),
            Environment::Sandbox,
        )
        .unwrap()
    }

    /// The seed's example request, through the typed model.
    pub(crate) fn seed_request() -> PayInRequest {
        PayInRequest::builder(
            Merchant::new("20011"),
            "200110edbb466abb04682968b40",
            Money::pen(20000),
            "Payment for online purchase",
            Payer::new("Carlos Rodriguez Mendoza")
                .with_id_type(crate::smilepayz::IdType::Dni)
                .with_identity("48982488880")
                .with_phone("51987654321")
                .with_email("carlos.rodriguez@example.com"),
        )
        .redirect_url("https://www.example.com/success")
        .build()
        .unwrap()
    }

    fn minimal() -> PayInRequestBuilder {
        PayInRequest::builder(
            Merchant::new("20011"),
            "ABC123",
            Money::pen(100),
            "p",
            Payer::new("Ana"),
        )
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
        // The seed's example sends X-PARTNER-ID 20001 with merchantId 20011;
        // the official demos send one id in both, and so do we.
        assert_eq!(prepared.header("X-PARTNER-ID"), Some("20011"));
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
    fn optionals_are_omitted_not_null_and_all_present_when_set() {
        let now = datetime!(2020-12-17 15:55:00 UTC);
        let body = prepare_pay_in(&config(), &minimal().build().unwrap(), now)
            .unwrap()
            .into_body();
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"merchant":{"merchantId":"20011"},"payer":{"name":"Ana"},"money":{"amount":100,"currency":"PEN"},"orderNo":"ABC123","paymentMethod":"CASHIER_PE","purpose":"p"}"#
        );
        let mut full = minimal()
            .expiry_period(600u32)
            .callback_url("https://m.pe/cb")
            .redirect_url("https://m.pe/ok")
            .area(crate::smilepayz::AREA_PERU);
        full.0.merchant = Merchant::new("20011")
            .with_merchant_name("Tienda")
            .with_sub_merchant_id("2")
            .with_sub_merchant_name("Sucursal Ñ");
        let body = String::from_utf8(
            prepare_pay_in(&config(), &full.build().unwrap(), now)
                .unwrap()
                .into_body(),
        )
        .unwrap();
        assert_eq!(
            body,
            r#"{"merchant":{"merchantId":"20011","merchantName":"Tienda","subMerchantId":"2","subMerchantName":"Sucursal Ñ"},"payer":{"name":"Ana"},"money":{"amount":100,"currency":"PEN"},"orderNo":"ABC123","paymentMethod":"CASHIER_PE","purpose":"p","expiryPeriod":600,"redirectUrl":"https://m.pe/ok","callbackUrl":"https://m.pe/cb","area":15}"#
        );
        // The wire names come from the schema: every key written is declared.
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        let paths = crate::schema::paths(PayInRequest::FIELDS);
        for (key, inner) in value.as_object().unwrap() {
            assert!(paths.contains(key), "{key}");
            if let Some(obj) = inner.as_object() {
                for k in obj.keys() {
                    assert!(paths.contains(&format!("{key}.{k}")), "{key}.{k}");
                }
            }
        }
    }

    #[test]
    fn sandbox_merchant_ids_are_sent() {
        let key = PrivateKey::load(include_str!(
            "../../testdata/keys/merchant_private_pkcs8.pem"
        ))
        .unwrap();
        let cfg = Config::new(
            "sandbox-20011",
            MerchantSecret::new("s"),
            Arc::new(crate::crypto::RsaSigner::new(&key)),
            Environment::Sandbox,
        )
        .unwrap();
        let mut b = minimal();
        b.0.merchant = Merchant::new("sandbox-20011");
        let prepared = prepare_pay_in(
            &cfg,
            &b.build().unwrap(),
            datetime!(2020-12-17 15:55:00 UTC),
        )
        .unwrap();
        assert_eq!(prepared.header("X-PARTNER-ID"), Some("sandbox-20011"));
        assert!(
            std::str::from_utf8(prepared.body())
                .unwrap()
                .starts_with(r#"{"merchant":{"merchantId":"sandbox-20011"}"#)
        );
    }

    #[test]
    fn partner_id_is_validated_when_the_config_is_built() {
        let key = PrivateKey::load(include_str!(
            "../../testdata/keys/merchant_private_pkcs8.pem"
        ))
        .unwrap();
        for bad in ["", "200\r\n01", "20 01", "shop1", "sandbox-", "sandbox-x1"] {
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
        let req = minimal().build().unwrap();
        let now = datetime!(2020-12-17 15:55:00 UTC);
        let one_step = prepare_pay_in(&config(), &req, now).unwrap();
        let keyless = Config::without_signer(
            "20011",
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
        let PrepareError::Sign(err) = prepare_pay_in(&keyless, &req, now).unwrap_err() else {
            panic!("not a signing error")
        };
        assert!(err.to_string().contains("no synchronous signer"), "{err}");
        assert!(err.to_string().contains("prepare_*_unsigned"), "{err}");
    }

    #[test]
    fn failing_signer_is_a_sign_error() {
        struct Down;
        impl crate::crypto::Signer for Down {
            fn algorithm(&self) -> crate::crypto::SignatureAlgorithm {
                crate::crypto::SignatureAlgorithm::RsaPkcs1v15Sha256
            }
            fn sign(&self, _: &[u8]) -> Result<Vec<u8>, crate::SignError> {
                Err(crate::SignError::new("HSM offline", None))
            }
        }
        let cfg = Config::new(
            "20011",
            MerchantSecret::new("s"),
            Arc::new(Down),
            Environment::Sandbox,
        )
        .unwrap();
        let req = minimal().build().unwrap();
        let PrepareError::Sign(err) =
            prepare_pay_in(&cfg, &req, datetime!(2020-12-17 15:55:00 UTC)).unwrap_err()
        else {
            panic!("not a signing error")
        };
        assert_eq!(err.to_string(), "signing failed: HSM offline");
    }

    #[test]
    fn the_merchant_must_be_the_configs() {
        // Issue 17: Config::new(partner) and Merchant::new(id) name one
        // merchant; a request for another is refused before signing.
        let now = datetime!(2020-12-17 15:55:00 UTC);
        let other = PayInRequest::builder(
            Merchant::new("20001"),
            "ABC123",
            Money::pen(100),
            "p",
            Payer::new("Ana"),
        )
        .build()
        .unwrap();
        for err in [
            prepare_pay_in(&config(), &other, now).unwrap_err(),
            PrepareError::Invalid(prepare_pay_in_unsigned(&config(), &other, now).unwrap_err()),
            PrepareError::Invalid(check_merchant(&config(), &other).unwrap_err()),
        ] {
            let PrepareError::Invalid(e) = err else {
                panic!("not a validation error: {err}")
            };
            assert_eq!(e.field(), "merchant.merchantId");
            assert!(e.to_string().contains("X-PARTNER-ID 20011"), "{e}");
        }
        let ours = PayInRequest::builder(
            Merchant::of(&config()),
            "ABC123",
            Money::pen(100),
            "p",
            Payer::new("Ana"),
        )
        .build()
        .unwrap();
        assert!(prepare_pay_in(&config(), &ours, now).is_ok());
    }

    #[test]
    fn the_outcome_of_a_created_pay_in_follows_its_status() {
        let with_status = |status: Option<&str>| {
            let mut v: serde_json::Value = serde_json::from_str(SEED_RESPONSE).unwrap();
            match status {
                Some(s) => v["status"] = s.into(),
                None => {
                    v.as_object_mut().unwrap().remove("status");
                }
            }
            parse_pay_in_outcome(RawResponse::new(200, v.to_string())).unwrap()
        };
        for status in [Some("PROCESSING"), Some("INIT"), None] {
            let outcome = with_status(status);
            assert!(matches!(outcome, PayInOutcome::Redirect(_)), "{status:?}");
            assert_eq!(
                outcome.payment_url().map(|u| u.host_str()),
                Some(Some("gateway.smilepayz.com"))
            );
        }
        // Issue 17: code 00 with status FAILED is a decline, never a page
        // to send the payer to.
        for status in ["FAILED", "EXPIRED", "CANCELLED"] {
            let outcome = with_status(Some(status));
            assert!(outcome.is_declined(), "{status}");
            assert_eq!(outcome.payment_url(), None);
        }
        for status in ["SUCCESS", "ON_HOLD"] {
            let outcome = with_status(Some(status));
            assert!(matches!(outcome, PayInOutcome::CheckStatus(_)), "{status}");
            assert_eq!(outcome.payment_url(), None);
            assert_eq!(outcome.response().order_no, "20011563d9094aa7d4d9e9b933bb");
        }
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

    #[test]
    fn response_transaction_time_follows_the_reading_rules() {
        let with =
            |t: &str| RawResponse::new(200, SEED_RESPONSE.replace("2025-04-21T03:42:47-05:00", t));
        for ok in [
            "2025-04-21T08:42:47Z",
            "2025-04-21T15:42:47+07:00",
            "2025-04-21T03:42:47-05:00",
        ] {
            let parsed = parse_pay_in_response(with(ok)).unwrap();
            assert_eq!(
                parsed.transaction_time.unix_timestamp(),
                datetime!(2025-04-21 03:42:47 -5).unix_timestamp(),
                "{ok}"
            );
        }
        for bad in [
            "2025-04-21T03:42:47.123-05:00",
            "+2025-04-21T03:42:47-05:00",
            "2025-04-21T03:42:47+24:00",
            "2025-04-21T03:42:47-05:60",
            "2025-04-21T03:42:47",
            "2025-04-21 03:42:47-05:00",
        ] {
            match parse_pay_in_response(with(bad)) {
                Err(ResponseError::Parse(ParseError::Value { path, .. })) => {
                    assert_eq!(path, "transactionTime", "{bad}")
                }
                other => panic!("{bad:?}: {other:?}"),
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
