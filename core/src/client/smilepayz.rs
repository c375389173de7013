//! SmilePayz: settings and the calls, written once for both flavours.

use std::sync::Arc;

use super::{Call, Carrier, Client, Clock, SystemClock, flavoured};
use crate::confirm::{ConfirmedPayIn, ExpectedPayIn, NotConfirmed, refused};
use crate::crypto::{AsyncSigner, DynAsyncSigner};
use crate::error::{GatewayRejection, ResponseError};
use crate::observe::SMILEPAYZ;
use crate::operation::{self, AnswerError, UnsignedOperation};
use crate::outcome::SmilepayzCodeMeaning;
use crate::smilepayz::{
    Config, InquiryBalanceRequest, InquiryBalanceResponse, InquiryStatusRequest,
    InquiryStatusResponse, PayInOutcome, PayInRequest, VerifiedCallback,
};

/// What a SmilePayz client needs besides its transport: the configuration,
/// the clock, the codes your account manager gave you, and optionally an
/// async signer.
#[derive(Clone)]
pub struct SmilepayzSettings {
    config: Config,
    clock: Arc<dyn Clock>,
    code_meanings: Arc<Vec<(String, SmilepayzCodeMeaning)>>,
    async_signer: Option<Arc<dyn DynAsyncSigner>>,
}

impl SmilepayzSettings {
    /// Settings with the system clock, no code meanings, and the
    /// configuration's own signer.
    ///
    /// SmilePayz's public docs do not say which code means "no such
    /// transaction", "order number already used" or "refused, nothing
    /// created". Until you set the codes your account manager gives you
    /// ([`with_code_meaning`](Self::with_code_meaning)),
    /// `reconcile_pay_in` never answers `NotFound` (an unknown order comes
    /// back as `CannotTell`: a wrong "not found" would invite a duplicate
    /// payment), no pay-in rejection is reported as a duplicate, and a
    /// pay-in answered with any code but `00` is an unknown outcome
    /// (`ClientError::OutcomeUnknown`: reconcile), never a clean refusal.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            clock: Arc::new(SystemClock),
            code_meanings: Arc::new(Vec::new()),
            async_signer: None,
        }
    }

    /// Uses another clock (tests, simulations).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The inquiry-status codes that mean the transaction does not exist
    /// (each as [`SmilepayzCodeMeaning::NotFound`]).
    pub fn with_not_found_codes(
        mut self,
        codes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        for code in codes {
            self = self.with_code_meaning(code, SmilepayzCodeMeaning::NotFound);
        }
        self
    }

    /// Gives a SmilePayz response code the meaning your account manager
    /// confirmed (a later meaning for the same code replaces the earlier).
    pub fn with_code_meaning(
        mut self,
        code: impl Into<String>,
        meaning: SmilepayzCodeMeaning,
    ) -> Self {
        let code = code.into();
        let meanings = Arc::make_mut(&mut self.code_meanings);
        meanings.retain(|(c, _)| *c != code);
        meanings.push((code, meaning));
        self
    }

    /// Gives each code its meaning (as [`with_code_meaning`](Self::with_code_meaning)
    /// does one by one): the list your account manager confirmed, or a
    /// test double's (`pasarela_simulator::codes::smilepayz::MEANINGS`).
    pub fn with_code_meanings(
        mut self,
        meanings: impl IntoIterator<Item = (impl Into<String>, SmilepayzCodeMeaning)>,
    ) -> Self {
        for (code, meaning) in meanings {
            self = self.with_code_meaning(code, meaning);
        }
        self
    }

    /// The configured meaning of a code, if any.
    pub fn code_meaning(&self, code: &str) -> Option<SmilepayzCodeMeaning> {
        meaning(&self.code_meanings, code)
    }

    /// Signs with an async signer (a KMS or a remote service) instead of
    /// the configuration's synchronous one: the async client awaits it and
    /// never blocks the executor (a blocking client waits for it on its own
    /// thread).
    pub fn with_async_signer(mut self, signer: impl AsyncSigner + 'static) -> Self {
        self.async_signer = Some(Arc::new(signer));
        self
    }

    /// The gateway configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Signs an operation with the signer in force and readies it for the
    /// driver.
    fn call<T: Send + 'static>(
        &self,
        op: Result<UnsignedOperation<T>, crate::ValidationError>,
    ) -> Call<T> {
        let op = match op {
            Ok(op) => op,
            Err(e) => return Call::failed(e),
        };
        if let Some(signer) = &self.async_signer {
            return Call::SignAsync(op, signer.clone());
        }
        match self.config.signer() {
            Some(signer) => match op.sign(signer) {
                Ok(op) => Call::Ready(op),
                Err(e) => Call::failed(e),
            },
            None => Call::failed(crate::smilepayz::no_signer_error()),
        }
    }

    /// The pay-in operation, at the clock's time. A refusal is read by the
    /// code meanings you configured: a
    /// [`Refused`](SmilepayzCodeMeaning::Refused) code is a clean refusal
    /// (nothing created), a [`DuplicateOrder`](SmilepayzCodeMeaning::DuplicateOrder)
    /// code a duplicate, and any other code — SmilePayz publishes no list —
    /// leaves the outcome unknown (the pay-in may exist: reconcile).
    /// Fails only when the request's merchant is not the configuration's.
    pub fn pay_in_operation(
        &self,
        request: &PayInRequest,
    ) -> Result<UnsignedOperation<PayInOutcome>, crate::ValidationError> {
        let meanings = self.code_meanings.clone();
        Ok(
            operation::smilepayz::pay_in(&self.config, request, self.clock.now())?
                .map_answer(move |answer| match answer {
                    Err(AnswerError::Response(ResponseError::Rejected(r))) => {
                        Err(match meaning(&meanings, &r.code) {
                            Some(SmilepayzCodeMeaning::Refused) => {
                                AnswerError::Response(ResponseError::Rejected(r))
                            }
                            Some(SmilepayzCodeMeaning::DuplicateOrder) => AnswerError::Duplicate(r),
                            Some(SmilepayzCodeMeaning::Indeterminate) => {
                                AnswerError::Indeterminate(r)
                            }
                            _ => AnswerError::Unrecognized(r),
                        })
                    }
                    other => other,
                })
                // The map above keeps the type but not the classifier.
                .classify(PayInOutcome::kind),
        )
    }

    /// The status-inquiry operation, at the clock's time.
    pub fn inquiry_status_operation(
        &self,
        request: &InquiryStatusRequest,
    ) -> UnsignedOperation<InquiryStatusResponse> {
        operation::smilepayz::inquiry_status(&self.config, request, self.clock.now())
    }

    /// The balance-inquiry operation, at the clock's time.
    pub fn inquiry_balance_operation(
        &self,
        request: &InquiryBalanceRequest,
    ) -> UnsignedOperation<InquiryBalanceResponse> {
        operation::smilepayz::inquiry_balance(&self.config, request, self.clock.now())
    }

    /// The reconciliation of a pay-in by order number: a status inquiry
    /// read as found, not found (a configured not-found code only) or
    /// cannot tell.
    pub fn reconcile_pay_in_operation(
        &self,
        order_no: &str,
    ) -> Result<UnsignedOperation<PayInReconciliation>, crate::ValidationError> {
        let query = InquiryStatusRequest::pay_in_by_order_no(order_no)?;
        let meanings = self.code_meanings.clone();
        let op = self.inquiry_status_operation(&query);
        let description = op.description().clone().with_operation("reconcile_pay_in");
        Ok(op
            .map_answer(move |answer| reconcile(&meanings, answer))
            .describe(description)
            .classify(|found| match found {
                PayInReconciliation::NotFound { .. } => "not_found",
                PayInReconciliation::Found(_) => "found",
                PayInReconciliation::CannotTell(_) => "cannot_tell",
            }))
    }
}

impl From<Config> for SmilepayzSettings {
    fn from(config: Config) -> Self {
        Self::new(config)
    }
}

impl std::fmt::Debug for SmilepayzSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmilepayzSettings")
            .field("config", &self.config)
            .field("code_meanings", &self.code_meanings)
            .field("async_signer", &self.async_signer.is_some())
            .finish_non_exhaustive()
    }
}

fn meaning(
    meanings: &[(String, SmilepayzCodeMeaning)],
    code: &str,
) -> Option<SmilepayzCodeMeaning> {
    meanings.iter().find(|(c, _)| c == code).map(|(_, m)| *m)
}

/// Whether a pay-in exists at the gateway, per its status inquiry: found,
/// not found, or cannot tell — never "not found" on a guess.
///
/// | answer | means | do |
/// |---|---|---|
/// | `Found` | the gateway has it | use its status; do **not** create again |
/// | `NotFound` | a configured not-found code | creating it again (same order number) is safe |
/// | `CannotTell` | any other refusal | wait and reconcile again, or escalate; never create anew |
///
/// A transport failure of the inquiry itself is the call's `Err`
/// (`NotSent`/`OutcomeUnknown` of a read: just ask again).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayInReconciliation {
    /// The gateway answered one of the configured not-found codes: it has no
    /// transaction with this order number, so creating it again is safe.
    NotFound {
        /// The gateway's not-found code.
        code: String,
        /// The gateway's message.
        message: String,
    },
    /// The transaction exists; its status and amount are in the answer.
    Found(InquiryStatusResponse),
    /// The gateway refused the inquiry with a code not configured as
    /// "not found" (a bad signature, an unknown order, anything): it is
    /// not known whether the payment exists.
    CannotTell(GatewayRejection),
}

impl PayInReconciliation {
    /// Whether the payment certainly exists.
    pub fn exists(&self) -> bool {
        matches!(self, PayInReconciliation::Found(_))
    }

    /// Whether the payment certainly does not exist (so creating it again
    /// is safe).
    pub fn is_not_found(&self) -> bool {
        matches!(self, PayInReconciliation::NotFound { .. })
    }
}

fn reconcile(
    meanings: &[(String, SmilepayzCodeMeaning)],
    answer: Result<InquiryStatusResponse, AnswerError>,
) -> Result<PayInReconciliation, AnswerError> {
    match answer {
        Ok(found) => Ok(PayInReconciliation::Found(found)),
        Err(AnswerError::Response(ResponseError::Rejected(r))) => {
            match meaning(meanings, &r.code) {
                Some(SmilepayzCodeMeaning::NotFound) => Ok(PayInReconciliation::NotFound {
                    code: r.code,
                    message: r.message,
                }),
                _ => Ok(PayInReconciliation::CannotTell(r)),
            }
        }
        Err(e) => Err(e),
    }
}

flavoured! {
    impl[] SmilepayzSettings {
        /// Creates a pay-in and reads the answer into what to do next
        /// ([`PayInOutcome`]: redirect the shopper, show a decline, or check
        /// the status). On [`ClientError::OutcomeUnknown`](super::ClientError::OutcomeUnknown),
        /// call `reconcile_pay_in` with the same order number before
        /// retrying.
        pub fn pay_in(&self, request: &PayInRequest) -> PayInOutcome => pay_in_call;

        /// Asks for a transaction's status.
        pub fn inquiry_status(&self, request: &InquiryStatusRequest) -> InquiryStatusResponse
            => inquiry_status_call;

        /// Asks for account balances.
        pub fn inquiry_balance(&self, request: &InquiryBalanceRequest) -> InquiryBalanceResponse
            => inquiry_balance_call;

        /// Tells whether a pay-in with this order number exists, and in
        /// which state: the step after an unknown outcome.
        pub fn reconcile_pay_in(&self, order_no: &str) -> PayInReconciliation
            => reconcile_pay_in_call;

        /// Confirms a verified callback against your record of the order:
        /// asks inquiry-status by **your** order number, requires the answer
        /// to be the callback's (signed) `tradeNo`, `SUCCESS`, and your
        /// amount and currency. The result is the only "safe to ship" for
        /// SmilePayz; every mismatch is a distinct [`NotConfirmed`] (in
        /// [`ClientError::NotConfirmed`](super::ClientError::NotConfirmed)).
        /// An event that contradicts the record is refused before any call.
        pub fn confirm_pay_in(&self, event: &VerifiedCallback, record: &ExpectedPayIn)
            -> ConfirmedPayIn => confirm_pay_in_call;

        /// Confirms a pay-in from your record alone (polling: a reconciler,
        /// a sweeper, a shopper back on the return page): asks
        /// inquiry-status by **your** order number and requires `SUCCESS`
        /// with your amount and currency (and the record's `tradeNo`, when
        /// it has one), as [`ExpectedPayIn::confirm`] does. The result is
        /// the same "safe to ship" as `confirm_pay_in`'s.
        pub fn confirm_pay_in_status(&self, record: &ExpectedPayIn) -> ConfirmedPayIn
            => confirm_pay_in_status_call;

        /// Signs (with the signer in force) and sends an unsigned SmilePayz
        /// operation of your own.
        pub fn execute_unsigned[T: Send + 'static](&self, operation: UnsignedOperation<T>)
            -> T => execute_unsigned_call;
    }
}

/// The SmilePayz calls, built once for the blocking and the async client
/// alike (the public methods above forward here).
impl<C: Carrier> Client<SmilepayzSettings, C> {
    fn pay_in_call(&self, request: &PayInRequest) -> Call<PayInOutcome> {
        self.settings.call(self.settings.pay_in_operation(request))
    }

    fn inquiry_status_call(&self, request: &InquiryStatusRequest) -> Call<InquiryStatusResponse> {
        self.settings
            .call(Ok(self.settings.inquiry_status_operation(request)))
    }

    fn inquiry_balance_call(
        &self,
        request: &InquiryBalanceRequest,
    ) -> Call<InquiryBalanceResponse> {
        self.settings
            .call(Ok(self.settings.inquiry_balance_operation(request)))
    }

    fn reconcile_pay_in_call(&self, order_no: &str) -> Call<PayInReconciliation> {
        self.settings
            .call(self.settings.reconcile_pay_in_operation(order_no))
    }

    fn confirm_pay_in_call(
        &self,
        event: &VerifiedCallback,
        record: &ExpectedPayIn,
    ) -> Call<ConfirmedPayIn> {
        if let Err(e) = record.check_callback(event) {
            return Call::NotConfirmed(refused(SMILEPAYZ, &record.order_no, e));
        }
        let event = event.clone();
        self.confirm_by_status(record, "confirm_pay_in", move |record, answer| {
            record.confirm_event(&event, answer)
        })
    }

    fn confirm_pay_in_status_call(&self, record: &ExpectedPayIn) -> Call<ConfirmedPayIn> {
        self.confirm_by_status(record, "confirm_pay_in_status", |record, answer| {
            record.confirm(answer)
        })
    }

    /// Asks inquiry-status by the record's order number and compares with
    /// `compare`; a configured not-found code is an unknown order.
    fn confirm_by_status(
        &self,
        record: &ExpectedPayIn,
        name: &'static str,
        compare: impl FnOnce(
            &ExpectedPayIn,
            &InquiryStatusResponse,
        ) -> Result<ConfirmedPayIn, NotConfirmed>
        + Send
        + 'static,
    ) -> Call<ConfirmedPayIn> {
        let owned = record.clone();
        let meanings = self.settings.code_meanings.clone();
        let op = InquiryStatusRequest::pay_in_by_order_no(record.order_no.clone())
            .map(|query| self.settings.inquiry_status_operation(&query))
            .map(|op| {
                let description = op.description().clone().with_operation(name);
                op.map_answer(move |answer| match answer {
                    Ok(status) => Ok(compare(&owned, &status)?),
                    Err(AnswerError::Response(ResponseError::Rejected(r)))
                        if meaning(&meanings, &r.code) == Some(SmilepayzCodeMeaning::NotFound) =>
                    {
                        // Reported as every other verdict is (span event,
                        // confirmations counter).
                        Err(refused(SMILEPAYZ, &owned.order_no, NotConfirmed::UnknownOrder).into())
                    }
                    Err(e) => Err(e),
                })
                .describe(description)
                .classify(|_| "confirmed")
            });
        self.settings.call(op)
    }

    fn execute_unsigned_call<T: Send + 'static>(&self, operation: UnsignedOperation<T>) -> Call<T> {
        self.settings.call(Ok(operation))
    }
}
