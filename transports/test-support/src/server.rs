//! A tiny loopback HTTP/1.1 server that misbehaves on purpose, for the
//! fault suite every transport runs.
//!
//! It listens on `127.0.0.1:0` and picks its behaviour from the request path:
//!
//! | path | behaviour |
//! |---|---|
//! | `/echo` | 200, body = the raw request bytes (head and body), fixed headers |
//! | `/status/<n>` | status `n`, body `status <n>` |
//! | `/redirect` | 302 to `/echo` |
//! | `/close` | reads the request, closes without answering |
//! | `/reset` | reads the request, resets the connection (RST) |
//! | `/truncate` | `Content-Length: 100`, sends 10 bytes, closes |
//! | `/slow` | `Content-Length: 1000`, one byte every 20 ms |
//! | `/hang` | reads the request, never answers |
//! | `/big/<n>` | 200 with an `n`-byte body |
//! | `/endless` | chunked body that never ends |
//! | `/bytes` | 200 with a body that is not UTF-8 |
//! | `/html` | 502 with an HTML body |
//! | `/text-json` | 200, `Content-Type: text/html`, a JSON gateway rejection |
//!
//! A path may carry a suffix (`/html/v2.0/transaction/pay-in`), so a client
//! whose base URL is `{server}/html` meets that behaviour on every call.
//! [`Server::start_reset_on_accept`] resets every connection as soon as it is
//! accepted, before a byte of the request is read. [`Server::start_silent`]
//! accepts and reads but never writes a byte: a TLS handshake with it never
//! completes, so an `https` call to it meets its connect timeout.
//!
//! Dropping the server stops it; misbehaving connections end within a few
//! seconds at worst, whatever the client does.

#![allow(clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Longest any misbehaving connection is kept alive (when the server is not
/// stopped first): far beyond every timeout the suites wait out, so that a
/// hang or a trickle is still going on when the client's timer fires, however
/// late a loaded machine fires it.
const CAP: Duration = Duration::from_secs(60);

/// The body `/bytes` answers: not UTF-8.
pub const NOT_UTF8: &[u8] = b"\xff\xfe\x00{\"a\":\xc3\x28}\x80";
/// The body `/html` answers.
pub const HTML: &str = "<html><body><h1>502 Bad Gateway</h1></body></html>";

/// The server; dropping it stops it.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accepted: Arc<std::sync::atomic::AtomicUsize>,
    paths: Arc<Mutex<Vec<String>>>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// A server that answers by path (see the module docs).
    pub fn start() -> Server {
        Self::start_with(Mode::Paths)
    }

    /// A server that resets (RST) every connection on accept, before reading.
    pub fn start_reset_on_accept() -> Server {
        Self::start_with(Mode::ResetOnAccept)
    }

    /// A server that accepts and reads, and never writes.
    pub fn start_silent() -> Server {
        Self::start_with(Mode::Silent)
    }

    fn start_with(mode: Mode) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let stop = Arc::new(AtomicBool::new(false));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let accept = {
            let stop = stop.clone();
            let paths = paths.clone();
            let accepted = accepted.clone();
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    accepted.fetch_add(1, Ordering::SeqCst);
                    let stop = stop.clone();
                    match mode {
                        Mode::ResetOnAccept => {
                            let _ = socket2::SockRef::from(&conn).set_linger(Some(Duration::ZERO));
                            drop(conn);
                        }
                        Mode::Silent => {
                            thread::spawn(move || silent(conn, &stop));
                        }
                        Mode::Paths => {
                            let paths = paths.clone();
                            thread::spawn(move || handle(conn, &stop, &paths));
                        }
                    }
                }
            })
        };
        Server {
            addr,
            stop,
            accepted,
            paths,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `https://127.0.0.1:<port><path>` (for the silent server).
    pub fn https_url(&self, path: &str) -> String {
        format!("https://{}{}", self.addr, path)
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// The paths requested so far, in order.
    pub fn paths(&self) -> Vec<String> {
        self.paths.lock().expect("paths").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// A port nothing listens on: bound, then released.
pub fn dead_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("local addr").port()
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Paths,
    ResetOnAccept,
    Silent,
}

/// Reads whatever comes (a ClientHello, a request) and never answers.
fn silent(mut conn: TcpStream, stop: &AtomicBool) {
    let started = Instant::now();
    let _ = conn.set_read_timeout(Some(Duration::from_millis(50)));
    let mut buf = [0u8; 4096];
    while started.elapsed() < CAP && !stop.load(Ordering::SeqCst) {
        match conn.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

struct Request {
    path: String,
    raw: Vec<u8>,
}

/// Reads one request (head and `Content-Length` body); `None` at EOF.
fn read_request(conn: &mut TcpStream) -> Option<Request> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = find(&raw, b"\r\n\r\n") {
            break i + 4;
        }
        let n = conn.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while raw.len() < head_end + length {
        let n = conn.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    Some(Request { path, raw })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn respond(conn: &mut TcpStream, status: u16, headers: &[(&str, &str)], body: &[u8]) -> bool {
    let mut out = format!("HTTP/1.1 {status} X\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    conn.write_all(&bytes).is_ok()
}

/// Sleeps in small steps until `deadline` or until the server stops.
fn wait(stop: &AtomicBool, deadline: Instant) {
    while Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
        thread::sleep(Duration::from_millis(10));
    }
}

fn handle(mut conn: TcpStream, stop: &AtomicBool, paths: &Mutex<Vec<String>>) {
    let started = Instant::now();
    let _ = conn.set_read_timeout(Some(CAP));
    let _ = conn.set_write_timeout(Some(CAP));
    // Keep-alive: serve requests on this connection until it closes or a
    // misbehaving path ends it.
    while let Some(req) = read_request(&mut conn) {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        paths.lock().expect("paths").push(req.path.clone());
        // The first segment picks the behaviour; the rest may be an API path.
        let route = match req.path.get(1..).and_then(|p| p.split('/').next()) {
            Some(first) if !first.is_empty() => format!("/{first}"),
            _ => req.path.clone(),
        };
        let path = req.path.as_str();
        let keep_going = match route.as_str() {
            "/text-json" => respond(
                &mut conn,
                200,
                &[("Content-Type", "text/html")],
                br#"{"code":"05","message":"Malformed body"}"#,
            ),
            "/echo" => respond(
                &mut conn,
                200,
                &[
                    ("Content-Type", "application/octet-stream"),
                    ("X-First", "1"),
                    ("X-MiXeD-Case", "Value With Spaces"),
                    ("Set-Cookie", "a=1"),
                    ("X-Last", "z"),
                    ("Set-Cookie", "b=2"),
                ],
                &req.raw,
            ),
            "/redirect" => respond(&mut conn, 302, &[("Location", "/echo")], b"moved"),
            "/bytes" => respond(
                &mut conn,
                200,
                &[("Content-Type", "application/octet-stream")],
                NOT_UTF8,
            ),
            "/html" => respond(
                &mut conn,
                502,
                &[("Content-Type", "text/html; charset=utf-8")],
                HTML.as_bytes(),
            ),
            "/close" => {
                let _ = conn.shutdown(Shutdown::Both);
                return;
            }
            "/reset" => {
                let _ = socket2::SockRef::from(&conn).set_linger(Some(Duration::ZERO));
                return; // dropping with linger 0 sends RST
            }
            "/truncate" => {
                let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
                let _ = conn.flush();
                thread::sleep(Duration::from_millis(20));
                let _ = conn.shutdown(Shutdown::Both);
                return;
            }
            "/slow" => {
                if conn
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
                    .is_err()
                {
                    return;
                }
                while started.elapsed() < CAP && !stop.load(Ordering::SeqCst) {
                    if conn.write_all(b"x").is_err() {
                        return;
                    }
                    thread::sleep(Duration::from_millis(20));
                }
                return;
            }
            "/hang" => {
                wait(stop, started + CAP);
                return;
            }
            "/endless" => {
                if conn
                    .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .is_err()
                {
                    return;
                }
                let chunk = format!("400\r\n{}\r\n", "y".repeat(1024));
                while started.elapsed() < CAP && !stop.load(Ordering::SeqCst) {
                    if conn.write_all(chunk.as_bytes()).is_err() {
                        return;
                    }
                }
                return;
            }
            _ => {
                if let Some(code) = path.strip_prefix("/status/") {
                    let code: u16 = code.parse().unwrap_or(500);
                    respond(&mut conn, code, &[], format!("status {code}").as_bytes())
                } else if let Some(n) = path.strip_prefix("/big/") {
                    let n: usize = n.parse().unwrap_or(0);
                    respond(&mut conn, 200, &[], &vec![b'a'; n])
                } else {
                    respond(&mut conn, 404, &[], b"no such path")
                }
            }
        };
        if !keep_going {
            return;
        }
    }
}
