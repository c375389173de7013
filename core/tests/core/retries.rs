//! Safe retries, branch by branch, with transports that fail on purpose:
//! reads are retried on any transport failure and on HTTP 5xx; creates only
//! when the request certainly did not leave; never past the attempts or the
//! time budget; never unless a policy was given. Time and jitter are fakes,
//! so nothing here sleeps or depends on timing.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pasarela_core::client::{
    AsyncMonnetClient, AsyncSmilepayzClient, ClientError, MonnetClient, MonnetSettings,
    SmilepayzClient, Unknown,
};
use pasarela_core::monnet::{self, StatusQuery};
use pasarela_core::retry::{RetryPolicy, Sleep, Sleeper};
use pasarela_core::smilepayz::{self, PayInOutcome};
use pasarela_core::transport::{
    AsyncTransport, BlockingTransport, Delivery, TransportError, TransportErrorKind,
};
use pasarela_core::{PreparedRequest, RawResponse};
use time::macros::datetime;

use crate::samples;
use crate::support::smilepayz_settings;

const CREATED: &str = r#"{"code":"00","message":"ok","orderNo":"ORDER123","merchant":{"merchantId":"20011"},"money":{"amount":20000,"currency":"PEN"},"transactionTime":"2020-12-17T10:55:00-05:00","channel":{"paymentMethod":"CASHIER_PE","paymentUrl":"https://pay.example/x"},"tradeNo":"T1","status":"PROCESSING"}"#;
const NO_OPERATIONS: &str = r#"{"payinMerchantID":"4001","operations":[]}"#;
const MONNET_CREATED: &str =
    r#"{"url":"https://test.test","payinErrorCode":"0000","payinErrorMessage":"ok"}"#;

type Answer = Result<RawResponse, TransportError>;

/// Fake time: `now` moves only when the client sleeps or a send "takes"
/// time; every wait is recorded.
#[derive(Clone)]
struct FakeTime {
    base: Instant,
    offset: Arc<Mutex<Duration>>,
    slept: Arc<Mutex<Vec<Duration>>>,
}

impl FakeTime {
    fn new() -> Self {
        Self {
            base: Instant::now(),
            offset: Arc::default(),
            slept: Arc::default(),
        }
    }
    fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap() += by;
    }
    fn slept(&self) -> Vec<Duration> {
        self.slept.lock().unwrap().clone()
    }
}

impl Sleeper for FakeTime {
    fn sleep(&self, duration: Duration) -> Sleep {
        self.advance(duration);
        self.slept.lock().unwrap().push(duration);
        Box::pin(std::future::ready(()))
    }
    fn now(&self) -> Instant {
        self.base + *self.offset.lock().unwrap()
    }
}

/// A transport answering from a script; each send may "take" fake time.
#[derive(Clone)]
struct Script {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    sends: Arc<Mutex<u32>>,
    time: FakeTime,
    takes: Duration,
}

impl Script {
    fn new(time: &FakeTime, answers: impl IntoIterator<Item = Answer>) -> Self {
        Self {
            answers: Arc::new(Mutex::new(answers.into_iter().collect())),
            sends: Arc::default(),
            time: time.clone(),
            takes: Duration::ZERO,
        }
    }
    fn taking(mut self, takes: Duration) -> Self {
        self.takes = takes;
        self
    }
    fn sends(&self) -> u32 {
        *self.sends.lock().unwrap()
    }
    fn next(&self) -> Answer {
        *self.sends.lock().unwrap() += 1;
        self.time.advance(self.takes);
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .expect("the script ran out of answers: sent more often than allowed")
    }
}

impl BlockingTransport for Script {
    type Error = TransportError;
    fn send(&self, _request: PreparedRequest) -> Answer {
        self.next()
    }
}

impl AsyncTransport for Script {
    type Error = TransportError;
    fn send(&self, _request: PreparedRequest) -> impl std::future::Future<Output = Answer> + Send {
        std::future::ready(self.next())
    }
}

fn failed(delivery: Delivery) -> Answer {
    let kind = match delivery {
        Delivery::NotSent => TransportErrorKind::Connect,
        Delivery::MaybeSent => TransportErrorKind::Timeout,
    };
    Err(TransportError::new(kind, delivery, "on purpose"))
}

fn answered(status: u16, body: &str) -> Answer {
    Ok(RawResponse::new(status, body))
}

/// Waits at their ceiling (jitter always the largest number), 100 ms
/// doubling, 4 attempts, 10 s in all.
fn policy() -> RetryPolicy {
    RetryPolicy::recommended()
        .with_max_attempts(4)
        .with_initial_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(1))
        .with_max_elapsed(Duration::from_secs(10))
}

fn monnet_config() -> monnet::Config {
    monnet::Config::new("4001", "TEST-ONLY-key", monnet::Environment::Certification).unwrap()
}

fn monnet(script: &Script, time: &FakeTime) -> MonnetClient<Script> {
    MonnetClient::new(
        MonnetSettings::new(monnet_config()).with_clock(|| datetime!(2025-07-15 12:00:00 UTC)),
        script.clone(),
    )
    .with_retry(policy())
    .with_sleeper(time.clone())
    .with_jitter(|| u64::MAX)
}

fn smilepayz(script: &Script, time: &FakeTime) -> SmilepayzClient<Script> {
    SmilepayzClient::new(smilepayz_settings("20011"), script.clone())
        .with_retry(policy())
        .with_sleeper(time.clone())
        .with_jitter(|| u64::MAX)
}

fn status(
    client: &MonnetClient<Script>,
) -> Result<monnet::StatusResponse, ClientError<TransportError>> {
    client.status(&StatusQuery::by_operation_number("OP1"))
}

fn pay_in() -> smilepayz::PayInRequest {
    samples::smilepayz_pay_in("20011", "ORDER123", 20000).unwrap()
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn a_read_is_retried_on_any_transport_failure_with_doubling_waits() {
    let time = FakeTime::new();
    let script = Script::new(
        &time,
        [
            failed(Delivery::NotSent),
            failed(Delivery::MaybeSent),
            failed(Delivery::MaybeSent),
            answered(200, NO_OPERATIONS),
        ],
    );
    let answer = status(&monnet(&script, &time)).unwrap();
    assert!(answer.operations.is_empty());
    assert_eq!(script.sends(), 4);
    assert_eq!(time.slept(), [ms(100), ms(200), ms(400)]);
}

#[test]
fn a_read_is_retried_on_http_5xx_and_not_on_4xx() {
    let time = FakeTime::new();
    let script = Script::new(
        &time,
        [
            answered(503, "<html>busy</html>"),
            answered(200, NO_OPERATIONS),
        ],
    );
    assert!(status(&monnet(&script, &time)).is_ok());
    assert_eq!(script.sends(), 2);

    let time = FakeTime::new();
    let refused = r#"{"payinErrorCode":"0002","payinErrorMessage":"bad request"}"#;
    let script = Script::new(&time, [answered(400, refused)]);
    let err = status(&monnet(&script, &time)).unwrap_err();
    assert!(matches!(err, ClientError::Rejected(_)), "{err:?}");
    assert_eq!(script.sends(), 1);
    assert!(time.slept().is_empty());
}

#[test]
fn a_read_stops_at_the_attempt_limit_with_the_last_failure() {
    let time = FakeTime::new();
    let script = Script::new(
        &time,
        (0..4).map(|_| answered(502, "<html>bad gateway</html>")),
    );
    let err = status(&monnet(&script, &time)).unwrap_err();
    assert!(matches!(err, ClientError::InvalidResponse(_)), "{err:?}");
    assert_eq!(script.sends(), 4);
    assert_eq!(time.slept().len(), 3);
}

#[test]
fn no_retry_starts_past_the_time_budget() {
    // Each send takes 5 s: after the second (10.1 s in), a 200 ms wait would
    // end past the 10 s budget, so the third is never sent.
    let time = FakeTime::new();
    let script = Script::new(
        &time,
        [failed(Delivery::MaybeSent), failed(Delivery::MaybeSent)],
    )
    .taking(Duration::from_secs(5));
    let err = status(&monnet(&script, &time)).unwrap_err();
    assert!(matches!(
        err,
        ClientError::OutcomeUnknown(Unknown::Transport(_))
    ));
    assert_eq!(script.sends(), 2);
    assert_eq!(time.slept(), [ms(100)]);
}

#[test]
fn a_create_is_retried_only_when_it_certainly_did_not_leave() {
    // Refused at connect: nothing left, so the same pay-in is sent again.
    let time = FakeTime::new();
    let script = Script::new(&time, [failed(Delivery::NotSent), answered(200, CREATED)]);
    let outcome = smilepayz(&script, &time).pay_in(&pay_in()).unwrap();
    assert!(matches!(outcome, PayInOutcome::Redirect(_)));
    assert_eq!(script.sends(), 2);

    // May have left (a timeout): never sent again, whatever the policy.
    let time = FakeTime::new();
    let script = Script::new(&time, [failed(Delivery::MaybeSent)]);
    let err = smilepayz(&script, &time).pay_in(&pay_in()).unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(script.sends(), 1);

    // Answered with HTTP 500: the payment may exist, never sent again.
    let time = FakeTime::new();
    let script = Script::new(&time, [answered(500, "<html>oops</html>")]);
    let err = smilepayz(&script, &time).pay_in(&pay_in()).unwrap_err();
    assert!(
        matches!(err, ClientError::OutcomeUnknown(Unknown::Response(_))),
        "{err:?}"
    );
    assert_eq!(script.sends(), 1);
    assert!(time.slept().is_empty());

    // A Monnet create that never leaves is tried up to the limit and
    // reported as not sent (safe to try again later).
    let time = FakeTime::new();
    let script = Script::new(&time, (0..4).map(|_| failed(Delivery::NotSent)));
    let client = monnet(&script, &time);
    let create = samples::monnet_create("ORD-1", "150.00").unwrap();
    let err = client.create(&create).unwrap_err();
    assert!(matches!(err, ClientError::NotSent(_)) && err.is_retry_safe());
    assert_eq!(script.sends(), 4);

    // A request the HTTP stack cannot express (a malformed URL) would fail
    // the same way again: reported at once, without spending the budget.
    let time = FakeTime::new();
    let invalid = Err(TransportError::new(
        TransportErrorKind::InvalidRequest,
        Delivery::NotSent,
        "the URL has no host",
    ));
    let script = Script::new(&time, [invalid]);
    let err = monnet(&script, &time).create(&create).unwrap_err();
    assert!(matches!(err, ClientError::NotSent(_)), "{err:?}");
    assert_eq!(script.sends(), 1);
    assert!(time.slept().is_empty());

    // …and a Monnet create answered after a refused connect is created once.
    let time = FakeTime::new();
    let script = Script::new(
        &time,
        [failed(Delivery::NotSent), answered(200, MONNET_CREATED)],
    );
    assert!(monnet(&script, &time).create(&create).is_ok());
    assert_eq!(script.sends(), 2);
}

#[test]
fn retries_are_off_unless_a_policy_is_given() {
    let time = FakeTime::new();
    let script = Script::new(&time, [failed(Delivery::NotSent)]);
    let client = MonnetClient::new(monnet_config(), script.clone()).with_sleeper(time.clone());
    assert_eq!(client.retry_policy(), RetryPolicy::none());
    let err = status(&client).unwrap_err();
    assert!(matches!(err, ClientError::NotSent(_)));
    assert_eq!(script.sends(), 1);
    assert!(time.slept().is_empty());
}

#[test]
fn the_async_clients_retry_through_the_same_driver() {
    let time = FakeTime::new();
    let script = Script::new(
        &time,
        [failed(Delivery::MaybeSent), answered(200, NO_OPERATIONS)],
    );
    let client = AsyncMonnetClient::new(
        MonnetSettings::new(monnet_config()).with_clock(|| datetime!(2025-07-15 12:00:00 UTC)),
        script.clone(),
    )
    .with_retry(policy())
    .with_sleeper(time.clone())
    .with_jitter(|| 0);
    let answer =
        pasarela_core::transport::block_on(client.status(&StatusQuery::by_operation_number("OP1")));
    assert!(answer.is_ok());
    assert_eq!(script.sends(), 2);
    assert_eq!(time.slept(), [Duration::ZERO]); // the jitter drew zero

    let time = FakeTime::new();
    let script = Script::new(&time, [failed(Delivery::MaybeSent)]);
    let client = AsyncSmilepayzClient::new(smilepayz_settings("20011"), script.clone())
        .with_retry(policy())
        .with_sleeper(time.clone());
    let err = pasarela_core::transport::block_on(client.pay_in(&pay_in())).unwrap_err();
    assert!(err.is_outcome_unknown());
    assert_eq!(script.sends(), 1);
}

#[test]
fn the_default_sleepers_really_wait() {
    // The blocking client sleeps its thread; the async one uses a timer
    // thread. Waits of at most 1 ms: only that they complete is checked.
    let quick = RetryPolicy::recommended().with_initial_delay(ms(1));
    let time = FakeTime::new();
    let script = Script::new(
        &time,
        [failed(Delivery::NotSent), answered(200, NO_OPERATIONS)],
    );
    let blocking = MonnetClient::new(monnet_config(), script.clone()).with_retry(quick);
    assert!(status(&blocking).is_ok());
    let script = Script::new(
        &time,
        [failed(Delivery::NotSent), answered(200, NO_OPERATIONS)],
    );
    let client = AsyncMonnetClient::new(monnet_config(), script.clone()).with_retry(quick);
    let answer =
        pasarela_core::transport::block_on(client.status(&StatusQuery::by_operation_number("OP1")));
    assert!(answer.is_ok());
    assert_eq!(script.sends(), 2);
}
