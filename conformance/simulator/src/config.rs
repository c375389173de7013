//! How a simulator is set up: merchants, keys, retry policy, trigger delays,
//! clock. [`SimulatorConfig::default`] is ready to use with the project's
//! TEST ONLY keys.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use pasarela_core::crypto::{Backend, PublicKey};

use super::clock::{Clock, SystemClock};

/// The simulator's default SmilePayz merchant private key (TEST ONLY, PKCS#8 PEM).
pub const TEST_MERCHANT_PRIVATE_KEY: &str = include_str!("../keys/merchant_private_pkcs8.pem");
/// The simulated SmilePayz platform's callback signing key (TEST ONLY, PKCS#8 PEM).
pub const TEST_PLATFORM_PRIVATE_KEY: &str = include_str!("../keys/platform_private_pkcs8.pem");
/// The simulated SmilePayz platform's public key (TEST ONLY, SPKI PEM): what
/// merchants verify callbacks with.
pub const TEST_PLATFORM_PUBLIC_KEY: &str = include_str!("../keys/platform_public_spki.pem");

/// The PCI proxy push id of Monnet's certification environment, which the
/// simulator serves at `/v1/push/{id}` by default.
pub const DEFAULT_MONNET_PUSH_ID: &str = "7efeb612e5dda6f1";

/// How callbacks and notifications are retried until acknowledged.
///
/// Attempt `n` (from 1) that fails is followed by a pause of
/// `initial_delay * 2^(n-1)`, capped at `max_delay`, until `max_attempts`
/// attempts were made. Defaults are milliseconds so that a control call
/// returns promptly: 5 attempts, 10 ms doubling to at most 200 ms, 2 s per
/// attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, at least 1.
    pub max_attempts: u32,
    /// Pause after the first failed attempt.
    pub initial_delay: Duration,
    /// Longest pause between attempts.
    pub max_delay: Duration,
    /// How long one attempt may take over HTTP before it counts as failed.
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(200),
            attempt_timeout: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The pause after failed attempt `attempt` (1-based).
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1).min(31))
            .unwrap_or(u32::MAX);
        self.initial_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// `max_attempts`, but never 0.
    pub fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }
}

/// Whose key the simulator checks SmilePayz request signatures with.
#[derive(Clone)]
pub(crate) enum MerchantKey {
    /// The TEST ONLY merchant key pair: the private key is printed in the
    /// credentials so that any client can sign.
    TestPair,
    /// A merchant public key of the user's: the private key is theirs.
    UserPublic(PublicKey),
}

/// Everything a [`Simulator`](super::Simulator) is made from.
///
/// ```
/// use std::time::Duration;
/// use pasarela_simulator::{RetryPolicy, SimulatorConfig};
///
/// let config = SimulatorConfig::default()
///     .with_retry(RetryPolicy { max_attempts: 3, ..RetryPolicy::default() })
///     .with_slow_delay(Duration::from_millis(300));
/// assert_eq!(config.smilepayz_merchant_id(), "20001");
/// ```
#[derive(Clone)]
pub struct SimulatorConfig {
    pub(crate) smilepayz_merchant_id: String,
    pub(crate) smilepayz_merchant_name: String,
    pub(crate) smilepayz_merchant_secret: String,
    pub(crate) merchant_key: MerchantKey,
    pub(crate) monnet_merchant_id: String,
    pub(crate) monnet_key: String,
    pub(crate) monnet_merchant_enabled: bool,
    pub(crate) monnet_push_id: String,
    pub(crate) timestamp_tolerance: time::Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) slow_delay: Duration,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) backend: Backend,
    pub(crate) allowed_callback_hosts: Vec<String>,
    pub(crate) smilepayz_notify_url: Option<String>,
    pub(crate) monnet_notify_url: Option<String>,
    pub(crate) max_orders: usize,
    pub(crate) max_deliveries: usize,
    pub(crate) allowed_hosts: Vec<String>,
    pub(crate) limits: ServerLimits,
}

/// The default cap on kept orders, per gateway ([`SimulatorConfig::with_max_orders`]).
pub const DEFAULT_MAX_ORDERS: usize = 10_000;

/// The default cap on kept delivery records, all orders together
/// ([`SimulatorConfig::with_max_deliveries`]); each order also keeps at
/// most its last 50.
pub const DEFAULT_MAX_DELIVERIES: usize = 5_000;

/// How the loopback server protects itself from slow, silent, greedy or too
/// many clients.
///
/// Defaults: a connection that has not sent a complete request head within
/// 10 s is closed (this also closes keep-alive connections idle for 10 s);
/// a request body must arrive within 10 s of its head (else `408`); an
/// answer the client stops reading (no write progress for 10 s: a
/// no-progress timeout, not a total one) closes the connection; more than
/// 16 requests pipelined in one read are answered `429` and the connection
/// closed; at most 1024 connections are served at once and at most a
/// quarter of them (256) from one client address (every local client is
/// 127.0.0.1, and shares that cap), and a connection beyond either cap is
/// answered `503` with `Retry-After: 1` and closed; request and answer
/// bodies held in memory at once total at most 64 MiB, of which one client
/// address holds at most the same fraction as of the connections (at most
/// half); memory that cannot be had at once is answered `503`, never
/// waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerLimits {
    /// Longest wait for a complete request head (also the keep-alive idle timeout).
    pub header_timeout: Duration,
    /// Longest wait for a request body, once its head arrived.
    pub body_timeout: Duration,
    /// Longest time a write of an answer may make no progress (the client
    /// does not read) before the connection is closed.
    pub write_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Connections served at once from one client address; `None` is a
    /// quarter of [`max_connections`](Self::max_connections) (at least 1).
    /// Never more than `max_connections`.
    pub max_connections_per_address: Option<usize>,
    /// Requests a client may pipeline (send in one go before reading the
    /// answers) on one connection; one more is answered `429` and the
    /// connection closed.
    pub max_pipelined: usize,
    /// Request and answer bodies held in memory at once, in bytes, all
    /// connections together. One client address holds at most the share
    /// [`connections_per_address`](Self::connections_per_address) is of
    /// [`max_connections`](Self::max_connections) (at most half, at least
    /// 1 MiB).
    pub max_buffered_bytes: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_connections_per_address: None,
            max_pipelined: 16,
            max_buffered_bytes: 64 << 20,
        }
    }
}

impl ServerLimits {
    /// Sets the request-head timeout (at least 1 ms).
    pub fn with_header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets the body timeout (at least 1 ms).
    pub fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets the write timeout (at least 1 ms): how long an answer may make
    /// no progress (the client reads none of it) before the connection is
    /// closed. Not a total: a client that keeps reading keeps it open.
    pub fn with_write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets the connection cap (at least 1).
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Sets the cap on connections from one client address (at least 1; at
    /// most [`max_connections`](Self::max_connections) takes effect).
    pub fn with_max_connections_per_address(mut self, max: usize) -> Self {
        self.max_connections_per_address = Some(max.max(1));
        self
    }

    /// Sets how many requests may be pipelined on one connection (at least 1).
    pub fn with_max_pipelined(mut self, max: usize) -> Self {
        self.max_pipelined = max.max(1);
        self
    }

    /// Sets the memory budget for request and answer bodies (at least 1 MiB).
    pub fn with_max_buffered_bytes(mut self, max: usize) -> Self {
        self.max_buffered_bytes = max.max(1 << 20);
        self
    }

    /// The cap on connections from one client address that takes effect:
    /// the one set, at most [`max_connections`](Self::max_connections), or
    /// a quarter of it.
    pub fn connections_per_address(&self) -> usize {
        let all = self.max_connections.max(1);
        match self.max_connections_per_address {
            Some(n) => n.clamp(1, all),
            None => (all / 4).max(1),
        }
    }
}

/// A host as given on the command line, compared: without brackets, a
/// trailing dot or case.
pub(crate) fn normalize_host(host: &str) -> String {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Whether a callback host is loopback: `127.0.0.0/8`, `::1` (also as an
/// IPv4-mapped address), `localhost` and names under `.localhost`.
pub(crate) fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

impl Default for SimulatorConfig {
    /// SmilePayz merchant `20001` with secret `TEST-ONLY-simulator-secret`
    /// and the TEST ONLY merchant key pair; Monnet merchant `4001` with
    /// KeyMonnet `TEST-ONLY-simulator-key-monnet`; ±5 minutes; default
    /// retries; slow answers after 40 s; the system clock.
    fn default() -> Self {
        Self {
            smilepayz_merchant_id: "20001".to_owned(),
            smilepayz_merchant_name: "Simulated merchant".to_owned(),
            smilepayz_merchant_secret: "TEST-ONLY-simulator-secret".to_owned(),
            merchant_key: MerchantKey::TestPair,
            monnet_merchant_id: "4001".to_owned(),
            monnet_key: "TEST-ONLY-simulator-key-monnet".to_owned(),
            monnet_merchant_enabled: true,
            monnet_push_id: DEFAULT_MONNET_PUSH_ID.to_owned(),
            timestamp_tolerance: time::Duration::minutes(5),
            retry: RetryPolicy::default(),
            slow_delay: Duration::from_secs(40),
            clock: Arc::new(SystemClock),
            backend: Backend::default(),
            allowed_callback_hosts: Vec::new(),
            smilepayz_notify_url: None,
            monnet_notify_url: None,
            max_orders: DEFAULT_MAX_ORDERS,
            max_deliveries: DEFAULT_MAX_DELIVERIES,
            allowed_hosts: Vec::new(),
            limits: ServerLimits::default(),
        }
    }
}

impl SimulatorConfig {
    /// Sets the SmilePayz merchant id (`X-PARTNER-ID`).
    pub fn with_smilepayz_merchant_id(mut self, id: impl Into<String>) -> Self {
        self.smilepayz_merchant_id = id.into();
        self
    }

    /// Sets the SmilePayz merchant secret.
    pub fn with_smilepayz_merchant_secret(mut self, secret: impl Into<String>) -> Self {
        self.smilepayz_merchant_secret = secret.into();
        self
    }

    /// Checks SmilePayz request signatures with the user's merchant public
    /// key instead of the TEST ONLY key pair. The credentials then carry
    /// `"merchantPrivateKey": null`: the private key is the user's.
    pub fn with_smilepayz_merchant_public_key(mut self, key: PublicKey) -> Self {
        self.merchant_key = MerchantKey::UserPublic(key);
        self
    }

    /// Sets the Monnet merchant id.
    pub fn with_monnet_merchant_id(mut self, id: impl Into<String>) -> Self {
        self.monnet_merchant_id = id.into();
        self
    }

    /// Sets KeyMonnet.
    pub fn with_monnet_key(mut self, key: impl Into<String>) -> Self {
        self.monnet_key = key.into();
        self
    }

    /// Makes the Monnet merchant one that Monnet knows but has not enabled:
    /// a create that passes every other check (its merchant id and
    /// `payinVerification` included) is answered `0011` ("merchant not
    /// enabled", HTTP 403) and nothing is kept. Status queries still work.
    pub fn with_monnet_merchant_disabled(mut self) -> Self {
        self.monnet_merchant_enabled = false;
        self
    }

    /// Sets the allowed distance between `X-TIMESTAMP` and the simulator's
    /// clock (default 5 minutes).
    pub fn with_timestamp_tolerance(mut self, tolerance: time::Duration) -> Self {
        self.timestamp_tolerance = tolerance.abs();
        self
    }

    /// Sets the callback retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets how long the slow-answer trigger waits before answering
    /// (default 40 s, beyond a typical 30 s client timeout).
    pub fn with_slow_delay(mut self, delay: Duration) -> Self {
        self.slow_delay = delay;
        self
    }

    /// Sets the clock.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets the signing backend for callbacks and signature checks.
    pub fn with_backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Lets the loopback server's callbacks and notifications go to `host`
    /// besides loopback (`127.0.0.0/8`, `::1`, `localhost`). Repeatable; a
    /// host name or an IP address (IPv6 with or without brackets), compared
    /// without the port, case-insensitively. `--allow-callback-host` on the
    /// command line. (In-process, callbacks go through your own transport,
    /// which decides where they go: this rule does not apply there.)
    pub fn with_allowed_callback_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_callback_hosts
            .push(normalize_host(&host.into()));
        self
    }

    /// Where SmilePayz callbacks go for orders created without
    /// `callbackUrl` (the back office's "API Notify Address"). An order's own
    /// `callbackUrl` wins when it has one.
    pub fn with_smilepayz_notify_url(mut self, url: impl Into<String>) -> Self {
        self.smilepayz_notify_url = Some(url.into());
        self
    }

    /// The merchant's Monnet notification URL (configured once in Monnet's
    /// back office): where every notification goes unless a
    /// `/_simulator/monnet/complete` call names another `notificationUrl`.
    pub fn with_monnet_notify_url(mut self, url: impl Into<String>) -> Self {
        self.monnet_notify_url = Some(url.into());
        self
    }

    /// Caps the orders kept per gateway (default [`DEFAULT_MAX_ORDERS`],
    /// at least 1). Creating one more evicts the oldest order in a final
    /// state (SmilePayz `SUCCESS`/`FAILED`/`CANCELLED`, Monnet any state but
    /// 1 and 2), or the oldest order when none is final. An evicted order is
    /// gone: status queries answer not found, its number can be used again.
    pub fn with_max_orders(mut self, max: usize) -> Self {
        self.max_orders = max.max(1);
        self
    }

    /// Caps the delivery records kept, all orders together (default
    /// [`DEFAULT_MAX_DELIVERIES`], at least 1): beyond it the oldest record
    /// is dropped. Each order also keeps at most its last 50.
    pub fn with_max_deliveries(mut self, max: usize) -> Self {
        self.max_deliveries = max.max(1);
        self
    }

    /// Lets the loopback server answer requests addressed to `host` (the
    /// `Host` header) and take state-changing requests from pages of
    /// `host` (the `Origin` header, any port), besides its own addresses:
    /// loopback names and addresses and the address it listens on.
    /// Repeatable; a host name or an IP address, compared without the port,
    /// case-insensitively. `--allow-host` on the command line. For a name
    /// that reaches the simulator through a proxy or a tunnel, or a page of
    /// yours that drives it.
    pub fn with_allowed_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(normalize_host(&host.into()));
        self
    }

    /// Sets the loopback server's limits on slow and concurrent clients.
    pub fn with_server_limits(mut self, limits: ServerLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Whether a callback may go to `url`: loopback hosts always, others
    /// only when allowed. `Err` says why not, in one line.
    pub fn check_callback_url(&self, url: &str) -> Result<(), String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("bad callback URL {url:?}: {e}"))?;
        let Some(host) = parsed.host() else {
            return Err(format!("callback URL {url:?} has no host"));
        };
        if is_loopback_host(&host) {
            return Ok(());
        }
        let text = match &host {
            url::Host::Domain(d) => d.trim_end_matches('.').to_ascii_lowercase(),
            url::Host::Ipv4(ip) => ip.to_string(),
            url::Host::Ipv6(ip) => ip.to_string(),
        };
        if self.allowed_callback_hosts.iter().any(|h| {
            *h == text
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.to_string() == text)
        }) {
            return Ok(());
        }
        Err(format!(
            "refused, not attempted: callback host {text} is not loopback and not allowed \
             (--allow-callback-host {text}, SimulatorConfig::with_allowed_callback_host)"
        ))
    }

    /// The hosts allowed besides loopback.
    pub fn allowed_callback_hosts(&self) -> &[String] {
        &self.allowed_callback_hosts
    }

    /// The hosts the loopback server answers to and takes state-changing
    /// requests from besides its own addresses ([`with_allowed_host`](Self::with_allowed_host)).
    pub fn allowed_hosts(&self) -> &[String] {
        &self.allowed_hosts
    }

    /// The cap on kept delivery records, all orders together.
    pub fn max_deliveries(&self) -> usize {
        self.max_deliveries
    }

    /// The configured SmilePayz notify URL.
    pub fn smilepayz_notify_url(&self) -> Option<&str> {
        self.smilepayz_notify_url.as_deref()
    }

    /// The configured Monnet notification URL.
    pub fn monnet_notify_url(&self) -> Option<&str> {
        self.monnet_notify_url.as_deref()
    }

    /// The cap on kept orders per gateway.
    pub fn max_orders(&self) -> usize {
        self.max_orders
    }

    /// The loopback server's limits.
    pub fn server_limits(&self) -> ServerLimits {
        self.limits
    }

    /// The SmilePayz merchant id.
    pub fn smilepayz_merchant_id(&self) -> &str {
        &self.smilepayz_merchant_id
    }

    /// The retry policy.
    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// The slow-answer delay.
    pub fn slow_delay(&self) -> Duration {
        self.slow_delay
    }
}

impl fmt::Debug for SimulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimulatorConfig")
            .field("smilepayz_merchant_id", &self.smilepayz_merchant_id)
            .field(
                "merchant_key",
                &match self.merchant_key {
                    MerchantKey::TestPair => "test pair",
                    MerchantKey::UserPublic(_) => "user public key",
                },
            )
            .field("monnet_merchant_id", &self.monnet_merchant_id)
            .field("timestamp_tolerance", &self.timestamp_tolerance)
            .field("retry", &self.retry)
            .field("slow_delay", &self.slow_delay)
            .field("allowed_callback_hosts", &self.allowed_callback_hosts)
            .field("smilepayz_notify_url", &self.smilepayz_notify_url)
            .field("monnet_notify_url", &self.monnet_notify_url)
            .field("max_orders", &self.max_orders)
            .field("max_deliveries", &self.max_deliveries)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_hosts_loopback_or_allowed() {
        let config = SimulatorConfig::default();
        for ok in [
            "http://127.0.0.1:9/cb",
            "http://127.8.9.10/cb",
            "http://[::1]:80/cb",
            "http://[::ffff:127.0.0.1]/cb",
            "http://localhost:1/cb",
            "http://LocalHost./cb",
            "http://shop.localhost/cb",
            "http://2130706433/cb",
            "http://127.1/cb",
        ] {
            assert_eq!(config.check_callback_url(ok), Ok(()), "{ok}");
        }
        for refused in [
            "http://10.0.0.1/cb",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0:80/",
            "http://[::]/",
            "http://localhost.example.com/cb",
            "http://example.com/cb",
            "http://127.0.0.1.nip.io/cb",
            "not a url",
        ] {
            assert!(config.check_callback_url(refused).is_err(), "{refused}");
        }
        let message = config
            .check_callback_url("http://shop.example/cb")
            .unwrap_err();
        assert!(
            message.contains("--allow-callback-host shop.example"),
            "{message}"
        );
        let config = config
            .with_allowed_callback_host("Shop.Example")
            .with_allowed_callback_host("[fd00::1]")
            .with_allowed_callback_host("10.1.2.3");
        assert_eq!(
            config.check_callback_url("http://shop.example:8080/cb"),
            Ok(())
        );
        assert_eq!(config.check_callback_url("http://[fd00::1]/cb"), Ok(()));
        assert_eq!(config.check_callback_url("http://10.1.2.3/cb"), Ok(()));
        assert!(config.check_callback_url("http://evil.example/cb").is_err());
        assert!(
            config
                .check_callback_url("http://sub.shop.example/cb")
                .is_err()
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_after(1), Duration::from_millis(10));
        assert_eq!(p.delay_after(2), Duration::from_millis(20));
        assert_eq!(p.delay_after(5), Duration::from_millis(160));
        assert_eq!(p.delay_after(6), Duration::from_millis(200));
        assert_eq!(p.delay_after(u32::MAX), Duration::from_millis(200));
        assert_eq!(
            RetryPolicy {
                max_attempts: 0,
                ..p
            }
            .attempts(),
            1
        );
    }
}
