//! Money as an integer number of cents, rendered with exactly two decimals.

use std::fmt;
use std::str::FromStr;

use crate::error::{Rule, ValidationError};

/// An amount in cents (céntimos). Never a float.
///
/// Renders with exactly two decimals, as Monnet's `payinAmount` requires:
/// `Amount::from_cents(15000)` is `"150.00"`.
///
/// ```
/// use pasarela_core::monnet::Amount;
/// let a: Amount = "150.5".parse()?;
/// assert_eq!(a.cents(), 15050);
/// assert_eq!(a.to_string(), "150.50");
/// # Ok::<(), pasarela_core::ValidationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(u64);

const FORMAT: &str = "a decimal number with at most two decimals, such as 150.00";

impl Amount {
    /// An amount of `cents` hundredths.
    pub const fn from_cents(cents: u64) -> Self {
        Self(cents)
    }

    /// The amount in cents.
    pub const fn cents(self) -> u64 {
        self.0
    }

    /// Parses a plain decimal string: digits, optionally a `.` and one or two
    /// decimals (`150`, `150.5`, `150.50`). No sign, exponent, grouping or
    /// surrounding space. Errors name `payinAmount`.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let err = |rule| ValidationError::new("payinAmount", rule);
        if text.is_empty() {
            return Err(err(Rule::Required));
        }
        let (int, frac) = match text.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (text, None),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !all_digits(int) {
            return Err(err(Rule::Format(FORMAT.into())));
        }
        let frac_cents = match frac {
            None => 0,
            Some(f) if (1..=2).contains(&f.len()) && all_digits(f) => {
                let mut v = 0u64;
                for b in f.bytes() {
                    v = v * 10 + u64::from(b - b'0');
                }
                if f.len() == 1 { v * 10 } else { v }
            }
            Some(_) => return Err(err(Rule::Format(FORMAT.into()))),
        };
        let range = || {
            err(Rule::OutOfRange {
                min: 0,
                max: u64::MAX / 100,
            })
        };
        let mut units = 0u64;
        for b in int.bytes() {
            units = units
                .checked_mul(10)
                .and_then(|u| u.checked_add(u64::from(b - b'0')))
                .ok_or_else(range)?;
        }
        units
            .checked_mul(100)
            .and_then(|c| c.checked_add(frac_cents))
            .map(Self)
            .ok_or_else(range)
    }
}

impl FromStr for Amount {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn renders_two_decimals() {
        assert_eq!(Amount::from_cents(15000).to_string(), "150.00");
        assert_eq!(Amount::from_cents(5).to_string(), "0.05");
        assert_eq!(Amount::from_cents(0).to_string(), "0.00");
        assert_eq!(Amount::from_cents(123456789).to_string(), "1234567.89");
    }

    #[test]
    fn parses_decimals() {
        for (s, cents) in [
            ("150", 15000),
            ("150.0", 15000),
            ("150.00", 15000),
            ("150.5", 15050),
            ("0.05", 5),
            ("00.00", 0),
        ] {
            assert_eq!(Amount::parse(s).unwrap().cents(), cents, "{s}");
        }
    }

    #[test]
    fn rejects_bad_text_naming_the_field() {
        for s in [
            "",
            "1.234",
            "1.",
            ".5",
            "-1",
            "+1",
            "1e3",
            " 1",
            "1,00",
            "1.0a",
            "١٢",
            "184467440737095516.16",
            "99999999999999999999",
        ] {
            let e = Amount::parse(s).unwrap_err();
            assert_eq!(e.field(), "payinAmount", "{s}");
        }
        assert_eq!(Amount::parse("").unwrap_err().rule(), &Rule::Required);
        assert!(matches!(
            Amount::parse("99999999999999999999").unwrap_err().rule(),
            Rule::OutOfRange { .. }
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn round_trips(cents in any::<u64>()) {
            let a = Amount::from_cents(cents);
            prop_assert_eq!(Amount::parse(&a.to_string()), Ok(a));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,30}") {
            let _ = Amount::parse(&s);
        }
    }
}
