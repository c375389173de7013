//! [`Ledger`]: the blocking face of the ledger, for applications on
//! threads (and for the async one to build on).

use std::sync::Arc;

use pasarela_core::client::{Clock, SystemClock};
use pasarela_core::monnet::VerifiedNotification;
use pasarela_core::smilepayz::VerifiedCallback;
use pasarela_core::webhook::{MonnetWebhook, SmilepayzWebhook};

use crate::error::LedgerError;
use crate::events::{Received, monnet_event, smilepayz_event};
use crate::flavour::Blocking;
use crate::flows::{self, Checkout, Core, Direct, EventOutcome, Gateways, SweepReport};
use crate::gateway::PaymentGateway;
use crate::machine::{Fact, Policy, Step};
use crate::options::Options;
use crate::payer::PayerData;
use crate::payment::{Gateway, Payment, State};
use crate::store::ops::{self, HistoryLine, Outcome};
use crate::store::{Conn, Store, StoreError};

/// The merchant's durable record of its payments, for blocking
/// applications: it takes the blocking clients ([`SmilepayzClient`],
/// [`MonnetClient`]: flavour [`Blocking`]); a tokio application uses
/// [`AsyncLedger`](crate::AsyncLedger) and the async clients (see
/// [`crate::flavour`]).
///
/// Cheap to clone; every clone shares the database. See the crate docs
/// for the flows and what they guarantee.
///
/// [`SmilepayzClient`]: pasarela_core::client::SmilepayzClient
/// [`MonnetClient`]: pasarela_core::client::MonnetClient
#[derive(Clone)]
pub struct Ledger {
    pub(crate) core: Arc<Core>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("store", &self.core.store)
            .field("policy", &self.core.policy)
            .field("options", &self.core.options)
            .finish_non_exhaustive()
    }
}

impl Ledger {
    /// Opens the ledger in `db` — a SQLite file path (created if missing)
    /// or a `postgres://` URL — and applies the migrations it lacks.
    pub fn open(db: &str) -> Result<Self, StoreError> {
        Ok(Self::with_store(Store::open(db)?))
    }

    /// A ledger over an open store, with the default policy, options and
    /// the system clock.
    pub fn with_store(store: Store) -> Self {
        Self {
            core: Arc::new(Core {
                store: Arc::new(store),
                policy: Policy::default(),
                clock: Arc::new(SystemClock),
                options: Options::default(),
                probe: None,
                reserved: Arc::default(),
            }),
        }
    }

    /// The same database with other settings (this ledger and its clones
    /// keep theirs).
    fn rebuild(self, f: impl FnOnce(&mut Core)) -> Self {
        let mut core = Core {
            store: self.core.store.clone(),
            policy: self.core.policy.clone(),
            clock: self.core.clock.clone(),
            options: self.core.options.clone(),
            probe: self.core.probe.clone(),
            reserved: self.core.reserved.clone(),
        };
        f(&mut core);
        Self {
            core: Arc::new(core),
        }
    }

    /// Uses another policy (waits, deadlines, leases), each duration
    /// bounded to between zero and a year ([`Policy::bounded`]).
    pub fn with_policy(self, policy: Policy) -> Self {
        self.rebuild(|core| core.policy = policy.bounded())
    }

    /// Uses other options (rate, batch).
    pub fn with_options(self, options: Options) -> Self {
        self.rebuild(|core| core.options = options)
    }

    /// Reads the time from `clock` (tests, simulations).
    pub fn with_clock(self, clock: impl Clock + 'static) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(clock);
        self.rebuild(|core| core.clock = clock)
    }

    /// Calls `probe` with the name of each point of a flow where a crash
    /// must lose nothing and do nothing twice — for crash tests, which make
    /// it stop the process there:
    ///
    /// | point | after |
    /// |---|---|
    /// | `checkout.intent_recorded` | the intent is committed, before the create is sent |
    /// | `checkout.create_answered` | the create answered, before the answer is recorded |
    /// | `webhook.stored` | a webhook event is committed, before the acknowledgement |
    /// | `status.leased` | a payment is leased for a status call, before the call |
    /// | `status.answered` | the status call answered, before the answer is recorded |
    /// | `outcome.acting` | an outcome is claimed, before its acknowledgement (and effect) |
    pub fn with_crash_probe(self, probe: impl Fn(&'static str) + Send + Sync + 'static) -> Self {
        let probe: crate::flows::Probe = Arc::new(probe);
        self.rebuild(|core| core.probe = Some(probe))
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.core.store
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.core.policy
    }

    fn run(&self) -> Direct<'_> {
        Direct(&self.core)
    }

    fn block<T>(&self, future: impl std::future::Future<Output = T>) -> T {
        pasarela_core::transport::block_on(future)
    }

    // --- Flows ---------------------------------------------------------

    /// Checkout: records the intent before a byte leaves, creates the
    /// payment through `client`, records the answer, and says what to do
    /// ([`NextStep`](crate::NextStep)). An order number already recorded is
    /// never created again: the kept payment page, "wait" (an unknown
    /// outcome is being reconciled) or its settled outcome comes back
    /// instead.
    pub fn checkout<G: PaymentGateway<Flavour = Blocking>>(
        &self,
        client: &G,
        request: &G::Request,
    ) -> Result<Checkout, LedgerError> {
        self.block(flows::checkout(&self.run(), client, request))
    }

    /// Verifies a SmilePayz callback with `webhook`, stores it in the inbox
    /// (unique on its event id) and applies it, and gives the reply for
    /// the gateway: the acknowledgement only once stored; `503` when the
    /// store is unavailable, so the gateway delivers again.
    ///
    /// A new event makes its payment due and leases it to this instance
    /// (in the same transaction), for [`Policy::check_lease`]: confirm it
    /// right after answering ([`Received::to_confirm`], then
    /// [`confirm`](Self::confirm), which needs no write of its own). If
    /// nothing does, a sweeper looks once the lease has run out.
    pub fn receive_smilepayz<B: AsRef<[u8]>>(
        &self,
        webhook: &SmilepayzWebhook,
        request: &http::Request<B>,
    ) -> Received {
        match webhook.verify_request_at(request, self.core.now()) {
            Ok(verified) => {
                let stored = self.block(flows::receive(
                    &self.run(),
                    smilepayz_event(&verified.event),
                ));
                Received::stored(&verified, stored)
            }
            Err(rejected) => Received::refused(rejected),
        }
    }

    /// Verifies a Monnet notification with `webhook`, stores and applies
    /// it, and gives the reply (as [`receive_smilepayz`](Self::receive_smilepayz)).
    pub fn receive_monnet<B: AsRef<[u8]>>(
        &self,
        webhook: &MonnetWebhook,
        request: &http::Request<B>,
    ) -> Received {
        match webhook.verify_request(request) {
            Ok(verified) => {
                let stored = self.block(flows::receive(&self.run(), monnet_event(&verified.event)));
                Received::stored(&verified, stored)
            }
            Err(rejected) => Received::refused(rejected),
        }
    }

    /// Stores a SmilePayz callback you verified yourself (with
    /// `pasarela_core::webhook` or `verify_callback`) in the inbox and
    /// applies it, as [`receive_smilepayz`](Self::receive_smilepayz) does
    /// after verifying. Acknowledge the callback only when this returns
    /// `Ok`; on `Err`, answer a retryable status.
    pub fn record_callback(&self, event: &VerifiedCallback) -> Result<EventOutcome, StoreError> {
        self.block(flows::receive(&self.run(), smilepayz_event(event)))
    }

    /// Stores a Monnet notification you verified yourself, as
    /// [`record_callback`](Self::record_callback).
    pub fn record_notification(
        &self,
        event: &VerifiedNotification,
    ) -> Result<EventOutcome, StoreError> {
        self.block(flows::receive(&self.run(), monnet_event(event)))
    }

    /// Asks the gateway about one payment now and records the answer
    /// (after a webhook event: [`Received::to_confirm`]). Nothing is asked
    /// when another instance holds the payment (it is asking already):
    /// `None`; nor when it is final with no look due (another instance
    /// settled it), nor when its merchant's status calls for this second
    /// ([`Options::rate_per_second`], shared with the sweepers) are used
    /// up: the payment, as it stands, left due for a sweeper. Right after
    /// the event that made it due (the same second, this process), the
    /// lease and the call the event's write took are used, and nothing is
    /// written before the call.
    pub fn confirm<G: PaymentGateway<Flavour = Blocking>>(
        &self,
        client: &G,
        gateway: Gateway,
        order: &str,
    ) -> Result<Option<Payment>, StoreError> {
        self.block(flows::confirm(&self.run(), client, gateway, order))
    }

    /// One sweep: settles what time settles (deadlines, creates whose
    /// process stopped) and asks the gateways about what is due, within
    /// each merchant's rate. For cron jobs and blocking applications:
    /// call it every few seconds (the async ledger runs it as a task).
    pub fn sweep(&self, gateways: &Gateways<Blocking>) -> Result<SweepReport, StoreError> {
        self.block(flows::sweep(&self.run(), gateways))
    }

    /// Records a fact learned some other way (your own status call, an
    /// operator's finding): the same state machine, the same history.
    /// `None` when the ledger has no such payment.
    pub fn record(
        &self,
        gateway: Gateway,
        order: &str,
        fact: Fact,
    ) -> Result<Option<Step>, StoreError> {
        self.block(flows::record(&self.run(), gateway, order, fact, false))
    }

    // --- Outcomes ------------------------------------------------------

    /// Claims up to `limit` final outcomes nobody acknowledged, oldest
    /// first, for this instance until [`Policy::outcome_lease`] runs out
    /// (then they come back to be claimed again).
    pub fn claim_outcomes(&self, limit: usize) -> Result<Vec<Outcome>, StoreError> {
        self.block(flows::claim(&self.run(), limit))
    }

    /// Acknowledges a claimed outcome: handed over. At least once: if this
    /// process stops between acting and acknowledging, the outcome comes
    /// back — use its [`id`](Outcome::id) as the idempotency key of what
    /// you do. For exactly once, use
    /// [`acknowledge_with`](Self::acknowledge_with).
    pub fn acknowledge(&self, outcome: &Outcome) -> Result<(), StoreError> {
        self.block(flows::acknowledge(&self.run(), outcome, |_, _| Ok(())))
    }

    /// Acknowledges claimed outcomes together, in one transaction (at least
    /// once, as [`acknowledge`](Self::acknowledge)); returns how many were
    /// still held by this instance's claims (the others' leases ran out:
    /// their new holders hand them over).
    pub fn acknowledge_all(&self, outcomes: &[Outcome]) -> Result<usize, StoreError> {
        self.block(flows::acknowledge_all(&self.run(), outcomes))
    }

    /// Acknowledges a claimed outcome and runs `effect` — your own writes,
    /// in the ledger's database — in the same transaction: both happen, or
    /// neither (the effect's error rolls the acknowledgement back; a lost
    /// claim rolls the effect back). Exactly once, for applications that
    /// share the ledger's database: a retry after a commit whose answer
    /// was lost (an error that [`StoreError::is_retryable`]) finds the
    /// outcome acknowledged under its claim and runs nothing again.
    ///
    /// The effect runs inside the ledger's transaction: it must not call
    /// the ledger (on SQLite that is refused, see [`StoreError`]), and on
    /// SQLite it runs on the one writer thread, so keep it to a few
    /// statements. It may run more than once — PostgreSQL retries a
    /// transaction that met a serialization failure or a deadlock, and
    /// SQLite runs a commit batch again when another job of it failed —
    /// and only the run that commits counts: keep it to the database
    /// (no email, no HTTP call from inside it).
    pub fn acknowledge_with<F, E>(&self, outcome: &Outcome, mut effect: F) -> Result<(), StoreError>
    where
        F: FnMut(&mut dyn Conn, &Outcome) -> Result<(), E> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.block(flows::acknowledge(&self.run(), outcome, move |conn, o| {
            effect(conn, o).map_err(|e| StoreError::Effect(e.into()))
        }))
    }

    // --- Reading ---------------------------------------------------------

    /// The payment of `gateway` with this order number.
    pub fn payment(&self, gateway: Gateway, order: &str) -> Result<Option<Payment>, StoreError> {
        let order = order.to_owned();
        self.core
            .store
            .read(move |conn| Ok(ops::load(conn, gateway, &order)?.map(|s| s.payment)))
    }

    /// Who pays for the payment of `gateway` with this order number, when
    /// it was stored ([`Options::keep_payer_data`]): `Ok(None)` when the
    /// payment does not exist or holds no payer data (not opted in when it
    /// was created, or erased).
    pub fn payer(&self, gateway: Gateway, order: &str) -> Result<Option<PayerData>, StoreError> {
        let order = order.to_owned();
        self.core
            .store
            .read(move |conn| Ok(ops::payer(conn, gateway, &order)?.flatten()))
    }

    /// Erases the payer data stored with a payment (a data subject's
    /// request to delete; the payment's record, history and outcomes stay,
    /// they hold none). Whether the payment exists.
    ///
    /// What stays on disk for a while: on SQLite (`secure_delete` on) the
    /// database file's copy is zeroed at the next checkpoint of the
    /// write-ahead log, and the log's older frames as the log is reused; on
    /// PostgreSQL the old row version stays until `VACUUM` reclaims it.
    pub fn erase_payer(&self, gateway: Gateway, order: &str) -> Result<bool, StoreError> {
        let order = order.to_owned();
        self.core
            .store
            .transact(move |conn| ops::erase_payer(conn, gateway, &order))
    }

    /// The payments with this order number, of any gateway.
    pub fn find(&self, order: &str) -> Result<Vec<Payment>, StoreError> {
        let order = order.to_owned();
        self.core.store.read(move |conn| {
            Ok(ops::find(conn, &order)?
                .into_iter()
                .map(|s| s.payment)
                .collect())
        })
    }

    /// A page of payments, newest first, optionally in one state.
    pub fn list(
        &self,
        state: Option<State>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Payment>, StoreError> {
        self.core.store.read(move |conn| {
            Ok(ops::list(conn, state, i64::from(limit), i64::from(offset))?
                .into_iter()
                .map(|s| s.payment)
                .collect())
        })
    }

    /// How many payments are in each state.
    pub fn counts(&self) -> Result<Vec<(State, u64)>, StoreError> {
        self.core.store.read(ops::counts)
    }

    /// Every fact applied to a payment, in order: why it is where it is.
    pub fn history(&self, gateway: Gateway, order: &str) -> Result<Vec<HistoryLine>, StoreError> {
        let order = order.to_owned();
        self.core
            .store
            .read(move |conn| ops::history(conn, gateway, &order))
    }

    /// A payment's outcomes (acknowledged or not), oldest first.
    pub fn outcomes(&self, gateway: Gateway, order: &str) -> Result<Vec<Outcome>, StoreError> {
        let order = order.to_owned();
        self.core
            .store
            .read(move |conn| ops::outcomes_of(conn, gateway, &order))
    }
}
