//! SmilePayz clients: pay-in, inquiries, and reconciliation after an
//! unknown outcome.

use std::sync::Arc;

use super::{Call, Clock, Effect, SystemClock};
use crate::error::ResponseError;
use crate::smilepayz::{
    Config, InquiryBalanceRequest, InquiryBalanceResponse, InquiryStatusRequest,
    InquiryStatusResponse, PayInRequest, PayInResponse, parse_inquiry_balance_response,
    parse_inquiry_status_response, parse_pay_in_response, prepare_inquiry_balance,
    prepare_inquiry_status, prepare_pay_in,
};

/// What a SmilePayz client needs besides its transport.
#[derive(Clone)]
pub struct SmilepayzSettings {
    config: Config,
    clock: Arc<dyn Clock>,
    not_found_codes: Vec<String>,
}

impl SmilepayzSettings {
    /// Settings with the system clock and no not-found codes.
    ///
    /// SmilePayz's public docs do not say which inquiry-status code means
    /// "no such transaction". Until you set the codes your account manager
    /// gives you ([`with_not_found_codes`](Self::with_not_found_codes)),
    /// `reconcile_pay_in` never answers `NotFound`: an unknown order comes
    /// back as a rejection, which is the safe side (a wrong "not found"
    /// would invite a duplicate payment).
    pub fn new(config: Config) -> Self {
        Self {
            config,
            clock: Arc::new(SystemClock),
            not_found_codes: Vec::new(),
        }
    }

    /// Uses another clock (tests, simulations).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The inquiry-status codes that mean the transaction does not exist.
    pub fn with_not_found_codes(
        mut self,
        codes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.not_found_codes = codes.into_iter().map(Into::into).collect();
        self
    }

    /// The gateway configuration.
    pub fn config(&self) -> &Config {
        &self.config
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
            .field("not_found_codes", &self.not_found_codes)
            .finish_non_exhaustive()
    }
}

/// Whether a pay-in exists at the gateway, per its status inquiry.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl PayInReconciliation {
    /// Whether the payment exists.
    pub fn exists(&self) -> bool {
        matches!(self, PayInReconciliation::Found(_))
    }
}

fn reconcile(
    settings: &SmilepayzSettings,
    answer: Result<InquiryStatusResponse, ResponseError>,
) -> Result<PayInReconciliation, ResponseError> {
    match answer {
        Ok(found) => Ok(PayInReconciliation::Found(found)),
        Err(ResponseError::Rejected(r)) if settings.not_found_codes.contains(&r.code) => {
            Ok(PayInReconciliation::NotFound {
                code: r.code,
                message: r.message,
            })
        }
        Err(e) => Err(e),
    }
}

fn parse_pay_in(r: crate::RawResponse) -> Result<PayInResponse, ResponseError> {
    parse_pay_in_response(r)
}

fn parse_status(r: crate::RawResponse) -> Result<InquiryStatusResponse, ResponseError> {
    parse_inquiry_status_response(r)
}

fn parse_balance(r: crate::RawResponse) -> Result<InquiryBalanceResponse, ResponseError> {
    parse_inquiry_balance_response(r)
}

super::clients! {
    /// Blocking SmilePayz client over any [`BlockingTransport`](crate::transport::BlockingTransport).
    ///
    /// Cheap to clone (settings are shared); usable from many threads when
    /// the transport is.
    blocking SmilepayzClient;
    /// Async SmilePayz client over any [`AsyncTransport`](crate::transport::AsyncTransport).
    /// Its futures are `Send` exactly when the transport's are.
    async AsyncSmilepayzClient;
    shared SmilepayzSettings;
    methods {
        /// Creates a pay-in. On [`ClientError::OutcomeUnknown`](super::ClientError::OutcomeUnknown),
        /// call `reconcile_pay_in` with the same order number before retrying.
        fn pay_in(&self, request: &PayInRequest) -> PayInResponse {
            let now = self.shared.clock.now();
            let request = prepare_pay_in(&self.shared.config, request, now)?;
            call!(Call { request, parse: parse_pay_in, effect: Effect::Creates })
        }

        /// Asks for a transaction's status.
        fn inquiry_status(&self, request: &InquiryStatusRequest) -> InquiryStatusResponse {
            let now = self.shared.clock.now();
            let request = prepare_inquiry_status(&self.shared.config, request, now)?;
            call!(Call { request, parse: parse_status, effect: Effect::Reads })
        }

        /// Asks for account balances.
        fn inquiry_balance(&self, request: &InquiryBalanceRequest) -> InquiryBalanceResponse {
            let now = self.shared.clock.now();
            let request = prepare_inquiry_balance(&self.shared.config, request, now)?;
            call!(Call { request, parse: parse_balance, effect: Effect::Reads })
        }

        /// Tells whether a pay-in with this order number exists, and in
        /// which state: the step after an unknown outcome, and the way to
        /// confirm amount and status before shipping goods on a callback.
        fn reconcile_pay_in(&self, order_no: &str) -> PayInReconciliation {
            let now = self.shared.clock.now();
            let query = InquiryStatusRequest::pay_in_by_order_no(order_no)
                .map_err(super::ClientError::Invalid)?;
            let request = prepare_inquiry_status(&self.shared.config, &query, now)?;
            let answer = call!(Call { request, parse: |r| Ok(parse_status(r)), effect: Effect::Reads })?;
            reconcile(&self.shared, answer).map_err(|e| match e {
                ResponseError::Rejected(r) => super::ClientError::Rejected(r),
                ResponseError::Parse(p) => super::ClientError::InvalidResponse(p),
            })
        }
    }
}
