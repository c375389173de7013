//! The control API under `/_simulator/`: what tests and users drive the
//! simulator with.
//!
//! | call | answer |
//! |---|---|
//! | `GET /_simulator/credentials` | the start-up credentials object |
//! | `GET /_simulator/orders` | `{"smilepayz": [order…], "monnet": [operation…]}` |
//! | `GET /_simulator/health` | `{"status": "ok"}` |
//! | `GET /_simulator/triggers` | the trigger table, as text |
//! | `POST /_simulator/smilepayz/complete` `{"orderNo", "status"}` | settles, delivers the signed callback, `{"delivered", "attempts"}` |
//! | `POST /_simulator/monnet/complete` `{"payinMerchantOperationNumber", "payinStateID", "notificationUrl"}` | settles, delivers the hashed notification, `{"delivered", "attempts"}` |
//!
//! Errors answer 4xx with `{"error": "..."}`.

use pasarela_core::smilepayz::{TransactionStatus, format_timestamp, sign_callback};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::Inner;
use super::delivery::{DeliveryJob, Gateway};
use super::triggers::TRIGGER_TABLE;
use super::wire::{Outcome, SimRequest, SimResponse, SimResponseExt};

/// The control API's path prefix.
pub(crate) const PREFIX: &str = "/_simulator/";

pub(crate) fn error(status: u16, message: impl Into<String>) -> SimResponse {
    SimResponse::json(status, &json!({"error": message.into()}))
}

/// Handles a request under [`PREFIX`].
pub(crate) fn handle(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Outcome {
    let path = req.path_only();
    let method = req.method.to_ascii_uppercase();
    let response = match (method.as_str(), path) {
        ("GET", "/_simulator/credentials") => {
            SimResponse::json(200, &sim.credentials(&req.origin, req.authority()))
        }
        ("GET", "/_simulator/orders") => {
            let mut state = sim.lock();
            let smilepayz = state.smilepayz_orders(now).to_vec();
            let monnet = state.monnet_operations(now).to_vec();
            SimResponse::json(200, &json!({"smilepayz": smilepayz, "monnet": monnet}))
        }
        ("GET", "/_simulator/health") => SimResponse::json(200, &json!({"status": "ok"})),
        ("GET", "/_simulator/triggers") => {
            SimResponse::with_type(200, "text/plain; charset=utf-8", TRIGGER_TABLE)
        }
        ("POST", "/_simulator/smilepayz/complete") => return smilepayz_complete(sim, req, now),
        ("POST", "/_simulator/monnet/complete") => {
            return super::monnet::complete(sim, req, now);
        }
        (
            _,
            "/_simulator/credentials"
            | "/_simulator/orders"
            | "/_simulator/health"
            | "/_simulator/triggers"
            | "/_simulator/smilepayz/complete"
            | "/_simulator/monnet/complete",
        ) => error(405, format!("method {} not allowed on {path}", req.method)),
        _ => error(404, format!("no control endpoint {path}")),
    };
    Outcome::Reply(response)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SmilePayzComplete {
    order_no: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    merchant_id: Option<String>,
}

/// Settles a SmilePayz order and prepares its signed callback.
///
/// `status` is `SUCCESS`, `FAILED`, `CANCELLED` or `PROCESSING`; when
/// absent it is the order's final status if it has one (a declined or
/// expired order), else `SUCCESS`.
fn smilepayz_complete(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Outcome {
    let input: SmilePayzComplete = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => {
            return Outcome::Reply(error(
                400,
                format!("body must be {{\"orderNo\": \"...\", \"status\": \"SUCCESS\"}}: {e}"),
            ));
        }
    };
    let asked = match input.status.as_deref().map(TransactionStatus::from_wire) {
        Some(TransactionStatus::Other(s)) => {
            return Outcome::Reply(error(
                400,
                format!("status {s:?} is not one of SUCCESS, FAILED, CANCELLED, PROCESSING"),
            ));
        }
        other => other,
    };
    let partner = input
        .merchant_id
        .unwrap_or_else(|| sim.config.smilepayz_merchant_id.clone());
    let mut state = sim.lock();
    let Some(order) = state.smilepayz_by_order(&partner, &input.order_no) else {
        return Outcome::Reply(error(
            404,
            format!(
                "no SmilePayz order {:?} for merchant {partner:?}",
                input.order_no
            ),
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
    let Some(url) = order.callback_url.clone() else {
        return Outcome::Reply(SimResponse::json(
            200,
            &json!({"delivered": false, "attempts": 0}),
        ));
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
    let signature = match sign_callback(&*sim.platform_signer, &trade_no, &timestamp) {
        Ok(s) => s,
        Err(e) => return Outcome::Reply(error(500, format!("signing the callback failed: {e}"))),
    };
    Outcome::Deliver(DeliveryJob {
        gateway: Gateway::SmilePayz,
        merchant_id: partner,
        reference: order_no,
        status: status.to_string(),
        url,
        headers: vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("X-TIMESTAMP".to_owned(), timestamp),
            ("X-SIGNATURE".to_owned(), signature),
        ],
        body: serde_json::to_vec(&body).unwrap_or_default(),
    })
}
