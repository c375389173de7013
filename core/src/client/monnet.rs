//! Monnet: settings and the calls, written once for both flavours.

use std::sync::Arc;

use super::{Call, Carrier, Client, Clock, SystemClock, flavoured};
use crate::confirm::{ConfirmedOperation, ExpectedOperation, refused};
use crate::error::{GatewayRejection, ResponseError};
use crate::monnet::{
    Config, CreateRequest, CreateResponse, StatusOperation, StatusQuery, StatusResponse,
    VerifiedNotification,
};
use crate::observe::MONNET;
use crate::operation::{self, AnswerError, Operation};
use crate::smilepayz::PERU_OFFSET;

/// What a Monnet client needs besides its transport.
#[derive(Clone)]
pub struct MonnetSettings {
    config: Config,
    clock: Arc<dyn Clock>,
}

impl MonnetSettings {
    /// Settings with the system clock.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            clock: Arc::new(SystemClock),
        }
    }

    /// Uses another clock (tests, simulations). The clock decides "today"
    /// (in Peru) for status-query date rules.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The gateway configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The record with our merchant id in it (the one it names, if any:
    /// a record naming another merchant then fails to confirm).
    fn ours(&self, record: &ExpectedOperation) -> ExpectedOperation {
        match record.merchant_id {
            Some(_) => record.clone(),
            None => record.clone().with_merchant_id(self.config.merchant_id()),
        }
    }

    /// Today in Peru, by the clock.
    pub fn today(&self) -> time::Date {
        self.clock.now().to_offset(PERU_OFFSET).date()
    }

    /// The create operation (it cannot fail: the request and the
    /// configuration were checked when built).
    pub fn create_operation(&self, request: &CreateRequest) -> Operation<CreateResponse> {
        operation::monnet::create(&self.config, request)
    }

    /// The status-query operation (dates checked against the clock's today).
    pub fn status_operation(
        &self,
        query: &StatusQuery,
    ) -> Result<Operation<StatusResponse>, crate::ValidationError> {
        operation::monnet::status_query(&self.config, query, self.today())
    }

    /// The reconciliation of an operation number: a status query read as
    /// found or not found.
    pub fn reconcile_operation_operation(
        &self,
        operation_number: &str,
    ) -> Result<Operation<OperationReconciliation>, crate::ValidationError> {
        let wanted = operation_number.to_owned();
        let merchant = self.config.merchant_id().to_owned();
        let op = self.status_operation(&StatusQuery::by_operation_number(operation_number))?;
        let description = op
            .description()
            .clone()
            .with_operation("reconcile_operation");
        Ok(op
            .map_answer(move |answer| match answer {
                Ok(answer) => Ok(reconcile(&merchant, &wanted, answer)),
                Err(AnswerError::Response(ResponseError::Rejected(r))) => {
                    Ok(OperationReconciliation::CannotTell(CannotTell::Rejected(r)))
                }
                Err(e) => Err(e),
            })
            .describe(description)
            .classify(|found| match found {
                OperationReconciliation::NotFound => "not_found",
                OperationReconciliation::Found(_) => "found",
                OperationReconciliation::CannotTell(_) => "cannot_tell",
            }))
    }
}

impl From<Config> for MonnetSettings {
    fn from(config: Config) -> Self {
        Self::new(config)
    }
}

impl std::fmt::Debug for MonnetSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonnetSettings")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Whether an operation exists at Monnet, per its status query: found, not
/// found, or cannot tell.
///
/// | answer | means | do |
/// |---|---|---|
/// | `Found` | Monnet lists it | use its state; do **not** create again |
/// | `NotFound` | Monnet answered for this merchant and lists no such operation | creating it again is safe (after a short wait: a create that timed out a moment ago may not be listed yet) |
/// | `CannotTell` | a refusal, or an answer for another merchant | reconcile again later, or escalate; never create anew |
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OperationReconciliation {
    /// Monnet answered for this merchant and lists no operation with this
    /// number: nothing was created, as far as its status service knows.
    NotFound,
    /// The operation exists, in this state.
    Found(StatusOperation),
    /// The answer does not say.
    CannotTell(CannotTell),
}

/// Why a Monnet reconciliation cannot tell.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CannotTell {
    /// Monnet refused the status query with a code.
    Rejected(GatewayRejection),
    /// The answer is about another merchant id than ours.
    ForeignMerchant {
        /// The `payinMerchantID` Monnet answered with.
        answered: String,
    },
}

impl OperationReconciliation {
    /// Whether the operation certainly exists.
    pub fn exists(&self) -> bool {
        matches!(self, OperationReconciliation::Found(_))
    }

    /// Whether the operation certainly does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, OperationReconciliation::NotFound)
    }
}

fn reconcile(
    merchant_id: &str,
    operation_number: &str,
    answer: StatusResponse,
) -> OperationReconciliation {
    if answer.merchant_id.trim() != merchant_id {
        return OperationReconciliation::CannotTell(CannotTell::ForeignMerchant {
            answered: answer.merchant_id,
        });
    }
    answer
        .operations
        .into_iter()
        .find(|op| op.merchant_operation_number == operation_number)
        .map_or(
            OperationReconciliation::NotFound,
            OperationReconciliation::Found,
        )
}

flavoured! {
    impl[] MonnetSettings {
        /// Creates a card pay-in through the PCI proxy. Redirect the
        /// shopper to the answer's URL; reaching the OK URL proves nothing
        /// (wait for the verified notification or query the status). On
        /// [`ClientError::OutcomeUnknown`](super::ClientError::OutcomeUnknown),
        /// call `reconcile_operation` before retrying.
        pub fn create(&self, request: &CreateRequest) -> CreateResponse => create_call;

        /// Queries operations by number and/or date range.
        pub fn status(&self, query: &StatusQuery) -> StatusResponse => status_call;

        /// Confirms a verified notification against your record: checks the
        /// notification's merchant id is ours and its (hash-bound only as a
        /// concatenation) operation number, amount and currency equal the
        /// record, then asks the status query by **your** operation number
        /// and requires an authorized or settled state with your amount and
        /// currency. The result is the only "safe to ship" for Monnet; every
        /// mismatch is a distinct [`NotConfirmed`](super::NotConfirmed).
        pub fn confirm_operation(
            &self,
            event: &VerifiedNotification,
            record: &ExpectedOperation,
        ) -> ConfirmedOperation => confirm_operation_call;

        /// Confirms an operation from your record alone (polling: a
        /// reconciler, a sweeper, a shopper back on the OK URL): asks the
        /// status query by **your** operation number and requires our
        /// merchant id, an authorized or settled state and your amount and
        /// currency, as [`ExpectedOperation::confirm`] does. The same "safe
        /// to ship" as `confirm_operation`'s.
        pub fn confirm_operation_status(&self, record: &ExpectedOperation) -> ConfirmedOperation
            => confirm_operation_status_call;

        /// Tells whether an operation exists, and in which state.
        pub fn reconcile_operation(&self, operation_number: &str) -> OperationReconciliation
            => reconcile_operation_call;
    }
}

/// The Monnet calls, built once for the blocking and the async client
/// alike (the public methods above forward here).
impl<C: Carrier> Client<MonnetSettings, C> {
    fn create_call(&self, request: &CreateRequest) -> Call<CreateResponse> {
        Call::Ready(self.settings.create_operation(request))
    }

    fn status_call(&self, query: &StatusQuery) -> Call<StatusResponse> {
        Call::from(self.settings.status_operation(query))
    }

    fn confirm_operation_call(
        &self,
        event: &VerifiedNotification,
        record: &ExpectedOperation,
    ) -> Call<ConfirmedOperation> {
        let record = self.settings.ours(record);
        if let Err(e) = record.check_notification(event) {
            return Call::NotConfirmed(refused(MONNET, &record.operation_number, e));
        }
        self.confirm_by_status(record, "confirm_operation")
    }

    fn confirm_operation_status_call(
        &self,
        record: &ExpectedOperation,
    ) -> Call<ConfirmedOperation> {
        self.confirm_by_status(self.settings.ours(record), "confirm_operation_status")
    }

    fn confirm_by_status(
        &self,
        record: ExpectedOperation,
        name: &'static str,
    ) -> Call<ConfirmedOperation> {
        let query = StatusQuery::by_operation_number(record.operation_number.clone());
        let op = self.settings.status_operation(&query).map(|op| {
            let description = op.description().clone().with_operation(name);
            op.map_answer(move |answer| Ok(record.confirm(&answer?)?))
                .describe(description)
                .classify(|_| "confirmed")
        });
        Call::from(op)
    }

    fn reconcile_operation_call(&self, operation_number: &str) -> Call<OperationReconciliation> {
        Call::from(
            self.settings
                .reconcile_operation_operation(operation_number),
        )
    }
}
