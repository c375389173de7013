//! One money type for both gateways: an integer number of minor units and a
//! currency. Never a float.
//!
//! Each gateway renders it its own way on the wire — SmilePayz as the integer
//! number of céntimos (`20000`), Monnet as a decimal with exactly two places
//! (`"200.00"`) — but an amount is the same value everywhere in the SDK, so a
//! merchant's record of an order compares directly with what a gateway
//! reports.
//!
//! ```
//! use pasarela_core::{Currency, Money};
//!
//! let price = Money::pen(20000);
//! assert_eq!(price.minor_units(), 20000);
//! assert_eq!(price.to_decimal_string(), "200.00");
//! assert_eq!(price.to_string(), "PEN 200.00");
//! assert_eq!(Money::parse_decimal("200.5", Currency::PEN)?, Money::pen(20050));
//! assert_eq!(Currency::new("USD")?.as_str(), "USD");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

/// An ISO 4217 currency code: three upper-case ASCII letters.
///
/// The set is open (a gateway may enable a currency later); [`Currency::PEN`]
/// is the one both Peruvian gateways take today. Every currency here has two
/// decimal places, as PEN and USD do.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Peruvian sol.
    pub const PEN: Currency = Currency(*b"PEN");
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");

    /// A currency from its code; fails unless `code` is three upper-case
    /// ASCII letters.
    pub fn new(code: &str) -> Result<Self, MoneyError> {
        match code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => Ok(Self([*a, *b, *c])),
            _ => Err(MoneyError::Currency),
        }
    }

    /// The three-letter code.
    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Decimal places of the currency's minor unit.
    pub const fn exponent(self) -> u32 {
        2
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// An amount: integer minor units (céntimos for PEN) and a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: u64,
    currency: Currency,
}

impl Money {
    /// `minor` minor units of `currency` (`Money::new(20000, Currency::PEN)`
    /// is PEN 200.00).
    pub const fn new(minor: u64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// An amount in Peruvian céntimos.
    pub const fn pen(centimos: u64) -> Self {
        Self::new(centimos, Currency::PEN)
    }

    /// The amount in minor units.
    pub const fn minor_units(&self) -> u64 {
        self.minor
    }

    /// The currency.
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount as a decimal with exactly the currency's decimal places:
    /// `"200.00"`. No currency code, no grouping.
    pub fn to_decimal_string(&self) -> String {
        let scale = 10u64.pow(self.currency.exponent());
        format!(
            "{}.{:0width$}",
            self.minor / scale,
            self.minor % scale,
            width = self.currency.exponent() as usize
        )
    }

    /// Parses a plain decimal (`150`, `150.5`, `150.50`): digits, optionally
    /// a `.` and at most the currency's decimal places. No sign, exponent,
    /// grouping or surrounding space.
    pub fn parse_decimal(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let (int, frac) = match text.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (text, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) {
            return Err(MoneyError::Format);
        }
        let places = currency.exponent() as usize;
        let frac = match frac {
            None => String::new(),
            Some(f) if digits(f) && f.len() <= places => f.to_owned(),
            Some(_) => return Err(MoneyError::Format),
        };
        let mut minor = 0u64;
        let padded = format!("{int}{frac:0<places$}");
        for b in padded.bytes() {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(u64::from(b - b'0')))
                .ok_or(MoneyError::TooLarge)?;
        }
        Ok(Self::new(minor, currency))
    }
}

impl fmt::Display for Money {
    /// `PEN 200.00`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency, self.to_decimal_string())
    }
}

/// Text that is not an amount or a currency. Never echoes the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MoneyError {
    /// Not a plain decimal with at most the currency's decimal places.
    Format,
    /// More than `u64::MAX` minor units.
    TooLarge,
    /// Not three upper-case ASCII letters.
    Currency,
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MoneyError::Format => {
                "must be a plain decimal number with at most two decimals, such as 150.00"
            }
            MoneyError::TooLarge => "is too large",
            MoneyError::Currency => "must be three upper-case letters (ISO 4217), such as PEN",
        })
    }
}

impl std::error::Error for MoneyError {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn renders_and_parses() {
        assert_eq!(Money::pen(5).to_decimal_string(), "0.05");
        assert_eq!(Money::pen(0).to_decimal_string(), "0.00");
        assert_eq!(Money::pen(123456789).to_string(), "PEN 1234567.89");
        for (s, minor) in [
            ("150", 15000),
            ("150.0", 15000),
            ("150.5", 15050),
            ("0.05", 5),
        ] {
            assert_eq!(
                Money::parse_decimal(s, Currency::PEN),
                Ok(Money::pen(minor)),
                "{s}"
            );
        }
        for s in [
            "", "1.", ".5", "1.234", "-1", "+1", "1e3", " 1", "1,00", "١٢",
        ] {
            assert_eq!(
                Money::parse_decimal(s, Currency::PEN),
                Err(MoneyError::Format),
                "{s}"
            );
        }
        assert_eq!(
            Money::parse_decimal("999999999999999999999", Currency::PEN),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn currencies_are_three_upper_case_letters() {
        assert_eq!(Currency::new("PEN"), Ok(Currency::PEN));
        for bad in ["pen", "PE", "PENN", "P3N", "", "ÑEN"] {
            assert_eq!(Currency::new(bad), Err(MoneyError::Currency), "{bad}");
        }
        assert_eq!(format!("{:?}", Currency::USD), "USD");
    }

    proptest! {
        #[test]
        fn decimal_round_trips(minor in any::<u64>()) {
            let m = Money::pen(minor);
            prop_assert_eq!(Money::parse_decimal(&m.to_decimal_string(), Currency::PEN), Ok(m));
        }
    }
}
