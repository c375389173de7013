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
//! So they do not compile:
//!
//! ```
//! # use pasarela_core::monnet::{Config, CreateRequest, Environment};
//! # use pasarela_core::transport::TransportError;
//! # use pasarela_core::{PreparedRequest, RawResponse};
//! use pasarela_core::client::AsyncMonnetClient;
//! use pasarela_ledger::AsyncLedger;
//!
//! async fn pay(ledger: &AsyncLedger, request: &CreateRequest) -> Result<(), Box<dyn std::error::Error>> {
//!     let config = Config::new("4001", "TEST-ONLY-key", Environment::Certification)?;
//!     let client = AsyncMonnetClient::new(config, |_: PreparedRequest| async {
//!         Ok::<_, TransportError>(RawResponse::new(503, ""))
//!     });
//!     ledger.checkout(&client, request).await?;
//!     Ok(())
//! }
//! ```
//!
//! The same with the blocking client is refused (`MonnetClient`'s flavour
//! is `Blocking`, `AsyncLedger::checkout` wants `Async`):
//!
//! ```compile_fail,E0271
//! # use pasarela_core::monnet::{Config, CreateRequest, Environment};
//! # use pasarela_core::transport::TransportError;
//! # use pasarela_core::{PreparedRequest, RawResponse};
//! use pasarela_core::client::MonnetClient;
//! use pasarela_ledger::AsyncLedger;
//!
//! async fn pay(ledger: &AsyncLedger, request: &CreateRequest) -> Result<(), Box<dyn std::error::Error>> {
//!     let config = Config::new("4001", "TEST-ONLY-key", Environment::Certification)?;
//!     let client = MonnetClient::new(config, |_: PreparedRequest| {
//!         Ok::<_, TransportError>(RawResponse::new(503, ""))
//!     });
//!     ledger.checkout(&client, request).await?;
//!     Ok(())
//! }
//! ```
//!
//! And the async client under the blocking ledger, or in its sweep:
//!
//! ```compile_fail,E0308
//! # use pasarela_core::monnet::{Config, Environment};
//! # use pasarela_core::transport::TransportError;
//! # use pasarela_core::{PreparedRequest, RawResponse};
//! use pasarela_core::client::AsyncMonnetClient;
//! use pasarela_ledger::{Gateways, Ledger};
//!
//! fn sweep(ledger: &Ledger) -> Result<(), Box<dyn std::error::Error>> {
//!     let config = Config::new("4001", "TEST-ONLY-key", Environment::Certification)?;
//!     let client = AsyncMonnetClient::new(config, |_: PreparedRequest| async {
//!         Ok::<_, TransportError>(RawResponse::new(503, ""))
//!     });
//!     ledger.sweep(&Gateways::new().with(client))?;
//!     Ok(())
//! }
//! ```
//!
//! A gateway of your own implements `PaymentGateway` with the flavour its
//! calls have. An async client over `pasarela-core`'s
//! [`Ready`](pasarela_core::transport::Ready) adaptor is `Async` by its
//! type although its futures are ready at once: use the blocking client
//! for a blocking transport instead.

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
