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
//! )?;
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
//! let http_request: pasarela_core::http::Request<Vec<u8>> = prepared.into_http()?;
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
//! ## Monnet: create a card pay-in
//!
//! Build and validate the request (every rule is checked before a byte is
//! produced, and an error names the wire field), then prepare it: the body
//! carries every field of Monnet's table, in Monnet's order, every value a
//! JSON string, with `payinVerification` computed over exactly what is sent.
//! The wire text is safe to snapshot: the card data is masked.
//!
//! ```
//! use pasarela_core::monnet::{
//!     prepare_create, parse_create_response, Amount, CardExpiration, Config, CreateRequest,
//!     Cvv, Environment, Pan,
//! };
//! use pasarela_core::RawResponse;
//!
//! let config = Config::new("4001", "test-key-monnet", Environment::Certification)?;
//! let request = CreateRequest::builder()
//!     .amount("150.00".parse::<Amount>()?)
//!     .currency("PEN")
//!     .operation_number("ORD-000123")
//!     .method("TCTD")
//!     .customer_name("Rosa")
//!     .customer_last_name("Quispe")
//!     .customer_email("rosa@example.com")
//!     .customer_phone("987654321")
//!     .customer_document_type("DNI")
//!     .customer_document("44556677")
//!     .discount_coupon("0")
//!     .language("ES")
//!     .expiration_minutes(30)
//!     .date_time("2025-07-01")
//!     .ok_url("https://shop.example/ok")
//!     .error_url("https://shop.example/error")
//!     .customer_address("Av. Arequipa 123")
//!     .customer_city("Lima")
//!     .customer_country("Peru")
//!     .customer_zip_code("15001")
//!     .shipping_name("Rosa Quispe")
//!     .shipping_phone("987654321")
//!     .shipping_address("Av. Arequipa 123")
//!     .shipping_city("Lima")
//!     .shipping_region("Lima")
//!     .shipping_country("Peru")
//!     .shipping_zip_code("15001")
//!     .product_id("0")
//!     .product_description("0")
//!     .product_amount("0")
//!     .product_sku("0")
//!     .product_quantity("0")
//!     .pan(Pan::new("4517721004856075")?) // Monnet's test card
//!     .cvv(Cvv::new("123")?)
//!     .card_expiration(CardExpiration::new("2025-07")?)
//!     .build()?;
//!
//! let prepared = prepare_create(&config, &request)?;
//! assert_eq!(
//!     prepared.to_wire_text(),
//!     "POST /v1/push/7efeb612e5dda6f1 HTTP/1.1\r\n\
//!      Host: sandbox.pci-proxy.com\r\n\
//!      Content-Type: application/json\r\n\
//!      Content-Length: 1502\r\n\
//!      \r\n\
//!      {\"payinMerchantID\":\"4001\",\"payinAmount\":\"150.00\",\"payinCurrency\":\"PEN\",\
//!      \"payinMerchantOperationNumber\":\"ORD-000123\",\"payinMethod\":\"TCTD\",\
//!      \"payinVerification\":\"82ae4109cc444296ffb17ee2aef5c999f519dbd7ad09a262d0892148668e21b2\
//!      3e8f351ac0dd099d72a3bf072b333ae13b07f779c605e27188a7cbb7e734613e\",\
//!      \"payinCustomerName\":\"Rosa\",\"payinCustomerLastName\":\"Quispe\",\
//!      \"payinCustomerEmail\":\"rosa@example.com\",\"payinCustomerPhone\":\"987654321\",\
//!      \"payinCustomerTypeDocument\":\"DNI\",\"payinCustomerDocument\":\"44556677\",\
//!      \"payinRegularCustomer\":\"\",\"payinCustomerID\":\"\",\"payinDiscountCoupon\":\"0\",\
//!      \"payinLanguage\":\"ES\",\"payinExpirationTime\":\"30\",\"payinDateTime\":\"2025-07-01\",\
//!      \"payinTransactionOKURL\":\"https://shop.example/ok\",\
//!      \"payinTransactionErrorURL\":\"https://shop.example/error\",\"payinFilterBy\":\"\",\
//!      \"payinCustomerAddress\":\"Av. Arequipa 123\",\"payinCustomerCity\":\"Lima\",\
//!      \"payinCustomerRegion\":\"Lima\",\"payinCustomerCountry\":\"Peru\",\
//!      \"payinCustomerZipCode\":\"15001\",\"payinCustomerShippingName\":\"Rosa Quispe\",\
//!      \"payinCustomerShippingPhone\":\"987654321\",\
//!      \"payinCustomerShippingAddress\":\"Av. Arequipa 123\",\
//!      \"payinCustomerShippingCity\":\"Lima\",\"payinCustomerShippingRegion\":\"Lima\",\
//!      \"payinCustomerShippingCountry\":\"Peru\",\"payinCustomerShippingZipCode\":\"15001\",\
//!      \"payinProductID\":\"0\",\"payinProductDescription\":\"0\",\"payinProductAmount\":\"0\",\
//!      \"payinProductSku\":\"0\",\"payinProductQuantity\":\"0\",\
//!      \"URLMonnet\":\"https://cert.monnetpayments.com/api-payin/v3/online-payments\",\
//!      \"typePost\":\"json\",\"payinPan\":\"****************\",\"payinCvv\":\"***\",\
//!      \"payinCardExpiration\":\"*******\"}"
//! );
//! // payinVerification is SHA-512 over what the body says; check by hand with
//! // printf '%s' '4001ORD-000123150.00PENtest-key-monnet' | sha512sum
//! // Card data never prints.
//! assert!(!format!("{request:?}{prepared:?}").contains("4517721004856075"));
//!
//! // Send `prepared` with any transport, then:
//! let answer = RawResponse::new(
//!     200,
//!     r#"{"url":"https://test.test","payinErrorCode":"0000","payinErrorMessage":"Successfull process"}"#,
//! );
//! let created = parse_create_response(answer)?;
//! assert_eq!(created.redirect_url.as_str(), "https://test.test/"); // redirect the shopper here
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Redirecting the shopper is not the end: reaching the OK URL proves
//! nothing. Act only on a notification that
//! [passed verification](crate::monnet::verify_notification) (answer it
//! with HTTP 200), and confirm with a
//! [status query](crate::monnet::prepare_status_query) before shipping.
//!
//! ```
//! use pasarela_core::monnet::{payin_verification, verify_notification, PayinState};
//! use pasarela_core::MonnetKey;
//!
//! let key = MonnetKey::new("test-key-monnet");
//! let hash = payin_verification("4001", "ORD-000123", "150.00", "PEN", &key);
//! let body = format!(
//!     r#"{{"payinStateID":5,"payinState":"Autorizado","payinMerchantID":"4001",
//!         "payinAmount":150.00,"payinCurrency":"PEN",
//!         "payinMerchantOperationNumber":"ORD-000123","payinMethod":"TCTD",
//!         "payinVerification":"{hash}"}}"#
//! );
//! let notification = verify_notification(body.as_bytes(), &key)?;
//! assert_eq!(notification.state, PayinState::Authorized);
//! assert_eq!(notification.amount_text, "150.00"); // as sent, never re-formatted
//! # Ok::<(), pasarela_core::VerifyError>(())
//! ```
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
pub mod operation;
pub mod outcome;
pub mod secret;
pub mod smilepayz;
pub mod transport;
mod urls;
mod validate;
pub mod webhook;

pub use error::{
    GatewayRejection, KeyError, ParseError, PrepareError, ResponseError, Rule, SignError,
    ValidationError, VerifyError,
};
pub use http::{PreparedRequest, RawResponse};
pub use secret::{MerchantSecret, MonnetKey};
