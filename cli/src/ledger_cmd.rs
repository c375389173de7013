//! `pasarela ledger migrate | list | show`: the merchant's ledger
//! (`pasarela-ledger`) from the command line.

use std::process::ExitCode;

use pasarela_ledger::{Gateway, HistoryLine, Ledger, Outcome, Payment, State, Store};
use serde_json::{Value, json};

use crate::output::{Failure, escape, json_line, print_json};

/// Ledger commands.
// No `Debug`: a postgres:// URL may carry a password.
#[derive(clap::Subcommand)]
pub enum LedgerCommand {
    /// Create the ledger's tables (or apply the migrations it lacks).
    Migrate(MigrateArgs),
    /// List payments, newest first.
    List(ListArgs),
    /// Show one payment: its record, its history, its outcomes.
    Show(ShowArgs),
}

/// Where the ledger is.
#[derive(clap::Args)]
pub struct DbArg {
    /// The ledger: a SQLite file path or a postgres:// URL.
    #[arg(long, value_name = "DB")]
    db: String,
}

/// Arguments of `ledger migrate`.
#[derive(clap::Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    db: DbArg,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Arguments of `ledger list`.
#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    db: DbArg,
    /// Only payments in this state: intent, created, rejected, unknown,
    /// pending, paid, not_paid, needs_attention.
    #[arg(long, value_name = "STATE")]
    state: Option<String>,
    /// At most this many payments.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    limit: u32,
    /// Print one JSON object per payment, one per line.
    #[arg(long)]
    json: bool,
}

/// Arguments of `ledger show`.
#[derive(clap::Args)]
pub struct ShowArgs {
    #[command(flatten)]
    db: DbArg,
    /// The merchant's order number (SmilePayz orderNo, Monnet operation number).
    #[arg(value_name = "ORDER")]
    order: String,
    /// The gateway, when both have a payment with this order number:
    /// smilepayz or monnet.
    #[arg(long, value_name = "GATEWAY")]
    gateway: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs a ledger command.
pub fn run(command: LedgerCommand) -> Result<ExitCode, Failure> {
    match command {
        LedgerCommand::Migrate(args) => migrate(args),
        LedgerCommand::List(args) => list(args),
        LedgerCommand::Show(args) => show(args),
    }
}

/// A store failure, naming the flag (never the path or URL as typed).
fn failure(e: pasarela_ledger::StoreError) -> Failure {
    let reason = match e {
        pasarela_ledger::StoreError::Open { why, .. } => {
            format!("--db: cannot open the ledger: {why}")
        }
        other => format!("--db: {other}"),
    };
    Failure {
        code: crate::output::INVALID,
        reason: crate::output::one_line(&reason),
    }
}

fn open_existing(db: &DbArg) -> Result<Ledger, Failure> {
    Store::open_existing(&db.db)
        .map(Ledger::with_store)
        .map_err(failure)
}

fn migrate(args: MigrateArgs) -> Result<ExitCode, Failure> {
    let store = Store::open(&args.db.db).map_err(failure)?;
    let versions = store.schema_versions().map_err(failure)?;
    let version = versions.iter().max().copied().unwrap_or(0);
    // `open` applied what was missing; say what the database has now.
    if args.json {
        print_json(&json!({
            "db": store.describe(),
            "database": store.dialect().to_string(),
            "schemaVersion": version,
            "versions": versions,
        }));
    } else {
        println!(
            "ledger at {}: {} schema version {version}",
            escape(&store.describe()),
            store.dialect()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// UTC, to the millisecond: `2026-12-01T12:00:00.000Z`.
fn time_text(t: time::OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .unwrap_or_default()
}

/// A payment as one JSON object.
pub fn payment_json(p: &Payment) -> Value {
    json!({
        "gateway": p.gateway.as_str(),
        "order": p.order,
        "state": p.state.as_str(),
        "amount": p.amount.minor_units(),
        "currency": p.amount.currency().as_str(),
        "merchant": p.merchant,
        "gatewayRef": p.gateway_ref,
        "paymentUrl": p.payment_url,
        "reason": p.reason,
        "version": p.version,
        "createdAt": time_text(p.created_at),
        "updatedAt": time_text(p.updated_at),
        "expiresAt": time_text(p.expires_at),
        "deadlineAt": time_text(p.deadline_at),
        "nextCheckAt": p.next_check_at.map(time_text),
        "checks": p.checks,
    })
}

fn list(args: ListArgs) -> Result<ExitCode, Failure> {
    let state = match &args.state {
        Some(text) => Some(text.parse::<State>().map_err(|_| {
            Failure::usage(
                "--state: not a state (intent, created, rejected, unknown, pending, paid, not_paid, needs_attention)",
            )
        })?),
        None => None,
    };
    let ledger = open_existing(&args.db)?;
    let payments = ledger.list(state, args.limit, 0).map_err(failure)?;
    let mut lines = Vec::with_capacity(payments.len() + 1);
    if args.json {
        lines.extend(payments.iter().map(|p| json_line(&payment_json(p))));
    } else if payments.is_empty() {
        lines.push("no payments".to_owned());
    } else {
        lines.push(format!(
            "{:<10} {:<34} {:<16} {:>14}  {:<24}  reason",
            "gateway", "order", "state", "amount", "updated"
        ));
        lines.extend(payments.iter().map(|p| {
            format!(
                "{:<10} {:<34} {:<16} {:>14}  {:<24}  {}",
                p.gateway.as_str(),
                escape(&p.order),
                p.state.as_str(),
                p.amount.to_string(),
                time_text(p.updated_at),
                escape(p.reason.as_deref().unwrap_or("")),
            )
        }));
    }
    write_lines(&lines)
}

/// Writes lines to stdout; a reader that stops early (`| head`) ends the
/// listing quietly.
fn write_lines(lines: &[String]) -> Result<ExitCode, Failure> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    for line in lines {
        match writeln!(out, "{line}") {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
            Err(e) => {
                return Err(Failure {
                    code: crate::output::INVALID,
                    reason: format!("cannot write the listing: {e}"),
                });
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn history_json(h: &HistoryLine) -> Value {
    json!({
        "seq": h.seq,
        "at": time_text(h.at),
        "fact": h.fact,
        "from": h.from.as_str(),
        "to": h.to.as_str(),
        "note": h.note,
        "detail": h.detail,
    })
}

fn outcome_json(o: &Outcome) -> Value {
    json!({
        "id": o.id,
        "kind": o.kind.as_str(),
        "reason": o.reason,
        "createdAt": time_text(o.created_at),
        "claims": o.claims,
        "acknowledgedAt": o.acknowledged_at.map(time_text),
    })
}

fn show(args: ShowArgs) -> Result<ExitCode, Failure> {
    let gateway = match &args.gateway {
        Some(text) => Some(
            text.parse::<Gateway>()
                .map_err(|_| Failure::usage("--gateway: not a gateway (smilepayz, monnet)"))?,
        ),
        None => None,
    };
    let ledger = open_existing(&args.db)?;
    let mut found = ledger.find(&args.order).map_err(failure)?;
    if let Some(g) = gateway {
        found.retain(|p| p.gateway == g);
    }
    let payment = match found.len() {
        0 => {
            return Err(Failure {
                code: crate::output::INVALID,
                reason: format!(
                    "no payment with order number {} in this ledger",
                    escape(&args.order)
                ),
            });
        }
        1 => found.remove(0),
        _ => {
            return Err(Failure::usage(format!(
                "both gateways have a payment with order number {}: give --gateway smilepayz or --gateway monnet",
                escape(&args.order)
            )));
        }
    };
    let history = ledger
        .history(payment.gateway, &payment.order)
        .map_err(failure)?;
    let outcomes = ledger
        .outcomes(payment.gateway, &payment.order)
        .map_err(failure)?;
    if args.json {
        let mut value = payment_json(&payment);
        value["history"] = history.iter().map(history_json).collect();
        value["outcomes"] = outcomes.iter().map(outcome_json).collect();
        print_json(&value);
        return Ok(ExitCode::SUCCESS);
    }
    let mut lines = Vec::new();
    lines.push(format!(
        "{} payment {}",
        payment.gateway,
        escape(&payment.order)
    ));
    lines.push(format!("  state:       {}", payment.state));
    lines.push(format!("  amount:      {}", payment.amount));
    lines.push(format!("  merchant:    {}", escape(&payment.merchant)));
    if let Some(r) = &payment.gateway_ref {
        lines.push(format!("  gateway ref: {}", escape(r)));
    }
    if let Some(u) = &payment.payment_url {
        lines.push(format!("  payment url: {}", escape(u)));
    }
    if let Some(r) = &payment.reason {
        lines.push(format!("  reason:      {}", escape(r)));
    }
    lines.push(format!("  created:     {}", time_text(payment.created_at)));
    lines.push(format!("  deadline:    {}", time_text(payment.deadline_at)));
    lines.push("history:".to_owned());
    for h in &history {
        lines.push(format!(
            "  {:>3}  {}  {:<18} {:>15} -> {:<15} {}",
            h.seq,
            time_text(h.at),
            h.fact,
            h.from.as_str(),
            h.to.as_str(),
            escape(&h.note)
        ));
    }
    lines.push("outcomes:".to_owned());
    if outcomes.is_empty() {
        lines.push("  none".to_owned());
    }
    for o in &outcomes {
        lines.push(format!(
            "  {}  {}  claimed {} time(s), {}",
            escape(&o.id),
            o.kind,
            o.claims,
            o.acknowledged_at.map_or_else(
                || "not acknowledged".to_owned(),
                |t| format!("acknowledged {}", time_text(t))
            )
        ));
    }
    write_lines(&lines)
}
