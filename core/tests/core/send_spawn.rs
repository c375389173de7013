//! Compile test (and run): code generic over the transport can hand an async
//! client call to `tokio::spawn`, which needs the call's future to be `Send`
//! and `'static`.

use pasarela_core::Money;
use pasarela_core::client::{AsyncMonnetClient, AsyncSmilepayzClient, ClientError};
use pasarela_core::crypto::{Backend, PrivateKey};
use pasarela_core::monnet::{self, StatusQuery};
use pasarela_core::smilepayz::{self, Merchant, PayInOutcome, PayInRequest};
use pasarela_core::transport::{AsyncTransport, TransportError};
use pasarela_core::{MerchantSecret, PreparedRequest, RawResponse};

const CREATED: &str = r#"{"code":"00","message":"ok","orderNo":"ORDER123","merchant":{"merchantId":"20001"},"money":{"amount":20000,"currency":"PEN"},"transactionTime":"2020-12-17T10:55:00-05:00","channel":{"paymentMethod":"CASHIER_PE","paymentUrl":"https://pay.example/x"},"tradeNo":"T1","status":"PROCESSING"}"#;

fn smilepayz_config() -> smilepayz::Config {
    let key = PrivateKey::load(include_str!(
        "../../testdata/keys/merchant_private_pkcs8.pem"
    ))
    .unwrap();
    smilepayz::Config::new(
        "20001",
        MerchantSecret::new("TEST-ONLY-secret"),
        Backend::Rsa.signer(&key).unwrap(),
        smilepayz::Environment::Sandbox,
    )
    .unwrap()
}

/// A service generic over its transport, as a tokio user writes one.
fn spawn_pay_in<T>(
    client: AsyncSmilepayzClient<T>,
    request: PayInRequest,
) -> tokio::task::JoinHandle<Result<PayInOutcome, ClientError<T::Error>>>
where
    T: AsyncTransport + Clone + Send + Sync + 'static,
    T::Error: Send,
{
    tokio::spawn(async move { client.pay_in(&request).await })
}

fn spawn_status<T>(
    client: AsyncMonnetClient<T>,
) -> tokio::task::JoinHandle<Result<monnet::StatusResponse, ClientError<T::Error>>>
where
    T: AsyncTransport + Clone + Send + Sync + 'static,
{
    tokio::spawn(async move {
        client
            .status(&StatusQuery::by_operation_number("OP1"))
            .await
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_service_spawns_client_calls() {
    let transport = |_req: PreparedRequest| async {
        tokio::task::yield_now().await;
        Ok::<_, TransportError>(RawResponse::new(200, CREATED))
    };
    let client = AsyncSmilepayzClient::new(smilepayz_config(), transport);
    let request = PayInRequest::builder(
        Merchant::new("20001"),
        "ORDER123",
        Money::pen(20000),
        "p",
        smilepayz::Payer::new("Rosa Quispe"),
    )
    .build()
    .unwrap();
    let created = spawn_pay_in(client, request).await.unwrap().unwrap();
    assert_eq!(created.response().trade_no.as_deref(), Some("T1"));

    let monnet = AsyncMonnetClient::new(
        monnet::Config::new("4001", "TEST-ONLY-key", monnet::Environment::Certification).unwrap(),
        |_req: PreparedRequest| async {
            Ok::<_, TransportError>(RawResponse::new(
                200,
                r#"{"payinMerchantID":"4001","operations":[]}"#,
            ))
        },
    );
    let answer = spawn_status(monnet).await.unwrap().unwrap();
    assert!(answer.operations.is_empty());
}
