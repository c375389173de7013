//! The control API under `/_simulator/`: what tests and users drive the
//! simulator with.
//!
//! | call | answer |
//! |---|---|
//! | `GET /_simulator/credentials` | the start-up credentials object |
//! | `GET /_simulator/` | the dashboard (HTML) |
//! | `GET /_simulator/orders?offset=0&limit=100&gateway=smilepayz` | `{"smilepayz": [order…], "monnet": [operation…], "total", "offset", "limit", "nextOffset"}`, one page |
//! | `GET /_simulator/health` | `{"status": "ok"}` |
//! | `GET /_simulator/triggers` | the trigger table, as text |
//! | `POST /_simulator/smilepayz/complete` `{"orderNo", "status"}` | settles, delivers the signed callback, `{"delivered", "attempts"}` |
//! | `POST /_simulator/monnet/complete` `{"payinMerchantOperationNumber", "payinStateID", "notificationUrl", "codeErrorTrx"}` | settles, delivers the hashed notification (to `notificationUrl` or the configured Monnet notify URL), `{"delivered", "attempts"}` |
//! | `POST /_simulator/ui/smilepayz/complete`, `POST /_simulator/ui/monnet/complete` | the dashboard's buttons (form posts), `303` back to the dashboard |
//!
//! Errors answer 4xx with `{"error": "..."}`. The JSON calls require
//! `Content-Type: application/json` (`415` otherwise) and every field has a
//! length limit, checked when the call is received: `orderNo` 32 characters,
//! `merchantId` 40, `payinMerchantOperationNumber` 50, `notificationUrl`
//! 250 (Monnet's limit for its URLs, an absolute http(s) URL that does not
//! point at the simulator itself).

use pasarela_core::smilepayz::TransactionStatus;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::Inner;
use super::input::{at_most, error, form_value};
use super::settle::{settle_smilepayz, with_decline};
use super::triggers::TRIGGER_TABLE;
use super::wire::{Outcome, SimRequest, SimResponse, SimResponseExt};

/// The control API's path prefix.
pub(crate) const PREFIX: &str = "/_simulator/";

/// Orders per page of `GET /_simulator/orders` unless `limit` says otherwise.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// The largest `limit` of `GET /_simulator/orders`.
pub const MAX_PAGE_SIZE: usize = 1000;

/// `415` unless the body is declared JSON.
fn json_only(req: &SimRequest) -> Result<(), SimResponse> {
    if req.has_json_body() {
        return Ok(());
    }
    tracing::info!(path = %req.path_only(), "pasarela-simulator: refused: control call without Content-Type: application/json");
    Err(error(
        415,
        "Content-Type must be application/json: the control API takes JSON bodies only \
         (a form or text/plain body is what a web page on another origin could send)",
    ))
}

/// One page of `GET /_simulator/orders`.
fn orders_page(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> SimResponse {
    let query = req.path.split_once('?').map_or("", |(_, q)| q).as_bytes();
    let number = |name: &str, default: usize| -> Result<usize, SimResponse> {
        match form_value(query, name) {
            None => Ok(default),
            Some(text) => text.parse::<usize>().map_err(|_| {
                error(
                    400,
                    format!("{name} must be a non-negative integer, not {text:?}"),
                )
            }),
        }
    };
    let (offset, limit) = match (number("offset", 0), number("limit", DEFAULT_PAGE_SIZE)) {
        (Ok(o), Ok(l)) => (o, l),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    if limit == 0 || limit > MAX_PAGE_SIZE {
        return error(400, format!("limit must be 1..={MAX_PAGE_SIZE}"));
    }
    let gateway = form_value(query, "gateway");
    let (want_smilepayz, want_monnet) = match gateway.as_deref() {
        None => (true, true),
        Some("smilepayz") => (true, false),
        Some("monnet") => (false, true),
        Some(other) => {
            return error(
                400,
                format!("gateway must be smilepayz or monnet, not {other:?}"),
            );
        }
    };
    let mut state = sim.lock();
    let (evicted_smilepayz, evicted_monnet) = state.evicted();
    let max_orders = state.max_orders();
    let deliveries_kept = state.deliveries_kept();
    let (smilepayz, smilepayz_total) = if want_smilepayz {
        page_of(&state.smilepayz_orders(now), offset, limit)
    } else {
        (Vec::new(), 0)
    };
    let (monnet, monnet_total) = if want_monnet {
        page_of(&state.monnet_operations(now), offset, limit)
    } else {
        (Vec::new(), 0)
    };
    drop(state);
    let end = offset.saturating_add(limit);
    let next = (end < smilepayz_total.max(monnet_total)).then_some(end);
    // Serialized straight from the kept values (no JSON tree in between):
    // a page of a thousand orders with their deliveries is large.
    SimResponse::json(
        200,
        &OrdersPage {
            smilepayz: &smilepayz,
            monnet: &monnet,
            offset,
            limit,
            next_offset: next,
            total: PerGateway {
                smilepayz: smilepayz_total,
                monnet: monnet_total,
            },
            evicted: PerGateway {
                smilepayz: evicted_smilepayz,
                monnet: evicted_monnet,
            },
            max_orders,
            deliveries_kept,
            max_deliveries: sim.config.max_deliveries,
        },
    )
}

/// One page of `GET /_simulator/orders`.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct OrdersPage<'a> {
    smilepayz: &'a [crate::SmilePayzOrder],
    monnet: &'a [crate::MonnetOperation],
    offset: usize,
    limit: usize,
    next_offset: Option<usize>,
    total: PerGateway<usize>,
    evicted: PerGateway<u64>,
    max_orders: usize,
    deliveries_kept: usize,
    max_deliveries: usize,
}

/// A number per gateway.
#[derive(serde::Serialize)]
struct PerGateway<T> {
    smilepayz: T,
    monnet: T,
}

/// Handles a request under [`PREFIX`].
pub(crate) fn handle(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Outcome {
    let path = req.path_only();
    let method = req.method.to_ascii_uppercase();
    let response = match (method.as_str(), path) {
        ("GET", "/_simulator/credentials") => {
            SimResponse::json(200, &sim.credentials(&req.origin, req.authority()))
        }
        ("GET", "/_simulator/" | "/_simulator") => super::dashboard::render(sim, req, now),
        ("GET", "/_simulator/orders") => orders_page(sim, req, now),
        ("GET", "/_simulator/health") => SimResponse::json(200, &json!({"status": "ok"})),
        ("GET", "/_simulator/triggers") => {
            SimResponse::with_type(200, "text/plain; charset=utf-8", TRIGGER_TABLE)
        }
        ("POST", "/_simulator/smilepayz/complete") => match json_only(req) {
            Ok(()) => return smilepayz_complete(sim, req, now),
            Err(refused) => refused,
        },
        ("POST", "/_simulator/monnet/complete") => match json_only(req) {
            Ok(()) => return monnet_complete(sim, req, now),
            Err(refused) => refused,
        },
        ("POST", "/_simulator/ui/smilepayz/complete") => {
            return super::dashboard::smilepayz_action(sim, req, now);
        }
        ("POST", "/_simulator/ui/monnet/complete") => {
            return super::dashboard::monnet_action(sim, req, now);
        }
        (
            _,
            "/_simulator/"
            | "/_simulator"
            | "/_simulator/ui/smilepayz/complete"
            | "/_simulator/ui/monnet/complete"
            | "/_simulator/credentials"
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
/// `status` is `SUCCESS`, `FAILED`, `EXPIRED`, `CANCELLED` or `PROCESSING`; when
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
    if let Err(refused) = at_most("status", input.status.as_deref().unwrap_or(""), 16) {
        return Outcome::Reply(refused);
    }
    let asked = match input.status.as_deref().map(TransactionStatus::from_wire) {
        Some(TransactionStatus::Other(s)) => {
            return Outcome::Reply(error(
                400,
                format!(
                    "status {s:?} is not one of SUCCESS, FAILED, EXPIRED, CANCELLED, PROCESSING"
                ),
            ));
        }
        other => other,
    };
    let partner = input
        .merchant_id
        .unwrap_or_else(|| sim.config.smilepayz_merchant_id.clone());
    match settle_smilepayz(sim, &partner, &input.order_no, asked, now) {
        Ok(Some(job)) => Outcome::Deliver(job),
        Ok(None) => Outcome::Reply(SimResponse::json(
            200,
            &json!({"delivered": false, "attempts": 0}),
        )),
        Err(response) => Outcome::Reply(response),
    }
}

/// `POST /_simulator/monnet/complete`: `notificationUrl` may be left out
/// when a Monnet notify URL is configured; `codeErrorTrx` (optional) adds
/// `errorDetails` to the notification.
fn monnet_complete(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Outcome {
    let Ok(serde_json::Value::Object(mut body)) =
        serde_json::from_slice::<serde_json::Value>(&req.body)
    else {
        return super::monnet::complete(sim, req, now);
    };
    if !body.contains_key("notificationUrl") {
        let Some(url) = &sim.config.monnet_notify_url else {
            return Outcome::Reply(error(
                400,
                "notificationUrl is required: no Monnet notify URL is configured \
                 (--monnet-notify-url, SimulatorConfig::with_monnet_notify_url)",
            ));
        };
        body.insert("notificationUrl".to_owned(), json!(url));
    }
    let code = match body.remove("codeErrorTrx") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(c))
            if c.len() == 4 && c.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(c)
        }
        Some(_) => {
            return Outcome::Reply(error(
                400,
                "codeErrorTrx must be four digits such as \"9005\"",
            ));
        }
    };
    let forwarded = SimRequest {
        body: serde_json::to_vec(&body).unwrap_or_default(),
        ..req.clone()
    };
    match super::monnet::complete(sim, &forwarded, now) {
        Outcome::Deliver(job) => Outcome::Deliver(with_decline(sim, job, code.as_deref())),
        other => other,
    }
}

/// The page `offset..offset + limit` of `orders` (clamped) and their total.
fn page_of<T: Clone>(
    orders: &crate::state::Orders<'_, T>,
    offset: usize,
    limit: usize,
) -> (Vec<T>, usize) {
    let total = orders.len();
    let start = offset.min(total);
    let end = offset.saturating_add(limit).min(total);
    let items = orders
        .iter()
        .skip(start)
        .take(end - start)
        .cloned()
        .collect();
    (items, total)
}
