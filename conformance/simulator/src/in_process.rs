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
//! reported as not attempted. Both transports share one delivery path; the
//! async one never blocks its executor: the callback transport (blocking)
//! and the pauses between attempts run on helper threads that wake the
//! task. The loopback server's callback host rule
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

use pasarela_core::transport::{
    AsyncTransport, BlockingTransport, Delivery, TransportError, TransportErrorKind, block_on,
};
use pasarela_core::{PreparedRequest, RawResponse};

use super::delivery::{DeliveryJob, DeliveryReport, deliver_async};
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

    /// The attempts through the callback transport, each logged, then the
    /// record of the delivery: the one delivery path of both transports.
    /// `waiting` only says how an attempt and a pause between attempts are
    /// waited for.
    async fn deliver(&self, job: &DeliveryJob, waiting: Waiting) -> SimResponse {
        let log = AttemptLog::new();
        let report = match &self.callbacks {
            Some(callbacks) => {
                deliver_async(
                    job,
                    self.simulator.config().retry(),
                    |req| {
                        let log = &log;
                        async move {
                            let started = log.begin(&self.simulator, &job.url);
                            let result = match waiting {
                                Waiting::OnThisThread => callbacks.deliver(req),
                                Waiting::OffThread => {
                                    let callbacks = Arc::clone(callbacks);
                                    OffThread::run(move || callbacks.deliver(req)).await
                                }
                            };
                            log.end(started, job, &result);
                            result
                        }
                    },
                    |pause| async move {
                        match waiting {
                            _ if pause.is_zero() => {}
                            Waiting::OnThisThread => std::thread::sleep(pause),
                            Waiting::OffThread => {
                                OffThread::run(move || std::thread::sleep(pause)).await;
                            }
                        }
                    },
                )
                .await
            }
            None => Self::no_callbacks(),
        };
        self.simulator
            .finish_delivery_logged(job, &report, log.take(), None)
    }

    /// Handles one request: the gateway's answer, after any delivery the
    /// request causes.
    async fn answer(
        &self,
        request: PreparedRequest,
        waiting: Waiting,
    ) -> Result<RawResponse, TransportError> {
        let outcome = self
            .simulator
            .handle(&Self::to_sim_request(&request), self.simulator.now());
        match Self::step(outcome) {
            Step::Done(result) => result,
            Step::Deliver(job, then) => {
                let answer = self.deliver(&job, waiting).await;
                Ok(then.unwrap_or(answer))
            }
        }
    }
}

/// The blocking transport runs the one async path with futures that are
/// ready at once: attempts and pauses block the calling thread.
impl BlockingTransport for InProcess {
    type Error = TransportError;

    fn send(&self, request: PreparedRequest) -> Result<RawResponse, TransportError> {
        block_on(self.answer(request, Waiting::OnThisThread))
    }
}

/// The async transport never blocks the executor: the (blocking) callback
/// transport and the pauses between attempts run on helper threads that
/// wake the task.
impl AsyncTransport for InProcess {
    type Error = TransportError;

    fn send(
        &self,
        request: PreparedRequest,
    ) -> impl Future<Output = Result<RawResponse, TransportError>> + Send {
        self.answer(request, Waiting::OffThread)
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

/// How a delivery waits for an attempt or a pause.
#[derive(Debug, Clone, Copy)]
enum Waiting {
    /// Blocking, on the calling thread (the blocking transport).
    OnThisThread,
    /// On a helper thread that wakes the task (the async transport).
    OffThread,
}

/// The result of a helper thread's work, and whom to wake when it is in.
type Slot<T> = Arc<Mutex<(Option<std::thread::Result<T>>, Option<Waker>)>>;

/// Blocking work on a helper thread, as a future that works on any
/// executor: the thread wakes the task when the work is done. A panic in
/// the work is resumed in the task that awaits it, as if it had run there.
struct OffThread<T> {
    slot: Slot<T>,
}

impl<T: Send + 'static> OffThread<T> {
    /// Starts `work` on a new thread.
    fn run(work: impl FnOnce() -> T + Send + 'static) -> Self {
        let slot: Slot<T> = Arc::new(Mutex::new((None, None)));
        let theirs = Arc::clone(&slot);
        std::thread::spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let mut guard = theirs.lock().unwrap_or_else(PoisonError::into_inner);
            guard.0 = Some(result);
            if let Some(waker) = guard.1.take() {
                waker.wake();
            }
        });
        Self { slot }
    }
}

impl<T> Future for OffThread<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut guard = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        match guard.0.take() {
            Some(Ok(value)) => Poll::Ready(value),
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => {
                guard.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
