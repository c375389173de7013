//! The loopback server itself: credentials, concurrency, keep-alive,
//! shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use pasarela_core::crypto::PublicKey;
use pasarela_simulator::{Credentials, LoopbackServer, Simulator, SimulatorConfig, TRIGGER_TABLE};
use serde_json::Value;

use super::support::*;

#[test]
fn credentials_endpoint_answers_the_start_up_object() {
    let server = server();
    let response = get(&server.base_url(), "/_simulator/credentials");
    assert_eq!(response.status, 200);
    let value = json(&response);
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&value),
        ["addr", "dashboardUrl", "monnet", "smilepayz"]
    );
    assert_eq!(
        keys(&value["smilepayz"]),
        [
            "baseUrl",
            "merchantId",
            "merchantPrivateKey",
            "merchantSecret",
            "platformPublicKey"
        ]
    );
    assert_eq!(
        keys(&value["monnet"]),
        ["keyMonnet", "merchantId", "proxyUrl", "statusUrl"]
    );
    let parsed: Credentials = serde_json::from_value(value).unwrap();
    assert_eq!(parsed, server.credentials());
    assert_eq!(parsed.addr, server.addr().to_string());
    assert_eq!(parsed.smilepayz.base_url, server.base_url());
    assert!(
        parsed
            .smilepayz
            .merchant_private_key
            .unwrap()
            .contains("BEGIN PRIVATE KEY")
    );
    assert!(
        parsed
            .smilepayz
            .platform_public_key
            .contains("BEGIN PUBLIC KEY")
    );
    let line = server.credentials().to_json_line();
    assert!(!line.contains('\n') || line.contains("\\n"));
    assert_eq!(line.lines().count(), 1);
    assert_eq!(
        get(&server.base_url(), "/_simulator/triggers").body,
        TRIGGER_TABLE.as_bytes()
    );
}

#[test]
fn a_users_merchant_key_replaces_the_test_key() {
    let public = PublicKey::load(include_str!(
        "../../../core/testdata/keys/platform_public_spki.pem"
    ))
    .unwrap();
    let sim = Simulator::new(fast_config().with_smilepayz_merchant_public_key(public)).unwrap();
    let server = LoopbackServer::start(sim, "127.0.0.1:0".parse().unwrap()).unwrap();
    let creds = server.credentials();
    assert_eq!(creds.smilepayz.merchant_private_key, None);
    assert!(json(&get(&server.base_url(), "/_simulator/credentials"))["smilepayz"]["merchantPrivateKey"].is_null());
    // Requests signed with the test key no longer verify; the user's key does.
    let mut test_key = creds.clone();
    test_key.smilepayz.merchant_private_key =
        Some(include_str!("../../../core/testdata/keys/merchant_private_pkcs8.pem").to_owned());
    assert_eq!(
        code(&send(pay_in(&test_key, &order_no("UK"), 1000, None))),
        "04"
    );
    let mut users = creds;
    users.smilepayz.merchant_private_key =
        Some(include_str!("../../../core/testdata/keys/platform_private_pkcs8.pem").to_owned());
    assert_eq!(
        code(&send(pay_in(&users, &order_no("UK"), 1000, None))),
        "00"
    );
}

/// One keep-alive `GET /_simulator/health` on an open connection.
fn health(reader: &mut BufReader<TcpStream>) -> bool {
    let request = b"GET /_simulator/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
    if reader.get_mut().write_all(request).is_err() {
        return false;
    }
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || !line.starts_with("HTTP/1.1 200") {
        return false;
    }
    let mut length = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line).is_err() {
            return false;
        }
        let l = line.trim_end().to_ascii_lowercase();
        if l.is_empty() {
            break;
        }
        if let Some(v) = l.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).is_ok() && body == br#"{"status":"ok"}"#
}

#[test]
fn holds_a_thousand_concurrent_keep_alive_connections() {
    let server = server();
    let mut connections = Vec::with_capacity(1000);
    for i in 0..1000u16 {
        // From four client addresses: one address may hold a quarter of
        // the slots.
        let from = std::net::Ipv4Addr::new(127, 0, 0, 1 + u8::try_from(i % 4).unwrap());
        let stream = connect_from(from, server.addr())
            .unwrap_or_else(|e| panic!("connection {i} refused: {e}"));
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        connections.push(BufReader::new(stream));
    }
    // Every connection answers while all are open, twice (keep-alive).
    for round in 0..2 {
        for (i, c) in connections.iter_mut().enumerate() {
            assert!(health(c), "connection {i}, round {round}");
        }
    }
}

#[test]
fn concurrent_creates_are_all_kept() {
    let server = server();
    let creds = server.credentials();
    let accepted: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let creds = creds.clone();
                s.spawn(move || {
                    let transport = http();
                    let mut mine = Vec::new();
                    for _ in 0..12 {
                        let order = order_no("CC");
                        let response = pasarela_core::transport::BlockingTransport::send(
                            &transport,
                            pay_in(&creds, &order, 1000, None),
                        )
                        .unwrap();
                        assert_eq!(code(&response), "00");
                        mine.push(order);
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let listed = json(&get(&server.base_url(), "/_simulator/orders"));
    let listed: Vec<&str> = listed["smilepayz"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderNo"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), accepted.len());
    for order in &accepted {
        assert!(listed.contains(&order.as_str()), "{order} lost");
    }
}

#[test]
fn shutdown_closes_the_port_and_connections() {
    let server = server();
    let addr = server.addr();
    let mut open = BufReader::new(TcpStream::connect(addr).unwrap());
    open.get_mut()
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert!(health(&mut open));
    server.shutdown();
    assert!(!health(&mut open), "kept-alive connection is closed");
    assert!(
        TcpStream::connect(addr).is_err(),
        "nothing listens any more"
    );
    // An explicit address works too, and a taken one is an error.
    let a = LoopbackServer::start(
        Simulator::new(SimulatorConfig::default()).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    assert!(
        LoopbackServer::start(
            Simulator::new(SimulatorConfig::default()).unwrap(),
            a.addr()
        )
        .is_err()
    );
}
