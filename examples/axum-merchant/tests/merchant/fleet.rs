//! The fleet test (issue 16, part 7): four instances of the merchant
//! binary, started together on one PostgreSQL database, take pay-ins of
//! both gateways; the simulator settles them, and the relay delivers every
//! callback and notification twice, at once, to two different instances.
//! Then: each outcome was handed to the shop once across the fleet, every
//! payment the simulator holds paid is paid in the ledger, and the status
//! calls per payment stay bounded (counted by the tap in front of the
//! gateways).
//!
//! The instances run the default policy (first status call two minutes
//! after a create, then backoff from 30 s). A payment is confirmed by the
//! status call its first stored event starts; the second delivery of that
//! event — to another instance — is a repeat with no effect. So one status
//! call per payment is the norm; two when another instance's sweeper takes
//! the payment (an event makes it due at once) and settles it before the
//! confirming task of the instance that stored the event starts, which
//! then asks once more. The bound asserted, three, leaves room for the
//! sweeper's first look should a payment take minutes on a loaded machine.
//!
//! Size: `PASARELA_FLEET_PAYINS` (default 150, for CI; the full size is
//! 1,000: `PASARELA_FLEET_PAYINS=1000 cargo test -p pasarela-axum-merchant
//! --all-features --test merchant four_instances -- --nocapture`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pasarela_axum_merchant::shop;
use pasarela_ledger::{AsyncLedger, State};
use pasarela_ledger_testkit::PgServer;
use pasarela_simulator::{RetryPolicy, SimulatorConfig};

use crate::harness::books;
use crate::harness::merchant::{Merchant, Spec};
use crate::harness::relay::{Mode, Relay};
use crate::harness::shopper::{self, Held, Pay};
use crate::harness::tap::Tap;
use crate::harness::{Rng, TempDir, open_ledger, simulator, size};

const INSTANCES: usize = 4;

/// Status calls one payment may cost (see the module docs).
const STATUS_CALLS_PER_PAYMENT: u32 = 3;

/// How long the fleet may take to bring everything to rest once the
/// pay-ins are in.
const AT_REST_WITHIN: Duration = Duration::from_secs(300);

/// Instances starting together on one PostgreSQL database create the
/// shop's table once, and none fails doing it (concurrent `CREATE TABLE IF
/// NOT EXISTS` of one table fail there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_all_prepare_the_shop() {
    let Some(pg) = PgServer::start_or_skip("fleet prepare") else {
        return;
    };
    let db = pg.create_database("prepare").unwrap();
    let mut ledgers = Vec::new();
    for _ in 0..8 {
        ledgers.push(AsyncLedger::open(&db).await.unwrap());
    }
    let together = Arc::new(tokio::sync::Barrier::new(ledgers.len()));
    let preparing: Vec<_> = ledgers
        .into_iter()
        .map(|ledger| {
            let together = together.clone();
            tokio::spawn(async move {
                together.wait().await;
                let prepared = shop::prepare(&ledger).await.map_err(|e| e.to_string());
                (ledger, prepared)
            })
        })
        .collect();
    let (mut ledgers, mut prepared) = (Vec::new(), Vec::new());
    for task in preparing {
        let (ledger, done) = task.await.unwrap();
        ledgers.push(ledger);
        prepared.push(done);
    }
    tokio::task::spawn_blocking(move || {
        drop(ledgers);
        drop(pg);
    })
    .await
    .unwrap();
    assert!(prepared.iter().all(Result::is_ok), "{prepared:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_instances_hand_each_outcome_over_once() {
    let Some(pg) = PgServer::start_or_skip("fleet") else {
        return;
    };
    let payins = size("PASARELA_FLEET_PAYINS", 150);
    let started = Instant::now();
    let db = pg.create_database("fleet").unwrap();
    let dir = TempDir::new("fleet");
    let sim = simulator(SimulatorConfig::default().with_retry(RetryPolicy {
        attempt_timeout: Duration::from_secs(30),
        ..RetryPolicy::default()
    }))
    .await;
    let tap = Tap::start(sim.base_url()).await;
    let relay = Relay::start(Mode::FanOut).await;

    // Four instances, started together (they migrate the database and
    // create the shop's table at the same time).
    let starting: Vec<_> = (0..INSTANCES)
        .map(|i| {
            let spec = Spec {
                db: db.clone(),
                simulator_url: tap.url(),
                public_url: relay.url(),
                fast: false,
                gateway_timeout_secs: 30,
                sweep_every_ms: 1_000,
                crash_points: None,
                log: dir.path().join(format!("merchant-{i}.log")),
            };
            tokio::task::spawn_blocking(move || Merchant::start(&spec))
        })
        .collect();
    let mut fleet = Vec::new();
    for instance in starting {
        fleet.push(instance.await.unwrap());
    }
    let addrs: Vec<_> = fleet.iter().map(Merchant::addr).collect();
    relay.route_to(&addrs);

    // Shoppers: each pay-in to the next instance, both gateways, some
    // declined at once; the simulator settles each one after its
    // checkout, and the relay delivers its callback to two instances.
    let paying = Instant::now();
    let http = shopper::client();
    let rng = Arc::new(Rng::seeded());
    let next = Arc::new(AtomicUsize::new(0));
    let (lost, declined) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let shoppers: Vec<_> = (0..8)
        .map(|_| {
            let (http, rng, next, addrs) = (http.clone(), rng.clone(), next.clone(), addrs.clone());
            let (lost, declined) = (lost.clone(), declined.clone());
            let (simulator, relay) = (sim.base_url(), relay.url());
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= payins {
                        break;
                    }
                    let pay = match Pay::pick(&rng, false) {
                        // One SmilePayz pay-in in twenty is declined when
                        // created (the simulator's 40001).
                        Pay::Smilepayz(_) if n % 20 == 0 => Pay::Smilepayz(40001),
                        pay => pay,
                    };
                    let created = shopper::checkout(&http, addrs[n % addrs.len()], &pay)
                        .await
                        .unwrap();
                    let order = created["orderId"].as_str().unwrap().to_owned();
                    if created["state"] == "not_paid" {
                        declined.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    assert_eq!(created["state"], "created", "{created}");
                    let gateway = if matches!(pay, Pay::Smilepayz(_)) {
                        "smilepayz"
                    } else {
                        "monnet"
                    };
                    let amount = match &pay {
                        Pay::Smilepayz(cents) => cents.to_string(),
                        Pay::Monnet(text) => text.clone(),
                    };
                    let payment = Held {
                        gateway,
                        order,
                        reference: String::new(),
                        amount,
                        settled: false,
                        paid: false,
                    };
                    let delivered = shopper::settle(&http, &simulator, &relay, &payment)
                        .await
                        .unwrap();
                    if !delivered {
                        lost.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for shopper in shoppers {
        shopper.await.unwrap();
    }
    let paid_in_after = paying.elapsed();

    let ledger = open_ledger(db).await;
    let settling = Instant::now();
    let books = books::wait_at_rest(&ledger, sim.simulator(), AT_REST_WITHIN, || async {}).await;
    let at_rest_after = settling.elapsed();

    let held = shopper::held(sim.simulator());
    let calls = tap.calls();
    assert_eq!(held.len(), payins, "every pay-in was created once");
    {
        let (ledger, books, held, calls) =
            (ledger.clone(), books.clone(), held.clone(), calls.clone());
        tokio::task::spawn_blocking(move || {
            books::check(&ledger, &books, &held, &calls, &Default::default())
        })
        .await
        .unwrap();
    }
    let costly: Vec<_> = calls
        .statuses
        .iter()
        .filter(|(_, n)| **n > STATUS_CALLS_PER_PAYMENT)
        .collect();
    assert!(
        costly.is_empty(),
        "more than {STATUS_CALLS_PER_PAYMENT} status calls: {costly:?}"
    );
    // The per-merchant rate holds across the fleet, for the confirmations
    // webhooks start as for the sweepers: the ledger grants at most
    // `rate_per_second` status calls per merchant and second of its clock;
    // the tap counts them by the second they arrive, which may be the next
    // one — hence twice the rate at most in any one second of the tap's.
    let rate = pasarela_ledger::Options::default().rate_per_second;
    assert!(
        calls.peak_status_rate() <= 2 * rate,
        "{} status calls of one gateway in one second, over the rate of {rate}",
        calls.peak_status_rate()
    );
    let relayed = relay.relayed();
    assert_eq!(relayed.unavailable, 0, "every delivery reached an instance");

    eprintln!(
        "fleet test: {INSTANCES} instances on one PostgreSQL, {payins} pay-ins ({} paid, {} not \
         paid, {} declined when created) in {:.0} s; {} callbacks delivered {} times to two \
         instances each ({} acknowledged by both, {} lost); {} hand-overs, each outcome once; \
         status calls: {} in all, at most {} per payment, at most {} per second and gateway; \
         at rest {:.0} s after the last pay-in, {:.0} s in all (seed {})",
        books.count(State::Paid),
        books.count(State::NotPaid),
        declined.load(Ordering::Relaxed),
        paid_in_after.as_secs_f64(),
        relayed.received,
        relayed.forwarded,
        relayed.acknowledged_by_two,
        lost.load(Ordering::Relaxed),
        books.handovers.len(),
        calls.total_statuses(),
        calls.max_statuses(),
        calls.peak_status_rate(),
        at_rest_after.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        rng.seed(),
    );
    drop(fleet);
    // The blocking ledger's PostgreSQL connections close by blocking: not
    // on the runtime's threads.
    tokio::task::spawn_blocking(move || {
        drop(ledger);
        sim.shutdown();
        drop(pg);
    })
    .await
    .unwrap();
}
