//! Values shared by SmilePayz requests, responses and callbacks, and the
//! field rules they use.

use std::borrow::Cow;
use std::fmt;

use crate::json_writer::ObjectWriter;
use serde::{Deserialize, Serialize};

use super::schema::{self, FieldError, FieldType, FromWire, Presence, ToWire, WireType};
use crate::error::{Rule, ValidationError};
use crate::personal::{DocumentNumber, Email, PersonName, Phone};
use crate::validate;
use crate::{Currency, Money};

/// Smallest amount a pay-in may ask for, in céntimos (PEN 1.00).
pub const MIN_AMOUNT: u64 = 100;
/// Largest amount a pay-in may ask for, in céntimos.
pub const MAX_AMOUNT: u64 = 999_999_999;

/// The area code of Peru in SmilePayz's area table, for
/// [`PayInRequestBuilder::area`](super::PayInRequestBuilder::area).
pub const AREA_PERU: u16 = 15;

/// Declares an open enum of wire codes: known values typed, any other kept
/// as text.
macro_rules! open_code {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[doc = $doc:literal])* $variant:ident = $code:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[doc = $doc])* $variant, )*
            /// Any other code, exactly as sent or received.
            Other(String),
        }

        impl $name {
            /// The wire code.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $code, )*
                    $name::Other(code) => code,
                }
            }

            /// Reads a wire code; unknown codes are kept as [`Self::Other`].
            pub fn from_wire(code: &str) -> Self {
                match code {
                    $( $code => $name::$variant, )*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(code: &str) -> Self {
                Self::from_wire(code)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl WireType for $name {
            const TY: FieldType = FieldType::Text;
        }

        impl ToWire for $name {
            fn write(&self, w: &mut ObjectWriter, key: &'static str) {
                w.string(key, self.as_str());
            }
        }

        impl FromWire for $name {
            type Wire = String;
            fn from_wire(wire: String) -> Result<Self, FieldError> {
                Ok(Self::from_wire(&wire))
            }
            fn is_empty(wire: &String) -> bool {
                wire.is_empty()
            }
        }
    };
}

open_code! {
    /// A transaction's status. Values the docs do not list keep their text
    /// ([`TransactionStatus::Other`]), never a parse failure.
    pub enum TransactionStatus {
        /// `INIT`: received, the payer has not chosen a payment method yet.
        Init = "INIT",
        /// `PROCESSING`: created, waiting for the payer's payment.
        Processing = "PROCESSING",
        /// `SUCCESS`: paid (final).
        Success = "SUCCESS",
        /// `FAILED`: failed (final).
        Failed = "FAILED",
        /// `EXPIRED`: not paid in time, one of the failed states (final).
        Expired = "EXPIRED",
        /// `CANCELLED`: cancelled (final; named in the Peru callback
        /// description).
        Cancelled = "CANCELLED",
    }
}

impl TransactionStatus {
    /// Whether no further change is expected: `SUCCESS`, `FAILED`,
    /// `EXPIRED` (the status model's final states) and `CANCELLED` (the Peru
    /// callback description lists it; the model gives it no next state, and
    /// callbacks are sent for final states only). Unknown values are not
    /// final: keep asking.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            TransactionStatus::Success
                | TransactionStatus::Failed
                | TransactionStatus::Expired
                | TransactionStatus::Cancelled
        )
    }
}

open_code! {
    /// A payment method code. `CASHIER_PE` is the one SmilePayz documents for
    /// Peru today; the guide also lists bank transfer, so the set is open.
    pub enum PaymentMethod {
        /// `CASHIER_PE`: cash payment through the SmilePayz cashier page.
        CashierPe = "CASHIER_PE",
    }
}

impl PaymentMethod {
    /// The wire code (same as [`as_str`](Self::as_str)).
    pub fn code(&self) -> &str {
        self.as_str()
    }
}

open_code! {
    /// A payer's identity document type (Peru values; the set is open).
    pub enum IdType {
        /// `DNI`: Documento Nacional de Identidad.
        Dni = "DNI",
        /// `CE`: Carné de Extranjería.
        Ce = "CE",
        /// `PAS`: passport.
        Pas = "PAS",
        /// `RUC`: Registro Único de Contribuyentes (tax id).
        Ruc = "RUC",
    }
}

open_code! {
    /// A balance type of a balance inquiry.
    pub enum BalanceType {
        /// `BALANCE`: the account balance (the documented default).
        Balance = "BALANCE",
        /// `AVAILABLE`: the available balance.
        Available = "AVAILABLE",
    }
}

/// Transaction type of an inquiry: a number on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TradeType {
    /// `1`: a pay-in.
    PayIn,
    /// `2`: a pay-out.
    PayOut,
    /// Any other number, as received.
    Other(u8),
}

impl TradeType {
    /// The wire number.
    pub fn number(self) -> u8 {
        match self {
            TradeType::PayIn => 1,
            TradeType::PayOut => 2,
            TradeType::Other(n) => n,
        }
    }

    /// Reads a wire number.
    pub fn from_number(n: u8) -> Self {
        match n {
            1 => TradeType::PayIn,
            2 => TradeType::PayOut,
            n => TradeType::Other(n),
        }
    }
}

impl WireType for TradeType {
    const TY: FieldType = FieldType::Integer;
}

impl ToWire for TradeType {
    fn write(&self, w: &mut ObjectWriter, key: &'static str) {
        w.uint(key, u64::from(self.number()));
    }
}

/// A number, or a string of one (the PHP demo sends `"1"`).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum NumberOrText {
    Number(u64),
    Text(String),
}

impl FromWire for TradeType {
    type Wire = NumberOrText;
    fn from_wire(wire: NumberOrText) -> Result<Self, FieldError> {
        let n = match wire {
            NumberOrText::Number(n) => n,
            NumberOrText::Text(t) => t
                .parse::<u64>()
                .map_err(|_| FieldError::here("not a trade type number"))?,
        };
        u8::try_from(n)
            .map(TradeType::from_number)
            .map_err(|_| FieldError::here("not a trade type number"))
    }
}

// --- money ---------------------------------------------------------------

/// `money` on the wire: `{"amount": <integer céntimos>, "currency": "PEN"}`.
#[derive(Serialize, Deserialize)]
pub(crate) struct MoneyWire {
    amount: u64,
    currency: String,
}

/// The fields of [`MoneyWire`].
const MONEY_FIELDS: &[schema::Field] = &[
    schema::Field::new(
        "amount",
        "minor_units",
        Presence::Required,
        FieldType::Integer,
        "a whole number of minor units (céntimos)",
    ),
    schema::Field::new(
        "currency",
        "currency",
        Presence::NonEmpty,
        FieldType::Text,
        "three upper-case letters (ISO 4217)",
    ),
];

impl WireType for Money {
    const TY: FieldType = FieldType::Money;
    const NESTED: Option<&'static [schema::Field]> = Some(MONEY_FIELDS);
}

impl ToWire for Money {
    fn write(&self, w: &mut ObjectWriter, key: &'static str) {
        w.object(key, |m| {
            m.uint("amount", self.minor_units());
            m.string("currency", self.currency().as_str());
        });
    }
}

impl FromWire for Money {
    type Wire = MoneyWire;
    fn from_wire(wire: MoneyWire) -> Result<Self, FieldError> {
        let currency = Currency::new(&wire.currency)
            .map_err(|e| FieldError::new("currency", e.to_string()))?;
        Ok(Money::new(wire.amount, currency))
    }
}

/// A balance amount: `{"currency": "PEN", "value": "<minor units>"}`, the
/// value a string of digits (a JSON integer is read too).
pub(crate) struct BalanceMoney;

/// The fields of [`BalanceMoneyWire`].
const BALANCE_MONEY_FIELDS: &[schema::Field] = &[
    schema::Field::new(
        "currency",
        "currency",
        Presence::NonEmpty,
        FieldType::Text,
        "three upper-case letters (ISO 4217)",
    ),
    schema::Field::new(
        "value",
        "minor_units",
        Presence::NonEmpty,
        FieldType::Integer,
        "a string of digits: minor units (céntimos); a JSON integer is read too",
    ),
];

/// The wire form of [`BalanceMoney`].
#[derive(Deserialize)]
pub(crate) struct BalanceMoneyWire {
    currency: Option<String>,
    value: Option<NumberOrText>,
}

impl schema::Convert for BalanceMoney {
    type Target = Money;
    type Wire = BalanceMoneyWire;
    const TY: FieldType = FieldType::MoneyText;
    const NESTED: Option<&'static [schema::Field]> = Some(BALANCE_MONEY_FIELDS);
    fn convert(wire: BalanceMoneyWire) -> Result<Money, FieldError> {
        let currency = wire
            .currency
            .ok_or_else(|| FieldError::new("currency", "is missing"))?;
        let currency =
            Currency::new(&currency).map_err(|e| FieldError::new("currency", e.to_string()))?;
        let value = match wire.value {
            None => return Err(FieldError::new("value", "is missing")),
            Some(NumberOrText::Number(n)) => n,
            Some(NumberOrText::Text(t)) => {
                if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(FieldError::new(
                        "value",
                        "must be a whole number of minor units (céntimos), such as \"1050\"",
                    ));
                }
                t.parse::<u64>()
                    .map_err(|_| FieldError::new("value", "is too large"))?
            }
        };
        Ok(Money::new(value, currency))
    }
}

/// A callback's `transactionTime`: an RFC 3339 time; without an offset it
/// is Peru time.
pub(crate) struct PeruLocalTime;

impl schema::Convert for PeruLocalTime {
    type Target = time::OffsetDateTime;
    type Wire = String;
    const TY: FieldType = FieldType::PeruLocalTime;
    fn convert(wire: String) -> Result<Self::Target, FieldError> {
        super::timestamp::parse_peru_local_time(&wire).ok_or_else(|| {
            FieldError::here("not a yyyy-MM-ddTHH:mm:ss time with an optional RFC 3339 offset")
        })
    }
    fn is_empty(wire: &String) -> bool {
        wire.is_empty()
    }
}

impl WireType for time::OffsetDateTime {
    const TY: FieldType = FieldType::Timestamp;
}

impl FromWire for time::OffsetDateTime {
    type Wire = String;
    fn from_wire(wire: String) -> Result<Self, FieldError> {
        super::timestamp::parse_timestamp(&wire).ok_or_else(|| {
            FieldError::here("not a yyyy-MM-ddTHH:mm:ss timestamp with an RFC 3339 offset")
        })
    }
    fn is_empty(wire: &String) -> bool {
        wire.is_empty()
    }
}

impl WireType for Vec<BalanceType> {
    const TY: FieldType = FieldType::TextArray;
}

impl ToWire for Vec<BalanceType> {
    fn write(&self, w: &mut ObjectWriter, key: &'static str) {
        w.strings(key, self.iter().map(BalanceType::as_str));
    }
}

impl FromWire for Vec<BalanceType> {
    type Wire = Vec<String>;
    fn from_wire(wire: Vec<String>) -> Result<Self, FieldError> {
        Ok(wire.iter().map(|s| BalanceType::from_wire(s)).collect())
    }
    fn is_empty(wire: &Vec<String>) -> bool {
        wire.is_empty()
    }
}

// --- rules -----------------------------------------------------------------

type Field = &'static str;

/// A merchant id: digits in production (`20011`), `sandbox-` and digits in
/// the sandbox (`sandbox-20011`), at most 32 digits. Used for
/// `merchant.merchantId` and `X-PARTNER-ID`.
pub(crate) fn merchant_id(field: Field, value: &str) -> Result<(), ValidationError> {
    let digits = value.strip_prefix(SANDBOX_PREFIX).unwrap_or(value);
    validate::max_chars(field, digits, 32)?;
    validate::required_len(field, value, 1, SANDBOX_PREFIX.len() + 32)?;
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            Rule::Format(Cow::Borrowed(
                "a merchant id: digits (`20011`), or `sandbox-` and digits in the sandbox",
            )),
        ))
    }
}

/// The prefix of sandbox merchant ids.
pub(crate) const SANDBOX_PREFIX: &str = "sandbox-";

/// 1–64 ASCII letters or digits (sub-merchant ids).
pub(crate) fn alnum_id(field: Field, value: &str) -> Result<(), ValidationError> {
    validate::ascii_alnum(field, value, 1, 64)
}

/// `orderNo`: 6–32 ASCII letters or digits (no hyphen, no underscore).
pub(crate) fn order_no(field: Field, value: &str) -> Result<(), ValidationError> {
    validate::ascii_alnum(field, value, 6, 32)
}

/// A reference of an inquiry (`orderNo`, `tradeNo`): 1–32 ASCII letters or
/// digits.
pub(crate) fn reference(field: Field, value: &str) -> Result<(), ValidationError> {
    validate::ascii_alnum(field, value, 1, 32)
}

/// A name: 1–128 characters, not blank, no control characters. A name of
/// spaces only is no name: the simulator (like a gateway that trims its
/// input) reads `payer.name` " " as empty and refuses it.
pub(crate) fn name(field: Field, value: &str) -> Result<(), ValidationError> {
    validate::required_len(field, value, 1, 128)?;
    validate::not_blank(field, value)?;
    validate::printable(field, value)
}

/// `purpose`: 1–64 characters, not blank, no control characters (a
/// mandatory field of spaces only is refused as empty by the simulator).
pub(crate) fn purpose(field: Field, value: &str) -> Result<(), ValidationError> {
    validate::required_len(field, value, 1, 64)?;
    validate::not_blank(field, value)?;
    validate::printable(field, value)
}

/// An upper-case code of letters, digits and `_`, 1–32 characters.
fn code(field: Field, value: &str) -> Result<(), ValidationError> {
    validate::required_len(field, value, 1, 32)?;
    validate::charset(
        field,
        value,
        |c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_',
        "an upper-case code of letters, digits and `_`",
    )
}

/// `paymentMethod`.
pub(crate) fn payment_method(field: Field, value: &PaymentMethod) -> Result<(), ValidationError> {
    code(field, value.as_str())
}

/// `payer.idType`: one of the Peru values the SDK sends beside `identity`
/// (GATEWAYS.md: DNI, CE, PAS, RUC). The staging docs' NID/FID/PP/TIN go
/// with `idNumber`, which the SDK never sends.
pub(crate) fn id_type(field: Field, value: &IdType) -> Result<(), ValidationError> {
    match value {
        IdType::Other(code) if code.is_empty() => Err(ValidationError::new(field, Rule::Required)),
        IdType::Other(_) => Err(ValidationError::new(
            field,
            Rule::Format(Cow::Borrowed("one of DNI, CE, PAS, RUC (the Peru values)")),
        )),
        _ => Ok(()),
    }
}

/// `balanceTypes`: at least one, each `BALANCE` or `AVAILABLE`, the two
/// GATEWAYS.md lists (the simulator refuses any other). The type stays
/// open for reading; [`BalanceType::Other`] is refused when sending.
// The schema hands every rule a reference to the field's own type.
#[allow(clippy::ptr_arg)]
pub(crate) fn balance_types(field: Field, value: &Vec<BalanceType>) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, Rule::Required));
    }
    match value.iter().find(|t| matches!(t, BalanceType::Other(_))) {
        None => Ok(()),
        Some(_) => Err(ValidationError::new(
            field,
            Rule::Format(Cow::Borrowed("each one of BALANCE, AVAILABLE")),
        )),
    }
}

/// `payer.name`: a [`name`].
pub(crate) fn payer_name(field: Field, value: &PersonName) -> Result<(), ValidationError> {
    name(field, value.expose())
}

/// `payer.identity`: 1–32 ASCII letters, digits or `-`.
pub(crate) fn identity(field: Field, value: &DocumentNumber) -> Result<(), ValidationError> {
    let value = value.expose();
    validate::required_len(field, value, 1, 32)?;
    validate::charset(
        field,
        value,
        |c| c.is_ascii_alphanumeric() || c == '-',
        "letters, digits or `-`",
    )
}

/// `payer.phone`: 6–15 digits (an E.164 number's most), after an optional
/// `+`.
pub(crate) fn phone(field: Field, value: &Phone) -> Result<(), ValidationError> {
    let value = value.expose();
    let digits = value.strip_prefix('+').unwrap_or(value);
    validate::charset(
        field,
        digits,
        |c| c.is_ascii_digit(),
        "digits, optionally after `+`",
    )?;
    validate::required_len(field, digits, 6, 15)
}

/// An e-mail address.
pub(crate) fn email(field: Field, value: &Email) -> Result<(), ValidationError> {
    validate::email(field, value.expose())
}

// The payer's personal data on the wire: text, written and read as given.
macro_rules! personal_wire {
    ($($t:ty),*) => {$(
        impl WireType for $t {
            const TY: FieldType = FieldType::Text;
        }

        impl ToWire for $t {
            fn write(&self, w: &mut ObjectWriter, key: &'static str) {
                w.string(key, self.expose());
            }
        }

        impl FromWire for $t {
            type Wire = String;
            fn from_wire(wire: String) -> Result<Self, FieldError> {
                Ok(Self::new(wire))
            }
            fn is_empty(wire: &String) -> bool {
                wire.is_empty()
            }
        }
    )*};
}
personal_wire!(PersonName, Email, Phone, DocumentNumber);

/// An http(s) URL of at most 256 characters.
pub(crate) fn http_url(field: Field, value: &str) -> Result<(), ValidationError> {
    validate::url(field, value, &["http", "https"], 256, "an http(s) URL")
}

/// `money`: PEN, 100..=999999999 céntimos.
pub(crate) fn pay_in_money(field: Field, value: &Money) -> Result<(), ValidationError> {
    if value.currency() != Currency::PEN {
        return Err(ValidationError::new(
            format!("{field}.currency"),
            Rule::Format(Cow::Borrowed("PEN (SmilePayz Peru takes soles only)")),
        ));
    }
    if (MIN_AMOUNT..=MAX_AMOUNT).contains(&value.minor_units()) {
        Ok(())
    } else {
        Err(ValidationError::new(
            format!("{field}.amount"),
            Rule::OutOfRange {
                min: MIN_AMOUNT,
                max: MAX_AMOUNT,
            },
        ))
    }
}

/// `expiryPeriod`: 300..=86400 seconds.
pub(crate) fn expiry_period(field: Field, value: &u32) -> Result<(), ValidationError> {
    validate::range(field, u64::from(*value), 300, 86_400)
}

/// `area`: a positive code of SmilePayz's area table.
pub(crate) fn area(field: Field, value: &u16) -> Result<(), ValidationError> {
    validate::range(field, u64::from(*value), 1, 999)
}

/// `tradeType`: 1 (pay-in) or 2 (pay-out), the two GATEWAYS.md lists (the
/// simulator refuses any other number). [`TradeType::Other`] is kept for
/// reading answers, refused when sending.
pub(crate) fn trade_type(field: Field, value: &TradeType) -> Result<(), ValidationError> {
    match value {
        TradeType::PayIn | TradeType::PayOut => Ok(()),
        TradeType::Other(_) => Err(ValidationError::new(
            field,
            Rule::Format(Cow::Borrowed("1 (pay-in) or 2 (pay-out)")),
        )),
    }
}

// --- payer -------------------------------------------------------------------

schema::request! {
    /// The payer of a pay-in. `name` is required; the rest is optional.
    ///
    /// Name, document number, phone and e-mail are personal data: held in
    /// [`crate::personal`]'s redacted types, masked in `Debug` (read them on
    /// purpose with `expose()`); sent as given.
    ///
    /// GATEWAYS.md decides here: `payer` and `payer.name` are mandatory (the
    /// seed's table and the production Peru page mark both "M"; the Java demo
    /// comments "required for peru"). An earlier version of this SDK made
    /// the payer optional from the seed's notes; GATEWAYS.md wins.
    ///
    /// ```
    /// use pasarela_core::smilepayz::{IdType, Payer};
    /// let payer = Payer::new("Carlos Rodriguez Mendoza")
    ///     .with_id_type(IdType::Dni)
    ///     .with_identity("48982488880")
    ///     .with_email("carlos@example.com");
    /// assert_eq!(payer.name().expose(), "Carlos Rodriguez Mendoza");
    /// assert!(!format!("{payer:?}").contains("Carlos")); // personal data never prints
    /// assert_eq!(payer.id_type(), Some(&IdType::Dni));
    /// assert_eq!(payer.phone(), None);
    /// ```
    pub struct Payer as "Payer", setters on Payer {
        /// Identity document type: `DNI`, `CE`, `PAS` or `RUC` (the type is
        /// open for reading; [`IdType::Other`] is refused when sending).
        id_type: IdType = "idType", Optional, get &IdType, set with_id_type,
            rule id_type => "DNI, CE, PAS or RUC";
        /// Identity document number. Sent as `identity` (the staging docs'
        /// `idNumber` is accepted by the gateway, never sent).
        identity: DocumentNumber = "identity", Optional, get &DocumentNumber, set with_identity,
            rule identity => "1–32 ASCII letters, digits or `-`";
        /// Full name.
        name: PersonName = "name", NonEmpty, get &PersonName,
            rule payer_name => "1–128 characters, not blank, no control characters";
        /// Phone number.
        phone: Phone = "phone", Optional, get &Phone, set with_phone,
            rule phone => "6–15 digits, optionally after `+`";
        /// E-mail address.
        email: Email = "email", Optional, get &Email, set with_email,
            rule email => "an e-mail address";
    }
}

impl Payer {
    /// A payer with the mandatory name.
    pub fn new(name: impl Into<PersonName>) -> Self {
        Self {
            id_type: None,
            identity: None,
            name: name.into(),
            phone: None,
            email: None,
        }
    }
}

impl schema::Fields for Payer {
    type Target = Payer;
    fn fields_mut(&mut self) -> &mut Payer {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smilepayz::schema::{Check, Presence};

    #[test]
    fn money_rule_names_the_field() {
        assert_eq!(
            pay_in_money("money", &Money::pen(99)).unwrap_err().field(),
            "money.amount"
        );
        assert_eq!(
            pay_in_money("money", &Money::pen(1_000_000_000))
                .unwrap_err()
                .field(),
            "money.amount"
        );
        assert!(pay_in_money("money", &Money::pen(100)).is_ok());
        assert!(pay_in_money("money", &Money::pen(999_999_999)).is_ok());
        assert_eq!(
            pay_in_money("money", &Money::new(20000, Currency::USD))
                .unwrap_err()
                .field(),
            "money.currency"
        );
    }

    #[test]
    fn statuses_are_an_open_set() {
        for (wire, status, is_final) in [
            ("INIT", TransactionStatus::Init, false),
            ("PROCESSING", TransactionStatus::Processing, false),
            ("SUCCESS", TransactionStatus::Success, true),
            ("FAILED", TransactionStatus::Failed, true),
            ("EXPIRED", TransactionStatus::Expired, true),
            ("CANCELLED", TransactionStatus::Cancelled, true),
        ] {
            assert_eq!(TransactionStatus::from_wire(wire), status);
            assert_eq!(status.as_str(), wire);
            assert_eq!(status.is_final(), is_final, "{wire}");
        }
        let other = TransactionStatus::from_wire("REFUNDED");
        assert_eq!(other, TransactionStatus::Other("REFUNDED".into()));
        assert_eq!(other.as_str(), "REFUNDED");
        assert!(!other.is_final());
        assert_eq!(
            serde_json::to_string(&TransactionStatus::Expired).unwrap(),
            "\"EXPIRED\""
        );
    }

    #[test]
    fn payment_method_rule() {
        assert_eq!(
            PaymentMethod::from_wire("CASHIER_PE"),
            PaymentMethod::CashierPe
        );
        assert!(payment_method("paymentMethod", &PaymentMethod::Other("QR_PE".into())).is_ok());
        assert_eq!(
            payment_method("paymentMethod", &PaymentMethod::Other("qr pe".into()))
                .unwrap_err()
                .field(),
            "paymentMethod"
        );
        assert_eq!(
            payment_method("paymentMethod", &PaymentMethod::Other(String::new()))
                .unwrap_err()
                .rule(),
            &Rule::Required
        );
    }

    #[test]
    fn merchant_ids_production_and_sandbox() {
        let longest = "9".repeat(32);
        let sandbox_longest = format!("sandbox-{longest}");
        for ok in ["20011", "1", "sandbox-20011", &longest, &sandbox_longest] {
            assert!(merchant_id("merchant.merchantId", ok).is_ok(), "{ok}");
        }
        let too_long = "9".repeat(33);
        let sandbox_too_long = format!("sandbox-{too_long}");
        for bad in [&too_long, &sandbox_too_long] {
            assert_eq!(
                merchant_id("merchant.merchantId", bad).unwrap_err().rule(),
                &Rule::TooLong { max: 32 },
                "{bad}"
            );
        }
        for bad in [
            "",
            "sandbox-",
            "sandbox-20a11",
            "Sandbox-20011",
            "20 11",
            "merchant1",
            "2001\r\n1",
        ] {
            assert_eq!(
                merchant_id("merchant.merchantId", bad).unwrap_err().field(),
                "merchant.merchantId",
                "{bad}"
            );
        }
    }

    #[test]
    fn payer_name_is_required_and_rules_name_fields() {
        let field = |p: Payer| p.check().unwrap_err().field().to_owned();
        assert_eq!(field(Payer::new("")), "name");
        assert_eq!(field(Payer::new("x".repeat(129))), "name");
        assert_eq!(field(Payer::new("Ana\n")), "name");
        // payer.name: not blank (white space only reads as empty).
        for blank in [" ", "   ", "\u{a0}", "\u{3000}"] {
            let err = Payer::new(blank).check().unwrap_err();
            assert_eq!(
                (err.field(), err.rule()),
                ("name", &Rule::Required),
                "{blank:?}"
            );
        }
        assert!(Payer::new(" Ana ").check().is_ok());
        assert_eq!(
            field(Payer::new("Ana").with_id_type(IdType::Other(String::new()))),
            "idType"
        );
        assert_eq!(
            field(Payer::new("Ana").with_id_type(IdType::Other("dni".into()))),
            "idType"
        );
        assert_eq!(field(Payer::new("Ana").with_identity("12 34")), "identity");
        assert_eq!(field(Payer::new("Ana").with_phone("98765x321")), "phone");
        assert_eq!(field(Payer::new("Ana").with_phone("123")), "phone");
        assert_eq!(field(Payer::new("Ana").with_phone("+")), "phone");
        // At most 15 digits (E.164), the `+` not counted.
        assert!(
            Payer::new("Ana")
                .with_phone("+519876543210123")
                .check()
                .is_ok()
        );
        assert_eq!(
            Payer::new("Ana")
                .with_phone("5198765432101234")
                .check()
                .unwrap_err()
                .rule(),
            &Rule::TooLong { max: 15 }
        );
        // Only the Peru id types are sent.
        for other in ["NID", "PP", "DNI2"] {
            assert_eq!(
                field(Payer::new("Ana").with_id_type(IdType::Other(other.into()))),
                "idType",
                "{other}"
            );
        }
        assert_eq!(field(Payer::new("Ana").with_email("nobody")), "email");
        assert!(Payer::new("Ana").check().is_ok());
        for id_type in [IdType::Dni, IdType::Ce, IdType::Pas, IdType::Ruc] {
            let full = Payer::new("Carlos Rodriguez Mendoza")
                .with_id_type(id_type)
                .with_identity("48982488880")
                .with_phone("+51987654321")
                .with_email("carlos@example.com");
            assert!(full.check().is_ok());
        }
        assert_eq!(IdType::from_wire("NID"), IdType::Other("NID".into()));
        let spec = |wire: &str| Payer::FIELDS.iter().find(|f| f.wire == wire).unwrap();
        assert_eq!(spec("name").presence, Presence::NonEmpty);
        for optional in ["idType", "identity", "phone", "email"] {
            assert_eq!(spec(optional).presence, Presence::Optional, "{optional}");
        }
    }

    #[test]
    fn payer_serializes_in_wire_order_without_unset_fields() {
        assert_eq!(Payer::new("Ana").to_json(), r#"{"name":"Ana"}"#);
        let full = Payer::new("Ana")
            .with_email("a@b.pe")
            .with_id_type(IdType::Ruc)
            .with_identity("20123456789")
            .with_phone("51987654321");
        assert_eq!(
            full.to_json(),
            r#"{"idType":"RUC","identity":"20123456789","name":"Ana","phone":"51987654321","email":"a@b.pe"}"#
        );
    }

    #[test]
    fn balance_money_reads_minor_unit_strings() {
        let read = |json: &str| {
            <BalanceMoney as schema::Convert>::convert(serde_json::from_str(json).unwrap())
        };
        assert_eq!(
            read(r#"{"currency":"PEN","value":"1050"}"#),
            Ok(Money::pen(1050))
        );
        assert_eq!(read(r#"{"currency":"PEN","value":0}"#), Ok(Money::pen(0)));
        for (bad, path) in [
            (r#"{"currency":"PEN","value":"10.50"}"#, "value"),
            (r#"{"currency":"PEN","value":""}"#, "value"),
            (r#"{"currency":"PEN","value":"-5"}"#, "value"),
            (r#"{"currency":"PEN"}"#, "value"),
            (r#"{"value":"1"}"#, "currency"),
            (r#"{"currency":"pen","value":"1"}"#, "currency"),
            (
                r#"{"currency":"PEN","value":"99999999999999999999999"}"#,
                "value",
            ),
        ] {
            assert_eq!(read(bad).unwrap_err().path, path, "{bad}");
        }
    }

    #[test]
    fn trade_type_rule_sends_only_pay_in_and_pay_out() {
        assert!(trade_type("tradeType", &TradeType::PayIn).is_ok());
        assert!(trade_type("tradeType", &TradeType::PayOut).is_ok());
        for n in [0, 1, 2, 3, 255] {
            let err = trade_type("tradeType", &TradeType::Other(n)).unwrap_err();
            assert_eq!(err.field(), "tradeType", "{n}");
            assert!(matches!(err.rule(), Rule::Format(_)), "{n}");
        }
    }

    #[test]
    fn balance_types_rule_sends_only_balance_and_available() {
        let check = |types: Vec<BalanceType>| balance_types("balanceTypes", &types);
        assert!(check(vec![BalanceType::Balance]).is_ok());
        assert!(check(vec![BalanceType::Balance, BalanceType::Available]).is_ok());
        assert_eq!(check(vec![]).unwrap_err().rule(), &Rule::Required);
        for other in ["PENDING", "BALANCE_2", "BALANCE", "balance", ""] {
            let err =
                check(vec![BalanceType::Balance, BalanceType::Other(other.into())]).unwrap_err();
            assert_eq!(err.field(), "balanceTypes", "{other}");
            assert!(matches!(err.rule(), Rule::Format(_)), "{other}");
        }
    }

    #[test]
    fn trade_type_reads_numbers_and_numeric_text() {
        let read = |json: &str| TradeType::from_wire(serde_json::from_str(json).unwrap());
        assert_eq!(read("1"), Ok(TradeType::PayIn));
        assert_eq!(read("\"2\""), Ok(TradeType::PayOut));
        assert_eq!(read("7"), Ok(TradeType::Other(7)));
        assert!(read("\"x\"").is_err());
        assert!(read("300").is_err());
    }
}
