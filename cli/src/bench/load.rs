//! `pasarela bench --load N`: N concurrent whole pay-ins per transport and
//! backend against the embedded loopback simulator, each row next to the
//! ceiling of its flow measured in the same run ([`super::ceiling`]).
//!
//! Each row gets a fresh simulator (signing and verifying with the row's
//! backend, as the merchant does) and a fresh merchant endpoint
//! ([`super::merchant`]), all in this process: the row's CPU time and peak
//! memory are both sides together. The N pay-ins are issued at once and run
//! as far as the transport lets them (each transport's default cap of
//! requests in flight; ureq on a pool of [`UREQ_THREADS`] threads); a pay-in's
//! latency runs from that moment to its confirmation, queueing included.
//! After the run every order must exist exactly once at the simulator and
//! every callback be recorded exactly once by the merchant: each miss is an
//! error in the row.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use pasarela_core::MonnetKey;
use pasarela_core::client::{
    AsyncMonnetClient, AsyncSmilepayzClient, MonnetSettings, SmilepayzSettings,
};
use pasarela_core::crypto::{Backend, PublicKey};
use pasarela_core::transport::{AsyncTransport, Ready};
use pasarela_ledger::{AsyncLedger, Gateway, Ledger, State};
use pasarela_simulator::{LoopbackServer, Simulator, SimulatorConfig, codes};

use super::ceiling::{self, Ceilings};
use super::drivers::{AsyncStd, Driver, Run, Threads, Tokio};
use super::flow::{CardPayIn, Shared, SmilepayzPayIn};
use super::ledgered::{
    Books, LedgerCard, LedgerPayIn, LedgerRecord, OnThreads, OnTokio, RowLedger, Wiring,
};
use super::measure::{measure_all, print_header, print_rows};
use super::merchant::{Endpoint, MONNET_PATH, SMILEPAYZ_PATH};
use super::record::{MerchantRecord, NoRecord};
use super::row::Row;
use super::sim::{loopback, monnet_config, smilepayz_config};
use super::usage;
use crate::output::Failure;

/// Threads of the ureq pool: each runs one pay-in at a time.
pub(super) const UREQ_THREADS: usize = 32;

/// The HTTP stacks under load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    /// `pasarela-reqwest` on a multi-threaded tokio runtime.
    Reqwest,
    /// `pasarela-surf` on async-std's executor.
    Surf,
    /// `pasarela-ureq` on a pool of threads.
    Ureq,
}

impl Transport {
    const ALL: [Transport; 3] = [Transport::Reqwest, Transport::Surf, Transport::Ureq];

    fn name(self) -> &'static str {
        match self {
            Transport::Reqwest => "reqwest",
            Transport::Surf => "surf",
            Transport::Ureq => "ureq",
        }
    }
}

/// Which whole pay-in a row runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// SmilePayz cash pay-in, RSA on this backend on both sides.
    PayIn(Backend),
    /// Monnet card pay-in (no RSA).
    Card,
}

impl Flow {
    fn op(self) -> &'static str {
        match self {
            Flow::PayIn(_) => "load.pay_in",
            Flow::Card => "load.card_pay_in",
        }
    }

    fn backend(self) -> Option<Backend> {
        match self {
            Flow::PayIn(b) => Some(b),
            Flow::Card => None,
        }
    }
}

/// Runs `--load n`: the ceiling's inputs first (printed as operation rows),
/// then one row per flow, transport and backend.
pub(super) fn run(
    n: usize,
    json: bool,
    only: Option<&str>,
    db: Option<&str>,
    warm_up: Duration,
    duration: Duration,
) -> Result<ExitCode, Failure> {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    if !json {
        println!("ceiling inputs (one thread each; {cores} cores available):");
        print_header();
    }
    let measured =
        measure_all(ceiling::operations()?, warm_up, duration).map_err(Failure::usage)?;
    print_rows(&measured, json);
    let ceilings = Ceilings::compute(cores, |name, backend| {
        measured
            .iter()
            .find(|(op, _)| op.name == name && op.backend == backend)
            .map(|(_, rate)| *rate)
    })
    .map_err(Failure::usage)?;
    tracing::debug!(?ceilings, "ceilings computed");
    if !json {
        println!(
            "\n{:<18} {:<8} {:<7} {:>6} {:>9} {:>8} {:>8} {:>8} {:>8} {:>6} {:>9} {:>5}",
            "load",
            "via",
            "backend",
            "n",
            "per sec",
            "p50 ms",
            "p99 ms",
            "cpu ms",
            "rss MiB",
            "errors",
            "ceiling",
            "ratio"
        );
    }
    let mut flows: Vec<Flow> = Backend::ALL.iter().map(|&b| Flow::PayIn(b)).collect();
    flows.push(Flow::Card);
    let mut failed = Vec::new();
    for flow in flows {
        for transport in Transport::ALL {
            // Without a ledger, then through one per database (not on
            // async-std: the async ledger runs on tokio).
            let mut books: Vec<Option<Books>> = vec![None];
            if transport != Transport::Surf {
                books.push(Some(Books::sqlite(transport.name())));
                if let Some(url) = db {
                    books.push(Some(Books::Postgres(url.to_owned())));
                }
            }
            for books in books {
                let label = format!(
                    "{}.{}.{}",
                    flow.op(),
                    transport.name(),
                    flow.backend().map_or("-", Backend::name)
                );
                if only.is_some_and(|prefix| !label.starts_with(prefix)) {
                    continue;
                }
                let (row, first_error) = run_row(flow, transport, n, cores, books, &ceilings)
                    .map_err(|e| {
                        Failure::usage(format!(
                            "{} via {} could not run: {e}",
                            flow.op(),
                            transport.name()
                        ))
                    })?;
                if json {
                    println!("{}", row.json());
                } else {
                    println!("{}", row.text());
                }
                if let Some(first) = first_error {
                    failed.push(format!(
                        "{} via {} ({}, ledger {}): {} errors, first: {first}",
                        row.op,
                        row.transport,
                        row.backend.unwrap_or("-"),
                        row.ledger,
                        row.errors
                    ));
                }
            }
        }
    }
    if !json {
        println!(
            "\nceiling: SmilePayz = {cores} cores / (3 RSA signs + 3 verifies, both sides); card = {cores} cores / (hashing and JSON, both sides); see `pasarela bench --help`"
        );
    }
    match failed.first() {
        None => Ok(ExitCode::SUCCESS),
        Some(first) => Err(Failure {
            code: 1,
            reason: crate::output::one_line(&format!(
                "{} load rows had errors; {first}",
                failed.len()
            )),
        }),
    }
}

/// A row's ledger: where it lives, and the open ledger.
struct Kept {
    books: Books,
    ledger: Ledger,
    /// The order numbers' prefix, unique to the row (a PostgreSQL ledger
    /// keeps earlier runs' payments).
    prefix: String,
}

/// What one row's run left to check.
struct Env {
    server: LoopbackServer,
    endpoint: Endpoint,
    record: Arc<dyn MerchantRecord>,
    kept: Option<Kept>,
}

impl Env {
    fn start(flow: Flow, n: usize, cores: usize, books: Option<Books>) -> Result<Self, String> {
        let kept = match books {
            Some(books) => {
                let ledger = books.open()?;
                let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
                let prefix = format!("L{}", nanos % 1_000_000_000_000);
                Some(Kept {
                    books,
                    ledger,
                    prefix,
                })
            }
            None => None,
        };
        let record: Arc<dyn MerchantRecord> = match &kept {
            Some(kept) => Arc::new(LedgerRecord {
                ledger: AsyncLedger::from(kept.ledger.clone()),
                name: kept.books.name(),
            }),
            None => Arc::new(NoRecord),
        };
        let record = &record;
        let backend = flow.backend().unwrap_or_default();
        let config = SimulatorConfig::default()
            .with_backend(backend)
            .with_max_orders(n.saturating_add(16));
        let simulator = Simulator::new(config).map_err(|e| format!("simulator: {e}"))?;
        let server =
            LoopbackServer::start(simulator, loopback()).map_err(|e| format!("simulator: {e}"))?;
        let creds = server.credentials();
        let platform = PublicKey::load(&creds.smilepayz.platform_public_key)
            .map_err(|e| format!("platform key: {e}"))?;
        let verifier = backend
            .verifier(&platform)
            .map_err(|e| format!("verifier: {e}"))?;
        let endpoint = Endpoint::start(
            verifier,
            MonnetKey::new(creds.monnet.key_monnet.clone()),
            creds.monnet.merchant_id.clone(),
            record.clone(),
            cores,
        )
        .map_err(|e| format!("merchant endpoint: {e}"))?;
        Ok(Self {
            server,
            endpoint,
            record: record.clone(),
            kept,
        })
    }

    fn shared(&self, flow: Flow) -> Result<Shared, String> {
        let (control, path) = match flow {
            Flow::PayIn(_) => ("smilepayz", SMILEPAYZ_PATH),
            Flow::Card => ("monnet", MONNET_PATH),
        };
        let complete_url = format!("{}/_simulator/{control}/complete", self.server.base_url())
            .parse()
            .map_err(|e| format!("control URL: {e}"))?;
        Ok(Shared {
            complete_url,
            callback_url: self.endpoint.url(path),
            seen: self.endpoint.seen().clone(),
            record: self.record.clone(),
        })
    }

    /// The flow's pay-in over `transport`, handed to `driver`; through the
    /// row's ledger when it has one, with the ledger and clients `wiring`
    /// makes for the executor (a row without a ledger has no wiring).
    fn drive<T, D, W>(
        &self,
        flow: Flow,
        transport: T,
        driver: &D,
        n: usize,
        wiring: Option<W>,
    ) -> Result<Run, String>
    where
        T: AsyncTransport + Send + Sync + 'static,
        D: Driver,
        W: Wiring + Send + Sync + 'static,
    {
        let creds = self.server.credentials();
        let shared = self.shared(flow)?;
        if let Some(kept) = &self.kept {
            let wiring = wiring.ok_or("this executor has no ledger variant")?;
            let ledger = RowLedger::new(wiring.ledger(kept.ledger.clone()));
            let prefix = kept.prefix.clone();
            return Ok(match flow {
                Flow::PayIn(backend) => {
                    let settings = SmilepayzSettings::new(smilepayz_config(&creds, backend)?)
                        .with_code_meanings(codes::smilepayz::MEANINGS.iter().copied());
                    driver.drive(
                        Arc::new(LedgerPayIn::<W> {
                            partner_id: settings.config().partner_id().to_owned(),
                            client: wiring.smilepayz(settings),
                            settle: wiring.settle(),
                            ledger,
                            prefix,
                            shared,
                        }),
                        n,
                    )
                }
                Flow::Card => {
                    let config = monnet_config(&self.server.base_url(), &creds)?;
                    driver.drive(
                        Arc::new(LedgerCard::<W> {
                            client: wiring.monnet(MonnetSettings::new(config)),
                            settle: wiring.settle(),
                            ledger,
                            prefix,
                            shared,
                        }),
                        n,
                    )
                }
            });
        }
        Ok(match flow {
            Flow::PayIn(backend) => {
                let settings = SmilepayzSettings::new(smilepayz_config(&creds, backend)?)
                    .with_not_found_codes([codes::smilepayz::NOT_FOUND]);
                driver.drive(
                    Arc::new(SmilepayzPayIn {
                        client: AsyncSmilepayzClient::new(settings, transport),
                        merchant_id: creds.smilepayz.merchant_id.clone(),
                        shared,
                    }),
                    n,
                )
            }
            Flow::Card => {
                let config = monnet_config(&self.server.base_url(), &creds)?;
                driver.drive(
                    Arc::new(CardPayIn {
                        client: AsyncMonnetClient::new(MonnetSettings::new(config), transport),
                        shared,
                    }),
                    n,
                )
            }
        })
    }

    /// Errors the run's results do not show: orders missing or created
    /// twice at the simulator, callbacks not recorded exactly once by the
    /// merchant, deliveries refused.
    fn audit(&self, flow: Flow, n: usize) -> Vec<String> {
        let simulator = self.server.simulator();
        let references: Vec<String> = match flow {
            Flow::PayIn(_) => simulator
                .smilepayz_orders()
                .into_iter()
                .map(|o| o.order_no)
                .collect(),
            Flow::Card => simulator
                .monnet_operations()
                .into_iter()
                .map(|o| o.operation_number)
                .collect(),
        };
        let mut problems = Vec::new();
        let mut distinct = references.clone();
        distinct.sort();
        distinct.dedup();
        if references.len() != distinct.len() {
            problems.push(format!(
                "{} orders created more than once",
                references.len() - distinct.len()
            ));
        }
        if distinct.len() != n {
            problems.push(format!(
                "{} orders at the simulator, expected {n}",
                distinct.len()
            ));
        }
        let seen = self.endpoint.seen();
        let (smilepayz, monnet) = seen.recorded();
        let recorded = match flow {
            Flow::PayIn(_) => smilepayz,
            Flow::Card => monnet,
        };
        if recorded != n {
            problems.push(format!("{recorded} callbacks recorded, expected {n}"));
        }
        let rejected = seen.rejected.load(std::sync::atomic::Ordering::Relaxed);
        if rejected > 0 {
            problems.push(format!(
                "{rejected} deliveries refused by the merchant endpoint"
            ));
        }
        if let Some(kept) = &self.kept {
            problems.extend(audit_ledger(kept, flow, n));
        }
        problems
    }
}

/// The ledger's side of the audit: every pay-in paid in the ledger, its
/// outcome handed over exactly once.
fn audit_ledger(kept: &Kept, flow: Flow, n: usize) -> Vec<String> {
    let gateway = match flow {
        Flow::PayIn(_) => Gateway::Smilepayz,
        Flow::Card => Gateway::Monnet,
    };
    let (mut unpaid, mut handed_wrong) = (0, 0);
    for i in 0..n {
        let order = format!("{}{i:07}", kept.prefix);
        match kept.ledger.payment(gateway, &order) {
            Ok(Some(p)) if p.state == State::Paid => {}
            _ => unpaid += 1,
        }
        match kept.ledger.outcomes(gateway, &order) {
            Ok(outcomes)
                if outcomes.len() == 1 && outcomes.iter().all(|o| o.acknowledged_at.is_some()) => {}
            _ => handed_wrong += 1,
        }
    }
    let mut problems = Vec::new();
    if unpaid > 0 {
        problems.push(format!("{unpaid} pay-ins not paid in the ledger"));
    }
    if handed_wrong > 0 {
        problems.push(format!(
            "{handed_wrong} pay-ins whose outcome was not handed over exactly once"
        ));
    }
    problems
}

/// Runs one row (through `books`' ledger when given); returns it and its
/// first error, if any.
fn run_row(
    flow: Flow,
    transport: Transport,
    n: usize,
    cores: usize,
    books: Option<Books>,
    ceilings: &Ceilings,
) -> Result<(Row, Option<String>), String> {
    tracing::info!(
        op = flow.op(),
        transport = transport.name(),
        backend = flow.backend().map(Backend::name),
        n,
        "load row starting"
    );
    let env = Env::start(flow, n, cores, books)?;
    let config = pasarela_reqwest::TransportConfig::new();
    // Measured from here: the transport's set-up is part of the run.
    usage::reset_peak_rss();
    let cpu_before = usage::cpu_time();
    let run = match transport {
        Transport::Reqwest => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(cores)
                .enable_all()
                .build()
                .map_err(|e| format!("tokio: {e}"))?;
            let client = pasarela_reqwest::client_builder(&config)
                .no_proxy()
                .build()
                .map_err(|e| format!("reqwest: {e}"))?;
            let t = pasarela_reqwest::ReqwestTransport::with_client(client, config);
            env.drive(flow, t.clone(), &Tokio(runtime), n, Some(OnTokio(t)))?
        }
        Transport::Surf => {
            let t = pasarela_surf::SurfTransport::with_config(config)
                .map_err(|e| format!("surf: {e}"))?;
            // No ledger rows: the async ledger runs on tokio.
            env.drive(
                flow,
                t,
                &AsyncStd,
                n,
                None::<OnTokio<pasarela_surf::SurfTransport>>,
            )?
        }
        Transport::Ureq => {
            // As a service with a pool of threads would set it: an idle
            // connection kept per thread.
            let agent = pasarela_ureq::agent_config(&config)
                .max_idle_connections_per_host(UREQ_THREADS)
                .proxy(None)
                .build();
            let t = pasarela_ureq::UreqTransport::with_agent_config(agent, config);
            let wiring = OnThreads(t.clone());
            env.drive(flow, Ready(t), &Threads(UREQ_THREADS), n, Some(wiring))?
        }
    };
    let cpu = match (cpu_before, usage::cpu_time()) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => None,
    };
    let peak = usage::peak_rss_mib();
    let mut problems: Vec<String> = run
        .results
        .iter()
        .filter_map(|r| r.as_ref().err().cloned())
        .collect();
    problems.extend(env.audit(flow, n));
    let mut latencies: Vec<Duration> = run.results.iter().filter_map(|r| r.clone().ok()).collect();
    latencies.sort();
    let quantile_ms = |q: f64| {
        let at = ((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1);
        latencies.get(at).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    let ceiling = match flow.backend() {
        Some(backend) => ceilings.pay_in(backend.name()).unwrap_or(f64::NAN),
        None => ceilings.card_pay_in,
    };
    let row = Row {
        op: flow.op(),
        transport: transport.name(),
        backend: flow.backend().map(Backend::name),
        n,
        pay_ins_per_sec: n as f64 / run.elapsed.as_secs_f64().max(1e-9),
        p50_ms: quantile_ms(0.5),
        p99_ms: quantile_ms(0.99),
        cpu_ms_per_pay_in: cpu.map(|c| c.as_secs_f64() * 1e3 / n as f64),
        peak_rss_mb: peak,
        errors: problems.len(),
        ceiling_per_sec: ceiling,
        ledger: env.record.name(),
    };
    Ok((row, problems.into_iter().next()))
}
