//! A maintained async stack as a pasarela transport, instead of surf.
//!
//! Any `Fn(PreparedRequest) -> impl Future<Output = Result<RawResponse, E>>`
//! is an `AsyncTransport`. Here the "stack" is a minimal HTTP/1.1 client on
//! tokio (plain HTTP only, for brevity; in production wrap hyper, reqwest or
//! your company's client the same way), talking to a loopback server the
//! example starts itself. What matters is the error mapping: say `NotSent`
//! only when the request certainly did not leave.
//!
//! Run with `cargo run -p pasarela-surf --example tokio_closure`.

use std::time::Duration;

use pasarela_core::http::Method;
use pasarela_core::transport::{AsyncTransport, Delivery, TransportError, TransportErrorKind};
use pasarela_core::{PreparedRequest, RawResponse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TIMEOUT: Duration = Duration::from_secs(10);

/// One HTTP/1.1 exchange on tokio.
async fn my_stack(req: PreparedRequest) -> Result<RawResponse, TransportError> {
    let url = req.url().clone();
    let host = url.host_str().unwrap_or("localhost").to_owned();
    let port = url.port_or_known_default().unwrap_or(80);

    // Before the first byte is written, any failure is `NotSent`.
    let connect = tokio::time::timeout(TIMEOUT, TcpStream::connect((host.as_str(), port)));
    let mut stream = match connect.await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            return Err(TransportError::new(
                TransportErrorKind::Connect,
                Delivery::NotSent,
                e.to_string(),
            )
            .with_source(e));
        }
        Err(_) => {
            return Err(TransportError::new(
                TransportErrorKind::Connect,
                Delivery::NotSent,
                "connect timed out",
            ));
        }
    };

    // From here on the gateway may have the request: `MaybeSent`.
    let exchange = async {
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
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(req.body()).await?;
        let mut raw = Vec::new();
        (&mut stream)
            .take(1024 * 1024)
            .read_to_end(&mut raw)
            .await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = match tokio::time::timeout(TIMEOUT, exchange).await {
        Ok(Ok(raw)) => raw,
        Ok(Err(e)) => {
            return Err(TransportError::new(
                TransportErrorKind::ConnectionBroken,
                Delivery::MaybeSent,
                e.to_string(),
            )
            .with_source(e));
        }
        Err(_) => {
            return Err(TransportError::new(
                TransportErrorKind::Timeout,
                Delivery::MaybeSent,
                "no response in time",
            ));
        }
    };
    parse(&raw)
}

/// Splits a `Connection: close` HTTP/1.1 response into a `RawResponse`.
fn parse(raw: &[u8]) -> Result<RawResponse, TransportError> {
    let protocol = || {
        TransportError::new(
            TransportErrorKind::Protocol,
            Delivery::MaybeSent,
            "bad response",
        )
    };
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(protocol)?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(protocol)?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_owned(), v.trim().to_owned()))
        .collect();
    Ok(RawResponse {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    })
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
async fn call<T: AsyncTransport>(
    transport: &T,
    req: PreparedRequest,
) -> Result<RawResponse, T::Error> {
    transport.send(req).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A one-shot loopback server standing in for the gateway.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await?;
        let mut buf = [0u8; 4096];
        let _ = conn.read(&mut buf).await?;
        conn.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"code\":\"00\"}",
        )
        .await?;
        Ok::<_, std::io::Error>(())
    });

    // The async closure is the transport; its future is `Send`, so it can be
    // used from spawned tasks too.
    let transport = |req: PreparedRequest| my_stack(req);
    let response = call(
        &transport,
        inquiry_request(&format!("http://{addr}/v2.0/inquiry-status"))?,
    )
    .await?;
    println!(
        "{} {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    server.await??;
    Ok(())
}
