//! `pasarela bench`: operations per second of every core operation, one line
//! each, plus the baselines the project's speed targets are ratios of (raw
//! RSA-2048 sign and verify per backend; `serde_json::to_vec` of the Monnet
//! body plus one SHA-512), so that every ratio comes from one run
//! ([`ops`], [`transport_ops`]).
//!
//! `pasarela bench --load N`: N concurrent whole pay-ins per transport and
//! backend against the embedded simulator, each row with the crypto ceiling
//! of its flow measured in the same run ([`load`], [`ceiling`]).
//!
//! Every operation runs on fixed inputs: the gateways' seed examples and the
//! project's TEST ONLY keys. Each is warmed up, then timed in batches for at
//! least `--duration-ms` (1000 by default and at least).

mod ceiling;
mod drivers;
mod flow;
mod ledgered;
mod load;
mod measure;
mod merchant;
mod ops;
mod record;
mod row;
mod sim;
mod transport_ops;
mod usage;

use std::process::ExitCode;
use std::time::Duration;

use crate::output::Failure;

/// The shortest measurement the command accepts without `--quick`.
const MIN_DURATION_MS: u64 = 1000;
/// The most pay-ins `--load` runs per row.
const MAX_LOAD: usize = 100_000;

/// Arguments of `bench`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct BenchArgs {
    /// Print one JSON object per row and line:
    /// `{"op": "<gateway>.<operation>", "backend": "rsa" | "aws-lc" | null, "ops_per_sec": N}`;
    /// with --load, then one `{"op": "load.pay_in" | "load.card_pay_in", "transport", "backend",
    /// "n", "pay_ins_per_sec", "p50_ms", "p99_ms", "cpu_ms_per_pay_in", "peak_rss_mb", "errors",
    /// "ceiling_per_sec", "ledger"}` per flow, transport and backend.
    #[arg(long)]
    json: bool,
    /// Run N concurrent whole pay-ins (create, settlement, verified callback,
    /// confirmation) per transport (reqwest, surf, ureq) and backend against
    /// the embedded simulator, instead of the single operations.
    #[arg(long, value_name = "N")]
    load: Option<usize>,
    /// How long each operation is timed, after its warm-up (at least 1000).
    #[arg(long, value_name = "MS", default_value_t = MIN_DURATION_MS)]
    duration_ms: u64,
    /// For tests of the output's shape only: lifts the 1000 ms minimum so
    /// the numbers mean nothing.
    #[arg(long, hide = true)]
    quick: bool,
    /// Measure only the operations whose name starts with PREFIX (for
    /// profiling one of them, e.g. `--only reqwest.`); with --load, run only
    /// the rows whose `op.transport.backend` starts with it
    /// (`--only load.pay_in.reqwest.aws-lc`).
    #[arg(long, value_name = "PREFIX")]
    only: Option<String>,
    /// With --load: also run the ledger rows on this PostgreSQL database
    /// (a postgres:// URL; a scratch database: the rows write their
    /// payments into it). The SQLite ledger rows always run, each on a new
    /// file.
    #[arg(long, value_name = "DB")]
    db: Option<String>,
    /// For instruction-count profiles (`valgrind --tool=callgrind`): run
    /// each operation exactly N times, untimed, and print nothing.
    #[arg(long, value_name = "N", hide = true)]
    iterations: Option<u64>,
}

const AFTER_HELP: &str = "\
Load rows (--load N): each row runs N pay-ins issued at once through one
transport, against a fresh embedded simulator and an in-process merchant
endpoint that verifies every callback; errors counts failed pay-ins, orders
not created exactly once and callbacks not recorded exactly once (the command
exits 1 if any row has errors). Latencies run from the moment the N were
issued to each pay-in's confirmation. cpu_ms_per_pay_in and peak_rss_mb are
the whole process's (merchant, simulator and endpoint together; Linux only,
else null). ceiling_per_sec is what the flow's unavoidable computation allows
on all cores, measured in the same run: for SmilePayz pay-ins, 3 RSA-2048
signatures and 3 verifications (merchant: create, inquiry, callback;
simulator: both requests, callback), at the rates of the rsa.sign and
rsa.verify rows printed first; for card pay-ins, the hashing and JSON of both
sides (the monnet.* and json.* rows printed first). ledger names the
merchant's record of each payment: none (not recorded), sqlite (a new
pasarela-ledger file per row: intent, answer, inbox, confirmation and
hand-over, every commit synced to disk) or postgres (the --db given); the
ledger rows run on reqwest (the async ledger) and ureq (the blocking one).";

/// Runs `bench`.
pub fn run(args: BenchArgs) -> Result<ExitCode, Failure> {
    if args.duration_ms < MIN_DURATION_MS && !args.quick {
        return Err(Failure::usage(format!(
            "--duration-ms must be at least {MIN_DURATION_MS} (got {})",
            args.duration_ms
        )));
    }
    if let Some(n) = args.load
        && !(1..=MAX_LOAD).contains(&n)
    {
        return Err(Failure::usage(format!(
            "--load must be between 1 and {MAX_LOAD} (got {n})"
        )));
    }
    if cfg!(debug_assertions) {
        eprintln!(
            "pasarela: warning: this build has no optimizations, numbers are not representative; use `cargo run --release -p pasarela-cli -- bench`"
        );
    }
    let duration = Duration::from_millis(args.duration_ms.max(1));
    let warm_up = duration / 5;
    if let Some(n) = args.load {
        if let Some(db) = &args.db
            && !db.starts_with("postgres://")
            && !db.starts_with("postgresql://")
        {
            return Err(Failure::usage(
                "--db must be a postgres:// URL (the SQLite rows always run)",
            ));
        }
        return load::run(
            n,
            args.json,
            args.only.as_deref(),
            args.db.as_deref(),
            warm_up,
            duration,
        );
    }
    let mut ops = ops::operations()?;
    if let Some(prefix) = &args.only {
        ops.retain(|op| op.name.starts_with(prefix.as_str()));
    }
    if let Some(n) = args.iterations {
        for mut op in ops {
            for _ in 0..n {
                (op.run)().map_err(|e| Failure::usage(format!("{} failed: {e}", op.name)))?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.json {
        measure::print_header();
    }
    let measured = measure::measure_all(ops, warm_up, duration).map_err(Failure::usage)?;
    measure::print_rows(&measured, args.json);
    Ok(ExitCode::SUCCESS)
}
