//! The crash test (issue 16, part 7): the merchant binary, on one SQLite
//! file, is killed over and over while shoppers check out, the gateway
//! settles payments and forgers post callbacks — with `SIGKILL` at random
//! times, and at the ledger's crash probes (`MERCHANT_CRASH_POINTS`: every
//! point a little; every other round, one point more, turn by turn). The simulator meanwhile
//! drops answers after creating (40006), answers after the merchant gave
//! up waiting (40005), declines, fails; the relay repeats callbacks and
//! answers `503` while no merchant is up, so some callbacks are lost for
//! good. A last instance then runs until everything is at rest, and the
//! books are checked ([`books::check`]).
//!
//! Size: `PASARELA_CRASH_ROUNDS` (default 12, for CI; the full size is 50:
//! `PASARELA_CRASH_ROUNDS=50 cargo test -p pasarela-axum-merchant
//! --all-features --test merchant crash -- --nocapture`).

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pasarela_ledger::State;
use pasarela_simulator::{LoopbackServer, RetryPolicy, SimulatorConfig};

use crate::harness::books;
use crate::harness::merchant::{CRASH_POINT_EXIT, Merchant, Spec, tail};
use crate::harness::relay::{Mode, Relay};
use crate::harness::shopper::{self, Forger, Pay};
use crate::harness::tap::Tap;
use crate::harness::{Rng, TempDir, open_ledger, simulator, size};

/// The ledger's crash probes (`Ledger::with_crash_probe`).
const POINTS: [&str; 6] = [
    "checkout.intent_recorded",
    "checkout.create_answered",
    "webhook.stored",
    "status.leased",
    "status.answered",
    "outcome.acting",
];

/// The slow answer (40005) comes after this; the merchant gives up
/// waiting after `GATEWAY_TIMEOUT_SECS`.
const SLOW: Duration = Duration::from_secs(8);
const GATEWAY_TIMEOUT_SECS: u64 = 3;

/// How long the last instance may take to bring everything to rest:
/// generous (leases of 10–15 s, backoff up to 5 s, a loaded machine).
const AT_REST_WITHIN: Duration = Duration::from_secs(300);

#[derive(Default)]
struct Figures {
    checkouts: AtomicU64,
    answered: AtomicU64,
    settled: AtomicU64,
    lost_callbacks: AtomicU64,
    forged: AtomicU64,
    forged_refused: AtomicU64,
    forged_acknowledged: AtomicU64,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// Everything the background work shares.
struct World {
    sim: LoopbackServer,
    relay_url: String,
    current: Mutex<Option<SocketAddr>>,
    stop: AtomicBool,
    rng: Rng,
    figures: Figures,
    forged_targets: Mutex<HashSet<String>>,
    http: reqwest::Client,
}

impl World {
    fn current(&self) -> Option<SocketAddr> {
        *self.current.lock().unwrap()
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    async fn pause(&self, from_ms: u64, to_ms: u64) {
        let ms = from_ms + self.rng.below(to_ms - from_ms);
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    /// Settles each open payment with probability `chance`: returns how
    /// many it settled.
    async fn settle_some(&self, chance: f64) -> u64 {
        let held = shopper::held(self.sim.simulator());
        let mut settled = 0;
        for h in held.iter().filter(|h| !h.settled) {
            if !self.rng.chance(chance) {
                continue;
            }
            let Some(delivered) =
                shopper::settle(&self.http, &self.sim.base_url(), &self.relay_url, h).await
            else {
                continue;
            };
            settled += 1;
            add(&self.figures.settled, 1);
            if !delivered {
                add(&self.figures.lost_callbacks, 1);
            }
        }
        settled
    }
}

/// A shopper: checks out, with the simulator's triggers, while a
/// merchant is up.
async fn shop(world: Arc<World>) {
    while !world.stopped() {
        let Some(merchant) = world.current() else {
            world.pause(20, 60).await;
            continue;
        };
        let pay = Pay::pick(&world.rng, true);
        add(&world.figures.checkouts, 1);
        if shopper::checkout(&world.http, merchant, &pay).await.is_ok() {
            add(&world.figures.answered, 1);
        }
        world.pause(50, 300).await;
    }
}

/// The gateway: settles open payments now and then (their callbacks go
/// through the relay, lost while no merchant is up).
async fn gateway(world: Arc<World>) {
    while !world.stopped() {
        world.settle_some(0.3).await;
        world.pause(150, 400).await;
    }
}

/// A forger: posts callbacks claiming a payment paid that the test never
/// pays.
async fn forger(world: Arc<World>, forger: Forger) {
    while !world.stopped() {
        world.pause(200, 600).await;
        let Some(merchant) = world.current() else {
            continue;
        };
        let open = shopper::held(world.sim.simulator());
        if let Some(forged) = forger.forge(&world.http, merchant, &open, &world.rng).await {
            add(&world.figures.forged, u64::from(forged.sent));
            add(&world.figures.forged_refused, u64::from(forged.refused));
            add(
                &world.figures.forged_acknowledged,
                u64::from(forged.acknowledged),
            );
            world.forged_targets.lock().unwrap().insert(forged.target);
        }
    }
}

/// `MERCHANT_CRASH_POINTS` for a round: every point with a small chance;
/// on even rounds, one point (each in turn) with a larger one. On odd
/// rounds the test's `SIGKILL` at a random time is what most likely ends
/// the instance.
fn crash_points(round: usize) -> String {
    let focus = round
        .is_multiple_of(2)
        .then(|| POINTS[(round / 2) % POINTS.len()]);
    POINTS
        .iter()
        .map(|p| format!("{p}:{}", if Some(*p) == focus { 0.1 } else { 0.003 }))
        .collect::<Vec<_>>()
        .join(",")
}

/// How many times the log says each point stopped the merchant.
fn crash_point_exits(log: &std::path::Path) -> BTreeMap<&'static str, usize> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    POINTS
        .iter()
        .map(|p| {
            let line = format!("crash point {p}\n");
            (*p, text.matches(&line).count())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_anywhere_the_merchant_loses_no_payment_and_does_nothing_twice() {
    let rounds = size("PASARELA_CRASH_ROUNDS", 12);
    let started = Instant::now();
    let dir = TempDir::new("crash");
    let db = dir.path().join("shop.db").display().to_string();
    let log = dir.path().join("merchant.log");
    let sim = simulator(
        SimulatorConfig::default()
            .with_slow_delay(SLOW)
            .with_retry(RetryPolicy {
                max_attempts: 3,
                initial_delay: Duration::from_millis(50),
                max_delay: Duration::from_millis(200),
                attempt_timeout: Duration::from_secs(15),
            }),
    )
    .await;
    let tap = Tap::start(sim.base_url()).await;
    let relay = Relay::start(Mode::Repeat(0.3)).await;
    let spec = Spec {
        db: db.clone(),
        simulator_url: tap.url(),
        public_url: relay.url(),
        fast: true,
        gateway_timeout_secs: GATEWAY_TIMEOUT_SECS,
        sweep_every_ms: 300,
        crash_points: None,
        log: log.clone(),
    };
    let forgery = Forger::new(&sim.credentials());
    let world = Arc::new(World {
        sim,
        relay_url: relay.url(),
        current: Mutex::new(None),
        stop: AtomicBool::new(false),
        rng: Rng::seeded(),
        figures: Figures::default(),
        forged_targets: Mutex::default(),
        http: shopper::client(),
    });
    let mut work = vec![
        tokio::spawn(gateway(world.clone())),
        tokio::spawn(forger(world.clone(), forgery)),
    ];
    for _ in 0..4 {
        work.push(tokio::spawn(shop(world.clone())));
    }

    // The rounds: start, let it work, kill it (or see it stop itself).
    let (mut kills, mut exits) = (0, 0);
    for round in 0..rounds {
        let spec = Spec {
            crash_points: Some(crash_points(round)),
            ..spec.clone()
        };
        let mut merchant = tokio::task::spawn_blocking(move || Merchant::start(&spec))
            .await
            .unwrap();
        *world.current.lock().unwrap() = Some(merchant.addr());
        relay.route_to(&[merchant.addr()]);
        let life = Duration::from_millis(1_000 + world.rng.below(3_000));
        let born = Instant::now();
        let exited = loop {
            if let Some(status) = merchant.exited() {
                break Some(status);
            }
            if born.elapsed() >= life {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        *world.current.lock().unwrap() = None;
        relay.route_to(&[]);
        match exited {
            None => {
                merchant.kill();
                kills += 1;
            }
            Some(status) if status.code() == Some(CRASH_POINT_EXIT) => exits += 1,
            Some(status) => panic!("the merchant died by itself ({status}):\n{}", tail(&log)),
        }
        // Down for a while: callbacks now are answered 503, and lost.
        world.pause(100, 1_500).await;
    }
    world.stop.store(true, Ordering::Relaxed);
    for task in work {
        task.await.unwrap();
    }

    // The last instance, no crash points: until everything is at rest.
    let last = tokio::task::spawn_blocking({
        let spec = spec.clone();
        move || Merchant::start(&spec)
    })
    .await
    .unwrap();
    *world.current.lock().unwrap() = Some(last.addr());
    relay.route_to(&[last.addr()]);
    let ledger = open_ledger(db).await;
    let settling = Instant::now();
    let books = books::wait_at_rest(&ledger, world.sim.simulator(), AT_REST_WITHIN, || async {
        world.settle_some(1.0).await;
    })
    .await;
    let at_rest_after = settling.elapsed();

    let held = shopper::held(world.sim.simulator());
    let calls = tap.calls();
    let forged = world.forged_targets.lock().unwrap().clone();
    let checked = {
        let (ledger, books, held, calls, forged) = (
            ledger.clone(),
            books.clone(),
            held.clone(),
            calls.clone(),
            forged.clone(),
        );
        tokio::task::spawn_blocking(move || books::check(&ledger, &books, &held, &calls, &forged))
    };
    checked.await.unwrap();

    let f = &world.figures;
    let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let relayed = relay.relayed();
    let points = crash_point_exits(&log);
    eprintln!(
        "crash test: {rounds} rounds, {kills} SIGKILLs, {exits} crash-point exits {points:?}; \
         {} checkouts ({} answered), {} payments in the ledger ({} paid, {} not paid, \
         {} rejected, {} never created), {} at the gateway ({} paid); callbacks: {} settled, \
         {} lost (the sweeper found them), {} repeated, {} answered 503 while down; \
         {} forgeries ({} refused, {} acknowledged and not trusted, {} orders); \
         lost payments 0, duplicated creates 0 (most creates per order {}), outcomes handed over \
         twice 0 ({} hand-overs); at rest {:.0} s after the last restart, {:.0} s in all (seed {})",
        read(&f.checkouts),
        read(&f.answered),
        books.payments.len(),
        books.count(State::Paid),
        books.count(State::NotPaid),
        books.count(State::Rejected),
        books.count(State::Intent),
        held.len(),
        held.iter().filter(|h| h.paid).count(),
        read(&f.settled),
        read(&f.lost_callbacks),
        relayed.duplicated,
        relayed.unavailable,
        read(&f.forged),
        read(&f.forged_refused),
        read(&f.forged_acknowledged),
        forged.len(),
        calls.max_creates(),
        books.handovers.len(),
        at_rest_after.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        world.rng.seed(),
    );
    drop(last);
    let world = Arc::into_inner(world).unwrap();
    tokio::task::spawn_blocking(move || {
        drop(ledger);
        world.sim.shutdown();
    })
    .await
    .unwrap();
}
