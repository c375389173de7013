//! The clients: one driver over any transport, for both gateways and both
//! flavours.
//!
//! A client is a [`Client`]`<Settings, Carrier>`: the gateway's settings
//! (configuration, clock, signer) and a [`Carrier`] — [`Blocking`] around a
//! [`BlockingTransport`] or [`Async`] around an [`AsyncTransport`]. The
//! aliases name the four combinations: [`SmilepayzClient`],
//! [`AsyncSmilepayzClient`], [`MonnetClient`], [`AsyncMonnetClient`].
//!
//! Every call is an [`Operation`]; [`Client::execute`] sends one, and the
//! convenience methods (`pay_in`, `create`, `reconcile_*`, …) are written
//! once per gateway: each builds an operation and hands it to the carrier.
//! There is one driver, async-first: the async carrier awaits it, the
//! blocking one drives the very same code with a transport whose futures
//! are ready at once ([`transport::Ready`](crate::transport::Ready)), and
//! every outcome is classified in one place,
//! [`Answer::finish`](crate::operation::Answer::finish).
//!
//! Each method is written once and generated for each flavour, so its
//! signature reads plainly in these docs: on a blocking client it returns
//! `Result<T, ClientError<Tr::Error>>`; on an async one a
//! [`ClientFuture`]`<'_, T, Tr::Error>`, a boxed `Send` future of that same
//! result borrowing only the client (not the arguments), so a call spawns on
//! tokio from code generic over the transport. Both forward to the one
//! driver.
//!
//! ```
//! use pasarela_core::client::{AsyncMonnetClient, ClientError, MonnetClient};
//! use pasarela_core::monnet::{Config, Environment, StatusQuery};
//! use pasarela_core::transport::TransportError;
//! use pasarela_core::{PreparedRequest, RawResponse};
//!
//! const EMPTY: &str = r#"{"payinMerchantID":"4001","operations":[]}"#;
//! let config = Config::new("4001", "TEST-ONLY-key", Environment::Certification)?;
//! let query = StatusQuery::by_operation_number("OP1");
//!
//! // Blocking: `status(&query)` is a `Result`.
//! let blocking = MonnetClient::new(config.clone(), |_r: PreparedRequest| {
//!     Ok::<_, TransportError>(RawResponse::new(200, EMPTY))
//! });
//! let answer: Result<_, ClientError<TransportError>> = blocking.status(&query);
//! assert!(answer?.operations.is_empty());
//!
//! // Async: the same method is a `Send` future of the same `Result`.
//! let client = AsyncMonnetClient::new(config, |_r: PreparedRequest| async {
//!     Ok::<_, TransportError>(RawResponse::new(200, EMPTY))
//! });
//! let future = client.status(&query); // borrows the client only
//! drop(query);
//! let answer = pasarela_core::transport::block_on(future)?;
//! assert!(answer.operations.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Errors say what to do ([`ClientError`]):
//!
//! | variant | was anything sent? | what to do |
//! |---|---|---|
//! | `Invalid`, `Sign` | no | fix the input / the signer |
//! | `Rejected` | yes, refused | read the code (Monnet's are typed: [`CreateCode`](crate::monnet::CreateCode); SmilePayz's only with the meaning you configured); nothing was created |
//! | `Duplicate` | yes, refused | the order/operation number is taken: a payment exists; reconcile, never re-create |
//! | `NotSent` | no | safe to retry |
//! | `OutcomeUnknown` | maybe | **reconcile** (status call) before retrying a payment; includes an error code answered with a 5xx status on a create, and a SmilePayz create code whose meaning you did not configure |
//! | `InvalidResponse` | yes | a query's answer was not the protocol; retrying is safe |
//! | `NotConfirmed` | yes (a query) | the gateway's answer does not confirm the event against your record: do not ship |
//!
//! **Retries** are off by default; [`Client::with_retry`] turns them on
//! where they are safe (reads after any transport failure or HTTP 5xx,
//! creates only when the request certainly never left): see
//! [`crate::retry`]. With the `tracing` and `metrics` features every call is
//! a span and a count ([`crate::observe`]).
//!
//! **Verified is not confirmed.** A callback or notification that passed
//! its signature or hash check proves only what the gateway signed. The
//! clients' `confirm_pay_in` / `confirm_operation` take the verified event
//! and your own record of the order, ask the status call, compare, and give
//! a [`ConfirmedPayIn`] / [`ConfirmedOperation`]: the only types that mean
//! "safe to ship".

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::error::{PrepareError, ValidationError};
use crate::operation::Operation;
use crate::retry::{Retry, RetryPolicy, Sleeper, ThreadSleeper, TimerThread};
use crate::transport::{AsyncTransport, BlockingTransport, ByRef, Ready, TransportFailure};

mod monnet;
mod smilepayz;

/// The records and results of confirmation, defined in [`crate::confirm`]
/// (one type each; re-exported here beside the calls that use them).
pub use crate::confirm::{
    ConfirmedOperation, ConfirmedPayIn, ExpectedOperation, ExpectedPayIn, NotConfirmed, Seen,
};

/// Where the clients (and the webhook verifiers) read the time, defined in
/// a module of its own below both.
pub use crate::clock::{Clock, SystemClock};

/// The outcome of a call that failed, defined in [`crate::outcome`] (below
/// both the clients and the operations) and named here beside the calls.
pub use crate::outcome::{ClientError, Unknown};

pub use monnet::{CannotTell, MonnetSettings, OperationReconciliation};
pub use smilepayz::{PayInReconciliation, SmilepayzSettings};

/// The boxed `Send` future an async client's method returns.
pub type ClientFuture<'a, T, E> =
    Pin<Box<dyn Future<Output = Result<T, ClientError<E>>> + Send + 'a>>;

/// A blocking SmilePayz client over any [`BlockingTransport`].
pub type SmilepayzClient<T> = Client<SmilepayzSettings, Blocking<T>>;
/// An async SmilePayz client over any [`AsyncTransport`].
pub type AsyncSmilepayzClient<T> = Client<SmilepayzSettings, Async<T>>;
/// A blocking Monnet client over any [`BlockingTransport`].
pub type MonnetClient<T> = Client<MonnetSettings, Blocking<T>>;
/// An async Monnet client over any [`AsyncTransport`].
pub type AsyncMonnetClient<T> = Client<MonnetSettings, Async<T>>;

/// A gateway client: settings `S` ([`SmilepayzSettings`] or
/// [`MonnetSettings`]) and a carrier `C` ([`Blocking`] or [`Async`]).
///
/// Cheap to clone (the settings are shared) when the transport is; usable
/// from many threads when the transport is.
#[derive(Clone)]
pub struct Client<S, C> {
    settings: Arc<S>,
    carrier: C,
    retry: Retry,
}

/// The blocking carrier: a [`BlockingTransport`] driven through the one
/// async driver with futures that are ready at once.
#[derive(Debug, Clone)]
pub struct Blocking<T>(T);

/// The async carrier: an [`AsyncTransport`]; methods return a
/// [`ClientFuture`], `Send` and borrowing only the client.
#[derive(Debug, Clone)]
pub struct Async<T>(T);

mod sealed {
    use crate::error::PrepareError;
    use crate::operation::{Operation, UnsignedOperation};

    pub trait Sealed {}

    /// A call on its way to the driver (not nameable outside the crate).
    #[allow(private_interfaces)]
    pub enum Call<R> {
        /// Ready to send.
        Ready(Operation<R>),
        /// Waits for an async signer first.
        SignAsync(
            UnsignedOperation<R>,
            std::sync::Arc<dyn crate::crypto::DynAsyncSigner>,
        ),
        /// Failed before anything could be sent.
        Failed(PrepareError),
        /// Refused before anything was sent: the event contradicts the record.
        NotConfirmed(super::NotConfirmed),
    }
}

pub(crate) use sealed::Call;

impl<T> sealed::Sealed for Blocking<T> {}
impl<T> sealed::Sealed for Async<T> {}

/// How a client carries a call: blocking ([`Blocking`]) or async
/// ([`Async`]). Sealed: the two flavours are all there is; a new HTTP stack
/// is a new transport, not a new carrier.
#[allow(private_interfaces)]
pub trait Carrier: sealed::Sealed {
    /// The transport's error type.
    type Error: TransportFailure;
    /// What the driver hands back: `Result<T, ClientError<Error>>`
    /// (blocking) or a [`ClientFuture`] of it (async). The client methods
    /// spell it out per flavour.
    type Output<'a, T: Send + 'a>
    where
        Self: 'a;

    #[doc(hidden)]
    fn run<'a, T: Send + 'a>(&'a self, call: Call<T>, retry: &'a Retry) -> Self::Output<'a, T>;

    /// How this flavour waits between retries by default: the blocking one
    /// sleeps its thread, the async one uses a timer thread.
    #[doc(hidden)]
    fn default_sleeper() -> Arc<dyn Sleeper>;
}

/// The one driver: signs when an async signer is needed, then sends (with
/// the retries `retry` allows, inside the call's span) and classifies.
async fn drive<Tr: AsyncTransport + ?Sized, T>(
    transport: &Tr,
    call: Call<T>,
    retry: &Retry,
) -> Result<T, ClientError<Tr::Error>> {
    let operation = match call {
        Call::Ready(operation) => operation,
        Call::SignAsync(unsigned, signer) => unsigned
            .sign_dyn(&*signer)
            .await
            .map_err(ClientError::Sign)?,
        Call::Failed(e) => return Err(e.into()),
        Call::NotConfirmed(e) => return Err(ClientError::NotConfirmed(e)),
    };
    operation.send_with(transport, retry).await
}

impl<Tr: BlockingTransport> Carrier for Blocking<Tr> {
    type Error = Tr::Error;
    type Output<'a, T: Send + 'a>
        = Result<T, ClientError<Tr::Error>>
    where
        Self: 'a;

    #[allow(private_interfaces)]
    fn run<'a, T: Send + 'a>(&'a self, call: Call<T>, retry: &'a Retry) -> Self::Output<'a, T> {
        crate::transport::block_on(drive(&Ready(ByRef(&self.0)), call, retry))
    }

    fn default_sleeper() -> Arc<dyn Sleeper> {
        Arc::new(ThreadSleeper)
    }
}

impl<Tr: AsyncTransport + Sync> Carrier for Async<Tr> {
    type Error = Tr::Error;
    type Output<'a, T: Send + 'a>
        = ClientFuture<'a, T, Tr::Error>
    where
        Self: 'a;

    #[allow(private_interfaces)]
    fn run<'a, T: Send + 'a>(&'a self, call: Call<T>, retry: &'a Retry) -> Self::Output<'a, T> {
        Box::pin(drive(&self.0, call, retry))
    }

    fn default_sleeper() -> Arc<dyn Sleeper> {
        Arc::new(TimerThread)
    }
}

impl<S, T: BlockingTransport> Client<S, Blocking<T>> {
    /// A blocking client sending through `transport`. Pass the gateway's
    /// `Config` for the defaults (system clock), or settings built from it.
    pub fn new(settings: impl Into<S>, transport: T) -> Self {
        Self {
            settings: Arc::new(settings.into()),
            carrier: Blocking(transport),
            retry: Retry::off(Blocking::<T>::default_sleeper()),
        }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.carrier.0
    }
}

impl<S, T: AsyncTransport + Sync> Client<S, Async<T>> {
    /// An async client sending through `transport`. Pass the gateway's
    /// `Config` for the defaults (system clock), or settings built from it.
    pub fn new(settings: impl Into<S>, transport: T) -> Self {
        Self {
            settings: Arc::new(settings.into()),
            carrier: Async(transport),
            retry: Retry::off(Async::<T>::default_sleeper()),
        }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.carrier.0
    }
}

impl<S, C: Carrier> Client<S, C> {
    /// The settings.
    pub fn settings(&self) -> &S {
        &self.settings
    }

    /// Retries what can be sent again without risking a second payment,
    /// by `policy` ([`crate::retry`]: reads on any transport failure or
    /// HTTP 5xx, creates only when the request certainly did not leave).
    /// Off by default.
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry.policy = policy;
        self
    }

    /// Waits between retries (and reads the time of the retry budget and
    /// of the call's latency) with `sleeper`: your runtime's sleep for an
    /// async client (`tokio::time::sleep`, which needs the tokio runtime
    /// the client runs on — never give it to a blocking client outside
    /// one), or a fake in tests. By default a blocking client sleeps its
    /// thread ([`ThreadSleeper`]) and an async one uses a timer thread
    /// ([`TimerThread`]).
    pub fn with_sleeper(mut self, sleeper: impl Sleeper + 'static) -> Self {
        self.retry.sleeper = Arc::new(sleeper);
        self
    }

    /// Draws the retry waits' jitter from `random` (uniform `u64`s; by
    /// default [`std_random`](crate::retry::std_random)). Tests pass a
    /// fixed sequence.
    pub fn with_jitter(mut self, random: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.retry.random = Arc::new(random);
        self
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry.policy
    }

    pub(crate) fn run<T: Send + 'static>(&self, call: Call<T>) -> C::Output<'_, T> {
        self.carrier.run(call, &self.retry)
    }

    fn execute_call<T: Send + 'static>(&self, operation: Operation<T>) -> Call<T> {
        Call::Ready(operation)
    }
}

/// Generates a client method list for both flavours from one declaration:
/// on `Client<S, Blocking<Tr>>` each method returns
/// `Result<T, ClientError<Tr::Error>>`, on `Client<S, Async<Tr>>` a
/// [`ClientFuture`] of it. Each forwards to a private method (`=> name`)
/// that builds the [`Call`] for the one driver, so the logic is written
/// once and the signatures read plainly in rustdoc.
///
/// ```text
/// flavoured! {
///     impl[generics] Settings {
///         /// docs
///         pub fn name[U: Send + 'static](&self, arg: Type, ...) -> Output => call_builder;
///     }
/// }
/// ```
macro_rules! flavoured {
    (
        impl[$($impl_gen:tt)*] $settings:ty {
            $(
                $(#[doc = $doc:literal])*
                pub fn $name:ident $([$($gen:tt)*])? (&self $(, $arg:ident : $arg_ty:ty)* $(,)?)
                    -> $out:ty => $call:ident;
            )*
        }
    ) => {
        /// Blocking calls: each returns its `Result` once the answer is
        /// classified.
        impl<$($impl_gen)* Tr: $crate::transport::BlockingTransport>
            $crate::client::Client<$settings, $crate::client::Blocking<Tr>>
        {
            $(
                $(#[doc = $doc])*
                #[doc = ""]
                #[doc = "Blocking: returns once the answer is classified."]
                pub fn $name $(<$($gen)*>)? (&self $(, $arg: $arg_ty)*)
                    -> Result<$out, $crate::client::ClientError<Tr::Error>>
                {
                    self.run(self.$call($($arg),*))
                }
            )*
        }

        /// Async calls: each returns a boxed `Send` future of its `Result`
        /// that borrows only the client.
        impl<$($impl_gen)* Tr: $crate::transport::AsyncTransport + Sync>
            $crate::client::Client<$settings, $crate::client::Async<Tr>>
        {
            $(
                $(#[doc = $doc])*
                #[doc = ""]
                #[doc = "Async: a boxed `Send` future ([`ClientFuture`](crate::client::ClientFuture)) that borrows only the client; await it or spawn it."]
                pub fn $name $(<$($gen)*>)? (&self $(, $arg: $arg_ty)*)
                    -> $crate::client::ClientFuture<'_, $out, Tr::Error>
                {
                    self.run(self.$call($($arg),*))
                }
            )*
        }
    };
}
pub(crate) use flavoured;

flavoured! {
    impl[S,] S {
        /// Sends any operation (one from [`crate::operation`] or your own)
        /// and classifies the outcome.
        pub fn execute[T: Send + 'static](&self, operation: Operation<T>) -> T => execute_call;
    }
}

impl<S: fmt::Debug, C> fmt::Debug for Client<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("settings", &self.settings)
            .field("retry", &self.retry.policy)
            .finish_non_exhaustive()
    }
}

impl<T> From<Result<Operation<T>, ValidationError>> for Call<T> {
    fn from(value: Result<Operation<T>, ValidationError>) -> Self {
        match value {
            Ok(op) => Call::Ready(op),
            Err(e) => Call::Failed(e.into()),
        }
    }
}

impl<T> Call<T> {
    pub(crate) fn failed(e: impl Into<PrepareError>) -> Self {
        Call::Failed(e.into())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use time::macros::datetime;

    use super::*;
    use crate::Money;
    use crate::PreparedRequest;
    use crate::crypto::{Backend, PrivateKey};
    use crate::smilepayz::{self, Merchant, PayInRequest, Payer};
    use crate::transport::tests::block_on;
    use crate::transport::{Delivery, TransportError, TransportErrorKind};
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
        .unwrap()
    }

    fn settings() -> SmilepayzSettings {
        SmilepayzSettings::new(config())
            .with_clock(|| datetime!(2020-12-17 15:55:00 UTC))
            .with_not_found_codes(["22"])
    }

    fn pay_in() -> PayInRequest {
        PayInRequest::builder(
            Merchant::new("20001"),
            "ORDER123",
            Money::pen(20000),
            "p",
            Payer::new("Ana"),
        )
        .build()
        .unwrap()
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
        assert_eq!(created.response().trade_no.as_deref(), Some("T1"));
        assert_eq!(
            seen.lock().unwrap().as_deref(),
            Some("2020-12-17T10:55:00-05:00")
        );
    }

    #[test]
    fn errors_say_what_to_do() {
        // A built request is valid, and a bad configuration is refused when
        // it is built, naming the field: nothing can reach a transport.
        let key =
            PrivateKey::load(include_str!("../testdata/keys/merchant_private_pkcs8.pem")).unwrap();
        let bad_config = smilepayz::Config::new(
            "not-a-merchant",
            MerchantSecret::new("TEST-ONLY-secret"),
            Backend::Rsa.signer(&key).unwrap(),
            smilepayz::Environment::Sandbox,
        )
        .unwrap_err();
        assert_eq!(bad_config.field(), "X-PARTNER-ID");

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

        // SmilePayz publishes no codes: a code nobody gave a meaning does
        // not say that nothing was created (issue 17).
        let unrecognized = SmilepayzClient::new(
            settings(),
            answering(200, r#"{"code":"12","message":"busy"}"#),
        )
        .pay_in(&pay_in())
        .unwrap_err();
        assert!(matches!(
            unrecognized,
            ClientError::OutcomeUnknown(Unknown::UnrecognizedCode(ref r)) if r.code == "12"
        ));
        assert!(!unrecognized.is_retry_safe() && unrecognized.is_outcome_unknown());
        assert_eq!(
            unrecognized.rejection().map(|r| r.code.as_str()),
            Some("12")
        );
        assert!(unrecognized.to_string().contains("no configured meaning"));

        // Configured as a refusal, it is one; as a duplicate, a duplicate.
        let refused = SmilepayzClient::new(
            settings()
                .with_code_meaning("12", crate::outcome::SmilepayzCodeMeaning::Refused)
                .with_code_meanings([("13", crate::outcome::SmilepayzCodeMeaning::DuplicateOrder)]),
            answering(200, r#"{"code":"12","message":"bad field"}"#),
        )
        .pay_in(&pay_in())
        .unwrap_err();
        assert!(matches!(refused, ClientError::Rejected(ref r) if r.code == "12"));
        let duplicate = SmilepayzClient::new(
            settings()
                .with_code_meanings([("13", crate::outcome::SmilepayzCodeMeaning::DuplicateOrder)]),
            answering(200, r#"{"code":"13","message":"order used"}"#),
        )
        .pay_in(&pay_in())
        .unwrap_err();
        assert!(duplicate.is_duplicate());

        // The same unconfigured code on a query is a refusal of the query.
        let query_refused = SmilepayzClient::new(
            settings(),
            answering(200, r#"{"code":"12","message":"busy"}"#),
        )
        .inquiry_status(&smilepayz::InquiryStatusRequest::pay_in_by_order_no("ORDER123").unwrap())
        .unwrap_err();
        assert!(matches!(query_refused, ClientError::Rejected(_)));

        // A query that gets garbage back is just an invalid response.
        let query = SmilepayzClient::new(settings(), answering(500, "<html>oops</html>"))
            .inquiry_status(
                &smilepayz::InquiryStatusRequest::pay_in_by_order_no("ORDER123").unwrap(),
            )
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
        .unwrap();
        assert!(
            matches!(other, PayInReconciliation::CannotTell(ref r) if r.code == "01"),
            "an auth failure is not 'not found': {other:?}"
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
        assert_eq!(created.response().order_no, "ORDER123");
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
        )
        .unwrap();
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
