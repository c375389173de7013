//! SmilePayz pay-in API v2.0 (Peru, PEN).
//!
//! Every call is a `POST` of minified JSON with `X-TIMESTAMP` (Peru time),
//! `X-SIGNATURE` (RSASSA-PKCS1-v1_5/SHA-256 over
//! `X-TIMESTAMP|merchantSecret|body`) and `X-PARTNER-ID`:
//!
//! | call | prepare | parse |
//! |---|---|---|
//! | create pay-in | [`prepare_pay_in`] | [`parse_pay_in_response`] |
//! | inquiry status | [`prepare_inquiry_status`] | [`parse_inquiry_status_response`] |
//! | inquiry balance | [`prepare_inquiry_balance`] | [`parse_inquiry_balance_response`] |
//!
//! Callbacks are checked with [`verify_callback`]; read its module notes on
//! what the callback signature does *not* cover.

mod callback;
mod config;
mod inquiry;
mod minify;
mod model;
mod payin;
mod request;
mod response;
mod signature;
mod timestamp;

pub use callback::{
    CALLBACK_ACK_BODY, Callback, DEFAULT_CALLBACK_TOLERANCE, SIGNATURE_HEADER, TIMESTAMP_HEADER,
    verify_callback,
};
pub use config::{Config, Environment};
pub use inquiry::{
    Balance, INQUIRY_BALANCE_PATH, INQUIRY_STATUS_PATH, InquiryBalanceRequest,
    InquiryBalanceResponse, InquiryStatusRequest, InquiryStatusResponse,
    parse_inquiry_balance_response, parse_inquiry_status_response, prepare_inquiry_balance,
    prepare_inquiry_balance_unsigned, prepare_inquiry_status, prepare_inquiry_status_unsigned,
};
pub use minify::{MinifyError, minify_json};
pub use model::{
    Currency, MAX_AMOUNT, MIN_AMOUNT, Money, Payer, PaymentMethod, TradeType, TransactionStatus,
};
pub use payin::{
    Channel, DEFAULT_EXPIRY_SECS, Merchant, PAY_IN_PATH, PayInRequest, PayInResponse,
    ResponseMerchant, parse_pay_in_response, prepare_pay_in, prepare_pay_in_unsigned,
};
pub use request::UnsignedRequest;
pub(crate) use request::no_signer as no_signer_error;
pub use response::SUCCESS_CODE;
pub use signature::{
    callback_string_to_sign, request_string_to_sign, sign_callback, sign_request,
    verify_request_signature,
};
pub use timestamp::{PERU_OFFSET, check_timestamp_window, format_timestamp, parse_timestamp};
