//! Blocking transport for pasarela over a [ureq] 3 [`Agent`].
//!
//! [`UreqTransport`] implements [`BlockingTransport`]: it sends a
//! [`PreparedRequest`] exactly as prepared and hands back a [`RawResponse`]
//! whatever its status. It is cheap to clone and usable from many threads at
//! once; clones share one [`Agent`] and so one connection pool.
//!
//! What it guarantees:
//!
//! - **Statuses are not errors.** A 4xx or 5xx comes back as a response.
//! - **No redirects.** A 3xx comes back as a response; it is not followed.
//! - **Bounded.** A connect timeout (DNS and TCP/TLS connection setup), an
//!   overall timeout (from the start of the call to the last body byte), a
//!   response body size limit and a cap on requests in flight at once
//!   ([`TransportConfig`], shared with every pasarela transport, has the
//!   defaults).
//! - **All response headers** come back, in received order of their first
//!   occurrence (several values of one name stay together, in order). Names
//!   are lower-cased, as HTTP allows.
//! - **HTTPS via rustls** with the webpki root certificates.
//! - **Errors say whether a retry is safe**: every failure is a
//!   [`TransportError`] whose [`Delivery`] is [`Delivery::NotSent`] only when
//!   the request certainly never left (see [`error`](crate#error-mapping)).
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use pasarela_core::transport::{BlockingTransport, Delivery, TransportFailure};
//! use pasarela_core::{PreparedRequest, http::Method};
//! use pasarela_ureq::{TransportConfig, UreqTransport};
//!
//! let transport = UreqTransport::with_config(
//!     TransportConfig::new()
//!         .connect_timeout(Duration::from_secs(5))
//!         .timeout(Duration::from_secs(20))
//!         .max_body_size(256 * 1024),
//! );
//!
//! # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! # let port = listener.local_addr()?.port();
//! # drop(listener); // nothing listens there: the connection is refused
//! let request = PreparedRequest::new(
//!     Method::POST,
//!     format!("http://127.0.0.1:{port}/v2.0/inquiry-status").parse()?,
//!     vec![("Content-Type".into(), "application/json".into())],
//!     br#"{"tradeNo":"T1"}"#.to_vec(),
//! );
//! match transport.send(request) {
//!     Ok(response) => println!("{} {:?}", response.status, response.body),
//!     // Connection refused: the gateway never saw the request, retry is safe.
//!     Err(e) => assert_eq!(e.delivery(), Delivery::NotSent),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Error mapping
//!
//! | ureq error | [`TransportErrorKind`] | [`Delivery`] |
//! |---|---|---|
//! | `HostNotFound`, `Timeout(Resolve)` | `Dns` | `NotSent` |
//! | `Io` refused / address not available | `Connect` | `NotSent` |
//! | `Io` host or network unreachable (may strike an established connection) | `ConnectionBroken` | `MaybeSent` |
//! | `Timeout(Connect)`, `ConnectionFailed`, `ConnectProxyFailed` | `Connect` | `NotSent` |
//! | TLS handshake failure (certificate, incompatible peer, handshake alert), `Tls`, `TlsRequired`, TLS config errors | `Tls` | `NotSent` |
//! | `BadUri`, `Http`, `RequireHttpsOnly`, `InvalidProxyUrl` | `InvalidRequest` | `NotSent` |
//! | any other rustls error (e.g. bad record MAC) | `Tls` | `MaybeSent` |
//! | `Timeout(Global \| PerCall \| SendRequest \| SendBody \| RecvResponse \| RecvBody \| PerRead \| PerWrite)` | `Timeout` | `MaybeSent` |
//! | `Io` reset / aborted / broken pipe / unexpected EOF / not connected | `ConnectionBroken` | `MaybeSent` |
//! | `BodyExceedsLimit` | `BodyTooLarge` | `MaybeSent` |
//! | `Protocol`, `LargeResponseHeader`, redirect errors | `Protocol` | `MaybeSent` |
//! | anything else | `Other` | `MaybeSent` |
//!
//! | no concurrency slot free within the overall timeout | `Timeout` | `NotSent` |
//!
//! Any failure while reading the body, once the response head has arrived,
//! is `MaybeSent`. The overall timeout (`Timeout(Global)`) cannot tell in
//! which phase it fired, so it is `MaybeSent` even if it fired while
//! connecting: keep the connect timeout well below the overall timeout (the
//! defaults do) so that a slow connect is reported as `Connect`/`NotSent`.
//!
//! # ureq's semver-exempt API
//!
//! ureq resolves the host on every request, and once any timeout is set it
//! does so in a new thread (so that a hung lookup can be abandoned): on a
//! loopback call that thread costs more than the HTTP exchange. ureq has no
//! versioned way to avoid it, so this crate plugs a caching resolver
//! through `ureq::unversioned`, which ureq may change in any release. ureq
//! is therefore pinned to exactly [`PINNED_UREQ`] (`=` in `Cargo.toml`), and
//! a test fails, saying what to review, if the pin and the version built
//! ever disagree.
//!
//! [ureq]: https://docs.rs/ureq/3

#![forbid(unsafe_code)]

mod error;
mod resolver;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pasarela_core::transport::BlockingTransport;
use pasarela_core::{PreparedRequest, RawResponse};
use pasarela_transport_kit::{ConcurrencyLimit, Exchange, Progress, request_headers};

pub use pasarela_core::transport::{
    Delivery, TransportError, TransportErrorKind, TransportFailure,
};
pub use pasarela_transport_kit::TransportConfig;
pub use ureq;
pub use ureq::Agent;

/// The exact ureq version this crate is built and tested against (see the
/// crate docs, "ureq's semver-exempt API").
pub const PINNED_UREQ: &str = "3.5.1";

/// Default number of idle connections kept per host.
pub const DEFAULT_MAX_IDLE_CONNECTIONS_PER_HOST: usize = 8;

/// The ureq agent configuration a [`TransportConfig`] amounts to: statuses
/// are not errors, no redirects, the connect and overall timeouts, the
/// `User-Agent`, no `Accept`/`Accept-Encoding` added, 8 idle connections per
/// host, proxy from the environment. Extend it (`.proxy(None)`,
/// `.max_idle_connections_per_host(n)`, TLS settings) and pass the result to
/// [`UreqTransport::with_agent_config`].
pub fn agent_config(
    config: &TransportConfig,
) -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
    let user_agent = match config.get_user_agent() {
        Some(ua) => ureq::config::AutoHeaderValue::Provided(Arc::new(ua.to_owned())),
        None => ureq::config::AutoHeaderValue::None,
    };
    let connect = config.get_connect_timeout();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .save_redirect_history(false)
        .timeout_global(Some(config.get_timeout()))
        .timeout_resolve(Some(connect))
        .timeout_connect(Some(connect))
        .max_idle_connections_per_host(DEFAULT_MAX_IDLE_CONNECTIONS_PER_HOST)
        .user_agent(user_agent)
        .accept(ureq::config::AutoHeaderValue::None)
        .accept_encoding(ureq::config::AutoHeaderValue::None)
}

/// A [`BlockingTransport`] over a ureq [`Agent`].
///
/// Clones share the agent (and its connection pool), the settings and the
/// concurrency cap.
#[derive(Debug, Clone)]
pub struct UreqTransport {
    agent: Agent,
    config: TransportConfig,
    limit: ConcurrencyLimit,
    /// Whether the agent's own config would turn statuses into errors or
    /// follow redirects, so each request must override it.
    override_per_request: bool,
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl UreqTransport {
    /// A transport with the default settings (see [`TransportConfig`]).
    pub fn new() -> Self {
        Self::with_config(TransportConfig::new())
    }

    /// A transport with these settings, over a new [`Agent`] from
    /// [`agent_config`].
    pub fn with_config(config: TransportConfig) -> Self {
        Self::with_agent_config(agent_config(&config).build(), config)
    }

    /// A transport over a new [`Agent`] with this ureq configuration (start
    /// from [`agent_config`]) and a caching resolver (see the crate docs).
    /// The body cap, concurrency cap and the timeout for waiting for a slot
    /// come from `config`; the HTTP timeouts from `agent`.
    pub fn with_agent_config(agent: ureq::config::Config, config: TransportConfig) -> Self {
        // ureq would resolve the host in a new thread on every request once
        // a deadline is set; the caching resolver keeps that off the
        // request path (see `resolver.rs`).
        let agent = Agent::with_parts(
            agent,
            ureq::unversioned::transport::DefaultConnector::new(),
            resolver::CachingResolver::default(),
        );
        Self::with_agent(agent, config)
    }

    /// A transport over an agent of your own; the body cap and concurrency
    /// cap come from `config`.
    ///
    /// The transport takes from the agent: timeouts (set at least
    /// `timeout_global` and `timeout_connect`, or a call may hang), TLS,
    /// proxy, connection pool, and automatic headers (`User-Agent`, `Accept`,
    /// `Accept-Encoding`: with ureq's defaults these are added to every
    /// request). It does not rely on the agent for its guarantees that
    /// statuses are not errors and that redirects are not followed: if the
    /// agent has `http_status_as_error(true)` (ureq's default) or
    /// `max_redirects` above 0, every request overrides them, at the cost of
    /// a per-request configuration (with rustls, the TLS configuration is
    /// then rebuilt per connection). For best performance build the agent
    /// from [`agent_config`].
    pub fn with_agent(agent: Agent, config: TransportConfig) -> Self {
        let agent_config = agent.config();
        let override_per_request =
            agent_config.http_status_as_error() || agent_config.max_redirects() > 0;
        let limit = ConcurrencyLimit::new(config.get_max_concurrent_requests());
        Self {
            agent,
            config,
            limit,
            override_per_request,
        }
    }

    /// The underlying agent.
    pub fn agent(&self) -> &Agent {
        &self.agent
    }

    /// The settings.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    fn build_request<'a>(
        &self,
        request: &'a PreparedRequest,
        remaining: Option<Duration>,
    ) -> Result<ureq::http::Request<&'a [u8]>, TransportError> {
        // The agent adds its own User-Agent; the kit's default is the
        // agent's. The URL and every header are checked here, once.
        let headers = request_headers(request, None)?;
        let mut http_request = ureq::http::Request::new(request.body());
        *http_request.method_mut() = request.method().clone();
        *http_request.uri_mut() =
            request.url().as_str().parse().map_err(|e| {
                pasarela_transport_kit::invalid_request(format!("URL not usable: {e}"))
            })?;
        *http_request.headers_mut() = headers;
        if self.override_per_request || remaining.is_some() {
            let mut builder = self
                .agent
                .configure_request(http_request)
                .http_status_as_error(false)
                .max_redirects(0)
                .max_redirects_will_error(false);
            if let Some(remaining) = remaining {
                builder = builder.timeout_global(Some(remaining));
            }
            Ok(builder.build())
        } else {
            Ok(http_request)
        }
    }
}

impl BlockingTransport for UreqTransport {
    type Error = TransportError;

    fn send(&self, request: PreparedRequest) -> Result<RawResponse, TransportError> {
        let exchange = Exchange::start("ureq", &request);
        exchange.run_blocking(|| self.exchange(request))
    }
}

impl UreqTransport {
    /// One exchange: a slot, the request, the capped body.
    fn exchange(&self, request: PreparedRequest) -> Result<RawResponse, TransportError> {
        let start = Instant::now();
        let timeout = self.config.get_timeout();
        let Some(_slot) = self.limit.acquire_blocking(timeout) else {
            return Err(Progress::new().timed_out(timeout));
        };
        // Waiting for the slot counts towards the overall timeout: a request
        // that waited gets only what is left.
        let waited = start.elapsed();
        let remaining = (waited > Duration::from_millis(1)).then(|| timeout.saturating_sub(waited));
        if remaining.is_some_and(|r| r.is_zero()) {
            return Err(Progress::new().timed_out(timeout));
        }
        let http_request = self.build_request(&request, remaining)?;
        let response = self
            .agent
            .run(http_request)
            .map_err(|e| error::map(e, error::Phase::Exchange))?;
        let status = response.status().as_u16();
        let headers = pasarela_transport_kit::response_headers(response.headers());
        let max = self.config.get_max_body_size();
        let body = response
            .into_body()
            .into_with_config()
            // ureq's limit fails a body of exactly `limit` bytes; ours
            // accepts it. ureq stops reading as soon as it is passed.
            .limit(max.saturating_add(1))
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => {
                    pasarela_transport_kit::body_too_large(max).with_source(e)
                }
                e => error::map(e, error::Phase::Body),
            })?;
        Ok(RawResponse::new(status, body).with_headers(headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_timeout_stays_below_the_overall_one() {
        let t = UreqTransport::with_config(
            TransportConfig::new()
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(2)),
        );
        let timeouts = t.agent().config().timeouts();
        assert_eq!(timeouts.global, Some(Duration::from_secs(2)));
        assert!(
            timeouts.connect < Some(Duration::from_secs(2)),
            "{:?}",
            timeouts.connect
        );
    }

    #[test]
    fn waiting_for_a_slot_past_the_timeout_is_not_sent() {
        let t = UreqTransport::with_config(
            TransportConfig::new()
                .timeout(Duration::from_millis(100))
                .max_concurrent_requests(1),
        );
        let _held = t.limit.acquire_blocking(Duration::ZERO).unwrap();
        let req = PreparedRequest::new(
            pasarela_core::http::Method::POST,
            "http://127.0.0.1:9/".parse().unwrap(),
            vec![],
            b"{}".to_vec(),
        );
        let err = t.send(req).unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Timeout, "{err}");
        assert_eq!(err.delivery(), Delivery::NotSent, "{err}");
    }

    /// ureq's `unversioned` API (the caching resolver) may change in any
    /// ureq release: the version is pinned, and this test says so loudly.
    #[test]
    fn ureq_is_pinned_to_the_version_the_resolver_was_written_for() {
        let manifest = include_str!("../Cargo.toml");
        let pin = format!("version = \"={PINNED_UREQ}\"");
        assert!(
            manifest
                .lines()
                .any(|l| l.trim_start().starts_with("ureq =") && l.contains(&pin)),
            "transports/ureq/Cargo.toml must pin ureq with `{pin}`: the caching resolver \
             (src/resolver.rs) uses ureq::unversioned, which is exempt from semver"
        );
        let lock = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
        if let Ok(lock) = std::fs::read_to_string(lock) {
            let locked: Vec<&str> = lock
                .split("[[package]]")
                .filter(|p| p.contains("\nname = \"ureq\"\n"))
                .filter_map(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
                .map(|v| v.trim_matches('"'))
                .collect();
            assert_eq!(
                locked,
                [PINNED_UREQ],
                "ureq changed from {PINNED_UREQ}. pasarela-ureq plugs a caching resolver \
                 through ureq::unversioned (semver-exempt). Before moving the pin: check that \
                 unversioned::resolver::{{Resolver, DefaultResolver, ResolvedSocketAddrs}} and \
                 unversioned::transport::{{DefaultConnector, NextTimeout}} mean the same, that \
                 ureq still spawns a resolver thread per request when a timeout is set (if not, \
                 drop resolver.rs), then run `pasarela bench` (ureq.transport_send vs \
                 ureq.baseline_post) and update PINNED_UREQ and the `=` pin together."
            );
        }
    }
}

/// The README's code blocks, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
