//! What the simulator's own endpoints (control API, hosted pages,
//! dashboard) take in and how they refuse it: reading a value from a query
//! string or form body, bounding a field's length, and the JSON error
//! answer `{"error": "..."}` naming what was wrong.

use serde_json::json;

use super::wire::{SimResponse, SimResponseExt};

/// Longest merchant id taken by the control API.
pub(crate) const MAX_MERCHANT_ID: usize = 40;

/// `400` naming `name` when `value` is longer than `max` characters (the
/// value itself is not echoed).
pub(crate) fn at_most(name: &str, value: &str, max: usize) -> Result<(), SimResponse> {
    if value.chars().count() > max {
        Err(error(
            400,
            format!("{name} is longer than {max} characters"),
        ))
    } else {
        Ok(())
    }
}

/// The value of `name` in a query string or form body.
pub(crate) fn form_value(encoded: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(encoded)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A JSON error answer: `status` with `{"error": message}`.
pub(crate) fn error(status: u16, message: impl Into<String>) -> SimResponse {
    SimResponse::json(status, &json!({"error": message.into()}))
}
