//! The merchant's record of one payment: what was asked, what is known.

use std::fmt;
use std::str::FromStr;

use pasarela_core::Money;
use time::OffsetDateTime;

use crate::payer::PayerData;

/// The gateway a payment goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Gateway {
    /// SmilePayz (cash pay-ins; the order number is `orderNo`).
    Smilepayz,
    /// Monnet (card pay-ins; the order number is
    /// `payinMerchantOperationNumber`).
    Monnet,
}

impl Gateway {
    /// `smilepayz` or `monnet`, as stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Gateway::Smilepayz => "smilepayz",
            Gateway::Monnet => "monnet",
        }
    }
}

impl fmt::Display for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Gateway {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "smilepayz" => Ok(Gateway::Smilepayz),
            "monnet" => Ok(Gateway::Monnet),
            other => Err(UnknownName {
                what: "gateway",
                name: other.to_owned(),
                expected: "smilepayz, monnet",
            }),
        }
    }
}

/// A name that is not one of a fixed set (a gateway, a state).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}: expected one of {expected}")]
pub struct UnknownName {
    what: &'static str,
    name: String,
    expected: &'static str,
}

/// Where a payment stands.
///
/// ```text
///              create answered (open)             status: paid, equal to the record
///   intent ───────────────────────────▶ created ──────────────┬──────────────▶ paid
///     │  ▲ not sent, or                   │  status: pending   │
///     │  │ reconciled: not found          ▼                    │  status: failed, expired,
///     │  └─────────── unknown ◀──── maybe sent ── pending ─────┼──────────────▶ not_paid
///     │ refused          │ (timeout, 5xx, unknown code,        │
///     ▼                  │  crash while creating)              │  mismatch, or still
///  rejected              └─────────────────────────────────────┴──────────────▶ needs_attention
///                                                                  unknown past the deadline
/// ```
///
/// `rejected`, `paid`, `not_paid` and `needs_attention` are final: a later
/// fact never changes the money state silently; one that contradicts a
/// final state moves it to `needs_attention` (and hands that over).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    /// Recorded, and nothing exists at the gateway as far as anyone knows:
    /// the create is about to be sent (under a lease), was certainly not
    /// sent, or reconciliation found nothing. A create may be sent.
    Intent,
    /// The gateway created it and answered; the payment URL is kept.
    Created,
    /// The gateway refused the create: nothing was created.
    Rejected,
    /// The create may have reached the gateway and nobody knows its fate
    /// (a timeout, a dropped connection, a server error, a code of no
    /// known meaning, a crash while creating): reconcile before anything.
    Unknown,
    /// The gateway has it, not final yet.
    Pending,
    /// Confirmed paid: a status answer matched the record.
    Paid,
    /// Confirmed not paid: failed, expired, denied, cancelled, or never
    /// created.
    NotPaid,
    /// Someone must look: a status answer contradicted the record (amount,
    /// currency, merchant, order, transaction) or a final state, or the
    /// payment was still not final past its deadline.
    NeedsAttention,
}

impl State {
    /// Every state, in lifecycle order.
    pub const ALL: [State; 8] = [
        State::Intent,
        State::Created,
        State::Rejected,
        State::Unknown,
        State::Pending,
        State::Paid,
        State::NotPaid,
        State::NeedsAttention,
    ];

    /// The snake_case name (`needs_attention`), as stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Intent => "intent",
            State::Created => "created",
            State::Rejected => "rejected",
            State::Unknown => "unknown",
            State::Pending => "pending",
            State::Paid => "paid",
            State::NotPaid => "not_paid",
            State::NeedsAttention => "needs_attention",
        }
    }

    /// Whether no fact moves it to another state except
    /// [`NeedsAttention`](State::NeedsAttention) on a contradiction.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Rejected | State::Paid | State::NotPaid | State::NeedsAttention
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        State::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownName {
                what: "state",
                name: s.to_owned(),
                expected: "intent, created, rejected, unknown, pending, paid, not_paid, needs_attention",
            })
    }
}

/// A final outcome handed to the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutcomeKind {
    /// Confirmed paid: ship.
    Paid,
    /// Confirmed not paid: release what was held for the order.
    NotPaid,
    /// Someone must look before anything ships (or is released).
    NeedsAttention,
}

impl OutcomeKind {
    /// `paid`, `not_paid`, `needs_attention`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Paid => "paid",
            OutcomeKind::NotPaid => "not_paid",
            OutcomeKind::NeedsAttention => "needs_attention",
        }
    }

    /// The outcome a final state hands over (none for `rejected`, which the
    /// checkout reports to its caller at once).
    pub fn of(state: State) -> Option<Self> {
        match state {
            State::Paid => Some(OutcomeKind::Paid),
            State::NotPaid => Some(OutcomeKind::NotPaid),
            State::NeedsAttention => Some(OutcomeKind::NeedsAttention),
            _ => None,
        }
    }
}

impl FromStr for OutcomeKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            OutcomeKind::Paid,
            OutcomeKind::NotPaid,
            OutcomeKind::NeedsAttention,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == s)
        .ok_or_else(|| UnknownName {
            what: "outcome",
            name: s.to_owned(),
            expected: "paid, not_paid, needs_attention",
        })
    }
}

impl fmt::Display for OutcomeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a checkout is about to ask the gateway for: the part of a create
/// request the ledger keeps. No card data, and payer data only when the
/// application opts in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewPayment {
    /// The gateway.
    pub gateway: Gateway,
    /// The merchant's order number (SmilePayz `orderNo`, Monnet
    /// `payinMerchantOperationNumber`): the key of the record.
    pub order: String,
    /// The merchant id the create is sent for.
    pub merchant: String,
    /// Amount and currency.
    pub amount: Money,
    /// When the gateway expires an unpaid payment (SmilePayz
    /// `expiryPeriod`, Monnet `payinExpirationTime` after the create).
    pub expires_at: OffsetDateTime,
    /// Who pays, as the request names them: stored only when the ledger
    /// was opened with
    /// [`Options::keep_payer_data`](crate::Options::keep_payer_data).
    pub payer: Option<PayerData>,
}

impl NewPayment {
    /// A payment of `amount` for `order` through `gateway`, for `merchant`,
    /// that the gateway expires at `expires_at`.
    pub fn new(
        gateway: Gateway,
        order: impl Into<String>,
        merchant: impl Into<String>,
        amount: Money,
        expires_at: OffsetDateTime,
    ) -> Self {
        Self {
            gateway,
            order: order.into(),
            merchant: merchant.into(),
            amount,
            expires_at,
            payer: None,
        }
    }

    /// With who pays (kept only when the application opts in).
    pub fn with_payer(mut self, payer: PayerData) -> Self {
        self.payer = Some(payer);
        self
    }
}

/// The record of one payment, as the state machine keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Payment {
    /// The gateway.
    pub gateway: Gateway,
    /// The merchant's order number (the key, with the gateway).
    pub order: String,
    /// The merchant id the payment was created for.
    pub merchant: String,
    /// Amount and currency asked for.
    pub amount: Money,
    /// Where it stands.
    pub state: State,
    /// How many facts were applied (the last history entry's number).
    pub version: u64,
    /// The gateway's reference (SmilePayz `tradeNo`, Monnet `payinID` or
    /// `payinTrxOperation`), once known.
    pub gateway_ref: Option<String>,
    /// Where the payer pays (kept so a returning shopper goes back to it).
    pub payment_url: Option<String>,
    /// Why it is in its state (a refusal, a decline, a mismatch).
    pub reason: Option<String>,
    /// When the intent was recorded.
    pub created_at: OffsetDateTime,
    /// When a fact last changed it.
    pub updated_at: OffsetDateTime,
    /// When the gateway expires it unpaid.
    pub expires_at: OffsetDateTime,
    /// When the ledger stops waiting and asks for attention
    /// ([`Policy::deadline_margin`](crate::Policy::deadline_margin) after
    /// `expires_at`).
    pub deadline_at: OffsetDateTime,
    /// When the sweeper should next ask the gateway (none: nothing to ask).
    pub next_check_at: Option<OffsetDateTime>,
    /// Status calls made so far (the backoff grows with it).
    pub checks: u32,
}

impl Payment {
    /// The record of a new intent, before any fact.
    pub fn intent(new: &NewPayment, now: OffsetDateTime, policy: &crate::policy::Policy) -> Self {
        let deadline_at = new.expires_at.saturating_add(policy.deadline_margin);
        Self {
            gateway: new.gateway,
            order: new.order.clone(),
            merchant: new.merchant.clone(),
            amount: new.amount,
            state: State::Intent,
            version: 0,
            gateway_ref: None,
            payment_url: None,
            reason: None,
            created_at: now,
            updated_at: now,
            expires_at: new.expires_at,
            deadline_at,
            // An intent nobody creates is settled at its deadline.
            next_check_at: Some(deadline_at),
            checks: 0,
        }
    }

    /// `gateway:order`, unique per payment: the prefix of its outcome ids.
    pub fn key(&self) -> String {
        format!("{}:{}", self.gateway, self.order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for state in State::ALL {
            assert_eq!(state.as_str().parse::<State>(), Ok(state));
        }
        for gateway in [Gateway::Smilepayz, Gateway::Monnet] {
            assert_eq!(gateway.as_str().parse::<Gateway>(), Ok(gateway));
        }
        let err = "paid!".parse::<State>().unwrap_err();
        assert!(err.to_string().contains("needs_attention"), "{err}");
        assert!("stripe".parse::<Gateway>().is_err());
        assert_eq!(OutcomeKind::of(State::Rejected), None);
        assert_eq!(
            "needs_attention".parse::<OutcomeKind>(),
            Ok(OutcomeKind::NeedsAttention)
        );
    }
}
