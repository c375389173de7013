//! Framework-agnostic webhook handling for both gateways.
//!
//! Hand over the raw request (headers and body bytes) as your HTTP framework
//! gives it; get back the verified, typed event **and** the exact response to
//! send, or the error and the response for a rejection:
//!
//! ```
//! use pasarela_core::crypto::{Backend, PublicKey};
//! use pasarela_core::webhook;
//!
//! # let platform = PublicKey::load(include_str!("../testdata/keys/platform_public_spki.pem")).unwrap();
//! let verifier = Backend::default().verifier(&platform).unwrap();
//! let headers = [("x-timestamp", "2020-12-17T10:55:00-05:00"), ("x-signature", "bm90IGEgc2lnbmF0dXJl")];
//! let body = br#"{"orderNo":"ORDER1","tradeNo":"T1","merchantId":"20001","status":"SUCCESS",
//!   "money":{"amount":20000,"currency":"PEN"},"transactionTime":"2020-12-17T10:55:00-05:00"}"#;
//! let now = time::macros::datetime!(2020-12-17 15:56:00 UTC);
//! let outcome = webhook::smilepayz_callback(headers, body, &*verifier, now);
//! let reply = match &outcome {
//!     Ok(verified) => &verified.reply,   // 200 "SUCCESS": record verified.event idempotently first
//!     Err(rejected) => &rejected.reply,  // 401 (forged) or 400 (malformed): not acknowledged
//! };
//! assert_eq!((reply.status, reply.body), (401, "FAIL")); // that signature is forged
//! ```
//!
//! Both gateways retry deliveries, so the same event can arrive more than
//! once: make the handling idempotent (keyed on `tradeNo`/`orderNo` for
//! SmilePayz, on the operation number and state for Monnet) and answer the
//! success reply to repeats too, or the gateway keeps retrying.

use time::OffsetDateTime;

use crate::crypto::Verifier;
use crate::error::VerifyError;
use crate::monnet::{NOTIFICATION_ACK_STATUS, VerifiedNotification, verify_notification};
use crate::secret::MonnetKey;
use crate::smilepayz::{
    CALLBACK_ACK_BODY, Callback, DEFAULT_CALLBACK_TOLERANCE, SIGNATURE_HEADER, TIMESTAMP_HEADER,
    verify_callback,
};

/// The HTTP response to send back to the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// `Content-Type` of the body.
    pub content_type: &'static str,
    /// Body, exactly.
    pub body: &'static str,
}

/// A verified event and the reply that acknowledges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<T> {
    /// The verified event.
    pub event: T,
    /// The acknowledgement to send (after recording the event).
    pub reply: Reply,
}

/// A webhook that did not verify, and the reply that refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Why it was refused.
    pub error: VerifyError,
    /// The refusal to send.
    pub reply: Reply,
}

/// SmilePayz's acknowledgement: HTTP 200 with the plain body `SUCCESS`.
pub const SMILEPAYZ_ACK: Reply = Reply {
    status: 200,
    content_type: "text/plain",
    body: CALLBACK_ACK_BODY,
};

/// Monnet's acknowledgement: HTTP 200.
pub const MONNET_ACK: Reply = Reply {
    status: NOTIFICATION_ACK_STATUS,
    content_type: "text/plain",
    body: "OK",
};

fn refusal(error: &VerifyError) -> Reply {
    let status = match error {
        VerifyError::SignatureMismatch
        | VerifyError::HashMismatch
        | VerifyError::TimestampOutsideTolerance { .. } => 401,
        _ => 400,
    };
    Reply {
        status,
        content_type: "text/plain",
        body: "FAIL",
    }
}

fn header<K: AsRef<str>, V: AsRef<str>>(
    headers: impl IntoIterator<Item = (K, V)>,
    wanted: &[&str],
) -> Vec<Option<String>> {
    let mut found: Vec<Option<String>> = vec![None; wanted.len()];
    for (name, value) in headers {
        for (slot, want) in found.iter_mut().zip(wanted) {
            if slot.is_none() && name.as_ref().eq_ignore_ascii_case(want) {
                *slot = Some(value.as_ref().to_owned());
            }
        }
    }
    found
}

/// Verifies a SmilePayz callback from raw headers and body with the default
/// 5-minute tolerance. Remember: the signature does not cover the body;
/// confirm amount and status with an inquiry before shipping goods.
pub fn smilepayz_callback<K: AsRef<str>, V: AsRef<str>>(
    headers: impl IntoIterator<Item = (K, V)>,
    body: &[u8],
    platform: &(impl Verifier + ?Sized),
    now: OffsetDateTime,
) -> Result<Verified<Callback>, Rejected> {
    let found = header(headers, &[TIMESTAMP_HEADER, SIGNATURE_HEADER]);
    let (timestamp, signature) = (found[0].as_deref(), found[1].as_deref());
    match verify_callback(
        timestamp,
        signature,
        body,
        platform,
        now,
        DEFAULT_CALLBACK_TOLERANCE,
    ) {
        Ok(event) => Ok(Verified {
            event,
            reply: SMILEPAYZ_ACK,
        }),
        Err(error) => Err(Rejected {
            reply: refusal(&error),
            error,
        }),
    }
}

/// Verifies a Monnet notification body for the merchant `merchant_id`.
pub fn monnet_notification(
    body: &[u8],
    key: &MonnetKey,
    merchant_id: &str,
) -> Result<Verified<VerifiedNotification>, Rejected> {
    match verify_notification(body, key, merchant_id) {
        Ok(event) => Ok(Verified {
            event,
            reply: MONNET_ACK,
        }),
        Err(error) => Err(Rejected {
            reply: refusal(&error),
            error,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{Backend, PrivateKey};
    use crate::monnet::payin_verification;
    use crate::smilepayz::sign_callback;
    use time::macros::datetime;

    #[test]
    fn smilepayz_reply_is_success_or_refusal() {
        let platform =
            PrivateKey::load(include_str!("../testdata/keys/platform_private_pkcs8.pem")).unwrap();
        let sig = sign_callback(
            &*Backend::Rsa.signer(&platform).unwrap(),
            "T1",
            "2020-12-17T10:55:00-05:00",
        )
        .unwrap();
        let verifier = Backend::Rsa.verifier(&platform.public_key()).unwrap();
        let body = br#"{"orderNo":"ORDER1","tradeNo":"T1","merchantId":"1","status":"SUCCESS","money":{"amount":100,"currency":"PEN"},"transactionTime":"2020-12-17T10:55:00-05:00"}"#;
        let now = datetime!(2020-12-17 15:55:30 UTC);
        let headers = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            (
                "X-Timestamp".to_owned(),
                "2020-12-17T10:55:00-05:00".to_owned(),
            ),
            ("x-signature".to_owned(), sig.clone()),
        ];
        let ok = smilepayz_callback(headers.clone(), body, &*verifier, now).unwrap();
        assert_eq!(ok.reply, SMILEPAYZ_ACK);
        assert_eq!(ok.reply.body, "SUCCESS");
        assert_eq!(ok.event.trade_no, "T1");
        let missing = smilepayz_callback(headers[..2].to_vec(), body, &*verifier, now).unwrap_err();
        assert_eq!(missing.error, VerifyError::MissingHeader("X-SIGNATURE"));
        assert_eq!(missing.reply.status, 400);
        let late = smilepayz_callback(headers, body, &*verifier, now + time::Duration::hours(1))
            .unwrap_err();
        assert_eq!(late.reply.status, 401);
    }

    #[test]
    fn monnet_reply_is_200_or_refusal() {
        let key = MonnetKey::new("TEST-ONLY-key");
        let hash = payin_verification("4001", "OP1", "150.00", "PEN", &key);
        let body = format!(
            r#"{{"payinStateID":"5","payinState":"Autorizado","payinStatusErrorCode":"","payinStatusErrorMessage":"","payinMerchantID":"4001","payinAmount":"150.00","payinCurrency":"PEN","payinMerchantOperationNumber":"OP1","payinMethod":"TCTD","payinVerification":"{hash}"}}"#
        );
        let ok = monnet_notification(body.as_bytes(), &key, "4001").unwrap();
        assert_eq!(ok.reply.status, 200);
        let bad = monnet_notification(body.replace("150.00", "1500.00").as_bytes(), &key, "4001")
            .unwrap_err();
        assert_eq!(
            (bad.error, bad.reply.status),
            (VerifyError::HashMismatch, 401)
        );
        assert_eq!(
            monnet_notification(b"nope", &key, "4001")
                .unwrap_err()
                .reply
                .status,
            400
        );
    }
}
