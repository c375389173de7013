//! # pasarela-core
//!
//! The sans-IO core of pasarela: the SmilePayz pay-in API v2.0 and the Monnet
//! Payin API v3 (back-to-back) as pure functions. Nothing in here opens a
//! socket, reads a clock or starts a thread:
//!
//! - `prepare_*` turns validated domain input into a [`PreparedRequest`]
//!   (method, URL, ordered headers, the exact body bytes that were signed or
//!   hashed);
//! - `parse_*` turns a [`RawResponse`] into a typed result or a typed error;
//! - `verify_*` turns callback/notification header values and body bytes into
//!   a verified, typed event.
//!
//! Time is always an argument, so every output is reproducible.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod crypto;
pub mod error;
pub mod http;
mod json;
pub mod monnet;
pub mod secret;
pub mod smilepayz;
pub mod transport;
mod validate;

pub use ::http as http_types;
pub use error::{
    GatewayRejection, KeyError, ParseError, PrepareError, ResponseError, Rule, SignError,
    ValidationError, VerifyError,
};
pub use http::{PreparedRequest, RawResponse};
pub use secret::{MerchantSecret, MonnetKey};
