//! Values shared by SmilePayz requests, responses and callbacks.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Rule, ValidationError};
use crate::validate;

/// Smallest accepted amount in céntimos (PEN 1.00).
pub const MIN_AMOUNT: u64 = 100;
/// Largest accepted amount in céntimos.
pub const MAX_AMOUNT: u64 = 999_999_999;

/// A currency. SmilePayz Peru takes Peruvian soles only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Currency {
    /// Peruvian sol.
    #[serde(rename = "PEN")]
    Pen,
}

impl Currency {
    /// The ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Pen => "PEN",
        }
    }
}

/// An amount of money in the smallest unit (céntimos: `20000` = PEN 200.00).
/// Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Amount in céntimos.
    pub amount: u64,
    /// Currency.
    pub currency: Currency,
}

impl Money {
    /// An amount in Peruvian céntimos.
    pub fn pen(centimos: u64) -> Self {
        Self {
            amount: centimos,
            currency: Currency::Pen,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        validate::range("money.amount", self.amount, MIN_AMOUNT, MAX_AMOUNT)
    }
}

impl fmt::Display for Money {
    /// `PEN 200.00`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}.{:02}",
            self.currency.code(),
            self.amount / 100,
            self.amount % 100
        )
    }
}

/// A payment method code. `CASHIER_PE` is the one SmilePayz offers in Peru
/// today; codes it adds later are carried as [`PaymentMethod::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PaymentMethod {
    /// `CASHIER_PE`: cash payment through the SmilePayz cashier page.
    CashierPe,
    /// Any other code, as sent or received.
    Other(String),
}

impl PaymentMethod {
    /// The wire code.
    pub fn code(&self) -> &str {
        match self {
            PaymentMethod::CashierPe => "CASHIER_PE",
            PaymentMethod::Other(code) => code,
        }
    }

    /// Reads a wire code.
    pub fn from_code(code: &str) -> Self {
        match code {
            "CASHIER_PE" => PaymentMethod::CashierPe,
            other => PaymentMethod::Other(other.to_owned()),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        validate::required_len("paymentMethod", self.code(), 1, 32)?;
        validate::charset(
            "paymentMethod",
            self.code(),
            |c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_',
            "an upper-case code of letters, digits and `_`",
        )
    }
}

impl Serialize for PaymentMethod {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for PaymentMethod {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Ok(PaymentMethod::from_code(&code))
    }
}

/// A transaction's status. Values the docs do not list are kept, not
/// rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TransactionStatus {
    /// Created, waiting for the payer.
    Processing,
    /// Paid.
    Success,
    /// Failed (declined, expired).
    Failed,
    /// Cancelled.
    Cancelled,
    /// A status this SDK does not know yet, as received.
    Unknown(String),
}

impl TransactionStatus {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            TransactionStatus::Processing => "PROCESSING",
            TransactionStatus::Success => "SUCCESS",
            TransactionStatus::Failed => "FAILED",
            TransactionStatus::Cancelled => "CANCELLED",
            TransactionStatus::Unknown(s) => s,
        }
    }

    /// Reads a wire value.
    pub fn from_wire(value: &str) -> Self {
        match value {
            "PROCESSING" => TransactionStatus::Processing,
            "SUCCESS" => TransactionStatus::Success,
            "FAILED" => TransactionStatus::Failed,
            "CANCELLED" => TransactionStatus::Cancelled,
            other => TransactionStatus::Unknown(other.to_owned()),
        }
    }

    /// Whether no further change is expected (`SUCCESS`, `FAILED`, `CANCELLED`).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            TransactionStatus::Success | TransactionStatus::Failed | TransactionStatus::Cancelled
        )
    }
}

impl fmt::Display for TransactionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TransactionStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TransactionStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = String::deserialize(d)?;
        Ok(TransactionStatus::from_wire(&value))
    }
}

/// The payer. Every field is optional (GATEWAYS.md; the seed's table marks
/// `payer` and `name` mandatory, but its own notes and the production docs
/// treat the payer as optional: we follow GATEWAYS.md).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payer {
    /// Identity document type, e.g. `DNI`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id_type: Option<String>,
    /// Identity document number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub identity: Option<String>,
    /// Full name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Phone number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
}

impl Payer {
    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        if let Some(v) = &self.id_type {
            validate::required_len("payer.idType", v, 1, 16)?;
            validate::charset(
                "payer.idType",
                v,
                |c| c.is_ascii_alphanumeric() || c == '_',
                "letters, digits or `_`",
            )?;
        }
        if let Some(v) = &self.identity {
            validate::required_len("payer.identity", v, 1, 32)?;
            validate::charset(
                "payer.identity",
                v,
                |c| c.is_ascii_alphanumeric() || c == '-',
                "letters, digits or `-`",
            )?;
        }
        if let Some(v) = &self.name {
            validate::required_len("payer.name", v, 1, 128)?;
            validate::printable("payer.name", v)?;
        }
        if let Some(v) = &self.phone {
            validate::required_len("payer.phone", v, 6, 20)?;
            let digits = v.strip_prefix('+').unwrap_or(v);
            validate::charset(
                "payer.phone",
                digits,
                |c| c.is_ascii_digit(),
                "digits, optionally after `+`",
            )?;
            if digits.is_empty() {
                return Err(ValidationError::new("payer.phone", Rule::Required));
            }
        }
        if let Some(v) = &self.email {
            validate::email("payer.email", v)?;
        }
        Ok(())
    }
}

/// Transaction type for inquiries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
}

impl Serialize for TradeType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.number())
    }
}

impl<'de> Deserialize<'de> for TradeType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match u8::deserialize(d)? {
            1 => TradeType::PayIn,
            2 => TradeType::PayOut,
            n => TradeType::Other(n),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_display_and_range() {
        assert_eq!(Money::pen(20000).to_string(), "PEN 200.00");
        assert_eq!(Money::pen(105).to_string(), "PEN 1.05");
        assert_eq!(
            Money::pen(99).validate().unwrap_err().field(),
            "money.amount"
        );
        assert_eq!(
            Money::pen(1_000_000_000).validate().unwrap_err().field(),
            "money.amount"
        );
        assert!(Money::pen(100).validate().is_ok());
        assert!(Money::pen(999_999_999).validate().is_ok());
    }

    #[test]
    fn statuses_keep_unknown_values() {
        let s: TransactionStatus = serde_json::from_str("\"REFUNDED\"").unwrap();
        assert_eq!(s, TransactionStatus::Unknown("REFUNDED".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"REFUNDED\"");
        assert!(TransactionStatus::from_wire("SUCCESS").is_final());
        assert!(!TransactionStatus::from_wire("PROCESSING").is_final());
    }

    #[test]
    fn payment_method_codes() {
        assert_eq!(
            PaymentMethod::from_code("CASHIER_PE"),
            PaymentMethod::CashierPe
        );
        assert!(PaymentMethod::Other("QR_PE".into()).validate().is_ok());
        assert_eq!(
            PaymentMethod::Other("qr pe".into())
                .validate()
                .unwrap_err()
                .field(),
            "paymentMethod"
        );
        assert_eq!(
            PaymentMethod::Other(String::new())
                .validate()
                .unwrap_err()
                .rule(),
            &Rule::Required
        );
    }

    #[test]
    fn payer_rules_name_fields() {
        let cases = [
            (
                Payer {
                    id_type: Some(String::new()),
                    ..Payer::default()
                },
                "payer.idType",
            ),
            (
                Payer {
                    identity: Some("12 34".into()),
                    ..Payer::default()
                },
                "payer.identity",
            ),
            (
                Payer {
                    name: Some("x".repeat(129)),
                    ..Payer::default()
                },
                "payer.name",
            ),
            (
                Payer {
                    phone: Some("98765x321".into()),
                    ..Payer::default()
                },
                "payer.phone",
            ),
            (
                Payer {
                    phone: Some("123".into()),
                    ..Payer::default()
                },
                "payer.phone",
            ),
            (
                Payer {
                    email: Some("nobody".into()),
                    ..Payer::default()
                },
                "payer.email",
            ),
        ];
        for (payer, field) in cases {
            assert_eq!(payer.validate().unwrap_err().field(), field);
        }
        assert!(Payer::default().validate().is_ok());
        let full = Payer {
            id_type: Some("DNI".into()),
            identity: Some("48982488880".into()),
            name: Some("Carlos Rodriguez Mendoza".into()),
            phone: Some("+51987654321".into()),
            email: Some("carlos@example.com".into()),
        };
        assert!(full.validate().is_ok());
    }
}
