//! End to end: the merchant service, on its ledger, against the loopback
//! simulator — in-process (the routes, the sweeper and the outcome task as
//! the binary runs them).

use std::net::SocketAddr;
use std::time::Duration;

use pasarela_axum_merchant::{AppState, background, router, setup, shop};
use pasarela_core::crypto::{Backend, PrivateKey};
use pasarela_core::smilepayz::{format_timestamp, sign_callback};
use pasarela_core::{MonnetKey, monnet};
use pasarela_ledger::{AsyncLedger, Ledger, Policy};
use pasarela_reqwest::ReqwestTransport;
use pasarela_simulator::{LoopbackServer, Simulator, TEST_PLATFORM_PRIVATE_KEY};
use serde_json::{Value, json};

use crate::harness::{CARD_FORM, TempDir};

struct App {
    addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _dir: TempDir,
}

fn eager() -> Policy {
    let mut policy = Policy::default();
    policy.first_check_after = time::Duration::seconds(1);
    policy.reconcile_after = time::Duration::seconds(1);
    policy.backoff_base = time::Duration::seconds(1);
    policy
}

async fn start_app(sim: &LoopbackServer) -> App {
    let dir = TempDir::new("axum-e2e");
    let db = dir.path().join("shop.db").display().to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let setup = setup::from_simulator(
        &sim.base_url(),
        format!("http://{addr}"),
        "https://shop.example".into(),
    )
    .await
    .unwrap();
    let ledger =
        tokio::task::spawn_blocking(move || Ledger::open(&db).unwrap().with_policy(eager()))
            .await
            .unwrap();
    let ledger = AsyncLedger::from(ledger);
    shop::prepare(&ledger).await.unwrap();
    let state = AppState::new(setup, ReqwestTransport::new().unwrap(), ledger);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let app = router(state.clone());
    let serve = {
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.changed().await;
                })
                .await
                .unwrap();
        })
    };
    let work = {
        let mut stopped = stopped.clone();
        tokio::spawn(background(state, Duration::from_millis(200), async move {
            let _ = stopped.changed().await;
        }))
    };
    App {
        addr,
        stop,
        tasks: vec![serve, work],
        _dir: dir,
    }
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

async fn order(http: &reqwest::Client, app: &App, id: &str) -> Value {
    let res = http
        .get(format!("http://{}/orders/{id}", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Waits (polling, generously) until the order reaches `state` and its
/// outcome was handed over as expected.
async fn settled(http: &reqwest::Client, app: &App, id: &str, state: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let now = order(http, app, id).await;
        if now["state"] == state && now["handedOver"] == 1 {
            return now;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "order {id} never reached {state}: {now}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn post_json(http: &reqwest::Client, url: String, body: Value) -> Value {
    let res = http.post(url).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

/// Sends a SmilePayz callback the way the gateway does.
async fn deliver_callback(
    http: &reqwest::Client,
    app: &App,
    timestamp: &str,
    signature: &str,
    body: &str,
) -> (u16, String) {
    let res = http
        .post(format!("http://{}/webhooks/smilepayz", app.addr))
        .header("Content-Type", "application/json")
        .header("X-TIMESTAMP", timestamp)
        .header("X-SIGNATURE", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_webhooks_ledger_and_hand_over_end_to_end() {
    let sim = tokio::task::spawn_blocking(|| {
        LoopbackServer::start(
            Simulator::with_test_keys().unwrap(),
            "127.0.0.1:0".parse().unwrap(),
        )
        .unwrap()
    })
    .await
    .unwrap();
    let app = start_app(&sim).await;
    let http = browser();
    let base = sim.base_url();

    // --- SmilePayz: a browser checkout redirects to the payment page. ---
    let res = http
        .post(format!("http://{}/checkout/smilepayz", app.addr))
        .form(&[("amount", "20000")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let sp_order = sim
        .simulator()
        .smilepayz_orders()
        .into_iter()
        .find(|o| o.payment_url == location)
        .expect("the redirect is the created order's paymentUrl");
    assert_eq!(
        sp_order.callback_url.as_deref(),
        Some(format!("http://{}/webhooks/smilepayz", app.addr).as_str())
    );
    let id = sp_order.order_no.clone();
    let before = order(&http, &app, &id).await;
    assert_eq!(before["state"], "created");
    assert_eq!(before["handedOver"], 0);
    assert_eq!(before["amount"], 20000);
    assert_eq!(before["redirect"], location.as_str());

    // Settling makes the simulator deliver the signed callback: stored,
    // acknowledged, confirmed by the status call, handed over once.
    let done = post_json(
        &http,
        format!("{base}/_simulator/smilepayz/complete"),
        json!({"orderNo": id, "status": "SUCCESS"}),
    )
    .await;
    assert_eq!(done["delivered"], true, "{done}");
    let after = settled(&http, &app, &id, "paid").await;
    assert_eq!(after["gatewayRef"], sp_order.trade_no.as_str());

    // A genuine callback (signed with the TEST ONLY platform key the
    // simulator signs with), delivered twice, and a tampered copy: all
    // acknowledged, nothing changes, nothing handed over again.
    let platform_signer = Backend::default()
        .signer(&PrivateKey::load(TEST_PLATFORM_PRIVATE_KEY).unwrap())
        .unwrap();
    let timestamp = format_timestamp(time::OffsetDateTime::now_utc() - time::Duration::minutes(1));
    let signature = sign_callback(&*platform_signer, &sp_order.trade_no, &timestamp).unwrap();
    let body = json!({
        "merchantId": sp_order.merchant_id,
        "money": {"amount": 20000, "currency": "PEN"},
        "orderNo": id,
        "status": "SUCCESS",
        "tradeNo": sp_order.trade_no,
        "transactionTime": timestamp,
    })
    .to_string();
    let tampered = body.replace("\"amount\":20000", "\"amount\":1");
    assert_ne!(tampered, body, "the amount was rewritten");
    for delivery in [&body, &body, &tampered] {
        assert_eq!(
            deliver_callback(&http, &app, &timestamp, &signature, delivery).await,
            (200, "SUCCESS".to_owned())
        );
    }
    // Forged: a signature over another tradeNo, or none: refused.
    let forged = sign_callback(&*platform_signer, "SOMEONE-ELSE", &timestamp).unwrap();
    for bad in [forged.as_str(), "bm90IGEgc2ln"] {
        let (status, _) = deliver_callback(&http, &app, &timestamp, bad, &body).await;
        assert_eq!(status, 401);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let unchanged = order(&http, &app, &id).await;
    assert_eq!(unchanged["state"], "paid");
    assert_eq!(unchanged["handedOver"], 1, "{unchanged}");

    // --- API clients get JSON: 201 with orderId, state, redirect. ---
    let res = http
        .post(format!("http://{}/checkout/smilepayz", app.addr))
        .header("Accept", "application/json")
        .form(&[("amount", "40001")]) // the simulator's decline
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let declined: Value = res.json().await.unwrap();
    assert_eq!(declined["state"], "not_paid", "{declined}");
    assert_eq!(declined["redirect"], Value::Null);
    let declined_id = declined["orderId"].as_str().unwrap().to_owned();
    settled(&http, &app, &declined_id, "not_paid").await;

    // --- Monnet: checkout, notification delivered twice, confirmed once. ---
    let res = http
        .post(format!("http://{}/checkout/monnet", app.addr))
        .header("Accept", "application/json")
        .form(&CARD_FORM)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["state"], "created", "{created}");
    let op_id = created["orderId"].as_str().unwrap().to_owned();
    let op = sim
        .simulator()
        .monnet_operations()
        .into_iter()
        .find(|o| o.operation_number == op_id)
        .unwrap();
    assert_eq!(created["redirect"], op.url.as_str());
    let complete = json!({
        "payinMerchantOperationNumber": op_id,
        "payinStateID": 5,
        "notificationUrl": format!("http://{}/webhooks/monnet", app.addr),
    });
    for _ in 0..2 {
        let done = post_json(
            &http,
            format!("{base}/_simulator/monnet/complete"),
            complete.clone(),
        )
        .await;
        assert_eq!(done["delivered"], true, "{done}");
    }
    settled(&http, &app, &op_id, "paid").await;

    // A tampered notification (amount changed under the same hash) or an
    // unverified one: refused.
    let key = MonnetKey::new(sim.credentials().monnet.key_monnet.clone());
    let hash = monnet::payin_verification(&op.merchant_id, &op_id, "150.00", "PEN", &key);
    let genuine = json!({
        "payinStateID": "5",
        "payinMerchantID": op.merchant_id,
        "payinAmount": "150.00",
        "payinCurrency": "PEN",
        "payinMerchantOperationNumber": op_id,
        "payinVerification": hash,
    });
    let mut tampered = genuine.clone();
    tampered["payinAmount"] = json!("1.50");
    let mut unsigned = genuine.clone();
    unsigned["payinVerification"] = json!("");
    for bad in [tampered, unsigned] {
        let res = http
            .post(format!("http://{}/webhooks/monnet", app.addr))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert!(matches!(res.status().as_u16(), 400 | 401), "{bad}");
    }

    // Denied by the issuer: verified, acknowledged, not paid.
    let res = http
        .post(format!("http://{}/checkout/monnet", app.addr))
        .form(&CARD_FORM)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let denied = sim
        .simulator()
        .monnet_operations()
        .into_iter()
        .find(|o| o.url == location)
        .unwrap();
    let done = post_json(
        &http,
        format!("{base}/_simulator/monnet/complete"),
        json!({
            "payinMerchantOperationNumber": denied.operation_number,
            "payinStateID": 6,
            "notificationUrl": format!("http://{}/webhooks/monnet", app.addr),
        }),
    )
    .await;
    assert_eq!(done["delivered"], true, "{done}");
    settled(&http, &app, &denied.operation_number, "not_paid").await;

    // Unknown orders answer 404.
    let res = http
        .get(format!("http://{}/orders/NOPE", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // The SDK's metrics, in Prometheus text: the gateway calls above are
    // counted by gateway, operation and outcome (never by order number), and
    // timed.
    let res = http
        .get(format!("http://{}/metrics", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = res.text().await.unwrap();
    assert!(
        text.contains(
            r#"pasarela_calls_total{gateway="smilepayz",operation="pay_in",outcome="created"}"#
        ),
        "{text}"
    );
    assert!(
        text.contains("pasarela_call_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(
        !text.contains(&id),
        "an order number is in the metrics: {text}"
    );

    let _ = app.stop.send(true);
    for task in app.tasks {
        task.await.unwrap();
    }
    tokio::task::spawn_blocking(move || sim.shutdown())
        .await
        .unwrap();
}
