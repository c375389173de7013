//! The load rows through the merchant's ledger (`pasarela-ledger`): the
//! same whole pay-in, with the intent written before the create, the
//! answer after it, every verified callback stored in the inbox, the
//! confirmation recorded, and the outcome handed over once.
//!
//! A row's `"ledger"` names the database: `"sqlite"` (a new file per row,
//! `synchronous=FULL`: every commit reaches the disk) or `"postgres"` (the
//! `--db` given). tokio rows use [`AsyncLedger`] (database jobs on tokio's
//! blocking pool), thread-pool rows the blocking [`Ledger`]; the async-std
//! row has no ledger variant: [`AsyncLedger`] runs on tokio, and an
//! async-std service would call the blocking [`Ledger`] from threads of its
//! own.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pasarela_core::client::{AsyncMonnetClient, AsyncSmilepayzClient};
use pasarela_core::transport::AsyncTransport;
use pasarela_ledger::{AsyncLedger, Gateway, Ledger, NextStep, Options, PaymentGateway, State};
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

/// The ledger, as a flow's executor wants it: async on tokio, blocking on
/// a pool of threads; and the row's one hand-over of outcomes.
#[derive(Clone)]
pub(super) struct Flavour {
    ledger: Kind,
    handing: Arc<Handing>,
}

#[derive(Clone)]
enum Kind {
    /// tokio tasks.
    Async(AsyncLedger),
    /// Threads (their futures are ready at once).
    Blocking(Ledger),
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

impl Flavour {
    /// On tokio tasks.
    pub(super) fn tokio(ledger: AsyncLedger) -> Self {
        Self::of(Kind::Async(ledger))
    }

    /// On threads.
    pub(super) fn threads(ledger: Ledger) -> Self {
        Self::of(Kind::Blocking(ledger))
    }

    fn of(ledger: Kind) -> Self {
        Self {
            ledger,
            handing: Arc::default(),
        }
    }

    async fn checkout<G: PaymentGateway>(
        &self,
        client: &G,
        request: &G::Request,
    ) -> Result<NextStep, String> {
        match &self.ledger {
            Kind::Async(l) => l.checkout(client, request).await,
            Kind::Blocking(l) => l.checkout(client, request),
        }
        .map(|c| c.next)
        .map_err(|e| e.to_string())
    }

    async fn confirm<G: PaymentGateway>(
        &self,
        client: &G,
        gateway: Gateway,
        order: &str,
    ) -> Result<State, String> {
        match &self.ledger {
            Kind::Async(l) => l.confirm(client, gateway, order).await,
            Kind::Blocking(l) => l.confirm(client, gateway, order),
        }
        .map_err(|e| e.to_string())?
        .map(|p| p.state)
        .ok_or_else(|| "another instance holds the payment".to_owned())
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
            let claimed = match &self.ledger {
                Kind::Async(l) => l.claim_outcomes(BATCH).await,
                Kind::Blocking(l) => l.claim_outcomes(BATCH),
            }
            .map_err(|e| e.to_string())?;
            if claimed.is_empty() {
                return Ok(());
            }
            match &self.ledger {
                Kind::Async(l) => l.acknowledge_all(&claimed).await,
                Kind::Blocking(l) => l.acknowledge_all(&claimed),
            }
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
async fn through_ledger<G: PaymentGateway>(
    ledger: &Flavour,
    client: &G,
    request: &G::Request,
    order: &str,
    settle: impl std::future::Future<Output = Result<(), String>>,
) -> Result<(), String> {
    let at = |step: &str| {
        let order = order.to_owned();
        let step = step.to_owned();
        move |e: String| format!("{order}: {step}: {e}")
    };
    match ledger
        .checkout(client, request)
        .await
        .map_err(at("checkout"))?
    {
        NextStep::Redirect(_) => {}
        other => return Err(at("checkout")(format!("no payment page: {other:?}"))),
    }
    settle.await.map_err(at("settle"))?;
    let state = ledger
        .confirm(client, client.gateway(), order)
        .await
        .map_err(at("confirm"))?;
    if state != State::Paid {
        return Err(at("confirm")(format!("the ledger says {state}")));
    }
    ledger.hand_over().await.map_err(at("hand over"))
}

/// A SmilePayz cash pay-in through the ledger.
pub(super) struct LedgerPayIn<T: AsyncTransport + Sync> {
    pub(super) client: AsyncSmilepayzClient<T>,
    pub(super) ledger: Flavour,
    pub(super) prefix: String,
    pub(super) shared: Shared,
}

impl<T> PayIn for LedgerPayIn<T>
where
    T: AsyncTransport + Send + Sync + 'static,
{
    fn reference(&self, i: usize) -> String {
        format!("{}{i:07}", self.prefix)
    }

    async fn run(&self, i: usize) -> Result<(), String> {
        let order = self.reference(i);
        let request = smilepayz_request(
            self.client.settings().config().partner_id(),
            &order,
            &self.shared.callback_url,
        )
        .map_err(|e| format!("{order}: request: {e}"))?;
        let settle = complete(
            self.client.transport(),
            &self.shared.complete_url,
            smilepayz_settlement(&order),
        );
        through_ledger(&self.ledger, &self.client, &request, &order, settle).await
    }
}

/// A Monnet card pay-in through the ledger.
pub(super) struct LedgerCard<T: AsyncTransport + Sync> {
    pub(super) client: AsyncMonnetClient<T>,
    pub(super) ledger: Flavour,
    pub(super) prefix: String,
    pub(super) shared: Shared,
}

impl<T> PayIn for LedgerCard<T>
where
    T: AsyncTransport + Send + Sync + 'static,
{
    fn reference(&self, i: usize) -> String {
        format!("{}{i:07}", self.prefix)
    }

    async fn run(&self, i: usize) -> Result<(), String> {
        let order = self.reference(i);
        let request = samples::monnet_create(&order, MONNET_AMOUNT)
            .map_err(|e| format!("{order}: request: {e}"))?;
        let settle = complete(
            self.client.transport(),
            &self.shared.complete_url,
            monnet_settlement(&order, &self.shared.callback_url),
        );
        through_ledger(&self.ledger, &self.client, &request, &order, settle).await
    }
}
