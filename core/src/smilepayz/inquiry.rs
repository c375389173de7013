//! Inquiries: transaction status (`/v2.0/inquiry-status`) and account
//! balance (`/v2.0/inquiry-balance`). Signed like every SmilePayz call.

use std::borrow::Cow;

use time::OffsetDateTime;

use super::config::{ApiPath, Config};
use super::model::{self, BalanceMoney, BalanceType, PaymentMethod, TradeType, TransactionStatus};
use super::request::{RequestBuilder, UnsignedRequest, signed_post, unsigned_post};
use super::response::decode_into;
use super::schema;
use crate::Money;
use crate::error::{ResponseError, Rule, SignError, ValidationError};
use crate::http::{PreparedRequest, RawResponse};
use crate::validate;

/// The API path of a status inquiry.
pub const INQUIRY_STATUS_PATH: &str = "/v2.0/inquiry-status";
/// The API path of a balance inquiry.
pub const INQUIRY_BALANCE_PATH: &str = "/v2.0/inquiry-balance";

schema::request! {
    /// Asks for the state of one transaction, by the merchant's `orderNo`,
    /// the gateway's `tradeNo`, or both (at least one).
    ///
    /// An empty id counts as absent (the official demos send `""` for the
    /// one they do not use); the SDK sends only the ids that are set.
    ///
    /// ```
    /// use pasarela_core::smilepayz::{InquiryStatusRequest, TradeType};
    /// let by_order = InquiryStatusRequest::builder(TradeType::PayIn)
    ///     .order_no("ORDER20240001")
    ///     .trade_no("") // empty: not sent
    ///     .build()?;
    /// assert_eq!(by_order.to_json(), r#"{"tradeType":1,"orderNo":"ORDER20240001"}"#);
    /// assert!(InquiryStatusRequest::builder(TradeType::PayIn).build().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub struct InquiryStatusRequest as "InquiryStatusRequest",
        setters on RequestBuilder<InquiryStatusRequest>, also at_least_one_reference {
        /// Pay-in or pay-out.
        trade_type: TradeType = "tradeType", Required, get TradeType,
            rule model::trade_type => "a number: 1 pay-in, 2 pay-out (no other is sent)";
        /// The merchant's order number.
        order_no: String = "orderNo", Optional, get &str,
            rule model::reference => "1–32 ASCII letters or digits; this or tradeNo";
        /// The gateway's transaction number.
        trade_no: String = "tradeNo", Optional, get &str,
            rule model::reference => "1–32 ASCII letters or digits; this or orderNo";
    }
}

impl<'a> schema::Lend<'a, TradeType> for TradeType {
    fn lend(&'a self) -> TradeType {
        *self
    }
}

fn at_least_one_reference(r: &InquiryStatusRequest) -> Result<(), ValidationError> {
    if r.order_no.is_none() && r.trade_no.is_none() {
        return Err(ValidationError::new(
            "orderNo",
            Rule::Combination(Cow::Borrowed(
                "orderNo or tradeNo (or both) must be given and not empty",
            )),
        ));
    }
    Ok(())
}

/// The builder of an [`InquiryStatusRequest`].
pub type InquiryStatusRequestBuilder = RequestBuilder<InquiryStatusRequest>;

impl InquiryStatusRequest {
    /// Starts an inquiry for a transaction of `trade_type`; set `orderNo`,
    /// `tradeNo` or both.
    pub fn builder(trade_type: TradeType) -> InquiryStatusRequestBuilder {
        RequestBuilder(Self {
            trade_type,
            order_no: None,
            trade_no: None,
        })
    }

    /// A pay-in status inquiry by order number.
    pub fn pay_in_by_order_no(order_no: impl Into<String>) -> Result<Self, ValidationError> {
        Self::builder(TradeType::PayIn).order_no(order_no).build()
    }

    /// A pay-in status inquiry by the gateway's trade number.
    pub fn pay_in_by_trade_no(trade_no: impl Into<String>) -> Result<Self, ValidationError> {
        Self::builder(TradeType::PayIn).trade_no(trade_no).build()
    }
}

impl InquiryStatusRequestBuilder {
    /// Sets `orderNo`; an empty one counts as absent.
    pub fn order_no(mut self, order_no: impl Into<String>) -> Self {
        self.0.order_no = Some(order_no.into()).filter(|s| !s.is_empty());
        self
    }

    /// Sets `tradeNo`; an empty one counts as absent.
    pub fn trade_no(mut self, trade_no: impl Into<String>) -> Self {
        self.0.trade_no = Some(trade_no.into()).filter(|s| !s.is_empty());
        self
    }
}

/// Prepares a signed status inquiry. The request was checked when it was
/// built and the configuration when it was made: this fails only when the
/// signer fails.
pub fn prepare_inquiry_status(
    config: &Config,
    request: &InquiryStatusRequest,
    now: OffsetDateTime,
) -> Result<PreparedRequest, SignError> {
    signed_post(config, ApiPath::InquiryStatus, request, now)
}

/// Prepares a status inquiry up to its signature (see
/// [`prepare_pay_in_unsigned`](super::prepare_pay_in_unsigned)).
pub fn prepare_inquiry_status_unsigned(
    config: &Config,
    request: &InquiryStatusRequest,
    now: OffsetDateTime,
) -> UnsignedRequest {
    unsigned_post(config, ApiPath::InquiryStatus, request, now)
}

schema::response! {
    /// The answer to a status inquiry. All but `code` and `message` are
    /// optional on the wire.
    ///
    /// This is what a confirmation compares with the merchant's own record
    /// of the order: status, amount and currency, and the order number when
    /// the gateway echoes it.
    pub struct InquiryStatusResponse as "InquiryStatusResponse", wire InquiryStatusResponseWire {
        /// `00`.
        code: String = "code", NonEmpty; "`00` on success";
        /// Gateway message.
        message: String = "message", MayBeEmpty; "human-readable text";
        /// The merchant's order number, when echoed (only the older v1
        /// example shows it).
        order_no: String = "orderNo", Optional; "the order number";
        /// The gateway's transaction number.
        trade_no: String = "tradeNo", Optional; "the gateway's transaction number";
        /// Pay-in or pay-out (a number, or numeric text).
        trade_type: TradeType = "tradeType", Optional; "1 pay-in, 2 pay-out";
        /// Payment method.
        payment_method: PaymentMethod = "paymentMethod", Optional; "a payment method code (open set)";
        /// Amount and currency.
        money: Money = "money", Optional; "amount in minor units and currency";
        /// Transaction status.
        status: TransactionStatus = "status", Optional; "a status (open set)";
        /// Gateway remark.
        remark: String = "remark", Optional; "text";
    }
}

/// Parses a status inquiry response.
pub fn parse_inquiry_status_response(
    response: impl Into<RawResponse>,
) -> Result<InquiryStatusResponse, ResponseError> {
    decode_into(&response.into())
}

schema::request! {
    /// Asks for the balances of a merchant account.
    ///
    /// ```
    /// use pasarela_core::smilepayz::{BalanceType, InquiryBalanceRequest};
    /// let request = InquiryBalanceRequest::builder("11520011202402290943", [BalanceType::Balance, BalanceType::Available]).build()?;
    /// assert_eq!(
    ///     request.to_json(),
    ///     r#"{"accountNo":"11520011202402290943","balanceTypes":["BALANCE","AVAILABLE"]}"#
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub struct InquiryBalanceRequest as "InquiryBalanceRequest",
        setters on RequestBuilder<InquiryBalanceRequest> {
        /// The merchant account number (sandbox: a random string; production:
        /// in the back office; also the `accountNo` of a pay-in response).
        account_no: String = "accountNo", NonEmpty, get &str,
            rule account_no => "1–128 visible ASCII characters (no spaces)";
        /// Which balances.
        balance_types: Vec<BalanceType> = "balanceTypes", NonEmpty, get &[BalanceType],
            rule model::balance_types => "at least one, each BALANCE or AVAILABLE";
    }
}

/// GATEWAYS.md says only "a string, at most 128" (sandbox account numbers
/// are random strings): any visible ASCII character is sent, nothing that
/// could be mangled on the way (spaces, controls, non-ASCII).
fn account_no(field: &'static str, value: &str) -> Result<(), ValidationError> {
    validate::required_len(field, value, 1, 128)?;
    validate::charset(
        field,
        value,
        |c| c.is_ascii_graphic(),
        "visible ASCII characters (no spaces)",
    )
}

/// The builder of an [`InquiryBalanceRequest`].
pub type InquiryBalanceRequestBuilder = RequestBuilder<InquiryBalanceRequest>;

impl InquiryBalanceRequest {
    /// Starts an inquiry for `balance_types` of `account_no`.
    pub fn builder(
        account_no: impl Into<String>,
        balance_types: impl IntoIterator<Item = BalanceType>,
    ) -> InquiryBalanceRequestBuilder {
        RequestBuilder(Self {
            account_no: account_no.into(),
            balance_types: balance_types.into_iter().collect(),
        })
    }

    /// An inquiry for the `BALANCE` of `account_no` (the documented
    /// default).
    pub fn balance(account_no: impl Into<String>) -> Result<Self, ValidationError> {
        Self::builder(account_no, [BalanceType::Balance]).build()
    }
}

/// Prepares a signed balance inquiry. The request was checked when it was
/// built and the configuration when it was made: this fails only when the
/// signer fails.
pub fn prepare_inquiry_balance(
    config: &Config,
    request: &InquiryBalanceRequest,
    now: OffsetDateTime,
) -> Result<PreparedRequest, SignError> {
    signed_post(config, ApiPath::InquiryBalance, request, now)
}

/// Prepares a balance inquiry up to its signature (see
/// [`prepare_pay_in_unsigned`](super::prepare_pay_in_unsigned)).
pub fn prepare_inquiry_balance_unsigned(
    config: &Config,
    request: &InquiryBalanceRequest,
    now: OffsetDateTime,
) -> UnsignedRequest {
    unsigned_post(config, ApiPath::InquiryBalance, request, now)
}

schema::response! {
    /// The balances of one balance type (`accountInfos`).
    pub struct BalanceAccount as "AccountInfo", wire BalanceAccountWire {
        /// The balance type, e.g. `BALANCE`.
        balance_type: BalanceType = "balanceType", NonEmpty; "a balance type (open set)";
        /// The balance: `{currency, value}`, `value` a string of minor units.
        amount: Money = "amount", Required via BalanceMoney; "currency and a string of minor units";
        /// The available balance, same shape.
        available_balance: Money = "availableBalance", Required via BalanceMoney; "currency and a string of minor units";
    }
}

schema::response! {
    /// The answer to a balance inquiry.
    ///
    /// A body without a documented `accountInfos` (absent, empty, or of
    /// another shape) is a [`ParseError`](crate::ParseError), never an empty
    /// list: "no balances" is not an answer to a money query.
    pub struct InquiryBalanceResponse as "InquiryBalanceResponse", wire InquiryBalanceResponseWire {
        /// `00`.
        code: String = "code", NonEmpty; "`00` on success";
        /// Gateway message.
        message: String = "message", MayBeEmpty; "human-readable text";
        /// One entry per balance type. The Peru page types it "object",
        /// integrators read an array: both are accepted.
        account_infos: Vec<BalanceAccount> = "accountInfos", NonEmpty via schema::OneOrMany<BalanceAccount>;
            "an object, or a non-empty array of them";
        /// The account, when echoed.
        account_no: String = "accountNo", Optional; "the account number";
        /// The account name.
        name: String = "name", Optional; "text";
        /// The balance types, when echoed.
        balance_types: Vec<BalanceType> = "balanceTypes", Optional; "array of balance types";
    }
}

impl InquiryBalanceResponse {
    /// The entry of a balance type, if the answer has one.
    pub fn account(&self, balance_type: &BalanceType) -> Option<&BalanceAccount> {
        self.account_infos
            .iter()
            .find(|a| &a.balance_type == balance_type)
    }
}

/// Parses a balance inquiry response.
pub fn parse_inquiry_balance_response(
    response: impl Into<RawResponse>,
) -> Result<InquiryBalanceResponse, ResponseError> {
    decode_into(&response.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ParseError;
    use crate::schema::{self, FieldType, Presence};

    #[test]
    fn status_inquiry_needs_a_reference() {
        let none = InquiryStatusRequest::builder(TradeType::PayIn).build();
        assert_eq!(none.unwrap_err().field(), "orderNo");
        let empty = InquiryStatusRequest::builder(TradeType::PayIn)
            .order_no("")
            .trade_no("")
            .build();
        assert_eq!(empty.unwrap_err().field(), "orderNo");
        assert_eq!(
            InquiryStatusRequest::pay_in_by_trade_no("1".repeat(33))
                .unwrap_err()
                .field(),
            "tradeNo"
        );
        assert_eq!(
            InquiryStatusRequest::pay_in_by_order_no("a b")
                .unwrap_err()
                .field(),
            "orderNo"
        );
        assert!(InquiryStatusRequest::pay_in_by_trade_no("1512001125042115424463245").is_ok());
        let both = InquiryStatusRequest::builder(TradeType::PayIn)
            .order_no("ORDER1")
            .trade_no("15")
            .build()
            .unwrap();
        assert_eq!(
            both.to_json(),
            r#"{"tradeType":1,"orderNo":"ORDER1","tradeNo":"15"}"#
        );
        let trade_only = InquiryStatusRequest::builder(TradeType::PayOut)
            .order_no("")
            .trade_no("15")
            .build()
            .unwrap();
        assert_eq!(trade_only.order_no(), None);
        assert_eq!(trade_only.to_json(), r#"{"tradeType":2,"tradeNo":"15"}"#);
    }

    #[test]
    fn balance_inquiry_rules() {
        assert!(InquiryBalanceRequest::balance("11520011202402290943").is_ok());
        assert!(InquiryBalanceRequest::balance("A".repeat(128)).is_ok());
        // Sandbox account numbers are random strings: punctuation is sent.
        assert!(InquiryBalanceRequest::balance("sbx-115_200.A/1").is_ok());
        for bad in [
            String::new(),
            "A".repeat(129),
            "115 200".into(),
            "115\t200".into(),
            "cuenta-ñ".into(),
        ] {
            assert_eq!(
                InquiryBalanceRequest::balance(bad).unwrap_err().field(),
                "accountNo"
            );
        }
        let empty = InquiryBalanceRequest::builder("1", []).build();
        assert_eq!(empty.unwrap_err().field(), "balanceTypes");
        let bad = InquiryBalanceRequest::builder("1", [BalanceType::from_wire("balance")]).build();
        assert_eq!(bad.unwrap_err().field(), "balanceTypes");
        assert_eq!(
            InquiryBalanceRequest::balance("1").unwrap().to_json(),
            r#"{"accountNo":"1","balanceTypes":["BALANCE"]}"#
        );
    }

    const ARRAY: &str = r#"{"code":"00","message":"Successful","accountInfos":[{"balanceType":"BALANCE","amount":{"currency":"PEN","value":"1520050"},"availableBalance":{"currency":"PEN","value":"1500000"}},{"balanceType":"AVAILABLE","amount":{"currency":"PEN","value":"1500000"},"availableBalance":{"currency":"PEN","value":"1500000"}}],"accountNo":"11520011202402290943","name":"Tienda","balanceTypes":["BALANCE","AVAILABLE"]}"#;
    const OBJECT: &str = r#"{"code":"00","message":"Successful","accountInfos":{"balanceType":"BALANCE","amount":{"currency":"PEN","value":"1520050"},"availableBalance":{"currency":"PEN","value":"1500000"}}}"#;

    fn parse(body: &str) -> Result<InquiryBalanceResponse, ResponseError> {
        parse_inquiry_balance_response(RawResponse::new(200, body))
    }

    fn parse_error_path(body: &str) -> String {
        match parse(body) {
            Err(ResponseError::Parse(e)) => e.path().unwrap_or("-").to_owned(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn balance_accepts_an_array_or_an_object() {
        let many = parse(ARRAY).unwrap();
        assert_eq!(many.account_infos.len(), 2);
        assert_eq!(many.account_infos[0].amount, Money::pen(1_520_050));
        assert_eq!(
            many.account_infos[0].available_balance,
            Money::pen(1_500_000)
        );
        assert_eq!(many.account_no.as_deref(), Some("11520011202402290943"));
        assert_eq!(many.name.as_deref(), Some("Tienda"));
        assert_eq!(
            many.balance_types,
            Some(vec![BalanceType::Balance, BalanceType::Available])
        );
        assert_eq!(
            many.account(&BalanceType::Available).map(|a| a.amount),
            Some(Money::pen(1_500_000))
        );
        let one = parse(OBJECT).unwrap();
        assert_eq!(one.account_infos.len(), 1);
        assert_eq!(one.account_infos[0].balance_type, BalanceType::Balance);
        assert_eq!(one.account_no, None);
    }

    #[test]
    fn balance_of_another_shape_is_an_error_never_an_empty_list() {
        // The shape an earlier version of this SDK read; nobody documents it.
        let old = r#"{"code":"00","message":"ok","accountNo":"1","balanceList":[{"balanceType":"BALANCE","amount":10000.10,"currency":"PEN"}]}"#;
        assert_eq!(parse_error_path(old), "accountInfos");
        assert_eq!(
            parse_error_path(r#"{"code":"00","message":"ok","accountInfos":[]}"#),
            "accountInfos"
        );
        assert_eq!(
            parse_error_path(r#"{"code":"00","message":"ok","accountInfos":null}"#),
            "accountInfos"
        );
        assert_eq!(
            parse_error_path(&ARRAY.replace(r#""value":"1520050""#, r#""value":"15200.50""#)),
            "accountInfos[0].amount.value"
        );
        assert_eq!(
            parse_error_path(&OBJECT.replace(
                r#","availableBalance":{"currency":"PEN","value":"1500000"}"#,
                ""
            )),
            "accountInfos.availableBalance"
        );
        assert_eq!(
            parse_error_path(&OBJECT.replace(r#""balanceType":"BALANCE","#, "")),
            "accountInfos.balanceType"
        );
        let shapeless = r#"{"code":"00","message":"ok","accountInfos":"BALANCE"}"#;
        assert!(matches!(
            parse(shapeless),
            Err(ResponseError::Parse(ParseError::Json { .. }))
        ));
    }

    #[test]
    fn status_response_parses_and_keeps_unknown_status() {
        let body = r#"{"code":"00","message":"Successful","tradeNo":"15","tradeType":1,"paymentMethod":"CASHIER_PE","money":{"amount":20000,"currency":"PEN"},"status":"REVERSED","remark":"r"}"#;
        let parsed = parse_inquiry_status_response(RawResponse::new(200, body)).unwrap();
        assert_eq!(
            parsed.status,
            Some(TransactionStatus::Other("REVERSED".into()))
        );
        assert_eq!(parsed.money, Some(Money::pen(20000)));
        assert_eq!(parsed.trade_type, Some(TradeType::PayIn));
        assert_eq!(parsed.order_no, None, "orderNo is optional");
        let minimal =
            parse_inquiry_status_response(RawResponse::new(200, r#"{"code":"00","message":"ok"}"#))
                .unwrap();
        assert_eq!(minimal.status, None);
        let empties = parse_inquiry_status_response(RawResponse::new(
            200,
            r#"{"code":"00","message":"","orderNo":"","tradeNo":null,"tradeType":"1"}"#,
        ))
        .unwrap();
        assert_eq!((empties.order_no, empties.trade_no), (None, None));
        assert_eq!(empties.trade_type, Some(TradeType::PayIn));
    }

    #[test]
    fn schemas_list_presence() {
        let p = |fields, path| schema::find(fields, path).unwrap().presence;
        assert_eq!(
            p(InquiryStatusResponse::FIELDS, "orderNo"),
            Presence::Optional
        );
        assert_eq!(
            p(InquiryStatusRequest::FIELDS, "tradeType"),
            Presence::Required
        );
        assert_eq!(
            p(InquiryBalanceRequest::FIELDS, "balanceTypes"),
            Presence::NonEmpty
        );
        assert_eq!(
            schema::paths(InquiryBalanceResponse::FIELDS),
            [
                "code",
                "message",
                "accountInfos",
                "accountInfos.balanceType",
                "accountInfos.amount",
                "accountInfos.amount.currency",
                "accountInfos.amount.value",
                "accountInfos.availableBalance",
                "accountInfos.availableBalance.currency",
                "accountInfos.availableBalance.value",
                "accountNo",
                "name",
                "balanceTypes",
            ]
        );
        let ty = |fields, path| schema::find(fields, path).unwrap().ty;
        let balance = InquiryBalanceResponse::FIELDS;
        assert_eq!(ty(balance, "accountInfos"), FieldType::ObjectOrArray);
        assert_eq!(ty(balance, "accountInfos.amount"), FieldType::MoneyText);
        assert_eq!(ty(balance, "accountInfos.amount.value"), FieldType::Integer);
        assert_eq!(ty(balance, "balanceTypes"), FieldType::TextArray);
        assert_eq!(ty(InquiryStatusResponse::FIELDS, "money"), FieldType::Money);
    }
}
