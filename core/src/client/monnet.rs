//! Monnet clients: card pay-in creation, status query, and reconciliation
//! after an unknown outcome.

use std::sync::Arc;

use super::{Call, Clock, Effect, SystemClock};
use crate::RawResponse;
use crate::error::ResponseError;
use crate::monnet::{
    Config, CreateRequest, CreateResponse, StatusOperation, StatusQuery, StatusResponse,
    parse_create_response, parse_status_response, prepare_create, prepare_status_query,
};
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

    fn today(&self) -> time::Date {
        self.clock.now().to_offset(PERU_OFFSET).date()
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

/// Whether an operation exists at Monnet, per its status query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationReconciliation {
    /// Monnet lists no operation with this number: nothing was created, as
    /// far as its status service knows. A create that timed out a moment
    /// ago may not be listed yet: query again after a short wait before
    /// creating it anew.
    NotFound,
    /// The operation exists, in this state.
    Found(StatusOperation),
}

impl OperationReconciliation {
    /// Whether the operation exists.
    pub fn exists(&self) -> bool {
        matches!(self, OperationReconciliation::Found(_))
    }
}

fn reconcile(operation_number: &str, answer: StatusResponse) -> OperationReconciliation {
    answer
        .operations
        .into_iter()
        .find(|op| op.merchant_operation_number == operation_number)
        .map_or(
            OperationReconciliation::NotFound,
            OperationReconciliation::Found,
        )
}

fn parse_create(r: RawResponse) -> Result<CreateResponse, ResponseError> {
    parse_create_response(r)
}

fn parse_status(r: RawResponse) -> Result<StatusResponse, ResponseError> {
    parse_status_response(r)
}

super::clients! {
    /// Blocking Monnet client over any [`BlockingTransport`](crate::transport::BlockingTransport).
    ///
    /// Cheap to clone; usable from many threads when the transport is.
    blocking MonnetClient;
    /// Async Monnet client over any [`AsyncTransport`](crate::transport::AsyncTransport).
    async AsyncMonnetClient;
    shared MonnetSettings;
    methods {
        /// Creates a card pay-in through the PCI proxy. Redirect the shopper
        /// to the answer's URL; reaching the OK URL proves nothing (wait for
        /// the verified notification or query the status). On
        /// [`ClientError::OutcomeUnknown`](super::ClientError::OutcomeUnknown),
        /// call `reconcile_operation` before retrying.
        fn create(&self, request: &CreateRequest) -> CreateResponse {
            let request = prepare_create(&self.shared.config, request)?;
            call!(Call { request, parse: parse_create, effect: Effect::Creates })
        }

        /// Queries operations by number and/or date range.
        fn status(&self, query: &StatusQuery) -> StatusResponse {
            let request = prepare_status_query(&self.shared.config, query, self.shared.today())?;
            call!(Call { request, parse: parse_status, effect: Effect::Reads })
        }

        /// Tells whether an operation exists, and in which state.
        fn reconcile_operation(&self, operation_number: &str) -> OperationReconciliation {
            let query = StatusQuery::by_operation_number(operation_number);
            let request = prepare_status_query(&self.shared.config, &query, self.shared.today())?;
            let answer = call!(Call { request, parse: parse_status, effect: Effect::Reads })?;
            Ok(reconcile(operation_number, answer))
        }
    }
}
