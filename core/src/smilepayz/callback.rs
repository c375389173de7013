//! Verify the gateway's callback (notification) to the merchant's
//! `callbackUrl`.
//!
//! # Verified is not confirmed
//!
//! The platform signs `tradeNo|X-TIMESTAMP` only. **The body is not
//! signed.** A callback that passes [`verify_callback`] proves that the
//! platform announced *something* about this `tradeNo` at this time — and,
//! within the tolerance, anyone who captured it can send it again with any
//! `status`, amount or `orderNo` in its body, and it verifies again.
//!
//! So [`VerifiedCallback`] keeps the two apart:
//!
//! - [`authenticated()`](VerifiedCallback::authenticated) — a
//!   [`CallbackAuth`]: `tradeNo` and `X-TIMESTAMP`, the facts the signature
//!   covers;
//! - [`claims()`](VerifiedCallback::claims) — [`CallbackClaims`]: status,
//!   amount, `orderNo`, merchant, payer... what the unsigned body *says*.
//!   **Do not act on claims.** Confirm them first: ask inquiry-status for
//!   the `tradeNo` and compare status, amount and currency with your own
//!   record of the order (the clients' confirmation step does exactly this)
//!   before shipping goods.
//!
//! # Duplicates and replays
//!
//! The gateway "may retry" deliveries, and a captured callback can be
//! replayed within the tolerance. Handle callbacks idempotently on
//! [`VerifiedCallback::event_id`], built from the authenticated parts only
//! (`tradeNo` + `X-TIMESTAMP`), **never** on the unsigned `orderNo`: keep
//! the ids you have handled for at least twice the tolerance, and treat a
//! second arrival of an id as a duplicate (answer [`CALLBACK_ACK_BODY`],
//! do nothing else) — a replay with an edited status has the same id.

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::model::{IdType, PaymentMethod, PeruLocalTime, TransactionStatus};
use super::schema::{self, Field, FieldType, FromWire, Presence};
use super::signature::{callback_string_to_sign, decode_signature};
use super::timestamp::{check_timestamp_window, parse_timestamp};
use crate::Money;
use crate::crypto::Verifier;
use crate::error::VerifyError;
use crate::json;
use crate::personal::{DocumentNumber, Email, PersonName, Phone};

/// The body the merchant must answer a callback with (HTTP 200).
pub const CALLBACK_ACK_BODY: &str = "SUCCESS";

/// The default allowed distance between a callback's `X-TIMESTAMP` and now.
pub const DEFAULT_CALLBACK_TOLERANCE: Duration = Duration::minutes(5);

/// The header carrying the callback timestamp.
pub const TIMESTAMP_HEADER: &str = "X-TIMESTAMP";
/// The header carrying the callback signature.
pub const SIGNATURE_HEADER: &str = "X-SIGNATURE";

/// What the callback signature covers: the `tradeNo` of the body and the
/// `X-TIMESTAMP` header. The only facts of a callback that are
/// authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallbackAuth {
    trade_no: String,
    timestamp: OffsetDateTime,
    timestamp_text: String,
}

impl CallbackAuth {
    /// The body fields the signature covers (`tradeNo`); with
    /// [`CallbackClaims::FIELDS`], the whole callback body.
    pub const BODY_FIELDS: &'static [Field] = &[Field::new(
        "tradeNo",
        "trade_no",
        Presence::NonEmpty,
        FieldType::Text,
        "the gateway's transaction number; signed with X-TIMESTAMP",
    )];

    /// The gateway's transaction number (signed).
    pub fn trade_no(&self) -> &str {
        &self.trade_no
    }

    /// The signed `X-TIMESTAMP`, as an instant.
    pub fn timestamp(&self) -> OffsetDateTime {
        self.timestamp
    }

    /// The signed `X-TIMESTAMP`, exactly as received (what was signed).
    pub fn timestamp_text(&self) -> &str {
        &self.timestamp_text
    }
}

/// The identity of one callback event, from its authenticated parts only:
/// `tradeNo|X-TIMESTAMP` (the signed string).
///
/// Two deliveries with the same id are the same signed event — a retry or a
/// replay, whatever their bodies say. Use it as the idempotency key of your
/// callback handling, and keep the ids you handled for at least twice the
/// tolerance to detect replays.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallbackEventId(String);

impl CallbackEventId {
    /// The id as text: `tradeNo|X-TIMESTAMP`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CallbackEventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

schema::response! {
    /// The payer block of a callback, as the body says (unsigned). Personal
    /// data: redacted types ([`crate::personal`]), masked in `Debug`.
    pub struct CallbackPayer as "Payer", wire CallbackPayerWire {
        /// Identity document type.
        id_type: IdType = "idType", Optional; "a document type (open set)";
        /// Identity document number (`identity`, or the staging docs'
        /// `idNumber`).
        identity: DocumentNumber = "identity", Optional alias "idNumber"; "text";
        /// Full name.
        name: PersonName = "name", Optional; "text";
        /// Phone number.
        phone: Phone = "phone", Optional; "text";
        /// E-mail address.
        email: Email = "email", Optional; "text";
    }
}

schema::response! {
    /// What a callback body says, apart from its `tradeNo`. **Unsigned
    /// claims**: anyone holding a captured callback can change them within
    /// the tolerance and the signature still verifies. Do not act on them:
    /// confirm with inquiry-status and your own record first (see
    /// [`verify_callback`]).
    pub struct CallbackClaims as "Callback", wire CallbackClaimsWire {
        /// The merchant's order number (claimed).
        order_no: String = "orderNo", NonEmpty; "the order number";
        /// Merchant id (claimed).
        merchant_id: String = "merchantId", NonEmpty; "the merchant id";
        /// Merchant name (marked mandatory in the seed; accepted absent).
        merchant_name: String = "merchantName", Optional; "text";
        /// Sub-merchant id.
        sub_merchant_id: String = "subMerchantId", Optional; "text";
        /// Sub-merchant name.
        sub_merchant_name: String = "subMerchantName", Optional; "text";
        /// Payment method (the seed's own example has none).
        payment_method: PaymentMethod = "paymentMethod", Optional; "a payment method code (open set)";
        /// When the transaction happened; without an offset, Peru time.
        transaction_time: OffsetDateTime = "transactionTime", NonEmpty via PeruLocalTime;
            "yyyy-MM-ddTHH:mm:ss, with an RFC 3339 offset or none (Peru time)";
        /// The new status (claimed).
        status: TransactionStatus = "status", NonEmpty; "a status (open set)";
        /// Amount and currency (claimed).
        money: Money = "money", Required; "amount in minor units and currency";
        /// Payer, when sent.
        payer: CallbackPayer = "payer", Optional; "the payer block";
    }
}

/// A callback whose signature verified and whose timestamp is within the
/// tolerance: authenticated facts and unsigned claims, kept apart.
///
/// This is **not** a confirmation: nothing here says "safe to ship". See
/// [`verify_callback`] for what is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCallback {
    authenticated: CallbackAuth,
    claims: CallbackClaims,
}

impl VerifiedCallback {
    /// What the signature covers: `tradeNo` and `X-TIMESTAMP`.
    pub fn authenticated(&self) -> &CallbackAuth {
        &self.authenticated
    }

    /// What the unsigned body says. Not to be acted on before confirmation.
    pub fn claims(&self) -> &CallbackClaims {
        &self.claims
    }

    /// The event identity, from authenticated parts only:
    /// `tradeNo|X-TIMESTAMP`.
    pub fn event_id(&self) -> CallbackEventId {
        CallbackEventId(callback_string_to_sign(
            &self.authenticated.trade_no,
            &self.authenticated.timestamp_text,
        ))
    }

    /// The two parts, by value.
    pub fn into_parts(self) -> (CallbackAuth, CallbackClaims) {
        (self.authenticated, self.claims)
    }
}

/// Every field of a callback body: the signed `tradeNo`
/// ([`CallbackAuth::BODY_FIELDS`]) and the unsigned claims
/// ([`CallbackClaims::FIELDS`]).
pub fn callback_body_fields() -> Vec<Field> {
    CallbackAuth::BODY_FIELDS
        .iter()
        .chain(CallbackClaims::FIELDS)
        .copied()
        .collect()
}

/// The signed part of the body.
#[derive(Deserialize)]
struct TradeNoWire {
    #[serde(rename = "tradeNo")]
    trade_no: Option<String>,
}

/// Verifies a callback and returns its authenticated facts and unsigned
/// claims, apart.
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
/// // Authenticated: the signature covers these.
/// assert_eq!(callback.authenticated().trade_no(), "151200012410241325417215");
/// // Idempotency key: authenticated parts only.
/// assert_eq!(callback.event_id().as_str(), "151200012410241325417215|2020-12-17T10:55:00-05:00");
/// // Claimed, not proven: confirm with inquiry-status before shipping.
/// assert_eq!(callback.claims().status.as_str(), "SUCCESS");
/// # Ok::<(), pasarela_core::KeyError>(())
/// ```
pub fn verify_callback(
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    platform: &(impl Verifier + ?Sized),
    now: OffsetDateTime,
    tolerance: Duration,
) -> Result<VerifiedCallback, VerifyError> {
    let outcome = (|| {
        let timestamp_text = timestamp
            .ok_or(VerifyError::MissingHeader(TIMESTAMP_HEADER))?
            .trim();
        let signature_text = signature.ok_or(VerifyError::MissingHeader(SIGNATURE_HEADER))?;
        let signed_at = parse_timestamp(timestamp_text).ok_or(VerifyError::MalformedTimestamp)?;
        let signature = decode_signature(signature_text)?;
        let signed: TradeNoWire = json::decode_callback(body)?;
        let trade_no = signed
            .trade_no
            .filter(|t| !t.is_empty())
            .ok_or(VerifyError::MissingField("tradeNo"))?;
        let message = callback_string_to_sign(&trade_no, timestamp_text);
        crate::crypto::verify_as(
            platform,
            super::signature::SIGNATURE_ALGORITHM,
            message.as_bytes(),
            &signature,
        )?;
        check_timestamp_window(signed_at, now, tolerance)?;
        let wire: <CallbackClaims as FromWire>::Wire = json::decode_callback(body)?;
        let claims = CallbackClaims::from_wire(wire).map_err(|e| VerifyError::MalformedBody {
            path: e.path,
            reason: e.reason.into_owned(),
        })?;
        Ok(VerifiedCallback {
            authenticated: CallbackAuth {
                trade_no,
                timestamp: signed_at,
                timestamp_text: timestamp_text.to_owned(),
            },
            claims,
        })
    })();
    crate::observe::verification(
        crate::observe::SMILEPAYZ,
        outcome.as_ref().map(|c| c.authenticated().trade_no()),
    );
    outcome
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
    ) -> Result<VerifiedCallback, VerifyError> {
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
        assert_eq!(cb.authenticated().trade_no(), "151200012410241325417215");
        assert_eq!(
            cb.authenticated().timestamp(),
            datetime!(2020-12-17 10:55:00 -5)
        );
        assert_eq!(cb.authenticated().timestamp_text(), TS);
        let claims = cb.claims();
        assert_eq!(claims.order_no, "2000102900000000000001");
        assert_eq!(claims.status, TransactionStatus::Success);
        assert_eq!(claims.money, Money::pen(20000));
        assert_eq!(claims.merchant_name.as_deref(), Some("test"));
        assert_eq!(claims.payment_method, None);
        assert_eq!(claims.payer, None);
    }

    fn edit(body: &[u8], from: &str, to: &str) -> Vec<u8> {
        String::from_utf8(body.to_vec())
            .unwrap()
            .replace(from, to)
            .into_bytes()
    }

    #[test]
    fn a_replay_with_edited_claims_has_the_same_event_id() {
        let s = sig("151200012410241325417215", TS);
        let genuine = check(Some(TS), Some(&s), BODY, NOW).unwrap();
        let forged_body = edit(
            &edit(BODY, r#""status":"SUCCESS""#, r#""status":"FAILED""#),
            "20000",
            "1",
        );
        // The signature does not cover the body: the forgery verifies...
        let replay = check(Some(TS), Some(&s), &forged_body, NOW + Duration::minutes(2)).unwrap();
        assert_eq!(replay.claims().status, TransactionStatus::Failed);
        assert_eq!(replay.claims().money, Money::pen(1));
        // ...but it is the same signed event, and its identity says so.
        assert_eq!(replay.event_id(), genuine.event_id());
        assert_eq!(replay.authenticated(), genuine.authenticated());
        assert_eq!(
            genuine.event_id().to_string(),
            "151200012410241325417215|2020-12-17T10:55:00-05:00"
        );
        // Another delivery (new timestamp, new signature) is another event.
        let later = "2020-12-17T10:56:00-05:00";
        let retry = check(
            Some(later),
            Some(&sig("151200012410241325417215", later)),
            BODY,
            NOW,
        )
        .unwrap();
        assert_ne!(retry.event_id(), genuine.event_id());
    }

    #[test]
    fn offsets_and_local_transaction_times_are_read() {
        // The docs' signature example uses `Z`; the PHP demo `+07:00`.
        for ts in ["2020-12-17T15:55:00Z", "2020-12-17T22:55:00+07:00"] {
            let s = sig("151200012410241325417215", ts);
            let cb = check(Some(ts), Some(&s), BODY, NOW).unwrap();
            assert_eq!(
                cb.authenticated().timestamp(),
                datetime!(2020-12-17 15:55:00 UTC)
            );
            assert_eq!(cb.authenticated().timestamp_text(), ts);
        }
        let s = sig("151200012410241325417215", TS);
        let local = edit(BODY, "2020-12-17T10:55:00-05:00", "2024-07-03T08:56:33");
        let cb = check(Some(TS), Some(&s), &local, NOW).unwrap();
        assert_eq!(
            cb.claims().transaction_time,
            datetime!(2024-07-03 08:56:33 -5)
        );
        for bad in [
            "2020-12-17T10:55:00.5-05:00",
            "+2020-12-17T10:55:00-05:00",
            "2020-12-17T10:55:00+24:00",
        ] {
            let body = edit(BODY, "2020-12-17T10:55:00-05:00", bad);
            assert!(
                matches!(
                    check(Some(TS), Some(&s), &body, NOW),
                    Err(VerifyError::MalformedBody { ref path, .. }) if path == "transactionTime"
                ),
                "{bad}"
            );
        }
        for bad in [
            "2020-12-17T10:55:00",
            "2020-12-17T10:55:00.000-05:00",
            "+2020-12-17T10:55:00-05:00",
            "2020-12-17T10:55:00-24:00",
        ] {
            assert_eq!(
                check(Some(bad), Some(&s), BODY, NOW),
                Err(VerifyError::MalformedTimestamp),
                "{bad}"
            );
        }
    }

    #[test]
    fn claims_follow_their_schema() {
        let s = sig("151200012410241325417215", TS);
        let with_payer = edit(
            BODY,
            r#""orderNo""#,
            r#""payer":{"name":"Ana","idType":"NID","idNumber":"123","email":""},"paymentMethod":"CASHIER_PE","orderNo""#,
        );
        let cb = check(Some(TS), Some(&s), &with_payer, NOW).unwrap();
        let payer = cb.claims().payer.clone().unwrap();
        assert_eq!(payer.name.as_ref().map(|n| n.expose()), Some("Ana"));
        assert_eq!(payer.identity.as_ref().map(|n| n.expose()), Some("123"));
        assert_eq!(payer.id_type, Some(IdType::Other("NID".into())));
        assert_eq!(payer.email, None, "an empty optional is unset");
        assert_eq!(cb.claims().payment_method, Some(PaymentMethod::CashierPe));
        let unknown = edit(BODY, r#""SUCCESS""#, r#""REFUNDED""#);
        assert_eq!(
            check(Some(TS), Some(&s), &unknown, NOW)
                .unwrap()
                .claims()
                .status,
            TransactionStatus::Other("REFUNDED".into())
        );
        for (from, to, path) in [
            (r#""orderNo":"2000102900000000000001","#, "", "orderNo"),
            (
                r#""merchantId":"20001","#,
                r#""merchantId":"","#,
                "merchantId",
            ),
            (r#""status":"SUCCESS","#, "", "status"),
            (r#""amount":20000"#, r#""amount":"20000""#, "money.amount"),
            (
                r#""currency":"PEN""#,
                r#""currency":"soles""#,
                "money.currency",
            ),
        ] {
            let body = edit(BODY, from, to);
            match check(Some(TS), Some(&s), &body, NOW) {
                Err(VerifyError::MalformedBody { path: p, .. }) => assert_eq!(p, path),
                other => panic!("{path}: {other:?}"),
            }
        }
        let fields: Vec<_> = callback_body_fields().iter().map(|f| f.wire).collect();
        assert_eq!(
            fields,
            [
                "tradeNo",
                "orderNo",
                "merchantId",
                "merchantName",
                "subMerchantId",
                "subMerchantName",
                "paymentMethod",
                "transactionTime",
                "status",
                "money",
                "payer"
            ]
        );
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
        let empty_trade = edit(BODY, "151200012410241325417215", "");
        assert_eq!(
            check(Some(TS), Some(&s), &empty_trade, NOW),
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
