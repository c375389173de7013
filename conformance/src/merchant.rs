//! A merchant endpoint for demos and tests: a minimal HTTP server (std only)
//! that receives the gateways' callbacks, verifies them with the core's webhook helpers, records
//! each event once (deliveries are retried, so duplicates are expected) and
//! answers exactly what each gateway wants.
//!
//! This is also the worked example of wiring [`pasarela_core::webhook`] into
//! an HTTP server: read headers and body, call the helper, store the event
//! idempotently, send the returned reply.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use pasarela_core::MonnetKey;
use pasarela_core::crypto::Verifier;
use pasarela_core::monnet::VerifiedNotification;
use pasarela_core::smilepayz::Callback;
use pasarela_core::webhook::{self, Reply};

/// Path the SmilePayz callbacks are posted to.
pub const SMILEPAYZ_PATH: &str = "/smilepayz/callback";
/// Path the Monnet notifications are posted to.
pub const MONNET_PATH: &str = "/monnet/notification";

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 1024 * 1024;

/// What the merchant has seen.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Verified SmilePayz callbacks, once per `tradeNo`.
    pub smilepayz: BTreeMap<String, Callback>,
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

/// A running merchant endpoint.
pub struct Merchant {
    addr: SocketAddr,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

struct Keys {
    platform: Arc<dyn Verifier + Send + Sync>,
    monnet: MonnetKey,
    monnet_merchant_id: String,
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
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let keys = Arc::new(Keys {
            platform,
            monnet,
            monnet_merchant_id: monnet_merchant_id.into(),
            options,
        });
        let (l2, s2) = (ledger.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("merchant".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if s2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (ledger, keys) = (l2.clone(), keys.clone());
                    let _ = std::thread::Builder::new()
                        .name("merchant-conn".into())
                        .spawn(move || serve(stream, &ledger, &keys));
                }
            })?;
        Ok(Self {
            addr,
            ledger,
            stop,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Reads the ledger.
    pub fn with_ledger<R>(&self, f: impl FnOnce(&Ledger) -> R) -> R {
        f(&self.ledger.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Drop for Merchant {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(stream: TcpStream, ledger: &Mutex<Ledger>, keys: &Keys) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let reply = match read_request(&mut reader) {
        Ok((path, headers, body)) => handle(&path, &headers, &body, ledger, keys),
        Err(_) => Reply {
            status: 400,
            content_type: "text/plain",
            body: "bad request",
        },
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        reply.status,
        if reply.status == 200 { "OK" } else { "Error" },
        reply.content_type,
        reply.body.len(),
        reply.body
    );
    let _ = stream.flush();
}

type Head = (String, Vec<(String, String)>, Vec<u8>);

fn read_request(reader: &mut impl BufRead) -> Result<Head, ()> {
    let mut line = String::new();
    let mut head_len = 0;
    reader.read_line(&mut line).map_err(|_| ())?;
    let path = line.split_whitespace().nth(1).ok_or(())?.to_owned();
    let mut headers = Vec::new();
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
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    if length > MAX_BODY {
        return Err(());
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(|_| ())?;
    Ok((path, headers, body))
}

fn handle(
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
    ledger: &Mutex<Ledger>,
    keys: &Keys,
) -> Reply {
    let mut ledger = ledger.lock().unwrap_or_else(PoisonError::into_inner);
    let outcome = match path {
        SMILEPAYZ_PATH => webhook::smilepayz_callback(
            headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            body,
            &*keys.platform,
            time::OffsetDateTime::now_utc(),
        )
        .map(|verified| {
            // Idempotent on tradeNo: a repeated delivery changes nothing.
            let first = !ledger.smilepayz.contains_key(&verified.event.trade_no);
            ledger
                .smilepayz
                .entry(verified.event.trade_no.clone())
                .or_insert(verified.event);
            lost_ack(first, keys.options, verified.reply)
        }),
        MONNET_PATH => webhook::monnet_notification(body, &keys.monnet, &keys.monnet_merchant_id)
            .map(|verified| {
                let key = (
                    verified.event.authenticated().operation_number().to_owned(),
                    verified.event.claims().state.id(),
                );
                let first = !ledger.monnet.contains_key(&key);
                ledger.monnet.entry(key).or_insert(verified.event);
                lost_ack(first, keys.options, verified.reply)
            }),
        _ => {
            return Reply {
                status: 404,
                content_type: "text/plain",
                body: "not found",
            };
        }
    };
    match outcome {
        Ok(reply) => {
            ledger.verified_deliveries += 1;
            reply
        }
        Err(rejected) => {
            ledger.rejected_deliveries += 1;
            rejected.reply
        }
    }
}

/// The reply to send: the acknowledgement, or a 500 for a first delivery when
/// the endpoint plays a lost acknowledgement.
fn lost_ack(first: bool, options: MerchantOptions, reply: Reply) -> Reply {
    if first && options.lose_first_ack {
        Reply {
            status: 500,
            content_type: "text/plain",
            body: "acknowledgement lost",
        }
    } else {
        reply
    }
}
