//! A merchant endpoint for demos and tests: a minimal HTTP server (std only)
//! that receives the callbacks and notifications the simulator delivers,
//! verifies them with the core's webhook helpers, records each event once
//! (deliveries are retried, so duplicates are expected) and answers exactly
//! what each gateway wants. It is the merchant's side, not the simulator's:
//! the simulator never uses it.
//!
//! This is also the worked example of wiring [`pasarela_core::webhook`] into
//! a std-only HTTP server: build the verifiers once, turn each request into
//! an `http::Request`, verify it, store the event idempotently, and write
//! back the `http::Response` the verifier returned.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use pasarela_core::MonnetKey;
use pasarela_core::crypto::Verifier;
use pasarela_core::http;
use pasarela_core::monnet::VerifiedNotification;
use pasarela_core::smilepayz::VerifiedCallback;
use pasarela_core::webhook::{MonnetWebhook, Reply, SmilepayzWebhook};

/// Path the SmilePayz callbacks are posted to.
pub const SMILEPAYZ_PATH: &str = "/smilepayz/callback";
/// Path the Monnet notifications are posted to.
pub const MONNET_PATH: &str = "/monnet/notification";

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 1024 * 1024;

/// What the merchant has seen.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Verified SmilePayz callbacks, once per authenticated `tradeNo`
    /// (never the unsigned `orderNo`). Their claims are unconfirmed.
    pub smilepayz: BTreeMap<String, VerifiedCallback>,
    /// Verified Monnet notifications, once per (operation number, state id).
    pub monnet: BTreeMap<(String, u32), VerifiedNotification>,
    /// Every delivery that verified, duplicates included.
    pub verified_deliveries: usize,
    /// Deliveries that did not verify.
    pub rejected_deliveries: usize,
}

/// How the endpoint behaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct MerchantOptions {
    /// Record the first delivery of each event, then answer it with HTTP 500
    /// as if the acknowledgement were lost: the gateway retries, so every
    /// event arrives (at least) twice. For idempotency tests.
    pub lose_first_ack: bool,
}

/// A handler of the endpoint's requests.
pub type Handler = dyn Fn(&http::Request<Vec<u8>>) -> http::Response<String> + Send + Sync;

/// A minimal HTTP/1.1 server on a free loopback port (std only, a thread
/// per connection, one request per connection) that hands each request to
/// a handler: what a demo or a test needs to receive webhooks without a
/// web framework. [`Merchant`] is one; `pasarela demo` gives it the
/// ledger's webhook handlers.
pub struct Endpoint {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Endpoint {
    /// Starts listening on a free loopback port; every request goes to
    /// `handler` (bodies up to 1 MiB, heads up to 64 KiB; anything else is
    /// answered 400).
    pub fn start(handler: Arc<Handler>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("merchant".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let handler = handler.clone();
                    let _ = std::thread::Builder::new()
                        .name("merchant-conn".into())
                        .spawn(move || serve(stream, &*handler));
                }
            })?;
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A running merchant endpoint that verifies and records what it receives.
pub struct Merchant {
    endpoint: Endpoint,
    ledger: Arc<Mutex<Ledger>>,
}

/// The verifiers, built once and shared by every connection.
struct Keys {
    smilepayz: SmilepayzWebhook,
    monnet: MonnetWebhook,
    options: MerchantOptions,
}

impl Merchant {
    /// Starts listening on a free loopback port.
    /// `monnet_merchant_id` is the merchant's Monnet id: notifications for
    /// any other are refused.
    pub fn start(
        platform: Arc<dyn Verifier + Send + Sync>,
        monnet: MonnetKey,
        monnet_merchant_id: impl Into<String>,
    ) -> std::io::Result<Self> {
        Self::start_with(
            platform,
            monnet,
            monnet_merchant_id,
            MerchantOptions::default(),
        )
    }

    /// Starts listening on a free loopback port, with options.
    pub fn start_with(
        platform: Arc<dyn Verifier + Send + Sync>,
        monnet: MonnetKey,
        monnet_merchant_id: impl Into<String>,
        options: MerchantOptions,
    ) -> std::io::Result<Self> {
        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let keys = Keys {
            smilepayz: SmilepayzWebhook::new(platform),
            monnet: MonnetWebhook::new(monnet, monnet_merchant_id),
            options,
        };
        let recording = ledger.clone();
        let endpoint = Endpoint::start(Arc::new(move |request: &http::Request<Vec<u8>>| {
            handle(request, &recording, &keys)
        }))?;
        Ok(Self { endpoint, ledger })
    }

    /// `http://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        self.endpoint.url(path)
    }

    /// Reads the ledger.
    pub fn with_ledger<R>(&self, f: impl FnOnce(&Ledger) -> R) -> R {
        f(&self.ledger.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

fn serve(stream: TcpStream, handler: &Handler) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let response = match read_request(&mut reader) {
        Ok(request) => handler(&request),
        Err(()) => Reply::new(400, "text/plain", "bad request").to_response(),
    };
    let mut stream = stream;
    let _ = write_response(&mut stream, &response);
    let _ = stream.flush();
}

/// Writes an `http::Response` as HTTP/1.1 (closing the connection).
fn write_response(out: &mut impl Write, response: &http::Response<String>) -> std::io::Result<()> {
    let status = response.status();
    write!(
        out,
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )?;
    for (name, value) in response.headers() {
        out.write_all(name.as_str().as_bytes())?;
        out.write_all(b": ")?;
        out.write_all(value.as_bytes())?;
        out.write_all(b"\r\n")?;
    }
    write!(
        out,
        "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        response.body().len(),
        response.body()
    )
}

/// Reads one request head and body into an `http::Request`.
fn read_request(reader: &mut impl BufRead) -> Result<http::Request<Vec<u8>>, ()> {
    let mut line = String::new();
    let mut head_len = 0;
    reader.read_line(&mut line).map_err(|_| ())?;
    let mut parts = line.split_whitespace();
    let method = parts.next().ok_or(())?.to_owned();
    let path = parts.next().ok_or(())?.to_owned();
    let mut builder = http::Request::builder().method(method.as_str()).uri(path);
    let mut length = 0;
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(|_| ())?;
        head_len += n;
        if n == 0 || head_len > MAX_HEAD {
            return Err(());
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':').ok_or(())?;
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().map_err(|_| ())?;
        }
        builder = builder.header(name, value);
    }
    if length > MAX_BODY {
        return Err(());
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(|_| ())?;
    builder.body(body).map_err(|_| ())
}

fn handle(
    request: &http::Request<Vec<u8>>,
    ledger: &Mutex<Ledger>,
    keys: &Keys,
) -> http::Response<String> {
    let mut ledger = ledger.lock().unwrap_or_else(PoisonError::into_inner);
    let outcome = match request.uri().path() {
        SMILEPAYZ_PATH => keys.smilepayz.verify_request(request).map(|verified| {
            // Idempotent on the authenticated tradeNo: a repeated
            // delivery (or a replay with edited, unsigned claims)
            // changes nothing.
            let trade_no = verified.event.authenticated().trade_no().to_owned();
            let first = !ledger.smilepayz.contains_key(&trade_no);
            let response = lost_ack(first, keys.options, verified.response());
            ledger.smilepayz.entry(trade_no).or_insert(verified.event);
            response
        }),
        MONNET_PATH => keys.monnet.verify_request(request).map(|verified| {
            let key = (
                verified.event.authenticated().operation_number().to_owned(),
                verified.event.claims().state.id(),
            );
            let first = !ledger.monnet.contains_key(&key);
            let response = lost_ack(first, keys.options, verified.response());
            ledger.monnet.entry(key).or_insert(verified.event);
            response
        }),
        _ => return Reply::new(404, "text/plain", "not found").to_response(),
    };
    match outcome {
        Ok(response) => {
            ledger.verified_deliveries += 1;
            response
        }
        Err(rejected) => {
            ledger.rejected_deliveries += 1;
            rejected.response()
        }
    }
}

/// The response to send: the acknowledgement, or a 500 for a first delivery
/// when the endpoint plays a lost acknowledgement.
fn lost_ack(
    first: bool,
    options: MerchantOptions,
    ack: http::Response<String>,
) -> http::Response<String> {
    if first && options.lose_first_ack {
        Reply::new(500, "text/plain", "acknowledgement lost").to_response()
    } else {
        ack
    }
}
