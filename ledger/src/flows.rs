//! The flows, written once: checkout, webhook events, confirmation, the
//! sweep, outcomes. Each is an async function over a [`Runner`] that says
//! how a database job is waited for — by blocking the calling thread
//! ([`Ledger`](crate::Ledger): blocking applications, with the blocking
//! clients whose futures are ready at once), or without blocking an
//! executor thread ([`AsyncLedger`](crate::AsyncLedger)) — so both
//! flavours run the same code.
//!
//! Write before you act: every flow records what it is about to do, or
//! what it learned, and only then acts on it (sends the create, answers
//! the webhook, hands the outcome over).

use std::collections::HashSet;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use pasarela_core::client::Clock;
use time::{Duration, OffsetDateTime};

use crate::error::LedgerError;
use crate::flavour::Flavour;
use crate::gateway::{PaymentGateway, StatusPort};
use crate::machine::{Fact, Policy, Step};
use crate::options::Options;
use crate::payment::{Gateway, OutcomeKind, Payment, State};
use crate::reserved::Reservations;
use crate::store::ops::{self, Begin, InboxEvent, LeaseOne, Outcome, Recorded, Stored};
use crate::store::{Conn, Store, StoreError};

/// A function called at each point of a flow where a crash must lose
/// nothing ([`Ledger::with_crash_probe`](crate::Ledger::with_crash_probe)).
pub(crate) type Probe = Arc<dyn Fn(&'static str) + Send + Sync>;

/// What every flow needs: the store, the policy, the clock, the options.
pub(crate) struct Core {
    pub(crate) store: Arc<Store>,
    pub(crate) policy: Policy,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) options: Options,
    pub(crate) probe: Option<Probe>,
    /// Looks webhook events made ready, for the confirmation right after.
    pub(crate) reserved: Arc<Reservations>,
}

impl Core {
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Calls the crash probe, if any, at `point`.
    pub(crate) fn probe(&self, point: &'static str) {
        if let Some(probe) = &self.probe {
            probe(point);
        }
    }

    /// A token for one claim of outcomes: this instance and a counter
    /// shared by every ledger of the process.
    fn claim_token(&self) -> String {
        static CLAIMS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = CLAIMS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{}#{n}", self.store.owner())
    }
}

/// How a database job runs.
pub(crate) trait Runner: Sync {
    /// Runs `job` in one transaction.
    fn db<T, F>(&self, job: F) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send + 'static,
        F: FnMut(&mut dyn Conn, &Core) -> Result<T, StoreError> + Send + 'static;

    /// The shared core.
    fn core(&self) -> &Arc<Core>;
}

/// Runs jobs at once, on the calling thread.
pub(crate) struct Direct<'a>(pub(crate) &'a Arc<Core>);

impl Runner for Direct<'_> {
    fn db<T, F>(&self, mut job: F) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send + 'static,
        F: FnMut(&mut dyn Conn, &Core) -> Result<T, StoreError> + Send + 'static,
    {
        let core = self.0.clone();
        let inner = core.clone();
        std::future::ready(core.store.transact(move |conn| job(conn, &inner)))
    }

    fn core(&self) -> &Arc<Core> {
        self.0
    }
}

/// What a checkout tells its caller to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NextStep {
    /// Send the shopper to this page to pay.
    Redirect(String),
    /// Show a decline: the gateway refused the create, or created the
    /// payment already failed. `reason` is the gateway's.
    Declined(String),
    /// We will know soon: the outcome of the create is unknown (the ledger
    /// reconciles it), the payment is pending without a page to show, or
    /// another checkout is creating it right now. Show "pending"; never
    /// create it again.
    Wait,
    /// The payment is settled already (a returning shopper): paid, not
    /// paid, or under review.
    Done(OutcomeKind),
    /// Nothing was created: the create certainly never left (the reason:
    /// a refused connection, an invalid request). Nothing will create it
    /// on its own; checking out this order again sends a new create (say
    /// so to the shopper, or retry later). Unless that happens, it settles
    /// as not paid at its deadline.
    TryAgain(String),
}

/// The result of a checkout: the record and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Checkout {
    /// What to do.
    pub next: NextStep,
    /// The record, as it stands after the checkout.
    pub payment: Payment,
    /// Whether this checkout sent a create (false: the record existed).
    pub created_now: bool,
}

fn next_step(payment: &Payment) -> NextStep {
    let reason = || payment.reason.clone().unwrap_or_default();
    match payment.state {
        State::Created | State::Pending => match &payment.payment_url {
            Some(url) => NextStep::Redirect(url.clone()),
            None => NextStep::Wait,
        },
        State::Rejected => NextStep::Declined(reason()),
        State::NotPaid if payment.version <= 1 || reason().starts_with("declined") => {
            NextStep::Declined(reason())
        }
        State::Intent | State::Unknown => NextStep::Wait,
        state => OutcomeKind::of(state).map_or(NextStep::Wait, NextStep::Done),
    }
}

/// Checkout: the intent is written before a byte leaves; the create goes
/// through the client; its answer is written; the caller learns what to
/// do. An order number that exists is never created again: a returning
/// shopper is sent back to the kept payment page, or told to wait while
/// the ledger reconciles.
pub(crate) async fn checkout<R: Runner, G: PaymentGateway>(
    run: &R,
    gateway: &G,
    request: &G::Request,
) -> Result<Checkout, LedgerError> {
    let now = run.core().now();
    let new = gateway
        .describe(request, now)
        .map_err(|e| LedgerError::NotRecordable(e.0))?;
    let wanted = new.clone();
    let begin = run
        .db(move |conn, core| {
            ops::begin(
                conn,
                &wanted,
                now,
                &core.policy,
                core.store.owner(),
                core.options.keep_payer_data,
            )
        })
        .await?;
    let payment = match begin {
        Begin::Create(payment) => payment,
        Begin::Existing(payment) | Begin::InProgress(payment) => {
            return Ok(Checkout {
                next: next_step(&payment),
                payment,
                created_now: false,
            });
        }
        Begin::Taken(existing) => {
            return Err(LedgerError::OrderTaken {
                gateway: existing.gateway,
                order: existing.order,
            });
        }
    };
    run.core().probe("checkout.intent_recorded");
    let fact = gateway.create(request).await;
    run.core().probe("checkout.create_answered");
    let not_sent = match &fact {
        Fact::CreateNotSent { reason } => Some(reason.clone()),
        _ => None,
    };
    let step = record(run, payment.gateway, &payment.order, fact, true).await?;
    let payment = step.map_or(payment, |s| s.payment);
    let next = match not_sent {
        Some(reason) if payment.state == State::Intent => NextStep::TryAgain(reason),
        _ => next_step(&payment),
    };
    Ok(Checkout {
        next,
        payment,
        created_now: true,
    })
}

/// Applies a fact, releasing this instance's lease when `release`.
pub(crate) async fn record<R: Runner>(
    run: &R,
    gateway: Gateway,
    order: &str,
    fact: Fact,
    release: bool,
) -> Result<Option<Step>, StoreError> {
    let order = order.to_owned();
    let now = run.core().now();
    run.db(move |conn, core| {
        let owner = core.store.owner().to_owned();
        ops::apply(
            conn,
            gateway,
            &order,
            &fact,
            now,
            &core.policy,
            release.then_some(owner.as_str()),
        )
    })
    .await
}

/// What storing a verified event did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventOutcome {
    /// A new event for a payment of ours: the ledger will ask the gateway
    /// about it. The payment is leased to this instance for
    /// [`Policy::check_lease`](crate::Policy::check_lease), with its
    /// status call of this second taken when the merchant's rate had one
    /// left: confirm it now ([`Ledger::confirm`](crate::Ledger::confirm),
    /// on a task once the webhook is answered; within this second it
    /// writes nothing before asking); if nothing does, a sweeper takes it
    /// when the lease runs out.
    New {
        /// The payment, after the event.
        payment: Box<Payment>,
    },
    /// A new event for an order the ledger does not have: kept in the
    /// inbox, nothing else.
    Unknown,
    /// Seen before: nothing changed.
    Repeat,
}

impl EventOutcome {
    /// The payment to confirm now, if any.
    pub fn to_confirm(&self) -> Option<(Gateway, &str)> {
        match self {
            EventOutcome::New { payment } if payment.next_check_at.is_some() => {
                Some((payment.gateway, payment.order.as_str()))
            }
            _ => None,
        }
    }
}

/// Stores a verified event (unique on its id) and applies it, before the
/// webhook is acknowledged.
pub(crate) async fn receive<R: Runner>(
    run: &R,
    event: InboxEvent,
) -> Result<EventOutcome, StoreError> {
    let now = run.core().now();
    let recorded = run
        .db(move |conn, core| {
            ops::record_event(
                conn,
                &event,
                now,
                &core.policy,
                core.store.owner(),
                core.options.rate_per_second,
            )
        })
        .await?;
    run.core().probe("webhook.stored");
    Ok(match recorded {
        Recorded::Repeat => EventOutcome::Repeat,
        Recorded::New { step: None, .. } => EventOutcome::Unknown,
        Recorded::New {
            step: Some(step),
            reserved,
        } => {
            if let Some(reserved) = reserved {
                run.core().reserved.keep(*reserved);
            }
            EventOutcome::New {
                payment: Box::new(step.payment),
            }
        }
    })
}

/// Asks the gateway about one payment now and records the answer —
/// unless another instance holds it (it is asking already: `None`), it is
/// final with nothing due (another instance settled it), or its merchant's
/// status calls for this second are used up (it is left due, for a
/// sweeper in the next second). The status call counts against the same
/// per-merchant rate as the sweeper's.
pub(crate) async fn confirm<R: Runner>(
    run: &R,
    port: &dyn StatusPort,
    gateway: Gateway,
    order: &str,
) -> Result<Option<Payment>, StoreError> {
    let now = run.core().now();
    // Leased, with its status call taken, by the event that made it due in
    // this second: ask at once.
    if let Some(stored) = run
        .core()
        .reserved
        .take(gateway, order, now.unix_timestamp())
    {
        return look(run, port, stored).await.map(Some);
    }
    let key = order.to_owned();
    let leased = run
        .db(move |conn, core| {
            ops::lease_one(
                conn,
                gateway,
                &key,
                now,
                core.store.owner(),
                &core.policy,
                core.options.rate_per_second,
            )
        })
        .await?;
    match leased {
        LeaseOne::Absent | LeaseOne::Held => Ok(None),
        LeaseOne::Settled(payment) | LeaseOne::Deferred(payment) => Ok(Some(payment)),
        LeaseOne::Taken(stored) => look(run, port, stored).await.map(Some),
    }
}

/// One look at a leased payment: settle what time settles, else ask the
/// gateway (one last time at the deadline, before giving up); record what
/// was learned; give the lease back. A status call is made exactly when
/// [`Stored::look_asks`] says so (the caller took its rate).
async fn look<R: Runner>(
    run: &R,
    port: &dyn StatusPort,
    stored: Stored,
) -> Result<Payment, StoreError> {
    let now = run.core().now();
    let asks = stored.look_asks(now);
    let stopped_create = stored.stopped_create(now);
    let payment = stored.payment;
    let (gateway, order) = (payment.gateway, payment.order.clone());
    if stopped_create {
        let fact = Fact::CreateMaybeSent {
            reason:
                "no answer was recorded before the create's lease ran out (its process stopped?)"
                    .into(),
        };
        let step = record(run, gateway, &order, fact, true).await?;
        return Ok(step.map_or(payment, |s| s.payment));
    }
    let past_deadline = now >= payment.deadline_at && !payment.state.is_final();
    if !asks {
        if past_deadline {
            // An intent nothing was sent for: settled at its deadline.
            let step = record(run, gateway, &order, Fact::DeadlinePassed, true).await?;
            return Ok(step.map_or(payment, |s| s.payment));
        }
        // An intent before its deadline (nobody creates it: nothing to
        // ask), or a final payment with no look due.
        let at = (payment.state == State::Intent).then_some(payment.deadline_at);
        run.db(move |conn, core| ops::release(conn, gateway, &order, core.store.owner(), at))
            .await?;
        return Ok(payment);
    }
    run.core().probe("status.leased");
    let fact = port.status_boxed(&payment).await;
    run.core().probe("status.answered");
    let step = record(run, gateway, &order, fact, !past_deadline).await?;
    let after = step.map_or(payment, |s| s.payment);
    if past_deadline && !after.state.is_final() {
        let step = record(run, gateway, &order, Fact::DeadlinePassed, true).await?;
        return Ok(step.map_or(after, |s| s.payment));
    }
    if past_deadline {
        run.db(move |conn, core| ops::release(conn, gateway, &order, core.store.owner(), None))
            .await?;
    }
    Ok(after)
}

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SweepReport {
    /// Payments looked at.
    pub looked: usize,
    /// Status calls made.
    pub asked: usize,
    /// Payments that reached a final state in this sweep.
    pub settled: usize,
    /// Payments left for later: their merchant's rate was used up, or no
    /// client was given for their gateway.
    pub deferred: usize,
}

/// The clients a sweep asks, one per gateway, all of one [`Flavour`]:
/// `Gateways<Blocking>` for [`Ledger::sweep`](crate::Ledger::sweep),
/// `Gateways<Async>` for [`AsyncLedger`](crate::AsyncLedger)'s sweeps and
/// sweeper task ([`crate::flavour`]); `Gateways::new().with(client)` takes
/// it from the client. Cheap to clone.
pub struct Gateways<F: Flavour> {
    ports: Vec<Arc<dyn StatusPort>>,
    flavour: PhantomData<fn() -> F>,
}

impl<F: Flavour> Clone for Gateways<F> {
    fn clone(&self) -> Self {
        Self {
            ports: self.ports.clone(),
            flavour: PhantomData,
        }
    }
}

impl<F: Flavour> Default for Gateways<F> {
    fn default() -> Self {
        Self {
            ports: Vec::new(),
            flavour: PhantomData,
        }
    }
}

impl<F: Flavour> std::fmt::Debug for Gateways<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateways")
            .field("flavour", &F::NAME)
            .field(
                "gateways",
                &self.ports.iter().map(|p| p.gateway()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<F: Flavour> Gateways<F> {
    /// No clients yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks `client` (a clone of yours: the clients are cheap to clone)
    /// about its gateway's payments, instead of any client given before
    /// for that gateway.
    pub fn with<G: PaymentGateway<Flavour = F> + 'static>(mut self, client: G) -> Self {
        let gateway = PaymentGateway::gateway(&client);
        self.ports.retain(|p| p.gateway() != gateway);
        self.ports.push(Arc::new(client));
        self
    }

    pub(crate) fn port(&self, gateway: Gateway) -> Option<&dyn StatusPort> {
        self.ports
            .iter()
            .find(|p| p.gateway() == gateway)
            .map(|p| &**p)
    }
}

/// One pass: takes what is due (a lease per payment, so instances never
/// ask about one payment at the same time), settles what time settles,
/// asks the gateway about the rest within each merchant's rate, records
/// every answer.
pub(crate) async fn sweep<R: Runner, F: Flavour>(
    run: &R,
    gateways: &Gateways<F>,
) -> Result<SweepReport, StoreError> {
    let now = run.core().now();
    let batch = i64::from(run.core().options.sweep_batch);
    let leased = run
        .db(move |conn, core| ops::lease_due(conn, now, core.store.owner(), &core.policy, batch))
        .await?;
    let mut report = SweepReport::default();
    // Merchants whose status calls for a second are used up, in this pass:
    // the rest of theirs are deferred without asking the database again.
    let mut spent: HashSet<(String, i64)> = HashSet::new();
    // The batch's leases run out together; a look starts only while half
    // of its lease is left (the call's own time), else the payment is left
    // to whoever takes it next, so two instances never ask together.
    let check_lease = run.core().policy.check_lease;
    let start_by = now + check_lease / 2;
    for stored in leased {
        if run.core().now() > start_by {
            report.deferred += 1;
            continue;
        }
        report.looked += 1;
        let payment = &stored.payment;
        let (gateway, order) = (payment.gateway, payment.order.clone());
        let port = gateways.port(gateway);
        let defer = |until: OffsetDateTime, order: String| {
            run.db(move |conn, core| {
                ops::release(conn, gateway, &order, core.store.owner(), Some(until))
            })
        };
        let mut asks = stored.look_asks(now);
        if asks && port.is_none() {
            let settles_anyway = payment.state.is_final() || now >= payment.deadline_at;
            if !settles_anyway {
                // Left for an instance (or a pass) that has the client.
                report.deferred += 1;
                defer(now + Duration::minutes(1), order).await?;
                continue;
            }
            // Past its deadline, or final: settled without a client (the
            // look "cannot tell", and the deadline or the outcome decides).
            asks = false;
        }
        if asks {
            // The second the call is made in, not the pass's first.
            let second = run.core().now().unix_timestamp();
            let bucket = ops::rate_bucket(payment);
            let limit = run.core().options.rate_per_second;
            let key = (bucket.clone(), second);
            let seed = payment.order.clone();
            let granted = !spent.contains(&key)
                && run
                    .db(move |conn, _| ops::take_rate(conn, &bucket, second, limit, &seed))
                    .await?;
            if !granted {
                spent.insert(key);
                report.deferred += 1;
                let next_second = OffsetDateTime::from_unix_timestamp(second + 1).unwrap_or(now);
                defer(next_second, order).await?;
                continue;
            }
            report.asked += 1;
        }
        let was_final = payment.state.is_final();
        let port = port.unwrap_or(&NoPort);
        let after = look(run, port, stored).await?;
        if !was_final && after.state.is_final() {
            report.settled += 1;
        }
    }
    Ok(report)
}

/// Stands in when a look needs no status call.
struct NoPort;

impl StatusPort for NoPort {
    fn gateway(&self) -> Gateway {
        Gateway::Smilepayz
    }
    fn status_boxed<'a>(
        &'a self,
        _payment: &'a Payment,
    ) -> std::pin::Pin<Box<dyn Future<Output = Fact> + Send + 'a>> {
        Box::pin(std::future::ready(Fact::CannotTell {
            reason: "no client for this gateway".into(),
        }))
    }
}

/// Claims up to `limit` outcomes for this instance.
pub(crate) async fn claim<R: Runner>(run: &R, limit: usize) -> Result<Vec<Outcome>, StoreError> {
    let now = run.core().now();
    let token = run.core().claim_token();
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    run.db(move |conn, core| {
        ops::claim_outcomes(conn, now, &token, now + core.policy.outcome_lease, limit)
    })
    .await
}

/// Acknowledges claimed outcomes together, in one transaction.
pub(crate) async fn acknowledge_all<R: Runner>(
    run: &R,
    outcomes: &[Outcome],
) -> Result<usize, StoreError> {
    let now = run.core().now();
    let claimed: Vec<(String, String)> = outcomes
        .iter()
        .map(|o| (o.id.clone(), o.token.clone()))
        .collect();
    run.core().probe("outcome.acting");
    run.db(move |conn, _| ops::acknowledge_all(conn, &claimed, now))
        .await
}

/// Acknowledges a claimed outcome, after running `effect` in the same
/// transaction (when given): both happen, or neither.
pub(crate) async fn acknowledge<R: Runner, F>(
    run: &R,
    outcome: &Outcome,
    mut effect: F,
) -> Result<(), StoreError>
where
    F: FnMut(&mut dyn Conn, &Outcome) -> Result<(), StoreError> + Send + 'static,
{
    let now = run.core().now();
    let outcome = outcome.clone();
    run.core().probe("outcome.acting");
    run.db(move |conn, _| {
        if ops::acknowledge(conn, &outcome.id, &outcome.token, now)? {
            effect(conn, &outcome)
        } else {
            // Acknowledged under this claim already, with its effect: the
            // answer of that commit was lost and this is the retry.
            Ok(())
        }
    })
    .await
}
