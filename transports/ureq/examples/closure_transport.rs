//! Your own HTTP stack as a pasarela transport: any
//! `Fn(PreparedRequest) -> Result<RawResponse, E>` is a `BlockingTransport`.
//!
//! Here the "stack" is a minimal HTTP/1.1 client over `std::net::TcpStream`
//! (plain HTTP only, for brevity), talking to a one-shot server on loopback
//! that the example starts itself. What matters is the error mapping: say
//! `NotSent` only when the request certainly did not leave.
//!
//! Run with `cargo run -p pasarela-ureq --example closure_transport`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use pasarela_core::http::Method;
use pasarela_core::transport::{BlockingTransport, Delivery, TransportError, TransportErrorKind};
use pasarela_core::{PreparedRequest, RawResponse};

/// The closure transport: connect, write the request, read the response.
fn my_stack(req: PreparedRequest) -> Result<RawResponse, TransportError> {
    let err = |kind, delivery, e: std::io::Error| {
        TransportError::new(kind, delivery, e.to_string()).with_source(e)
    };
    let url = req.url();
    let host = url.host_str().unwrap_or("localhost");
    let port = url.port_or_known_default().unwrap_or(80);
    // Before the first byte is written, any failure is `NotSent`.
    let mut stream = TcpStream::connect((host, port))
        .map_err(|e| err(TransportErrorKind::Connect, Delivery::NotSent, e))?;
    let maybe = |e| err(TransportErrorKind::ConnectionBroken, Delivery::MaybeSent, e);
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(maybe)?;

    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {host}:{port}\r\n",
        req.method(),
        url.path()
    );
    for (name, value) in req.headers() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        req.body().len()
    ));
    // From here on the gateway may have the request: `MaybeSent`.
    stream.write_all(head.as_bytes()).map_err(maybe)?;
    stream.write_all(req.body()).map_err(maybe)?;

    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).map_err(maybe)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            TransportError::new(
                TransportErrorKind::Protocol,
                Delivery::MaybeSent,
                "bad status line",
            )
        })?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).map_err(maybe)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((n, v)) = line.split_once(':') {
            headers.push((n.to_owned(), v.trim().to_owned()));
        }
    }
    let mut body = Vec::new();
    reader
        .take(1024 * 1024 + 1)
        .read_to_end(&mut body)
        .map_err(maybe)?;
    Ok(RawResponse::new(status, body).with_headers(headers))
}

/// The request a pasarela client would prepare (here by hand).
fn inquiry_request(url: &str) -> Result<PreparedRequest, Box<dyn std::error::Error>> {
    Ok(PreparedRequest::new(
        Method::POST,
        url.parse()?,
        vec![("Content-Type".into(), "application/json".into())],
        br#"{"tradeNo":"T1"}"#.to_vec(),
    ))
}

/// A pasarela-style call, generic over any transport.
fn call<T: BlockingTransport>(
    transport: &T,
    req: PreparedRequest,
) -> Result<RawResponse, T::Error> {
    transport.send(req)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A one-shot loopback server standing in for the gateway.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = std::thread::spawn(move || -> std::io::Result<()> {
        for _ in 0..2 {
            let (mut conn, _) = listener.accept()?;
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf)?;
            conn.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{\"code\":\"00\"}",
            )?;
        }
        Ok(())
    });

    // The closure is the transport. (A function item works the same way.)
    let transport = |req: PreparedRequest| my_stack(req);
    let response = call(
        &transport,
        inquiry_request(&format!("http://{addr}/v2.0/inquiry-status"))?,
    )?;
    println!(
        "closure: {} {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );

    // The same generic code runs over pasarela-ureq.
    let config = pasarela_ureq::TransportConfig::new();
    let ureq = pasarela_ureq::UreqTransport::with_agent_config(
        pasarela_ureq::agent_config(&config).proxy(None).build(),
        config,
    );
    let response = call(
        &ureq,
        inquiry_request(&format!("http://{addr}/v2.0/inquiry-status"))?,
    )?;
    println!(
        "ureq:    {} {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );

    server.join().map_err(|_| "server thread panicked")??;
    Ok(())
}
