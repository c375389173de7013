//! Callback delivery over plain HTTP/1.1 from the loopback server, one
//! connection per attempt.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::Request;
use hyper_util::rt::TokioIo;
use pasarela_core::{PreparedRequest, RawResponse};
use tokio::net::TcpStream;

use super::config::is_loopback_host;
use super::self_call::Listening;

/// Largest acknowledgement body read, in bytes.
const MAX_ANSWER: usize = 64 * 1024;

/// Posts `request` and returns the merchant's answer, or why there is none.
/// Only `http` URLs: the simulator does not speak TLS. A connection that
/// reached one of the `listening` addresses (the simulator itself) is
/// closed before anything is sent. Redirects are not followed.
pub(crate) async fn post(
    request: PreparedRequest,
    timeout: Duration,
    listening: &Listening,
) -> Result<RawResponse, String> {
    match tokio::time::timeout(timeout, attempt(request, listening)).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {timeout:?}")),
    }
}

async fn attempt(request: PreparedRequest, listening: &Listening) -> Result<RawResponse, String> {
    let url = request.url().clone();
    if url.scheme() != "http" {
        return Err(format!(
            "only plain http callback URLs are supported by the simulator, not {}",
            url.scheme()
        ));
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let stream = match url.host() {
        Some(url::Host::Ipv4(ip)) => TcpStream::connect((ip, port)).await,
        Some(url::Host::Ipv6(ip)) => TcpStream::connect((ip, port)).await,
        // Loopback names go to loopback addresses, never through a resolver.
        Some(host @ url::Host::Domain(_)) if is_loopback_host(&host) => {
            match TcpStream::connect((std::net::Ipv4Addr::LOCALHOST, port)).await {
                Ok(stream) => Ok(stream),
                Err(_) => TcpStream::connect((std::net::Ipv6Addr::LOCALHOST, port)).await,
            }
        }
        Some(url::Host::Domain(name)) => TcpStream::connect((name, port)).await,
        None => return Err(format!("callback URL {url} has no host")),
    }
    .map_err(|e| format!("connect to {url}: {e}"))?;
    if let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr())
        && let Some(why) = listening.reached_here(peer, local)
    {
        return Err(why);
    }
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake with {url}: {e}"))?;
    let driver = tokio::spawn(connection);
    let authority = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => String::new(),
    };
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let mut builder = Request::post(target).header(hyper::header::HOST, authority);
    for (name, value) in request.headers() {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let outgoing = builder
        .body(Full::new(Bytes::from(request.into_body())))
        .map_err(|e| format!("building the callback request: {e}"))?;
    let result = async {
        let response = sender
            .send_request(outgoing)
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| format!("reading the answer of {url}: {e}"))?
            .to_bytes();
        Ok(RawResponse::new(status, body.to_vec()).with_headers(headers))
    }
    .await;
    driver.abort();
    result
}
