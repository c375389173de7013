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
//! [`verify_notification`] *and* matches your own record of the order
//! ([`Authenticated::compare_with_record`] with an
//! [`ExpectedOperation`](crate::confirm::ExpectedOperation)), confirmed by a
//! [status query](prepare_status_query), says a payment was authorized. The
//! notification hash covers one concatenation of merchant id, operation
//! number, amount and currency — not the field boundaries, not the state —
//! so a verified notification is not a confirmed one.
//!
//! **One schema per message.** Each message is one table in [`schema`]
//! (wire name, Rust name, presence, type, rule) that drives its validation,
//! serialization or parsing.
//!
//! **Card data.** [`Pan`], [`Cvv`] and [`CardExpiration`] never print
//! (the PAN shows at most its last four digits), are wiped from memory on
//! drop, and are masked in [`PreparedRequest::to_wire_text`]. The
//! [`PreparedRequest`] `Debug` never shows the body.
//!
//! The crate docs show a whole create with its wire text (test card) and a
//! verified notification.

pub(crate) mod amount;
mod card;
mod create;
mod environment;
mod notification;
mod response;
pub mod schema;
mod state;
mod status;
mod verification;
mod wire;

#[cfg(doc)]
use crate::http::PreparedRequest;

/// The personal data types the requests hold ([`crate::personal`]).
pub use crate::personal::{DocumentNumber, Email, PersonName, Phone};
pub use card::{Card, CardExpiration, Cvv, Pan};
pub use create::{
    BillingAddress, CREATE_FIELDS, CardMethod, CreateRequest, CreateRequestBuilder, Customer,
    DocumentType, Product, Shipping, Transaction, prepare_create,
};
pub use environment::{Config, Environment};
pub use notification::{
    Authenticated, Claims, DeclineReason, NOTIFICATION_ACK_STATUS, NotificationEventId,
    TransactionError, VerifiedNotification, verify_notification,
};
pub use response::{CreateCode, CreateResponse, SUCCESS_CODE, parse_create_response};
pub use state::PayinState;
pub use status::{
    StatusOperation, StatusQuery, StatusResponse, parse_status_response, prepare_status_query,
};
pub use verification::{payin_verification, payin_verification_matches, status_authorization};
pub use wire::Scalar;

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
        let prepared = prepare_create(&config(), &req);
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
        let n = verify_notification(body.as_bytes(), &key, "4001").unwrap();
        assert_clean("Notification", &format!("{n:?}"));
        let e =
            verify_notification(body.replace("PEN", "USD").as_bytes(), &key, "4001").unwrap_err();
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
