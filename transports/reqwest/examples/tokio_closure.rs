//! Your own HTTP stack as a pasarela transport, by closure, with
//! `pasarela-transport-kit` doing the policy.
//!
//! For tokio, `pasarela-reqwest` is the ready-made transport (the second
//! half of `main` uses it). When your company has its own client, any
//! `Fn(PreparedRequest) -> impl Future<Output = Result<RawResponse, E>>` is
//! an `AsyncTransport`; the kit gives it the same timeouts, body cap,
//! header checks and not-sent/maybe-sent rule as the shipped transports.
//! Here the "stack" is a minimal HTTP/1.1 client on a tokio `TcpStream`
//! (plain HTTP, `Connection: close`, for brevity), talking to a loopback
//! server the example starts itself.
//!
//! Run with `cargo run -p pasarela-reqwest --example tokio_closure`.

use pasarela_core::http::Method;
use pasarela_core::transport::{AsyncTransport, TransportError, TransportErrorKind};
use pasarela_core::{PreparedRequest, RawResponse};
use pasarela_reqwest::ReqwestTransport;
use pasarela_transport_kit::{
    BodyCollector, Phase, Progress, TransportConfig, request_headers, with_deadline,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One HTTP/1.1 exchange on tokio, under the kit's policy.
async fn my_stack(
    config: &TransportConfig,
    req: PreparedRequest,
) -> Result<RawResponse, TransportError> {
    // Refuses foreign schemes and CR/LF in headers, before anything is sent.
    let headers = request_headers(&req, config.get_user_agent())?;
    let progress = Progress::new();
    let exchange = async {
        let url = req.url();
        let host = url.host_str().unwrap_or("localhost");
        let port = url.port_or_known_default().unwrap_or(80);

        // Before the first byte is written, any failure is `NotSent`.
        progress.set(Phase::Connecting);
        let connect = tokio::time::timeout(
            config.get_connect_timeout(),
            TcpStream::connect((host, port)),
        );
        let mut stream = match connect.await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                return Err(progress
                    .failed(TransportErrorKind::Connect, e.to_string())
                    .with_source(e));
            }
            Err(_) => return Err(progress.failed(TransportErrorKind::Connect, "connect timed out")),
        };

        // From here on the gateway may have the request: `MaybeSent`.
        progress.set(Phase::Sending);
        let broken = |e: std::io::Error| {
            progress
                .failed(TransportErrorKind::ConnectionBroken, e.to_string())
                .with_source(e)
        };
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {host}:{port}\r\n",
            req.method(),
            url.path()
        );
        for (name, value) in &headers {
            head.push_str(&format!(
                "{name}: {}\r\n",
                value.to_str().unwrap_or_default()
            ));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            req.body().len()
        ));
        stream.write_all(head.as_bytes()).await.map_err(broken)?;
        stream.write_all(req.body()).await.map_err(broken)?;

        // Read the head, then the body through the kit's cap.
        let mut raw = Vec::new();
        let mut buf = [0u8; 8192];
        let end = loop {
            if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let n = stream.read(&mut buf).await.map_err(broken)?;
            if n == 0 || raw.len() > 64 * 1024 {
                return Err(progress.failed(TransportErrorKind::Protocol, "no response head"));
            }
            raw.extend_from_slice(&buf[..n]);
        };
        progress.set(Phase::Receiving);
        let (status, headers, length) = parse_head(&raw[..end])
            .ok_or_else(|| progress.failed(TransportErrorKind::Protocol, "bad response head"))?;
        let mut body = BodyCollector::new(config.get_max_body_size(), length)?;
        body.push(&raw[end + 4..])?;
        loop {
            let n = stream.read(&mut buf).await.map_err(broken)?;
            if n == 0 {
                break;
            }
            body.push(&buf[..n])?;
        }
        Ok(RawResponse::new(status, body.finish()?).with_headers(headers))
    };
    // The overall timeout, classified by how far the call got.
    let timeout = config.get_timeout();
    with_deadline(tokio::time::sleep(timeout), timeout, &progress, exchange).await
}

/// Status, headers and `Content-Length` of a response head.
type Head = (u16, Vec<(String, String)>, Option<u64>);

fn parse_head(head: &[u8]) -> Option<Head> {
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok());
    Some((status, headers, length))
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
    // A loopback server standing in for the gateway: two answers.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        for _ in 0..2 {
            let (mut conn, _) = listener.accept().await?;
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf).await?;
            conn.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{\"code\":\"00\"}",
            )
            .await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let url = format!("http://{addr}/v2.0/inquiry-status");

    // Your stack, by closure.
    let config = TransportConfig::new();
    let transport = |req: PreparedRequest| my_stack(&config, req);
    let response = call(&transport, inquiry_request(&url)?).await?;
    println!(
        "own stack: {} {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );

    // The same call through the ready-made tokio transport.
    let reqwest = ReqwestTransport::with_config(TransportConfig::new())?;
    let response = call(&reqwest, inquiry_request(&url)?).await?;
    println!(
        "pasarela-reqwest: {} {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    server.await??;
    Ok(())
}
