//! One store suite, run against both databases: SQLite (a temporary file)
//! and PostgreSQL (a server this test starts and stops).

use std::sync::{Arc, Barrier};

use pasarela_ledger::{
    Fact, Gateway, Gateways, Ledger, LedgerError, NextStep, Options, OutcomeKind, State, StoreError,
};
use time::Duration;

use crate::support::*;

type Case = fn(&mut Databases);

const CASES: &[(&str, Case)] = &[
    ("migrations", migrations_apply_once),
    ("upgrade", a_version_one_database_is_upgraded),
    ("checkout", checkout_records_before_and_after),
    ("repeat", an_order_number_is_created_once),
    ("crash", a_create_whose_process_stopped_is_reconciled),
    (
        "crash twice",
        a_sweeper_that_stops_too_leaves_the_create_to_reconcile,
    ),
    ("dropped in a task", an_async_ledger_is_dropped_in_a_task),
    ("refusals", a_refused_statement_says_why),
    ("sweep", the_sweep_confirms_backs_off_and_gives_up),
    ("rate", the_rate_per_merchant_holds_across_instances),
    ("confirm-rate", confirmations_keep_to_the_rate_too),
    (
        "reserved",
        an_event_reserves_its_status_call_within_the_rate,
    ),
    ("rate-race", the_rate_holds_when_instances_confirm_at_once),
    ("no-client", without_a_client_the_deadline_still_settles),
    ("leases", instances_never_ask_about_one_payment_together),
    ("outcomes", outcomes_are_claimed_acknowledged_and_come_back),
    ("effect", an_effect_in_the_acknowledgement_is_exactly_once),
    ("concurrent", concurrent_facts_lose_nothing),
    ("double-submit", simultaneous_first_checkouts_create_once),
    ("reading", listing_history_and_counts),
    (
        "own reads",
        an_applications_read_sees_commits_and_cannot_write,
    ),
    ("payer", payer_data_only_when_opted_in),
];

fn run_all(mut dbs: Databases) {
    for (name, case) in CASES {
        eprintln!("store suite on {}: {name}", dbs.kind());
        case(&mut dbs);
    }
}

#[test]
fn store_suite_on_sqlite() {
    run_all(Databases::sqlite());
}

#[test]
fn store_suite_on_postgres() {
    if let Some(dbs) = Databases::postgres("store_suite_on_postgres") {
        run_all(dbs);
    }
}

fn migrations_apply_once(dbs: &mut Databases) {
    let url = dbs.fresh("migrations");
    let first = Ledger::open(&url).unwrap();
    assert_eq!(first.store().schema_versions().unwrap(), vec![1, 2]);
    assert!(
        first.store().migrate().unwrap().is_empty(),
        "nothing left to apply"
    );
    let second = Ledger::open(&url).unwrap();
    assert_eq!(second.store().schema_versions().unwrap(), vec![1, 2]);
    // A reader refuses a database that is not a ledger.
    if matches!(dbs, Databases::Sqlite(_)) {
        let missing = format!("{url}.missing");
        let err = pasarela_ledger::Store::open_existing(&missing).unwrap_err();
        assert!(err.to_string().contains("ledger migrate"), "{err}");
    }
}

/// A database a version-one library made (the rate as one counter row) is
/// refused by a reader until migrated, then upgraded in place by `open`:
/// the payments stay, the rate's table is replaced, and the rate holds.
fn a_version_one_database_is_upgraded(dbs: &mut Databases) {
    let clock = TestClock::new();
    let url = dbs.fresh("upgrade");
    let gw = Scripted::new(Gateway::Smilepayz);
    gw.on_create(opened("T1"));
    gw.on_create(opened("T2"));
    {
        let ledger = ledger(&url, &clock);
        ledger.checkout(&gw, &Order::new("ORD1", 100)).unwrap();
        ledger.checkout(&gw, &Order::new("ORD2", 100)).unwrap();
        // Back to version one's schema, as that library left it.
        ledger
            .store()
            .transact(|conn| {
                conn.execute_batch(
                    "DROP TABLE pasarela_rate_slots; \
                     CREATE TABLE pasarela_rate (bucket TEXT NOT NULL, second BIGINT NOT NULL, \
                     used BIGINT NOT NULL, PRIMARY KEY (bucket, second)); \
                     INSERT INTO pasarela_rate VALUES ('smilepayz:20001', 1, 5); \
                     DELETE FROM pasarela_ledger_schema WHERE version = 2",
                )
            })
            .unwrap();
    }
    let err = pasarela_ledger::Store::open_existing(&url).unwrap_err();
    assert!(err.to_string().contains("schema version 1 of 2"), "{err}");
    let mut options = pasarela_ledger::Options::default();
    options.rate_per_second = 1;
    let upgraded = ledger(&url, &clock).with_options(options);
    assert_eq!(upgraded.store().schema_versions().unwrap(), vec![1, 2]);
    let old_table = upgraded
        .store()
        .transact(|conn| conn.query("SELECT COUNT(*) FROM pasarela_rate", &[]));
    assert!(old_table.is_err(), "version one's rate table is gone");
    assert_eq!(
        upgraded
            .payment(Gateway::Smilepayz, "ORD2")
            .unwrap()
            .unwrap()
            .state,
        State::Created
    );
    clock.advance(upgraded.policy().first_check_after);
    let report = upgraded.sweep(&Gateways::new().with(gw.clone())).unwrap();
    assert_eq!((report.asked, report.deferred), (1, 1), "{report:?}");
}

fn checkout_records_before_and_after(dbs: &mut Databases) {
    let clock = TestClock::new();
    let ledger = ledger(&dbs.fresh("checkout"), &clock);
    let gw = Scripted::new(Gateway::Smilepayz);
    gw.on_create(opened("T1"));
    let checkout = ledger.checkout(&gw, &Order::new("ORD1", 20000)).unwrap();
    assert_eq!(
        checkout.next,
        NextStep::Redirect("https://pay.example/T1".into())
    );
    assert!(checkout.created_now);
    let p = ledger.payment(Gateway::Smilepayz, "ORD1").unwrap().unwrap();
    assert_eq!(p.state, State::Created);
    assert_eq!(p.gateway_ref.as_deref(), Some("T1"));
    assert_eq!(p.amount, pasarela_core::Money::pen(20000));
    let history = ledger.history(Gateway::Smilepayz, "ORD1").unwrap();
    let facts: Vec<_> = history.iter().map(|h| h.fact.as_str()).collect();
    assert_eq!(facts, ["intent_recorded", "create_answered"]);
    assert_eq!(history[1].to, State::Created);

    // A refusal is shown at once and hands nothing over.
    gw.on_create(Fact::CreateRefused {
        code: "06".into(),
        message: "a field".into(),
    });
    let refused = ledger.checkout(&gw, &Order::new("ORD2", 100)).unwrap();
    assert!(
        matches!(refused.next, NextStep::Declined(ref r) if r.contains("06")),
        "{refused:?}"
    );
    assert!(
        ledger
            .outcomes(Gateway::Smilepayz, "ORD2")
            .unwrap()
            .is_empty()
    );

    // Created already failed: a decline, and a not-paid outcome.
    gw.on_create(Fact::CreateAnswered(
        pasarela_ledger::CreateAnswer::Declined {
            gateway_ref: Some("T3".into()),
            status: "FAILED".into(),
        },
    ));
    let declined = ledger.checkout(&gw, &Order::new("ORD3", 100)).unwrap();
    assert!(
        matches!(declined.next, NextStep::Declined(_)),
        "{declined:?}"
    );
    let outcomes = ledger.outcomes(Gateway::Smilepayz, "ORD3").unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].kind, OutcomeKind::NotPaid);
}

fn an_order_number_is_created_once(dbs: &mut Databases) {
    let clock = TestClock::new();
    let ledger = ledger(&dbs.fresh("repeat"), &clock);
    let gw = Scripted::new(Gateway::Smilepayz);
    gw.on_create(opened("T1"));
    ledger.checkout(&gw, &Order::new("ORD1", 20000)).unwrap();
    // The shopper comes back: sent to the kept page, no second create.
    let again = ledger.checkout(&gw, &Order::new("ORD1", 20000)).unwrap();
    assert_eq!(
        again.next,
        NextStep::Redirect("https://pay.example/T1".into())
    );
    assert!(!again.created_now);
    assert_eq!(gw.calls(), ["create ORD1"]);
    // Another amount under the same number is another payment: refused.
    let taken = ledger.checkout(&gw, &Order::new("ORD1", 999)).unwrap_err();
    assert!(matches!(taken, LedgerError::OrderTaken { .. }), "{taken}");
    // An unknown outcome: "wait", and no second create until reconciled.
    gw.on_create(Fact::CreateMaybeSent {
        reason: "timeout".into(),
    });
    let unknown = ledger.checkout(&gw, &Order::new("ORD2", 100)).unwrap();
    assert_eq!(unknown.next, NextStep::Wait);
    let retry = ledger.checkout(&gw, &Order::new("ORD2", 100)).unwrap();
    assert_eq!(retry.next, NextStep::Wait);
    assert!(!retry.created_now);
    // Reconciled: not found, twice, a backoff apart (a slow gateway may
    // not list it on the first look). Now (and only now) a new create is
    // allowed.
    let state = |ledger: &Ledger| {
        ledger
            .payment(Gateway::Smilepayz, "ORD2")
            .unwrap()
            .unwrap()
            .state
    };
    let gateways = Gateways::new().with(gw.clone());
    gw.on_status(Fact::NotFound);
    gw.on_status(Fact::NotFound);
    clock.advance(Duration::seconds(11));
    ledger.sweep(&gateways).unwrap();
    assert_eq!(state(&ledger), State::Unknown, "one look is not enough");
    assert_eq!(
        ledger.checkout(&gw, &Order::new("ORD2", 100)).unwrap().next,
        NextStep::Wait
    );
    clock.advance(ledger.policy().backoff(0));
    ledger.sweep(&gateways).unwrap();
    assert_eq!(state(&ledger), State::Intent);
    let before = ledger.payment(Gateway::Smilepayz, "ORD2").unwrap().unwrap();
    clock.advance(Duration::minutes(20));
    gw.on_create(opened("T2"));
    let created = ledger.checkout(&gw, &Order::new("ORD2", 100)).unwrap();
    assert!(created.created_now);
    assert_eq!(
        gw.calls(),
        [
            "create ORD1",
            "create ORD2",
            "status ORD2",
            "status ORD2",
            "create ORD2"
        ]
    );
    // The new attempt has its own expiry and deadline, and is in the
    // history.
    let after = ledger.payment(Gateway::Smilepayz, "ORD2").unwrap().unwrap();
    assert!(after.expires_at > before.expires_at);
    assert_eq!(after.expires_at, clock.now() + Duration::hours(1));
    assert_eq!(
        after.deadline_at,
        after.expires_at + ledger.policy().deadline_margin
    );
    let facts: Vec<String> = ledger
        .history(Gateway::Smilepayz, "ORD2")
        .unwrap()
        .into_iter()
        .map(|h| h.fact)
        .collect();
    assert!(facts.contains(&"attempt_recorded".to_owned()), "{facts:?}");
    // A create certainly not sent: a retry is safe at once.
    gw.on_create(Fact::CreateNotSent {
        reason: "refused".into(),
    });
    gw.on_create(opened("T3"));
    assert_eq!(
        ledger.checkout(&gw, &Order::new("ORD3", 100)).unwrap().next,
        NextStep::TryAgain("refused".into())
    );
    assert!(
        ledger
            .checkout(&gw, &Order::new("ORD3", 100))
            .unwrap()
            .created_now
    );
}

fn a_create_whose_process_stopped_is_reconciled(dbs: &mut Databases) {
    let clock = TestClock::new();
    let ledger = ledger(&dbs.fresh("crash"), &clock);
    let gw = Scripted::new(Gateway::Monnet);
    // A checkout records its intent and "stops" while creating: the intent
    // and its create lease are all that is left of it.
    begin_only(&ledger, "OP1");
    // While the lease is live, another checkout waits and creates nothing.
    let waiting = ledger.checkout(&gw, &Order::new("OP1", 15000)).unwrap();
    assert_eq!(waiting.next, NextStep::Wait);
    assert!(gw.calls().is_empty());
    // The lease runs out: the sweeper treats the create as maybe sent and
    // reconciles; Monnet lists it.
    clock.advance(ledger.policy().create_lease + Duration::seconds(1));
    let report = ledger.sweep(&Gateways::new().with(gw.clone())).unwrap();
    assert_eq!(report.looked, 1);
    let p = ledger.payment(Gateway::Monnet, "OP1").unwrap().unwrap();
    assert_eq!(p.state, State::Unknown, "{p:?}");
    let listed = serde_json::json!({"payinMerchantID": "4001", "operations": [
        {"payinStateID": "2", "payinAmount": "150.00", "payinCurrency": "PEN",
         "payinMerchantOperationNumber": "OP1", "payinID": "77"}]});
    gw.on_status(Fact::StatusAnswered(pasarela_ledger::StatusAnswer::Monnet(
        pasarela_core::monnet::parse_status_response(pasarela_core::RawResponse::new(
            200,
            listed.to_string(),
        ))
        .unwrap(),
    )));
    clock.advance(ledger.policy().reconcile_after);
    ledger.sweep(&Gateways::new().with(gw.clone())).unwrap();
    let p = ledger.payment(Gateway::Monnet, "OP1").unwrap().unwrap();
    assert_eq!(p.state, State::Pending);
    assert_eq!(gw.calls(), ["status OP1"], "never created twice");
}

/// The sweeper that takes over a stopped create may stop too (it leases
/// its whole batch first, then looks at one payment after the other): the
/// create must still be known as maybe sent once that lease runs out, not
/// left as an intent nobody looks at before its deadline — which would
/// then call it never created.
fn a_sweeper_that_stops_too_leaves_the_create_to_reconcile(dbs: &mut Databases) {
    let clock = TestClock::new();
    let ledger = ledger(&dbs.fresh("crash2"), &clock);
    let gw = Scripted::new(Gateway::Monnet);
    begin_only(&ledger, "OP1");
    // Another payment, due first: the sweeper stops at its status call.
    gw.on_create(Fact::CreateMaybeSent {
        reason: "timed out".into(),
    });
    ledger.checkout(&gw, &Order::new("OP2", 100)).unwrap();
    clock.advance(ledger.policy().create_lease + Duration::seconds(1));
    let gateways = Gateways::new().with(gw.clone());
    let dying = ledger.clone().with_crash_probe(|point| {
        if point == "status.leased" {
            panic!("the sweeper's process stops at {point}");
        }
    });
    let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dying.sweep(&gateways)));
    assert!(stopped.is_err(), "the sweep stopped");
    assert_eq!(
        ledger
            .payment(Gateway::Monnet, "OP1")
            .unwrap()
            .unwrap()
            .state,
        State::Intent,
        "the stopped sweeper recorded nothing about OP1"
    );
    // Its leases run out: the next sweep reconciles OP1.
    clock.advance(ledger.policy().check_lease + Duration::seconds(1));
    ledger.sweep(&gateways).unwrap();
    let p = ledger.payment(Gateway::Monnet, "OP1").unwrap().unwrap();
    assert_eq!(p.state, State::Unknown, "{p:?}");
    assert!(
        !gw.calls().contains(&"create OP1".to_owned()),
        "never created again"
    );
}

/// An application's last clone of its `AsyncLedger` may go away on an
/// executor thread (a task that owned it ends at shutdown): that closes the
/// database without blocking the executor's way out (PostgreSQL's blocking
/// client closes a connection by running a runtime of its own, which panics
/// there).
fn an_async_ledger_is_dropped_in_a_task(dbs: &mut Databases) {
    let clock = TestClock::new();
    let ledger = ledger(&dbs.fresh("dropped"), &clock);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let ended = runtime.block_on(async move {
        tokio::spawn(async move {
            let ledger = pasarela_ledger::AsyncLedger::from(ledger);
            assert!(ledger.claim_outcomes(1).await.unwrap().is_empty());
            drop(ledger);
        })
        .await
    });
    assert!(ended.is_ok(), "the task ended: {ended:?}");
}

/// A statement the database refuses fails with the database's reason (a
/// bare "db error" told an operator nothing).
fn a_refused_statement_says_why(dbs: &mut Databases) {
    let clock = TestClock::new();
    let ledger = ledger(&dbs.fresh("refusals"), &clock);
    let refused = ledger
        .store()
        .transact(|conn| conn.execute("UPDATE no_such_table SET x = 1", &[]))
        .unwrap_err();
    assert!(matches!(refused, StoreError::Database(_)), "{refused:?}");
    assert!(refused.to_string().contains("no_such_table"), "{refused}");
}

/// Records an intent under a live create lease, as a checkout does just
/// before it sends (and as its process leaves it if it dies then).
fn begin_only(ledger: &Ledger, order: &str) {
    let runner = ledger.clone();
    let owned = order.to_owned();
    // The checkout blocks forever in `create`: run it on a thread left
    // behind, and wait until its intent is recorded.
    std::thread::spawn(move || {
        let _ = runner.checkout(&Stuck, &Order::new(&owned, 15000));
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while ledger.payment(Gateway::Monnet, order).unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the intent was never recorded"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A Monnet gateway whose calls never return (a process stopped in them).
struct Stuck;

impl pasarela_ledger::PaymentGateway for Stuck {
    type Request = Order;
    // Answers on the calling thread: for the blocking `Ledger`.
    type Flavour = pasarela_ledger::flavour::Blocking;
    fn gateway(&self) -> Gateway {
        Gateway::Monnet
    }
    fn merchant(&self) -> &str {
        "4001"
    }
    fn describe(
        &self,
        request: &Order,
        now: time::OffsetDateTime,
    ) -> Result<pasarela_ledger::NewPayment, pasarela_ledger::gateway::NotRecordable> {
        Ok(pasarela_ledger::NewPayment::new(
            Gateway::Monnet,
            request.order.clone(),
            "4001",
            pasarela_core::Money::pen(request.amount),
            now + Duration::minutes(30),
        ))
    }
    fn create<'a>(&'a self, _: &'a Order) -> impl std::future::Future<Output = Fact> + Send + 'a {
        std::future::pending()
    }
    fn status<'a>(
        &'a self,
        _: &'a pasarela_ledger::Payment,
    ) -> impl std::future::Future<Output = Fact> + Send + 'a {
        std::future::pending()
    }
}

fn the_sweep_confirms_backs_off_and_gives_up(dbs: &mut Databases) {
    let clock = TestClock::new();
    let ledger = ledger(&dbs.fresh("sweep"), &clock);
    let gw = Scripted::new(Gateway::Smilepayz);
    gw.on_create(opened("T1")).on_create(opened("T2"));
    ledger.checkout(&gw, &Order::new("ORD1", 20000)).unwrap();
    ledger.checkout(&gw, &Order::new("ORD2", 100)).unwrap();
    let gateways = Gateways::new().with(gw.clone());
    // Not due yet: nothing asked.
    assert_eq!(ledger.sweep(&gateways).unwrap().asked, 0);
    clock.advance(ledger.policy().first_check_after);
    gw.on_status(sp_status("T1", "SUCCESS", 20000))
        .on_status(sp_status("T2", "PROCESSING", 100));
    let report = ledger.sweep(&gateways).unwrap();
    assert_eq!((report.looked, report.asked, report.settled), (2, 2, 1));
    assert_eq!(
        ledger
            .payment(Gateway::Smilepayz, "ORD1")
            .unwrap()
            .unwrap()
            .state,
        State::Paid
    );
    let pending = ledger.payment(Gateway::Smilepayz, "ORD2").unwrap().unwrap();
    assert_eq!(pending.state, State::Pending);
    let wait = pending.next_check_at.unwrap() - clock.now();
    assert_eq!(wait, ledger.policy().backoff(0), "the first wait");
    // Final states are not asked again.
    clock.advance(wait);
    let report = ledger.sweep(&gateways).unwrap();
    assert_eq!(report.asked, 1);
    assert_eq!(gw.calls().iter().filter(|c| *c == "status ORD1").count(), 1);
    // Past the deadline, still unknown: needs attention, handed over.
    let deadline = pending.deadline_at;
    clock.advance(deadline - clock.now() + Duration::seconds(1));
    ledger.sweep(&gateways).unwrap();
    let gave_up = ledger.payment(Gateway::Smilepayz, "ORD2").unwrap().unwrap();
    assert_eq!(gave_up.state, State::NeedsAttention);
    assert!(
        ledger
            .outcomes(Gateway::Smilepayz, "ORD2")
            .unwrap()
            .iter()
            .any(|o| o.kind == OutcomeKind::NeedsAttention)
    );
    // No client for a gateway: left for later, not settled on a guess.
    let mn = Scripted::new(Gateway::Monnet);
    mn.on_create(opened("9"));
    ledger.checkout(&mn, &Order::new("OP1", 100)).unwrap();
    clock.advance(ledger.policy().first_check_after);
    let report = ledger.sweep(&gateways).unwrap();
    assert_eq!(report.deferred, 1);
}

fn the_rate_per_merchant_holds_across_instances(dbs: &mut Databases) {
    let clock = TestClock::new();
    let url = dbs.fresh("rate");
    let mut options = pasarela_ledger::Options::default();
    options.rate_per_second = 3;
    let a = ledger(&url, &clock).with_options(options.clone());
    let b = ledger(&url, &clock).with_options(options);
    let gw = Scripted::new(Gateway::Smilepayz);
    check_out_orders(&a, &gw, 8);
    clock.advance(a.policy().first_check_after);
    let gateways = Gateways::new().with(gw.clone());
    let first = a.sweep(&gateways).unwrap();
    let second = b.sweep(&gateways).unwrap();
    assert_eq!(first.asked + second.asked, 3, "{first:?} {second:?}");
    // The next second has a fresh budget.
    clock.advance(Duration::seconds(1));
    assert_eq!(a.sweep(&gateways).unwrap().asked, 3);
}

/// Instances confirming different payments of one merchant in the same
/// second, all at once: exactly the rate's worth of status calls, whoever
/// wins the slots (each call taken is a row of its own, so on PostgreSQL
/// they take them side by side).
fn the_rate_holds_when_instances_confirm_at_once(dbs: &mut Databases) {
    const INSTANCES: usize = 12;
    let clock = TestClock::new();
    let url = dbs.fresh("rate-race");
    let gw = Scripted::new(Gateway::Smilepayz);
    let setup = ledger(&url, &clock);
    check_out_orders(&setup, &gw, INSTANCES);
    clock.advance(setup.policy().first_check_after);
    let mut options = Options::default();
    options.rate_per_second = 4;
    let start = Arc::new(Barrier::new(INSTANCES));
    let instances: Vec<_> = (0..INSTANCES)
        .map(|i| {
            let instance = ledger(&url, &clock).with_options(options.clone());
            let (gw, start) = (gw.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                instance
                    .confirm(&gw, Gateway::Smilepayz, &format!("ORD{i}"))
                    .unwrap()
            })
        })
        .collect();
    for instance in instances {
        instance.join().unwrap();
    }
    assert_eq!(asked(&gw), 4, "{:?}", gw.calls());
    // The next second, four more.
    clock.advance(Duration::seconds(1));
    let report = setup
        .with_options(options)
        .sweep(&Gateways::new().with(gw.clone()))
        .unwrap();
    assert_eq!(report.asked, 4, "{report:?}");
}

/// A gateway the sweep has no client for: its payments wait for one (an
/// instance or a pass that has it) until their deadline, and are then
/// settled as needing attention, not deferred for ever.
fn without_a_client_the_deadline_still_settles(dbs: &mut Databases) {
    let clock = TestClock::new();
    let ledger = ledger(&dbs.fresh("no-client"), &clock);
    let gw = Scripted::new(Gateway::Monnet);
    gw.on_create(opened("T1"));
    ledger.checkout(&gw, &Order::new("ORD1", 100)).unwrap();
    let smilepayz_only = Gateways::new().with(Scripted::new(Gateway::Smilepayz));
    clock.advance(ledger.policy().first_check_after);
    let report = ledger.sweep(&smilepayz_only).unwrap();
    assert_eq!((report.asked, report.deferred), (0, 1), "{report:?}");
    let state = |ledger: &Ledger| {
        ledger
            .payment(Gateway::Monnet, "ORD1")
            .unwrap()
            .unwrap()
            .state
    };
    assert_eq!(state(&ledger), State::Created);
    let deadline = ledger
        .payment(Gateway::Monnet, "ORD1")
        .unwrap()
        .unwrap()
        .deadline_at;
    clock.advance(deadline - clock.now());
    let report = ledger.sweep(&smilepayz_only).unwrap();
    assert_eq!(report.settled, 1, "{report:?}");
    assert_eq!(state(&ledger), State::NeedsAttention);
    assert!(gw.calls().iter().all(|c| !c.starts_with("status")));
}

/// The confirmation a webhook starts takes its status call from the same
/// per-merchant rate as the sweepers; past it the payment is left due for
/// the next second. A payment another instance settled is not asked about.
fn confirmations_keep_to_the_rate_too(dbs: &mut Databases) {
    let clock = TestClock::new();
    let url = dbs.fresh("confirm-rate");
    let mut options = pasarela_ledger::Options::default();
    options.rate_per_second = 2;
    let a = ledger(&url, &clock).with_options(options.clone());
    let b = ledger(&url, &clock).with_options(options);
    let gw = Scripted::new(Gateway::Smilepayz);
    check_out_orders(&a, &gw, 3);
    gw.on_status(sp_status("T0", "SUCCESS", 100));
    let paid = a.confirm(&gw, Gateway::Smilepayz, "ORD0").unwrap().unwrap();
    assert_eq!(paid.state, State::Paid);
    gw.on_status(sp_status("T1", "PROCESSING", 100));
    b.confirm(&gw, Gateway::Smilepayz, "ORD1").unwrap().unwrap();
    assert_eq!(asked(&gw), 2);
    // The third in the same second, from either instance: deferred.
    let deferred = a.confirm(&gw, Gateway::Smilepayz, "ORD2").unwrap().unwrap();
    assert_eq!(asked(&gw), 2, "no status call past the rate");
    assert_eq!(deferred.state, State::Created);
    let next_second =
        time::OffsetDateTime::from_unix_timestamp(clock.now().unix_timestamp() + 1).unwrap();
    assert_eq!(deferred.next_check_at, Some(next_second));
    let stored = a.payment(Gateway::Smilepayz, "ORD2").unwrap().unwrap();
    assert_eq!(stored.next_check_at, Some(next_second), "left due");
    // Settled already (by `a`): `b` asks nothing, whatever the rate.
    clock.advance(Duration::seconds(1));
    let settled = b.confirm(&gw, Gateway::Smilepayz, "ORD0").unwrap().unwrap();
    assert_eq!(settled.state, State::Paid);
    assert_eq!(asked(&gw), 2, "a settled payment is not asked about");
    // The next second: the deferred one goes through.
    gw.on_status(sp_status("T2", "SUCCESS", 100));
    let later = b.confirm(&gw, Gateway::Smilepayz, "ORD2").unwrap().unwrap();
    assert_eq!(later.state, State::Paid);
    assert_eq!(asked(&gw), 3);
}

/// An event that makes its payment due leases it and takes a status call
/// of this second in the event's own write: the confirmation in that
/// second asks with it and writes nothing first; it is used once; an event
/// past the rate reserves nothing; a confirmation in a later second takes
/// a slot of its own second. The rate holds throughout.
fn an_event_reserves_its_status_call_within_the_rate(dbs: &mut Databases) {
    let clock = TestClock::new();
    let url = dbs.fresh("reserved");
    let mut options = Options::default();
    options.rate_per_second = 1;
    let a = ledger(&url, &clock).with_options(options);
    let gw = Scripted::new(Gateway::Smilepayz);
    check_out_orders(&a, &gw, 3);
    let slots = |second: i64| -> i64 {
        let rows = a
            .store()
            .transact(move |conn| {
                conn.query(
                    "SELECT COUNT(*) FROM pasarela_rate_slots WHERE second = ?1",
                    &[second.into()],
                )
            })
            .unwrap();
        rows[0].int(0).unwrap()
    };
    let second = clock.now().unix_timestamp();
    let event = a
        .record_callback(&sp_callback("ORD0", "T0", 100, clock.now()))
        .unwrap();
    assert!(event.to_confirm().is_some(), "{event:?}");
    assert_eq!(slots(second), 1, "the event took the second's one call");
    // Past the rate: ORD1's event is stored and leased, with no call.
    let event = a
        .record_callback(&sp_callback("ORD1", "T1", 100, clock.now()))
        .unwrap();
    assert!(event.to_confirm().is_some(), "{event:?}");
    assert_eq!(slots(second), 1);
    let deferred = a.confirm(&gw, Gateway::Smilepayz, "ORD1").unwrap().unwrap();
    assert_eq!(asked(&gw), 0, "no call past the rate");
    assert!(deferred.next_check_at.is_some_and(|at| at > clock.now()));
    // ORD0's confirmation asks with its reservation: no second slot.
    gw.on_status(sp_status("T0", "PROCESSING", 100));
    let pending = a.confirm(&gw, Gateway::Smilepayz, "ORD0").unwrap().unwrap();
    assert_eq!(pending.state, State::Pending);
    assert_eq!(asked(&gw), 1);
    assert_eq!(slots(second), 1);
    // Used once: asking again in this second is past the rate.
    a.confirm(&gw, Gateway::Smilepayz, "ORD0").unwrap().unwrap();
    assert_eq!(asked(&gw), 1, "a reservation is used once");
    // ORD2's event reserves a call of the next second; its confirmation
    // comes a second later and takes a slot of that second instead.
    clock.advance(Duration::seconds(1));
    a.record_callback(&sp_callback("ORD2", "T2", 100, clock.now()))
        .unwrap();
    assert_eq!(slots(second + 1), 1);
    clock.advance(Duration::seconds(1));
    gw.on_status(sp_status("T2", "SUCCESS", 100));
    let paid = a.confirm(&gw, Gateway::Smilepayz, "ORD2").unwrap().unwrap();
    assert_eq!(paid.state, State::Paid);
    assert_eq!(asked(&gw), 2);
    assert_eq!(slots(second + 2), 1, "a slot of the second it asked in");
}

fn instances_never_ask_about_one_payment_together(dbs: &mut Databases) {
    let clock = TestClock::new();
    let url = dbs.fresh("leases");
    let a = ledger(&url, &clock);
    let b = ledger(&url, &clock);
    let gw = Scripted::new(Gateway::Smilepayz);
    gw.on_create(opened("T1"));
    a.checkout(&gw, &Order::new("ORD1", 100)).unwrap();
    clock.advance(a.policy().first_check_after);
    // Instance A holds the payment (its status call in flight) ...
    let blocked = Scripted::new(Gateway::Smilepayz);
    let held = {
        let a = a.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let gw = HoldingGateway(tx);
            let _ = a.sweep(&Gateways::new().with(gw));
        });
        rx
    };
    held.recv().unwrap();
    // ... so B, sweeping at the same time, takes nothing.
    let report = b.sweep(&Gateways::new().with(blocked.clone())).unwrap();
    assert_eq!(report.looked, 0);
    assert!(blocked.calls().is_empty());
    // B's inline confirmation does not ask either.
    assert_eq!(
        b.confirm(&blocked, Gateway::Smilepayz, "ORD1").unwrap(),
        None
    );
    // After A's lease runs out, B may take it.
    clock.advance(a.policy().check_lease + Duration::seconds(1));
    blocked.on_status(sp_status("T1", "SUCCESS", 100));
    assert_eq!(
        b.sweep(&Gateways::new().with(blocked.clone()))
            .unwrap()
            .asked,
        1
    );
}

/// A gateway whose status call never returns, after saying it started.
struct HoldingGateway(std::sync::mpsc::Sender<()>);

impl pasarela_ledger::PaymentGateway for HoldingGateway {
    type Request = Order;
    // Answers on the calling thread: for the blocking `Ledger`.
    type Flavour = pasarela_ledger::flavour::Blocking;
    fn gateway(&self) -> Gateway {
        Gateway::Smilepayz
    }
    fn merchant(&self) -> &str {
        "20001"
    }
    fn describe(
        &self,
        _: &Order,
        _: time::OffsetDateTime,
    ) -> Result<pasarela_ledger::NewPayment, pasarela_ledger::gateway::NotRecordable> {
        Err(pasarela_ledger::gateway::NotRecordable(
            "status only".into(),
        ))
    }
    fn create<'a>(&'a self, _: &'a Order) -> impl std::future::Future<Output = Fact> + Send + 'a {
        std::future::pending()
    }
    fn status<'a>(
        &'a self,
        _: &'a pasarela_ledger::Payment,
    ) -> impl std::future::Future<Output = Fact> + Send + 'a {
        let _ = self.0.send(());
        std::future::pending()
    }
}

fn outcomes_are_claimed_acknowledged_and_come_back(dbs: &mut Databases) {
    let clock = TestClock::new();
    let url = dbs.fresh("outcomes");
    let a = ledger(&url, &clock);
    let b = ledger(&url, &clock);
    settle_paid(&a, &clock, "ORD1");
    settle_paid(&a, &clock, "ORD2");
    let claimed = a.claim_outcomes(10).unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(
        claimed
            .iter()
            .all(|o| o.kind == OutcomeKind::Paid && o.claims == 1)
    );
    // Claimed by A: B gets nothing while A's claim lasts.
    assert!(b.claim_outcomes(10).unwrap().is_empty());
    a.acknowledge(&claimed[0]).unwrap();
    a.acknowledge(&claimed[0]).unwrap(); // again: nothing more happens
    // A stops before acknowledging the second: it comes back after the
    // lease, to B, and A's late acknowledgement is refused.
    clock.advance(a.policy().outcome_lease + Duration::seconds(1));
    let again = b.claim_outcomes(10).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, claimed[1].id);
    assert_eq!(again[0].claims, 2);
    let lost = a.acknowledge(&claimed[1]).unwrap_err();
    assert!(matches!(lost, StoreError::ClaimLost { .. }), "{lost}");
    b.acknowledge(&again[0]).unwrap();
    clock.advance(a.policy().outcome_lease * 2);
    assert!(a.claim_outcomes(10).unwrap().is_empty(), "all handed over");
    // In bulk: one transaction acknowledges what is still held; a claim
    // lost meanwhile is left to its new holder.
    settle_paid(&a, &clock, "ORD3");
    settle_paid(&a, &clock, "ORD4");
    let batch = a.claim_outcomes(10).unwrap();
    assert_eq!(batch.len(), 2);
    clock.advance(a.policy().outcome_lease + Duration::seconds(1));
    let stolen = b.claim_outcomes(1).unwrap();
    assert_eq!(a.acknowledge_all(&batch).unwrap(), 1);
    b.acknowledge_all(&stolen).unwrap();
    clock.advance(a.policy().outcome_lease * 2);
    assert!(a.claim_outcomes(10).unwrap().is_empty());
    let acked = a.outcomes(Gateway::Smilepayz, "ORD2").unwrap();
    assert!(acked[0].acknowledged_at.is_some());
}

fn settle_paid(ledger: &Ledger, clock: &TestClock, order: &str) {
    let gw = Scripted::new(Gateway::Smilepayz);
    let trade = format!("T-{order}");
    gw.on_create(opened(&trade));
    ledger.checkout(&gw, &Order::new(order, 500)).unwrap();
    ledger
        .record(Gateway::Smilepayz, order, sp_status(&trade, "SUCCESS", 500))
        .unwrap();
    let _ = clock;
}

fn an_effect_in_the_acknowledgement_is_exactly_once(dbs: &mut Databases) {
    let clock = TestClock::new();
    let url = dbs.fresh("effect");
    let a = ledger(&url, &clock);
    let b = ledger(&url, &clock);
    a.store()
        .transact(|conn| {
            conn.execute_batch(
                "CREATE TABLE shop_shipments (outcome_id TEXT PRIMARY KEY, order_no TEXT NOT NULL)",
            )
        })
        .unwrap();
    settle_paid(&a, &clock, "ORD1");
    let ship = |conn: &mut dyn pasarela_ledger::Conn, o: &pasarela_ledger::Outcome| {
        conn.execute(
            "INSERT INTO shop_shipments (outcome_id, order_no) VALUES (?1, ?2)",
            &[o.id.as_str().into(), o.order.as_str().into()],
        )
        .map(|_| ())
    };
    let shipments = |ledger: &Ledger| {
        ledger
            .store()
            .transact(|conn| conn.query("SELECT COUNT(*) FROM shop_shipments", &[]))
            .unwrap()[0]
            .int(0)
            .unwrap()
    };
    // The effect fails: nothing is acknowledged, nothing shipped.
    let claimed = a.claim_outcomes(1).unwrap();
    let failed = a
        .acknowledge_with(&claimed[0], |_, _| Err::<(), _>("the warehouse is down"))
        .unwrap_err();
    assert!(matches!(failed, StoreError::Effect(_)), "{failed}");
    assert_eq!(shipments(&a), 0);
    // A's claim runs out; B claims and ships; A's late attempt ships
    // nothing (its claim is lost, its effect rolled back).
    clock.advance(a.policy().outcome_lease + Duration::seconds(1));
    let by_b = b.claim_outcomes(1).unwrap();
    b.acknowledge_with(&by_b[0], ship).unwrap();
    let late = a.acknowledge_with(&claimed[0], ship).unwrap_err();
    assert!(matches!(late, StoreError::ClaimLost { .. }), "{late}");
    assert_eq!(shipments(&a), 1, "shipped exactly once");

    // B retries its acknowledgement (as after a commit whose answer was
    // lost): acknowledged already under its claim, the effect is not run
    // again. (Counted in memory: a table's primary key would hide it.)
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = {
        let runs = runs.clone();
        move |_: &mut dyn pasarela_ledger::Conn, _: &pasarela_ledger::Outcome| {
            runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<(), StoreError>(())
        }
    };
    settle_paid(&a, &clock, "ORD2");
    let claimed = b.claim_outcomes(1).unwrap();
    assert_eq!(claimed[0].order, "ORD2");
    b.acknowledge_with(&claimed[0], counted.clone()).unwrap();
    b.acknowledge_with(&claimed[0], counted.clone()).unwrap();
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
    // An outcome read (not claimed) carries no claim: acknowledging it
    // takes nobody's claim over.
    settle_paid(&a, &clock, "ORD3");
    let _held = a.claim_outcomes(1).unwrap();
    let read = b.outcomes(Gateway::Smilepayz, "ORD3").unwrap();
    let refused = b.acknowledge_with(&read[0], counted).unwrap_err();
    assert!(matches!(refused, StoreError::ClaimLost { .. }), "{refused}");
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);

    // An effect that calls the ledger is refused, not a deadlock (the
    // SQLite writer would wait for itself).
    settle_paid(&a, &clock, "ORD4");
    let claimed = a.claim_outcomes(1).unwrap();
    let inner = a.clone();
    let reentrant = a
        .acknowledge_with(&claimed[0], move |_, o| {
            inner.payment(o.gateway, &o.order).map(drop)
        })
        .map_err(|e| e.to_string());
    if matches!(dbs, Databases::Sqlite(_)) {
        let e = reentrant.unwrap_err();
        assert!(e.contains("inside its own transaction"), "{e}");
    }
}

/// A double-submitted form: instances check out one new order number at
/// the same moment. One creates it; the others are told it is in progress
/// or exists — none fails, none creates it again.
fn simultaneous_first_checkouts_create_once(dbs: &mut Databases) {
    let clock = TestClock::new();
    let url = dbs.fresh("double-submit");
    let threads = 4;
    let gw = Scripted::new(Gateway::Monnet);
    for _ in 0..threads {
        gw.on_create(opened("T1"));
    }
    for round in 0..5 {
        let order = format!("DUP{round}");
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (ledger, gw, barrier, order) = (
                    ledger(&url, &clock),
                    gw.clone(),
                    barrier.clone(),
                    order.clone(),
                );
                std::thread::spawn(move || {
                    barrier.wait();
                    ledger.checkout(&gw, &Order::new(&order, 100))
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let created = results
            .iter()
            .map(|r| r.as_ref().map_err(|e| e.to_string()).unwrap())
            .filter(|c| c.created_now)
            .count();
        assert_eq!(created, 1, "{order}: {results:?}");
        let creates = gw
            .calls()
            .iter()
            .filter(|c| **c == format!("create {order}"))
            .count();
        assert_eq!(creates, 1, "{order}");
        gw.on_create(opened("T1"));
    }
}

fn concurrent_facts_lose_nothing(dbs: &mut Databases) {
    let clock = TestClock::new();
    let url = dbs.fresh("concurrent");
    let gw = Scripted::new(Gateway::Smilepayz);
    gw.on_create(opened("T1"));
    let first = ledger(&url, &clock);
    first.checkout(&gw, &Order::new("ORD1", 100)).unwrap();
    // Four instances record events at once (each a cannot-tell, which
    // keeps the payment open): every one lands, in some order.
    let threads = 4;
    let per = 10;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let ledger = ledger(&url, &clock);
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                for i in 0..per {
                    loop {
                        match ledger.record(
                            Gateway::Smilepayz,
                            "ORD1",
                            Fact::CannotTell {
                                reason: format!("{t}-{i}"),
                            },
                        ) {
                            Ok(_) => break,
                            Err(e) if e.is_retryable() => continue,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let p = first.payment(Gateway::Smilepayz, "ORD1").unwrap().unwrap();
    assert_eq!(p.version, 1 + (threads * per) as u64);
    let history = first.history(Gateway::Smilepayz, "ORD1").unwrap();
    let seqs: Vec<u64> = history.iter().map(|h| h.seq).collect();
    assert_eq!(
        seqs,
        (0..=p.version).collect::<Vec<_>>(),
        "contiguous, nothing lost"
    );
}

fn listing_history_and_counts(dbs: &mut Databases) {
    let clock = TestClock::new();
    let ledger = ledger(&dbs.fresh("reading"), &clock);
    settle_paid(&ledger, &clock, "ORD1");
    let gw = Scripted::new(Gateway::Monnet);
    gw.on_create(opened("5"));
    clock.advance(Duration::seconds(1));
    ledger.checkout(&gw, &Order::new("ORD1", 100)).unwrap();
    let all = ledger.list(None, 10, 0).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].gateway, Gateway::Monnet, "newest first");
    let paid = ledger.list(Some(State::Paid), 10, 0).unwrap();
    assert_eq!(paid.len(), 1);
    assert_eq!(ledger.find("ORD1").unwrap().len(), 2);
    let counts = ledger.counts().unwrap();
    assert!(
        counts.contains(&(State::Paid, 1)) && counts.contains(&(State::Created, 1)),
        "{counts:?}"
    );
    let history = ledger.history(Gateway::Smilepayz, "ORD1").unwrap();
    assert_eq!(history.last().unwrap().to, State::Paid);
    assert_eq!(history.last().unwrap().detail["status"], "SUCCESS");
    assert_eq!(ledger.list(None, 1, 1).unwrap().len(), 1);
}

/// An application's own query through `Store::read`: it sees what was
/// committed, and a write in it is refused, changing nothing.
fn an_applications_read_sees_commits_and_cannot_write(dbs: &mut Databases) {
    let clock = TestClock::new();
    let ledger = ledger(&dbs.fresh("own-reads"), &clock);
    let gw = Scripted::new(Gateway::Smilepayz);
    gw.on_create(opened("T1"));
    ledger.checkout(&gw, &Order::new("ORD1", 100)).unwrap();
    let state = ledger
        .store()
        .read(|conn| {
            conn.query(
                "SELECT state FROM pasarela_payments WHERE order_no = ?1",
                &["ORD1".into()],
            )?
            .first()
            .map(|row| row.text(0))
            .transpose()
        })
        .unwrap();
    assert_eq!(state.as_deref(), Some("created"));
    let write = ledger
        .store()
        .read(|conn| conn.execute("DELETE FROM pasarela_payments", &[]));
    assert!(matches!(write, Err(StoreError::Database(_))), "{write:?}");
    let kept = ledger.payment(Gateway::Smilepayz, "ORD1").unwrap();
    assert_eq!(kept.map(|p| p.state), Some(State::Created));
}

fn payer_data_only_when_opted_in(dbs: &mut Databases) {
    let clock = TestClock::new();
    // By default: none stored.
    let plain = ledger(&dbs.fresh("payer-plain"), &clock);
    let gw = Scripted::new(Gateway::Monnet);
    gw.on_create(opened("T1"));
    plain.checkout(&gw, &Order::new("ORD1", 100)).unwrap();
    assert_eq!(plain.payer(Gateway::Monnet, "ORD1").unwrap(), None);
    // Opted in: stored with the intent, read back, erased on request.
    let mut options = Options::default();
    options.keep_payer_data = true;
    let keeping = ledger(&dbs.fresh("payer-kept"), &clock).with_options(options);
    gw.on_create(opened("T2"));
    keeping.checkout(&gw, &Order::new("ORD2", 100)).unwrap();
    let payer = keeping.payer(Gateway::Monnet, "ORD2").unwrap().unwrap();
    assert_eq!(payer.name.as_ref().unwrap().expose(), SCRIPTED_PAYER);
    assert_eq!(payer.email.as_ref().unwrap().expose(), SCRIPTED_EMAIL);
    assert_eq!(payer.phone, None);
    assert_eq!(keeping.payer(Gateway::Monnet, "NOPE").unwrap(), None);
    assert!(keeping.erase_payer(Gateway::Monnet, "ORD2").unwrap());
    assert_eq!(keeping.payer(Gateway::Monnet, "ORD2").unwrap(), None);
    assert!(!keeping.erase_payer(Gateway::Monnet, "NOPE").unwrap());
    let state = keeping
        .payment(Gateway::Monnet, "ORD2")
        .unwrap()
        .unwrap()
        .state;
    assert_eq!(state, State::Created, "the payment stays");
}
