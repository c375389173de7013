//! `pasarela simulate`: the gateway simulator as a loopback HTTP server.
//!
//! Starts the server, prints where it listens and the TEST ONLY credentials
//! (one JSON line with `--json`, the object `GET /_simulator/credentials`
//! also answers), then serves until killed.

/// What `pasarela simulate --help` shows before the trigger table.
const BROWSER_FLOW: &str = "\
Browser flow (hosted pages, as a shopper sees them):
  SmilePayz  the pay-in answer's paymentUrl opens the simulated cashier: merchant,
             order number, amount in soles, expiry; Pay / Fail / Let it expire settle
             the order, send the signed callback (callbackUrl, else
             --smilepayz-notify-url) and redirect to the order's redirectUrl.
  Monnet     the create answer's url opens the payment page: amount, currency, card
             masked to its last four digits, then a simulated 3-D Secure step;
             Authorize (state 5) / Deny (state 6, decline 9005 or 9051) send the
             hashed notification to --monnet-notify-url and redirect to
             payinTransactionOKURL / payinTransactionErrorURL.
  Dashboard  dashboardUrl (http://ADDR/_simulator/): every order, operation and
             delivery attempt (time, URL, HTTP status, latency), links to the pages,
             buttons for the control actions; reloads every 5 s.
Callbacks go only to loopback hosts (127.0.0.0/8, ::1, localhost) unless
--allow-callback-host names others; a refused URL is reported, never attempted;
a URL pointing at the simulator itself is refused when received.
Same-origin control: requests must be addressed to the simulator's own names
(localhost, loopback addresses, the listening address, --allow-host HOST);
state-changing requests with a foreign Origin or Sec-Fetch-Site: cross-site are
refused (403), JSON endpoints need Content-Type: application/json (415), and the
pages' forms carry a per-page token.
";

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use pasarela_core::crypto::PublicKey;
use pasarela_simulator::{
    Credentials, LoopbackServer, RetryPolicy, ServerLimits, Simulator, SimulatorConfig,
    TRIGGER_TABLE,
};

use crate::output::{self, Failure};

/// Arguments of `pasarela simulate`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_long_help = help_text(), after_help = help_text())]
pub struct SimulateArgs {
    /// Address to listen on; port 0 picks a free port. Loopback by default;
    /// a wider address (0.0.0.0, a LAN address) prints a warning on stderr.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub addr: SocketAddr,
    /// Where SmilePayz callbacks go for orders created without callbackUrl
    /// (the back office's "API Notify Address").
    #[arg(long, value_name = "URL", value_parser = http_url)]
    pub smilepayz_notify_url: Option<String>,
    /// The merchant's Monnet notification URL (Monnet's create carries none):
    /// where hosted-page and `/_simulator/monnet/complete` notifications go.
    #[arg(long, value_name = "URL", value_parser = http_url)]
    pub monnet_notify_url: Option<String>,
    /// A host callbacks and notifications may go to besides loopback
    /// (repeatable). Anything else is refused before any connection.
    #[arg(long = "allow-callback-host", value_name = "HOST")]
    pub allow_callback_hosts: Vec<String>,
    /// A name the simulator answers to, and whose pages may drive it,
    /// besides its own (localhost, loopback addresses, the listening
    /// address); repeatable. For a proxy or tunnel name, or a page of yours
    /// that posts to the control API.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
    /// Orders kept per gateway; beyond it the oldest final order is evicted
    /// (the oldest order when none is final).
    #[arg(long, default_value_t = pasarela_simulator::DEFAULT_MAX_ORDERS, value_name = "N",
          value_parser = positive)]
    pub max_orders: usize,
    /// Connections served at once; beyond it a connection gets 503 and is closed.
    #[arg(long, default_value_t = 1024, value_name = "N",
          value_parser = positive)]
    pub max_connections: usize,
    /// Connections served at once from one client address (default: a
    /// quarter of --max-connections; at most --max-connections). Every local
    /// client connects from 127.0.0.1 and shares this one cap: raise it for
    /// a load test from this machine.
    #[arg(long, value_name = "N", value_parser = positive)]
    pub max_connections_per_address: Option<usize>,
    /// Print one JSON object (address and credentials) on one line, then serve.
    #[arg(long)]
    pub json: bool,
    /// Check SmilePayz request signatures with this merchant public key (PEM
    /// or bare base64 DER) instead of the test key; `merchantPrivateKey` is
    /// then null in the credentials.
    #[arg(long, value_name = "FILE")]
    pub smilepayz_merchant_public_key: Option<PathBuf>,
    /// Attempts per callback/notification delivery before giving up.
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub callback_attempts: u32,
    /// Pause after the first failed delivery attempt, doubling up to 20x.
    #[arg(long, default_value_t = 10, value_name = "MS")]
    pub callback_delay_ms: u64,
    /// How long the slow-answer trigger waits before answering.
    #[arg(long, default_value_t = 40_000, value_name = "MS")]
    pub slow_delay_ms: u64,
}

fn help_text() -> String {
    format!("{BROWSER_FLOW}\n{TRIGGER_TABLE}")
}

/// A whole number of at least 1.
fn positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("must be a whole number of at least 1".to_owned()),
    }
}

/// An absolute `http` URL (the simulator delivers over plain HTTP).
fn http_url(text: &str) -> Result<String, String> {
    match url::Url::parse(text) {
        Ok(url) if url.scheme() == "http" && url.host().is_some() => Ok(url.to_string()),
        Ok(_) => {
            Err("must be an absolute http:// URL (the simulator does not speak TLS)".to_owned())
        }
        Err(e) => Err(format!("not a URL: {e}")),
    }
}

/// Runs the simulator until the process is killed. Exit 2 with a one-line
/// reason when it cannot start.
pub fn run(args: SimulateArgs) -> ExitCode {
    match start(&args) {
        Ok(server) => {
            tracing::info!(addr = %server.addr(), "simulator serving until killed");
            print_start(&args, &server.credentials());
            server.wait();
            ExitCode::SUCCESS
        }
        Err(failure) => output::report(Err(failure)),
    }
}

/// The configuration the arguments ask for.
fn config(args: &SimulateArgs) -> Result<SimulatorConfig, Failure> {
    let delay = Duration::from_millis(args.callback_delay_ms);
    let mut config = SimulatorConfig::default()
        .with_retry(RetryPolicy {
            max_attempts: args.callback_attempts,
            initial_delay: delay,
            max_delay: delay.saturating_mul(20),
            ..RetryPolicy::default()
        })
        .with_slow_delay(Duration::from_millis(args.slow_delay_ms))
        .with_max_orders(args.max_orders)
        .with_server_limits(limits(args));
    for host in &args.allow_callback_hosts {
        config = config.with_allowed_callback_host(host.as_str());
    }
    for host in &args.allow_hosts {
        config = config.with_allowed_host(host.as_str());
    }
    if let Some(url) = &args.smilepayz_notify_url {
        config = config.with_smilepayz_notify_url(url.as_str());
    }
    if let Some(url) = &args.monnet_notify_url {
        config = config.with_monnet_notify_url(url.as_str());
    }
    if let Some(path) = &args.smilepayz_merchant_public_key {
        let label = "SmilePayz merchant public key (--smilepayz-merchant-public-key)";
        let text = output::read_text(label, path)?;
        let key = PublicKey::load(&text).map_err(|e| Failure::usage(format!("{label}: {e}")))?;
        config = config.with_smilepayz_merchant_public_key(key);
    }
    Ok(config)
}

/// The server limits the arguments ask for.
fn limits(args: &SimulateArgs) -> ServerLimits {
    let limits = ServerLimits::default().with_max_connections(args.max_connections);
    match args.max_connections_per_address {
        Some(n) => limits.with_max_connections_per_address(n),
        None => limits,
    }
}

/// Starts the server the arguments describe.
fn start(args: &SimulateArgs) -> Result<LoopbackServer, Failure> {
    let simulator = Simulator::new(config(args)?)
        .map_err(|e| Failure::usage(format!("cannot load the simulator's keys: {e}")))?;
    LoopbackServer::start(simulator, args.addr)
        .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.addr)))
}

fn print_start(args: &SimulateArgs, credentials: &Credentials) {
    let text = if args.json {
        credentials.to_json_line()
    } else {
        readable(credentials)
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

fn indent(pem: &str) -> String {
    pem.trim_end()
        .lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The start-up block for people.
fn readable(c: &Credentials) -> String {
    let s = &c.smilepayz;
    let m = &c.monnet;
    let private = match &s.merchant_private_key {
        Some(pem) => format!(
            "  merchant private key (sign requests with it):\n{}",
            indent(pem)
        ),
        None => "  merchant private key: yours (--smilepayz-merchant-public-key)".to_owned(),
    };
    format!(
        "pasarela simulator listening on http://{addr}   (TEST ONLY credentials; Ctrl-C stops it)
Dashboard: {dashboard}

SmilePayz
  base URL         {base}
  merchant id      {mid}   (X-PARTNER-ID)
  merchant secret  {secret}
{private}
  platform public key (verify callbacks with it):
{platform}

Monnet
  proxy URL        {proxy}
  status URL       {status}
  merchant id      {mmid}
  KeyMonnet        {key}

Control API
  GET  {base}/_simulator/credentials     these credentials as JSON
  GET  {base}/_simulator/orders          kept orders, paginated (?offset=0&limit=100)
  POST {base}/_simulator/smilepayz/complete  {{\"orderNo\", \"status\"}}
  POST {base}/_simulator/monnet/complete     {{\"payinMerchantOperationNumber\", \"payinStateID\", \"notificationUrl\"}}
       (notificationUrl optional with --monnet-notify-url)
Magic amounts trigger declines, expiries and failures: pasarela simulate --help",
        addr = c.addr,
        dashboard = c.dashboard_url,
        base = s.base_url,
        mid = s.merchant_id,
        secret = s.merchant_secret,
        platform = indent(&s.platform_public_key),
        proxy = m.proxy_url,
        status = m.status_url,
        mmid = m.merchant_id,
        key = m.key_monnet,
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: SimulateArgs,
    }

    fn args(extra: &[&str]) -> SimulateArgs {
        Wrapper::try_parse_from(std::iter::once("simulate").chain(extra.iter().copied()))
            .unwrap()
            .args
    }

    #[test]
    fn defaults_and_knobs() {
        let a = args(&[]);
        assert_eq!(a.addr.to_string(), "127.0.0.1:0");
        assert!(!a.json);
        let a = args(&[
            "--json",
            "--callback-attempts",
            "2",
            "--callback-delay-ms",
            "1",
            "--slow-delay-ms",
            "5",
        ]);
        let config = config(&a).unwrap();
        assert_eq!(config.retry().max_attempts, 2);
        assert_eq!(config.slow_delay(), Duration::from_millis(5));
        assert!(Wrapper::try_parse_from(["simulate", "--callback-attempts", "0"]).is_err());
        let a = args(&[
            "--smilepayz-notify-url",
            "http://127.0.0.1:9/sp",
            "--monnet-notify-url",
            "http://localhost:9/mn",
            "--allow-callback-host",
            "shop.example",
            "--allow-callback-host",
            "10.0.0.7",
            "--allow-host",
            "Sim.Example",
            "--allow-host",
            "10.0.0.8",
            "--max-orders",
            "7",
            "--max-connections",
            "3",
        ]);
        let cfg = super::config(&a).unwrap();
        assert_eq!(cfg.smilepayz_notify_url(), Some("http://127.0.0.1:9/sp"));
        assert_eq!(cfg.monnet_notify_url(), Some("http://localhost:9/mn"));
        assert_eq!(cfg.allowed_callback_hosts(), ["shop.example", "10.0.0.7"]);
        assert_eq!(cfg.allowed_hosts(), ["sim.example", "10.0.0.8"]);
        assert_eq!(cfg.max_orders(), 7);
        assert_eq!(cfg.server_limits().max_connections, 3);
        assert_eq!(cfg.server_limits().connections_per_address(), 1);
        let per_address = |extra: &[&str]| {
            super::config(&args(extra))
                .unwrap()
                .server_limits()
                .connections_per_address()
        };
        assert_eq!(per_address(&[]), 256);
        assert_eq!(
            per_address(&["--max-connections-per-address", "1000"]),
            1000
        );
        assert_eq!(
            per_address(&[
                "--max-connections",
                "10",
                "--max-connections-per-address",
                "50"
            ]),
            10
        );
        assert!(cfg.check_callback_url("http://shop.example/cb").is_ok());
        assert!(cfg.check_callback_url("http://other.example/cb").is_err());
        for bad in [
            ["--monnet-notify-url", "https://shop.example/n"],
            ["--smilepayz-notify-url", "not a url"],
            ["--max-orders", "0"],
            ["--max-connections", "0"],
            ["--max-connections-per-address", "0"],
        ] {
            assert!(
                Wrapper::try_parse_from(std::iter::once("simulate").chain(bad)).is_err(),
                "{bad:?}"
            );
        }
        assert!(Wrapper::try_parse_from(["simulate", "--addr", "nowhere"]).is_err());
    }

    #[test]
    fn starts_and_prints_the_credentials_object() {
        let server = start(&args(&[])).unwrap();
        let creds = server.credentials();
        let line = creds.to_json_line();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["addr"], server.addr().to_string());
        assert!(
            value["smilepayz"]["merchantPrivateKey"]
                .as_str()
                .unwrap()
                .contains("PRIVATE KEY")
        );
        assert_eq!(
            value["dashboardUrl"],
            format!("http://{}/_simulator/", server.addr())
        );
        let text = readable(&creds);
        assert!(text.contains(&creds.dashboard_url));
        assert!(text.contains(&creds.smilepayz.base_url));
        assert!(text.contains(&creds.monnet.key_monnet));
        server.shutdown();
    }

    #[test]
    fn a_users_key_file_is_loaded_or_refused_in_one_line() {
        let dir = std::env::temp_dir().join(format!("pasarela-simulate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("merchant_public.pem");
        std::fs::write(
            &good,
            include_str!("../../core/testdata/keys/merchant_public_spki.pem"),
        )
        .unwrap();
        let server = start(&args(&[
            "--smilepayz-merchant-public-key",
            good.to_str().unwrap(),
        ]))
        .unwrap();
        assert_eq!(server.credentials().smilepayz.merchant_private_key, None);
        server.shutdown();
        let bad = dir.join("not_a_key.pem");
        std::fs::write(&bad, "hello").unwrap();
        let failure = start(&args(&[
            "--smilepayz-merchant-public-key",
            bad.to_str().unwrap(),
        ]))
        .unwrap_err();
        assert_eq!(failure.code, output::USAGE);
        assert!(!failure.reason.contains('\n'));
        // The flag is named, never the path.
        assert!(
            failure.reason.contains("--smilepayz-merchant-public-key"),
            "{}",
            failure.reason
        );
        assert!(
            !failure.reason.contains(bad.to_str().unwrap()),
            "{}",
            failure.reason
        );
        #[cfg(target_os = "linux")]
        {
            let pseudo = start(&args(&[
                "--smilepayz-merchant-public-key",
                "/proc/self/environ",
            ]))
            .unwrap_err();
            assert!(
                pseudo.reason.contains("not a regular file"),
                "{}",
                pseudo.reason
            );
            assert!(pseudo.reason.contains("--smilepayz-merchant-public-key"));
        }
        let missing = start(&args(&[
            "--smilepayz-merchant-public-key",
            "/nonexistent/key.pem",
        ]))
        .unwrap_err();
        assert!(missing.reason.contains("cannot read"), "{}", missing.reason);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_taken_address_is_a_one_line_failure() {
        let server = start(&args(&[])).unwrap();
        let taken = server.addr().to_string();
        let failure = start(&args(&["--addr", &taken])).unwrap_err();
        assert!(
            failure.reason.starts_with("cannot listen on"),
            "{}",
            failure.reason
        );
        assert!(!failure.reason.contains('\n'));
    }
}
