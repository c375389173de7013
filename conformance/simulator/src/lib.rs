#![doc = include_str!("../README.md")]
//!
//! ## In this crate
//!
//! The [`Simulator`] is a pure request handler with state behind a mutex:
//! [`Simulator::handle`] takes a [`SimRequest`] and the current time and
//! returns an [`Outcome`]; [`InProcess`] and [`LoopbackServer`] carry
//! outcomes out. The codes are in [`codes`], the triggers in
//! [`TRIGGER_TABLE`], the limits in [`ServerLimits`].
//!
//! For the merchant's side of your tests: [`samples`] builds valid
//! requests for both gateways, and [`merchant`] is a small std-only
//! endpoint that verifies and records the callbacks the simulator delivers.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// Requests flow one way through the modules that answer them, each using
// only those before it: `input`, `page_paths` < the gateways (`smilepayz`,
// `monnet`) < `settle` < `pages` < `dashboard` < `control` (the control API
// and its dispatch); `Simulator::handle` below routes between them.
mod callback_http;
mod clock;
pub mod codes;
mod config;
mod control;
mod credentials;
mod dashboard;
mod delivery;
mod in_process;
mod input;
pub mod merchant;
mod monnet;
mod page_paths;
mod page_token;
mod pages;
mod rules;
mod same_origin;
pub mod samples;
mod self_call;
mod server;
mod server_io;
mod settle;
mod slots;
mod smilepayz;
mod state;
mod triggers;
mod wire;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use pasarela_core::crypto::{PrivateKey, PublicKey, Signer, Verifier};
use pasarela_core::smilepayz::format_timestamp;
use pasarela_core::{KeyError, RawResponse};
use time::OffsetDateTime;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    DEFAULT_MAX_DELIVERIES, DEFAULT_MAX_ORDERS, DEFAULT_MONNET_PUSH_ID, RetryPolicy, ServerLimits,
    SimulatorConfig, TEST_MERCHANT_PRIVATE_KEY, TEST_PLATFORM_PRIVATE_KEY,
    TEST_PLATFORM_PUBLIC_KEY,
};
pub use credentials::{Credentials, MonnetCredentials, SmilePayzCredentials};
pub use delivery::{DeliveryJob, DeliveryReport, Gateway, deliver_async, deliver_blocking};
pub use in_process::{CallbackTransport, IN_PROCESS_ORIGIN, InProcess};
pub use server::LoopbackServer;
pub use state::{AttemptRecord, DeliveryRecord, MonnetOperation, OrderMoney, SmilePayzOrder};
pub use triggers::{TRIGGER_TABLE, Trigger, monnet_trigger, smilepayz_trigger};
pub use wire::{Outcome, SimRequest, SimResponse, SimResponseExt};

use config::MerchantKey;
use state::State;

/// The simulator: configuration, keys and state. Cheap to clone; clones
/// share state.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: SimulatorConfig,
    pub(crate) merchant_verifier: Arc<dyn Verifier + Send + Sync>,
    pub(crate) platform_signer: Arc<dyn Signer + Send + Sync>,
    /// Where this simulator's loopback servers listen (no self-calls).
    pub(crate) listening: self_call::Listening,
    /// The key of the pages' form tokens.
    pub(crate) tokens: page_token::TokenKey,
    state: Mutex<State>,
}

impl Inner {
    /// The state. A panic elsewhere while holding the lock cannot make the
    /// orders unreadable: poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn credentials(&self, origin: &str, authority: &str) -> Credentials {
        let origin = origin.trim_end_matches('/');
        let config = &self.config;
        Credentials {
            addr: authority.to_owned(),
            dashboard_url: format!("{origin}{}", control::PREFIX),
            smilepayz: SmilePayzCredentials {
                base_url: origin.to_owned(),
                merchant_id: config.smilepayz_merchant_id.clone(),
                merchant_secret: config.smilepayz_merchant_secret.clone(),
                merchant_private_key: match config.merchant_key {
                    MerchantKey::TestPair => Some(pem_only(TEST_MERCHANT_PRIVATE_KEY)),
                    MerchantKey::UserPublic(_) => None,
                },
                platform_public_key: pem_only(TEST_PLATFORM_PUBLIC_KEY),
            },
            monnet: MonnetCredentials {
                proxy_url: format!("{origin}/v1/push/{}", config.monnet_push_id),
                status_url: format!(
                    "{origin}/ms-experience-payin/merchant/{}/operations",
                    config.monnet_merchant_id
                ),
                merchant_id: config.monnet_merchant_id.clone(),
                key_monnet: config.monnet_key.clone(),
            },
        }
    }
}

/// `host:port` of a URL, for logs: the path and query may carry the
/// merchant's own references, the host does not.
pub(crate) fn url_host(url: &str) -> String {
    url::Url::parse(url).map_or_else(
        |_| "(not a URL)".to_owned(),
        |u| match (u.host_str(), u.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => "(no host)".to_owned(),
        },
    )
}

/// The PEM block of a key file, without the comment lines before it, so
/// that strict PEM readers in any language take it.
fn pem_only(text: &str) -> String {
    let start = text.find("-----BEGIN").unwrap_or(0);
    text.get(start..).unwrap_or(text).to_owned()
}

impl Simulator {
    /// A simulator with this configuration. Fails only if a key does not load.
    pub fn new(config: SimulatorConfig) -> Result<Self, KeyError> {
        let merchant_public = match &config.merchant_key {
            MerchantKey::TestPair => PrivateKey::load(TEST_MERCHANT_PRIVATE_KEY)?.public_key(),
            MerchantKey::UserPublic(key) => key.clone(),
        };
        let platform = PrivateKey::load(TEST_PLATFORM_PRIVATE_KEY)?;
        Ok(Self {
            inner: Arc::new(Inner {
                merchant_verifier: config.backend.verifier(&merchant_public)?,
                platform_signer: config.backend.signer(&platform)?,
                listening: self_call::Listening::default(),
                tokens: page_token::TokenKey::random(),
                state: Mutex::new(State::new(config.max_orders, config.max_deliveries)),
                config,
            }),
        })
    }

    /// A simulator with [`SimulatorConfig::default`] (the TEST ONLY keys).
    pub fn with_test_keys() -> Result<Self, KeyError> {
        Self::new(SimulatorConfig::default())
    }

    /// The configuration.
    pub fn config(&self) -> &SimulatorConfig {
        &self.inner.config
    }

    /// The simulator's clock reading.
    pub fn now(&self) -> OffsetDateTime {
        self.inner.config.clock.now()
    }

    /// The platform public key merchants verify SmilePayz callbacks with.
    pub fn platform_public_key(&self) -> Result<PublicKey, KeyError> {
        PublicKey::load(TEST_PLATFORM_PUBLIC_KEY)
    }

    /// Handles one request at `now`. Never panics, whatever the input.
    pub fn handle(&self, request: &SimRequest, now: OffsetDateTime) -> Outcome {
        let inner = &*self.inner;
        let path = request.path_only();
        if path.starts_with(control::PREFIX) || path == "/_simulator" {
            control::handle(inner, request, now)
        } else if smilepayz::PATHS.contains(&path) {
            let outcome = smilepayz::handle(inner, request, now);
            if path == pasarela_core::smilepayz::PAY_IN_PATH {
                pages::remember_smilepayz(inner, request, &outcome);
            }
            outcome
        } else if let Some(outcome) = monnet::handle(inner, request, now) {
            pages::remember_monnet(inner, request, &outcome);
            outcome
        } else if let Some(outcome) = pages::handle(inner, request, now) {
            outcome
        } else {
            Outcome::Reply(smilepayz::reject(
                404,
                codes::smilepayz::NO_SUCH_ENDPOINT,
                format!("no such endpoint: {} {path}", request.method),
                now,
            ))
        }
    }

    /// Why the loopback server must not attempt `job` at all, when it must
    /// not: its host is neither loopback nor allowed
    /// ([`SimulatorConfig::check_callback_url`]), or it points at the
    /// simulator itself. The server asks before any attempt, so a refused
    /// URL sees no connection.
    pub fn refusal(&self, job: &DeliveryJob) -> Option<String> {
        self.inner
            .config
            .check_callback_url(&job.url)
            .err()
            .or_else(|| {
                self.inner
                    .listening
                    .points_here(&job.url)
                    .map(|why| format!("refused, not attempted: {why}"))
            })
    }

    /// Records how a delivery asked for by [`Outcome::Deliver`] went and
    /// returns the control call's answer, `{"delivered", "attempts"}`.
    pub fn finish_delivery(&self, job: &DeliveryJob, report: &DeliveryReport) -> SimResponse {
        self.finish_delivery_logged(job, report, Vec::new(), None)
    }

    /// As [`finish_delivery`](Self::finish_delivery), with the attempts
    /// made; `refused` (the host check's reason) is added to the answer as
    /// `"refused"`.
    pub(crate) fn finish_delivery_logged(
        &self,
        job: &DeliveryJob,
        report: &DeliveryReport,
        attempt_log: Vec<AttemptRecord>,
        refused: Option<String>,
    ) -> SimResponse {
        let last_status = attempt_log.last().and_then(|a| a.http_status);
        self.inner.lock().record_delivery(
            job.gateway,
            &job.merchant_id,
            &job.reference,
            DeliveryRecord {
                status: job.status.clone(),
                url: job.url.clone(),
                report: report.clone(),
                attempt_log,
            },
        );
        tracing::info!(
            gateway = ?job.gateway,
            reference = %job.reference,
            status = %job.status,
            to = %url_host(&job.url),
            delivered = report.delivered,
            attempts = report.attempts,
            http_status = last_status,
            refused = refused.is_some(),
            "pasarela-simulator: delivery finished"
        );
        let mut answer =
            serde_json::json!({"delivered": report.delivered, "attempts": report.attempts});
        if let Some(reason) = refused {
            answer["refused"] = serde_json::json!(reason);
        }
        SimResponse::json(200, &answer)
    }

    /// The credentials for a client reaching the simulator at `origin`
    /// (`http://127.0.0.1:40123`).
    pub fn credentials(&self, origin: &str) -> Credentials {
        let authority = origin
            .split_once("://")
            .map_or(origin, |(_, rest)| rest)
            .trim_end_matches('/');
        self.inner.credentials(origin, authority)
    }

    /// Every kept SmilePayz order, oldest first (at most
    /// [`SimulatorConfig::with_max_orders`] of them).
    pub fn smilepayz_orders(&self) -> Vec<SmilePayzOrder> {
        let now = self.now();
        self.inner.lock().smilepayz_orders(now).to_vec()
    }

    /// Every kept Monnet operation, oldest first.
    pub fn monnet_operations(&self) -> Vec<MonnetOperation> {
        let now = self.now();
        self.inner.lock().monnet_operations(now).to_vec()
    }
}

/// The attempts of one delivery, as they happen: runners wrap each attempt
/// in [`AttemptLog::begin`] and [`AttemptLog::end`].
pub(crate) struct AttemptLog {
    records: Mutex<Vec<AttemptRecord>>,
}

/// An attempt under way.
pub(crate) struct Started {
    at: String,
    url: String,
    since: Instant,
}

impl AttemptLog {
    pub(crate) fn new() -> Self {
        Self {
            records: Mutex::new(Vec::new()),
        }
    }

    /// An attempt to `url` starts now.
    pub(crate) fn begin(&self, simulator: &Simulator, url: &str) -> Started {
        Started {
            at: format_timestamp(simulator.now()),
            url: url.to_owned(),
            since: Instant::now(),
        }
    }

    /// The attempt ended with `result`.
    pub(crate) fn end(
        &self,
        started: Started,
        job: &DeliveryJob,
        result: &Result<RawResponse, String>,
    ) {
        let latency_ms = u64::try_from(started.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        let record = match result {
            Ok(response) => AttemptRecord {
                at: started.at,
                url: started.url,
                http_status: Some(response.status),
                acknowledged: job.is_acknowledged(response),
                latency_ms,
                error: None,
            },
            Err(e) => AttemptRecord {
                at: started.at,
                url: started.url,
                http_status: None,
                acknowledged: false,
                latency_ms,
                error: Some(e.clone()),
            },
        };
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(record);
    }

    /// Every attempt so far.
    pub(crate) fn take(&self) -> Vec<AttemptRecord> {
        std::mem::take(&mut *self.records.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}
