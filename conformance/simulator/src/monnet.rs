//! The Monnet side: the PCI proxy's create endpoint (`POST /v1/push/{id}`)
//! and the status query
//! (`POST /ms-experience-payin/merchant/{MID}/operations`), checked with the
//! core's own code: the create body goes through
//! [`CreateRequest::builder`]'s rules, hashes through
//! [`payin_verification`] and [`status_authorization`].

use std::collections::HashMap;

use pasarela_core::monnet::{
    BillingAddress, CREATE_FIELDS, Card, CardExpiration, CardMethod, CreateRequest, Customer, Cvv,
    DocumentType, Pan, PayinState, Product, Scalar, Shipping, StatusQuery, Transaction,
    payin_verification, payin_verification_matches, status_authorization,
};
use pasarela_core::smilepayz::{PERU_OFFSET, format_timestamp};
use pasarela_core::{Currency, Money};
use pasarela_core::{MonnetKey, Rule};
use serde_json::json;
use time::{Date, Duration, OffsetDateTime};

use super::Inner;
use super::codes::monnet as code;
use super::control::error;
use super::delivery::{DeliveryJob, Gateway};
use super::smilepayz::server_error;
use super::state::MonnetOperation;
use super::triggers::{Trigger, monnet_trigger};
use super::wire::{Outcome, SimRequest, SimResponse, SimResponseExt};

const PUSH_PREFIX: &str = "/v1/push/";
const STATUS_PREFIX: &str = "/ms-experience-payin/merchant/";
const STATUS_SUFFIX: &str = "/operations";
/// The path `URLMonnet` must end with (certification, production, or the
/// SDK's custom base URL).
const URL_MONNET_PATH: &str = "/api-payin/v3/online-payments";

/// Every field of the seed's sample, in its order: all must be present.
const FIELDS: [&str; 43] = CREATE_FIELDS;

/// The four customer fields that must never be empty.
const NEVER_EMPTY: [&str; 4] = [
    "payinCustomerName",
    "payinCustomerLastName",
    "payinCustomerEmail",
    "payinCustomerPhone",
];

/// A Monnet answer: `{"payinErrorCode", "payinErrorMessage"}`.
fn reject(status: u16, code: &str, message: impl Into<String>) -> SimResponse {
    SimResponse::json(
        status,
        &json!({"payinErrorCode": code, "payinErrorMessage": message.into()}),
    )
}

/// The Spanish name Monnet gives a state id.
pub(crate) fn state_name(id: u32) -> &'static str {
    match PayinState::from_id(id, None) {
        PayinState::Created => "Creado",
        PayinState::Pending => "Pendiente de pago",
        PayinState::Expired => "Expirado",
        PayinState::Authorized => "Autorizado",
        PayinState::Denied => "Denegado",
        PayinState::Settled => "Liquidado",
        PayinState::Refunded => "Reembolsado",
        PayinState::Returned => "Devuelto",
        _ => "Desconocido",
    }
}

/// Handles a Monnet path; `None` when the path is not one.
pub(crate) fn handle(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Option<Outcome> {
    let path = req.path_only();
    if let Some(push_id) = path.strip_prefix(PUSH_PREFIX) {
        return Some(guard_post(req).unwrap_or_else(|| {
            if push_id != sim.config.monnet_push_id {
                return Outcome::Reply(reject(
                    404,
                    code::NO_SUCH_ENDPOINT,
                    format!("unknown PCI proxy push id {push_id:?}"),
                ));
            }
            create(sim, req, now)
        }));
    }
    let merchant = path
        .strip_prefix(STATUS_PREFIX)
        .and_then(|rest| rest.strip_suffix(STATUS_SUFFIX))?;
    Some(guard_post(req).unwrap_or_else(|| Outcome::Reply(status(sim, req, merchant, now))))
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

/// The body as field name → text: strings as their value, numbers as their
/// exact text. Anything else is malformed.
fn scalar_fields(body: &[u8]) -> Result<HashMap<String, String>, SimResponse> {
    // Each value a JSON string or number, kept as text: the SDK's own reader.
    let raw: HashMap<String, Scalar> = serde_json::from_slice(body).map_err(|e| {
        reject(
            400,
            code::MALFORMED_BODY,
            format!("malformed body: a JSON object of strings and numbers is expected: {e}"),
        )
    })?;
    Ok(raw
        .into_iter()
        .map(|(name, value)| (name, value.0))
        .collect())
}

fn create(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Outcome {
    let fields = match scalar_fields(&req.body) {
        Ok(f) => f,
        Err(response) => return Outcome::Reply(response),
    };
    match check_create(sim, &fields) {
        Ok(request) => accept(sim, req, &fields, &request, now),
        Err(response) => Outcome::Reply(response),
    }
}

fn field<'a>(fields: &'a HashMap<String, String>, name: &str) -> &'a str {
    fields.get(name).map_or("", String::as_str)
}

/// Every check of the create call, in the order the gateway reports them.
fn check_create(
    sim: &Inner,
    fields: &HashMap<String, String>,
) -> Result<CreateRequest, SimResponse> {
    if let Some(missing) = FIELDS.iter().find(|f| !fields.contains_key(**f)) {
        return Err(reject(
            400,
            code::MISSING_FIELD,
            format!("missing field {missing}: every field is sent, optional ones as \"\""),
        ));
    }
    let merchant_id = field(fields, "payinMerchantID");
    if merchant_id != sim.config.monnet_merchant_id {
        return Err(reject(
            401,
            code::UNKNOWN_MERCHANT,
            format!("unknown payinMerchantID {merchant_id:?}"),
        ));
    }
    if let Some(empty) = NEVER_EMPTY
        .iter()
        .find(|f| field(fields, f).trim().is_empty())
    {
        return Err(reject(
            400,
            code::EMPTY_CUSTOMER_FIELD,
            format!("{empty} must not be empty"),
        ));
    }
    let invalid = |message: String| reject(400, code::INVALID_VALUE, message);
    if field(fields, "typePost") != "json" {
        return Err(invalid("invalid `typePost`: must be \"json\"".to_owned()));
    }
    let url_monnet = field(fields, "URLMonnet");
    let url_ok = url::Url::parse(url_monnet)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.path() == URL_MONNET_PATH);
    if !url_ok {
        return Err(invalid(format!(
            "invalid `URLMonnet`: must be Monnet's online-payments endpoint (…{URL_MONNET_PATH})"
        )));
    }
    let amount_text = field(fields, "payinAmount");
    let currency = Currency::new(field(fields, "payinCurrency"))
        .map_err(|e| invalid(format!("invalid `payinCurrency`: {e}")))?;
    let amount = Money::parse_decimal(amount_text, currency)
        .map_err(|e| invalid(format!("invalid `payinAmount`: {e}")))?;
    if amount.to_decimal_string() != amount_text {
        return Err(invalid(
            "invalid `payinAmount`: must have exactly two decimals, such as 150.00".to_owned(),
        ));
    }
    let expiration = field(fields, "payinExpirationTime");
    let minutes = expiration
        .parse::<u32>()
        .ok()
        .filter(|_| expiration.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            invalid("invalid `payinExpirationTime`: must be whole minutes".to_owned())
        })?;
    let method = match field(fields, "payinMethod") {
        "TCTD" => CardMethod::CreditOrDebit,
        "TC" => CardMethod::Credit,
        "TD" => CardMethod::Debit,
        _ => {
            return Err(invalid(
                "invalid `payinMethod`: must be TCTD, TC or TD".to_owned(),
            ));
        }
    };
    let pan = Pan::new(field(fields, "payinPan")).map_err(|e| invalid(e.to_string()))?;
    let cvv = Cvv::new(field(fields, "payinCvv")).map_err(|e| invalid(e.to_string()))?;
    let expiry = CardExpiration::new(field(fields, "payinCardExpiration"))
        .map_err(|e| invalid(e.to_string()))?;
    let f = |name: &str| field(fields, name).to_owned();
    // The date is replaced by payinDateTime's text as received.
    let transaction = Transaction::new(
        f("payinMerchantOperationNumber"),
        amount,
        method,
        f("payinTransactionOKURL"),
        f("payinTransactionErrorURL"),
        Date::MIN,
    )
    .date_time(f("payinDateTime"))
    .expiration_minutes(minutes)
    .language(f("payinLanguage"));
    let mut customer = Customer::new(
        f("payinCustomerName"),
        f("payinCustomerLastName"),
        f("payinCustomerEmail"),
        f("payinCustomerPhone"),
    );
    let (doc_type, doc) = (f("payinCustomerTypeDocument"), f("payinCustomerDocument"));
    if !doc_type.is_empty() || !doc.is_empty() {
        customer = customer.document(DocumentType::parse(&doc_type), doc);
    }
    let product = Product::new(
        f("payinProductID"),
        f("payinProductDescription"),
        f("payinProductAmount"),
        f("payinProductSku"),
        f("payinProductQuantity"),
    );
    let request =
        CreateRequest::builder(transaction, customer, product, Card::new(pan, cvv, expiry))
            .billing_address(BillingAddress::new(
                f("payinCustomerAddress"),
                f("payinCustomerCity"),
                f("payinCustomerRegion"),
                f("payinCustomerCountry"),
                f("payinCustomerZipCode"),
            ))
            .shipping(Shipping::new(
                f("payinCustomerShippingName"),
                f("payinCustomerShippingPhone"),
                f("payinCustomerShippingAddress"),
                f("payinCustomerShippingCity"),
                f("payinCustomerShippingRegion"),
                f("payinCustomerShippingCountry"),
                f("payinCustomerShippingZipCode"),
            ))
            .regular_customer(f("payinRegularCustomer"))
            .customer_id(f("payinCustomerID"))
            .discount_coupon(f("payinDiscountCoupon"))
            .filter_by(f("payinFilterBy"))
            .build()
            .map_err(|e| invalid(e.to_string()))?;
    let matches = payin_verification_matches(
        merchant_id,
        field(fields, "payinMerchantOperationNumber"),
        amount_text,
        field(fields, "payinCurrency"),
        &MonnetKey::new(sim.config.monnet_key.as_str()),
        field(fields, "payinVerification"),
    );
    if !matches {
        return Err(reject(
            401,
            code::BAD_VERIFICATION,
            "payinVerification is not the SHA-512 of payinMerchantID + payinMerchantOperationNumber + payinAmount + payinCurrency + KeyMonnet",
        ));
    }
    Ok(request)
}

fn accept(
    sim: &Inner,
    req: &SimRequest,
    fields: &HashMap<String, String>,
    request: &CreateRequest,
    now: OffsetDateTime,
) -> Outcome {
    let merchant_id = field(fields, "payinMerchantID");
    let amount_text = field(fields, "payinAmount");
    let trigger = monnet_trigger(amount_text);
    let mut state = sim.lock();
    if state.has_monnet_operation(merchant_id, request.operation_number()) {
        return Outcome::Reply(reject(
            409,
            code::DUPLICATE_OPERATION,
            format!(
                "duplicate payinMerchantOperationNumber {:?}",
                request.operation_number()
            ),
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
    let url = format!("{}{}{payin_id}", req.origin, super::pages::MONNET_PAGE);
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
        operation_number: request.operation_number().to_owned(),
        payin_id,
        amount: amount_text.to_owned(),
        currency: request.amount().currency().as_str().to_owned(),
        method: field(fields, "payinMethod").to_owned(),
        state_id,
        url: url.clone(),
        created_at: format_timestamp(now),
        deliveries: Vec::new(),
        expiry,
        created_on: now.to_offset(PERU_OFFSET).date(),
    });
    drop(state);
    if !kept {
        return Outcome::Reply(reject(
            409,
            code::DUPLICATE_OPERATION,
            "duplicate payinMerchantOperationNumber",
        ));
    }
    let response = SimResponse::json(
        200,
        &json!({"url": url, "payinErrorCode": code::SUCCESS, "payinErrorMessage": "Successfull process"}),
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

fn parse_date(text: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, format).ok()
}

fn status(sim: &Inner, req: &SimRequest, merchant: &str, now: OffsetDateTime) -> SimResponse {
    if merchant != sim.config.monnet_merchant_id {
        return reject(
            401,
            code::UNKNOWN_MERCHANT,
            format!("unknown merchant {merchant:?}"),
        );
    }
    let key = MonnetKey::new(sim.config.monnet_key.as_str());
    let expected = status_authorization(merchant, &key);
    match req.header("authorization") {
        Some(given) if given.trim().eq_ignore_ascii_case(&expected) => {}
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
    let fields = match scalar_fields(&req.body) {
        Ok(f) => f,
        Err(response) => return response,
    };
    // Dates must parse; every other rule is the SDK's own StatusQuery check.
    let date = |name: &str| match fields.get(name) {
        None => Ok(None),
        Some(text) => parse_date(text).map(Some).ok_or(()),
    };
    let (Ok(start_date), Ok(end_date)) = (date("payinStartDate"), date("payinEndDate")) else {
        return reject(
            400,
            code::INVALID_VALUE,
            "invalid payinStartDate/payinEndDate: YYYY-MM-DD",
        );
    };
    // An empty operation number with a date range lists the range.
    let operation_number = fields
        .get("payinMerchantOperationNumber")
        .filter(|op| !(op.is_empty() && start_date.is_some()))
        .cloned();
    let query = match (operation_number, start_date.zip(end_date)) {
        (_, None) if start_date.is_some() || end_date.is_some() => {
            return reject(
                400,
                code::MISSING_FIELD,
                "payinStartDate and payinEndDate go together",
            );
        }
        (Some(op), None) => StatusQuery::by_operation_number(op),
        (Some(op), Some((s, e))) => StatusQuery::by_operation_number(op).with_date_range(s, e),
        (None, Some((s, e))) => StatusQuery::by_date_range(s, e),
        (None, None) => {
            return reject(
                400,
                code::MISSING_FIELD,
                "give payinMerchantOperationNumber and/or both payinStartDate and payinEndDate",
            );
        }
    };
    if let Err(invalid) = query.validate(now.to_offset(PERU_OFFSET).date()) {
        let code = match invalid.rule() {
            Rule::Combination(_) => code::MISSING_FIELD,
            _ => code::INVALID_VALUE,
        };
        return reject(400, code, invalid.to_string());
    }
    let operation = query.operation_number().map(str::to_owned);
    let range = query.date_range();
    let mut state = sim.lock();
    let operations: Vec<_> = state
        .monnet_operations(now)
        .iter()
        .filter(|op| op.merchant_id == merchant)
        .filter(|op| operation.as_ref().is_none_or(|n| *n == op.operation_number))
        .filter(|op| range.is_none_or(|(s, e)| s <= op.created_on && op.created_on <= e))
        .map(|op| {
            json!({
                "payinStateID": op.state_id,
                "payinState": state_name(op.state_id),
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

/// `POST /_simulator/monnet/complete`: settles an operation and prepares its
/// hashed notification.
pub(crate) fn complete(sim: &Inner, req: &SimRequest, now: OffsetDateTime) -> Outcome {
    let usage = "body must be {\"payinMerchantOperationNumber\": \"...\", \"payinStateID\": 5, \"notificationUrl\": \"http://...\"}";
    let fields = match scalar_fields(&req.body) {
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
    let mut state = sim.lock();
    let Some(op) = state.monnet_by_operation(&merchant, operation) else {
        return Outcome::Reply(error(
            404,
            format!("no Monnet operation {operation:?} for merchant {merchant:?}"),
        ));
    };
    op.refresh(now);
    op.state_id = state_id;
    let paid = matches!(state_id, 5 | 9);
    let verification = payin_verification(
        &op.merchant_id,
        &op.operation_number,
        &op.amount,
        &op.currency,
        &MonnetKey::new(sim.config.monnet_key.as_str()),
    );
    let body = json!({
        "payinStateID": state_id.to_string(),
        "payinState": state_name(state_id),
        "payinStatusErrorCode": if paid { code::SUCCESS } else { "0001" },
        "payinStatusErrorMessage": if paid { "Operacion exitosa" } else { state_name(state_id) },
        "payinMerchantID": op.merchant_id,
        "payinAmount": op.amount,
        "payinCurrency": op.currency,
        "payinMerchantOperationNumber": op.operation_number,
        "payinMethod": op.method,
        "payinVerification": verification,
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
