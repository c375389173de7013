//! The simulator as a transport: no sockets, no runtime. It implements both
//! [`BlockingTransport`] and [`AsyncTransport`], so the SDK's clients (and
//! anything else that sends a [`PreparedRequest`]) can use it directly.
//!
//! The slow-answer trigger becomes a [`TransportErrorKind::Timeout`] and the
//! dropped-connection trigger a [`TransportErrorKind::ConnectionBroken`],
//! both [`Delivery::MaybeSent`], at once (the request was acted on). Control
//! calls that deliver callbacks send them through the
//! [`CallbackTransport`] given to [`InProcess::with_callback_transport`]
//! (any blocking transport, e.g. a closure); without one, a delivery is
//! reported as not attempted. The loopback server's callback host rule
//! (loopback or [`SimulatorConfig::with_allowed_callback_host`]) does not
//! apply here: the callback transport is yours, and where it carries a
//! callback (a closure calling your handler, an HTTP client) is your
//! choice.
//!
//! [`SimulatorConfig::with_allowed_callback_host`]: super::SimulatorConfig::with_allowed_callback_host
//!
//! ```
//! use pasarela_simulator::{InProcess, Simulator};
//! use pasarela_core::transport::{BlockingTransport, TransportError};
//! use pasarela_core::{PreparedRequest, RawResponse};
//!
//! let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
//! let log = seen.clone();
//! let simulator = InProcess::new(Simulator::with_test_keys()?)
//!     .with_callback_transport(move |req: PreparedRequest| {
//!         log.lock().unwrap().push(req.body().to_vec());
//!         Ok::<_, TransportError>(RawResponse::new(200, "SUCCESS"))
//!     });
//! let credentials = simulator.credentials(); // base URLs under http://simulator.invalid
//! # let _ = credentials;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use pasarela_core::transport::{
    AsyncTransport, BlockingTransport, Delivery, TransportError, TransportErrorKind,
};
use pasarela_core::{PreparedRequest, RawResponse};

use super::delivery::{DeliveryJob, DeliveryReport, deliver_async, deliver_blocking};
use super::wire::{Outcome, SimRequest, SimResponse};
use super::{AttemptLog, Credentials, Simulator};

/// The origin the in-process simulator's credentials use. `.invalid` never
/// resolves, so a request meant for the in-process simulator that reaches a
/// real HTTP stack by mistake goes nowhere.
pub const IN_PROCESS_ORIGIN: &str = "http://simulator.invalid";

/// Carries callbacks and notifications to the merchant, in-process.
/// Implemented by every blocking transport that is `Send + Sync`, closures
/// included.
pub trait CallbackTransport: Send + Sync {
    /// Sends one callback; any response counts as sent, an error as a
    /// failed attempt.
    fn deliver(&self, request: PreparedRequest) -> Result<RawResponse, String>;
}

impl<T> CallbackTransport for T
where
    T: BlockingTransport + Send + Sync,
{
    fn deliver(&self, request: PreparedRequest) -> Result<RawResponse, String> {
        self.send(request).map_err(|e| e.to_string())
    }
}

/// The in-process simulator. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct InProcess {
    simulator: Simulator,
    callbacks: Option<Arc<dyn CallbackTransport>>,
}

impl InProcess {
    /// Runs `simulator` in-process, with no callback transport.
    pub fn new(simulator: Simulator) -> Self {
        Self {
            simulator,
            callbacks: None,
        }
    }

    /// Sends callbacks and notifications through `transport`.
    pub fn with_callback_transport(mut self, transport: impl CallbackTransport + 'static) -> Self {
        self.callbacks = Some(Arc::new(transport));
        self
    }

    /// The simulator (state, orders, configuration).
    pub fn simulator(&self) -> &Simulator {
        &self.simulator
    }

    /// Test credentials, with base URLs under [`IN_PROCESS_ORIGIN`]. Any
    /// host works in-process: only the path is looked at.
    pub fn credentials(&self) -> Credentials {
        self.simulator.credentials(IN_PROCESS_ORIGIN)
    }

    fn to_sim_request(request: &PreparedRequest) -> SimRequest {
        let url = request.url();
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        SimRequest {
            method: request.method().as_str().to_owned(),
            path,
            headers: request.headers().to_vec(),
            body: request.body().to_vec(),
            origin: url.origin().ascii_serialization(),
        }
    }

    fn no_callbacks() -> DeliveryReport {
        DeliveryReport::not_attempted(
            "no callback transport configured (InProcess::with_callback_transport)",
        )
    }

    fn step(outcome: Outcome) -> Step {
        match outcome {
            Outcome::Reply(response) => Step::Done(Ok(response)),
            Outcome::Slow { delay, .. } => Step::Done(Err(TransportError::new(
                TransportErrorKind::Timeout,
                Delivery::MaybeSent,
                format!(
                    "simulated gateway did not answer in time (slow trigger, answer due after {delay:?})"
                ),
            ))),
            Outcome::Drop => Step::Done(Err(TransportError::new(
                TransportErrorKind::ConnectionBroken,
                Delivery::MaybeSent,
                "simulated gateway closed the connection after reading the request (dropped-connection trigger)",
            ))),
            Outcome::Deliver(job) => Step::Deliver(job, None),
            Outcome::DeliverThen { job, reply } => Step::Deliver(job, Some(reply)),
        }
    }

    /// The host check, then the attempts through the callback transport.
    fn deliver_blocking(&self, job: &DeliveryJob) -> SimResponse {
        let log = AttemptLog::new();
        let report = match &self.callbacks {
            Some(callbacks) => deliver_blocking(
                job,
                self.simulator.config().retry(),
                &|req| {
                    let started = log.begin(&self.simulator, &job.url);
                    let result = callbacks.deliver(req);
                    log.end(started, job, &result);
                    result
                },
                &std::thread::sleep,
            ),
            None => Self::no_callbacks(),
        };
        self.simulator
            .finish_delivery_logged(job, &report, log.take(), None)
    }

    async fn deliver_async(&self, job: &DeliveryJob) -> SimResponse {
        let log = AttemptLog::new();
        let report = match &self.callbacks {
            Some(callbacks) => {
                deliver_async(
                    job,
                    self.simulator.config().retry(),
                    |req| {
                        let started = log.begin(&self.simulator, &job.url);
                        let result = callbacks.deliver(req);
                        log.end(started, job, &result);
                        std::future::ready(result)
                    },
                    ThreadSleep::new,
                )
                .await
            }
            None => Self::no_callbacks(),
        };
        self.simulator
            .finish_delivery_logged(job, &report, log.take(), None)
    }
}

impl BlockingTransport for InProcess {
    type Error = TransportError;

    fn send(&self, request: PreparedRequest) -> Result<RawResponse, TransportError> {
        let outcome = self
            .simulator
            .handle(&Self::to_sim_request(&request), self.simulator.now());
        match Self::step(outcome) {
            Step::Done(result) => result,
            Step::Deliver(job, then) => {
                let answer = self.deliver_blocking(&job);
                Ok(then.unwrap_or(answer))
            }
        }
    }
}

impl AsyncTransport for InProcess {
    type Error = TransportError;

    async fn send(&self, request: PreparedRequest) -> Result<RawResponse, TransportError> {
        let outcome = self
            .simulator
            .handle(&Self::to_sim_request(&request), self.simulator.now());
        match Self::step(outcome) {
            Step::Done(result) => result,
            Step::Deliver(job, then) => {
                let answer = self.deliver_async(&job).await;
                Ok(then.unwrap_or(answer))
            }
        }
    }
}

impl fmt::Debug for InProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InProcess")
            .field("simulator", &self.simulator)
            .field("callbacks", &self.callbacks.is_some())
            .finish()
    }
}

/// What an outcome means in-process.
enum Step {
    /// The transport's answer.
    Done(Result<RawResponse, TransportError>),
    /// A delivery to make before answering (with the control call's answer,
    /// or the given one).
    Deliver(DeliveryJob, Option<SimResponse>),
}

/// Whether the sleep is over, and whom to wake when it is.
type Wakeup = Arc<Mutex<(bool, Option<Waker>)>>;

/// A sleep that works on any executor: a helper thread wakes the task.
struct ThreadSleep {
    duration: Duration,
    shared: Option<Wakeup>,
}

impl ThreadSleep {
    fn new(duration: Duration) -> Self {
        Self {
            duration,
            shared: None,
        }
    }
}

impl Future for ThreadSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.duration.is_zero() {
            return Poll::Ready(());
        }
        match &self.shared {
            Some(shared) => {
                let mut guard = shared.lock().unwrap_or_else(PoisonError::into_inner);
                if guard.0 {
                    Poll::Ready(())
                } else {
                    guard.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
            None => {
                let shared = Arc::new(Mutex::new((false, Some(cx.waker().clone()))));
                let theirs = shared.clone();
                let duration = self.duration;
                std::thread::spawn(move || {
                    std::thread::sleep(duration);
                    let mut guard = theirs.lock().unwrap_or_else(PoisonError::into_inner);
                    guard.0 = true;
                    if let Some(waker) = guard.1.take() {
                        waker.wake();
                    }
                });
                self.shared = Some(shared);
                Poll::Pending
            }
        }
    }
}
