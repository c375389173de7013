//! An axum merchant service on pasarela and `pasarela-reqwest`.
//!
//! # The flow
//!
//! 1. `POST /checkout/smilepayz` (form `amount` in céntimos) records the
//!    order in the [`Ledger`] (our number, amount, currency), creates the
//!    SmilePayz pay-in with its callback aimed at `/webhooks/smilepayz`, and
//!    answers `303 See Other` to the returned `paymentUrl`.
//! 2. `POST /checkout/monnet` (form: `amount` as `"150.00"`, shopper and
//!    card fields) does the same for a Monnet card pay-in and redirects to
//!    its `url`. Card data is parsed into the core's redacted types and
//!    never stored.
//! 3. `POST /webhooks/smilepayz` and `POST /webhooks/monnet` verify the
//!    delivery with the webhook verifiers of `pasarela_core::webhook`
//!    (built once, in [`AppState`]). An unverified delivery is refused with
//!    the verifier's refusal and changes nothing. A verified one is recorded
//!    once under its event identity, built from authenticated parts only
//!    (SmilePayz: signed `tradeNo` + signed `X-TIMESTAMP`; Monnet:
//!    operation number + state + `payinVerification` hash); a repeat
//!    (the gateways retry) is acknowledged and changes nothing, except that
//!    it re-runs confirmation for an order still waiting on a pending or
//!    unanswered status call.
//! 4. A new event runs the confirmation step: the gateway's status call,
//!    compared with our record from step 1. Only a confirmed outcome marks
//!    the order safe to ship; a verified event is *not* a payment.
//! 5. `GET /orders/{id}` shows our record and whether it is confirmed.
//!
//! Verified events (new or repeated) are always answered with the
//! gateway's expected acknowledgement, whatever confirmation said: the
//! delivery was received; whether to ship is our business.
#![forbid(unsafe_code)]

pub mod ledger;
pub mod metrics;
pub mod orders;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use bytes::Bytes;
use pasarela_core::client::{
    AsyncMonnetClient, AsyncSmilepayzClient, ClientError, ExpectedOperation, ExpectedPayIn,
    NotConfirmed, SmilepayzSettings,
};
use pasarela_core::crypto::Verifier;
use pasarela_core::monnet::{self, CardExpiration, Cvv, Pan};
use pasarela_core::smilepayz;
use pasarela_core::webhook::{MonnetWebhook, SmilepayzWebhook};
use pasarela_core::{Currency, Money};
use pasarela_reqwest::ReqwestTransport;
use serde::Deserialize;
use time::OffsetDateTime;

pub use ledger::{Gateway, Ledger, OrderRecord, OrderState, Recorded};

/// Everything the service is configured with.
pub struct MerchantSetup {
    /// SmilePayz client settings (configuration, not-found codes).
    pub smilepayz: SmilepayzSettings,
    /// Verifies SmilePayz callbacks (the platform public key).
    pub smilepayz_platform: Arc<dyn Verifier + Send + Sync>,
    /// Monnet configuration.
    pub monnet: monnet::Config,
    /// Where the gateways reach this service, e.g. `http://127.0.0.1:3000`
    /// (no trailing slash): the webhook URLs are built on it.
    pub public_url: String,
    /// The shopper-facing storefront, e.g. `https://shop.example` (Monnet
    /// requires https return URLs): the shopper comes back to
    /// `{storefront_url}/orders/{id}`.
    pub storefront_url: String,
}

impl std::fmt::Debug for MerchantSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerchantSetup")
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

struct Inner {
    smilepayz: AsyncSmilepayzClient<ReqwestTransport>,
    smilepayz_merchant_id: String,
    monnet: AsyncMonnetClient<ReqwestTransport>,
    smilepayz_webhook: SmilepayzWebhook,
    monnet_webhook: MonnetWebhook,
    ledger: Ledger,
    public_url: String,
    storefront_url: String,
    next_order: AtomicU64,
}

/// The shared state behind every route: both clients over one transport
/// (one connection pool), the webhook verifiers, the ledger. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("public_url", &self.inner.public_url)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state; `transport` is shared by both clients.
    pub fn new(setup: MerchantSetup, transport: ReqwestTransport) -> Self {
        let smilepayz_merchant_id = setup.smilepayz.config().partner_id().to_owned();
        let monnet_webhook = MonnetWebhook::from_config(&setup.monnet);
        let public_url = setup.public_url.trim_end_matches('/').to_owned();
        let storefront_url = setup.storefront_url.trim_end_matches('/').to_owned();
        // Order numbers: start from the clock in microseconds so a restarted
        // service does not reuse the numbers of its previous run.
        let seed =
            u64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000).unwrap_or(0);
        Self {
            inner: Arc::new(Inner {
                smilepayz: AsyncSmilepayzClient::new(setup.smilepayz, transport.clone()),
                smilepayz_merchant_id,
                monnet: AsyncMonnetClient::new(setup.monnet, transport),
                smilepayz_webhook: SmilepayzWebhook::new(setup.smilepayz_platform),
                monnet_webhook,
                ledger: Ledger::new(),
                public_url,
                storefront_url,
                next_order: AtomicU64::new(seed),
            }),
        }
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.inner.ledger
    }

    fn new_order_id(&self, prefix: &str) -> String {
        let n = self.inner.next_order.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}{n}")
    }
}

/// The service's routes over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/checkout/smilepayz", post(checkout_smilepayz))
        .route("/checkout/monnet", post(checkout_monnet))
        .route("/webhooks/smilepayz", post(webhook_smilepayz))
        .route("/webhooks/monnet", post(webhook_monnet))
        .route("/orders/{id}", get(show_order))
        .with_state(state)
        .merge(metrics::routes()) // GET /metrics: Prometheus text (src/metrics.rs)
}

fn plain(status: StatusCode, text: impl Into<String>) -> Response {
    (status, text.into()).into_response()
}

fn gateway_failure<E: std::fmt::Display>(error: &ClientError<E>) -> Response {
    let status = match error {
        ClientError::Invalid(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::BAD_GATEWAY,
    };
    plain(status, format!("payment not started: {error}"))
}

/// Form of `POST /checkout/smilepayz`.
#[derive(Debug, Deserialize)]
pub struct SmilepayzCheckout {
    /// Amount in céntimos.
    pub amount: u64,
}

async fn checkout_smilepayz(
    State(state): State<AppState>,
    Form(form): Form<SmilepayzCheckout>,
) -> Response {
    let id = state.new_order_id("SP");
    let base = &state.inner.public_url;
    let request = match orders::smilepayz_pay_in(
        &state.inner.smilepayz_merchant_id,
        &id,
        form.amount,
        &format!("{base}/webhooks/smilepayz"),
        &format!("{}/orders/{id}", state.inner.storefront_url),
    ) {
        Ok(r) => r,
        Err(e) => return plain(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let opened = state.ledger().open_order(OrderRecord {
        id: id.clone(),
        gateway: Gateway::Smilepayz,
        amount_minor: form.amount,
        currency: "PEN".to_owned(),
        state: OrderState::Pending,
        events: Vec::new(),
    });
    if !opened {
        return plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "order number taken; try again",
        );
    }
    match state.inner.smilepayz.pay_in(&request).await {
        Ok(outcome) => match outcome.payment_url() {
            Some(url) => Redirect::to(url.as_str()).into_response(),
            // Created already failed (a decline), or in a state to confirm
            // first: never send the shopper to that page.
            None if outcome.is_declined() => plain(StatusCode::PAYMENT_REQUIRED, "declined"),
            None => plain(StatusCode::ACCEPTED, "pending: we will confirm the payment"),
        },
        Err(e) => {
            // Refused before or by the gateway: no pay-in exists. On an
            // unknown outcome the record stays, to reconcile later.
            if !e.is_outcome_unknown() {
                state.ledger().drop_order(&id);
            }
            gateway_failure(&e)
        }
    }
}

/// Form of `POST /checkout/monnet`.
#[derive(Deserialize)]
pub struct MonnetCheckout {
    /// Amount as a decimal text, e.g. `150.00`.
    pub amount: String,
    /// Given name.
    pub name: String,
    /// Family name.
    pub last_name: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Document type.
    pub document_type: String,
    /// Document number.
    pub document: String,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip_code: String,
    /// Card number.
    pub pan: String,
    /// Card security code.
    pub cvv: String,
    /// Card expiry, `YYYY-MM`.
    pub expiry: String,
}

impl std::fmt::Debug for MonnetCheckout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonnetCheckout")
            .field("amount", &self.amount)
            .finish_non_exhaustive()
    }
}

async fn checkout_monnet(
    State(state): State<AppState>,
    Form(form): Form<MonnetCheckout>,
) -> Response {
    let parsed = (|| {
        let amount = Money::parse_decimal(&form.amount, Currency::PEN).map_err(|e| {
            pasarela_core::ValidationError::new(
                "amount",
                pasarela_core::Rule::Format(e.to_string().into()),
            )
        })?;
        let card = (
            Pan::new(form.pan.as_str())?,
            Cvv::new(form.cvv.as_str())?,
            CardExpiration::new(form.expiry.as_str())?,
        );
        Ok::<_, pasarela_core::ValidationError>((amount, card))
    })();
    let (amount, card) = match parsed {
        Ok(v) => v,
        Err(e) => return plain(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let id = state.new_order_id("MN");
    let shopper = orders::Shopper {
        name: &form.name,
        last_name: &form.last_name,
        email: &form.email,
        phone: &form.phone,
        document_type: &form.document_type,
        document: &form.document,
        address: &form.address,
        city: &form.city,
        zip_code: &form.zip_code,
    };
    let today = state.inner.monnet.settings().today();
    let request = match orders::monnet_create(
        &id,
        amount,
        today,
        &shopper,
        card,
        &state.inner.storefront_url,
    ) {
        Ok(r) => r,
        Err(e) => return plain(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let opened = state.ledger().open_order(OrderRecord {
        id: id.clone(),
        gateway: Gateway::Monnet,
        amount_minor: amount.minor_units(),
        currency: "PEN".to_owned(),
        state: OrderState::Pending,
        events: Vec::new(),
    });
    if !opened {
        return plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "order number taken; try again",
        );
    }
    match state.inner.monnet.create(&request).await {
        Ok(created) => Redirect::to(created.redirect_url.as_str()).into_response(),
        Err(e) => {
            if !e.is_outcome_unknown() {
                state.ledger().drop_order(&id);
            }
            gateway_failure(&e)
        }
    }
}

/// The SmilePayz event identity in this merchant's ledger: the SDK's
/// [`event_id`](smilepayz::VerifiedCallback::event_id) (the signed `tradeNo`
/// and `X-TIMESTAMP`, nothing unsigned), under a gateway prefix.
pub fn smilepayz_event_identity(event: &smilepayz::VerifiedCallback) -> String {
    format!("smilepayz:{}", event.event_id())
}

/// The Monnet event identity in this merchant's ledger: the SDK's
/// [`event_id`](monnet::VerifiedNotification::event_id) (operation number,
/// state and the `payinVerification` hash, which binds merchant, operation,
/// amount and currency), under a gateway prefix.
pub fn monnet_event_identity(event: &monnet::VerifiedNotification) -> String {
    format!("monnet:{}", event.event_id())
}

async fn webhook_smilepayz(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let verified = match state.inner.smilepayz_webhook.verify(&headers, &body) {
        Ok(v) => v,
        Err(rejected) => return rejected.response::<String>().into_response(),
    };
    let ack = verified.response::<String>().into_response();
    let event = verified.event;
    let identity = smilepayz_event_identity(&event);
    // The order number is an unsigned claim: it only finds our record; the
    // confirmation below checks it against the gateway.
    let claimed = event.claims().order_no.clone();
    let recorded = state.ledger().record_event(&identity, &claimed);
    let Some(record) = state.ledger().order(&claimed) else {
        return ack;
    };
    if record.gateway != Gateway::Smilepayz || !should_confirm(recorded, &record) {
        return ack;
    }
    let expected = ExpectedPayIn::new(record.id.clone(), Money::pen(record.amount_minor))
        .with_merchant_id(state.inner.smilepayz_merchant_id.clone());
    let outcome = state
        .inner
        .smilepayz
        .confirm_pay_in(&event, &expected)
        .await
        .map(|confirmed| Some(confirmed.trade_no));
    state.ledger().settle(&record.id, settled(outcome));
    ack
}

/// A new event confirms any unconfirmed order; a repeat only re-asks when
/// nothing definitive is known yet (pending, or the status call failed).
fn should_confirm(recorded: Recorded, record: &OrderRecord) -> bool {
    match recorded {
        Recorded::New => !record.is_confirmed(),
        Recorded::Duplicate => record.wants_confirmation(),
    }
}

/// The order state a confirmation outcome leads to.
fn settled<E: std::fmt::Display>(outcome: Result<Option<String>, ClientError<E>>) -> OrderState {
    match outcome {
        Ok(gateway_reference) => OrderState::Confirmed { gateway_reference },
        Err(e) => {
            let retryable = match &e {
                ClientError::NotConfirmed(n) => matches!(
                    n,
                    NotConfirmed::StillPending { .. } | NotConfirmed::Incomplete(_)
                ),
                // The status call did not give an answer: ask again later.
                ClientError::NotSent(_)
                | ClientError::OutcomeUnknown(_)
                | ClientError::InvalidResponse(_) => true,
                _ => false,
            };
            OrderState::NotConfirmed {
                reason: e.to_string(),
                retryable,
            }
        }
    }
}

async fn webhook_monnet(
    State(state): State<AppState>,
    request: http::Request<axum::body::Body>,
) -> Response {
    // The http-native API takes the request as it came; the body is read
    // with a cap (a notification is a few hundred bytes).
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(b) => b,
        Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "FAIL"),
    };
    let request = http::Request::from_parts(parts, body);
    let verified = match state.inner.monnet_webhook.verify_request(&request) {
        Ok(v) => v,
        Err(rejected) => return rejected.response::<String>().into_response(),
    };
    let ack = verified.response::<String>().into_response();
    let event = verified.event;
    let identity = monnet_event_identity(&event);
    let claimed = event.authenticated().operation_number().to_owned();
    let recorded = state.ledger().record_event(&identity, &claimed);
    let Some(record) = state.ledger().order(&claimed) else {
        return ack;
    };
    if record.gateway != Gateway::Monnet || !should_confirm(recorded, &record) {
        return ack;
    }
    let Ok(currency) = Currency::new(&record.currency) else {
        let reason = format!(
            "our record's currency {:?} is not ISO 4217",
            record.currency
        );
        let retryable = false;
        state
            .ledger()
            .settle(&record.id, OrderState::NotConfirmed { reason, retryable });
        return ack;
    };
    let expected =
        ExpectedOperation::new(record.id.clone(), Money::new(record.amount_minor, currency));
    let outcome = state
        .inner
        .monnet
        .confirm_operation(&event, &expected)
        .await
        .map(|confirmed| confirmed.payin_id);
    state.ledger().settle(&record.id, settled(outcome));
    ack
}

async fn show_order(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.ledger().order(&id) {
        Some(record) => {
            let confirmed = record.is_confirmed();
            let mut value = serde_json::to_value(&record).unwrap_or_default();
            value["confirmed"] = serde_json::Value::Bool(confirmed);
            Json(value).into_response()
        }
        None => plain(StatusCode::NOT_FOUND, "no such order"),
    }
}
