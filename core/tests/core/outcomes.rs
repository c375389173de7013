//! The README's retry guidance, as code, walked through every branch: what
//! a caller does with each outcome of a pay-in, and what reconciliation
//! answers (found / not found / cannot tell — never "not found" on a guess).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use pasarela_core::Money;
use pasarela_core::client::{
    CannotTell, ClientError, MonnetClient, MonnetSettings, OperationReconciliation,
    PayInReconciliation, SmilepayzClient, SmilepayzSettings,
};
use pasarela_core::monnet;
use pasarela_core::outcome::{MonnetCreateCode, SmilepayzCodeMeaning};
use pasarela_core::smilepayz::{self, Merchant, PayInOutcome, PayInRequest};
use pasarela_core::transport::{BlockingTransport, Delivery, TransportError, TransportErrorKind};
use pasarela_core::{PreparedRequest, RawResponse};
use time::macros::datetime;

const CREATED: &str = r#"{"code":"00","message":"ok","orderNo":"ORDER123","merchant":{"merchantId":"20001"},"money":{"amount":20000,"currency":"PEN"},"transactionTime":"2020-12-17T10:55:00-05:00","channel":{"paymentMethod":"CASHIER_PE","paymentUrl":"https://pay.example/x"},"tradeNo":"T1","status":"PROCESSING"}"#;
const DECLINED: &str = r#"{"code":"00","message":"ok","orderNo":"ORDER123","merchant":{"merchantId":"20001"},"money":{"amount":20000,"currency":"PEN"},"transactionTime":"2020-12-17T10:55:00-05:00","channel":{"paymentMethod":"CASHIER_PE","paymentUrl":"https://pay.example/x"},"tradeNo":"T1","status":"FAILED"}"#;
const FOUND: &str = r#"{"code":"00","message":"ok","tradeNo":"T1","status":"PROCESSING","money":{"amount":20000,"currency":"PEN"}}"#;

type Answer = Result<RawResponse, TransportError>;

/// A transport answering from a script, recording which paths were sent.
#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    sent: Arc<Mutex<Vec<String>>>,
}

impl Script {
    fn new(answers: impl IntoIterator<Item = Answer>) -> Self {
        Self {
            answers: Arc::new(Mutex::new(answers.into_iter().collect())),
            sent: Arc::default(),
        }
    }
    fn sent(&self) -> Vec<String> {
        self.sent.lock().unwrap().clone()
    }
}

impl BlockingTransport for Script {
    type Error = TransportError;
    fn send(&self, request: PreparedRequest) -> Answer {
        self.sent
            .lock()
            .unwrap()
            .push(request.url().path().to_owned());
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .expect("the script ran out of answers")
    }
}

fn ok(body: &str) -> Answer {
    Ok(RawResponse::new(200, body))
}

fn code(code: &str) -> Answer {
    Ok(RawResponse::new(
        200,
        format!(r#"{{"code":"{code}","message":"m"}}"#),
    ))
}

fn failed(delivery: Delivery) -> Answer {
    Err(TransportError::new(
        TransportErrorKind::Timeout,
        delivery,
        "scripted",
    ))
}

fn settings() -> SmilepayzSettings {
    crate::support::smilepayz_settings("20001")
}

/// What the caller ends up doing.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Redirect,
    /// Created already failed: show the decline, never the payment page.
    ShowDecline,
    /// Created in a state a create does not answer: confirm by status.
    ConfirmFirst,
    FixInput,
    ShowRefusal(String),
    /// The payment exists (found by reconciliation): use it, never create again.
    UseExisting,
    /// Created on a retry that was safe.
    CreatedOnRetry,
    /// Nobody can tell yet: escalate / reconcile later; no new payment.
    Escalate,
}

/// The README's guidance, verbatim in spirit.
fn pay_in_safely(client: &SmilepayzClient<Script>, request: &PayInRequest) -> Decision {
    match client.pay_in(request) {
        Ok(PayInOutcome::Redirect(_)) => Decision::Redirect,
        Ok(PayInOutcome::Declined(_)) => Decision::ShowDecline,
        Ok(_) => Decision::ConfirmFirst,
        Err(ClientError::Invalid(_)) => Decision::FixInput, // nothing sent
        Err(ClientError::Rejected(r)) => Decision::ShowRefusal(r.code), // nothing created
        Err(e) if e.is_retry_safe() => match client.pay_in(request) {
            Ok(_) => Decision::CreatedOnRetry, // certainly not sent the first time
            Err(_) => Decision::Escalate,
        },
        Err(e) if e.is_outcome_unknown() || e.is_duplicate() => {
            // The payment MAY exist (or certainly does): ask before acting.
            match client.reconcile_pay_in(request.order_no()) {
                Ok(PayInReconciliation::Found(_)) => Decision::UseExisting,
                Ok(PayInReconciliation::NotFound { .. }) => match client.pay_in(request) {
                    Ok(_) => Decision::CreatedOnRetry,
                    Err(_) => Decision::Escalate,
                },
                // CannotTell, or the inquiry itself failed: never create anew.
                _ => Decision::Escalate,
            }
        }
        Err(_) => Decision::Escalate,
    }
}

fn request() -> PayInRequest {
    PayInRequest::builder(
        Merchant::new("20001"),
        "ORDER123",
        Money::pen(20000),
        "p",
        smilepayz::Payer::new("Rosa Quispe"),
    )
    .build()
    .unwrap()
}

const PAY_IN: &str = "/v2.0/transaction/pay-in";
const INQUIRY: &str = "/v2.0/inquiry-status";

fn walk(settings: SmilepayzSettings, script: Vec<Answer>) -> (Decision, Vec<String>) {
    let transport = Script::new(script);
    let client = SmilepayzClient::new(settings, transport.clone());
    (pay_in_safely(&client, &request()), transport.sent())
}

#[test]
fn every_branch_of_the_retry_guidance() {
    let configured = || {
        settings()
            .with_not_found_codes(["22"])
            .with_code_meaning("07", SmilepayzCodeMeaning::DuplicateOrder)
            .with_code_meaning("98", SmilepayzCodeMeaning::Indeterminate)
            .with_code_meaning("05", SmilepayzCodeMeaning::Refused)
    };
    // Created at once.
    assert_eq!(
        walk(settings(), vec![ok(CREATED)]),
        (Decision::Redirect, vec![PAY_IN.into()])
    );
    // Created already failed (code 00, status FAILED): a decline, not a
    // redirect to the page of a payment nobody can make.
    assert_eq!(
        walk(settings(), vec![ok(DECLINED)]),
        (Decision::ShowDecline, vec![PAY_IN.into()])
    );
    assert_eq!(
        walk(
            settings(),
            vec![ok(&CREATED.replace("PROCESSING", "SUCCESS"))]
        ),
        (Decision::ConfirmFirst, vec![PAY_IN.into()])
    );
    // Invalid input cannot even be built, so it never reaches a transport:
    // the error names the field to fix.
    let bad = PayInRequest::builder(
        Merchant::new("20001"),
        "x",
        Money::pen(20000),
        "p",
        smilepayz::Payer::new("Rosa Quispe"),
    )
    .build()
    .unwrap_err();
    assert_eq!(bad.field(), "orderNo");
    // A refusal with a code configured as such: show it, nothing was
    // created.
    assert_eq!(
        walk(configured(), vec![code("05")]),
        (Decision::ShowRefusal("05".into()), vec![PAY_IN.into()])
    );
    // The same code unconfigured says nothing about whether the pay-in
    // exists (SmilePayz publishes no list): reconcile, never "refused".
    assert_eq!(
        walk(settings(), vec![code("05"), ok(FOUND)]),
        (Decision::UseExisting, vec![PAY_IN.into(), INQUIRY.into()])
    );
    // Certainly not sent: the retry is safe.
    assert_eq!(
        walk(settings(), vec![failed(Delivery::NotSent), ok(CREATED)]),
        (Decision::CreatedOnRetry, vec![PAY_IN.into(), PAY_IN.into()])
    );
    // Maybe sent, and the gateway has it: use it, no second create.
    assert_eq!(
        walk(settings(), vec![failed(Delivery::MaybeSent), ok(FOUND)]),
        (Decision::UseExisting, vec![PAY_IN.into(), INQUIRY.into()])
    );
    // An HTTP 500 with an HTML page after a create: unknown, then found.
    assert_eq!(
        walk(
            settings(),
            vec![Ok(RawResponse::new(500, "<html>oops</html>")), ok(FOUND)]
        ),
        (Decision::UseExisting, vec![PAY_IN.into(), INQUIRY.into()])
    );
    // Maybe sent, and a configured not-found code: creating again is safe.
    assert_eq!(
        walk(
            configured(),
            vec![failed(Delivery::MaybeSent), code("22"), ok(CREATED)]
        ),
        (
            Decision::CreatedOnRetry,
            vec![PAY_IN.into(), INQUIRY.into(), PAY_IN.into()]
        )
    );
    // Maybe sent, and with default settings the same "22" answer is NOT
    // "not found" (no code is known to mean it): escalate, no second create.
    assert_eq!(
        walk(settings(), vec![failed(Delivery::MaybeSent), code("22")]),
        (Decision::Escalate, vec![PAY_IN.into(), INQUIRY.into()])
    );
    // The inquiry itself times out: cannot tell either.
    assert_eq!(
        walk(
            settings(),
            vec![failed(Delivery::MaybeSent), failed(Delivery::MaybeSent)]
        ),
        (Decision::Escalate, vec![PAY_IN.into(), INQUIRY.into()])
    );
    // A configured duplicate code: the payment exists; reconcile finds it.
    assert_eq!(
        walk(configured(), vec![code("07"), ok(FOUND)]),
        (Decision::UseExisting, vec![PAY_IN.into(), INQUIRY.into()])
    );
    // The same code unconfigured is an unknown outcome (no guessing): the
    // reconciliation cannot tell either, so nothing is created anew.
    assert_eq!(
        walk(settings(), vec![code("07"), code("22")]),
        (Decision::Escalate, vec![PAY_IN.into(), INQUIRY.into()])
    );
    // A configured "indeterminate" code is an unknown outcome.
    assert_eq!(
        walk(configured(), vec![code("98"), ok(FOUND)]),
        (Decision::UseExisting, vec![PAY_IN.into(), INQUIRY.into()])
    );
}

#[test]
fn duplicate_and_rejection_are_named() {
    let client = SmilepayzClient::new(
        settings().with_code_meaning("07", SmilepayzCodeMeaning::DuplicateOrder),
        Script::new([code("07")]),
    );
    let err = client.pay_in(&request()).unwrap_err();
    assert!(err.is_duplicate() && !err.is_retry_safe());
    assert_eq!(err.rejection().map(|r| r.code.as_str()), Some("07"));
    assert!(err.to_string().starts_with("duplicate"), "{err}");
}

fn monnet_client(script: Vec<Answer>) -> MonnetClient<Script> {
    let config =
        monnet::Config::new("4001", "TEST-ONLY-key", monnet::Environment::Certification).unwrap();
    MonnetClient::new(
        MonnetSettings::new(config).with_clock(|| datetime!(2025-07-15 12:00:00 UTC)),
        Script::new(script),
    )
}

fn create() -> monnet::CreateRequest {
    crate::samples::monnet_create("OP1", "150.00").unwrap()
}

#[test]
fn monnet_codes_are_typed_and_0099_is_unknown() {
    let refused = monnet_client(vec![ok(
        r#"{"payinErrorCode":"0015","payinErrorMessage":"amount"}"#,
    )])
    .create(&create())
    .unwrap_err();
    let code = monnet::CreateCode::of(refused.rejection().unwrap());
    assert_eq!(code, monnet::CreateCode::AmountFormatInvalid);
    // One enum under two names: the outcome module's is the same type.
    let same: MonnetCreateCode = code;
    assert_eq!(same.code(), "0015");
    assert!(matches!(refused, ClientError::Rejected(_)));
    assert!(!refused.is_outcome_unknown() && !refused.is_duplicate());
    // `0099` as text, as a JSON number (leading zeros lost), or as a short
    // string: the payment may exist, so never a clean refusal.
    for body in [
        r#"{"payinErrorCode":"0099","payinErrorMessage":"internal"}"#,
        r#"{"payinErrorCode":99,"payinErrorMessage":"internal"}"#,
        r#"{"payinErrorCode":"99"}"#,
    ] {
        let internal = monnet_client(vec![ok(body)]).create(&create()).unwrap_err();
        assert!(internal.is_outcome_unknown(), "{body}: {internal:?}");
        assert!(!matches!(internal, ClientError::Rejected(_)), "{body}");
        assert_eq!(
            internal.rejection().map(monnet::CreateCode::of),
            Some(monnet::CreateCode::InternalError),
            "{body}"
        );
    }
    // A numeric documented refusal stays a refusal.
    let numeric = monnet_client(vec![ok(r#"{"payinErrorCode":15}"#)])
        .create(&create())
        .unwrap_err();
    assert!(
        matches!(numeric, ClientError::Rejected(ref r) if r.code == "15"),
        "{numeric:?}"
    );
}

#[test]
fn monnet_reconciliation_found_not_found_cannot_tell() {
    let listed = r#"{"payinMerchantID":"4001","operations":[{"payinStateID":"5","payinState":"AUTORIZADO","payinAmount":"150.00","payinCurrency":"PEN","payinMerchantOperationNumber":"OP1","payinID":"9"}]}"#;
    let found = monnet_client(vec![ok(listed)])
        .reconcile_operation("OP1")
        .unwrap();
    assert!(found.exists());
    let empty = monnet_client(vec![ok(r#"{"payinMerchantID":"4001","operations":[]}"#)])
        .reconcile_operation("OP1")
        .unwrap();
    assert!(empty.is_not_found());
    let foreign = monnet_client(vec![ok(r#"{"payinMerchantID":"4002","operations":[]}"#)])
        .reconcile_operation("OP1")
        .unwrap();
    assert_eq!(
        foreign,
        OperationReconciliation::CannotTell(CannotTell::ForeignMerchant {
            answered: "4002".into()
        })
    );
    let refused = monnet_client(vec![ok(
        r#"{"payinErrorCode":"0009","payinErrorMessage":"x"}"#,
    )])
    .reconcile_operation("OP1")
    .unwrap();
    assert!(matches!(
        refused,
        OperationReconciliation::CannotTell(CannotTell::Rejected(_))
    ));
    assert!(!refused.exists() && !refused.is_not_found());
}
