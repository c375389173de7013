//! [`AsyncLedger`]: the ledger for tokio applications, and the sweeper as
//! a task.
//!
//! The flows are the blocking ledger's very code; what differs is how a
//! database job is waited for, never by blocking an executor thread: on
//! SQLite the job goes to the store's writer thread and its answer is
//! awaited; on PostgreSQL (a blocking client) it runs on tokio's blocking
//! pool (`spawn_blocking`). Database transactions here are short and local; the
//! gateway calls, which wait on the network, stay async on the async
//! clients.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use pasarela_core::monnet::VerifiedNotification;
use pasarela_core::smilepayz::VerifiedCallback;
use pasarela_core::webhook::{MonnetWebhook, SmilepayzWebhook};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::LedgerError;
use crate::events::{Received, monnet_event, smilepayz_event};
use crate::flavour::Async;
use crate::flows::{self, Checkout, Core, EventOutcome, Gateways, Runner, SweepReport};
use crate::gateway::PaymentGateway;
use crate::ledger::Ledger;
use crate::payment::{Gateway, Payment};
use crate::store::ops::Outcome;
use crate::store::{Conn, StoreError, Submitted};

/// Runs jobs without blocking an executor thread: SQLite's through its
/// writer's answers, PostgreSQL's on tokio's blocking pool.
struct Pool<'a> {
    core: &'a Arc<Core>,
    /// Bounds PostgreSQL's blocking calls (SQLite's writer needs none).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    blocking: &'a Arc<tokio::sync::Semaphore>,
}

impl Runner for Pool<'_> {
    fn db<T, F>(&self, mut job: F) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send + 'static,
        F: FnMut(&mut dyn Conn, &Core) -> Result<T, StoreError> + Send + 'static,
    {
        let core = self.core.clone();
        let inner = core.clone();
        #[cfg(feature = "postgres")]
        let blocking = self.blocking.clone();
        let submitted = core.store.submit(move |conn| job(conn, &inner));
        async move {
            match submitted {
                // SQLite: the writer thread answers; nothing blocks here.
                #[cfg(feature = "sqlite")]
                Submitted::Queued(answer) => answer.await,
                // PostgreSQL: the client blocks, on tokio's blocking pool,
                // at most as many at once as the pool has connections.
                #[cfg(feature = "postgres")]
                Submitted::Blocking(job) => {
                    let _permit = blocking.acquire().await;
                    tokio::task::spawn_blocking(move || core.store.transact_job(job))
                        .await
                        .map_err(|e| {
                            StoreError::Unavailable(format!("the database task stopped: {e}"))
                        })?
                }
            }
        }
    }

    fn core(&self) -> &Arc<Core> {
        self.core
    }
}

/// The ledger for tokio applications: the same flows as [`Ledger`], never
/// blocking an executor thread on the database. It takes the async
/// clients (`AsyncSmilepayzClient`, `AsyncMonnetClient`: flavour
/// [`Async`]), never the blocking ones (see [`crate::flavour`]).
///
/// Cheap to clone. Methods must be called from within a tokio runtime.
#[derive(Clone, Debug)]
pub struct AsyncLedger {
    ledger: Ledger,
    /// Blocking database calls at once (PostgreSQL): no more than its pool
    /// has connections, so a burst does not fill tokio's blocking pool with
    /// threads waiting for one.
    blocking: Arc<tokio::sync::Semaphore>,
}

impl From<Ledger> for AsyncLedger {
    fn from(ledger: Ledger) -> Self {
        Self {
            ledger,
            blocking: Arc::new(tokio::sync::Semaphore::new(crate::store::BLOCKING_CALLS)),
        }
    }
}

impl AsyncLedger {
    /// Opens the ledger in `db` (a SQLite path or a `postgres://` URL),
    /// applying missing migrations, off the executor.
    pub async fn open(db: &str) -> Result<Self, StoreError> {
        let db = db.to_owned();
        tokio::task::spawn_blocking(move || Ledger::open(&db))
            .await
            .map_err(|e| StoreError::Unavailable(format!("the database task stopped: {e}")))?
            .map(Self::from)
    }

    /// The blocking ledger over the same database and settings, for the
    /// reading calls, from `spawn_blocking`. Its checkout, confirm and
    /// sweep take the blocking clients and hold the calling thread: never
    /// call them on an executor thread (see [`crate::flavour`]).
    pub fn blocking(&self) -> &Ledger {
        &self.ledger
    }

    fn run(&self) -> Pool<'_> {
        Pool {
            core: &self.ledger.core,
            blocking: &self.blocking,
        }
    }

    /// As [`Ledger::checkout`].
    pub async fn checkout<G: PaymentGateway<Flavour = Async>>(
        &self,
        client: &G,
        request: &G::Request,
    ) -> Result<Checkout, LedgerError> {
        flows::checkout(&self.run(), client, request).await
    }

    /// As [`Ledger::receive_smilepayz`].
    pub async fn receive_smilepayz<B: AsRef<[u8]>>(
        &self,
        webhook: &SmilepayzWebhook,
        request: &http::Request<B>,
    ) -> Received {
        match webhook.verify_request_at(request, self.ledger.core.now()) {
            Ok(verified) => {
                let stored = flows::receive(&self.run(), smilepayz_event(&verified.event)).await;
                Received::stored(&verified, stored)
            }
            Err(rejected) => Received::refused(rejected),
        }
    }

    /// As [`Ledger::receive_monnet`].
    pub async fn receive_monnet<B: AsRef<[u8]>>(
        &self,
        webhook: &MonnetWebhook,
        request: &http::Request<B>,
    ) -> Received {
        match webhook.verify_request(request) {
            Ok(verified) => {
                let stored = flows::receive(&self.run(), monnet_event(&verified.event)).await;
                Received::stored(&verified, stored)
            }
            Err(rejected) => Received::refused(rejected),
        }
    }

    /// As [`Ledger::record_callback`].
    pub async fn record_callback(
        &self,
        event: &VerifiedCallback,
    ) -> Result<EventOutcome, StoreError> {
        flows::receive(&self.run(), smilepayz_event(event)).await
    }

    /// As [`Ledger::record_notification`].
    pub async fn record_notification(
        &self,
        event: &VerifiedNotification,
    ) -> Result<EventOutcome, StoreError> {
        flows::receive(&self.run(), monnet_event(event)).await
    }

    /// As [`Ledger::confirm`].
    pub async fn confirm<G: PaymentGateway<Flavour = Async>>(
        &self,
        client: &G,
        gateway: Gateway,
        order: &str,
    ) -> Result<Option<Payment>, StoreError> {
        flows::confirm(&self.run(), client, gateway, order).await
    }

    /// As [`Ledger::sweep`]: one pass.
    pub async fn sweep(&self, gateways: &Gateways<Async>) -> Result<SweepReport, StoreError> {
        flows::sweep(&self.run(), gateways).await
    }

    /// As [`Ledger::claim_outcomes`].
    pub async fn claim_outcomes(&self, limit: usize) -> Result<Vec<Outcome>, StoreError> {
        flows::claim(&self.run(), limit).await
    }

    /// As [`Ledger::acknowledge`].
    pub async fn acknowledge(&self, outcome: &Outcome) -> Result<(), StoreError> {
        flows::acknowledge(&self.run(), outcome, |_, _| Ok(())).await
    }

    /// As [`Ledger::acknowledge_all`].
    pub async fn acknowledge_all(&self, outcomes: &[Outcome]) -> Result<usize, StoreError> {
        flows::acknowledge_all(&self.run(), outcomes).await
    }

    /// As [`Ledger::acknowledge_with`]: `effect` runs in the
    /// acknowledgement's transaction — on SQLite on the writer thread (keep
    /// it short: every other write waits), on PostgreSQL on the blocking
    /// pool.
    pub async fn acknowledge_with<F, E>(
        &self,
        outcome: &Outcome,
        mut effect: F,
    ) -> Result<(), StoreError>
    where
        F: FnMut(&mut dyn Conn, &Outcome) -> Result<(), E> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        flows::acknowledge(&self.run(), outcome, move |conn, o| {
            effect(conn, o).map_err(|e| StoreError::Effect(e.into()))
        })
        .await
    }

    /// Runs the sweeper as a task: a pass every `every` (and at once after
    /// a full pass that deferred nothing: more may be due than it took;
    /// when the merchants' rates deferred some, after `every`), until
    /// [`SweeperHandle::shutdown`]. A failing pass (the database down) is
    /// kept in [`SweeperHandle::last`] and tried again at the next tick.
    pub fn spawn_sweeper(&self, gateways: Gateways<Async>, every: Duration) -> SweeperHandle {
        let (stop, mut stopped) = watch::channel(false);
        let (report, last) = watch::channel(None);
        let ledger = self.clone();
        let batch = self.ledger.core.options.sweep_batch as usize;
        let task = tokio::spawn(async move {
            loop {
                let outcome = ledger.sweep(&gateways).await;
                // Straight on only when the pass was full and the rate
                // held nothing back: payments deferred by the rate wait
                // for the next second anyway, and another pass at once
                // would only lease and release them again.
                let full = outcome
                    .as_ref()
                    .is_ok_and(|r| r.looked >= batch && r.deferred == 0);
                let _ = report.send(Some(outcome.map_err(|e| e.to_string())));
                if *stopped.borrow() {
                    break;
                }
                if full {
                    continue;
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stopped.changed() => break,
                }
            }
        });
        SweeperHandle { stop, last, task }
    }
}

/// The sweeper task.
#[derive(Debug)]
pub struct SweeperHandle {
    stop: watch::Sender<bool>,
    last: watch::Receiver<Option<Result<SweepReport, String>>>,
    task: JoinHandle<()>,
}

impl SweeperHandle {
    /// The last pass's report, or why it failed (none before the first).
    pub fn last(&self) -> Option<Result<SweepReport, String>> {
        self.last.borrow().clone()
    }

    /// Stops after the pass in progress, and waits for it.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
