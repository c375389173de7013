//! An axum merchant service on pasarela, `pasarela-reqwest` and
//! `pasarela-ledger`.
//!
//! # The flow
//!
//! 1. `POST /checkout/smilepayz` (form `amount` in céntimos) and
//!    `POST /checkout/monnet` (form: `amount` as `"150.00"`, shopper and
//!    card fields) go through the ledger's checkout: the intent is written
//!    before the create is sent, the answer after; the shopper is sent to
//!    the payment page (`303`), or told of a decline, or that the payment
//!    is pending. With `Accept: application/json` they answer `201` with
//!    `{"orderId", "state", "redirect"}`. Card data lives in the core's
//!    redacted types and never reaches the database.
//! 2. `POST /webhooks/smilepayz` and `POST /webhooks/monnet`: the ledger
//!    verifies the delivery, stores it in its inbox (unique on its event
//!    id) and only then is it acknowledged; the status call that confirms
//!    it runs on a task right after. A repeat is acknowledged and changes
//!    nothing; an unverified delivery is refused; a database outage answers
//!    `503` so the gateway delivers again.
//! 3. The sweeper task confirms what no webhook settled (a lost callback,
//!    an unknown create outcome) and settles deadlines.
//! 4. The outcome task hands each final outcome to the shop exactly once:
//!    its row in `shop_handovers` is written in the same transaction as the
//!    ledger's acknowledgement ([`shop`]).
//! 5. `GET /orders/{orderId}` answers the record as JSON: `state`
//!    (`intent`, `created`, `rejected`, `unknown`, `pending`, `paid`,
//!    `not_paid`, `needs_attention`) and `handedOver` (0 or 1).
#![forbid(unsafe_code)]

pub mod metrics;
pub mod orders;
pub mod setup;
pub mod shop;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use pasarela_core::client::{AsyncMonnetClient, AsyncSmilepayzClient, SmilepayzSettings};
use pasarela_core::crypto::Verifier;
use pasarela_core::monnet::{self, CardExpiration, Cvv, Pan};
use pasarela_core::webhook::{MonnetWebhook, SmilepayzWebhook};
use pasarela_core::{Currency, Money};
use pasarela_ledger::flavour::Async;
use pasarela_ledger::{AsyncLedger, Checkout, Gateway, Gateways, LedgerError, NextStep, Received};
use pasarela_reqwest::ReqwestTransport;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

/// Everything the service is configured with.
pub struct MerchantSetup {
    /// SmilePayz client settings (configuration, code meanings).
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
    ledger: AsyncLedger,
    smilepayz: AsyncSmilepayzClient<ReqwestTransport>,
    monnet: AsyncMonnetClient<ReqwestTransport>,
    smilepayz_webhook: SmilepayzWebhook,
    monnet_webhook: MonnetWebhook,
    public_url: String,
    storefront_url: String,
    next_order: AtomicU64,
}

/// The shared state behind every route: the ledger, both clients over one
/// transport (one connection pool), the webhook verifiers. Cheap to clone.
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
    pub fn new(setup: MerchantSetup, transport: ReqwestTransport, ledger: AsyncLedger) -> Self {
        let monnet_webhook = MonnetWebhook::from_config(&setup.monnet);
        // Order numbers: start from the clock in microseconds so a restarted
        // service (or another instance) does not reuse another's numbers.
        let seed =
            u64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000).unwrap_or(0);
        Self {
            inner: Arc::new(Inner {
                ledger,
                smilepayz: AsyncSmilepayzClient::new(setup.smilepayz, transport.clone()),
                monnet: AsyncMonnetClient::new(setup.monnet, transport),
                smilepayz_webhook: SmilepayzWebhook::new(setup.smilepayz_platform),
                monnet_webhook,
                public_url: setup.public_url.trim_end_matches('/').to_owned(),
                storefront_url: setup.storefront_url.trim_end_matches('/').to_owned(),
                next_order: AtomicU64::new(
                    seed.wrapping_mul(16)
                        .wrapping_add(u64::from(std::process::id() % 16)),
                ),
            }),
        }
    }

    /// The ledger.
    pub fn ledger(&self) -> &AsyncLedger {
        &self.inner.ledger
    }

    /// The clients the sweeper asks.
    pub fn gateways(&self) -> Gateways<Async> {
        Gateways::new()
            .with(self.inner.smilepayz.clone())
            .with(self.inner.monnet.clone())
    }

    fn new_order_id(&self, prefix: &str) -> String {
        let n = self.inner.next_order.fetch_add(16, Ordering::Relaxed);
        format!("{prefix}{n}")
    }

    /// Confirms a payment on a task (after a webhook was acknowledged).
    fn confirm_soon(&self, received: &Received) {
        let Some((gateway, order)) = received.to_confirm() else {
            return;
        };
        let state = self.clone();
        let order = order.to_owned();
        tokio::spawn(async move {
            let inner = &state.inner;
            // A failure leaves the payment due: the sweeper asks later.
            let _ = match gateway {
                Gateway::Smilepayz => {
                    inner
                        .ledger
                        .confirm(&inner.smilepayz, gateway, &order)
                        .await
                }
                Gateway::Monnet => inner.ledger.confirm(&inner.monnet, gateway, &order).await,
            };
        });
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

/// The background work of an instance: the sweeper and the outcome
/// hand-over, until `shutdown` resolves.
pub async fn background(
    state: AppState,
    sweep_every: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let sweeper = state.ledger().spawn_sweeper(state.gateways(), sweep_every);
    let outcomes = {
        let ledger = state.ledger().clone();
        async move {
            loop {
                let handed = shop::hand_over_waiting(&ledger).await.unwrap_or(0);
                if handed == 0 {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    };
    tokio::select! {
        _ = outcomes => {}
        _ = shutdown => {}
    }
    sweeper.shutdown().await;
}

fn plain(status: StatusCode, text: impl Into<String>) -> Response {
    (status, text.into()).into_response()
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// The checkout's answer: `201` JSON for API clients, a redirect or a page
/// for browsers.
fn answer(headers: &HeaderMap, checkout: &Checkout) -> Response {
    let p = &checkout.payment;
    let redirect = match &checkout.next {
        NextStep::Redirect(url) => Some(url.clone()),
        _ => None,
    };
    if wants_json(headers) {
        let body = json!({
            "orderId": p.order,
            "gateway": p.gateway.as_str(),
            "state": p.state.as_str(),
            "redirect": redirect,
            "reason": p.reason,
        });
        return (StatusCode::CREATED, Json(body)).into_response();
    }
    match &checkout.next {
        NextStep::Redirect(url) => Redirect::to(url).into_response(),
        NextStep::Declined(reason) => {
            plain(StatusCode::PAYMENT_REQUIRED, format!("declined: {reason}"))
        }
        NextStep::Done(kind) => plain(StatusCode::OK, format!("order {}: {kind}", p.order)),
        NextStep::TryAgain(_) => plain(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "order {}: the payment could not be created, nothing was charged; try again",
                p.order
            ),
        ),
        _ => plain(
            StatusCode::ACCEPTED,
            format!("order {}: pending, we will confirm the payment", p.order),
        ),
    }
}

fn failed(headers: &HeaderMap, error: &LedgerError) -> Response {
    let status = match error {
        LedgerError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        LedgerError::OrderTaken { .. } => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    if wants_json(headers) {
        (status, Json(json!({"error": error.to_string()}))).into_response()
    } else {
        plain(status, format!("payment not started: {error}"))
    }
}

fn bad_request(headers: &HeaderMap, error: impl std::fmt::Display) -> Response {
    if wants_json(headers) {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": error.to_string()})),
        )
            .into_response()
    } else {
        plain(StatusCode::BAD_REQUEST, error.to_string())
    }
}

/// Form of `POST /checkout/smilepayz`.
#[derive(Debug, Deserialize)]
pub struct SmilepayzCheckout {
    /// Amount in céntimos.
    pub amount: u64,
}

async fn checkout_smilepayz(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SmilepayzCheckout>,
) -> Response {
    let id = state.new_order_id("SP");
    let inner = &state.inner;
    let request = match orders::smilepayz_pay_in(
        inner.smilepayz.settings().config(),
        &id,
        form.amount,
        &format!("{}/webhooks/smilepayz", inner.public_url),
        &format!("{}/orders/{id}", inner.storefront_url),
    ) {
        Ok(r) => r,
        Err(e) => return bad_request(&headers, e),
    };
    match inner.ledger.checkout(&inner.smilepayz, &request).await {
        Ok(checkout) => answer(&headers, &checkout),
        Err(e) => failed(&headers, &e),
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
    headers: HeaderMap,
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
        Err(e) => return bad_request(&headers, e),
    };
    let id = state.new_order_id("MN");
    let inner = &state.inner;
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
    let today = inner.monnet.settings().today();
    let request =
        match orders::monnet_create(&id, amount, today, &shopper, card, &inner.storefront_url) {
            Ok(r) => r,
            Err(e) => return bad_request(&headers, e),
        };
    match inner.ledger.checkout(&inner.monnet, &request).await {
        Ok(checkout) => answer(&headers, &checkout),
        Err(e) => failed(&headers, &e),
    }
}

/// Reads a webhook's body with a cap (a callback is a few hundred bytes).
async fn collect(
    request: http::Request<axum::body::Body>,
) -> Result<http::Request<bytes::Bytes>, Response> {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) => Ok(http::Request::from_parts(parts, bytes)),
        Err(_) => Err(plain(StatusCode::PAYLOAD_TOO_LARGE, "FAIL")),
    }
}

async fn webhook_smilepayz(
    State(state): State<AppState>,
    request: http::Request<axum::body::Body>,
) -> Response {
    webhook(state, request, async |inner, request| {
        inner
            .ledger
            .receive_smilepayz(&inner.smilepayz_webhook, request)
            .await
    })
    .await
}

async fn webhook_monnet(
    State(state): State<AppState>,
    request: http::Request<axum::body::Body>,
) -> Response {
    webhook(state, request, async |inner, request| {
        inner
            .ledger
            .receive_monnet(&inner.monnet_webhook, request)
            .await
    })
    .await
}

/// One gateway's webhook: the body collected, verified and stored by
/// `receive` (the ledger's `receive_*` with that gateway's verifier), the
/// confirmation started, the gateway's reply returned.
async fn webhook(
    state: AppState,
    request: http::Request<axum::body::Body>,
    receive: impl AsyncFnOnce(&Inner, &http::Request<bytes::Bytes>) -> Received,
) -> Response {
    let request = match collect(request).await {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    let received = receive(&state.inner, &request).await;
    state.confirm_soon(&received);
    received.response::<String>().into_response()
}

async fn show_order(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let ledger = state.inner.ledger.blocking().clone();
    let lookup = id.clone();
    let found = tokio::task::spawn_blocking(move || ledger.find(&lookup)).await;
    let payment = match found {
        Ok(Ok(found)) => found.into_iter().next(),
        _ => return plain(StatusCode::SERVICE_UNAVAILABLE, "the ledger is unavailable"),
    };
    let Some(p) = payment else {
        return plain(StatusCode::NOT_FOUND, "no such order");
    };
    let handed = match shop::handed_over(state.ledger(), p.gateway, &p.order).await {
        Ok(n) => n,
        Err(_) => return plain(StatusCode::SERVICE_UNAVAILABLE, "the ledger is unavailable"),
    };
    Json(json!({
        "orderId": p.order,
        "gateway": p.gateway.as_str(),
        "state": p.state.as_str(),
        "amount": p.amount.minor_units(),
        "currency": p.amount.currency().as_str(),
        "gatewayRef": p.gateway_ref,
        "redirect": p.payment_url,
        "reason": p.reason,
        "handedOver": handed,
    }))
    .into_response()
}
