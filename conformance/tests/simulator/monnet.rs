//! Monnet: the proxy create and the status query, with bodies built by
//! hand (see `raw`): every rule, each refusal with its documented code
//! where Monnet has one.

use pasarela_core::PreparedRequest;
use pasarela_core::http::Method;
use pasarela_simulator::codes::monnet as code;
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime, UtcOffset};

use super::raw;
use super::support::*;

fn today() -> time::Date {
    OffsetDateTime::now_utc()
        .to_offset(UtcOffset::from_hms(-5, 0, 0).unwrap())
        .date()
}

#[test]
fn accepted_create_answers_a_url_and_is_kept() {
    let server = server();
    let creds = server.credentials();
    let op = order_no("MN-");
    let response = send(raw::monnet(
        &creds,
        &raw::monnet_body(&creds, &op, "150.00"),
    ));
    assert_eq!(response.status, 200);
    let created = json(&response);
    assert_eq!(created["payinErrorCode"], code::SUCCESS);
    let url = created["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&server.base_url()));
    let ops = server.simulator().monnet_operations();
    // The Peru page's create response names Monnet's operation reference.
    assert_eq!(created["payinTrxOperation"], ops[0].payin_id.as_str());
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
    assert_eq!(get(&url, "").status, 200);
    assert_eq!(server.simulator().monnet_operations()[0].state_id, 2);
}

#[test]
fn a_merchant_without_coupon_shipping_or_document_can_create() {
    // Every field GATEWAYS.md lets be empty is "" in `raw::monnet_body`.
    let sim = simulator();
    let creds = sim.credentials(pasarela_simulator::IN_PROCESS_ORIGIN);
    let body = raw::monnet_body(&creds, &order_no("ME-"), "10.00");
    let empty: Vec<&String> = body
        .iter()
        .filter(|(_, v)| *v == "")
        .map(|(k, _)| k)
        .collect();
    for field in [
        "payinCustomerTypeDocument",
        "payinCustomerDocument",
        "payinCustomerAddress",
        "payinCustomerCity",
        "payinCustomerRegion",
        "payinCustomerCountry",
        "payinCustomerZipCode",
        "payinCustomerShippingName",
        "payinCustomerShippingPhone",
        "payinCustomerShippingAddress",
        "payinCustomerShippingCity",
        "payinCustomerShippingRegion",
        "payinCustomerShippingCountry",
        "payinCustomerShippingZipCode",
        "payinDiscountCoupon",
        "payinRegularCustomer",
        "payinCustomerID",
        "payinFilterBy",
    ] {
        assert!(
            empty.contains(&&field.to_owned()),
            "{field} is not empty in the body"
        );
    }
    let answer = json(&raw::handle(
        &sim,
        &raw::monnet(&creds, &body),
        OffsetDateTime::now_utc(),
    ));
    assert_eq!(answer["payinErrorCode"], code::SUCCESS, "{answer}");
    // With a document it is checked against its type.
    let mut with_doc = raw::monnet_body(&creds, &order_no("ME-"), "10.00");
    with_doc.insert("payinCustomerTypeDocument".into(), json!("DNI"));
    with_doc.insert("payinCustomerDocument".into(), json!("12345678"));
    let answer = json(&raw::handle(
        &sim,
        &raw::monnet(&creds, &with_doc),
        OffsetDateTime::now_utc(),
    ));
    assert_eq!(answer["payinErrorCode"], code::SUCCESS, "{answer}");
}

#[test]
fn a_merchant_not_enabled_is_answered_0011_after_its_id_and_hash_check_out() {
    let sim =
        pasarela_simulator::Simulator::new(fast_config().with_monnet_merchant_disabled()).unwrap();
    let creds = sim.credentials(pasarela_simulator::IN_PROCESS_ORIGIN);
    let now = OffsetDateTime::now_utc();
    let response = raw::handle(
        &sim,
        &raw::monnet(&creds, &raw::monnet_body(&creds, &order_no("MD-"), "10.00")),
        now,
    );
    assert_eq!(response.status, 403);
    assert_eq!(
        json(&response)["payinErrorCode"],
        code::MERCHANT_NOT_ENABLED
    );
    assert!(sim.monnet_operations().is_empty(), "nothing is kept");
    // The SDK reads it as Monnet's documented code, not a request error.
    let rejection = match pasarela_core::monnet::parse_create_response(response) {
        Err(pasarela_core::ResponseError::Rejected(r)) => r,
        other => panic!("{other:?}"),
    };
    let typed = pasarela_core::monnet::CreateCode::of(&rejection);
    assert_eq!(typed, pasarela_core::monnet::CreateCode::MerchantNotEnabled);
    assert!(!typed.is_request_error());
    // A wrong hash is still 0010 first: only a genuine merchant learns it
    // is not enabled.
    let mut forged = raw::monnet_body(&creds, &order_no("MD-"), "10.00");
    forged.insert("payinVerification".into(), json!("ab".repeat(64)));
    let answer = json(&raw::handle(&sim, &raw::monnet(&creds, &forged), now));
    assert_eq!(answer["payinErrorCode"], code::BAD_VERIFICATION);
}

#[test]
fn status_query_answers_from_state_and_lists_a_date_range() {
    let server = server();
    let creds = server.credentials();
    let op = order_no("MS-");
    send(raw::monnet(&creds, &raw::monnet_body(&creds, &op, "25.50")));
    let query = |q: Value| json(&send(raw::monnet_status(&creds, &q)));
    let found = query(json!({"payinMerchantOperationNumber": op}));
    assert_eq!(found["payinMerchantID"], creds.monnet.merchant_id.as_str());
    let ops = found["operations"].as_array().unwrap();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0]["payinStateID"], "1");
    assert_eq!(ops[0]["payinState"], "CREADO");
    assert_eq!(ops[0]["payinAmount"], "25.50");
    assert!(ops[0]["payinID"].is_string());
    assert_eq!(
        query(json!({"payinMerchantOperationNumber": "NOPE"}))["operations"],
        json!([])
    );
    let yesterday = (today() - Duration::days(1)).to_string();
    // Created today: outside a range that ends yesterday, inside one that
    // ends today. An empty operation number with a range lists operations.
    assert_eq!(
        query(
            json!({"payinMerchantOperationNumber": "", "payinStartDate": yesterday, "payinEndDate": yesterday})
        )["operations"],
        json!([])
    );
    let listed = query(json!({
        "payinMerchantOperationNumber": "",
        "payinStartDate": yesterday,
        "payinEndDate": today().to_string(),
    }));
    assert_eq!(
        listed["operations"][0]["payinMerchantOperationNumber"],
        op.as_str(),
        "{listed}"
    );
}

#[test]
fn status_query_rejects_wrong_authorization_merchant_and_dates() {
    let server = server();
    let creds = server.credentials();
    let auth = raw::sha256_hex(&format!(
        "{}{}",
        creds.monnet.merchant_id, creds.monnet.key_monnet
    ));
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
    let today = today().to_string();
    let cases = [
        (
            request(&url, None, by_op.clone()),
            code::BAD_AUTHORIZATION,
            401,
            "",
        ),
        (
            request(&url, Some(&"0".repeat(64)), by_op.clone()),
            code::BAD_AUTHORIZATION,
            401,
            "",
        ),
        (
            request(&wrong_mid, Some(&auth), by_op.clone()),
            code::UNKNOWN_MERCHANT,
            401,
            "",
        ),
        (
            request(&url, Some(&auth), json!({})),
            code::MISSING_FIELD,
            400,
            "payinMerchantOperationNumber",
        ),
        (
            request(
                &url,
                Some(&auth),
                json!({"payinMerchantOperationNumber": ""}),
            ),
            code::MISSING_FIELD,
            400,
            "payinMerchantOperationNumber",
        ),
        (
            request(&url, Some(&auth), json!({"payinStartDate": "2025-01-01"})),
            code::MISSING_FIELD,
            400,
            "payinEndDate",
        ),
        (
            request(
                &url,
                Some(&auth),
                json!({"payinStartDate": today, "payinEndDate": today}),
            ),
            code::INVALID_VALUE,
            400,
            "payinStartDate",
        ),
        (
            request(
                &url,
                Some(&auth),
                json!({"payinStartDate": "2025/01/01", "payinEndDate": "2025-01-02"}),
            ),
            code::INVALID_VALUE,
            400,
            "payinStartDate",
        ),
        (
            request(
                &url,
                Some(&auth),
                json!({"payinStartDate": "2025-01-05", "payinEndDate": "2025-01-02"}),
            ),
            code::INVALID_VALUE,
            400,
            "payinEndDate",
        ),
        (
            request(&url, Some(&auth), json!([1])),
            code::MALFORMED_BODY,
            400,
            "",
        ),
    ];
    for (response, expected, status, field) in cases {
        let answer = json(&response);
        assert_eq!(
            (monnet_code(&response).as_str(), response.status),
            (expected, status),
            "{answer}"
        );
        assert!(
            answer["payinErrorMessage"]
                .as_str()
                .unwrap()
                .contains(field),
            "{answer}"
        );
    }
    // The end date may be today (only the start date may not).
    let ok = request(
        &url,
        Some(&auth),
        json!({"payinStartDate": "2025-01-01", "payinEndDate": today}),
    );
    assert_eq!(ok.status, 200, "{:?}", json(&ok));
    let ok = request(&url, Some(&auth.to_uppercase()), by_op);
    assert_eq!(ok.status, 200, "hex case does not matter");
}

type Edit = Box<dyn Fn(&mut Map<String, Value>)>;

fn set(k: &'static str, v: &str) -> Edit {
    let v = v.to_owned();
    Box::new(move |b| {
        b.insert(k.into(), json!(v));
    })
}

fn remove(k: &'static str) -> Edit {
    Box::new(move |b| {
        b.remove(k);
    })
}

#[test]
fn every_create_rule_answers_its_code_and_names_its_field() {
    let sim = simulator();
    let creds = sim.credentials(pasarela_simulator::IN_PROCESS_ORIGIN);
    let now = OffsetDateTime::now_utc();
    // (what, edit, recompute the hash, expected code, field named)
    let cases: Vec<(Edit, bool, &str, &str)> = vec![
        (
            remove("payinFilterBy"),
            false,
            code::MISSING_FIELD,
            "payinFilterBy",
        ),
        (remove("payinCvv"), false, code::MISSING_FIELD, "payinCvv"),
        (remove("typePost"), false, code::MISSING_FIELD, "typePost"),
        (
            Box::new(|b| {
                b.insert("payinFilterBy".into(), Value::Null);
            }),
            false,
            code::MISSING_FIELD,
            "payinFilterBy",
        ),
        // Documented 0001–0007: a required transaction field empty.
        (
            set("payinMerchantID", ""),
            true,
            code::EMPTY_MERCHANT_ID,
            "payinMerchantID",
        ),
        (
            set("payinAmount", ""),
            true,
            code::EMPTY_AMOUNT,
            "payinAmount",
        ),
        (
            set("payinCurrency", ""),
            true,
            code::EMPTY_CURRENCY,
            "payinCurrency",
        ),
        (
            set("payinMerchantOperationNumber", ""),
            true,
            code::EMPTY_OPERATION_NUMBER,
            "payinMerchantOperationNumber",
        ),
        (
            set("payinVerification", ""),
            false,
            code::EMPTY_VERIFICATION,
            "payinVerification",
        ),
        (
            set("payinTransactionErrorURL", ""),
            true,
            code::EMPTY_ERROR_URL,
            "payinTransactionErrorURL",
        ),
        // No 0001–0007 code for it: an empty processor code is invalid.
        (
            set("payinMethod", ""),
            true,
            code::INVALID_METHOD,
            "payinMethod",
        ),
        (
            set("payinTransactionOKURL", ""),
            true,
            code::EMPTY_OK_URL,
            "payinTransactionOKURL",
        ),
        // The other never-empty fields.
        (
            set("payinCustomerName", ""),
            false,
            code::EMPTY_FIELD,
            "payinCustomerName",
        ),
        (
            set("payinCustomerLastName", " "),
            false,
            code::EMPTY_FIELD,
            "payinCustomerLastName",
        ),
        (
            set("payinCustomerEmail", ""),
            false,
            code::EMPTY_FIELD,
            "payinCustomerEmail",
        ),
        (
            set("payinCustomerPhone", ""),
            false,
            code::EMPTY_FIELD,
            "payinCustomerPhone",
        ),
        (
            set("payinProductID", ""),
            false,
            code::EMPTY_FIELD,
            "payinProductID",
        ),
        (
            set("payinProductDescription", ""),
            false,
            code::EMPTY_FIELD,
            "payinProductDescription",
        ),
        (
            set("payinProductAmount", ""),
            false,
            code::EMPTY_FIELD,
            "payinProductAmount",
        ),
        (
            set("payinProductSku", ""),
            false,
            code::EMPTY_FIELD,
            "payinProductSku",
        ),
        (
            set("payinProductQuantity", ""),
            false,
            code::EMPTY_FIELD,
            "payinProductQuantity",
        ),
        (
            set("payinDateTime", ""),
            false,
            code::EMPTY_FIELD,
            "payinDateTime",
        ),
        (set("payinPan", ""), false, code::EMPTY_FIELD, "payinPan"),
        (
            set("payinCardExpiration", ""),
            false,
            code::EMPTY_FIELD,
            "payinCardExpiration",
        ),
        // Documented value codes.
        (
            set("payinMerchantID", "4002"),
            true,
            code::UNKNOWN_MERCHANT,
            "payinMerchantID",
        ),
        (
            set("payinVerification", "00"),
            false,
            code::BAD_VERIFICATION,
            "payinVerification",
        ),
        (
            set("payinAmount", "151.00"),
            false,
            code::BAD_VERIFICATION,
            "payinVerification",
        ),
        (
            set("payinAmount", "150.0"),
            true,
            code::INVALID_AMOUNT,
            "payinAmount",
        ),
        (
            set("payinAmount", "abc"),
            true,
            code::INVALID_AMOUNT,
            "payinAmount",
        ),
        (
            set("payinAmount", "0.00"),
            true,
            code::INVALID_AMOUNT,
            "payinAmount",
        ),
        (
            set("payinCurrency", "soles"),
            true,
            code::INVALID_CURRENCY,
            "payinCurrency",
        ),
        (
            set("payinCurrency", "EUR"),
            true,
            code::CURRENCY_NOT_ENABLED,
            "payinCurrency",
        ),
        (
            set("payinMethod", "CASH"),
            true,
            code::INVALID_METHOD,
            "payinMethod",
        ),
        (
            set("payinTransactionOKURL", "http://shop.example/ok"),
            false,
            code::INVALID_OK_URL,
            "payinTransactionOKURL",
        ),
        (
            set("payinTransactionErrorURL", "shop.example/ko"),
            false,
            code::INVALID_ERROR_URL,
            "payinTransactionErrorURL",
        ),
        (
            set("payinCustomerTypeDocument", "LE"),
            false,
            code::INVALID_DOCUMENT_TYPE,
            "payinCustomerTypeDocument",
        ),
        (
            set("payinCustomerTypeDocument", "DNI"),
            false,
            code::EMPTY_DOCUMENT,
            "payinCustomerDocument",
        ),
        (
            set("payinCustomerDocument", "12345678"),
            false,
            code::EMPTY_DOCUMENT_TYPE,
            "payinCustomerTypeDocument",
        ),
        // Simulator-own invalid values.
        (
            set("payinCustomerPhone", "1234567"),
            false,
            code::INVALID_VALUE,
            "payinCustomerPhone",
        ),
        (
            set("payinCustomerPhone", "98765432a"),
            false,
            code::INVALID_VALUE,
            "payinCustomerPhone",
        ),
        (
            set("payinCustomerName", "abcdefghijabcdefghijabcdefghijX"),
            false,
            code::INVALID_VALUE,
            "payinCustomerName",
        ),
        (
            set("payinCustomerEmail", &format!("{}@shop.pe", "a".repeat(43))),
            false,
            code::INVALID_VALUE,
            "payinCustomerEmail",
        ),
        (
            set("payinCustomerEmail", "nobody"),
            false,
            code::INVALID_VALUE,
            "payinCustomerEmail",
        ),
        (
            set("payinLanguage", "ESP"),
            false,
            code::INVALID_VALUE,
            "payinLanguage",
        ),
        (
            set("payinPan", "1234"),
            false,
            code::INVALID_VALUE,
            "payinPan",
        ),
        (
            set("payinCvv", "12"),
            false,
            code::INVALID_VALUE,
            "payinCvv",
        ),
        (
            set("payinCardExpiration", "2030-13"),
            false,
            code::INVALID_VALUE,
            "payinCardExpiration",
        ),
        (
            set("payinExpirationTime", "thirty"),
            false,
            code::INVALID_VALUE,
            "payinExpirationTime",
        ),
        (
            set("typePost", "xml"),
            false,
            code::INVALID_VALUE,
            "typePost",
        ),
        (
            set("URLMonnet", "https://evil.example/x"),
            false,
            code::INVALID_VALUE,
            "URLMonnet",
        ),
        (
            Box::new(|b| {
                b.insert("payinMerchantOperationNumber".into(), json!("x".repeat(51)));
            }),
            true,
            code::INVALID_VALUE,
            "payinMerchantOperationNumber",
        ),
    ];
    for (edit, rehash, expected, field) in cases {
        let mut b = raw::monnet_body(&creds, &order_no("MR-"), "150.00");
        edit(&mut b);
        if rehash {
            raw::rehash(&creds, &mut b);
        }
        let response = raw::handle(&sim, &raw::monnet(&creds, &b), now);
        let answer = json(&response);
        assert_eq!(answer["payinErrorCode"], expected, "{field}: {answer}");
        assert!(
            answer["payinErrorMessage"]
                .as_str()
                .unwrap()
                .contains(field),
            "{field}: {answer}"
        );
        assert_ne!(response.status, 200, "{field}");
    }
    for raw_body in [&b"not json"[..], b"[]", b"", br#"{"payinAmount":true}"#] {
        let response = raw::handle(&sim, &raw::monnet_bytes(&creds, raw_body.to_vec()), now);
        assert_eq!(monnet_code(&response), code::MALFORMED_BODY);
    }
    assert!(sim.monnet_operations().is_empty());
}

#[test]
fn limits_are_inclusive_and_numbers_may_be_json_numbers() {
    let sim = simulator();
    let creds = sim.credentials(pasarela_simulator::IN_PROCESS_ORIGIN);
    let now = OffsetDateTime::now_utc();
    let edits: Vec<(&str, Edit)> = vec![
        (
            "email of 50",
            set("payinCustomerEmail", &format!("{}@shop.pe", "a".repeat(42))),
        ),
        ("name of 30", set("payinCustomerName", &"a".repeat(30))),
        ("phone of 8", set("payinCustomerPhone", "98765432")),
        (
            "RUC",
            Box::new(|b| {
                b.insert("payinCustomerTypeDocument".into(), json!("RUC"));
                b.insert("payinCustomerDocument".into(), json!("20123456789"));
            }),
        ),
        (
            "CE",
            Box::new(|b| {
                b.insert("payinCustomerTypeDocument".into(), json!("CE"));
                b.insert("payinCustomerDocument".into(), json!("X0012345"));
            }),
        ),
        ("USD", set("payinCurrency", "USD")),
        ("TC", set("payinMethod", "TC")),
        ("TD", set("payinMethod", "TD")),
        (
            "expiration as a number",
            Box::new(|b| {
                b.insert("payinExpirationTime".into(), json!(30));
            }),
        ),
        (
            "merchant id as a number",
            Box::new(|b| {
                b.insert("payinMerchantID".into(), json!(4001));
            }),
        ),
        ("region default", set("payinCustomerRegion", "Lima")),
    ];
    for (what, edit) in edits {
        let mut b = raw::monnet_body(&creds, &order_no("ML-"), "150.00");
        edit(&mut b);
        raw::rehash(&creds, &mut b);
        let answer = json(&raw::handle(&sim, &raw::monnet(&creds, &b), now));
        assert_eq!(answer["payinErrorCode"], code::SUCCESS, "{what}: {answer}");
    }
}

#[test]
fn duplicate_operation_numbers_and_unknown_push_ids_are_rejected() {
    let server = server();
    let creds = server.credentials();
    let op = order_no("MD-");
    let body = raw::monnet_body(&creds, &op, "10.00");
    assert_eq!(
        monnet_code(&send(raw::monnet(&creds, &body))),
        code::SUCCESS
    );
    let again = send(raw::monnet(&creds, &body));
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
        serde_json::to_vec(&raw::monnet_body(&creds, &order_no("MD-"), "10.00")).unwrap(),
    );
    let response = send(elsewhere);
    assert_eq!(
        (monnet_code(&response).as_str(), response.status),
        (code::NO_SUCH_ENDPOINT, 404)
    );
    let get_proxy = get(&creds.monnet.proxy_url, "");
    assert_eq!(get_proxy.status, 405);
}
