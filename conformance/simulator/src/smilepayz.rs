//! The SmilePayz side: pay-in, inquiry-status and inquiry-balance, with the
//! gateway's checks done by the core's own code (signature verification,
//! timestamp parsing, every field rule through `validate()`).

use pasarela_core::smilepayz::{
    DEFAULT_EXPIRY_SECS, INQUIRY_BALANCE_PATH, INQUIRY_STATUS_PATH, InquiryBalanceRequest,
    InquiryStatusRequest, PAY_IN_PATH, PayInRequest, TradeType, TransactionStatus,
    check_timestamp_window, format_timestamp, parse_timestamp, verify_request_signature,
};
use pasarela_core::{MerchantSecret, VerifyError};
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;
use time::{Duration, OffsetDateTime};

use super::Inner;
use super::codes::smilepayz as code;
use super::state::SmilePayzOrder;
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
    let content_type = req
        .header("Content-Type")
        .ok_or_else(|| bad_header("Content-Type header is missing"))?;
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(bad_header("Content-Type must be application/json"));
    }
    let partner = req
        .header("X-PARTNER-ID")
        .ok_or_else(|| bad_header("X-PARTNER-ID header is missing"))?;
    if partner.is_empty() {
        return Err(bad_header("X-PARTNER-ID header is empty"));
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
    let signed_at = parse_timestamp(timestamp)
        .ok_or_else(|| bad_header("X-TIMESTAMP must be yyyy-MM-ddTHH:mm:ss±HH:mm"))?;
    if let Err(outside) = check_timestamp_window(signed_at, now, sim.config.timestamp_tolerance) {
        return Err(reject(
            401,
            code::TIMESTAMP_OUT_OF_WINDOW,
            format!(
                "X-TIMESTAMP: {outside} (gateway clock {})",
                format_timestamp(now)
            ),
            now,
        ));
    }
    let signature = req
        .header("X-SIGNATURE")
        .ok_or_else(|| bad_header("X-SIGNATURE header is missing"))?;
    let secret = MerchantSecret::new(sim.config.smilepayz_merchant_secret.as_str());
    match verify_request_signature(
        &*sim.merchant_verifier,
        timestamp,
        &secret,
        &req.body,
        signature,
    ) {
        Ok(()) => Ok(partner.to_owned()),
        Err(VerifyError::BadBase64) => Err(bad_header("X-SIGNATURE is not standard base64")),
        Err(_) => Err(reject(
            401,
            code::BAD_SIGNATURE,
            "X-SIGNATURE does not verify over X-TIMESTAMP|merchantSecret|body with the merchant's public key",
            now,
        )),
    }
}

fn parse_body<T: serde::de::DeserializeOwned>(
    req: &SimRequest,
    now: OffsetDateTime,
) -> Result<T, SimResponse> {
    let de = &mut serde_json::Deserializer::from_slice(&req.body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        reject(
            400,
            code::MALFORMED_BODY,
            format!("malformed body at `{path}`: {}", e.inner()),
            now,
        )
    })
}

fn pay_in(sim: &Inner, req: &SimRequest, partner: &str, now: OffsetDateTime) -> Outcome {
    let request: PayInRequest = match parse_body(req, now) {
        Ok(r) => r,
        Err(response) => return Outcome::Reply(response),
    };
    if let Err(e) = request.validate() {
        return Outcome::Reply(reject(400, code::INVALID_FIELD, e.to_string(), now));
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
    let trigger = smilepayz_trigger(request.money.amount);
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
    let expiry_secs = request.expiry_period.unwrap_or(DEFAULT_EXPIRY_SECS);
    let expiry = match trigger {
        Some(Trigger::Expire) => now - Duration::seconds(1),
        _ => now + Duration::seconds(i64::from(expiry_secs)),
    };
    let (status, remark) = match trigger {
        Some(Trigger::Decline) => (TransactionStatus::Failed, Some("DECLINED".to_owned())),
        _ => (TransactionStatus::Processing, None),
    };
    let merchant_name = request
        .merchant
        .merchant_name
        .clone()
        .unwrap_or_else(|| sim.config.smilepayz_merchant_name.clone());
    let order = SmilePayzOrder {
        partner_id: partner.to_owned(),
        merchant_id: request.merchant.merchant_id.clone(),
        merchant_name: merchant_name.clone(),
        order_no: request.order_no.clone(),
        trade_no: trade_no.clone(),
        money: request.money,
        payment_method: request.payment_method.code().to_owned(),
        purpose: request.purpose.clone(),
        payer: request.payer.clone(),
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
    let mut merchant = json!({
        "accountNo": account_no(partner),
        "merchantId": request.merchant.merchant_id,
        "merchantName": merchant_name,
    });
    if let Some(sub) = &request.merchant.sub_merchant_id {
        merchant["subMerchantId"] = json!(sub);
    }
    if let Some(sub) = &request.merchant.sub_merchant_name {
        merchant["subMerchantName"] = json!(sub);
    }
    let body = json!({
        "channel": {
            "paymentMethod": request.payment_method.code(),
            "paymentUrl": payment_url,
        },
        "code": code::SUCCESS,
        "merchant": merchant,
        "message": "Successful",
        "money": request.money,
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
    let request: InquiryStatusRequest = match parse_body(req, now) {
        Ok(r) => r,
        Err(response) => return response,
    };
    if let Err(e) = request.validate() {
        return reject(400, code::INVALID_FIELD, e.to_string(), now);
    }
    let not_found = || reject(200, code::NOT_FOUND, "transaction not found", now);
    if request.trade_type != TradeType::PayIn {
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BalanceAnswer<'a> {
    account_no: &'a str,
    balance_list: Vec<BalanceLine<'a>>,
    code: &'static str,
    message: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BalanceLine<'a> {
    amount: Box<RawValue>,
    balance_type: &'a str,
    currency: &'static str,
}

fn inquiry_balance(
    sim: &Inner,
    req: &SimRequest,
    partner: &str,
    now: OffsetDateTime,
) -> SimResponse {
    let request: InquiryBalanceRequest = match parse_body(req, now) {
        Ok(r) => r,
        Err(response) => return response,
    };
    if let Err(e) = request.validate() {
        return reject(400, code::INVALID_FIELD, e.to_string(), now);
    }
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
    let balance_list = request
        .balance_types
        .iter()
        .map(|t| {
            // The balance is in soles with two decimals, as a JSON number
            // (`12345.60`); `BALANCE` and `AVAILABLE` hold everything
            // settled, other types nothing.
            let amount = if t == "BALANCE" || t == "AVAILABLE" {
                settled
            } else {
                0
            };
            let text = format!("{}.{:02}", amount / 100, amount % 100);
            BalanceLine {
                amount: RawValue::from_string(text).unwrap_or_else(|_| RawValue::NULL.to_owned()),
                balance_type: t,
                currency: "PEN",
            }
        })
        .collect();
    answer(
        200,
        &BalanceAnswer {
            account_no: &request.account_no,
            balance_list,
            code: code::SUCCESS,
            message: "Successful",
        },
        now,
    )
}
