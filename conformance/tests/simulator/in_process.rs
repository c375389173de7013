//! The in-process simulator: both transport traits, triggers as transport
//! errors, callbacks through a closure, an injected clock.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use pasarela_core::crypto::{Backend, PublicKey};
use pasarela_core::http::Method;
use pasarela_core::smilepayz::{
    self, DEFAULT_CALLBACK_TOLERANCE, PAY_IN_PATH, TransactionStatus, verify_callback,
};
use pasarela_core::transport::{
    AsyncTransport, BlockingTransport, Delivery, TransportError, TransportErrorKind,
    TransportFailure,
};
use pasarela_core::{PreparedRequest, RawResponse};
use pasarela_simulator::{InProcess, ManualClock, Simulator, codes};
use serde_json::{Value, json};
use time::macros::datetime;

use super::support::*;

/// Runs a future to completion on this thread.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

fn control(sim: &InProcess, path: &str, body: Value) -> Value {
    let request = PreparedRequest::new(
        Method::POST,
        format!("{}{path}", sim.credentials().smilepayz.base_url)
            .parse()
            .unwrap(),
        vec![("Content-Type".into(), "application/json".into())],
        serde_json::to_vec(&body).unwrap(),
    );
    json(&BlockingTransport::send(sim, request).unwrap())
}

type Log = Arc<Mutex<Vec<PreparedRequest>>>;

/// A merchant closure that fails its first delivery and acknowledges the rest.
fn flaky_merchant(
    log: Log,
) -> impl Fn(PreparedRequest) -> Result<RawResponse, TransportError> + Send + Sync {
    move |request: PreparedRequest| {
        let mut log = log.lock().unwrap();
        log.push(request);
        if log.len() == 1 {
            Err(TransportError::new(
                TransportErrorKind::Connect,
                Delivery::NotSent,
                "merchant down",
            ))
        } else {
            Ok(RawResponse::new(200, "SUCCESS"))
        }
    }
}

#[test]
fn blocking_flow_with_callback_through_a_closure() {
    let log: Log = Arc::default();
    let sim = InProcess::new(simulator()).with_callback_transport(flaky_merchant(log.clone()));
    let creds = sim.credentials();
    assert!(
        creds
            .smilepayz
            .base_url
            .starts_with("http://simulator.invalid")
    );
    let order = order_no("IPB");
    let response = BlockingTransport::send(
        &sim,
        pay_in(&creds, &order, 20000, Some("https://shop.example/cb")),
    )
    .unwrap();
    let created = smilepayz::parse_pay_in_response(response).unwrap();
    let answer = control(
        &sim,
        "/_simulator/smilepayz/complete",
        json!({"orderNo": order}),
    );
    assert_eq!(answer, json!({"delivered": true, "attempts": 2}));
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].url().as_str(), "https://shop.example/cb");
    let verifier = Backend::default()
        .verifier(&PublicKey::load(&creds.smilepayz.platform_public_key).unwrap())
        .unwrap();
    let callback = verify_callback(
        log[1].header("X-TIMESTAMP"),
        log[1].header("X-SIGNATURE"),
        log[1].body(),
        &*verifier,
        time::OffsetDateTime::now_utc(),
        DEFAULT_CALLBACK_TOLERANCE,
    )
    .unwrap();
    assert_eq!(
        Some(callback.authenticated().trade_no().to_owned()),
        created.trade_no
    );
    assert_eq!(callback.claims().status, TransactionStatus::Success);
}

#[test]
fn async_flow_with_retrying_callback() {
    let log: Log = Arc::default();
    let sim = InProcess::new(simulator()).with_callback_transport(flaky_merchant(log.clone()));
    let creds = sim.credentials();
    let order = order_no("IPA");
    let created = block_on(AsyncTransport::send(
        &sim,
        pay_in(&creds, &order, 1500, Some("http://m.example/cb")),
    ))
    .unwrap();
    assert_eq!(code(&created), "00");
    let request = PreparedRequest::new(
        Method::POST,
        "http://anything.invalid/_simulator/smilepayz/complete"
            .parse()
            .unwrap(),
        vec![("Content-Type".into(), "application/json".into())],
        serde_json::to_vec(&json!({"orderNo": order, "status": "CANCELLED"})).unwrap(),
    );
    let answer = block_on(AsyncTransport::send(&sim, request)).unwrap();
    assert_eq!(json(&answer), json!({"delivered": true, "attempts": 2}));
    assert_eq!(
        sim.simulator().smilepayz_orders()[0].status,
        TransactionStatus::Cancelled
    );
    let op = order_no("IPM-");
    let created = block_on(AsyncTransport::send(&sim, monnet_create(&creds, &op, 999))).unwrap();
    assert_eq!(monnet_code(&created), "0000");
}

#[test]
fn without_a_callback_transport_nothing_is_attempted() {
    let sim = InProcess::new(simulator());
    let creds = sim.credentials();
    let order = order_no("IPN");
    BlockingTransport::send(
        &sim,
        pay_in(&creds, &order, 1000, Some("http://m.example/cb")),
    )
    .unwrap();
    let answer = control(
        &sim,
        "/_simulator/smilepayz/complete",
        json!({"orderNo": order}),
    );
    assert_eq!(answer, json!({"delivered": false, "attempts": 0}));
}

#[test]
fn slow_and_dropped_triggers_are_maybe_sent_transport_errors() {
    let sim = InProcess::new(simulator());
    let creds = sim.credentials();
    for (amount, kind) in [
        (40005, TransportErrorKind::Timeout),
        (40006, TransportErrorKind::ConnectionBroken),
    ] {
        let order = order_no("IPT");
        let err = BlockingTransport::send(&sim, pay_in(&creds, &order, amount, None)).unwrap_err();
        assert_eq!((err.kind(), err.delivery()), (kind, Delivery::MaybeSent));
        let err = block_on(AsyncTransport::send(
            &sim,
            pay_in(&creds, &order_no("IPT"), amount, None),
        ))
        .unwrap_err();
        assert_eq!((err.kind(), err.delivery()), (kind, Delivery::MaybeSent));
        let err = BlockingTransport::send(&sim, monnet_create(&creds, &order_no("IPM-"), amount))
            .unwrap_err();
        assert_eq!(err.kind(), kind);
    }
    assert_eq!(
        sim.simulator().smilepayz_orders().len(),
        4,
        "the gateway acted on them"
    );
    assert_eq!(sim.simulator().monnet_operations().len(), 2);
}

#[test]
fn injected_clock_decides_the_timestamp_window_and_expiry() {
    let clock = ManualClock::new(datetime!(2020-12-17 15:55:00 UTC));
    let sim = InProcess::new(Simulator::new(fast_config().with_clock(clock.clone())).unwrap());
    let creds = sim.credentials();
    let body = br#"{"merchant":{"merchantId":"20011"},"money":{"amount":20000,"currency":"PEN"},"orderNo":"200110edbb466abb04682968b40","payer":{"name":"Juan Perez"},"paymentMethod":"CASHIER_PE","purpose":"Payment for online purchase","expiryPeriod":300}"#;
    let request = signed(&creds, PAY_IN_PATH, body, datetime!(2020-12-17 10:55:00 -5));
    clock.advance(time::Duration::minutes(6));
    let late = BlockingTransport::send(&sim, request.clone()).unwrap();
    assert_eq!(code(&late), codes::smilepayz::TIMESTAMP_OUT_OF_WINDOW);
    clock.set(datetime!(2020-12-17 15:59:59 UTC));
    let ok = BlockingTransport::send(&sim, request).unwrap();
    assert_eq!(code(&ok), "00");
    assert_eq!(json(&ok)["transactionTime"], "2020-12-17T10:59:59-05:00");
    assert_eq!(ok.header("X-TIMESTAMP"), Some("2020-12-17T10:59:59-05:00"));
    assert_eq!(
        sim.simulator().smilepayz_orders()[0].status,
        TransactionStatus::Processing
    );
    clock.advance(time::Duration::seconds(301));
    let order = &sim.simulator().smilepayz_orders()[0];
    assert_eq!(
        (order.status.clone(), order.remark.as_deref()),
        (TransactionStatus::Expired, None)
    );
}

#[test]
fn async_delivery_does_not_block_the_executor() {
    // The merchant acknowledges only once another task on the same
    // single-threaded executor has run. A delivery that blocked the executor
    // would starve that task: the first attempt would time out and a retry
    // would be needed.
    let (ran, wait) = std::sync::mpsc::channel::<()>();
    let wait = Mutex::new(wait);
    let sim = InProcess::new(simulator()).with_callback_transport(move |_req: PreparedRequest| {
        let acknowledged = wait
            .lock()
            .unwrap()
            .recv_timeout(std::time::Duration::from_secs(1))
            .is_ok();
        Ok::<_, TransportError>(RawResponse::new(
            200,
            if acknowledged { "SUCCESS" } else { "BUSY" },
        ))
    });
    let creds = sim.credentials();
    let order = order_no("IPX");
    BlockingTransport::send(
        &sim,
        pay_in(&creds, &order, 1000, Some("http://m.example/cb")),
    )
    .unwrap();
    let complete = PreparedRequest::new(
        Method::POST,
        format!("{}/_simulator/smilepayz/complete", creds.smilepayz.base_url)
            .parse()
            .unwrap(),
        vec![("Content-Type".into(), "application/json".into())],
        serde_json::to_vec(&json!({"orderNo": order})).unwrap(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (answer, ()) = runtime.block_on(async {
        tokio::join!(AsyncTransport::send(&sim, complete), async {
            ran.send(()).unwrap();
        })
    });
    assert_eq!(
        json(&answer.unwrap()),
        json!({"delivered": true, "attempts": 1})
    );
}
