//! Shared helpers: simulators with fast settings, an HTTP client (the SDK's
//! own ureq transport), signed and tampered requests, a scripted merchant
//! endpoint that records callbacks.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pasarela_core::crypto::{Backend, PrivateKey};
use pasarela_core::http::Method;
use pasarela_core::smilepayz::{self, format_timestamp, sign_request};
use pasarela_core::transport::BlockingTransport;
use pasarela_core::{MerchantSecret, MonnetKey, PreparedRequest, RawResponse, monnet};
use pasarela_simulator::{Credentials, LoopbackServer, RetryPolicy, Simulator, SimulatorConfig};
use pasarela_ureq::{TransportConfig, TransportError, UreqTransport};
use serde_json::Value;
use time::OffsetDateTime;

/// Fast retries and a short slow-trigger delay, so tests stay quick.
pub fn fast_config() -> SimulatorConfig {
    SimulatorConfig::default()
        .with_retry(RetryPolicy {
            max_attempts: 3,
            initial_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(10),
            attempt_timeout: Duration::from_secs(2),
        })
        .with_slow_delay(Duration::from_millis(600))
}

pub fn simulator() -> Simulator {
    Simulator::new(fast_config()).unwrap()
}

pub fn server() -> LoopbackServer {
    LoopbackServer::start(simulator(), "127.0.0.1:0".parse().unwrap()).unwrap()
}

pub fn http() -> UreqTransport {
    UreqTransport::with_config(TransportConfig::new().timeout(Duration::from_secs(5)))
}

pub fn send(request: PreparedRequest) -> RawResponse {
    http().send(request).unwrap()
}

pub fn try_send(
    request: PreparedRequest,
    timeout: Duration,
) -> Result<RawResponse, TransportError> {
    UreqTransport::with_config(TransportConfig::new().timeout(timeout)).send(request)
}

pub fn json(response: &RawResponse) -> Value {
    serde_json::from_slice(&response.body).unwrap_or(Value::Null)
}

/// `GET base + path`.
pub fn get(base: &str, path: &str) -> RawResponse {
    send(PreparedRequest::new(
        Method::GET,
        format!("{base}{path}").parse().unwrap(),
        vec![],
        vec![],
    ))
}

/// `POST base + path` with a JSON body.
pub fn post_json(base: &str, path: &str, body: &Value) -> RawResponse {
    send(PreparedRequest::new(
        Method::POST,
        format!("{base}{path}").parse().unwrap(),
        vec![("Content-Type".into(), "application/json".into())],
        serde_json::to_vec(body).unwrap(),
    ))
}

pub fn smilepayz_config(creds: &Credentials) -> smilepayz::Config {
    let key = PrivateKey::load(creds.smilepayz.merchant_private_key.as_deref().unwrap()).unwrap();
    smilepayz::Config::new(
        creds.smilepayz.merchant_id.clone(),
        MerchantSecret::new(creds.smilepayz.merchant_secret.as_str()),
        Backend::default().signer(&key).unwrap(),
        smilepayz::Environment::Custom(creds.smilepayz.base_url.parse().unwrap()),
    )
    .unwrap()
}

pub fn monnet_config(creds: &Credentials) -> monnet::Config {
    let base = creds.monnet.proxy_url.split("/v1/push/").next().unwrap();
    monnet::Config::new(
        creds.monnet.merchant_id.clone(),
        MonnetKey::new(creds.monnet.key_monnet.as_str()),
        monnet::Environment::Custom(base.parse().unwrap()),
    )
    .unwrap()
}

/// A pay-in with a callback URL, built by hand (with `payer.name`, which
/// the gateway requires) and signed now.
pub fn pay_in(
    creds: &Credentials,
    order_no: &str,
    amount: u64,
    callback: Option<&str>,
) -> PreparedRequest {
    let mut body = super::raw::pay_in_body(&creds.smilepayz.merchant_id, order_no, amount);
    if let Some(url) = callback {
        body["callbackUrl"] = Value::String(url.to_owned());
    }
    let bytes = serde_json::to_vec(&body).unwrap();
    super::raw::smilepayz(
        creds,
        smilepayz::PAY_IN_PATH,
        &bytes,
        &super::raw::peru_now(),
    )
}

/// Any body, signed the SmilePayz way at `at`, posted to `path`.
pub fn signed(creds: &Credentials, path: &str, body: &[u8], at: OffsetDateTime) -> PreparedRequest {
    let key = PrivateKey::load(creds.smilepayz.merchant_private_key.as_deref().unwrap()).unwrap();
    let signer = Backend::default().signer(&key).unwrap();
    let timestamp = format_timestamp(at);
    let secret = MerchantSecret::new(creds.smilepayz.merchant_secret.as_str());
    let signature = sign_request(&*signer, &timestamp, &secret, body).unwrap();
    PreparedRequest::new(
        Method::POST,
        format!("{}{path}", creds.smilepayz.base_url)
            .parse()
            .unwrap(),
        vec![
            ("Content-Type".into(), "application/json".into()),
            ("X-TIMESTAMP".into(), timestamp),
            ("X-SIGNATURE".into(), signature),
            ("X-PARTNER-ID".into(), creds.smilepayz.merchant_id.clone()),
        ],
        body.to_vec(),
    )
}

/// The same request with header `name` set to `value`, or removed.
pub fn with_header(request: &PreparedRequest, name: &str, value: Option<&str>) -> PreparedRequest {
    let mut headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    if let Some(v) = value {
        headers.push((name.to_owned(), v.to_owned()));
    }
    PreparedRequest::new(
        request.method().clone(),
        request.url().clone(),
        headers,
        request.body().to_vec(),
    )
}

/// The same request with another body (headers untouched).
pub fn with_body(request: &PreparedRequest, body: Vec<u8>) -> PreparedRequest {
    PreparedRequest::new(
        request.method().clone(),
        request.url().clone(),
        request.headers().to_vec(),
        body,
    )
}

/// A SmilePayz answer's `code`.
pub fn code(response: &RawResponse) -> String {
    json(response)["code"]
        .as_str()
        .unwrap_or("<none>")
        .to_owned()
}

/// A Monnet answer's `payinErrorCode`.
pub fn monnet_code(response: &RawResponse) -> String {
    json(response)["payinErrorCode"]
        .as_str()
        .unwrap_or("<none>")
        .to_owned()
}

/// A connection to `to` from the loopback address `from` (all of
/// 127.0.0.0/8 is loopback on Linux): a second client address.
pub fn connect_from(
    from: std::net::Ipv4Addr,
    to: std::net::SocketAddr,
) -> std::io::Result<TcpStream> {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    });
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(std::net::SocketAddr::from((from, 0)))?;
        socket.connect(to).await?.into_std()
    })?;
    stream.set_nonblocking(false)?;
    Ok(stream)
}

/// A unique order number for this test run.
pub fn order_no(prefix: &str) -> String {
    use std::sync::atomic::AtomicU64;
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{prefix}{:06}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// One request the merchant endpoint received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A merchant's callback endpoint on loopback that answers from a script
/// (the last answer repeats) and records what it receives.
pub struct MerchantEndpoint {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl MerchantEndpoint {
    pub fn start(script: &[(u16, &'static str)]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let script = script.to_vec();
        let (seen2, stop2) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let index = seen2.lock().unwrap().len();
                let (status, body) = script[index.min(script.len() - 1)];
                if let Some(request) = read_request(&stream) {
                    seen2.lock().unwrap().push(request);
                    let _ = respond(stream, status, body);
                }
            }
        });
        Self {
            url: format!("http://{addr}/merchant/callback"),
            seen,
            stop,
            addr,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for MerchantEndpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn read_request(stream: &TcpStream) -> Option<Seen> {
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let (_request_line, headers, body) = read_http_request(&mut BufReader::new(stream))?;
    Some(Seen { headers, body })
}

/// A request as a test server read it: request line, headers, body.
pub type HttpRequest = (String, Vec<(String, String)>, Vec<u8>);

/// Reads one HTTP/1.1 request as a test server receives it: the request
/// line, the headers (trimmed) and a `Content-Length` body. `None` on EOF,
/// a timeout or a malformed head.
pub fn read_http_request(reader: &mut impl BufRead) -> Option<HttpRequest> {
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut headers = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (n, v) = trimmed.split_once(':')?;
        headers.push((n.trim().to_owned(), v.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((request_line, headers, body))
}

fn respond(mut stream: TcpStream, status: u16, body: &str) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

/// A complete Monnet create, built by hand (every field of the seed's table,
/// the may-be-empty ones as ""), hashed with the simulator's KeyMonnet.
pub fn monnet_create(creds: &Credentials, operation: &str, amount_cents: u64) -> PreparedRequest {
    let amount = format!("{}.{:02}", amount_cents / 100, amount_cents % 100);
    super::raw::monnet(creds, &super::raw::monnet_body(creds, operation, &amount))
}
