//! The SmilePayz side: pay-in, inquiry-status and inquiry-balance, with the
//! gateway's checks done by the core's own code (signature verification,
//! timestamp parsing, every field rule through `validate()`).

use pasarela_core::smilepayz::{
    BalanceType, DEFAULT_EXPIRY_SECS, INQUIRY_BALANCE_PATH, INQUIRY_STATUS_PATH,
    InquiryBalanceRequest, InquiryStatusRequest, Merchant, PAY_IN_PATH, PayInRequest, Payer,
    TradeType, TransactionStatus, check_timestamp_window, format_timestamp, parse_timestamp,
    verify_request_signature,
};
use pasarela_core::{Currency, MerchantSecret, ValidationError, VerifyError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::Inner;
use super::codes::smilepayz as code;
use super::state::{self, SmilePayzOrder};
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

/// A pay-in body as received.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PayInBody {
    merchant: MerchantBody,
    payer: Option<state::Payer>,
    money: state::Money,
    order_no: String,
    payment_method: String,
    purpose: String,
    expiry_period: Option<u32>,
    redirect_url: Option<String>,
    callback_url: Option<String>,
    area: Option<u16>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MerchantBody {
    merchant_id: String,
    merchant_name: Option<String>,
    sub_merchant_id: Option<String>,
    sub_merchant_name: Option<String>,
}

fn set(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

impl PayInBody {
    /// Checks the body's fields (through the SDK's rules, until the
    /// simulator has its own).
    fn check(&self) -> Result<(), ValidationError> {
        let m = &self.merchant;
        let mut merchant = Merchant::new(m.merchant_id.clone());
        if let Some(v) = set(&m.merchant_name) {
            merchant = merchant.with_merchant_name(v);
        }
        if let Some(v) = set(&m.sub_merchant_id) {
            merchant = merchant.with_sub_merchant_id(v);
        }
        if let Some(v) = set(&m.sub_merchant_name) {
            merchant = merchant.with_sub_merchant_name(v);
        }
        let p = self.payer.clone().unwrap_or(state::Payer {
            id_type: None,
            identity: None,
            name: None,
            phone: None,
            email: None,
        });
        let mut payer = Payer::new(p.name.clone().unwrap_or_default());
        if let Some(v) = set(&p.id_type) {
            payer = payer.with_id_type(v);
        }
        if let Some(v) = set(&p.identity) {
            payer = payer.with_identity(v);
        }
        if let Some(v) = set(&p.phone) {
            payer = payer.with_phone(v);
        }
        if let Some(v) = set(&p.email) {
            payer = payer.with_email(v);
        }
        let currency = Currency::new(&self.money.currency).map_err(|_| {
            ValidationError::new("money.currency", pasarela_core::Rule::Format("PEN".into()))
        })?;
        let mut b = PayInRequest::builder(
            merchant,
            self.order_no.clone(),
            pasarela_core::Money::new(self.money.amount, currency),
            self.purpose.clone(),
            payer,
        )
        .payment_method(self.payment_method.as_str());
        if let Some(v) = self.expiry_period {
            b = b.expiry_period(v);
        }
        if let Some(v) = set(&self.redirect_url) {
            b = b.redirect_url(v);
        }
        if let Some(v) = set(&self.callback_url) {
            b = b.callback_url(v);
        }
        if let Some(v) = self.area {
            b = b.area(v);
        }
        b.build().map(|_| ())
    }
}

fn pay_in(sim: &Inner, req: &SimRequest, partner: &str, now: OffsetDateTime) -> Outcome {
    let request: PayInBody = match parse_body(req, now) {
        Ok(r) => r,
        Err(response) => return Outcome::Reply(response),
    };
    if let Err(e) = request.check() {
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
        money: request.money.clone(),
        payment_method: request.payment_method.clone(),
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
            "paymentMethod": request.payment_method,
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
    let body: StatusBody = match parse_body(req, now) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let mut builder = InquiryStatusRequest::builder(TradeType::from_number(body.trade_type));
    if let Some(v) = &body.order_no {
        builder = builder.order_no(v.as_str());
    }
    if let Some(v) = &body.trade_no {
        builder = builder.trade_no(v.as_str());
    }
    let request = match builder.build() {
        Ok(r) => r,
        Err(e) => return reject(400, code::INVALID_FIELD, e.to_string(), now),
    };
    let request = StatusQuery {
        trade_type: request.trade_type(),
        order_no: request.order_no().map(str::to_owned),
        trade_no: request.trade_no().map(str::to_owned),
    };
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

/// An inquiry-status body as received.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusBody {
    trade_type: u8,
    order_no: Option<String>,
    trade_no: Option<String>,
}

struct StatusQuery {
    trade_type: TradeType,
    order_no: Option<String>,
    trade_no: Option<String>,
}

/// An inquiry-balance body as received.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BalanceBody {
    account_no: String,
    balance_types: Vec<String>,
}

/// The documented balance answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BalanceAnswer<'a> {
    code: &'static str,
    message: &'static str,
    account_infos: Vec<BalanceLine<'a>>,
    account_no: &'a str,
    balance_types: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BalanceLine<'a> {
    balance_type: &'a str,
    amount: BalanceValue,
    available_balance: BalanceValue,
}

/// `{currency, value}`, `value` a string of céntimos.
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
    let request: BalanceBody = match parse_body(req, now) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let types = request
        .balance_types
        .iter()
        .map(|t| BalanceType::from_wire(t));
    if let Err(e) = InquiryBalanceRequest::builder(request.account_no.as_str(), types).build() {
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
    let account_infos = request
        .balance_types
        .iter()
        .map(|t| {
            // Values are strings of céntimos, as documented; `BALANCE` and
            // `AVAILABLE` hold everything settled, other types nothing.
            let amount = if t == "BALANCE" || t == "AVAILABLE" {
                settled
            } else {
                0
            };
            let value = || BalanceValue {
                currency: "PEN",
                value: amount.to_string(),
            };
            BalanceLine {
                balance_type: t,
                amount: value(),
                available_balance: value(),
            }
        })
        .collect();
    answer(
        200,
        &BalanceAnswer {
            code: code::SUCCESS,
            message: "Successful",
            account_infos,
            account_no: &request.account_no,
            balance_types: &request.balance_types,
        },
        now,
    )
}
