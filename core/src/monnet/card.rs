//! Cardholder data (PCI DSS): PAN, CVV and expiry as redacted, validated
//! newtypes.
//!
//! Each zeroizes its memory on drop (also when validation fails), has no
//! `Display`, and a `Debug` that never shows the value: the PAN shows at most
//! its last four digits (`Pan(************6075)`), the CVV and expiry
//! nothing. The only way to read one is `expose_secret`.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{Rule, ValidationError};

fn digits(field: &'static str, value: &str, min: usize, max: usize) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, Rule::Required));
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::new(
            field,
            Rule::Format("digits only, without separators".into()),
        ));
    }
    if value.len() < min {
        return Err(ValidationError::new(field, Rule::TooShort { min }));
    }
    if value.len() > max {
        return Err(ValidationError::new(field, Rule::TooLong { max }));
    }
    Ok(())
}

/// A card number (`payinPan`): 8 to 19 ASCII digits, no separators.
#[derive(Clone)]
pub struct Pan(Zeroizing<String>);

impl Pan {
    /// Validates a card number. The error names `payinPan`, never the value.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = Zeroizing::new(value.into());
        digits("payinPan", &value, 8, 19)?;
        Ok(Self(value))
    }

    /// The card number. Call only where it is sent, never to print or log.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The last four digits, the most of a PAN that may be shown.
    pub fn last_four(&self) -> &str {
        let s = self.0.as_str();
        s.get(s.len().saturating_sub(4)..).unwrap_or("")
    }
}

impl fmt::Debug for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pan(")?;
        for _ in 0..self.0.len().saturating_sub(4) {
            f.write_str("*")?;
        }
        write!(f, "{})", self.last_four())
    }
}

/// A card security code (`payinCvv`): 3 or 4 ASCII digits.
#[derive(Clone)]
pub struct Cvv(Zeroizing<String>);

impl Cvv {
    /// Validates a security code. The error names `payinCvv`, never the value.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = Zeroizing::new(value.into());
        digits("payinCvv", &value, 3, 4)?;
        Ok(Self(value))
    }

    /// The security code. Call only where it is sent, never to print or log.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cvv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvv(<redacted>)")
    }
}

/// A card expiry (`payinCardExpiration`) as Monnet wants it: `YYYY-MM`,
/// month `01`..=`12`.
#[derive(Clone)]
pub struct CardExpiration(Zeroizing<String>);

impl CardExpiration {
    /// Validates a `YYYY-MM` expiry. The error names `payinCardExpiration`,
    /// never the value.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = Zeroizing::new(value.into());
        let b = value.as_bytes();
        let shape = b.len() == 7
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'-'
            && b[5..].iter().all(u8::is_ascii_digit);
        let month_ok = shape && matches!((b[5], b[6]), (b'0', b'1'..=b'9') | (b'1', b'0'..=b'2'));
        if value.is_empty() {
            return Err(ValidationError::new("payinCardExpiration", Rule::Required));
        }
        if !month_ok {
            return Err(ValidationError::new(
                "payinCardExpiration",
                Rule::Format("YYYY-MM with a month from 01 to 12".into()),
            ));
        }
        Ok(Self(value))
    }

    /// An expiry from a year (`1000..=9999`) and a month (`1..=12`).
    pub fn from_year_month(year: u16, month: u8) -> Result<Self, ValidationError> {
        if !(1000..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(ValidationError::new(
                "payinCardExpiration",
                Rule::Format("YYYY-MM with a month from 01 to 12".into()),
            ));
        }
        Self::new(format!("{year:04}-{month:02}"))
    }

    /// The `YYYY-MM` text. Call only where it is sent, never to print or log.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CardExpiration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardExpiration(<redacted>)")
    }
}

/// The card of a create request: number, security code and expiry, each
/// validated and redacted. A required part of
/// [`CreateRequest::builder`](super::CreateRequest::builder).
#[derive(Debug, Clone)]
pub struct Card {
    pan: Pan,
    cvv: Cvv,
    expiration: CardExpiration,
}

impl Card {
    /// A card from its validated parts.
    pub fn new(pan: Pan, cvv: Cvv, expiration: CardExpiration) -> Self {
        Self {
            pan,
            cvv,
            expiration,
        }
    }

    /// `payinPan`.
    pub fn pan(&self) -> &Pan {
        &self.pan
    }

    /// `payinCvv`.
    pub fn cvv(&self) -> &Cvv {
        &self.cvv
    }

    /// `payinCardExpiration`.
    pub fn expiration(&self) -> &CardExpiration {
        &self.expiration
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pan_debug_shows_last_four_only() {
        let pan = Pan::new("4517721004856075").unwrap();
        assert_eq!(format!("{pan:?}"), "Pan(************6075)");
        assert_eq!(format!("{pan:#?}"), "Pan(************6075)");
        assert_eq!(pan.last_four(), "6075");
        assert_eq!(pan.expose_secret(), "4517721004856075");
    }

    #[test]
    fn pan_rules_name_the_field() {
        for (input, rule) in [
            ("", Rule::Required),
            (
                "4517 7210 0485",
                Rule::Format("digits only, without separators".into()),
            ),
            (
                "4517-7210",
                Rule::Format("digits only, without separators".into()),
            ),
            ("1234567", Rule::TooShort { min: 8 }),
            ("12345678901234567890", Rule::TooLong { max: 19 }),
        ] {
            let e = Pan::new(input).unwrap_err();
            assert_eq!(e.field(), "payinPan");
            assert_eq!(e.rule(), &rule, "{input}");
            if input.len() > 4 {
                assert!(!e.to_string().contains(input));
                assert!(!format!("{e:?}").contains(input));
            }
        }
        assert!(Pan::new("12345678").is_ok());
        assert!(Pan::new("1234567890123456789").is_ok());
    }

    #[test]
    fn cvv_rules_name_the_field() {
        for (input, rule) in [
            ("", Rule::Required),
            (
                "12a",
                Rule::Format("digits only, without separators".into()),
            ),
            ("12", Rule::TooShort { min: 3 }),
            ("12345", Rule::TooLong { max: 4 }),
        ] {
            let e = Cvv::new(input).unwrap_err();
            assert_eq!(e.field(), "payinCvv");
            assert_eq!(e.rule(), &rule);
        }
        let cvv = Cvv::new("8351").unwrap();
        assert_eq!(format!("{cvv:?}"), "Cvv(<redacted>)");
        assert_eq!(Cvv::new("123").unwrap().expose_secret(), "123");
    }

    #[test]
    fn expiry_rules_name_the_field() {
        let e = CardExpiration::new("").unwrap_err();
        assert_eq!(
            (e.field(), e.rule()),
            ("payinCardExpiration", &Rule::Required)
        );
        for bad in [
            "2025-13",
            "2025-00",
            "2025-7",
            "25-07",
            "2025/07",
            "07-2025",
            "2025-07-01",
            "２０２５-07",
        ] {
            let e = CardExpiration::new(bad).unwrap_err();
            assert_eq!(e.field(), "payinCardExpiration", "{bad}");
            assert!(matches!(e.rule(), Rule::Format(_)));
        }
        for good in ["2025-01", "2031-09", "2025-10", "2025-12"] {
            assert_eq!(CardExpiration::new(good).unwrap().expose_secret(), good);
        }
        let exp = CardExpiration::from_year_month(2031, 9).unwrap();
        assert_eq!(exp.expose_secret(), "2031-09");
        assert_eq!(format!("{exp:?}"), "CardExpiration(<redacted>)");
        assert!(CardExpiration::from_year_month(2031, 13).is_err());
        assert!(CardExpiration::from_year_month(31, 1).is_err());
    }
}
