//! A tiny HTTP/1.1 server for the tests' proxies, and the forwarding they
//! do. Each request is read whole and handed to an async handler; a
//! handler's `None` closes the connection without an answer, as a gateway
//! that dropped it. The handler runs on a task of its own, so a client
//! that hangs up (a merchant killed, or timed out) does not cancel what
//! the proxy is forwarding.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

/// A request as the proxies see it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: http::Method,
    /// Path and query.
    pub path: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// An answer.
pub type Response = http::Response<Bytes>;

/// A server on a loopback port it picked; stops accepting when dropped.
pub struct Server {
    addr: SocketAddr,
    accept: tokio::task::JoinHandle<()>,
}

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the connection is dropped without an answer")
    }
}

impl std::error::Error for Dropped {}

impl Server {
    /// Starts a server; `make` builds its handler from the address it got.
    pub async fn start<M, H, F>(make: M) -> Self
    where
        M: FnOnce(SocketAddr) -> H,
        H: Fn(Request) -> F + Send + Sync + 'static,
        F: Future<Output = Option<Response>> + Send + 'static,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handler = Arc::new(make(addr));
        let accept = tokio::spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of descriptors, most likely: wait, try again.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let handler = handler.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        move |request: hyper::Request<hyper::body::Incoming>| {
                            let handler = handler.clone();
                            async move {
                                let (parts, body) = request.into_parts();
                                let body = match body.collect().await {
                                    Ok(body) => body.to_bytes(),
                                    Err(_) => return Err(Dropped),
                                };
                                let request = Request {
                                    method: parts.method,
                                    path: parts
                                        .uri
                                        .path_and_query()
                                        .map_or_else(|| "/".to_owned(), |p| p.to_string()),
                                    headers: parts.headers,
                                    body,
                                };
                                match tokio::spawn(handler(request)).await {
                                    Ok(Some(answer)) => Ok(answer.map(Full::new)),
                                    _ => Err(Dropped),
                                }
                            }
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, accept }
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// A client for forwarding: no pooled connections (each request on a
/// connection of its own, as the proxies' clients expect), a timeout
/// longer than any answer the tests wait for.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

/// An answer of the test's own.
pub fn reply(status: u16, body: &'static str) -> Response {
    let mut response = http::Response::new(Bytes::from_static(body.as_bytes()));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
    response
}

/// Sends `request` to `base` (`http://ADDR`) and returns the answer, or
/// why there is none (refused, dropped, timed out).
pub async fn forward(
    client: &reqwest::Client,
    base: &str,
    request: &Request,
) -> Result<Response, reqwest::Error> {
    let mut outgoing = client.request(request.method.clone(), format!("{base}{}", request.path));
    for (name, value) in &request.headers {
        if ![header::HOST, header::CONTENT_LENGTH, header::CONNECTION].contains(name) {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = outgoing.body(request.body.clone()).send().await?;
    let status = answer.status();
    let headers = answer.headers().clone();
    let body = answer.bytes().await?;
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    for (name, value) in &headers {
        if ![
            header::CONTENT_LENGTH,
            header::CONNECTION,
            header::TRANSFER_ENCODING,
        ]
        .contains(name)
        {
            response.headers_mut().append(name, value.clone());
        }
    }
    Ok(response)
}
