//! The error triggers, over HTTP (see `TRIGGER_TABLE`).

use std::time::Duration;

use pasarela_core::monnet::{self, PayinState, StatusQuery};
use pasarela_core::smilepayz::{self, InquiryStatusRequest, TransactionStatus};
use pasarela_core::transport::{Delivery, TransportErrorKind, TransportFailure};
use pasarela_simulator::codes;
use time::OffsetDateTime;

use super::support::*;

fn smilepayz_status(
    creds: &pasarela_simulator::Credentials,
    order: &str,
) -> smilepayz::InquiryStatusResponse {
    let prepared = smilepayz::prepare_inquiry_status(
        &smilepayz_config(creds),
        &InquiryStatusRequest::pay_in_by_order_no(order).unwrap(),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    smilepayz::parse_inquiry_status_response(send(prepared)).unwrap()
}

fn monnet_state(creds: &pasarela_simulator::Credentials, op: &str) -> PayinState {
    let today = OffsetDateTime::now_utc()
        .to_offset(smilepayz::PERU_OFFSET)
        .date();
    let prepared = monnet::prepare_status_query(
        &monnet_config(creds),
        &StatusQuery::by_operation_number(op),
        today,
    )
    .unwrap();
    monnet::parse_status_response(send(prepared))
        .unwrap()
        .operations[0]
        .state
        .clone()
}

#[test]
fn decline_and_expiry() {
    let server = server();
    let creds = server.credentials();
    let declined = order_no("DEC");
    let created =
        smilepayz::parse_pay_in_response(send(pay_in(&creds, &declined, 40001, None))).unwrap();
    assert_eq!(created.status, Some(TransactionStatus::Failed));
    let status = smilepayz_status(&creds, &declined);
    assert_eq!(
        (status.status, status.remark.as_deref()),
        (Some(TransactionStatus::Failed), Some("DECLINED"))
    );

    let expired = order_no("EXP");
    let created =
        smilepayz::parse_pay_in_response(send(pay_in(&creds, &expired, 40002, None))).unwrap();
    assert_eq!(created.status, Some(TransactionStatus::Processing));
    let status = smilepayz_status(&creds, &expired);
    assert_eq!(
        (status.status, status.remark.as_deref()),
        (Some(TransactionStatus::Expired), None)
    );

    let op = order_no("MDEC-");
    assert_eq!(
        monnet_code(&send(monnet_create(&creds, &op, 40001))),
        "0000"
    );
    assert_eq!(monnet_state(&creds, &op), PayinState::Denied);
    let op = order_no("MEXP-");
    assert_eq!(
        monnet_code(&send(monnet_create(&creds, &op, 40002))),
        "0000"
    );
    assert_eq!(monnet_state(&creds, &op), PayinState::Expired);
}

#[test]
fn gateway_error_and_http_500_keep_nothing() {
    let server = server();
    let creds = server.credentials();
    let busy = send(pay_in(&creds, &order_no("BSY"), 40003, None));
    assert_eq!(code(&busy), codes::smilepayz::GATEWAY_ERROR);
    assert!(matches!(
        smilepayz::parse_pay_in_response(busy),
        Err(pasarela_core::ResponseError::Rejected(_))
    ));
    let broken = send(pay_in(&creds, &order_no("ISE"), 40004, None));
    assert_eq!(broken.status, 500);
    assert!(json(&broken).is_null());
    assert_eq!(
        monnet_code(&send(monnet_create(&creds, &order_no("MB-"), 40003))),
        codes::monnet::GATEWAY_ERROR
    );
    assert_eq!(
        send(monnet_create(&creds, &order_no("MI-"), 40004)).status,
        500
    );
    assert!(server.simulator().smilepayz_orders().is_empty());
    assert!(server.simulator().monnet_operations().is_empty());
}

#[test]
fn slow_answers_and_dropped_connections_leave_the_order_in_place() {
    let server = server();
    let creds = server.credentials();
    let slow = order_no("SLW");
    let err = try_send(
        pay_in(&creds, &slow, 40005, None),
        Duration::from_millis(200),
    )
    .unwrap_err();
    assert_eq!(err.delivery(), Delivery::MaybeSent, "{err}");
    let dropped = order_no("DRP");
    let err = try_send(
        pay_in(&creds, &dropped, 40006, None),
        Duration::from_secs(5),
    )
    .unwrap_err();
    assert_eq!(err.delivery(), Delivery::MaybeSent, "{err}");
    assert_eq!(
        err.kind(),
        TransportErrorKind::ConnectionBroken,
        "closed without an answer: {err}"
    );
    // The gateway acted on both: reconciling finds them, retrying is a duplicate.
    assert_eq!(
        smilepayz_status(&creds, &slow).status,
        Some(TransactionStatus::Processing)
    );
    assert_eq!(
        smilepayz_status(&creds, &dropped).status,
        Some(TransactionStatus::Processing)
    );
    assert_eq!(
        code(&send(pay_in(&creds, &dropped, 40006, None))),
        codes::smilepayz::DUPLICATE_ORDER
    );

    let op = order_no("MDR-");
    let err = try_send(monnet_create(&creds, &op, 40006), Duration::from_secs(5)).unwrap_err();
    assert_eq!(err.delivery(), Delivery::MaybeSent);
    assert_eq!(monnet_state(&creds, &op), PayinState::Created);
    let op = order_no("MSL-");
    let err = try_send(
        monnet_create(&creds, &op, 40005),
        Duration::from_millis(200),
    )
    .unwrap_err();
    assert_eq!(err.delivery(), Delivery::MaybeSent);
    assert_eq!(monnet_state(&creds, &op), PayinState::Created);

    // A patient client gets the slow answer.
    let patient = try_send(
        pay_in(&creds, &order_no("PAT"), 40005, None),
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(code(&patient), "00");
}
