//! The codes the simulator answers with, one per reject reason.
//!
//! Monnet documents its create codes (`0000`–`0099`, GATEWAYS.md "Create
//! response"): the simulator answers with them where one fits, and with its
//! own (`0090`–`0096`) only where the docs give none. SmilePayz publishes no
//! code list: every SmilePayz code here except `00` is the simulator's own.
//! All are documented in the crate README and stable. Clients should treat
//! any code other than the success code as a rejection, and may use these
//! to tell reasons apart in tests.

/// SmilePayz `code` values (with the HTTP status they come with). Only
/// `00` is the gateway's; the rest are the simulator's own.
pub mod smilepayz {
    /// Success (HTTP 200).
    pub const SUCCESS: &str = "00";
    /// `X-PARTNER-ID` is not a merchant the simulator knows (HTTP 401).
    pub const UNKNOWN_PARTNER: &str = "01";
    /// A required header is missing or malformed: `Content-Type` not
    /// `application/json`, `X-PARTNER-ID` not digits or `sandbox-` +
    /// digits, `X-TIMESTAMP` not RFC 3339 with seconds and an offset (`Z`
    /// or `±HH:mm`, no fraction), `X-SIGNATURE` not base64 (HTTP 400).
    pub const BAD_HEADER: &str = "02";
    /// `X-TIMESTAMP` is more than 5 minutes from the simulator's clock (HTTP 401).
    pub const TIMESTAMP_OUT_OF_WINDOW: &str = "03";
    /// `X-SIGNATURE` does not verify over `timestamp|secret|body` with the
    /// merchant's public key (HTTP 401).
    pub const BAD_SIGNATURE: &str = "04";
    /// The body is not JSON of the call's shape: not a JSON object, a
    /// mandatory field missing, a value of the wrong JSON type; the message
    /// names the JSON path (HTTP 400).
    pub const MALFORMED_BODY: &str = "05";
    /// A field breaks a rule of GATEWAYS.md; the message names field and
    /// rule (HTTP 400).
    pub const INVALID_FIELD: &str = "06";
    /// `orderNo` was used before by this merchant (HTTP 200).
    pub const DUPLICATE_ORDER: &str = "07";
    /// No such order, trade or account for this merchant (HTTP 200). Give
    /// it to `SmilepayzSettings::with_not_found_codes` so `reconcile_pay_in`
    /// answers `NotFound` against the simulator.
    pub const NOT_FOUND: &str = "22";
    /// The gateway-error trigger: "system busy" (HTTP 200).
    pub const GATEWAY_ERROR: &str = "09";
    /// No such endpoint or method (HTTP 404 or 405).
    pub const NO_SUCH_ENDPOINT: &str = "99";

    /// What each of these codes means, for a client talking to the
    /// simulator: `SmilepayzSettings::with_code_meanings(MEANINGS)`.
    /// SmilePayz publishes no list, so a client left without meanings reads
    /// every refused pay-in as an unknown outcome (and reconciles);
    /// with these, the simulator's refusals are refusals, `07` a duplicate,
    /// `22` "not found", and `09` (system busy) stays unknown.
    pub const MEANINGS: &[(&str, SmilepayzCodeMeaning)] = &[
        (UNKNOWN_PARTNER, SmilepayzCodeMeaning::Refused),
        (BAD_HEADER, SmilepayzCodeMeaning::Refused),
        (TIMESTAMP_OUT_OF_WINDOW, SmilepayzCodeMeaning::Refused),
        (BAD_SIGNATURE, SmilepayzCodeMeaning::Refused),
        (MALFORMED_BODY, SmilepayzCodeMeaning::Refused),
        (INVALID_FIELD, SmilepayzCodeMeaning::Refused),
        (DUPLICATE_ORDER, SmilepayzCodeMeaning::DuplicateOrder),
        (NOT_FOUND, SmilepayzCodeMeaning::NotFound),
        (GATEWAY_ERROR, SmilepayzCodeMeaning::Indeterminate),
        (NO_SUCH_ENDPOINT, SmilepayzCodeMeaning::Refused),
    ];

    use pasarela_core::outcome::SmilepayzCodeMeaning;
}

/// Monnet `payinErrorCode` values (with the HTTP status they come with).
///
/// `0000`–`0026` and `0099` are Monnet's documented create codes; `0090`–
/// `0096` are the simulator's own, for refusals the docs give no code for.
/// `0001`–`0007` name one empty field each, as Monnet's error-code page
/// lists them (merchant id, amount, currency, operation number,
/// verification, error URL, OK URL). The simulator splits the documented
/// range `0022`–`0026` ("document type / number errors") as below. `0011`
/// (merchant not enabled) is answered only by a simulator built with
/// [`with_monnet_merchant_disabled`](crate::SimulatorConfig::with_monnet_merchant_disabled).
pub mod monnet {
    /// Success (HTTP 200).
    pub const SUCCESS: &str = "0000";
    /// `payinMerchantID` is empty (HTTP 400; documented).
    pub const EMPTY_MERCHANT_ID: &str = "0001";
    /// `payinAmount` is empty (HTTP 400; documented).
    pub const EMPTY_AMOUNT: &str = "0002";
    /// `payinCurrency` is empty (HTTP 400; documented).
    pub const EMPTY_CURRENCY: &str = "0003";
    /// `payinMerchantOperationNumber` is empty (HTTP 400; documented).
    pub const EMPTY_OPERATION_NUMBER: &str = "0004";
    /// `payinVerification` is empty (HTTP 400; documented).
    pub const EMPTY_VERIFICATION: &str = "0005";
    /// `payinTransactionErrorURL` is empty (HTTP 400; documented).
    pub const EMPTY_ERROR_URL: &str = "0006";
    /// `payinTransactionOKURL` is empty (HTTP 400; documented).
    pub const EMPTY_OK_URL: &str = "0007";
    /// `payinMethod` (the processor code) is empty or not `TCTD`, `TC` or
    /// `TD` (HTTP 400; documented as "payinProcessorCode not valid").
    pub const INVALID_METHOD: &str = "0008";
    /// `payinMerchantID` (or the `{MID}` of a status query) is wrong (HTTP
    /// 401; documented).
    pub const UNKNOWN_MERCHANT: &str = "0009";
    /// `payinVerification` is not the SHA-512 of the fields and KeyMonnet
    /// (HTTP 401; documented).
    pub const BAD_VERIFICATION: &str = "0010";
    /// The merchant is known but not enabled (HTTP 403; documented): only
    /// with [`with_monnet_merchant_disabled`](crate::SimulatorConfig::with_monnet_merchant_disabled).
    pub const MERCHANT_NOT_ENABLED: &str = "0011";
    /// `payinTransactionErrorURL` is not https or longer than 250 characters
    /// (HTTP 400; documented).
    pub const INVALID_ERROR_URL: &str = "0012";
    /// `payinTransactionOKURL` is not https or longer than 250 characters
    /// (HTTP 400; documented).
    pub const INVALID_OK_URL: &str = "0013";
    /// `payinAmount` is not more than zero with exactly two decimals
    /// (HTTP 400; documented).
    pub const INVALID_AMOUNT: &str = "0015";
    /// `payinCurrency` is not three capital letters (HTTP 400; documented).
    pub const INVALID_CURRENCY: &str = "0017";
    /// `payinCurrency` is not enabled for the merchant (the simulated one
    /// takes PEN and USD) (HTTP 400; documented).
    pub const CURRENCY_NOT_ENABLED: &str = "0019";
    /// `payinCustomerTypeDocument` is not DNI, CE, RUC or PAS (HTTP 400;
    /// documented range).
    pub const INVALID_DOCUMENT_TYPE: &str = "0022";
    /// `payinCustomerDocument` is empty while its type is set (HTTP 400;
    /// documented range).
    pub const EMPTY_DOCUMENT: &str = "0023";
    /// `payinCustomerTypeDocument` is empty while a number is set (HTTP
    /// 400; documented range).
    pub const EMPTY_DOCUMENT_TYPE: &str = "0024";
    /// A DNI that is not 8 digits (HTTP 400; documented range).
    pub const INVALID_DNI: &str = "0025";
    /// Another document number that does not fit its type: RUC not 11
    /// digits, CE or PAS not up to 20 letters and digits (HTTP 400;
    /// documented range).
    pub const INVALID_DOCUMENT: &str = "0026";
    /// The gateway-error trigger: Monnet's "internal error" (HTTP 200;
    /// documented).
    pub const GATEWAY_ERROR: &str = "0099";
    /// A field of the seed's table is absent (HTTP 400; simulator's own).
    pub const MISSING_FIELD: &str = "0090";
    /// A field that must not be empty and has no documented code is empty:
    /// the four customer fields, product fields, `payinDateTime`,
    /// expiration time, language, `URLMonnet`, `typePost`, PAN, CVV, card
    /// expiration (HTTP 400; simulator's own).
    pub const EMPTY_FIELD: &str = "0091";
    /// A value breaks a rule without a documented code (phone not 8–9
    /// digits, email over 50, language, PAN, dates, …); the message names
    /// the field (HTTP 400; simulator's own).
    pub const INVALID_VALUE: &str = "0092";
    /// `payinMerchantOperationNumber` was used before (HTTP 409; simulator's own).
    pub const DUPLICATE_OPERATION: &str = "0093";
    /// The body is not a JSON object of string/number values (HTTP 400;
    /// simulator's own).
    pub const MALFORMED_BODY: &str = "0094";
    /// The status query's `authorization` header is missing or wrong (HTTP
    /// 401; simulator's own).
    pub const BAD_AUTHORIZATION: &str = "0095";
    /// No such proxy push id or endpoint, or not a POST (HTTP 404 or 405;
    /// simulator's own).
    pub const NO_SUCH_ENDPOINT: &str = "0096";
    /// `Content-Type` is not `application/json` (HTTP 415; simulator's own).
    pub const NOT_JSON: &str = "0097";
}
