//! What happens to the merchants from outside: shoppers checking out
//! (with the simulator's magic amounts), the gateway settling payments
//! (the simulator's control API, which delivers the callbacks through the
//! relay), and forgers posting callbacks the gateway never sent.

use std::net::SocketAddr;
use std::sync::Arc;

use pasarela_core::crypto::{Backend, PrivateKey, Signer};
use pasarela_core::smilepayz::{format_timestamp, sign_callback};
use pasarela_core::{MonnetKey, monnet};
use pasarela_simulator::{
    Credentials, Simulator, TEST_MERCHANT_PRIVATE_KEY, TEST_PLATFORM_PRIVATE_KEY,
};
use serde_json::{Value, json};

use super::{CARD_FORM, Rng};

/// A checkout: which gateway, what amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pay {
    /// SmilePayz, in céntimos.
    Smilepayz(u64),
    /// Monnet, as the form's decimal text.
    Monnet(String),
}

/// The simulator's triggers, by weight (of 100): normal amounts, then
/// dropped connection, slow answer, decline, expiry, gateway error, HTTP
/// 500. The SmilePayz amount is the trigger; the Monnet one is the same in
/// soles.
const TRIGGERS: [(u32, Option<u64>); 7] = [
    (62, None),
    (10, Some(40006)),
    (8, Some(40005)),
    (8, Some(40001)),
    (4, Some(40002)),
    (4, Some(40003)),
    (4, Some(40004)),
];

impl Pay {
    /// A checkout of either gateway; with `faults`, one in three carries a
    /// trigger of the simulator's.
    pub fn pick(rng: &Rng, faults: bool) -> Self {
        let mut roll = rng.below(100) as u32;
        let mut trigger = None;
        if faults {
            for (weight, t) in TRIGGERS {
                if roll < weight {
                    trigger = t;
                    break;
                }
                roll -= weight;
            }
        }
        // Normal amounts stay far from the triggers (400.01–400.06).
        let cents = trigger.unwrap_or_else(|| 10_000 + rng.below(20_000));
        if rng.chance(0.5) {
            Pay::Smilepayz(cents)
        } else {
            Pay::Monnet(format!("{}.{:02}", cents / 100, cents % 100))
        }
    }
}

/// A client for the shoppers and the test's own calls.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

/// One checkout with `Accept: application/json`: the `201` body, or why
/// there is none.
pub async fn checkout(
    http: &reqwest::Client,
    merchant: SocketAddr,
    pay: &Pay,
) -> Result<Value, String> {
    let request = match pay {
        Pay::Smilepayz(cents) => http
            .post(format!("http://{merchant}/checkout/smilepayz"))
            .form(&[("amount", cents.to_string())]),
        Pay::Monnet(amount) => {
            let mut form: Vec<(&str, &str)> = CARD_FORM.to_vec();
            form[0] = ("amount", amount);
            http.post(format!("http://{merchant}/checkout/monnet"))
                .form(&form)
        }
    };
    let answer = request
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = answer.status();
    let body = answer.text().await.map_err(|e| e.to_string())?;
    if status != 201 {
        return Err(format!("{status}: {body}"));
    }
    serde_json::from_str(&body).map_err(|e| e.to_string())
}

/// A payment the simulator holds, as the test sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Held {
    /// `smilepayz` or `monnet`.
    pub gateway: &'static str,
    /// The order or operation number.
    pub order: String,
    /// The gateway's reference (`tradeNo`, `payinID`).
    pub reference: String,
    /// SmilePayz: céntimos; Monnet: the amount text.
    pub amount: String,
    /// Settled: SmilePayz `SUCCESS`, `FAILED`, `EXPIRED`, `CANCELLED`;
    /// Monnet any state but 1 and 2.
    pub settled: bool,
    /// Paid: SmilePayz `SUCCESS`; Monnet 5 or 9.
    pub paid: bool,
}

/// Everything the simulator holds.
pub fn held(sim: &Simulator) -> Vec<Held> {
    let smilepayz = sim.smilepayz_orders().into_iter().map(|o| Held {
        gateway: "smilepayz",
        order: o.order_no,
        reference: o.trade_no,
        amount: o.money.amount.to_string(),
        settled: o.status.is_final(),
        paid: o.status.as_str() == "SUCCESS",
    });
    let monnet = sim.monnet_operations().into_iter().map(|o| Held {
        gateway: "monnet",
        order: o.operation_number,
        reference: o.payin_id,
        amount: o.amount,
        settled: !matches!(o.state_id, 1 | 2),
        paid: matches!(o.state_id, 5 | 9),
    });
    smilepayz.chain(monnet).collect()
}

/// Whether the test pays this order when it settles it (about seven in
/// ten), decided by the order number alone so that every part of the test
/// agrees.
pub fn fated_to_pay(order: &str) -> bool {
    let hash = order.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    hash % 10 < 7
}

/// Settles an open payment at the simulator as its fate says; the
/// simulator delivers the callback (to the relay) and answers whether it
/// was acknowledged. `None` when the control call itself failed.
pub async fn settle(
    http: &reqwest::Client,
    simulator: &str,
    relay: &str,
    payment: &Held,
) -> Option<bool> {
    let pay = fated_to_pay(&payment.order);
    let (path, body) = if payment.gateway == "smilepayz" {
        let status = if pay { "SUCCESS" } else { "FAILED" };
        (
            "smilepayz/complete",
            json!({"orderNo": payment.order, "status": status}),
        )
    } else {
        // Paid as authorized (5) or settled (9); not paid as denied (6).
        let state = match (pay, payment.order.len() % 2) {
            (true, 0) => 5,
            (true, _) => 9,
            (false, _) => 6,
        };
        (
            "monnet/complete",
            json!({
                "payinMerchantOperationNumber": payment.order,
                "payinStateID": state,
                "notificationUrl": format!("{relay}/webhooks/monnet"),
            }),
        )
    };
    let answer = http
        .post(format!("{simulator}/_simulator/{path}"))
        .json(&body)
        .send()
        .await
        .ok()?;
    assert_eq!(answer.status(), 200, "{path} {body}");
    let done: Value = answer.json().await.ok()?;
    done["delivered"].as_bool()
}

/// Callbacks the gateway never sent, and what they were answered.
pub struct Forger {
    platform: Arc<dyn Signer + Send + Sync>,
    impostor: Arc<dyn Signer + Send + Sync>,
    monnet_key: MonnetKey,
    smilepayz_merchant: String,
    monnet_merchant: String,
}

/// What the merchant answered a batch of forgeries.
#[derive(Debug, Clone, Default)]
pub struct Forged {
    /// The order the forgeries claimed paid (the test never pays it).
    pub target: String,
    /// Sent and answered.
    pub sent: u32,
    /// Refused (400/401): unsigned, badly signed, tampered.
    pub refused: u32,
    /// Acknowledged: a genuine signature over a body that lies. Stored,
    /// never trusted.
    pub acknowledged: u32,
}

impl Forger {
    /// A forger with the simulator's TEST ONLY platform key (for bodies
    /// that lie under a genuine signature), the merchant's key (a wrong
    /// one) and the Monnet key.
    pub fn new(credentials: &Credentials) -> Self {
        let backend = Backend::default();
        let key = |pem| backend.signer(&PrivateKey::load(pem).unwrap()).unwrap();
        Self {
            platform: key(TEST_PLATFORM_PRIVATE_KEY),
            impostor: key(TEST_MERCHANT_PRIVATE_KEY),
            monnet_key: MonnetKey::new(credentials.monnet.key_monnet.clone()),
            smilepayz_merchant: credentials.smilepayz.merchant_id.clone(),
            monnet_merchant: credentials.monnet.merchant_id.clone(),
        }
    }

    /// Picks an open payment the test will not pay and posts forgeries
    /// claiming it paid to `merchant`. `None` when there is none, or the
    /// merchant did not answer them all (it died).
    pub async fn forge(
        &self,
        http: &reqwest::Client,
        merchant: SocketAddr,
        open: &[Held],
        rng: &Rng,
    ) -> Option<Forged> {
        let targets: Vec<&Held> = open
            .iter()
            .filter(|h| !h.settled && !fated_to_pay(&h.order))
            .collect();
        if targets.is_empty() {
            return None;
        }
        let target = targets[rng.below(targets.len() as u64) as usize];
        let posts = if target.gateway == "smilepayz" {
            self.smilepayz_forgeries(target)
        } else {
            self.monnet_forgeries(target)
        };
        let mut forged = Forged {
            target: target.order.clone(),
            ..Forged::default()
        };
        for (path, headers, body, genuine) in posts {
            let mut request = http
                .post(format!("http://{merchant}/webhooks/{path}"))
                .header("Content-Type", "application/json")
                .body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            let status = request.send().await.ok()?.status().as_u16();
            forged.sent += 1;
            match status {
                200 if genuine => forged.acknowledged += 1,
                400 | 401 if !genuine => forged.refused += 1,
                // A dying merchant's 503 is fine; anything else is not.
                503 => {}
                other => panic!(
                    "a forged {path} callback for {} ({}) was answered {other}",
                    target.order,
                    if genuine {
                        "genuine signature"
                    } else {
                        "not genuine"
                    }
                ),
            }
        }
        Some(forged)
    }

    /// Unsigned; signed by another key; and a genuine signature over a
    /// body that claims `SUCCESS` with another amount.
    fn smilepayz_forgeries(&self, target: &Held) -> Vec<Post> {
        let now = time::OffsetDateTime::now_utc();
        let timestamp = format_timestamp(now);
        let body = json!({
            "merchantId": self.smilepayz_merchant,
            "money": {"amount": 100, "currency": "PEN"},
            "orderNo": target.order,
            "status": "SUCCESS",
            "tradeNo": target.reference,
            "transactionTime": timestamp,
        })
        .to_string();
        let genuine = sign_callback(&*self.platform, &target.reference, &timestamp).unwrap();
        let impostor = sign_callback(&*self.impostor, &target.reference, &timestamp).unwrap();
        vec![
            (
                "smilepayz",
                vec![("X-TIMESTAMP", timestamp.clone())],
                body.clone(),
                false,
            ),
            (
                "smilepayz",
                vec![
                    ("X-TIMESTAMP", timestamp.clone()),
                    ("X-SIGNATURE", impostor),
                ],
                body.clone(),
                false,
            ),
            (
                "smilepayz",
                vec![("X-TIMESTAMP", timestamp), ("X-SIGNATURE", genuine)],
                body,
                true,
            ),
        ]
    }

    /// A genuine hash with the state edited to authorized; the amount
    /// edited under the genuine hash; no hash.
    fn monnet_forgeries(&self, target: &Held) -> Vec<Post> {
        let hash = monnet::payin_verification(
            &self.monnet_merchant,
            &target.order,
            &target.amount,
            "PEN",
            &self.monnet_key,
        );
        let genuine = json!({
            "payinStateID": "5",
            "payinMerchantID": self.monnet_merchant,
            "payinAmount": target.amount,
            "payinCurrency": "PEN",
            "payinMerchantOperationNumber": target.order,
            "payinVerification": hash,
        });
        let mut tampered = genuine.clone();
        tampered["payinAmount"] = json!("1.00");
        let mut unsigned = genuine.clone();
        unsigned["payinVerification"] = json!("");
        vec![
            ("monnet", vec![], genuine.to_string(), true),
            ("monnet", vec![], tampered.to_string(), false),
            ("monnet", vec![], unsigned.to_string(), false),
        ]
    }
}

/// One forged post: route, headers, body, whether its signature is
/// genuine.
type Post = (&'static str, Vec<(&'static str, String)>, String, bool);
