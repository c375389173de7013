//! How a call ended: [`ClientError`] (with [`Unknown`]), what the clients
//! and [`Answer::finish`](crate::operation::Answer::finish) classify every
//! failure into, and what a gateway's refusal means, where the gateway says
//! so.
//!
//! `ClientError` lives here, below both [`crate::operation`] (which
//! classifies) and [`crate::client`] (which drives, and re-exports it), so
//! that the two depend on each other one way only.
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

use std::fmt;

use crate::confirm::NotConfirmed;
use crate::error::{GatewayRejection, ParseError, PrepareError, SignError, ValidationError};

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
    /// The clients report [`ClientError::Duplicate`].
    DuplicateOrder,
    /// Pay-in: the gateway failed internally and may have recorded the
    /// payment. The clients report `OutcomeUnknown`.
    Indeterminate,
    /// Pay-in: the request was refused and nothing was created (a bad
    /// signature, a field rule): the clients report
    /// [`ClientError::Rejected`].
    /// Without this meaning, a pay-in code other than `00` leaves the
    /// outcome unknown: SmilePayz publishes no code list, and "nothing was
    /// created" is not a guess to make about money.
    Refused,
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
    /// The gateway refused the request because its order/operation number
    /// is already used: a payment with that number exists (made by an
    /// earlier attempt). Never create it anew under another number without
    /// reconciling: `reconcile_*` tells its state. Reported only where the
    /// code is known to mean this (SmilePayz: codes you configure; Monnet
    /// documents none).
    Duplicate(GatewayRejection),
    /// The gateway answered, and its answer does not confirm the payment
    /// against your record (amount or currency differs, unknown order,
    /// still pending, not paid, merchant id not ours, …): do not ship.
    NotConfirmed(NotConfirmed),
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
    /// A create got an error code with a 5xx status, or a code documented
    /// as an internal error (Monnet `0099`): a server failure may have
    /// struck after the payment was recorded.
    ServerRejection(GatewayRejection),
    /// A create was refused with a code whose meaning nobody configured:
    /// SmilePayz publishes no code list, so the code does not say whether
    /// the pay-in was created. Give the client the codes your account
    /// manager confirms (`SmilepayzSettings::with_code_meaning`,
    /// [`SmilepayzCodeMeaning::Refused`]).
    UnrecognizedCode(GatewayRejection),
}

impl<E> ClientError<E> {
    /// A short, stable name of the outcome for logs and metrics: `invalid`,
    /// `sign_failed`, `rejected`, `duplicate`, `not_confirmed`, `not_sent`,
    /// `outcome_unknown` or `invalid_response` (the `outcome` of a call's
    /// span and of `pasarela_calls_total`, see [`crate::observe`]).
    pub fn kind(&self) -> &'static str {
        match self {
            ClientError::Invalid(_) => "invalid",
            ClientError::Sign(_) => "sign_failed",
            ClientError::Rejected(_) => "rejected",
            ClientError::Duplicate(_) => "duplicate",
            ClientError::NotConfirmed(_) => "not_confirmed",
            ClientError::NotSent(_) => "not_sent",
            ClientError::OutcomeUnknown(_) => "outcome_unknown",
            ClientError::InvalidResponse(_) => "invalid_response",
        }
    }

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

    /// Whether the gateway said the order/operation number is already
    /// used (so a payment with it exists).
    pub fn is_duplicate(&self) -> bool {
        matches!(self, ClientError::Duplicate(_))
    }

    /// The gateway's refusal, when there was one (plain, duplicate, or with
    /// a server error on a create).
    pub fn rejection(&self) -> Option<&GatewayRejection> {
        match self {
            ClientError::Rejected(r)
            | ClientError::Duplicate(r)
            | ClientError::OutcomeUnknown(
                Unknown::ServerRejection(r) | Unknown::UnrecognizedCode(r),
            ) => Some(r),
            _ => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for ClientError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Invalid(e) => write!(f, "not sent: {e}"),
            ClientError::Sign(e) => write!(f, "not sent: {e}"),
            ClientError::Rejected(e) => e.fmt(f),
            ClientError::Duplicate(e) => write!(
                f,
                "duplicate: a payment with this number exists, reconcile it: {e}"
            ),
            ClientError::NotSent(e) => write!(f, "not sent (safe to retry): {e}"),
            ClientError::NotConfirmed(e) => write!(f, "not confirmed, do not ship: {e}"),
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
            ClientError::OutcomeUnknown(Unknown::UnrecognizedCode(e)) => write!(
                f,
                "outcome unknown (a code of no configured meaning), reconcile with a status \
                 query before retrying: {e}"
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
            ClientError::NotConfirmed(e) => Some(e),
            ClientError::Rejected(e)
            | ClientError::Duplicate(e)
            | ClientError::OutcomeUnknown(
                Unknown::ServerRejection(e) | Unknown::UnrecognizedCode(e),
            ) => Some(e),
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
