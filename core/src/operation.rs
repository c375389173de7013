//! One gateway call as a value: the prepared request, the parser of its
//! answer, and whether it can create a payment.
//!
//! An [`Operation`] is everything the driver needs, so the clients take
//! operations ([`Client::execute`](crate::client::Client::execute)) and a new
//! call — a refund, a pay-out, another gateway — is a new operation, not a
//! method per client flavour. Build them with the functions of
//! [`smilepayz`] and [`monnet`] (pure: time is
//! an argument), or with [`Operation::new`] for a call of your own.
//!
//! An operation can be sent three ways, and all three classify the outcome
//! in the same place, [`Answer::finish`]:
//!
//! - [`Operation::send`] over any [`AsyncTransport`] (the future is `Send`);
//! - [`Operation::send_blocking`] over any [`BlockingTransport`] (the same
//!   async code, driven with futures that are ready at once);
//! - by hand: [`Operation::into_parts`] gives the [`PreparedRequest`] for
//!   your own HTTP stack and the [`Answer`] to finish with what came back.
//!
//! SmilePayz requests are signed: their constructors return an
//! [`UnsignedOperation`] holding the string to sign, completed by a
//! [`Signer`], an [`AsyncSigner`] (a KMS over the network) or raw signature
//! bytes from anywhere.
//!
//! ```
//! use pasarela_core::operation::{self, Effect};
//! use pasarela_core::monnet::{Config, Environment, StatusQuery};
//! use pasarela_core::transport::TransportError;
//! use pasarela_core::{PreparedRequest, RawResponse};
//!
//! let config = Config::new("4001", "TEST-ONLY-key", Environment::Certification)?;
//! let today = time::macros::date!(2025 - 07 - 15);
//! let op = operation::monnet::status_query(&config, &StatusQuery::by_operation_number("OP1"), today)?;
//! assert_eq!(op.effect(), Effect::ReadOnly);
//!
//! // Your own stack, by hand:
//! let (request, answer) = op.into_parts();
//! assert!(request.url().as_str().ends_with("/merchant/4001/operations"));
//! let sent: Result<RawResponse, TransportError> =
//!     Ok(RawResponse::new(200, r#"{"payinMerchantID":"4001","operations":[]}"#));
//! let status = answer.finish(sent)?;
//! assert!(status.operations.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::confirm::NotConfirmed;
use crate::crypto::{AsyncSigner, Signer};
use crate::error::{GatewayRejection, ResponseError, SignError};
use crate::http::{PreparedRequest, RawResponse};
pub use crate::observe::Description;
use crate::observe::{CallSpan, Finished};
use crate::outcome::{ClientError, Unknown};
use crate::retry::{Retry, TimerThread, retry_reason};
use crate::smilepayz::UnsignedRequest;
use crate::transport::{
    AsyncTransport, BlockingTransport, ByRef, Delivery, Ready, TransportFailure,
};

/// Whether a call can create a payment; decides what an unreadable answer
/// or a server error means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Effect {
    /// Creates a payment: when the answer is unreadable or a server error,
    /// the payment may exist (the outcome is unknown; reconcile).
    CreatesPayment,
    /// Only reads: an unreadable answer created nothing; retrying is safe.
    ReadOnly,
}

/// What an operation's parser can refuse an answer for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnswerError {
    /// The answer is not the protocol, or the gateway refused the request.
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// A refusal whose code says the order/operation number is already
    /// used: a payment with it exists.
    #[error("duplicate: {0}")]
    Duplicate(GatewayRejection),
    /// A refusal whose code does not settle the outcome (an internal error
    /// on a create): the payment may exist.
    #[error("indeterminate: {0}")]
    Indeterminate(GatewayRejection),
    /// A refusal whose code has no known meaning (SmilePayz publishes no
    /// code list): on a create the payment may exist; on a query it is a
    /// refusal.
    #[error("unrecognized code: {0}")]
    Unrecognized(GatewayRejection),
    /// The answer was read, and it does not confirm the payment.
    #[error(transparent)]
    NotConfirmed(#[from] NotConfirmed),
}

type Parser<T> = Box<dyn FnOnce(RawResponse) -> Result<T, AnswerError> + Send>;

/// The half of an [`Operation`] that deals with the answer: its parser and
/// its [`Effect`].
pub struct Answer<T> {
    effect: Effect,
    parse: Parser<T>,
    classify: Option<fn(&T) -> &'static str>,
}

impl<T> Answer<T> {
    /// Whether the call can create a payment.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// Parses an answer without classifying it.
    pub fn parse(self, response: impl Into<RawResponse>) -> Result<T, AnswerError> {
        (self.parse)(response.into())
    }

    /// Classifies what the transport returned: the one place where
    /// transport failures, rejections and unreadable answers become
    /// [`ClientError`]s, for every client and every flavour.
    ///
    /// | what happened | create | query |
    /// |---|---|---|
    /// | transport failed, [`Delivery::NotSent`] | `NotSent` | `NotSent` |
    /// | transport failed, [`Delivery::MaybeSent`] | `OutcomeUnknown` | `OutcomeUnknown` |
    /// | rejection code, HTTP < 500 | `Rejected` | `Rejected` |
    /// | rejection code, HTTP ≥ 500 | `OutcomeUnknown` | `Rejected` |
    /// | a code meaning "duplicate" ([`AnswerError::Duplicate`]) | `Duplicate` | `Duplicate` |
    /// | a code that settles nothing ([`AnswerError::Indeterminate`]) | `OutcomeUnknown` | `Rejected` |
    /// | a code of no known meaning ([`AnswerError::Unrecognized`]) | `OutcomeUnknown` | `Rejected` |
    /// | answer not the protocol | `OutcomeUnknown` | `InvalidResponse` |
    pub fn finish<E: TransportFailure>(
        self,
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
        let creates = self.effect == Effect::CreatesPayment;
        match (self.parse)(response) {
            Ok(value) => Ok(value),
            // A 5xx with an error code after a create may follow a recorded
            // payment (a crash after the write): not a clean refusal.
            Err(AnswerError::Response(ResponseError::Rejected(r)))
                if creates && r.http_status >= 500 =>
            {
                Err(ClientError::OutcomeUnknown(Unknown::ServerRejection(r)))
            }
            Err(AnswerError::Response(ResponseError::Rejected(r))) => Err(ClientError::Rejected(r)),
            Err(AnswerError::Response(ResponseError::Parse(p))) => Err(if creates {
                ClientError::OutcomeUnknown(Unknown::Response(p))
            } else {
                ClientError::InvalidResponse(p)
            }),
            Err(AnswerError::Duplicate(r)) => Err(ClientError::Duplicate(r)),
            Err(AnswerError::NotConfirmed(n)) => Err(ClientError::NotConfirmed(n)),
            Err(AnswerError::Indeterminate(r)) => Err(if creates {
                ClientError::OutcomeUnknown(Unknown::ServerRejection(r))
            } else {
                ClientError::Rejected(r)
            }),
            Err(AnswerError::Unrecognized(r)) => Err(if creates {
                ClientError::OutcomeUnknown(Unknown::UnrecognizedCode(r))
            } else {
                ClientError::Rejected(r)
            }),
        }
    }

    fn then<U>(
        self,
        f: impl FnOnce(Result<T, AnswerError>) -> Result<U, AnswerError> + Send + 'static,
    ) -> Answer<U>
    where
        T: 'static,
    {
        let parse = self.parse;
        Answer {
            effect: self.effect,
            parse: Box::new(move |response| f(parse(response))),
            classify: None,
        }
    }
}

impl<T> fmt::Debug for Answer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Answer")
            .field("effect", &self.effect)
            .finish_non_exhaustive()
    }
}

/// One gateway call, ready for any transport: the request, the parser of
/// its answer and its [`Effect`].
///
/// `Debug` shows what [`PreparedRequest`]'s does (no header values, no body).
pub struct Operation<T> {
    request: PreparedRequest,
    answer: Answer<T>,
    description: Description,
}

impl<T> Operation<T> {
    /// An operation of your own: a request and the parser of its answer.
    pub fn new(
        request: PreparedRequest,
        effect: Effect,
        parse: impl FnOnce(RawResponse) -> Result<T, ResponseError> + Send + 'static,
    ) -> Self {
        Self {
            request,
            answer: Answer {
                effect,
                parse: Box::new(move |response| parse(response).map_err(AnswerError::from)),
                classify: None,
            },
            description: Description::default(),
        }
    }

    /// Names the call for its span and metrics (gateway, operation, our
    /// reference: [`crate::observe`]); without it an operation of your own
    /// is `custom`/`custom`.
    ///
    /// ```
    /// use pasarela_core::operation::{Description, Effect, Operation};
    /// use pasarela_core::{PreparedRequest, RawResponse};
    ///
    /// let request = PreparedRequest::new(
    ///     pasarela_core::http::Method::POST, "https://gw.example/refund".parse()?, vec![], b"{}".to_vec());
    /// let op = Operation::new(request, Effect::ReadOnly, |r: RawResponse| Ok(r.status))
    ///     .describe(Description::new("smilepayz", "refund").with_reference("ORDER1"));
    /// assert_eq!(op.description().operation(), "refund");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe(mut self, description: Description) -> Self {
        self.description = description;
        self
    }

    /// What the call is, for its span and metrics.
    pub fn description(&self) -> &Description {
        &self.description
    }

    /// Names the outcome of a success for the span and metrics (`created`,
    /// `declined`, `found`, …); without it a create's success is `created`
    /// and a read's `ok`.
    pub fn classify(mut self, classify: fn(&T) -> &'static str) -> Self {
        self.answer.classify = Some(classify);
        self
    }

    /// The request that will be sent.
    pub fn request(&self) -> &PreparedRequest {
        &self.request
    }

    /// Whether the call can create a payment.
    pub fn effect(&self) -> Effect {
        self.answer.effect
    }

    /// Splits into the request (for your own HTTP stack) and the [`Answer`]
    /// that classifies what came back.
    pub fn into_parts(self) -> (PreparedRequest, Answer<T>) {
        (self.request, self.answer)
    }

    /// Transforms the parsed value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U + Send + 'static) -> Operation<U>
    where
        T: 'static,
    {
        self.map_answer(|answer| answer.map(f))
    }

    /// Transforms the parser's whole result (turn a rejection code into a
    /// value, or a value into a refusal).
    pub fn map_answer<U>(
        self,
        f: impl FnOnce(Result<T, AnswerError>) -> Result<U, AnswerError> + Send + 'static,
    ) -> Operation<U>
    where
        T: 'static,
    {
        Operation {
            request: self.request,
            answer: self.answer.then(f),
            description: self.description,
        }
    }

    /// Sends over an async transport, once, and classifies the outcome,
    /// inside the call's span ([`crate::observe`]). The future is `Send`
    /// when `T` is and the transport is `Sync`. (The clients add retries,
    /// [`crate::retry`].)
    pub async fn send<Tr: AsyncTransport + ?Sized>(
        self,
        transport: &Tr,
    ) -> Result<T, ClientError<Tr::Error>> {
        static ONCE: OnceLock<Retry> = OnceLock::new();
        let once = ONCE.get_or_init(|| Retry::off(Arc::new(TimerThread)));
        self.send_with(transport, once).await
    }

    /// The one driver's send: the call's span, the attempts `retry` allows
    /// (only where a second send cannot make a second payment), and the
    /// one classification of the last attempt.
    pub(crate) async fn send_with<Tr: AsyncTransport + ?Sized>(
        self,
        transport: &Tr,
        retry: &Retry,
    ) -> Result<T, ClientError<Tr::Error>> {
        let Operation {
            request,
            answer,
            description,
        } = self;
        let creates = answer.effect == Effect::CreatesPayment;
        let span = CallSpan::start(&description, creates);
        let started = retry.sleeper.now();
        let policy = retry.policy;
        let attempts = async {
            let mut attempt = 1;
            loop {
                if attempt >= policy.max_attempts() {
                    return (transport.send(request).await, attempt);
                }
                let sent = transport.send(request.clone()).await;
                let Some(reason) = retry_reason(creates, &sent) else {
                    return (sent, attempt);
                };
                let delay = policy.delay(attempt, (retry.random)());
                let elapsed = retry.sleeper.now().saturating_duration_since(started);
                if elapsed.saturating_add(delay) > policy.max_elapsed() {
                    return (sent, attempt);
                }
                span.retrying(attempt + 1, delay, reason);
                retry.sleeper.sleep(delay).await;
                attempt += 1;
            }
        };
        let (sent, attempts) = span.instrument(attempts).await;
        let http_status = sent.as_ref().ok().map(|r| r.status);
        let delivery = match &sent {
            Ok(_) => "answered",
            Err(e) => match e.delivery() {
                Delivery::NotSent => "not_sent",
                Delivery::MaybeSent => "maybe_sent",
            },
        };
        let (classify, effect) = (answer.classify, answer.effect);
        let result = answer.finish(sent);
        let outcome = match &result {
            Ok(value) => match classify {
                Some(classify) => classify(value),
                None if effect == Effect::CreatesPayment => "created",
                None => "ok",
            },
            Err(e) => e.kind(),
        };
        span.finish(Finished {
            outcome,
            delivery,
            http_status,
            gateway_code: result
                .as_ref()
                .err()
                .and_then(|e| e.rejection())
                .map(|r| r.code.as_str()),
            attempts,
            latency: retry.sleeper.now().saturating_duration_since(started),
        });
        result
    }

    /// Sends over a blocking transport: the same code as
    /// [`send`](Self::send), driven with a transport whose futures are
    /// ready at once.
    pub fn send_blocking<Tr: BlockingTransport>(
        self,
        transport: &Tr,
    ) -> Result<T, ClientError<Tr::Error>> {
        crate::transport::block_on(self.send(&Ready(ByRef(transport))))
    }
}

impl<T> fmt::Debug for Operation<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operation")
            .field("request", &self.request)
            .field("effect", &self.answer.effect)
            .field("description", &self.description)
            .finish()
    }
}

/// A SmilePayz operation waiting for its signature.
///
/// Sign [`string_to_sign`](Self::string_to_sign) however the key is held,
/// then [`with_signature`](Self::with_signature); or let
/// [`sign`](Self::sign) / [`sign_async`](Self::sign_async) do it.
pub struct UnsignedOperation<T> {
    request: UnsignedRequest,
    answer: Answer<T>,
    description: Description,
}

impl<T> UnsignedOperation<T> {
    /// The request up to its signature.
    pub fn request(&self) -> &UnsignedRequest {
        &self.request
    }

    /// The bytes to sign (they contain the merchant secret: never log them).
    pub fn string_to_sign(&self) -> &[u8] {
        self.request.string_to_sign()
    }

    /// Whether the call can create a payment.
    pub fn effect(&self) -> Effect {
        self.answer.effect
    }

    /// What the call is, for its span and metrics.
    pub fn description(&self) -> &Description {
        &self.description
    }

    /// Names the call (see [`Operation::describe`]).
    pub fn describe(mut self, description: Description) -> Self {
        self.description = description;
        self
    }

    /// Names the outcome of a success (see [`Operation::classify`]).
    pub fn classify(mut self, classify: fn(&T) -> &'static str) -> Self {
        self.answer.classify = Some(classify);
        self
    }

    /// Completes the operation with the raw signature bytes.
    pub fn with_signature(self, signature: &[u8]) -> Operation<T> {
        Operation {
            request: self.request.with_signature(signature),
            answer: self.answer,
            description: self.description,
        }
    }

    /// Signs with a synchronous signer.
    ///
    /// A signer of another algorithm than RSASSA-PKCS1-v1_5 / SHA-256 is
    /// refused with a [`SignError`] before it is asked to sign.
    pub fn sign(self, signer: &(impl Signer + ?Sized)) -> Result<Operation<T>, SignError> {
        Ok(Operation {
            request: self.request.sign(signer)?,
            answer: self.answer,
            description: self.description,
        })
    }

    /// Signs with an async signer, without blocking the executor.
    ///
    /// A signer whose [`AsyncSigner::algorithm`] is not RSASSA-PKCS1-v1_5 /
    /// SHA-256 is refused with a [`SignError`] before it is asked to sign.
    pub async fn sign_async(
        self,
        signer: &(impl AsyncSigner + ?Sized),
    ) -> Result<Operation<T>, SignError> {
        UnsignedRequest::require(AsyncSigner::algorithm(signer))?;
        let signature = signer.sign_async(self.request.string_to_sign()).await?;
        Ok(self.with_signature(&signature))
    }

    /// Transforms the parser's whole result (see [`Operation::map_answer`]).
    pub fn map_answer<U>(
        self,
        f: impl FnOnce(Result<T, AnswerError>) -> Result<U, AnswerError> + Send + 'static,
    ) -> UnsignedOperation<U>
    where
        T: 'static,
    {
        UnsignedOperation {
            request: self.request,
            answer: self.answer.then(f),
            description: self.description,
        }
    }

    pub(crate) async fn sign_dyn(
        self,
        signer: &dyn crate::crypto::DynAsyncSigner,
    ) -> Result<Operation<T>, SignError> {
        UnsignedRequest::require(signer.algorithm_dyn())?;
        let signature = signer.sign_boxed(self.request.string_to_sign()).await?;
        Ok(self.with_signature(&signature))
    }
}

impl<T> fmt::Debug for UnsignedOperation<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnsignedOperation")
            .field("request", &self.request)
            .field("effect", &self.answer.effect)
            .field("description", &self.description)
            .finish()
    }
}

fn answer<T: 'static>(
    effect: Effect,
    parse: fn(RawResponse) -> Result<T, ResponseError>,
) -> Answer<T> {
    Answer {
        effect,
        parse: Box::new(move |response| parse(response).map_err(AnswerError::from)),
        classify: None,
    }
}

/// SmilePayz calls as operations (unsigned: see [`UnsignedOperation`]).
pub mod smilepayz {
    use time::OffsetDateTime;

    use super::{Description, Effect, UnsignedOperation, answer};
    use crate::error::ValidationError;
    use crate::observe::SMILEPAYZ;
    use crate::smilepayz::{
        self as sp, Config, InquiryBalanceRequest, InquiryBalanceResponse, InquiryStatusRequest,
        InquiryStatusResponse, PayInOutcome, PayInRequest,
    };

    /// Create a pay-in ([`Effect::CreatesPayment`]); the answer is read
    /// into what to do next ([`PayInOutcome`]: redirect, declined, or check
    /// the status). Fails only when the request's merchant is not the
    /// configuration's ([`check_merchant`](sp::check_merchant)): the
    /// request and the configuration were checked when built, and signing
    /// is a later step.
    pub fn pay_in(
        config: &Config,
        request: &PayInRequest,
        now: OffsetDateTime,
    ) -> Result<UnsignedOperation<PayInOutcome>, ValidationError> {
        Ok(UnsignedOperation {
            request: sp::prepare_pay_in_unsigned(config, request, now)?,
            answer: answer(Effect::CreatesPayment, sp::parse_pay_in_outcome),
            description: Description::new(SMILEPAYZ, "pay_in").with_reference(request.order_no()),
        }
        .classify(PayInOutcome::kind))
    }

    /// Ask for a transaction's status ([`Effect::ReadOnly`]).
    pub fn inquiry_status(
        config: &Config,
        request: &InquiryStatusRequest,
        now: OffsetDateTime,
    ) -> UnsignedOperation<InquiryStatusResponse> {
        let description = Description::new(SMILEPAYZ, "inquiry_status");
        UnsignedOperation {
            request: sp::prepare_inquiry_status_unsigned(config, request, now),
            answer: answer(Effect::ReadOnly, sp::parse_inquiry_status_response),
            description: match request.order_no().or(request.trade_no()) {
                Some(reference) => description.with_reference(reference),
                None => description,
            },
        }
    }

    /// Ask for account balances ([`Effect::ReadOnly`]).
    pub fn inquiry_balance(
        config: &Config,
        request: &InquiryBalanceRequest,
        now: OffsetDateTime,
    ) -> UnsignedOperation<InquiryBalanceResponse> {
        UnsignedOperation {
            request: sp::prepare_inquiry_balance_unsigned(config, request, now),
            answer: answer(Effect::ReadOnly, sp::parse_inquiry_balance_response),
            description: Description::new(SMILEPAYZ, "inquiry_balance"),
        }
    }
}

/// Monnet calls as operations.
pub mod monnet {
    use time::Date;

    use super::{AnswerError, Description, Effect, Operation, answer};
    use crate::error::{ResponseError, ValidationError};
    use crate::monnet::{
        self as mn, Config, CreateCode, CreateRequest, CreateResponse, StatusQuery, StatusResponse,
    };
    use crate::observe::MONNET;

    /// Create a card pay-in through the PCI proxy ([`Effect::CreatesPayment`]).
    /// It cannot fail: the request and the configuration were checked when
    /// built.
    pub fn create(config: &Config, request: &CreateRequest) -> Operation<CreateResponse> {
        let operation = Operation {
            request: mn::prepare_create(config, request),
            answer: answer(Effect::CreatesPayment, mn::parse_create_response),
            description: Description::new(MONNET, "create")
                .with_reference(request.operation_number()),
        };
        // `0099` (internal error, or `99` sent as a JSON number) does not
        // say whether the payment exists.
        operation.map_answer(|answer| match answer {
            Err(AnswerError::Response(ResponseError::Rejected(r)))
                if !CreateCode::of(&r).settles_outcome() =>
            {
                Err(AnswerError::Indeterminate(r))
            }
            other => other,
        })
    }

    /// Query operations by number or date range ([`Effect::ReadOnly`]).
    /// `today` is the merchant's date in Peru (the range must end before it).
    pub fn status_query(
        config: &Config,
        query: &StatusQuery,
        today: Date,
    ) -> Result<Operation<StatusResponse>, ValidationError> {
        let description = Description::new(MONNET, "status_query");
        Ok(Operation {
            request: mn::prepare_status_query(config, query, today)?,
            answer: answer(Effect::ReadOnly, mn::parse_status_response),
            description: match query.operation_number() {
                Some(reference) => description.with_reference(reference),
                None => description,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::TransportError;
    use crate::transport::tests::failed;

    fn op(effect: Effect) -> Operation<String> {
        let request = PreparedRequest::new(
            crate::http::Method::POST,
            "https://example.com/x".parse().unwrap(),
            vec![],
            b"{}".to_vec(),
        );
        Operation::new(request, effect, |r: RawResponse| {
            if r.status == 200 {
                Ok(String::from_utf8_lossy(&r.body).into_owned())
            } else if r.status == 299 {
                Err(crate::error::GatewayRejection {
                    code: "01".into(),
                    message: "no".into(),
                    http_status: 299,
                }
                .into())
            } else if r.status >= 500 && r.body == b"code" {
                Err(crate::error::GatewayRejection {
                    code: "99".into(),
                    message: "server".into(),
                    http_status: r.status,
                }
                .into())
            } else {
                Err(crate::error::ParseError::EmptyBody { status: r.status }.into())
            }
        })
    }

    #[test]
    fn finish_classifies_every_branch() {
        use Effect::*;
        for effect in [CreatesPayment, ReadOnly] {
            let finish = |sent| op(effect).into_parts().1.finish(sent);
            assert_eq!(finish(Ok(RawResponse::new(200, "a"))).unwrap(), "a");
            assert!(matches!(
                finish(failed(Delivery::NotSent)),
                Err(ClientError::NotSent(_))
            ));
            assert!(matches!(
                finish(failed(Delivery::MaybeSent)),
                Err(ClientError::OutcomeUnknown(Unknown::Transport(_)))
            ));
            assert!(matches!(
                finish(Ok(RawResponse::new(299, ""))),
                Err(ClientError::Rejected(_))
            ));
            let server = finish(Ok(RawResponse::new(503, "code")));
            let garbage = finish(Ok(RawResponse::new(502, "")));
            if effect == CreatesPayment {
                assert!(matches!(
                    server,
                    Err(ClientError::OutcomeUnknown(Unknown::ServerRejection(_)))
                ));
                assert!(matches!(
                    garbage,
                    Err(ClientError::OutcomeUnknown(Unknown::Response(_)))
                ));
            } else {
                assert!(matches!(server, Err(ClientError::Rejected(_))));
                assert!(matches!(garbage, Err(ClientError::InvalidResponse(_))));
            }
        }
    }

    #[test]
    fn blocking_and_async_sends_share_the_driver() {
        let t =
            |r: PreparedRequest| Ok::<_, TransportError>(RawResponse::new(200, r.body().to_vec()));
        assert_eq!(op(Effect::ReadOnly).send_blocking(&t).unwrap(), "{}");
        let a = |r: PreparedRequest| {
            let body = r.body().to_vec();
            async move { Ok::<_, TransportError>(RawResponse::new(200, body)) }
        };
        let out = crate::transport::block_on(op(Effect::ReadOnly).map(|s| s.len()).send(&a));
        assert_eq!(out.unwrap(), 2);
    }

    #[test]
    fn operations_are_send() {
        fn assert_send<T: Send>() {}
        assert_send::<Operation<crate::smilepayz::PayInOutcome>>();
        assert_send::<UnsignedOperation<crate::smilepayz::PayInOutcome>>();
    }
}
