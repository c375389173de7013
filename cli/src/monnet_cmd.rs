//! `pasarela monnet verification` and `pasarela monnet verify-notification`.

use std::path::PathBuf;
use std::process::ExitCode;

use pasarela_core::MonnetKey;
use pasarela_core::monnet::{payin_verification, verify_notification};
use serde_json::json;

use crate::output::{Failure, print_json, read_file, report_invalid};

/// Monnet hash debugging commands.
// No `Debug`: these arguments carry secrets (merchant secret, KeyMonnet).
#[derive(clap::Subcommand)]
pub enum MonnetCommand {
    /// Compute payinVerification: SHA-512 of merchantId+operationNumber+amount+currency+KeyMonnet.
    Verification(VerificationArgs),
    /// Verify a notification body's payinVerification with KeyMonnet.
    VerifyNotification(VerifyNotificationArgs),
}

/// Arguments of `monnet verification`.
#[derive(clap::Args)]
pub struct VerificationArgs {
    /// payinMerchantID, exactly as sent.
    #[arg(long, value_name = "ID")]
    merchant_id: String,
    /// payinMerchantOperationNumber, exactly as sent.
    #[arg(long, value_name = "N")]
    operation_number: String,
    /// payinAmount, exactly as sent (e.g. 150.00).
    #[arg(long, value_name = "A")]
    amount: String,
    /// payinCurrency, exactly as sent (e.g. PEN).
    #[arg(long, value_name = "C")]
    currency: String,
    /// KeyMonnet.
    #[arg(long, value_name = "K")]
    key: String,
    /// Print one JSON object: {"payinVerification": "<128 lowercase hex>"}.
    #[arg(long)]
    json: bool,
}

/// Arguments of `monnet verify-notification`.
#[derive(clap::Args)]
pub struct VerifyNotificationArgs {
    /// KeyMonnet.
    #[arg(long, value_name = "K")]
    key: String,
    /// The notification body as received.
    #[arg(long, value_name = "FILE")]
    body: PathBuf,
    /// Print one JSON object: {"valid": true, ...} or {"valid": false, "reason"}.
    #[arg(long)]
    json: bool,
}

/// Runs a Monnet subcommand.
pub fn run(command: MonnetCommand) -> Result<ExitCode, Failure> {
    match command {
        MonnetCommand::Verification(args) => verification(args),
        MonnetCommand::VerifyNotification(args) => verify(args),
    }
}

fn verification(args: VerificationArgs) -> Result<ExitCode, Failure> {
    let key = MonnetKey::new(args.key);
    let hash = payin_verification(
        &args.merchant_id,
        &args.operation_number,
        &args.amount,
        &args.currency,
        &key,
    );
    if args.json {
        print_json(&json!({ "payinVerification": hash }));
    } else {
        println!("payinVerification: {hash}");
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(args: VerifyNotificationArgs) -> Result<ExitCode, Failure> {
    let key = MonnetKey::new(args.key);
    let body = read_file("body", &args.body)?;
    // The CLI contract has no --merchant-id: this command checks the hash
    // only, taking the body's own payinMerchantID as the expected one (a
    // merchant's handler passes its configured id instead).
    let claimed_merchant = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| match v.get("payinMerchantID") {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .unwrap_or_default();
    match verify_notification(&body, &key, &claimed_merchant) {
        Ok(n) => {
            let (a, c) = (n.authenticated(), n.claims());
            if args.json {
                print_json(&json!({
                    "valid": true,
                    "payinMerchantOperationNumber": a.operation_number(),
                    "payinMerchantID": a.merchant_id(),
                    "payinStateID": c.state.id(),
                    "payinState": c.state_name,
                    "payinAmount": a.amount_text(),
                    "payinCurrency": a.currency(),
                }));
            } else {
                println!(
                    "valid: operation {} state {} ({}) amount {} {}",
                    a.operation_number(),
                    c.state.id(),
                    c.state_name.as_deref().unwrap_or("-"),
                    a.amount_text(),
                    a.currency()
                );
                println!(
                    "note: the hash does not cover the state; confirm it with a status query before shipping"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(report_invalid(args.json, "notification", &e.to_string())),
    }
}
