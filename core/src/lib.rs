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
//! Time is always an argument, so every output is reproducible. Around
//! these, the [`client`]s read the time from a [`client::Clock`] (the system
//! clock unless you give another), and only when you turn [`retry`]ing on do
//! they wait, with the [`retry::Sleeper`] you give them (by default a
//! blocking client sleeps its own thread and an async one uses a short
//! helper thread per wait: pass your runtime's sleep to avoid it).
//!
//! ## A signed SmilePayz pay-in, byte for byte
//!
//! PKCS#1 v1.5 signatures are deterministic, so a request prepared at a
//! fixed time with a fixed key is the same bytes every time, signature
//! included (the key here is the project's TEST ONLY key):
//!
//! ```
//! use pasarela_core::crypto::{Backend, PrivateKey};
//! use pasarela_core::smilepayz::{self, Config, Environment, Merchant, PayInRequest, Payer};
//! use pasarela_core::{MerchantSecret, Money};
//! use time::macros::datetime;
//!
//! let key = PrivateKey::load(include_str!("../testdata/keys/merchant_private_pkcs8.pem"))?;
//! let config = Config::new(
//!     "20011",                                    // X-PARTNER-ID: your merchant id
//!     MerchantSecret::new("TEST-ONLY-secret"),
//!     Backend::default().signer(&key)?,           // or your own HSM/KMS `Signer`
//!     Environment::Sandbox,
//! )?;
//! // A builder: every required part in the constructor, optionals by
//! // setter, every rule checked by `build()` (a broken one names its field).
//! let request = PayInRequest::builder(
//!     Merchant::of(&config), // merchant.merchantId: the same merchant (checked when prepared)
//!     "ORDER20240001",
//!     Money::pen(20000), // céntimos (PEN 200.00); the unit is contested: confirm in sandbox
//!     "Pedido 1",
//!     Payer::new("Rosa Quispe"), // payer and payer.name are mandatory
//! )
//! .callback_url("https://shop.example/cb")
//! .build()?;
//!
//! let prepared = smilepayz::prepare_pay_in(&config, &request, datetime!(2020-12-17 15:55:00 UTC))?;
//!
//! assert_eq!(prepared.to_wire_text().replace("\r\n", "\n"), r#"POST /v2.0/transaction/pay-in HTTP/1.1
//! Host: sandbox-gateway.smilepayz.com
//! Content-Type: application/json
//! X-TIMESTAMP: 2020-12-17T10:55:00-05:00
//! X-SIGNATURE: PZwgW3TRckkfApfFZpcrOPdrykuScH8TG3IPMCXGiqFr5j4BL0JSZPWIM+GOQyYv9Vb907uQXn/ZsRGnILPnytywCGI+guKQNKsGUt4WVQ7Zmzl9rDpC7iKtOCFna3OnP+RbXjVjxKauGNVreU9qNtc6QN36MSHm7Oom2zlc5mK4IuXM/n7Eu7IAsSLHmoQvS5GwLzGQrCADSfKfhIlK7X4uZOUD5yR/6MBRUcqLWGsPasNEn9sVUswIFAJQgTaFO+SNUC4D3glKQqXqxFl2rfBkPZoeCGGKR2pzFgdKebaVOVy7hUZTA56AaUycHEBfapHTvTvm60j1tquRVt/C8Q==
//! X-PARTNER-ID: 20011
//! Content-Length: 224
//!
//! {"merchant":{"merchantId":"20011"},"payer":{"name":"Rosa Quispe"},"money":{"amount":20000,"currency":"PEN"},"orderNo":"ORDER20240001","paymentMethod":"CASHIER_PE","purpose":"Pedido 1","callbackUrl":"https://shop.example/cb"}"#);
//!
//! // Hand it to any transport, or convert it for your own HTTP stack:
//! let http_request: pasarela_core::http::Request<Vec<u8>> = prepared.into_http()?;
//! assert_eq!(http_request.headers()["x-partner-id"], "20011");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Callbacks: what is signed and what is not
//!
//! [`smilepayz::verify_callback`] checks the platform's signature over
//! `tradeNo|X-TIMESTAMP` and the timestamp window. The signature does **not**
//! cover the body, so the [`smilepayz::VerifiedCallback`] it returns keeps
//! the authenticated facts ([`authenticated()`](smilepayz::VerifiedCallback::authenticated):
//! `tradeNo`, `X-TIMESTAMP`) apart from the unsigned
//! [`claims()`](smilepayz::VerifiedCallback::claims) (status, amount,
//! `orderNo`). Do not act on claims: confirm amount and status with an
//! inquiry-status call and your own record before shipping goods, and handle
//! repeated deliveries idempotently on
//! [`event_id()`](smilepayz::VerifiedCallback::event_id) (authenticated
//! parts only).
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
//!     prepare_create, parse_create_response, BillingAddress, Card, CardExpiration, CardMethod,
//!     Config, CreateRequest, Customer, Cvv, DocumentType, Environment, Pan, Product, Shipping,
//!     Transaction,
//! };
//! use pasarela_core::{Money, RawResponse};
//! use time::macros::date;
//!
//! let config = Config::new("4001", "test-key-monnet", Environment::Certification)?;
//! // The four required parts: leaving one out does not compile.
//! let transaction = Transaction::new(
//!     "ORD-000123",
//!     Money::pen(15000), // PEN 150.00, sent as "150.00"
//!     CardMethod::CreditOrDebit,
//!     "https://shop.example/ok",
//!     "https://shop.example/error",
//!     date!(2025 - 07 - 01),
//! ); // expiration 30 minutes and language ES unless set
//! let customer = Customer::new("Rosa", "Quispe", "rosa@example.com", "987654321")
//!     .document(DocumentType::Dni, "44556677");
//! let card = Card::new(
//!     Pan::new("4517721004856075")?, // Monnet's test card
//!     Cvv::new("123")?,
//!     CardExpiration::new("2025-07")?,
//! );
//! let request = CreateRequest::builder(transaction, customer, Product::placeholder(), card)
//!     // Optional parts; without them the fields go out as "".
//!     .billing_address(BillingAddress::new("Av. Arequipa 123", "Lima", "Lima", "Peru", "15001"))
//!     .shipping(Shipping::new(
//!         "Rosa Quispe", "987654321", "Av. Arequipa 123", "Lima", "Lima", "Peru", "15001",
//!     ))
//!     .discount_coupon("0")
//!     .build()?;
//!
//! let prepared = prepare_create(&config, &request); // cannot fail: both were checked
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
//! nothing. A notification that [passed verification](crate::monnet::verify_notification)
//! (answer it with HTTP 200) is *verified, not confirmed*: its hash binds
//! one concatenation of merchant id, operation number, amount and currency —
//! not the field boundaries, not the state. Compare what it binds with your
//! own record of the order, deduplicate on its event id, and confirm the
//! state with a [status query](crate::monnet::prepare_status_query) before
//! shipping.
//!
//! ```
//! use pasarela_core::confirm::ExpectedOperation;
//! use pasarela_core::monnet::{payin_verification, verify_notification, PayinState};
//! use pasarela_core::{Money, MonnetKey, VerifyError};
//!
//! let key = MonnetKey::new("test-key-monnet");
//! let hash = payin_verification("4001", "ORD-000123", "150.00", "PEN", &key);
//! let body = format!(
//!     r#"{{"payinStateID":5,"payinState":"Autorizado","payinMerchantID":"4001",
//!         "payinAmount":150.00,"payinCurrency":"PEN",
//!         "payinMerchantOperationNumber":"ORD-000123","payinMethod":"TCTD",
//!         "payinVerification":"{hash}"}}"#
//! );
//! let notification = verify_notification(body.as_bytes(), &key, "4001")?; // our merchant id
//! let bound = notification.authenticated();
//! assert_eq!(bound.amount_text(), "150.00"); // as sent, never re-formatted
//! assert_eq!(bound.hashed_concatenation(), "4001ORD-000123150.00PEN");
//! // Our record of the order: the same operation number, amount and currency.
//! bound.compare_with_record(&ExpectedOperation::new("ORD-000123", Money::pen(15000)))?;
//! // A claim, not a fact: confirm with the status query before shipping.
//! assert_eq!(notification.claims().state, PayinState::Authorized);
//! let _seen_before = notification.event_id(); // for idempotent handling
//!
//! // Monnet's own examples carry an empty hash: unverified, never valid.
//! let unverified = body.replace(&hash, "");
//! assert_eq!(
//!     verify_notification(unverified.as_bytes(), &key, "4001").unwrap_err(),
//!     VerifyError::Unverified("payinVerification")
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Services: one example per user
//!
//! **A blocking service** (any [`BlockingTransport`](transport::BlockingTransport):
//! `pasarela-ureq`, or your own). Every call is an
//! [`Operation`](operation::Operation) sent by one driver; outcomes say what
//! to do ([`client::ClientError`]):
//!
//! ```
//! use pasarela_core::client::{ClientError, SmilepayzClient, SmilepayzSettings};
//! use pasarela_core::crypto::{Backend, PrivateKey};
//! use pasarela_core::smilepayz::{Config, Environment, Merchant, PayInOutcome, PayInRequest, Payer};
//! use pasarela_core::Money;
//! use pasarela_core::transport::TransportError;
//! use pasarela_core::{MerchantSecret, PreparedRequest, RawResponse};
//! # const CREATED: &str = r#"{"code":"00","message":"ok","orderNo":"ORDER1234","merchant":{"merchantId":"20001"},"money":{"amount":20000,"currency":"PEN"},"transactionTime":"2020-12-17T10:55:00-05:00","channel":{"paymentMethod":"CASHIER_PE","paymentUrl":"https://pay.example/x"},"tradeNo":"T1","status":"PROCESSING"}"#;
//!
//! let key = PrivateKey::load(include_str!("../testdata/keys/merchant_private_pkcs8.pem"))?;
//! let config = Config::new("20001", MerchantSecret::new("TEST-ONLY-secret"),
//!     Backend::default().signer(&key)?, Environment::Sandbox)?;
//! // A closure is a transport: here it answers like the gateway would.
//! let transport = |_req: PreparedRequest| Ok::<_, TransportError>(RawResponse::new(200, CREATED));
//! let client = SmilepayzClient::new(SmilepayzSettings::new(config), transport);
//!
//! let request = PayInRequest::builder(
//!     Merchant::of(client.settings().config()), "ORDER1234", Money::pen(20000), "Pedido",
//!     Payer::new("Rosa Quispe"),
//! )
//! .build()?;
//! match client.pay_in(&request) {
//!     Ok(PayInOutcome::Redirect(created)) => {
//!         assert_eq!(created.channel.payment_url.as_str(), "https://pay.example/x")
//!     }
//!     Ok(PayInOutcome::Declined(_)) => { /* created already failed: show the decline */ }
//!     Ok(_) => { /* an unusual status: confirm_pay_in_status before acting */ }
//!     Err(e) if e.is_outcome_unknown() || e.is_duplicate() => { /* reconcile_pay_in first */ }
//!     Err(ClientError::Rejected(refusal)) => { /* a code you configured as Refused: nothing was created */ }
//!     Err(e) => return Err(e.into()),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **An async service** (tokio, axum, actix): the async clients' calls are
//! `Send` futures, so code generic over the transport can spawn them:
//!
//! ```
//! use pasarela_core::client::{AsyncMonnetClient, ClientError};
//! use pasarela_core::monnet::{Config, Environment, StatusResponse, StatusQuery};
//! use pasarela_core::transport::AsyncTransport;
//!
//! fn spawn_status<T>(client: AsyncMonnetClient<T>, op: String)
//!     -> impl std::future::Future<Output = Result<StatusResponse, ClientError<T::Error>>> + Send + 'static
//! where
//!     T: AsyncTransport + Send + Sync + 'static,
//! {
//!     // `tokio::spawn(...)` accepts exactly this: Send + 'static.
//!     async move { client.status(&StatusQuery::by_operation_number(op)).await }
//! }
//! # let client = AsyncMonnetClient::new(
//! #     Config::new("4001", "TEST-ONLY-key", Environment::Certification).unwrap(),
//! #     |_r: pasarela_core::PreparedRequest| async {
//! #         Ok::<_, pasarela_core::transport::TransportError>(pasarela_core::RawResponse::new(
//! #             200, r#"{"payinMerchantID":"4001","operations":[]}"#))
//! #     });
//! let answer = pasarela_core::transport::block_on(spawn_status(client, "OP1".into()))?;
//! assert!(answer.operations.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **A custom HTTP stack by closure, or by hand**: a closure returning a
//! `Send` future is an [`AsyncTransport`](transport::AsyncTransport); or take
//! an operation apart and classify the answer with the one classifier:
//!
//! ```
//! use pasarela_core::monnet::{Config, Environment, StatusQuery};
//! use pasarela_core::operation;
//! use pasarela_core::transport::TransportError;
//! use pasarela_core::RawResponse;
//!
//! let config = Config::new("4001", "TEST-ONLY-key", Environment::Certification)?;
//! let op = operation::monnet::status_query(&config, &StatusQuery::by_operation_number("OP1"),
//!     time::macros::date!(2025 - 07 - 15))?;
//! let (request, answer) = op.into_parts();
//! let http_request = request.into_http()?; // pasarela_core::http::Request<Vec<u8>>, for any client
//! assert_eq!(http_request.method(), pasarela_core::http::Method::POST);
//! let sent: Result<RawResponse, TransportError> =
//!     Ok(RawResponse::new(200, r#"{"payinMerchantID":"4001","operations":[]}"#));
//! assert!(answer.finish(sent)?.operations.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **A KMS signer**, in two steps and never blocking an executor: the
//! string to sign goes out, the signature comes back
//! ([`smilepayz::UnsignedRequest`]); or give the async client a
//! [`crypto::AsyncSigner`]:
//!
//! ```
//! use pasarela_core::client::{AsyncSmilepayzClient, SmilepayzSettings};
//! use pasarela_core::crypto::{AsyncSigner, SignatureAlgorithm};
//! use pasarela_core::smilepayz::{Config, Environment};
//! use pasarela_core::{MerchantSecret, SignError};
//!
//! struct Kms; // your cloud KMS client
//! impl AsyncSigner for Kms {
//!     fn algorithm(&self) -> SignatureAlgorithm {
//!         SignatureAlgorithm::RsaPkcs1v15Sha256 // the KMS key's algorithm
//!     }
//!     async fn sign_async(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
//!         let _ = message; // send SHA-256(message) to the KMS, RSASSA_PKCS1_V1_5_SHA_256
//!         Err(SignError::new("KMS unreachable in this example", None))
//!     }
//! }
//! let config = Config::without_signer("20001", MerchantSecret::new("TEST-ONLY-secret"), Environment::Sandbox)?;
//! let settings = SmilepayzSettings::new(config).with_async_signer(Kms);
//! # let transport = |_r: pasarela_core::PreparedRequest| async {
//! #     Ok::<_, pasarela_core::transport::TransportError>(pasarela_core::RawResponse::new(200, ""))
//! # };
//! let client = AsyncSmilepayzClient::new(settings, transport);
//! # let request = pasarela_core::smilepayz::PayInRequest::builder(
//! #     pasarela_core::smilepayz::Merchant::new("20001"), "ORDER1234",
//! #     pasarela_core::Money::pen(20000), "p", pasarela_core::smilepayz::Payer::new("Rosa"),
//! # ).build()?;
//! let outcome = pasarela_core::transport::block_on(client.pay_in(&request));
//! assert!(matches!(outcome, Err(pasarela_core::client::ClientError::Sign(_)))); // nothing sent
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **A webhook handler**: verify the `http::Request` with a
//! [`webhook::SmilepayzWebhook`] built once, handle each event once (by its
//! [`event_id`](smilepayz::VerifiedCallback::event_id), made of signed parts
//! only), confirm it against your record, and only then ship
//! ([`webhook::MonnetWebhook`] and `confirm_operation` are the same for
//! Monnet):
//!
//! ```
//! # use pasarela_core::crypto::{Backend, PrivateKey};
//! # use pasarela_core::smilepayz::{self, Config, Environment};
//! # use pasarela_core::{MerchantSecret, Money, PreparedRequest, RawResponse};
//! use std::collections::HashSet;
//!
//! use pasarela_core::client::{ClientError, ExpectedPayIn, NotConfirmed, SmilepayzClient};
//! use pasarela_core::http;
//! use pasarela_core::transport::{BlockingTransport, TransportError};
//! use pasarela_core::webhook::SmilepayzWebhook;
//!
//! fn on_callback<T: BlockingTransport>(
//!     webhook: &SmilepayzWebhook,
//!     client: &SmilepayzClient<T>,
//!     handled: &mut HashSet<String>,                    // your database
//!     order: impl Fn(&str) -> Option<ExpectedPayIn>,    // your records
//!     request: &http::Request<Vec<u8>>,
//! ) -> http::Response<String> {
//!     let verified = match webhook.verify_request(request) { // now: the webhook's clock
//!         Ok(verified) => verified,
//!         Err(rejected) => return rejected.response(), // 401 forged or stale, 400 malformed
//!     };
//!     let (event, id) = (&verified.event, verified.event.event_id());
//!     if !handled.insert(id.as_str().to_owned()) {
//!         return verified.response(); // a repeat: acknowledge it again
//!     }
//!     // The order number is an unsigned claim: it only finds the record.
//!     if let Some(record) = order(&event.claims().order_no) {
//!         match client.confirm_pay_in(event, &record) {
//!             Ok(_confirmed) => { /* safe to ship: once per trade_no */ }
//!             Err(ClientError::NotConfirmed(NotConfirmed::StillPending { .. })
//!                 | ClientError::NotSent(_) | ClientError::OutcomeUnknown(_)
//!                 | ClientError::InvalidResponse(_)) => {
//!                 handled.remove(id.as_str()); // cannot tell yet: let it come again
//!                 let mut retry = http::Response::new(String::new());
//!                 *retry.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
//!                 return retry;
//!             }
//!             Err(_) => { /* differs from the record, or not paid: never ship */ }
//!         }
//!     }
//!     verified.response() // 200 "SUCCESS"
//! }
//! # let key = PrivateKey::load(include_str!("../testdata/keys/merchant_private_pkcs8.pem"))?;
//! # let platform = PrivateKey::load(include_str!("../testdata/keys/platform_private_pkcs8.pem"))?;
//! # let config = Config::new("20011", MerchantSecret::new("TEST-ONLY-secret"),
//! #     Backend::default().signer(&key)?, Environment::Sandbox)?;
//! # let client = SmilepayzClient::new(config, |_r: PreparedRequest| Ok::<_, TransportError>(RawResponse::new(200,
//! #     r#"{"code":"00","message":"ok","orderNo":"ORDER1234","tradeNo":"T1","status":"SUCCESS","money":{"amount":20000,"currency":"PEN"}}"#)));
//! # let ts = "2020-12-17T10:55:00-05:00";
//! # let request = http::Request::post("/smilepayz/callback").header("X-TIMESTAMP", ts)
//! #     .header("X-SIGNATURE", smilepayz::sign_callback(&*Backend::default().signer(&platform)?, "T1", ts)?)
//! #     .body(br#"{"orderNo":"ORDER1234","tradeNo":"T1","merchantId":"20011","status":"SUCCESS","money":{"amount":20000,"currency":"PEN"},"transactionTime":"2020-12-17T10:55:00-05:00"}"#.to_vec())?;
//! let webhook = SmilepayzWebhook::new(Backend::default().verifier(&platform.public_key())?) // once
//! #   .with_clock(|| time::macros::datetime!(2020-12-17 15:55:30 UTC)) // the example's "now"
//!     ;
//! let mut handled = HashSet::new();
//! let order = |no: &str| (no == "ORDER1234").then(|| ExpectedPayIn::new(no, Money::pen(20000)));
//! let response = on_callback(&webhook, &client, &mut handled, order, &request);
//! assert_eq!((response.status().as_u16(), response.body().as_str()), (200, "SUCCESS"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The README has a longer handler (a repeat makes no second query; a
//! payment ships once) and the two-step KMS path.
//!
//! ## Features
//!
//! | feature | effect |
//! |---|---|
//! | *(none)* | signing and verification on the pure-Rust `rsa` crate |
//! | `aws-lc` | adds the AWS-LC backend (constant-time, faster) and makes it [`crypto::Backend::default`] |
//! | `tracing` | one `tracing` span per gateway call and events for webhook verification and confirmation ([`observe`]); nothing secret or personal in any field |
//! | `metrics` | call, retry, webhook and confirmation counters and latency histograms through the `metrics` facade ([`observe`]) |
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
mod clock;
pub mod confirm;
pub mod crypto;
pub mod error;
pub mod http;
mod json;
mod json_writer;
mod money;
pub mod monnet;
pub mod observe;
pub mod operation;
pub mod outcome;
pub mod personal;
pub mod retry;
pub mod schema;
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
pub use money::{Currency, Money, MoneyError};
pub use secret::{MerchantSecret, MonnetKey};
