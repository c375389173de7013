//! The flows against the simulator, through pasarela-core's real clients:
//! checkout, webhook, confirmation, sweep and outcomes, for both gateways,
//! blocking and async — and what never reaches the database.

use std::sync::{Arc, Mutex};

use pasarela_core::client::{MonnetClient, SmilepayzClient, SmilepayzSettings};
use pasarela_core::crypto::{Backend, PrivateKey};
use pasarela_core::http::Method;
use pasarela_core::monnet::{
    self, Card, CardExpiration, CardMethod, CreateRequest, Customer, Cvv, DocumentType, Pan,
    Product, Transaction,
};
use pasarela_core::smilepayz::{self, Merchant, PayInRequest, Payer};
use pasarela_core::transport::{BlockingTransport, TransportError};
use pasarela_core::webhook::{MonnetWebhook, SmilepayzWebhook};
use pasarela_core::{MerchantSecret, Money, MonnetKey, PreparedRequest, RawResponse};
use pasarela_ledger::{
    Gateway, Gateways, Ledger, NextStep, Options, OutcomeKind, Policy, Received, State,
};
use pasarela_simulator::{Credentials, InProcess, RetryPolicy, Simulator, SimulatorConfig, codes};
use serde_json::{Value, json};
use time::Duration;

use crate::support::TempDb;

pub const PAN: &str = "4517721004856075";
pub const CVV: &str = "123";
pub const EXPIRY: &str = "2031-12";
pub const PAYER: &str = "Rosa Quispe Mamani";
pub const EMAIL: &str = "rosa.quispe@example.com";
pub const PHONE: &str = "987654321";
pub const DOCUMENT: &str = "44556677";

/// No waiting in tests: the sweeper looks at once.
fn eager() -> Policy {
    let mut policy = Policy::default();
    policy.first_check_after = Duration::ZERO;
    policy.reconcile_after = Duration::ZERO;
    policy.backoff_base = Duration::ZERO;
    // An event leases its payment to the instance that stored it, for its
    // inline confirmation; where a test leaves that to the sweeper, the
    // sweeper looks once this runs out.
    policy.check_lease = Duration::seconds(2);
    policy
}

/// The merchant side the simulator delivers to: the ledger's webhooks.
#[derive(Clone)]
struct Shop {
    ledger: Ledger,
    smilepayz: SmilepayzWebhook,
    monnet: MonnetWebhook,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Shop {
    fn deliver(&self, request: PreparedRequest) -> Result<RawResponse, TransportError> {
        let path = request.url().path().to_owned();
        let request = request.into_http().expect("a valid request");
        let received = if path.ends_with("/monnet") {
            self.ledger.receive_monnet(&self.monnet, &request)
        } else {
            self.ledger.receive_smilepayz(&self.smilepayz, &request)
        };
        let reply = received.reply;
        self.received.lock().unwrap().push(received);
        Ok(RawResponse::new(reply.status, reply.body))
    }
}

struct World {
    _db: TempDb,
    ledger: Ledger,
    sim: InProcess,
    creds: Credentials,
    smilepayz: SmilepayzClient<InProcess>,
    monnet: MonnetClient<InProcess>,
    shop: Shop,
}

fn simulator_config() -> SimulatorConfig {
    SimulatorConfig::default()
        .with_retry(RetryPolicy {
            max_attempts: 3,
            initial_delay: std::time::Duration::from_millis(1),
            max_delay: std::time::Duration::from_millis(5),
            attempt_timeout: std::time::Duration::from_secs(10),
        })
        .with_monnet_notify_url("http://merchant.test/monnet")
}

fn world(name: &str) -> World {
    world_with(name, Options::default())
}

fn world_with(name: &str, options: Options) -> World {
    let db = TempDb::new(name);
    let ledger = Ledger::open(&db.url())
        .unwrap()
        .with_policy(eager())
        .with_options(options);
    let simulator = Simulator::new(simulator_config()).unwrap();
    let platform = simulator.platform_public_key().unwrap();
    let monnet_config = |creds: &Credentials| {
        monnet::Config::new(
            creds.monnet.merchant_id.clone(),
            MonnetKey::new(creds.monnet.key_monnet.clone()),
            monnet::Environment::Custom(creds.smilepayz.base_url.parse().unwrap()),
        )
        .unwrap()
    };
    let creds0 = InProcess::new(simulator.clone()).credentials();
    let shop = Shop {
        ledger: ledger.clone(),
        smilepayz: SmilepayzWebhook::new(Backend::default().verifier(&platform).unwrap()),
        monnet: MonnetWebhook::from_config(&monnet_config(&creds0)),
        received: Arc::default(),
    };
    let delivering = shop.clone();
    let sim = InProcess::new(simulator)
        .with_callback_transport(move |request: PreparedRequest| delivering.deliver(request));
    let creds = sim.credentials();
    let key = PrivateKey::load(creds.smilepayz.merchant_private_key.as_deref().unwrap()).unwrap();
    let sp_config = smilepayz::Config::new(
        creds.smilepayz.merchant_id.clone(),
        MerchantSecret::new(creds.smilepayz.merchant_secret.clone()),
        Backend::default().signer(&key).unwrap(),
        smilepayz::Environment::Custom(creds.smilepayz.base_url.parse().unwrap()),
    )
    .unwrap();
    let smilepayz = SmilepayzClient::new(
        SmilepayzSettings::new(sp_config)
            .with_code_meanings(codes::smilepayz::MEANINGS.iter().copied()),
        sim.clone(),
    );
    let monnet = MonnetClient::new(monnet_config(&creds), sim.clone());
    World {
        _db: db,
        ledger,
        sim,
        creds,
        smilepayz,
        monnet,
        shop,
    }
}

impl World {
    fn pay_in(&self, order: &str, amount: u64) -> PayInRequest {
        PayInRequest::builder(
            Merchant::of(self.smilepayz.settings().config()),
            order,
            Money::pen(amount),
            "ledger test order",
            Payer::new(PAYER).with_email(EMAIL).with_phone(PHONE),
        )
        .callback_url("http://merchant.test/smilepayz")
        .build()
        .unwrap()
    }

    fn card_pay_in(&self, operation: &str, amount: Money) -> CreateRequest {
        let transaction = Transaction::new(
            operation,
            amount,
            CardMethod::CreditOrDebit,
            "https://shop.example/ok",
            "https://shop.example/error",
            self.monnet.settings().today(),
        );
        let customer =
            Customer::new("Rosa", "Quispe", EMAIL, PHONE).document(DocumentType::Dni, DOCUMENT);
        let card = Card::new(
            Pan::new(PAN).unwrap(),
            Cvv::new(CVV).unwrap(),
            CardExpiration::new(EXPIRY).unwrap(),
        );
        CreateRequest::builder(transaction, customer, Product::placeholder(), card)
            .build()
            .unwrap()
    }

    fn control(&self, path: &str, body: Value) -> Value {
        let request = PreparedRequest::new(
            Method::POST,
            format!("{}{path}", self.creds.smilepayz.base_url)
                .parse()
                .unwrap(),
            vec![("Content-Type".into(), "application/json".into())],
            serde_json::to_vec(&body).unwrap(),
        );
        let answer = BlockingTransport::send(&self.sim, request).unwrap();
        serde_json::from_slice(&answer.body).unwrap_or(Value::Null)
    }

    /// Confirms what the webhooks asked to confirm, as a handler would
    /// right after acknowledging.
    fn confirm_received(&self) {
        let pending: Vec<(Gateway, String)> = self
            .shop
            .received
            .lock()
            .unwrap()
            .drain(..)
            .filter_map(|r| r.to_confirm().map(|(g, o)| (g, o.to_owned())))
            .collect();
        for (gateway, order) in pending {
            match gateway {
                Gateway::Smilepayz => self.ledger.confirm(&self.smilepayz, gateway, &order),
                Gateway::Monnet => self.ledger.confirm(&self.monnet, gateway, &order),
            }
            .unwrap();
        }
    }

    fn state(&self, gateway: Gateway, order: &str) -> State {
        self.ledger.payment(gateway, order).unwrap().unwrap().state
    }

    fn gateways(&self) -> Gateways<pasarela_ledger::flavour::Blocking> {
        Gateways::new()
            .with(self.smilepayz.clone())
            .with(self.monnet.clone())
    }
}

fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}{:04}",
        time::OffsetDateTime::now_utc().unix_timestamp(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

#[test]
fn a_smilepayz_pay_in_is_confirmed_and_handed_over_once() {
    let w = world("sp-paid");
    let order = unique("SP");
    let checkout = w
        .ledger
        .checkout(&w.smilepayz, &w.pay_in(&order, 20000))
        .unwrap();
    let NextStep::Redirect(url) = &checkout.next else {
        panic!("{checkout:?}")
    };
    assert!(url.contains("/cashier/"), "{url}");
    // The shopper pays; the callback arrives (and is delivered again).
    w.control(
        "/_simulator/smilepayz/complete",
        json!({"orderNo": order, "status": "SUCCESS"}),
    );
    assert_eq!(
        w.state(Gateway::Smilepayz, &order),
        State::Created,
        "verified is not confirmed"
    );
    w.confirm_received();
    assert_eq!(w.state(Gateway::Smilepayz, &order), State::Paid);
    // A repeat of the same callback changes nothing.
    w.control(
        "/_simulator/smilepayz/complete",
        json!({"orderNo": order, "status": "SUCCESS"}),
    );
    let received = w.shop.received.lock().unwrap().clone();
    assert!(received.iter().all(|r| r.reply.status == 200));
    w.confirm_received();
    // Handed over once.
    let claimed = w.ledger.claim_outcomes(10).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].kind, OutcomeKind::Paid);
    assert_eq!(claimed[0].order, order);
    w.ledger.acknowledge(&claimed[0]).unwrap();
    assert!(w.ledger.claim_outcomes(10).unwrap().is_empty());
    // The returning shopper is told it is done.
    let back = w
        .ledger
        .checkout(&w.smilepayz, &w.pay_in(&order, 20000))
        .unwrap();
    assert_eq!(back.next, NextStep::Done(OutcomeKind::Paid));
}

#[test]
fn a_forged_or_tampered_callback_changes_nothing() {
    let w = world("sp-forged");
    let order = unique("SF");
    w.ledger
        .checkout(&w.smilepayz, &w.pay_in(&order, 20000))
        .unwrap();
    let body = json!({"orderNo": order, "tradeNo": "T-FORGED", "merchantId": w.creds.smilepayz.merchant_id,
        "status": "SUCCESS", "money": {"amount": 20000, "currency": "PEN"},
        "transactionTime": "2026-12-01T10:00:00-05:00"});
    let forged = pasarela_core::http::Request::post("/smilepayz")
        .header(
            "X-TIMESTAMP",
            smilepayz::format_timestamp(time::OffsetDateTime::now_utc()),
        )
        .header("X-SIGNATURE", "bm90IGEgc2lnbmF0dXJl")
        .body(body.to_string().into_bytes())
        .unwrap();
    let received = w.ledger.receive_smilepayz(&w.shop.smilepayz, &forged);
    assert_eq!(received.reply.status, 401);
    assert!(received.event.is_none());
    let p = w
        .ledger
        .payment(Gateway::Smilepayz, &order)
        .unwrap()
        .unwrap();
    assert_eq!(
        (p.state, p.version),
        (State::Created, 1),
        "nothing recorded"
    );
    // A genuine callback whose claims lie (paid, for a payment still open):
    // the ledger asks, and the gateway says it is not paid.
    let trade = p.gateway_ref.clone().unwrap();
    let platform = PrivateKey::load(pasarela_simulator::TEST_PLATFORM_PRIVATE_KEY).unwrap();
    let ts = smilepayz::format_timestamp(time::OffsetDateTime::now_utc());
    let signature =
        smilepayz::sign_callback(&*Backend::default().signer(&platform).unwrap(), &trade, &ts)
            .unwrap();
    let mut lying = body.clone();
    lying["tradeNo"] = trade.clone().into();
    let request = pasarela_core::http::Request::post("/smilepayz")
        .header("X-TIMESTAMP", ts)
        .header("X-SIGNATURE", signature)
        .body(lying.to_string().into_bytes())
        .unwrap();
    let received = w.ledger.receive_smilepayz(&w.shop.smilepayz, &request);
    assert_eq!(received.reply.status, 200);
    let (g, o) = received.to_confirm().unwrap();
    w.ledger.confirm(&w.smilepayz, g, o).unwrap();
    assert_eq!(w.state(Gateway::Smilepayz, &order), State::Pending);
    assert!(w.ledger.claim_outcomes(10).unwrap().is_empty());
}

#[test]
fn declines_and_unknown_outcomes_of_smilepayz() {
    let w = world("sp-bad");
    // Created already failed: a decline, never a page.
    let declined = unique("SD");
    let checkout = w
        .ledger
        .checkout(&w.smilepayz, &w.pay_in(&declined, 40001))
        .unwrap();
    assert!(
        matches!(checkout.next, NextStep::Declined(_)),
        "{checkout:?}"
    );
    assert_eq!(w.state(Gateway::Smilepayz, &declined), State::NotPaid);
    // Dropped after creating: wait; the sweep finds it and keeps asking.
    let dropped = unique("SX");
    let checkout = w
        .ledger
        .checkout(&w.smilepayz, &w.pay_in(&dropped, 40006))
        .unwrap();
    assert_eq!(checkout.next, NextStep::Wait);
    assert_eq!(w.state(Gateway::Smilepayz, &dropped), State::Unknown);
    w.ledger.sweep(&w.gateways()).unwrap();
    assert_eq!(w.state(Gateway::Smilepayz, &dropped), State::Pending);
    // Paid later: the callback and one confirmation settle it.
    w.control(
        "/_simulator/smilepayz/complete",
        json!({"orderNo": dropped, "status": "SUCCESS"}),
    );
    w.confirm_received();
    assert_eq!(w.state(Gateway::Smilepayz, &dropped), State::Paid);
    // "System busy": unknown; reconciled as not found (on two looks); then
    // created, once, under the same order number.
    let busy = unique("SB");
    let checkout = w
        .ledger
        .checkout(&w.smilepayz, &w.pay_in(&busy, 40003))
        .unwrap();
    assert_eq!(checkout.next, NextStep::Wait);
    w.ledger.sweep(&w.gateways()).unwrap();
    assert_eq!(w.state(Gateway::Smilepayz, &busy), State::Unknown);
    w.ledger.sweep(&w.gateways()).unwrap();
    assert_eq!(w.state(Gateway::Smilepayz, &busy), State::Intent);
    // (A new amount would be another payment: the same order asks again.)
    let again = w
        .ledger
        .checkout(&w.smilepayz, &w.pay_in(&busy, 40003))
        .unwrap();
    assert!(again.created_now);
}

#[test]
fn a_monnet_card_pay_in_is_confirmed_and_no_card_data_is_stored() {
    let w = world("mn-paid");
    let op = unique("MN");
    let checkout = w
        .ledger
        .checkout(&w.monnet, &w.card_pay_in(&op, Money::pen(15000)))
        .unwrap();
    assert!(
        matches!(checkout.next, NextStep::Redirect(_)),
        "{checkout:?}"
    );
    w.control(
        "/_simulator/monnet/complete",
        json!({"payinMerchantOperationNumber": op, "payinStateID": 5}),
    );
    w.confirm_received();
    assert_eq!(w.state(Gateway::Monnet, &op), State::Paid);
    // Denied: not paid.
    let denied = unique("MD");
    w.ledger
        .checkout(&w.monnet, &w.card_pay_in(&denied, Money::pen(2500)))
        .unwrap();
    w.control(
        "/_simulator/monnet/complete",
        json!({"payinMerchantOperationNumber": denied, "payinStateID": 6, "codeErrorTrx": "9051"}),
    );
    w.confirm_received();
    assert_eq!(w.state(Gateway::Monnet, &denied), State::NotPaid);
    // A SmilePayz pay-in with a payer, to be sure of that too.
    let order = unique("SP");
    w.ledger
        .checkout(&w.smilepayz, &w.pay_in(&order, 1000))
        .unwrap();
    w.control(
        "/_simulator/smilepayz/complete",
        json!({"orderNo": order, "status": "SUCCESS"}),
    );
    w.confirm_received();
    assert_eq!(w.ledger.payer(Gateway::Smilepayz, &order).unwrap(), None);
    assert_eq!(w.ledger.payer(Gateway::Monnet, &op).unwrap(), None);
    // Every file of the database: no card number, CVV, expiry, and no
    // payer personal data (not opted in).
    // Close the ledger (every clone, so SQLite closes the file), keep the
    // files.
    let World { _db: db, .. } = w;
    let dir = db.dir.clone();
    // The scan reads what was stored (the order numbers are there) ...
    let all: Vec<u8> = std::fs::read_dir(&dir)
        .unwrap()
        .flat_map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert!(
        all.windows(op.len()).any(|w| w == op.as_bytes()),
        "the scan sees the records"
    );
    // ... and none of this.
    assert_database_holds_none(
        &dir,
        &[
            PAN,
            &PAN[PAN.len() - 8..],
            EXPIRY,
            PAYER,
            EMAIL,
            PHONE,
            DOCUMENT,
            "Quispe",
        ],
    );
    assert_no_cvv(&dir);
    drop(db);
}

#[test]
fn payer_data_is_kept_only_when_the_application_opts_in_and_can_be_erased() {
    let mut options = Options::default();
    options.keep_payer_data = true;
    let w = world_with("payer-kept", options);
    let order = unique("SPK");
    w.ledger
        .checkout(&w.smilepayz, &w.pay_in(&order, 1000))
        .unwrap();
    let op = unique("MNK");
    w.ledger
        .checkout(&w.monnet, &w.card_pay_in(&op, Money::pen(1500)))
        .unwrap();

    let sp = w.ledger.payer(Gateway::Smilepayz, &order).unwrap().unwrap();
    assert_eq!(sp.name.as_ref().unwrap().expose(), PAYER);
    assert_eq!(sp.email.as_ref().unwrap().expose(), EMAIL);
    assert_eq!(sp.phone.as_ref().unwrap().expose(), PHONE);
    assert_eq!((sp.last_name.as_ref(), sp.document.as_ref()), (None, None));
    let mn = w.ledger.payer(Gateway::Monnet, &op).unwrap().unwrap();
    assert_eq!(mn.name.as_ref().unwrap().expose(), "Rosa");
    assert_eq!(mn.last_name.as_ref().unwrap().expose(), "Quispe");
    assert_eq!(mn.document_type.as_deref(), Some("DNI"));
    assert_eq!(mn.document.as_ref().unwrap().expose(), DOCUMENT);
    assert!(!format!("{mn:?}").contains("Quispe"), "printed: {mn:?}");

    // In the payment's row only: neither its record nor its history.
    for (gateway, order) in [(Gateway::Smilepayz, &order), (Gateway::Monnet, &op)] {
        let record = format!("{:?}", w.ledger.payment(gateway, order).unwrap());
        let history = format!("{:?}", w.ledger.history(gateway, order).unwrap());
        for needle in [EMAIL, PHONE, DOCUMENT, "Quispe"] {
            assert!(!record.contains(needle) && !history.contains(needle));
        }
    }

    // Erased on request: gone, the payment stays; an unknown order says so.
    for (gateway, order) in [(Gateway::Smilepayz, &order), (Gateway::Monnet, &op)] {
        assert!(w.ledger.erase_payer(gateway, order).unwrap());
        assert_eq!(w.ledger.payer(gateway, order).unwrap(), None);
        assert!(w.ledger.payment(gateway, order).unwrap().is_some());
    }
    assert!(
        !w.ledger
            .erase_payer(Gateway::Monnet, "NO-SUCH-ORDER")
            .unwrap()
    );
    // Once the ledger is closed (SQLite checkpoints its log into the file,
    // and secure_delete zeroed the erased bytes), no file holds them.
    let World {
        _db: db,
        ledger,
        sim,
        shop,
        smilepayz,
        monnet,
        creds: _,
    } = w;
    drop((ledger, sim, shop, smilepayz, monnet));
    assert_database_holds_none(&db.dir, &[PAYER, EMAIL, PHONE, DOCUMENT]);
    assert_no_cvv(&db.dir);
    drop(db);
}

/// Scans every file under `dir` (the database, its WAL) for `needles`.
pub fn assert_database_holds_none(dir: &std::path::Path, needles: &[&str]) {
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        scanned += bytes.len();
        for needle in needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{} holds {needle:?}",
                path.display()
            );
        }
    }
    assert!(scanned > 0, "nothing scanned");
}

/// The CVV is three digits: look for it as a JSON value or field.
fn assert_no_cvv(dir: &std::path::Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let text =
            String::from_utf8_lossy(&std::fs::read(entry.unwrap().path()).unwrap()).into_owned();
        for shape in [
            format!("\"{CVV}\""),
            "Cvv".into(),
            "cvv".into(),
            "payinCardCVV".into(),
        ] {
            assert!(!text.contains(&shape), "the database holds {shape}");
        }
    }
}

#[test]
fn the_async_ledger_runs_the_same_flows_and_the_sweeper_task() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let w = world("async");
    let ledger = pasarela_ledger::AsyncLedger::from(w.ledger.clone());
    let client = pasarela_core::client::AsyncSmilepayzClient::new(
        w.smilepayz.settings().clone(),
        w.sim.clone(),
    );
    let order = unique("SA");
    runtime.block_on(async {
        let checkout = ledger
            .checkout(&client, &w.pay_in(&order, 3000))
            .await
            .unwrap();
        assert!(matches!(checkout.next, NextStep::Redirect(_)));
        let sweeper = ledger.spawn_sweeper(
            Gateways::new().with(client.clone()),
            std::time::Duration::from_millis(50),
        );
        // The payment is paid; nobody confirms the callback inline: the
        // sweeper task asks the gateway (the callback only made it due).
        let settled = async {
            loop {
                if let Some(p) = ledger
                    .blocking()
                    .payment(Gateway::Smilepayz, &order)
                    .unwrap()
                    && p.state == State::Paid
                {
                    return p;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        };
        w.control(
            "/_simulator/smilepayz/complete",
            json!({"orderNo": order, "status": "SUCCESS"}),
        );
        let paid = tokio::time::timeout(std::time::Duration::from_secs(120), settled)
            .await
            .expect("the sweeper confirmed the payment");
        assert_eq!(paid.state, State::Paid);
        sweeper.shutdown().await;
        let claimed = ledger.claim_outcomes(5).await.unwrap();
        assert_eq!(claimed.len(), 1);
        ledger.acknowledge(&claimed[0]).await.unwrap();
    });
}

#[test]
fn events_verified_elsewhere_are_stored_once() {
    let w = world("record-event");
    let order = unique("SE");
    w.ledger
        .checkout(&w.smilepayz, &w.pay_in(&order, 4200))
        .unwrap();
    let trade = w
        .ledger
        .payment(Gateway::Smilepayz, &order)
        .unwrap()
        .unwrap()
        .gateway_ref
        .unwrap();
    let platform = PrivateKey::load(pasarela_simulator::TEST_PLATFORM_PRIVATE_KEY).unwrap();
    let ts = smilepayz::format_timestamp(time::OffsetDateTime::now_utc());
    let signature =
        smilepayz::sign_callback(&*Backend::default().signer(&platform).unwrap(), &trade, &ts)
            .unwrap();
    let body = json!({"orderNo": order, "tradeNo": trade, "merchantId": w.creds.smilepayz.merchant_id,
        "status": "SUCCESS", "money": {"amount": 4200, "currency": "PEN"},
        "transactionTime": "2026-12-01T10:00:00-05:00"});
    let request = pasarela_core::http::Request::post("/smilepayz")
        .header("X-TIMESTAMP", ts)
        .header("X-SIGNATURE", signature)
        .body(body.to_string().into_bytes())
        .unwrap();
    // Verified with the core's webhook, by the application's own framework.
    let verified = w
        .shop
        .smilepayz
        .verify_request_at(&request, time::OffsetDateTime::now_utc())
        .unwrap();
    let first = w.ledger.record_callback(&verified.event).unwrap();
    assert!(
        matches!(first, pasarela_ledger::EventOutcome::New { .. }),
        "{first:?}"
    );
    assert_eq!(
        w.ledger.record_callback(&verified.event).unwrap(),
        pasarela_ledger::EventOutcome::Repeat
    );
    let history = w.ledger.history(Gateway::Smilepayz, &order).unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|h| h.fact == "event_received")
            .count(),
        1
    );
}
