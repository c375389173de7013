//! The merchant's own books: orders as recorded at checkout, and every
//! verified webhook event recorded once under its identity.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde::Serialize;

/// Which gateway an order went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gateway {
    /// SmilePayz cash pay-in.
    Smilepayz,
    /// Monnet card pay-in.
    Monnet,
}

/// Where an order stands, as far as this merchant knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum OrderState {
    /// Created at the gateway; no confirmed payment yet.
    Pending,
    /// Confirmed by the gateway's status call against this record: safe to
    /// ship. Carries the gateway's reference (SmilePayz `tradeNo`, Monnet
    /// payin id when answered).
    Confirmed {
        /// The gateway's reference for the payment.
        gateway_reference: Option<String>,
    },
    /// A verified event for this order did not confirm (the reason, as the
    /// confirmation step named it). Not shipped; a later event may confirm.
    NotConfirmed {
        /// Why, in words.
        reason: String,
        /// True when asking again may confirm (still pending at the
        /// gateway, or the status call did not get through): a repeat of
        /// the event re-runs confirmation.
        retryable: bool,
    },
}

/// The merchant's record of one order, kept at checkout: what confirmation
/// compares the gateway's answer with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRecord {
    /// Our order number (SmilePayz `orderNo`, Monnet operation number).
    pub id: String,
    /// The gateway.
    pub gateway: Gateway,
    /// Amount in minor units (céntimos).
    pub amount_minor: u64,
    /// ISO currency code.
    pub currency: String,
    /// Where it stands.
    pub state: OrderState,
    /// Identities of the verified events recorded for this order.
    pub events: Vec<String>,
}

impl OrderRecord {
    /// True only once the confirmation step said so: safe to ship.
    pub fn is_confirmed(&self) -> bool {
        matches!(self.state, OrderState::Confirmed { .. })
    }

    /// True when a repeated event should run confirmation again: the order
    /// is not confirmed and nothing definitive has been learnt yet.
    pub fn wants_confirmation(&self) -> bool {
        match &self.state {
            OrderState::Pending => true,
            OrderState::NotConfirmed { retryable, .. } => *retryable,
            OrderState::Confirmed { .. } => false,
        }
    }
}

/// What recording an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// First time this identity was seen.
    New,
    /// Seen before: a retry or a replay. Nothing changed.
    Duplicate,
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRecord {
    /// The event identity (from authenticated parts only).
    pub identity: String,
    /// The order it claims (unsigned; looked up, never trusted).
    pub claimed_order: String,
    /// How many times it was delivered (1 + duplicates).
    pub deliveries: u32,
}

#[derive(Debug, Default)]
struct Books {
    orders: BTreeMap<String, OrderRecord>,
    events: HashMap<String, EventRecord>,
}

/// In-memory, idempotent ledger. A real service keeps this in its database
/// with a unique index on the event identity; the rules are the same.
#[derive(Debug, Default)]
pub struct Ledger {
    books: Mutex<Books>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        // A panic while holding the lock cannot leave the books half
        // written (every change is one insert or assignment): keep going.
        self.books
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a new order at checkout. False if the id is taken.
    pub fn open_order(&self, record: OrderRecord) -> bool {
        let mut books = self.books();
        if books.orders.contains_key(&record.id) {
            return false;
        }
        books.orders.insert(record.id.clone(), record);
        true
    }

    /// Forgets an order whose creation the gateway refused outright.
    pub fn drop_order(&self, id: &str) {
        self.books().orders.remove(id);
    }

    /// The order, if we have it.
    pub fn order(&self, id: &str) -> Option<OrderRecord> {
        self.books().orders.get(id).cloned()
    }

    /// Records a verified event once under `identity`.
    pub fn record_event(&self, identity: &str, claimed_order: &str) -> Recorded {
        let mut books = self.books();
        if let Some(seen) = books.events.get_mut(identity) {
            seen.deliveries = seen.deliveries.saturating_add(1);
            return Recorded::Duplicate;
        }
        books.events.insert(
            identity.to_owned(),
            EventRecord {
                identity: identity.to_owned(),
                claimed_order: claimed_order.to_owned(),
                deliveries: 1,
            },
        );
        if let Some(order) = books.orders.get_mut(claimed_order) {
            order.events.push(identity.to_owned());
        }
        Recorded::New
    }

    /// The recorded event, if any.
    pub fn event(&self, identity: &str) -> Option<EventRecord> {
        self.books().events.get(identity).cloned()
    }

    /// How many distinct events are recorded.
    pub fn event_count(&self) -> usize {
        self.books().events.len()
    }

    /// Sets an order's state after confirmation. A confirmed order stays
    /// confirmed: a later, failing event cannot unship it.
    pub fn settle(&self, id: &str, state: OrderState) {
        if let Some(order) = self.books().orders.get_mut(id)
            && !order.is_confirmed()
        {
            order.state = state;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> OrderRecord {
        OrderRecord {
            id: id.to_owned(),
            gateway: Gateway::Smilepayz,
            amount_minor: 100,
            currency: "PEN".to_owned(),
            state: OrderState::Pending,
            events: Vec::new(),
        }
    }

    #[test]
    fn events_are_recorded_once_and_counted() {
        let ledger = Ledger::new();
        assert!(ledger.open_order(record("A")));
        assert!(!ledger.open_order(record("A")), "ids are unique");
        assert_eq!(ledger.record_event("e1", "A"), Recorded::New);
        assert_eq!(ledger.record_event("e1", "A"), Recorded::Duplicate);
        assert_eq!(ledger.record_event("e1", "B"), Recorded::Duplicate);
        assert_eq!(ledger.record_event("e2", "NOPE"), Recorded::New);
        assert_eq!(ledger.event_count(), 2);
        assert_eq!(ledger.event("e1").map(|e| e.deliveries), Some(3));
        assert_eq!(
            ledger.order("A").map(|o| o.events),
            Some(vec!["e1".to_owned()])
        );
    }

    #[test]
    fn a_confirmed_order_stays_confirmed() {
        let ledger = Ledger::new();
        ledger.open_order(record("A"));
        let pending = OrderState::NotConfirmed {
            reason: "still pending".to_owned(),
            retryable: true,
        };
        ledger.settle("A", pending);
        assert!(ledger.order("A").is_some_and(|o| o.wants_confirmation()));
        ledger.settle(
            "A",
            OrderState::Confirmed {
                gateway_reference: Some("T1".to_owned()),
            },
        );
        ledger.settle(
            "A",
            OrderState::NotConfirmed {
                reason: "amount differs".to_owned(),
                retryable: false,
            },
        );
        let order = ledger.order("A").unwrap();
        assert!(order.is_confirmed() && !order.wants_confirmation());
    }
}
