//! Safe retries: what a client may send again, how long it waits, and where
//! the waiting and the randomness come from.
//!
//! A client retries only where a second send cannot make a second payment:
//!
//! | the attempt… | a read ([`Effect::ReadOnly`](crate::operation::Effect)) | a create ([`Effect::CreatesPayment`](crate::operation::Effect)) |
//! |---|---|---|
//! | failed before the request left ([`Delivery::NotSent`]) | retried | retried |
//! | could not be sent at all ([`TransportFailure::is_permanent`]: the request cannot be expressed, and would fail again) | final | final |
//! | failed after it may have left ([`Delivery::MaybeSent`]: timeout, broken connection) | retried | **never**: the outcome is unknown, reconcile |
//! | was answered with HTTP 5xx | retried | **never**: the payment may exist, reconcile |
//! | was answered otherwise (2xx, 4xx, a refusal code) | final | final |
//!
//! The request is sent again byte for byte (same signature and timestamp;
//! keep the total time well inside the gateways' timestamp windows, as the
//! defaults do). The wait before retry *n* is drawn uniformly from zero to
//! `min(max_delay, initial_delay × 2ⁿ⁻¹)` ("full jitter", so that many
//! clients failing together do not retry together); no retry starts once
//! `max_elapsed` would be passed by its wait, and there are at most
//! `max_attempts` sends in all.
//!
//! **Off by default** ([`RetryPolicy::none`]): a client sends each request
//! once unless you give it a policy. Why: a retry spends the caller's time
//! budget (an HTTP handler, a webhook the gateway times out on) where the
//! caller cannot see it; it adds load to a gateway that is already failing;
//! and an async client can only wait with a timer of your runtime, which the
//! runtime-agnostic core does not have (it falls back to a helper thread per
//! wait, [`TimerThread`]). Turn it on where those trade-offs suit you:
//! [`RetryPolicy::recommended`] (3 attempts, 200 ms doubling up to 2 s, 10 s
//! in all).
//!
//! Time and randomness are injected: a [`Sleeper`] waits and tells the time
//! (a blocking client sleeps its thread, [`ThreadSleeper`]; an async one
//! uses [`TimerThread`] unless you pass your runtime's sleep, e.g.
//! `tokio::time::sleep`), and the jitter comes from a function you can
//! replace (tests make both deterministic).
//!
//! ```
//! use std::time::Duration;
//! use pasarela_core::client::MonnetClient;
//! use pasarela_core::monnet::{Config, Environment, StatusQuery};
//! use pasarela_core::retry::RetryPolicy;
//! use pasarela_core::transport::{Delivery, TransportError, TransportErrorKind};
//! use pasarela_core::{PreparedRequest, RawResponse};
//! use std::sync::atomic::{AtomicU32, Ordering};
//!
//! let sends = AtomicU32::new(0);
//! // Refused twice at connect (nothing left), then answered.
//! let transport = |_r: PreparedRequest| match sends.fetch_add(1, Ordering::SeqCst) {
//!     0 | 1 => Err(TransportError::new(TransportErrorKind::Connect, Delivery::NotSent, "refused")),
//!     _ => Ok(RawResponse::new(200, r#"{"payinMerchantID":"4001","operations":[]}"#)),
//! };
//! let config = Config::new("4001", "TEST-ONLY-key", Environment::Certification)?;
//! let client = MonnetClient::new(config, transport)
//!     .with_retry(RetryPolicy::recommended().with_initial_delay(Duration::from_millis(1)));
//! assert!(client.status(&StatusQuery::by_operation_number("OP1"))?.operations.is_empty());
//! assert_eq!(sends.load(Ordering::SeqCst), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::http::RawResponse;
use crate::transport::{Delivery, TransportFailure};

/// When and how often a client sends a request again (see the module docs
/// for which requests may be).
///
/// A plain value: [`Default`] is [`none`](Self::none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_delay: Duration,
    max_delay: Duration,
    max_elapsed: Duration,
}

impl RetryPolicy {
    /// Every request is sent once: no retry (the default).
    pub const fn none() -> Self {
        Self {
            max_attempts: 1,
            initial_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(10),
        }
    }

    /// Up to 3 sends, waits drawn up to 200 ms, then up to 400 ms (doubling,
    /// at most 2 s each), no retry past 10 s from the first send.
    pub const fn recommended() -> Self {
        Self {
            max_attempts: 3,
            ..Self::none()
        }
    }

    /// At most `attempts` sends in all (the first included; 0 counts as 1).
    pub const fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = if attempts == 0 { 1 } else { attempts };
        self
    }

    /// The ceiling of the first wait (it doubles for each retry after).
    pub const fn with_initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// The most any one wait can be.
    pub const fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// No retry starts if its wait would end later than this after the
    /// first send. (The attempt itself is bounded by the transport's own
    /// timeout.)
    pub const fn with_max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// Sends in all, at most.
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The ceiling of the first wait.
    pub const fn initial_delay(&self) -> Duration {
        self.initial_delay
    }

    /// The most any one wait can be.
    pub const fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The time after the first send past which no retry starts.
    pub const fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// Whether the policy retries at all.
    pub const fn retries(&self) -> bool {
        self.max_attempts > 1
    }

    /// The ceiling of the wait before retry `retry` (1 for the first):
    /// `min(max_delay, initial_delay × 2^(retry-1))`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_delay
            .checked_mul(factor)
            .unwrap_or(Duration::MAX)
            .min(self.max_delay)
    }

    /// The wait before retry `retry`, drawn from `random` (uniform over
    /// `0..=ceiling`, "full jitter").
    pub fn delay(&self, retry: u32, random: u64) -> Duration {
        let ceiling = self.ceiling(retry);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        // A 64-bit random number scaled onto 0..=nanos (no modulo bias worth
        // the name at these sizes).
        let scaled = (u128::from(random) * (u128::from(nanos) + 1)) >> 64;
        Duration::from_nanos(u64::try_from(scaled).unwrap_or(nanos))
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::none()
    }
}

/// Why an attempt may be sent again, if it may (see the module's table):
/// `not_sent`, `maybe_sent` (reads only) or `http_5xx` (reads only).
pub fn retry_reason<E: TransportFailure>(
    creates_payment: bool,
    sent: &Result<RawResponse, E>,
) -> Option<&'static str> {
    match sent {
        Err(e) if e.is_permanent() => None,
        Err(e) if e.delivery() == Delivery::NotSent => Some("not_sent"),
        Err(_) if !creates_payment => Some("maybe_sent"),
        Ok(response) if !creates_payment && response.status >= 500 => Some("http_5xx"),
        _ => None,
    }
}

/// A boxed `Send` future that completes after a wait.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where a retrying client waits, and reads the time it measures its
/// budget (and the call's latency) with.
///
/// Any `Fn(Duration) -> impl Future<Output = ()> + Send + 'static` is a
/// sleeper, so `tokio::time::sleep` or `async_std::task::sleep` can be
/// passed as they are. Tests pass one that only advances a fake time.
pub trait Sleeper: Send + Sync {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;

    /// The current instant (the system's monotonic clock unless overridden).
    fn now(&self) -> Instant {
        Instant::now()
    }
}

impl<F, Fut> Sleeper for F
where
    F: Fn(Duration) -> Fut + Send + Sync,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(self(duration))
    }
}

/// Sleeps the calling thread: the blocking clients' sleeper (they run on
/// the caller's thread already).
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(async move { std::thread::sleep(duration) })
    }
}

/// A timer for any async runtime: each wait is a future woken by a short
/// helper thread, so it never blocks an executor and needs no reactor. The
/// async clients' default; pass your runtime's sleep
/// (`tokio::time::sleep`) to avoid the thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimerThread;

impl Sleeper for TimerThread {
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(ThreadTimer {
            duration,
            shared: None,
        })
    }
}

struct ThreadTimer {
    duration: Duration,
    shared: Option<Arc<Mutex<(bool, Waker)>>>,
}

impl Future for ThreadTimer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.duration.is_zero() {
            return Poll::Ready(());
        }
        if let Some(shared) = &self.shared {
            let mut state = shared.lock().unwrap_or_else(|e| e.into_inner());
            if state.0 {
                return Poll::Ready(());
            }
            state.1.clone_from(cx.waker());
            return Poll::Pending;
        }
        let shared = Arc::new(Mutex::new((false, cx.waker().clone())));
        let wake = shared.clone();
        let duration = self.duration;
        let spawned = std::thread::Builder::new()
            .name("pasarela-retry-timer".into())
            .spawn(move || {
                std::thread::sleep(duration);
                let mut state = wake.lock().unwrap_or_else(|e| e.into_inner());
                state.0 = true;
                state.1.wake_by_ref();
            });
        if spawned.is_err() {
            // No thread to wait with: retry at once rather than never.
            return Poll::Ready(());
        }
        self.shared = Some(shared);
        Poll::Pending
    }
}

/// The jitter's random numbers: the standard library's randomly keyed
/// hasher, fresh keys per call (no dependency, not for cryptography).
pub fn std_random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x7061_7361_7265_6c61); // "pasarela"
    hasher.finish()
}

/// A client's retry policy with its sleeper and randomness.
#[derive(Clone)]
pub(crate) struct Retry {
    pub(crate) policy: RetryPolicy,
    pub(crate) sleeper: Arc<dyn Sleeper>,
    pub(crate) random: Arc<dyn Fn() -> u64 + Send + Sync>,
}

impl Retry {
    /// No retries, waiting with `sleeper` (used for the clock only).
    pub(crate) fn off(sleeper: Arc<dyn Sleeper>) -> Self {
        Self {
            policy: RetryPolicy::none(),
            sleeper,
            random: Arc::new(std_random),
        }
    }
}

impl fmt::Debug for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::TransportError;
    use crate::transport::tests::failed;

    #[test]
    fn only_what_cannot_make_a_second_payment_is_retried() {
        let answered = |status| Ok::<_, TransportError>(RawResponse::new(status, ""));
        for creates in [true, false] {
            assert_eq!(
                retry_reason(creates, &failed(Delivery::NotSent)),
                Some("not_sent")
            );
            assert_eq!(retry_reason(creates, &answered(200)), None);
            assert_eq!(retry_reason(creates, &answered(404)), None);
            assert_eq!(retry_reason(creates, &answered(499)), None);
        }
        assert_eq!(
            retry_reason(false, &failed(Delivery::MaybeSent)),
            Some("maybe_sent")
        );
        assert_eq!(retry_reason(false, &answered(500)), Some("http_5xx"));
        assert_eq!(retry_reason(false, &answered(503)), Some("http_5xx"));
        assert_eq!(retry_reason(true, &failed(Delivery::MaybeSent)), None);
        assert_eq!(retry_reason(true, &answered(500)), None);
        // A request the stack cannot express fails the same way again.
        let invalid = Err::<RawResponse, _>(TransportError::new(
            crate::transport::TransportErrorKind::InvalidRequest,
            Delivery::NotSent,
            "a header value with a newline",
        ));
        assert_eq!(retry_reason(true, &invalid), None);
        assert_eq!(retry_reason(false, &invalid), None);
    }

    #[test]
    fn backoff_doubles_to_the_ceiling_and_jitter_stays_under_it() {
        let p = RetryPolicy::recommended()
            .with_initial_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(350));
        assert_eq!(p.ceiling(1), Duration::from_millis(100));
        assert_eq!(p.ceiling(2), Duration::from_millis(200));
        assert_eq!(p.ceiling(3), Duration::from_millis(350));
        assert_eq!(p.ceiling(200), Duration::from_millis(350));
        assert_eq!(p.delay(1, 0), Duration::ZERO);
        assert_eq!(p.delay(1, u64::MAX), Duration::from_millis(100));
        let half = p.delay(2, u64::MAX / 2);
        assert!(
            half > Duration::from_millis(99) && half < Duration::from_millis(101),
            "{half:?}"
        );
        for r in [1, 7, 1 << 40, u64::MAX - 3] {
            assert!(p.delay(3, r) <= Duration::from_millis(350));
        }
        assert_eq!(
            RetryPolicy::none()
                .with_initial_delay(Duration::ZERO)
                .delay(1, 5),
            Duration::ZERO
        );
    }

    #[test]
    fn policies() {
        assert_eq!(RetryPolicy::default(), RetryPolicy::none());
        assert!(!RetryPolicy::none().retries());
        assert_eq!(RetryPolicy::recommended().max_attempts(), 3);
        assert_eq!(RetryPolicy::none().with_max_attempts(0).max_attempts(), 1);
        assert_eq!(
            RetryPolicy::recommended().max_elapsed(),
            Duration::from_secs(10)
        );
        assert_ne!(std_random(), std_random());
    }

    #[test]
    fn the_timer_thread_wakes_a_waiting_task() {
        let slept = crate::transport::block_on(async {
            let start = Instant::now();
            TimerThread.sleep(Duration::from_millis(20)).await;
            start.elapsed()
        });
        assert!(slept >= Duration::from_millis(20), "{slept:?}");
        crate::transport::block_on(TimerThread.sleep(Duration::ZERO));
        crate::transport::block_on(ThreadSleeper.sleep(Duration::from_millis(1)));
    }
}
