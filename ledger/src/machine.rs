//! A payment's life as a pure state machine: record + fact + now → new
//! record + actions.
//!
//! No I/O, no clock, no randomness: [`step`] is a function of its
//! arguments, so every path is testable and the property tests below walk
//! thousands of them. The store keeps what it returns (the record, one
//! history entry, an outcome row for [`Action::HandOver`]) in one
//! transaction; the flows perform the other actions.
//!
//! What decides "paid" is the one comparison of `pasarela-core`
//! ([`pasarela_core::confirm`]): a status answer about the record's order
//! number, for its merchant, amount and currency (and, for SmilePayz, the
//! `tradeNo` the create answered). An event — a callback or notification,
//! genuine or forged — only makes the ledger ask sooner.

use pasarela_core::confirm::{ExpectedOperation, ExpectedPayIn, NotConfirmed};
use pasarela_core::monnet::StatusResponse;
use pasarela_core::smilepayz::InquiryStatusResponse;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::payment::{Gateway, OutcomeKind, Payment, State};

pub use crate::policy::Policy;

/// What the create call answered, as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CreateAnswer {
    /// Created and open: the payer pays at `payment_url`.
    Open {
        /// The gateway's reference (`tradeNo`, `payinTrxOperation`).
        gateway_ref: Option<String>,
        /// Where the payer pays.
        payment_url: Option<String>,
    },
    /// Created already final and unpaid (a SmilePayz pay-in answered `00`
    /// with `FAILED`, `EXPIRED` or `CANCELLED`).
    Declined {
        /// The gateway's reference.
        gateway_ref: Option<String>,
        /// The status it was created in.
        status: String,
    },
    /// Created in a status a create does not answer (`SUCCESS` at once, or
    /// one not documented): confirmed only by a status call.
    CheckStatus {
        /// The gateway's reference.
        gateway_ref: Option<String>,
        /// The status it was created in.
        status: String,
    },
}

/// The gateway's answer to a status call about the record's order number.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusAnswer {
    /// A SmilePayz inquiry-status answer.
    Smilepayz(InquiryStatusResponse),
    /// A Monnet status-query answer.
    Monnet(StatusResponse),
}

/// Something learned about a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fact {
    /// The create call answered: the payment exists.
    CreateAnswered(CreateAnswer),
    /// The gateway refused the create: nothing was created.
    CreateRefused {
        /// The gateway's code.
        code: String,
        /// The gateway's message.
        message: String,
    },
    /// The create certainly never left (connection refused, DNS, TLS): a
    /// new attempt is safe.
    CreateNotSent {
        /// Why.
        reason: String,
    },
    /// The create may have reached the gateway (timeout, dropped
    /// connection, server error, a code of no known meaning, a duplicate
    /// order number, a crash while creating).
    CreateMaybeSent {
        /// Why.
        reason: String,
    },
    /// A verified callback or notification arrived. Its claims are not
    /// trusted: it only makes the ledger ask the gateway sooner.
    EventReceived {
        /// The event's id (from authenticated parts only).
        event_id: String,
        /// What it claims (a status), for the history.
        claim: String,
    },
    /// The status call answered about the order ("found").
    StatusAnswered(StatusAnswer),
    /// The status call says the gateway has no such order ("not found").
    NotFound,
    /// The status call could not tell (a refusal, an answer about another
    /// merchant, a transport failure).
    CannotTell {
        /// Why.
        reason: String,
    },
    /// The payment's deadline passed.
    DeadlinePassed,
}

impl Fact {
    /// The fact's kind, as the history names it (`status_answered`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Fact::CreateAnswered(_) => "create_answered",
            Fact::CreateRefused { .. } => "create_refused",
            Fact::CreateNotSent { .. } => "create_not_sent",
            Fact::CreateMaybeSent { .. } => "create_maybe_sent",
            Fact::EventReceived { .. } => "event_received",
            Fact::StatusAnswered(_) => "status_answered",
            Fact::NotFound => "not_found",
            Fact::CannotTell { .. } => "cannot_tell",
            Fact::DeadlinePassed => "deadline_passed",
        }
    }

    /// What the history keeps of the fact: its facts, never personal data
    /// (the answers carry none) and, of a Monnet list, only the operation
    /// asked about.
    pub fn detail(&self, order: &str) -> Value {
        match self {
            Fact::CreateAnswered(CreateAnswer::Open {
                gateway_ref,
                payment_url,
            }) => json!({"outcome": "open", "gatewayRef": gateway_ref, "paymentUrl": payment_url}),
            Fact::CreateAnswered(CreateAnswer::Declined {
                gateway_ref,
                status,
            }) => json!({"outcome": "declined", "gatewayRef": gateway_ref, "status": status}),
            Fact::CreateAnswered(CreateAnswer::CheckStatus {
                gateway_ref,
                status,
            }) => json!({"outcome": "check_status", "gatewayRef": gateway_ref, "status": status}),
            Fact::CreateRefused { code, message } => json!({"code": code, "message": message}),
            Fact::CreateNotSent { reason }
            | Fact::CreateMaybeSent { reason }
            | Fact::CannotTell { reason } => json!({ "reason": reason }),
            Fact::EventReceived { event_id, claim } => {
                json!({"eventId": event_id, "claim": claim})
            }
            Fact::StatusAnswered(StatusAnswer::Smilepayz(a)) => json!({
                "status": a.status.as_ref().map(|s| s.as_str()),
                "tradeNo": a.trade_no,
                "orderNo": a.order_no,
                "amount": a.money.map(|m| m.minor_units()),
                "currency": a.money.map(|m| m.currency().as_str().to_owned()),
            }),
            Fact::StatusAnswered(StatusAnswer::Monnet(a)) => {
                let op = a
                    .operations
                    .iter()
                    .find(|op| op.merchant_operation_number == order);
                json!({
                    "merchant": a.merchant_id,
                    "listed": a.operations.len(),
                    "state": op.map(|op| op.state.id()),
                    "stateName": op.and_then(|op| op.state_text.clone()),
                    "amount": op.map(|op| op.amount_text.clone()),
                    "currency": op.map(|op| op.currency.clone()),
                    "payinID": op.and_then(|op| op.payin_id.clone()),
                })
            }
            Fact::NotFound | Fact::DeadlinePassed => json!({}),
        }
    }
}

/// What the store and the flows do after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Hand this final outcome to the application (the store writes it to
    /// the outbox in the same transaction as the record).
    HandOver(OutcomeKind),
    /// Ask the gateway's status at (or after) this time.
    CheckStatus {
        /// When.
        at: OffsetDateTime,
    },
    /// Nothing exists at the gateway: a create may be sent.
    MayCreate,
}

/// One line of a payment's history: the fact, when, and what it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// Its number: the record's version after it.
    pub seq: u64,
    /// When it was applied.
    pub at: OffsetDateTime,
    /// The fact's kind ([`Fact::kind`]).
    pub fact: &'static str,
    /// The fact's content ([`Fact::detail`]).
    pub detail: Value,
    /// The state before.
    pub from: State,
    /// The state after.
    pub to: State,
    /// Why the machine did what it did, in words.
    pub note: String,
}

/// The result of a step: the new record, what to do, the history line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Step {
    /// The record after the fact.
    pub payment: Payment,
    /// What to do.
    pub actions: Vec<Action>,
    /// The history line.
    pub entry: Entry,
}

/// What a status answer means for the record.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Paid { gateway_ref: Option<String> },
    Pending(String),
    NotPaid(String),
    Mismatch(String),
    Absent,
    Incomplete(String),
}

fn classify(not: NotConfirmed) -> Verdict {
    if not.is_mismatch() {
        return Verdict::Mismatch(not.to_string());
    }
    match not {
        NotConfirmed::StillPending { status } => Verdict::Pending(status),
        NotConfirmed::NotPaid { status } => Verdict::NotPaid(status),
        NotConfirmed::UnknownOrder => Verdict::Absent,
        NotConfirmed::Incomplete(field) => {
            Verdict::Incomplete(format!("the answer has no `{field}`"))
        }
        // A reason this version does not know: someone must look.
        other => Verdict::Mismatch(other.to_string()),
    }
}

/// Compares a status answer with the record, through `pasarela-core`'s
/// one confirmation.
fn verdict(payment: &Payment, answer: &StatusAnswer) -> Verdict {
    match (payment.gateway, answer) {
        (Gateway::Smilepayz, StatusAnswer::Smilepayz(answer)) => {
            let mut record = ExpectedPayIn::new(payment.order.clone(), payment.amount);
            if let Some(trade_no) = &payment.gateway_ref {
                record = record.with_trade_no(trade_no.clone());
            }
            match record.confirm(answer) {
                Ok(confirmed) => Verdict::Paid {
                    gateway_ref: Some(confirmed.trade_no),
                },
                Err(not) => classify(not),
            }
        }
        (Gateway::Monnet, StatusAnswer::Monnet(answer)) => {
            let record = ExpectedOperation::new(payment.order.clone(), payment.amount)
                .with_merchant_id(payment.merchant.clone());
            match record.confirm(answer) {
                Ok(confirmed) => Verdict::Paid {
                    gateway_ref: confirmed.payin_id,
                },
                Err(not) => classify(not),
            }
        }
        (gateway, _) => Verdict::Mismatch(format!(
            "a status answer of the other gateway for a {gateway} payment"
        )),
    }
}

/// The step being built.
struct Next {
    payment: Payment,
    actions: Vec<Action>,
    note: String,
}

impl Next {
    fn settle(&mut self, state: State, reason: impl Into<String>) {
        let reason = reason.into();
        self.note = reason.clone();
        self.payment.state = state;
        self.payment.reason = Some(reason);
        self.payment.next_check_at = None;
        if let Some(kind) = OutcomeKind::of(state) {
            self.actions.push(Action::HandOver(kind));
        }
    }

    /// Asks again at `at`, never later than the deadline (the sweeper then
    /// settles it).
    fn check_at(&mut self, at: OffsetDateTime) {
        let at = at.min(self.payment.deadline_at);
        self.payment.next_check_at = Some(at);
        self.actions.push(Action::CheckStatus { at });
    }

    fn keep(&mut self, note: impl Into<String>) {
        self.note = note.into();
    }

    fn fill_ref(&mut self, gateway_ref: &Option<String>) {
        if self.payment.gateway_ref.is_none() {
            self.payment.gateway_ref.clone_from(gateway_ref);
        }
    }
}

/// Applies `fact`, learned at `now`, to `payment`.
///
/// Never panics, whatever the record and the fact; never makes a payment
/// paid but on a status answer that matches the record; never moves a
/// final state anywhere but to `needs_attention`, and only on a
/// contradiction, handing that over.
pub fn step(payment: &Payment, fact: &Fact, now: OffsetDateTime, policy: &Policy) -> Step {
    let policy = &policy.clone().bounded();
    let mut next = Next {
        payment: payment.clone(),
        actions: Vec::new(),
        note: String::new(),
    };
    next.payment.version = payment.version.saturating_add(1);
    next.payment.updated_at = now;
    if payment.state.is_final() {
        after_final(&mut next, payment, fact, now, policy);
    } else {
        while_open(&mut next, payment, fact, now, policy);
    }
    let entry = Entry {
        seq: next.payment.version,
        at: now,
        fact: fact.kind(),
        detail: fact.detail(&payment.order),
        from: payment.state,
        to: next.payment.state,
        note: next.note,
    };
    Step {
        payment: next.payment,
        actions: next.actions,
        entry,
    }
}

/// Intent, created, unknown, pending.
fn while_open(
    next: &mut Next,
    payment: &Payment,
    fact: &Fact,
    now: OffsetDateTime,
    policy: &Policy,
) {
    let state = payment.state;
    let exists = matches!(state, State::Created | State::Pending);
    match fact {
        Fact::CreateAnswered(CreateAnswer::Open {
            gateway_ref,
            payment_url,
        }) => {
            next.fill_ref(gateway_ref);
            if next.payment.payment_url.is_none() {
                next.payment.payment_url.clone_from(payment_url);
            }
            if exists {
                next.keep("created earlier: the answer completes the record");
            } else {
                next.payment.state = State::Created;
                next.keep("created and open");
                next.check_at(now + policy.first_check_after);
            }
        }
        Fact::CreateAnswered(CreateAnswer::Declined {
            gateway_ref,
            status,
        }) => {
            next.fill_ref(gateway_ref);
            next.settle(State::NotPaid, format!("declined when created ({status})"));
        }
        Fact::CreateAnswered(CreateAnswer::CheckStatus {
            gateway_ref,
            status,
        }) => {
            next.fill_ref(gateway_ref);
            next.payment.state = State::Pending;
            next.keep(format!("created as {status}: only a status call can tell"));
            next.check_at(now);
        }
        Fact::CreateRefused { code, message } => {
            if exists {
                next.keep("a refusal for a payment that exists: ignored");
            } else {
                next.settle(State::Rejected, format!("refused: {code} {message}"));
            }
        }
        Fact::CreateNotSent { reason } => {
            if exists {
                next.keep("not sent, but the payment exists: ignored");
            } else {
                next.payment.state = State::Intent;
                next.payment.next_check_at = Some(payment.deadline_at);
                next.keep(format!("not sent ({reason}): a new attempt is safe"));
                next.actions.push(Action::MayCreate);
            }
        }
        Fact::CreateMaybeSent { reason } => {
            if exists {
                next.keep("the payment exists already");
            } else {
                next.payment.state = State::Unknown;
                next.keep(format!("maybe sent ({reason}): reconcile before anything"));
                next.check_at(now + policy.reconcile_after);
            }
        }
        Fact::EventReceived { .. } => {
            if state == State::Intent {
                // The gateway speaks of it: a create reached it.
                next.payment.state = State::Unknown;
            }
            next.keep("an event: ask the gateway now (its claims are not trusted)");
            next.check_at(now);
        }
        Fact::StatusAnswered(answer) => {
            next.payment.checks = payment.checks.saturating_add(1);
            match verdict(payment, answer) {
                Verdict::Paid { gateway_ref } => {
                    next.fill_ref(&gateway_ref);
                    next.settle(State::Paid, "paid: the status answer matches the record");
                }
                Verdict::Pending(status) => {
                    next.payment.state = State::Pending;
                    next.keep(format!("pending ({status})"));
                    next.check_at(now + policy.backoff(payment.checks));
                }
                Verdict::NotPaid(status) => {
                    next.settle(State::NotPaid, format!("not paid ({status})"))
                }
                Verdict::Mismatch(why) => next.settle(State::NeedsAttention, why),
                Verdict::Absent => not_found(next, payment, now, policy),
                Verdict::Incomplete(why) => cannot_tell(next, payment, now, policy, &why),
            }
        }
        Fact::NotFound => {
            next.payment.checks = payment.checks.saturating_add(1);
            not_found(next, payment, now, policy);
        }
        Fact::CannotTell { reason } => {
            next.payment.checks = payment.checks.saturating_add(1);
            cannot_tell(next, payment, now, policy, reason);
        }
        Fact::DeadlinePassed => {
            if now < payment.deadline_at {
                next.keep("not past the deadline yet: ignored");
            } else if state == State::Intent {
                next.settle(
                    State::NotPaid,
                    "never created: nothing reached the gateway before the deadline",
                );
            } else {
                next.settle(
                    State::NeedsAttention,
                    format!("still {state} past the deadline"),
                );
            }
        }
    }
}

/// The gateway could not say: ask again later. An intent the gateway was
/// asked about (its last look at the deadline, a create having left once)
/// may exist: it becomes unknown, so the deadline calls it needs attention,
/// never "never created".
fn cannot_tell(
    next: &mut Next,
    payment: &Payment,
    now: OffsetDateTime,
    policy: &Policy,
    why: &str,
) {
    if payment.state == State::Intent {
        next.payment.state = State::Unknown;
    }
    next.keep(format!("cannot tell: {why}"));
    next.check_at(now + policy.backoff(payment.checks));
}

fn not_found(next: &mut Next, payment: &Payment, now: OffsetDateTime, policy: &Policy) {
    match payment.state {
        // A create that may have left, not listed on the first look: a
        // slow gateway may not list it yet. Absent only if a later look
        // (a backoff on) does not find it either.
        State::Unknown if payment.checks == 0 => {
            next.keep("not found on the first look: asked again before a new attempt is allowed");
            next.check_at(now + policy.backoff(payment.checks));
        }
        State::Intent | State::Unknown => {
            next.payment.state = State::Intent;
            next.payment.next_check_at = Some(payment.deadline_at);
            next.keep("the gateway has no such payment: a new attempt is safe");
            next.actions.push(Action::MayCreate);
        }
        _ => {
            next.keep("the gateway does not list a payment it created: ask again");
            next.check_at(now + policy.backoff(payment.checks));
        }
    }
}

/// Rejected, paid, not paid, needs attention: every later fact is
/// absorbed, except one that contradicts the money state, which raises
/// `needs_attention` (handed over).
fn after_final(
    next: &mut Next,
    payment: &Payment,
    fact: &Fact,
    now: OffsetDateTime,
    _policy: &Policy,
) {
    let state = payment.state;
    let contradiction = |next: &mut Next, why: String| {
        if state == State::NeedsAttention {
            next.keep(format!("absorbed (already needs attention): {why}"));
        } else {
            next.settle(State::NeedsAttention, format!("{state} earlier, but {why}"));
        }
    };
    match fact {
        Fact::StatusAnswered(answer) => {
            next.payment.checks = payment.checks.saturating_add(1);
            next.payment.next_check_at = None;
            match (verdict(payment, answer), state) {
                (Verdict::Paid { .. }, State::Paid | State::NeedsAttention) => {
                    next.keep("paid, as recorded")
                }
                (Verdict::Paid { .. }, _) => {
                    contradiction(next, "the gateway now says paid".to_owned())
                }
                (Verdict::NotPaid(_), State::NotPaid | State::Rejected | State::NeedsAttention) => {
                    next.keep("not paid, as recorded")
                }
                (Verdict::NotPaid(status), _) => {
                    contradiction(next, format!("the gateway now says not paid ({status})"))
                }
                (Verdict::Pending(status), _) => {
                    contradiction(next, format!("the gateway now says pending ({status})"))
                }
                (Verdict::Mismatch(why), _) => contradiction(next, why),
                (Verdict::Absent | Verdict::Incomplete(_), _) => {
                    next.keep("the answer settles nothing: absorbed")
                }
            }
        }
        // The look an event asked for, answered with nothing that settles
        // anything: done (never asked again and again).
        Fact::NotFound | Fact::CannotTell { .. } => {
            next.payment.checks = payment.checks.saturating_add(1);
            next.payment.next_check_at = None;
            next.keep("the answer settles nothing: absorbed");
        }
        Fact::EventReceived { .. } if state != State::NeedsAttention => {
            // One look at the gateway, so a late contradiction (a refund,
            // a payment after expiry) is seen.
            next.keep("an event after the outcome: ask once more");
            next.payment.next_check_at = Some(now);
            next.actions.push(Action::CheckStatus { at: now });
        }
        Fact::CreateAnswered(answer) => match (answer, state) {
            (CreateAnswer::Declined { .. }, State::Paid) => {
                contradiction(next, "a create answer says declined".to_owned())
            }
            (CreateAnswer::Declined { .. }, _) => next.keep("declined, as recorded"),
            (_, State::NotPaid | State::Rejected) => {
                contradiction(next, "a create answer says it was created".to_owned())
            }
            _ => next.keep("absorbed"),
        },
        _ => next.keep("absorbed: the payment is final"),
    }
}

#[cfg(test)]
mod tests;
