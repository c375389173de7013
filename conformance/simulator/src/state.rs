//! What the simulator remembers: accepted SmilePayz orders and Monnet
//! operations, indexed by merchant and reference. Nothing is ever removed,
//! so an accepted order is never lost.

use std::collections::HashMap;

use pasarela_core::smilepayz::{TransactionStatus, format_timestamp};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::delivery::DeliveryReport;

/// One delivery of a callback or notification, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRecord {
    /// The status announced.
    pub status: String,
    /// Where it went.
    pub url: String,
    /// How it went.
    #[serde(flatten)]
    pub report: DeliveryReport,
}

/// A SmilePayz `money` object as the simulator keeps it: integer céntimos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Amount in céntimos.
    pub amount: u64,
    /// Currency code.
    pub currency: String,
}

/// A SmilePayz `payer` object as received (`identity` or `idNumber`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payer {
    /// Document type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_type: Option<String>,
    /// Document number.
    #[serde(default, alias = "idNumber", skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// An accepted SmilePayz pay-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SmilePayzOrder {
    /// The merchant (`X-PARTNER-ID`) it belongs to.
    pub partner_id: String,
    /// `merchant.merchantId` of the body.
    pub merchant_id: String,
    /// `merchant.merchantName` of the body, or the simulator's name for the merchant.
    pub merchant_name: String,
    /// The merchant's order number.
    pub order_no: String,
    /// The simulator's transaction number.
    pub trade_no: String,
    /// Amount and currency.
    pub money: Money,
    /// Payment method code.
    pub payment_method: String,
    /// Purpose.
    pub purpose: String,
    /// Payer, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer>,
    /// Where callbacks go, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// The payment page.
    pub payment_url: String,
    /// Current status.
    pub status: TransactionStatus,
    /// Why it failed (`DECLINED`, `EXPIRED`), when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// When it was created, as an `X-TIMESTAMP`.
    pub transaction_time: String,
    /// When it expires unless settled, as an `X-TIMESTAMP`.
    pub expires_at: String,
    /// Callback deliveries, in order.
    pub deliveries: Vec<DeliveryRecord>,
    #[serde(skip)]
    pub(crate) expiry: OffsetDateTime,
}

impl SmilePayzOrder {
    /// Marks the order expired when `now` is past its expiry and it is
    /// still processing.
    pub(crate) fn refresh(&mut self, now: OffsetDateTime) {
        if self.status == TransactionStatus::Processing && now > self.expiry {
            self.status = TransactionStatus::Failed;
            self.remark = Some("EXPIRED".to_owned());
        }
    }
}

/// An accepted Monnet operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonnetOperation {
    /// `payinMerchantID`.
    pub merchant_id: String,
    /// `payinMerchantOperationNumber`.
    pub operation_number: String,
    /// The simulator's `payinID`.
    pub payin_id: String,
    /// `payinAmount`, exactly as sent.
    pub amount: String,
    /// `payinCurrency`.
    pub currency: String,
    /// `payinMethod`.
    pub method: String,
    /// Current state id: 1 created, 2 pending (the shopper opened the
    /// payment page), 3 expired, 5 authorized, 6 denied, 9 settled,
    /// 10 refunded, 11 returned, or whatever the control API set.
    pub state_id: u32,
    /// The shopper's payment page.
    pub url: String,
    /// When it was created, as an `X-TIMESTAMP`-style text.
    pub created_at: String,
    /// Notification deliveries, in order.
    pub deliveries: Vec<DeliveryRecord>,
    #[serde(skip)]
    pub(crate) expiry: OffsetDateTime,
    /// The Peru date it was created on (for date-range status queries).
    #[serde(skip)]
    pub(crate) created_on: time::Date,
}

impl MonnetOperation {
    /// Marks the operation expired (state 3) when `now` is past its expiry
    /// and it is still created or pending.
    pub(crate) fn refresh(&mut self, now: OffsetDateTime) {
        if matches!(self.state_id, 1 | 2) && now > self.expiry {
            self.state_id = 3;
        }
    }
}

/// The state behind the simulator's mutex.
#[derive(Debug, Default)]
pub(crate) struct State {
    smilepayz: Vec<SmilePayzOrder>,
    smilepayz_by_order: HashMap<(String, String), usize>,
    smilepayz_by_trade: HashMap<String, usize>,
    monnet: Vec<MonnetOperation>,
    monnet_by_operation: HashMap<(String, String), usize>,
    sequence: u64,
}

impl State {
    /// A fresh, never repeated number.
    pub(crate) fn next_sequence(&mut self) -> u64 {
        self.sequence = self.sequence.wrapping_add(1);
        self.sequence
    }

    /// A new SmilePayz `tradeNo`: `1`, Peru time `yyMMddHHmmss`, an
    /// 8-digit sequence (21 digits, within the 32 the inquiry allows).
    pub(crate) fn next_trade_no(&mut self, now: OffsetDateTime) -> String {
        let stamp: String = format_timestamp(now)
            .chars()
            .skip(2)
            .take(17)
            .filter(char::is_ascii_digit)
            .collect();
        let seq = self.next_sequence() % 100_000_000;
        format!("1{stamp}{seq:08}")
    }

    /// Whether this merchant used this order number.
    pub(crate) fn has_smilepayz_order(&self, partner: &str, order_no: &str) -> bool {
        self.smilepayz_by_order
            .contains_key(&(partner.to_owned(), order_no.to_owned()))
    }

    /// Keeps an order. Returns `false` (and keeps nothing) on a duplicate.
    pub(crate) fn insert_smilepayz(&mut self, order: SmilePayzOrder) -> bool {
        let key = (order.partner_id.clone(), order.order_no.clone());
        if self.smilepayz_by_order.contains_key(&key) {
            return false;
        }
        let index = self.smilepayz.len();
        self.smilepayz_by_trade
            .insert(order.trade_no.clone(), index);
        self.smilepayz_by_order.insert(key, index);
        self.smilepayz.push(order);
        true
    }

    /// The order of `partner` with this order number.
    pub(crate) fn smilepayz_by_order(
        &mut self,
        partner: &str,
        order_no: &str,
    ) -> Option<&mut SmilePayzOrder> {
        let index = *self
            .smilepayz_by_order
            .get(&(partner.to_owned(), order_no.to_owned()))?;
        self.smilepayz.get_mut(index)
    }

    /// The order of `partner` with this trade number.
    pub(crate) fn smilepayz_by_trade(
        &mut self,
        partner: &str,
        trade_no: &str,
    ) -> Option<&mut SmilePayzOrder> {
        let index = *self.smilepayz_by_trade.get(trade_no)?;
        self.smilepayz
            .get_mut(index)
            .filter(|o| o.partner_id == partner)
    }

    /// Every SmilePayz order, oldest first, refreshed to `now`.
    pub(crate) fn smilepayz_orders(&mut self, now: OffsetDateTime) -> &[SmilePayzOrder] {
        for order in &mut self.smilepayz {
            order.refresh(now);
        }
        &self.smilepayz
    }

    /// Keeps an operation. Returns `false` (and keeps nothing) on a duplicate.
    pub(crate) fn insert_monnet(&mut self, operation: MonnetOperation) -> bool {
        let key = (
            operation.merchant_id.clone(),
            operation.operation_number.clone(),
        );
        if self.monnet_by_operation.contains_key(&key) {
            return false;
        }
        self.monnet_by_operation.insert(key, self.monnet.len());
        self.monnet.push(operation);
        true
    }

    /// Whether this merchant used this operation number.
    pub(crate) fn has_monnet_operation(&self, merchant: &str, operation: &str) -> bool {
        self.monnet_by_operation
            .contains_key(&(merchant.to_owned(), operation.to_owned()))
    }

    /// The operation of `merchant` with this number.
    pub(crate) fn monnet_by_operation(
        &mut self,
        merchant: &str,
        operation: &str,
    ) -> Option<&mut MonnetOperation> {
        let index = *self
            .monnet_by_operation
            .get(&(merchant.to_owned(), operation.to_owned()))?;
        self.monnet.get_mut(index)
    }

    /// The operation with this `payinID`.
    pub(crate) fn monnet_by_payin_id(&mut self, payin_id: &str) -> Option<&mut MonnetOperation> {
        self.monnet.iter_mut().find(|op| op.payin_id == payin_id)
    }

    /// Every Monnet operation, oldest first, refreshed to `now`.
    pub(crate) fn monnet_operations(&mut self, now: OffsetDateTime) -> &mut [MonnetOperation] {
        for op in &mut self.monnet {
            op.refresh(now);
        }
        &mut self.monnet
    }

    /// Records a finished delivery on the order or operation it was for.
    pub(crate) fn record_delivery(
        &mut self,
        gateway: super::delivery::Gateway,
        merchant: &str,
        reference: &str,
        record: DeliveryRecord,
    ) {
        match gateway {
            super::delivery::Gateway::SmilePayz => {
                if let Some(order) = self.smilepayz_by_order(merchant, reference) {
                    order.deliveries.push(record);
                }
            }
            super::delivery::Gateway::Monnet => {
                if let Some(op) = self.monnet_by_operation(merchant, reference) {
                    op.deliveries.push(record);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn trade_numbers_are_unique_digits() {
        let mut state = State::default();
        let now = datetime!(2025-04-21 08:42:47 UTC);
        let a = state.next_trade_no(now);
        let b = state.next_trade_no(now);
        assert_eq!(a, "1250421034247".to_owned() + "00000001");
        assert_ne!(a, b);
        assert_eq!(a.len(), 21);
    }
}
