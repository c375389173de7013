//! `pasarela demo`: the whole flow for both gateways, step by step, against
//! the embedded simulator on loopback or a running `pasarela simulate`.
//!
//! Everything goes through the public SDK: the blocking clients over the
//! ureq transport, the webhook helpers in a local merchant endpoint, and the
//! reconcile helpers that confirm each payment with a status query.

use std::process::ExitCode;

use pasarela_core::Money;
use pasarela_core::client::{ExpectedOperation, ExpectedPayIn, MonnetClient, SmilepayzClient};
use pasarela_core::crypto::{Backend, PrivateKey, PublicKey};
use pasarela_core::http::Method;
use pasarela_core::monnet::{self, PayinState};
use pasarela_core::smilepayz::{
    self, Merchant as SpMerchant, PayInRequest, Payer, TransactionStatus,
};
use pasarela_core::transport::BlockingTransport;
use pasarela_core::{MerchantSecret, MonnetKey, PreparedRequest};
use pasarela_simulator::samples;
use pasarela_simulator::{Credentials, LoopbackServer, Simulator};
use pasarela_ureq::UreqTransport;
use serde_json::{Value, json};

use crate::output::Failure;
use pasarela_simulator::merchant::{MONNET_PATH, Merchant, SMILEPAYZ_PATH};

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Run against an already running `pasarela simulate` at this URL
    /// instead of the embedded simulator.
    #[arg(long, value_name = "URL")]
    simulator_url: Option<String>,
}

/// The demo's SmilePayz amount: PEN 200.00.
const SMILEPAYZ_AMOUNT: u64 = 20_000;
/// The demo's Monnet amount.
const MONNET_AMOUNT: &str = "150.00";

struct Steps {
    done: usize,
}

impl Steps {
    /// Runs one step: prints `✓ name: detail` or `✗ name: error`.
    fn run<T>(
        &mut self,
        name: &str,
        step: impl FnOnce() -> Result<(T, String), String>,
    ) -> Result<T, Failure> {
        match step() {
            Ok((value, detail)) => {
                self.done += 1;
                tracing::info!(step = self.done, name, "demo step passed");
                println!("  ✓ {:>2}. {name}: {detail}", self.done);
                Ok(value)
            }
            Err(error) => {
                tracing::debug!(step = self.done + 1, name, "demo step failed");
                println!("  ✗ {:>2}. {name}: {error}", self.done + 1);
                println!(
                    "\nsummary: {} steps passed, step {} ({name}) FAILED",
                    self.done,
                    self.done + 1
                );
                Err(Failure {
                    code: 1,
                    reason: crate::output::one_line(&format!(
                        "demo step {} ({name}) failed: {error}",
                        self.done + 1
                    )),
                })
            }
        }
    }
}

/// Runs the demo.
pub fn run(args: DemoArgs) -> Result<ExitCode, Failure> {
    let mut steps = Steps { done: 0 };
    let transport = UreqTransport::new();
    println!("pasarela demo: SmilePayz cash pay-in and Monnet card pay-in, end to end\n");

    let (_embedded, base) = steps.run("simulator", || match &args.simulator_url {
        Some(url) => {
            let url = url.trim_end_matches('/').to_owned();
            Ok(((None, url.clone()), format!("using the simulator at {url}")))
        }
        None => {
            let sim = Simulator::with_test_keys().map_err(|e| e.to_string())?;
            let addr = "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?;
            let server =
                LoopbackServer::start(sim, addr).map_err(|e| format!("cannot start: {e}"))?;
            let base = server.base_url();
            Ok((
                (Some(server), base.clone()),
                format!("embedded, listening on {base}"),
            ))
        }
    })?;

    let creds = steps.run("test credentials", || {
        let value = control(
            &transport,
            &base,
            Method::GET,
            "/_simulator/credentials",
            None,
        )?;
        let creds: Credentials =
            serde_json::from_value(value).map_err(|e| format!("unexpected credentials: {e}"))?;
        let detail = format!(
            "SmilePayz merchant {}, Monnet merchant {}",
            creds.smilepayz.merchant_id, creds.monnet.merchant_id
        );
        Ok((creds, detail))
    })?;

    let platform = PublicKey::load(&creds.smilepayz.platform_public_key)
        .map_err(|e| Failure::usage(format!("platform key: {e}")))?;
    let platform_verifier = Backend::default()
        .verifier(&platform)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let monnet_key = MonnetKey::new(creds.monnet.key_monnet.clone());

    let shop = steps.run("merchant callback endpoint", || {
        let shop = Merchant::start(
            platform_verifier.clone(),
            monnet_key.clone(),
            creds.monnet.merchant_id.clone(),
        )
        .map_err(|e| e.to_string())?;
        let detail = format!("{} and {}", shop.url(SMILEPAYZ_PATH), shop.url(MONNET_PATH));
        Ok((shop, detail))
    })?;

    smilepayz_flow(&mut steps, &transport, &base, &creds, &shop)?;
    monnet_flow(&mut steps, &transport, &base, &creds, &monnet_key, &shop)?;

    let (verified, rejected) = shop.with_ledger(|l| (l.verified_deliveries, l.rejected_deliveries));
    println!(
        "\nsummary: all {} steps passed ({verified} verified deliveries, {rejected} rejected; duplicates are recorded once)",
        steps.done
    );
    Ok(ExitCode::SUCCESS)
}

fn smilepayz_flow(
    steps: &mut Steps,
    transport: &UreqTransport,
    base: &str,
    creds: &Credentials,
    shop: &Merchant,
) -> Result<(), Failure> {
    println!("\nSmilePayz (cash pay-in, RSA-signed requests and callbacks)");
    let client = steps.run("client", || {
        let pem = creds.smilepayz.merchant_private_key.as_deref().ok_or(
            "the simulator uses a merchant key of yours (--smilepayz-merchant-public-key); the demo needs the test key",
        )?;
        let key = PrivateKey::load(pem).map_err(|e| e.to_string())?;
        let signer = Backend::default().signer(&key).map_err(|e| e.to_string())?;
        let base_url = url::Url::parse(&creds.smilepayz.base_url).map_err(|e| e.to_string())?;
        let config = smilepayz::Config::new(
            creds.smilepayz.merchant_id.clone(),
            MerchantSecret::new(creds.smilepayz.merchant_secret.clone()),
            signer,
            smilepayz::Environment::Custom(base_url),
        )
        .map_err(|e| e.to_string())?;
        Ok((SmilepayzClient::new(config, transport.clone()), format!("signing with the {} backend", Backend::default().name())))
    })?;
    let order_no = unique("DEMO");
    let created = steps.run("create pay-in", || {
        let request = PayInRequest::builder(
            SpMerchant::new(creds.smilepayz.merchant_id.clone()),
            order_no.clone(),
            Money::pen(SMILEPAYZ_AMOUNT),
            "pasarela demo order",
            Payer::new("Rosa Quispe").with_email("rosa@example.com"),
        )
        .callback_url(shop.url(SMILEPAYZ_PATH))
        .redirect_url("https://shop.example/thanks")
        .build()
        .map_err(|e| e.to_string())?;
        let outcome = client.pay_in(&request).map_err(|e| e.to_string())?;
        if outcome.payment_url().is_none() {
            return Err(format!(
                "created without a page to pay on: {:?}",
                outcome.response().status
            ));
        }
        let created = outcome.into_response();
        let detail = format!(
            "orderNo {} → tradeNo {}, status {}, pay at {}",
            created.order_no,
            created.trade_no.as_deref().unwrap_or("-"),
            created.status.as_ref().map_or("-", |s| s.as_str()),
            created.channel.payment_url
        );
        Ok((created, detail))
    })?;
    let trade_no = created.trade_no.clone().unwrap_or_default();
    steps.run("settle through the control API", || {
        let answer = control(
            transport,
            base,
            Method::POST,
            "/_simulator/smilepayz/complete",
            Some(json!({"orderNo": order_no, "status": "SUCCESS"})),
        )?;
        delivered(&answer)
    })?;
    steps.run("callback received and verified", || {
        shop.with_ledger(|l| match l.smilepayz.get(&trade_no) {
            Some(cb) if cb.claims().status == TransactionStatus::Success => Ok(((), format!(
                "tradeNo {} claims status {} {} (signature over tradeNo|X-TIMESTAMP checked; answered SUCCESS; claims unconfirmed)",
                cb.authenticated().trade_no(), cb.claims().status, cb.claims().money
            ))),
            Some(cb) => Err(format!("callback claims status {}, expected SUCCESS", cb.claims().status)),
            None => Err("no verified callback for this tradeNo".to_owned()),
        })
    })?;
    steps.run("confirm with inquiry-status", || {
        // Verified is not confirmed: compare the gateway's status answer
        // with our own record of the order before shipping.
        let callback = shop
            .with_ledger(|l| l.smilepayz.get(&trade_no).cloned())
            .ok_or("no verified callback for this tradeNo")?;
        let record = ExpectedPayIn::new(order_no.clone(), Money::pen(SMILEPAYZ_AMOUNT));
        let confirmed = client
            .confirm_pay_in(&callback, &record)
            .map_err(|e| e.to_string())?;
        Ok((
            (),
            format!(
                "gateway confirms tradeNo {} SUCCESS {}: safe to ship",
                confirmed.trade_no, confirmed.money
            ),
        ))
    })
}

fn monnet_flow(
    steps: &mut Steps,
    transport: &UreqTransport,
    base: &str,
    creds: &Credentials,
    key: &MonnetKey,
    shop: &Merchant,
) -> Result<(), Failure> {
    println!("\nMonnet (card pay-in through the PCI proxy, SHA-512 verification)");
    let client = steps.run("client", || {
        let base_url = url::Url::parse(base).map_err(|e| e.to_string())?;
        let config = monnet::Config::new(
            creds.monnet.merchant_id.clone(),
            key.clone(),
            monnet::Environment::Custom(base_url),
        )
        .map_err(|e| e.to_string())?;
        let proxy = config.pci_proxy_url().clone();
        Ok((
            MonnetClient::new(config, transport.clone()),
            format!("PCI proxy {proxy}"),
        ))
    })?;
    let operation = unique("OP");
    steps.run("create card pay-in", || {
        let request = samples::monnet_create(&operation, MONNET_AMOUNT).map_err(|e| e.to_string())?;
        let masked = format!("************{}", &samples::TEST_PAN[samples::TEST_PAN.len() - 4..]);
        let created = client.create(&request).map_err(|e| e.to_string())?;
        Ok(((), format!(
            "operation {operation}, card {masked} (test card), {MONNET_AMOUNT} PEN → code {} redirect {}",
            created.code_text, created.redirect_url
        )))
    })?;
    steps.run("settle through the control API", || {
        let answer = control(
            transport,
            base,
            Method::POST,
            "/_simulator/monnet/complete",
            Some(json!({
                "payinMerchantOperationNumber": operation,
                "payinStateID": 5,
                "notificationUrl": shop.url(MONNET_PATH),
            })),
        )?;
        delivered(&answer)
    })?;
    steps.run("notification received and verified", || {
        shop.with_ledger(|l| match l.monnet.get(&(operation.clone(), PayinState::Authorized.id())) {
            Some(n) => Ok(((), format!(
                "operation {} state {} ({}) amount {} {} (payinVerification checked; answered 200)",
                n.authenticated().operation_number(), n.claims().state.id(), n.claims().state_name.as_deref().unwrap_or("-"), n.authenticated().amount_text(), n.authenticated().currency()
            ))),
            None => Err("no verified notification for this operation".to_owned()),
        })
    })?;
    steps.run("confirm with the status query", || {
        let notification = shop
            .with_ledger(|l| {
                l.monnet
                    .get(&(operation.clone(), PayinState::Authorized.id()))
                    .cloned()
            })
            .ok_or("no verified notification for this operation")?;
        let amount = Money::parse_decimal(MONNET_AMOUNT, pasarela_core::Currency::PEN)
            .map_err(|e| format!("{e}"))?;
        let record = ExpectedOperation::new(operation.clone(), amount);
        let confirmed = client
            .confirm_operation(&notification, &record)
            .map_err(|e| e.to_string())?;
        Ok((
            (),
            format!(
                "Monnet confirms state {} amount {}: safe to ship",
                confirmed.state.id(),
                confirmed.amount
            ),
        ))
    })
}

/// Calls the simulator's HTTP API (credentials, control) with the same
/// transport the clients use.
fn control(
    transport: &UreqTransport,
    base: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let url =
        url::Url::parse(&format!("{base}{path}")).map_err(|e| format!("bad simulator URL: {e}"))?;
    let (headers, bytes) = match body {
        Some(b) => (
            vec![("Content-Type".to_owned(), "application/json".to_owned())],
            b.to_string().into_bytes(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let response = transport
        .send(PreparedRequest::new(method, url, headers, bytes))
        .map_err(|e| format!("simulator unreachable at {base}: {e}"))?;
    if !response.is_success() {
        return Err(format!(
            "simulator answered HTTP {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        ));
    }
    serde_json::from_slice(&response.body).map_err(|e| format!("simulator answer is not JSON: {e}"))
}

fn delivered(answer: &Value) -> Result<((), String), String> {
    let attempts = answer["attempts"].as_u64().unwrap_or(0);
    if answer["delivered"] == true {
        Ok((
            (),
            format!("delivered to the merchant after {attempts} attempt(s)"),
        ))
    } else {
        Err(format!(
            "not delivered after {attempts} attempt(s): {answer}"
        ))
    }
}

/// An order/operation number unique across demo runs against one simulator.
fn unique(prefix: &str) -> String {
    let nanos = time::OffsetDateTime::now_utc()
        .unix_timestamp_nanos()
        .unsigned_abs();
    format!("{prefix}{}", nanos % 10u128.pow(18))
}
