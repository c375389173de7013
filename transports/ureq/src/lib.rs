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
//! - **Bounded.** A connect timeout (DNS and TCP/TLS connection setup) and an
//!   overall timeout (from the start of the call to the last body byte), and
//!   a response body size limit ([`UreqConfig`] has the defaults).
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
//! use pasarela_ureq::{UreqConfig, UreqTransport};
//!
//! let transport: UreqTransport = UreqConfig::new()
//!     .connect_timeout(Duration::from_secs(5))
//!     .timeout(Duration::from_secs(20))
//!     .max_body_size(256 * 1024)
//!     .build();
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
//! Any failure while reading the body, once the response head has arrived,
//! is `MaybeSent`. The overall timeout (`Timeout(Global)`) cannot tell in
//! which phase it fired, so it is `MaybeSent` even if it fired while
//! connecting: keep the connect timeout well below the overall timeout (the
//! defaults do) so that a slow connect is reported as `Connect`/`NotSent`.
//!
//! [ureq]: https://docs.rs/ureq/3

#![forbid(unsafe_code)]

mod error;
mod resolver;

use std::sync::Arc;
use std::time::Duration;

use pasarela_core::transport::BlockingTransport;
use pasarela_core::{PreparedRequest, RawResponse};

pub use pasarela_core::transport::{
    Delivery, TransportError, TransportErrorKind, TransportFailure,
};
pub use ureq;
pub use ureq::Agent;

/// Default connect timeout: DNS resolution, and TCP plus TLS connection set-up.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default overall timeout, from the start of the call to the last body byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default response body size limit: 1 MiB.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 1024 * 1024;
/// Default number of idle connections kept per host.
pub const DEFAULT_MAX_IDLE_CONNECTIONS_PER_HOST: usize = 8;

/// Settings for a [`UreqTransport`]; build one with [`UreqConfig::build`].
///
/// | setting | default |
/// |---|---|
/// | [`connect_timeout`](Self::connect_timeout) | 10 s ([`DEFAULT_CONNECT_TIMEOUT`]) |
/// | [`timeout`](Self::timeout) | 30 s ([`DEFAULT_TIMEOUT`]) |
/// | [`max_body_size`](Self::max_body_size) | 1 MiB ([`DEFAULT_MAX_BODY_SIZE`]) |
/// | [`max_idle_connections_per_host`](Self::max_idle_connections_per_host) | 8 |
/// | [`user_agent`](Self::user_agent) | `pasarela/<version>`, only if the request has none |
/// | [`env_proxy`](Self::env_proxy) | `true`: honour `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` |
#[derive(Debug, Clone)]
pub struct UreqConfig {
    connect_timeout: Duration,
    timeout: Duration,
    max_body_size: u64,
    max_idle_connections_per_host: usize,
    user_agent: Option<String>,
    env_proxy: bool,
}

impl Default for UreqConfig {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_idle_connections_per_host: DEFAULT_MAX_IDLE_CONNECTIONS_PER_HOST,
            user_agent: Some(concat!("pasarela/", env!("CARGO_PKG_VERSION")).to_owned()),
            env_proxy: true,
        }
    }
}

impl UreqConfig {
    /// The defaults (see the table on [`UreqConfig`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Time allowed to resolve the host and, separately, to open the TCP
    /// connection and complete the TLS handshake. A failure within it means
    /// the request was not sent.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for the whole call, from start to the last body byte.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Largest response body accepted, in bytes; a larger one fails with
    /// [`TransportErrorKind::BodyTooLarge`].
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// How many idle keep-alive connections to keep per host (0 disables
    /// connection reuse).
    pub fn max_idle_connections_per_host(mut self, connections: usize) -> Self {
        self.max_idle_connections_per_host = connections;
        self
    }

    /// The `User-Agent` sent when the request carries none; `None` sends no
    /// `User-Agent` at all.
    pub fn user_agent(mut self, user_agent: Option<String>) -> Self {
        self.user_agent = user_agent;
        self
    }

    /// Whether to use a proxy from the environment (`HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY`, as ureq reads them).
    pub fn env_proxy(mut self, enabled: bool) -> Self {
        self.env_proxy = enabled;
        self
    }

    /// The configured connect timeout.
    pub fn get_connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The configured overall timeout.
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }

    /// The configured body size limit.
    pub fn get_max_body_size(&self) -> u64 {
        self.max_body_size
    }

    /// The ureq [`Agent`] configuration these settings amount to.
    pub fn agent_config(&self) -> ureq::config::Config {
        let user_agent = match &self.user_agent {
            Some(ua) if !ua.is_empty() => {
                ureq::config::AutoHeaderValue::Provided(Arc::new(ua.clone()))
            }
            _ => ureq::config::AutoHeaderValue::None,
        };
        let mut builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .save_redirect_history(false)
            .timeout_global(Some(self.timeout))
            .timeout_resolve(Some(self.connect_timeout))
            .timeout_connect(Some(self.connect_timeout))
            .max_idle_connections_per_host(self.max_idle_connections_per_host)
            .user_agent(user_agent)
            .accept(ureq::config::AutoHeaderValue::None)
            .accept_encoding(ureq::config::AutoHeaderValue::None);
        if !self.env_proxy {
            builder = builder.proxy(None);
        }
        builder.build()
    }

    /// Builds the transport, with a new [`Agent`].
    pub fn build(self) -> UreqTransport {
        // A connect timeout at or above the overall one would let the
        // overall timeout fire first while connecting, and a failed connect
        // would then read as "may have been sent": keep it below.
        let mut config = self;
        if config.connect_timeout >= config.timeout {
            config.connect_timeout = config.timeout.mul_f32(0.9);
        }
        // ureq would resolve the host in a new thread on every request once
        // a deadline is set; the caching resolver keeps that off the
        // request path (see `resolver.rs`).
        let agent = Agent::with_parts(
            config.agent_config(),
            ureq::unversioned::transport::DefaultConnector::new(),
            resolver::CachingResolver::default(),
        );
        UreqTransport {
            agent,
            max_body_size: config.max_body_size,
            override_per_request: false,
        }
    }
}

/// A [`BlockingTransport`] over a ureq [`Agent`].
///
/// Clones share the agent and its connection pool.
#[derive(Debug, Clone)]
pub struct UreqTransport {
    agent: Agent,
    max_body_size: u64,
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
    /// A transport with the default settings (see [`UreqConfig`]).
    pub fn new() -> Self {
        UreqConfig::new().build()
    }

    /// A transport with these settings.
    pub fn with_config(config: UreqConfig) -> Self {
        config.build()
    }

    /// A transport over an agent of your own, with the default body size
    /// limit ([`max_body_size`](Self::max_body_size) changes it).
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
    /// with `http_status_as_error(false)` and `max_redirects(0)`, or start
    /// from [`UreqConfig::agent_config`].
    pub fn with_agent(agent: Agent) -> Self {
        let config = agent.config();
        let override_per_request = config.http_status_as_error() || config.max_redirects() > 0;
        Self {
            agent,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            override_per_request,
        }
    }

    /// Sets the response body size limit in bytes.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// The underlying agent.
    pub fn agent(&self) -> &Agent {
        &self.agent
    }

    fn build_request<'a>(
        &self,
        request: &'a PreparedRequest,
    ) -> Result<ureq::http::Request<&'a [u8]>, TransportError> {
        let scheme = request.url().scheme();
        if scheme != "http" && scheme != "https" {
            return Err(TransportError::new(
                TransportErrorKind::InvalidRequest,
                Delivery::NotSent,
                format!("unsupported URL scheme {scheme:?}"),
            ));
        }
        let mut builder = ureq::http::Request::builder()
            .method(request.method().clone())
            .uri(request.url().as_str());
        for (name, value) in request.headers() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let http_request = builder.body(request.body()).map_err(|e| {
            TransportError::new(
                TransportErrorKind::InvalidRequest,
                Delivery::NotSent,
                format!("request cannot be expressed in HTTP: {e}"),
            )
            .with_source(e)
        })?;
        if self.override_per_request {
            Ok(self
                .agent
                .configure_request(http_request)
                .http_status_as_error(false)
                .max_redirects(0)
                .max_redirects_will_error(false)
                .build())
        } else {
            Ok(http_request)
        }
    }
}

impl BlockingTransport for UreqTransport {
    type Error = TransportError;

    fn send(&self, request: PreparedRequest) -> Result<RawResponse, TransportError> {
        let http_request = self.build_request(&request)?;
        let response = self
            .agent
            .run(http_request)
            .map_err(|e| error::map(e, error::Phase::Exchange))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .into_body()
            .into_with_config()
            // ureq's limit fails a body of exactly `limit` bytes; ours
            // accepts it.
            .limit(self.max_body_size.saturating_add(1))
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => TransportError::new(
                    TransportErrorKind::BodyTooLarge,
                    Delivery::MaybeSent,
                    format!(
                        "response body larger than the limit of {} bytes",
                        self.max_body_size
                    ),
                )
                .with_source(e),
                e => error::map(e, error::Phase::Body),
            })?;
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn connect_timeout_stays_below_the_overall_one() {
        use std::time::Duration;
        let t = super::UreqConfig::new()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(2))
            .build();
        let timeouts = t.agent().config().timeouts();
        assert_eq!(timeouts.global, Some(Duration::from_secs(2)));
        assert!(
            timeouts.connect < Some(Duration::from_secs(2)),
            "{:?}",
            timeouts.connect
        );
    }
}

/// The README's code blocks, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
