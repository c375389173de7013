//! The one driver: convenience clients over any transport.
//!
//! Every call is a [`Call`]: a [`PreparedRequest`] from a `prepare_*`
//! function, the `parse_*` function for its answer, and whether the call can
//! create a payment. [`finish`] turns the transport's result into the
//! caller's result, and it is the only place errors are classified. The
//! blocking and async clients are generated from one method list by
//! `client_methods!`; the only code that differs between them is the one
//! line that calls `send` (with or without `.await`).
//!
//! Errors say what to do ([`ClientError`]):
//!
//! | variant | was anything sent? | what to do |
//! |---|---|---|
//! | `Invalid`, `Sign` | no | fix the input / the signer |
//! | `Rejected` | yes, refused | read the code; a *duplicate order/operation number* rejection means a payment with that number exists: reconcile |
//! | `NotSent` | no | safe to retry |
//! | `OutcomeUnknown` | maybe | **reconcile** (status call) before retrying a payment; includes an error code answered with a 5xx status on a create |
//! | `InvalidResponse` | yes | a query's answer was not the protocol; retrying is safe |

use std::fmt;

use time::OffsetDateTime;

use crate::error::{
    GatewayRejection, ParseError, PrepareError, ResponseError, SignError, ValidationError,
};
use crate::http::{PreparedRequest, RawResponse};
use crate::transport::{Delivery, TransportFailure};

mod monnet;
mod smilepayz;

pub use monnet::{AsyncMonnetClient, MonnetClient, MonnetSettings, OperationReconciliation};
pub use smilepayz::{
    AsyncSmilepayzClient, PayInReconciliation, SmilepayzClient, SmilepayzSettings,
};

/// Where the clients read the time (for signatures, timestamps and "today").
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock: the only place pasarela reads the time by itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

impl<F: Fn() -> OffsetDateTime + Send + Sync> Clock for F {
    fn now(&self) -> OffsetDateTime {
        self()
    }
}

/// A client call failed. `E` is the transport's error type.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError<E> {
    /// The input broke a protocol rule; nothing was sent.
    Invalid(ValidationError),
    /// The signer failed; nothing was sent.
    Sign(SignError),
    /// The gateway refused the request with an error code (and a status
    /// below 500 for a create). Nothing was created by *this* request; a
    /// rejection for a duplicate order/operation number means an earlier
    /// request created it, so reconcile before acting.
    Rejected(GatewayRejection),
    /// The request certainly never left: safe to retry.
    NotSent(E),
    /// The request may have reached the gateway and the payment may exist.
    /// Query its status (the clients' `reconcile_*` helpers) before retrying.
    OutcomeUnknown(Unknown<E>),
    /// A query's answer was not the protocol (nothing can have been created
    /// by a query, so a retry is safe).
    InvalidResponse(ParseError),
}

/// Why the outcome of a call is unknown.
#[derive(Debug)]
#[non_exhaustive]
pub enum Unknown<E> {
    /// The transport failed after the request may have been written
    /// (timeout, connection broken).
    Transport(E),
    /// An answer came, but not one the protocol describes (an HTTP 500, an
    /// HTML error page, a truncated body).
    Response(ParseError),
    /// A create got an error code with a 5xx status: a server failure may
    /// have struck after the payment was recorded.
    ServerRejection(GatewayRejection),
}

impl<E> ClientError<E> {
    /// Whether the same call can be repeated without risking a duplicate
    /// payment.
    pub fn is_retry_safe(&self) -> bool {
        matches!(
            self,
            ClientError::NotSent(_) | ClientError::InvalidResponse(_)
        )
    }

    /// Whether the payment may exist at the gateway despite this error.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, ClientError::OutcomeUnknown(_))
    }
}

impl<E: fmt::Display> fmt::Display for ClientError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Invalid(e) => write!(f, "not sent: {e}"),
            ClientError::Sign(e) => write!(f, "not sent: {e}"),
            ClientError::Rejected(e) => e.fmt(f),
            ClientError::NotSent(e) => write!(f, "not sent (safe to retry): {e}"),
            ClientError::OutcomeUnknown(Unknown::Transport(e)) => write!(
                f,
                "outcome unknown, reconcile with a status query before retrying: {e}"
            ),
            ClientError::OutcomeUnknown(Unknown::Response(e)) => write!(
                f,
                "outcome unknown, reconcile with a status query before retrying: {e}"
            ),
            ClientError::OutcomeUnknown(Unknown::ServerRejection(e)) => write!(
                f,
                "outcome unknown, reconcile with a status query before retrying: {e}"
            ),
            ClientError::InvalidResponse(e) => write!(f, "invalid response: {e}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for ClientError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Invalid(e) => Some(e),
            ClientError::Sign(e) => Some(e),
            ClientError::Rejected(e) | ClientError::OutcomeUnknown(Unknown::ServerRejection(e)) => {
                Some(e)
            }
            ClientError::NotSent(e) | ClientError::OutcomeUnknown(Unknown::Transport(e)) => Some(e),
            ClientError::OutcomeUnknown(Unknown::Response(e)) | ClientError::InvalidResponse(e) => {
                Some(e)
            }
        }
    }
}

impl<E> From<PrepareError> for ClientError<E> {
    fn from(e: PrepareError) -> Self {
        match e {
            PrepareError::Invalid(v) => ClientError::Invalid(v),
            PrepareError::Sign(s) => ClientError::Sign(s),
        }
    }
}

impl<E> From<ValidationError> for ClientError<E> {
    fn from(e: ValidationError) -> Self {
        ClientError::Invalid(e)
    }
}

/// Whether a call can create a payment; decides what an unreadable answer
/// means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Creates a payment: an unreadable answer leaves the outcome unknown.
    Creates,
    /// Only reads: an unreadable answer is just an invalid response.
    Reads,
}

/// One gateway call, ready for any transport.
pub(crate) struct Call<T> {
    pub(crate) request: PreparedRequest,
    pub(crate) parse: fn(RawResponse) -> Result<T, ResponseError>,
    pub(crate) effect: Effect,
}

/// Classifies the transport's result of a call. The single place where
/// transport failures, rejections and unreadable answers become
/// [`ClientError`]s, for blocking and async clients alike.
pub(crate) fn finish<T, E: TransportFailure>(
    parse: fn(RawResponse) -> Result<T, ResponseError>,
    effect: Effect,
    sent: Result<RawResponse, E>,
) -> Result<T, ClientError<E>> {
    let response = match sent {
        Ok(response) => response,
        Err(e) => {
            return Err(match e.delivery() {
                Delivery::NotSent => ClientError::NotSent(e),
                Delivery::MaybeSent => ClientError::OutcomeUnknown(Unknown::Transport(e)),
            });
        }
    };
    match parse(response) {
        Ok(value) => Ok(value),
        // A 5xx with an error code after a create may follow a recorded
        // payment (a crash after the write): not a clean refusal.
        Err(ResponseError::Rejected(r)) if effect == Effect::Creates && r.http_status >= 500 => {
            Err(ClientError::OutcomeUnknown(Unknown::ServerRejection(r)))
        }
        Err(ResponseError::Rejected(r)) => Err(ClientError::Rejected(r)),
        Err(ResponseError::Parse(p)) => Err(match effect {
            Effect::Creates => ClientError::OutcomeUnknown(Unknown::Response(p)),
            Effect::Reads => ClientError::InvalidResponse(p),
        }),
    }
}

/// Generates a blocking and an async client struct with the same methods
/// from one definition. Inside method bodies, `call!(call)` sends a
/// [`Call`] and classifies its result.
macro_rules! clients {
    (@common $client:ident $shared:ty) => {
        impl<T> $client<T> {
            /// A client sending through `transport`. Pass the gateway's
            /// `Config` for the defaults (system clock), or settings built
            /// from it.
            pub fn new(settings: impl Into<$shared>, transport: T) -> Self {
                Self { shared: ::std::sync::Arc::new(settings.into()), transport }
            }

            /// The settings.
            pub fn settings(&self) -> &$shared {
                &self.shared
            }

            /// The transport.
            pub fn transport(&self) -> &T {
                &self.transport
            }
        }
    };
    (
        $(#[$blocking_meta:meta])* blocking $blocking:ident;
        $(#[$async_meta:meta])* async $async_name:ident;
        shared $shared:ty;
        methods { $($methods:tt)* }
    ) => {
        $(#[$blocking_meta])*
        #[derive(Clone)]
        pub struct $blocking<T> {
            shared: ::std::sync::Arc<$shared>,
            transport: T,
        }

        $(#[$async_meta])*
        #[derive(Clone)]
        pub struct $async_name<T> {
            shared: ::std::sync::Arc<$shared>,
            transport: T,
        }

        $crate::client::clients!(@common $blocking $shared);
        $crate::client::clients!(@common $async_name $shared);

        impl<T: $crate::transport::BlockingTransport> $blocking<T> {
            fn execute<R>(
                &self,
                call: $crate::client::Call<R>,
            ) -> Result<R, $crate::client::ClientError<T::Error>> {
                let sent = self.transport.send(call.request);
                $crate::client::finish(call.parse, call.effect, sent)
            }

            $crate::client::client_methods!({} {} $($methods)*);
        }

        impl<T: $crate::transport::AsyncTransport> $async_name<T> {
            async fn execute<R>(
                &self,
                call: $crate::client::Call<R>,
            ) -> Result<R, $crate::client::ClientError<T::Error>> {
                let sent = self.transport.send(call.request).await;
                $crate::client::finish(call.parse, call.effect, sent)
            }

            $crate::client::client_methods!({async} {.await} $($methods)*);
        }
    };
}

/// Expands a method list for one flavour: `{async}` `{.await}` for the async
/// client, `{}` `{}` for the blocking one. In a body, `call!(expr)` executes
/// a `Call`.
macro_rules! client_methods {
    ($flavor:tt $awaits:tt
        $(
            $(#[$meta:meta])*
            fn $name:ident(&$self:ident $(, $arg:ident : $ty:ty)*) -> $out:ty $body:block
        )*
    ) => {
        $(
            $crate::client::client_methods!(@one $flavor $awaits
                $(#[$meta])* fn $name(&$self $(, $arg: $ty)*) -> $out $body);
        )*
    };
    (@one {$($async:tt)?} {$($await:tt)*}
        $(#[$meta:meta])* fn $name:ident(&$self:ident $(, $arg:ident : $ty:ty)*) -> $out:ty $body:block
    ) => {
        $(#[$meta])*
        pub $($async)? fn $name(&$self $(, $arg: $ty)*) -> Result<$out, $crate::client::ClientError<T::Error>> {
            #[allow(unused_macros)]
            macro_rules! call {
                ($call:expr) => { $self.execute($call) $($await)* };
            }
            $body
        }
    };
}

pub(crate) use {client_methods, clients};

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use time::macros::datetime;

    use super::*;
    use crate::crypto::{Backend, PrivateKey};
    use crate::smilepayz::{self, Merchant, Money, PayInRequest};
    use crate::transport::tests::block_on;
    use crate::transport::{TransportError, TransportErrorKind};
    use crate::{MerchantSecret, RawResponse};

    fn config() -> smilepayz::Config {
        let key =
            PrivateKey::load(include_str!("../testdata/keys/merchant_private_pkcs8.pem")).unwrap();
        smilepayz::Config::new(
            "20001",
            MerchantSecret::new("TEST-ONLY-secret"),
            Backend::Rsa.signer(&key).unwrap(),
            smilepayz::Environment::Sandbox,
        )
    }

    fn settings() -> SmilepayzSettings {
        SmilepayzSettings::new(config())
            .with_clock(|| datetime!(2020-12-17 15:55:00 UTC))
            .with_not_found_codes(["22"])
    }

    fn pay_in() -> PayInRequest {
        PayInRequest::new(Merchant::new("20011"), "ORDER123", Money::pen(20000), "p")
    }

    const CREATED: &str = r#"{"code":"00","message":"ok","orderNo":"ORDER123","merchant":{"merchantId":"20011"},"money":{"amount":20000,"currency":"PEN"},"transactionTime":"2020-12-17T10:55:00-05:00","channel":{"paymentMethod":"CASHIER_PE","paymentUrl":"https://pay.example/x"},"tradeNo":"T1","status":"PROCESSING"}"#;

    fn answering(
        status: u16,
        body: &'static str,
    ) -> impl Fn(PreparedRequest) -> Result<RawResponse, TransportError> {
        move |_| Ok(RawResponse::new(status, body))
    }

    fn failing(
        delivery: Delivery,
    ) -> impl Fn(PreparedRequest) -> Result<RawResponse, TransportError> {
        move |_| {
            Err(TransportError::new(
                TransportErrorKind::Other,
                delivery,
                "boom",
            ))
        }
    }

    #[test]
    fn success_uses_the_clock_and_signs() {
        let seen = Arc::new(std::sync::Mutex::new(None));
        let seen2 = seen.clone();
        let client = SmilepayzClient::new(settings(), move |req: PreparedRequest| {
            *seen2.lock().unwrap() = req.header("X-TIMESTAMP").map(str::to_owned);
            Ok::<_, TransportError>(RawResponse::new(200, CREATED))
        });
        let created = client.pay_in(&pay_in()).unwrap();
        assert_eq!(created.trade_no.as_deref(), Some("T1"));
        assert_eq!(
            seen.lock().unwrap().as_deref(),
            Some("2020-12-17T10:55:00-05:00")
        );
    }

    #[test]
    fn errors_say_what_to_do() {
        let invalid = SmilepayzClient::new(
            settings(),
            |_: PreparedRequest| -> Result<RawResponse, TransportError> {
                panic!("invalid input must not reach the transport")
            },
        )
        .pay_in(&PayInRequest {
            order_no: "x".into(),
            ..pay_in()
        })
        .unwrap_err();
        assert!(matches!(invalid, ClientError::Invalid(ref e) if e.field() == "orderNo"));

        let not_sent = SmilepayzClient::new(settings(), failing(Delivery::NotSent))
            .pay_in(&pay_in())
            .unwrap_err();
        assert!(matches!(not_sent, ClientError::NotSent(_)) && not_sent.is_retry_safe());

        let unknown = SmilepayzClient::new(settings(), failing(Delivery::MaybeSent))
            .pay_in(&pay_in())
            .unwrap_err();
        assert!(matches!(
            unknown,
            ClientError::OutcomeUnknown(Unknown::Transport(_))
        ));
        assert!(!unknown.is_retry_safe() && unknown.is_outcome_unknown());
        assert!(
            unknown
                .to_string()
                .starts_with("outcome unknown, reconcile")
        );

        let http500 = SmilepayzClient::new(settings(), answering(500, "<html>oops</html>"))
            .pay_in(&pay_in())
            .unwrap_err();
        assert!(matches!(
            http500,
            ClientError::OutcomeUnknown(Unknown::Response(_))
        ));

        let rejected = SmilepayzClient::new(
            settings(),
            answering(200, r#"{"code":"12","message":"dup"}"#),
        )
        .pay_in(&pay_in())
        .unwrap_err();
        assert!(matches!(rejected, ClientError::Rejected(ref r) if r.code == "12"));

        // A query that gets garbage back is just an invalid response.
        let query = SmilepayzClient::new(settings(), answering(500, "<html>oops</html>"))
            .inquiry_status(&smilepayz::InquiryStatusRequest::pay_in_by_order_no(
                "ORDER123",
            ))
            .unwrap_err();
        assert!(matches!(query, ClientError::InvalidResponse(_)) && query.is_retry_safe());
    }

    #[test]
    fn reconcile_tells_found_from_not_found() {
        let found = SmilepayzClient::new(
            settings(),
            answering(200, r#"{"code":"00","message":"ok","tradeNo":"T1","status":"SUCCESS","money":{"amount":20000,"currency":"PEN"}}"#),
        )
        .reconcile_pay_in("ORDER123")
        .unwrap();
        assert!(found.exists());
        let missing = SmilepayzClient::new(
            settings(),
            answering(200, r#"{"code":"22","message":"not found"}"#),
        )
        .reconcile_pay_in("ORDER123")
        .unwrap();
        assert_eq!(
            missing,
            PayInReconciliation::NotFound {
                code: "22".into(),
                message: "not found".into()
            }
        );
        let other = SmilepayzClient::new(
            settings(),
            answering(200, r#"{"code":"01","message":"bad signature"}"#),
        )
        .reconcile_pay_in("ORDER123")
        .unwrap_err();
        assert!(
            matches!(other, ClientError::Rejected(_)),
            "an auth failure is not 'not found'"
        );
    }

    #[test]
    fn async_client_shares_the_same_logic() {
        let calls = AtomicUsize::new(0);
        let transport = |_req: PreparedRequest| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, TransportError>(RawResponse::new(200, CREATED)) }
        };
        let client = AsyncSmilepayzClient::new(settings(), transport);
        let created = block_on(client.pay_in(&pay_in())).unwrap();
        assert_eq!(created.order_no, "ORDER123");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let failing = AsyncSmilepayzClient::new(settings(), |_req: PreparedRequest| async {
            Err::<RawResponse, _>(TransportError::new(
                TransportErrorKind::Timeout,
                Delivery::MaybeSent,
                "t",
            ))
        });
        assert!(
            block_on(failing.pay_in(&pay_in()))
                .unwrap_err()
                .is_outcome_unknown()
        );
    }

    #[test]
    fn monnet_reconcile_reads_the_operations_list() {
        let cfg = crate::monnet::Config::new(
            "4001",
            "TEST-ONLY-key",
            crate::monnet::Environment::Certification,
        );
        let settings = MonnetSettings::new(cfg).with_clock(|| datetime!(2025-07-01 12:00:00 UTC));
        let client = MonnetClient::new(
            settings.clone(),
            answering(
                200,
                r#"{"payinMerchantID":"4001","operations":[{"payinStateID":5,"payinState":"Autorizado","payinAmount":"150.00","payinCurrency":"PEN","payinMerchantOperationNumber":"OP1","payinID":"9"}]}"#,
            ),
        );
        match client.reconcile_operation("OP1").unwrap() {
            OperationReconciliation::Found(op) => {
                assert_eq!(op.state, crate::monnet::PayinState::Authorized)
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            client.reconcile_operation("OP2").unwrap(),
            OperationReconciliation::NotFound
        );
        let empty = MonnetClient::new(
            settings,
            answering(200, r#"{"payinMerchantID":"4001","operations":[]}"#),
        );
        assert!(!empty.reconcile_operation("OP1").unwrap().exists());
    }

    #[test]
    fn clients_are_cheap_to_share() {
        fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
        assert_send_sync_clone::<
            SmilepayzClient<fn(PreparedRequest) -> Result<RawResponse, TransportError>>,
        >();
        assert_send_sync_clone::<
            MonnetClient<fn(PreparedRequest) -> Result<RawResponse, TransportError>>,
        >();
    }
}
