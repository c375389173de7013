//! Verify the gateway's callback (notification) to the merchant's
//! `callbackUrl`.
//!
//! # What the signature covers — and what it does not
//!
//! The platform signs `tradeNo|X-TIMESTAMP` only. **The body is not
//! signed**: a verified callback proves that the platform announced
//! something about this `tradeNo` at this time, not that the amount, status
//! or any other body field is genuine. Before shipping goods, confirm status
//! and amount with [`prepare_inquiry_status`](super::prepare_inquiry_status)
//! (the clients' `reconcile` helper does exactly that).
//!
//! The gateway retries deliveries it considers failed, so the same callback
//! can arrive more than once: handle it idempotently on `tradeNo`/`orderNo`,
//! and answer every verified one with [`CALLBACK_ACK_BODY`].

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::model::{Money, Payer, PaymentMethod, TransactionStatus};
use super::signature::{callback_string_to_sign, decode_signature};
use super::timestamp::{check_timestamp_window, parse_timestamp};
use crate::crypto::Verifier;
use crate::error::VerifyError;
use crate::json;

/// The body the merchant must answer a callback with (HTTP 200).
pub const CALLBACK_ACK_BODY: &str = "SUCCESS";

/// The default allowed distance between a callback's `X-TIMESTAMP` and now.
pub const DEFAULT_CALLBACK_TOLERANCE: Duration = Duration::minutes(5);

/// The header carrying the callback timestamp.
pub const TIMESTAMP_HEADER: &str = "X-TIMESTAMP";
/// The header carrying the callback signature.
pub const SIGNATURE_HEADER: &str = "X-SIGNATURE";

/// A verified callback.
///
/// Only `trade_no` and `timestamp` are covered by the signature: confirm the
/// rest with a status inquiry before acting on money (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The merchant's order number.
    pub order_no: String,
    /// The gateway's transaction number (signed).
    pub trade_no: String,
    /// Merchant id.
    pub merchant_id: String,
    /// Merchant name.
    pub merchant_name: Option<String>,
    /// Sub-merchant id.
    pub sub_merchant_id: Option<String>,
    /// Sub-merchant name.
    pub sub_merchant_name: Option<String>,
    /// Payment method.
    pub payment_method: Option<PaymentMethod>,
    /// When the transaction happened.
    pub transaction_time: OffsetDateTime,
    /// New status of the transaction.
    pub status: TransactionStatus,
    /// Amount and currency, as the (unsigned) body says.
    pub money: Money,
    /// Payer, when sent.
    pub payer: Option<Payer>,
    /// The signed `X-TIMESTAMP`.
    pub timestamp: OffsetDateTime,
}

// `merchantName` and `paymentMethod` are marked mandatory in the seed's
// table, but the seed's own callback example has no `paymentMethod`: both are
// optional here so that a genuine callback is never refused for them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCallback {
    order_no: String,
    #[serde(default)]
    trade_no: Option<String>,
    merchant_id: String,
    #[serde(default)]
    merchant_name: Option<String>,
    #[serde(default)]
    sub_merchant_id: Option<String>,
    #[serde(default)]
    sub_merchant_name: Option<String>,
    #[serde(default)]
    payment_method: Option<PaymentMethod>,
    transaction_time: String,
    status: TransactionStatus,
    money: Money,
    #[serde(default)]
    payer: Option<Payer>,
}

/// Verifies a callback and returns it typed.
///
/// `timestamp` and `signature` are the `X-TIMESTAMP` and `X-SIGNATURE`
/// header values (`None` when absent); `body` the raw body bytes;
/// `platform` a verifier for the platform's public key; `tolerance` the
/// allowed distance between the timestamp and `now`, either way
/// ([`DEFAULT_CALLBACK_TOLERANCE`] unless you have a reason).
///
/// ```
/// use pasarela_core::crypto::{Backend, PrivateKey, PublicKey};
/// use pasarela_core::smilepayz::{sign_callback, verify_callback, DEFAULT_CALLBACK_TOLERANCE};
/// use time::macros::datetime;
///
/// # let platform_private = PrivateKey::load(include_str!("../../testdata/keys/platform_private_pkcs8.pem"))?;
/// # let signature = sign_callback(&*Backend::Rsa.signer(&platform_private)?, "151200012410241325417215", "2020-12-17T10:55:00-05:00").unwrap();
/// let platform = PublicKey::load(include_str!("../../testdata/keys/platform_public_spki.b64"))?;
/// let verifier = Backend::default().verifier(&platform)?;
/// let body = br#"{"merchantId":"20001","merchantName":"test","money":{"amount":20000,"currency":"PEN"},
///   "orderNo":"2000102900000000000001","status":"SUCCESS","tradeNo":"151200012410241325417215",
///   "transactionTime":"2020-12-17T10:55:00-05:00"}"#;
/// let callback = verify_callback(
///     Some("2020-12-17T10:55:00-05:00"),
///     Some(&signature),
///     body,
///     &*verifier,
///     datetime!(2020-12-17 15:57:00 UTC),
///     DEFAULT_CALLBACK_TOLERANCE,
/// ).unwrap();
/// assert_eq!(callback.trade_no, "151200012410241325417215");
/// # Ok::<(), pasarela_core::KeyError>(())
/// ```
pub fn verify_callback(
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    platform: &(impl Verifier + ?Sized),
    now: OffsetDateTime,
    tolerance: Duration,
) -> Result<Callback, VerifyError> {
    let timestamp_text = timestamp.ok_or(VerifyError::MissingHeader(TIMESTAMP_HEADER))?;
    let signature_text = signature.ok_or(VerifyError::MissingHeader(SIGNATURE_HEADER))?;
    let signed_at =
        parse_timestamp(timestamp_text.trim()).ok_or(VerifyError::MalformedTimestamp)?;
    let signature = decode_signature(signature_text)?;
    let wire: WireCallback = json::decode_callback(body)?;
    let trade_no = wire.trade_no.ok_or(VerifyError::MissingField("tradeNo"))?;
    let message = callback_string_to_sign(&trade_no, timestamp_text.trim());
    crate::crypto::verify_as(
        platform,
        super::signature::SIGNATURE_ALGORITHM,
        message.as_bytes(),
        &signature,
    )?;
    check_timestamp_window(signed_at, now, tolerance)?;
    let transaction_time =
        parse_timestamp(&wire.transaction_time).ok_or_else(|| VerifyError::MalformedBody {
            path: "transactionTime".to_owned(),
            reason: "not a yyyy-MM-ddTHH:mm:ss±HH:mm timestamp".to_owned(),
        })?;
    Ok(Callback {
        order_no: wire.order_no,
        trade_no,
        merchant_id: wire.merchant_id,
        merchant_name: wire.merchant_name,
        sub_merchant_id: wire.sub_merchant_id,
        sub_merchant_name: wire.sub_merchant_name,
        payment_method: wire.payment_method,
        transaction_time,
        status: wire.status,
        money: wire.money,
        payer: wire.payer,
        timestamp: signed_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{Backend, PrivateKey, PublicKey};
    use crate::smilepayz::sign_callback;
    use time::macros::datetime;

    const TS: &str = "2020-12-17T10:55:00-05:00";
    const BODY: &[u8] = br#"{"merchantId":"20001","merchantName":"test","money":{"amount":20000,"currency":"PEN"},"orderNo":"2000102900000000000001","status":"SUCCESS","tradeNo":"151200012410241325417215","transactionTime":"2020-12-17T10:55:00-05:00"}"#;
    const NOW: OffsetDateTime = datetime!(2020-12-17 15:56:00 UTC);

    fn platform() -> PrivateKey {
        PrivateKey::load(include_str!(
            "../../testdata/keys/platform_private_pkcs8.pem"
        ))
        .unwrap()
    }

    fn sig(trade_no: &str, ts: &str) -> String {
        sign_callback(&*Backend::Rsa.signer(&platform()).unwrap(), trade_no, ts).unwrap()
    }

    fn check(
        ts: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<Callback, VerifyError> {
        let mut results = Backend::ALL.iter().map(|b| {
            let v = b.verifier(&platform().public_key()).unwrap();
            verify_callback(ts, signature, body, &*v, now, DEFAULT_CALLBACK_TOLERANCE)
        });
        let first = results.next().unwrap();
        for other in results {
            assert_eq!(other, first, "backends disagree");
        }
        first
    }

    #[test]
    fn genuine_callback_is_accepted() {
        let s = sig("151200012410241325417215", TS);
        let cb = check(Some(TS), Some(&s), BODY, NOW).unwrap();
        assert_eq!(cb.order_no, "2000102900000000000001");
        assert_eq!(cb.status, TransactionStatus::Success);
        assert_eq!(cb.money, Money::pen(20000));
        assert_eq!(cb.merchant_name.as_deref(), Some("test"));
        assert_eq!(cb.payment_method, None);
        assert_eq!(cb.timestamp, datetime!(2020-12-17 10:55:00 -5));
    }

    #[test]
    fn each_tampering_has_its_own_error() {
        let s = sig("151200012410241325417215", TS);
        let other_trade = String::from_utf8(BODY.to_vec())
            .unwrap()
            .replace("151200012410241325417215", "151200012410241325417216");
        assert_eq!(
            check(Some(TS), Some(&s), other_trade.as_bytes(), NOW),
            Err(VerifyError::SignatureMismatch)
        );
        assert_eq!(
            check(Some("2020-12-17T10:55:01-05:00"), Some(&s), BODY, NOW),
            Err(VerifyError::SignatureMismatch)
        );
        let mut altered = s.clone().into_bytes();
        altered[10] = if altered[10] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert_eq!(
            check(Some(TS), Some(&altered), BODY, NOW),
            Err(VerifyError::SignatureMismatch)
        );
        let merchant = PrivateKey::load(include_str!(
            "../../testdata/keys/merchant_private_pkcs8.pem"
        ))
        .unwrap();
        let wrong_key = sign_callback(
            &*Backend::Rsa.signer(&merchant).unwrap(),
            "151200012410241325417215",
            TS,
        )
        .unwrap();
        assert_eq!(
            check(Some(TS), Some(&wrong_key), BODY, NOW),
            Err(VerifyError::SignatureMismatch)
        );
        assert_eq!(
            check(Some(TS), Some("not base64!"), BODY, NOW),
            Err(VerifyError::BadBase64)
        );
        assert_eq!(
            check(None, Some(&s), BODY, NOW),
            Err(VerifyError::MissingHeader("X-TIMESTAMP"))
        );
        assert_eq!(
            check(Some(TS), None, BODY, NOW),
            Err(VerifyError::MissingHeader("X-SIGNATURE"))
        );
        assert_eq!(
            check(Some("2020-12-17 10:55:00"), Some(&s), BODY, NOW),
            Err(VerifyError::MalformedTimestamp)
        );
        assert!(matches!(
            check(Some(TS), Some(&s), b"{not json", NOW),
            Err(VerifyError::MalformedBody { .. })
        ));
        let no_trade = br#"{"merchantId":"1","money":{"amount":100,"currency":"PEN"},"orderNo":"123456","status":"SUCCESS","transactionTime":"2020-12-17T10:55:00-05:00"}"#;
        assert_eq!(
            check(Some(TS), Some(&s), no_trade, NOW),
            Err(VerifyError::MissingField("tradeNo"))
        );
    }

    #[test]
    fn timestamp_tolerance_applies_both_ways() {
        let s = sig("151200012410241325417215", TS);
        let signed = datetime!(2020-12-17 15:55:00 UTC);
        assert!(check(Some(TS), Some(&s), BODY, signed + Duration::minutes(5)).is_ok());
        assert!(check(Some(TS), Some(&s), BODY, signed - Duration::minutes(5)).is_ok());
        assert_eq!(
            check(Some(TS), Some(&s), BODY, signed + Duration::seconds(301)),
            Err(VerifyError::TimestampOutsideTolerance {
                skew_secs: -301,
                tolerance_secs: 300
            })
        );
        assert_eq!(
            check(Some(TS), Some(&s), BODY, signed - Duration::seconds(301)),
            Err(VerifyError::TimestampOutsideTolerance {
                skew_secs: 301,
                tolerance_secs: 300
            })
        );
    }

    #[test]
    fn public_key_forms_all_verify() {
        let s = sig("151200012410241325417215", TS);
        for text in [
            include_str!("../../testdata/keys/platform_public_spki.b64"),
            include_str!("../../testdata/keys/platform_public_spki.pem"),
            include_str!("../../testdata/keys/platform_public_pkcs1.pem"),
        ] {
            let v = Backend::Rsa
                .verifier(&PublicKey::load(text).unwrap())
                .unwrap();
            assert!(
                verify_callback(
                    Some(TS),
                    Some(&s),
                    BODY,
                    &*v,
                    NOW,
                    DEFAULT_CALLBACK_TOLERANCE
                )
                .is_ok()
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn verify_never_panics(
            ts in proptest::option::of(".{0,40}"),
            sig in proptest::option::of("[A-Za-z0-9+/=]{0,400}"),
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        ) {
            let v = Backend::Rsa.verifier(&platform().public_key()).unwrap();
            let _ = verify_callback(ts.as_deref(), sig.as_deref(), &body, &*v, NOW, DEFAULT_CALLBACK_TOLERANCE);
            let _ = verify_callback(Some(TS), sig.as_deref(), &body, &*v, NOW, Duration::MAX);
        }
    }
}
