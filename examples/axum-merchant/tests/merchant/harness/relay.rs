//! The relay: a proxy between the simulator's callbacks and notifications
//! and the merchants. Its port stays while merchants die and restart (the
//! merchants' `--public-url` points at it). It forwards each delivery to
//! the merchants alive now; while none is, it answers `503` (the simulator
//! retries a few times, then gives up: a lost callback, which only the
//! sweeper can make up for).
//!
//! - [`Mode::Repeat`]: one merchant at a time (the crash test); some
//!   deliveries are forwarded twice, one after the other.
//! - [`Mode::FanOut`]: a fleet (the fleet test); every delivery goes to
//!   two different merchants at once.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::Rng;
use super::serve::{self, Request, Response, Server};

/// How deliveries are forwarded.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// To the one merchant; twice with this probability.
    Repeat(f64),
    /// To two different merchants at once.
    FanOut,
}

/// What the relay did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Relayed {
    /// Deliveries received from the simulator (its retries included).
    pub received: u64,
    /// Forwarded to a merchant (each copy counts).
    pub forwarded: u64,
    /// Extra copies sent (a repeat, or the second of a fan-out).
    pub duplicated: u64,
    /// Deliveries two different merchants both acknowledged.
    pub acknowledged_by_two: u64,
    /// Answered `503`: no merchant alive, or none answered.
    pub unavailable: u64,
}

#[derive(Default)]
struct Counters {
    received: AtomicU64,
    forwarded: AtomicU64,
    duplicated: AtomicU64,
    acknowledged_by_two: AtomicU64,
    unavailable: AtomicU64,
    turn: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// The relay, on a loopback port of its own.
pub struct Relay {
    server: Server,
    targets: Arc<Mutex<Vec<SocketAddr>>>,
    counters: Arc<Counters>,
}

fn acknowledged(answer: &Result<Response, reqwest::Error>) -> bool {
    answer.as_ref().is_ok_and(|a| a.status() == 200)
}

impl Relay {
    /// Starts a relay forwarding as `mode` says.
    pub async fn start(mode: Mode) -> Self {
        let targets: Arc<Mutex<Vec<SocketAddr>>> = Arc::default();
        let counters: Arc<Counters> = Arc::default();
        let rng = Arc::new(Rng::seeded());
        let client = serve::client();
        let (t, c) = (targets.clone(), counters.clone());
        let server = Server::start(move |_| {
            move |request: Request| {
                let (targets, counters, rng, client) =
                    (t.clone(), c.clone(), rng.clone(), client.clone());
                async move {
                    bump(&counters.received);
                    let alive = targets.lock().unwrap().clone();
                    if alive.is_empty() {
                        bump(&counters.unavailable);
                        return Some(serve::reply(503, "no merchant is up"));
                    }
                    let turn = counters.turn.fetch_add(1, Ordering::Relaxed) as usize;
                    let first = format!("http://{}", alive[turn % alive.len()]);
                    let answer = match mode {
                        Mode::Repeat(chance) => {
                            bump(&counters.forwarded);
                            let answer = serve::forward(&client, &first, &request).await;
                            if rng.chance(chance) {
                                bump(&counters.forwarded);
                                bump(&counters.duplicated);
                                let _ = serve::forward(&client, &first, &request).await;
                            }
                            answer
                        }
                        Mode::FanOut => {
                            assert!(alive.len() >= 2, "a fan-out needs two merchants");
                            let second = format!("http://{}", alive[(turn + 1) % alive.len()]);
                            counters.forwarded.fetch_add(2, Ordering::Relaxed);
                            bump(&counters.duplicated);
                            let (one, two) = tokio::join!(
                                serve::forward(&client, &first, &request),
                                serve::forward(&client, &second, &request)
                            );
                            if acknowledged(&one) && acknowledged(&two) {
                                bump(&counters.acknowledged_by_two);
                            }
                            if acknowledged(&one) { one } else { two }
                        }
                    };
                    match answer {
                        Ok(answer) => Some(answer),
                        Err(_) => {
                            bump(&counters.unavailable);
                            Some(serve::reply(503, "the merchant did not answer"))
                        }
                    }
                }
            }
        })
        .await;
        Self {
            server,
            targets,
            counters,
        }
    }

    /// `http://ADDR`: the merchants' `--public-url`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Forwards to these merchants from now on (none: answers `503`).
    pub fn route_to(&self, merchants: &[SocketAddr]) {
        *self.targets.lock().unwrap() = merchants.to_vec();
    }

    /// What the relay did so far.
    pub fn relayed(&self) -> Relayed {
        let c = &self.counters;
        let read = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Relayed {
            received: read(&c.received),
            forwarded: read(&c.forwarded),
            duplicated: read(&c.duplicated),
            acknowledged_by_two: read(&c.acknowledged_by_two),
            unavailable: read(&c.unavailable),
        }
    }
}
