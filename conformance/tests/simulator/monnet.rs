//! Monnet on the loopback server: the proxy create and the status query.

use pasarela_core::MonnetKey;
use pasarela_core::PreparedRequest;
use pasarela_core::http::Method;
use pasarela_core::monnet::{self, PayinState, StatusQuery, status_authorization};
use pasarela_simulator::codes::monnet as code;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::support::*;

fn today() -> time::Date {
    OffsetDateTime::now_utc()
        .to_offset(pasarela_core::smilepayz::PERU_OFFSET)
        .date()
}

#[test]
fn accepted_create_answers_a_url_and_is_kept() {
    let server = server();
    let creds = server.credentials();
    let op = order_no("MN-");
    let response = send(monnet_create(&creds, &op, 15000));
    assert_eq!(response.status, 200);
    let created = monnet::parse_create_response(response).unwrap();
    assert_eq!(created.code, "0000");
    assert!(
        created
            .redirect_url
            .as_str()
            .starts_with(&server.base_url())
    );
    let ops = server.simulator().monnet_operations();
    assert_eq!(ops.len(), 1);
    assert_eq!(
        (
            ops[0].operation_number.as_str(),
            ops[0].amount.as_str(),
            ops[0].state_id
        ),
        (op.as_str(), "150.00", 1)
    );
    // The shopper opens the payment page: pending payment.
    assert_eq!(get(created.redirect_url.as_str(), "").status, 200);
    assert_eq!(server.simulator().monnet_operations()[0].state_id, 2);
}

#[test]
fn status_query_answers_from_state() {
    let server = server();
    let creds = server.credentials();
    let config = monnet_config(&creds);
    let op = order_no("MS-");
    send(monnet_create(&creds, &op, 2550));
    let query = |q: &StatusQuery| {
        monnet::parse_status_response(send(
            monnet::prepare_status_query(&config, q, today()).unwrap(),
        ))
        .unwrap()
    };
    let found = query(&StatusQuery::by_operation_number(&op));
    assert_eq!(found.merchant_id, creds.monnet.merchant_id);
    assert_eq!(found.operations.len(), 1);
    assert_eq!(found.operations[0].state, PayinState::Created);
    assert_eq!(found.operations[0].amount_text, "25.50");
    assert!(found.operations[0].payin_id.is_some());
    assert!(
        query(&StatusQuery::by_operation_number("NOPE"))
            .operations
            .is_empty()
    );
    let yesterday = today() - Duration::days(1);
    // created today: not in a range that must end before today
    assert!(
        query(&StatusQuery::by_date_range(yesterday, yesterday))
            .operations
            .is_empty()
    );
    assert_eq!(creds.monnet.status_url, config.status_url().as_str());
}

#[test]
fn status_query_rejects_wrong_authorization_merchant_and_dates() {
    let server = server();
    let creds = server.credentials();
    let key = MonnetKey::new(creds.monnet.key_monnet.as_str());
    let auth = status_authorization(&creds.monnet.merchant_id, &key);
    let request = |url: &str, auth: Option<&str>, body: Value| {
        let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        if let Some(a) = auth {
            headers.push(("authorization".to_owned(), a.to_owned()));
        }
        send(PreparedRequest::new(
            Method::POST,
            url.parse().unwrap(),
            headers,
            serde_json::to_vec(&body).unwrap(),
        ))
    };
    let url = creds.monnet.status_url.clone();
    let by_op = json!({"payinMerchantOperationNumber": "X1"});
    let wrong_mid = url.replace("/merchant/4001/", "/merchant/4002/");
    let today = today();
    let cases = [
        (
            request(&url, None, by_op.clone()),
            code::BAD_AUTHORIZATION,
            401,
        ),
        (
            request(&url, Some(&"0".repeat(64)), by_op.clone()),
            code::BAD_AUTHORIZATION,
            401,
        ),
        (
            request(&wrong_mid, Some(&auth), by_op.clone()),
            code::UNKNOWN_MERCHANT,
            401,
        ),
        (
            request(&url, Some(&auth), json!({})),
            code::MISSING_FIELD,
            400,
        ),
        (
            request(&url, Some(&auth), json!({"payinStartDate": "2025-01-01"})),
            code::MISSING_FIELD,
            400,
        ),
        (
            request(
                &url,
                Some(&auth),
                json!({"payinStartDate": "2025-01-01", "payinEndDate": today.to_string()}),
            ),
            code::INVALID_VALUE,
            400,
        ),
        (
            request(
                &url,
                Some(&auth),
                json!({"payinStartDate": "2025/01/01", "payinEndDate": "2025-01-02"}),
            ),
            code::INVALID_VALUE,
            400,
        ),
        (
            request(&url, Some(&auth), json!([1])),
            code::MALFORMED_BODY,
            400,
        ),
    ];
    for (response, expected, status) in cases {
        assert_eq!(
            (monnet_code(&response).as_str(), response.status),
            (expected, status),
            "{:?}",
            json(&response)
        );
    }
    let ok = request(&url, Some(&auth.to_uppercase()), by_op);
    assert_eq!(ok.status, 200, "hex case does not matter");
}

#[test]
fn every_create_rule_is_enforced() {
    let server = server();
    let creds = server.credentials();
    let good = monnet_create(&creds, &order_no("MR-"), 15000);
    let body = object(&good);
    type Edit = Box<dyn Fn(&mut serde_json::Map<String, Value>)>;
    let set = |k: &'static str, v: &'static str| -> Edit {
        Box::new(move |b| {
            b.insert(k.into(), json!(v));
        })
    };
    let cases: Vec<(&str, Edit, bool, &str)> = vec![
        (
            "missing payinFilterBy",
            Box::new(|b| {
                b.remove("payinFilterBy");
            }),
            false,
            code::MISSING_FIELD,
        ),
        (
            "missing payinCvv",
            Box::new(|b| {
                b.remove("payinCvv");
            }),
            false,
            code::MISSING_FIELD,
        ),
        (
            "missing typePost",
            Box::new(|b| {
                b.remove("typePost");
            }),
            false,
            code::MISSING_FIELD,
        ),
        (
            "empty name",
            set("payinCustomerName", ""),
            false,
            code::EMPTY_CUSTOMER_FIELD,
        ),
        (
            "empty last name",
            set("payinCustomerLastName", " "),
            false,
            code::EMPTY_CUSTOMER_FIELD,
        ),
        (
            "empty email",
            set("payinCustomerEmail", ""),
            false,
            code::EMPTY_CUSTOMER_FIELD,
        ),
        (
            "empty phone",
            set("payinCustomerPhone", ""),
            false,
            code::EMPTY_CUSTOMER_FIELD,
        ),
        (
            "wrong verification",
            set("payinVerification", "00"),
            false,
            code::BAD_VERIFICATION,
        ),
        (
            "amount changed after hashing",
            set("payinAmount", "151.00"),
            false,
            code::BAD_VERIFICATION,
        ),
        (
            "one decimal",
            set("payinAmount", "150.0"),
            true,
            code::INVALID_VALUE,
        ),
        (
            "amount not a number",
            set("payinAmount", "abc"),
            true,
            code::INVALID_VALUE,
        ),
        (
            "phone too short",
            set("payinCustomerPhone", "1234567"),
            false,
            code::INVALID_VALUE,
        ),
        (
            "phone letters",
            set("payinCustomerPhone", "98765432a"),
            false,
            code::INVALID_VALUE,
        ),
        (
            "name too long",
            set("payinCustomerName", "abcdefghijabcdefghijabcdefghijX"),
            false,
            code::INVALID_VALUE,
        ),
        (
            "http OK URL",
            set("payinTransactionOKURL", "http://shop.example/ok"),
            false,
            code::INVALID_VALUE,
        ),
        (
            "language",
            set("payinLanguage", "ESP"),
            false,
            code::INVALID_VALUE,
        ),
        (
            "currency",
            set("payinCurrency", "soles"),
            true,
            code::INVALID_VALUE,
        ),
        ("PAN", set("payinPan", "1234"), false, code::INVALID_VALUE),
        ("CVV", set("payinCvv", "12"), false, code::INVALID_VALUE),
        (
            "card expiry",
            set("payinCardExpiration", "2030-13"),
            false,
            code::INVALID_VALUE,
        ),
        (
            "expiration minutes",
            set("payinExpirationTime", "thirty"),
            false,
            code::INVALID_VALUE,
        ),
        (
            "typePost",
            set("typePost", "xml"),
            false,
            code::INVALID_VALUE,
        ),
        (
            "URLMonnet",
            set("URLMonnet", "https://evil.example/x"),
            false,
            code::INVALID_VALUE,
        ),
        (
            "empty product id",
            set("payinProductID", ""),
            false,
            code::INVALID_VALUE,
        ),
        (
            "operation number too long",
            Box::new(|b| {
                b.insert("payinMerchantOperationNumber".into(), json!("x".repeat(51)));
            }),
            true,
            code::INVALID_VALUE,
        ),
        (
            "unknown merchant",
            set("payinMerchantID", "4002"),
            true,
            code::UNKNOWN_MERCHANT,
        ),
        (
            "null value",
            Box::new(|b| {
                b.insert("payinFilterBy".into(), Value::Null);
            }),
            false,
            code::MALFORMED_BODY,
        ),
    ];
    for (what, edit, rehash, expected) in cases {
        let mut b = body.clone();
        edit(&mut b);
        let response = send(with_object(&creds, &good, b, rehash));
        assert_eq!(
            monnet_code(&response),
            expected,
            "{what}: {:?}",
            json(&response)
        );
        assert_ne!(response.status, 200, "{what}");
    }
    for raw in [&b"not json"[..], b"[]", b""] {
        assert_eq!(
            monnet_code(&send(with_body(&good, raw.to_vec()))),
            code::MALFORMED_BODY
        );
    }
    assert!(server.simulator().monnet_operations().is_empty());
    // Numbers as JSON numbers are taken with their exact text.
    let mut numeric = body.clone();
    numeric.insert("payinExpirationTime".into(), json!(30));
    assert_eq!(
        monnet_code(&send(with_object(&creds, &good, numeric, false))),
        code::SUCCESS
    );
}

#[test]
fn duplicate_operation_numbers_and_unknown_push_ids_are_rejected() {
    let server = server();
    let creds = server.credentials();
    let op = order_no("MD-");
    assert_eq!(
        monnet_code(&send(monnet_create(&creds, &op, 1000))),
        code::SUCCESS
    );
    let again = send(monnet_create(&creds, &op, 1000));
    assert_eq!(
        (monnet_code(&again).as_str(), again.status),
        (code::DUPLICATE_OPERATION, 409)
    );
    assert_eq!(server.simulator().monnet_operations().len(), 1);
    let elsewhere = PreparedRequest::new(
        Method::POST,
        format!("{}/v1/push/32dfee54fc151dd3", server.base_url())
            .parse()
            .unwrap(),
        vec![("Content-Type".into(), "application/json".into())],
        monnet_create(&creds, &order_no("MD-"), 1000)
            .body()
            .to_vec(),
    );
    let response = send(elsewhere);
    assert_eq!(
        (monnet_code(&response).as_str(), response.status),
        (code::NO_SUCH_ENDPOINT, 404)
    );
    let get_proxy = get(&creds.monnet.proxy_url, "");
    assert_eq!(get_proxy.status, 405);
}
