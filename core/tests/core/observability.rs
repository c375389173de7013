//! The span of each gateway call, the retry, verification and confirmation
//! events, and the metrics, as a subscriber and a recorder see them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use pasarela_core::Money;
use pasarela_core::client::{
    ExpectedPayIn, MonnetClient, MonnetSettings, SmilepayzClient, SmilepayzSettings,
};
use pasarela_core::crypto::{Backend, PrivateKey};
use pasarela_core::monnet;
use pasarela_core::retry::RetryPolicy;
use pasarela_core::smilepayz::{self, DEFAULT_CALLBACK_TOLERANCE};
use pasarela_core::transport::{Delivery, TransportError, TransportErrorKind};
use pasarela_core::{PreparedRequest, RawResponse};
use time::macros::datetime;

use crate::samples;
use crate::support::smilepayz_settings;

const CREATED: &str = r#"{"code":"00","message":"ok","orderNo":"ORDER123","merchant":{"merchantId":"20011"},"money":{"amount":20000,"currency":"PEN"},"transactionTime":"2020-12-17T10:55:00-05:00","channel":{"paymentMethod":"CASHIER_PE","paymentUrl":"https://pay.example/x"},"tradeNo":"T1","status":"PROCESSING"}"#;
const DECLINED: &str = r#"{"code":"00","message":"ok","orderNo":"ORDER123","merchant":{"merchantId":"20011"},"money":{"amount":20000,"currency":"PEN"},"transactionTime":"2020-12-17T10:55:00-05:00","channel":{"paymentMethod":"CASHIER_PE","paymentUrl":"https://pay.example/x"},"tradeNo":"T1","status":"FAILED"}"#;
const PAID: &str = r#"{"code":"00","message":"ok","tradeNo":"T1","status":"SUCCESS","money":{"amount":20000,"currency":"PEN"}}"#;

fn settings() -> SmilepayzSettings {
    smilepayz_settings("20011")
        .with_code_meaning("12", pasarela_core::outcome::SmilepayzCodeMeaning::Refused)
}

fn answering(
    answers: Vec<Result<RawResponse, TransportError>>,
) -> impl Fn(PreparedRequest) -> Result<RawResponse, TransportError> {
    let answers = Mutex::new(answers.into_iter());
    move |_| answers.lock().unwrap().next().unwrap()
}

mod spans {
    use super::*;
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing_subscriber::layer::{Context, SubscriberExt};

    /// A span's or an event's name, target and fields.
    #[derive(Debug, Clone)]
    pub struct Seen {
        pub name: String,
        pub target: String,
        pub fields: BTreeMap<String, String>,
    }

    impl Seen {
        fn of(metadata: &tracing::Metadata<'_>) -> Self {
            Seen {
                name: metadata.name().to_owned(),
                target: metadata.target().to_owned(),
                fields: BTreeMap::new(),
            }
        }
    }

    impl Visit for Seen {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.fields
                .insert(field.name().to_owned(), format!("{value:?}"));
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.fields
                .insert(field.name().to_owned(), value.to_owned());
        }
    }

    /// Keeps every span (with its recorded fields), in the order they
    /// opened, and every event. (A closed span's id may be given to a new
    /// one: `live` maps ids to the span that has it now.)
    #[derive(Clone, Default)]
    pub struct Capture {
        pub spans: Arc<Mutex<Vec<Seen>>>,
        live: Arc<Mutex<BTreeMap<u64, usize>>>,
        pub events: Arc<Mutex<Vec<Seen>>>,
    }

    thread_local! {
        static CURRENT: std::cell::RefCell<Option<Capture>> = const { std::cell::RefCell::new(None) };
    }

    /// The process's subscriber (installed once): hands what it sees to the
    /// capture of the thread it happens on, if any. A global subscriber, not
    /// a scoped one, so that no callsite caches "never" because another
    /// test thread reached it first.
    struct Route;

    fn with_current(f: impl FnOnce(&Capture)) {
        CURRENT.with(|c| {
            if let Some(capture) = c.borrow().as_ref() {
                f(capture)
            }
        })
    }

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Route {
        fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
            with_current(|capture| {
                let mut seen = Seen::of(attrs.metadata());
                attrs.record(&mut seen);
                let mut spans = capture.spans.lock().unwrap();
                capture
                    .live
                    .lock()
                    .unwrap()
                    .insert(id.into_u64(), spans.len());
                spans.push(seen);
            })
        }
        fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
            with_current(|capture| {
                let index = capture.live.lock().unwrap().get(&id.into_u64()).copied();
                if let Some(i) = index {
                    values.record(&mut capture.spans.lock().unwrap()[i]);
                }
            })
        }
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            with_current(|capture| {
                let mut seen = Seen::of(event.metadata());
                event.record(&mut seen);
                capture.events.lock().unwrap().push(seen);
            })
        }
    }

    impl Capture {
        /// Runs `f` capturing what this thread reports.
        pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
            static INSTALL: std::sync::Once = std::sync::Once::new();
            INSTALL.call_once(|| {
                tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Route))
                    .expect("no other global subscriber in this test binary")
            });
            CURRENT.with(|c| *c.borrow_mut() = Some(self.clone()));
            let out = f();
            CURRENT.with(|c| *c.borrow_mut() = None);
            out
        }

        pub fn calls(&self) -> Vec<BTreeMap<String, String>> {
            self.spans
                .lock()
                .unwrap()
                .iter()
                .filter(|s| s.name == "gateway_call")
                .map(|s| s.fields.clone())
                .collect()
        }
        pub fn events(&self, target: &str) -> Vec<BTreeMap<String, String>> {
            self.events
                .lock()
                .unwrap()
                .iter()
                .filter(|e| e.target == target)
                .map(|e| e.fields.clone())
                .collect()
        }
    }

    fn field<'a>(fields: &'a BTreeMap<String, String>, name: &str) -> &'a str {
        fields.get(name).map_or("<absent>", String::as_str)
    }

    #[test]
    fn each_call_is_one_span_with_what_happened() {
        let capture = Capture::default();
        capture.run(|| {
            let client = SmilepayzClient::new(
                settings(),
                answering(vec![
                    Ok(RawResponse::new(200, CREATED)),
                    Ok(RawResponse::new(200, DECLINED)),
                    Ok(RawResponse::new(
                        200,
                        r#"{"code":"12","message":"rosa@example.com is bad"}"#,
                    )),
                    Err(TransportError::new(
                        TransportErrorKind::Timeout,
                        Delivery::MaybeSent,
                        "slow",
                    )),
                    Ok(RawResponse::new(200, PAID)),
                ]),
            );
            let request = samples::smilepayz_pay_in("20011", "ORDER123", 20000).unwrap();
            client.pay_in(&request).unwrap();
            client.pay_in(&request).unwrap();
            client.pay_in(&request).unwrap_err();
            client.pay_in(&request).unwrap_err();
            client
                .confirm_pay_in_status(&ExpectedPayIn::new("ORDER123", Money::pen(20000)))
                .unwrap();
        });
        let calls = capture.calls();
        assert_eq!(calls.len(), 5, "{calls:#?}");
        let created = &calls[0];
        for (name, value) in [
            ("gateway", "smilepayz"),
            ("operation", "pay_in"),
            ("reference", "ORDER123"),
            ("creates_payment", "true"),
            ("delivery", "answered"),
            ("outcome", "created"),
            ("http_status", "200"),
            ("attempts", "1"),
        ] {
            assert_eq!(field(created, name), value, "{name} in {created:#?}");
        }
        assert!(created.contains_key("latency_ms"));
        assert_eq!(field(&calls[1], "outcome"), "declined");
        assert_eq!(field(&calls[2], "outcome"), "rejected");
        assert_eq!(field(&calls[2], "gateway_code"), "12");
        assert_eq!(field(&calls[3], "outcome"), "outcome_unknown");
        assert_eq!(field(&calls[3], "delivery"), "maybe_sent");
        assert!(!calls[3].contains_key("http_status"));
        assert_eq!(field(&calls[4], "operation"), "confirm_pay_in_status");
        assert_eq!(field(&calls[4], "outcome"), "confirmed");
        assert_eq!(field(&calls[4], "creates_payment"), "false");
        // One closing event per call, and the gateway's message (which may
        // echo what it was sent) is in none of them.
        let finished = capture.events("pasarela_core::call");
        assert_eq!(finished.len(), 5);
        assert!(
            !format!("{:?}{:?}", capture.calls(), finished).contains("rosa@example.com"),
            "a gateway message reached a span"
        );
        let confirmed = capture.events("pasarela_core::confirm");
        assert_eq!(confirmed.len(), 1);
        assert_eq!(field(&confirmed[0], "reference"), "ORDER123");
    }

    #[test]
    fn retries_reconciliations_and_verification_are_reported() {
        let capture = Capture::default();
        capture.run(|| {
            let config = monnet::Config::new(
                "4001",
                "TEST-ONLY-key",
                monnet::Environment::Certification,
            )
            .unwrap();
            let client = MonnetClient::new(
                MonnetSettings::new(config).with_clock(|| datetime!(2025-07-15 12:00:00 UTC)),
                answering(vec![
                    Ok(RawResponse::new(503, "<html>busy</html>")),
                    Ok(RawResponse::new(200, r#"{"payinMerchantID":"4001","operations":[]}"#)),
                ]),
            )
            .with_retry(
                RetryPolicy::recommended().with_initial_delay(std::time::Duration::ZERO),
            );
            client.reconcile_operation("OP1").unwrap();
            let key = pasarela_core::MonnetKey::new("TEST-ONLY-key");
            let forged = br#"{"payinStateID":5,"payinMerchantID":"4001","payinAmount":"1.00","payinCurrency":"PEN","payinMerchantOperationNumber":"OP1","payinVerification":"00"}"#;
            monnet::verify_notification(forged, &key, "4001").unwrap_err();
            let platform = Backend::Rsa
                .verifier(
                    &PrivateKey::load(include_str!(
                        "../../testdata/keys/platform_private_pkcs8.pem"
                    ))
                    .unwrap()
                    .public_key(),
                )
                .unwrap();
            smilepayz::verify_callback(
                Some("2020-12-17T10:55:00-05:00"),
                Some("AAAA"),
                br#"{"tradeNo":"T1"}"#,
                &*platform,
                datetime!(2020-12-17 15:55:00 UTC),
                DEFAULT_CALLBACK_TOLERANCE,
            )
            .unwrap_err();
        });
        let calls = capture.calls();
        let reconcile = &calls[0];
        assert_eq!(field(reconcile, "operation"), "reconcile_operation");
        assert_eq!(field(reconcile, "outcome"), "not_found");
        assert_eq!(field(reconcile, "attempts"), "2");
        assert_eq!(field(reconcile, "reference"), "OP1");
        let retry = capture
            .events("pasarela_core::call")
            .into_iter()
            .find(|e| field(e, "message") == "retrying gateway call")
            .expect("a retry event");
        assert_eq!(field(&retry, "reason"), "http_5xx");
        assert_eq!(field(&retry, "attempt"), "2");
        let refused = capture.events("pasarela_core::webhook");
        assert_eq!(refused.len(), 2, "{refused:#?}");
        assert_eq!(field(&refused[0], "gateway"), "monnet");
        assert_eq!(field(&refused[0], "error"), "hash_mismatch");
        assert_eq!(field(&refused[1], "gateway"), "smilepayz");
        assert_eq!(field(&refused[1], "error"), "signature_mismatch");
    }
}

mod counted {
    use super::*;
    use metrics::{
        Counter, CounterFn, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
        SharedString, Unit,
    };

    /// Keeps every counter increment and histogram sample by name and labels.
    #[derive(Clone, Default)]
    struct Recorded(Arc<Mutex<BTreeMap<String, f64>>>);

    struct Handle(Recorded, String);

    impl CounterFn for Handle {
        fn increment(&self, value: u64) {
            *self.0.0.lock().unwrap().entry(self.1.clone()).or_default() += value as f64;
        }
        fn absolute(&self, value: u64) {
            self.0
                .0
                .lock()
                .unwrap()
                .insert(self.1.clone(), value as f64);
        }
    }

    impl HistogramFn for Handle {
        fn record(&self, _value: f64) {
            *self.0.0.lock().unwrap().entry(self.1.clone()).or_default() += 1.0;
        }
    }

    fn name(key: &Key) -> String {
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        format!("{}{{{}}}", key.name(), labels.join(","))
    }

    impl Recorder for Recorded {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            Counter::from_arc(Arc::new(Handle(self.clone(), name(key))))
        }
        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }
        fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::from_arc(Arc::new(Handle(self.clone(), name(key))))
        }
    }

    #[test]
    fn calls_outcomes_and_latency_are_counted_by_gateway_and_operation() {
        let recorded = Recorded::default();
        metrics::with_local_recorder(&recorded, || {
            pasarela_core::observe::describe_metrics();
            let client = SmilepayzClient::new(
                settings(),
                answering(vec![
                    Ok(RawResponse::new(200, CREATED)),
                    Ok(RawResponse::new(200, DECLINED)),
                ]),
            );
            let request = samples::smilepayz_pay_in("20011", "ORDER123", 20000).unwrap();
            client.pay_in(&request).unwrap();
            client.pay_in(&request).unwrap();
        });
        let seen = recorded.0.lock().unwrap().clone();
        let get = |k: &str| seen.get(k).copied();
        assert_eq!(
            get("pasarela_calls_total{gateway=smilepayz,operation=pay_in,outcome=created}"),
            Some(1.0),
            "{seen:#?}"
        );
        assert_eq!(
            get("pasarela_calls_total{gateway=smilepayz,operation=pay_in,outcome=declined}"),
            Some(1.0)
        );
        assert_eq!(
            get("pasarela_call_duration_seconds{gateway=smilepayz,operation=pay_in}"),
            Some(2.0)
        );
        assert!(
            seen.keys().all(|k| !k.contains("ORDER123")),
            "an order number became a label: {seen:#?}"
        );
    }

    /// A status answer with the code configured as "not found" is a verdict
    /// (unknown order) and is counted like the others.
    #[test]
    fn an_unknown_order_is_a_counted_confirmation() {
        let recorded = Recorded::default();
        metrics::with_local_recorder(&recorded, || {
            let client = SmilepayzClient::new(
                settings().with_code_meaning(
                    "13",
                    pasarela_core::outcome::SmilepayzCodeMeaning::NotFound,
                ),
                answering(vec![Ok(RawResponse::new(
                    200,
                    r#"{"code":"13","message":"order not found"}"#,
                ))]),
            );
            let err = client
                .confirm_pay_in_status(&ExpectedPayIn::new("ORDER404", Money::pen(20000)))
                .unwrap_err();
            assert!(err.to_string().contains("order"), "{err}");
        });
        let seen = recorded.0.lock().unwrap().clone();
        assert_eq!(
            seen.get("pasarela_confirmations_total{gateway=smilepayz,outcome=unknown_order}")
                .copied(),
            Some(1.0),
            "{seen:#?}"
        );
    }
}
