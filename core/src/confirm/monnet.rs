//! Monnet: your record of an operation, compared with a notification's
//! hash-bound values and with the status query's answer.

use super::{NotConfirmed, Seen, observed, same_merchant, same_order};
use crate::Money;
use crate::monnet::amount::{parse_wire_amount, renders};
use crate::monnet::{
    Authenticated, PayinState, StatusOperation, StatusResponse, VerifiedNotification,
};
use crate::observe::MONNET;

/// Your own record of a Monnet operation: what you asked Monnet to charge.
///
/// The one Monnet record type: the clients' confirmation calls, the
/// comparisons of a notification or a status operation
/// (`compare_with_record`) and `pasarela-ledger` all take it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpectedOperation {
    /// Your `payinMerchantOperationNumber`.
    pub operation_number: String,
    /// The amount and currency you asked for.
    pub amount: Money,
    /// Your `payinMerchantID`, when set: the status answer's (and the
    /// notification's) must be equal. The clients set it from their
    /// configuration when you leave it out.
    pub merchant_id: Option<String>,
}

impl ExpectedOperation {
    /// A record of `operation_number` for `amount`.
    pub fn new(operation_number: impl Into<String>, amount: Money) -> Self {
        Self {
            operation_number: operation_number.into(),
            amount,
            merchant_id: None,
        }
    }

    /// Also requires this `payinMerchantID` in what Monnet reports.
    pub fn with_merchant_id(mut self, merchant_id: impl Into<String>) -> Self {
        self.merchant_id = Some(merchant_id.into());
        self
    }

    /// `payinMerchantOperationNumber` as created.
    pub fn operation_number(&self) -> &str {
        &self.operation_number
    }

    /// The amount and currency as created.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// Compares an operation number, amount text and currency text as
    /// Monnet reported them (`seen` says where) with this record: the same
    /// operation number and currency code, exactly, and an amount text that
    /// is a rendering of the record's amount in a form Monnet sends
    /// (`"1.00"`, `"1.0"` or `"1"` for PEN 1.00; never `"01.00"`).
    pub fn compare_reported(
        &self,
        operation_number: &str,
        amount_text: &str,
        currency_text: &str,
        seen: Seen,
    ) -> Result<(), NotConfirmed> {
        same_order(&self.operation_number, operation_number, seen)?;
        let currency = self.amount.currency();
        if currency_text != currency.as_str() {
            return Err(NotConfirmed::CurrencyDiffers {
                expected: currency.as_str().to_owned(),
                found: currency_text.to_owned(),
                seen,
            });
        }
        if renders(amount_text, self.amount) {
            return Ok(());
        }
        Err(match parse_wire_amount(amount_text, currency) {
            Some(_) => NotConfirmed::AmountDiffers {
                expected: self.amount.to_decimal_string(),
                found: amount_text.to_owned(),
                seen,
            },
            None => NotConfirmed::AmountMalformed {
                found: amount_text.to_owned(),
                seen,
            },
        })
    }

    /// Compares a verified notification with this record before any status
    /// call: its merchant id is the record's (when set) and its hash-bound
    /// operation number, amount and currency are the record's. Passing
    /// proves nothing about the state (the hash does not cover it); failing
    /// means the notification is not about this order as recorded (a
    /// boundary-shifted or foreign notification).
    pub fn check_notification(&self, event: &VerifiedNotification) -> Result<(), NotConfirmed> {
        let bound = event.authenticated();
        if let Some(ours) = &self.merchant_id {
            same_merchant(ours, bound.merchant_id(), Seen::Event)?;
        }
        self.compare_reported(
            bound.operation_number(),
            bound.amount_text(),
            bound.currency(),
            Seen::Event,
        )
    }

    /// Confirms the operation from a status-query answer: the answer is for
    /// the record's merchant (when set), lists this operation number, in
    /// an authorized or settled state, for the record's amount and
    /// currency. Usable from polling as it is; for a notification, use
    /// [`confirm_event`](Self::confirm_event).
    pub fn confirm(&self, answer: &StatusResponse) -> Result<ConfirmedOperation, NotConfirmed> {
        observed(MONNET, &self.operation_number, self.confirm_answer(answer))
    }

    fn confirm_answer(&self, answer: &StatusResponse) -> Result<ConfirmedOperation, NotConfirmed> {
        if let Some(ours) = &self.merchant_id {
            same_merchant(ours, &answer.merchant_id, Seen::Gateway)?;
        }
        let op: &StatusOperation = answer
            .operations
            .iter()
            .find(|op| op.merchant_operation_number == self.operation_number)
            .ok_or(NotConfirmed::UnknownOrder)?;
        let state_text = || {
            format!(
                "{} ({})",
                op.state.id(),
                op.state_text.as_deref().unwrap_or("-")
            )
        };
        // A state the docs do not list is not a verdict: keep asking.
        if matches!(
            op.state,
            PayinState::Created | PayinState::Pending | PayinState::Unknown { .. }
        ) {
            return Err(NotConfirmed::StillPending {
                status: state_text(),
            });
        }
        if !op.state.is_paid() {
            return Err(NotConfirmed::NotPaid {
                status: state_text(),
            });
        }
        self.compare_reported(
            &op.merchant_operation_number,
            &op.amount_text,
            &op.currency,
            Seen::Gateway,
        )?;
        Ok(ConfirmedOperation {
            operation_number: op.merchant_operation_number.clone(),
            amount: self.amount,
            state: op.state.clone(),
            payin_id: op.payin_id.clone(),
        })
    }

    /// Confirms the operation a verified notification reports:
    /// [`check_notification`](Self::check_notification), then
    /// [`confirm`](Self::confirm) on the status answer.
    pub fn confirm_event(
        &self,
        event: &VerifiedNotification,
        answer: &StatusResponse,
    ) -> Result<ConfirmedOperation, NotConfirmed> {
        let verdict = self
            .check_notification(event)
            .and_then(|()| self.confirm_answer(answer));
        observed(MONNET, &self.operation_number, verdict)
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
    pub amount: Money,
    /// The state (authorized or settled).
    pub state: PayinState,
    /// Monnet's `payinID`, when given.
    pub payin_id: Option<String>,
}

// The record comparisons of Monnet's own types are defined here, beside the
// record, so that `monnet` does not depend on `confirm` (which reads it).

impl Authenticated {
    /// Compares the bound operation number, amount and currency with your
    /// record of the order. A boundary-shifted forgery fails here when it
    /// names an order you hold for another amount (`"ORD-7"`+`"71.00"` is
    /// not your `ORD-77` of 1.00) — but not when the shifted pair matches
    /// another record of yours (a genuine `ORD1`/`150.00` relabelled
    /// `ORD11`/`50.00`, and you hold `ORD11` for 50.00). The hash alone is
    /// not a confirmation: confirm by the status call (the clients'
    /// `confirm_*` do).
    pub fn compare_with_record(&self, record: &ExpectedOperation) -> Result<(), NotConfirmed> {
        record.compare_reported(
            self.operation_number(),
            self.amount_text(),
            self.currency(),
            Seen::Event,
        )
    }
}

impl StatusOperation {
    /// Compares operation number, amount and currency with your record of
    /// the order.
    pub fn compare_with_record(&self, record: &ExpectedOperation) -> Result<(), NotConfirmed> {
        record.compare_reported(
            &self.merchant_operation_number,
            &self.amount_text,
            &self.currency,
            Seen::Gateway,
        )
    }
}
