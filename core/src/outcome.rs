//! What a gateway's refusal means, where the gateway says so.
//!
//! - **Monnet** documents its create codes (`payinErrorCode` `0000`–`0099`):
//!   [`MonnetCreateCode`] types them, keeping the raw text of any other.
//!   None of them says "duplicate operation number", so a Monnet create
//!   rejection is never reported as a duplicate; `0099` (internal error) on
//!   a create leaves the outcome unknown: the clients report it as
//!   `OutcomeUnknown`, never as a clean refusal.
//! - **SmilePayz** publishes no code list. Codes stay raw strings; give the
//!   client the meanings your account manager confirms
//!   ([`SmilepayzCodeMeaning`], through
//!   `SmilepayzSettings::with_code_meaning`). Until then, nothing is
//!   guessed: no rejection is a duplicate, and reconciliation answers
//!   "cannot tell" rather than "not found".

use std::fmt;

/// A Monnet create `payinErrorCode`, typed where GATEWAYS.md documents it.
///
/// Open: any other code is [`Other`](Self::Other) with its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MonnetCreateCode {
    /// `0000`: success.
    Success,
    /// `0001`–`0007`: a required field was empty (merchant id, …, OK URL);
    /// the number is the code's last digit.
    RequiredFieldEmpty(u8),
    /// `0008`: processor code invalid.
    InvalidProcessorCode,
    /// `0009`: merchant id wrong.
    InvalidMerchantId,
    /// `0010`: `payinVerification` wrong (hash or key mismatch).
    InvalidVerification,
    /// `0011`: merchant not enabled.
    MerchantNotEnabled,
    /// `0012`: error URL invalid.
    InvalidErrorUrl,
    /// `0013`: OK URL invalid.
    InvalidOkUrl,
    /// `0015`: amount format invalid.
    InvalidAmountFormat,
    /// `0017`: currency invalid.
    InvalidCurrency,
    /// `0019`: currency not enabled for the merchant.
    CurrencyNotEnabled,
    /// `0022`–`0026`: a document type or number error; the number is the
    /// code's value (22–26).
    DocumentError(u8),
    /// `0099`: internal error. On a create the payment may or may not
    /// exist: reconcile before retrying.
    InternalError,
    /// Any other code, as received.
    Other(String),
}

impl MonnetCreateCode {
    /// Types a `payinErrorCode` (surrounding whitespace ignored).
    pub fn parse(code: &str) -> Self {
        let code = code.trim();
        let n = match code.len() {
            4 if code.bytes().all(|b| b.is_ascii_digit()) => code.parse::<u8>().ok(),
            _ => None,
        };
        match n {
            Some(0) => Self::Success,
            Some(d @ 1..=7) => Self::RequiredFieldEmpty(d),
            Some(8) => Self::InvalidProcessorCode,
            Some(9) => Self::InvalidMerchantId,
            Some(10) => Self::InvalidVerification,
            Some(11) => Self::MerchantNotEnabled,
            Some(12) => Self::InvalidErrorUrl,
            Some(13) => Self::InvalidOkUrl,
            Some(15) => Self::InvalidAmountFormat,
            Some(17) => Self::InvalidCurrency,
            Some(19) => Self::CurrencyNotEnabled,
            Some(d @ 22..=26) => Self::DocumentError(d),
            Some(99) => Self::InternalError,
            _ => Self::Other(code.to_owned()),
        }
    }

    /// The code as Monnet writes it (`"0010"`), or the raw text of an
    /// unknown one.
    pub fn code(&self) -> String {
        let n = match self {
            Self::Success => 0,
            Self::RequiredFieldEmpty(d) | Self::DocumentError(d) => *d,
            Self::InvalidProcessorCode => 8,
            Self::InvalidMerchantId => 9,
            Self::InvalidVerification => 10,
            Self::MerchantNotEnabled => 11,
            Self::InvalidErrorUrl => 12,
            Self::InvalidOkUrl => 13,
            Self::InvalidAmountFormat => 15,
            Self::InvalidCurrency => 17,
            Self::CurrencyNotEnabled => 19,
            Self::InternalError => 99,
            Self::Other(raw) => return raw.clone(),
        };
        format!("{n:04}")
    }

    /// Whether the code says the operation number already exists. Monnet
    /// documents no such code, so this is `false` for every code: a
    /// duplicate is recognised by reconciliation, not by a create's answer.
    pub fn is_duplicate(&self) -> bool {
        false
    }

    /// Whether a create refused with this code certainly created nothing:
    /// every refusal but `0099` (internal error), which the clients report
    /// as an unknown outcome. An undocumented code is taken as the refusal
    /// it says it is (a code, with HTTP < 500).
    pub fn settles_outcome(&self) -> bool {
        !matches!(self, Self::InternalError)
    }
}

impl fmt::Display for MonnetCreateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

/// What a SmilePayz response code means, as your account manager confirms
/// it (SmilePayz publishes no list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmilepayzCodeMeaning {
    /// Inquiry status: no transaction with this order or trade number.
    /// Reconciliation answers `NotFound` for it.
    NotFound,
    /// Pay-in: the order number is already used: a payment with it exists.
    /// The clients report [`ClientError::Duplicate`](crate::client::ClientError::Duplicate).
    DuplicateOrder,
    /// Pay-in: the gateway failed internally and may have recorded the
    /// payment. The clients report `OutcomeUnknown`.
    Indeterminate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monnet_codes_round_trip_and_stay_open() {
        for n in 0..=120u32 {
            let text = format!("{n:04}");
            let code = MonnetCreateCode::parse(&text);
            assert_eq!(code.code(), text, "{code:?}");
            assert!(!code.is_duplicate());
        }
        assert_eq!(
            MonnetCreateCode::parse("0010"),
            MonnetCreateCode::InvalidVerification
        );
        assert_eq!(
            MonnetCreateCode::parse("0003"),
            MonnetCreateCode::RequiredFieldEmpty(3)
        );
        assert_eq!(
            MonnetCreateCode::parse("0024"),
            MonnetCreateCode::DocumentError(24)
        );
        assert_eq!(
            MonnetCreateCode::parse("0014"),
            MonnetCreateCode::Other("0014".into())
        );
        assert_eq!(
            MonnetCreateCode::parse("E-1"),
            MonnetCreateCode::Other("E-1".into())
        );
        assert!(MonnetCreateCode::parse("0015").settles_outcome());
        assert!(!MonnetCreateCode::parse("0099").settles_outcome());
        assert!(MonnetCreateCode::parse("0014").settles_outcome());
    }
}
