//! Callback and notification delivery: one signed or hashed request, sent
//! until the merchant acknowledges it or the attempts run out.
//!
//! The same bytes go out on every attempt (signed once), so a merchant that
//! acknowledges late sees byte-identical duplicates, as with the real
//! gateways. How an attempt is carried is the runner's business: plain HTTP
//! from the loopback server, a user-supplied transport in-process.

use std::future::Future;
use std::time::Duration;

use pasarela_core::http::Method;
use pasarela_core::smilepayz::CALLBACK_ACK_BODY;
use pasarela_core::{PreparedRequest, RawResponse};
use serde::Serialize;

use super::config::RetryPolicy;

/// Which gateway a delivery imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gateway {
    /// A SmilePayz callback.
    SmilePayz,
    /// A Monnet notification.
    Monnet,
}

/// A callback or notification to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryJob {
    /// Which gateway.
    pub gateway: Gateway,
    /// The merchant the order belongs to.
    pub merchant_id: String,
    /// The merchant's order (SmilePayz `orderNo`) or operation number
    /// (Monnet `payinMerchantOperationNumber`).
    pub reference: String,
    /// The status announced (SmilePayz status or Monnet state id).
    pub status: String,
    /// Where to post it.
    pub url: String,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// The exact body.
    pub body: Vec<u8>,
}

impl DeliveryJob {
    /// The request to send, as the core's request value. Fails when the URL
    /// is not an absolute URL.
    pub fn to_prepared(&self) -> Result<PreparedRequest, String> {
        let url = url::Url::parse(&self.url).map_err(|e| format!("bad URL {:?}: {e}", self.url))?;
        Ok(PreparedRequest::new(
            Method::POST,
            url,
            self.headers.clone(),
            self.body.clone(),
        ))
    }

    /// Whether `response` acknowledges the delivery: SmilePayz wants HTTP 200
    /// with the body `SUCCESS` (surrounding whitespace ignored); Monnet wants
    /// HTTP 200.
    pub fn is_acknowledged(&self, response: &RawResponse) -> bool {
        if response.status != 200 {
            return false;
        }
        match self.gateway {
            Gateway::SmilePayz => response.body.trim_ascii() == CALLBACK_ACK_BODY.as_bytes(),
            Gateway::Monnet => true,
        }
    }
}

/// How a delivery went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryReport {
    /// Whether the merchant acknowledged it.
    pub delivered: bool,
    /// Attempts made.
    pub attempts: u32,
    /// Why the last attempt failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl DeliveryReport {
    /// A delivery that was not attempted at all.
    pub fn not_attempted(reason: impl Into<String>) -> Self {
        Self {
            delivered: false,
            attempts: 0,
            last_error: Some(reason.into()),
        }
    }
}

fn describe(response: &RawResponse) -> String {
    let head = response.body.get(..80).unwrap_or(&response.body);
    format!(
        "not acknowledged: HTTP {} {:?}",
        response.status,
        String::from_utf8_lossy(head)
    )
}

/// Delivers `job` with blocking `send` and `sleep`: the one retry loop of
/// [`deliver_async`], driven with futures that are ready at once.
pub fn deliver_blocking(
    job: &DeliveryJob,
    policy: RetryPolicy,
    send: &dyn Fn(PreparedRequest) -> Result<RawResponse, String>,
    sleep: &dyn Fn(Duration),
) -> DeliveryReport {
    pasarela_core::transport::block_on(deliver_async(
        job,
        policy,
        |request| std::future::ready(send(request)),
        |pause| {
            sleep(pause);
            std::future::ready(())
        },
    ))
}

/// Delivers `job` with async `send` and `sleep`.
pub async fn deliver_async<S, SF, Z, ZF>(
    job: &DeliveryJob,
    policy: RetryPolicy,
    send: S,
    sleep: Z,
) -> DeliveryReport
where
    S: Fn(PreparedRequest) -> SF,
    SF: Future<Output = Result<RawResponse, String>>,
    Z: Fn(Duration) -> ZF,
    ZF: Future<Output = ()>,
{
    let request = match job.to_prepared() {
        Ok(r) => r,
        Err(e) => return DeliveryReport::not_attempted(e),
    };
    let mut last_error = None;
    for attempt in 1..=policy.attempts() {
        match send(request.clone()).await {
            Ok(response) if job.is_acknowledged(&response) => {
                return DeliveryReport {
                    delivered: true,
                    attempts: attempt,
                    last_error: None,
                };
            }
            Ok(response) => last_error = Some(describe(&response)),
            Err(e) => last_error = Some(e),
        }
        if attempt < policy.attempts() {
            sleep(policy.delay_after(attempt)).await;
        }
    }
    DeliveryReport {
        delivered: false,
        attempts: policy.attempts(),
        last_error,
    }
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};

    use super::*;

    fn job(gateway: Gateway) -> DeliveryJob {
        DeliveryJob {
            gateway,
            merchant_id: "1".into(),
            reference: "ORDER1".into(),
            status: "SUCCESS".into(),
            url: "http://127.0.0.1:9/cb".into(),
            headers: vec![],
            body: b"{}".to_vec(),
        }
    }

    #[test]
    fn acknowledgements() {
        let sp = job(Gateway::SmilePayz);
        assert!(sp.is_acknowledged(&RawResponse::new(200, "SUCCESS")));
        assert!(sp.is_acknowledged(&RawResponse::new(200, "SUCCESS\n")));
        assert!(!sp.is_acknowledged(&RawResponse::new(200, "OK")));
        assert!(!sp.is_acknowledged(&RawResponse::new(500, "SUCCESS")));
        let mn = job(Gateway::Monnet);
        assert!(mn.is_acknowledged(&RawResponse::new(200, "")));
        assert!(!mn.is_acknowledged(&RawResponse::new(204, "")));
    }

    #[test]
    fn retries_until_acknowledged_then_stops() {
        let calls = Cell::new(0u32);
        let pauses = RefCell::new(vec![]);
        let report = deliver_blocking(
            &job(Gateway::SmilePayz),
            RetryPolicy::default(),
            &|_| {
                calls.set(calls.get() + 1);
                if calls.get() < 3 {
                    Err("refused".into())
                } else {
                    Ok(RawResponse::new(200, "SUCCESS"))
                }
            },
            &|d| pauses.borrow_mut().push(d),
        );
        assert_eq!(report.attempts, 3);
        assert!(report.delivered);
        assert_eq!(
            *pauses.borrow(),
            [Duration::from_millis(10), Duration::from_millis(20)]
        );
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let report = deliver_blocking(
            &job(Gateway::SmilePayz),
            RetryPolicy {
                max_attempts: 3,
                ..RetryPolicy::default()
            },
            &|_| Ok(RawResponse::new(200, "FAIL")),
            &|_| {},
        );
        assert_eq!(
            (report.delivered, report.attempts),
            (false, 3),
            "{report:?}"
        );
        assert!(report.last_error.unwrap().contains("FAIL"));
        let bad_url = DeliveryJob {
            url: "not a url".into(),
            ..job(Gateway::Monnet)
        };
        let report = deliver_blocking(
            &bad_url,
            RetryPolicy::default(),
            &|_| unreachable!(),
            &|_| {},
        );
        assert_eq!(report.attempts, 0);
    }
}
