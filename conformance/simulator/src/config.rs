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
    pub(crate) monnet_push_id: String,
    pub(crate) timestamp_tolerance: time::Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) slow_delay: Duration,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) backend: Backend,
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
            monnet_push_id: DEFAULT_MONNET_PUSH_ID.to_owned(),
            timestamp_tolerance: time::Duration::minutes(5),
            retry: RetryPolicy::default(),
            slow_delay: Duration::from_secs(40),
            clock: Arc::new(SystemClock),
            backend: Backend::default(),
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
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
