//! # pasarela-simulator
//!
//! An offline stand-in for the SmilePayz and Monnet gateways, for pasarela's
//! tests and for yours.
//!
//! The [`Simulator`] is a pure request handler with state behind a mutex:
//! [`Simulator::handle`] takes a [`SimRequest`] and the current time and
//! returns an [`Outcome`]. Two runners carry outcomes out:
//!
//! - [`InProcess`]: a transport (both [`BlockingTransport`] and
//!   [`AsyncTransport`]), no sockets; callbacks go through a transport you
//!   give it.
//! - [`LoopbackServer`]: an HTTP/1.1 server on `127.0.0.1:0` (or an address
//!   you pick), usable from any language; callbacks go out over plain HTTP.
//!
//! ```no_run
//! use pasarela_simulator::{LoopbackServer, Simulator, SimulatorConfig};
//!
//! let server = LoopbackServer::start(Simulator::new(SimulatorConfig::default())?, "127.0.0.1:0".parse()?)?;
//! let credentials = server.credentials();
//! println!("{}", credentials.to_json_line());
//! server.shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What it serves, what it rejects with which code, the control API and the
//! error triggers are in the crate README; the codes are in [`codes`], the
//! triggers in [`TRIGGER_TABLE`].
//!
//! [`BlockingTransport`]: pasarela_core::transport::BlockingTransport
//! [`AsyncTransport`]: pasarela_core::transport::AsyncTransport
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod callback_http;
mod clock;
pub mod codes;
mod config;
mod control;
mod credentials;
mod delivery;
mod in_process;
mod monnet;
mod pages;
mod rules;
mod server;
mod smilepayz;
mod state;
mod triggers;
mod wire;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pasarela_core::KeyError;
use pasarela_core::crypto::{PrivateKey, PublicKey, Signer, Verifier};
use time::OffsetDateTime;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    DEFAULT_MONNET_PUSH_ID, RetryPolicy, SimulatorConfig, TEST_MERCHANT_PRIVATE_KEY,
    TEST_PLATFORM_PRIVATE_KEY, TEST_PLATFORM_PUBLIC_KEY,
};
pub use credentials::{Credentials, MonnetCredentials, SmilePayzCredentials};
pub use delivery::{DeliveryJob, DeliveryReport, Gateway, deliver_async, deliver_blocking};
pub use in_process::{CallbackTransport, IN_PROCESS_ORIGIN, InProcess};
pub use server::LoopbackServer;
pub use state::{DeliveryRecord, MonnetOperation, OrderMoney, SmilePayzOrder};
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
                config,
                state: Mutex::new(State::default()),
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
        if path.starts_with(control::PREFIX) {
            control::handle(inner, request, now)
        } else if smilepayz::PATHS.contains(&path) {
            smilepayz::handle(inner, request, now)
        } else if let Some(outcome) = monnet::handle(inner, request, now) {
            outcome
        } else if let Some(page) = pages::page(request) {
            if let Some(payin_id) = request.path_only().strip_prefix(pages::MONNET_PAGE) {
                monnet::shopper_arrived(inner, payin_id);
            }
            Outcome::Reply(page)
        } else {
            Outcome::Reply(smilepayz::reject(
                404,
                codes::smilepayz::NO_SUCH_ENDPOINT,
                format!("no such endpoint: {} {path}", request.method),
                now,
            ))
        }
    }

    /// Records how a delivery asked for by [`Outcome::Deliver`] went and
    /// returns the control call's answer, `{"delivered", "attempts"}`.
    pub fn finish_delivery(&self, job: &DeliveryJob, report: &DeliveryReport) -> SimResponse {
        self.inner.lock().record_delivery(
            job.gateway,
            &job.merchant_id,
            &job.reference,
            DeliveryRecord {
                status: job.status.clone(),
                url: job.url.clone(),
                report: report.clone(),
            },
        );
        SimResponse::json(
            200,
            &serde_json::json!({"delivered": report.delivered, "attempts": report.attempts}),
        )
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

    /// Every accepted SmilePayz order, oldest first.
    pub fn smilepayz_orders(&self) -> Vec<SmilePayzOrder> {
        let now = self.now();
        self.inner.lock().smilepayz_orders(now).to_vec()
    }

    /// Every accepted Monnet operation, oldest first.
    pub fn monnet_operations(&self) -> Vec<MonnetOperation> {
        let now = self.now();
        self.inner.lock().monnet_operations(now).to_vec()
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}
