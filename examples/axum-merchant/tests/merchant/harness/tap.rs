//! The tap: a proxy between the merchants and the simulator's gateway
//! endpoints that counts, per order number, the creates and the status
//! calls that reached the gateway, and the duplicate-order refusals the
//! gateway answered.
//!
//! The merchants take their credentials from the tap's
//! `/_simulator/credentials`, whose base URL the tap rewrites to its own:
//! every gateway call then goes through it. A request is counted once the
//! tap has read it, and forwarded even if its sender died meanwhile (it
//! left the merchant: the gateway gets it). When the simulator drops the
//! connection (the 40006 trigger), the tap drops the merchant's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde_json::Value;

use super::serve::{self, Request, Server};

/// What reached the gateway.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    /// Creates per order number.
    pub creates: HashMap<String, u32>,
    /// Status calls per order number.
    pub statuses: HashMap<String, u32>,
    /// Status calls per second (Unix time), per gateway.
    pub statuses_per_second: HashMap<(&'static str, i64), u32>,
    /// Order numbers the gateway refused as duplicates (SmilePayz `07`,
    /// Monnet `0093`).
    pub duplicate_refusals: Vec<String>,
    /// Answers the gateway dropped (no answer at all).
    pub dropped: u32,
}

impl Calls {
    /// The most creates any order number got.
    pub fn max_creates(&self) -> u32 {
        self.creates.values().copied().max().unwrap_or(0)
    }

    /// The most status calls any order number got.
    pub fn max_statuses(&self) -> u32 {
        self.statuses.values().copied().max().unwrap_or(0)
    }

    /// All status calls.
    pub fn total_statuses(&self) -> u32 {
        self.statuses.values().sum()
    }

    /// The most status calls of one gateway in one second.
    pub fn peak_status_rate(&self) -> u32 {
        self.statuses_per_second
            .values()
            .copied()
            .max()
            .unwrap_or(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Create,
    Status,
}

/// What a gateway request is, and about which order number.
fn classify(request: &Request) -> Option<(Kind, &'static str, String)> {
    let path = request.path.split('?').next().unwrap_or_default();
    let (kind, gateway, field) = if path == pasarela_core::smilepayz::PAY_IN_PATH {
        (Kind::Create, "smilepayz", "orderNo")
    } else if path == "/v2.0/inquiry-status" {
        (Kind::Status, "smilepayz", "orderNo")
    } else if path.starts_with("/v1/push/") {
        (Kind::Create, "monnet", "payinMerchantOperationNumber")
    } else if path.starts_with("/ms-experience-payin/merchant/") {
        (Kind::Status, "monnet", "payinMerchantOperationNumber")
    } else {
        return None;
    };
    let body: Value = serde_json::from_slice(&request.body).ok()?;
    let order = body.get(field)?.as_str()?.to_owned();
    Some((kind, gateway, order))
}

/// Whether a create's answer is a duplicate-order refusal.
fn refused_as_duplicate(body: &[u8]) -> bool {
    let Ok(answer) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    answer["code"] == "07" || answer["payinErrorCode"] == "0093"
}

/// The tap, on a loopback port of its own.
pub struct Tap {
    server: Server,
    calls: Arc<Mutex<Calls>>,
}

impl Tap {
    /// Starts a tap in front of the simulator at `simulator` (`http://ADDR`).
    pub async fn start(simulator: String) -> Self {
        let calls = Arc::new(Mutex::new(Calls::default()));
        let counted = calls.clone();
        let client = serve::client();
        let server = Server::start(move |addr| {
            let own = format!("http://{addr}");
            move |request: Request| {
                let (client, simulator, own, calls) = (
                    client.clone(),
                    simulator.clone(),
                    own.clone(),
                    counted.clone(),
                );
                async move {
                    let call = classify(&request);
                    if let Some((kind, gateway, order)) = &call {
                        let mut calls = calls.lock().unwrap();
                        match kind {
                            Kind::Create => *calls.creates.entry(order.clone()).or_default() += 1,
                            Kind::Status => {
                                *calls.statuses.entry(order.clone()).or_default() += 1;
                                let second = time::OffsetDateTime::now_utc().unix_timestamp();
                                *calls
                                    .statuses_per_second
                                    .entry((gateway, second))
                                    .or_default() += 1;
                            }
                        }
                    }
                    let Ok(mut answer) = serve::forward(&client, &simulator, &request).await else {
                        calls.lock().unwrap().dropped += 1;
                        return None;
                    };
                    match &call {
                        Some((Kind::Create, _, order)) if refused_as_duplicate(answer.body()) => {
                            calls.lock().unwrap().duplicate_refusals.push(order.clone());
                        }
                        None if request.path.starts_with("/_simulator/credentials") => {
                            let text =
                                String::from_utf8_lossy(answer.body()).replace(&simulator, &own);
                            *answer.body_mut() = Bytes::from(text);
                        }
                        _ => {}
                    }
                    Some(answer)
                }
            }
        })
        .await;
        Self { server, calls }
    }

    /// `http://ADDR`: the merchants' `--simulator-url`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// What reached the gateway so far.
    pub fn calls(&self) -> Calls {
        self.calls.lock().unwrap().clone()
    }
}
