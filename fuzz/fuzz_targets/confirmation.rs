//! The confirmation step of both gateways: a genuinely signed (SmilePayz)
//! or hashed (Monnet) event whose fields come from the input, a merchant
//! record from the input, and a status-call answer from the input returned
//! by a closure transport, through the blocking client's `confirm_pay_in` /
//! `confirm_operation`.
//!
//! Checks, besides "no panic": a `Confirmed…` comes back only when the
//! gateway's answer itself (re-read here with `serde_json`, independently of
//! the core's parser) is paid (`SUCCESS`; Monnet state 5 or 9), names the
//! record's order/operation (and SmilePayz the event's signed `tradeNo`),
//! and carries the record's amount and currency; and the confirmed value
//! equals the record.
//!
//! Input: a mode byte, then newline-separated fields:
//! `0 tradeNo | 1 order | 2 merchant id | 3 amount | 4 currency | 5 status |
//! 6 record order | 7 record amount | 8 record currency | 9 answer body`.
//! Mode bits: 0 gateway (0 SmilePayz, 1 Monnet); 1 the record copies the
//! event's order and money (else fields 6–8); 2 the answer is built from
//! the event's values with status field 5 (else field 9 is the raw body);
//! 3 the answer's HTTP status is 500 (raw mode only); 4 the transport fails
//! instead (raw mode only); 5 the record also names the merchant id
//! (SmilePayz); 6 the tradeNo is one of a few fixed ones whose signatures
//! are precomputed (speed); 7 the Monnet event is for merchant 4001 (ours)
//! whatever field 2 says.
#![no_main]
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use libfuzzer_sys::fuzz_target;
use pasarela_core::client::{
    ClientError, ExpectedOperation, ExpectedPayIn, MonnetClient, MonnetSettings, SmilepayzClient,
    SmilepayzSettings,
};
use pasarela_core::crypto::{Backend, PrivateKey, Signer, Verifier};
use pasarela_core::transport::{Delivery, TransportError, TransportErrorKind};
use pasarela_core::{Currency, MerchantSecret, Money, MonnetKey, PreparedRequest, RawResponse};
use pasarela_core::{monnet, smilepayz};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

const TIMESTAMP: &str = "2020-12-17T10:55:00-05:00";
const NOW: OffsetDateTime = datetime!(2020-12-17 15:55:30 UTC);
const FIXED_TRADE_NOS: [&str; 4] = ["T1", "151200012410241325417215", "", "T2"];
const MONNET_MERCHANT: &str = "4001";
const MONNET_KEY: &str = "TEST-ONLY-fuzz-key-monnet";

struct Fixture {
    platform_signer: Arc<dyn Signer + Send + Sync>,
    platform_verifier: Arc<dyn Verifier + Send + Sync>,
    fixed_signatures: Vec<String>,
    cache: Mutex<HashMap<String, String>>,
    sp_settings: SmilepayzSettings,
    mn_settings: MonnetSettings,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let backend = Backend::AwsLc;
    let platform = PrivateKey::load(include_str!(
        "../../core/testdata/keys/platform_private_pkcs8.pem"
    ))
    .expect("TEST ONLY platform key loads");
    let merchant = PrivateKey::load(include_str!(
        "../../core/testdata/keys/merchant_private_pkcs8.pem"
    ))
    .expect("TEST ONLY merchant key loads");
    let platform_signer = backend.signer(&platform).expect("signer");
    let fixed_signatures = FIXED_TRADE_NOS
        .iter()
        .map(|t| smilepayz::sign_callback(&*platform_signer, t, TIMESTAMP).expect("signs"))
        .collect();
    let sp_config = smilepayz::Config::new(
        "20011",
        MerchantSecret::new("TEST-ONLY-secret"),
        backend.signer(&merchant).expect("signer"),
        smilepayz::Environment::Sandbox,
    )
    .expect("config");
    let mn_config = monnet::Config::new(
        MONNET_MERCHANT,
        MonnetKey::new(MONNET_KEY),
        monnet::Environment::Certification,
    )
    .expect("config");
    Fixture {
        platform_verifier: backend.verifier(&platform.public_key()).expect("verifier"),
        platform_signer,
        fixed_signatures,
        cache: Mutex::new(HashMap::new()),
        sp_settings: SmilepayzSettings::new(sp_config),
        mn_settings: MonnetSettings::new(mn_config),
    }
});

/// A JSON value's text: strings as they are, numbers as written.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `text` as a JSON number when it is one, else as a JSON string.
fn number_or_string(text: &str) -> Value {
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(Value::is_number)
        .unwrap_or_else(|| Value::String(text.to_owned()))
}

fn answering(
    status: u16,
    body: Vec<u8>,
    fail: bool,
) -> impl Fn(PreparedRequest) -> Result<RawResponse, TransportError> {
    move |_request| {
        if fail {
            Err(TransportError::new(
                TransportErrorKind::Timeout,
                Delivery::MaybeSent,
                "fuzz: timed out",
            ))
        } else {
            Ok(RawResponse::new(status, body.clone()))
        }
    }
}

/// With `FUZZ_TRACE_CONFIRMED` set, prints one line per confirmation, to
/// count how many inputs of a corpus reach the "safe to ship" branch:
/// `FUZZ_TRACE_CONFIRMED=1 <binary> -runs=0 corpus/confirmation 2>&1 | grep -c CONFIRMED`.
fn trace(gateway: &str) {
    if std::env::var_os("FUZZ_TRACE_CONFIRMED").is_some() {
        eprintln!("CONFIRMED {gateway}");
    }
}

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut parts = rest.splitn(10, |&b| b == b'\n');
    let mut field = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let f: [String; 9] = std::array::from_fn(|_| field());
    let raw_body = parts.next().unwrap_or_default().to_vec();
    let copy_record = mode & 2 != 0;
    let structured = mode & 4 != 0;
    let status_code = if !structured && mode & 8 != 0 {
        500
    } else {
        200
    };
    let fail = !structured && mode & 16 != 0;
    if mode & 1 == 0 {
        smilepayz_case(
            fixture,
            mode,
            &f,
            raw_body,
            copy_record,
            structured,
            status_code,
            fail,
        );
    } else {
        monnet_case(
            fixture,
            mode,
            &f,
            raw_body,
            copy_record,
            structured,
            status_code,
            fail,
        );
    }
});

#[allow(clippy::too_many_arguments)]
fn smilepayz_case(
    fixture: &Fixture,
    mode: u8,
    f: &[String; 9],
    raw_body: Vec<u8>,
    copy_record: bool,
    structured: bool,
    status_code: u16,
    fail: bool,
) {
    // (a) A genuinely signed callback whose body fields come from the input.
    let (trade_no, signature) = if mode & 64 != 0 {
        let i = f[0].len() % FIXED_TRADE_NOS.len();
        (
            FIXED_TRADE_NOS[i].to_owned(),
            fixture.fixed_signatures[i].clone(),
        )
    } else {
        let mut cache = fixture.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() > 4096 {
            cache.clear();
        }
        let signature = match cache.get(&f[0]) {
            Some(s) => s.clone(),
            None => {
                let Ok(s) = smilepayz::sign_callback(&*fixture.platform_signer, &f[0], TIMESTAMP)
                else {
                    return;
                };
                cache.insert(f[0].clone(), s.clone());
                s
            }
        };
        (f[0].clone(), signature)
    };
    let body = json!({
        "orderNo": f[1],
        "tradeNo": trade_no,
        "merchantId": f[2],
        "status": "SUCCESS",
        "money": {"amount": number_or_string(&f[3]), "currency": f[4]},
        "transactionTime": TIMESTAMP,
    });
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let Ok(event) = smilepayz::verify_callback(
        Some(TIMESTAMP),
        Some(&signature),
        &body,
        &*fixture.platform_verifier,
        NOW,
        smilepayz::DEFAULT_CALLBACK_TOLERANCE,
    ) else {
        return;
    };
    assert_eq!(event.authenticated().trade_no(), trade_no);

    // (b) The merchant's record.
    let mut record = if copy_record {
        ExpectedPayIn::new(event.claims().order_no.clone(), event.claims().money)
    } else {
        let Ok(currency) = Currency::new(&f[8]) else {
            return;
        };
        let Ok(minor) = f[7].parse::<u64>() else {
            return;
        };
        ExpectedPayIn::new(f[6].clone(), Money::new(minor, currency))
    };
    if mode & 32 != 0 {
        record = record.with_merchant_id(f[2].clone());
    }

    // (c) The inquiry-status answer.
    let answer = if structured {
        serde_json::to_vec(&json!({
            "code": "00",
            "message": "Successful",
            "orderNo": event.claims().order_no,
            "tradeNo": trade_no,
            "status": f[5],
            "money": {
                "amount": event.claims().money.minor_units(),
                "currency": event.claims().money.currency().as_str(),
            },
        }))
        .unwrap_or_default()
    } else {
        raw_body
    };
    let client = SmilepayzClient::new(
        fixture.sp_settings.clone(),
        answering(status_code, answer.clone(), fail),
    );
    match client.confirm_pay_in(&event, &record) {
        Ok(confirmed) => {
            assert!(!fail, "confirmed although the transport failed");
            assert!(
                (200..300).contains(&status_code),
                "confirmed on HTTP {status_code}"
            );
            let a: Value = serde_json::from_slice(&answer).expect("a confirmed answer is JSON");
            assert_eq!(text(a.get("status")).as_deref(), Some("SUCCESS"), "{a}");
            assert_eq!(
                text(a.get("tradeNo")).as_deref(),
                Some(trade_no.as_str()),
                "{a}"
            );
            if let Some(order) = a.get("orderNo").filter(|v| !v.is_null()) {
                assert_eq!(
                    text(Some(order)).as_deref(),
                    Some(record.order_no.as_str()),
                    "{a}"
                );
            }
            let money = a.get("money").expect("a confirmed answer has money");
            assert_eq!(
                text(money.get("currency")).as_deref(),
                Some(record.money.currency().as_str()),
                "{a}"
            );
            let amount = money
                .get("amount")
                .and_then(Value::as_f64)
                .expect("amount is a number");
            assert_eq!(amount, record.money.minor_units() as f64, "{a}");
            assert_eq!(confirmed.money, record.money);
            assert_eq!(confirmed.order_no, record.order_no);
            assert_eq!(confirmed.trade_no, trade_no);
            let _ = format!("{confirmed:?}");
            trace("smilepayz");
        }
        Err(e) => {
            if let ClientError::NotConfirmed(why) = &e {
                let _ = format!("{why}");
            }
            let _ = format!("{e} {e:?}");
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn monnet_case(
    fixture: &Fixture,
    mode: u8,
    f: &[String; 9],
    raw_body: Vec<u8>,
    copy_record: bool,
    structured: bool,
    status_code: u16,
    fail: bool,
) {
    // (a) A notification hashed with the key, fields from the input.
    let merchant = if mode & 128 != 0 {
        MONNET_MERCHANT
    } else {
        f[2].as_str()
    };
    let key = MonnetKey::new(MONNET_KEY);
    let hash = monnet::payin_verification(merchant, &f[1], &f[3], &f[4], &key);
    // The amount is written as the input spells it (a number when it is
    // one), so the hash covers exactly the text the verifier reads.
    let amount_json = match number_or_string(&f[3]) {
        Value::Number(_) => f[3].clone(),
        other => other.to_string(),
    };
    let body = format!(
        "{{\"payinStateID\":5,\"payinState\":\"Autorizado\",\"payinMerchantID\":{},\"payinAmount\":{},\"payinCurrency\":{},\"payinMerchantOperationNumber\":{},\"payinMethod\":\"TCTD\",\"payinVerification\":\"{hash}\"}}",
        Value::String(merchant.to_owned()),
        amount_json,
        Value::String(f[4].clone()),
        Value::String(f[1].clone()),
    );
    let Ok(event) = monnet::verify_notification(body.as_bytes(), &key, MONNET_MERCHANT) else {
        return;
    };

    // (b) The merchant's record.
    let record = if copy_record {
        let Ok(currency) = Currency::new(event.authenticated().currency().trim()) else {
            return;
        };
        let Ok(amount) = Money::parse_decimal(event.authenticated().amount_text().trim(), currency)
        else {
            return;
        };
        ExpectedOperation::new(event.authenticated().operation_number(), amount)
    } else {
        let Ok(currency) = Currency::new(&f[8]) else {
            return;
        };
        let Ok(amount) = Money::parse_decimal(&f[7], currency) else {
            return;
        };
        ExpectedOperation::new(f[6].clone(), amount)
    };

    // (c) The status query's answer.
    let answer = if structured {
        serde_json::to_vec(&json!({
            "payinMerchantID": MONNET_MERCHANT,
            "operations": [{
                "payinStateID": number_or_string(&f[5]),
                "payinState": "fuzz",
                "payinAmount": event.authenticated().amount_text(),
                "payinCurrency": event.authenticated().currency(),
                "payinMerchantOperationNumber": event.authenticated().operation_number(),
                "payinID": "99",
            }],
        }))
        .unwrap_or_default()
    } else {
        raw_body
    };
    let client = MonnetClient::new(
        fixture.mn_settings.clone(),
        answering(status_code, answer.clone(), fail),
    );
    match client.confirm_operation(&event, &record) {
        Ok(confirmed) => {
            assert!(!fail, "confirmed although the transport failed");
            assert!(
                (200..300).contains(&status_code),
                "confirmed on HTTP {status_code}"
            );
            let a: Value = serde_json::from_slice(&answer).expect("a confirmed answer is JSON");
            assert_eq!(
                text(a.get("payinMerchantID"))
                    .map(|m| m.trim().to_owned())
                    .as_deref(),
                Some(MONNET_MERCHANT),
                "{a}"
            );
            let operations = a
                .get("operations")
                .and_then(Value::as_array)
                .expect("operations");
            let currency = record.amount.currency();
            let backs = operations.iter().any(|op| {
                let state = text(op.get("payinStateID")).and_then(|s| s.trim().parse::<u32>().ok());
                let amount = text(op.get("payinAmount"))
                    .and_then(|t| Money::parse_decimal(t.trim(), currency).ok());
                text(op.get("payinMerchantOperationNumber")).as_deref()
                    == Some(record.operation_number.as_str())
                    && matches!(state, Some(5 | 9))
                    && amount == Some(record.amount)
                    && text(op.get("payinCurrency"))
                        .is_some_and(|c| c.trim().eq_ignore_ascii_case(currency.as_str()))
            });
            assert!(
                backs,
                "confirmed without a paid operation equal to the record: {a}"
            );
            assert_eq!(confirmed.amount, record.amount);
            assert_eq!(confirmed.operation_number, record.operation_number);
            assert!(confirmed.state.is_paid());
            let _ = format!("{confirmed:?}");
            trace("monnet");
        }
        Err(e) => {
            let _ = format!("{e} {e:?}");
        }
    }
}
