//! The one configuration every transport takes.

use std::time::Duration;

/// Default connect timeout: DNS resolution, TCP connect and TLS handshake.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default overall timeout, from the start of the call to the last body byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default response body size limit: 1 MiB.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 1024 * 1024;
/// Default cap on requests in flight at once, per transport (and its clones).
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 100;
/// The `User-Agent` sent by default when a request carries none.
pub const DEFAULT_USER_AGENT: &str = concat!("pasarela/", env!("CARGO_PKG_VERSION"));

/// Timeouts, body cap, concurrency cap and `User-Agent`: the settings every
/// pasarela transport takes, with the same meaning and defaults.
///
/// | setting | default |
/// |---|---|
/// | [`connect_timeout`](Self::connect_timeout) | 10 s ([`DEFAULT_CONNECT_TIMEOUT`]); kept below the overall timeout |
/// | [`timeout`](Self::timeout) | 30 s ([`DEFAULT_TIMEOUT`]) |
/// | [`max_body_size`](Self::max_body_size) | 1 MiB ([`DEFAULT_MAX_BODY_SIZE`]) |
/// | [`max_concurrent_requests`](Self::max_concurrent_requests) | 100 ([`DEFAULT_MAX_CONCURRENT_REQUESTS`]); waiting for a slot counts towards the overall timeout |
/// | [`user_agent`](Self::user_agent) | `pasarela/<version>`, only if the request has none |
///
/// ```
/// use std::time::Duration;
/// use pasarela_transport_kit::TransportConfig;
///
/// let config = TransportConfig::new()
///     .connect_timeout(Duration::from_secs(5))
///     .timeout(Duration::from_secs(20))
///     .max_body_size(256 * 1024);
/// assert_eq!(config.get_timeout(), Duration::from_secs(20));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportConfig {
    connect_timeout: Duration,
    timeout: Duration,
    max_body_size: u64,
    max_concurrent_requests: usize,
    user_agent: Option<String>,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            user_agent: Some(DEFAULT_USER_AGENT.to_owned()),
        }
    }
}

impl TransportConfig {
    /// The defaults (see the table on [`TransportConfig`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Time allowed to resolve the host, open the TCP connection and
    /// complete the TLS handshake. A failure within it means the request was
    /// not sent. Kept below the overall timeout (see
    /// [`get_connect_timeout`](Self::get_connect_timeout)).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for the whole call, from start (including waiting for a
    /// concurrency slot) to the last body byte.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Largest response body accepted, in bytes; a larger one fails with
    /// `BodyTooLarge`, and reading stops as soon as the limit is passed.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// How many requests may be in flight at once through one transport and
    /// its clones; 0 means no cap.
    pub fn max_concurrent_requests(mut self, requests: usize) -> Self {
        self.max_concurrent_requests = requests;
        self
    }

    /// The `User-Agent` sent when the request carries none; `None` (or an
    /// empty string) sends no `User-Agent`.
    pub fn user_agent(mut self, user_agent: Option<String>) -> Self {
        self.user_agent = user_agent.filter(|ua| !ua.is_empty());
        self
    }

    /// The connect timeout in force: the configured one, or 90 % of the
    /// overall timeout if it was not below it. A connect timeout at or above
    /// the overall one would let the overall timeout fire first while
    /// connecting, and a transport that cannot see the phase would then
    /// report a failed connect as "may have been sent".
    pub fn get_connect_timeout(&self) -> Duration {
        if self.connect_timeout >= self.timeout {
            self.timeout.mul_f64(0.9)
        } else {
            self.connect_timeout
        }
    }

    /// The overall timeout.
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }

    /// The body size limit, in bytes.
    pub fn get_max_body_size(&self) -> u64 {
        self.max_body_size
    }

    /// The concurrency cap (0: none).
    pub fn get_max_concurrent_requests(&self) -> usize {
        self.max_concurrent_requests
    }

    /// The default `User-Agent`, if any.
    pub fn get_user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_timeout_stays_below_the_overall_one() {
        let c = TransportConfig::new()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(2));
        assert!(c.get_connect_timeout() < Duration::from_secs(2));
        let c = TransportConfig::new().connect_timeout(Duration::from_secs(1));
        assert_eq!(c.get_connect_timeout(), Duration::from_secs(1));
    }

    #[test]
    fn empty_user_agent_is_none() {
        let c = TransportConfig::new().user_agent(Some(String::new()));
        assert_eq!(c.get_user_agent(), None);
        assert!(
            TransportConfig::new()
                .get_user_agent()
                .is_some_and(|ua| ua.starts_with("pasarela/"))
        );
    }
}
