//! The gateways as the ledger uses them: create a payment, ask its status.
//!
//! [`PaymentGateway`] is implemented for the four clients of
//! `pasarela-core` (blocking and async, SmilePayz and Monnet); the readings
//! of their answers into [`Fact`]s are written once per gateway, below,
//! and shared by both flavours.

use std::future::Future;
use std::pin::Pin;

use pasarela_core::client::{
    AsyncMonnetClient, AsyncSmilepayzClient, ClientError, MonnetClient, PayInReconciliation,
    SmilepayzClient,
};
use pasarela_core::monnet::{CreateRequest, CreateResponse, StatusQuery, StatusResponse};
use pasarela_core::smilepayz::{PayInOutcome, PayInRequest, check_merchant};
use pasarela_core::transport::{AsyncTransport, BlockingTransport};
use time::{Duration, OffsetDateTime};

use crate::flavour::{Async, Blocking, Flavour};
use crate::machine::{CreateAnswer, Fact, StatusAnswer};
use crate::payer::PayerData;
use crate::payment::{Gateway, NewPayment, Payment};

/// Why a create request cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotRecordable(pub String);

/// A gateway client as the ledger uses it.
///
/// Implemented for `pasarela-core`'s clients: [`SmilepayzClient`] and
/// [`MonnetClient`] (flavour [`Blocking`], for [`Ledger`](crate::Ledger))
/// and [`AsyncSmilepayzClient`] and [`AsyncMonnetClient`] (flavour
/// [`Async`], for [`AsyncLedger`](crate::AsyncLedger)). Each ledger takes
/// only its own flavour: `AsyncLedger` refuses a blocking client, which
/// would stall a tokio worker, and `Ledger` an async one, which would be
/// polled outside its runtime (see [`crate::flavour`], also for what the
/// types cannot see).
pub trait PaymentGateway: Send + Sync {
    /// The create request (SmilePayz `PayInRequest`, Monnet
    /// `CreateRequest`).
    type Request: Sync;

    /// [`Blocking`] when a call holds the calling thread until the gateway
    /// answers, [`Async`] when it is awaited: decides which ledger takes
    /// the client.
    type Flavour: Flavour;

    /// Which gateway.
    fn gateway(&self) -> Gateway;

    /// The merchant id this client speaks for.
    fn merchant(&self) -> &str;

    /// What the ledger keeps of a create request made at `now`: order
    /// number, merchant, amount, expiry, and who pays (stored only when
    /// the application opts in) — never card data. Fails when the request
    /// is not this client's merchant's.
    fn describe(
        &self,
        request: &Self::Request,
        now: OffsetDateTime,
    ) -> Result<NewPayment, NotRecordable>;

    /// Sends the create and reads its outcome as a fact.
    fn create<'a>(&'a self, request: &'a Self::Request) -> impl Future<Output = Fact> + Send + 'a;

    /// Asks the gateway about the payment's order number and reads the
    /// answer as a fact.
    fn status<'a>(&'a self, payment: &'a Payment) -> impl Future<Output = Fact> + Send + 'a;
}

/// The status side of a gateway, object-safe (the sweeper holds one per
/// gateway).
pub(crate) trait StatusPort: Send + Sync {
    fn gateway(&self) -> Gateway;
    fn status_boxed<'a>(
        &'a self,
        payment: &'a Payment,
    ) -> Pin<Box<dyn Future<Output = Fact> + Send + 'a>>;
}

impl<G: PaymentGateway> StatusPort for G {
    fn gateway(&self) -> Gateway {
        PaymentGateway::gateway(self)
    }
    fn status_boxed<'a>(
        &'a self,
        payment: &'a Payment,
    ) -> Pin<Box<dyn Future<Output = Fact> + Send + 'a>> {
        Box::pin(self.status(payment))
    }
}

/// A fact from a create that failed.
fn create_failed<E: std::fmt::Display>(error: ClientError<E>) -> Fact {
    match error {
        ClientError::Rejected(r) => Fact::CreateRefused {
            code: r.code,
            message: r.message,
        },
        ClientError::Invalid(_) | ClientError::Sign(_) | ClientError::NotSent(_) => {
            Fact::CreateNotSent {
                reason: error.to_string(),
            }
        }
        // Unknown outcome, duplicate order number (an earlier attempt
        // created it), and anything this version does not know: the
        // payment may exist.
        other => Fact::CreateMaybeSent {
            reason: other.to_string(),
        },
    }
}

fn smilepayz_created<E: std::fmt::Display>(answer: Result<PayInOutcome, ClientError<E>>) -> Fact {
    match answer {
        Ok(outcome) => {
            let status = outcome
                .response()
                .status
                .as_ref()
                .map_or_else(String::new, |s| s.as_str().to_owned());
            let url = outcome.payment_url().map(|u| u.to_string());
            let response = outcome.response();
            let gateway_ref = response.trade_no.clone();
            Fact::CreateAnswered(match outcome {
                PayInOutcome::Redirect(_) => CreateAnswer::Open {
                    gateway_ref,
                    payment_url: url,
                },
                PayInOutcome::Declined(_) => CreateAnswer::Declined {
                    gateway_ref,
                    status,
                },
                _ => CreateAnswer::CheckStatus {
                    gateway_ref,
                    status,
                },
            })
        }
        Err(e) => create_failed(e),
    }
}

fn smilepayz_status<E: std::fmt::Display>(
    answer: Result<PayInReconciliation, ClientError<E>>,
) -> Fact {
    match answer {
        Ok(PayInReconciliation::Found(answer)) => {
            Fact::StatusAnswered(StatusAnswer::Smilepayz(answer))
        }
        Ok(PayInReconciliation::NotFound { .. }) => Fact::NotFound,
        Ok(PayInReconciliation::CannotTell(r)) => Fact::CannotTell {
            reason: format!("inquiry-status refused: {r}"),
        },
        Ok(other) => Fact::CannotTell {
            reason: format!("{other:?}"),
        },
        Err(e) => Fact::CannotTell {
            reason: format!("inquiry-status failed: {e}"),
        },
    }
}

fn monnet_created<E: std::fmt::Display>(answer: Result<CreateResponse, ClientError<E>>) -> Fact {
    match answer {
        Ok(created) => Fact::CreateAnswered(CreateAnswer::Open {
            gateway_ref: created.trx_operation.clone(),
            payment_url: Some(created.redirect_url.to_string()),
        }),
        Err(e) => create_failed(e),
    }
}

fn monnet_status<E: std::fmt::Display>(answer: Result<StatusResponse, ClientError<E>>) -> Fact {
    match answer {
        // Listed or not, for this merchant or not: the machine compares.
        Ok(answer) => Fact::StatusAnswered(StatusAnswer::Monnet(answer)),
        Err(e) => Fact::CannotTell {
            reason: format!("status query failed: {e}"),
        },
    }
}

fn wrong_merchant(gateway: Gateway, ours: &str, payment: &Payment) -> Option<Fact> {
    (payment.gateway != gateway || payment.merchant != ours).then(|| Fact::CannotTell {
        reason: format!(
            "this {gateway} client speaks for merchant {ours}; the payment is a {} payment of merchant {}",
            payment.gateway, payment.merchant
        ),
    })
}

fn smilepayz_describe(
    config: &pasarela_core::smilepayz::Config,
    request: &PayInRequest,
    now: OffsetDateTime,
) -> Result<NewPayment, NotRecordable> {
    check_merchant(config, request).map_err(|e| NotRecordable(e.to_string()))?;
    let expiry = request
        .expiry_period()
        .unwrap_or(pasarela_core::smilepayz::DEFAULT_EXPIRY_SECS);
    Ok(NewPayment::new(
        Gateway::Smilepayz,
        request.order_no(),
        config.partner_id(),
        request.money(),
        now + Duration::seconds(i64::from(expiry)),
    )
    .with_payer(PayerData::of_smilepayz(request.payer())))
}

fn monnet_describe(
    config: &pasarela_core::monnet::Config,
    request: &CreateRequest,
    now: OffsetDateTime,
) -> Result<NewPayment, NotRecordable> {
    Ok(NewPayment::new(
        Gateway::Monnet,
        request.operation_number(),
        config.merchant_id(),
        request.amount(),
        now + Duration::minutes(i64::from(request.transaction().expiration())),
    )
    .with_payer(PayerData::of_monnet(request.customer())))
}

/// Implements [`PaymentGateway`] for one client flavour: the blocking
/// answer is wrapped in a ready future, the async one awaited (`$await`).
macro_rules! gateway {
    ($client:ident, $bound:ident, $flavour:ty, $gw:expr, $req:ty, $config:ident, $merchant:ident, $describe:ident,
     $create:ident, $created:ident, $status:expr, $read:ident, $($await:tt)*) => {
        impl<T: $bound + Sync + Send> PaymentGateway for $client<T>
        where
            T::Error: Send,
        {
            type Request = $req;
            type Flavour = $flavour;

            fn gateway(&self) -> Gateway {
                $gw
            }

            fn merchant(&self) -> &str {
                self.settings().config().$merchant()
            }

            fn describe(&self, request: &$req, now: OffsetDateTime) -> Result<NewPayment, NotRecordable> {
                $describe(self.settings().config(), request, now)
            }

            fn create<'a>(&'a self, request: &'a $req) -> impl Future<Output = Fact> + Send + 'a {
                async move { $created(self.$create(request)$($await)*) }
            }

            fn status<'a>(&'a self, payment: &'a Payment) -> impl Future<Output = Fact> + Send + 'a {
                async move {
                    if let Some(refused) = wrong_merchant($gw, self.merchant(), payment) {
                        return refused;
                    }
                    let call = $status;
                    $read(call(self, payment)$($await)*)
                }
            }
        }
    };
}

gateway!(
    SmilepayzClient,
    BlockingTransport,
    Blocking,
    Gateway::Smilepayz,
    PayInRequest,
    config,
    partner_id,
    smilepayz_describe,
    pay_in,
    smilepayz_created,
    |c: &SmilepayzClient<T>, p: &Payment| c.reconcile_pay_in(&p.order),
    smilepayz_status,
);
gateway!(AsyncSmilepayzClient, AsyncTransport, Async, Gateway::Smilepayz, PayInRequest, config, partner_id,
    smilepayz_describe, pay_in, smilepayz_created,
    |c: &'a AsyncSmilepayzClient<T>, p: &'a Payment| c.reconcile_pay_in(&p.order), smilepayz_status, .await);
gateway!(
    MonnetClient,
    BlockingTransport,
    Blocking,
    Gateway::Monnet,
    CreateRequest,
    config,
    merchant_id,
    monnet_describe,
    create,
    monnet_created,
    |c: &MonnetClient<T>, p: &Payment| c.status(&StatusQuery::by_operation_number(p.order.clone())),
    monnet_status,
);
gateway!(AsyncMonnetClient, AsyncTransport, Async, Gateway::Monnet, CreateRequest, config, merchant_id,
    monnet_describe, create, monnet_created,
    |c: &'a AsyncMonnetClient<T>, p: &'a Payment| c.status(&StatusQuery::by_operation_number(p.order.clone())),
    monnet_status, .await);
