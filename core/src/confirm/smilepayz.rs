//! SmilePayz: your record of a pay-in, compared with a callback's claims and
//! with the inquiry-status answer.

use super::{NotConfirmed, Seen, observed, same_merchant, same_order};
use crate::Money;
use crate::observe::SMILEPAYZ;
use crate::smilepayz::{InquiryStatusResponse, TransactionStatus, VerifiedCallback};

/// Your own record of a SmilePayz pay-in: what you asked to be paid.
///
/// The one SmilePayz record type: the clients' confirmation calls, the
/// pure comparisons here and `pasarela-ledger` all take it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpectedPayIn {
    /// Your order number (`orderNo`).
    pub order_no: String,
    /// The amount and currency you asked for.
    pub money: Money,
    /// The `merchant.merchantId` you sent, when you want a callback's
    /// `merchantId` checked against it. (The inquiry-status answer names no
    /// merchant: it answers the merchant whose credentials asked.)
    pub merchant_id: Option<String>,
    /// The gateway's `tradeNo` for this order, when the create answered
    /// one: a status answer about another transaction is then refused.
    pub trade_no: Option<String>,
}

impl ExpectedPayIn {
    /// A record of `order_no` for `money`.
    pub fn new(order_no: impl Into<String>, money: Money) -> Self {
        Self {
            order_no: order_no.into(),
            money,
            merchant_id: None,
            trade_no: None,
        }
    }

    /// Also checks a callback's `merchantId` against this one.
    pub fn with_merchant_id(mut self, merchant_id: impl Into<String>) -> Self {
        self.merchant_id = Some(merchant_id.into());
        self
    }

    /// The `tradeNo` the create answered: the status answer must be about
    /// it.
    pub fn with_trade_no(mut self, trade_no: impl Into<String>) -> Self {
        self.trade_no = Some(trade_no.into());
        self
    }

    /// Compares a verified callback's unsigned claims (order number,
    /// merchant id, amount and currency) with this record, before any
    /// status call. Passing proves nothing about payment: the claims are
    /// not signed. Failing means the callback is not about this order as
    /// recorded (tampered, misrouted, or not yours).
    pub fn check_callback(&self, event: &VerifiedCallback) -> Result<(), NotConfirmed> {
        let claims = event.claims();
        same_order(&self.order_no, &claims.order_no, Seen::Event)?;
        if let Some(ours) = &self.merchant_id {
            same_merchant(ours, &claims.merchant_id, Seen::Event)?;
        }
        compare_money(&self.money, &claims.money, Seen::Event)
    }

    /// Confirms the pay-in from an inquiry-status answer about
    /// [`order_no`](Self::order_no): the answer must be `SUCCESS`, for
    /// this record's amount and currency, about the record's `tradeNo`
    /// when it has one, and about this order when it echoes an `orderNo`
    /// (the field is optional in the answer; the query named the order).
    ///
    /// Usable from polling as it is; for a callback, use
    /// [`confirm_event`](Self::confirm_event), which also binds the
    /// callback's signed `tradeNo`.
    pub fn confirm(&self, answer: &InquiryStatusResponse) -> Result<ConfirmedPayIn, NotConfirmed> {
        let verdict = self.confirm_with_trade_no(answer, self.trade_no.as_deref());
        observed(SMILEPAYZ, &self.order_no, verdict)
    }

    /// Confirms the pay-in a verified callback reports: the callback's
    /// claims must match this record ([`check_callback`](Self::check_callback)),
    /// and the inquiry-status answer must be about the callback's signed
    /// `tradeNo` (and the record's, when it has one) and confirm as in
    /// [`confirm`](Self::confirm).
    pub fn confirm_event(
        &self,
        event: &VerifiedCallback,
        answer: &InquiryStatusResponse,
    ) -> Result<ConfirmedPayIn, NotConfirmed> {
        observed(
            SMILEPAYZ,
            &self.order_no,
            self.confirm_callback(event, answer),
        )
    }

    fn confirm_callback(
        &self,
        event: &VerifiedCallback,
        answer: &InquiryStatusResponse,
    ) -> Result<ConfirmedPayIn, NotConfirmed> {
        self.check_callback(event)?;
        let signed = event.authenticated().trade_no();
        if let Some(ours) = &self.trade_no
            && ours != signed
        {
            return Err(NotConfirmed::TransactionDiffers {
                expected: ours.clone(),
                gateway: Some(signed.to_owned()),
            });
        }
        self.confirm_with_trade_no(answer, Some(signed))
    }

    fn confirm_with_trade_no(
        &self,
        answer: &InquiryStatusResponse,
        trade_no: Option<&str>,
    ) -> Result<ConfirmedPayIn, NotConfirmed> {
        if let Some(expected) = trade_no
            && answer.trade_no.as_deref() != Some(expected)
        {
            return Err(NotConfirmed::TransactionDiffers {
                expected: expected.to_owned(),
                gateway: answer.trade_no.clone(),
            });
        }
        if let Some(order_no) = &answer.order_no {
            same_order(&self.order_no, order_no, Seen::Gateway)?;
        }
        let status = answer
            .status
            .as_ref()
            .ok_or(NotConfirmed::Incomplete("status"))?;
        match status {
            TransactionStatus::Success => {}
            TransactionStatus::Init | TransactionStatus::Processing => {
                return Err(NotConfirmed::StillPending {
                    status: status.as_str().to_owned(),
                });
            }
            // Final and unpaid (FAILED, EXPIRED, CANCELLED), and any status
            // the docs do not list: never "paid".
            other if other.is_final() => {
                return Err(NotConfirmed::NotPaid {
                    status: other.as_str().to_owned(),
                });
            }
            other => {
                return Err(NotConfirmed::StillPending {
                    status: other.as_str().to_owned(),
                });
            }
        }
        let money = answer
            .money
            .as_ref()
            .ok_or(NotConfirmed::Incomplete("money"))?;
        compare_money(&self.money, money, Seen::Gateway)?;
        let trade_no = answer
            .trade_no
            .clone()
            .ok_or(NotConfirmed::Incomplete("tradeNo"))?;
        Ok(ConfirmedPayIn {
            order_no: self.order_no.clone(),
            trade_no,
            money: *money,
        })
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

fn compare_money(expected: &Money, found: &Money, seen: Seen) -> Result<(), NotConfirmed> {
    if expected.currency() != found.currency() {
        return Err(NotConfirmed::CurrencyDiffers {
            expected: expected.currency().as_str().to_owned(),
            found: found.currency().as_str().to_owned(),
            seen,
        });
    }
    if expected.minor_units() != found.minor_units() {
        return Err(NotConfirmed::AmountDiffers {
            expected: expected.minor_units().to_string(),
            found: found.minor_units().to_string(),
            seen,
        });
    }
    Ok(())
}
