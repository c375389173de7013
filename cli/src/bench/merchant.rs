//! The merchant's callback endpoint of the load rows: HTTP/1.1 on hyper, on
//! a loopback port, on a tokio runtime of its own. It verifies each
//! SmilePayz callback and Monnet notification with the core's webhook
//! helpers, hands it to the [`MerchantRecord`], keeps the first delivery of
//! each event (by its authenticated key) and counts the rest, so that a run
//! can check that every callback was recorded exactly once.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use pasarela_core::MonnetKey;
use pasarela_core::crypto::Verifier;
use pasarela_core::monnet::VerifiedNotification;
use pasarela_core::smilepayz::VerifiedCallback;
use pasarela_core::webhook::{MonnetWebhook, Reply, SmilepayzWebhook};
use tokio::net::TcpListener;

use super::record::{Event, MerchantRecord};

/// Path the SmilePayz callbacks are posted to.
pub(super) const SMILEPAYZ_PATH: &str = "/smilepayz/callback";
/// Path the Monnet notifications are posted to.
pub(super) const MONNET_PATH: &str = "/monnet/notification";
/// Largest callback body read.
const MAX_BODY: usize = 64 * 1024;

/// What the endpoint has seen.
#[derive(Default)]
pub(super) struct Seen {
    smilepayz: Mutex<HashMap<String, VerifiedCallback>>,
    monnet: Mutex<HashMap<(String, u32), VerifiedNotification>>,
    /// Deliveries that verified and were recorded (duplicates included).
    pub(super) verified: AtomicUsize,
    /// Deliveries of an event already recorded.
    pub(super) duplicates: AtomicUsize,
    /// Deliveries that did not verify, or whose recording failed.
    pub(super) rejected: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Seen {
    /// The verified callback for an authenticated `tradeNo`.
    pub(super) fn callback(&self, trade_no: &str) -> Option<VerifiedCallback> {
        lock(&self.smilepayz).get(trade_no).cloned()
    }

    /// The verified notification for an operation number and state id.
    pub(super) fn notification(&self, operation: &str, state: u32) -> Option<VerifiedNotification> {
        lock(&self.monnet)
            .get(&(operation.to_owned(), state))
            .cloned()
    }

    /// Distinct events recorded: SmilePayz callbacks and Monnet notifications.
    pub(super) fn recorded(&self) -> (usize, usize) {
        (lock(&self.smilepayz).len(), lock(&self.monnet).len())
    }
}

/// The verifiers and the record, shared by every connection.
struct Handler {
    smilepayz: SmilepayzWebhook,
    monnet: MonnetWebhook,
    record: Arc<dyn MerchantRecord>,
    seen: Arc<Seen>,
}

/// A running endpoint; dropping it stops it.
pub(super) struct Endpoint {
    addr: SocketAddr,
    seen: Arc<Seen>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Endpoint {
    /// Starts listening on a free loopback port with `threads` workers.
    pub(super) fn start(
        platform: Arc<dyn Verifier + Send + Sync>,
        monnet_key: MonnetKey,
        monnet_merchant_id: String,
        record: Arc<dyn MerchantRecord>,
        threads: usize,
    ) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("bench-merchant")
            .enable_all()
            .build()?;
        let listener = runtime.block_on(TcpListener::bind(super::sim::loopback()))?;
        let addr = listener.local_addr()?;
        let seen = Arc::new(Seen::default());
        let handler = Arc::new(Handler {
            smilepayz: SmilepayzWebhook::new(platform),
            monnet: MonnetWebhook::new(monnet_key, monnet_merchant_id),
            record,
            seen: seen.clone(),
        });
        runtime.spawn(accept(listener, handler));
        Ok(Self {
            addr,
            seen,
            runtime: Some(runtime),
        })
    }

    /// `http://127.0.0.1:port{path}`.
    pub(super) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What it has seen.
    pub(super) fn seen(&self) -> &Arc<Seen> {
        &self.seen
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn accept(listener: TcpListener, handler: Arc<Handler>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors or similar: try again shortly.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let handler = handler.clone();
                async move { Ok::<_, std::convert::Infallible>(handler.serve(request).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

impl Handler {
    async fn serve(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let Ok(body) = Limited::new(body, MAX_BODY).collect().await else {
            return Reply::new(400, "text/plain", "body unreadable or too large").to_response();
        };
        let body = body.to_bytes();
        let now = time::OffsetDateTime::now_utc();
        match parts.uri.path() {
            SMILEPAYZ_PATH => match self.smilepayz.verify_parts_at(&parts, &body, now) {
                Ok(verified) => {
                    self.keep(Event::SmilePayz(&verified.event), verified.response(), {
                        let trade_no = verified.event.authenticated().trade_no().to_owned();
                        let event = verified.event.clone();
                        move |seen: &Seen| first(&mut lock(&seen.smilepayz), trade_no, event)
                    })
                    .await
                }
                Err(rejected) => self.refuse(rejected.response()),
            },
            MONNET_PATH => match self.monnet.verify_parts(&parts, &body) {
                Ok(verified) => {
                    self.keep(Event::Monnet(&verified.event), verified.response(), {
                        let key = (
                            verified.event.authenticated().operation_number().to_owned(),
                            verified.event.claims().state.id(),
                        );
                        let event = verified.event.clone();
                        move |seen: &Seen| first(&mut lock(&seen.monnet), key, event)
                    })
                    .await
                }
                Err(rejected) => self.refuse(rejected.response()),
            },
            _ => Reply::new(404, "text/plain", "not found").to_response(),
        }
    }

    /// Counts a refused delivery and returns the refusal.
    fn refuse(&self, refusal: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
        self.seen.rejected.fetch_add(1, Ordering::Relaxed);
        refusal
    }

    /// Records a verified event (the record first, then the endpoint's own
    /// map, idempotently) and returns the acknowledgement, or a `500` when
    /// the record failed (the gateway delivers again).
    async fn keep(
        &self,
        event: Event<'_>,
        ack: Response<Full<Bytes>>,
        insert: impl FnOnce(&Seen) -> bool,
    ) -> Response<Full<Bytes>> {
        if self.record.on_verified_callback(event).await.is_err() {
            return self.refuse(
                Reply::new(500, "text/plain", "not recorded, deliver again").to_response(),
            );
        }
        self.seen.verified.fetch_add(1, Ordering::Relaxed);
        if !insert(&self.seen) {
            self.seen.duplicates.fetch_add(1, Ordering::Relaxed);
        }
        ack
    }
}

/// Inserts `value` under `key` unless present; whether it was the first.
fn first<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, value: V) -> bool {
    match map.entry(key) {
        std::collections::hash_map::Entry::Occupied(_) => false,
        std::collections::hash_map::Entry::Vacant(slot) => {
            slot.insert(value);
            true
        }
    }
}
