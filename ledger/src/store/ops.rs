//! The store's logic, written once for both databases: every function is
//! one step of a transaction, over a [`Conn`].

use pasarela_core::{Currency, Money};
use serde_json::Value as Json;
use time::OffsetDateTime;

use super::StoreError;
use super::sql::{Conn, Row, Value, from_millis, millis};
use crate::machine::{Action, Entry, Fact, Policy, Step, step};
use crate::payer::PayerData;
use crate::payment::{Gateway, NewPayment, OutcomeKind, Payment, State};

const PAYMENT: &str = "gateway, order_no, merchant, amount, currency, state, version, \
    gateway_ref, payment_url, reason, created_at, updated_at, expires_at, deadline_at, \
    next_check_at, checks, lease_owner, lease_kind, lease_until";

/// Who holds a payment, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The instance holding it.
    pub owner: String,
    /// What for.
    pub kind: LeaseKind,
    /// Until when.
    pub until: OffsetDateTime,
}

/// What a lease is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseKind {
    /// A checkout is creating the payment.
    Create,
    /// An instance is asking the gateway about it.
    Check,
}

impl LeaseKind {
    fn as_str(self) -> &'static str {
        match self {
            LeaseKind::Create => "create",
            LeaseKind::Check => "check",
        }
    }
}

/// A payment as stored: the record and its lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The record.
    pub payment: Payment,
    /// Who holds it, if anyone.
    pub lease: Option<Lease>,
}

impl Stored {
    /// Whether someone holds it at `now`.
    pub fn leased_at(&self, now: OffsetDateTime) -> Option<&Lease> {
        self.lease.as_ref().filter(|l| l.until > now)
    }

    /// The kind of lease an instance takes to look at it: `check`, except
    /// over an intent whose create lease ran out with no answer recorded.
    /// That one stays a `create` lease, so that if this instance stops
    /// too before recording the create as maybe sent, the create is still
    /// known as maybe sent when this lease runs out (and reconciled then):
    /// a `check` lease over an intent would leave it to its deadline, to be
    /// called never created.
    fn kind_to_take(&self) -> LeaseKind {
        if self.under_create_lease() {
            LeaseKind::Create
        } else {
            LeaseKind::Check
        }
    }

    /// An intent under a create lease (running or run out).
    fn under_create_lease(&self) -> bool {
        self.payment.state == State::Intent
            && self
                .lease
                .as_ref()
                .is_some_and(|l| l.kind == LeaseKind::Create)
    }

    /// An intent whose create lease ran out by `now` with no answer
    /// recorded: its checkout's process stopped, and the create may have
    /// left.
    pub(crate) fn stopped_create(&self, now: OffsetDateTime) -> bool {
        self.under_create_lease() && self.lease.as_ref().is_some_and(|l| l.until <= now)
    }

    /// Whether a look at it at `now` makes a status call: not over a
    /// stopped create (that is recorded as maybe sent first); over an
    /// intent only at its deadline, and only when a create of it may have
    /// left once (it was reconciled: one last call before it is called
    /// never created); over a final payment only when a look is due (an
    /// event came after the outcome); over every other open payment, yes.
    pub(crate) fn look_asks(&self, now: OffsetDateTime) -> bool {
        let payment = &self.payment;
        if self.stopped_create(now) {
            return false;
        }
        match payment.state {
            State::Intent => now >= payment.deadline_at && payment.checks > 0,
            state if state.is_final() => payment.next_check_at.is_some_and(|at| at <= now),
            _ => true,
        }
    }
}

fn amount_i64(m: Money) -> Result<i64, StoreError> {
    i64::try_from(m.minor_units()).map_err(|_| StoreError::data("an amount too large to store"))
}

fn money(amount: i64, currency: &str) -> Result<Money, StoreError> {
    let currency = Currency::new(currency)
        .map_err(|_| StoreError::data(format!("{currency:?} is not a currency")))?;
    let minor = u64::try_from(amount)
        .map_err(|_| StoreError::data(format!("a negative amount {amount}")))?;
    Ok(Money::new(minor, currency))
}

fn opt_time(v: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    v.map(from_millis).transpose()
}

fn parse<T: std::str::FromStr>(text: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e: T::Err| StoreError::data(e.to_string()))
}

fn stored(row: &Row) -> Result<Stored, StoreError> {
    let payment = Payment {
        gateway: parse(&row.text(0)?)?,
        order: row.text(1)?,
        merchant: row.text(2)?,
        amount: money(row.int(3)?, &row.text(4)?)?,
        state: parse(&row.text(5)?)?,
        version: u64::try_from(row.int(6)?).map_err(|_| StoreError::data("a negative version"))?,
        gateway_ref: row.opt_text(7)?,
        payment_url: row.opt_text(8)?,
        reason: row.opt_text(9)?,
        created_at: from_millis(row.int(10)?)?,
        updated_at: from_millis(row.int(11)?)?,
        expires_at: from_millis(row.int(12)?)?,
        deadline_at: from_millis(row.int(13)?)?,
        next_check_at: opt_time(row.opt_int(14)?)?,
        checks: u32::try_from(row.int(15)?).unwrap_or(u32::MAX),
    };
    let lease = match (row.opt_text(16)?, row.opt_text(17)?, row.opt_int(18)?) {
        (Some(owner), Some(kind), Some(until)) => Some(Lease {
            owner,
            kind: match kind.as_str() {
                "create" => LeaseKind::Create,
                _ => LeaseKind::Check,
            },
            until: from_millis(until)?,
        }),
        _ => None,
    };
    Ok(Stored { payment, lease })
}

fn key(gateway: Gateway, order: &str) -> [Value; 2] {
    [Value::from(gateway.as_str()), Value::from(order)]
}

/// The payment, locked for this transaction.
pub(crate) fn load(
    conn: &mut dyn Conn,
    gateway: Gateway,
    order: &str,
) -> Result<Option<Stored>, StoreError> {
    let rows = conn.query(
        &format!(
            "SELECT {PAYMENT} FROM pasarela_payments WHERE gateway = ?1 AND order_no = ?2{{lock}}"
        ),
        &key(gateway, order),
    )?;
    rows.first().map(stored).transpose()
}

/// Payments with this order number, of any gateway.
pub(crate) fn find(conn: &mut dyn Conn, order: &str) -> Result<Vec<Stored>, StoreError> {
    conn.query(
        &format!("SELECT {PAYMENT} FROM pasarela_payments WHERE order_no = ?1 ORDER BY gateway"),
        &[Value::from(order)],
    )?
    .iter()
    .map(stored)
    .collect()
}

/// A page of payments, newest first, optionally in one state.
pub(crate) fn list(
    conn: &mut dyn Conn,
    state: Option<State>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Stored>, StoreError> {
    let rows = match state {
        Some(state) => conn.query(
            &format!(
                "SELECT {PAYMENT} FROM pasarela_payments WHERE state = ?1 \
                 ORDER BY created_at DESC, gateway, order_no LIMIT ?2 OFFSET ?3"
            ),
            &[Value::from(state.as_str()), limit.into(), offset.into()],
        )?,
        None => conn.query(
            &format!(
                "SELECT {PAYMENT} FROM pasarela_payments \
                 ORDER BY created_at DESC, gateway, order_no LIMIT ?1 OFFSET ?2"
            ),
            &[limit.into(), offset.into()],
        )?,
    };
    rows.iter().map(stored).collect()
}

/// How many payments are in each state.
pub(crate) fn counts(conn: &mut dyn Conn) -> Result<Vec<(State, u64)>, StoreError> {
    conn.query(
        "SELECT state, COUNT(*) FROM pasarela_payments GROUP BY state ORDER BY state",
        &[],
    )?
    .iter()
    .map(|row| {
        Ok((
            parse(&row.text(0)?)?,
            u64::try_from(row.int(1)?).unwrap_or(0),
        ))
    })
    .collect()
}

fn save(
    conn: &mut dyn Conn,
    before: &Payment,
    after: &Payment,
    lease: Option<&Lease>,
) -> Result<(), StoreError> {
    let changed = conn.execute(
        "UPDATE pasarela_payments SET state = ?1, version = ?2, gateway_ref = ?3, payment_url = ?4, \
         reason = ?5, updated_at = ?6, next_check_at = ?7, checks = ?8, lease_owner = ?9, \
         lease_kind = ?10, lease_until = ?11, expires_at = ?15, deadline_at = ?16 \
         WHERE gateway = ?12 AND order_no = ?13 AND version = ?14",
        &[
            Value::from(after.state.as_str()),
            Value::from(i64::try_from(after.version).unwrap_or(i64::MAX)),
            Value::from(after.gateway_ref.clone()),
            Value::from(after.payment_url.clone()),
            Value::from(after.reason.clone()),
            Value::from(millis(after.updated_at)),
            Value::from(after.next_check_at.map(millis)),
            Value::from(i64::from(after.checks)),
            Value::from(lease.map(|l| l.owner.clone())),
            Value::from(lease.map(|l| l.kind.as_str())),
            Value::from(lease.map(|l| millis(l.until))),
            Value::from(before.gateway.as_str()),
            Value::from(before.order.as_str()),
            Value::from(i64::try_from(before.version).unwrap_or(i64::MAX)),
            Value::from(millis(after.expires_at)),
            Value::from(millis(after.deadline_at)),
        ],
    )?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(before.key()))
    }
}

fn append(conn: &mut dyn Conn, payment: &Payment, entry: &Entry) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO pasarela_history (gateway, order_no, seq, at, fact, detail, state_from, state_to, note) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            Value::from(payment.gateway.as_str()),
            Value::from(payment.order.as_str()),
            Value::from(i64::try_from(entry.seq).unwrap_or(i64::MAX)),
            Value::from(millis(entry.at)),
            Value::from(entry.fact),
            Value::from(entry.detail.to_string()),
            Value::from(entry.from.as_str()),
            Value::from(entry.to.as_str()),
            Value::from(entry.note.as_str()),
        ],
    )?;
    Ok(())
}

fn hand_over(
    conn: &mut dyn Conn,
    payment: &Payment,
    kind: OutcomeKind,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO pasarela_outcomes (id, gateway, order_no, seq, kind, reason, amount, currency, \
         gateway_ref, created_at, claimed_by, claimed_until, claims, acked_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, NULL, 0, NULL)",
        &[
            Value::from(format!("{}:{}", payment.key(), payment.version)),
            Value::from(payment.gateway.as_str()),
            Value::from(payment.order.as_str()),
            Value::from(i64::try_from(payment.version).unwrap_or(i64::MAX)),
            Value::from(kind.as_str()),
            Value::from(payment.reason.clone()),
            Value::from(amount_i64(payment.amount)?),
            Value::from(payment.amount.currency().as_str()),
            Value::from(payment.gateway_ref.clone()),
            Value::from(millis(now)),
        ],
    )?;
    Ok(())
}

/// What [`begin`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Begin {
    /// Recorded (new, or an intent nothing exists for) and leased to this
    /// checkout: send the create.
    Create(Payment),
    /// The payment exists already in this state: never create it again.
    Existing(Payment),
    /// Another checkout holds it (creating it now).
    InProgress(Payment),
    /// The order number is taken by another payment (other merchant,
    /// amount or currency).
    Taken(Payment),
}

/// Records the intent of a checkout before a byte leaves, or finds what
/// exists under its order number. The payer's data is stored with it only
/// when `keep_payer` (the application opted in).
pub(crate) fn begin(
    conn: &mut dyn Conn,
    new: &NewPayment,
    now: OffsetDateTime,
    policy: &Policy,
    owner: &str,
    keep_payer: bool,
) -> Result<Begin, StoreError> {
    let lease = Lease {
        owner: owner.to_owned(),
        kind: LeaseKind::Create,
        until: now + policy.create_lease,
    };
    let Some(existing) = load(conn, new.gateway, &new.order)? else {
        let payment = Payment::intent(new, now, policy);
        conn.execute(
            &format!(
                "INSERT INTO pasarela_payments ({PAYMENT}, payer) VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, NULL, NULL, ?8, ?9, ?10, ?11, ?12, 0, ?13, ?14, ?15, ?16)"
            ),
            &[
                Value::from(payment.gateway.as_str()),
                Value::from(payment.order.as_str()),
                Value::from(payment.merchant.as_str()),
                Value::from(amount_i64(payment.amount)?),
                Value::from(payment.amount.currency().as_str()),
                Value::from(State::Intent.as_str()),
                Value::from(0i64),
                Value::from(millis(now)),
                Value::from(millis(now)),
                Value::from(millis(payment.expires_at)),
                Value::from(millis(payment.deadline_at)),
                Value::from(payment.next_check_at.map(millis)),
                Value::from(lease.owner.clone()),
                Value::from(lease.kind.as_str()),
                Value::from(millis(lease.until)),
                Value::from(
                    new.payer
                        .as_ref()
                        .filter(|payer| keep_payer && !payer.is_empty())
                        .map(PayerData::to_json),
                ),
            ],
        )?;
        let entry = Entry {
            seq: 0,
            at: now,
            fact: "intent_recorded",
            detail: serde_json::json!({
                "merchant": payment.merchant,
                "amount": payment.amount.minor_units(),
                "currency": payment.amount.currency().as_str(),
                "expiresAt": millis(payment.expires_at),
            }),
            from: State::Intent,
            to: State::Intent,
            note: "recorded before the create is sent".into(),
        };
        append(conn, &payment, &entry)?;
        return Ok(Begin::Create(payment));
    };
    let payment = existing.payment.clone();
    if payment.merchant != new.merchant || payment.amount != new.amount {
        return Ok(Begin::Taken(payment));
    }
    if payment.state != State::Intent {
        return Ok(Begin::Existing(payment));
    }
    if existing.leased_at(now).is_some() {
        return Ok(Begin::InProgress(payment));
    }
    if existing
        .lease
        .as_ref()
        .is_some_and(|l| l.kind == LeaseKind::Create)
    {
        // A create lease that ran out with no answer recorded: the create
        // may have left (its process stopped). Reconcile, never re-send.
        return Ok(Begin::Existing(payment));
    }
    // Nothing exists at the gateway (never sent, or reconciled absent): a
    // new attempt under the same order number, leased to this checkout,
    // with this attempt's expiry and deadline, in the history.
    let mut again = payment.clone();
    again.version = payment.version.saturating_add(1);
    again.updated_at = now;
    again.expires_at = new.expires_at;
    again.deadline_at = new.expires_at + policy.deadline_margin;
    again.next_check_at = Some(again.deadline_at);
    // Looks are counted per attempt (a new create is reconciled afresh).
    again.checks = 0;
    save(conn, &payment, &again, Some(&lease))?;
    let entry = Entry {
        seq: again.version,
        at: now,
        fact: "attempt_recorded",
        detail: serde_json::json!({ "expiresAt": millis(again.expires_at) }),
        from: State::Intent,
        to: State::Intent,
        note: "a new attempt: nothing exists at the gateway, the create is sent again".into(),
    };
    append(conn, &again, &entry)?;
    Ok(Begin::Create(again))
}

/// The payer data stored with a payment: `None` when there is no such
/// payment, `Some(None)` when none is stored (not opted in, or erased).
pub(crate) fn payer(
    conn: &mut dyn Conn,
    gateway: Gateway,
    order: &str,
) -> Result<Option<Option<PayerData>>, StoreError> {
    let rows = conn.query(
        "SELECT payer FROM pasarela_payments WHERE gateway = ?1 AND order_no = ?2",
        &key(gateway, order),
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    row.opt_text(0)?
        .map(|text| PayerData::from_json(&text).map_err(StoreError::data))
        .transpose()
        .map(Some)
}

/// Erases the payer data stored with a payment; whether the payment
/// exists.
pub(crate) fn erase_payer(
    conn: &mut dyn Conn,
    gateway: Gateway,
    order: &str,
) -> Result<bool, StoreError> {
    let changed = conn.execute(
        "UPDATE pasarela_payments SET payer = NULL WHERE gateway = ?1 AND order_no = ?2",
        &key(gateway, order),
    )?;
    Ok(changed > 0)
}

/// Applies a fact to the stored payment in this transaction: the record,
/// its history line and, for a settled payment, its outcome row, together.
/// `release` clears the lease when that instance holds it. `None` when no
/// such payment exists.
pub(crate) fn apply(
    conn: &mut dyn Conn,
    gateway: Gateway,
    order: &str,
    fact: &Fact,
    now: OffsetDateTime,
    policy: &Policy,
    release: Option<&str>,
) -> Result<Option<Step>, StoreError> {
    let Some(stored) = load(conn, gateway, order)? else {
        return Ok(None);
    };
    let lease = match (&stored.lease, release) {
        (Some(lease), Some(owner)) if lease.owner == owner => None,
        (lease, _) => lease.clone(),
    };
    applied(conn, &stored, fact, now, policy, |_| lease).map(Some)
}

/// Applies a fact to a payment loaded in this transaction, with the lease
/// `lease` picks from the step (one write of the record).
fn applied(
    conn: &mut dyn Conn,
    stored: &Stored,
    fact: &Fact,
    now: OffsetDateTime,
    policy: &Policy,
    lease: impl FnOnce(&Step) -> Option<Lease>,
) -> Result<Step, StoreError> {
    let step = step(&stored.payment, fact, now, policy);
    let lease = lease(&step);
    save(conn, &stored.payment, &step.payment, lease.as_ref())?;
    append(conn, &step.payment, &step.entry)?;
    for action in &step.actions {
        if let Action::HandOver(kind) = action {
            hand_over(conn, &step.payment, *kind, now)?;
        }
    }
    Ok(step)
}

/// A verified webhook event, as the inbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEvent {
    /// The gateway.
    pub gateway: Gateway,
    /// The event's id, made of authenticated parts only.
    pub event_id: String,
    /// The order number it names (a claim for SmilePayz; hash-bound for
    /// Monnet): it finds the record, nothing more.
    pub order: String,
    /// What it claims (a status), for the history.
    pub claim: String,
    /// Its content, minus personal data.
    pub detail: Json,
}

/// What recording an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// New: stored, and applied to the payment it names (when the ledger
    /// has one).
    New {
        /// The step the event made, when the ledger has its payment.
        step: Option<Box<Step>>,
        /// The look this write made ready, when it leased the payment and
        /// took a status call of its merchant's rate.
        reserved: Option<Box<Reserved>>,
    },
    /// Seen before: nothing changed.
    Repeat,
}

/// A look made ready in an event's write: the payment as leased to this
/// instance, with a status call of this second (`second`, Unix seconds of
/// the ledger's clock) taken from its merchant's rate. A confirmation in
/// that second uses it without a write of its own; later, the slot is
/// spent and the confirmation takes another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserved {
    /// The payment and its lease, as committed.
    pub stored: Stored,
    /// The second whose rate slot it holds.
    pub second: i64,
}

/// Stores a verified event in the inbox, unique on its id, and applies it
/// to its payment — in this transaction. A payment the event makes due is
/// leased to `owner` and, within `rate` calls a second for its merchant,
/// given a status call of this second ([`Reserved`]).
pub(crate) fn record_event(
    conn: &mut dyn Conn,
    event: &InboxEvent,
    now: OffsetDateTime,
    policy: &Policy,
    owner: &str,
    rate: u32,
) -> Result<Recorded, StoreError> {
    let inserted = conn.query(
        "INSERT INTO pasarela_inbox (gateway, event_id, order_no, received_at, detail) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (gateway, event_id) DO NOTHING RETURNING event_id",
        &[
            Value::from(event.gateway.as_str()),
            Value::from(event.event_id.as_str()),
            Value::from(event.order.as_str()),
            Value::from(millis(now)),
            Value::from(event.detail.to_string()),
        ],
    )?;
    if inserted.is_empty() {
        return Ok(Recorded::Repeat);
    }
    let fact = Fact::EventReceived {
        event_id: event.event_id.clone(),
        claim: event.claim.clone(),
    };
    let Some(stored) = load(conn, event.gateway, &event.order)? else {
        return Ok(Recorded::New {
            step: None,
            reserved: None,
        });
    };
    // A payment the event makes due now is leased to this instance in the
    // same write, so that its confirmation right after needs no write of
    // its own (and another instance's sweeper leaves it alone meanwhile;
    // if this instance stops, the lease runs out and a sweeper takes it).
    // A lease someone holds stays theirs.
    let mut taken = None;
    let step = applied(conn, &stored, &fact, now, policy, |step| {
        let due = step.payment.next_check_at.is_some_and(|at| at <= now);
        if due && stored.leased_at(now).is_none() {
            let lease = Lease {
                owner: owner.to_owned(),
                kind: LeaseKind::Check,
                until: now + policy.check_lease,
            };
            taken = Some(lease.clone());
            Some(lease)
        } else {
            stored.lease.clone()
        }
    })?;
    // The status call of that confirmation, in the same write too, when
    // the merchant's rate has one left in this second.
    let reserved = match taken {
        Some(lease) => {
            let leased = Stored {
                payment: step.payment.clone(),
                lease: Some(lease),
            };
            let second = now.unix_timestamp();
            let slot = leased.look_asks(now)
                && take_rate(
                    conn,
                    &rate_bucket(&leased.payment),
                    second,
                    rate,
                    &event.order,
                )?;
            slot.then(|| {
                Box::new(Reserved {
                    stored: leased,
                    second,
                })
            })
        }
        None => None,
    };
    Ok(Recorded::New {
        step: Some(Box::new(step)),
        reserved,
    })
}

/// Takes up to `limit` payments that are due (their next look is now, or
/// a checkout's create lease ran out) and that no instance holds, and
/// leases them to `owner` for a status call. Returns them as they were
/// (with the lease they had, which tells a crashed create).
pub(crate) fn lease_due(
    conn: &mut dyn Conn,
    now: OffsetDateTime,
    owner: &str,
    policy: &Policy,
    limit: i64,
) -> Result<Vec<Stored>, StoreError> {
    let due = conn.query(
        &format!(
            "SELECT {PAYMENT} FROM pasarela_payments \
             WHERE (next_check_at <= ?1 OR (lease_kind = 'create' AND lease_until <= ?1)) \
             AND (lease_until IS NULL OR lease_until <= ?1) \
             ORDER BY next_check_at LIMIT ?2{{skip}}"
        ),
        &[Value::from(millis(now)), limit.into()],
    )?;
    let mut taken = Vec::with_capacity(due.len());
    for row in &due {
        let found = stored(row)?;
        lease_for_a_look(conn, &found, owner, now, policy)?;
        taken.push(found);
    }
    Ok(taken)
}

/// What [`lease_one`] found.
#[derive(Debug)]
pub(crate) enum LeaseOne {
    /// No such payment.
    Absent,
    /// Another instance holds it (it is looking already).
    Held,
    /// Nothing to ask: final, with no look due (another instance settled
    /// it).
    Settled(Payment),
    /// Its merchant's status calls for this second are used up: left due
    /// in the next second, for a sweeper.
    Deferred(Payment),
    /// Leased to this instance (and, when the look asks, with a status call
    /// of its merchant's rate taken).
    Taken(Stored),
}

/// Leases one payment to `owner` for a look, in one transaction with the
/// status call it takes from the merchant's `rate` (per second, across
/// instances): unless another instance holds it, nothing is due, or the
/// rate is used up.
pub(crate) fn lease_one(
    conn: &mut dyn Conn,
    gateway: Gateway,
    order: &str,
    now: OffsetDateTime,
    owner: &str,
    policy: &Policy,
    rate: u32,
) -> Result<LeaseOne, StoreError> {
    let Some(found) = load(conn, gateway, order)? else {
        return Ok(LeaseOne::Absent);
    };
    let ours_for_a_check = match found.leased_at(now) {
        // A checkout is creating it (this instance's or another's): its
        // create may be on the wire; the checkout records the answer and
        // gives the lease back, and a look waits for that.
        Some(lease) if lease.kind == LeaseKind::Create => return Ok(LeaseOne::Held),
        Some(lease) if lease.owner != owner => return Ok(LeaseOne::Held),
        // Ours already (taken with the event that made it due).
        Some(_) => true,
        None => false,
    };
    let asks = found.look_asks(now);
    if found.payment.state.is_final() && !asks {
        return Ok(LeaseOne::Settled(found.payment));
    }
    if asks
        && !take_rate(
            conn,
            &rate_bucket(&found.payment),
            now.unix_timestamp(),
            rate,
            order,
        )?
    {
        let next_second =
            OffsetDateTime::from_unix_timestamp(now.unix_timestamp() + 1).unwrap_or(now);
        let mut payment = found.payment;
        // Left due for a sweeper; a check lease of ours given back (a
        // create lease of ours stays: its checkout is still running).
        if ours_for_a_check {
            release(conn, gateway, order, owner, Some(next_second))?;
            payment.next_check_at = Some(next_second);
        } else {
            conn.execute(
                "UPDATE pasarela_payments SET next_check_at = ?1 \
                 WHERE gateway = ?2 AND order_no = ?3 \
                 AND (next_check_at IS NULL OR next_check_at > ?1)",
                &[
                    Value::from(millis(next_second)),
                    Value::from(gateway.as_str()),
                    Value::from(order),
                ],
            )?;
            payment.next_check_at = Some(
                payment
                    .next_check_at
                    .map_or(next_second, |at| at.min(next_second)),
            );
        }
        return Ok(LeaseOne::Deferred(payment));
    }
    if !ours_for_a_check {
        lease_for_a_look(conn, &found, owner, now, policy)?;
    }
    Ok(LeaseOne::Taken(found))
}

/// The rate bucket of a payment's status calls: its gateway and merchant.
pub(crate) fn rate_bucket(payment: &Payment) -> String {
    format!("{}:{}", payment.gateway, payment.merchant)
}

/// Leases a payment to `owner` for a look (of the kind
/// [`Stored::kind_to_take`] says), for the policy's check lease.
fn lease_for_a_look(
    conn: &mut dyn Conn,
    found: &Stored,
    owner: &str,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<(), StoreError> {
    take_lease(
        conn,
        &found.payment,
        owner,
        found.kind_to_take(),
        now + policy.check_lease,
    )
}

fn take_lease(
    conn: &mut dyn Conn,
    payment: &Payment,
    owner: &str,
    kind: LeaseKind,
    until: OffsetDateTime,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE pasarela_payments SET lease_owner = ?1, lease_kind = ?2, lease_until = ?3 \
         WHERE gateway = ?4 AND order_no = ?5",
        &[
            Value::from(owner),
            Value::from(kind.as_str()),
            Value::from(millis(until)),
            Value::from(payment.gateway.as_str()),
            Value::from(payment.order.as_str()),
        ],
    )?;
    Ok(())
}

/// Gives a lease back (and, with `next`, moves the next look), when the
/// holder learned nothing to apply (its status call was not made).
pub(crate) fn release(
    conn: &mut dyn Conn,
    gateway: Gateway,
    order: &str,
    owner: &str,
    next: Option<OffsetDateTime>,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE pasarela_payments SET lease_owner = NULL, lease_kind = NULL, lease_until = NULL, \
         next_check_at = COALESCE(?1, next_check_at) \
         WHERE gateway = ?2 AND order_no = ?3 AND lease_owner = ?4",
        &[
            Value::from(next.map(millis)),
            Value::from(gateway.as_str()),
            Value::from(order),
            Value::from(owner),
        ],
    )?;
    Ok(())
}

/// Takes a status call for `bucket` (a merchant) in the second `second`,
/// if fewer than `limit` were taken in it, across every instance; `seed`
/// (the order number) spreads concurrent takers over the slots.
///
/// Each call taken is a row `(bucket, second, slot)` with `slot` below
/// `limit`, so the primary key alone bounds the calls in a second:
/// concurrent takers insert different rows and wait for no one, where one
/// counter row made each wait for the commit of the one before. A taker
/// inserts the first free slot from where its seed points. Under a small
/// limit (Monnet recommends 10 a second) it counts the slots used first
/// and is refused at once when all are; under a large one it counts only
/// when the first few slots it tries are taken, so its cost does not grow
/// with the calls already taken in the second. The first taker of a
/// second clears its merchant's slots older than a minute.
pub(crate) fn take_rate(
    conn: &mut dyn Conn,
    bucket: &str,
    second: i64,
    limit: u32,
    seed: &str,
) -> Result<bool, StoreError> {
    /// Limits up to which the slots used are counted before any is tried.
    const COUNTED_FIRST: i64 = 64;
    /// Slots tried before counting, under a larger limit.
    const FIRST_TRIES: i64 = 4;
    let limit = i64::from(limit);
    if limit == 0 {
        return Ok(false);
    }
    let count = |conn: &mut dyn Conn| -> Result<i64, StoreError> {
        conn.query(
            "SELECT COUNT(*) FROM pasarela_rate_slots WHERE bucket = ?1 AND second = ?2",
            &[Value::from(bucket), second.into()],
        )?
        .first()
        .map_or(Ok(0), |row| row.int(0))
    };
    let counted = if limit <= COUNTED_FIRST {
        let used = count(conn)?;
        if used >= limit {
            return Ok(false);
        }
        Some(used)
    } else {
        None
    };
    let first = match counted {
        Some(used) => used == 0,
        None => conn
            .query(
                "SELECT slot FROM pasarela_rate_slots WHERE bucket = ?1 AND second = ?2 LIMIT 1",
                &[Value::from(bucket), second.into()],
            )?
            .is_empty(),
    };
    if first {
        conn.execute(
            "DELETE FROM pasarela_rate_slots WHERE bucket = ?1 AND second < ?2",
            &[Value::from(bucket), Value::from(second - 60)],
        )?;
    }
    let start = i64::try_from(fnv1a(seed) % limit.unsigned_abs()).unwrap_or(0);
    let try_slot = |conn: &mut dyn Conn, i: i64| -> Result<bool, StoreError> {
        let taken = conn.query(
            "INSERT INTO pasarela_rate_slots (bucket, second, slot) VALUES (?1, ?2, ?3) \
             ON CONFLICT (bucket, second, slot) DO NOTHING RETURNING slot",
            &[
                Value::from(bucket),
                second.into(),
                ((start + i) % limit).into(),
            ],
        )?;
        Ok(!taken.is_empty())
    };
    let (tried, used) = match counted {
        Some(used) => (0, used),
        None => {
            for i in 0..FIRST_TRIES {
                if try_slot(conn, i)? {
                    return Ok(true);
                }
            }
            (FIRST_TRIES, count(conn)?)
        }
    };
    // Linear probing from the seed's slot finds a free one within
    // `used + 1` tries, unless others took slots meanwhile: then the call
    // is refused (left for the next second), never over the limit.
    for i in tried..=used.min(limit - 1) {
        if try_slot(conn, i)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// FNV-1a, 64 bits: a stable spread of order numbers over rate slots.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A final outcome handed to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// Its id, `gateway:order:seq`: the idempotency key of whatever the
    /// application does with it.
    pub id: String,
    /// The gateway.
    pub gateway: Gateway,
    /// The merchant's order number.
    pub order: String,
    /// Paid, not paid, or needs attention.
    pub kind: OutcomeKind,
    /// Why (the decline, the mismatch).
    pub reason: Option<String>,
    /// Amount and currency of the payment.
    pub amount: Money,
    /// The gateway's reference.
    pub gateway_ref: Option<String>,
    /// When it was decided.
    pub created_at: OffsetDateTime,
    /// How many times it was claimed (more than once: an earlier claim's
    /// holder did not acknowledge it in time).
    pub claims: u32,
    /// When it was acknowledged, if it was.
    pub acknowledged_at: Option<OffsetDateTime>,
    pub(crate) token: String,
}

const OUTCOME: &str = "id, gateway, order_no, kind, reason, amount, currency, gateway_ref, \
    created_at, claims, acked_at, claimed_by";

fn outcome(row: &Row) -> Result<Outcome, StoreError> {
    Ok(Outcome {
        id: row.text(0)?,
        gateway: parse(&row.text(1)?)?,
        order: row.text(2)?,
        kind: parse(&row.text(3)?)?,
        reason: row.opt_text(4)?,
        amount: money(row.int(5)?, &row.text(6)?)?,
        gateway_ref: row.opt_text(7)?,
        created_at: from_millis(row.int(8)?)?,
        claims: u32::try_from(row.int(9)?).unwrap_or(u32::MAX),
        acknowledged_at: opt_time(row.opt_int(10)?)?,
        token: row.opt_text(11)?.unwrap_or_default(),
    })
}

/// Claims up to `limit` outcomes nobody acknowledged and nobody holds,
/// oldest first, for `token` until `until`.
pub(crate) fn claim_outcomes(
    conn: &mut dyn Conn,
    now: OffsetDateTime,
    token: &str,
    until: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Outcome>, StoreError> {
    let open = conn.query(
        "SELECT id FROM pasarela_outcomes WHERE acked_at IS NULL \
         AND (claimed_until IS NULL OR claimed_until <= ?1) \
         ORDER BY created_at, id LIMIT ?2{skip}",
        &[Value::from(millis(now)), limit.into()],
    )?;
    let mut claimed = Vec::with_capacity(open.len());
    for row in &open {
        let id = row.text(0)?;
        let rows = conn.query(
            &format!(
                "UPDATE pasarela_outcomes SET claimed_by = ?1, claimed_until = ?2, claims = claims + 1 \
                 WHERE id = ?3 RETURNING {OUTCOME}"
            ),
            &[Value::from(token), Value::from(millis(until)), Value::from(id)],
        )?;
        if let Some(row) = rows.first() {
            claimed.push(outcome(row)?);
        }
    }
    Ok(claimed)
}

/// Acknowledges an outcome claimed by `token`: `true` when this call did,
/// `false` when it was acknowledged under this claim already (a retry
/// after a commit whose answer was lost: its effect must not run again).
/// After another claim took it, fails with [`StoreError::ClaimLost`].
pub(crate) fn acknowledge(
    conn: &mut dyn Conn,
    id: &str,
    token: &str,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let changed = conn.execute(
        "UPDATE pasarela_outcomes SET acked_at = ?1 WHERE id = ?2 AND claimed_by = ?3 AND acked_at IS NULL",
        &[Value::from(millis(now)), Value::from(id), Value::from(token)],
    )?;
    if changed == 1 {
        return Ok(true);
    }
    let already = conn.query(
        "SELECT acked_at FROM pasarela_outcomes WHERE id = ?1 AND claimed_by = ?2",
        &[Value::from(id), Value::from(token)],
    )?;
    match already.first().map(|r| r.opt_int(0)).transpose()?.flatten() {
        Some(_) => Ok(false),
        None => Err(StoreError::ClaimLost { id: id.to_owned() }),
    }
}

/// Acknowledges every outcome of `claimed` still held by its claim, in
/// this transaction; returns how many (an outcome whose claim was lost is
/// left to its new holder).
pub(crate) fn acknowledge_all(
    conn: &mut dyn Conn,
    claimed: &[(String, String)],
    now: OffsetDateTime,
) -> Result<usize, StoreError> {
    let mut done = 0;
    for (id, token) in claimed {
        match acknowledge(conn, id, token, now) {
            // Acknowledged now, or before under this claim: held either way.
            Ok(_) => done += 1,
            Err(StoreError::ClaimLost { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// A payment's outcomes, oldest first.
pub(crate) fn outcomes_of(
    conn: &mut dyn Conn,
    gateway: Gateway,
    order: &str,
) -> Result<Vec<Outcome>, StoreError> {
    conn.query(
        &format!("SELECT {OUTCOME} FROM pasarela_outcomes WHERE gateway = ?1 AND order_no = ?2 ORDER BY seq"),
        &key(gateway, order),
    )?
    .iter()
    .map(|row| {
        // Read, not claimed: without the claimant's token (acknowledging
        // one of these fails as a lost claim instead of taking another
        // instance's claim over).
        let mut read = outcome(row)?;
        read.token.clear();
        Ok(read)
    })
    .collect()
}

/// One stored line of a payment's history.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryLine {
    /// Its number.
    pub seq: u64,
    /// When.
    pub at: OffsetDateTime,
    /// The fact's kind.
    pub fact: String,
    /// The fact's content.
    pub detail: Json,
    /// The state before.
    pub from: State,
    /// The state after.
    pub to: State,
    /// Why, in words.
    pub note: String,
}

/// A payment's history, in order.
pub(crate) fn history(
    conn: &mut dyn Conn,
    gateway: Gateway,
    order: &str,
) -> Result<Vec<HistoryLine>, StoreError> {
    conn.query(
        "SELECT seq, at, fact, detail, state_from, state_to, note FROM pasarela_history \
         WHERE gateway = ?1 AND order_no = ?2 ORDER BY seq",
        &key(gateway, order),
    )?
    .iter()
    .map(|row| {
        Ok(HistoryLine {
            seq: u64::try_from(row.int(0)?).unwrap_or(0),
            at: from_millis(row.int(1)?)?,
            fact: row.text(2)?,
            detail: serde_json::from_str(&row.text(3)?).unwrap_or(Json::Null),
            from: parse(&row.text(4)?)?,
            to: parse(&row.text(5)?)?,
            note: row.text(6)?,
        })
    })
    .collect()
}

#[cfg(all(test, feature = "sqlite"))]
#[allow(clippy::unwrap_used)] // test helpers may panic
mod tests {
    use super::*;

    /// A new SQLite store in a file of its own, removed on drop.
    struct Scratch {
        store: crate::store::Store,
        _file: crate::store::scratch::ScratchFile,
    }

    impl Scratch {
        fn new(name: &str) -> Self {
            let file = crate::store::scratch::ScratchFile::new(name);
            let store = crate::store::Store::open(&file.db()).unwrap();
            Self { store, _file: file }
        }

        fn take(&self, bucket: &str, second: i64, limit: u32, seed: String) -> bool {
            let bucket = bucket.to_owned();
            self.store
                .transact(move |conn| take_rate(conn, &bucket, second, limit, &seed))
                .unwrap()
        }

        fn slots(&self, bucket: &str) -> i64 {
            let bucket = bucket.to_owned();
            self.store
                .transact(move |conn| {
                    conn.query(
                        "SELECT COUNT(*) FROM pasarela_rate_slots WHERE bucket = ?1",
                        &[Value::from(bucket.as_str())],
                    )?[0]
                        .int(0)
                })
                .unwrap()
        }
    }

    #[test]
    fn the_rate_grants_exactly_its_limit_each_second_small_or_large() {
        let scratch = Scratch::new("rate");
        // Counted first (up to 64), and probed first (above).
        for limit in [1u32, 10, 64, 65, 150] {
            let bucket = format!("smilepayz:m{limit}");
            let granted = (0..limit + 10)
                .filter(|i| scratch.take(&bucket, 1_000, limit, format!("order-{i}")))
                .count();
            assert_eq!(granted, limit as usize, "limit {limit}");
            // The same seed again: its slot is taken, another is found
            // while any is left — none is, so refused.
            assert!(!scratch.take(&bucket, 1_000, limit, "order-0".into()));
            // The next second starts afresh.
            assert!(scratch.take(&bucket, 1_001, limit, "order-0".into()));
        }
        assert!(!scratch.take("smilepayz:none", 1_000, 0, "order-0".into()));
    }

    #[test]
    fn the_first_taker_of_a_second_clears_slots_older_than_a_minute() {
        let scratch = Scratch::new("rate-clear");
        for (limit, bucket) in [(10u32, "monnet:small"), (1_000, "monnet:large")] {
            for i in 0..5 {
                assert!(scratch.take(bucket, 1_000, limit, format!("order-{i}")));
            }
            assert!(scratch.take(bucket, 1_030, limit, "order-a".into()));
            assert_eq!(scratch.slots(bucket), 6, "nothing is a minute old yet");
            assert!(scratch.take(bucket, 1_061, limit, "order-b".into()));
            assert_eq!(scratch.slots(bucket), 2, "second 1000 cleared: {bucket}");
        }
    }
}
