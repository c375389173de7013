//! The SmilePayz side: pay-in, inquiry-status and inquiry-balance. Every
//! check is the simulator's own ([`super::rules::smilepayz`]): headers, the
//! timestamp window, the signature string and every field rule. Only the
//! RSA verification itself is the core's crypto primitive.

use serde::Serialize;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use pasarela_core::smilepayz::TransactionStatus;

use super::Inner;
use super::codes::smilepayz as code;
use super::rules::smilepayz::{
    self as rules, INQUIRY_BALANCE_PATH, INQUIRY_STATUS_PATH, PAY_IN_PATH, Refusal,
};
use super::rules::{format_peru_timestamp as format_timestamp, parse_timestamp};
use super::state::{OrderMoney, SmilePayzOrder};
use super::triggers::{Trigger, smilepayz_trigger};
use super::wire::{Outcome, SimRequest, SimResponse, SimResponseExt};

/// The paths this module serves.
pub(crate) const PATHS: [&str; 3] = [PAY_IN_PATH, INQUIRY_STATUS_PATH, INQUIRY_BALANCE_PATH];

/// A SmilePayz answer: JSON with `X-TIMESTAMP`.
pub(crate) fn answer(status: u16, body: &impl Serialize, now: OffsetDateTime) -> SimResponse {
    SimResponse::json(status, body).with_header("X-TIMESTAMP", format_timestamp(now))
}

/// A rejection: `{"code", "message"}`.
pub(crate) fn reject(
    status: u16,
    code: &str,
    message: impl Into<String>,
    now: OffsetDateTime,
) -> SimResponse {
    answer(
        status,
        &json!({"code": code, "message": message.into()}),
        now,
    )
}

/// The account number the simulator gives a merchant.
pub(crate) fn account_no(partner: &str) -> String {
    format!("115{partner}0001")
}

/// Handles a request to one of [`PATHS`].
pub(crate) fn handle(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Outcome {
    if !req.method.eq_ignore_ascii_case("POST") {
        return Outcome::Reply(reject(
            405,
            code::NO_SUCH_ENDPOINT,
            "method not allowed: every SmilePayz call is a POST",
            now,
        ));
    }
    let partner = match authenticate(sim, req, now) {
        Ok(partner) => partner,
        Err(response) => return Outcome::Reply(response),
    };
    match req.path_only() {
        PAY_IN_PATH => pay_in(sim, req, &partner, now),
        INQUIRY_STATUS_PATH => Outcome::Reply(inquiry_status(sim, req, &partner, now)),
        _ => Outcome::Reply(inquiry_balance(sim, req, &partner, now)),
    }
}

/// Checks the headers, the timestamp window and the signature; returns the
/// partner id.
fn authenticate(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Result<String, SimResponse> {
    let bad_header = |message: &str| reject(400, code::BAD_HEADER, message, now);
    if req.header("Content-Type").is_none() {
        return Err(bad_header("Content-Type header is missing"));
    }
    if !req.has_json_body() {
        return Err(bad_header("Content-Type must be application/json"));
    }
    let partner = req
        .header("X-PARTNER-ID")
        .ok_or_else(|| bad_header("X-PARTNER-ID header is missing"))?;
    if partner.is_empty() {
        return Err(bad_header("X-PARTNER-ID header is empty"));
    }
    if !rules::merchant_id_ok(partner) {
        return Err(bad_header(
            "X-PARTNER-ID must be the merchant id: digits, or sandbox-<digits>",
        ));
    }
    if partner != sim.config.smilepayz_merchant_id {
        return Err(reject(
            401,
            code::UNKNOWN_PARTNER,
            format!("unknown merchant (X-PARTNER-ID {partner:?})"),
            now,
        ));
    }
    let timestamp = req
        .header("X-TIMESTAMP")
        .ok_or_else(|| bad_header("X-TIMESTAMP header is missing"))?;
    let signed_at = parse_timestamp(timestamp).ok_or_else(|| {
        bad_header("X-TIMESTAMP must be yyyy-MM-ddTHH:mm:ss with Z or ±HH:mm, no fraction")
    })?;
    let tolerance = sim.config.timestamp_tolerance;
    let skew = signed_at - now;
    if skew.abs() > tolerance {
        let (amount, side) = if skew.is_negative() {
            (-skew, "behind")
        } else {
            (skew, "ahead of")
        };
        return Err(reject(
            401,
            code::TIMESTAMP_OUT_OF_WINDOW,
            format!(
                "X-TIMESTAMP is {}s {side} the gateway clock {} (tolerance {}s)",
                amount.whole_seconds(),
                format_timestamp(now),
                tolerance.whole_seconds()
            ),
            now,
        ));
    }
    let signature = req
        .header("X-SIGNATURE")
        .ok_or_else(|| bad_header("X-SIGNATURE header is missing"))?;
    let signature = rules::decode_signature(signature)
        .ok_or_else(|| bad_header("X-SIGNATURE is not standard base64"))?;
    let message =
        rules::string_to_sign(timestamp, &sim.config.smilepayz_merchant_secret, &req.body);
    if sim.merchant_verifier.verify(&message, &signature).is_ok() {
        Ok(partner.to_owned())
    } else {
        Err(reject(
            401,
            code::BAD_SIGNATURE,
            "X-SIGNATURE does not verify over X-TIMESTAMP|merchantSecret|body with the merchant's public key",
            now,
        ))
    }
}

/// A refusal of the body rules, as the gateway answers it.
fn refused(refusal: Refusal, now: OffsetDateTime) -> SimResponse {
    match refusal {
        Refusal::Malformed(message) => reject(400, code::MALFORMED_BODY, message, now),
        Refusal::Invalid(message) => reject(400, code::INVALID_FIELD, message, now),
    }
}

fn pay_in(sim: &Inner, req: &SimRequest, partner: &str, now: OffsetDateTime) -> Outcome {
    let request = match rules::pay_in(&req.body) {
        Ok(r) => r,
        Err(refusal) => return Outcome::Reply(refused(refusal, now)),
    };
    if let Some(why) = request
        .callback_url
        .as_deref()
        .and_then(|url| sim.listening.points_here(url))
    {
        tracing::info!(reason = %why, "pasarela-simulator: refused: self-call");
        return Outcome::Reply(reject(
            400,
            code::INVALID_FIELD,
            format!("invalid `callbackUrl`: {why}"),
            now,
        ));
    }
    let mut state = sim.lock();
    if state.has_smilepayz_order(partner, &request.order_no) {
        return Outcome::Reply(reject(
            200,
            code::DUPLICATE_ORDER,
            format!("duplicate orderNo {:?}", request.order_no),
            now,
        ));
    }
    let trigger = smilepayz_trigger(request.amount);
    match trigger {
        Some(Trigger::GatewayError) => {
            return Outcome::Reply(reject(
                200,
                code::GATEWAY_ERROR,
                "System busy, please try again later",
                now,
            ));
        }
        Some(Trigger::ServerError) => return Outcome::Reply(server_error()),
        _ => {}
    }
    let trade_no = state.next_trade_no(now);
    let payment_url = format!("{}/cashier/#/loading?tradeNo={trade_no}", req.origin);
    let expiry_secs = request.expiry_period;
    let expiry = match trigger {
        Some(Trigger::Expire) => now - Duration::seconds(1),
        _ => now + Duration::seconds(i64::from(expiry_secs)),
    };
    let (status, remark) = match trigger {
        Some(Trigger::Decline) => (TransactionStatus::Failed, Some("DECLINED".to_owned())),
        _ => (TransactionStatus::Processing, None),
    };
    let merchant_name = request
        .merchant_name
        .clone()
        .unwrap_or_else(|| sim.config.smilepayz_merchant_name.clone());
    let order = SmilePayzOrder {
        partner_id: partner.to_owned(),
        merchant_id: request.merchant_id.clone(),
        merchant_name: merchant_name.clone(),
        order_no: request.order_no.clone(),
        trade_no: trade_no.clone(),
        money: OrderMoney {
            amount: request.amount,
            currency: request.currency.clone(),
        },
        payment_method: request.payment_method.clone(),
        purpose: request.purpose.clone(),
        payer: Some(request.payer.clone()),
        callback_url: request.callback_url.clone(),
        payment_url: payment_url.clone(),
        status: status.clone(),
        remark,
        transaction_time: format_timestamp(now),
        expires_at: format_timestamp(expiry),
        deliveries: Vec::new(),
        expiry,
    };
    let kept = state.insert_smilepayz(order);
    drop(state);
    if !kept {
        return Outcome::Reply(reject(
            200,
            code::DUPLICATE_ORDER,
            format!("duplicate orderNo {:?}", request.order_no),
            now,
        ));
    }
    tracing::info!(
        gateway = "smilepayz",
        order_no = %request.order_no,
        amount = request.amount,
        status = %status,
        "pasarela-simulator: order created"
    );
    let mut merchant = json!({
        "accountNo": account_no(partner),
        "merchantId": request.merchant_id,
        "merchantName": merchant_name,
    });
    if let Some(sub) = &request.sub_merchant_id {
        merchant["subMerchantId"] = json!(sub);
    }
    if let Some(sub) = &request.sub_merchant_name {
        merchant["subMerchantName"] = json!(sub);
    }
    let body = json!({
        "channel": {
            "paymentMethod": request.payment_method,
            "paymentUrl": payment_url,
        },
        "code": code::SUCCESS,
        "merchant": merchant,
        "message": "Successful",
        "money": {"amount": request.amount, "currency": request.currency},
        "orderNo": request.order_no,
        "status": status,
        "tradeNo": trade_no,
        "transactionTime": format_timestamp(now),
    });
    let response = answer(200, &body, now);
    match trigger {
        Some(Trigger::Slow) => Outcome::Slow {
            delay: sim.config.slow_delay,
            response,
        },
        Some(Trigger::Drop) => Outcome::Drop,
        _ => Outcome::Reply(response),
    }
}

/// The HTTP 500 trigger's answer: what a proxy in front of a gateway sends.
pub(crate) fn server_error() -> SimResponse {
    SimResponse::with_type(
        500,
        "text/html",
        "<html><head><title>500 Internal Server Error</title></head>\
         <body><h1>500 Internal Server Error</h1></body></html>",
    )
}

fn inquiry_status(
    sim: &Inner,
    req: &SimRequest,
    partner: &str,
    now: OffsetDateTime,
) -> SimResponse {
    let request = match rules::inquiry_status(&req.body) {
        Ok(r) => r,
        Err(refusal) => return refused(refusal, now),
    };
    let not_found = || reject(200, code::NOT_FOUND, "transaction not found", now);
    if request.trade_type != 1 {
        // The simulator makes no pay-outs.
        return not_found();
    }
    let mut state = sim.lock();
    let by_order = request.order_no.as_deref().and_then(|o| {
        state
            .smilepayz_by_order(partner, o)
            .map(|o| o.trade_no.clone())
    });
    let trade_no = match (&request.order_no, by_order, &request.trade_no) {
        (Some(_), None, _) => return not_found(),
        (Some(_), Some(found), Some(asked)) if &found != asked => return not_found(),
        (_, Some(found), _) => found,
        (None, None, Some(asked)) => asked.clone(),
        (None, None, None) => return not_found(),
    };
    let Some(order) = state.smilepayz_by_trade(partner, &trade_no) else {
        return not_found();
    };
    order.refresh(now);
    let mut body = json!({
        "code": code::SUCCESS,
        "message": "Successful",
        "merchantId": order.merchant_id,
        "money": order.money,
        "orderNo": order.order_no,
        "paymentMethod": order.payment_method,
        "status": order.status,
        "tradeNo": order.trade_no,
        "tradeType": 1,
        "transactionTime": order.transaction_time,
    });
    if let Some(remark) = &order.remark {
        body["remark"] = json!(remark);
    }
    answer(200, &body, now)
}

/// The documented balance answer: `accountInfos`, one per balance type,
/// with `amount` and `availableBalance` as `{currency, value}`, `value` a
/// string of minor units.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BalanceAnswer<'a> {
    account_no: &'a str,
    account_infos: Vec<AccountInfo<'a>>,
    balance_types: &'a [String],
    code: &'static str,
    message: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountInfo<'a> {
    amount: BalanceValue,
    available_balance: BalanceValue,
    balance_type: &'a str,
}

#[derive(Serialize)]
struct BalanceValue {
    currency: &'static str,
    value: String,
}

fn inquiry_balance(
    sim: &Inner,
    req: &SimRequest,
    partner: &str,
    now: OffsetDateTime,
) -> SimResponse {
    let request = match rules::inquiry_balance(&req.body) {
        Ok(r) => r,
        Err(refusal) => return refused(refusal, now),
    };
    if request.account_no != account_no(partner) {
        return reject(200, code::NOT_FOUND, "account not found", now);
    }
    let settled: u64 = {
        let mut state = sim.lock();
        state
            .smilepayz_orders(now)
            .iter()
            .filter(|o| o.partner_id == partner && o.status == TransactionStatus::Success)
            .map(|o| o.money.amount)
            .fold(0u64, u64::saturating_add)
    };
    // Both balances hold everything settled (nothing is ever withdrawn).
    let account_infos = request
        .balance_types
        .iter()
        .map(|t| AccountInfo {
            amount: BalanceValue {
                currency: "PEN",
                value: settled.to_string(),
            },
            available_balance: BalanceValue {
                currency: "PEN",
                value: settled.to_string(),
            },
            balance_type: t,
        })
        .collect();
    answer(
        200,
        &BalanceAnswer {
            account_no: &request.account_no,
            account_infos,
            balance_types: &request.balance_types,
            code: code::SUCCESS,
            message: "Successful",
        },
        now,
    )
}
