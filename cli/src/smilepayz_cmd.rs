//! `pasarela smilepayz sign` and `pasarela smilepayz verify-callback`.

use std::path::PathBuf;
use std::process::ExitCode;

use pasarela_core::MerchantSecret;
use pasarela_core::crypto::{Backend, PrivateKey, PublicKey};
use pasarela_core::smilepayz::{
    DEFAULT_CALLBACK_TOLERANCE, minify_json, parse_timestamp, request_string_to_sign, sign_request,
    verify_callback,
};
use serde_json::json;

use crate::output::{Failure, print_json, read_file, read_text, report_invalid};

/// SmilePayz debugging commands.
// No `Debug`: these arguments carry secrets (merchant secret, KeyMonnet).
#[derive(clap::Subcommand)]
pub enum SmilepayzCommand {
    /// Sign a request body as the merchant: prints the string to sign and X-SIGNATURE.
    Sign(SignArgs),
    /// Verify a callback's X-SIGNATURE and X-TIMESTAMP with the platform public key.
    VerifyCallback(VerifyCallbackArgs),
}

/// Arguments of `smilepayz sign`.
#[derive(clap::Args)]
pub struct SignArgs {
    /// Merchant private key: PKCS#8 or PKCS#1 PEM, or bare base64 PKCS#8 DER.
    #[arg(long, value_name = "FILE")]
    private_key: PathBuf,
    /// The merchant secret (the middle part of the string to sign).
    #[arg(long, value_name = "S")]
    merchant_secret: String,
    /// The X-TIMESTAMP value, e.g. 2020-12-17T10:55:00-05:00.
    #[arg(long, value_name = "T")]
    timestamp: String,
    /// The request body; its bytes are signed exactly as they are in the file.
    #[arg(long, value_name = "FILE")]
    body: PathBuf,
    /// First strip insignificant whitespace (keys keep their order, strings
    /// their escapes); the JSON output then also carries the minified body.
    #[arg(long)]
    minify: bool,
    /// Print one JSON object: {"stringToSign", "signature"} (+ "body" with --minify).
    #[arg(long)]
    json: bool,
}

/// Arguments of `smilepayz verify-callback`.
#[derive(clap::Args)]
pub struct VerifyCallbackArgs {
    /// Platform public key: SPKI or PKCS#1 PEM, or bare base64 SPKI DER.
    #[arg(long, value_name = "FILE")]
    public_key: PathBuf,
    /// The callback's X-TIMESTAMP header.
    #[arg(long, value_name = "T")]
    timestamp: String,
    /// The callback's X-SIGNATURE header (base64).
    #[arg(long, value_name = "SIG")]
    signature: String,
    /// The callback body.
    #[arg(long, value_name = "FILE")]
    body: PathBuf,
    /// The time to check the timestamp against (default: now).
    #[arg(long, value_name = "T")]
    now: Option<String>,
    /// Allowed distance between the timestamp and now, in seconds.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CALLBACK_TOLERANCE.whole_seconds().unsigned_abs())]
    tolerance_secs: u64,
    /// Print one JSON object: {"valid": true, "tradeNo", ...} or {"valid": false, "reason"}.
    #[arg(long)]
    json: bool,
}

/// Runs a SmilePayz subcommand.
pub fn run(command: SmilepayzCommand) -> Result<ExitCode, Failure> {
    match command {
        SmilepayzCommand::Sign(args) => sign(args),
        SmilepayzCommand::VerifyCallback(args) => verify(args),
    }
}

fn sign(args: SignArgs) -> Result<ExitCode, Failure> {
    if parse_timestamp(&args.timestamp).is_none() {
        return Err(Failure::usage(
            "--timestamp must be yyyy-MM-ddTHH:mm:ss±HH:mm, e.g. 2020-12-17T10:55:00-05:00",
        ));
    }
    let key = PrivateKey::load(&read_text("private key", &args.private_key)?).map_err(|e| {
        Failure::usage(format!(
            "cannot load private key {}: {e}",
            args.private_key.display()
        ))
    })?;
    let mut body = read_file("body", &args.body)?;
    if args.minify {
        body = minify_json(&body).map_err(|e| {
            Failure::usage(format!("--minify: body {} is {e}", args.body.display()))
        })?;
    }
    let secret = MerchantSecret::new(args.merchant_secret);
    let signer = Backend::default()
        .signer(&key)
        .map_err(|e| Failure::usage(format!("cannot use private key: {e}")))?;
    let signature = sign_request(&*signer, &args.timestamp, &secret, &body)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let string_to_sign = request_string_to_sign(&args.timestamp, &secret, &body);
    let string_to_sign = String::from_utf8_lossy(&string_to_sign);
    if args.json {
        let mut out = json!({ "stringToSign": string_to_sign, "signature": signature });
        if args.minify {
            out["body"] = json!(String::from_utf8_lossy(&body));
        }
        print_json(&out);
    } else {
        if args.minify {
            println!("body:         {}", String::from_utf8_lossy(&body));
        }
        println!("stringToSign: {string_to_sign}");
        println!("signature:    {signature}");
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(args: VerifyCallbackArgs) -> Result<ExitCode, Failure> {
    let key = PublicKey::load(&read_text("public key", &args.public_key)?).map_err(|e| {
        Failure::usage(format!(
            "cannot load public key {}: {e}",
            args.public_key.display()
        ))
    })?;
    let body = read_file("body", &args.body)?;
    let now = match &args.now {
        Some(text) => parse_timestamp(text)
            .ok_or_else(|| Failure::usage("--now must be yyyy-MM-ddTHH:mm:ss±HH:mm"))?,
        None => time::OffsetDateTime::now_utc(),
    };
    let tolerance = i64::try_from(args.tolerance_secs)
        .map(time::Duration::seconds)
        .map_err(|_| Failure::usage("--tolerance-secs is too large"))?;
    let verifier = Backend::default()
        .verifier(&key)
        .map_err(|e| Failure::usage(format!("cannot use public key: {e}")))?;
    match verify_callback(
        Some(&args.timestamp),
        Some(&args.signature),
        &body,
        &*verifier,
        now,
        tolerance,
    ) {
        Ok(cb) => {
            if args.json {
                let claims = cb.claims();
                print_json(&json!({
                    "valid": true,
                    "tradeNo": cb.authenticated().trade_no(),
                    "orderNo": claims.order_no,
                    "merchantId": claims.merchant_id,
                    "status": claims.status.as_str(),
                    "amount": claims.money.minor_units(),
                    "currency": claims.money.currency().as_str(),
                }));
            } else {
                let claims = cb.claims();
                println!(
                    "valid: tradeNo {} orderNo {} status {} amount {}",
                    cb.authenticated().trade_no(),
                    claims.order_no,
                    claims.status,
                    claims.money
                );
                println!(
                    "note: the signature covers tradeNo and timestamp only; confirm amount and status with inquiry-status"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(report_invalid(args.json, "callback", &e.to_string())),
    }
}
