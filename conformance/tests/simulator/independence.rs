//! The simulator is an independent witness (ARCHITECTURE.md principle 8):
//! its acceptance rules are its own, so a rule misread in the SDK shows up
//! as the simulator disagreeing with it.
//!
//! Three checks:
//!
//! 1. **No delegation.** The simulator's request-checking sources use
//!    nothing of `pasarela-core` but crypto primitives and the status enum
//!    it keeps orders in. Re-introducing a call to the SDK's validation,
//!    timestamp parsing, message types, field lists or hashes fails here.
//! 2. **A misread rule is caught.** A test-only copy of the SDK's send-side
//!    rule table, with one rule changed the way it was once misread (payer
//!    optional, numeric merchant ids only, any field of Monnet's table
//!    non-empty), is shown to disagree with the simulator: bodies the
//!    misread table passes are refused, bodies it refuses are accepted.
//! 3. **Send strictly, accept like the gateway.** Bodies a strict sender
//!    never produces, but the official demos send and the gateway takes, are
//!    accepted.

use std::path::PathBuf;

use pasarela_simulator::codes::{monnet as mcode, smilepayz as scode};
use pasarela_simulator::{IN_PROCESS_ORIGIN, Simulator};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::raw;
use super::support::*;

const PAY_IN_PATH: &str = "/v2.0/transaction/pay-in";
const INQUIRY_STATUS_PATH: &str = "/v2.0/inquiry-status";

/// The simulator's files that decide what is accepted.
const RULE_SOURCES: &[&str] = &[
    "smilepayz.rs",
    "monnet.rs",
    "rules/mod.rs",
    "rules/smilepayz.rs",
    "rules/monnet.rs",
];

/// What those files may take from `pasarela_core`: the RSA verifier comes in
/// through `Inner::merchant_verifier` (crypto), and orders keep the SDK's
/// status enum. Nothing that reads, validates or hashes a request.
const ALLOWED_CORE_PATHS: &[&str] = &["smilepayz::TransactionStatus", "crypto::"];

fn source(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("simulator/src")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_simulators_rules_never_call_the_sdks_validation() {
    for name in RULE_SOURCES {
        let text = source(name);
        // Code only: comment lines may name the SDK to say they do not use it.
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for (i, _) in code.match_indices("pasarela_core::") {
            let rest = &code[i + "pasarela_core::".len()..];
            let used: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '{' | ',' | ' '))
                .collect();
            assert!(
                ALLOWED_CORE_PATHS.iter().any(|a| used.starts_with(a)),
                "{name} uses pasarela_core::{used}: the simulator's acceptance rules must be its \
                 own (GATEWAYS.md), never the SDK's; only crypto primitives may come from core"
            );
        }
        for forbidden in [
            ".validate(",
            "validate_",
            "payin_verification_matches",
            "CREATE_FIELDS: [&str; 43] = pasarela",
            "verify_request_signature",
            "check_timestamp_window",
            "StatusQuery::validate",
            ".build()",
        ] {
            assert!(
                !code.contains(forbidden),
                "{name} contains `{forbidden}`: a call into the SDK's validation"
            );
        }
        assert!(
            !code.contains("use pasarela_core::monnet") && !code.contains("pasarela_core::{"),
            "{name} imports the SDK's Monnet types or a group of core items"
        );
    }
}

/// A rule table for a SmilePayz pay-in body: which top-level or nested
/// fields must be present and non-empty, and which merchant ids are valid.
#[derive(Clone)]
struct SendRules {
    payer_required: bool,
    sandbox_ids: bool,
}

impl SendRules {
    /// The SDK's send-side rules from the revised GATEWAYS.md.
    fn documented() -> Self {
        Self {
            payer_required: true,
            sandbox_ids: true,
        }
    }

    /// Whether a strict sender following this table would send `body`.
    fn would_send(&self, body: &Value) -> bool {
        let id = body["merchant"]["merchantId"].as_str().unwrap_or("");
        let digits = if self.sandbox_ids {
            id.strip_prefix("sandbox-").unwrap_or(id)
        } else {
            id
        };
        let id_ok = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        let payer_ok = !self.payer_required
            || body["payer"]["name"]
                .as_str()
                .is_some_and(|n| !n.trim().is_empty());
        // A strict sender omits unset optionals: never "" or null.
        let strict = !body.to_string().contains("\"\"") && !body.to_string().contains("null");
        id_ok && payer_ok && strict
    }
}

fn simulator_accepts(sim: &Simulator, path: &str, body: &Value) -> bool {
    let creds = sim.credentials(IN_PROCESS_ORIGIN);
    let bytes = serde_json::to_vec(body).unwrap();
    let request = raw::smilepayz(&creds, path, &bytes, &raw::peru_now());
    json(&raw::handle(sim, &request, OffsetDateTime::now_utc()))["code"] == scode::SUCCESS
}

#[test]
fn a_rule_misread_on_the_sdk_side_is_caught_by_the_simulator() {
    let sandbox =
        Simulator::new(fast_config().with_smilepayz_merchant_id("sandbox-20001")).unwrap();
    let production = simulator();
    let no_payer = {
        let mut b = raw::pay_in_body("20001", &order_no("MIS"), 1000);
        b.as_object_mut().unwrap().remove("payer");
        b
    };
    let sandbox_id = raw::pay_in_body("sandbox-20001", &order_no("MIS"), 1000);

    // The documented table and the simulator agree on both bodies.
    let documented = SendRules::documented();
    assert!(!documented.would_send(&no_payer));
    assert!(!simulator_accepts(&production, PAY_IN_PATH, &no_payer));
    assert!(documented.would_send(&sandbox_id));
    assert!(simulator_accepts(&sandbox, PAY_IN_PATH, &sandbox_id));

    // Misread 1: payer optional (the SDK's rule before GATEWAYS.md was
    // revised). The misread table sends a body the simulator refuses.
    let misread = SendRules {
        payer_required: false,
        ..SendRules::documented()
    };
    assert!(misread.would_send(&no_payer));
    assert!(
        !simulator_accepts(&production, PAY_IN_PATH, &no_payer),
        "the simulator followed a misread payer rule"
    );

    // Misread 2: merchant ids are digits only. The misread table refuses a
    // body the simulator (and the sandbox gateway) accepts.
    let misread = SendRules {
        sandbox_ids: false,
        ..SendRules::documented()
    };
    let sandbox_id = raw::pay_in_body("sandbox-20001", &order_no("MIS"), 1000);
    assert!(!misread.would_send(&sandbox_id));
    assert!(
        simulator_accepts(&sandbox, PAY_IN_PATH, &sandbox_id),
        "the simulator followed a misread merchant id rule"
    );
}

#[test]
fn a_monnet_table_misread_as_all_non_empty_is_caught() {
    // The misread: "Required" in Monnet's table read as "non-empty", so a
    // merchant without a coupon, shipping or document could not create.
    let sim = simulator();
    let creds = sim.credentials(IN_PROCESS_ORIGIN);
    let body = raw::monnet_body(&creds, &order_no("MM-"), "20.00");
    let misread_would_send = |b: &Map<String, Value>| b.values().all(|v| v != "");
    assert!(
        !misread_would_send(&body),
        "the body has empty optional fields"
    );
    let answer = json(&raw::handle(
        &sim,
        &raw::monnet(&creds, &body),
        OffsetDateTime::now_utc(),
    ));
    assert_eq!(answer["payinErrorCode"], mcode::SUCCESS, "{answer}");
    // And the rule the docs do state, applied: an empty customer name.
    let mut empty_name = raw::monnet_body(&creds, &order_no("MM-"), "20.00");
    empty_name.insert("payinCustomerName".into(), json!(""));
    let answer = json(&raw::handle(
        &sim,
        &raw::monnet(&creds, &empty_name),
        OffsetDateTime::now_utc(),
    ));
    assert_eq!(answer["payinErrorCode"], mcode::EMPTY_FIELD, "{answer}");
}

#[test]
fn shapes_a_strict_sender_never_sends_but_the_gateway_takes_are_accepted() {
    let sim = simulator();
    let strict = SendRules::documented();
    let order = order_no("LEN");
    let mut lenient = raw::pay_in_body("20001", &order, 1000);
    lenient["callbackUrl"] = json!("");
    lenient["redirectUrl"] = Value::Null;
    lenient["merchant"]["merchantName"] = json!("");
    lenient["merchant"]["accountNo"] = json!("");
    assert!(!strict.would_send(&lenient));
    assert!(simulator_accepts(&sim, PAY_IN_PATH, &lenient));
    let created = &sim.smilepayz_orders()[0];
    // tradeType as a string, the unused id as "".
    let query = json!({"tradeType": "1", "orderNo": "", "tradeNo": created.trade_no});
    assert!(!strict.would_send(&query));
    assert!(simulator_accepts(&sim, INQUIRY_STATUS_PATH, &query));
}
