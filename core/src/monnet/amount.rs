//! Monnet amounts as text: the forms Monnet sends, and whether a text is a
//! rendering of the merchant's own amount.
//!
//! Monnet writes `payinAmount` with two decimals (`"150.00"`), and some
//! versions with one (`"150.0"`) or, as a JSON number, none (`150`)
//! (GATEWAYS.md, "Notification"). Nothing else is a form Monnet sends: a
//! leading zero (`"0150.00"`), a sign, an exponent, white space or a third
//! decimal is malformed. This matters because the notification hash binds
//! one concatenation, not fields: a genuine notification for `ORD70` of
//! `"1.00"` hashes exactly like `ORD7` of `"01.00"`. Read as a number,
//! `"01.00"` would equal an `ORD7` record of PEN 1.00; read as text, it is
//! no rendering of any amount, and is refused.

use crate::money::{Currency, Money};

/// Reads `text` as an amount in a form Monnet sends: digits without a
/// leading zero (`0` alone is allowed), then optionally `.` and one up to
/// the currency's decimal places. `None` for anything else.
pub(crate) fn parse_wire_amount(text: &str, currency: Currency) -> Option<Money> {
    let int = text.split_once('.').map_or(text, |(int, _)| int);
    if int.len() > 1 && int.starts_with('0') {
        return None;
    }
    Money::parse_decimal(text, currency).ok()
}

/// Whether `text` is one of the renderings of `amount` Monnet sends: every
/// decimal (`"1.50"`), or fewer when only zeros are dropped (`"1.5"`;
/// `"1.0"` and `"1"` for `1.00`).
pub(crate) fn renders(text: &str, amount: Money) -> bool {
    let full = amount.to_decimal_string();
    let Some((int, frac)) = full.split_once('.') else {
        return text == full;
    };
    (0..=frac.len()).any(|keep| {
        let (kept, dropped) = frac.split_at(keep);
        let candidate = if kept.is_empty() {
            int.to_owned()
        } else {
            format!("{int}.{kept}")
        };
        dropped.bytes().all(|b| b == b'0') && text == candidate
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wire_forms() {
        for (text, minor) in [
            ("150.00", 15000),
            ("150.0", 15000),
            ("150", 15000),
            ("0.50", 50),
            ("0.5", 50),
            ("0", 0),
            ("1.01", 101),
        ] {
            assert_eq!(
                parse_wire_amount(text, Currency::PEN),
                Some(Money::pen(minor)),
                "{text}"
            );
        }
        for text in [
            "01.00", "0150.00", "00.50", "00", "150.", ".50", "150.000", "+150.00", "-1.00",
            " 150.00", "150.00 ", "1e2", "1,00", "", "١٥٠",
        ] {
            assert_eq!(parse_wire_amount(text, Currency::PEN), None, "{text:?}");
        }
    }

    #[test]
    fn renderings_of_an_amount() {
        let one = Money::pen(100);
        for text in ["1.00", "1.0", "1"] {
            assert!(renders(text, one), "{text}");
        }
        for text in ["01.00", "1.", "1.000", "100", "0.01", " 1.00", "1.10"] {
            assert!(!renders(text, one), "{text}");
        }
        let price = Money::pen(150);
        assert!(renders("1.50", price) && renders("1.5", price));
        assert!(!renders("1", price) && !renders("1.05", price));
        let cents = Money::pen(5);
        assert!(renders("0.05", cents));
        assert!(!renders("0.5", cents) && !renders(".05", cents));
    }

    proptest! {
        /// A text renders an amount exactly when it is in a wire form and
        /// reads as that amount: the text comparison and the strict reading
        /// agree, so neither a leading zero nor any other spelling can make
        /// two different texts equal the same record.
        #[test]
        fn rendering_is_strict_reading(minor in 0u64..10_000_000, text in "[0-9]{0,4}(\\.[0-9]{0,3})?") {
            let amount = Money::pen(minor);
            prop_assert_eq!(
                renders(&text, amount),
                parse_wire_amount(&text, Currency::PEN) == Some(amount)
            );
        }

        #[test]
        fn every_rendering_reads_back(minor in 0u64..10_000_000) {
            let amount = Money::pen(minor);
            let full = amount.to_decimal_string();
            prop_assert!(renders(&full, amount));
            prop_assert_eq!(parse_wire_amount(&full, Currency::PEN), Some(amount));
        }
    }
}
