//! Confirmation: from a verified event to "safe to ship".
//!
//! A verified callback or notification proves only what the gateway signed
//! (SmilePayz: `tradeNo` and the timestamp; Monnet: a concatenation of
//! merchant id, operation number, amount and currency — not the state). The
//! confirmation step takes the verified event **and your own record of the
//! order**, asks the gateway's status call (by *your* order/operation
//! number), and compares all three. Only a [`ConfirmedPayIn`] or a
//! [`ConfirmedOperation`] says the goods may ship; every mismatch is its own
//! [`NotConfirmed`] variant.
//!
//! What is read from the events (kept to these accessors so the event types
//! can evolve): SmilePayz `Callback` — `trade_no` (authenticated),
//! `order_no`, `merchant_id`, `money` (claims); Monnet `Notification` —
//! `merchant_id`, `merchant_operation_number`, `amount_text`, `currency`
//! (claims, hashed only as a concatenation).

use std::fmt;

use crate::monnet::{Amount, Notification, PayinState, StatusOperation, StatusResponse};
use crate::smilepayz::{Callback, InquiryStatusResponse, Money};

// --- The few facts read from today's event types (one place to adapt). ---

fn sp_trade_no(cb: &Callback) -> &str {
    &cb.trade_no
}
fn sp_claimed_order_no(cb: &Callback) -> &str {
    &cb.order_no
}
fn sp_claimed_merchant_id(cb: &Callback) -> &str {
    &cb.merchant_id
}
fn sp_claimed_money(cb: &Callback) -> &Money {
    &cb.money
}
fn mn_claimed_merchant_id(n: &Notification) -> &str {
    &n.merchant_id
}
fn mn_claimed_operation_number(n: &Notification) -> &str {
    &n.merchant_operation_number
}
fn mn_claimed_amount(n: &Notification) -> &str {
    &n.amount_text
}
fn mn_claimed_currency(n: &Notification) -> &str {
    &n.currency
}

fn money_parts(m: &Money) -> (u64, String) {
    (m.amount, m.currency.code().to_owned())
}

/// Where a differing value was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Seen {
    /// In the event's unsigned claims (a tampered or misrouted event).
    Event,
    /// In the gateway's status answer (the order is not what you recorded).
    Gateway,
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Seen::Event => "the event",
            Seen::Gateway => "the gateway's status answer",
        })
    }
}

/// Why an event could not be confirmed: do **not** ship.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotConfirmed {
    /// The amount differs from your record.
    #[error("amount differs: expected {expected}, {seen} says {found}")]
    AmountDiffers {
        /// Your record's amount (minor units as text, or Monnet's decimal).
        expected: String,
        /// The other amount.
        found: String,
        /// Where it was seen.
        seen: Seen,
    },
    /// The currency differs from your record.
    #[error("currency differs: expected {expected}, {seen} says {found}")]
    CurrencyDiffers {
        /// Your record's currency.
        expected: String,
        /// The other currency.
        found: String,
        /// Where it was seen.
        seen: Seen,
    },
    /// The event names another order/operation number than your record.
    #[error("order differs: your record is {expected}, the event claims {found}")]
    OrderDiffers {
        /// Your record's number.
        expected: String,
        /// What the event claims.
        found: String,
    },
    /// The gateway's answer is about another transaction than the
    /// authenticated `tradeNo` of the callback.
    #[error("transaction differs: the callback is for {event}, the gateway answers {gateway:?}")]
    TransactionDiffers {
        /// The callback's (signed) `tradeNo`.
        event: String,
        /// The `tradeNo` in the status answer (none when absent).
        gateway: Option<String>,
    },
    /// The merchant id is not ours.
    #[error("merchant id not ours: expected {expected}, {seen} says {found}")]
    MerchantNotOurs {
        /// Ours.
        expected: String,
        /// Theirs.
        found: String,
        /// Where it was seen.
        seen: Seen,
    },
    /// The gateway does not know the order.
    #[error("the gateway does not know this order")]
    UnknownOrder,
    /// The payment is not final yet: wait for the next event or ask later.
    #[error("still pending: {status}")]
    StillPending {
        /// The gateway's status.
        status: String,
    },
    /// The payment is final and not paid (failed, expired, denied, …).
    #[error("not paid: {status}")]
    NotPaid {
        /// The gateway's status.
        status: String,
    },
    /// The gateway's answer lacks a field the comparison needs.
    #[error("the gateway's answer has no `{0}`")]
    Incomplete(&'static str),
}

/// Your own record of a SmilePayz order: what you asked to be paid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpectedPayIn {
    /// Your order number.
    pub order_no: String,
    /// The amount and currency you asked for.
    pub money: Money,
    /// The `merchant.merchantId` you sent, when you want it checked.
    pub merchant_id: Option<String>,
}

impl ExpectedPayIn {
    /// A record of `order_no` for `money`.
    pub fn new(order_no: impl Into<String>, money: Money) -> Self {
        Self {
            order_no: order_no.into(),
            money,
            merchant_id: None,
        }
    }

    /// Also checks the callback's `merchantId` against this one.
    pub fn with_merchant_id(mut self, merchant_id: impl Into<String>) -> Self {
        self.merchant_id = Some(merchant_id.into());
        self
    }
}

/// A SmilePayz pay-in confirmed by the gateway's status inquiry and equal
/// to your record: **safe to ship**.
///
/// The only SmilePayz type that says so. Ship once per `trade_no` (the
/// gateway retries callbacks).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfirmedPayIn {
    /// Your order number.
    pub order_no: String,
    /// The gateway's transaction number.
    pub trade_no: String,
    /// What was paid (equal to your record).
    pub money: Money,
}

/// Compares a SmilePayz callback's claims with the record, before any call.
pub(crate) fn precheck_pay_in(
    event: &Callback,
    record: &ExpectedPayIn,
) -> Result<(), NotConfirmed> {
    if sp_claimed_order_no(event) != record.order_no {
        return Err(NotConfirmed::OrderDiffers {
            expected: record.order_no.clone(),
            found: sp_claimed_order_no(event).to_owned(),
        });
    }
    if let Some(ours) = &record.merchant_id
        && sp_claimed_merchant_id(event) != ours
    {
        return Err(NotConfirmed::MerchantNotOurs {
            expected: ours.clone(),
            found: sp_claimed_merchant_id(event).to_owned(),
            seen: Seen::Event,
        });
    }
    compare_money(&record.money, sp_claimed_money(event), Seen::Event)
}

fn compare_money(expected: &Money, found: &Money, seen: Seen) -> Result<(), NotConfirmed> {
    let (e_amount, e_currency) = money_parts(expected);
    let (f_amount, f_currency) = money_parts(found);
    if e_currency != f_currency {
        return Err(NotConfirmed::CurrencyDiffers {
            expected: e_currency,
            found: f_currency,
            seen,
        });
    }
    if e_amount != f_amount {
        return Err(NotConfirmed::AmountDiffers {
            expected: e_amount.to_string(),
            found: f_amount.to_string(),
            seen,
        });
    }
    Ok(())
}

/// Compares the gateway's status answer with the record and the callback's
/// authenticated `tradeNo`.
pub(crate) fn confirm_pay_in(
    trade_no: &str,
    record: &ExpectedPayIn,
    answer: &InquiryStatusResponse,
) -> Result<ConfirmedPayIn, NotConfirmed> {
    if answer.trade_no.as_deref() != Some(trade_no) {
        return Err(NotConfirmed::TransactionDiffers {
            event: trade_no.to_owned(),
            gateway: answer.trade_no.clone(),
        });
    }
    if let Some(order_no) = &answer.order_no
        && *order_no != record.order_no
    {
        return Err(NotConfirmed::OrderDiffers {
            expected: record.order_no.clone(),
            found: order_no.clone(),
        });
    }
    let status = answer
        .status
        .as_ref()
        .ok_or(NotConfirmed::Incomplete("status"))?;
    match status.as_str() {
        "SUCCESS" => {}
        "INIT" | "PROCESSING" => {
            return Err(NotConfirmed::StillPending {
                status: status.as_str().to_owned(),
            });
        }
        other => {
            return Err(NotConfirmed::NotPaid {
                status: other.to_owned(),
            });
        }
    }
    let money = answer
        .money
        .as_ref()
        .ok_or(NotConfirmed::Incomplete("money"))?;
    compare_money(&record.money, money, Seen::Gateway)?;
    Ok(ConfirmedPayIn {
        order_no: record.order_no.clone(),
        trade_no: trade_no.to_owned(),
        // `clone`, not a copy: the shared money type may stop being `Copy`.
        #[allow(clippy::clone_on_copy)]
        money: money.clone(),
    })
}

/// Your own record of a Monnet operation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpectedOperation {
    /// Your `payinMerchantOperationNumber`.
    pub operation_number: String,
    /// The amount you asked for.
    pub amount: Amount,
    /// The currency you asked for (ISO 4217).
    pub currency: String,
}

impl ExpectedOperation {
    /// A record of `operation_number` for `amount` in `currency`.
    pub fn new(
        operation_number: impl Into<String>,
        amount: Amount,
        currency: impl Into<String>,
    ) -> Self {
        Self {
            operation_number: operation_number.into(),
            amount,
            currency: currency.into(),
        }
    }
}

/// A Monnet operation confirmed by the status query and equal to your
/// record: **safe to ship**. The only Monnet type that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfirmedOperation {
    /// Your operation number.
    pub operation_number: String,
    /// What was paid (equal to your record).
    pub amount: Amount,
    /// The currency.
    pub currency: String,
    /// The state (authorized or settled).
    pub state: PayinState,
    /// Monnet's `payinID`, when given.
    pub payin_id: Option<String>,
}

fn compare_amount(
    record: &ExpectedOperation,
    amount_text: &str,
    currency: &str,
    seen: Seen,
) -> Result<(), NotConfirmed> {
    if !currency.trim().eq_ignore_ascii_case(&record.currency) {
        return Err(NotConfirmed::CurrencyDiffers {
            expected: record.currency.clone(),
            found: currency.to_owned(),
            seen,
        });
    }
    match Amount::parse(amount_text.trim()) {
        Ok(amount) if amount == record.amount => Ok(()),
        _ => Err(NotConfirmed::AmountDiffers {
            expected: record.amount.to_string(),
            found: amount_text.to_owned(),
            seen,
        }),
    }
}

/// Compares a Monnet notification's claims with the record and our
/// merchant id, before any call.
pub(crate) fn precheck_operation(
    merchant_id: &str,
    event: &Notification,
    record: &ExpectedOperation,
) -> Result<(), NotConfirmed> {
    if mn_claimed_merchant_id(event).trim() != merchant_id {
        return Err(NotConfirmed::MerchantNotOurs {
            expected: merchant_id.to_owned(),
            found: mn_claimed_merchant_id(event).to_owned(),
            seen: Seen::Event,
        });
    }
    if mn_claimed_operation_number(event) != record.operation_number {
        return Err(NotConfirmed::OrderDiffers {
            expected: record.operation_number.clone(),
            found: mn_claimed_operation_number(event).to_owned(),
        });
    }
    compare_amount(
        record,
        mn_claimed_amount(event),
        mn_claimed_currency(event),
        Seen::Event,
    )
}

/// Compares Monnet's status answer with the record.
pub(crate) fn confirm_operation(
    merchant_id: &str,
    record: &ExpectedOperation,
    answer: StatusResponse,
) -> Result<ConfirmedOperation, NotConfirmed> {
    if answer.merchant_id.trim() != merchant_id {
        return Err(NotConfirmed::MerchantNotOurs {
            expected: merchant_id.to_owned(),
            found: answer.merchant_id,
            seen: Seen::Gateway,
        });
    }
    let op: StatusOperation = answer
        .operations
        .into_iter()
        .find(|op| op.merchant_operation_number == record.operation_number)
        .ok_or(NotConfirmed::UnknownOrder)?;
    let state_text = || {
        format!(
            "{} ({})",
            op.state.id(),
            op.state_text.as_deref().unwrap_or("-")
        )
    };
    if matches!(op.state, PayinState::Created | PayinState::Pending) {
        return Err(NotConfirmed::StillPending {
            status: state_text(),
        });
    }
    if !op.state.is_paid() {
        return Err(NotConfirmed::NotPaid {
            status: state_text(),
        });
    }
    compare_amount(record, &op.amount_text, &op.currency, Seen::Gateway)?;
    Ok(ConfirmedOperation {
        operation_number: op.merchant_operation_number,
        amount: record.amount,
        currency: op.currency,
        state: op.state,
        payin_id: op.payin_id,
    })
}

/// The authenticated `tradeNo` of a callback (the confirmation binds to it).
pub(crate) fn callback_trade_no(event: &Callback) -> &str {
    sp_trade_no(event)
}
