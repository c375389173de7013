//! Monnet's payment notification: what its hash authenticates, kept apart
//! from what it merely claims.
//!
//! The hash covers `payinMerchantID + payinMerchantOperationNumber +
//! payinAmount + payinCurrency + KeyMonnet` as one concatenated string
//! (GATEWAYS.md, "Trust (Monnet)"). It does not bind the field boundaries
//! (`"ORD-77"+"1.00"` is `"ORD-7"+"71.00"`), it does not cover the state at
//! all, and a notification carries no timestamp. So a
//! [`VerifiedNotification`] is *verified, not confirmed*: its
//! [`Authenticated`] part is what the hash proves, its [`Claims`] are not to
//! be acted on. Before shipping, compare the authenticated figures with your
//! own record of the order ([`Authenticated::compare_with_record`]) and
//! confirm the state with the status query.

use std::fmt;

use crate::error::VerifyError;
use crate::money::{Currency, Money};
use crate::secret::MonnetKey;

use super::amount::parse_wire_amount;
use super::schema::{Failure, Field, FieldType, Presence, Read, read_body, read_element};
use super::state::{PayinState, parse_state_id};
use super::verification::{hex_matches, payin_digest};

/// The HTTP status the merchant answers a notification with once it has
/// verified and recorded it. Answer anything else (e.g. 400) when
/// [`verify_notification`] fails.
pub const NOTIFICATION_ACK_STATUS: u16 = 200;

/// The notification's schema. Numbers may arrive as JSON strings or
/// numbers; their text is kept exactly as received (that is what was
/// hashed). Fields not listed are ignored.
pub const NOTIFICATION: &[Field] = &[
    Field::new(
        "payinStateID",
        "claims.state",
        Presence::Required,
        FieldType::Integer,
        "a state id (unsigned claim: not covered by the hash)",
    ),
    Field::new(
        "payinState",
        "claims.state_name",
        Presence::Optional,
        FieldType::Text,
        "the state's name; its case differs between versions: never matched on",
    ),
    Field::new(
        "payinStatusErrorCode",
        "claims.status_error_code",
        Presence::Optional,
        FieldType::Any,
        "reserved by Monnet: kept, never evaluated",
    ),
    Field::new(
        "payinStatusErrorMessage",
        "claims.status_error_message",
        Presence::Optional,
        FieldType::Any,
        "reserved by Monnet: kept, never evaluated",
    ),
    Field::new(
        "payinMerchantID",
        "authenticated.merchant_id",
        Presence::Required,
        FieldType::Integer,
        "hashed; must equal the configured merchant id",
    ),
    Field::new(
        "payinAmount",
        "authenticated.amount",
        Presence::Required,
        FieldType::Decimal,
        "hashed as received; a plain decimal with at most two decimals (\"30.0\" and \"30.00\" occur)",
    ),
    Field::new(
        "payinCurrency",
        "authenticated.currency",
        Presence::Required,
        FieldType::Text,
        "hashed; three upper-case letters (ISO 4217)",
    ),
    Field::new(
        "payinMerchantOperationNumber",
        "authenticated.operation_number",
        Presence::Required,
        FieldType::Text,
        "hashed; not empty",
    ),
    Field::new(
        "payinMethod",
        "claims.method",
        Presence::Optional,
        FieldType::Text,
        "unsigned claim",
    ),
    Field::new(
        "payinVerification",
        "authenticated.verification",
        Presence::Optional,
        FieldType::Hex,
        "SHA-512 hex of the four hashed fields + KeyMonnet; empty or absent is unverified",
    ),
    Field::new(
        "additionalInformation",
        "claims.additional_information",
        Presence::Optional,
        FieldType::Array,
        "unsigned claim, kept as received",
    ),
    Field::new(
        "errorDetails",
        "claims.error_details",
        Presence::Optional,
        FieldType::Object,
        "unsigned claim; holds codeErrorTrx/messageErrorTrx (NOTIFICATION_ERROR_DETAILS)",
    )
    .with_nested(NOTIFICATION_ERROR_DETAILS),
    Field::new(
        "codeErrorTrx",
        "claims.transaction_error.code",
        Presence::Optional,
        FieldType::Text,
        "top-level in some versions; used when errorDetails has none",
    ),
    Field::new(
        "messageErrorTrx",
        "claims.transaction_error.message",
        Presence::Optional,
        FieldType::Text,
        "top-level in some versions; used when errorDetails has none",
    ),
];

/// The schema of a notification's `errorDetails` object.
pub const NOTIFICATION_ERROR_DETAILS: &[Field] = &[
    Field::new(
        "codeErrorTrx",
        "claims.transaction_error.code",
        Presence::Optional,
        FieldType::Text,
        "a homologated decline reason (9xxx)",
    ),
    Field::new(
        "messageErrorTrx",
        "claims.transaction_error.message",
        Presence::Optional,
        FieldType::Text,
        "the reason's description",
    ),
];

/// A documented decline reason (`codeErrorTrx`). Open: any other code is
/// [`Other`](DeclineReason::Other) with its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeclineReason {
    /// `9000`: succeeded.
    Succeeded,
    /// `9005`: do not honor.
    DoNotHonor,
    /// `9012`: invalid transaction.
    InvalidTransaction,
    /// `9051`: insufficient funds.
    InsufficientFunds,
    /// `9054`: expired card.
    ExpiredCard,
    /// `9094`: duplicate transmission.
    DuplicateTransmission,
    /// `9097`: timeout.
    Timeout,
    /// `9099`: error.
    Error,
    /// Any other code, as received.
    Other(String),
}

impl DeclineReason {
    /// The reason for a `codeErrorTrx` text.
    pub fn parse(code: &str) -> Self {
        match code {
            "9000" => Self::Succeeded,
            "9005" => Self::DoNotHonor,
            "9012" => Self::InvalidTransaction,
            "9051" => Self::InsufficientFunds,
            "9054" => Self::ExpiredCard,
            "9094" => Self::DuplicateTransmission,
            "9097" => Self::Timeout,
            "9099" => Self::Error,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The code.
    pub fn code(&self) -> &str {
        match self {
            Self::Succeeded => "9000",
            Self::DoNotHonor => "9005",
            Self::InvalidTransaction => "9012",
            Self::InsufficientFunds => "9051",
            Self::ExpiredCard => "9054",
            Self::DuplicateTransmission => "9094",
            Self::Timeout => "9097",
            Self::Error => "9099",
            Self::Other(code) => code,
        }
    }

    /// Whether the processor declined this transaction as a duplicate
    /// transmission (`9094`): it had already seen the same transaction and
    /// refused the repeat.
    ///
    /// What was declined is the repeat, not necessarily the payment: the
    /// first transmission may have been authorized, or may still be in
    /// flight. So a duplicate is neither a failed payment nor a paid one.
    /// Do not charge the shopper again or tell them the payment failed;
    /// query the operation number's status (`MonnetClient::reconcile_operation`,
    /// or `confirm_operation` with your record) and act on the state it
    /// reports. As with every notification claim, this reason is not
    /// covered by the hash.
    pub fn is_duplicate(&self) -> bool {
        self.code() == "9094"
    }
}

/// `codeErrorTrx` and `messageErrorTrx`, from `errorDetails` or the top
/// level.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionError {
    /// `codeErrorTrx`, typed.
    pub reason: DeclineReason,
    /// `messageErrorTrx`, when sent.
    pub message: Option<String>,
    /// Whether they came inside `errorDetails` (else at the top level).
    pub nested: bool,
}

/// What the hash proves: these four values, exactly as received, hashed with
/// your `KeyMonnet` to the received `payinVerification` — as one
/// concatenated string (see [`hashed_concatenation`](Self::hashed_concatenation)).
///
/// The field boundaries are *not* proven: compare operation number, amount
/// and currency with your own record ([`compare_with_record`](Self::compare_with_record)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Authenticated {
    merchant_id: String,
    operation_number: String,
    amount_text: String,
    amount: Money,
    currency_text: String,
    verification: String,
}

impl Authenticated {
    /// `payinMerchantID` as received (equal to the configured merchant).
    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }

    /// `payinMerchantOperationNumber` as received.
    pub fn operation_number(&self) -> &str {
        &self.operation_number
    }

    /// `payinAmount` as received (`"30.0"` stays `"30.0"`).
    pub fn amount_text(&self) -> &str {
        &self.amount_text
    }

    /// `payinAmount` and `payinCurrency` as an amount.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// `payinCurrency` as received.
    pub fn currency(&self) -> &str {
        &self.currency_text
    }

    /// `payinVerification`, lowercase.
    pub fn verification(&self) -> &str {
        &self.verification
    }

    /// The wire names of the fields the hash bound, in hashing order.
    pub fn bound_fields(&self) -> [&'static str; 4] {
        [
            "payinMerchantID",
            "payinMerchantOperationNumber",
            "payinAmount",
            "payinCurrency",
        ]
    }

    /// The string that was hashed, without the trailing `KeyMonnet`:
    /// merchant id + operation number + amount + currency. This — not the
    /// four fields — is what the hash authenticates.
    pub fn hashed_concatenation(&self) -> String {
        format!(
            "{}{}{}{}",
            self.merchant_id, self.operation_number, self.amount_text, self.currency_text
        )
    }
}

/// What the notification says that no hash covers. **Not to be acted on**:
/// anyone who captured one genuine notification can send it again with any
/// state. Confirm the state with the status query.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Claims {
    /// `payinStateID`, matched on the id (never on `payinState`).
    pub state: PayinState,
    /// `payinState`, as received (its case varies).
    pub state_name: Option<String>,
    /// `payinMethod`.
    pub method: Option<String>,
    /// `payinStatusErrorCode`: reserved by Monnet, never evaluated.
    pub status_error_code: Option<String>,
    /// `payinStatusErrorMessage`: reserved by Monnet, never evaluated.
    pub status_error_message: Option<String>,
    /// `codeErrorTrx`/`messageErrorTrx`, from `errorDetails` or the top
    /// level.
    pub transaction_error: Option<TransactionError>,
    /// `additionalInformation`, as received.
    pub additional_information: Option<Vec<serde_json::Value>>,
    /// `errorDetails`, as received.
    pub error_details: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A documented identity for a delivered notification, from the
/// authenticated operation number and hash and the state id it carries:
/// `{len}:{operation number}|{state id}|{hash}`. Monnet may deliver the same
/// notification more than once (and an attacker may replay one forever: it
/// has no timestamp): record the ids you processed and skip repeats.
///
/// It identifies, it does not prove: the state part is a claim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NotificationEventId(String);

impl NotificationEventId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NotificationEventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A notification whose hash verified with your key and whose merchant id
/// is yours. Verified, not confirmed: see the [`verify_notification`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedNotification {
    authenticated: Authenticated,
    claims: Claims,
}

impl VerifiedNotification {
    /// What the hash proves.
    pub fn authenticated(&self) -> &Authenticated {
        &self.authenticated
    }

    /// What it claims without proof. Do not act on these.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The event identity for idempotent handling.
    pub fn event_id(&self) -> NotificationEventId {
        let op = &self.authenticated.operation_number;
        NotificationEventId(format!(
            "{}:{}|{}|{}",
            op.len(),
            op,
            self.claims.state.id(),
            self.authenticated.verification
        ))
    }
}

fn malformed(f: Failure) -> VerifyError {
    if f.reason == "missing field" {
        // The path is a wire name of the table: give it back as a constant.
        if let Some(field) = NOTIFICATION.iter().find(|x| x.wire == f.path) {
            return VerifyError::MissingField(field.wire);
        }
    }
    VerifyError::MalformedBody {
        path: f.path,
        reason: f.reason,
    }
}

fn need(read: &mut Read<'_>, wire: &'static str) -> Result<String, VerifyError> {
    read.text(wire).ok_or(VerifyError::MissingField(wire))
}

fn invalid(field: &'static str, reason: &'static str) -> VerifyError {
    VerifyError::InvalidField { field, reason }
}

/// Verifies a notification body with `KeyMonnet`, for the merchant
/// `merchant_id` (your `Config::merchant_id`).
///
/// In order, by [`NOTIFICATION`]:
/// - the body is one JSON object with the required fields
///   ([`VerifyError::MalformedBody`], [`VerifyError::MissingField`]);
/// - `payinVerification` is present and not empty, else
///   [`VerifyError::Unverified`] (both of Monnet's own examples send `""`);
/// - `payinMerchantID` is exactly `merchant_id`, else
///   [`VerifyError::MerchantMismatch`];
/// - the operation number is not empty, the amount a plain decimal, the
///   currency three upper-case letters ([`VerifyError::InvalidField`]);
/// - the SHA-512 recomputed over the four hashed fields *exactly as
///   received* (a JSON number contributes its original text) equals
///   `payinVerification`, compared in constant time, hex case ignored
///   ([`VerifyError::HashMismatch`]).
///
/// On success answer with [`NOTIFICATION_ACK_STATUS`] — and still compare
/// with your record and confirm the state before shipping.
pub fn verify_notification(
    body: &[u8],
    key: &MonnetKey,
    merchant_id: &str,
) -> Result<VerifiedNotification, VerifyError> {
    let outcome = verify(body, key, merchant_id);
    crate::observe::verification(
        crate::observe::MONNET,
        outcome
            .as_ref()
            .map(|n| n.authenticated().operation_number()),
    );
    outcome
}

fn verify(
    body: &[u8],
    key: &MonnetKey,
    merchant_id: &str,
) -> Result<VerifiedNotification, VerifyError> {
    let mut read = read_body(body, NOTIFICATION).map_err(malformed)?;
    let state_text = need(&mut read, "payinStateID")?;
    let merchant = need(&mut read, "payinMerchantID")?;
    let operation_number = need(&mut read, "payinMerchantOperationNumber")?;
    let amount_text = need(&mut read, "payinAmount")?;
    let currency_text = need(&mut read, "payinCurrency")?;
    let verification = match read.text("payinVerification") {
        Some(v) if !v.trim().is_empty() => v,
        _ => return Err(VerifyError::Unverified("payinVerification")),
    };
    if merchant.is_empty() || merchant != merchant_id {
        return Err(VerifyError::MerchantMismatch("payinMerchantID"));
    }
    if operation_number.trim().is_empty() {
        return Err(invalid("payinMerchantOperationNumber", "must not be empty"));
    }
    let currency = Currency::new(&currency_text)
        .map_err(|_| invalid("payinCurrency", "must be three upper-case letters"))?;
    // Only the forms Monnet sends: a leading zero ("01.00") would let a
    // genuine notification for ORD70 of 1.00 pass as ORD7 of 1.00.
    let amount = parse_wire_amount(&amount_text, currency).ok_or_else(|| {
        invalid(
            "payinAmount",
            "must be digits without a leading zero and at most two decimals",
        )
    })?;

    let digest = payin_digest(
        &merchant,
        &operation_number,
        &amount_text,
        &currency_text,
        key,
    );
    if !hex_matches(&digest, &verification) {
        return Err(VerifyError::HashMismatch);
    }

    let id = parse_state_id(&state_text).ok_or_else(|| VerifyError::MalformedBody {
        path: "payinStateID".to_owned(),
        reason: "expected a non-negative integer state id".to_owned(),
    })?;
    let state_name = read.text("payinState");
    let (error_details, nested) = match read.object("errorDetails") {
        Some(raw) => {
            let map = serde_json::from_str(raw.get()).ok();
            let mut details = read_element(raw, NOTIFICATION_ERROR_DETAILS, "errorDetails.".into())
                .map_err(malformed)?;
            // An empty code (Monnet's examples send `""`) is no code.
            let code = details.text("codeErrorTrx").filter(|c| !c.is_empty());
            let message = details.text("messageErrorTrx");
            (map, code.map(|c| (c, message)))
        }
        None => (None, None),
    };
    let top = read
        .text("codeErrorTrx")
        .filter(|c| !c.is_empty())
        .map(|c| (c, read.text("messageErrorTrx")));
    let transaction_error = match (nested, top) {
        (Some((code, message)), _) => Some(TransactionError {
            reason: DeclineReason::parse(&code),
            message,
            nested: true,
        }),
        (None, Some((code, message))) => Some(TransactionError {
            reason: DeclineReason::parse(&code),
            message,
            nested: false,
        }),
        (None, None) => None,
    };
    let additional_information = read.array("additionalInformation").map(|items| {
        items
            .iter()
            .filter_map(|raw| serde_json::from_str(raw.get()).ok())
            .collect()
    });
    Ok(VerifiedNotification {
        authenticated: Authenticated {
            merchant_id: merchant,
            operation_number,
            amount_text,
            amount,
            currency_text,
            verification: verification.to_ascii_lowercase(),
        },
        claims: Claims {
            state: PayinState::from_id(id, state_name.as_deref()),
            state_name,
            method: read.text("payinMethod"),
            status_error_code: read.text("payinStatusErrorCode"),
            status_error_message: read.text("payinStatusErrorMessage"),
            transaction_error,
            additional_information,
            error_details,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confirm::{ExpectedOperation, NotConfirmed, Seen};
    use crate::monnet::payin_verification;
    use proptest::prelude::*;

    const KEY: &str = "k3y-Mönnet-s3cr3t";
    const MID: &str = "4001";

    fn key() -> MonnetKey {
        MonnetKey::new(KEY)
    }

    fn verify(body: &str) -> Result<VerifiedNotification, VerifyError> {
        verify_notification(body.as_bytes(), &key(), MID)
    }

    /// A notification body whose hash covers `amount_text`.
    fn body(amount_json: &str, amount_text: &str, merchant_json: &str) -> String {
        let hash = payin_verification(MID, "ORD-000123", amount_text, "PEN", &key());
        format!(
            r#"{{"payinStateID":"5","payinState":"Autorizado","payinStatusErrorCode":"00","payinStatusErrorMessage":"OK","payinMerchantID":{merchant_json},"payinAmount":{amount_json},"payinCurrency":"PEN","payinMerchantOperationNumber":"ORD-000123","payinMethod":"TCTD","payinVerification":"{hash}"}}"#
        )
    }

    fn good() -> String {
        body(r#""150.00""#, "150.00", r#""4001""#)
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
            for mj in [r#""4001""#, "4001"] {
                let n =
                    verify(&body(json, text, mj)).unwrap_or_else(|e| panic!("{json} {mj}: {e}"));
                let a = n.authenticated();
                assert_eq!(a.amount_text(), text);
                assert_eq!(a.amount(), Money::pen(15000));
                assert_eq!(a.merchant_id(), "4001");
                assert_eq!(a.operation_number(), "ORD-000123");
                assert_eq!(a.currency(), "PEN");
                assert_eq!(a.hashed_concatenation(), format!("4001ORD-000123{text}PEN"));
                let c = n.claims();
                assert_eq!(c.state, PayinState::Authorized);
                assert_eq!(c.state_name.as_deref(), Some("Autorizado"));
                assert_eq!(c.method.as_deref(), Some("TCTD"));
                assert_eq!(c.status_error_code.as_deref(), Some("00"));
                assert_eq!(c.status_error_message.as_deref(), Some("OK"));
                assert!(c.additional_information.is_none());
                assert!(!format!("{n:?}").contains(KEY));
            }
        }
        // A hash made over "150.00" does not verify "150.0": never re-formatted.
        let b = body(r#""150.0""#, "150.0", MID).replace(
            &payin_verification(MID, "ORD-000123", "150.0", "PEN", &key()),
            &payin_verification(MID, "ORD-000123", "150.00", "PEN", &key()),
        );
        assert_eq!(verify(&b).unwrap_err(), VerifyError::HashMismatch);
    }

    #[test]
    fn payin_verification_empty_or_missing_is_unverified() {
        let hash = payin_verification(MID, "ORD-000123", "150.00", "PEN", &key());
        for b in [
            good().replace(&hash, ""),
            good().replace(&hash, "  "),
            good().replace(
                &format!(r#""payinVerification":"{hash}""#),
                r#""payinVerification":null"#,
            ),
            good().replace(&format!(r#","payinVerification":"{hash}""#), ""),
        ] {
            assert_eq!(
                verify(&b).unwrap_err(),
                VerifyError::Unverified("payinVerification"),
                "{b}"
            );
        }
    }

    #[test]
    fn payin_merchant_id_must_be_the_configured_merchant() {
        assert_eq!(
            verify_notification(good().as_bytes(), &key(), "4002").unwrap_err(),
            VerifyError::MerchantMismatch("payinMerchantID")
        );
        assert_eq!(
            verify_notification(good().as_bytes(), &key(), "").unwrap_err(),
            VerifyError::MerchantMismatch("payinMerchantID")
        );
        // An empty merchant id hashed with our key is still not ours.
        let hash = payin_verification("", "ORD-000123", "150.00", "PEN", &key());
        let b = format!(
            r#"{{"payinStateID":5,"payinMerchantID":"","payinAmount":"150.00","payinCurrency":"PEN","payinMerchantOperationNumber":"ORD-000123","payinVerification":"{hash}"}}"#
        );
        assert_eq!(
            verify(&b).unwrap_err(),
            VerifyError::MerchantMismatch("payinMerchantID")
        );
        assert!(verify_notification(b.as_bytes(), &key(), "").is_err());
    }

    #[test]
    fn hashed_fields_must_be_well_formed() {
        let with = |op: &str, amount: &str, currency: &str| {
            let hash = payin_verification(MID, op, amount, currency, &key());
            format!(
                r#"{{"payinStateID":5,"payinMerchantID":"4001","payinAmount":"{amount}","payinCurrency":"{currency}","payinMerchantOperationNumber":"{op}","payinVerification":"{hash}"}}"#
            )
        };
        for (b, field) in [
            (with("", "1.00", "PEN"), "payinMerchantOperationNumber"),
            (with(" ", "1.00", "PEN"), "payinMerchantOperationNumber"),
            (with("A", "abc", "PEN"), "payinAmount"),
            (with("A", "1e3", "PEN"), "payinAmount"),
            (with("A", "-1.00", "PEN"), "payinAmount"),
            (with("A", "1.000", "PEN"), "payinAmount"),
            (with("A", "", "PEN"), "payinAmount"),
            (with("A", "1.00", "PE"), "payinCurrency"),
            (with("A", "1.00", "pen"), "payinCurrency"),
            (with("A", "1.00", "PENN"), "payinCurrency"),
        ] {
            assert!(
                matches!(verify(&b), Err(VerifyError::InvalidField { field: f, .. }) if f == field),
                "{b}"
            );
        }
        assert!(verify(&with("A", "1.0", "USD")).is_ok());
    }

    #[test]
    fn numeric_state_and_uppercase_hash() {
        let hash = payin_verification(MID, "ORD-000123", "150.00", "PEN", &key());
        let b = good()
            .replace(r#""payinStateID":"5""#, r#""payinStateID":9"#)
            .replace(&hash, &hash.to_uppercase());
        let n = verify(&b).unwrap();
        assert_eq!(n.claims().state, PayinState::Settled);
        assert_eq!(n.authenticated().verification(), hash);
    }

    #[test]
    fn code_error_trx_nested_or_top_level_and_typed() {
        let nested = good().replacen(
            '{',
            r#"{"additionalInformation":[{"k":"v"},1],"errorDetails":{"codeErrorTrx":"9051","messageErrorTrx":"Fondos insuficientes"},"unknownField":{"x":[1]},"#,
            1,
        );
        let n = verify(&nested.replace(r#""payinStateID":"5""#, r#""payinStateID":"6""#)).unwrap();
        let c = n.claims();
        assert_eq!(c.state, PayinState::Denied);
        assert_eq!(c.additional_information.as_ref().unwrap().len(), 2);
        assert_eq!(c.error_details.as_ref().unwrap()["codeErrorTrx"], "9051");
        assert_eq!(
            c.transaction_error,
            Some(TransactionError {
                reason: DeclineReason::InsufficientFunds,
                message: Some("Fondos insuficientes".into()),
                nested: true
            })
        );
        let top = good().replacen(
            '{',
            r#"{"codeErrorTrx":9005,"messageErrorTrx":"No honrar","#,
            1,
        );
        let e = verify(&top)
            .unwrap()
            .claims()
            .transaction_error
            .clone()
            .unwrap();
        assert_eq!((e.reason, e.nested), (DeclineReason::DoNotHonor, false));
        // Nested wins over top level.
        let both = good().replacen(
            '{',
            r#"{"codeErrorTrx":"9099","errorDetails":{"codeErrorTrx":"9054"},"#,
            1,
        );
        let e = verify(&both)
            .unwrap()
            .claims()
            .transaction_error
            .clone()
            .unwrap();
        assert_eq!(
            (e.reason, e.message, e.nested),
            (DeclineReason::ExpiredCard, None, true)
        );
        // An errorDetails without a code falls back to the top level.
        let empty = good().replacen('{', r#"{"errorDetails":{},"codeErrorTrx":"9097","#, 1);
        let e = verify(&empty)
            .unwrap()
            .claims()
            .transaction_error
            .clone()
            .unwrap();
        assert_eq!((e.reason, e.nested), (DeclineReason::Timeout, false));
        assert_eq!(verify(&good()).unwrap().claims().transaction_error, None);
        let blank = good().replacen(
            '{',
            r#"{"errorDetails":{"codeErrorTrx":"","messageErrorTrx":""},"codeErrorTrx":"","#,
            1,
        );
        assert_eq!(verify(&blank).unwrap().claims().transaction_error, None);
        for (code, reason) in [
            ("9000", DeclineReason::Succeeded),
            ("9005", DeclineReason::DoNotHonor),
            ("9012", DeclineReason::InvalidTransaction),
            ("9051", DeclineReason::InsufficientFunds),
            ("9054", DeclineReason::ExpiredCard),
            ("9094", DeclineReason::DuplicateTransmission),
            ("9097", DeclineReason::Timeout),
            ("9099", DeclineReason::Error),
            ("9001", DeclineReason::Other("9001".into())),
        ] {
            assert_eq!(DeclineReason::parse(code), reason);
            assert_eq!(reason.code(), code);
            assert_eq!(reason.is_duplicate(), code == "9094", "{code}");
        }
    }

    #[test]
    fn a_duplicate_transmission_is_recognised() {
        assert!(DeclineReason::DuplicateTransmission.is_duplicate());
        for reason in [
            DeclineReason::Succeeded,
            DeclineReason::DoNotHonor,
            DeclineReason::Timeout,
            DeclineReason::Error,
            DeclineReason::Other("9095".into()),
            DeclineReason::Other(String::new()),
        ] {
            assert!(!reason.is_duplicate(), "{reason:?}");
        }
        // From a delivered notification, nested or at the top level.
        for body in [
            good().replacen(
                '{',
                r#"{"errorDetails":{"codeErrorTrx":"9094","messageErrorTrx":"Duplicate transmission"},"#,
                1,
            ),
            good().replacen('{', r#"{"codeErrorTrx":"9094","#, 1),
        ] {
            let verified = verify(&body).unwrap();
            let error = verified.claims().transaction_error.as_ref().unwrap();
            assert_eq!(error.reason, DeclineReason::DuplicateTransmission);
            assert!(error.reason.is_duplicate(), "{body}");
        }
        let plain = verify(&good().replacen('{', r#"{"codeErrorTrx":"9051","#, 1)).unwrap();
        assert!(
            !plain
                .claims()
                .transaction_error
                .as_ref()
                .unwrap()
                .reason
                .is_duplicate()
        );
    }

    #[test]
    fn payin_status_error_code_is_not_evaluated() {
        // Any value, any type Monnet might send, changes nothing.
        for v in [
            r#""9999""#,
            "500",
            r#""""#,
            "null",
            "true",
            r#"{"code":"x"}"#,
            "[1,2]",
        ] {
            let b = good().replace(
                r#""payinStatusErrorCode":"00""#,
                &format!(r#""payinStatusErrorCode":{v}"#),
            );
            let n = verify(&b).unwrap();
            assert_eq!(n.claims().state, PayinState::Authorized);
            assert!(n.claims().transaction_error.is_none());
            // Kept as received: a string as its text, anything else as JSON.
            let kept = n.claims().status_error_code.clone();
            let expected = match v {
                "null" => None,
                s if s.starts_with('"') => Some(s.trim_matches('"').to_owned()),
                other => Some(other.to_owned()),
            };
            assert_eq!(kept, expected, "{v}");
        }
        // The message, too.
        let b = good().replace(
            r#""payinStatusErrorMessage":"OK""#,
            r#""payinStatusErrorMessage":false"#,
        );
        assert_ne!(b, good(), "the message was replaced");
        assert!(verify(&b).is_ok());
    }

    #[test]
    fn payin_state_id_decides_never_the_name() {
        let b = good().replace(
            r#""payinState":"Autorizado""#,
            r#""payinState":"AUTORIZADO""#,
        );
        assert_eq!(verify(&b).unwrap().claims().state, PayinState::Authorized);
        let b = good().replace(r#""payinState":"Autorizado""#, r#""payinState":"Denegado""#);
        assert_eq!(verify(&b).unwrap().claims().state, PayinState::Authorized);
        let b = good().replace(
            r#""payinStateID":"5","payinState":"Autorizado""#,
            r#""payinStateID":42,"payinState":"Nuevo""#,
        );
        assert_eq!(
            verify(&b).unwrap().claims().state,
            PayinState::Unknown {
                id: 42,
                text: Some("Nuevo".into())
            }
        );
    }

    #[test]
    fn each_tampered_field_is_rejected() {
        assert!(verify(&good()).is_ok());
        for (from, to) in [
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
            let tampered = good().replace(from, to);
            assert_ne!(tampered, good(), "{from}");
            let e = verify(&tampered).unwrap_err();
            assert!(
                matches!(
                    e,
                    VerifyError::HashMismatch | VerifyError::InvalidField { .. }
                ),
                "{to}: {e:?}"
            );
        }
        for to in [r#""payinMerchantID":"4002""#, r#""payinMerchantID":4001.0"#] {
            let tampered = good().replace(r#""payinMerchantID":"4001""#, to);
            assert_eq!(
                verify(&tampered).unwrap_err(),
                VerifyError::MerchantMismatch("payinMerchantID")
            );
        }
        assert_eq!(
            verify_notification(good().as_bytes(), &MonnetKey::new("other"), MID).unwrap_err(),
            VerifyError::HashMismatch
        );
        let hash = payin_verification(MID, "ORD-000123", "150.00", "PEN", &key());
        let mut flipped = hash.clone().into_bytes();
        flipped[127] = if flipped[127] == b'a' { b'b' } else { b'a' };
        let tampered = good().replace(&hash, std::str::from_utf8(&flipped).unwrap());
        assert_eq!(verify(&tampered).unwrap_err(), VerifyError::HashMismatch);
    }

    #[test]
    fn missing_fields() {
        let good: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&good()).unwrap();
        for field in [
            "payinMerchantID",
            "payinMerchantOperationNumber",
            "payinAmount",
            "payinCurrency",
            "payinStateID",
        ] {
            let mut m = good.clone();
            m.remove(field);
            let e = verify_notification(&serde_json::to_vec(&m).unwrap(), &key(), MID).unwrap_err();
            assert_eq!(e, VerifyError::MissingField(field));
            let mut m = good.clone();
            m.insert(field.to_owned(), serde_json::Value::Null);
            let e = verify_notification(&serde_json::to_vec(&m).unwrap(), &key(), MID).unwrap_err();
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
        assert!(verify_notification(&serde_json::to_vec(&m).unwrap(), &key(), MID).is_ok());
    }

    #[test]
    fn malformed_bodies() {
        let good = good();
        for (bad, path) in [
            ("".to_owned(), "."),
            ("garbage".to_owned(), "."),
            ("<html></html>".to_owned(), "."),
            ("[]".to_owned(), "."),
            ("null".to_owned(), "."),
            (r#"["5","x"]"#.to_owned(), "."),
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
                good.replacen('{', r#"{"errorDetails":{"codeErrorTrx":true},"#, 1),
                "errorDetails.codeErrorTrx",
            ),
            (
                good.replace(r#""payinStateID":"5""#, r#""payinStateID":"5.0""#),
                "payinStateID",
            ),
            (
                good.replace(r#""payinStateID":"5""#, r#""payinStateID":-5"#),
                "payinStateID",
            ),
            (good[..good.len() - 1].to_owned(), "."),
            // A duplicated key is ambiguous: rejected.
            (
                good.replacen('{', r#"{"payinAmount":"1.00","#, 1),
                "payinAmount",
            ),
        ] {
            match verify(&bad) {
                Err(VerifyError::MalformedBody { path: p, .. }) => assert_eq!(p, path, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn errors_never_show_the_key() {
        for b in [good().replace("PEN", "USD"), "x".into(), "{}".into()] {
            let e = verify(&b).unwrap_err();
            assert!(!format!("{e:?}{e}").contains(KEY));
        }
    }

    #[test]
    fn event_id_is_built_from_operation_state_and_hash() {
        let n = verify(&good()).unwrap();
        let hash = payin_verification(MID, "ORD-000123", "150.00", "PEN", &key());
        assert_eq!(n.event_id().as_str(), format!("10:ORD-000123|5|{hash}"));
        assert_eq!(n.event_id().to_string(), n.event_id().as_str());
        // The same delivery twice has the same id; a state flip another.
        assert_eq!(verify(&good()).unwrap().event_id(), n.event_id());
        let flipped =
            verify(&good().replace(r#""payinStateID":"5""#, r#""payinStateID":"6""#)).unwrap();
        assert_ne!(flipped.event_id(), n.event_id());
        // Numbers as numbers or strings, hash case: the same event.
        let b = good()
            .replace(r#""payinStateID":"5""#, r#""payinStateID":5"#)
            .replace(&hash, &hash.to_uppercase());
        assert_eq!(verify(&b).unwrap().event_id(), n.event_id());
    }

    /// A genuine notification for `op` and `amount` in `state`, as Monnet
    /// would send it.
    fn genuine(merchant: &str, op: &str, amount: &str, currency: &str, state: u32) -> String {
        serde_json::json!({
            "payinStateID": state.to_string(),
            "payinMerchantID": merchant,
            "payinAmount": amount,
            "payinCurrency": currency,
            "payinMerchantOperationNumber": op,
            "payinVerification": payin_verification(merchant, op, amount, currency, &key()),
        })
        .to_string()
    }

    /// The same body with the four hashed values replaced (hash kept).
    fn forge(
        body: &str,
        merchant: &str,
        op: &str,
        amount: &str,
        currency: &str,
        state: u32,
    ) -> String {
        let mut v: serde_json::Value = serde_json::from_str(body).unwrap();
        v["payinMerchantID"] = merchant.into();
        v["payinMerchantOperationNumber"] = op.into();
        v["payinAmount"] = amount.into();
        v["payinCurrency"] = currency.into();
        v["payinStateID"] = state.to_string().into();
        v.to_string()
    }

    #[test]
    fn the_issue_11_boundary_shift_is_caught_by_the_record() {
        let record = ExpectedOperation::new("ORD-77", Money::pen(100));
        let denied = genuine(MID, "ORD-77", "1.00", "PEN", 6);
        let forged = forge(&denied, MID, "ORD-7", "71.00", "PEN", 5);
        let n = verify(&forged).unwrap();
        assert_eq!(n.claims().state, PayinState::Authorized);
        assert_eq!(
            n.authenticated().hashed_concatenation(),
            "4001ORD-771.00PEN"
        );
        assert_eq!(
            n.authenticated().compare_with_record(&record),
            Err(NotConfirmed::OrderDiffers {
                expected: "ORD-77".into(),
                found: "ORD-7".into(),
                seen: Seen::Event
            })
        );
        // Against ORD-7's own record (if the merchant has one) the amount
        // must match too; what is left is a state claim for the status query.
        let other = ExpectedOperation::new("ORD-7", Money::pen(7100));
        assert_eq!(n.authenticated().compare_with_record(&other), Ok(()));
        assert_ne!(n.event_id(), verify(&denied).unwrap().event_id());
    }

    #[test]
    fn the_leading_zero_shift_is_malformed() {
        // Issue 17: a genuine notification for ORD70 of 1.00, relabelled
        // ORD7 of "01.00", keeps its hash. Read as a number it would equal
        // an ORD7 record of PEN 1.00; it is no form Monnet sends.
        let genuine_body = genuine(MID, "ORD70", "1.00", "PEN", 6);
        let shifted = forge(&genuine_body, MID, "ORD7", "01.00", "PEN", 5);
        match verify(&shifted) {
            Err(VerifyError::InvalidField { field, .. }) => assert_eq!(field, "payinAmount"),
            other => panic!("the shifted notification verified: {other:?}"),
        }
        // The record comparison refuses the text on its own as well (a
        // caller comparing amounts it read elsewhere).
        let ord7 = ExpectedOperation::new("ORD7", Money::pen(100));
        assert_eq!(
            ord7.compare_reported("ORD7", "01.00", "PEN", Seen::Event),
            Err(NotConfirmed::AmountMalformed {
                found: "01.00".into(),
                seen: Seen::Event
            })
        );
        assert_eq!(
            ord7.compare_reported("ORD7", "1.0", "PEN", Seen::Event),
            Ok(())
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Every boundary shift between adjacent hashed fields, with any
        /// state, is either rejected by verification or bound to an
        /// operation number/amount/currency that is not the merchant's
        /// record of the genuine order. A pure state flip keeps the bound
        /// facts (only the status query can refute it) and changes the
        /// event id.
        #[test]
        fn boundary_shifted_forgeries_never_match_the_record(
            op in "[A-Z]{0,3}-?[0-9]{1,6}",
            cents in 1u64..10_000_000,
            one_decimal in any::<bool>(),
            genuine_state in prop::sample::select(vec![1u32, 2, 3, 5, 6, 9, 10, 11]),
            forged_state in prop::sample::select(vec![1u32, 2, 3, 5, 6, 9, 10, 11, 42]),
        ) {
            let money = Money::pen(cents);
            let mut amount = money.to_decimal_string();
            if one_decimal && amount.ends_with('0') {
                amount.pop();
            }
            let record = ExpectedOperation::new(op.clone(), money);
            let body = genuine(MID, &op, &amount, "PEN", genuine_state);
            let real = verify(&body).unwrap();
            prop_assert_eq!(real.authenticated().compare_with_record(&record), Ok(()));

            // The four values concatenated; every way to cut it in four
            // (non-empty merchant and currency) other than the genuine one.
            let whole = format!("{MID}{op}{amount}PEN");
            let n = whole.len();
            let mut forgeries = 0;
            for a in 1..n {
                for b in a..n {
                    for c in b..n {
                        let (m, o, am, cur) = (&whole[..a], &whole[a..b], &whole[b..c], &whole[c..]);
                        if (m, o, am, cur) == (MID, op.as_str(), amount.as_str(), "PEN") {
                            continue;
                        }
                        forgeries += 1;
                        let forged = forge(&body, m, o, am, cur, forged_state);
                        match verify(&forged) {
                            Err(_) => {}
                            Ok(v) => {
                                // It verified: the hash is genuine, so what it
                                // binds must differ from the record.
                                prop_assert_eq!(v.authenticated().hashed_concatenation(), whole.clone());
                                prop_assert!(
                                    v.authenticated().compare_with_record(&record).is_err(),
                                    "{} {} {} {} matched the record", m, o, am, cur
                                );
                                // And it matches another record (say the
                                // merchant also has order `o`) only for the
                                // amount its text renders: a leading zero
                                // ("01.00" for ORD70's "1.00") never
                                // verifies, so no record of `o` at the
                                // genuine amount matches.
                                prop_assert!(!am.starts_with('0') || am.starts_with("0.") || am == "0",
                                    "{} {} {} {} verified with a leading zero", m, o, am, cur);
                                let shifted = ExpectedOperation::new(o, money);
                                if am != amount.as_str() {
                                    prop_assert!(
                                        v.authenticated().compare_with_record(&shifted).is_err(),
                                        "{} {} {} {} matched a record of {} at the genuine amount", m, o, am, cur, o
                                    );
                                }
                            }
                        }
                    }
                }
            }
            prop_assert!(forgeries > 0);

            // A state flip: verifies, same authenticated facts, another id.
            let flipped = verify(&forge(&body, MID, &op, &amount, "PEN", forged_state)).unwrap();
            prop_assert_eq!(flipped.authenticated(), real.authenticated());
            prop_assert_eq!(flipped.authenticated().compare_with_record(&record), Ok(()));
            if forged_state != genuine_state {
                prop_assert_ne!(flipped.event_id(), real.event_id());
                prop_assert_ne!(&flipped.claims().state, &real.claims().state);
            }
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn never_panics_on_bytes(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = verify_notification(&body, &key(), MID);
        }

        #[test]
        fn never_panics_on_jsonish(body in r#"\{("(payinStateID|payinAmount|payinMerchantID|payinCurrency|payinMerchantOperationNumber|payinVerification|errorDetails|additionalInformation|codeErrorTrx)":("[^"]{0,12}"|-?[0-9.eE+]{1,8}|null|true|\[\]|\{\}),?){0,8}\}"#) {
            let _ = verify_notification(body.as_bytes(), &key(), MID);
        }
    }
}
