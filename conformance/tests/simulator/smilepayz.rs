//! SmilePayz on the loopback server: every accept and reject rule.

use pasarela_core::smilepayz::{
    self, INQUIRY_BALANCE_PATH, INQUIRY_STATUS_PATH, InquiryBalanceRequest, InquiryStatusRequest,
    PAY_IN_PATH, TransactionStatus, parse_timestamp,
};
use pasarela_simulator::codes::smilepayz as code;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::support::*;

#[test]
fn accepted_pay_in_is_kept_and_answered_like_the_gateway() {
    let server = server();
    let creds = server.credentials();
    let order = order_no("ACC");
    let response = send(pay_in(&creds, &order, 20000, Some("http://127.0.0.1:9/cb")));
    assert_eq!(response.status, 200);
    assert!(parse_timestamp(response.header("x-timestamp").unwrap()).is_some());
    let parsed = smilepayz::parse_pay_in_response(response).unwrap();
    assert_eq!(parsed.order_no, order);
    assert_eq!(parsed.status, Some(TransactionStatus::Processing));
    let trade_no = parsed.trade_no.clone().unwrap();
    assert!(
        parsed
            .channel
            .payment_url
            .as_str()
            .starts_with(&creds.smilepayz.base_url)
    );
    assert!(parsed.channel.payment_url.as_str().contains(&trade_no));
    assert_eq!(get(&server.base_url(), "/cashier/").status, 200);

    let orders = json(&get(&server.base_url(), "/_simulator/orders"));
    let kept = &orders["smilepayz"][0];
    assert_eq!(kept["orderNo"], order.as_str());
    assert_eq!(kept["tradeNo"], trade_no.as_str());
    assert_eq!(kept["status"], "PROCESSING");
    assert_eq!(server.simulator().smilepayz_orders().len(), 1);
}

#[test]
fn inquiry_status_answers_from_state() {
    let server = server();
    let creds = server.credentials();
    let config = smilepayz_config(&creds);
    let order = order_no("INQ");
    let created =
        smilepayz::parse_pay_in_response(send(pay_in(&creds, &order, 12345, None))).unwrap();
    let trade_no = created.trade_no.unwrap();
    let now = OffsetDateTime::now_utc();
    for query in [
        InquiryStatusRequest::pay_in_by_order_no(&order),
        InquiryStatusRequest::pay_in_by_trade_no(&trade_no),
        InquiryStatusRequest {
            trade_no: Some(trade_no.clone()),
            ..InquiryStatusRequest::pay_in_by_order_no(&order)
        },
    ] {
        let prepared = smilepayz::prepare_inquiry_status(&config, &query, now).unwrap();
        let status = smilepayz::parse_inquiry_status_response(send(prepared)).unwrap();
        assert_eq!(status.status, Some(TransactionStatus::Processing));
        assert_eq!(status.trade_no.as_deref(), Some(trade_no.as_str()));
        assert_eq!(status.order_no.as_deref(), Some(order.as_str()));
        assert_eq!(status.money, Some(smilepayz::Money::pen(12345)));
    }
    let answer = post_json(
        &server.base_url(),
        "/_simulator/smilepayz/complete",
        &json!({"orderNo": order, "status": "SUCCESS"}),
    );
    assert_eq!(json(&answer), json!({"delivered": false, "attempts": 0}));
    let prepared = smilepayz::prepare_inquiry_status(
        &config,
        &InquiryStatusRequest::pay_in_by_order_no(&order),
        now,
    )
    .unwrap();
    let status = smilepayz::parse_inquiry_status_response(send(prepared)).unwrap();
    assert_eq!(status.status, Some(TransactionStatus::Success));
}

#[test]
fn inquiry_status_rejects_unknown_and_invalid_references() {
    let server = server();
    let creds = server.credentials();
    let now = OffsetDateTime::now_utc();
    let order = order_no("REF");
    send(pay_in(&creds, &order, 500, None));
    let other = order_no("REF");
    send(pay_in(&creds, &other, 500, None));
    let other_trade = server.simulator().smilepayz_orders()[1].trade_no.clone();
    let cases = [
        (
            json!({"tradeType": 1, "orderNo": "NOSUCHORDER1"}),
            code::NOT_FOUND,
        ),
        (json!({"tradeType": 1, "tradeNo": "999"}), code::NOT_FOUND),
        (
            json!({"tradeType": 1, "orderNo": order, "tradeNo": other_trade}),
            code::NOT_FOUND,
        ),
        (json!({"tradeType": 2, "orderNo": order}), code::NOT_FOUND),
        (json!({"tradeType": 1}), code::INVALID_FIELD),
        (
            json!({"tradeType": 1, "orderNo": "x".repeat(33)}),
            code::INVALID_FIELD,
        ),
        (json!({"orderNo": order}), code::MALFORMED_BODY),
        (
            json!({"tradeType": "1", "orderNo": order}),
            code::MALFORMED_BODY,
        ),
    ];
    for (body, expected) in cases {
        let bytes = serde_json::to_vec(&body).unwrap();
        let response = send(signed(&creds, INQUIRY_STATUS_PATH, &bytes, now));
        assert_eq!(code(&response), expected, "{body}: {:?}", json(&response));
    }
}

#[test]
fn inquiry_balance_reports_settled_money() {
    let server = server();
    let creds = server.credentials();
    let config = smilepayz_config(&creds);
    let now = OffsetDateTime::now_utc();
    let order = order_no("BAL");
    let created =
        smilepayz::parse_pay_in_response(send(pay_in(&creds, &order, 20050, None))).unwrap();
    let account = created.merchant.account_no.unwrap();
    post_json(
        &server.base_url(),
        "/_simulator/smilepayz/complete",
        &json!({"orderNo": order}),
    );
    let prepared =
        smilepayz::prepare_inquiry_balance(&config, &InquiryBalanceRequest::balance(&account), now)
            .unwrap();
    let balance = smilepayz::parse_inquiry_balance_response(send(prepared)).unwrap();
    assert_eq!(balance.balance_list[0].balance_type, "BALANCE");
    assert_eq!(balance.balance_list[0].amount, "200.50");

    for (body, expected) in [
        (
            json!({"accountNo": "999", "balanceTypes": ["BALANCE"]}),
            code::NOT_FOUND,
        ),
        (
            json!({"accountNo": account, "balanceTypes": []}),
            code::INVALID_FIELD,
        ),
        (json!({"accountNo": account}), code::MALFORMED_BODY),
    ] {
        let bytes = serde_json::to_vec(&body).unwrap();
        let response = send(signed(&creds, INQUIRY_BALANCE_PATH, &bytes, now));
        assert_eq!(code(&response), expected, "{body}");
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
        let body = serde_json::to_vec(&json!({
            "merchant": {"merchantId": "20001"},
            "money": {"amount": 1000, "currency": "PEN"},
            "orderNo": order_no("TS"),
            "paymentMethod": "CASHIER_PE",
            "purpose": "p",
        }))
        .unwrap();
        let response = send(signed(&creds, PAY_IN_PATH, &body, now + shift));
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
    let wrong_key = signed(&other, PAY_IN_PATH, good.body(), OffsetDateTime::now_utc());
    // signed with another secret
    let mut secret = creds.clone();
    secret.smilepayz.merchant_secret = "not-the-secret".into();
    let wrong_secret = signed(&secret, PAY_IN_PATH, good.body(), OffsetDateTime::now_utc());
    // signature of another timestamp
    let other_ts = with_header(
        &good,
        "X-TIMESTAMP",
        Some(&smilepayz::format_timestamp(
            OffsetDateTime::now_utc() - Duration::seconds(10),
        )),
    );
    for request in [tampered, wrong_key, wrong_secret, other_ts] {
        let response = send(request);
        assert_eq!(
            (code(&response).as_str(), response.status),
            (code::BAD_SIGNATURE, 401)
        );
    }
    assert!(server.simulator().smilepayz_orders().is_empty());
}

#[test]
fn every_field_rule_is_enforced() {
    let server = server();
    let creds = server.credentials();
    let now = OffsetDateTime::now_utc();
    let base = || {
        json!({
            "merchant": {"merchantId": "20001"},
            "money": {"amount": 1000, "currency": "PEN"},
            "orderNo": order_no("FLD"),
            "paymentMethod": "CASHIER_PE",
            "purpose": "p",
        })
    };
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let invalid: Vec<(&str, Edit)> = vec![
        ("orderNo", Box::new(|b| b["orderNo"] = json!("ABC12"))),
        (
            "orderNo",
            Box::new(|b| b["orderNo"] = json!("A".repeat(33))),
        ),
        ("orderNo", Box::new(|b| b["orderNo"] = json!("ABC-123"))),
        (
            "money.amount",
            Box::new(|b| b["money"]["amount"] = json!(99)),
        ),
        (
            "money.amount",
            Box::new(|b| b["money"]["amount"] = json!(1_000_000_000u64)),
        ),
        ("purpose", Box::new(|b| b["purpose"] = json!(""))),
        (
            "purpose",
            Box::new(|b| b["purpose"] = json!("p".repeat(65))),
        ),
        (
            "paymentMethod",
            Box::new(|b| b["paymentMethod"] = json!("cashier pe")),
        ),
        ("expiryPeriod", Box::new(|b| b["expiryPeriod"] = json!(299))),
        (
            "expiryPeriod",
            Box::new(|b| b["expiryPeriod"] = json!(86401)),
        ),
        (
            "redirectUrl",
            Box::new(|b| b["redirectUrl"] = json!("ftp://x.pe/ok")),
        ),
        (
            "redirectUrl",
            Box::new(|b| b["redirectUrl"] = json!(format!("https://x.pe/{}", "a".repeat(250)))),
        ),
        (
            "callbackUrl",
            Box::new(|b| b["callbackUrl"] = json!("x.pe/cb")),
        ),
        (
            "merchant.merchantId",
            Box::new(|b| b["merchant"]["merchantId"] = json!("")),
        ),
        (
            "payer.email",
            Box::new(|b| b["payer"] = json!({"email": "nobody"})),
        ),
        (
            "payer.phone",
            Box::new(|b| b["payer"] = json!({"phone": "12"})),
        ),
    ];
    for (field, mutate) in invalid {
        let mut body = base();
        mutate(&mut body);
        let bytes = serde_json::to_vec(&body).unwrap();
        let response = send(signed(&creds, PAY_IN_PATH, &bytes, now));
        let answer = json(&response);
        assert_eq!(answer["code"], code::INVALID_FIELD, "{field}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(field),
            "{field}: {answer}"
        );
    }
    let malformed: Vec<(&str, Vec<u8>)> = vec![
        ("not JSON", b"{not json".to_vec()),
        ("empty", Vec::new()),
        ("array", b"[]".to_vec()),
        ("amount as string", {
            let mut b = base();
            b["money"]["amount"] = json!("1000");
            serde_json::to_vec(&b).unwrap()
        }),
        ("amount with decimals", {
            let mut b = base();
            b["money"]["amount"] = json!(10.5);
            serde_json::to_vec(&b).unwrap()
        }),
        ("currency USD", {
            let mut b = base();
            b["money"]["currency"] = json!("USD");
            serde_json::to_vec(&b).unwrap()
        }),
        ("no orderNo", {
            let mut b = base();
            b.as_object_mut().unwrap().remove("orderNo");
            serde_json::to_vec(&b).unwrap()
        }),
        ("no merchant", {
            let mut b = base();
            b.as_object_mut().unwrap().remove("merchant");
            serde_json::to_vec(&b).unwrap()
        }),
    ];
    for (what, bytes) in malformed {
        let response = send(signed(&creds, PAY_IN_PATH, &bytes, now));
        assert_eq!(code(&response), code::MALFORMED_BODY, "{what}");
    }
    assert!(server.simulator().smilepayz_orders().is_empty());
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
