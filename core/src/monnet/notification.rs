//! Monnet's payment notification: verified before anything acts on it.

use serde::Deserialize;

use crate::error::VerifyError;
use crate::json::decode_callback;
use crate::secret::MonnetKey;

use super::amount::Amount;
use super::state::{PayinState, parse_state_id};
use super::verification::{hex_matches, payin_digest};
use super::wire::{NOT_AN_OBJECT, Scalar, is_object};

/// The HTTP status the merchant answers a notification with once it has
/// verified and recorded it. Answer anything else (e.g. 400) when
/// [`verify_notification`] fails.
pub const NOTIFICATION_ACK_STATUS: u16 = 200;

/// A verified notification.
///
/// Numeric fields are kept as the text received (`"150.0"` stays
/// `"150.0"`): that is what the hash covered.
///
/// The hash covers only the merchant id, operation number, amount and
/// currency, not the state: before shipping goods, confirm the state with a
/// status query ([`prepare_status_query`](super::prepare_status_query)).
/// Monnet may deliver the same notification more than once; handle it
/// idempotently on [`merchant_operation_number`](Self::merchant_operation_number).
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// `payinStateID` (with `payinState`) as a state.
    pub state: PayinState,
    /// `payinState`: the state's text, e.g. `"Autorizado"`.
    pub state_text: Option<String>,
    /// `payinStatusErrorCode`.
    pub status_error_code: Option<String>,
    /// `payinStatusErrorMessage`.
    pub status_error_message: Option<String>,
    /// `payinMerchantID`, as received.
    pub merchant_id: String,
    /// `payinAmount`, as received (`"150.0"`, `"150.00"`, …); see
    /// [`amount`](Self::amount).
    pub amount_text: String,
    /// `payinCurrency`.
    pub currency: String,
    /// `payinMerchantOperationNumber`: your reference from the create call.
    pub merchant_operation_number: String,
    /// `payinMethod`.
    pub method: Option<String>,
    /// `payinVerification`, as received (it verified).
    pub verification: String,
    /// `additionalInformation`, when sent.
    pub additional_information: Option<Vec<serde_json::Value>>,
    /// `errorDetails`, when sent.
    pub error_details: Option<serde_json::Map<String, serde_json::Value>>,
    /// `codeErrorTrx`, when sent.
    pub code_error_trx: Option<String>,
    /// `messageErrorTrx`, when sent.
    pub message_error_trx: Option<String>,
}

impl Notification {
    /// The amount in cents, if the received text is a plain decimal with at
    /// most two decimals.
    pub fn amount(&self) -> Option<Amount> {
        Amount::parse(&self.amount_text).ok()
    }
}

#[derive(Deserialize)]
struct Wire {
    #[serde(rename = "payinStateID")]
    state_id: Option<Scalar>,
    #[serde(rename = "payinState")]
    state: Option<Scalar>,
    #[serde(rename = "payinStatusErrorCode")]
    status_error_code: Option<Scalar>,
    #[serde(rename = "payinStatusErrorMessage")]
    status_error_message: Option<Scalar>,
    #[serde(rename = "payinMerchantID")]
    merchant_id: Option<Scalar>,
    #[serde(rename = "payinAmount")]
    amount: Option<Scalar>,
    #[serde(rename = "payinCurrency")]
    currency: Option<Scalar>,
    #[serde(rename = "payinMerchantOperationNumber")]
    operation_number: Option<Scalar>,
    #[serde(rename = "payinMethod")]
    method: Option<Scalar>,
    #[serde(rename = "payinVerification")]
    verification: Option<Scalar>,
    #[serde(rename = "additionalInformation")]
    additional_information: Option<Vec<serde_json::Value>>,
    #[serde(rename = "errorDetails")]
    error_details: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(rename = "codeErrorTrx")]
    code_error_trx: Option<Scalar>,
    #[serde(rename = "messageErrorTrx")]
    message_error_trx: Option<Scalar>,
}

fn need(value: Option<Scalar>, field: &'static str) -> Result<String, VerifyError> {
    value.map(|s| s.0).ok_or(VerifyError::MissingField(field))
}

/// Verifies a notification body with `KeyMonnet`.
///
/// Recomputes `payinVerification` = SHA-512 of `payinMerchantID +
/// payinMerchantOperationNumber + payinAmount + payinCurrency + KeyMonnet`
/// over the values exactly as received (a JSON number contributes its
/// original text), and compares it with the received one in constant time,
/// ignoring hex case.
///
/// Errors: [`VerifyError::MalformedBody`] when the body is not a JSON object
/// or a field has the wrong type; [`VerifyError::MissingField`] when a hashed
/// field, `payinVerification` or `payinStateID` is absent or `null`;
/// [`VerifyError::HashMismatch`] when the hash differs. On success answer
/// with [`NOTIFICATION_ACK_STATUS`].
pub fn verify_notification(body: &[u8], key: &MonnetKey) -> Result<Notification, VerifyError> {
    let wire: Wire = decode_callback(body)?;
    if !is_object(body) {
        return Err(VerifyError::MalformedBody {
            path: ".".to_owned(),
            reason: NOT_AN_OBJECT.to_owned(),
        });
    }
    let merchant_id = need(wire.merchant_id, "payinMerchantID")?;
    let operation_number = need(wire.operation_number, "payinMerchantOperationNumber")?;
    let amount_text = need(wire.amount, "payinAmount")?;
    let currency = need(wire.currency, "payinCurrency")?;
    let verification = need(wire.verification, "payinVerification")?;
    let state_id = need(wire.state_id, "payinStateID")?;

    let digest = payin_digest(
        &merchant_id,
        &operation_number,
        &amount_text,
        &currency,
        key,
    );
    if !hex_matches(&digest, &verification) {
        return Err(VerifyError::HashMismatch);
    }

    let state_text = wire.state.map(|s| s.0);
    let id = parse_state_id(&state_id).ok_or_else(|| VerifyError::MalformedBody {
        path: "payinStateID".to_owned(),
        reason: "expected a non-negative integer state id".to_owned(),
    })?;
    Ok(Notification {
        state: PayinState::from_id(id, state_text.as_deref()),
        state_text,
        status_error_code: wire.status_error_code.map(|s| s.0),
        status_error_message: wire.status_error_message.map(|s| s.0),
        merchant_id,
        amount_text,
        currency,
        merchant_operation_number: operation_number,
        method: wire.method.map(|s| s.0),
        verification,
        additional_information: wire.additional_information,
        error_details: wire.error_details,
        code_error_trx: wire.code_error_trx.map(|s| s.0),
        message_error_trx: wire.message_error_trx.map(|s| s.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monnet::payin_verification;
    use proptest::prelude::*;

    const KEY: &str = "k3y-Mönnet-s3cr3t";

    fn key() -> MonnetKey {
        MonnetKey::new(KEY)
    }

    /// A notification body whose hash covers `amount_json`'s text.
    fn body(
        amount_json: &str,
        amount_text: &str,
        merchant_json: &str,
        merchant_text: &str,
    ) -> String {
        let hash = payin_verification(merchant_text, "ORD-000123", amount_text, "PEN", &key());
        format!(
            r#"{{"payinStateID":"5","payinState":"Autorizado","payinStatusErrorCode":"00","payinStatusErrorMessage":"OK","payinMerchantID":{merchant_json},"payinAmount":{amount_json},"payinCurrency":"PEN","payinMerchantOperationNumber":"ORD-000123","payinMethod":"TCTD","payinVerification":"{hash}"}}"#
        )
    }

    #[test]
    fn verifies_amount_as_sent_string_or_number() {
        for (json, text) in [
            (r#""150.0""#, "150.0"),
            (r#""150.00""#, "150.00"),
            ("150.0", "150.0"),
            ("150.00", "150.00"),
            ("150", "150"),
        ] {
            for (mj, mt) in [(r#""4001""#, "4001"), ("4001", "4001")] {
                let n = verify_notification(body(json, text, mj, mt).as_bytes(), &key())
                    .unwrap_or_else(|e| panic!("{json} {mj}: {e}"));
                assert_eq!(n.amount_text, text);
                assert_eq!(n.amount(), Some(Amount::from_cents(15000)));
                assert_eq!(n.merchant_id, "4001");
                assert_eq!(n.state, PayinState::Authorized);
                assert_eq!(n.state_text.as_deref(), Some("Autorizado"));
                assert_eq!(n.merchant_operation_number, "ORD-000123");
                assert_eq!(n.method.as_deref(), Some("TCTD"));
                assert_eq!(n.status_error_code.as_deref(), Some("00"));
                assert_eq!(n.status_error_message.as_deref(), Some("OK"));
                assert!(n.additional_information.is_none());
                assert!(!format!("{n:?}").contains(KEY));
            }
        }
        // A hash made over "150.00" does not verify "150.0": never re-formatted.
        let hash = payin_verification("4001", "ORD-000123", "150.00", "PEN", &key());
        let b = body(r#""150.0""#, "150.0", "4001", "4001").replace(
            &payin_verification("4001", "ORD-000123", "150.0", "PEN", &key()),
            &hash,
        );
        assert_eq!(
            verify_notification(b.as_bytes(), &key()).unwrap_err(),
            VerifyError::HashMismatch
        );
    }

    #[test]
    fn numeric_state_and_uppercase_hash() {
        let b = body(r#""150.00""#, "150.00", "4001", "4001");
        let hash = payin_verification("4001", "ORD-000123", "150.00", "PEN", &key());
        let b = b
            .replace(r#""payinStateID":"5""#, r#""payinStateID":9"#)
            .replace(&hash, &hash.to_uppercase());
        let n = verify_notification(b.as_bytes(), &key()).unwrap();
        assert_eq!(n.state, PayinState::Settled);
    }

    #[test]
    fn optional_extras_are_kept() {
        let b = body(r#""150.00""#, "150.00", "4001", "4001");
        let b = b.replacen(
            '{',
            r#"{"additionalInformation":[{"k":"v"},1],"errorDetails":{"code":"E1"},"codeErrorTrx":"T01","messageErrorTrx":"Fondos insuficientes","unknownField":{"x":[1]},"#,
            1,
        );
        let b = b.replace(r#""payinStateID":"5""#, r#""payinStateID":"6""#);
        let n = verify_notification(b.as_bytes(), &key()).unwrap();
        assert_eq!(n.state, PayinState::Denied);
        assert_eq!(n.additional_information.as_ref().unwrap().len(), 2);
        assert_eq!(n.error_details.as_ref().unwrap()["code"], "E1");
        assert_eq!(n.code_error_trx.as_deref(), Some("T01"));
        assert_eq!(n.message_error_trx.as_deref(), Some("Fondos insuficientes"));
    }

    #[test]
    fn unknown_state_keeps_id_and_text() {
        let b = body("150.00", "150.00", "4001", "4001").replace(
            r#""payinStateID":"5","payinState":"Autorizado""#,
            r#""payinStateID":42,"payinState":"Nuevo""#,
        );
        let n = verify_notification(b.as_bytes(), &key()).unwrap();
        assert_eq!(
            n.state,
            PayinState::Unknown {
                id: 42,
                text: Some("Nuevo".into())
            }
        );
    }

    #[test]
    fn each_tampered_field_is_rejected() {
        let good = body(r#""150.00""#, "150.00", r#""4001""#, "4001");
        assert!(verify_notification(good.as_bytes(), &key()).is_ok());
        for (from, to) in [
            (r#""payinMerchantID":"4001""#, r#""payinMerchantID":"4002""#),
            (r#""payinMerchantID":"4001""#, r#""payinMerchantID":4001.0"#),
            (r#""payinAmount":"150.00""#, r#""payinAmount":"15000""#),
            (r#""payinAmount":"150.00""#, r#""payinAmount":"150.0""#),
            (r#""payinAmount":"150.00""#, r#""payinAmount":150.000"#),
            (r#""payinCurrency":"PEN""#, r#""payinCurrency":"USD""#),
            (
                r#""payinMerchantOperationNumber":"ORD-000123""#,
                r#""payinMerchantOperationNumber":"ORD-000124""#,
            ),
            (r#""payinVerification":""#, r#""payinVerification":"0"#),
        ] {
            let tampered = good.replace(from, to);
            assert_ne!(tampered, good, "{from}");
            assert_eq!(
                verify_notification(tampered.as_bytes(), &key()).unwrap_err(),
                VerifyError::HashMismatch,
                "{to}"
            );
        }
        // The wrong key.
        assert_eq!(
            verify_notification(good.as_bytes(), &MonnetKey::new("other")).unwrap_err(),
            VerifyError::HashMismatch
        );
        // A flipped hex digit.
        let hash = payin_verification("4001", "ORD-000123", "150.00", "PEN", &key());
        let mut flipped = hash.clone().into_bytes();
        flipped[127] = if flipped[127] == b'a' { b'b' } else { b'a' };
        let tampered = good.replace(&hash, std::str::from_utf8(&flipped).unwrap());
        assert_eq!(
            verify_notification(tampered.as_bytes(), &key()).unwrap_err(),
            VerifyError::HashMismatch
        );
    }

    #[test]
    fn missing_fields() {
        let good: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&body(r#""150.00""#, "150.00", "4001", "4001")).unwrap();
        for field in [
            "payinMerchantID",
            "payinMerchantOperationNumber",
            "payinAmount",
            "payinCurrency",
            "payinVerification",
            "payinStateID",
        ] {
            let mut m = good.clone();
            m.remove(field);
            let e = verify_notification(&serde_json::to_vec(&m).unwrap(), &key()).unwrap_err();
            assert_eq!(e, VerifyError::MissingField(field));
            let mut m = good.clone();
            m.insert(field.to_owned(), serde_json::Value::Null);
            let e = verify_notification(&serde_json::to_vec(&m).unwrap(), &key()).unwrap_err();
            assert_eq!(e, VerifyError::MissingField(field));
        }
        // Fields outside the hash may be absent.
        let mut m = good.clone();
        for f in [
            "payinState",
            "payinStatusErrorCode",
            "payinStatusErrorMessage",
            "payinMethod",
        ] {
            m.remove(f);
        }
        assert!(verify_notification(&serde_json::to_vec(&m).unwrap(), &key()).is_ok());
    }

    #[test]
    fn malformed_bodies() {
        let good = body(r#""150.00""#, "150.00", "4001", "4001");
        for (bad, path) in [
            ("".to_owned(), "."),
            ("garbage".to_owned(), "."),
            ("<html></html>".to_owned(), "."),
            ("[]".to_owned(), "."),
            ("null".to_owned(), "."),
            (
                good.replace(r#""payinAmount":"150.00""#, r#""payinAmount":true"#),
                "payinAmount",
            ),
            (
                good.replace(r#""payinCurrency":"PEN""#, r#""payinCurrency":["PEN"]"#),
                "payinCurrency",
            ),
            (
                good.replacen('{', r#"{"additionalInformation":{},"#, 1),
                "additionalInformation",
            ),
            (
                good.replacen('{', r#"{"errorDetails":[],"#, 1),
                "errorDetails",
            ),
            (
                good.replace(r#""payinStateID":"5""#, r#""payinStateID":"5.0""#),
                "payinStateID",
            ),
            (
                good.replace(r#""payinStateID":"5""#, r#""payinStateID":-5"#),
                "payinStateID",
            ),
            (good[..good.len() - 1].to_owned(), "*"),
            (r#"["5","x"]"#.to_owned(), "*"),
        ] {
            match verify_notification(bad.as_bytes(), &key()) {
                Err(VerifyError::MalformedBody { path: p, .. }) => {
                    if path != "*" {
                        assert_eq!(p, path, "{bad}");
                    }
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        // A duplicated key is ambiguous: rejected.
        let dup = good.replacen('{', r#"{"payinAmount":"1.00","#, 1);
        assert!(matches!(
            verify_notification(dup.as_bytes(), &key()),
            Err(VerifyError::MalformedBody { .. })
        ));
    }

    #[test]
    fn errors_never_show_the_key() {
        let good = body(r#""150.00""#, "150.00", "4001", "4001");
        for b in [good.replace("PEN", "USD"), "x".into(), "{}".into()] {
            let e = verify_notification(b.as_bytes(), &key()).unwrap_err();
            assert!(!format!("{e:?}{e}").contains(KEY));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn never_panics_on_bytes(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = verify_notification(&body, &key());
        }

        #[test]
        fn never_panics_on_jsonish(body in r#"\{("(payinStateID|payinAmount|payinMerchantID|payinCurrency|payinMerchantOperationNumber|payinVerification|errorDetails|additionalInformation)":("[^"]{0,12}"|-?[0-9.eE+]{1,8}|null|true|\[\]|\{\}),?){0,8}\}"#) {
            let _ = verify_notification(body.as_bytes(), &key());
        }
    }
}
