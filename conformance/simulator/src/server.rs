//! The loopback HTTP server: HTTP/1.1 with keep-alive on hyper 1 and tokio,
//! in a thread of its own with its own runtime, so it serves the same from
//! sync and async code and from any language.
//!
//! A listen backlog of 4096 and one cheap task per connection let it hold
//! many concurrent keep-alive connections, up to a cap
//! ([`ServerLimits::max_connections`], 1024 by default) and a lower one per
//! client address ([`ServerLimits::connections_per_address`], a quarter);
//! beyond either a connection is answered `503` and closed. A connection
//! that has not sent a complete request head within
//! [`ServerLimits::header_timeout`] (10 s) is closed, silent or dribbling,
//! which also closes idle keep-alive connections; a body must arrive within
//! [`ServerLimits::body_timeout`] (10 s) and is limited to 1 MiB; an answer
//! the client does not read closes the connection after
//! [`ServerLimits::write_timeout`] (10 s) without progress; more than
//! [`ServerLimits::max_pipelined`] requests pipelined in one go are
//! answered `429` and the connection closed; bodies held in memory at once
//! are capped ([`ServerLimits::max_buffered_bytes`]), with a share per
//! client address, taken as the bytes arrive and never waited for (`503`
//! when it cannot be had). Requests from a
//! foreign origin are refused (`same_origin`). It listens on loopback
//! unless told otherwise, and warns on stderr when told to listen wider.
//!
//! [`ServerLimits::max_connections`]: super::ServerLimits::max_connections
//! [`ServerLimits::connections_per_address`]: super::ServerLimits::connections_per_address
//! [`ServerLimits::header_timeout`]: super::ServerLimits::header_timeout
//! [`ServerLimits::body_timeout`]: super::ServerLimits::body_timeout
//! [`ServerLimits::write_timeout`]: super::ServerLimits::write_timeout
//! [`ServerLimits::max_pipelined`]: super::ServerLimits::max_pipelined
//! [`ServerLimits::max_buffered_bytes`]: super::ServerLimits::max_buffered_bytes

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::oneshot;

use super::callback_http;
use super::config::ServerLimits;
use super::delivery::{DeliveryJob, DeliveryReport, deliver_async};
use super::same_origin;
use super::server_io::{BodyRefusal, Guarded, Pipeline, read_body};
use super::slots::{Budget, Held, Reservation, Slots};
use super::wire::{Outcome, SimRequest, SimResponse, SimResponseExt};
use super::{AttemptLog, Credentials, Simulator};

/// Largest request body read, in bytes.
const MAX_BODY: usize = 1 << 20;
/// Pending-connection queue of the listening socket.
const BACKLOG: u32 = 4096;
/// Largest buffer hyper keeps per connection for request heads and
/// pipelined bytes (its minimum is 8 KiB).
const MAX_CONNECTION_BUFFER: usize = 64 * 1024;
/// Answers up to this size are not taken from the memory for bodies: a
/// connection's own allowance, so that a health check or the answer to a
/// call already acted on (a settlement, a delivery) is never refused for
/// memory other clients hold.
const SMALL_ANSWER: usize = 16 * 1024;
/// Kernel send buffer of each connection: what a client that does not read
/// can make the machine hold for it.
const SEND_BUFFER: u32 = 256 * 1024;

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
                    sim.inner.listening.add(bound);
                    if let Some(why) = self_calling_notify_url(&sim) {
                        sim.inner.listening.remove(bound);
                        let _ =
                            ready_tx.send(Err(io::Error::new(io::ErrorKind::InvalidInput, why)));
                        return;
                    }
                    let _ = ready_tx.send(Ok(bound));
                    serve(listener, sim.clone(), bound, stop_rx).await;
                    sim.inner.listening.remove(bound);
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

/// Why a configured notify URL points at the simulator itself, when one does.
fn self_calling_notify_url(simulator: &Simulator) -> Option<String> {
    let config = simulator.config();
    [
        ("--smilepayz-notify-url", config.smilepayz_notify_url()),
        ("--monnet-notify-url", config.monnet_notify_url()),
    ]
    .into_iter()
    .find_map(|(flag, url)| {
        let why = simulator.inner.listening.points_here(url?)?;
        Some(format!("{flag}: {why}"))
    })
}

fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    // Accepted connections inherit it.
    let _ = socket.set_send_buffer_size(SEND_BUFFER);
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// What every connection of one server shares.
struct Shared {
    simulator: Simulator,
    bound: SocketAddr,
    origin: Arc<str>,
    limits: ServerLimits,
    budget: Arc<Budget>,
}

async fn serve(
    listener: TcpListener,
    simulator: Simulator,
    bound: SocketAddr,
    mut stop: oneshot::Receiver<()>,
) {
    let limits = simulator.config().server_limits();
    let slots = Slots::new(&limits);
    let shared = Arc::new(Shared {
        simulator,
        bound,
        origin: Arc::from(format!("http://{bound}")),
        limits,
        budget: Budget::new(&limits),
    });
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    match slots.take(peer.ip()) {
                        Ok(slot) => {
                            let shared = shared.clone();
                            tokio::spawn(async move {
                                connection(stream, peer.ip(), shared).await;
                                drop(slot);
                            });
                        }
                        Err(why) => {
                            tracing::info!(peer = %peer.ip(), reason = %why, "pasarela-simulator: refused: connection");
                            tokio::spawn(refuse(stream, why));
                        }
                    }
                }
                // Out of file descriptors or similar: back off, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
        }
    }
}

/// Answers a connection beyond a cap with `503` and closes it, without
/// reading its request (bounded: at most one second of writing).
async fn refuse(mut stream: tokio::net::TcpStream, why: String) {
    let body = serde_json::json!({"error": why}).to_string();
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

async fn connection(stream: tokio::net::TcpStream, peer: IpAddr, shared: Arc<Shared>) {
    let reads = Arc::new(AtomicU64::new(0));
    let pipeline = Arc::new(Pipeline::new(reads.clone(), shared.limits.max_pipelined));
    let io = Guarded::new(stream, shared.limits.write_timeout, reads);
    let header_timeout = shared.limits.header_timeout;
    let service =
        service_fn(move |request| respond(shared.clone(), pipeline.clone(), peer, request));
    let _ = http1::Builder::new()
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_CONNECTION_BUFFER)
        .serve_connection(TokioIo::new(io), service)
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
                        let result = callback_http::post(
                            req,
                            policy.attempt_timeout,
                            &simulator.inner.listening,
                        )
                        .await;
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

/// An error answer that closes the connection.
fn closing(status: u16, message: String) -> Response<Held> {
    let mut answer = to_hyper(
        SimResponse::json(status, &serde_json::json!({"error": message})),
        None,
    );
    answer.headers_mut().insert(
        hyper::header::CONNECTION,
        hyper::header::HeaderValue::from_static("close"),
    );
    answer
}

async fn respond(
    shared: Arc<Shared>,
    pipeline: Arc<Pipeline>,
    peer: IpAddr,
    request: Request<Incoming>,
) -> Result<Response<Held>, DropConnection> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let (method, path) = (parts.method.clone(), parts.uri.path().to_owned());
    let answer = answer(&shared, &pipeline, peer, parts, body).await;
    if let Ok(response) = &answer {
        tracing::debug!(
            method = %method,
            path = %path,
            status = response.status().as_u16(),
            latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "pasarela-simulator: request handled"
        );
    }
    answer
}

async fn answer(
    shared: &Shared,
    pipeline: &Pipeline,
    peer: IpAddr,
    parts: hyper::http::request::Parts,
    body: Incoming,
) -> Result<Response<Held>, DropConnection> {
    let (simulator, limits) = (&shared.simulator, &shared.limits);
    if !pipeline.admit() {
        let why = format!(
            "more than {} requests pipelined on one connection before reading the answers; \
             the connection is closed",
            pipeline.cap()
        );
        tracing::info!(reason = %why, "pasarela-simulator: refused: pipelining");
        return Ok(closing(429, why));
    }
    if let Err(why) = same_origin::check(
        simulator.config(),
        shared.bound,
        &parts.method,
        &parts.headers,
    ) {
        tracing::info!(method = %parts.method, path = %parts.uri.path(), reason = %why, "pasarela-simulator: refused: foreign origin");
        return Ok(to_hyper(
            SimResponse::json(403, &serde_json::json!({"error": why})),
            None,
        ));
    }
    // Memory is taken as the body's bytes arrive (none for no body), from
    // the peer's share: a client that declares a body and sends none holds
    // nothing, and one address cannot take what the others need.
    let mut reserved = shared.budget.reservation(peer);
    let read = tokio::time::timeout(
        limits.body_timeout,
        read_body(body, MAX_BODY, &mut reserved),
    );
    let body = match read.await {
        Ok(Ok(body)) => body,
        Ok(Err(BodyRefusal::Busy(why))) => return Ok(busy(why)),
        Ok(Err(BodyRefusal::TooLarge | BodyRefusal::Unreadable)) => {
            return Ok(to_hyper(
                SimResponse::json(
                    413,
                    &serde_json::json!({"code": "05", "message": "request body unreadable or larger than 1 MiB"}),
                ),
                None,
            ));
        }
        Err(_) => {
            return Ok(closing(
                408,
                format!("request body not received within {:?}", limits.body_timeout),
            ));
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
        body,
        origin: shared.origin.to_string(),
    };
    let outcome = simulator.handle(&request, simulator.now());
    drop(request);
    drop(reserved);
    let response = match outcome {
        Outcome::Reply(response) => response,
        Outcome::Slow { delay, response } => {
            tokio::time::sleep(delay).await;
            response
        }
        Outcome::Drop => return Err(DropConnection),
        Outcome::Deliver(job) => deliver(simulator, &job).await,
        Outcome::DeliverThen { job, reply } => {
            let _ = deliver(simulator, &job).await;
            reply
        }
    };
    if response.body.len() <= SMALL_ANSWER {
        return Ok(to_hyper(response, None));
    }
    // A larger answer (a listing, a page) is held until written: from the
    // same share, at once or not at all.
    let mut reserved = shared.budget.reservation(peer);
    if let Err(why) = reserved.cover(response.body.len()) {
        return Ok(busy(why));
    }
    Ok(to_hyper(response, Some(reserved)))
}

/// The answer when the memory for bodies cannot be had: `why`, in one line.
fn busy(why: String) -> Response<Held> {
    tracing::info!(reason = %why, "pasarela-simulator: refused: memory for bodies");
    let mut answer = to_hyper(
        SimResponse::json(503, &serde_json::json!({"error": why})),
        None,
    );
    for (name, value) in [
        (hyper::header::RETRY_AFTER, "1"),
        // A request body may be left unread.
        (hyper::header::CONNECTION, "close"),
    ] {
        answer
            .headers_mut()
            .insert(name, hyper::header::HeaderValue::from_static(value));
    }
    answer
}

fn to_hyper(response: SimResponse, reserved: Option<Reservation>) -> Response<Held> {
    let mut builder = Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(Held::new(Bytes::from(response.body), reserved))
        .unwrap_or_else(|_| {
            let mut fallback = Response::new(Held::new(Bytes::new(), None));
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
