//! Inquiries: transaction status (`/v2.0/inquiry-status`) and account
//! balance (`/v2.0/inquiry-balance`). Signed like every SmilePayz call.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::config::ApiPath;
use super::config::Config;
use super::model::{Money, PaymentMethod, TradeType, TransactionStatus};
use super::request::{UnsignedRequest, signed_post, unsigned_post};
use super::response::decode_success;
use crate::error::{PrepareError, ResponseError, Rule, ValidationError};
use crate::http::{PreparedRequest, RawResponse};
use crate::validate;

/// The API path of a status inquiry.
pub const INQUIRY_STATUS_PATH: &str = "/v2.0/inquiry-status";
/// The API path of a balance inquiry.
pub const INQUIRY_BALANCE_PATH: &str = "/v2.0/inquiry-balance";

/// Asks for the state of one transaction, by the merchant's `orderNo`, the
/// gateway's `tradeNo`, or both (at least one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InquiryStatusRequest {
    /// Pay-in or pay-out.
    pub trade_type: TradeType,
    /// The merchant's order number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_no: Option<String>,
    /// The gateway's transaction number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<String>,
}

impl InquiryStatusRequest {
    /// A pay-in status inquiry by order number.
    pub fn pay_in_by_order_no(order_no: impl Into<String>) -> Self {
        Self {
            trade_type: TradeType::PayIn,
            order_no: Some(order_no.into()),
            trade_no: None,
        }
    }

    /// A pay-in status inquiry by the gateway's trade number.
    pub fn pay_in_by_trade_no(trade_no: impl Into<String>) -> Self {
        Self {
            trade_type: TradeType::PayIn,
            order_no: None,
            trade_no: Some(trade_no.into()),
        }
    }

    /// Checks the inquiry's rules.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.order_no.is_none() && self.trade_no.is_none() {
            return Err(ValidationError::new(
                "orderNo",
                Rule::Combination(Cow::Borrowed("orderNo or tradeNo (or both) must be given")),
            ));
        }
        if let Some(v) = &self.order_no {
            reference("orderNo", v)?;
        }
        if let Some(v) = &self.trade_no {
            reference("tradeNo", v)?;
        }
        Ok(())
    }
}

fn reference(field: &'static str, value: &str) -> Result<(), ValidationError> {
    validate::required_len(field, value, 1, 32)?;
    validate::charset(
        field,
        value,
        |c| c.is_ascii_alphanumeric(),
        "ASCII letters and digits",
    )
}

/// Prepares a signed status inquiry.
pub fn prepare_inquiry_status(
    config: &Config,
    request: &InquiryStatusRequest,
    now: OffsetDateTime,
) -> Result<PreparedRequest, PrepareError> {
    request.validate()?;
    signed_post(config, ApiPath::InquiryStatus, request, now)
}

/// Prepares a status inquiry up to its signature (see
/// [`prepare_pay_in_unsigned`](super::prepare_pay_in_unsigned)).
pub fn prepare_inquiry_status_unsigned(
    config: &Config,
    request: &InquiryStatusRequest,
    now: OffsetDateTime,
) -> Result<UnsignedRequest, ValidationError> {
    request.validate()?;
    unsigned_post(config, ApiPath::InquiryStatus, request, now)
}

/// The answer to a status inquiry. All but `code` and `message` are optional
/// on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InquiryStatusResponse {
    /// `00`.
    pub code: String,
    /// Gateway message.
    pub message: String,
    /// The merchant's order number, when echoed.
    #[serde(default)]
    pub order_no: Option<String>,
    /// The gateway's transaction number.
    #[serde(default)]
    pub trade_no: Option<String>,
    /// Pay-in or pay-out.
    #[serde(default)]
    pub trade_type: Option<TradeType>,
    /// Payment method.
    #[serde(default)]
    pub payment_method: Option<PaymentMethod>,
    /// Amount and currency: confirm these before shipping goods.
    #[serde(default)]
    pub money: Option<Money>,
    /// Transaction status.
    #[serde(default)]
    pub status: Option<TransactionStatus>,
    /// Gateway remark.
    #[serde(default)]
    pub remark: Option<String>,
}

/// Parses a status inquiry response.
pub fn parse_inquiry_status_response(
    response: impl Into<RawResponse>,
) -> Result<InquiryStatusResponse, ResponseError> {
    decode_success(&response.into())
}

/// Asks for the balances of a merchant account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InquiryBalanceRequest {
    /// The merchant account number (the `accountNo` of a pay-in response).
    pub account_no: String,
    /// Which balances, e.g. `["BALANCE"]`.
    pub balance_types: Vec<String>,
}

impl InquiryBalanceRequest {
    /// An inquiry for the `BALANCE` balance of `account_no`.
    pub fn balance(account_no: impl Into<String>) -> Self {
        Self {
            account_no: account_no.into(),
            balance_types: vec!["BALANCE".to_owned()],
        }
    }

    /// Checks the inquiry's rules.
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate::required_len("accountNo", &self.account_no, 1, 64)?;
        validate::charset(
            "accountNo",
            &self.account_no,
            |c| c.is_ascii_alphanumeric(),
            "ASCII letters and digits",
        )?;
        if self.balance_types.is_empty() {
            return Err(ValidationError::new("balanceTypes", Rule::Required));
        }
        for t in &self.balance_types {
            validate::required_len("balanceTypes", t, 1, 32)?;
            validate::charset(
                "balanceTypes",
                t,
                |c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_',
                "upper-case codes of letters, digits and `_`",
            )?;
        }
        Ok(())
    }
}

/// Prepares a signed balance inquiry.
pub fn prepare_inquiry_balance(
    config: &Config,
    request: &InquiryBalanceRequest,
    now: OffsetDateTime,
) -> Result<PreparedRequest, PrepareError> {
    request.validate()?;
    signed_post(config, ApiPath::InquiryBalance, request, now)
}

/// Prepares a balance inquiry up to its signature (see
/// [`prepare_pay_in_unsigned`](super::prepare_pay_in_unsigned)).
pub fn prepare_inquiry_balance_unsigned(
    config: &Config,
    request: &InquiryBalanceRequest,
    now: OffsetDateTime,
) -> Result<UnsignedRequest, ValidationError> {
    request.validate()?;
    unsigned_post(config, ApiPath::InquiryBalance, request, now)
}

/// One balance of an account.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    /// Balance type, e.g. `BALANCE`.
    pub balance_type: String,
    /// The amount exactly as the gateway wrote it (a JSON number or string),
    /// never converted through floating point.
    #[serde(deserialize_with = "crate::json::number_or_string_text")]
    pub amount: String,
    /// Currency, when given.
    #[serde(default)]
    pub currency: Option<String>,
}

/// The answer to a balance inquiry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InquiryBalanceResponse {
    /// `00`.
    pub code: String,
    /// Gateway message.
    pub message: String,
    /// The account, when echoed.
    #[serde(default)]
    pub account_no: Option<String>,
    /// The balances asked for.
    #[serde(default)]
    pub balance_list: Vec<Balance>,
}

/// Parses a balance inquiry response.
pub fn parse_inquiry_balance_response(
    response: impl Into<RawResponse>,
) -> Result<InquiryBalanceResponse, ResponseError> {
    decode_success(&response.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_inquiry_needs_a_reference() {
        let none = InquiryStatusRequest {
            trade_type: TradeType::PayIn,
            order_no: None,
            trade_no: None,
        };
        assert_eq!(none.validate().unwrap_err().field(), "orderNo");
        let long = InquiryStatusRequest::pay_in_by_trade_no("1".repeat(33));
        assert_eq!(long.validate().unwrap_err().field(), "tradeNo");
        assert_eq!(
            InquiryStatusRequest::pay_in_by_order_no("a b")
                .validate()
                .unwrap_err()
                .field(),
            "orderNo"
        );
        assert!(
            InquiryStatusRequest::pay_in_by_trade_no("1512001125042115424463245")
                .validate()
                .is_ok()
        );
        let both = InquiryStatusRequest {
            trade_type: TradeType::PayIn,
            order_no: Some("ORDER1".into()),
            trade_no: Some("15".into()),
        };
        assert_eq!(
            serde_json::to_string(&both).unwrap(),
            r#"{"tradeType":1,"orderNo":"ORDER1","tradeNo":"15"}"#
        );
    }

    #[test]
    fn balance_inquiry_rules() {
        assert!(
            InquiryBalanceRequest::balance("11520011202402290943")
                .validate()
                .is_ok()
        );
        assert_eq!(
            InquiryBalanceRequest::balance("")
                .validate()
                .unwrap_err()
                .field(),
            "accountNo"
        );
        let empty = InquiryBalanceRequest {
            account_no: "1".into(),
            balance_types: vec![],
        };
        assert_eq!(empty.validate().unwrap_err().field(), "balanceTypes");
        let bad = InquiryBalanceRequest {
            account_no: "1".into(),
            balance_types: vec!["balance".into()],
        };
        assert_eq!(bad.validate().unwrap_err().field(), "balanceTypes");
        assert_eq!(
            serde_json::to_string(&InquiryBalanceRequest::balance("1")).unwrap(),
            r#"{"accountNo":"1","balanceTypes":["BALANCE"]}"#
        );
    }

    #[test]
    fn balance_amount_keeps_exact_text() {
        let body = br#"{"code":"00","message":"ok","balanceList":[{"balanceType":"BALANCE","amount":10000.10,"currency":"PEN"},{"balanceType":"FROZEN","amount":"0.00"}]}"#;
        let parsed = parse_inquiry_balance_response(RawResponse::new(200, &body[..])).unwrap();
        assert_eq!(parsed.balance_list[0].amount, "10000.10");
        assert_eq!(parsed.balance_list[1].amount, "0.00");
        let bad =
            br#"{"code":"00","message":"ok","balanceList":[{"balanceType":"B","amount":true}]}"#;
        assert!(parse_inquiry_balance_response(RawResponse::new(200, &bad[..])).is_err());
    }

    #[test]
    fn status_response_parses_and_keeps_unknown_status() {
        let body = br#"{"code":"00","message":"Successful","tradeNo":"15","tradeType":1,"paymentMethod":"CASHIER_PE","money":{"amount":20000,"currency":"PEN"},"status":"REVERSED","remark":"r"}"#;
        let parsed = parse_inquiry_status_response(RawResponse::new(200, &body[..])).unwrap();
        assert_eq!(
            parsed.status,
            Some(TransactionStatus::Unknown("REVERSED".into()))
        );
        assert_eq!(parsed.money, Some(Money::pen(20000)));
        assert_eq!(parsed.trade_type, Some(TradeType::PayIn));
        let minimal = parse_inquiry_status_response(RawResponse::new(
            200,
            &br#"{"code":"00","message":"ok"}"#[..],
        ))
        .unwrap();
        assert_eq!(minimal.status, None);
    }
}
