//! Two-step and async signing: a KMS-style signer that answers later fits
//! every path, gives the same bytes as the one-step software signer, and
//! never blocks an executor.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use pasarela_core::Money;
use pasarela_core::client::{
    AsyncSmilepayzClient, ClientError, SmilepayzClient, SmilepayzSettings,
};
use pasarela_core::crypto::{AsyncSigner, Backend, PrivateKey, SignatureAlgorithm, Signer};
use pasarela_core::operation;
use pasarela_core::smilepayz::{self, Config, Environment, Merchant, PayInRequest};
use pasarela_core::transport::TransportError;
use pasarela_core::{MerchantSecret, PreparedRequest, RawResponse, SignError};
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2020-12-17 15:55:00 UTC);
const CREATED: &str = r#"{"code":"00","message":"ok","orderNo":"ORDER123","merchant":{"merchantId":"20001"},"money":{"amount":20000,"currency":"PEN"},"transactionTime":"2020-12-17T10:55:00-05:00","channel":{"paymentMethod":"CASHIER_PE","paymentUrl":"https://pay.example/x"},"tradeNo":"T1","status":"PROCESSING"}"#;

fn key() -> PrivateKey {
    PrivateKey::load(include_str!(
        "../../testdata/keys/merchant_private_pkcs8.pem"
    ))
    .unwrap()
}

fn keyless() -> Config {
    Config::without_signer(
        "20001",
        MerchantSecret::new("TEST-ONLY-secret"),
        Environment::Sandbox,
    )
    .unwrap()
}

fn request() -> PayInRequest {
    PayInRequest::builder(
        Merchant::new("20001"),
        "ORDER123",
        Money::pen(20000),
        "p",
        smilepayz::Payer::new("Rosa Quispe"),
    )
    .build()
    .unwrap()
}

/// Pending once (as a network round trip would be), then ready.
struct Later(bool);

impl Future for Later {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// A stand-in for a cloud KMS: answers after a pending poll, with the
/// TEST ONLY key; counts its calls.
struct Kms {
    key: Arc<dyn Signer + Send + Sync>,
    calls: Mutex<u32>,
    down: bool,
    /// What the KMS key is configured for.
    algorithm: SignatureAlgorithm,
}

impl Kms {
    fn new(down: bool) -> Self {
        Self {
            key: Backend::Rsa.signer(&key()).unwrap(),
            calls: Mutex::new(0),
            down,
            algorithm: SignatureAlgorithm::RsaPkcs1v15Sha256,
        }
    }

    /// A KMS key configured for RSA-PSS: it signs, but not as SmilePayz
    /// checks.
    fn pss() -> Self {
        Self {
            algorithm: SignatureAlgorithm::RsaPssSha256,
            ..Self::new(false)
        }
    }

    fn calls(&self) -> u32 {
        *self.calls.lock().unwrap()
    }
}

impl AsyncSigner for Kms {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    async fn sign_async(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        *self.calls.lock().unwrap() += 1;
        Later(false).await;
        if self.down {
            return Err(SignError::new("KMS unreachable", None));
        }
        self.key.sign(message)
    }
}

/// The one-step software signature, for comparison.
fn expected_signature() -> String {
    let config = Config::new(
        "20001",
        MerchantSecret::new("TEST-ONLY-secret"),
        Backend::Rsa.signer(&key()).unwrap(),
        Environment::Sandbox,
    )
    .unwrap();
    smilepayz::prepare_pay_in(&config, &request(), NOW)
        .unwrap()
        .header("X-SIGNATURE")
        .unwrap()
        .to_owned()
}

type Seen = Arc<Mutex<Vec<String>>>;

fn recording() -> (
    Seen,
    impl Fn(PreparedRequest) -> Result<RawResponse, TransportError> + Clone,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let transport = move |req: PreparedRequest| {
        log.lock()
            .unwrap()
            .push(req.header("X-SIGNATURE").unwrap_or("").to_owned());
        Ok::<_, TransportError>(RawResponse::new(200, CREATED))
    };
    (seen, transport)
}

#[tokio::test]
async fn two_step_by_hand_with_an_async_signer() {
    let kms = Kms::new(false);
    let unsigned = operation::smilepayz::pay_in(&keyless(), &request(), NOW).unwrap();
    // The string to sign is the documented one: timestamp|secret|body.
    assert!(
        unsigned
            .string_to_sign()
            .starts_with(b"2020-12-17T10:55:00-05:00|TEST-ONLY-secret|{")
    );
    let signed = unsigned.sign_async(&kms).await.unwrap();
    assert_eq!(
        signed.request().header("X-SIGNATURE"),
        Some(expected_signature().as_str())
    );
    let (seen, transport) = recording();
    let async_transport = move |req: PreparedRequest| {
        let out = transport(req);
        async move { out }
    };
    let created = signed.send(&async_transport).await.unwrap();
    assert_eq!(created.response().trade_no.as_deref(), Some("T1"));
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn async_client_awaits_the_kms() {
    let (seen, transport) = recording();
    let async_transport = move |req: PreparedRequest| {
        let out = transport(req);
        async move { out }
    };
    let settings = SmilepayzSettings::new(keyless())
        .with_clock(|| NOW)
        .with_async_signer(Kms::new(false));
    let client = AsyncSmilepayzClient::new(settings, async_transport);
    let created = tokio::spawn(async move { client.pay_in(&request()).await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.response().order_no, "ORDER123");
    assert_eq!(*seen.lock().unwrap(), [expected_signature()]);
}

#[test]
fn blocking_client_waits_for_the_kms_on_its_thread() {
    let (seen, transport) = recording();
    let settings = SmilepayzSettings::new(keyless())
        .with_clock(|| NOW)
        .with_async_signer(Kms::new(false));
    let client = SmilepayzClient::new(settings, transport);
    client.pay_in(&request()).unwrap();
    assert_eq!(*seen.lock().unwrap(), [expected_signature()]);
}

#[tokio::test]
async fn a_failing_kms_sends_nothing() {
    let (seen, transport) = recording();
    let async_transport = move |req: PreparedRequest| {
        let out = transport(req);
        async move { out }
    };
    let settings = SmilepayzSettings::new(keyless()).with_async_signer(Kms::new(true));
    let client = AsyncSmilepayzClient::new(settings, async_transport);
    let err = client.pay_in(&request()).await.unwrap_err();
    assert!(matches!(err, ClientError::Sign(_)), "{err:?}");
    assert!(!err.is_outcome_unknown());
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn no_signer_at_all_is_a_sign_error_before_sending() {
    let (seen, transport) = recording();
    let client = SmilepayzClient::new(keyless(), transport);
    let err = client.pay_in(&request()).unwrap_err();
    assert!(matches!(err, ClientError::Sign(_)));
    assert!(err.to_string().contains("unsigned"), "{err}");
    assert!(seen.lock().unwrap().is_empty());
}

const WRONG_ALGORITHM: &str =
    "signer produces RSASSA-PSS/SHA-256, the protocol requires RSASSA-PKCS1-v1_5/SHA-256";

/// A synchronous signer naming RSA-PSS (it would sign with the right key,
/// so only the algorithm check can stop it); counts its calls.
#[derive(Default)]
struct PssSigner {
    calls: Mutex<u32>,
}

impl Signer for PssSigner {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaPssSha256
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        *self.calls.lock().unwrap() += 1;
        Backend::Rsa.signer(&key()).unwrap().sign(message)
    }
}

fn pss_config(signer: Arc<PssSigner>) -> Config {
    Config::new(
        "20001",
        MerchantSecret::new("TEST-ONLY-secret"),
        signer,
        Environment::Sandbox,
    )
    .unwrap()
}

#[test]
fn a_pss_signer_is_refused_on_every_synchronous_path() {
    let signer = Arc::new(PssSigner::default());
    // One step: prepare_pay_in with a Config holding the signer.
    let err = smilepayz::prepare_pay_in(&pss_config(signer.clone()), &request(), NOW).unwrap_err();
    assert!(err.to_string().contains(WRONG_ALGORITHM), "{err:?}");
    // Two steps: the unsigned request, signed by hand.
    let unsigned = smilepayz::prepare_pay_in_unsigned(&keyless(), &request(), NOW).unwrap();
    let err = unsigned.sign(&*signer).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("signing failed: {WRONG_ALGORITHM}")
    );
    // The operation's own step.
    let op = operation::smilepayz::pay_in(&keyless(), &request(), NOW).unwrap();
    assert!(op.sign(&*signer).is_err());
    // The clients, blocking and async: a sign error, nothing sent.
    let (seen, transport) = recording();
    let client = SmilepayzClient::new(
        SmilepayzSettings::new(pss_config(signer.clone())).with_clock(|| NOW),
        transport.clone(),
    );
    let err = client.pay_in(&request()).unwrap_err();
    assert!(matches!(err, ClientError::Sign(_)), "{err:?}");
    assert!(!err.is_outcome_unknown());
    let async_transport = move |req: PreparedRequest| {
        let out = transport(req);
        async move { out }
    };
    let client = AsyncSmilepayzClient::new(
        SmilepayzSettings::new(pss_config(signer.clone())).with_clock(|| NOW),
        async_transport,
    );
    let err = pasarela_core::transport::block_on(client.pay_in(&request())).unwrap_err();
    assert!(
        matches!(&err, ClientError::Sign(e) if e.to_string().contains(WRONG_ALGORITHM)),
        "{err:?}"
    );
    assert!(seen.lock().unwrap().is_empty());
    // The signer was never even asked.
    assert_eq!(*signer.calls.lock().unwrap(), 0);
}

#[tokio::test]
async fn an_async_signer_naming_pss_is_refused() {
    // By hand.
    let kms = Kms::pss();
    let unsigned = operation::smilepayz::pay_in(&keyless(), &request(), NOW).unwrap();
    let err = unsigned.sign_async(&kms).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("signing failed: {WRONG_ALGORITHM}")
    );
    assert_eq!(kms.calls(), 0);
    // Through the async client.
    let (seen, transport) = recording();
    let blocking_transport = transport.clone();
    let async_transport = move |req: PreparedRequest| {
        let out = transport(req);
        async move { out }
    };
    let settings = SmilepayzSettings::new(keyless())
        .with_clock(|| NOW)
        .with_async_signer(Kms::pss());
    let client = AsyncSmilepayzClient::new(settings.clone(), async_transport);
    let err = client.pay_in(&request()).await.unwrap_err();
    assert!(
        matches!(&err, ClientError::Sign(e) if e.to_string().contains(WRONG_ALGORITHM)),
        "{err:?}"
    );
    // Through the blocking client waiting for it.
    let client = SmilepayzClient::new(settings, blocking_transport);
    let err = tokio::task::spawn_blocking(move || client.pay_in(&request()))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, ClientError::Sign(_)), "{err:?}");
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn a_software_signer_names_its_algorithm_as_an_async_signer_too() {
    let signer = Backend::Rsa.signer(&key()).unwrap();
    assert_eq!(
        AsyncSigner::algorithm(&signer),
        SignatureAlgorithm::RsaPkcs1v15Sha256
    );
    assert_eq!(
        AsyncSigner::algorithm(&PssSigner::default()),
        SignatureAlgorithm::RsaPssSha256
    );
}
