//! The Monnet side (proxy create and status query). Built on the core's
//! Monnet module.

use time::OffsetDateTime;

use super::Inner;
use super::control::error;
use super::wire::{Outcome, SimRequest};

/// Handles a Monnet path; `None` when the path is not one.
pub(crate) fn handle(_sim: &Inner, _req: &SimRequest, _now: OffsetDateTime) -> Option<Outcome> {
    None
}

/// `POST /_simulator/monnet/complete`.
pub(crate) fn complete(_sim: &Inner, _req: &SimRequest, _now: OffsetDateTime) -> Outcome {
    Outcome::Reply(error(501, "not yet"))
}
