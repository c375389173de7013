//! What pasarela reports while it works: one `tracing` span per gateway
//! call, events for webhook verification and confirmation, and metrics.
//!
//! Both are off unless you enable them: feature `tracing` (spans and
//! events, through the [`tracing`](https://docs.rs/tracing) facade) and
//! feature `metrics` (counters and histograms, through the
//! [`metrics`](https://docs.rs/metrics) facade). Without them this module
//! costs nothing: its functions are empty. Install any subscriber or
//! recorder you like (`tracing-subscriber`, OpenTelemetry,
//! `metrics-exporter-prometheus`; the axum example serves `/metrics`).
//!
//! # The span of a gateway call
//!
//! Every call a client sends (and every [`Operation::send`](crate::operation::Operation::send))
//! runs inside one span, target `pasarela_core::call`, name `gateway_call`,
//! level INFO, closed by one event (`gateway call finished`) carrying the
//! same fields. A transport with its own `tracing` feature
//! (`pasarela-ureq`, `pasarela-surf`, `pasarela-reqwest`) adds a child span
//! per HTTP exchange.
//!
//! | field | value |
//! |---|---|
//! | `gateway` | `smilepayz`, `monnet`, or what a custom operation's [`Description`] says |
//! | `operation` | `pay_in`, `inquiry_status`, `inquiry_balance`, `reconcile_pay_in`, `confirm_pay_in`, `confirm_pay_in_status`, `create`, `status_query`, `reconcile_operation`, `confirm_operation`, `confirm_operation_status`, … |
//! | `reference` | our order / operation number (or trade number), when the call has one |
//! | `creates_payment` | whether the call can create a payment |
//! | `delivery` | how far the last attempt got: `answered`, `not_sent`, `maybe_sent` |
//! | `outcome` | `created`, `declined`, `check_status`, `ok`, `found`, `not_found`, `cannot_tell`, `confirmed`, or a failure: [`ClientError::kind`](crate::outcome::ClientError::kind) (`rejected`, `duplicate`, `outcome_unknown`, `not_sent`, `invalid_response`, `not_confirmed`, `invalid`, `sign_failed`) |
//! | `http_status` | the HTTP status of the last answer, when one came |
//! | `gateway_code` | the gateway's refusal code, when it refused |
//! | `attempts` | how many times the request was sent (retries: [`crate::retry`]) |
//! | `latency_ms` | from the first attempt to the classified outcome, retries and their waits included |
//!
//! A retry is an event (`retrying gateway call`, WARN) with the attempt,
//! the delay and the reason. Webhook verification (`verify_callback`,
//! `verify_notification` and the [`crate::webhook`] verifiers) emits an
//! event on target `pasarela_core::webhook` (verified: DEBUG with the
//! signed reference; refused: WARN with the error's
//! [`kind`](crate::error::VerifyError::kind)); confirmation
//! ([`crate::confirm`], and so the clients' `confirm_*`) one on target
//! `pasarela_core::confirm` (confirmed: INFO; not confirmed: WARN with the
//! [`kind`](crate::confirm::NotConfirmed::kind)).
//!
//! **Nothing secret or personal is recorded**: no header value, no body, no
//! gateway message (a gateway may echo what it was sent), no error text
//! that can quote a value; only the names, numbers and codes above. Order
//! and operation numbers are yours: keep personal data out of them.
//!
//! # Metrics
//!
//! | name | kind | labels |
//! |---|---|---|
//! | [`CALLS_TOTAL`] `pasarela_calls_total` | counter | `gateway`, `operation`, `outcome` |
//! | [`CALL_DURATION_SECONDS`] `pasarela_call_duration_seconds` | histogram | `gateway`, `operation` |
//! | [`CALL_RETRIES_TOTAL`] `pasarela_call_retries_total` | counter | `gateway`, `operation`, `reason` |
//! | [`WEBHOOKS_TOTAL`] `pasarela_webhooks_total` | counter | `gateway`, `outcome` (`verified` or the error's kind) |
//! | [`CONFIRMATIONS_TOTAL`] `pasarela_confirmations_total` | counter | `gateway`, `outcome` (`confirmed` or the reason's kind) |
//!
//! Labels are low-cardinality by design: never an order number.
//! `describe_metrics()` (feature `metrics`) registers their help texts and
//! units with the recorder in force.

use std::future::Future;
use std::time::Duration;

use crate::error::VerifyError;

/// The gateway name of SmilePayz calls and events (`gateway` field and label).
pub const SMILEPAYZ: &str = "smilepayz";
/// The gateway name of Monnet calls and events (`gateway` field and label).
pub const MONNET: &str = "monnet";

/// `pasarela_calls_total`: gateway calls by gateway, operation and outcome.
pub const CALLS_TOTAL: &str = "pasarela_calls_total";
/// `pasarela_call_duration_seconds`: gateway call latency (retries
/// included) by gateway and operation.
pub const CALL_DURATION_SECONDS: &str = "pasarela_call_duration_seconds";
/// `pasarela_call_retries_total`: retries by gateway, operation and reason.
pub const CALL_RETRIES_TOTAL: &str = "pasarela_call_retries_total";
/// `pasarela_webhooks_total`: callbacks and notifications by gateway and
/// outcome.
pub const WEBHOOKS_TOTAL: &str = "pasarela_webhooks_total";
/// `pasarela_confirmations_total`: confirmations by gateway and outcome.
pub const CONFIRMATIONS_TOTAL: &str = "pasarela_confirmations_total";

/// What a gateway call is, for its span and its metrics: the gateway, the
/// operation, and our reference (order or operation number).
///
/// The operations of [`crate::operation`] describe themselves; give one of
/// your own a description with
/// [`Operation::describe`](crate::operation::Operation::describe).
/// `gateway` and `operation` are metric labels: keep them few and fixed.
///
/// ```
/// use pasarela_core::observe::Description;
///
/// let d = Description::new("smilepayz", "refund").with_reference("ORDER1");
/// assert_eq!((d.gateway(), d.operation(), d.reference()), ("smilepayz", "refund", Some("ORDER1")));
/// assert_eq!(Description::default().gateway(), "custom");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    gateway: &'static str,
    operation: &'static str,
    reference: Option<String>,
}

impl Description {
    /// A call named `operation` on `gateway`.
    pub const fn new(gateway: &'static str, operation: &'static str) -> Self {
        Self {
            gateway,
            operation,
            reference: None,
        }
    }

    /// Our order or operation number for the call (recorded in the span,
    /// never in a metric label).
    pub fn with_reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }

    /// The same call under another operation name (a reconciliation is an
    /// inquiry read another way).
    pub fn with_operation(mut self, operation: &'static str) -> Self {
        self.operation = operation;
        self
    }

    /// The gateway.
    pub fn gateway(&self) -> &'static str {
        self.gateway
    }

    /// The operation.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// Our reference, when the call has one.
    pub fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }
}

impl Default for Description {
    /// `custom` / `custom`, no reference: an operation nobody described.
    fn default() -> Self {
        Self::new("custom", "custom")
    }
}

/// How a call ended, as the span and the metrics record it.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) struct Finished<'a> {
    /// The outcome class (see the module docs).
    pub(crate) outcome: &'static str,
    /// `answered`, `not_sent` or `maybe_sent`.
    pub(crate) delivery: &'static str,
    pub(crate) http_status: Option<u16>,
    pub(crate) gateway_code: Option<&'a str>,
    pub(crate) attempts: u32,
    pub(crate) latency: Duration,
}

/// The span of one gateway call (nothing without the `tracing` feature).
pub(crate) struct CallSpan {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
    #[cfg(feature = "metrics")]
    labels: (&'static str, &'static str),
}

impl CallSpan {
    /// Opens the span of a call.
    #[cfg_attr(not(feature = "tracing"), allow(unused))]
    pub(crate) fn start(description: &Description, creates_payment: bool) -> Self {
        Self {
            #[cfg(feature = "tracing")]
            span: tracing::info_span!(
                target: "pasarela_core::call",
                "gateway_call",
                gateway = description.gateway,
                operation = description.operation,
                reference = description.reference(),
                creates_payment,
                delivery = tracing::field::Empty,
                outcome = tracing::field::Empty,
                http_status = tracing::field::Empty,
                gateway_code = tracing::field::Empty,
                attempts = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            ),
            #[cfg(feature = "metrics")]
            labels: (description.gateway, description.operation),
        }
    }

    /// Runs `future` inside the span.
    pub(crate) fn instrument<F: Future>(&self, future: F) -> impl Future<Output = F::Output> {
        #[cfg(feature = "tracing")]
        {
            tracing::Instrument::instrument(future, self.span.clone())
        }
        #[cfg(not(feature = "tracing"))]
        {
            future
        }
    }

    /// A retry is about to wait `delay` before attempt `next`.
    #[cfg_attr(not(feature = "tracing"), allow(unused))]
    pub(crate) fn retrying(&self, next: u32, delay: Duration, reason: &'static str) {
        #[cfg(feature = "tracing")]
        self.span.in_scope(|| {
            tracing::warn!(
                target: "pasarela_core::call",
                attempt = next,
                delay_ms = millis(delay),
                reason,
                "retrying gateway call"
            )
        });
        #[cfg(feature = "metrics")]
        metrics::counter!(
            CALL_RETRIES_TOTAL,
            "gateway" => self.labels.0,
            "operation" => self.labels.1,
            "reason" => reason
        )
        .increment(1);
    }

    /// Records how the call ended, and closes the span with an event.
    #[cfg_attr(not(feature = "tracing"), allow(unused))]
    pub(crate) fn finish(self, done: Finished<'_>) {
        #[cfg(feature = "tracing")]
        {
            let span = &self.span;
            span.record("delivery", done.delivery);
            span.record("outcome", done.outcome);
            if let Some(status) = done.http_status {
                span.record("http_status", status);
            }
            if let Some(code) = done.gateway_code {
                span.record("gateway_code", code);
            }
            span.record("attempts", done.attempts);
            span.record("latency_ms", millis(done.latency));
            span.in_scope(|| {
                let fields = (
                    done.outcome,
                    done.delivery,
                    done.http_status,
                    done.gateway_code,
                    done.attempts,
                    millis(done.latency),
                );
                if matches!(
                    done.outcome,
                    "outcome_unknown" | "not_sent" | "invalid_response" | "sign_failed"
                ) {
                    tracing::warn!(
                        target: "pasarela_core::call",
                        outcome = fields.0, delivery = fields.1, http_status = fields.2,
                        gateway_code = fields.3, attempts = fields.4, latency_ms = fields.5,
                        "gateway call finished"
                    );
                } else {
                    tracing::info!(
                        target: "pasarela_core::call",
                        outcome = fields.0, delivery = fields.1, http_status = fields.2,
                        gateway_code = fields.3, attempts = fields.4, latency_ms = fields.5,
                        "gateway call finished"
                    );
                }
            });
        }
        #[cfg(feature = "metrics")]
        {
            let (gateway, operation) = self.labels;
            metrics::counter!(
                CALLS_TOTAL,
                "gateway" => gateway,
                "operation" => operation,
                "outcome" => done.outcome
            )
            .increment(1);
            metrics::histogram!(
                CALL_DURATION_SECONDS,
                "gateway" => gateway,
                "operation" => operation
            )
            .record(done.latency.as_secs_f64());
        }
    }
}

#[cfg(feature = "tracing")]
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A callback or notification was verified (`reference`: its signed trade
/// or operation number) or refused.
#[cfg_attr(not(feature = "tracing"), allow(unused))]
pub(crate) fn verification(gateway: &'static str, outcome: Result<&str, &VerifyError>) {
    #[cfg(feature = "tracing")]
    match outcome {
        Ok(reference) => tracing::debug!(
            target: "pasarela_core::webhook",
            gateway,
            reference,
            "webhook verified"
        ),
        Err(error) => tracing::warn!(
            target: "pasarela_core::webhook",
            gateway,
            error = error.kind(),
            "webhook refused"
        ),
    }
    #[cfg(feature = "metrics")]
    metrics::counter!(
        WEBHOOKS_TOTAL,
        "gateway" => gateway,
        "outcome" => match outcome {
            Ok(_) => "verified",
            Err(e) => e.kind(),
        }
    )
    .increment(1);
}

/// A payment was confirmed against the record of `reference`, or not
/// (`Err`: the reason's kind).
#[cfg_attr(not(feature = "tracing"), allow(unused))]
pub(crate) fn confirmation(
    gateway: &'static str,
    reference: &str,
    outcome: Result<(), &'static str>,
) {
    #[cfg(feature = "tracing")]
    match outcome {
        Ok(()) => tracing::info!(
            target: "pasarela_core::confirm",
            gateway,
            reference,
            "payment confirmed"
        ),
        Err(reason) => tracing::warn!(
            target: "pasarela_core::confirm",
            gateway,
            reference,
            reason,
            "payment not confirmed"
        ),
    }
    #[cfg(feature = "metrics")]
    metrics::counter!(
        CONFIRMATIONS_TOTAL,
        "gateway" => gateway,
        "outcome" => match outcome {
            Ok(()) => "confirmed",
            Err(reason) => reason,
        }
    )
    .increment(1);
}

/// Registers the help text and unit of every metric above with the
/// recorder in force (call it once, after installing the recorder).
#[cfg(feature = "metrics")]
pub fn describe_metrics() {
    use metrics::Unit;
    metrics::describe_counter!(
        CALLS_TOTAL,
        Unit::Count,
        "Gateway calls by gateway, operation and outcome"
    );
    metrics::describe_histogram!(
        CALL_DURATION_SECONDS,
        Unit::Seconds,
        "Gateway call latency, retries included, by gateway and operation"
    );
    metrics::describe_counter!(
        CALL_RETRIES_TOTAL,
        Unit::Count,
        "Gateway call retries by gateway, operation and reason"
    );
    metrics::describe_counter!(
        WEBHOOKS_TOTAL,
        Unit::Count,
        "Callbacks and notifications by gateway and verification outcome"
    );
    metrics::describe_counter!(
        CONFIRMATIONS_TOTAL,
        Unit::Count,
        "Payment confirmations by gateway and outcome"
    );
}
