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
//!
//! ## A signed SmilePayz pay-in, byte for byte
//!
//! PKCS#1 v1.5 signatures are deterministic, so a request prepared at a
//! fixed time with a fixed key is the same bytes every time, signature
//! included (the key here is the project's TEST ONLY key):
//!
//! ```
//! use pasarela_core::crypto::{Backend, PrivateKey};
//! use pasarela_core::smilepayz::{self, Config, Environment, Merchant, Money, PayInRequest};
//! use pasarela_core::MerchantSecret;
//! use time::macros::datetime;
//!
//! let key = PrivateKey::load(include_str!("../testdata/keys/merchant_private_pkcs8.pem"))?;
//! let config = Config::new(
//!     "20001",                                    // X-PARTNER-ID
//!     MerchantSecret::new("TEST-ONLY-secret"),
//!     Backend::default().signer(&key)?,           // or your own HSM/KMS `Signer`
//!     Environment::Sandbox,
//! );
//! let request = PayInRequest::new(Merchant::new("20011"), "ORDER20240001", Money::pen(20000), "Pedido 1")
//!     .with_callback_url("https://shop.example/cb");
//!
//! let prepared = smilepayz::prepare_pay_in(&config, &request, datetime!(2020-12-17 15:55:00 UTC))?;
//!
//! assert_eq!(prepared.to_wire_text().replace("\r\n", "\n"), r#"POST /v2.0/transaction/pay-in HTTP/1.1
//! Host: sandbox-gateway.smilepayz.com
//! Content-Type: application/json
//! X-TIMESTAMP: 2020-12-17T10:55:00-05:00
//! X-SIGNATURE: FAUsDniSWKcRK89C1VnbQEc/yBp2uPP484m8eWcHXHQnESgzpWoMv1bRIfubVg84eqIkRZkRTxsiabPCLDRSXLmEdfyaISzuMWsldpMDaPqybgLHscpNQpw/ND/K3nWXgG9spoq76PIWQTOgfezDr8MxYnnrqfKxLTkO3q/xbOcc4lg3hlst6M5piGIpZMTy0feCRCAlMc2bC1B4u+1baTE7AUYtIZtYfzF4fG4tvQnr8oJoqYxALmzcN3072hGx8yrtJeNTypV9CaCoNDMG+4MAxjDEioPfNy7c9cXVn8wIDpJB0L7tUPtZGZH37pZwSDYObESOMx8Tpu7eYgOUAQ==
//! X-PARTNER-ID: 20001
//! Content-Length: 193
//!
//! {"merchant":{"merchantId":"20011"},"money":{"amount":20000,"currency":"PEN"},"orderNo":"ORDER20240001","paymentMethod":"CASHIER_PE","purpose":"Pedido 1","callbackUrl":"https://shop.example/cb"}"#);
//!
//! // Hand it to any transport, or convert it for your own HTTP stack:
//! let http_request: pasarela_core::http_types::Request<Vec<u8>> = prepared.into_http()?;
//! assert_eq!(http_request.headers()["x-partner-id"], "20001");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Callbacks: what is signed and what is not
//!
//! [`smilepayz::verify_callback`] checks the platform's signature over
//! `tradeNo|X-TIMESTAMP` and the timestamp window. The signature does **not**
//! cover the body, so confirm amount and status with an inquiry-status call
//! before shipping goods, and handle repeated deliveries idempotently.
//!
//! ## Features
//!
//! | feature | effect |
//! |---|---|
//! | *(none)* | signing and verification on the pure-Rust `rsa` crate |
//! | `aws-lc` | adds the AWS-LC backend (constant-time, faster) and makes it [`crypto::Backend::default`] |
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
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
