//! The books at the end: the ledger's payments and outcomes and the
//! shop's hand-overs (`shop_handovers`, in the ledger's database), held
//! against what the simulator holds and what reached the gateway.

use std::collections::{BTreeMap, HashMap, HashSet};

use pasarela_ledger::{Ledger, OutcomeKind, Payment, State};

use super::shopper::Held;
use super::tap::Calls;

/// One row of `shop_handovers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    pub outcome: String,
    pub gateway: String,
    pub order: String,
    pub kind: String,
}

/// What the ledger's database holds.
#[derive(Debug, Clone, Default)]
pub struct Books {
    pub payments: Vec<Payment>,
    pub handovers: Vec<Handover>,
}

/// Reads the books (blocking).
pub fn read(ledger: &Ledger) -> Books {
    let mut payments = Vec::new();
    loop {
        let page = ledger
            .list(None, 1000, u32::try_from(payments.len()).unwrap())
            .unwrap();
        if page.is_empty() {
            break;
        }
        payments.extend(page);
    }
    let handovers = ledger
        .store()
        .transact(|conn| {
            conn.query(
                "SELECT outcome_id, gateway, order_no, kind FROM shop_handovers",
                &[],
            )
        })
        .unwrap()
        .iter()
        .map(|row| Handover {
            outcome: row.text(0).unwrap(),
            gateway: row.text(1).unwrap(),
            order: row.text(2).unwrap(),
            kind: row.text(3).unwrap(),
        })
        .collect();
    Books {
        payments,
        handovers,
    }
}

fn key(gateway: &str, order: &str) -> (String, String) {
    (gateway.to_owned(), order.to_owned())
}

impl Books {
    fn by_key(&self) -> HashMap<(String, String), &Payment> {
        self.payments
            .iter()
            .map(|p| (key(p.gateway.as_str(), &p.order), p))
            .collect()
    }

    fn handovers_of(&self) -> HashMap<(String, String), Vec<&Handover>> {
        let mut of: HashMap<_, Vec<_>> = HashMap::new();
        for h in &self.handovers {
            of.entry(key(&h.gateway, &h.order)).or_default().push(h);
        }
        of
    }

    /// How many payments are in `state`.
    pub fn count(&self, state: State) -> usize {
        self.payments.iter().filter(|p| p.state == state).count()
    }

    /// Whether everything came to rest: every payment the simulator holds
    /// is settled there and final in the ledger; no payment is created,
    /// unknown or pending; every final outcome was handed over. `Err`
    /// says what is still moving, with one such payment.
    pub fn at_rest(&self, held: &[Held]) -> Result<(), (String, Option<Box<Payment>>)> {
        let open = held.iter().filter(|h| !h.settled).count();
        if open > 0 {
            return Err((format!("{open} payments still open at the gateway"), None));
        }
        let payments = self.by_key();
        for h in held {
            match payments.get(&key(h.gateway, &h.order)) {
                None => {
                    let why = format!(
                        "{} {} is at the gateway, not in the ledger",
                        h.gateway, h.order
                    );
                    return Err((why, None));
                }
                Some(p) if !p.state.is_final() => {
                    let why = "a payment settled at the gateway is not final in the ledger";
                    return Err((why.to_owned(), Some(Box::new((*p).clone()))));
                }
                Some(_) => {}
            }
        }
        let mut moving = self
            .payments
            .iter()
            .filter(|p| matches!(p.state, State::Created | State::Unknown | State::Pending));
        if let Some(p) = moving.next() {
            let why = format!(
                "{} payments created, unknown or pending",
                moving.count() + 1
            );
            return Err((why, Some(Box::new(p.clone()))));
        }
        let handovers = self.handovers_of();
        let waiting = self
            .payments
            .iter()
            .filter(|p| {
                OutcomeKind::of(p.state).is_some_and(|kind| {
                    !handovers
                        .get(&key(p.gateway.as_str(), &p.order))
                        .is_some_and(|hs| hs.iter().any(|h| h.kind == kind.as_str()))
                })
            })
            .count();
        if waiting > 0 {
            return Err((format!("{waiting} outcomes not handed over yet"), None));
        }
        Ok(())
    }
}

/// A payment's state and history, for a failure's message (blocking).
pub fn explain(ledger: &Ledger, p: &Payment) -> String {
    let history = ledger.history(p.gateway, &p.order).unwrap();
    let lines: Vec<String> = history
        .iter()
        .map(|l| {
            format!(
                "  {} {} {}→{}: {} {}",
                l.seq,
                l.fact,
                l.from.as_str(),
                l.to.as_str(),
                l.note,
                l.detail
            )
        })
        .collect();
    format!(
        "{} {} is {}:\n{}",
        p.gateway,
        p.order,
        p.state.as_str(),
        lines.join("\n")
    )
}

/// Waits (polling every second, up to `within`) until the books are at
/// rest ([`Books::at_rest`]), calling `nudge` before each look; panics
/// with what is still moving when they are not.
pub async fn wait_at_rest<F, N>(
    ledger: &Ledger,
    sim: &pasarela_simulator::Simulator,
    within: std::time::Duration,
    mut nudge: N,
) -> Books
where
    N: FnMut() -> F,
    F: std::future::Future<Output = ()>,
{
    let since = std::time::Instant::now();
    loop {
        nudge().await;
        let held = super::shopper::held(sim);
        let reader = ledger.clone();
        let books = tokio::task::spawn_blocking(move || read(&reader))
            .await
            .unwrap();
        match books.at_rest(&held) {
            Ok(()) => return books,
            Err((why, payment)) if since.elapsed() >= within => {
                let reader = ledger.clone();
                let detail = tokio::task::spawn_blocking(move || {
                    payment.map(|p| explain(&reader, &p)).unwrap_or_default()
                })
                .await
                .unwrap();
                panic!("not at rest after {within:?}: {why}\n{detail}");
            }
            Err(_) => {}
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// The checks both tests end with. Panics, with the payment's history,
/// on the first broken guarantee.
///
/// - Every payment the simulator holds is in the ledger; it is `paid`
///   exactly when the simulator holds it paid, else `not_paid`.
/// - A payment the simulator does not hold was never created: `intent`,
///   `rejected` or `not_paid`, never `paid`.
/// - Nothing needs attention (nothing contradicted a record).
/// - Each final outcome was handed to the shop exactly once (one row of
///   its kind in `shop_handovers`), every outcome the ledger made was
///   acknowledged, and nothing else was handed over.
/// - No order number reached the gateway's create twice, and the gateway
///   never refused one as a duplicate.
/// - No order a forger claimed paid is paid.
pub fn check(
    ledger: &Ledger,
    books: &Books,
    held: &[Held],
    calls: &Calls,
    forged: &HashSet<String>,
) {
    let payments = books.by_key();
    let handovers = books.handovers_of();
    let why = |p: &Payment| explain(ledger, p);
    let held_keys: HashSet<_> = held.iter().map(|h| key(h.gateway, &h.order)).collect();
    for h in held {
        let p = payments.get(&key(h.gateway, &h.order)).unwrap_or_else(|| {
            panic!(
                "{} {} is at the gateway, not in the ledger",
                h.gateway, h.order
            )
        });
        let expected = if h.paid { State::Paid } else { State::NotPaid };
        assert_eq!(
            p.state,
            expected,
            "the gateway holds it {}: {}",
            if h.paid { "paid" } else { "not paid" },
            why(p)
        );
    }
    for p in &books.payments {
        assert_ne!(p.state, State::NeedsAttention, "{}", why(p));
        if !held_keys.contains(&key(p.gateway.as_str(), &p.order)) {
            assert!(
                matches!(p.state, State::Intent | State::Rejected | State::NotPaid),
                "not at the gateway: {}",
                why(p)
            );
        }
        if p.state == State::Paid {
            assert!(
                !forged.contains(&p.order),
                "a forger claimed it paid: {}",
                why(p)
            );
        }
        let handed: Vec<&str> = handovers
            .get(&key(p.gateway.as_str(), &p.order))
            .map(|hs| hs.iter().map(|h| h.kind.as_str()).collect())
            .unwrap_or_default();
        let expected: Vec<&str> = OutcomeKind::of(p.state)
            .map(|k| k.as_str())
            .into_iter()
            .collect();
        assert_eq!(handed, expected, "handed over: {}", why(p));
        let outcomes = ledger.outcomes(p.gateway, &p.order).unwrap();
        assert_eq!(
            outcomes.len(),
            handed.len(),
            "outcomes: {outcomes:?}; {}",
            why(p)
        );
        for outcome in &outcomes {
            assert!(outcome.acknowledged_at.is_some(), "{outcome:?}");
            assert!(
                books.handovers.iter().any(|h| h.outcome == outcome.id),
                "outcome {} acknowledged, not in shop_handovers",
                outcome.id
            );
        }
    }
    let twice: BTreeMap<_, _> = calls.creates.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "created more than once at the gateway: {twice:?}"
    );
    assert!(
        calls.duplicate_refusals.is_empty(),
        "the gateway refused duplicates: {:?}",
        calls.duplicate_refusals
    );
}
