//! SmilePayz: every accept and reject rule of the simulator, with bodies
//! built by hand (see `raw`), on the loopback server and on the bare
//! handler.

use pasarela_simulator::codes::smilepayz as code;
use pasarela_simulator::{Simulator, SimulatorConfig};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::raw;
use super::support::*;

const PAY_IN_PATH: &str = "/v2.0/transaction/pay-in";
const INQUIRY_STATUS_PATH: &str = "/v2.0/inquiry-status";
const INQUIRY_BALANCE_PATH: &str = "/v2.0/inquiry-balance";

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// A pay-in body for the default simulator merchant.
fn body(prefix: &str) -> Value {
    raw::pay_in_body("20001", &order_no(prefix), 1000)
}

#[test]
fn accepted_pay_in_is_kept_and_answered_like_the_gateway() {
    let server = server();
    let creds = server.credentials();
    let order = order_no("ACC");
    let response = send(pay_in(&creds, &order, 20000, Some("http://127.0.0.1:9/cb")));
    assert_eq!(response.status, 200);
    let answer = json(&response);
    assert_eq!(answer["code"], code::SUCCESS);
    assert_eq!(answer["orderNo"], order.as_str());
    assert_eq!(answer["status"], "PROCESSING");
    assert_eq!(answer["money"], json!({"amount": 20000, "currency": "PEN"}));
    let timestamp = response.header("x-timestamp").unwrap();
    assert!(
        timestamp.ends_with("-05:00") && timestamp.len() == 25,
        "{timestamp}"
    );
    let trade_no = answer["tradeNo"].as_str().unwrap().to_owned();
    let url = answer["channel"]["paymentUrl"].as_str().unwrap();
    assert!(url.starts_with(&creds.smilepayz.base_url) && url.contains(&trade_no));
    assert_eq!(get(&server.base_url(), "/cashier/").status, 200);

    let orders = json(&get(&server.base_url(), "/_simulator/orders"));
    let kept = &orders["smilepayz"][0];
    assert_eq!(kept["orderNo"], order.as_str());
    assert_eq!(kept["tradeNo"], trade_no.as_str());
    assert_eq!(kept["status"], "PROCESSING");
    assert_eq!(kept["payer"], json!({"name": "Ana Quispe"}));
    assert_eq!(server.simulator().smilepayz_orders().len(), 1);
}

#[test]
fn unset_optionals_as_null_or_empty_and_extra_fields_are_accepted() {
    let sim = simulator();
    let creds = sim.credentials(pasarela_simulator::IN_PROCESS_ORIGIN);
    let now = OffsetDateTime::now_utc();
    let mut b = body("OPT");
    b["merchant"]["merchantName"] = json!("");
    b["merchant"]["subMerchantId"] = Value::Null;
    b["merchant"]["subMerchantName"] = json!("");
    b["merchant"]["accountNo"] = json!("");
    b["merchant"]["bankName"] = json!("");
    b["payer"]["idType"] = Value::Null;
    b["payer"]["identity"] = json!("");
    b["payer"]["email"] = json!("");
    b["payer"]["phone"] = Value::Null;
    b["expiryPeriod"] = Value::Null;
    b["redirectUrl"] = json!("");
    b["callbackUrl"] = Value::Null;
    b["area"] = json!(15);
    b["productDetail"] = Value::Null;
    b["additionalParam"] = json!({});
    let request = raw::smilepayz(&creds, PAY_IN_PATH, &bytes(&b), &raw::peru_now());
    let answer = json(&raw::handle(&sim, &request, now));
    assert_eq!(answer["code"], code::SUCCESS, "{answer}");
    assert_eq!(answer["merchant"]["merchantName"], "Simulated merchant");
    let kept = &sim.smilepayz_orders()[0];
    assert_eq!(kept.callback_url, None);
    assert_eq!(kept.payer, Some(json!({"name": "Ana Quispe"})));
}

#[test]
fn escaped_slashes_and_the_id_number_spelling_are_accepted() {
    let sim = simulator();
    let creds = sim.credentials(pasarela_simulator::IN_PROCESS_ORIGIN);
    let order = order_no("ESC");
    // PHP's json_encode writes "https:\/\/...": the bytes signed are the bytes sent.
    let text = format!(
        r#"{{"orderNo":"{order}","purpose":"Pedido","money":{{"currency":"PEN","amount":100}},"merchant":{{"merchantId":"20001","merchantName":""}},"payer":{{"name":"test","idType":"DNI","idNumber":"12345678"}},"paymentMethod":"CASHIER_PE","area":15,"redirectUrl":"https:\/\/shop.example\/ok","callbackUrl":"https:\/\/shop.example\/cb"}}"#
    );
    let request = raw::smilepayz(&creds, PAY_IN_PATH, text.as_bytes(), &raw::peru_now());
    let answer = json(&raw::handle(&sim, &request, OffsetDateTime::now_utc()));
    assert_eq!(answer["code"], code::SUCCESS, "{answer}");
    assert_eq!(
        sim.smilepayz_orders()[0].callback_url.as_deref(),
        Some("https://shop.example/cb")
    );
}

#[test]
fn payer_is_mandatory_with_a_name() {
    let sim = simulator();
    let creds = sim.credentials(pasarela_simulator::IN_PROCESS_ORIGIN);
    let now = OffsetDateTime::now_utc();
    type Case = (fn(&mut Value), &'static str, &'static str);
    let cases: [Case; 5] = [
        (
            |b| {
                b.as_object_mut().unwrap().remove("payer");
            },
            code::MALFORMED_BODY,
            "`payer`",
        ),
        (
            |b| b["payer"] = Value::Null,
            code::MALFORMED_BODY,
            "`payer`",
        ),
        (
            |b| b["payer"] = json!({"email": "ana@shop.pe"}),
            code::MALFORMED_BODY,
            "`payer.name`",
        ),
        (
            |b| b["payer"]["name"] = json!(""),
            code::INVALID_FIELD,
            "`payer.name`",
        ),
        (
            |b| b["payer"] = json!("Ana"),
            code::MALFORMED_BODY,
            "`payer`",
        ),
    ];
    for (edit, expected, field) in cases {
        let mut b = body("PAY");
        edit(&mut b);
        let request = raw::smilepayz(&creds, PAY_IN_PATH, &bytes(&b), &raw::peru_now());
        let answer = json(&raw::handle(&sim, &request, now));
        assert_eq!(answer["code"], expected, "{field}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(field),
            "{answer}"
        );
    }
    assert!(sim.smilepayz_orders().is_empty());
}

#[test]
fn sandbox_merchant_ids_are_valid_partner_and_merchant_ids() {
    let sim = Simulator::new(fast_config().with_smilepayz_merchant_id("sandbox-20001")).unwrap();
    let creds = sim.credentials(pasarela_simulator::IN_PROCESS_ORIGIN);
    assert_eq!(creds.smilepayz.merchant_id, "sandbox-20001");
    let now = OffsetDateTime::now_utc();
    let b = raw::pay_in_body("sandbox-20001", &order_no("S20001"), 1000);
    let request = raw::smilepayz(&creds, PAY_IN_PATH, &bytes(&b), &raw::peru_now());
    let answer = json(&raw::handle(&sim, &request, now));
    assert_eq!(answer["code"], code::SUCCESS, "{answer}");
    assert_eq!(answer["merchant"]["merchantId"], "sandbox-20001");
    // Not digits, not sandbox-<digits>: a malformed X-PARTNER-ID.
    let bad = raw::smilepayz_as(
        &creds,
        "sandbox_20001",
        PAY_IN_PATH,
        &bytes(&b),
        &raw::peru_now(),
    );
    assert_eq!(
        json(&raw::handle(&sim, &bad, now))["code"],
        code::BAD_HEADER
    );
    // A well-formed id of another merchant: unknown.
    let other = raw::smilepayz_as(&creds, "20001", PAY_IN_PATH, &bytes(&b), &raw::peru_now());
    assert_eq!(
        json(&raw::handle(&sim, &other, now))["code"],
        code::UNKNOWN_PARTNER
    );
}

#[test]
fn x_timestamp_takes_any_rfc3339_offset_and_refuses_other_shapes() {
    let sim = simulator();
    let creds = sim.credentials(pasarela_simulator::IN_PROCESS_ORIGIN);
    let now = OffsetDateTime::now_utc();
    for ts in [
        raw::timestamp(now, (0, 0), true),
        raw::timestamp(now, (0, 0), false),
        raw::timestamp(now, (7, 0), false),
        raw::timestamp(now, (-5, 0), false),
        raw::timestamp(now, (5, 30), false),
        raw::timestamp(now, (-3, -30), false),
    ] {
        let request = raw::smilepayz(&creds, PAY_IN_PATH, &bytes(&body("TZ")), &ts);
        let answer = json(&raw::handle(&sim, &request, now));
        assert_eq!(answer["code"], code::SUCCESS, "{ts}: {answer}");
    }
    let z = raw::timestamp(now, (0, 0), true);
    let stamp = &z[..19];
    for ts in [
        stamp.to_owned(),
        format!("{stamp}.000Z"),
        format!("{stamp}.5-05:00"),
        format!("+{z}"),
        format!("{} {}Z", &stamp[..10], &stamp[11..]),
        format!("{stamp}+24:00"),
        format!("{stamp}-0500"),
    ] {
        let request = raw::smilepayz(&creds, PAY_IN_PATH, &bytes(&body("TZ")), &ts);
        let answer = json(&raw::handle(&sim, &request, now));
        assert_eq!(answer["code"], code::BAD_HEADER, "{ts}: {answer}");
        assert!(answer["message"].as_str().unwrap().contains("X-TIMESTAMP"));
    }
}

#[test]
fn inquiry_status_answers_from_state_with_the_demos_shapes() {
    let server = server();
    let creds = server.credentials();
    let order = order_no("INQ");
    let created = json(&send(pay_in(&creds, &order, 12345, None)));
    let trade_no = created["tradeNo"].as_str().unwrap().to_owned();
    let query = |q: Value| {
        json(&send(raw::smilepayz(
            &creds,
            INQUIRY_STATUS_PATH,
            &bytes(&q),
            &raw::peru_now(),
        )))
    };
    for q in [
        json!({"tradeType": 1, "orderNo": order}),
        json!({"tradeType": 1, "tradeNo": trade_no}),
        json!({"tradeType": 1, "orderNo": order, "tradeNo": trade_no}),
        // The PHP and Python demos: a string tradeType, "" for the unused id.
        json!({"tradeType": "1", "tradeNo": trade_no, "orderNo": ""}),
        json!({"tradeType": "1", "tradeNo": "", "orderNo": order}),
        json!({"tradeType": 1, "tradeNo": null, "orderNo": order}),
    ] {
        let status = query(q.clone());
        assert_eq!(status["code"], code::SUCCESS, "{q}: {status}");
        assert_eq!(status["status"], "PROCESSING");
        assert_eq!(status["tradeNo"], trade_no.as_str());
        assert_eq!(status["orderNo"], order.as_str());
        assert_eq!(status["money"], json!({"amount": 12345, "currency": "PEN"}));
    }
    let answer = post_json(
        &server.base_url(),
        "/_simulator/smilepayz/complete",
        &json!({"orderNo": order, "status": "SUCCESS"}),
    );
    assert_eq!(json(&answer), json!({"delivered": false, "attempts": 0}));
    assert_eq!(
        query(json!({"tradeType": 1, "orderNo": order}))["status"],
        "SUCCESS"
    );
}

#[test]
fn inquiry_status_rejects_unknown_and_invalid_references() {
    let server = server();
    let creds = server.credentials();
    let order = order_no("REF");
    send(pay_in(&creds, &order, 500, None));
    let other = order_no("REF");
    send(pay_in(&creds, &other, 500, None));
    let other_trade = server.simulator().smilepayz_orders()[1].trade_no.clone();
    let cases = [
        (
            json!({"tradeType": 1, "orderNo": "NOSUCHORDER1"}),
            code::NOT_FOUND,
            "",
        ),
        (
            json!({"tradeType": 1, "tradeNo": "999"}),
            code::NOT_FOUND,
            "",
        ),
        (
            json!({"tradeType": 1, "orderNo": order, "tradeNo": other_trade}),
            code::NOT_FOUND,
            "",
        ),
        (
            json!({"tradeType": 2, "orderNo": order}),
            code::NOT_FOUND,
            "",
        ),
        (
            json!({"tradeType": "2", "orderNo": order}),
            code::NOT_FOUND,
            "",
        ),
        (json!({"tradeType": 1}), code::INVALID_FIELD, "`orderNo`"),
        (
            json!({"tradeType": 1, "orderNo": "", "tradeNo": ""}),
            code::INVALID_FIELD,
            "`orderNo`",
        ),
        (
            json!({"tradeType": 1, "orderNo": "x".repeat(33)}),
            code::INVALID_FIELD,
            "`orderNo`",
        ),
        (
            json!({"tradeType": 1, "tradeNo": "9".repeat(33)}),
            code::INVALID_FIELD,
            "`tradeNo`",
        ),
        (
            json!({"tradeType": 3, "orderNo": order}),
            code::INVALID_FIELD,
            "`tradeType`",
        ),
        (
            json!({"tradeType": "one", "orderNo": order}),
            code::INVALID_FIELD,
            "`tradeType`",
        ),
        (
            json!({"orderNo": order}),
            code::MALFORMED_BODY,
            "`tradeType`",
        ),
        (
            json!({"tradeType": true, "orderNo": order}),
            code::MALFORMED_BODY,
            "`tradeType`",
        ),
        (
            json!({"tradeType": 1, "orderNo": 12345678}),
            code::MALFORMED_BODY,
            "`orderNo`",
        ),
    ];
    for (body, expected, field) in cases {
        let response = send(raw::smilepayz(
            &creds,
            INQUIRY_STATUS_PATH,
            &bytes(&body),
            &raw::peru_now(),
        ));
        let answer = json(&response);
        assert_eq!(answer["code"], expected, "{body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(field),
            "{body}: {answer}"
        );
    }
}

#[test]
fn inquiry_balance_answers_the_documented_shape() {
    let server = server();
    let creds = server.credentials();
    let order = order_no("BAL");
    let created = json(&send(pay_in(&creds, &order, 20050, None)));
    let account = created["merchant"]["accountNo"]
        .as_str()
        .unwrap()
        .to_owned();
    post_json(
        &server.base_url(),
        "/_simulator/smilepayz/complete",
        &json!({"orderNo": order}),
    );
    let q = json!({"accountNo": account, "balanceTypes": ["BALANCE", "AVAILABLE"]});
    let balance = json(&send(raw::smilepayz(
        &creds,
        INQUIRY_BALANCE_PATH,
        &bytes(&q),
        &raw::peru_now(),
    )));
    assert_eq!(balance["code"], code::SUCCESS);
    assert_eq!(balance["accountNo"], account.as_str());
    let infos = balance["accountInfos"].as_array().unwrap();
    assert_eq!(infos.len(), 2);
    assert_eq!(infos[0]["balanceType"], "BALANCE");
    assert_eq!(infos[1]["balanceType"], "AVAILABLE");
    for info in infos {
        assert_eq!(info["amount"], json!({"currency": "PEN", "value": "20050"}));
        assert_eq!(
            info["availableBalance"],
            json!({"currency": "PEN", "value": "20050"})
        );
    }

    for (body, expected, field) in [
        (
            json!({"accountNo": "999", "balanceTypes": ["BALANCE"]}),
            code::NOT_FOUND,
            "",
        ),
        (
            json!({"accountNo": account, "balanceTypes": []}),
            code::INVALID_FIELD,
            "`balanceTypes`",
        ),
        (
            json!({"accountNo": account, "balanceTypes": ["TOTAL"]}),
            code::INVALID_FIELD,
            "`balanceTypes[0]`",
        ),
        (
            json!({"accountNo": "x".repeat(129), "balanceTypes": ["BALANCE"]}),
            code::INVALID_FIELD,
            "`accountNo`",
        ),
        (
            json!({"accountNo": "", "balanceTypes": ["BALANCE"]}),
            code::INVALID_FIELD,
            "`accountNo`",
        ),
        (
            json!({"accountNo": account}),
            code::MALFORMED_BODY,
            "`balanceTypes`",
        ),
        (
            json!({"balanceTypes": ["BALANCE"]}),
            code::MALFORMED_BODY,
            "`accountNo`",
        ),
    ] {
        let response = send(raw::smilepayz(
            &creds,
            INQUIRY_BALANCE_PATH,
            &bytes(&body),
            &raw::peru_now(),
        ));
        let answer = json(&response);
        assert_eq!(answer["code"], expected, "{body}");
        assert!(
            answer["message"].as_str().unwrap().contains(field),
            "{body}: {answer}"
        );
    }
}

#[test]
fn every_header_tampering_is_rejected_with_its_code() {
    let server = server();
    let creds = server.credentials();
    let good = pay_in(&creds, &order_no("HDR"), 1000, None);
    let cases = [
        (
            with_header(&good, "X-PARTNER-ID", Some("99999")),
            code::UNKNOWN_PARTNER,
            401,
        ),
        (
            with_header(&good, "X-PARTNER-ID", None),
            code::BAD_HEADER,
            400,
        ),
        (
            with_header(&good, "X-PARTNER-ID", Some("merchant")),
            code::BAD_HEADER,
            400,
        ),
        (
            with_header(&good, "X-TIMESTAMP", None),
            code::BAD_HEADER,
            400,
        ),
        (
            with_header(&good, "X-TIMESTAMP", Some("2020-12-17 10:55:00")),
            code::BAD_HEADER,
            400,
        ),
        (
            with_header(&good, "X-SIGNATURE", None),
            code::BAD_HEADER,
            400,
        ),
        (
            with_header(&good, "X-SIGNATURE", Some("not base64!")),
            code::BAD_HEADER,
            400,
        ),
        (
            with_header(&good, "Content-Type", None),
            code::BAD_HEADER,
            400,
        ),
        (
            with_header(&good, "Content-Type", Some("text/plain")),
            code::BAD_HEADER,
            400,
        ),
    ];
    for (request, expected, status) in cases {
        let response = send(request);
        assert_eq!(
            (code(&response).as_str(), response.status),
            (expected, status),
            "{:?}",
            json(&response)
        );
        assert!(response.header("x-timestamp").is_some());
    }
    assert!(server.simulator().smilepayz_orders().is_empty());
    assert_eq!(code(&send(good)), code::SUCCESS);
}

#[test]
fn timestamps_outside_five_minutes_are_rejected() {
    let server = server();
    let creds = server.credentials();
    let now = OffsetDateTime::now_utc();
    for (shift, expected) in [
        (Duration::minutes(-6), code::TIMESTAMP_OUT_OF_WINDOW),
        (Duration::minutes(6), code::TIMESTAMP_OUT_OF_WINDOW),
        (Duration::minutes(-4), code::SUCCESS),
        (Duration::minutes(4), code::SUCCESS),
    ] {
        let ts = raw::timestamp(now + shift, (0, 0), true);
        let response = send(raw::smilepayz(
            &creds,
            PAY_IN_PATH,
            &bytes(&body("TS")),
            &ts,
        ));
        assert_eq!(code(&response), expected, "{shift}");
    }
}

#[test]
fn signatures_that_do_not_verify_are_rejected() {
    let server = server();
    let creds = server.credentials();
    let good = pay_in(&creds, &order_no("SIG"), 1000, None);
    let body = String::from_utf8(good.body().to_vec()).unwrap();
    // body changed after signing
    let tampered = with_body(&good, body.replace("1000", "1001").into_bytes());
    // signed with another key
    let mut other = creds.clone();
    other.smilepayz.merchant_private_key =
        Some(include_str!("../../../core/testdata/keys/platform_private_pkcs8.pem").to_owned());
    let wrong_key = raw::smilepayz(&other, PAY_IN_PATH, good.body(), &raw::peru_now());
    // signed with another secret
    let mut secret = creds.clone();
    secret.smilepayz.merchant_secret = "not-the-secret".into();
    let wrong_secret = raw::smilepayz(&secret, PAY_IN_PATH, good.body(), &raw::peru_now());
    // signature of another timestamp
    let other_ts = with_header(
        &good,
        "X-TIMESTAMP",
        Some(&raw::timestamp(
            OffsetDateTime::now_utc() - Duration::seconds(10),
            (-5, 0),
            false,
        )),
    );
    // the same instant written with another offset is another string to sign
    let same_instant = with_header(
        &good,
        "X-TIMESTAMP",
        Some(&raw::timestamp(raw_instant(good.headers()), (0, 0), true)),
    );
    for request in [tampered, wrong_key, wrong_secret, other_ts, same_instant] {
        let response = send(request);
        assert_eq!(
            (code(&response).as_str(), response.status),
            (code::BAD_SIGNATURE, 401)
        );
    }
    assert!(server.simulator().smilepayz_orders().is_empty());
}

/// The instant of a request's `X-TIMESTAMP` (a `-05:00` one).
fn raw_instant(headers: &[(String, String)]) -> OffsetDateTime {
    let ts = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("X-TIMESTAMP"))
        .map(|(_, v)| v.clone())
        .unwrap();
    let format = time::format_description::well_known::Rfc3339;
    OffsetDateTime::parse(&ts, &format).unwrap()
}

#[test]
fn every_field_rule_is_enforced_and_names_its_field() {
    let server = server();
    let creds = server.credentials();
    type Edit = Box<dyn Fn(&mut Value)>;
    let set = |path: &'static [&'static str], v: Value| -> Edit {
        Box::new(move |b| {
            let mut at = &mut *b;
            for p in &path[..path.len() - 1] {
                at = &mut at[*p];
            }
            at[path[path.len() - 1]] = v.clone();
        })
    };
    let invalid: Vec<(&str, Edit)> = vec![
        ("orderNo", set(&["orderNo"], json!("ABC12"))),
        ("orderNo", set(&["orderNo"], json!("A".repeat(33)))),
        ("orderNo", set(&["orderNo"], json!("ABC-123"))),
        ("orderNo", set(&["orderNo"], json!("ÁBC1234"))),
        ("money.amount", set(&["money", "amount"], json!(99))),
        (
            "money.amount",
            set(&["money", "amount"], json!(1_000_000_000u64)),
        ),
        ("money.amount", set(&["money", "amount"], json!(-100))),
        ("money.currency", set(&["money", "currency"], json!("USD"))),
        ("purpose", set(&["purpose"], json!(""))),
        ("purpose", set(&["purpose"], json!("p".repeat(65)))),
        (
            "paymentMethod",
            set(&["paymentMethod"], json!("cashier pe")),
        ),
        ("paymentMethod", set(&["paymentMethod"], json!(""))),
        ("expiryPeriod", set(&["expiryPeriod"], json!(299))),
        ("expiryPeriod", set(&["expiryPeriod"], json!(86401))),
        ("redirectUrl", set(&["redirectUrl"], json!("ftp://x.pe/ok"))),
        (
            "redirectUrl",
            set(
                &["redirectUrl"],
                json!(format!("https://x.pe/{}", "a".repeat(250))),
            ),
        ),
        ("callbackUrl", set(&["callbackUrl"], json!("x.pe/cb"))),
        (
            "merchant.merchantId",
            set(&["merchant", "merchantId"], json!("")),
        ),
        (
            "merchant.merchantId",
            set(&["merchant", "merchantId"], json!("M20001")),
        ),
        ("payer.name", set(&["payer", "name"], json!(" "))),
        ("payer.idType", set(&["payer", "idType"], json!("PASSPORT"))),
        ("payer.email", set(&["payer", "email"], json!("nobody"))),
        ("payer.phone", set(&["payer", "phone"], json!("12"))),
    ];
    for (field, mutate) in invalid {
        let mut b = body("FLD");
        mutate(&mut b);
        let response = send(raw::smilepayz(
            &creds,
            PAY_IN_PATH,
            &bytes(&b),
            &raw::peru_now(),
        ));
        let answer = json(&response);
        assert_eq!(answer["code"], code::INVALID_FIELD, "{field}: {answer}");
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .contains(&format!("`{field}`")),
            "{field}: {answer}"
        );
    }
    let malformed: Vec<(&str, Vec<u8>)> = vec![
        ("", b"{not json".to_vec()),
        ("", Vec::new()),
        ("", b"[]".to_vec()),
        ("money.amount", {
            let mut b = body("FLD");
            b["money"]["amount"] = json!("1000");
            bytes(&b)
        }),
        ("money.amount", {
            let mut b = body("FLD");
            b["money"]["amount"] = json!(10.5);
            bytes(&b)
        }),
        ("expiryPeriod", {
            let mut b = body("FLD");
            b["expiryPeriod"] = json!("3600");
            bytes(&b)
        }),
        ("orderNo", {
            let mut b = body("FLD");
            b.as_object_mut().unwrap().remove("orderNo");
            bytes(&b)
        }),
        ("merchant", {
            let mut b = body("FLD");
            b.as_object_mut().unwrap().remove("merchant");
            bytes(&b)
        }),
        ("money.currency", {
            let mut b = body("FLD");
            b["money"]["currency"] = Value::Null;
            bytes(&b)
        }),
        ("purpose", {
            let mut b = body("FLD");
            b["purpose"] = json!(7);
            bytes(&b)
        }),
    ];
    for (field, bytes) in malformed {
        let response = send(raw::smilepayz(
            &creds,
            PAY_IN_PATH,
            &bytes,
            &raw::peru_now(),
        ));
        let answer = json(&response);
        assert_eq!(answer["code"], code::MALFORMED_BODY, "{field}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(field),
            "{field}: {answer}"
        );
    }
    assert!(server.simulator().smilepayz_orders().is_empty());
}

#[test]
fn the_boundaries_of_every_range_are_accepted() {
    let sim = Simulator::new(SimulatorConfig::default()).unwrap();
    let creds = sim.credentials(pasarela_simulator::IN_PROCESS_ORIGIN);
    let now = OffsetDateTime::now_utc();
    let mut bodies = Vec::new();
    for (amount, expiry, order) in [
        (100u64, 300, "ABC123".to_owned()),
        (999_999_999, 86_400, "Z".repeat(32)),
    ] {
        let mut b = raw::pay_in_body("20001", &order, amount);
        b["expiryPeriod"] = json!(expiry);
        b["purpose"] = json!("ñ".repeat(64));
        b["callbackUrl"] = json!(format!("https://x.pe/{}", "a".repeat(243)));
        b["payer"]["idType"] = json!("RUC");
        b["payer"]["identity"] = json!("20123456789");
        b["payer"]["email"] = json!("ana@shop.pe");
        b["payer"]["phone"] = json!("+51987654321");
        bodies.push(b);
    }
    for b in bodies {
        let request = raw::smilepayz(&creds, PAY_IN_PATH, &bytes(&b), &raw::peru_now());
        let answer = json(&raw::handle(&sim, &request, now));
        assert_eq!(answer["code"], code::SUCCESS, "{b}: {answer}");
    }
}

#[test]
fn duplicate_order_numbers_are_rejected_and_the_first_order_kept() {
    let server = server();
    let creds = server.credentials();
    let order = order_no("DUP");
    assert_eq!(
        code(&send(pay_in(&creds, &order, 1000, None))),
        code::SUCCESS
    );
    let again = send(pay_in(&creds, &order, 2000, None));
    assert_eq!(code(&again), code::DUPLICATE_ORDER);
    let orders = server.simulator().smilepayz_orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].money.amount, 1000);
}

#[test]
fn wrong_methods_and_paths_get_the_gateway_shape() {
    let server = server();
    let get_pay_in = get(&server.base_url(), PAY_IN_PATH);
    assert_eq!((get_pay_in.status, code(&get_pay_in).as_str()), (405, "99"));
    let unknown = get(&server.base_url(), "/v2.0/nothing");
    assert_eq!((unknown.status, code(&unknown).as_str()), (404, "99"));
}
