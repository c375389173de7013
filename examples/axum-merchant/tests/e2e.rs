//! End to end: the merchant service against the loopback simulator.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use pasarela_axum_merchant::{AppState, MerchantSetup, router};
use pasarela_core::client::SmilepayzSettings;
use pasarela_core::crypto::{Backend, PrivateKey, PublicKey};
use pasarela_core::smilepayz::{format_timestamp, sign_callback};
use pasarela_core::{MerchantSecret, MonnetKey, monnet, smilepayz};
use pasarela_reqwest::ReqwestTransport;
use pasarela_simulator::{LoopbackServer, Simulator, TEST_PLATFORM_PRIVATE_KEY, codes};
use serde_json::{Value, json};

struct App {
    addr: SocketAddr,
    state: AppState,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start_app(sim: &LoopbackServer) -> App {
    let creds = sim.credentials();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let backend = Backend::default();
    let signer = backend
        .signer(
            &PrivateKey::load(creds.smilepayz.merchant_private_key.as_deref().unwrap()).unwrap(),
        )
        .unwrap();
    let platform = backend
        .verifier(&PublicKey::load(&creds.smilepayz.platform_public_key).unwrap())
        .unwrap();
    let sp = smilepayz::Config::new(
        creds.smilepayz.merchant_id.clone(),
        MerchantSecret::new(creds.smilepayz.merchant_secret.clone()),
        signer,
        smilepayz::Environment::Custom(url::Url::parse(&creds.smilepayz.base_url).unwrap()),
    )
    .unwrap();
    let mn = monnet::Config::new(
        creds.monnet.merchant_id.clone(),
        MonnetKey::new(creds.monnet.key_monnet.clone()),
        monnet::Environment::Custom(url::Url::parse(&sim.base_url()).unwrap()),
    )
    .unwrap();
    let setup = MerchantSetup {
        smilepayz: SmilepayzSettings::new(sp).with_not_found_codes([codes::smilepayz::NOT_FOUND]),
        smilepayz_platform: platform,
        monnet: mn,
        public_url: format!("http://{addr}"),
        storefront_url: "https://shop.example".to_owned(),
    };
    let state = AppState::new(setup, ReqwestTransport::new().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    App {
        addr,
        state,
        stop,
        task,
    }
}

/// The simulator on a loopback port it picked (started off the runtime:
/// it starts a runtime of its own).
async fn start_simulator() -> LoopbackServer {
    tokio::task::spawn_blocking(|| {
        LoopbackServer::start(
            Simulator::with_test_keys().unwrap(),
            "127.0.0.1:0".parse().unwrap(),
        )
        .unwrap()
    })
    .await
    .unwrap()
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
async fn checkout_webhooks_ledger_and_confirmation_end_to_end() {
    let sim = start_simulator().await;
    let app = start_app(&sim).await;
    let http = browser();
    let base = sim.base_url();

    // --- SmilePayz: checkout redirects to the payment page. ---
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
    assert_eq!(before["confirmed"], false);
    assert_eq!(before["amount_minor"], 20000);

    // Settling makes the simulator deliver the signed callback to us.
    let done = post_json(
        &http,
        format!("{base}/_simulator/smilepayz/complete"),
        json!({"orderNo": id, "status": "SUCCESS"}),
    )
    .await;
    assert_eq!(done["delivered"], true, "{done}");
    let after = order(&http, &app, &id).await;
    assert_eq!(after["confirmed"], true, "{after}");
    assert_eq!(
        after["state"]["gateway_reference"],
        sp_order.trade_no.as_str()
    );
    assert_eq!(after["events"].as_array().unwrap().len(), 1);
    let events_after_sp = app.state.ledger().event_count();
    assert_eq!(events_after_sp, 1);

    // A genuine callback (signed with the TEST ONLY platform key the
    // simulator signs with) delivered twice: recorded once.
    let platform_signer = Backend::default()
        .signer(&PrivateKey::load(TEST_PLATFORM_PRIVATE_KEY).unwrap())
        .unwrap();
    // A minute back (inside the 5-minute tolerance): a different instant
    // from the simulator's own delivery, so a different event.
    let timestamp = format_timestamp(time::OffsetDateTime::now_utc() - time::Duration::minutes(1));
    let signature = sign_callback(&*platform_signer, &sp_order.trade_no, &timestamp).unwrap();
    let body = json!({
        "merchantId": sp_order.merchant_id,
        "merchantName": sp_order.merchant_name,
        "money": {"amount": 20000, "currency": "PEN"},
        "orderNo": id,
        "paymentMethod": sp_order.payment_method,
        "status": "SUCCESS",
        "tradeNo": sp_order.trade_no,
        "transactionTime": timestamp,
    })
    .to_string();
    for _ in 0..2 {
        assert_eq!(
            deliver_callback(&http, &app, &timestamp, &signature, &body).await,
            (200, "SUCCESS".to_owned())
        );
    }
    // The SDK's event id: the signed `tradeNo|X-TIMESTAMP`.
    let identity = format!("smilepayz:{}|{timestamp}", sp_order.trade_no);
    assert_eq!(app.state.ledger().event(&identity).unwrap().deliveries, 2);
    assert_eq!(app.state.ledger().event_count(), events_after_sp + 1);

    // Forged: a signature over another tradeNo is refused, nothing changes.
    let forged = sign_callback(&*platform_signer, "SOMEONE-ELSE", &timestamp).unwrap();
    let (status, _) = deliver_callback(&http, &app, &timestamp, &forged, &body).await;
    assert_eq!(status, 401);
    let (status, _) = deliver_callback(&http, &app, &timestamp, "bm90IGEgc2ln", &body).await;
    assert_eq!(status, 401);
    // Tampered unsigned body (amount) under a genuine signature: same
    // identity, so a duplicate; the order stays as confirmed.
    // Only the amount field: the order and trade numbers can hold the same
    // digits, and changing them would change what the signature covers.
    let tampered = body.replace("\"amount\":20000", "\"amount\":1");
    assert_ne!(tampered, body, "the amount was rewritten");
    assert_eq!(
        deliver_callback(&http, &app, &timestamp, &signature, &tampered).await,
        (200, "SUCCESS".to_owned())
    );
    assert_eq!(app.state.ledger().event_count(), events_after_sp + 1);
    assert_eq!(order(&http, &app, &id).await, {
        let mut v = after.clone();
        v["events"] = json!([after["events"][0], identity]);
        v
    });

    // --- Monnet: checkout redirects to the card page. ---
    let form = [
        ("amount", "150.00"),
        ("name", "Rosa"),
        ("last_name", "Quispe"),
        ("email", "rosa@example.com"),
        ("phone", "987654321"),
        ("document_type", "DNI"),
        ("document", "44556677"),
        ("address", "Av. Arequipa 123"),
        ("city", "Lima"),
        ("zip_code", "15001"),
        ("pan", "4517721004856075"),
        ("cvv", "123"),
        ("expiry", "2030-12"),
    ];
    let res = http
        .post(format!("http://{}/checkout/monnet", app.addr))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let op = sim
        .simulator()
        .monnet_operations()
        .into_iter()
        .find(|o| o.url == location)
        .expect("the redirect is the created operation's url");
    let op_id = op.operation_number.clone();
    assert_eq!(order(&http, &app, &op_id).await["confirmed"], false);

    let before_mn = app.state.ledger().event_count();
    let complete = json!({
        "payinMerchantOperationNumber": op_id,
        "payinStateID": 5,
        "notificationUrl": format!("http://{}/webhooks/monnet", app.addr),
    });
    // Delivered twice (a gateway retry): the same notification, recorded once.
    for _ in 0..2 {
        let done = post_json(
            &http,
            format!("{base}/_simulator/monnet/complete"),
            complete.clone(),
        )
        .await;
        assert_eq!(done["delivered"], true, "{done}");
    }
    assert_eq!(app.state.ledger().event_count(), before_mn + 1);
    let mn_after = order(&http, &app, &op_id).await;
    assert_eq!(mn_after["confirmed"], true, "{mn_after}");
    let mn_identity = mn_after["events"][0].as_str().unwrap().to_owned();
    // The SDK's event id: length-prefixed operation number, state, hash.
    assert!(
        mn_identity.starts_with(&format!("monnet:{}:{op_id}|5|", op_id.len())),
        "{mn_identity}"
    );
    assert_eq!(
        app.state.ledger().event(&mn_identity).unwrap().deliveries,
        2
    );

    // Tampered notification (amount changed under the same hash): refused.
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
    assert_eq!(app.state.ledger().event_count(), before_mn + 1);
    assert_eq!(order(&http, &app, &op_id).await, mn_after);

    // --- Verified is not confirmed. ---
    // A SmilePayz callback with a genuine signature but a claimed amount
    // that is not our record's: acknowledged, recorded, not shipped.
    let res = http
        .post(format!("http://{}/checkout/smilepayz", app.addr))
        .form(&[("amount", "5000")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let second = sim
        .simulator()
        .smilepayz_orders()
        .into_iter()
        .find(|o| o.payment_url == location)
        .unwrap();
    let ts = format_timestamp(time::OffsetDateTime::now_utc() - time::Duration::minutes(2));
    let sig = sign_callback(&*platform_signer, &second.trade_no, &ts).unwrap();
    let cheap = json!({
        "merchantId": second.merchant_id,
        "money": {"amount": 1, "currency": "PEN"},
        "orderNo": second.order_no,
        "status": "SUCCESS",
        "tradeNo": second.trade_no,
        "transactionTime": ts,
    })
    .to_string();
    assert_eq!(
        deliver_callback(&http, &app, &ts, &sig, &cheap).await,
        (200, "SUCCESS".to_owned())
    );
    let refused = order(&http, &app, &second.order_no).await;
    assert_eq!(refused["confirmed"], false, "{refused}");
    assert_eq!(refused["state"]["state"], "not_confirmed");
    assert_eq!(refused["state"]["retryable"], false);
    assert!(
        refused["state"]["reason"]
            .as_str()
            .unwrap()
            .contains("amount differs"),
        "{refused}"
    );
    // The genuine settlement still confirms it afterwards.
    let done = post_json(
        &http,
        format!("{base}/_simulator/smilepayz/complete"),
        json!({"orderNo": second.order_no, "status": "SUCCESS"}),
    )
    .await;
    assert_eq!(done["delivered"], true);
    let second_after = order(&http, &app, &second.order_no).await;
    assert_eq!(second_after["confirmed"], true, "{second_after}");
    assert_eq!(second_after["events"].as_array().unwrap().len(), 2);

    // A Monnet operation the gateway denied: verified, acknowledged, and
    // the status call says not paid.
    let res = http
        .post(format!("http://{}/checkout/monnet", app.addr))
        .form(&form)
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
    let denied_after = order(&http, &app, &denied.operation_number).await;
    assert_eq!(denied_after["confirmed"], false, "{denied_after}");
    assert_eq!(denied_after["state"]["state"], "not_confirmed");
    assert_eq!(denied_after["events"].as_array().unwrap().len(), 1);

    // Unknown orders answer 404.
    let res = http
        .get(format!("http://{}/orders/NOPE", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Stop both servers.
    app.stop.send(()).unwrap();
    app.task.await.unwrap().unwrap();
    tokio::task::spawn_blocking(move || sim.shutdown())
        .await
        .unwrap();
}

/// The service serves the SDK's metrics in Prometheus text at `/metrics`:
/// after a checkout, its gateway call is counted (by gateway, operation and
/// outcome, never by order number) and timed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_in_prometheus_text() {
    let sim = start_simulator().await;
    let app = start_app(&sim).await;
    let http = browser();
    let checkout = http
        .post(format!("http://{}/checkout/smilepayz", app.addr))
        .form(&[("amount", "20000")]);
    assert_eq!(checkout.send().await.unwrap().status(), 303);
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
    app.stop.send(()).unwrap();
    app.task.await.unwrap().unwrap();
    tokio::task::spawn_blocking(move || sim.shutdown())
        .await
        .unwrap();
}
