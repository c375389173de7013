//! The simulator is safe to run on a shared machine: callbacks only to
//! loopback unless allowed (no connection otherwise), slow and silent
//! clients are cut off without starving others, a connection cap,
//! paginated listings, a cap on kept orders; and the configured notify URLs.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pasarela_core::crypto::{Backend, PublicKey};
use pasarela_core::smilepayz::{DEFAULT_CALLBACK_TOLERANCE, TransactionStatus, verify_callback};
use pasarela_core::{MonnetKey, PreparedRequest, RawResponse, monnet};
use pasarela_simulator::{InProcess, LoopbackServer, ServerLimits, Simulator, SimulatorConfig};
use serde_json::json;
use time::OffsetDateTime;

use super::support::*;

fn start(config: SimulatorConfig) -> LoopbackServer {
    LoopbackServer::start(
        Simulator::new(config).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap()
}

/// A listener that counts the connections it accepts (and answers nothing).
struct Counter {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl Counter {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stream.is_ok() {
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Self { addr, accepted }
    }
}

#[test]
fn a_callback_to_a_non_loopback_host_is_refused_before_any_attempt() {
    let server = server();
    let creds = server.credentials();
    // 0.0.0.0 reaches this machine's listeners on Linux, so a relay to it
    // would be observable here: it is not loopback and must be refused.
    let counter = Counter::start();
    for (i, url) in [
        format!("http://0.0.0.0:{}/cb", counter.addr.port()),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.255.255.1:81/cb".to_owned(),
        "http://merchant.example/cb".to_owned(),
    ]
    .iter()
    .enumerate()
    {
        let order = order_no(&format!("SSRF{i}X"));
        assert_eq!(code(&send(pay_in(&creds, &order, 1000, Some(url)))), "00");
        let started = Instant::now();
        let answer = json(&post_json(
            &server.base_url(),
            "/_simulator/smilepayz/complete",
            &json!({"orderNo": order, "status": "SUCCESS"}),
        ));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "no attempt, no wait"
        );
        assert_eq!(answer["delivered"], false, "{url}");
        assert_eq!(answer["attempts"], 0, "{url}");
        let refused = answer["refused"].as_str().unwrap();
        assert!(refused.contains("not loopback"), "{refused}");
        assert!(refused.contains("--allow-callback-host"), "{refused}");
        // Reported on the order too, with no attempt logged.
        let orders = server.simulator().smilepayz_orders();
        let kept = orders.iter().find(|o| o.order_no == order).unwrap();
        assert_eq!(kept.deliveries[0].report.attempts, 0);
        assert!(kept.deliveries[0].attempt_log.is_empty());
        assert_eq!(kept.status, TransactionStatus::Success);
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        counter.accepted.load(Ordering::SeqCst),
        0,
        "no connection made"
    );

    // Monnet notifications follow the same rule.
    let op = order_no("SSRFM-");
    assert_eq!(monnet_code(&send(monnet_create(&creds, &op, 1500))), "0000");
    let answer = json(&post_json(
        &server.base_url(),
        "/_simulator/monnet/complete",
        &json!({"payinMerchantOperationNumber": op, "payinStateID": 5,
                "notificationUrl": "http://192.168.1.1/notify"}),
    ));
    assert_eq!(answer["attempts"], 0);
    assert!(answer["refused"].as_str().unwrap().contains("192.168.1.1"));
}

#[cfg(target_os = "linux")]
#[test]
fn an_allowed_host_is_attempted() {
    let merchant = MerchantEndpoint::start(&[(200, "SUCCESS")]);
    let port = merchant
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    let url = format!("http://0.0.0.0:{port}/merchant/callback");
    let server = start(fast_config().with_allowed_callback_host("0.0.0.0"));
    let creds = server.credentials();
    let order = order_no("ALLOW");
    send(pay_in(&creds, &order, 1000, Some(&url)));
    let answer = json(&post_json(
        &server.base_url(),
        "/_simulator/smilepayz/complete",
        &json!({"orderNo": order}),
    ));
    assert_eq!(answer, json!({"delivered": true, "attempts": 1}));
    assert_eq!(merchant.seen().len(), 1);
}

#[test]
fn loopback_names_and_addresses_are_attempted() {
    let merchant = MerchantEndpoint::start(&[(200, "SUCCESS")]);
    let server = server();
    let creds = server.credentials();
    let port = merchant
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    for (i, url) in [
        merchant.url.clone(),
        format!("http://localhost:{port}/merchant/callback"),
    ]
    .iter()
    .enumerate()
    {
        let order = order_no(&format!("LOOP{i}X"));
        send(pay_in(&creds, &order, 1000, Some(url)));
        let answer = json(&post_json(
            &server.base_url(),
            "/_simulator/smilepayz/complete",
            &json!({"orderNo": order}),
        ));
        assert_eq!(answer, json!({"delivered": true, "attempts": 1}), "{url}");
    }
    let record = &server.simulator().smilepayz_orders()[0].deliveries[0];
    assert_eq!(record.attempt_log.len(), 1);
    assert_eq!(record.attempt_log[0].http_status, Some(200));
    assert!(record.attempt_log[0].acknowledged);
    assert_eq!(record.attempt_log[0].url, merchant.url);
}

#[test]
fn in_process_callbacks_go_where_the_users_transport_takes_them() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let log = calls.clone();
    let sim = InProcess::new(simulator()).with_callback_transport(move |req: PreparedRequest| {
        log.lock().unwrap().push(req.url().to_string());
        Ok::<_, pasarela_core::transport::TransportError>(RawResponse::new(200, "SUCCESS"))
    });
    let creds = sim.credentials();
    let order = order_no("IPSSRF");
    pasarela_core::transport::BlockingTransport::send(
        &sim,
        pay_in(&creds, &order, 1000, Some("https://shop.example/cb")),
    )
    .unwrap();
    let answer = pasarela_core::transport::BlockingTransport::send(
        &sim,
        PreparedRequest::new(
            pasarela_core::http::Method::POST,
            "http://simulator.invalid/_simulator/smilepayz/complete"
                .parse()
                .unwrap(),
            vec![],
            serde_json::to_vec(&json!({"orderNo": order})).unwrap(),
        ),
    )
    .unwrap();
    assert_eq!(json(&answer), json!({"delivered": true, "attempts": 1}));
    assert_eq!(*calls.lock().unwrap(), ["https://shop.example/cb"]);
}

fn limited(limits: ServerLimits) -> LoopbackServer {
    start(fast_config().with_server_limits(limits))
}

/// Whether the server closed `stream` within `within` (EOF or reset).
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 256];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // an error answer before closing is fine
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn the_default_limits_are_ten_seconds_and_a_cap() {
    let limits = ServerLimits::default();
    assert_eq!(limits.header_timeout, Duration::from_secs(10));
    assert_eq!(limits.body_timeout, Duration::from_secs(10));
    assert_eq!(limits.max_connections, 1024);
    assert_eq!(SimulatorConfig::default().server_limits(), limits);
}

#[test]
fn silent_and_dribbling_clients_are_closed_and_do_not_starve_others() {
    let server = limited(
        ServerLimits::default()
            .with_header_timeout(Duration::from_millis(400))
            .with_body_timeout(Duration::from_millis(400)),
    );
    let addr = server.addr();
    let started = Instant::now();
    let mut silent: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let mut dribbler = TcpStream::connect(addr).unwrap();
    let dribbling = std::thread::spawn(move || {
        // One byte every 50 ms: a complete head would take far longer than
        // the timeout.
        for byte in b"GET /_simulator/health HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n\r\n" {
            if dribbler.write_all(&[*byte]).is_err() {
                return (true, dribbler);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        (false, dribbler)
    });
    // Meanwhile others are served at once.
    for _ in 0..5 {
        let t = Instant::now();
        let health = get(&server.base_url(), "/_simulator/health");
        assert_eq!(health.status, 200);
        assert!(
            t.elapsed() < Duration::from_millis(300),
            "{:?}",
            t.elapsed()
        );
    }
    for stream in &mut silent {
        assert!(closed_within(stream, Duration::from_secs(3)));
    }
    assert!(
        started.elapsed() >= Duration::from_millis(350),
        "not before the timeout"
    );
    let (write_failed, mut dribbler) = dribbling.join().unwrap();
    assert!(write_failed || closed_within(&mut dribbler, Duration::from_secs(1)));

    // A body that stops arriving: 408 once the body timeout passes.
    let mut slow_body = TcpStream::connect(addr).unwrap();
    slow_body
        .write_all(b"POST /_simulator/smilepayz/complete HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"orderNo\"")
        .unwrap();
    slow_body
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let mut answer = String::new();
    let _ = slow_body.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[test]
fn connections_beyond_the_cap_get_503_and_slots_free_up() {
    let server = limited(
        ServerLimits::default()
            .with_max_connections(3)
            .with_header_timeout(Duration::from_millis(500)),
    );
    let addr = server.addr();
    let holders: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut extra = TcpStream::connect(addr).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut answer = String::new();
    let _ = extra.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Retry-After: 1"));
    assert!(answer.contains("at most 3"));
    // The holders are cut off by the head timeout, and service resumes.
    std::thread::sleep(Duration::from_millis(900));
    assert_eq!(get(&server.base_url(), "/_simulator/health").status, 200);
    drop(holders);
}

#[test]
fn orders_are_listed_page_by_page() {
    let server = server();
    let creds = server.credentials();
    let numbers: Vec<String> = (0..5).map(|i| order_no(&format!("PAGE{i}X"))).collect();
    for n in &numbers {
        send(pay_in(&creds, n, 1000, None));
    }
    let op = order_no("PAGEM-");
    send(monnet_create(&creds, &op, 1500));
    let base = server.base_url();
    let all = json(&get(&base, "/_simulator/orders"));
    assert_eq!(all["limit"], 100, "the documented default page size");
    assert_eq!(all["offset"], 0);
    assert_eq!(all["nextOffset"], serde_json::Value::Null);
    assert_eq!(all["total"], json!({"smilepayz": 5, "monnet": 1}));
    assert_eq!(all["smilepayz"].as_array().unwrap().len(), 5);

    let first = json(&get(&base, "/_simulator/orders?limit=2"));
    let page: Vec<&str> = first["smilepayz"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderNo"].as_str().unwrap())
        .collect();
    assert_eq!(page, [numbers[0].as_str(), numbers[1].as_str()]);
    assert_eq!(first["nextOffset"], 2);
    assert_eq!(first["monnet"].as_array().unwrap().len(), 1);
    let last = json(&get(
        &base,
        "/_simulator/orders?offset=4&limit=2&gateway=smilepayz",
    ));
    assert_eq!(last["smilepayz"][0]["orderNo"], numbers[4].as_str());
    assert_eq!(last["smilepayz"].as_array().unwrap().len(), 1);
    assert_eq!(last["monnet"], json!([]));
    assert_eq!(last["nextOffset"], serde_json::Value::Null);
    let beyond = json(&get(&base, "/_simulator/orders?offset=99"));
    assert_eq!(beyond["smilepayz"], json!([]));
    for bad in [
        "limit=0",
        "limit=1001",
        "limit=x",
        "offset=-1",
        "gateway=visa",
    ] {
        let r = get(&base, &format!("/_simulator/orders?{bad}"));
        assert_eq!(r.status, 400, "{bad}");
        assert!(json(&r)["error"].is_string());
    }
}

#[test]
fn the_order_cap_evicts_the_oldest_final_orders_first() {
    let server = start(fast_config().with_max_orders(3));
    let creds = server.credentials();
    let base = server.base_url();
    let n: Vec<String> = (0..5).map(|i| order_no(&format!("CAP{i}X"))).collect();
    for o in &n[..3] {
        assert_eq!(code(&send(pay_in(&creds, o, 1000, None))), "00");
    }
    // The second one is settled: it goes first, though the first is older.
    post_json(
        &base,
        "/_simulator/smilepayz/complete",
        &json!({"orderNo": n[1]}),
    );
    send(pay_in(&creds, &n[3], 1000, None));
    let kept = |server: &LoopbackServer| -> Vec<String> {
        server
            .simulator()
            .smilepayz_orders()
            .into_iter()
            .map(|o| o.order_no)
            .collect()
    };
    assert_eq!(kept(&server), [n[0].clone(), n[2].clone(), n[3].clone()]);
    // None final: the oldest goes.
    send(pay_in(&creds, &n[4], 1000, None));
    assert_eq!(kept(&server), [n[2].clone(), n[3].clone(), n[4].clone()]);
    let listing = json(&get(&base, "/_simulator/orders"));
    assert_eq!(listing["evicted"]["smilepayz"], 2);
    assert_eq!(listing["maxOrders"], 3);
    // An evicted order is gone for the control API too.
    let gone = post_json(
        &base,
        "/_simulator/smilepayz/complete",
        &json!({"orderNo": n[0]}),
    );
    assert_eq!(gone.status, 404);
}

#[test]
fn configured_notify_urls_receive_callbacks_and_notifications() {
    let sp = MerchantEndpoint::start(&[(200, "SUCCESS")]);
    let mn = MerchantEndpoint::start(&[(200, "")]);
    let server = start(
        fast_config()
            .with_smilepayz_notify_url(sp.url.as_str())
            .with_monnet_notify_url(mn.url.as_str()),
    );
    let creds = server.credentials();
    let base = server.base_url();
    // SmilePayz: an order without callbackUrl goes to the notify URL.
    let order = order_no("NOTIFY");
    send(pay_in(&creds, &order, 2500, None));
    let answer = json(&post_json(
        &base,
        "/_simulator/smilepayz/complete",
        &json!({"orderNo": order, "status": "SUCCESS"}),
    ));
    assert_eq!(answer, json!({"delivered": true, "attempts": 1}));
    let seen = sp.seen();
    let verifier = Backend::default()
        .verifier(&PublicKey::load(&creds.smilepayz.platform_public_key).unwrap())
        .unwrap();
    let callback = verify_callback(
        seen[0].header("X-TIMESTAMP"),
        seen[0].header("X-SIGNATURE"),
        &seen[0].body,
        &*verifier,
        OffsetDateTime::now_utc(),
        DEFAULT_CALLBACK_TOLERANCE,
    )
    .unwrap();
    assert_eq!(callback.claims().order_no, order);

    // Monnet: complete needs no notificationUrl any more.
    let op = order_no("NOTIFYM-");
    send(monnet_create(&creds, &op, 4200));
    let answer = json(&post_json(
        &base,
        "/_simulator/monnet/complete",
        &json!({"payinMerchantOperationNumber": op, "payinStateID": 6, "codeErrorTrx": "9051"}),
    ));
    assert_eq!(answer, json!({"delivered": true, "attempts": 1}));
    let body: serde_json::Value = serde_json::from_slice(&mn.seen()[0].body).unwrap();
    assert_eq!(body["payinMerchantOperationNumber"], op.as_str());
    assert_eq!(body["payinStateID"], "6");
    assert_eq!(body["errorDetails"]["codeErrorTrx"], "9051");
    let key = MonnetKey::new(creds.monnet.key_monnet.as_str());
    let expected = monnet::payin_verification(&creds.monnet.merchant_id, &op, "42.00", "PEN", &key);
    assert_eq!(body["payinVerification"], expected.as_str());
    // An explicit notificationUrl still wins.
    let other = MerchantEndpoint::start(&[(200, "")]);
    let answer = json(&post_json(
        &base,
        "/_simulator/monnet/complete",
        &json!({"payinMerchantOperationNumber": op, "payinStateID": 5, "notificationUrl": other.url}),
    ));
    assert_eq!(answer["delivered"], true);
    assert_eq!(other.seen().len(), 1);
    assert_eq!(mn.seen().len(), 1);
}

#[test]
fn without_a_configured_monnet_url_complete_still_needs_one() {
    let server = server();
    let creds = server.credentials();
    let op = order_no("NOURL-");
    send(monnet_create(&creds, &op, 1500));
    let answer = post_json(
        &server.base_url(),
        "/_simulator/monnet/complete",
        &json!({"payinMerchantOperationNumber": op, "payinStateID": 5}),
    );
    assert_eq!(answer.status, 400);
    assert!(
        json(&answer)["error"]
            .as_str()
            .unwrap()
            .contains("--monnet-notify-url")
    );
}
