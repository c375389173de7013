//! Verified webhook events, as the inbox keeps them: the id made of
//! authenticated parts, the order number that finds the record, and what
//! the event claims — never the payer's personal data.

use pasarela_core::monnet::VerifiedNotification;
use pasarela_core::smilepayz::VerifiedCallback;
use pasarela_core::webhook::{Rejected, Reply, Verified};
use serde_json::json;

use crate::flows::EventOutcome;
use crate::payment::Gateway;
use crate::store::ops::InboxEvent;

/// A SmilePayz callback for the inbox (its payer block is left out).
pub(crate) fn smilepayz_event(callback: &VerifiedCallback) -> InboxEvent {
    let claims = callback.claims();
    let signed = callback.authenticated();
    InboxEvent {
        gateway: Gateway::Smilepayz,
        event_id: callback.event_id().as_str().to_owned(),
        order: claims.order_no.clone(),
        claim: claims.status.as_str().to_owned(),
        detail: json!({
            "tradeNo": signed.trade_no(),
            "timestamp": signed.timestamp().to_string(),
            "status": claims.status.as_str(),
            "merchantId": claims.merchant_id,
            "amount": claims.money.minor_units(),
            "currency": claims.money.currency().as_str(),
        }),
    }
}

/// A Monnet notification for the inbox.
pub(crate) fn monnet_event(notification: &VerifiedNotification) -> InboxEvent {
    let bound = notification.authenticated();
    let claims = notification.claims();
    InboxEvent {
        gateway: Gateway::Monnet,
        event_id: notification.event_id().as_str().to_owned(),
        order: bound.operation_number().to_owned(),
        claim: claims.state.id().to_string(),
        detail: json!({
            "merchantId": bound.merchant_id(),
            "amount": bound.amount_text(),
            "currency": bound.currency(),
            "state": claims.state.id(),
            "stateName": claims.state_name,
            "decline": claims.transaction_error.as_ref().map(|e| e.reason.code().to_owned()),
        }),
    }
}

/// What a webhook delivery came to: the reply for the gateway, and what
/// storing the event did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Received {
    /// The reply: the gateway's acknowledgement once the event is stored
    /// (or was before); `401`/`400` when it did not verify (nothing
    /// stored); `503` when it verified but could not be stored (the
    /// gateway delivers it again).
    pub reply: Reply,
    /// What storing it did, when it verified and was stored.
    pub event: Option<EventOutcome>,
    /// Why it was refused or not stored.
    pub error: Option<String>,
}

/// The retryable reply when the store is unavailable.
const RETRY: Reply = Reply::new(503, "text/plain", "RETRY");

impl Received {
    pub(crate) fn refused(rejected: Rejected) -> Self {
        Self {
            reply: rejected.reply,
            event: None,
            error: Some(rejected.error.to_string()),
        }
    }

    pub(crate) fn stored<T>(
        verified: &Verified<T>,
        stored: Result<EventOutcome, crate::StoreError>,
    ) -> Self {
        match stored {
            Ok(event) => Self {
                reply: verified.reply,
                event: Some(event),
                error: None,
            },
            Err(e) => Self {
                reply: RETRY,
                event: None,
                error: Some(e.to_string()),
            },
        }
    }

    /// The reply as an [`http::Response`].
    pub fn response<B: From<&'static str>>(&self) -> http::Response<B> {
        self.reply.to_response()
    }

    /// The payment to confirm now, when a new event asked for it.
    pub fn to_confirm(&self) -> Option<(Gateway, &str)> {
        self.event.as_ref().and_then(EventOutcome::to_confirm)
    }
}
