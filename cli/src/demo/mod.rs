//! `pasarela demo`: the whole flow for both gateways, step by step, against
//! the embedded simulator on loopback or a running `pasarela simulate`,
//! through the merchant's ledger (`pasarela-ledger`) on a new SQLite file
//! it leaves behind for `pasarela ledger list`.
//!
//! Everything goes through the public SDK: the blocking clients over the
//! ureq transport, the ledger's checkout, its webhook inbox behind a local
//! merchant endpoint, its confirmation by status call, and its once-only
//! hand-over of each outcome.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use pasarela_core::client::{MonnetClient, SmilepayzClient, SmilepayzSettings};
use pasarela_core::crypto::{Backend, PrivateKey, PublicKey};
use pasarela_core::http::{self, Method};
use pasarela_core::transport::BlockingTransport;
use pasarela_core::webhook::{MonnetWebhook, SmilepayzWebhook};
use pasarela_core::{MerchantSecret, Money, MonnetKey, PreparedRequest, monnet, smilepayz};
use pasarela_ledger::flavour::Blocking;
use pasarela_ledger::{Gateways, Ledger, NextStep, OutcomeKind, PaymentGateway, State};
use pasarela_simulator::merchant::Endpoint;
use pasarela_simulator::{Credentials, LoopbackServer, Simulator, codes, samples};
use pasarela_ureq::UreqTransport;
use serde_json::{Value, json};

use crate::output::{Failure, escape};

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
/// The simulator's decline trigger (PEN 400.01).
const DECLINE_AMOUNT: u64 = 40_001;
/// The demo's Monnet amount.
const MONNET_AMOUNT: &str = "150.00";
/// Where the merchant endpoint receives callbacks.
const SMILEPAYZ_PATH: &str = "/webhooks/smilepayz";
/// Where the merchant endpoint receives notifications.
const MONNET_PATH: &str = "/webhooks/monnet";

struct Steps {
    done: usize,
}

impl Steps {
    /// Runs one step: prints `✓ name: detail` or `✗ name: error` (both
    /// escaped: details carry what the simulator answered).
    fn run<T>(
        &mut self,
        name: &str,
        step: impl FnOnce() -> Result<(T, String), String>,
    ) -> Result<T, Failure> {
        match step() {
            Ok((value, detail)) => {
                self.done += 1;
                tracing::info!(step = self.done, name, "demo step passed");
                println!("  ✓ {:>2}. {name}: {}", self.done, escape(&detail));
                Ok(value)
            }
            Err(error) => {
                tracing::debug!(step = self.done + 1, name, "demo step failed");
                println!("  ✗ {:>2}. {name}: {}", self.done + 1, escape(&error));
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

/// What the flows share.
struct Demo {
    transport: UreqTransport,
    base: String,
    creds: Credentials,
    ledger: Ledger,
    endpoint: Endpoint,
}

/// Runs the demo.
pub fn run(args: DemoArgs) -> Result<ExitCode, Failure> {
    let mut steps = Steps { done: 0 };
    let transport = UreqTransport::new();
    println!(
        "pasarela demo: SmilePayz cash pay-in and Monnet card pay-in, end to end, through the ledger\n"
    );

    let (_embedded, base) = steps.run("simulator", || match &args.simulator_url {
        Some(url) => {
            let url = url.trim_end_matches('/').to_owned();
            url::Url::parse(&url).map_err(|_| "--simulator-url is not a URL".to_owned())?;
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

    let (ledger, path) = steps.run("ledger", || {
        let path = ledger_path();
        let db = path.display().to_string();
        let ledger = Ledger::open(&db).map_err(|e| e.to_string())?;
        Ok((
            (ledger, path),
            format!("a new SQLite ledger at {db} (WAL, synchronous=FULL)"),
        ))
    })?;

    let endpoint = steps.run("merchant callback endpoint", || {
        let platform = PublicKey::load(&creds.smilepayz.platform_public_key)
            .map_err(|e| format!("platform key: {e}"))?;
        let verifier = Backend::default()
            .verifier(&platform)
            .map_err(|e| e.to_string())?;
        let smilepayz = SmilepayzWebhook::new(verifier);
        let monnet = MonnetWebhook::new(
            MonnetKey::new(creds.monnet.key_monnet.clone()),
            creds.monnet.merchant_id.clone(),
        );
        let books = ledger.clone();
        // Each delivery: verified, stored in the ledger's inbox, and only
        // then acknowledged (a repeat is acknowledged and changes nothing).
        let endpoint = Endpoint::start(Arc::new(move |request: &http::Request<Vec<u8>>| {
            let received = match request.uri().path() {
                SMILEPAYZ_PATH => books.receive_smilepayz(&smilepayz, request),
                MONNET_PATH => books.receive_monnet(&monnet, request),
                _ => return http::Response::new("not found".to_owned()),
            };
            received.response()
        }))
        .map_err(|e| e.to_string())?;
        let detail = format!(
            "{} and {}, storing every verified delivery in the ledger's inbox",
            endpoint.url(SMILEPAYZ_PATH),
            endpoint.url(MONNET_PATH)
        );
        Ok((endpoint, detail))
    })?;

    let demo = Demo {
        transport,
        base,
        creds,
        ledger,
        endpoint,
    };
    smilepayz_flow(&mut steps, &demo)?;
    monnet_flow(&mut steps, &demo)?;
    hand_over(&mut steps, &demo)?;

    let counts = demo.ledger.counts().unwrap_or_default();
    let counts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    println!(
        "\nsummary: all {} steps passed; the ledger holds {}",
        steps.done,
        counts.join(", ")
    );
    println!(
        "the ledger is at {}\n  pasarela ledger list --db {}",
        escape(&path.display().to_string()),
        escape(&path.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}

/// A new file under the temporary directory, named for now.
fn ledger_path() -> PathBuf {
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    std::env::temp_dir().join(format!("pasarela-demo-{nanos}-{}.db", std::process::id()))
}

/// One payment through the ledger: checkout, settlement by the simulator
/// (which delivers the webhook to the endpoint, into the inbox), and the
/// confirmation by status call.
#[allow(clippy::too_many_arguments)]
fn pay<G: PaymentGateway<Flavour = Blocking>>(
    steps: &mut Steps,
    demo: &Demo,
    client: &G,
    request: &G::Request,
    order: &str,
    shown: &str,
    settle: (&str, Value),
) -> Result<(), Failure> {
    let gateway = client.gateway();
    steps.run("checkout through the ledger", || {
        let checkout = demo.ledger.checkout(client, request).map_err(|e| e.to_string())?;
        match &checkout.next {
            NextStep::Redirect(url) => Ok(((), format!(
                "intent recorded before the create, then {shown} created (ref {}); send the shopper to {url}",
                checkout.payment.gateway_ref.as_deref().unwrap_or("-")
            ))),
            other => Err(format!("expected a payment page, got {other:?}")),
        }
    })?;
    steps.run("settle through the control API", || {
        let answer = control(
            &demo.transport,
            &demo.base,
            Method::POST,
            settle.0,
            Some(settle.1),
        )?;
        delivered(&answer)
    })?;
    steps.run("webhook verified and stored in the inbox", || {
        let history = demo
            .ledger
            .history(gateway, order)
            .map_err(|e| e.to_string())?;
        let event = history
            .iter()
            .find(|h| h.fact == "event_received")
            .ok_or("no verified event was stored for this order")?;
        let payment = demo
            .ledger
            .payment(gateway, order)
            .map_err(|e| e.to_string())?
            .ok_or("no such payment")?;
        if payment.state == State::Paid {
            return Err("an event alone made it paid".to_owned());
        }
        Ok((
            (),
            format!(
                "event {} claims {}; the payment stays {} (verified is not confirmed)",
                event.detail["eventId"].as_str().unwrap_or("-"),
                event.detail["claim"].as_str().unwrap_or("-"),
                payment.state
            ),
        ))
    })?;
    steps.run("confirmed by the status call", || {
        let payment = demo
            .ledger
            .confirm(client, gateway, order)
            .map_err(|e| e.to_string())?
            .ok_or("another instance holds the payment")?;
        if payment.state == State::Paid {
            Ok((
                (),
                format!(
                    "the gateway's status answer matches the record ({}): paid",
                    payment.amount
                ),
            ))
        } else {
            Err(format!(
                "not paid: {} ({})",
                payment.state,
                payment.reason.as_deref().unwrap_or("-")
            ))
        }
    })
}

fn smilepayz_flow(steps: &mut Steps, demo: &Demo) -> Result<(), Failure> {
    println!("\nSmilePayz (cash pay-in, RSA-signed requests and callbacks)");
    let creds = &demo.creds;
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
        let settings = SmilepayzSettings::new(config)
            .with_code_meanings(codes::smilepayz::MEANINGS.iter().copied());
        Ok((
            SmilepayzClient::new(settings, demo.transport.clone()),
            format!("signing with the {} backend", Backend::default().name()),
        ))
    })?;
    let request = |order: &str, amount: u64| {
        samples::smilepayz_pay_in_builder(client.settings().config().partner_id(), order, amount)
            .callback_url(demo.endpoint.url(SMILEPAYZ_PATH))
            .redirect_url("https://shop.example/thanks")
            .build()
            .map_err(|e| Failure::usage(e.to_string()))
    };
    let order = unique("DEMO");
    pay(
        steps,
        demo,
        &client,
        &request(&order, SMILEPAYZ_AMOUNT)?,
        &order,
        &format!("pay-in {order} of {}", Money::pen(SMILEPAYZ_AMOUNT)),
        (
            "/_simulator/smilepayz/complete",
            json!({"orderNo": order, "status": "SUCCESS"}),
        ),
    )?;
    let declined = unique("DECL");
    let request = request(&declined, DECLINE_AMOUNT)?;
    steps.run("a declined pay-in is shown as a decline", || {
        let checkout = demo
            .ledger
            .checkout(&client, &request)
            .map_err(|e| e.to_string())?;
        match checkout.next {
            NextStep::Declined(reason) => Ok((
                (),
                format!(
                    "{declined}: code 00 but {reason}: no payment page, recorded {}",
                    checkout.payment.state
                ),
            )),
            other => Err(format!("expected a decline, got {other:?}")),
        }
    })
}

fn monnet_flow(steps: &mut Steps, demo: &Demo) -> Result<(), Failure> {
    println!("\nMonnet (card pay-in through the PCI proxy, SHA-512 verification)");
    let creds = &demo.creds;
    let client = steps.run("client", || {
        let base_url = url::Url::parse(&demo.base).map_err(|e| e.to_string())?;
        let config = monnet::Config::new(
            creds.monnet.merchant_id.clone(),
            MonnetKey::new(creds.monnet.key_monnet.clone()),
            monnet::Environment::Custom(base_url),
        )
        .map_err(|e| e.to_string())?;
        let proxy = config.pci_proxy_url().clone();
        Ok((
            MonnetClient::new(config, demo.transport.clone()),
            format!("PCI proxy {proxy}"),
        ))
    })?;
    let operation = unique("OP");
    let request = samples::monnet_create(&operation, MONNET_AMOUNT)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let masked = format!(
        "************{}",
        &samples::TEST_PAN[samples::TEST_PAN.len() - 4..]
    );
    pay(
        steps,
        demo,
        &client,
        &request,
        &operation,
        &format!(
            "card pay-in {operation} of PEN {MONNET_AMOUNT} (test card {masked}, never stored)"
        ),
        (
            "/_simulator/monnet/complete",
            json!({
                "payinMerchantOperationNumber": operation,
                "payinStateID": 5,
                "notificationUrl": demo.endpoint.url(MONNET_PATH),
            }),
        ),
    )?;
    // The sweeper, as a cron job or a thread would run it: nothing is due.
    steps.run("sweep", || {
        let report = demo
            .ledger
            .sweep(&Gateways::new().with(client.clone()))
            .map_err(|e| e.to_string())?;
        Ok((
            (),
            format!(
                "{} payment(s) due, {} asked: nothing left to confirm",
                report.looked, report.asked
            ),
        ))
    })
}

/// Hands every final outcome over once, as the shop would: claimed,
/// acted on, acknowledged.
fn hand_over(steps: &mut Steps, demo: &Demo) -> Result<(), Failure> {
    println!("\nOutcomes (handed to the shop once)");
    steps.run("hand over the outcomes", || {
        let claimed = demo.ledger.claim_outcomes(100).map_err(|e| e.to_string())?;
        let mut shown = Vec::new();
        for outcome in &claimed {
            demo.ledger
                .acknowledge(outcome)
                .map_err(|e| e.to_string())?;
            shown.push(format!("{} {}", outcome.order, outcome.kind));
        }
        let paid = claimed
            .iter()
            .filter(|o| o.kind == OutcomeKind::Paid)
            .count();
        let again = demo.ledger.claim_outcomes(100).map_err(|e| e.to_string())?;
        if paid != 2 || !again.is_empty() {
            return Err(format!(
                "expected two paid outcomes handed over once, got {shown:?}"
            ));
        }
        Ok((
            (),
            format!(
                "{}: ship the paid ones, release the other",
                shown.join(", ")
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
    let url = url::Url::parse(&format!("{base}{path}"))
        .map_err(|_| "the simulator URL is not a URL".to_owned())?;
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
