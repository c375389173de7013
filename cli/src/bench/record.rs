//! The merchant's record of a whole pay-in, as a seam.
//!
//! A real merchant writes down what it knows about a payment before acting
//! on it: the intent before the create, the gateway's answer, each verified
//! callback, the confirmation. The load rows run the whole flow through a
//! [`MerchantRecord`] so that a durable ledger can be measured in the same
//! flow by plugging in an implementation; today only [`NoRecord`] exists and
//! every load row says `"ledger": "none"` ([`MerchantRecord::name`]).
//!
//! Where each hook is called:
//!
//! | hook | by | when |
//! |---|---|---|
//! | [`before_create`](MerchantRecord::before_create) | the pay-in flow | before the create is sent |
//! | [`after_create`](MerchantRecord::after_create) | the pay-in flow | once the gateway accepted the create |
//! | [`on_verified_callback`](MerchantRecord::on_verified_callback) | the merchant endpoint | each delivery that verified, duplicates included |
//! | [`on_confirmation`](MerchantRecord::on_confirmation) | the pay-in flow | once the status query confirmed the event |
//!
//! A hook that fails fails the pay-in (counted in the row's `errors`); in
//! the endpoint, it makes the answer a `500`, so the gateway retries the
//! delivery. The flow's hooks are synchronous and run on the flow's task:
//! an implementation that blocks (a database write) should be cheap or
//! move the work off the async workers itself. The endpoint's hook is
//! awaited on the endpoint's tokio worker, as an axum handler awaits its
//! database.

use pasarela_core::Money;
use pasarela_core::client::{ConfirmedOperation, ConfirmedPayIn};
use pasarela_core::monnet::{CreateResponse, VerifiedNotification};
use pasarela_core::smilepayz::{PayInResponse, VerifiedCallback};

/// One of the merchant's orders: which gateway, our reference (SmilePayz
/// `orderNo`, Monnet `payinMerchantOperationNumber`) and the amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Order {
    /// `"smilepayz"` or `"monnet"`.
    pub(crate) gateway: &'static str,
    /// Our order or operation number.
    pub(crate) reference: String,
    /// What the shopper pays.
    pub(crate) amount: Money,
}

/// The gateway's answer to a create.
// The payloads are for ledger implementations; `NoRecord` reads none.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy)]
pub(crate) enum Created<'a> {
    /// SmilePayz accepted the pay-in.
    SmilePayz(&'a PayInResponse),
    /// Monnet accepted the card pay-in.
    Monnet(&'a CreateResponse),
}

/// A callback or notification that verified (authenticated, not confirmed).
// The payloads are for ledger implementations; `NoRecord` reads none.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event<'a> {
    /// A SmilePayz callback.
    SmilePayz(&'a VerifiedCallback),
    /// A Monnet notification.
    Monnet(&'a VerifiedNotification),
}

/// A confirmation by the gateway's status query.
// The payloads are for ledger implementations; `NoRecord` reads none.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy)]
pub(crate) enum Confirmed<'a> {
    /// SmilePayz inquiry-status confirmed the pay-in.
    SmilePayz(&'a ConfirmedPayIn),
    /// Monnet's status query confirmed the operation.
    Monnet(&'a ConfirmedOperation),
}

/// What an asynchronous hook returns.
pub(crate) type Hook<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>>;

/// The merchant side of a whole pay-in: what is written down, and when.
pub(crate) trait MerchantRecord: Send + Sync {
    /// The name in the load rows' `"ledger"` field (`"none"`, `"sqlite"`,
    /// `"postgres"`).
    fn name(&self) -> &'static str;

    /// The intent, before the create is sent.
    fn before_create(&self, order: &Order) -> Result<(), String>;

    /// The gateway's answer to the create.
    fn after_create(&self, order: &Order, created: Created<'_>) -> Result<(), String>;

    /// A verified delivery (duplicates included: idempotent on the event's
    /// authenticated key), awaited by the endpoint before it answers.
    fn on_verified_callback<'a>(&'a self, event: Event<'a>) -> Hook<'a>;

    /// The confirmation: the only "safe to ship".
    fn on_confirmation(&self, order: &Order, confirmed: Confirmed<'_>) -> Result<(), String>;
}

/// Records nothing: the flow's own cost, without a ledger.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NoRecord;

impl MerchantRecord for NoRecord {
    fn name(&self) -> &'static str {
        "none"
    }

    fn before_create(&self, _: &Order) -> Result<(), String> {
        Ok(())
    }

    fn after_create(&self, _: &Order, _: Created<'_>) -> Result<(), String> {
        Ok(())
    }

    fn on_verified_callback<'a>(&'a self, _: Event<'a>) -> Hook<'a> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn on_confirmation(&self, _: &Order, _: Confirmed<'_>) -> Result<(), String> {
        Ok(())
    }
}
