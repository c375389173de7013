//! # pasarela-ledger
//!
//! The merchant's durable record of each payment: it writes what it is
//! about to do before doing it, confirms what the gateways say against its
//! own record, reconciles what nobody told it, and hands each final outcome
//! to the application once. SQLite embedded by default; PostgreSQL for a
//! fleet of instances.
//!
//! `pasarela-core` builds every message to the byte and refuses every
//! forgery, but "confirm against your own record of the order" needs a
//! record. This crate is that record, with the flows that use it:
//!
//! | flow | what it does | guarantee |
//! |---|---|---|
//! | [`Ledger::checkout`] | records the intent, creates the payment, records the answer, says what to do ([`NextStep`]) | the intent is durable before a byte leaves; one order number is never created twice |
//! | [`Ledger::receive_smilepayz`], [`Ledger::receive_monnet`] | verifies a webhook, stores it in the inbox (unique on its event id), acknowledges | acknowledged only once stored; a repeat has no effect; a store failure answers `503` so the gateway delivers again |
//! | [`Ledger::confirm`] | asks the gateway's status for one payment now (within the merchant's rate; past it, the payment is left due for a sweeper) | only a status answer that matches the record (order, merchant, amount, currency, transaction) makes it `paid` |
//! | [`Ledger::sweep`] / [`AsyncLedger::spawn_sweeper`] | confirms pending and unknown payments with backoff, settles deadlines, reconciles creates whose process stopped | under a rate per merchant; instances never ask about one payment together (a pass starts a look only while half of its lease, [`Policy::check_lease`], is left: keep the gateway timeout within that half) |
//! | [`Ledger::claim_outcomes`], [`Ledger::acknowledge_with`] | hands each final outcome (paid, not paid, needs attention) to the application | exactly once when the application's effect is in the acknowledgement's transaction; at least once otherwise, with [`Outcome::id`] as the idempotency key |
//! | [`Ledger::history`] | every fact with its time, per payment, append-only | an operator sees why a payment is where it is |
//!
//! ## A payment's life
//!
//! A pure state machine decides ([`machine::step`]: record + fact + now →
//! new record + actions, no I/O); the store keeps what it decides, in one
//! transaction with the history line and the outcome it hands over.
//!
//! ```text
//!              create answered (open)             status: paid, equal to the record
//!   intent ───────────────────────────▶ created ──────────────┬──────────────▶ paid
//!     │  ▲ not sent, or                   │  status: pending   │
//!     │  │ reconciled: not found          ▼                    │  status: failed, expired,
//!     │  └─────────── unknown ◀──── maybe sent ── pending ─────┼──────────────▶ not_paid
//!     │ refused          │ (timeout, 5xx, unknown code,        │
//!     ▼                  │  crash while creating)              │  mismatch, or still
//!  rejected              └─────────────────────────────────────┴──────────────▶ needs_attention
//!                                                                  unknown past the deadline
//! ```
//!
//! | state | means | becomes |
//! |---|---|---|
//! | `intent` | recorded; nothing exists at the gateway as far as anyone knows | `created`, `rejected`, `unknown`, `not_paid` (never created by its deadline: when a create may have left once, a last status call at the deadline found nothing) |
//! | `created` | the gateway created it; the payment URL is kept | `pending`, `paid`, `not_paid`, `needs_attention` |
//! | `unknown` | the create may have reached the gateway | `created`/`pending` (found), `intent` (not found), `needs_attention` (past the deadline) |
//! | `pending` | the gateway has it, not final | `paid`, `not_paid`, `needs_attention` |
//! | `rejected`, `paid`, `not_paid` | final | `needs_attention`, only on a later contradiction (a refund, a payment after expiry), handed over |
//! | `needs_attention` | final: someone must look | — |
//!
//! An event — a callback or notification, genuine or forged — never makes a
//! payment paid: it only makes the ledger ask the gateway sooner. The
//! property tests of [`machine`] walk thousands of random fact sequences to
//! hold this, and that final states absorb every later fact.
//!
//! ## Blocking applications
//!
//! ```
//! # use std::sync::Arc;
//! # use pasarela_core::client::{SmilepayzClient, SmilepayzSettings};
//! # use pasarela_core::crypto::{Backend, PrivateKey};
//! # use pasarela_core::smilepayz::{self, Merchant, PayInRequest, Payer};
//! # use pasarela_core::{MerchantSecret, Money, PreparedRequest, RawResponse};
//! # use pasarela_core::transport::TransportError;
//! # use pasarela_simulator::{InProcess, Simulator, codes};
//! use pasarela_ledger::{Gateways, Ledger, NextStep, OutcomeKind};
//! # let dir = std::env::temp_dir().join(format!("pasarela-ledger-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let path = dir.join("shop.db");
//! # let path = path.to_str().unwrap();
//! // Once, at start-up: a SQLite file (or a postgres:// URL); migrations
//! // are applied here.
//! let ledger = Ledger::open(path)?;
//! # let sim = InProcess::new(Simulator::with_test_keys()?); // stands in for SmilePayz
//! # let creds = sim.credentials();
//! # let key = PrivateKey::load(creds.smilepayz.merchant_private_key.as_deref().unwrap())?;
//! # let config = smilepayz::Config::new(creds.smilepayz.merchant_id.clone(),
//! #     MerchantSecret::new(creds.smilepayz.merchant_secret.clone()), Backend::default().signer(&key)?,
//! #     smilepayz::Environment::Custom(creds.smilepayz.base_url.parse()?))?;
//! let client = SmilepayzClient::new(
//!     SmilepayzSettings::new(config).with_code_meanings(codes::smilepayz::MEANINGS.iter().copied()),
//!     sim.clone(), // pasarela_ureq::UreqTransport in production
//! );
//!
//! // Checkout: the intent is written before a byte leaves.
//! let request = PayInRequest::builder(
//!     Merchant::of(client.settings().config()), "ORDER20261201", Money::pen(20000), "Pedido",
//!     Payer::new("Rosa Quispe"),
//! )
//! .build()?;
//! let checkout = ledger.checkout(&client, &request)?;
//! match &checkout.next {
//!     NextStep::Redirect(url) => { /* 303 to url */ }
//!     NextStep::Declined(reason) => { /* show the decline */ }
//!     NextStep::Wait => { /* "we will know soon": the ledger reconciles */ }
//!     NextStep::Done(_) => { /* a returning shopper: settled already */ }
//!     NextStep::TryAgain(_) => { /* nothing was created: the shopper may retry */ }
//!     _ => {}
//! }
//! # assert!(matches!(&checkout.next, NextStep::Redirect(url) if url.contains("/cashier/")));
//!
//! // Webhooks: `ledger.receive_smilepayz(&webhook, &request)` stores the
//! // event, then answer with its `response()`.
//!
//! // A sweep every few seconds (cron, a thread): confirms what is due.
//! ledger.sweep(&Gateways::new().with(client.clone()))?;
//!
//! // Outcomes: ship exactly once, in the same transaction as the
//! // acknowledgement (your table in the ledger's database).
//! ledger.store().transact(|db| db.execute_batch(
//!     "CREATE TABLE IF NOT EXISTS shipments (outcome TEXT PRIMARY KEY, order_no TEXT NOT NULL)"))?;
//! for outcome in ledger.claim_outcomes(10)? {
//!     ledger.acknowledge_with(&outcome, |db, o| {
//!         if o.kind == OutcomeKind::Paid {
//!             db.execute("INSERT INTO shipments (outcome, order_no) VALUES (?1, ?2)",
//!                 &[o.id.as_str().into(), o.order.as_str().into()])?;
//!         }
//!         Ok::<_, pasarela_ledger::StoreError>(())
//!     })?;
//! }
//! # drop(ledger); let _ = std::fs::remove_dir_all(&dir);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## tokio applications
//!
//! [`AsyncLedger`] runs the very same flows; database jobs never block an
//! executor thread (SQLite's go to the store's writer thread, whose answer
//! is awaited; PostgreSQL's run on tokio's blocking pool), gateway calls
//! stay async: it takes only the async clients, and a blocking client
//! there does not compile ([`flavour`]). The sweeper is a task:
//!
//! ```no_run
//! # use pasarela_core::client::AsyncSmilepayzClient;
//! # async fn service(client: AsyncSmilepayzClient<pasarela_reqwest::ReqwestTransport>) -> Result<(), Box<dyn std::error::Error>> {
//! use pasarela_ledger::{AsyncLedger, Gateways};
//!
//! let ledger = AsyncLedger::open("postgres://shop@db.internal/payments").await?;
//! let sweeper = ledger.spawn_sweeper(
//!     Gateways::new().with(client.clone()),
//!     std::time::Duration::from_secs(5),
//! );
//! // ... serve: ledger.checkout(&client, &request).await, ledger.receive_smilepayz(...).await,
//! //     then tokio::spawn a ledger.confirm(...) for `received.to_confirm()` ...
//! sweeper.shutdown().await; // on shutdown: finishes the pass in progress
//! # Ok(()) }
//! ```
//!
//! `examples/axum-merchant/` is a whole service on it.
//!
//! ## What the guarantees rest on
//!
//! - **Write before you act.** Each flow commits what it learned before it
//!   acts on it: the intent before the create is sent (under a *create
//!   lease*); the answer before the shopper is redirected; the event before
//!   the webhook is acknowledged; the outcome before it can be claimed. A
//!   process killed at any line leaves either the state before or the state
//!   after a commit, and every flow resumes from it:
//!   - killed after the intent, before (or during) the create: the create
//!     lease runs out ([`Policy::create_lease`], longer than any transport
//!     timeout), the sweeper treats the create as *maybe sent* and
//!     reconciles it — found, it continues; not found, a new checkout may
//!     create it; never a second create while that is not known;
//!   - killed after the create, before its answer was recorded: the same;
//!   - killed before acknowledging a webhook: the gateway delivers again;
//!     the inbox makes the repeat harmless;
//!   - killed between handing an outcome over and acknowledging it: the
//!     claim runs out ([`Policy::outcome_lease`]) and the outcome is claimed
//!     again — which is why the exactly-once form puts the application's
//!     effect in the acknowledgement's transaction.
//! - **The database decides concurrency.** Every change is a transaction
//!   that locks the payment's row (`FOR UPDATE` on PostgreSQL; SQLite has
//!   one writer) and checks its version. Work shared by instances is leased
//!   in the database: a sweeper takes due payments with `FOR UPDATE SKIP
//!   LOCKED` and holds each for [`Policy::check_lease`]; outcomes are
//!   claimed the same way. Nothing relies on an in-process lock, so four
//!   instances on one PostgreSQL behave as one.
//! - **Verified is not confirmed.** Only a status answer about the
//!   record's own order number, for its merchant, amount and currency (and
//!   the `tradeNo` the create answered, for SmilePayz) makes a payment
//!   paid; the comparison is `pasarela-core`'s ([`pasarela_core::confirm`]).
//! - **Exactly once needs the same database.** An outcome is acknowledged
//!   once. If the application's effect (shipping) is written in the same
//!   transaction ([`Ledger::acknowledge_with`]), it happens exactly once: an
//!   acknowledgement that lost its claim rolls the effect back. An effect
//!   outside the database (an e-mail, another service) is at least once:
//!   make it idempotent on [`Outcome::id`].
//!
//! ## Storage
//!
//! - **SQLite** (a file path; the default): `journal_mode=WAL`,
//!   `synchronous=FULL`. A commit is `fsync`ed to the write-ahead log before
//!   the ledger reports it, so what the ledger reported committed survives a
//!   killed process, an OS crash and a power cut (on a disk that honours
//!   `fsync`); a power cut loses at most the transactions that had not
//!   returned — and the ledger acts only on returned ones. One writer thread
//!   owns the connection and commits the transactions queued meanwhile
//!   together (group commit: one `fsync` for many payments); a job that
//!   fails is rolled back alone (the batch runs again, each job in its own
//!   savepoint). The reading calls ([`Ledger::payment`], [`Ledger::list`],
//!   [`Ledger::history`], [`Ledger::outcomes`], …) use `query_only`
//!   connections of their own (up to four, for reads on as many threads at
//!   once) on the calling thread: they see the last commit
//!   and never wait for the writer; an application's own queries of the
//!   same database do too, through [`Store::read`] (on PostgreSQL a
//!   `READ ONLY` transaction). SQLite serves one instance (one process): a
//!   fleet needs PostgreSQL.
//! - **PostgreSQL** (a `postgres://` URL): a pool of connections (8 per
//!   ledger), `READ COMMITTED` transactions with row locks and leases as
//!   above, retried on serialization failures and deadlocks. Connections
//!   use TLS (rustls) as the URL asks, and every TLS connection is
//!   verified: `sslmode=verify-full` or `require` insist on it, `prefer`
//!   (the default) uses it when the server offers it, `disable` never;
//!   `sslrootcert=PATH` names the PEM file of the CA to trust (a private
//!   CA: AWS RDS, Cloud SQL, your own), else Mozilla's roots are. So
//!   `postgres://app@db.internal/pay?sslmode=verify-full&sslrootcert=/etc/pasarela/db-ca.pem`.
//!   Unlike libpq's, `require` is never unverified, and `verify-ca` is
//!   refused.
//! - **One schema, migrations applied by the library** ([`store::MIGRATIONS`],
//!   `BIGINT` and `TEXT` columns only): [`Ledger::open`] applies what is
//!   missing (instances starting together migrate once: an advisory lock on
//!   PostgreSQL) and refuses a database migrated by a newer version.
//! - **The rate per merchant** is one row per status call taken
//!   (`pasarela_rate_slots`: merchant, second, slot below the rate), so the
//!   primary key bounds the calls in a second across instances, and
//!   instances taking calls at once insert different rows instead of
//!   queueing on one counter (schema version 2; version 1's counter row made
//!   each confirmation on PostgreSQL wait for the commit before it).
//! - **A webhook event prepares its confirmation.** The event's write
//!   leases the payment it makes due to this instance and, while the
//!   merchant's rate has a call left in this second, takes that call too.
//!   The first [`Ledger::confirm`] of the payment in the same second, in
//!   this process, then asks the gateway with no write of its own before
//!   the call: a webhook's confirmation costs two commits (the event, the
//!   answer), not three. A confirmation in a later second takes a call of
//!   its own second (the reserved one is spent), so the rate holds; a
//!   reservation the process loses costs one unused call, nothing else.
//!
//! **Drivers.** `rusqlite` (with SQLite compiled in: no system library to
//! match) gives direct control of journal mode, `fsync` and transactions,
//! which group commit needs; `postgres` is the blocking client of
//! `tokio-postgres`, the driver async Rust uses for PostgreSQL. Both are
//! synchronous, which is what the store logic wants: it is written once,
//! against the small [`Conn`] interface, and runs inside short, local
//! transactions — on SQLite's writer thread, or for PostgreSQL on the
//! calling thread (blocking applications) or tokio's blocking pool (async
//! ones) — while the network calls to the
//! gateways stay async. `sqlx` was the other candidate: async-only (a
//! blocking application would carry a runtime), its pool hides the
//! connection group commit needs, and its SQLite driver is a worker thread
//! anyway; `diesel` brings an ORM for five tables.
//!
//! ## What is kept
//!
//! The order number, merchant, amount, currency, states, the gateway's
//! references and payment URL, the facts (status answers, the claims of
//! events). **Never card data** (a Monnet create's PAN, CVV and expiry never
//! reach the store: the test suite scans the database files for them) and
//! **no payer personal data** (name, e-mail, phone, document) unless the
//! application opts in with [`Options::keep_payer_data`]: then it sits in
//! the payment's row only (never its history or outcomes), read with
//! [`Ledger::payer`] and erased with [`Ledger::erase_payer`] (see
//! [`payer`]).
//!
//! ## Features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `sqlite` | yes | the SQLite store |
//! | `postgres` | yes | the PostgreSQL store |
//! | `tokio` | yes | [`AsyncLedger`] and the sweeper task |
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("pasarela-ledger needs a database: enable the `sqlite` or the `postgres` feature");

#[cfg(feature = "tokio")]
mod async_ledger;
mod error;
mod events;
pub mod flavour;
mod flows;
pub mod gateway;
mod ledger;
pub mod machine;
mod options;
pub mod payer;
pub mod payment;
mod policy;
mod reserved;
pub mod store;

#[cfg(feature = "tokio")]
pub use async_ledger::{AsyncLedger, SweeperHandle};
pub use error::LedgerError;
pub use events::Received;
pub use flows::{Checkout, EventOutcome, Gateways, NextStep, SweepReport};
pub use gateway::PaymentGateway;
pub use ledger::Ledger;
pub use machine::{Action, CreateAnswer, Entry, Fact, Policy, StatusAnswer, Step, step};
pub use options::Options;
pub use payer::PayerData;
pub use payment::{Gateway, NewPayment, OutcomeKind, Payment, State, UnknownName};
pub use store::ops::{HistoryLine, Outcome};
pub use store::{Conn, Dialect, Store, StoreError, Value};
