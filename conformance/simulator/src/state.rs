//! What the simulator remembers: accepted SmilePayz orders and Monnet
//! operations, indexed by merchant and reference, up to a cap per gateway
//! ([`SimulatorConfig::with_max_orders`](super::SimulatorConfig::with_max_orders)):
//! beyond it the oldest final order is evicted (the oldest order when none
//! is final). Besides what the gateways answer, each order keeps what its
//! hosted page needs (return URLs, the card's last four digits) and the
//! delivery attempts made for it.

use std::collections::{BTreeMap, HashMap, VecDeque};

use pasarela_core::smilepayz::{TransactionStatus, format_timestamp};
use serde::Serialize;
use time::OffsetDateTime;

use super::delivery::{DeliveryReport, Gateway};

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
    /// Every attempt, in order (none when it was refused or not attempted).
    pub attempt_log: Vec<AttemptRecord>,
}

/// One attempt of a delivery: when, where, what came back, how long it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptRecord {
    /// When it started, by the simulator's clock, as an `X-TIMESTAMP`.
    pub at: String,
    /// Where it went.
    pub url: String,
    /// The merchant's HTTP status, when one came back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Whether it acknowledged the delivery.
    pub acknowledged: bool,
    /// Wall-clock time the attempt took, in milliseconds.
    pub latency_ms: u64,
    /// Why it failed, when it failed without an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Deliveries kept per order; older ones are dropped first.
pub(crate) const MAX_DELIVERIES_PER_ORDER: usize = 50;
/// Attempts kept per delivery: the last ones (the count in the report
/// stays the number made).
pub(crate) const MAX_ATTEMPTS_KEPT: usize = 10;
/// Longest error text kept per delivery or attempt, in characters.
pub(crate) const MAX_ERROR_CHARS: usize = 300;

fn cut(text: &mut String) {
    if let Some((at, _)) = text.char_indices().nth(MAX_ERROR_CHARS) {
        text.truncate(at);
        text.push('…');
    }
}

impl DeliveryRecord {
    /// The record as kept: its last [`MAX_ATTEMPTS_KEPT`] attempts, error
    /// texts cut to [`MAX_ERROR_CHARS`].
    fn bounded(mut self) -> Self {
        if self.attempt_log.len() > MAX_ATTEMPTS_KEPT {
            let excess = self.attempt_log.len() - MAX_ATTEMPTS_KEPT;
            self.attempt_log.drain(..excess);
        }
        if let Some(e) = &mut self.report.last_error {
            cut(e);
        }
        for attempt in &mut self.attempt_log {
            if let Some(e) = &mut attempt.error {
                cut(e);
            }
        }
        self
    }
}

/// A SmilePayz amount as the simulator keeps it: `{"amount", "currency"}`,
/// the amount in céntimos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderMoney {
    /// Céntimos.
    pub amount: u64,
    /// Currency code (`PEN`).
    pub currency: String,
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
    pub money: OrderMoney,
    /// Payment method code.
    pub payment_method: String,
    /// Purpose.
    pub purpose: String,
    /// Payer as received (unset fields left out), when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer: Option<serde_json::Value>,
    /// Where callbacks go, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// The payment page.
    pub payment_url: String,
    /// Current status.
    pub status: TransactionStatus,
    /// Why it failed (`DECLINED`), when it was declined.
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
    /// Marks the order `EXPIRED` (a documented final status) when `now` is
    /// past its expiry and it is still processing.
    pub(crate) fn refresh(&mut self, now: OffsetDateTime) {
        if self.status == TransactionStatus::Processing && now > self.expiry {
            self.status = TransactionStatus::Expired;
            self.remark = None;
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

/// What an order's hosted page needs beyond the gateway's own record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PageInfo {
    /// SmilePayz `redirectUrl`.
    pub(crate) redirect_url: Option<String>,
    /// Monnet `payinTransactionOKURL`.
    pub(crate) ok_url: Option<String>,
    /// Monnet `payinTransactionErrorURL`.
    pub(crate) error_url: Option<String>,
    /// The last four digits of the card, never more.
    pub(crate) card_last_four: Option<String>,
    /// The decline reason (`codeErrorTrx`) given when the operation was denied.
    pub(crate) decline_code: Option<String>,
    /// Set by the first action on the hosted page: later clicks only show
    /// the outcome.
    pub(crate) acted: Option<String>,
}

/// One kept order with its page data.
#[derive(Debug, Clone)]
pub(crate) struct Kept<T> {
    pub(crate) item: T,
    pub(crate) page: PageInfo,
    /// The ids of `item`'s delivery records, in the same order.
    delivery_ids: VecDeque<u64>,
}

/// Orders of one gateway: insertion order, two indexes, a cap.
#[derive(Debug)]
pub(crate) struct Book<T> {
    items: BTreeMap<u64, Kept<T>>,
    by_key: HashMap<(String, String), u64>,
    by_ref: HashMap<String, u64>,
    next: u64,
    evicted: u64,
}

impl<T> Default for Book<T> {
    fn default() -> Self {
        Self {
            items: BTreeMap::new(),
            by_key: HashMap::new(),
            by_ref: HashMap::new(),
            next: 0,
            evicted: 0,
        }
    }
}

/// How a [`Book`] reads its items' keys and finality.
pub(crate) trait Keyed {
    /// (merchant, merchant's reference).
    fn key(&self) -> (String, String);
    /// The simulator's own reference (`tradeNo`, `payinID`).
    fn reference(&self) -> String;
    /// Whether it reached a final state.
    fn is_final(&self) -> bool;
    /// Brings time-dependent state up to `now`.
    fn refresh_to(&mut self, now: OffsetDateTime);
    /// Its delivery records.
    fn deliveries_mut(&mut self) -> &mut Vec<DeliveryRecord>;
}

impl Keyed for SmilePayzOrder {
    fn key(&self) -> (String, String) {
        (self.partner_id.clone(), self.order_no.clone())
    }
    fn reference(&self) -> String {
        self.trade_no.clone()
    }
    fn is_final(&self) -> bool {
        self.status.is_final()
    }
    fn refresh_to(&mut self, now: OffsetDateTime) {
        self.refresh(now);
    }
    fn deliveries_mut(&mut self) -> &mut Vec<DeliveryRecord> {
        &mut self.deliveries
    }
}

impl Keyed for MonnetOperation {
    fn key(&self) -> (String, String) {
        (self.merchant_id.clone(), self.operation_number.clone())
    }
    fn reference(&self) -> String {
        self.payin_id.clone()
    }
    fn is_final(&self) -> bool {
        !matches!(self.state_id, 1 | 2)
    }
    fn refresh_to(&mut self, now: OffsetDateTime) {
        self.refresh(now);
    }
    fn deliveries_mut(&mut self) -> &mut Vec<DeliveryRecord> {
        &mut self.deliveries
    }
}

impl<T: Keyed> Book<T> {
    fn contains(&self, merchant: &str, reference: &str) -> bool {
        self.by_key
            .contains_key(&(merchant.to_owned(), reference.to_owned()))
    }

    /// Keeps `item`, evicting to stay within `max`: `None` on a duplicate,
    /// else how many delivery records the evicted orders took with them.
    fn insert(&mut self, item: T, max: usize) -> Option<usize> {
        let key = item.key();
        if self.by_key.contains_key(&key) {
            return None;
        }
        let mut dropped = 0;
        while self.items.len() >= max.max(1) {
            let victim = self
                .items
                .iter()
                .find(|(_, k)| k.item.is_final())
                .or_else(|| self.items.iter().next())
                .map(|(seq, _)| *seq);
            let Some(seq) = victim else { break };
            if let Some(gone) = self.items.remove(&seq) {
                self.by_key.remove(&gone.item.key());
                self.by_ref.remove(&gone.item.reference());
                self.evicted = self.evicted.saturating_add(1);
                dropped += gone.delivery_ids.len();
            }
        }
        let seq = self.next;
        self.next = self.next.wrapping_add(1);
        self.by_ref.insert(item.reference(), seq);
        self.by_key.insert(key, seq);
        self.items.insert(
            seq,
            Kept {
                item,
                page: PageInfo::default(),
                delivery_ids: VecDeque::new(),
            },
        );
        Some(dropped)
    }

    /// Adds delivery record `id` to an order, dropping its oldest beyond
    /// [`MAX_DELIVERIES_PER_ORDER`]: the order's sequence number and how
    /// many were dropped, or `None` when the order is gone.
    fn push_delivery(
        &mut self,
        merchant: &str,
        reference: &str,
        id: u64,
        record: DeliveryRecord,
    ) -> Option<(u64, usize)> {
        let seq = *self
            .by_key
            .get(&(merchant.to_owned(), reference.to_owned()))?;
        let kept = self.items.get_mut(&seq)?;
        let deliveries = kept.item.deliveries_mut();
        deliveries.push(record);
        kept.delivery_ids.push_back(id);
        let mut dropped = 0;
        while kept.delivery_ids.len() > MAX_DELIVERIES_PER_ORDER {
            kept.delivery_ids.pop_front();
            kept.item.deliveries_mut().remove(0);
            dropped += 1;
        }
        Some((seq, dropped))
    }

    /// Drops delivery record `id` of order `seq` if it is that order's
    /// oldest; whether it did.
    fn drop_oldest_delivery(&mut self, seq: u64, id: u64) -> bool {
        let Some(kept) = self.items.get_mut(&seq) else {
            return false;
        };
        if kept.delivery_ids.front() != Some(&id) {
            return false;
        }
        kept.delivery_ids.pop_front();
        let deliveries = kept.item.deliveries_mut();
        if !deliveries.is_empty() {
            deliveries.remove(0);
        }
        true
    }

    /// Whether order `seq` still keeps delivery record `id`.
    fn keeps_delivery(&self, seq: u64, id: u64) -> bool {
        self.items
            .get(&seq)
            .is_some_and(|k| k.delivery_ids.contains(&id))
    }

    fn by_key_mut(&mut self, merchant: &str, reference: &str) -> Option<&mut Kept<T>> {
        let seq = *self
            .by_key
            .get(&(merchant.to_owned(), reference.to_owned()))?;
        self.items.get_mut(&seq)
    }

    fn by_ref_mut(&mut self, reference: &str) -> Option<&mut Kept<T>> {
        let seq = *self.by_ref.get(reference)?;
        self.items.get_mut(&seq)
    }

    fn refreshed(&mut self, now: OffsetDateTime) -> Orders<'_, T> {
        for kept in self.items.values_mut() {
            kept.item.refresh_to(now);
        }
        Orders(&self.items)
    }
}

/// A read-only view of one gateway's kept orders, oldest first.
pub(crate) struct Orders<'a, T>(&'a BTreeMap<u64, Kept<T>>);

impl<'a, T: Clone> Orders<'a, T> {
    /// The orders, oldest first.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &'a T> + 'a {
        self.0.values().map(|k| &k.item)
    }

    /// The orders with their page data, oldest first.
    pub(crate) fn kept(&self) -> impl DoubleEndedIterator<Item = &'a Kept<T>> + 'a {
        self.0.values()
    }

    /// How many.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Copies of every order, oldest first.
    pub(crate) fn to_vec(&self) -> Vec<T> {
        self.iter().cloned().collect()
    }
}

/// The state behind the simulator's mutex.
#[derive(Debug)]
pub(crate) struct State {
    smilepayz: Book<SmilePayzOrder>,
    monnet: Book<MonnetOperation>,
    max_orders: usize,
    sequence: u64,
    /// Every kept delivery record, oldest first: (gateway, order, id).
    /// Entries of records dropped otherwise (per-order cap, eviction) stay
    /// until they reach the front or the queue is compacted.
    delivery_queue: VecDeque<(Gateway, u64, u64)>,
    deliveries_kept: usize,
    max_deliveries: usize,
    next_delivery: u64,
}

impl Default for State {
    fn default() -> Self {
        Self::new(
            super::config::DEFAULT_MAX_ORDERS,
            super::config::DEFAULT_MAX_DELIVERIES,
        )
    }
}

impl State {
    /// Empty, keeping at most `max_orders` per gateway and
    /// `max_deliveries` delivery records in all.
    pub(crate) fn new(max_orders: usize, max_deliveries: usize) -> Self {
        Self {
            smilepayz: Book::default(),
            monnet: Book::default(),
            max_orders: max_orders.max(1),
            sequence: 0,
            delivery_queue: VecDeque::new(),
            deliveries_kept: 0,
            max_deliveries: max_deliveries.max(1),
            next_delivery: 0,
        }
    }

    /// How many delivery records are kept, all orders together.
    pub(crate) fn deliveries_kept(&self) -> usize {
        self.deliveries_kept
    }

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

    /// Whether this merchant used this order number (among kept orders).
    pub(crate) fn has_smilepayz_order(&self, partner: &str, order_no: &str) -> bool {
        self.smilepayz.contains(partner, order_no)
    }

    /// Keeps an order, evicting beyond the cap. Returns `false` (and keeps
    /// nothing) on a duplicate.
    pub(crate) fn insert_smilepayz(&mut self, order: SmilePayzOrder) -> bool {
        let inserted = self.smilepayz.insert(order, self.max_orders);
        self.forget_deliveries(inserted)
    }

    /// Accounts for the delivery records evicted orders took with them.
    fn forget_deliveries(&mut self, inserted: Option<usize>) -> bool {
        match inserted {
            Some(dropped) => {
                self.deliveries_kept = self.deliveries_kept.saturating_sub(dropped);
                true
            }
            None => false,
        }
    }

    /// The order of `partner` with this order number.
    pub(crate) fn smilepayz_by_order(
        &mut self,
        partner: &str,
        order_no: &str,
    ) -> Option<&mut SmilePayzOrder> {
        self.smilepayz
            .by_key_mut(partner, order_no)
            .map(|k| &mut k.item)
    }

    /// The order of `partner` with this trade number.
    pub(crate) fn smilepayz_by_trade(
        &mut self,
        partner: &str,
        trade_no: &str,
    ) -> Option<&mut SmilePayzOrder> {
        self.smilepayz
            .by_ref_mut(trade_no)
            .map(|k| &mut k.item)
            .filter(|o| o.partner_id == partner)
    }

    /// The order with this trade number and its page data, any merchant.
    pub(crate) fn smilepayz_kept(&mut self, trade_no: &str) -> Option<&mut Kept<SmilePayzOrder>> {
        self.smilepayz.by_ref_mut(trade_no)
    }

    /// The order of `partner` with this order number, with its page data.
    pub(crate) fn smilepayz_kept_by_order(
        &mut self,
        partner: &str,
        order_no: &str,
    ) -> Option<&mut Kept<SmilePayzOrder>> {
        self.smilepayz.by_key_mut(partner, order_no)
    }

    /// Every kept SmilePayz order, oldest first, refreshed to `now`.
    pub(crate) fn smilepayz_orders(&mut self, now: OffsetDateTime) -> Orders<'_, SmilePayzOrder> {
        self.smilepayz.refreshed(now)
    }

    /// Keeps an operation, evicting beyond the cap. Returns `false` (and
    /// keeps nothing) on a duplicate.
    pub(crate) fn insert_monnet(&mut self, operation: MonnetOperation) -> bool {
        let inserted = self.monnet.insert(operation, self.max_orders);
        self.forget_deliveries(inserted)
    }

    /// Whether this merchant used this operation number (among kept ones).
    pub(crate) fn has_monnet_operation(&self, merchant: &str, operation: &str) -> bool {
        self.monnet.contains(merchant, operation)
    }

    /// The operation of `merchant` with this number.
    pub(crate) fn monnet_by_operation(
        &mut self,
        merchant: &str,
        operation: &str,
    ) -> Option<&mut MonnetOperation> {
        self.monnet
            .by_key_mut(merchant, operation)
            .map(|k| &mut k.item)
    }

    /// The operation with this `payinID`.
    pub(crate) fn monnet_by_payin_id(&mut self, payin_id: &str) -> Option<&mut MonnetOperation> {
        self.monnet.by_ref_mut(payin_id).map(|k| &mut k.item)
    }

    /// The operation with this `payinID` and its page data.
    pub(crate) fn monnet_kept(&mut self, payin_id: &str) -> Option<&mut Kept<MonnetOperation>> {
        self.monnet.by_ref_mut(payin_id)
    }

    /// The operation of `merchant` with this number, with its page data.
    pub(crate) fn monnet_kept_by_operation(
        &mut self,
        merchant: &str,
        operation: &str,
    ) -> Option<&mut Kept<MonnetOperation>> {
        self.monnet.by_key_mut(merchant, operation)
    }

    /// Every kept Monnet operation, oldest first, refreshed to `now`.
    pub(crate) fn monnet_operations(&mut self, now: OffsetDateTime) -> Orders<'_, MonnetOperation> {
        self.monnet.refreshed(now)
    }

    /// How many orders the cap evicted so far: (SmilePayz, Monnet).
    pub(crate) fn evicted(&self) -> (u64, u64) {
        (self.smilepayz.evicted, self.monnet.evicted)
    }

    /// The cap per gateway.
    pub(crate) fn max_orders(&self) -> usize {
        self.max_orders
    }

    /// Records a finished delivery on the order or operation it was for
    /// (nothing when it was evicted meanwhile), bounded
    /// ([`DeliveryRecord::bounded`]); beyond the cap on records kept in all,
    /// the oldest record of any order is dropped.
    pub(crate) fn record_delivery(
        &mut self,
        gateway: Gateway,
        merchant: &str,
        reference: &str,
        record: DeliveryRecord,
    ) {
        let id = self.next_delivery;
        self.next_delivery = self.next_delivery.wrapping_add(1);
        let record = record.bounded();
        let pushed = match gateway {
            Gateway::SmilePayz => self
                .smilepayz
                .push_delivery(merchant, reference, id, record),
            Gateway::Monnet => self.monnet.push_delivery(merchant, reference, id, record),
        };
        let Some((seq, dropped)) = pushed else { return };
        self.deliveries_kept = (self.deliveries_kept + 1).saturating_sub(dropped);
        self.delivery_queue.push_back((gateway, seq, id));
        while self.deliveries_kept > self.max_deliveries {
            let Some((gateway, seq, id)) = self.delivery_queue.pop_front() else {
                break;
            };
            let dropped = match gateway {
                Gateway::SmilePayz => self.smilepayz.drop_oldest_delivery(seq, id),
                Gateway::Monnet => self.monnet.drop_oldest_delivery(seq, id),
            };
            if dropped {
                self.deliveries_kept -= 1;
            }
        }
        if self.delivery_queue.len() > 2 * self.max_deliveries + 64 {
            let (smilepayz, monnet) = (&self.smilepayz, &self.monnet);
            self.delivery_queue
                .retain(|(gateway, seq, id)| match gateway {
                    Gateway::SmilePayz => smilepayz.keeps_delivery(*seq, *id),
                    Gateway::Monnet => monnet.keeps_delivery(*seq, *id),
                });
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

    fn operation(number: &str, state_id: u32) -> MonnetOperation {
        let now = datetime!(2025-04-21 08:42:47 UTC);
        MonnetOperation {
            merchant_id: "4001".into(),
            operation_number: number.into(),
            payin_id: format!("p{number}"),
            amount: "1.00".into(),
            currency: "PEN".into(),
            method: "TCTD".into(),
            state_id,
            url: String::new(),
            created_at: String::new(),
            deliveries: Vec::new(),
            expiry: now,
            created_on: now.date(),
        }
    }

    #[test]
    fn the_cap_evicts_the_oldest_final_order_first() {
        let mut state = State::new(3, 100);
        assert!(state.insert_monnet(operation("A", 1)));
        assert!(state.insert_monnet(operation("B", 5)));
        assert!(state.insert_monnet(operation("C", 6)));
        assert!(!state.insert_monnet(operation("A", 1)), "duplicate");
        assert!(state.insert_monnet(operation("D", 1)));
        // B was the oldest final one; A (pending) stays.
        assert!(!state.has_monnet_operation("4001", "B"));
        assert!(state.monnet_by_payin_id("pB").is_none());
        assert!(state.has_monnet_operation("4001", "A"));
        assert!(state.insert_monnet(operation("E", 1)));
        assert!(!state.has_monnet_operation("4001", "C"));
        // Nothing final left: the oldest goes.
        assert!(state.insert_monnet(operation("F", 1)));
        assert!(!state.has_monnet_operation("4001", "A"));
        let now = datetime!(2025-04-21 08:40:00 UTC);
        let kept: Vec<_> = state
            .monnet_operations(now)
            .iter()
            .map(|o| o.operation_number.clone())
            .collect();
        assert_eq!(kept, ["D", "E", "F"]);
        assert_eq!(state.evicted(), (0, 3));
        // An evicted number can be used again.
        assert!(state.insert_monnet(operation("B", 1)));
    }

    fn record(url: &str, attempts: usize) -> DeliveryRecord {
        DeliveryRecord {
            status: "5".into(),
            url: url.into(),
            report: DeliveryReport {
                delivered: false,
                attempts: u32::try_from(attempts).unwrap(),
                last_error: Some("e".repeat(5_000)),
            },
            attempt_log: (0..attempts)
                .map(|i| AttemptRecord {
                    at: i.to_string(),
                    url: url.into(),
                    http_status: None,
                    acknowledged: false,
                    latency_ms: 0,
                    error: Some("x".repeat(5_000)),
                })
                .collect(),
        }
    }

    #[test]
    fn delivery_records_are_bounded_per_order_and_in_all() {
        let mut state = State::new(10, 120);
        for n in ["A", "B", "C"] {
            assert!(state.insert_monnet(operation(n, 1)));
        }
        for i in 0..60 {
            state.record_delivery(Gateway::Monnet, "4001", "A", record(&format!("a{i}"), 30));
        }
        let now = datetime!(2025-04-21 08:40:00 UTC);
        let a = &state.monnet_operations(now).to_vec()[0];
        assert_eq!(a.deliveries.len(), MAX_DELIVERIES_PER_ORDER);
        assert_eq!(a.deliveries[0].url, "a10", "the oldest go first");
        let kept = &a.deliveries[49];
        assert_eq!(kept.attempt_log.len(), MAX_ATTEMPTS_KEPT);
        assert_eq!(kept.attempt_log[0].at, "20", "the last attempts are kept");
        assert_eq!(kept.report.attempts, 30);
        let error = kept.attempt_log[0].error.as_ref().unwrap();
        assert_eq!(error.chars().count(), MAX_ERROR_CHARS + 1);
        assert_eq!(state.deliveries_kept(), 50);
        for i in 0..100 {
            let op = if i % 2 == 0 { "B" } else { "C" };
            state.record_delivery(Gateway::Monnet, "4001", op, record(&format!("{op}{i}"), 1));
        }
        assert_eq!(state.deliveries_kept(), 120, "the cap in all");
        let ops = state.monnet_operations(now).to_vec();
        let total: usize = ops.iter().map(|o| o.deliveries.len()).sum();
        assert_eq!(total, 120);
        assert_eq!(ops[0].deliveries.len(), 20, "the oldest records went first");
        // An evicted order takes its records with it.
        let mut state = State::new(1, 120);
        assert!(state.insert_monnet(operation("A", 5)));
        state.record_delivery(Gateway::Monnet, "4001", "A", record("a", 1));
        assert!(state.insert_monnet(operation("B", 1)));
        assert_eq!(state.deliveries_kept(), 0);
        for _ in 0..1_000 {
            state.record_delivery(Gateway::Monnet, "4001", "B", record("b", 1));
        }
        assert_eq!(state.deliveries_kept(), 50);
        assert!(
            state.delivery_queue.len() <= 2 * 120 + 64,
            "the queue is compacted"
        );
    }
}
