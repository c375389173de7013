//! Settling an order: the one way the control API, the hosted pages and
//! the dashboard change a SmilePayz order's or a Monnet operation's final
//! state, and the signed callback or hashed notification (a
//! [`DeliveryJob`]) that announces it.

use pasarela_core::smilepayz::{TransactionStatus, format_timestamp, sign_callback};
use serde_json::json;
use time::OffsetDateTime;

use super::Inner;
use super::delivery::{DeliveryJob, Gateway};
use super::input::{MAX_MERCHANT_ID, at_most, error};
use super::monnet::{self, decline_message};
use super::wire::{Outcome, SimRequest, SimResponse};

/// Longest `orderNo` (the gateway's own limit).
const MAX_ORDER_NO: usize = 32;

/// Settles a SmilePayz order at `status` (see
/// [`smilepayz_complete`](super::control::smilepayz_complete)) and
/// returns its signed callback, or `None` when it has neither a
/// `callbackUrl` nor a configured notify URL. Control API, hosted page and
/// dashboard all settle through here.
pub(crate) fn settle_smilepayz(
    sim: &Inner,
    partner: &str,
    order_no: &str,
    asked: Option<TransactionStatus>,
    now: OffsetDateTime,
) -> Result<Option<DeliveryJob>, SimResponse> {
    at_most("orderNo", order_no, MAX_ORDER_NO)?;
    at_most("merchantId", partner, MAX_MERCHANT_ID)?;
    let mut state = sim.lock();
    let Some(order) = state.smilepayz_by_order(partner, order_no) else {
        return Err(error(
            404,
            format!("no SmilePayz order {order_no:?} for merchant {partner:?}"),
        ));
    };
    order.refresh(now);
    let status = match asked {
        Some(s) => s,
        None if order.status.is_final() => order.status.clone(),
        None => TransactionStatus::Success,
    };
    if status != TransactionStatus::Failed {
        order.remark = None;
    }
    order.status = status.clone();
    tracing::info!(
        gateway = "smilepayz",
        order_no = %order.order_no,
        status = %status,
        amount = order.money.amount,
        "pasarela-simulator: order settled"
    );
    // The order's own callbackUrl wins over the back-office notify address
    // (which one wins is undocumented: GATEWAYS.md, "Callback").
    let Some(url) = order
        .callback_url
        .clone()
        .or_else(|| sim.config.smilepayz_notify_url.clone())
    else {
        return Ok(None);
    };
    let mut body = json!({
        "merchantId": order.merchant_id,
        "merchantName": order.merchant_name,
        "money": order.money,
        "orderNo": order.order_no,
        "paymentMethod": order.payment_method,
        "status": status,
        "tradeNo": order.trade_no,
        "transactionTime": order.transaction_time,
    });
    if let Some(payer) = &order.payer {
        body["payer"] = json!(payer);
    }
    let trade_no = order.trade_no.clone();
    let order_no = order.order_no.clone();
    drop(state);
    let timestamp = format_timestamp(now);
    let signature = sign_callback(&*sim.platform_signer, &trade_no, &timestamp)
        .map_err(|e| error(500, format!("signing the callback failed: {e}")))?;
    Ok(Some(DeliveryJob {
        gateway: Gateway::SmilePayz,
        merchant_id: partner.to_owned(),
        reference: order_no,
        status: status.to_string(),
        url,
        headers: vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("X-TIMESTAMP".to_owned(), timestamp),
            ("X-SIGNATURE".to_owned(), signature),
        ],
        body: serde_json::to_vec(&body).unwrap_or_default(),
    }))
}

/// Adds `errorDetails` with the decline code to a notification (the hash
/// does not cover it) and remembers the code for the dashboard.
pub(crate) fn with_decline(sim: &Inner, mut job: DeliveryJob, code: Option<&str>) -> DeliveryJob {
    if let Some(kept) = sim
        .lock()
        .monnet_kept_by_operation(&job.merchant_id, &job.reference)
    {
        kept.page.decline_code = code.map(str::to_owned);
    }
    let Some(code) = code else { return job };
    if let Ok(serde_json::Value::Object(mut body)) =
        serde_json::from_slice::<serde_json::Value>(&job.body)
    {
        body.insert(
            "errorDetails".to_owned(),
            json!({"codeErrorTrx": code, "messageErrorTrx": decline_message(code)}),
        );
        job.body = serde_json::to_vec(&body).unwrap_or(job.body);
    }
    job
}

/// Settles a Monnet operation at `state_id` as the control API does and
/// returns its notification; with no URL (none given, none configured) the
/// state changes and nothing is delivered (`None`).
pub(crate) fn settle_monnet(
    sim: &Inner,
    merchant: &str,
    operation: &str,
    state_id: u32,
    code: Option<&str>,
    origin: &str,
    now: OffsetDateTime,
) -> Result<Option<DeliveryJob>, SimResponse> {
    at_most("operation", operation, 50)?;
    at_most("merchantId", merchant, MAX_MERCHANT_ID)?;
    let Some(url) = sim.config.monnet_notify_url.clone() else {
        let mut state = sim.lock();
        let Some(kept) = state.monnet_kept_by_operation(merchant, operation) else {
            return Err(error(404, format!("no Monnet operation {operation:?}")));
        };
        kept.item.refresh(now);
        kept.item.state_id = state_id;
        kept.page.decline_code = code.map(str::to_owned);
        return Ok(None);
    };
    let body = json!({
        "payinMerchantID": merchant,
        "payinMerchantOperationNumber": operation,
        "payinStateID": state_id,
        "notificationUrl": url,
    });
    let request = SimRequest::new("POST", "/_simulator/monnet/complete", origin)
        .with_header("Content-Type", "application/json")
        .with_body(serde_json::to_vec(&body).unwrap_or_default());
    match monnet::complete(sim, &request, now) {
        Outcome::Deliver(job) => Ok(Some(with_decline(sim, job, code))),
        Outcome::Reply(response) => Err(response),
        _ => Err(error(500, "unexpected outcome settling the operation")),
    }
}
