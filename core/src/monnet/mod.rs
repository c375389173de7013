//! Monnet Payments Payin API v3, back-to-back (card data through a PCI proxy).
//!
//! Sans-IO, like the rest of the core: every function here is pure.
//!
//! | step | call | wire |
//! |---|---|---|
//! | create a card pay-in | [`prepare_create`] → [`parse_create_response`] | `POST` to the PCI proxy, which forwards to `URLMonnet` |
//! | check a hash by hand | [`payin_verification`], [`status_authorization`] | |
//! | receive the notification | [`verify_notification`], answer [`NOTIFICATION_ACK_STATUS`] | Monnet `POST`s JSON to the URL you configured with Monnet |
//! | ask for the state | [`prepare_status_query`] → [`parse_status_response`] | `POST …/ms-experience-payin/merchant/{MID}/operations` |
//!
//! **Reaching the OK URL proves nothing.** Monnet redirects the shopper to
//! `payinTransactionOKURL` when the payment page is done, but a shopper can
//! open that URL by hand. Only a notification that passed
//! [`verify_notification`] or a [status query](prepare_status_query) says a
//! payment was authorized. The notification hash covers the merchant id,
//! operation number, amount and currency, not the state, so confirm the state
//! with a status query before shipping goods.
//!
//! **Card data.** [`Pan`], [`Cvv`] and [`CardExpiration`] never print
//! (the PAN shows at most its last four digits), are wiped from memory on
//! drop, and are masked in [`PreparedRequest::to_wire_text`]. The
//! [`PreparedRequest`] `Debug` never shows the body.
//!
//! # Crate docs: Monnet section (ready to paste into `lib.rs`)
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
//! let config = Config::new("4001", "test-key-monnet", Environment::Certification);
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

mod amount;
mod card;
mod create;
mod environment;
mod notification;
mod response;
mod state;
mod status;
mod verification;
mod wire;

#[cfg(doc)]
use crate::http::PreparedRequest;

pub use amount::Amount;
pub use card::{CardExpiration, Cvv, Pan};
pub use create::{CreateRequest, CreateRequestBuilder, prepare_create};
pub use environment::{Config, Environment};
pub use notification::{NOTIFICATION_ACK_STATUS, Notification, verify_notification};
pub use response::{CreateResponse, SUCCESS_CODE, parse_create_response};
pub use state::PayinState;
pub use status::{
    StatusOperation, StatusQuery, StatusResponse, parse_status_response, prepare_status_query,
};
pub use verification::{payin_verification, status_authorization};

#[cfg(test)]
mod tests {
    //! PCI hygiene across every public type of the module.

    use super::create::tests::{CVV, EXPIRY, KEY, PAN, config, request};
    use super::*;
    use crate::RawResponse;

    fn assert_clean(what: &str, text: &str) {
        for secret in [PAN, CVV, EXPIRY, KEY, "4517721004856075"] {
            assert!(!text.contains(secret), "{what} shows {secret}: {text}");
        }
    }

    #[test]
    fn no_debug_shows_card_data_or_key() {
        let req = request();
        let prepared = prepare_create(&config(), &req).unwrap();
        assert_clean("CreateRequest", &format!("{req:?} {req:#?}"));
        assert_clean("PreparedRequest", &format!("{prepared:?} {prepared:#?}"));
        assert_clean("wire text", &prepared.to_wire_text());
        assert_clean("Config", &format!("{:?}", config()));
        assert_clean("Pan", &format!("{:?}", Pan::new(PAN).unwrap()));
        assert_clean("Cvv", &format!("{:?}", Cvv::new(CVV).unwrap()));
        assert_clean(
            "Expiry",
            &format!("{:?}", CardExpiration::new(EXPIRY).unwrap()),
        );

        let created = parse_create_response(RawResponse::new(
            200,
            r#"{"url":"https://pay.example/x","payinErrorCode":"0000","payinErrorMessage":"ok"}"#,
        ));
        assert_clean("CreateResponse", &format!("{created:?}"));
        let rejected = parse_create_response(RawResponse::new(
            200,
            r#"{"payinErrorCode":"0015","payinErrorMessage":"bad"}"#,
        ));
        assert_clean("ResponseError", &format!("{rejected:?}"));

        let key = crate::MonnetKey::new(KEY);
        let hash = payin_verification("4001", "ORD-000123", "150.00", "PEN", &key);
        let body = format!(
            r#"{{"payinStateID":5,"payinMerchantID":"4001","payinAmount":"150.00","payinCurrency":"PEN","payinMerchantOperationNumber":"ORD-000123","payinVerification":"{hash}"}}"#
        );
        let n = verify_notification(body.as_bytes(), &key).unwrap();
        assert_clean("Notification", &format!("{n:?}"));
        let e = verify_notification(body.replace("PEN", "USD").as_bytes(), &key).unwrap_err();
        assert_clean("VerifyError", &format!("{e:?} {e}"));

        let q = StatusQuery::by_operation_number("ORD-000123");
        let today = time::macros::date!(2025 - 07 - 15);
        let p = prepare_status_query(&config(), &q, today).unwrap();
        assert_clean("status PreparedRequest", &format!("{p:?}"));
        let s = parse_status_response(RawResponse::new(
            200,
            r#"{"payinMerchantID":"4001","operations":[{"payinStateID":5,"payinAmount":"150.00","payinCurrency":"PEN","payinMerchantOperationNumber":"ORD-000123"}]}"#,
        ));
        assert_clean("StatusResponse", &format!("{s:?}"));
        assert_clean(
            "ValidationError",
            &format!("{:?}", Pan::new("45177210048560751234")),
        );
    }
}
