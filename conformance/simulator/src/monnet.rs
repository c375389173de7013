//! The Monnet side: the PCI proxy's create endpoint (`POST /v1/push/{id}`)
//! and the status query
//! (`POST /ms-experience-payin/merchant/{MID}/operations`). Every check is
//! the simulator's own ([`super::rules::monnet`]): the field rules, the
//! SHA-512 `payinVerification` and the SHA-256 `authorization`.
//! Also what settling an operation needs from the Monnet side: the hashed
//! notification ([`complete`]), the state names and the documented decline
//! reasons.

use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::Inner;
use super::codes::monnet as code;
use super::delivery::{DeliveryJob, Gateway};
use super::input::{MAX_MERCHANT_ID, at_most, error};
use super::page_paths::MONNET_PAGE;
use super::rules::monnet::{self as rules, Fields, Refusal};
use super::rules::{PERU, format_peru_timestamp};
use super::smilepayz::server_error;
use super::state::MonnetOperation;
use super::triggers::{Trigger, monnet_trigger};
use super::wire::{Outcome, SimRequest, SimResponse, SimResponseExt};

const PUSH_PREFIX: &str = "/v1/push/";
const STATUS_PREFIX: &str = "/ms-experience-payin/merchant/";
const STATUS_SUFFIX: &str = "/operations";

/// A Monnet answer: `{"payinErrorCode", "payinErrorMessage"}`.
fn reject(status: u16, code: &str, message: impl Into<String>) -> SimResponse {
    SimResponse::json(
        status,
        &json!({"payinErrorCode": code, "payinErrorMessage": message.into()}),
    )
}

/// The Spanish name Monnet gives a state id.
pub(crate) fn state_name(id: u32) -> &'static str {
    rules::state_name(id)
}

/// The documented Monnet decline reasons (`codeErrorTrx`) and their messages.
pub(crate) const DECLINE_REASONS: [(&str, &str); 4] = [
    ("9005", "Do not honor"),
    ("9012", "Invalid transaction"),
    ("9051", "Insufficient funds"),
    ("9054", "Expired card"),
];

/// The message of a decline code.
pub(crate) fn decline_message(code: &str) -> &'static str {
    DECLINE_REASONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("Declined", |(_, m)| m)
}

/// Handles a Monnet path; `None` when the path is not one.
pub(crate) fn handle(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Option<Outcome> {
    let path = req.path_only();
    if let Some(push_id) = path.strip_prefix(PUSH_PREFIX) {
        return Some(
            guard_post(req)
                .or_else(|| guard_json(req))
                .unwrap_or_else(|| {
                    if push_id != sim.config.monnet_push_id {
                        return Outcome::Reply(reject(
                            404,
                            code::NO_SUCH_ENDPOINT,
                            format!("unknown PCI proxy push id {push_id:?}"),
                        ));
                    }
                    create(sim, req, now)
                }),
        );
    }
    let merchant = path
        .strip_prefix(STATUS_PREFIX)
        .and_then(|rest| rest.strip_suffix(STATUS_SUFFIX))?;
    Some(
        guard_post(req)
            .or_else(|| guard_json(req))
            .unwrap_or_else(|| Outcome::Reply(status(sim, req, merchant, now))),
    )
}

/// Monnet's clients send `Content-Type: application/json`; anything else
/// is refused (`415`, the simulator's code `0097`).
fn guard_json(req: &SimRequest) -> Option<Outcome> {
    (!req.has_json_body()).then(|| {
        Outcome::Reply(reject(
            415,
            code::NOT_JSON,
            "Content-Type must be application/json",
        ))
    })
}

fn guard_post(req: &SimRequest) -> Option<Outcome> {
    (!req.method.eq_ignore_ascii_case("POST")).then(|| {
        Outcome::Reply(reject(
            405,
            code::NO_SUCH_ENDPOINT,
            "method not allowed: use POST",
        ))
    })
}

fn refused(refusal: Refusal) -> SimResponse {
    reject(refusal.status, refusal.code, refusal.message)
}

fn create(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Outcome {
    let checked = rules::fields(&req.body).and_then(|fields| {
        rules::create(
            &fields,
            &sim.config.monnet_merchant_id,
            &sim.config.monnet_key,
        )
        .map(|()| fields)
    });
    match checked {
        // Known (id and hash check out) but not enabled: nothing is created.
        Ok(_) if !sim.config.monnet_merchant_enabled => Outcome::Reply(reject(
            403,
            code::MERCHANT_NOT_ENABLED,
            "Error in merchant not enabled",
        )),
        Ok(fields) => accept(sim, req, &fields, now),
        Err(refusal) => Outcome::Reply(refused(refusal)),
    }
}

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.get(name).map_or("", String::as_str)
}

fn accept(sim: &Inner, req: &SimRequest, fields: &Fields, now: OffsetDateTime) -> Outcome {
    let merchant_id = field(fields, "payinMerchantID");
    let operation_number = field(fields, "payinMerchantOperationNumber");
    let amount_text = field(fields, "payinAmount");
    let trigger = monnet_trigger(amount_text);
    let mut state = sim.lock();
    if state.has_monnet_operation(merchant_id, operation_number) {
        return Outcome::Reply(reject(
            409,
            code::DUPLICATE_OPERATION,
            format!("duplicate payinMerchantOperationNumber {operation_number:?}"),
        ));
    }
    match trigger {
        Some(Trigger::GatewayError) => {
            return Outcome::Reply(reject(
                200,
                code::GATEWAY_ERROR,
                "Error en el procesamiento, intente nuevamente",
            ));
        }
        Some(Trigger::ServerError) => return Outcome::Reply(server_error()),
        _ => {}
    }
    let payin_id = format!("{}", 700_000_000 + state.next_sequence() % 100_000_000);
    let url = format!("{}{}{payin_id}", req.origin, MONNET_PAGE);
    let minutes = field(fields, "payinExpirationTime")
        .parse::<i64>()
        .unwrap_or(30);
    let expiry = match trigger {
        Some(Trigger::Expire) => now - Duration::seconds(1),
        _ => now.checked_add(Duration::minutes(minutes)).unwrap_or(now),
    };
    let state_id = match trigger {
        Some(Trigger::Decline) => 6,
        _ => 1,
    };
    let kept = state.insert_monnet(MonnetOperation {
        merchant_id: merchant_id.to_owned(),
        operation_number: operation_number.to_owned(),
        payin_id: payin_id.clone(),
        amount: amount_text.to_owned(),
        currency: field(fields, "payinCurrency").to_owned(),
        method: field(fields, "payinMethod").to_owned(),
        state_id,
        url: url.clone(),
        created_at: format_peru_timestamp(now),
        deliveries: Vec::new(),
        expiry,
        created_on: now.to_offset(PERU).date(),
    });
    drop(state);
    if !kept {
        return Outcome::Reply(reject(
            409,
            code::DUPLICATE_OPERATION,
            "duplicate payinMerchantOperationNumber",
        ));
    }
    tracing::info!(
        gateway = "monnet",
        operation = %operation_number,
        amount = %amount_text,
        currency = %field(fields, "payinCurrency"),
        state = state_id,
        "pasarela-simulator: order created"
    );
    let response = SimResponse::json(
        200,
        &json!({
            "url": url,
            "payinErrorCode": code::SUCCESS,
            "payinErrorMessage": "Successfull process",
            "payinTrxOperation": payin_id,
        }),
    );
    match trigger {
        Some(Trigger::Slow) => Outcome::Slow {
            delay: sim.config.slow_delay,
            response,
        },
        Some(Trigger::Drop) => Outcome::Drop,
        _ => Outcome::Reply(response),
    }
}

/// The shopper opened the payment page: a created operation (state 1) is
/// now pending payment (state 2), as with Monnet.
pub(crate) fn shopper_arrived(sim: &Inner, payin_id: &str) {
    let mut state = sim.lock();
    if let Some(op) = state.monnet_by_payin_id(payin_id)
        && op.state_id == 1
    {
        op.state_id = 2;
    }
}

fn status(sim: &Inner, req: &SimRequest, merchant: &str, now: OffsetDateTime) -> SimResponse {
    if merchant != sim.config.monnet_merchant_id {
        return reject(
            401,
            code::UNKNOWN_MERCHANT,
            format!("unknown merchant {merchant:?}"),
        );
    }
    match req.header("authorization") {
        Some(given) if rules::authorization_matches(given, merchant, &sim.config.monnet_key) => {}
        Some(_) => {
            return reject(
                401,
                code::BAD_AUTHORIZATION,
                "authorization is not the SHA-256 of MerchantID + KeyMonnet",
            );
        }
        None => {
            return reject(
                401,
                code::BAD_AUTHORIZATION,
                "authorization header is missing",
            );
        }
    }
    let today = now.to_offset(PERU).date();
    let query = match rules::fields(&req.body).and_then(|f| rules::status_query(&f, today)) {
        Ok(q) => q,
        Err(refusal) => return refused(refusal),
    };
    let operation = query.operation_number.as_ref();
    let range = query.range;
    let mut state = sim.lock();
    let operations: Vec<_> = state
        .monnet_operations(now)
        .iter()
        .filter(|op| op.merchant_id == merchant)
        .filter(|op| operation.is_none_or(|n| *n == op.operation_number))
        .filter(|op| range.is_none_or(|(s, e)| s <= op.created_on && op.created_on <= e))
        .map(|op| {
            json!({
                "payinStateID": op.state_id.to_string(),
                "payinState": state_name(op.state_id).to_uppercase(),
                "payinAmount": op.amount,
                "payinCurrency": op.currency,
                "payinMerchantOperationNumber": op.operation_number,
                "payinID": op.payin_id,
            })
        })
        .collect();
    SimResponse::json(
        200,
        &json!({"payinMerchantID": merchant, "operations": operations}),
    )
}

/// Longest `payinMerchantOperationNumber` (Monnet's limit).
const MAX_OPERATION_NUMBER: usize = 50;
/// Longest notification URL (Monnet's limit for its URLs).
const MAX_NOTIFICATION_URL: usize = 250;

/// A notification URL as received: an absolute http(s) URL of at most 250
/// characters that does not point at the simulator itself.
fn notification_url(sim: &Inner, url: &str) -> Result<(), SimResponse> {
    at_most("notificationUrl", url, MAX_NOTIFICATION_URL)?;
    let absolute = url::Url::parse(url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if !absolute {
        return Err(error(
            400,
            "notificationUrl must be an absolute http(s) URL (javascript:, file: and the like are refused)",
        ));
    }
    match sim.listening.points_here(url) {
        Some(why) => {
            tracing::info!(reason = %why, "pasarela-simulator: refused: self-call");
            Err(error(400, format!("notificationUrl refused: {why}")))
        }
        None => Ok(()),
    }
}

/// `POST /_simulator/monnet/complete`: settles an operation and prepares its
/// hashed notification.
pub(crate) fn complete(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Outcome {
    let usage = "body must be {\"payinMerchantOperationNumber\": \"...\", \"payinStateID\": 5, \"notificationUrl\": \"http://...\"}";
    let fields = match rules::fields(&req.body) {
        Ok(f) => f,
        Err(_) => return Outcome::Reply(error(400, usage)),
    };
    let (Some(operation), Some(state_text), Some(url)) = (
        fields.get("payinMerchantOperationNumber"),
        fields.get("payinStateID"),
        fields.get("notificationUrl"),
    ) else {
        return Outcome::Reply(error(400, usage));
    };
    let Some(state_id) = state_text
        .parse::<u32>()
        .ok()
        .filter(|_| state_text.bytes().all(|b| b.is_ascii_digit()))
    else {
        return Outcome::Reply(error(400, "payinStateID must be a non-negative integer"));
    };
    let merchant = fields
        .get("payinMerchantID")
        .cloned()
        .unwrap_or_else(|| sim.config.monnet_merchant_id.clone());
    let bounded = at_most(
        "payinMerchantOperationNumber",
        operation,
        MAX_OPERATION_NUMBER,
    )
    .and_then(|()| at_most("payinMerchantID", &merchant, MAX_MERCHANT_ID))
    .and_then(|()| notification_url(sim, url));
    if let Err(refused) = bounded {
        return Outcome::Reply(refused);
    }
    let mut state = sim.lock();
    let Some(op) = state.monnet_by_operation(&merchant, operation) else {
        return Outcome::Reply(error(
            404,
            format!("no Monnet operation {operation:?} for merchant {merchant:?}"),
        ));
    };
    op.refresh(now);
    op.state_id = state_id;
    tracing::info!(
        gateway = "monnet",
        operation = %op.operation_number,
        state = state_id,
        amount = %op.amount,
        currency = %op.currency,
        "pasarela-simulator: order settled"
    );
    let verification = rules::payin_verification(
        &op.merchant_id,
        &op.operation_number,
        &op.amount,
        &op.currency,
        &sim.config.monnet_key,
    );
    // The current notification version: numbers as strings, the reserved
    // payinStatusError* fields empty ("should not be evaluated"), the
    // homologated decline reason in errorDetails (9000 succeeded, 9005 do
    // not honor), additionalInformation from the processor.
    let (reason, reason_text) = match state_id {
        5 | 9 => ("9000", "Transaccion exitosa"),
        6 => ("9005", "No honrar"),
        _ => ("", ""),
    };
    let body = json!({
        "payinStateID": state_id.to_string(),
        "payinState": state_name(state_id),
        "payinStatusErrorCode": "",
        "payinStatusErrorMessage": "",
        "payinMerchantID": op.merchant_id,
        "payinAmount": op.amount,
        "payinCurrency": op.currency,
        "payinMerchantOperationNumber": op.operation_number,
        "payinMethod": op.method,
        "payinVerification": verification,
        "additionalInformation": [],
        "errorDetails": {"codeErrorTrx": reason, "messageErrorTrx": reason_text},
    });
    let job = DeliveryJob {
        gateway: Gateway::Monnet,
        merchant_id: op.merchant_id.clone(),
        reference: op.operation_number.clone(),
        status: state_id.to_string(),
        url: url.clone(),
        headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
        body: serde_json::to_vec(&body).unwrap_or_default(),
    };
    Outcome::Deliver(job)
}
