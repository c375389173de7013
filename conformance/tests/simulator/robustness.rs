//! The handler never panics, whatever comes in, and never loses an accepted
//! order (property tests against `Simulator::handle`).

use pasarela_core::smilepayz::PAY_IN_PATH;
use pasarela_simulator::SimResponseExt as _;
use pasarela_simulator::{IN_PROCESS_ORIGIN, Outcome, SimRequest, Simulator};
use proptest::prelude::*;
use time::OffsetDateTime;

use super::support::*;

const PATHS: &[&str] = &[
    "/v2.0/transaction/pay-in",
    "/v2.0/inquiry-status",
    "/v2.0/inquiry-balance",
    "/v1/push/7efeb612e5dda6f1",
    "/v1/push/",
    "/ms-experience-payin/merchant/4001/operations",
    "/ms-experience-payin/merchant//operations",
    "/_simulator/smilepayz/complete",
    "/_simulator/monnet/complete",
    "/_simulator/orders",
    "/_simulator/credentials",
    "/cashier/x",
    "/monnet/pay/1",
    "/",
];

const HEADER_NAMES: &[&str] = &[
    "Content-Type",
    "X-TIMESTAMP",
    "X-SIGNATURE",
    "X-PARTNER-ID",
    "authorization",
    "x-timestamp",
];

fn any_request() -> impl Strategy<Value = SimRequest> {
    (
        prop_oneof![Just("POST"), Just("GET"), Just("PUT"), Just("")],
        prop_oneof![proptest::sample::select(PATHS).prop_map(str::to_owned), ".{0,60}"],
        proptest::collection::vec(
            (
                prop_oneof![proptest::sample::select(HEADER_NAMES).prop_map(str::to_owned), ".{0,12}"],
                prop_oneof![
                    Just("application/json".to_owned()),
                    Just("20001".to_owned()),
                    Just("2020-12-17T10:55:00-05:00".to_owned()),
                    "[A-Za-z0-9+/=]{0,400}",
                    ".{0,40}",
                ],
            ),
            0..6,
        ),
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..400),
            r#"\{("(orderNo|tradeNo|tradeType|money|amount|currency|merchant|merchantId|payinStateID|payinAmount|notificationUrl|payinMerchantOperationNumber|status|accountNo|balanceTypes)":("[A-Z0-9]{0,8}"|-?[0-9]{1,12}|null|\{\}|\[\]|true|1e999|"http://127.0.0.1:9/"),?){0,8}\}"#
                .prop_map(String::into_bytes),
        ],
    )
        .prop_map(|(method, path, headers, body)| SimRequest {
            method: method.to_owned(),
            path,
            headers,
            body,
            origin: IN_PROCESS_ORIGIN.to_owned(),
        })
}

/// A request whose signature verifies, so the body reaches parsing and
/// validation.
fn signed_request(body: Vec<u8>, path: &'static str) -> SimRequest {
    let creds = simulator().credentials(IN_PROCESS_ORIGIN);
    let prepared = signed(&creds, path, &body, OffsetDateTime::now_utc());
    SimRequest {
        method: "POST".into(),
        path: path.into(),
        headers: prepared.headers().to_vec(),
        body,
        origin: IN_PROCESS_ORIGIN.into(),
    }
}

fn run(sim: &Simulator, request: &SimRequest) {
    let before = sim.smilepayz_orders();
    let monnet_before = sim.monnet_operations();
    // Deliveries are not carried out here: only the handler is under test.
    let outcome = sim.handle(request, OffsetDateTime::now_utc());
    if let Outcome::Deliver(job) = &outcome {
        let _ = sim.finish_delivery(
            job,
            &pasarela_simulator::DeliveryReport::not_attempted("test"),
        );
    }
    let after = sim.smilepayz_orders();
    for order in &before {
        assert!(
            after
                .iter()
                .any(|o| o.order_no == order.order_no && o.trade_no == order.trade_no)
        );
    }
    assert!(sim.monnet_operations().len() >= monnet_before.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_requests_never_panic(request in any_request()) {
        let sim = shared();
        run(sim, &request);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn signed_arbitrary_bodies_never_panic(
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            r#"\{"merchant":\{"merchantId":"(20001|)"\},"money":\{"amount":(-1|0|100|40001|40003|40005|40006|99999999999999999999|1.5|"1"),"currency":"(PEN|USD)"\},"orderNo":"[A-Za-z0-9]{0,34}","paymentMethod":"[A-Z_]{0,12}","purpose":".{0,70}"(,"expiryPeriod":-?[0-9]{1,6})?(,"callbackUrl":".{0,30}")?(,"payer":\{"email":".{0,10}"\})?\}"#
                .prop_map(String::into_bytes),
        ],
        path in proptest::sample::select(&["/v2.0/transaction/pay-in", "/v2.0/inquiry-status", "/v2.0/inquiry-balance"][..]),
    ) {
        let sim = shared();
        run(sim, &signed_request(body, path));
    }
}

/// One simulator for all cases, so state accumulates across them.
fn shared() -> &'static Simulator {
    static SIM: std::sync::OnceLock<Simulator> = std::sync::OnceLock::new();
    SIM.get_or_init(simulator)
}

#[test]
fn a_valid_signed_pay_in_is_accepted_by_the_bare_handler() {
    let sim = simulator();
    let body = br#"{"merchant":{"merchantId":"20001"},"money":{"amount":100,"currency":"PEN"},"orderNo":"ROBUST1","paymentMethod":"CASHIER_PE","purpose":"p"}"#;
    let outcome = sim.handle(
        &signed_request(body.to_vec(), PAY_IN_PATH),
        OffsetDateTime::now_utc(),
    );
    assert_eq!(outcome.reply().unwrap().json_body()["code"], "00");
}
