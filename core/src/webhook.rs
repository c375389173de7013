//! Webhooks from `http` types: an [`http::Request`] (or its headers and
//! body bytes) in, the verified event and the [`http::Response`] to send
//! back out.
//!
//! Build the verifier once ([`SmilepayzWebhook`], [`MonnetWebhook`]) and
//! share it between requests; hand each request over as the framework gives
//! it. Header names are matched case-insensitively, and an
//! `&http::HeaderMap` works directly (so do slices of name/value pairs):
//!
//! ```
//! use std::sync::Arc;
//! use pasarela_core::crypto::{Backend, PrivateKey, PublicKey};
//! use pasarela_core::smilepayz::sign_callback;
//! use pasarela_core::webhook::SmilepayzWebhook;
//!
//! # let platform_private = PrivateKey::load(include_str!("../testdata/keys/platform_private_pkcs8.pem"))?;
//! # let signature = sign_callback(&*Backend::Rsa.signer(&platform_private)?, "T1", "2020-12-17T10:55:00-05:00")?;
//! let platform = PublicKey::load(include_str!("../testdata/keys/platform_public_spki.pem"))?;
//! let webhook = SmilepayzWebhook::new(Backend::default().verifier(&platform)?); // once, at start-up
//!
//! // Per request (axum, actix, hyper and std servers all have an http::Request at hand):
//! let request = pasarela_core::http::Request::post("/smilepayz/callback")
//!     .header("X-Timestamp", "2020-12-17T10:55:00-05:00")
//!     .header("x-signature", signature)
//!     .body(br#"{"orderNo":"ORDER1","tradeNo":"T1","merchantId":"20001","status":"SUCCESS",
//!       "money":{"amount":20000,"currency":"PEN"},"transactionTime":"2020-12-17T10:55:00-05:00"}"#.to_vec())?;
//! # let webhook = webhook.with_clock(|| time::macros::datetime!(2020-12-17 15:56:00 UTC)); // the example's "now"
//! let response: pasarela_core::http::Response<String> = match webhook.verify_request(&request) {
//!     Ok(verified) => {
//!         // Record verified.event idempotently, then acknowledge. It is
//!         // *verified*, not *confirmed*: confirm with the client before shipping.
//!         assert_eq!(verified.event.authenticated().trade_no(), "T1");
//!         verified.response() // 200 "SUCCESS"
//!     }
//!     Err(rejected) => rejected.response(), // 401 (forged, stale), 400 (malformed), 503 (could not check)
//! };
//! assert_eq!((response.status().as_u16(), response.body().as_str()), (200, "SUCCESS"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Both gateways retry deliveries, so the same event can arrive more than
//! once: make the handling idempotent and answer the success reply to
//! repeats too, or the gateway keeps retrying. (A repeated *delivery* is
//! not a Monnet notification declined as a *duplicate transmission*,
//! [`DeclineReason::is_duplicate`](crate::monnet::DeclineReason::is_duplicate):
//! that one reports a card transaction the processor refused as a repeat,
//! whose first attempt may have gone through; reconcile the operation.)
//!
//! The replies (every refusal is `text/plain` `FAIL`; the gateways read
//! only the status and, for SmilePayz, the `SUCCESS` body):
//!
//! | outcome | status | body | the gateway |
//! |---|---|---|---|
//! | verified | 200 ([`SMILEPAYZ_ACK`], [`MONNET_ACK`]) | `SUCCESS` / `OK` | stops delivering |
//! | forged, stale, another merchant's, unverifiable hash ([`VerifyError::SignatureMismatch`], [`VerifyError::HashMismatch`], [`VerifyError::TimestampOutsideTolerance`], [`VerifyError::MerchantMismatch`], [`VerifyError::Unverified`]) | 401 | `FAIL` | may retry; it will fail again |
//! | malformed: a header or field missing or ill-formed | 400 | `FAIL` | may retry; it will fail again |
//! | could not check ([`VerifyError::VerifierFailed`]: a remote verifier down, or one checking another algorithm) | 503 | `FAIL` | retries later, when the check can succeed |
//!
//! A 503 is neither acceptance nor a verdict of forgery: the event is not
//! recorded, and the gateway's next delivery is checked again
//! ([`Rejected::is_retryable`]).

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::clock::{Clock, SystemClock};
use crate::crypto::Verifier;
use crate::error::VerifyError;
use crate::monnet::{NOTIFICATION_ACK_STATUS, VerifiedNotification, verify_notification};
use crate::secret::MonnetKey;
use crate::smilepayz::{
    CALLBACK_ACK_BODY, DEFAULT_CALLBACK_TOLERANCE, SIGNATURE_HEADER, TIMESTAMP_HEADER,
    VerifiedCallback, verify_callback,
};

/// The HTTP response to send back to the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// `Content-Type` of the body.
    pub content_type: &'static str,
    /// Body, exactly.
    pub body: &'static str,
}

impl Reply {
    /// A reply with this status, content type and body.
    pub const fn new(status: u16, content_type: &'static str, body: &'static str) -> Self {
        Self {
            status,
            content_type,
            body,
        }
    }

    /// The reply as an [`http::Response`] with any body type that can be
    /// made from a `&'static str` (`String`, `Vec<u8>`, `bytes::Bytes`,
    /// axum's and hyper's bodies).
    pub fn to_response<B: From<&'static str>>(&self) -> http::Response<B> {
        let mut response = http::Response::new(B::from(self.body));
        *response.status_mut() = http::StatusCode::from_u16(self.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(self.content_type),
        );
        response
    }
}

/// A verified event and the reply that acknowledges it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified<T> {
    /// The verified event.
    pub event: T,
    /// The acknowledgement to send (after recording the event).
    pub reply: Reply,
}

impl<T> Verified<T> {
    /// The acknowledgement as an [`http::Response`].
    pub fn response<B: From<&'static str>>(&self) -> http::Response<B> {
        self.reply.to_response()
    }
}

/// A webhook that did not verify, and the reply that refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejected {
    /// Why it was refused.
    pub error: VerifyError,
    /// The refusal to send.
    pub reply: Reply,
}

impl Rejected {
    /// Whether the refusal says "try again later" (HTTP 503) rather than
    /// "invalid": the verifier could not check
    /// ([`VerifyError::VerifierFailed`]), so the same delivery may verify
    /// once it can. Alert on these: a verifier that is down or misconfigured
    /// refuses every callback.
    pub fn is_retryable(&self) -> bool {
        matches!(self.error, VerifyError::VerifierFailed(_))
    }

    /// The refusal as an [`http::Response`].
    pub fn response<B: From<&'static str>>(&self) -> http::Response<B> {
        self.reply.to_response()
    }
}

/// SmilePayz's acknowledgement: HTTP 200 with the plain body `SUCCESS`.
pub const SMILEPAYZ_ACK: Reply = Reply::new(200, "text/plain", CALLBACK_ACK_BODY);

/// Monnet's acknowledgement: HTTP 200.
pub const MONNET_ACK: Reply = Reply::new(NOTIFICATION_ACK_STATUS, "text/plain", "OK");

/// The reply refusing an event that did not verify (the table in the
/// module docs): 401 when it is not authentic, 503 when it could not be
/// checked (the gateway should deliver it again later), 400 otherwise.
fn refusal(error: &VerifyError) -> Reply {
    let status = match error {
        VerifyError::SignatureMismatch
        | VerifyError::HashMismatch
        | VerifyError::Unverified(_)
        | VerifyError::MerchantMismatch(_)
        | VerifyError::TimestampOutsideTolerance { .. } => 401,
        // Neither valid nor proven forged: a retryable error, so that the
        // gateway delivers it again once the verifier can check.
        VerifyError::VerifierFailed(_) => 503,
        _ => 400,
    };
    Reply::new(status, "text/plain", "FAIL")
}

/// Request headers, looked up by name, case-insensitively.
///
/// Implemented for [`http::HeaderMap`] and for slices, arrays and vectors
/// of `(name, value)` pairs of strings.
pub trait Headers {
    /// The value of the first header named `name` (any case), if it is
    /// present and visible ASCII.
    fn header(&self, name: &str) -> Option<&str>;
}

impl Headers for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&str> {
        // `HeaderMap` lookups are case-insensitive; a non-ASCII value is
        // treated as absent (and then reported as a missing header).
        self.get(name).and_then(|v| v.to_str().ok())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for [(K, V)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(n, _)| n.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> Headers for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<T: Headers + ?Sized> Headers for &T {
    fn header(&self, name: &str) -> Option<&str> {
        (**self).header(name)
    }
}

/// Verifies SmilePayz callbacks: the platform's public key, the allowed
/// clock distance and the clock, held together and built once.
///
/// The signature covers `tradeNo|X-TIMESTAMP` only: a verified callback is
/// not a confirmed payment. Confirm it with the client's confirmation step
/// before shipping goods.
///
/// The timestamp window is checked against the webhook's [`Clock`] (the
/// system clock unless [`with_clock`](Self::with_clock) says otherwise, as
/// the clients do); the `*_at` methods take the time as an argument
/// instead (tests, replays of stored deliveries).
#[derive(Clone)]
pub struct SmilepayzWebhook {
    verifier: Arc<dyn Verifier + Send + Sync>,
    tolerance: Duration,
    clock: Arc<dyn Clock>,
}

impl SmilepayzWebhook {
    /// Verifies with the platform's public key, the default 5-minute
    /// tolerance ([`DEFAULT_CALLBACK_TOLERANCE`]) and the system clock.
    pub fn new(platform: Arc<dyn Verifier + Send + Sync>) -> Self {
        Self {
            verifier: platform,
            tolerance: DEFAULT_CALLBACK_TOLERANCE,
            clock: Arc::new(SystemClock),
        }
    }

    /// Allows another distance between `X-TIMESTAMP` and now, either way.
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Reads "now" from another clock (the one your clients use; a fixed
    /// one in tests).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The allowed distance between `X-TIMESTAMP` and now.
    pub fn tolerance(&self) -> Duration {
        self.tolerance
    }

    /// Verifies a callback from its headers and body bytes, now by the
    /// webhook's clock.
    pub fn verify(
        &self,
        headers: &(impl Headers + ?Sized),
        body: &[u8],
    ) -> Result<Verified<VerifiedCallback>, Rejected> {
        self.verify_at(headers, body, self.clock.now())
    }

    /// Verifies a callback from its headers and body bytes at `now`.
    pub fn verify_at(
        &self,
        headers: &(impl Headers + ?Sized),
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<Verified<VerifiedCallback>, Rejected> {
        let outcome = verify_callback(
            headers.header(TIMESTAMP_HEADER),
            headers.header(SIGNATURE_HEADER),
            body,
            &*self.verifier,
            now,
            self.tolerance,
        );
        wrap(outcome, SMILEPAYZ_ACK)
    }

    /// Verifies a callback from an [`http::Request`] (any body that is
    /// bytes: `Vec<u8>`, `Bytes`, `String`), now by the webhook's clock.
    pub fn verify_request<B: AsRef<[u8]>>(
        &self,
        request: &http::Request<B>,
    ) -> Result<Verified<VerifiedCallback>, Rejected> {
        self.verify_request_at(request, self.clock.now())
    }

    /// Verifies a callback from an [`http::Request`] at `now`.
    pub fn verify_request_at<B: AsRef<[u8]>>(
        &self,
        request: &http::Request<B>,
        now: OffsetDateTime,
    ) -> Result<Verified<VerifiedCallback>, Rejected> {
        self.verify_at(request.headers(), request.body().as_ref(), now)
    }

    /// Verifies a callback from request parts and the collected body (what
    /// frameworks that stream bodies hand over), now by the webhook's clock.
    pub fn verify_parts(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
    ) -> Result<Verified<VerifiedCallback>, Rejected> {
        self.verify_parts_at(parts, body, self.clock.now())
    }

    /// Verifies a callback from request parts and the collected body at
    /// `now`.
    pub fn verify_parts_at(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<Verified<VerifiedCallback>, Rejected> {
        self.verify_at(&parts.headers, body, now)
    }
}

impl std::fmt::Debug for SmilepayzWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmilepayzWebhook")
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

/// Verifies Monnet notifications with `KeyMonnet`, built once.
///
/// The hash covers the concatenation of merchant id, operation number,
/// amount and currency, not the state: a verified notification is not a
/// confirmed payment. Confirm it with the client's confirmation step before
/// shipping goods.
#[derive(Clone, Debug)]
pub struct MonnetWebhook {
    key: MonnetKey,
    merchant_id: String,
}

impl MonnetWebhook {
    /// Verifies with this `KeyMonnet`, for notifications naming the merchant
    /// `merchant_id` (a notification for another merchant is refused).
    pub fn new(key: MonnetKey, merchant_id: impl Into<String>) -> Self {
        Self {
            key,
            merchant_id: merchant_id.into(),
        }
    }

    /// Verifies with the key and merchant id of a Monnet configuration.
    pub fn from_config(config: &crate::monnet::Config) -> Self {
        Self::new(config.key().clone(), config.merchant_id())
    }

    /// Verifies a notification body (Monnet sends no signature header).
    pub fn verify(&self, body: &[u8]) -> Result<Verified<VerifiedNotification>, Rejected> {
        wrap(
            verify_notification(body, &self.key, &self.merchant_id),
            MONNET_ACK,
        )
    }

    /// Verifies a notification from an [`http::Request`].
    pub fn verify_request<B: AsRef<[u8]>>(
        &self,
        request: &http::Request<B>,
    ) -> Result<Verified<VerifiedNotification>, Rejected> {
        self.verify(request.body().as_ref())
    }

    /// Verifies a notification from request parts and the collected body
    /// (what frameworks that stream bodies hand over), as
    /// [`SmilepayzWebhook::verify_parts`] does. Monnet signs nothing in its
    /// headers, so only the body is read; the parts are taken so that
    /// both gateways' handlers have one shape.
    pub fn verify_parts(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
    ) -> Result<Verified<VerifiedNotification>, Rejected> {
        let _ = parts; // no header of Monnet's is signed or required
        self.verify(body)
    }
}

fn wrap<T>(outcome: Result<T, VerifyError>, ack: Reply) -> Result<Verified<T>, Rejected> {
    match outcome {
        Ok(event) => Ok(Verified { event, reply: ack }),
        Err(error) => Err(Rejected {
            reply: refusal(&error),
            error,
        }),
    }
}

/// Verifies a SmilePayz callback from headers and body with the default
/// 5-minute tolerance (a one-off [`SmilepayzWebhook`]).
pub fn smilepayz_callback(
    headers: &(impl Headers + ?Sized),
    body: &[u8],
    platform: &(impl Verifier + ?Sized),
    now: OffsetDateTime,
) -> Result<Verified<VerifiedCallback>, Rejected> {
    let outcome = verify_callback(
        headers.header(TIMESTAMP_HEADER),
        headers.header(SIGNATURE_HEADER),
        body,
        platform,
        now,
        DEFAULT_CALLBACK_TOLERANCE,
    );
    wrap(outcome, SMILEPAYZ_ACK)
}

/// Verifies a Monnet notification body for the merchant `merchant_id` (a
/// one-off [`MonnetWebhook`]).
pub fn monnet_notification(
    body: &[u8],
    key: &MonnetKey,
    merchant_id: &str,
) -> Result<Verified<VerifiedNotification>, Rejected> {
    wrap(verify_notification(body, key, merchant_id), MONNET_ACK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{Backend, PrivateKey};
    use crate::monnet::payin_verification;
    use crate::smilepayz::sign_callback;
    use time::macros::datetime;

    /// The callback the SmilePayz tests deliver (signed as `T1` at
    /// `2020-12-17T10:55:00-05:00`).
    const CALLBACK_BODY: &str = r#"{"orderNo":"ORDER1","tradeNo":"T1","merchantId":"1","status":"SUCCESS","money":{"amount":100,"currency":"PEN"},"transactionTime":"2020-12-17T10:55:00-05:00"}"#;

    /// The TEST ONLY platform key and its signature over `T1` at
    /// `2020-12-17T10:55:00-05:00`.
    fn signed_callback() -> (PrivateKey, String) {
        let platform =
            PrivateKey::load(include_str!("../testdata/keys/platform_private_pkcs8.pem")).unwrap();
        let sig = sign_callback(
            &*Backend::Rsa.signer(&platform).unwrap(),
            "T1",
            "2020-12-17T10:55:00-05:00",
        )
        .unwrap();
        (platform, sig)
    }

    #[test]
    fn smilepayz_reply_is_success_or_refusal() {
        let (platform, sig) = signed_callback();
        let verifier = Backend::Rsa.verifier(&platform.public_key()).unwrap();
        let body = CALLBACK_BODY.as_bytes();
        let now = datetime!(2020-12-17 15:55:30 UTC);
        let headers = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            (
                "X-Timestamp".to_owned(),
                "2020-12-17T10:55:00-05:00".to_owned(),
            ),
            ("x-signature".to_owned(), sig.clone()),
        ];
        let ok = smilepayz_callback(&headers, body, &*verifier, now).unwrap();
        assert_eq!(ok.reply, SMILEPAYZ_ACK);
        assert_eq!(ok.reply.body, "SUCCESS");
        assert_eq!(ok.event.authenticated().trade_no(), "T1");
        let missing = smilepayz_callback(&headers[..2], body, &*verifier, now).unwrap_err();
        assert_eq!(missing.error, VerifyError::MissingHeader("X-SIGNATURE"));
        assert_eq!(missing.reply.status, 400);
        let late = smilepayz_callback(&headers, body, &*verifier, now + time::Duration::hours(1))
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

    #[test]
    fn http_request_in_http_response_out() {
        let (platform, sig) = signed_callback();
        let webhook = SmilepayzWebhook::new(Backend::Rsa.verifier(&platform.public_key()).unwrap())
            .with_tolerance(time::Duration::seconds(30));
        let body = CALLBACK_BODY;
        let request = http::Request::post("/cb")
            .header("x-TIMESTAMP", "2020-12-17T10:55:00-05:00")
            .header("X-Signature", sig.as_str())
            .body(body.to_owned())
            .unwrap();
        let now = datetime!(2020-12-17 15:55:20 UTC);
        let ok = webhook.verify_request_at(&request, now).unwrap();
        let response: http::Response<Vec<u8>> = ok.response();
        assert_eq!(response.status(), 200);
        assert_eq!(response.body(), b"SUCCESS");
        assert_eq!(response.headers()["content-type"], "text/plain");
        // The HeaderMap directly, and parts + body.
        assert!(
            webhook
                .verify_at(request.headers(), body.as_bytes(), now)
                .is_ok()
        );
        let (parts, body) = request.into_parts();
        assert!(
            webhook
                .verify_parts_at(&parts, body.as_bytes(), now)
                .is_ok()
        );
        // The tolerance held in the value applies: 40 s is too late here.
        let late = webhook
            .verify_parts_at(&parts, body.as_bytes(), now + time::Duration::seconds(20))
            .unwrap_err();
        let refused: http::Response<String> = late.response();
        assert_eq!(
            (refused.status().as_u16(), refused.body().as_str()),
            (401, "FAIL")
        );
        // A missing header is a 400.
        let mut headers = parts.headers.clone();
        headers.remove("x-signature");
        let missing = webhook
            .verify_at(&headers, body.as_bytes(), now)
            .unwrap_err();
        assert_eq!(missing.error, VerifyError::MissingHeader("X-SIGNATURE"));
        assert_eq!(missing.response::<String>().status(), 400);
    }

    #[test]
    fn the_webhook_holds_a_clock_as_the_clients_do() {
        let (platform, sig) = signed_callback();
        let request = http::Request::post("/cb")
            .header("X-TIMESTAMP", "2020-12-17T10:55:00-05:00")
            .header("X-SIGNATURE", sig.as_str())
            .body(CALLBACK_BODY.as_bytes().to_vec())
            .unwrap();
        let verifier = Backend::Rsa.verifier(&platform.public_key()).unwrap();
        // The system clock by default: a 2020 callback is long stale.
        let stale = SmilepayzWebhook::new(verifier.clone())
            .verify_request(&request)
            .unwrap_err();
        assert!(matches!(
            stale.error,
            VerifyError::TimestampOutsideTolerance { .. }
        ));
        // The clock given (the clients' own, or a test's) decides "now".
        let webhook =
            SmilepayzWebhook::new(verifier).with_clock(|| datetime!(2020-12-17 15:56:00 UTC));
        assert!(webhook.verify_request(&request).is_ok());
        let (parts, body) = request.into_parts();
        assert!(webhook.verify_parts(&parts, &body).is_ok());
        assert!(webhook.verify(&parts.headers, &body).is_ok());
    }

    #[test]
    fn monnet_from_http_request() {
        let key = MonnetKey::new("TEST-ONLY-key");
        let hash = payin_verification("4001", "OP1", "150.00", "PEN", &key);
        let body = format!(
            r#"{{"payinStateID":"5","payinMerchantID":"4001","payinAmount":"150.00","payinCurrency":"PEN","payinMerchantOperationNumber":"OP1","payinVerification":"{hash}"}}"#
        );
        let webhook = MonnetWebhook::new(key.clone(), "4001");
        let request = http::Request::post("/n").body(body.into_bytes()).unwrap();
        let ok = webhook.verify_request(&request).unwrap();
        assert_eq!(ok.response::<String>().status(), 200);
        assert_eq!(ok.event.authenticated().operation_number(), "OP1");
        // Another merchant's notification is not ours, however well hashed.
        let theirs = MonnetWebhook::new(key, "4002")
            .verify_request(&request)
            .unwrap_err();
        assert_eq!(
            theirs.error,
            VerifyError::MerchantMismatch("payinMerchantID")
        );
        assert_eq!(theirs.response::<String>().status(), 401);
        assert!(!theirs.is_retryable());
        // Parts and the collected body, as a streaming framework hands them
        // over: the same verdicts.
        let (parts, body) = request.into_parts();
        let ok = webhook.verify_parts(&parts, &body).unwrap();
        assert_eq!(ok.event.authenticated().operation_number(), "OP1");
        assert_eq!(ok.response::<String>().status(), 200);
        let tampered = String::from_utf8(body).unwrap().replace("150.00", "1.50");
        let refused = webhook
            .verify_parts(&parts, tampered.as_bytes())
            .unwrap_err();
        assert_eq!(
            (refused.error.clone(), refused.reply.status),
            (VerifyError::HashMismatch, 401)
        );
        let malformed = webhook.verify_parts(&parts, b"{").unwrap_err();
        assert_eq!(malformed.reply.status, 400);
    }

    #[test]
    fn a_verifier_that_cannot_check_gets_a_retryable_503() {
        use crate::crypto::{SignatureAlgorithm, SignatureError};
        struct Down;
        impl Verifier for Down {
            fn algorithm(&self) -> SignatureAlgorithm {
                SignatureAlgorithm::RsaPkcs1v15Sha256
            }
            fn verify(&self, _: &[u8], _: &[u8]) -> Result<(), SignatureError> {
                Err(SignatureError::Unavailable("KMS timed out".into()))
            }
        }
        struct Pss;
        impl Verifier for Pss {
            fn algorithm(&self) -> SignatureAlgorithm {
                SignatureAlgorithm::RsaPssSha256
            }
            fn verify(&self, _: &[u8], _: &[u8]) -> Result<(), SignatureError> {
                Ok(())
            }
        }
        let (platform, sig) = signed_callback();
        let body = CALLBACK_BODY.as_bytes();
        let headers = [
            ("X-TIMESTAMP", "2020-12-17T10:55:00-05:00"),
            ("X-SIGNATURE", sig.as_str()),
        ];
        let now = datetime!(2020-12-17 15:55:30 UTC);
        for (verifier, reason) in [
            (
                Arc::new(Down) as Arc<dyn Verifier + Send + Sync>,
                SignatureError::Unavailable("KMS timed out".into()),
            ),
            (
                Arc::new(Pss),
                SignatureError::WrongAlgorithm {
                    required: SignatureAlgorithm::RsaPkcs1v15Sha256,
                    found: SignatureAlgorithm::RsaPssSha256,
                },
            ),
        ] {
            let rejected = SmilepayzWebhook::new(verifier)
                .verify_at(&headers, body, now)
                .unwrap_err();
            assert_eq!(rejected.error, VerifyError::VerifierFailed(reason));
            assert!(rejected.is_retryable());
            let response: http::Response<String> = rejected.response();
            assert_eq!(
                (response.status().as_u16(), response.body().as_str()),
                (503, "FAIL")
            );
            assert_eq!(response.headers()["content-type"], "text/plain");
        }
        // Any other refusal is not retryable.
        let forged = SmilepayzWebhook::new(Backend::Rsa.verifier(&platform.public_key()).unwrap())
            .verify_at(&headers, &body[1..], now)
            .unwrap_err();
        assert!(!forged.is_retryable(), "{:?}", forged.error);
    }
}
