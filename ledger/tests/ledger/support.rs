//! What the tests share: databases of both kinds, a clock the test moves.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use pasarela_ledger::{Ledger, Policy};
use pasarela_ledger_testkit::PgServer;
use time::OffsetDateTime;
use time::macros::datetime;

pub const T0: OffsetDateTime = datetime!(2026-12-01 12:00:00 UTC);

/// A clock the test moves by hand; clones share the time.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<OffsetDateTime>>);

impl TestClock {
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new(T0)))
    }
    pub fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
    pub fn advance(&self, by: time::Duration) {
        *self.0.lock().unwrap() += by;
    }
    pub fn clock(&self) -> impl Fn() -> OffsetDateTime + Send + Sync + 'static {
        let inner = self.0.clone();
        move || *inner.lock().unwrap()
    }
}

/// A new SQLite file in a directory removed on drop.
pub struct TempDb {
    pub dir: PathBuf,
    pub path: PathBuf,
}

impl TempDb {
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "pasarela-ledger-{}-{}-{name}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ledger.db");
        Self { dir, path }
    }
    pub fn url(&self) -> String {
        self.path.display().to_string()
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The databases a suite runs on: a fresh one per call.
pub enum Databases {
    Sqlite(Vec<TempDb>),
    Postgres(PgServer),
}

impl Databases {
    pub fn sqlite() -> Self {
        Databases::Sqlite(Vec::new())
    }

    /// `None` (skipped) when PostgreSQL is missing outside CI.
    pub fn postgres(test: &str) -> Option<Self> {
        PgServer::start_or_skip(test).map(Databases::Postgres)
    }

    /// A new, empty database's URL.
    pub fn fresh(&mut self, name: &str) -> String {
        match self {
            Databases::Sqlite(files) => {
                let db = TempDb::new(name);
                let url = db.url();
                files.push(db);
                url
            }
            Databases::Postgres(server) => server
                .create_database(&name.to_ascii_lowercase().replace('-', "_"))
                .unwrap_or_else(|e| panic!("{e}\n{}", server.log())),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Databases::Sqlite(_) => "sqlite",
            Databases::Postgres(_) => "postgres",
        }
    }
}

/// A ledger on `db` with a test clock and the default policy.
pub fn ledger(db: &str, clock: &TestClock) -> Ledger {
    Ledger::open(db)
        .unwrap_or_else(|e| panic!("open {db}: {e}"))
        .with_clock(clock.clock())
        .with_policy(Policy::default())
}

/// The payer every [`Scripted`] request names.
pub const SCRIPTED_PAYER: &str = "Ana Flores Huaman";
/// Their e-mail.
pub const SCRIPTED_EMAIL: &str = "ana.flores@example.com";

/// A gateway that answers from a script, counting its calls: the flows
/// without a network.
#[derive(Clone)]
pub struct Scripted {
    pub gateway: pasarela_ledger::Gateway,
    pub merchant: String,
    creates: Arc<Mutex<std::collections::VecDeque<pasarela_ledger::Fact>>>,
    statuses: Arc<Mutex<std::collections::VecDeque<pasarela_ledger::Fact>>>,
    pub calls: Arc<Mutex<Vec<String>>>,
}

/// A create request for [`Scripted`].
pub struct Order {
    pub order: String,
    pub amount: u64,
}

impl Order {
    pub fn new(order: &str, amount: u64) -> Self {
        Self {
            order: order.to_owned(),
            amount,
        }
    }
}

impl Scripted {
    pub fn new(gateway: pasarela_ledger::Gateway) -> Self {
        Self {
            gateway,
            merchant: match gateway {
                pasarela_ledger::Gateway::Smilepayz => "20001".into(),
                pasarela_ledger::Gateway::Monnet => "4001".into(),
            },
            creates: Arc::default(),
            statuses: Arc::default(),
            calls: Arc::default(),
        }
    }
    pub fn on_create(&self, fact: pasarela_ledger::Fact) -> &Self {
        self.creates.lock().unwrap().push_back(fact);
        self
    }
    pub fn on_status(&self, fact: pasarela_ledger::Fact) -> &Self {
        self.statuses.lock().unwrap().push_back(fact);
        self
    }
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

/// How many status calls `gw` was asked.
pub fn asked(gw: &Scripted) -> usize {
    gw.calls()
        .iter()
        .filter(|c| c.starts_with("status"))
        .count()
}

impl pasarela_ledger::PaymentGateway for Scripted {
    type Request = Order;
    // Answers on the calling thread: for the blocking `Ledger`.
    type Flavour = pasarela_ledger::flavour::Blocking;

    fn gateway(&self) -> pasarela_ledger::Gateway {
        self.gateway
    }

    fn merchant(&self) -> &str {
        &self.merchant
    }

    fn describe(
        &self,
        request: &Order,
        now: OffsetDateTime,
    ) -> Result<pasarela_ledger::NewPayment, pasarela_ledger::gateway::NotRecordable> {
        // Who pays, as a request names them: stored only when the ledger
        // was opened to keep it.
        let mut payer = pasarela_ledger::PayerData::default();
        payer.name = Some(SCRIPTED_PAYER.into());
        payer.email = Some(SCRIPTED_EMAIL.into());
        Ok(pasarela_ledger::NewPayment::new(
            self.gateway,
            request.order.clone(),
            self.merchant.clone(),
            pasarela_core::Money::pen(request.amount),
            now + time::Duration::hours(1),
        )
        .with_payer(payer))
    }

    fn create<'a>(
        &'a self,
        request: &'a Order,
    ) -> impl std::future::Future<Output = pasarela_ledger::Fact> + Send + 'a {
        self.calls
            .lock()
            .unwrap()
            .push(format!("create {}", request.order));
        let fact = self
            .creates
            .lock()
            .unwrap()
            .pop_front()
            .expect("the script has no create answer left");
        std::future::ready(fact)
    }

    fn status<'a>(
        &'a self,
        payment: &'a pasarela_ledger::Payment,
    ) -> impl std::future::Future<Output = pasarela_ledger::Fact> + Send + 'a {
        self.calls
            .lock()
            .unwrap()
            .push(format!("status {}", payment.order));
        let fact = self.statuses.lock().unwrap().pop_front().unwrap_or(
            pasarela_ledger::Fact::CannotTell {
                reason: "the script has no status answer left".into(),
            },
        );
        std::future::ready(fact)
    }
}

/// A SmilePayz inquiry answer for `trade`, `status`, PEN `amount`.
pub fn sp_status(trade: &str, status: &str, amount: u64) -> pasarela_ledger::Fact {
    let body = serde_json::json!({"code": "00", "message": "ok", "tradeNo": trade, "status": status,
        "money": {"amount": amount, "currency": "PEN"}});
    pasarela_ledger::Fact::StatusAnswered(pasarela_ledger::StatusAnswer::Smilepayz(
        pasarela_core::smilepayz::parse_inquiry_status_response(pasarela_core::RawResponse::new(
            200,
            body.to_string(),
        ))
        .unwrap(),
    ))
}

/// A create answered open, with `trade` and a payment page.
pub fn opened(trade: &str) -> pasarela_ledger::Fact {
    pasarela_ledger::Fact::CreateAnswered(pasarela_ledger::CreateAnswer::Open {
        gateway_ref: Some(trade.into()),
        payment_url: Some(format!("https://pay.example/{trade}")),
    })
}

/// A SmilePayz `SUCCESS` callback for `order` (`trade`, PEN `amount`),
/// timestamped at `now`, signed with the simulator's TEST ONLY platform
/// key and verified as an application's own framework would.
pub fn sp_callback(
    order: &str,
    trade: &str,
    amount: u64,
    now: OffsetDateTime,
) -> pasarela_core::smilepayz::VerifiedCallback {
    use pasarela_core::crypto::{Backend, PrivateKey};
    use pasarela_core::smilepayz;
    let platform = PrivateKey::load(pasarela_simulator::TEST_PLATFORM_PRIVATE_KEY).unwrap();
    let ts = smilepayz::format_timestamp(now);
    let signature =
        smilepayz::sign_callback(&*Backend::default().signer(&platform).unwrap(), trade, &ts)
            .unwrap();
    let body = serde_json::json!({"orderNo": order, "tradeNo": trade, "merchantId": "20001",
        "status": "SUCCESS", "money": {"amount": amount, "currency": "PEN"},
        "transactionTime": "2026-12-01T07:00:00-05:00"});
    let request = http::Request::post("/smilepayz")
        .header("X-TIMESTAMP", ts)
        .header("X-SIGNATURE", signature)
        .body(body.to_string().into_bytes())
        .unwrap();
    let webhook = pasarela_core::webhook::SmilepayzWebhook::new(
        Backend::default().verifier(&platform.public_key()).unwrap(),
    );
    webhook.verify_request_at(&request, now).unwrap().event
}

/// Checks out `ORD0`..`ORD{n-1}` (PEN 1.00 each) through `gw`, each
/// created open as `T0`..: payments waiting for their first look.
pub fn check_out_orders(ledger: &Ledger, gw: &Scripted, n: usize) {
    for i in 0..n {
        gw.on_create(opened(&format!("T{i}")));
        ledger
            .checkout(gw, &Order::new(&format!("ORD{i}"), 100))
            .unwrap();
    }
}
