//! SmilePayz pay-in API v2.0 (Peru, PEN).
//!
//! Every call is a `POST` of minified JSON with `X-TIMESTAMP` (Peru time),
//! `X-SIGNATURE` (RSASSA-PKCS1-v1_5/SHA-256 over
//! `X-TIMESTAMP|merchantSecret|body`) and `X-PARTNER-ID`:
//!
//! | call | request (builder) | prepare | parse |
//! |---|---|---|---|
//! | create pay-in | [`PayInRequest::builder`] | [`prepare_pay_in`] | [`parse_pay_in_response`] |
//! | inquiry status | [`InquiryStatusRequest::builder`] | [`prepare_inquiry_status`] | [`parse_inquiry_status_response`] |
//! | inquiry balance | [`InquiryBalanceRequest::builder`] | [`prepare_inquiry_balance`] | [`parse_inquiry_balance_response`] |
//!
//! Requests are built, not filled in: the constructor takes every required
//! part, setters the optional ones, and `build()` checks every rule and
//! names the broken field by its wire path. A built request is valid, so
//! `prepare_*` fails only on configuration or signing.
//!
//! Each message is declared once, in a schema (wire name, Rust name,
//! [`Presence`], type, rule) that generates its type, its validation, its
//! serialization or parsing, and its field list (`FIELDS`, a table of
//! [`Field`]: the one descriptor type of both gateways, see
//! [`crate::schema`]).
//!
//! Amounts are [`Money`](crate::Money) in integer céntimos; the unit is
//! contested in SmilePayz's docs, see [`PayInRequest`]'s module notes.
//!
//! Callbacks are checked with [`verify_callback`], which keeps what the
//! signature covers apart from what the body merely claims: read
//! [`VerifiedCallback`] before acting on one.

mod callback;
mod config;
mod inquiry;
mod minify;
mod model;
mod payin;
mod request;
mod response;
pub(crate) mod schema;
mod signature;
mod timestamp;

/// The personal data types the requests hold ([`crate::personal`]).
pub use crate::personal::{DocumentNumber, Email, PersonName, Phone};
pub use callback::{
    CALLBACK_ACK_BODY, CallbackAuth, CallbackClaims, CallbackEventId, CallbackPayer,
    DEFAULT_CALLBACK_TOLERANCE, SIGNATURE_HEADER, TIMESTAMP_HEADER, VerifiedCallback,
    callback_body_fields, verify_callback,
};
pub use config::{Config, Environment};
pub use inquiry::{
    BalanceAccount, INQUIRY_BALANCE_PATH, INQUIRY_STATUS_PATH, InquiryBalanceRequest,
    InquiryBalanceRequestBuilder, InquiryBalanceResponse, InquiryStatusRequest,
    InquiryStatusRequestBuilder, InquiryStatusResponse, parse_inquiry_balance_response,
    parse_inquiry_status_response, prepare_inquiry_balance, prepare_inquiry_balance_unsigned,
    prepare_inquiry_status, prepare_inquiry_status_unsigned,
};
pub use minify::{MinifyError, minify_json};
pub use model::{
    AREA_PERU, BalanceType, IdType, MAX_AMOUNT, MIN_AMOUNT, Payer, PaymentMethod, TradeType,
    TransactionStatus,
};
pub use payin::{
    Channel, DEFAULT_EXPIRY_SECS, Merchant, PAY_IN_PATH, PayInOutcome, PayInRequest,
    PayInRequestBuilder, PayInResponse, ResponseMerchant, check_merchant, demo_style_order_no,
    parse_pay_in_outcome, parse_pay_in_response, prepare_pay_in, prepare_pay_in_unsigned,
};
pub(crate) use request::no_signer as no_signer_error;
pub use request::{RequestBuilder, UnsignedRequest};
pub use response::{SUCCESS_CODE, response_timestamp};
pub use schema::{Field, FieldType, Presence};
pub use signature::{
    SIGNATURE_ALGORITHM, callback_string_to_sign, request_string_to_sign, sign_callback,
    sign_request, verify_request_signature,
};
pub use timestamp::{
    PERU_OFFSET, check_timestamp_window, format_timestamp, parse_peru_local_time, parse_timestamp,
};
