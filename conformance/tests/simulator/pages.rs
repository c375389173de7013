//! The hosted pages and the dashboard over plain HTTP (no browser): every
//! action, idempotent second clicks, escaping, methods, the card never shown
//! beyond its last four digits.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use pasarela_core::smilepayz::TransactionStatus;
use pasarela_simulator::{LoopbackServer, Simulator};
use serde_json::json;

use super::support::*;

/// One HTTP/1.1 exchange on a fresh connection: (status, head, body).
fn http(addr: SocketAddr, method: &str, path: &str, form: Option<&str>) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let body = form.unwrap_or("");
    let content_type = if form.is_some() {
        "Content-Type: application/x-www-form-urlencoded\r\n"
    } else {
        ""
    };
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{content_type}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

/// The form token on a page (the hidden `token` field).
pub fn token_on(page: &str) -> String {
    let marker = "name=\"token\" value=\"";
    let start = page
        .find(marker)
        .unwrap_or_else(|| panic!("no form token on the page:\n{page}"))
        + marker.len();
    page[start..start + 32].to_owned()
}

/// The form token of the page at `path`.
fn token_of(addr: SocketAddr, path: &str) -> String {
    let (status, _, page) = http(addr, "GET", path, None);
    assert_eq!(status, 200, "{page}");
    token_on(&page)
}

fn location(head: &str) -> String {
    head.lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(n, _)| n.eq_ignore_ascii_case("location"))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_default()
}

fn trade_no(server: &LoopbackServer, order: &str) -> String {
    server
        .simulator()
        .smilepayz_orders()
        .into_iter()
        .find(|o| o.order_no == order)
        .unwrap()
        .trade_no
}

#[test]
fn letting_a_cashier_order_expire_settles_once() {
    let server = server();
    let creds = server.credentials();
    let merchant = MerchantEndpoint::start(&[(200, "SUCCESS")]);
    let order = order_no("PGEXP");
    send(pay_in(&creds, &order, 5000, Some(&merchant.url)));
    let trade = trade_no(&server, &order);
    let page = format!("/cashier/order/{trade}");

    let (status, head, body) = http(server.addr(), "GET", &page, None);
    assert_eq!(status, 200);
    let head = head.to_ascii_lowercase();
    assert!(head.contains("text/html; charset=utf-8"));
    assert!(head.contains("content-security-policy: default-src 'none'"));
    assert!(head.contains("x-content-type-options: nosniff"));
    assert!(body.contains("<html lang=\"en\">"));
    assert!(body.contains(&order) && body.contains("S/ 50.00"));
    assert!(
        body.contains("<button class=\"primary\" type=\"submit\" name=\"action\" value=\"pay\"")
    );
    let token = token_on(&body);
    // Without the page's token, nothing is settled.
    for form in [
        "action=expire",
        "action=expire&token=00000000000000000000000000000000",
    ] {
        let (status, _, refused) = http(server.addr(), "POST", &page, Some(form));
        assert_eq!(status, 403, "{form}");
        assert!(refused.contains("form token"), "{refused}");
    }
    assert_eq!(
        server.simulator().smilepayz_orders()[0].status,
        TransactionStatus::Processing
    );

    // No redirectUrl: the outcome page.
    let (status, head, _) = http(
        server.addr(),
        "POST",
        &page,
        Some(&format!("action=expire&token={token}")),
    );
    assert_eq!(status, 303);
    assert_eq!(location(&head), page);
    let kept = server.simulator().smilepayz_orders();
    let kept = kept.iter().find(|o| o.order_no == order).unwrap();
    assert_eq!(kept.status, TransactionStatus::Expired);
    assert_eq!(kept.remark, None);
    let seen = merchant.seen();
    assert_eq!(seen.len(), 1);
    let callback: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(callback["status"], "EXPIRED");

    // A second click shows the outcome and settles nothing.
    let (status, head, _) = http(
        server.addr(),
        "POST",
        &page,
        Some(&format!("action=pay&token={token}")),
    );
    assert_eq!((status, location(&head)), (303, page.clone()));
    let (_, _, outcome) = http(server.addr(), "GET", &page, None);
    assert!(outcome.contains("Expired"), "{outcome}");
    assert!(!outcome.contains("value=\"pay\""));
    assert_eq!(merchant.seen().len(), 1);
    assert_eq!(
        server.simulator().smilepayz_orders()[0].status,
        TransactionStatus::Expired
    );
}

#[test]
fn an_order_settled_through_the_control_api_is_not_settled_again_by_its_page() {
    let server = server();
    let creds = server.credentials();
    let order = order_no("PGCTL");
    send(pay_in(&creds, &order, 5000, None));
    // The shopper opened the page before the order was settled.
    let page = format!("/cashier/order/{}", trade_no(&server, &order));
    let token = token_of(server.addr(), &page);
    post_json(
        &server.base_url(),
        "/_simulator/smilepayz/complete",
        &json!({"orderNo": order, "status": "SUCCESS"}),
    );
    let (status, _, _) = http(
        server.addr(),
        "POST",
        &page,
        Some(&format!("action=fail&token={token}")),
    );
    assert_eq!(status, 303);
    assert_eq!(
        server.simulator().smilepayz_orders()[0].status,
        TransactionStatus::Success
    );
}

#[test]
fn cashier_loader_methods_unknowns_and_escaping() {
    let server = server();
    let addr = server.addr();
    let (status, _, loader) = http(addr, "GET", "/cashier/", None);
    assert_eq!(status, 200);
    assert!(
        loader.contains("location.hash")
            && loader.contains("<form method=\"get\" action=\"/cashier/order\">")
    );
    assert!(loader.contains("<label for=\"tradeNo\">"));
    let (status, head, _) = http(addr, "GET", "/cashier/order?tradeNo=123", None);
    assert_eq!(
        (status, location(&head).as_str()),
        (303, "/cashier/order/123")
    );
    let (status, _, body) = http(
        addr,
        "GET",
        "/cashier/order/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        None,
    );
    assert_eq!(status, 404);
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!body.contains("<script>alert"));
    let (status, _, _) = http(addr, "PUT", "/cashier/order/1", Some("action=pay"));
    assert_eq!(status, 405);
    let creds = server.credentials();
    let order = order_no("PGUNK");
    send(pay_in(&creds, &order, 5000, None));
    let page = format!("/cashier/order/{}", trade_no(&server, &order));
    let token = token_of(addr, &page);
    let (status, _, _) = http(
        addr,
        "POST",
        &page,
        Some(&format!("action=refund&token={token}")),
    );
    assert_eq!(status, 400);
    assert_eq!(
        server.simulator().smilepayz_orders()[0].status,
        TransactionStatus::Processing
    );
}

#[test]
fn the_monnet_page_masks_the_card_and_denies_with_a_reason() {
    let server = server();
    let creds = server.credentials();
    let op = order_no("PGMN-");
    let prepared = monnet_create(&creds, &op, 3300);
    let sent: serde_json::Value = serde_json::from_slice(prepared.body()).unwrap();
    let pan = sent["payinPan"].as_str().unwrap().to_owned();
    let pan = pan.as_str();
    let created = json(&send(prepared));
    let url = created["url"].as_str().unwrap().to_owned();
    let path = url.strip_prefix(&server.base_url()).unwrap().to_owned();
    let (status, _, page) = http(server.addr(), "GET", &path, None);
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("•••• •••• •••• {}", &pan[pan.len() - 4..])),
        "{page}"
    );
    assert!(!page.contains(pan) && !page.contains(&pan[..8]));
    assert!(page.contains("33.00") && page.contains("PEN"));
    assert_eq!(
        server.simulator().monnet_operations()[0].state_id,
        2,
        "pending once opened"
    );
    let challenge = format!("{path}/challenge");
    let (_, _, step) = http(server.addr(), "GET", &challenge, None);
    assert!(step.contains("3-D Secure") && step.contains("<label for=\"otp\">"));
    let token = token_on(&step);
    let (status, _, _) = http(server.addr(), "POST", &challenge, Some("action=authorize"));
    assert_eq!(status, 403, "no token, no action");
    let (status, _, _) = http(
        server.addr(),
        "POST",
        &challenge,
        Some(&format!("action=deny&reason=1234&token={token}")),
    );
    assert_eq!(status, 400);
    // No Monnet notify URL configured: the state changes, nothing is sent.
    let (status, head, _) = http(
        server.addr(),
        "POST",
        &challenge,
        Some(&format!("action=deny&reason=9051&token={token}")),
    );
    assert_eq!(
        (status, location(&head).as_str()),
        (303, "https://shop.example/error")
    );
    let op_now = &server.simulator().monnet_operations()[0];
    assert_eq!(op_now.state_id, 6);
    assert!(op_now.deliveries.is_empty());
    let (_, _, outcome) = http(server.addr(), "GET", &path, None);
    assert!(outcome.contains("9051") && outcome.contains("Insufficient funds"));
    // Second click: outcome, no change.
    let (status, head, _) = http(
        server.addr(),
        "POST",
        &challenge,
        Some(&format!("action=authorize&token={token}")),
    );
    assert_eq!((status, location(&head)), (303, path.clone()));
    assert_eq!(server.simulator().monnet_operations()[0].state_id, 6);
}

#[test]
fn dashboard_lists_and_acts() {
    let notify = MerchantEndpoint::start(&[(200, "")]);
    let server = LoopbackServer::start(
        Simulator::new(fast_config().with_monnet_notify_url(notify.url.as_str())).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let creds = server.credentials();
    let order = order_no("DASH");
    send(pay_in(&creds, &order, 7000, None));
    let op = order_no("DASHM-");
    send(monnet_create(&creds, &op, 1200));
    let (status, _, page) = http(server.addr(), "GET", "/_simulator/", None);
    assert_eq!(status, 200);
    assert!(page.contains("<meta http-equiv=\"refresh\" content=\"5\">"));
    assert!(page.contains(&order) && page.contains(&op) && page.contains("S/ 70.00"));
    assert!(page.contains("href=\"/cashier/order/") && page.contains("href=\"/monnet/pay/"));
    let (_, _, quiet) = http(server.addr(), "GET", "/_simulator/?refresh=0", None);
    assert!(!quiet.contains("http-equiv=\"refresh\""));
    let token = token_on(&page);
    let (status, _, _) = http(
        server.addr(),
        "POST",
        "/_simulator/ui/smilepayz/complete",
        Some(&format!("orderNo={order}&status=CANCELLED")),
    );
    assert_eq!(status, 403, "no token, no action");

    let form = format!(
        "merchantId={}&orderNo={order}&status=CANCELLED&token={token}",
        creds.smilepayz.merchant_id
    );
    let (status, head, _) = http(
        server.addr(),
        "POST",
        "/_simulator/ui/smilepayz/complete",
        Some(&form),
    );
    assert_eq!((status, location(&head).as_str()), (303, "/_simulator/"));
    assert_eq!(
        server.simulator().smilepayz_orders()[0].status,
        TransactionStatus::Cancelled
    );
    let form = format!(
        "merchantId={}&operation={op}&stateId=6&token={token}",
        creds.monnet.merchant_id
    );
    let (status, _, _) = http(
        server.addr(),
        "POST",
        "/_simulator/ui/monnet/complete",
        Some(&form),
    );
    assert_eq!(status, 303);
    let seen = notify.seen();
    assert_eq!(seen.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(body["payinStateID"], "6");
    assert_eq!(body["errorDetails"]["codeErrorTrx"], "9005");
    let (_, _, page) = http(server.addr(), "GET", "/_simulator/?refresh=0", None);
    assert!(page.contains("6 Denegado (9005)"));
    assert!(page.contains(&notify.url) && page.contains("acknowledged"));
    let (status, _, _) = http(
        server.addr(),
        "GET",
        "/_simulator/ui/smilepayz/complete",
        None,
    );
    assert_eq!(status, 405);
}

#[test]
fn in_process_page_actions_deliver_then_redirect() {
    use pasarela_core::transport::{BlockingTransport, TransportError};
    use pasarela_core::{PreparedRequest, RawResponse};
    use std::sync::{Arc, Mutex};

    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let sim = pasarela_simulator::InProcess::new(simulator()).with_callback_transport(
        move |req: PreparedRequest| {
            log.lock().unwrap().push(req.body().to_vec());
            Ok::<_, TransportError>(RawResponse::new(200, "SUCCESS"))
        },
    );
    let creds = sim.credentials();
    let order = order_no("PGIP");
    let request = pasarela_core::smilepayz::PayInRequest::builder(
        pasarela_core::smilepayz::Merchant::new(creds.smilepayz.merchant_id.clone()),
        order.as_str(),
        pasarela_core::Money::pen(990),
        "Pedido de prueba",
        pasarela_core::smilepayz::Payer::new("Rosa Quispe"),
    )
    .callback_url("https://shop.example/cb")
    .redirect_url("https://shop.example/thanks")
    .build()
    .unwrap();
    let prepared = pasarela_core::smilepayz::prepare_pay_in(
        &smilepayz_config(&creds),
        &request,
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
    let created = json(&BlockingTransport::send(&sim, prepared).unwrap());
    let trade = created["tradeNo"].as_str().unwrap();
    let page_url = format!("{}/cashier/order/{trade}", creds.smilepayz.base_url);
    let page = BlockingTransport::send(
        &sim,
        PreparedRequest::new(
            pasarela_core::http::Method::GET,
            page_url.parse().unwrap(),
            vec![],
            vec![],
        ),
    )
    .unwrap();
    let token = token_on(&String::from_utf8_lossy(&page.body));
    let action = PreparedRequest::new(
        pasarela_core::http::Method::POST,
        page_url.parse().unwrap(),
        vec![(
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        format!("action=pay&token={token}").into_bytes(),
    );
    let answer = BlockingTransport::send(&sim, action).unwrap();
    assert_eq!(answer.status, 303);
    assert_eq!(
        answer.header("Location"),
        Some("https://shop.example/thanks")
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&seen.lock().unwrap()[0]).unwrap();
    assert_eq!(body["status"], "SUCCESS");
    assert_eq!(body["orderNo"], order.as_str());
}
