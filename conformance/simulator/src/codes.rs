//! The codes the simulator answers with, one per reject reason.
//!
//! The real gateways do not publish a complete code list; these are the
//! simulator's own, documented in the crate README, and stable. Clients
//! should treat any code other than the success code as a rejection (which
//! is what GATEWAYS.md says), and may use these to tell reasons apart in
//! tests.

/// SmilePayz `code` values (with the HTTP status they come with).
pub mod smilepayz {
    /// Success (HTTP 200).
    pub const SUCCESS: &str = "00";
    /// `X-PARTNER-ID` is not a merchant the simulator knows (HTTP 401).
    pub const UNKNOWN_PARTNER: &str = "01";
    /// A required header is missing or malformed: `Content-Type` not
    /// `application/json`, `X-PARTNER-ID`, `X-TIMESTAMP` not
    /// `yyyy-MM-ddTHH:mm:ss±HH:mm`, `X-SIGNATURE` not base64 (HTTP 400).
    pub const BAD_HEADER: &str = "02";
    /// `X-TIMESTAMP` is more than 5 minutes from the simulator's clock (HTTP 401).
    pub const TIMESTAMP_OUT_OF_WINDOW: &str = "03";
    /// `X-SIGNATURE` does not verify over `timestamp|secret|body` with the
    /// merchant's public key (HTTP 401).
    pub const BAD_SIGNATURE: &str = "04";
    /// The body is not JSON of the call's shape: not JSON, a missing field,
    /// a wrong type (HTTP 400).
    pub const MALFORMED_BODY: &str = "05";
    /// A field breaks a rule of GATEWAYS.md; the message names field and rule
    /// (HTTP 400).
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
}

/// Monnet `payinErrorCode` values (with the HTTP status they come with).
pub mod monnet {
    /// Success (HTTP 200).
    pub const SUCCESS: &str = "0000";
    /// A field of the seed's table is absent (HTTP 400).
    pub const MISSING_FIELD: &str = "0001";
    /// `payinCustomerName`, `payinCustomerLastName`, `payinCustomerEmail` or
    /// `payinCustomerPhone` is empty (HTTP 400).
    pub const EMPTY_CUSTOMER_FIELD: &str = "0002";
    /// A value breaks a rule (amount not two decimals, phone not 8–9 digits,
    /// non-https URL, …); the message names the field (HTTP 400).
    pub const INVALID_VALUE: &str = "0003";
    /// `payinVerification` is not the SHA-512 of the fields and KeyMonnet (HTTP 401).
    pub const BAD_VERIFICATION: &str = "0004";
    /// `payinMerchantOperationNumber` was used before (HTTP 409).
    pub const DUPLICATE_OPERATION: &str = "0005";
    /// `payinMerchantID` (or the `{MID}` of a status query) is unknown (HTTP 401).
    pub const UNKNOWN_MERCHANT: &str = "0006";
    /// The body is not a JSON object of string/number values (HTTP 400).
    pub const MALFORMED_BODY: &str = "0007";
    /// The status query's `authorization` header is missing or wrong (HTTP 401).
    pub const BAD_AUTHORIZATION: &str = "0008";
    /// No such proxy push id or endpoint (HTTP 404).
    pub const NO_SUCH_ENDPOINT: &str = "0009";
    /// The gateway-error trigger (HTTP 200).
    pub const GATEWAY_ERROR: &str = "9999";
}
