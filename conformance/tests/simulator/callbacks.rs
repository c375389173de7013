//! Settlement through the control API and callback/notification delivery
//! with retries, over HTTP to merchant endpoints on loopback.

use pasarela_core::MonnetKey;
use pasarela_core::crypto::{Backend, PublicKey};
use pasarela_core::monnet::{self, PayinState};
use pasarela_core::smilepayz::{DEFAULT_CALLBACK_TOLERANCE, TransactionStatus, verify_callback};
use serde_json::json;
use time::OffsetDateTime;

use super::support::*;

#[test]
fn smilepayz_callback_is_retried_until_acknowledged() {
    let server = server();
    let creds = server.credentials();
    let merchant = MerchantEndpoint::start(&[(500, "oops"), (200, "SUCCESS")]);
    let order = order_no("CB");
    let created = pasarela_core::smilepayz::parse_pay_in_response(send(pay_in(
        &creds,
        &order,
        20000,
        Some(&merchant.url),
    )))
    .unwrap();
    let answer = post_json(
        &server.base_url(),
        "/_simulator/smilepayz/complete",
        &json!({"orderNo": order, "status": "SUCCESS"}),
    );
    assert_eq!(answer.status, 200);
    assert_eq!(json(&answer), json!({"delivered": true, "attempts": 2}));

    let seen = merchant.seen();
    assert_eq!(seen.len(), 2, "the failed attempt and the retry");
    assert_eq!(
        seen[0].body, seen[1].body,
        "retries resend the same callback"
    );
    let platform = PublicKey::load(&creds.smilepayz.platform_public_key).unwrap();
    let verifier = Backend::default().verifier(&platform).unwrap();
    for delivery in &seen {
        let callback = verify_callback(
            delivery.header("X-TIMESTAMP"),
            delivery.header("X-SIGNATURE"),
            &delivery.body,
            &*verifier,
            OffsetDateTime::now_utc(),
            DEFAULT_CALLBACK_TOLERANCE,
        )
        .unwrap();
        assert_eq!(callback.claims().order_no, order);
        assert_eq!(
            Some(callback.authenticated().trade_no().to_owned()),
            created.trade_no
        );
        assert_eq!(callback.claims().status, TransactionStatus::Success);
        assert_eq!(callback.claims().money.minor_units(), 20000);
    }
    let orders = json(&get(&server.base_url(), "/_simulator/orders"));
    let record = &orders["smilepayz"][0]["deliveries"][0];
    assert_eq!(record["delivered"], true);
    assert_eq!(record["attempts"], 2);
    assert_eq!(orders["smilepayz"][0]["status"], "SUCCESS");
}

#[test]
fn smilepayz_delivery_gives_up_after_the_bounded_attempts() {
    let server = server();
    let creds = server.credentials();
    let merchant = MerchantEndpoint::start(&[(200, "OK, not the word")]);
    let order = order_no("CBX");
    send(pay_in(&creds, &order, 1000, Some(&merchant.url)));
    let answer = post_json(
        &server.base_url(),
        "/_simulator/smilepayz/complete",
        &json!({"orderNo": order, "status": "FAILED"}),
    );
    assert_eq!(json(&answer), json!({"delivered": false, "attempts": 3}));
    assert_eq!(merchant.seen().len(), 3);
    let orders = server.simulator().smilepayz_orders();
    assert_eq!(orders[0].status, TransactionStatus::Failed);
    assert!(orders[0].deliveries[0].report.last_error.is_some());

    // Nobody listening at all: same bounded answer.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/cb", l.local_addr().unwrap())
    };
    let order = order_no("CBY");
    send(pay_in(&creds, &order, 1000, Some(&closed)));
    let answer = post_json(
        &server.base_url(),
        "/_simulator/smilepayz/complete",
        &json!({"orderNo": order}),
    );
    assert_eq!(json(&answer), json!({"delivered": false, "attempts": 3}));
}

#[test]
fn control_api_rejects_bad_calls() {
    let server = server();
    let base = server.base_url();
    let cases = [
        (
            json!({"orderNo": "NOSUCH1"}),
            "/_simulator/smilepayz/complete",
            404,
        ),
        (
            json!({"status": "SUCCESS"}),
            "/_simulator/smilepayz/complete",
            400,
        ),
        (
            json!({"orderNo": "X", "status": "PAID"}),
            "/_simulator/smilepayz/complete",
            400,
        ),
        (
            json!({"payinMerchantOperationNumber": "NOPE", "payinStateID": 5, "notificationUrl": "http://127.0.0.1:9/"}),
            "/_simulator/monnet/complete",
            404,
        ),
        (
            json!({"payinStateID": 5}),
            "/_simulator/monnet/complete",
            400,
        ),
        (
            json!({"payinMerchantOperationNumber": "X", "payinStateID": -1, "notificationUrl": "u"}),
            "/_simulator/monnet/complete",
            400,
        ),
        (json!({}), "/_simulator/nothing", 404),
    ];
    for (body, path, status) in cases {
        let response = post_json(&base, path, &body);
        assert_eq!(response.status, status, "{path} {body}");
        assert!(json(&response)["error"].is_string());
    }
    assert_eq!(get(&base, "/_simulator/smilepayz/complete").status, 405);
}

#[test]
fn monnet_notification_is_hashed_and_retried() {
    let server = server();
    let creds = server.credentials();
    let merchant = MerchantEndpoint::start(&[(503, ""), (200, "")]);
    let op = order_no("MNN-");
    send(monnet_create(&creds, &op, 15000));
    let answer = post_json(
        &server.base_url(),
        "/_simulator/monnet/complete",
        &json!({"payinMerchantOperationNumber": op, "payinStateID": 5, "notificationUrl": merchant.url}),
    );
    assert_eq!(json(&answer), json!({"delivered": true, "attempts": 2}));
    let seen = merchant.seen();
    assert_eq!(seen.len(), 2);
    let key = MonnetKey::new(creds.monnet.key_monnet.as_str());
    let notification =
        monnet::verify_notification(&seen[1].body, &key, &creds.monnet.merchant_id).unwrap();
    assert_eq!(notification.claims().state, PayinState::Authorized);
    assert_eq!(notification.authenticated().operation_number(), op);
    assert_eq!(notification.authenticated().amount_text(), "150.00");
    assert!(
        monnet::verify_notification(
            &seen[1].body,
            &MonnetKey::new("other"),
            &creds.monnet.merchant_id
        )
        .is_err()
    );

    let config = monnet_config(&creds);
    let today = OffsetDateTime::now_utc()
        .to_offset(pasarela_core::smilepayz::PERU_OFFSET)
        .date();
    let status = monnet::parse_status_response(send(
        monnet::prepare_status_query(
            &config,
            &monnet::StatusQuery::by_operation_number(&op),
            today,
        )
        .unwrap(),
    ))
    .unwrap();
    assert_eq!(status.operations[0].state, PayinState::Authorized);

    // A state id the SDK does not know is passed on as is.
    let merchant = MerchantEndpoint::start(&[(200, "")]);
    let answer = post_json(
        &server.base_url(),
        "/_simulator/monnet/complete",
        &json!({"payinMerchantOperationNumber": op, "payinStateID": "42", "notificationUrl": merchant.url}),
    );
    assert_eq!(json(&answer), json!({"delivered": true, "attempts": 1}));
    let notification =
        monnet::verify_notification(&merchant.seen()[0].body, &key, &creds.monnet.merchant_id)
            .unwrap();
    assert_eq!(notification.claims().state.id(), 42);
}
