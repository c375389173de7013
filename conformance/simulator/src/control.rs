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
pub(crate) use super::page_paths::CONTROL as PREFIX;

/// Orders per page of `GET /_simulator/orders` unless `limit` says otherwise.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// The largest `limit` of `GET /_simulator/orders`.
pub const MAX_PAGE_SIZE: usize = 1000;
/// The orders' JSON in one page of `GET /_simulator/orders`, in bytes, past
/// which the page ends early (before `limit`; `nextOffset` says where the
/// next page begins): a page of a thousand orders with their deliveries
/// would otherwise run to tens of MB.
pub const MAX_PAGE_BYTES: usize = 4 << 20;

/// Fields `POST /_simulator/monnet/complete` takes.
const MONNET_COMPLETE_FIELDS: [&str; 5] = [
    "payinMerchantOperationNumber",
    "payinStateID",
    "notificationUrl",
    "codeErrorTrx",
    "payinMerchantID",
];

/// `415` unless the body is declared JSON; `400` when the request is a
/// signed SmilePayz callback (`X-SIGNATURE`), as another simulator whose
/// callback URL points here would send: settling and delivering again
/// would make two simulators call each other for ever.
fn json_only(req: &SimRequest) -> Result<(), SimResponse> {
    if req.header("X-SIGNATURE").is_some() {
        tracing::info!(path = %req.path_only(), "pasarela-simulator: refused: control call carrying X-SIGNATURE");
        return Err(error(
            400,
            "a request with X-SIGNATURE is a signed SmilePayz call (a callback from another \
             simulator?), not a control call: the control API takes none; point callback URLs \
             at your merchant endpoint",
        ));
    }
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
    // Serialized one by one under the lock, straight from the kept orders
    // (no copies): a page ends early past MAX_PAGE_BYTES, so that the work
    // under the lock and the answer stay bounded whatever was kept.
    let mut smilepayz = Listing::default();
    if want_smilepayz {
        let bytes = if want_monnet {
            MAX_PAGE_BYTES / 2
        } else {
            MAX_PAGE_BYTES
        };
        let orders = state.smilepayz_orders(now);
        smilepayz = Listing::of(orders.iter(), orders.len(), offset, limit, bytes);
    }
    let mut monnet = Listing::default();
    if want_monnet {
        let (limit, bytes) = match smilepayz.cut {
            Some(shown) => (shown, MAX_PAGE_BYTES / 2),
            None => (limit, MAX_PAGE_BYTES.saturating_sub(smilepayz.json.len())),
        };
        let orders = state.monnet_operations(now);
        monnet = Listing::of(orders.iter(), orders.len(), offset, limit, bytes);
    }
    drop(state);
    // Both lists cover the same positions.
    let shown = match (smilepayz.cut, monnet.cut) {
        (_, Some(n)) => {
            smilepayz.truncate(n);
            n
        }
        (Some(n), None) => n,
        (None, None) => limit,
    };
    let end = offset.saturating_add(shown);
    let next = (end < smilepayz.total.max(monnet.total)).then_some(end);
    let tail = serde_json::to_vec(&PageTail {
        offset,
        limit,
        next_offset: next,
        total: PerGateway {
            smilepayz: smilepayz.total,
            monnet: monnet.total,
        },
        evicted: PerGateway {
            smilepayz: evicted_smilepayz,
            monnet: evicted_monnet,
        },
        max_orders,
        deliveries_kept,
        max_deliveries: sim.config.max_deliveries,
    })
    .unwrap_or_else(|_| b"{}".to_vec());
    let mut body = Vec::with_capacity(smilepayz.json.len() + monnet.json.len() + tail.len() + 32);
    body.extend_from_slice(b"{\"smilepayz\":[");
    body.extend_from_slice(&smilepayz.json);
    body.extend_from_slice(b"],\"monnet\":[");
    body.extend_from_slice(&monnet.json);
    body.extend_from_slice(b"],");
    body.extend_from_slice(tail.get(1..).unwrap_or(b"}"));
    SimResponse::with_type(200, "application/json", body)
}

/// One gateway's part of a page: its orders serialized and comma-separated.
#[derive(Default)]
struct Listing {
    json: Vec<u8>,
    /// Where each order's JSON ends in `json`.
    ends: Vec<usize>,
    /// Orders kept in all.
    total: usize,
    /// How many orders it holds when it ended early (past its bytes).
    cut: Option<usize>,
}

impl Listing {
    /// The orders `offset..offset + limit`, ending after the one that
    /// takes it past `bytes` (one order at least).
    fn of<'a, T: serde::Serialize + 'a>(
        orders: impl Iterator<Item = &'a T>,
        total: usize,
        offset: usize,
        limit: usize,
        bytes: usize,
    ) -> Self {
        let mut listing = Self {
            total,
            ..Self::default()
        };
        let wanted = limit.min(total.saturating_sub(offset));
        for order in orders.skip(offset).take(wanted) {
            if listing.json.len() >= bytes {
                listing.cut = Some(listing.ends.len());
                break;
            }
            if !listing.ends.is_empty() {
                listing.json.push(b',');
            }
            if serde_json::to_writer(&mut listing.json, order).is_err() {
                listing
                    .json
                    .truncate(listing.ends.last().copied().unwrap_or(0));
                listing.cut = Some(listing.ends.len());
                break;
            }
            listing.ends.push(listing.json.len());
        }
        listing
    }

    /// Keeps the first `n` orders.
    fn truncate(&mut self, n: usize) {
        if n < self.ends.len() {
            self.json
                .truncate(n.checked_sub(1).map_or(0, |last| self.ends[last]));
            self.ends.truncate(n);
        }
    }
}

/// The fields of a page of `GET /_simulator/orders` after the orders.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PageTail {
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

/// The body of `POST /_simulator/smilepayz/complete`. Unknown fields are
/// refused: a callback body (another simulator's) is not a control call.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
    if let Some(unknown) = body
        .keys()
        .find(|k| !MONNET_COMPLETE_FIELDS.contains(&k.as_str()))
    {
        return Outcome::Reply(error(
            400,
            format!(
                "unknown field {:?}: the call takes only {} (a notification body, another \
                 simulator's, is not a control call)",
                unknown.chars().take(64).collect::<String>(),
                MONNET_COMPLETE_FIELDS.join(", ")
            ),
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::Listing;
    use crate::{Outcome, SimRequest, Simulator, SimulatorConfig};

    #[test]
    fn a_listing_ends_past_its_bytes() {
        let orders: Vec<String> = (0..10).map(|i| format!("{i}").repeat(100)).collect();
        let all = Listing::of(orders.iter(), 10, 0, 10, 1 << 20);
        assert_eq!((all.cut, all.ends.len(), all.total), (None, 10, 10));
        let all_json: Vec<String> =
            serde_json::from_slice(&[b"[", &all.json[..], b"]"].concat()).unwrap();
        assert_eq!(all_json, orders);
        // 102 bytes an order: past 250 bytes after the third.
        let mut cut = Listing::of(orders.iter(), 10, 2, 5, 250);
        assert_eq!((cut.cut, cut.ends.len()), (Some(3), 3));
        let json: Vec<String> =
            serde_json::from_slice(&[b"[", &cut.json[..], b"]"].concat()).unwrap();
        assert_eq!(json, orders[2..5]);
        cut.truncate(1);
        let json: Vec<String> =
            serde_json::from_slice(&[b"[", &cut.json[..], b"]"].concat()).unwrap();
        assert_eq!(json, orders[2..3]);
        cut.truncate(0);
        assert!(cut.json.is_empty());
        // One order at least, however large; none past the end.
        assert_eq!(Listing::of(orders.iter(), 10, 0, 5, 1).ends.len(), 1);
        let beyond = Listing::of(orders.iter(), 10, 20, 5, 1);
        assert_eq!((beyond.cut, beyond.ends.len()), (None, 0));
        // Ended exactly at the last order wanted: not cut.
        assert_eq!(Listing::of(orders.iter(), 10, 8, 5, 1 << 20).cut, None);
    }

    /// The answer to a JSON control call: status and `error` text.
    fn call(path: &str, body: &str, extra: Option<(&str, &str)>) -> (u16, String) {
        let sim = Simulator::new(SimulatorConfig::default()).unwrap();
        let mut req = SimRequest::new("POST", path, "http://127.0.0.1:4000")
            .with_header("Content-Type", "application/json")
            .with_body(body.as_bytes().to_vec());
        if let Some((name, value)) = extra {
            req = req.with_header(name, value);
        }
        let Outcome::Reply(answer) = sim.handle(&req, sim.now()) else {
            panic!("{path}: not a plain reply");
        };
        let value: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        (
            answer.status,
            value["error"].as_str().unwrap_or_default().to_owned(),
        )
    }

    #[test]
    fn another_simulators_callbacks_are_not_control_calls() {
        let smilepayz = "/_simulator/smilepayz/complete";
        let known = r#"{"orderNo": "NOPE-1", "status": "SUCCESS"}"#;
        assert_eq!(call(smilepayz, known, None).0, 404);
        let (status, why) = call(smilepayz, known, Some(("X-SIGNATURE", "c2ln")));
        assert_eq!(status, 400);
        assert!(why.contains("X-SIGNATURE"), "{why}");
        // A callback body: more than the call takes.
        let callback = r#"{"orderNo": "NOPE-1", "status": "SUCCESS", "tradeNo": "T1"}"#;
        let (status, why) = call(smilepayz, callback, None);
        assert_eq!(status, 400);
        assert!(why.contains("unknown field `tradeNo`"), "{why}");

        let monnet = "/_simulator/monnet/complete";
        let known = r#"{"payinMerchantOperationNumber": "NOPE-2", "payinStateID": 5,
            "notificationUrl": "http://127.0.0.1:9/n", "codeErrorTrx": null, "payinMerchantID": "4001"}"#;
        assert_eq!(call(monnet, known, None).0, 404);
        let notification = r#"{"payinMerchantOperationNumber": "NOPE-2", "payinStateID": 5,
            "payinMerchantID": "4001", "payinAmount": "15.00"}"#;
        let (status, why) = call(monnet, notification, None);
        assert_eq!(status, 400);
        assert!(why.contains("unknown field \"payinAmount\""), "{why}");
        let (status, why) = call(monnet, known, Some(("x-signature", "c2ln")));
        assert_eq!(status, 400);
        assert!(why.contains("X-SIGNATURE"), "{why}");
    }
}
