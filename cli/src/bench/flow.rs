//! One whole pay-in, as a merchant runs it, written once for every
//! transport (a blocking one runs it through
//! [`Ready`](pasarela_core::transport::Ready), its futures complete at once).
//!
//! SmilePayz cash pay-in: create (signed) → settlement through the
//! simulator's control API, which delivers the signed callback to the
//! merchant endpoint and waits for its acknowledgement → the verified
//! callback → confirmation by inquiry-status (signed). Monnet card pay-in:
//! create through the PCI proxy (hashed) → settlement → the hashed
//! notification → confirmation by the status query. Every step goes through
//! the [`MerchantRecord`].

use std::future::Future;
use std::sync::Arc;

use pasarela_core::Money;
use pasarela_core::client::{
    AsyncMonnetClient, AsyncSmilepayzClient, ExpectedOperation, ExpectedPayIn,
};
use pasarela_core::monnet::PayinState;
use pasarela_core::smilepayz::PayInRequest;
use pasarela_core::transport::AsyncTransport;
use pasarela_simulator::samples;
use serde_json::json;
use url::Url;

use super::merchant::Seen;
use super::record::{Confirmed, Created, MerchantRecord, Order};
use super::sim::complete;

/// SmilePayz amount of every load pay-in: PEN 200.00 (no trigger amount).
pub(super) const SMILEPAYZ_CENTIMOS: u64 = 20_000;
/// Monnet amount of every card pay-in (no trigger amount).
pub(super) const MONNET_AMOUNT: &str = "150.00";

/// A whole pay-in, number `i` of a run.
pub(super) trait PayIn: Send + Sync + 'static {
    /// Runs pay-in `i` to its confirmation.
    fn run(&self, i: usize) -> impl Future<Output = Result<(), String>> + Send;

    /// The order reference of pay-in `i`.
    fn reference(&self, i: usize) -> String;
}

/// What every flow shares: the control URL, where callbacks go, what the
/// merchant endpoint saw, and the record.
pub(super) struct Shared {
    /// The simulator's settlement endpoint for this gateway.
    pub(super) complete_url: Url,
    /// The merchant endpoint's URL for this gateway's callbacks.
    pub(super) callback_url: String,
    /// What the merchant endpoint verified.
    pub(super) seen: Arc<Seen>,
    /// The merchant's record.
    pub(super) record: Arc<dyn MerchantRecord>,
}

/// The SmilePayz pay-in request of pay-in `order` (with or without a
/// ledger), its callback to `callback_url`.
pub(super) fn smilepayz_request(
    merchant_id: &str,
    order: &str,
    callback_url: &str,
) -> Result<PayInRequest, String> {
    samples::smilepayz_pay_in_builder(merchant_id, order, SMILEPAYZ_CENTIMOS)
        .callback_url(callback_url.to_owned())
        .build()
        .map_err(|e| e.to_string())
}

/// The control call's body that settles SmilePayz order `order` as paid.
pub(super) fn smilepayz_settlement(order: &str) -> String {
    json!({"orderNo": order, "status": "SUCCESS"}).to_string()
}

/// The control call's body that authorizes Monnet operation `order`, its
/// notification to `callback_url`.
pub(super) fn monnet_settlement(order: &str, callback_url: &str) -> String {
    json!({
        "payinMerchantOperationNumber": order,
        "payinStateID": PayinState::Authorized.id(),
        "notificationUrl": callback_url,
    })
    .to_string()
}

/// An error of pay-in `order` at `step`, for `map_err`.
fn failed_at(order: &Order, step: &'static str) -> impl Fn(String) -> String + use<> {
    let reference = order.reference.clone();
    move |e| format!("{reference}: {step}: {e}")
}

/// A SmilePayz cash pay-in over transport `T`.
pub(super) struct SmilepayzPayIn<T: AsyncTransport + Sync> {
    pub(super) client: AsyncSmilepayzClient<T>,
    pub(super) merchant_id: String,
    pub(super) shared: Shared,
}

impl<T> PayIn for SmilepayzPayIn<T>
where
    T: AsyncTransport + Send + Sync + 'static,
{
    fn reference(&self, i: usize) -> String {
        format!("LOAD{i:08}")
    }

    async fn run(&self, i: usize) -> Result<(), String> {
        let shared = &self.shared;
        let order = Order {
            gateway: "smilepayz",
            reference: self.reference(i),
            amount: Money::pen(SMILEPAYZ_CENTIMOS),
        };
        let at = |step| failed_at(&order, step);
        let request = smilepayz_request(&self.merchant_id, &order.reference, &shared.callback_url)
            .map_err(at("request"))?;
        shared.record.before_create(&order).map_err(at("record"))?;
        let outcome = self
            .client
            .pay_in(&request)
            .await
            .map_err(|e| e.to_string())
            .map_err(at("create"))?;
        if outcome.payment_url().is_none() {
            return Err(at("create")(format!(
                "created without a page to pay on (status {:?})",
                outcome.response().status
            )));
        }
        let created = outcome.into_response();
        shared
            .record
            .after_create(&order, Created::SmilePayz(&created))
            .map_err(at("record"))?;
        let trade_no = created
            .trade_no
            .clone()
            .ok_or("the answer has no tradeNo".to_owned())
            .map_err(at("create"))?;
        let body = smilepayz_settlement(&order.reference);
        complete(self.client.transport(), &shared.complete_url, body)
            .await
            .map_err(at("settle"))?;
        let callback = shared
            .seen
            .callback(&trade_no)
            .ok_or("acknowledged, but no verified callback was recorded".to_owned())
            .map_err(at("callback"))?;
        let expected = ExpectedPayIn::new(order.reference.clone(), order.amount);
        let confirmed = self
            .client
            .confirm_pay_in(&callback, &expected)
            .await
            .map_err(|e| e.to_string())
            .map_err(at("confirm"))?;
        shared
            .record
            .on_confirmation(&order, Confirmed::SmilePayz(&confirmed))
            .map_err(at("record"))
    }
}

/// A Monnet card pay-in over transport `T`.
pub(super) struct CardPayIn<T: AsyncTransport + Sync> {
    pub(super) client: AsyncMonnetClient<T>,
    pub(super) shared: Shared,
}

impl<T> PayIn for CardPayIn<T>
where
    T: AsyncTransport + Send + Sync + 'static,
{
    fn reference(&self, i: usize) -> String {
        format!("CARD{i:08}")
    }

    async fn run(&self, i: usize) -> Result<(), String> {
        let shared = &self.shared;
        let amount = Money::parse_decimal(MONNET_AMOUNT, pasarela_core::Currency::PEN)
            .map_err(|e| e.to_string())?;
        let order = Order {
            gateway: "monnet",
            reference: self.reference(i),
            amount,
        };
        let at = |step| failed_at(&order, step);
        let request = samples::monnet_create(&order.reference, MONNET_AMOUNT)
            .map_err(|e| e.to_string())
            .map_err(at("request"))?;
        shared.record.before_create(&order).map_err(at("record"))?;
        let created = self
            .client
            .create(&request)
            .await
            .map_err(|e| e.to_string())
            .map_err(at("create"))?;
        shared
            .record
            .after_create(&order, Created::Monnet(&created))
            .map_err(at("record"))?;
        let authorized = PayinState::Authorized.id();
        let body = monnet_settlement(&order.reference, &shared.callback_url);
        complete(self.client.transport(), &shared.complete_url, body)
            .await
            .map_err(at("settle"))?;
        let notification = shared
            .seen
            .notification(&order.reference, authorized)
            .ok_or("acknowledged, but no verified notification was recorded".to_owned())
            .map_err(at("notification"))?;
        let expected = ExpectedOperation::new(order.reference.clone(), order.amount);
        let confirmed = self
            .client
            .confirm_operation(&notification, &expected)
            .await
            .map_err(|e| e.to_string())
            .map_err(at("confirm"))?;
        shared
            .record
            .on_confirmation(&order, Confirmed::Monnet(&confirmed))
            .map_err(at("record"))
    }
}
