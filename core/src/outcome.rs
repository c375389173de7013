//! What a gateway's refusal means, where the gateway says so.
//!
//! - **Monnet** documents its create codes (`payinErrorCode` `0000`–`0099`):
//!   [`MonnetCreateCode`] (the same type as
//!   [`monnet::CreateCode`](crate::monnet::CreateCode)) types them, keeping
//!   the raw text of any other.
//!   None of them says "duplicate operation number", so a Monnet create
//!   rejection is never reported as a duplicate
//!   ([`MonnetCreateCode::is_duplicate`] is always `false`); `0099`
//!   (internal error) on a create leaves the outcome unknown: the clients
//!   report it as `OutcomeUnknown`, never as a clean refusal. A
//!   notification's decline reason `9094` (duplicate transmission) is
//!   recognised: [`DeclineReason::is_duplicate`](crate::monnet::DeclineReason::is_duplicate)
//!   (reconcile the operation number; the first transmission may have
//!   gone through).
//! - **SmilePayz** publishes no code list. Codes stay raw strings; give the
//!   client the meanings your account manager confirms
//!   ([`SmilepayzCodeMeaning`], through
//!   `SmilepayzSettings::with_code_meaning`). Until then, nothing is
//!   guessed: a pay-in refused with any code is an unknown outcome (the
//!   pay-in may exist: reconcile), never "nothing was created"; no
//!   rejection is a duplicate; and reconciliation answers "cannot tell"
//!   rather than "not found".

/// A Monnet create `payinErrorCode`: the same type as
/// [`monnet::CreateCode`](crate::monnet::CreateCode), named here beside the
/// other gateway's outcome types. One enum, so one reading of a code: a code
/// sent as a JSON number (`99`) is the documented one (`0099`) everywhere,
/// and [`settles_outcome`](crate::monnet::CreateCode::settles_outcome) is
/// what decides a create's "outcome unknown".
pub use crate::monnet::CreateCode as MonnetCreateCode;

/// What a SmilePayz response code means, as your account manager confirms
/// it (SmilePayz publishes no list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmilepayzCodeMeaning {
    /// Inquiry status: no transaction with this order or trade number.
    /// Reconciliation answers `NotFound` for it.
    NotFound,
    /// Pay-in: the order number is already used: a payment with it exists.
    /// The clients report [`ClientError::Duplicate`](crate::client::ClientError::Duplicate).
    DuplicateOrder,
    /// Pay-in: the gateway failed internally and may have recorded the
    /// payment. The clients report `OutcomeUnknown`.
    Indeterminate,
    /// Pay-in: the request was refused and nothing was created (a bad
    /// signature, a field rule): the clients report
    /// [`ClientError::Rejected`](crate::client::ClientError::Rejected).
    /// Without this meaning, a pay-in code other than `00` leaves the
    /// outcome unknown: SmilePayz publishes no code list, and "nothing was
    /// created" is not a guess to make about money.
    Refused,
}
