//! Why a ledger call failed: [`LedgerError`].

use crate::payment::Gateway;
use crate::store::StoreError;

/// Why a ledger call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The database failed. Before a create was sent, nothing was
    /// decided; after it (the answer could not be recorded), the create may
    /// have reached the gateway: the record stays under its create lease,
    /// and a sweeper reconciles it once that runs out. Either way, check
    /// out the same order number again, never a new one.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request cannot be recorded (it is not the client's merchant's).
    #[error("cannot record this payment: {0}")]
    NotRecordable(String),
    /// Another payment (another merchant or amount) has this order number:
    /// use a new order number.
    #[error("order number {order} is taken by another {gateway} payment")]
    OrderTaken {
        /// The gateway.
        gateway: Gateway,
        /// The order number.
        order: String,
    },
}
