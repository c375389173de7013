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

use crate::output::{
    Failure, SecretSources, escape, print_json, read_body, read_text, report_invalid,
};

/// The environment variable that may hold the merchant secret.
pub const MERCHANT_SECRET_ENV: &str = "PASARELA_SMILEPAYZ_MERCHANT_SECRET";

/// SmilePayz debugging commands.
// No `Debug`: these arguments carry secrets (merchant secret, KeyMonnet).
#[derive(clap::Subcommand)]
pub enum SmilepayzCommand {
    /// Sign a request body as the merchant: prints the string to sign and X-SIGNATURE.
    Sign(SignArgs),
    /// Verify a callback's X-SIGNATURE and X-TIMESTAMP with the platform public key.
    VerifyCallback(VerifyCallbackArgs),
}

/// Arguments of `smilepayz sign`. The merchant secret comes from exactly one
/// of --merchant-secret-file, the environment variable
/// PASARELA_SMILEPAYZ_MERCHANT_SECRET, or --merchant-secret.
#[derive(clap::Args)]
#[command(
    after_help = "The merchant secret comes from exactly one of --merchant-secret-file FILE, \
the environment variable PASARELA_SMILEPAYZ_MERCHANT_SECRET, or --merchant-secret S."
)]
pub struct SignArgs {
    /// Merchant private key: PKCS#8 or PKCS#1 PEM, or bare base64 PKCS#8 DER.
    #[arg(long, value_name = "FILE")]
    private_key: PathBuf,
    /// The merchant secret (the middle part of the string to sign). Visible
    /// to other users in the process list: prefer --merchant-secret-file or
    /// PASARELA_SMILEPAYZ_MERCHANT_SECRET.
    #[arg(long, value_name = "S", allow_hyphen_values = true)]
    merchant_secret: Option<String>,
    /// A file holding the merchant secret (one trailing line break is ignored).
    #[arg(long, value_name = "FILE")]
    merchant_secret_file: Option<PathBuf>,
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
    let secret = MerchantSecret::new(
        SecretSources {
            what: "the merchant secret",
            value_flag: ("--merchant-secret", args.merchant_secret),
            file_flag: (
                "--merchant-secret-file",
                args.merchant_secret_file.as_deref(),
            ),
            env: MERCHANT_SECRET_ENV,
        }
        .resolve()?,
    );
    let key = PrivateKey::load(&read_text(
        "private key (--private-key)",
        &args.private_key,
    )?)
    .map_err(|e| Failure::usage(format!("cannot load private key (--private-key): {e}")))?;
    let mut body = read_body(&args.body)?;
    if args.minify {
        body = minify_json(&body)
            .map_err(|e| Failure::usage(format!("--minify: the body (--body) is {e}")))?;
    }
    let signer = Backend::default()
        .signer(&key)
        .map_err(|e| Failure::usage(format!("cannot use private key (--private-key): {e}")))?;
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
        // The string to sign is the user's own input, but a body file may
        // still carry line breaks or escape sequences: shown escaped.
        if args.minify {
            println!("body:         {}", escape(&String::from_utf8_lossy(&body)));
        }
        println!("stringToSign: {}", escape(&string_to_sign));
        println!("signature:    {signature}");
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(args: VerifyCallbackArgs) -> Result<ExitCode, Failure> {
    let key = PublicKey::load(&read_text("public key (--public-key)", &args.public_key)?)
        .map_err(|e| Failure::usage(format!("cannot load public key (--public-key): {e}")))?;
    let body = read_body(&args.body)?;
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
        .map_err(|e| Failure::usage(format!("cannot use public key (--public-key): {e}")))?;
    // A callback is a JSON object; an array (which serde would read field by
    // field, in order) or any other value is not one.
    if let Some(kind) = not_an_object(&body) {
        return Ok(report_invalid(
            args.json,
            "callback",
            &format!("malformed body: the callback must be a JSON object, not {kind}"),
        ));
    }
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
                    "bodySigned": false,
                    "orderNo": claims.order_no,
                    "merchantId": claims.merchant_id,
                    "status": claims.status.as_str(),
                    "amount": claims.money.minor_units(),
                    "currency": claims.money.currency().as_str(),
                }));
            } else {
                let claims = cb.claims();
                println!(
                    "valid: tradeNo {} (signed); unsigned claims: orderNo {} status {} amount {}",
                    escape(cb.authenticated().trade_no()),
                    escape(&claims.order_no),
                    escape(&claims.status.to_string()),
                    escape(&claims.money.to_string())
                );
                println!(
                    "note: the signature covers tradeNo and timestamp only (bodySigned: false); confirm amount and status with inquiry-status"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(report_invalid(args.json, "callback", &e.to_string())),
    }
}

/// What the body is when it is valid JSON but not an object (`None` when it
/// is an object, or not JSON at all: the verifier reports that itself).
pub fn not_an_object(body: &[u8]) -> Option<&'static str> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    match value {
        serde_json::Value::Object(_) => None,
        serde_json::Value::Array(_) => Some("an array"),
        serde_json::Value::String(_) => Some("a string"),
        serde_json::Value::Number(_) => Some("a number"),
        serde_json::Value::Bool(_) => Some("a boolean"),
        serde_json::Value::Null => Some("null"),
    }
}
