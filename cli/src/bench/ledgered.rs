//! The load rows through the merchant's ledger (`pasarela-ledger`): the
//! same whole pay-in, with the intent written before the create, the
//! answer after it, every verified callback stored in the inbox, the
//! confirmation recorded, and the outcome handed over once.
//!
//! A row's `"ledger"` names the database: `"sqlite"` (a new file per row,
//! `synchronous=FULL`: every commit reaches the disk) or `"postgres"` (the
//! `--db` given). tokio rows use [`AsyncLedger`] (database jobs on tokio's
//! blocking pool) with the async clients, thread-pool rows the blocking
//! [`Ledger`] with the blocking clients ([`Wiring`]); the async-std
//! row has no ledger variant: [`AsyncLedger`] runs on tokio, and an
//! async-std service would call the blocking [`Ledger`] from threads of its
//! own.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use pasarela_core::client::{
    AsyncMonnetClient, AsyncSmilepayzClient, MonnetClient, MonnetSettings, SmilepayzClient,
    SmilepayzSettings,
};
use pasarela_core::monnet::CreateRequest;
use pasarela_core::smilepayz::PayInRequest;
use pasarela_core::transport::{AsyncTransport, BlockingTransport, Ready};
use pasarela_ledger::{
    AsyncLedger, Gateway, Ledger, LedgerError, NextStep, Options, Outcome, PaymentGateway, State,
    StoreError, flavour,
};
use pasarela_simulator::samples;

use super::flow::{
    MONNET_AMOUNT, PayIn, Shared, monnet_settlement, smilepayz_request, smilepayz_settlement,
};
use super::record::{Confirmed, Created, Event, Hook, MerchantRecord, Order};
use super::sim::complete;

/// Where a row's ledger lives.
pub(super) enum Books {
    /// A new SQLite file, removed with the row.
    Sqlite(PathBuf),
    /// The PostgreSQL database given with `--db`.
    Postgres(String),
}

impl Books {
    /// A new SQLite file under the temporary directory.
    pub(super) fn sqlite(label: &str) -> Self {
        let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        Books::Sqlite(std::env::temp_dir().join(format!(
            "pasarela-bench-{label}-{nanos}-{}.db",
            std::process::id()
        )))
    }

    /// The row's `"ledger"` field.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Books::Sqlite(_) => "sqlite",
            Books::Postgres(_) => "postgres",
        }
    }

    /// Opens the ledger.
    pub(super) fn open(&self) -> Result<Ledger, String> {
        let db = match self {
            Books::Sqlite(path) => path.display().to_string(),
            Books::Postgres(url) => url.clone(),
        };
        // No per-merchant rate: the simulator has none to respect, and the
        // rows measure the ledger's own cost (the rate's token is still
        // taken, in the confirmation's transaction).
        let mut options = Options::default();
        options.rate_per_second = u32::MAX;
        Ledger::open(&db)
            .map(|ledger| ledger.with_options(options))
            .map_err(|e| format!("ledger: {e}"))
    }
}

impl Drop for Books {
    fn drop(&mut self) {
        if let Books::Sqlite(path) = self {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

/// The ledger as the merchant endpoint's record: each verified callback
/// goes to the inbox (the other hooks are the ledger flow's own steps).
pub(super) struct LedgerRecord {
    pub(super) ledger: AsyncLedger,
    pub(super) name: &'static str,
}

impl MerchantRecord for LedgerRecord {
    fn name(&self) -> &'static str {
        self.name
    }

    fn before_create(&self, _: &Order) -> Result<(), String> {
        Ok(())
    }

    fn after_create(&self, _: &Order, _: Created<'_>) -> Result<(), String> {
        Ok(())
    }

    fn on_verified_callback<'a>(&'a self, event: Event<'a>) -> Hook<'a> {
        // The endpoint's workers are tokio's: the async ledger awaits the
        // database without holding one.
        Box::pin(async move {
            match event {
                Event::SmilePayz(callback) => self.ledger.record_callback(callback).await,
                Event::Monnet(notification) => self.ledger.record_notification(notification).await,
            }
            .map(drop)
            .map_err(|e| e.to_string())
        })
    }

    fn on_confirmation(&self, _: &Order, _: Confirmed<'_>) -> Result<(), String> {
        Ok(())
    }
}

/// A ledger as a flow's executor drives it: the async one on tokio, the
/// blocking one on a pool of threads. Each takes only gateway clients of
/// its own [`Flavour`](FlowLedger::Flavour), as in an application.
pub(super) trait FlowLedger: Clone + Send + Sync + 'static {
    /// The clients it takes.
    type Flavour: flavour::Flavour;

    /// Checks the order out; its next step.
    fn checkout<'a, G: PaymentGateway<Flavour = Self::Flavour>>(
        &'a self,
        client: &'a G,
        request: &'a G::Request,
    ) -> impl Future<Output = Result<NextStep, LedgerError>> + Send + 'a;

    /// Confirms the payment; `None` when another instance holds it.
    fn confirm<'a, G: PaymentGateway<Flavour = Self::Flavour>>(
        &'a self,
        client: &'a G,
        gateway: Gateway,
        order: &'a str,
    ) -> impl Future<Output = Result<Option<State>, StoreError>> + Send + 'a;

    /// Claims up to `limit` outcomes.
    fn claim(&self, limit: usize) -> impl Future<Output = Result<Vec<Outcome>, StoreError>> + Send;

    /// Acknowledges claimed outcomes in one transaction.
    fn acknowledge<'a>(
        &'a self,
        outcomes: &'a [Outcome],
    ) -> impl Future<Output = Result<usize, StoreError>> + Send + 'a;
}

impl FlowLedger for AsyncLedger {
    type Flavour = flavour::Async;

    async fn checkout<'a, G: PaymentGateway<Flavour = flavour::Async>>(
        &'a self,
        client: &'a G,
        request: &'a G::Request,
    ) -> Result<NextStep, LedgerError> {
        AsyncLedger::checkout(self, client, request)
            .await
            .map(|c| c.next)
    }

    async fn confirm<'a, G: PaymentGateway<Flavour = flavour::Async>>(
        &'a self,
        client: &'a G,
        gateway: Gateway,
        order: &'a str,
    ) -> Result<Option<State>, StoreError> {
        AsyncLedger::confirm(self, client, gateway, order)
            .await
            .map(|p| p.map(|p| p.state))
    }

    async fn claim(&self, limit: usize) -> Result<Vec<Outcome>, StoreError> {
        self.claim_outcomes(limit).await
    }

    async fn acknowledge<'a>(&'a self, outcomes: &'a [Outcome]) -> Result<usize, StoreError> {
        self.acknowledge_all(outcomes).await
    }
}

/// On the threads of the pool: each call blocks its thread, and the
/// futures are ready at once.
impl FlowLedger for Ledger {
    type Flavour = flavour::Blocking;

    async fn checkout<'a, G: PaymentGateway<Flavour = flavour::Blocking>>(
        &'a self,
        client: &'a G,
        request: &'a G::Request,
    ) -> Result<NextStep, LedgerError> {
        Ledger::checkout(self, client, request).map(|c| c.next)
    }

    async fn confirm<'a, G: PaymentGateway<Flavour = flavour::Blocking>>(
        &'a self,
        client: &'a G,
        gateway: Gateway,
        order: &'a str,
    ) -> Result<Option<State>, StoreError> {
        Ledger::confirm(self, client, gateway, order).map(|p| p.map(|p| p.state))
    }

    async fn claim(&self, limit: usize) -> Result<Vec<Outcome>, StoreError> {
        self.claim_outcomes(limit)
    }

    async fn acknowledge<'a>(&'a self, outcomes: &'a [Outcome]) -> Result<usize, StoreError> {
        self.acknowledge_all(outcomes)
    }
}

/// What a row's pay-ins through the ledger are made of: a ledger of the
/// executor's flavour, gateway clients of that same flavour, and an async
/// transport for the simulator's settlement calls.
pub(super) trait Wiring {
    /// The row's ledger.
    type Ledger: FlowLedger;
    /// The SmilePayz client.
    type Smilepayz: PaymentGateway<Request = PayInRequest, Flavour = <Self::Ledger as FlowLedger>::Flavour>
        + 'static;
    /// The Monnet client.
    type Monnet: PaymentGateway<Request = CreateRequest, Flavour = <Self::Ledger as FlowLedger>::Flavour>
        + 'static;
    /// The settlement calls' transport.
    type Settle: AsyncTransport + Send + Sync + 'static;

    /// The row's ledger, over the kept one.
    fn ledger(&self, kept: Ledger) -> Self::Ledger;
    /// A SmilePayz client on the row's transport.
    fn smilepayz(&self, settings: SmilepayzSettings) -> Self::Smilepayz;
    /// A Monnet client on the row's transport.
    fn monnet(&self, settings: MonnetSettings) -> Self::Monnet;
    /// The transport for settlement calls.
    fn settle(&self) -> Self::Settle;
}

/// tokio rows: [`AsyncLedger`] and the async clients.
pub(super) struct OnTokio<T>(pub(super) T);

impl<T> Wiring for OnTokio<T>
where
    T: AsyncTransport + Clone + Send + Sync + 'static,
    T::Error: Send,
{
    type Ledger = AsyncLedger;
    type Smilepayz = AsyncSmilepayzClient<T>;
    type Monnet = AsyncMonnetClient<T>;
    type Settle = T;

    fn ledger(&self, kept: Ledger) -> AsyncLedger {
        AsyncLedger::from(kept)
    }
    fn smilepayz(&self, settings: SmilepayzSettings) -> Self::Smilepayz {
        AsyncSmilepayzClient::new(settings, self.0.clone())
    }
    fn monnet(&self, settings: MonnetSettings) -> Self::Monnet {
        AsyncMonnetClient::new(settings, self.0.clone())
    }
    fn settle(&self) -> T {
        self.0.clone()
    }
}

/// Thread-pool rows: the blocking [`Ledger`] and the blocking clients.
pub(super) struct OnThreads<T>(pub(super) T);

impl<T> Wiring for OnThreads<T>
where
    T: BlockingTransport + Clone + Send + Sync + 'static,
    T::Error: Send,
{
    type Ledger = Ledger;
    type Smilepayz = SmilepayzClient<T>;
    type Monnet = MonnetClient<T>;
    type Settle = Ready<T>;

    fn ledger(&self, kept: Ledger) -> Ledger {
        kept
    }
    fn smilepayz(&self, settings: SmilepayzSettings) -> Self::Smilepayz {
        SmilepayzClient::new(settings, self.0.clone())
    }
    fn monnet(&self, settings: MonnetSettings) -> Self::Monnet {
        MonnetClient::new(settings, self.0.clone())
    }
    fn settle(&self) -> Ready<T> {
        Ready(self.0.clone())
    }
}

/// The row's ledger and its one hand-over of outcomes.
pub(super) struct RowLedger<L> {
    ledger: L,
    handing: Handing,
}

/// The row's hand-over of outcomes: one at a time, like a shop's one
/// worker consuming them.
#[derive(Default)]
struct Handing {
    /// A pay-in is handing over.
    busy: AtomicBool,
    /// Outcomes were settled since the holder last claimed.
    more: AtomicBool,
}

impl<L: FlowLedger> RowLedger<L> {
    /// The row's ledger, nothing handed over yet.
    pub(super) fn new(ledger: L) -> Self {
        Self {
            ledger,
            handing: Handing::default(),
        }
    }

    /// Hands the outcomes settled so far over, as a shop's one worker
    /// does — claims up to a batch and acknowledges it in one transaction,
    /// until fewer than a batch are waiting — run by the pay-ins
    /// themselves, one at a time. A pay-in that finds the hand-over running
    /// leaves its outcome to it: the holder claims again before it stops.
    /// So when the last pay-in is done every outcome has been handed over
    /// (the audit checks it), and the claims and acknowledgements are
    /// shared by the outcomes settled meanwhile, not made once per pay-in.
    async fn hand_over(&self) -> Result<(), String> {
        let handing = &self.handing;
        handing.more.store(true, Ordering::SeqCst);
        loop {
            if handing.busy.swap(true, Ordering::SeqCst) {
                // The holder sees `more` before it stops.
                return Ok(());
            }
            let mut result = Ok(());
            while result.is_ok() && handing.more.swap(false, Ordering::SeqCst) {
                result = self.hand_over_waiting().await;
            }
            handing.busy.store(false, Ordering::SeqCst);
            result?;
            // A pay-in that settled after the last claim and found this
            // one busy has left: look again.
            if !handing.more.load(Ordering::SeqCst) {
                return Ok(());
            }
        }
    }

    /// Claims and acknowledges batches until fewer than a batch are left.
    async fn hand_over_waiting(&self) -> Result<(), String> {
        const BATCH: usize = 64;
        loop {
            let claimed = self.ledger.claim(BATCH).await.map_err(|e| e.to_string())?;
            if claimed.is_empty() {
                return Ok(());
            }
            self.ledger
                .acknowledge(&claimed)
                .await
                .map_err(|e| e.to_string())?;
            if claimed.len() < BATCH {
                return Ok(());
            }
        }
    }
}

/// One whole pay-in through the ledger: checkout (intent, create, answer),
/// settlement (the callback into the inbox), confirmation by the status
/// call, hand-over.
async fn through_ledger<L, G>(
    ledger: &RowLedger<L>,
    client: &G,
    request: &G::Request,
    order: &str,
    settle: impl std::future::Future<Output = Result<(), String>>,
) -> Result<(), String>
where
    L: FlowLedger,
    G: PaymentGateway<Flavour = L::Flavour>,
{
    let at = |step: &str| {
        let order = order.to_owned();
        let step = step.to_owned();
        move |e: String| format!("{order}: {step}: {e}")
    };
    match ledger
        .ledger
        .checkout(client, request)
        .await
        .map_err(|e| at("checkout")(e.to_string()))?
    {
        NextStep::Redirect(_) => {}
        other => return Err(at("checkout")(format!("no payment page: {other:?}"))),
    }
    settle.await.map_err(at("settle"))?;
    let state = ledger
        .ledger
        .confirm(client, client.gateway(), order)
        .await
        .map_err(|e| at("confirm")(e.to_string()))?
        .ok_or_else(|| at("confirm")("another instance holds the payment".to_owned()))?;
    if state != State::Paid {
        return Err(at("confirm")(format!("the ledger says {state}")));
    }
    ledger.hand_over().await.map_err(at("hand over"))
}

/// A SmilePayz cash pay-in through the ledger.
pub(super) struct LedgerPayIn<W: Wiring> {
    pub(super) client: W::Smilepayz,
    pub(super) partner_id: String,
    pub(super) settle: W::Settle,
    pub(super) ledger: RowLedger<W::Ledger>,
    pub(super) prefix: String,
    pub(super) shared: Shared,
}

impl<W: Wiring + Send + Sync + 'static> PayIn for LedgerPayIn<W> {
    fn reference(&self, i: usize) -> String {
        format!("{}{i:07}", self.prefix)
    }

    async fn run(&self, i: usize) -> Result<(), String> {
        let order = self.reference(i);
        let request = smilepayz_request(&self.partner_id, &order, &self.shared.callback_url)
            .map_err(|e| format!("{order}: request: {e}"))?;
        let settle = complete(
            &self.settle,
            &self.shared.complete_url,
            smilepayz_settlement(&order),
        );
        through_ledger(&self.ledger, &self.client, &request, &order, settle).await
    }
}

/// A Monnet card pay-in through the ledger.
pub(super) struct LedgerCard<W: Wiring> {
    pub(super) client: W::Monnet,
    pub(super) settle: W::Settle,
    pub(super) ledger: RowLedger<W::Ledger>,
    pub(super) prefix: String,
    pub(super) shared: Shared,
}

impl<W: Wiring + Send + Sync + 'static> PayIn for LedgerCard<W> {
    fn reference(&self, i: usize) -> String {
        format!("{}{i:07}", self.prefix)
    }

    async fn run(&self, i: usize) -> Result<(), String> {
        let order = self.reference(i);
        let request = samples::monnet_create(&order, MONNET_AMOUNT)
            .map_err(|e| format!("{order}: request: {e}"))?;
        let settle = complete(
            &self.settle,
            &self.shared.complete_url,
            monnet_settlement(&order, &self.shared.callback_url),
        );
        through_ledger(&self.ledger, &self.client, &request, &order, settle).await
    }
}
