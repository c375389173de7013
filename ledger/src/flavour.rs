//! Which ledger a gateway client belongs under: the types keep a blocking
//! client out of [`AsyncLedger`](crate::AsyncLedger) and an async one out
//! of [`Ledger`](crate::Ledger).
//!
//! Every [`PaymentGateway`](crate::PaymentGateway) names its
//! [`Flavour`]: [`Blocking`] when its calls hold the calling thread until
//! the gateway answers (`pasarela-core`'s `SmilepayzClient` and
//! `MonnetClient`), [`Async`] when they are awaited
//! (`AsyncSmilepayzClient`, `AsyncMonnetClient`). [`Ledger`](crate::Ledger)
//! and its [`Gateways`](crate::Gateways)`<Blocking>` take only blocking
//! clients; [`AsyncLedger`](crate::AsyncLedger) and its sweeper only async
//! ones. Both mixes are bugs that no test on a quiet machine shows:
//!
//! - a blocking client under `AsyncLedger` makes its HTTP call on a tokio
//!   worker thread, stalling every task on that worker for up to the
//!   gateway's timeout;
//! - an async client on a tokio transport under `Ledger` is polled outside
//!   its runtime: reqwest panics, or a worker thread is blocked.
//!
//! So the types keep each client under its own ledger. The right pairings
//! compile, the async client under `AsyncLedger` and the blocking one
//! under `Ledger` and in its sweep:
//!
//! ```
//! # use pasarela_core::monnet::{Config, CreateRequest, Environment};
//! # use pasarela_core::transport::TransportError;
//! # use pasarela_core::{PreparedRequest, RawResponse};
//! use pasarela_core::client::{AsyncMonnetClient, MonnetClient};
//! use pasarela_ledger::{AsyncLedger, Gateways, Ledger};
//! # type Error = Box<dyn std::error::Error>;
//!
//! async fn pay(ledger: &AsyncLedger, request: &CreateRequest) -> Result<(), Error> {
//!     let config = Config::new("4001", "TEST-ONLY-key", Environment::Certification)?;
//!     let client = AsyncMonnetClient::new(config, |_: PreparedRequest| async {
//!         Ok::<_, TransportError>(RawResponse::new(503, ""))
//!     });
//!     ledger.checkout(&client, request).await?;
//!     Ok(())
//! }
//!
//! fn pay_blocking(ledger: &Ledger, request: &CreateRequest) -> Result<(), Error> {
//!     let config = Config::new("4001", "TEST-ONLY-key", Environment::Certification)?;
//!     let client = MonnetClient::new(config, |_: PreparedRequest| {
//!         Ok::<_, TransportError>(RawResponse::new(503, ""))
//!     });
//!     ledger.checkout(&client, request)?;
//!     ledger.sweep(&Gateways::new().with(client))?;
//!     Ok(())
//! }
//! ```
//!
//! The blocking client under `AsyncLedger` does not compile
//! (`MonnetClient`'s flavour is `Blocking`, `AsyncLedger::checkout` wants
//! `Async`):
//!
//! ```compile_fail,E0271
//! # use pasarela_core::monnet::{Config, CreateRequest, Environment};
//! # use pasarela_core::transport::TransportError;
//! # use pasarela_core::{PreparedRequest, RawResponse};
//! use pasarela_core::client::MonnetClient;
//! use pasarela_ledger::AsyncLedger;
//! # type Error = Box<dyn std::error::Error>;
//!
//! async fn pay(ledger: &AsyncLedger, request: &CreateRequest) -> Result<(), Error> {
//!     let config = Config::new("4001", "TEST-ONLY-key", Environment::Certification)?;
//!     let client = MonnetClient::new(config, |_: PreparedRequest| {
//!         Ok::<_, TransportError>(RawResponse::new(503, ""))
//!     });
//!     ledger.checkout(&client, request).await?;
//!     Ok(())
//! }
//! ```
//!
//! Nor in its sweeper:
//!
//! ```compile_fail,E0308
//! # use pasarela_core::monnet::{Config, Environment};
//! # use pasarela_core::transport::TransportError;
//! # use pasarela_core::{PreparedRequest, RawResponse};
//! use pasarela_core::client::MonnetClient;
//! use pasarela_ledger::{AsyncLedger, Gateways};
//! # type Error = Box<dyn std::error::Error>;
//!
//! fn sweeper(ledger: &AsyncLedger) -> Result<(), Error> {
//!     let config = Config::new("4001", "TEST-ONLY-key", Environment::Certification)?;
//!     let client = MonnetClient::new(config, |_: PreparedRequest| {
//!         Ok::<_, TransportError>(RawResponse::new(503, ""))
//!     });
//!     let every = std::time::Duration::from_secs(5);
//!     let _sweeper = ledger.spawn_sweeper(Gateways::new().with(client), every);
//!     Ok(())
//! }
//! ```
//!
//! The async client under the blocking `Ledger` does not compile:
//!
//! ```compile_fail,E0271
//! # use pasarela_core::monnet::{Config, CreateRequest, Environment};
//! # use pasarela_core::transport::TransportError;
//! # use pasarela_core::{PreparedRequest, RawResponse};
//! use pasarela_core::client::AsyncMonnetClient;
//! use pasarela_ledger::Ledger;
//! # type Error = Box<dyn std::error::Error>;
//!
//! fn pay_blocking(ledger: &Ledger, request: &CreateRequest) -> Result<(), Error> {
//!     let config = Config::new("4001", "TEST-ONLY-key", Environment::Certification)?;
//!     let client = AsyncMonnetClient::new(config, |_: PreparedRequest| async {
//!         Ok::<_, TransportError>(RawResponse::new(503, ""))
//!     });
//!     ledger.checkout(&client, request)?;
//!     Ok(())
//! }
//! ```
//!
//! Nor in its sweep:
//!
//! ```compile_fail,E0308
//! # use pasarela_core::monnet::{Config, Environment};
//! # use pasarela_core::transport::TransportError;
//! # use pasarela_core::{PreparedRequest, RawResponse};
//! use pasarela_core::client::AsyncMonnetClient;
//! use pasarela_ledger::{Gateways, Ledger};
//! # type Error = Box<dyn std::error::Error>;
//!
//! fn sweep(ledger: &Ledger) -> Result<(), Error> {
//!     let config = Config::new("4001", "TEST-ONLY-key", Environment::Certification)?;
//!     let client = AsyncMonnetClient::new(config, |_: PreparedRequest| async {
//!         Ok::<_, TransportError>(RawResponse::new(503, ""))
//!     });
//!     ledger.sweep(&Gateways::new().with(client))?;
//!     Ok(())
//! }
//! ```
//!
//! **What the types do not see.** They decide which ledger takes which
//! client, not which thread a blocking call ends up on:
//!
//! - An async client over `pasarela-core`'s
//!   [`Ready`](pasarela_core::transport::Ready) adaptor is `Async` by its
//!   type, although polling its futures runs the blocking transport: for a
//!   blocking transport, use the blocking client and `Ledger`.
//! - [`AsyncLedger::blocking`](crate::AsyncLedger::blocking) hands out the
//!   blocking `Ledger` underneath, which takes blocking clients: call it
//!   for reads from `spawn_blocking`, never for gateway calls on an
//!   executor thread.
//!
//! A gateway of your own implements `PaymentGateway` with the flavour its
//! calls have.

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Blocking {}
    impl Sealed for super::Async {}
}

/// How a [`PaymentGateway`](crate::PaymentGateway)'s calls run:
/// [`Blocking`] or [`Async`]. Sealed: these two are all there are.
pub trait Flavour: sealed::Sealed + Send + Sync + 'static {
    /// `"blocking"` or `"async"`, for messages.
    const NAME: &'static str;
}

/// Calls that hold the calling thread until the gateway answers: for
/// [`Ledger`](crate::Ledger). Never constructed; a type-level mark.
#[derive(Debug)]
pub enum Blocking {}

/// Calls that are awaited: for [`AsyncLedger`](crate::AsyncLedger). Never
/// constructed; a type-level mark.
#[derive(Debug)]
pub enum Async {}

impl Flavour for Blocking {
    const NAME: &'static str = "blocking";
}

impl Flavour for Async {
    const NAME: &'static str = "async";
}
