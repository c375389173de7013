//! The loopback HTTP server: HTTP/1.1 with keep-alive on hyper 1 and tokio,
//! in a thread of its own with its own runtime, so it serves the same from
//! sync and async code and from any language.
//!
//! A listen backlog of 4096 and one cheap task per connection let it hold
//! many concurrent keep-alive connections, up to a cap
//! ([`ServerLimits::max_connections`], 1024 by default; beyond it a
//! connection is answered `503` and closed). A connection that has not sent
//! a complete request head within [`ServerLimits::header_timeout`] (10 s)
//! is closed, silent or dribbling, which also closes idle keep-alive
//! connections; a body must arrive within [`ServerLimits::body_timeout`]
//! (10 s) and is limited to 1 MiB. It listens on loopback unless told
//! otherwise, and warns on stderr when told to listen wider.
//!
//! [`ServerLimits::max_connections`]: super::ServerLimits::max_connections
//! [`ServerLimits::header_timeout`]: super::ServerLimits::header_timeout
//! [`ServerLimits::body_timeout`]: super::ServerLimits::body_timeout

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{Semaphore, oneshot};

use super::callback_http;
use super::config::ServerLimits;
use super::delivery::{DeliveryJob, DeliveryReport, deliver_async};
use super::wire::{Outcome, SimRequest, SimResponse, SimResponseExt};
use super::{AttemptLog, Credentials, Simulator};

/// Largest request body read, in bytes.
const MAX_BODY: usize = 1 << 20;
/// Pending-connection queue of the listening socket.
const BACKLOG: u32 = 4096;

/// A simulator serving HTTP on a loopback port. Dropping it shuts it down.
pub struct LoopbackServer {
    addr: SocketAddr,
    simulator: Simulator,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    /// Starts serving `simulator` on `addr` (`127.0.0.1:0` picks a free
    /// port). Returns once the socket listens. An address that is not
    /// loopback (`0.0.0.0`, a LAN address) works but prints a warning on
    /// stderr: anyone who can reach it can create orders and read the TEST
    /// ONLY credentials.
    pub fn start(simulator: Simulator, addr: SocketAddr) -> io::Result<Self> {
        if let Some(warning) = bind_warning(addr) {
            eprintln!("{warning}");
        }
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<SocketAddr>>();
        let (stop_tx, stop_rx) = oneshot::channel();
        let sim = simulator.clone();
        let thread = std::thread::Builder::new()
            .name("pasarela-simulator".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("pasarela-simulator-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match listen(addr) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let bound = match listener.local_addr() {
                        Ok(a) => a,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(bound));
                    serve(listener, sim, Arc::from(format!("http://{bound}")), stop_rx).await;
                });
                runtime.shutdown_timeout(Duration::from_millis(500));
            })?;
        let addr = match ready_rx.recv() {
            Ok(Ok(addr)) => addr,
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(io::Error::other("simulator thread ended before listening"));
            }
        };
        Ok(Self {
            addr,
            simulator,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://{addr}`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The test credentials, with URLs under [`base_url`](Self::base_url).
    pub fn credentials(&self) -> Credentials {
        self.simulator.credentials(&self.base_url())
    }

    /// The simulator it serves (state, orders, configuration).
    pub fn simulator(&self) -> &Simulator {
        &self.simulator
    }

    /// Stops accepting, closes every connection and waits for the server
    /// thread to end.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    /// Serves until the process is killed (or the server fails).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

impl fmt::Debug for LoopbackServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopbackServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// The warning printed when told to listen beyond loopback.
fn bind_warning(addr: SocketAddr) -> Option<String> {
    let loopback = match addr.ip() {
        std::net::IpAddr::V4(ip) => ip.is_loopback(),
        std::net::IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    };
    (!loopback).then(|| {
        format!(
            "pasarela-simulator: WARNING: listening on {addr}, beyond loopback: anyone who can \
             reach it can create orders and read the TEST ONLY credentials; use 127.0.0.1 \
             unless you mean it"
        )
    })
}

fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

async fn serve(
    listener: TcpListener,
    simulator: Simulator,
    origin: Arc<str>,
    mut stop: oneshot::Receiver<()>,
) {
    let limits = simulator.config().server_limits();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    match slots.clone().try_acquire_owned() {
                        Ok(slot) => {
                            let (sim, origin) = (simulator.clone(), origin.clone());
                            tokio::spawn(async move {
                                connection(stream, sim, origin, limits).await;
                                drop(slot);
                            });
                        }
                        Err(_) => {
                            tokio::spawn(refuse(stream, limits.max_connections));
                        }
                    }
                }
                // Out of file descriptors or similar: back off, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
        }
    }
}

/// Answers a connection beyond the cap with `503` and closes it, without
/// reading its request (bounded: at most one second of writing).
async fn refuse(mut stream: tokio::net::TcpStream, cap: usize) {
    let body = format!(
        "{{\"error\": \"too many connections: the simulator serves at most {cap} at once\"}}"
    );
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
         Retry-After: 1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

async fn connection(
    stream: tokio::net::TcpStream,
    simulator: Simulator,
    origin: Arc<str>,
    limits: ServerLimits,
) {
    let service =
        service_fn(move |request| respond(simulator.clone(), origin.clone(), limits, request));
    let _ = http1::Builder::new()
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Carries out a delivery: the host check first (a refused URL sees no
/// connection), then the attempts, each logged; records it.
async fn deliver(simulator: &Simulator, job: &DeliveryJob) -> SimResponse {
    let log = AttemptLog::new();
    let refused = simulator.refusal(job);
    let report = match &refused {
        Some(reason) => DeliveryReport::not_attempted(reason.clone()),
        None => {
            let policy = simulator.config().retry();
            deliver_async(
                job,
                policy,
                |req| {
                    let log = &log;
                    async move {
                        let started = log.begin(simulator, &job.url);
                        let result = callback_http::post(req, policy.attempt_timeout).await;
                        log.end(started, job, &result);
                        result
                    }
                },
                tokio::time::sleep,
            )
            .await
        }
    };
    simulator.finish_delivery_logged(job, &report, log.take(), refused)
}

/// The service's error: returning it makes hyper close the connection
/// without answering (the dropped-connection trigger).
#[derive(Debug)]
struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by the simulator (trigger)")
    }
}

impl std::error::Error for DropConnection {}

async fn respond(
    simulator: Simulator,
    origin: Arc<str>,
    limits: ServerLimits,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(limits.body_timeout, Limited::new(body, MAX_BODY).collect());
    let body = match read.await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(_)) => {
            return Ok(to_hyper(SimResponse::json(
                413,
                &serde_json::json!({"code": "05", "message": "request body unreadable or larger than 1 MiB"}),
            )));
        }
        Err(_) => {
            let mut answer = to_hyper(SimResponse::json(
                408,
                &serde_json::json!({"code": "05", "message": format!("request body not received within {:?}", limits.body_timeout)}),
            ));
            answer.headers_mut().insert(
                hyper::header::CONNECTION,
                hyper::header::HeaderValue::from_static("close"),
            );
            return Ok(answer);
        }
    };
    let request = SimRequest {
        method: parts.method.as_str().to_owned(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
        origin: origin.to_string(),
    };
    match simulator.handle(&request, simulator.now()) {
        Outcome::Reply(response) => Ok(to_hyper(response)),
        Outcome::Slow { delay, response } => {
            tokio::time::sleep(delay).await;
            Ok(to_hyper(response))
        }
        Outcome::Drop => Err(DropConnection),
        Outcome::Deliver(job) => Ok(to_hyper(deliver(&simulator, &job).await)),
        Outcome::DeliverThen { job, reply } => {
            let _ = deliver(&simulator, &job).await;
            Ok(to_hyper(reply))
        }
    }
}

fn to_hyper(response: SimResponse) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(Full::new(Bytes::from(response.body)))
        .unwrap_or_else(|_| {
            let mut fallback = Response::new(Full::new(Bytes::from_static(b"")));
            *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_beyond_loopback_warns() {
        for quiet in [
            "127.0.0.1:0",
            "127.9.9.9:80",
            "[::1]:0",
            "[::ffff:127.0.0.1]:0",
        ] {
            assert_eq!(bind_warning(quiet.parse().unwrap()), None, "{quiet}");
        }
        for loud in ["0.0.0.0:8080", "192.168.1.5:0", "[::]:0"] {
            let warning = bind_warning(loud.parse().unwrap()).unwrap();
            assert!(
                warning.contains("WARNING") && warning.contains(loud),
                "{warning}"
            );
        }
    }
}
