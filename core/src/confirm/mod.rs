//! Confirmation by record: from the gateway's status answer (and, when there
//! is one, a verified event) to "safe to ship".
//!
//! A verified callback or notification proves only what the gateway signed
//! (SmilePayz: `tradeNo` and the timestamp; Monnet: a concatenation of
//! merchant id, operation number, amount and currency — not the state). What
//! says a payment was made is the gateway's **status answer** about *your*
//! order number, compared with **your own record** of the order. This module
//! is that comparison, pure and public, one record type per gateway:
//!
//! | gateway | your record | compared with | the only "safe to ship" |
//! |---|---|---|---|
//! | SmilePayz | [`ExpectedPayIn`] | an inquiry-status answer ([`ExpectedPayIn::confirm`]); a callback's claims first ([`ExpectedPayIn::check_callback`]) | [`ConfirmedPayIn`] |
//! | Monnet | [`ExpectedOperation`] | a status-query answer ([`ExpectedOperation::confirm`]); a notification's bound values first ([`ExpectedOperation::check_notification`]) | [`ConfirmedOperation`] |
//!
//! Both are usable from an event (the webhook path) and from polling (a
//! reconciler or sweeper asking the status call on its own). The clients
//! wrap them: `confirm_pay_in(event, record)` / `confirm_operation(event,
//! record)` for an event, `confirm_pay_in_status(record)` /
//! `confirm_operation_status(record)` for polling; `pasarela-ledger` runs
//! them inside its state machine. Every reason not to ship is its own
//! [`NotConfirmed`] variant.
//!
//! ```
//! use pasarela_core::Money;
//! use pasarela_core::confirm::{ExpectedPayIn, NotConfirmed};
//! use pasarela_core::smilepayz::parse_inquiry_status_response;
//! use pasarela_core::RawResponse;
//!
//! let record = ExpectedPayIn::new("ORDER1234", Money::pen(20000));
//! let answer = parse_inquiry_status_response(RawResponse::new(200,
//!     r#"{"code":"00","message":"ok","tradeNo":"T1","status":"SUCCESS","money":{"amount":20000,"currency":"PEN"}}"#))?;
//! let confirmed = record.confirm(&answer)?; // polling: no event needed
//! assert_eq!(confirmed.trade_no, "T1");
//!
//! let less = parse_inquiry_status_response(RawResponse::new(200,
//!     r#"{"code":"00","message":"ok","tradeNo":"T1","status":"SUCCESS","money":{"amount":100,"currency":"PEN"}}"#))?;
//! assert!(matches!(record.confirm(&less), Err(NotConfirmed::AmountDiffers { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

mod monnet;
mod smilepayz;

pub use monnet::{ConfirmedOperation, ExpectedOperation};
pub use smilepayz::{ConfirmedPayIn, ExpectedPayIn};

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

/// Why a payment could not be confirmed: do **not** ship.
///
/// [`is_mismatch`](Self::is_mismatch) tells the answers that contradict
/// your record (alert someone) from those that only say "not yet" or "not
/// paid".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotConfirmed {
    /// The amount differs from your record.
    #[error("amount differs: expected {expected}, {seen} says {found}")]
    AmountDiffers {
        /// Your record's amount (minor units as text, or Monnet's decimal).
        expected: String,
        /// The other amount, as seen.
        found: String,
        /// Where it was seen.
        seen: Seen,
    },
    /// The amount is not in a form the gateway sends (a Monnet amount with
    /// a leading zero, a sign, a third decimal, …): no rendering of any
    /// record's amount.
    #[error("amount malformed: {seen} says {found:?}, not a form the gateway sends")]
    AmountMalformed {
        /// The amount text, as seen.
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
    /// The event (or the status answer) names another order/operation
    /// number than your record.
    #[error("order differs: your record is {expected}, {seen} says {found}")]
    OrderDiffers {
        /// Your record's number.
        expected: String,
        /// The other number.
        found: String,
        /// Where it was seen.
        seen: Seen,
    },
    /// The gateway's answer is about another transaction than the one the
    /// event (signed `tradeNo`) or your record (the create's `tradeNo`)
    /// names.
    #[error("transaction differs: expected {expected}, the gateway answers {gateway:?}")]
    TransactionDiffers {
        /// The `tradeNo` expected: the callback's (signed) one, or the one
        /// the create answered.
        expected: String,
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
    /// The payment is final and not paid (failed, expired, denied,
    /// cancelled, refunded, …).
    #[error("not paid: {status}")]
    NotPaid {
        /// The gateway's status.
        status: String,
    },
    /// The gateway's answer lacks a field the comparison needs.
    #[error("the gateway's answer has no `{0}`")]
    Incomplete(&'static str),
}

impl NotConfirmed {
    /// A short, stable name of the reason for logs and metrics
    /// (`amount_differs`, `still_pending`, `not_paid`, …): never a value.
    pub fn kind(&self) -> &'static str {
        match self {
            NotConfirmed::AmountDiffers { .. } => "amount_differs",
            NotConfirmed::AmountMalformed { .. } => "amount_malformed",
            NotConfirmed::CurrencyDiffers { .. } => "currency_differs",
            NotConfirmed::OrderDiffers { .. } => "order_differs",
            NotConfirmed::TransactionDiffers { .. } => "transaction_differs",
            NotConfirmed::MerchantNotOurs { .. } => "merchant_not_ours",
            NotConfirmed::UnknownOrder => "unknown_order",
            NotConfirmed::StillPending { .. } => "still_pending",
            NotConfirmed::NotPaid { .. } => "not_paid",
            NotConfirmed::Incomplete(_) => "incomplete",
        }
    }

    /// Whether the answer (or the event) contradicts your record: another
    /// amount, currency, order, transaction or merchant, or an amount in no
    /// form the gateway sends. Someone must look at these; they never mean
    /// "try again later".
    pub fn is_mismatch(&self) -> bool {
        matches!(
            self,
            NotConfirmed::AmountDiffers { .. }
                | NotConfirmed::AmountMalformed { .. }
                | NotConfirmed::CurrencyDiffers { .. }
                | NotConfirmed::OrderDiffers { .. }
                | NotConfirmed::TransactionDiffers { .. }
                | NotConfirmed::MerchantNotOurs { .. }
        )
    }

    /// Whether asking again later may confirm it: still pending, or an
    /// answer missing a field.
    pub fn may_change(&self) -> bool {
        matches!(
            self,
            NotConfirmed::StillPending { .. } | NotConfirmed::Incomplete(_)
        )
    }
}

/// Reports a confirmation's verdict about `reference` ([`crate::observe`])
/// and hands it back.
pub(crate) fn observed<T>(
    gateway: &'static str,
    reference: &str,
    verdict: Result<T, NotConfirmed>,
) -> Result<T, NotConfirmed> {
    crate::observe::confirmation(
        gateway,
        reference,
        verdict.as_ref().map(|_| ()).map_err(NotConfirmed::kind),
    );
    verdict
}

/// Reports a refusal before any status call (the event contradicts the
/// record) and hands it back.
pub(crate) fn refused(
    gateway: &'static str,
    reference: &str,
    reason: NotConfirmed,
) -> NotConfirmed {
    crate::observe::confirmation(gateway, reference, Err(reason.kind()));
    reason
}

/// Compares a merchant id with ours (exactly: no trimming, no case folding).
fn same_merchant(ours: &str, theirs: &str, seen: Seen) -> Result<(), NotConfirmed> {
    if ours == theirs {
        Ok(())
    } else {
        Err(NotConfirmed::MerchantNotOurs {
            expected: ours.to_owned(),
            found: theirs.to_owned(),
            seen,
        })
    }
}

/// Compares an order number with ours (exactly).
fn same_order(ours: &str, theirs: &str, seen: Seen) -> Result<(), NotConfirmed> {
    if ours == theirs {
        Ok(())
    } else {
        Err(NotConfirmed::OrderDiffers {
            expected: ours.to_owned(),
            found: theirs.to_owned(),
            seen,
        })
    }
}
