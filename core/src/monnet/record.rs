//! Comparing what Monnet says with the merchant's own record of the order.
//!
//! A notification's hash binds a concatenation, not fields (GATEWAYS.md,
//! "Trust (Monnet)"): `"ORD-77" + "1.00"` and `"ORD-7" + "71.00"` hash
//! alike. What the merchant can rely on is that the operation number,
//! amount and currency *as bound* equal its own record of the order it is
//! about to ship. This is that comparison, pure; the client's confirmation
//! step runs it on the verified notification and on the status query's
//! answer.

use crate::money::{Currency, Money};

/// The merchant's own record of an order: what it asked Monnet to charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    operation_number: String,
    amount: Money,
}

impl OrderRecord {
    /// The record of the order sent as `operation_number` for `amount`.
    pub fn new(operation_number: impl Into<String>, amount: Money) -> Self {
        Self {
            operation_number: operation_number.into(),
            amount,
        }
    }

    /// `payinMerchantOperationNumber` as created.
    pub fn operation_number(&self) -> &str {
        &self.operation_number
    }

    /// The amount and currency as created.
    pub fn amount(&self) -> Money {
        self.amount
    }
}

/// How Monnet's figures differ from the merchant's record. Each is a
/// reason not to ship.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordMismatch {
    /// The operation number is not the record's (a boundary-shifted or
    /// foreign notification, or the wrong record).
    #[error("payinMerchantOperationNumber is not the order's")]
    OperationNumber,
    /// The currency is not the record's.
    #[error("payinCurrency {received} is not the order's {expected}")]
    Currency {
        /// The record's currency.
        expected: Currency,
        /// What Monnet reported, as received.
        received: String,
    },
    /// The amount is not a plain decimal in the currency's places.
    #[error("payinAmount is not a plain decimal amount")]
    AmountMalformed,
    /// The amount is not the record's.
    #[error("payinAmount {received} is not the order's {expected}")]
    Amount {
        /// The record's amount.
        expected: Money,
        /// What Monnet reported.
        received: Money,
    },
}

/// Compares an operation number, amount text and currency text as Monnet
/// reported them with the merchant's record: equal operation number
/// (exactly), equal currency code, equal amount in minor units (`"30.0"`
/// equals PEN 30.00).
pub fn compare_with_record(
    operation_number: &str,
    amount_text: &str,
    currency_text: &str,
    record: &OrderRecord,
) -> Result<(), RecordMismatch> {
    if operation_number != record.operation_number {
        return Err(RecordMismatch::OperationNumber);
    }
    let expected = record.amount;
    if currency_text != expected.currency().as_str() {
        return Err(RecordMismatch::Currency {
            expected: expected.currency(),
            received: currency_text.to_owned(),
        });
    }
    let received = Money::parse_decimal(amount_text, expected.currency())
        .map_err(|_| RecordMismatch::AmountMalformed)?;
    if received != expected {
        return Err(RecordMismatch::Amount { expected, received });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_operation_number_currency_and_amount() {
        let record = OrderRecord::new("ORD-77", Money::pen(100));
        assert_eq!(
            compare_with_record("ORD-77", "1.00", "PEN", &record),
            Ok(())
        );
        assert_eq!(compare_with_record("ORD-77", "1.0", "PEN", &record), Ok(()));
        assert_eq!(compare_with_record("ORD-77", "1", "PEN", &record), Ok(()));
        // The boundary shift of issue 11.
        assert_eq!(
            compare_with_record("ORD-7", "71.00", "PEN", &record),
            Err(RecordMismatch::OperationNumber)
        );
        assert_eq!(
            compare_with_record("ord-77", "1.00", "PEN", &record),
            Err(RecordMismatch::OperationNumber)
        );
        assert_eq!(
            compare_with_record("ORD-77", "1.00", "USD", &record),
            Err(RecordMismatch::Currency {
                expected: Currency::PEN,
                received: "USD".into()
            })
        );
        assert_eq!(
            compare_with_record("ORD-77", "1.001", "PEN", &record),
            Err(RecordMismatch::AmountMalformed)
        );
        assert_eq!(
            compare_with_record("ORD-77", "10.00", "PEN", &record),
            Err(RecordMismatch::Amount {
                expected: Money::pen(100),
                received: Money::pen(1000)
            })
        );
        assert_eq!(record.operation_number(), "ORD-77");
        assert_eq!(record.amount(), Money::pen(100));
        assert!(
            RecordMismatch::Amount {
                expected: Money::pen(100),
                received: Money::pen(1000)
            }
            .to_string()
            .contains("PEN 10.00")
        );
    }
}
