//! Verified is not confirmed: the confirmation path accepts the genuine
//! flow and refuses each forgery class with its own error.

use std::sync::{Arc, Mutex};

use pasarela_core::Money;
use pasarela_core::client::{
    ClientError, ExpectedOperation, ExpectedPayIn, MonnetClient, MonnetSettings, NotConfirmed,
    Seen, SmilepayzClient, SmilepayzSettings,
};
use pasarela_core::crypto::{Backend, PrivateKey};
use pasarela_core::monnet::{self, payin_verification, verify_notification};
use pasarela_core::smilepayz::{self, sign_callback, verify_callback};
use pasarela_core::transport::TransportError;
use pasarela_core::{MerchantSecret, MonnetKey, PreparedRequest, RawResponse};
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2020-12-17 15:56:00 UTC);
const TS: &str = "2020-12-17T10:55:00-05:00";

type Sent = Arc<Mutex<Vec<Vec<u8>>>>;

fn answering(
    body: String,
) -> (
    Sent,
    impl Fn(PreparedRequest) -> Result<RawResponse, TransportError>,
) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let log = sent.clone();
    (sent, move |req: PreparedRequest| {
        log.lock().unwrap().push(req.body().to_vec());
        Ok(RawResponse::new(200, body.clone()))
    })
}

fn sp_settings() -> SmilepayzSettings {
    let key = PrivateKey::load(include_str!(
        "../../testdata/keys/merchant_private_pkcs8.pem"
    ))
    .unwrap();
    let config = smilepayz::Config::new(
        "20001",
        MerchantSecret::new("TEST-ONLY-secret"),
        Backend::Rsa.signer(&key).unwrap(),
        smilepayz::Environment::Sandbox,
    )
    .unwrap();
    SmilepayzSettings::new(config)
        .with_clock(|| NOW)
        .with_not_found_codes(["22"])
}

/// A genuinely signed callback for `T1`, with whatever body claims.
fn callback(order_no: &str, amount: u64, status: &str) -> smilepayz::VerifiedCallback {
    let platform = PrivateKey::load(include_str!(
        "../../testdata/keys/platform_private_pkcs8.pem"
    ))
    .unwrap();
    let signature = sign_callback(&*Backend::Rsa.signer(&platform).unwrap(), "T1", TS).unwrap();
    let body = format!(
        r#"{{"orderNo":"{order_no}","tradeNo":"T1","merchantId":"20001","status":"{status}","money":{{"amount":{amount},"currency":"PEN"}},"transactionTime":"{TS}"}}"#
    );
    let verifier = Backend::Rsa.verifier(&platform.public_key()).unwrap();
    verify_callback(
        Some(TS),
        Some(&signature),
        body.as_bytes(),
        &*verifier,
        NOW,
        smilepayz::DEFAULT_CALLBACK_TOLERANCE,
    )
    .unwrap()
}

fn inquiry(trade_no: &str, status: &str, amount: u64) -> String {
    format!(
        r#"{{"code":"00","message":"ok","tradeNo":"{trade_no}","status":"{status}","money":{{"amount":{amount},"currency":"PEN"}}}}"#
    )
}

fn sp_confirm(
    event: &smilepayz::VerifiedCallback,
    record: &ExpectedPayIn,
    answer: String,
) -> (
    Result<pasarela_core::client::ConfirmedPayIn, ClientError<TransportError>>,
    usize,
) {
    let (sent, transport) = answering(answer);
    let client = SmilepayzClient::new(sp_settings(), transport);
    let out = client.confirm_pay_in(event, record);
    let n = sent.lock().unwrap().len();
    (out, n)
}

fn not_confirmed<T: std::fmt::Debug>(r: Result<T, ClientError<TransportError>>) -> NotConfirmed {
    match r {
        Err(ClientError::NotConfirmed(n)) => n,
        other => panic!("expected NotConfirmed, got {other:?}"),
    }
}

#[test]
fn smilepayz_genuine_flow_is_confirmed() {
    let record = ExpectedPayIn::new("ORDER1", Money::pen(20000)).with_merchant_id("20001");
    let (out, sent) = sp_confirm(
        &callback("ORDER1", 20000, "SUCCESS"),
        &record,
        inquiry("T1", "SUCCESS", 20000),
    );
    let confirmed = out.unwrap();
    assert_eq!(
        (confirmed.trade_no.as_str(), confirmed.money),
        ("T1", Money::pen(20000))
    );
    assert_eq!(sent, 1);
}

#[test]
fn smilepayz_forgeries_each_have_their_own_error() {
    let record = || ExpectedPayIn::new("ORDER1", Money::pen(20000));
    let genuine = callback("ORDER1", 20000, "SUCCESS");
    // Unsigned body edits (a replayed signature with another body): refused
    // before any call.
    let (out, sent) = sp_confirm(
        &callback("ORDER2", 20000, "SUCCESS"),
        &record(),
        String::new(),
    );
    assert!(matches!(
        not_confirmed(out),
        NotConfirmed::OrderDiffers { .. }
    ));
    assert_eq!(sent, 0);
    let (out, _) = sp_confirm(
        &callback("ORDER1", 100, "SUCCESS"),
        &record(),
        String::new(),
    );
    assert!(matches!(
        not_confirmed(out),
        NotConfirmed::AmountDiffers {
            seen: Seen::Event,
            ..
        }
    ));
    let (out, _) = sp_confirm(&genuine, &record().with_merchant_id("99999"), String::new());
    assert!(matches!(
        not_confirmed(out),
        NotConfirmed::MerchantNotOurs { .. }
    ));
    // A status flip in the body: the gateway's status decides.
    let (out, sent) = sp_confirm(&genuine, &record(), inquiry("T1", "FAILED", 20000));
    assert!(matches!(not_confirmed(out), NotConfirmed::NotPaid { .. }));
    assert_eq!(sent, 1);
    let (out, _) = sp_confirm(&genuine, &record(), inquiry("T1", "PROCESSING", 20000));
    assert!(matches!(
        not_confirmed(out),
        NotConfirmed::StillPending { .. }
    ));
    // The gateway's amount differs from the record (the body lied consistently).
    let (out, _) = sp_confirm(&genuine, &record(), inquiry("T1", "SUCCESS", 100));
    assert!(matches!(
        not_confirmed(out),
        NotConfirmed::AmountDiffers {
            seen: Seen::Gateway,
            ..
        }
    ));
    // Another transaction paid this order: not the signed tradeNo.
    let (out, _) = sp_confirm(&genuine, &record(), inquiry("T9", "SUCCESS", 20000));
    assert!(matches!(
        not_confirmed(out),
        NotConfirmed::TransactionDiffers { .. }
    ));
    // The gateway does not know the order (configured not-found code).
    let (out, _) = sp_confirm(
        &genuine,
        &record(),
        r#"{"code":"22","message":"no"}"#.into(),
    );
    assert_eq!(not_confirmed(out), NotConfirmed::UnknownOrder);
    // The inquiry goes out by *our* order number.
    let (sent, transport) = answering(inquiry("T1", "SUCCESS", 20000));
    SmilepayzClient::new(sp_settings(), transport)
        .confirm_pay_in(&genuine, &record())
        .unwrap();
    let body = String::from_utf8(sent.lock().unwrap()[0].clone()).unwrap();
    assert!(body.contains(r#""orderNo":"ORDER1""#), "{body}");
}

const KEY: &str = "TEST-ONLY-key";

fn notification(
    op: &str,
    amount: &str,
    state: u32,
    merchant: &str,
) -> monnet::VerifiedNotification {
    let key = MonnetKey::new(KEY);
    let hash = payin_verification(merchant, op, amount, "PEN", &key);
    let body = format!(
        r#"{{"payinStateID":"{state}","payinMerchantID":"{merchant}","payinAmount":"{amount}","payinCurrency":"PEN","payinMerchantOperationNumber":"{op}","payinVerification":"{hash}"}}"#
    );
    verify_notification(body.as_bytes(), &key, merchant).unwrap()
}

fn status(op: &str, state: u32, amount: &str) -> String {
    format!(
        r#"{{"payinMerchantID":"4001","operations":[{{"payinStateID":"{state}","payinAmount":"{amount}","payinCurrency":"PEN","payinMerchantOperationNumber":"{op}","payinID":"9"}}]}}"#
    )
}

fn mn_confirm(
    event: &monnet::VerifiedNotification,
    record: &ExpectedOperation,
    answer: String,
) -> Result<pasarela_core::client::ConfirmedOperation, ClientError<TransportError>> {
    let config = monnet::Config::new("4001", KEY, monnet::Environment::Certification).unwrap();
    let settings = MonnetSettings::new(config).with_clock(|| datetime!(2025-07-15 12:00:00 UTC));
    let (_, transport) = answering(answer);
    MonnetClient::new(settings, transport).confirm_operation(event, record)
}

fn amount(text: &str) -> Money {
    Money::parse_decimal(text, pasarela_core::Currency::PEN).unwrap()
}

#[test]
fn monnet_genuine_flow_is_confirmed() {
    let record = ExpectedOperation::new("ORD-77", amount("1.00"));
    let confirmed = mn_confirm(
        &notification("ORD-77", "1.00", 5, "4001"),
        &record,
        status("ORD-77", 5, "1.00"),
    )
    .unwrap();
    assert_eq!(confirmed.amount, amount("1.00"));
    assert!(confirmed.state.is_paid());
}

#[test]
fn monnet_forgeries_each_have_their_own_error() {
    // Boundary shift: a genuine denied ORD-77 / 1.00 verifies as ORD-7 / 71.00.
    let shifted = notification("ORD-7", "71.00", 5, "4001");
    assert_eq!(
        shifted.authenticated().verification(),
        notification("ORD-77", "1.00", 6, "4001")
            .authenticated()
            .verification()
    );
    // The merchant's ORD-7 does not exist at Monnet: unknown order.
    let record7 = ExpectedOperation::new("ORD-7", amount("71.00"));
    let out = mn_confirm(
        &shifted,
        &record7,
        r#"{"payinMerchantID":"4001","operations":[]}"#.into(),
    );
    assert_eq!(not_confirmed(out), NotConfirmed::UnknownOrder);
    // State flip: the notification says 5, Monnet says denied.
    let record = ExpectedOperation::new("ORD-77", amount("1.00"));
    let out = mn_confirm(
        &notification("ORD-77", "1.00", 5, "4001"),
        &record,
        status("ORD-77", 6, "1.00"),
    );
    assert!(matches!(not_confirmed(out), NotConfirmed::NotPaid { .. }));
    let out = mn_confirm(
        &notification("ORD-77", "1.00", 5, "4001"),
        &record,
        status("ORD-77", 2, "1.00"),
    );
    assert!(matches!(
        not_confirmed(out),
        NotConfirmed::StillPending { .. }
    ));
    // Claims that contradict the record are refused before any call.
    let out = mn_confirm(
        &notification("ORD-77", "2.00", 5, "4001"),
        &record,
        String::new(),
    );
    assert!(matches!(
        not_confirmed(out),
        NotConfirmed::AmountDiffers {
            seen: Seen::Event,
            ..
        }
    ));
    // A foreign merchant's genuine notification (hashed with the same key).
    let out = mn_confirm(
        &notification("ORD-77", "1.00", 5, "4002"),
        &record,
        String::new(),
    );
    assert!(matches!(
        not_confirmed(out),
        NotConfirmed::MerchantNotOurs { .. }
    ));
    // Monnet's amount differs from the record.
    let out = mn_confirm(
        &notification("ORD-77", "1.00", 5, "4001"),
        &record,
        status("ORD-77", 5, "10.00"),
    );
    assert!(matches!(
        not_confirmed(out),
        NotConfirmed::AmountDiffers {
            seen: Seen::Gateway,
            ..
        }
    ));
}
