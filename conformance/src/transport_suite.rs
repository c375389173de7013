//! One behavioural suite for every transport, run against the loopback
//! simulator.
//!
//! The suite is written once, against [`AsyncTransport`]. A blocking
//! transport runs it through [`Blocking`], which calls it inline, so the
//! ureq and surf transports (and any user's own) face exactly the same
//! cases: success for every call, each simulator trigger mapped to the
//! right [`ClientError`] kind, and "not sent" vs "outcome unknown" right in
//! every case.
//!
//! A transport crate's integration test starts a [`Suite`], runs it with a
//! factory of its transports, and asserts the [`Report`].

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use pasarela_core::client::{
    AsyncMonnetClient, AsyncSmilepayzClient, ClientError, OperationReconciliation,
    PayInReconciliation, SmilepayzSettings, Unknown,
};
use pasarela_core::crypto::{Backend, PrivateKey};
use pasarela_core::monnet;
use pasarela_core::smilepayz::{
    self, InquiryBalanceRequest, InquiryStatusRequest, PayInRequest, TransactionStatus,
};
use pasarela_core::transport::{AsyncTransport, BlockingTransport};
use pasarela_core::{MerchantSecret, MonnetKey, PreparedRequest, RawResponse};

use crate::samples;
use pasarela_simulator::{
    Credentials, LoopbackServer, ServerLimits, Simulator, SimulatorConfig, codes,
};

/// Runs a blocking transport as an async one, inline: the suite's futures
/// complete on first poll.
#[derive(Debug, Clone)]
pub struct Blocking<T>(pub T);

impl<T: BlockingTransport> AsyncTransport for Blocking<T> {
    type Error = T::Error;

    fn send(
        &self,
        request: PreparedRequest,
    ) -> impl Future<Output = Result<RawResponse, T::Error>> + Send {
        std::future::ready(self.0.send(request))
    }
}

/// The client-side timeout the suite gives transports: generous, so that no
/// call that should succeed can time out on a loaded machine (the one case
/// that waits it out, the slow answer, costs this much).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);
/// The simulator's slow-answer delay in the suite: far past the client's
/// timeout, however late a loaded machine fires its timer. (The server is
/// stopped when the suite ends; nothing waits for the delay.)
pub const SLOW_DELAY: Duration = Duration::from_secs(60);

/// A loopback simulator set up for the suite.
pub struct Suite {
    server: LoopbackServer,
    credentials: Credentials,
}

/// The outcome of a suite run: one line per case.
#[derive(Debug, Default)]
pub struct Report {
    /// Cases that behaved.
    pub passed: Vec<&'static str>,
    /// Cases that did not, with what happened.
    pub failed: Vec<(&'static str, String)>,
}

impl Report {
    /// Panics with every failed case listed, if any.
    pub fn assert_all_passed(&self) {
        assert!(
            self.failed.is_empty(),
            "{} of {} transport cases failed:\n{}",
            self.failed.len(),
            self.failed.len() + self.passed.len(),
            self.failed
                .iter()
                .map(|(case, why)| format!("  {case}: {why}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    /// Records one case.
    pub fn check(&mut self, case: &'static str, result: Result<(), String>) {
        match result {
            Ok(()) => self.passed.push(case),
            Err(why) => self.failed.push((case, why)),
        }
    }
}

impl Suite {
    /// Starts a simulator on `127.0.0.1:0` with a short slow delay.
    ///
    /// # Panics
    /// If the simulator cannot start (a test set-up failure).
    pub fn start() -> Self {
        // The load tests open a thousand connections from one address: the
        // simulator's per-address cap is raised to the global one here.
        let simulator = Simulator::new(
            SimulatorConfig::default()
                .with_slow_delay(SLOW_DELAY)
                .with_server_limits(ServerLimits::default().with_max_connections_per_address(1024)),
        )
        .unwrap_or_else(|e| panic!("simulator keys: {e}"));
        let server = LoopbackServer::start(simulator, loopback_any())
            .unwrap_or_else(|e| panic!("simulator start: {e}"));
        let credentials = server.credentials();
        Self {
            server,
            credentials,
        }
    }

    /// The running server (to inspect state).
    pub fn server(&self) -> &LoopbackServer {
        &self.server
    }

    /// A SmilePayz configuration for the simulator's test merchant.
    ///
    /// # Panics
    /// If the simulator's test credentials are unusable.
    pub fn smilepayz_config(&self) -> smilepayz::Config {
        smilepayz_config(&self.credentials)
    }

    /// A Monnet configuration for the simulator's test merchant.
    ///
    /// # Panics
    /// If the simulator's base URL is not a URL.
    pub fn monnet_config(&self) -> monnet::Config {
        monnet_config(&self.server.base_url(), &self.credentials)
    }

    /// Runs every case with transports from `make` (given the client timeout
    /// to configure) and reports.
    pub async fn run<T, F>(&self, make: F) -> Report
    where
        T: AsyncTransport + Clone + Sync,
        F: Fn(Duration) -> T,
    {
        let mut report = Report::default();
        let sp =
            AsyncSmilepayzClient::new(smilepayz_settings(&self.credentials), make(CLIENT_TIMEOUT));
        let mn = AsyncMonnetClient::new(self.monnet_config(), make(CLIENT_TIMEOUT));
        let tag = unique_tag();

        // SmilePayz: success paths.
        let order = format!("OK{tag}");
        report.check(
            "smilepayz pay-in succeeds",
            async {
                let created = sp
                    .pay_in(&pay_in(&order, 20_000))
                    .await
                    .map_err(|e| e.to_string())?;
                expect(
                    created.response().status == Some(TransactionStatus::Processing),
                    "status PROCESSING",
                )?;
                expect(created.payment_url().is_some(), "a page to redirect to")?;
                expect(created.response().trade_no.is_some(), "a tradeNo")
            }
            .await,
        );
        report.check(
            "smilepayz inquiry-status finds it",
            async {
                let found = sp
                    .inquiry_status(
                        &InquiryStatusRequest::pay_in_by_order_no(order.as_str())
                            .map_err(|e| e.to_string())?,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                expect(
                    found.status == Some(TransactionStatus::Processing),
                    "status PROCESSING",
                )
            }
            .await,
        );
        report.check(
            "smilepayz inquiry-balance answers",
            async {
                let answer = sp
                    .inquiry_balance(
                        &InquiryBalanceRequest::balance("11520011202402290943")
                            .map_err(|e| e.to_string())?,
                    )
                    .await;
                match answer {
                    Ok(balance) => expect(balance.code == codes::smilepayz::SUCCESS, "code 00"),
                    // An unknown account is a typed rejection, not a transport issue.
                    Err(ClientError::Rejected(r)) if r.code == codes::smilepayz::NOT_FOUND => {
                        Ok(())
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            .await,
        );
        report.check(
            "smilepayz reconcile of an unknown order is NotFound",
            async {
                match sp
                    .reconcile_pay_in(&format!("NONE{tag}"))
                    .await
                    .map_err(|e| e.to_string())?
                {
                    PayInReconciliation::NotFound { .. } => Ok(()),
                    other => Err(format!("{other:?}")),
                }
            }
            .await,
        );

        // SmilePayz: triggers.
        report.check(
            "smilepayz decline is a declined pay-in (code 00, status FAILED)",
            async {
                let created = sp
                    .pay_in(&pay_in(&format!("DE{tag}"), 40_001))
                    .await
                    .map_err(|e| e.to_string())?;
                expect(
                    created.response().status == Some(TransactionStatus::Failed),
                    "status FAILED",
                )?;
                expect(
                    created.is_declined() && created.payment_url().is_none(),
                    "a decline, no page to redirect to",
                )
            }
            .await,
        );
        report.check(
            "smilepayz gateway error (system busy) leaves the outcome unknown; nothing was kept",
            smilepayz_unknown(&sp, &format!("GE{tag}"), 40_003, Cause::Response, false).await,
        );
        report.check(
            "smilepayz refusal is Rejected only with the code's meaning configured",
            async {
                let mut other = self.credentials.clone();
                other.smilepayz.merchant_secret.push('x'); // a bad signature
                let bare = AsyncSmilepayzClient::new(
                    SmilepayzSettings::new(smilepayz_config(&other)),
                    make(CLIENT_TIMEOUT),
                );
                match bare.pay_in(&pay_in(&format!("BS{tag}"), 20_000)).await {
                    Err(ClientError::OutcomeUnknown(Unknown::UnrecognizedCode(r)))
                        if r.code == codes::smilepayz::BAD_SIGNATURE => {}
                    other => return Err(describe(&other)),
                }
                let told =
                    AsyncSmilepayzClient::new(smilepayz_settings(&other), make(CLIENT_TIMEOUT));
                match told.pay_in(&pay_in(&format!("BT{tag}"), 20_000)).await {
                    Err(ClientError::Rejected(r)) => {
                        expect(r.code == codes::smilepayz::BAD_SIGNATURE, "code 04")
                    }
                    other => Err(describe(&other)),
                }
            }
            .await,
        );
        report.check(
            "smilepayz HTTP 500 leaves the outcome unknown, and nothing was created",
            smilepayz_unknown(&sp, &format!("SE{tag}"), 40_004, Cause::Response, false).await,
        );
        report.check(
            "smilepayz slow answer past the timeout is outcome unknown, and reconciles",
            smilepayz_unknown(&sp, &format!("SL{tag}"), 40_005, Cause::Transport, true).await,
        );
        report.check(
            "smilepayz dropped connection is outcome unknown, and reconciles",
            smilepayz_unknown(&sp, &format!("DR{tag}"), 40_006, Cause::Transport, true).await,
        );
        report.check(
            "connection refused is NotSent",
            async {
                let dead = dead_base_url();
                let mut config = self.credentials.clone();
                config.smilepayz.base_url = dead;
                let client =
                    AsyncSmilepayzClient::new(smilepayz_settings(&config), make(CLIENT_TIMEOUT));
                match client.pay_in(&pay_in(&format!("NS{tag}"), 20_000)).await {
                    Err(e @ ClientError::NotSent(_)) => expect(e.is_retry_safe(), "retry-safe"),
                    other => Err(describe(&other)),
                }
            }
            .await,
        );

        // Monnet.
        let op = format!("MN{tag}");
        report.check(
            "monnet create succeeds",
            async {
                let created = mn
                    .create(&create_sample(&op, "150.00"))
                    .await
                    .map_err(|e| e.to_string())?;
                expect(
                    created.code_text == codes::monnet::SUCCESS,
                    "payinErrorCode 0000",
                )
            }
            .await,
        );
        report.check(
            "monnet status finds it",
            async {
                match mn
                    .reconcile_operation(&op)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    OperationReconciliation::Found(_) => Ok(()),
                    other => Err(format!("not found: {other:?}")),
                }
            }
            .await,
        );
        report.check(
            // Monnet's documented 0099 is an internal error: it may strike
            // after the payment was recorded, so the outcome is unknown.
            "monnet gateway error (0099) leaves the outcome unknown",
            async {
                match mn
                    .create(&create_sample(&format!("MG{tag}"), "400.03"))
                    .await
                {
                    Err(ClientError::OutcomeUnknown(Unknown::ServerRejection(r))) => {
                        expect(r.code == codes::monnet::GATEWAY_ERROR, "code 0099")
                    }
                    other => Err(describe(&other)),
                }
            }
            .await,
        );
        report.check(
            "monnet HTTP 500 leaves the outcome unknown, and nothing was created",
            monnet_unknown(&mn, &format!("MS{tag}"), "400.04", Cause::Response, false).await,
        );
        report.check(
            "monnet slow answer is outcome unknown, and reconciles",
            monnet_unknown(&mn, &format!("ML{tag}"), "400.05", Cause::Transport, true).await,
        );
        report.check(
            "monnet dropped connection is outcome unknown, and reconciles",
            monnet_unknown(&mn, &format!("MD{tag}"), "400.06", Cause::Transport, true).await,
        );
        report
    }
}

/// Runs a future whose I/O completes inline (the suite over [`Blocking`]
/// transports) on the current thread.
pub fn block_on_inline<F: Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

/// Which kind of unknown outcome a trigger must produce.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// The transport failed after sending (timeout, dropped connection).
    Transport,
    /// An answer came that is not the protocol (HTTP 500 page).
    Response,
}

fn cause<E>(unknown: &Unknown<E>) -> Cause {
    match unknown {
        Unknown::Transport(_) => Cause::Transport,
        _ => Cause::Response,
    }
}

/// A pay-in that must end in an unknown outcome of `want`, then a
/// reconciliation that must find (or not find) the payment.
async fn smilepayz_unknown<T: AsyncTransport + Sync>(
    client: &AsyncSmilepayzClient<T>,
    order: &str,
    amount: u64,
    want: Cause,
    exists: bool,
) -> Result<(), String> {
    match client.pay_in(&pay_in(order, amount)).await {
        Err(ClientError::OutcomeUnknown(u)) if cause(&u) == want => {
            let rec = client
                .reconcile_pay_in(order)
                .await
                .map_err(|e| e.to_string())?;
            expect(
                rec.exists() == exists,
                if exists {
                    "the payment to exist"
                } else {
                    "no payment"
                },
            )
        }
        other => Err(describe(&other)),
    }
}

/// The same for a Monnet create.
async fn monnet_unknown<T: AsyncTransport + Sync>(
    client: &AsyncMonnetClient<T>,
    operation: &str,
    amount: &str,
    want: Cause,
    exists: bool,
) -> Result<(), String> {
    match client.create(&create_sample(operation, amount)).await {
        Err(ClientError::OutcomeUnknown(u)) if cause(&u) == want => {
            let rec = client
                .reconcile_operation(operation)
                .await
                .map_err(|e| e.to_string())?;
            expect(
                rec.exists() == exists,
                if exists {
                    "the operation to exist"
                } else {
                    "no operation"
                },
            )
        }
        other => Err(describe(&other)),
    }
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("expected {what}"))
    }
}

fn describe<T: std::fmt::Debug, E: std::fmt::Debug>(outcome: &Result<T, ClientError<E>>) -> String {
    match outcome {
        Ok(v) => format!("unexpected success: {v:?}"),
        Err(e) => format!("unexpected error kind: {e:?}"),
    }
}

/// `127.0.0.1:0`.
pub fn loopback_any() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A loopback URL nothing listens on (a port bound, then released).
pub fn dead_base_url() -> String {
    let port = TcpListener::bind(loopback_any())
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9);
    format!("http://127.0.0.1:{port}")
}

fn unique_tag() -> String {
    let nanos = time::OffsetDateTime::now_utc()
        .unix_timestamp_nanos()
        .unsigned_abs();
    format!("{}", nanos % 10u128.pow(15))
}

/// A SmilePayz configuration from simulator credentials.
///
/// # Panics
/// If the credentials carry no usable merchant private key.
pub fn smilepayz_config(credentials: &Credentials) -> smilepayz::Config {
    let pem = credentials
        .smilepayz
        .merchant_private_key
        .as_deref()
        .unwrap_or_else(|| panic!("the simulator must use its own test merchant key"));
    let key = PrivateKey::load(pem).unwrap_or_else(|e| panic!("merchant key: {e}"));
    let signer = Backend::default()
        .signer(&key)
        .unwrap_or_else(|e| panic!("signer: {e}"));
    let base = url::Url::parse(&credentials.smilepayz.base_url)
        .unwrap_or_else(|e| panic!("base URL: {e}"));
    smilepayz::Config::new(
        credentials.smilepayz.merchant_id.clone(),
        MerchantSecret::new(credentials.smilepayz.merchant_secret.clone()),
        signer,
        smilepayz::Environment::Custom(base),
    )
    .unwrap_or_else(|e| panic!("SmilePayz config: {e}"))
}

/// Client settings for the simulator: its configuration and the meanings
/// of its codes (`codes::smilepayz::MEANINGS`: refusals are refusals, `22`
/// is "not found" so reconciliation can answer `NotFound`).
///
/// # Panics
/// As [`smilepayz_config`].
pub fn smilepayz_settings(credentials: &Credentials) -> SmilepayzSettings {
    SmilepayzSettings::new(smilepayz_config(credentials))
        .with_code_meanings(codes::smilepayz::MEANINGS.iter().copied())
}

/// A Monnet configuration from simulator credentials.
///
/// # Panics
/// If `base_url` is not a URL.
pub fn monnet_config(base_url: &str, credentials: &Credentials) -> monnet::Config {
    let base = url::Url::parse(base_url).unwrap_or_else(|e| panic!("base URL: {e}"));
    monnet::Config::new(
        credentials.monnet.merchant_id.clone(),
        MonnetKey::new(credentials.monnet.key_monnet.clone()),
        monnet::Environment::Custom(base),
    )
    .unwrap_or_else(|e| panic!("Monnet config: {e}"))
}

fn pay_in(order_no: &str, amount: u64) -> PayInRequest {
    samples::smilepayz_pay_in("20001", order_no, amount)
        .unwrap_or_else(|e| panic!("sample pay-in: {e}"))
}

fn create_sample(operation_number: &str, amount: &str) -> monnet::CreateRequest {
    samples::monnet_create(operation_number, amount)
        .unwrap_or_else(|e| panic!("sample create: {e}"))
}

/// The load test every async transport runs: `n` concurrent pay-ins, each
/// settled through the simulator's control API so that its signed callback
/// is delivered to a merchant endpoint that loses the first acknowledgement
/// of every callback (so each arrives at least twice). Every order must be
/// created exactly once and every callback recorded exactly once.
///
/// The transport crate spawns one task per [`Load::pay_in_with_callback`]
/// on its own runtime and hands the results to [`Load::check`].
pub struct Load {
    suite: Suite,
    merchant: crate::merchant::Merchant,
    callback_url: String,
    complete_url: String,
    n: usize,
}

/// Timings of a load run that passed.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Pay-ins run.
    pub n: usize,
    /// Pay-ins (each with its callback settled) per second, wall clock.
    pub per_sec: f64,
    /// Median latency of one pay-in plus its settlement.
    pub p50: Duration,
    /// 99th percentile of the same.
    pub p99: Duration,
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} pay-ins with callbacks: {:.0}/s, p50 {:.1} ms, p99 {:.1} ms",
            self.n,
            self.per_sec,
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3
        )
    }
}

/// The environment variable that sets the size of the load test.
pub const LOAD_N_VAR: &str = "PASARELA_LOAD_N";

impl Load {
    /// Starts the simulator and the merchant for `n` pay-ins: `n` from
    /// [`LOAD_N_VAR`] if set, else `default_n`.
    ///
    /// # Panics
    /// If the simulator or the merchant cannot start.
    pub fn start(default_n: usize) -> Self {
        use crate::merchant::{Merchant, MerchantOptions, SMILEPAYZ_PATH};
        use pasarela_core::crypto::PublicKey;

        let n = std::env::var(LOAD_N_VAR)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default_n);
        let suite = Suite::start();
        let creds = suite.server().credentials();
        let platform = PublicKey::load(&creds.smilepayz.platform_public_key)
            .unwrap_or_else(|e| panic!("platform key: {e}"));
        let merchant = Merchant::start_with(
            Backend::default()
                .verifier(&platform)
                .unwrap_or_else(|e| panic!("verifier: {e}")),
            MonnetKey::new(creds.monnet.key_monnet.clone()),
            creds.monnet.merchant_id.clone(),
            MerchantOptions {
                lose_first_ack: true,
            },
        )
        .unwrap_or_else(|e| panic!("merchant: {e}"));
        let callback_url = merchant.url(SMILEPAYZ_PATH);
        let complete_url = format!(
            "{}/_simulator/smilepayz/complete",
            suite.server().base_url()
        );
        Self {
            suite,
            merchant,
            callback_url,
            complete_url,
            n,
        }
    }

    /// How many pay-ins to run.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The simulator.
    pub fn suite(&self) -> &Suite {
        &self.suite
    }

    /// Pay-in number `i` through `client`, then its settlement (and so its
    /// callback, delivered twice) through `transport`; returns how long both
    /// took.
    pub async fn pay_in_with_callback<T>(
        &self,
        client: &AsyncSmilepayzClient<T>,
        transport: &T,
        i: usize,
    ) -> Result<Duration, String>
    where
        T: AsyncTransport + Sync,
    {
        let start = std::time::Instant::now();
        let order = format!("CB{i:06}");
        let request = samples::smilepayz_pay_in_builder("20001", &order, 10_000 + i as u64)
            .callback_url(self.callback_url.clone())
            .build()
            .map_err(|e| format!("{order}: {e}"))?;
        client
            .pay_in(&request)
            .await
            .map_err(|e| format!("{order}: {e}"))?;
        let control = PreparedRequest::new(
            pasarela_core::http::Method::POST,
            self.complete_url
                .parse()
                .map_err(|e| format!("control URL: {e}"))?,
            vec![("Content-Type".into(), "application/json".into())],
            format!(r#"{{"orderNo":"{order}","status":"SUCCESS"}}"#).into_bytes(),
        );
        let answer = transport
            .send(control)
            .await
            .map_err(|e| format!("{order}: complete: {e}"))?;
        let answer: serde_json::Value = serde_json::from_slice(&answer.body)
            .map_err(|e| format!("{order}: complete answered {e}"))?;
        if answer["delivered"] != true || answer["attempts"].as_u64() < Some(2) {
            return Err(format!("{order}: {answer}"));
        }
        Ok(start.elapsed())
    }

    /// Checks a run: no error, every order created once, every callback
    /// recorded once and delivered at least twice; `elapsed` is the wall
    /// time of the whole run.
    ///
    /// # Panics
    /// On any of those failures, with the first error.
    pub fn check(&self, results: Vec<Result<Duration, String>>, elapsed: Duration) -> LoadReport {
        let n = self.n;
        let errors: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(
            errors.is_empty(),
            "{} of {n} pay-ins failed, first: {:?}",
            errors.len(),
            errors.first()
        );
        assert_eq!(results.len(), n, "every pay-in ran");
        let orders = self.suite.server().simulator().smilepayz_orders();
        let mut numbers: Vec<_> = orders.iter().map(|o| o.order_no.clone()).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), n, "every order present");
        assert_eq!(orders.len(), n, "every order created exactly once");
        self.merchant.with_ledger(|ledger| {
            assert_eq!(
                ledger.smilepayz.len(),
                n,
                "every callback recorded exactly once"
            );
            assert!(
                ledger.verified_deliveries >= 2 * n,
                "each delivered at least twice: {}",
                ledger.verified_deliveries
            );
            assert_eq!(ledger.rejected_deliveries, 0);
        });
        let mut latencies: Vec<Duration> = results.into_iter().filter_map(Result::ok).collect();
        latencies.sort();
        let at = |q: f64| {
            latencies
                .get(((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or_default()
        };
        LoadReport {
            n,
            per_sec: n as f64 / elapsed.as_secs_f64().max(1e-9),
            p50: at(0.5),
            p99: at(0.99),
        }
    }
}
