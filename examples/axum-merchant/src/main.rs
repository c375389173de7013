//! Runs the merchant service:
//!
//! ```sh
//! cargo run -p pasarela-axum-merchant -- --listen 127.0.0.1:0 --db shop.db --simulator-url http://127.0.0.1:8080
//! ```
//!
//! It prints one JSON line, `{"addr": "127.0.0.1:PORT"}`, once it listens.
//! Without `--simulator-url`, the credentials come from the environment
//! (see README.md).
#![forbid(unsafe_code)]

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use pasarela_axum_merchant::{AppState, background, router, setup, shop};
use pasarela_ledger::{AsyncLedger, Ledger, Policy};
use pasarela_reqwest::{ReqwestTransport, TransportConfig};

/// The pasarela axum merchant: checkout, webhooks, the ledger's sweeper and
/// outcome hand-over.
#[derive(Debug, Parser)]
#[command(name = "pasarela-axum-merchant")]
struct Args {
    /// Where to listen (`127.0.0.1:0` picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3000")]
    listen: String,
    /// The ledger: a SQLite file path or a `postgres://` URL.
    #[arg(long, value_name = "DB", default_value = "merchant.db")]
    db: String,
    /// Take the TEST ONLY credentials from this running `pasarela simulate`.
    #[arg(long, value_name = "URL")]
    simulator_url: Option<String>,
    /// Where the gateways reach this service (the webhook URLs); default:
    /// the bound address.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Where shoppers come back to (https).
    #[arg(long, value_name = "URL", default_value = "https://shop.example")]
    storefront_url: String,
    /// How often the sweeper runs, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    sweep_every_ms: u64,
    /// The gateway calls' overall timeout, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    gateway_timeout_secs: u64,
    /// Short waits (first status call after 1 s, backoff from 1 s up to 5
    /// s, deadlines 1 min after expiry, create and check leases of the
    /// gateway timeout plus 10 s, at least 15 s): for tests and demos.
    #[arg(long)]
    fast: bool,
}

fn fast_policy(gateway_timeout: Duration) -> Policy {
    let mut policy = Policy::default();
    policy.first_check_after = time::Duration::seconds(1);
    policy.reconcile_after = time::Duration::seconds(1);
    policy.backoff_base = time::Duration::seconds(1);
    policy.backoff_max = time::Duration::seconds(5);
    policy.deadline_margin = time::Duration::minutes(1);
    // A lease outlives the longest call made under it (the gateway
    // timeout), or a create still on the wire would be taken for one whose
    // process stopped.
    let outlives = time::Duration::try_from(gateway_timeout)
        .unwrap_or(time::Duration::MAX)
        .saturating_add(time::Duration::seconds(10))
        .max(time::Duration::seconds(15));
    policy.create_lease = outlives;
    policy.check_lease = outlives;
    policy.outcome_lease = time::Duration::seconds(10);
    policy
}

/// Crash points for crash tests: `MERCHANT_CRASH_POINTS` lists
/// `point:probability` pairs (`checkout.intent_recorded:0.2,webhook.stored:0.1`,
/// the points of `Ledger::with_crash_probe`); at a point, the process
/// stops at once with that probability (exit code 86, no clean-up).
fn crash_points() -> Result<Vec<(String, f64)>, String> {
    let Ok(spec) = std::env::var("MERCHANT_CRASH_POINTS") else {
        return Ok(Vec::new());
    };
    spec.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|pair| {
            let (point, p) = pair.split_once(':').ok_or_else(|| {
                format!("MERCHANT_CRASH_POINTS: {pair:?} is not point:probability")
            })?;
            let p: f64 = p
                .trim()
                .parse()
                .map_err(|_| format!("MERCHANT_CRASH_POINTS: {p:?} is not a probability"))?;
            Ok((point.trim().to_owned(), p.clamp(0.0, 1.0)))
        })
        .collect()
}

/// A small xorshift generator, seeded from the clock and the process id:
/// crash points need no cryptographic randomness.
fn coin() -> impl Fn(f64) -> bool + Send + Sync {
    let seed = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as u64
        ^ u64::from(std::process::id()) << 32;
    let state = std::sync::atomic::AtomicU64::new(seed | 1);
    move |p| {
        let mut x = state.load(std::sync::atomic::Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.store(x, std::sync::atomic::Ordering::Relaxed);
        ((x >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

async fn run(args: Args) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let setup = match &args.simulator_url {
        Some(url) => setup::from_simulator(url, public_url, args.storefront_url.clone()).await?,
        None => setup::from_env(public_url, args.storefront_url.clone())?,
    };
    let db = args.db.clone();
    let mut ledger = tokio::task::spawn_blocking(move || Ledger::open(&db))
        .await
        .map_err(|e| format!("--db: {e}"))?
        .map_err(|e| format!("--db: {e}"))?;
    let gateway_timeout = Duration::from_secs(args.gateway_timeout_secs.max(1));
    if args.fast {
        ledger = ledger.with_policy(fast_policy(gateway_timeout));
    }
    let points = crash_points()?;
    if !points.is_empty() {
        let coin = coin();
        ledger = ledger.with_crash_probe(move |point| {
            if points.iter().any(|(p, chance)| p == point && coin(*chance)) {
                eprintln!("pasarela-axum-merchant: crash point {point}");
                std::process::exit(86);
            }
        });
    }
    let ledger = AsyncLedger::from(ledger);
    shop::prepare(&ledger)
        .await
        .map_err(|e| format!("--db: {e}"))?;
    let transport = ReqwestTransport::with_config(TransportConfig::new().timeout(gateway_timeout))
        .map_err(|e| format!("transport: {e}"))?;
    let state = AppState::new(setup, transport, ledger);
    let app = router(state.clone());
    println!("{}", serde_json::json!({ "addr": addr.to_string() }));
    let _ = std::io::stdout().flush();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let work = tokio::spawn(background(
        state,
        Duration::from_millis(args.sweep_every_ms.max(10)),
        {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.changed().await;
            }
        },
    ));
    let shutdown = async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| format!("serve: {e}"))?;
    let _ = work.await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pasarela-axum-merchant: {e}");
            ExitCode::FAILURE
        }
    }
}
